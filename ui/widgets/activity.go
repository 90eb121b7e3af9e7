package widgets

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// ActivityStep is how often an Activity moves. widget.ProgressBarInfinite animates every frame,
// so the whole window is repainted 60 times a second while it runs; under a software renderer
// (Mesa softpipe paints SealDesk's screens in 90–250 ms) that keeps the UI goroutine painting all
// the time. An Activity repaints about twice a second.
const ActivityStep = 500 * time.Millisecond

// Activity is an indeterminate progress bar for long work: between Start and Stop its bar fills
// in steps and starts again, without a percentage. Put Bar in the layout.
type Activity struct {
	Bar *widget.ProgressBar

	mu   sync.Mutex
	stop context.CancelFunc // nil when stopped
}

// NewActivity returns a stopped, hidden Activity.
func NewActivity() *Activity {
	a := &Activity{Bar: widget.NewProgressBar()}
	a.Bar.TextFormatter = func() string { return "" }
	a.Bar.Hide()
	return a
}

// Start shows the bar and moves it every ActivityStep until Stop. Call it on the UI goroutine.
func (a *Activity) Start() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stop != nil {
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	a.stop = stop
	a.Bar.SetValue(0)
	a.Bar.Show()
	go func() {
		t := time.NewTicker(ActivityStep)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fyne.Do(func() {
					select {
					case <-ctx.Done(): // stopped meanwhile
					default:
						a.Bar.SetValue(float64(int(a.Bar.Value*8+1.5)%9) / 8)
					}
				})
			}
		}
	}()
}

// Stop hides the bar and ends its steps. Call it on the UI goroutine.
func (a *Activity) Stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stop != nil {
		a.stop()
		a.stop = nil
	}
	a.Bar.Hide()
}

// Running reports whether the bar is between Start and Stop.
func (a *Activity) Running() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stop != nil
}
