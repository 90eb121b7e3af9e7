package ui

import (
	"context"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
)

// entPanel is what the enterprise console's server-backed panels (开放接口, 事件推送) share: the
// status line, the signed-in enterprise, and server calls run off the UI goroutine.
type entPanel struct {
	shell  *Shell
	Status *widget.Label // errors and notes, hidden while empty
	wg     sync.WaitGroup
}

func newEntPanel(s *Shell) entPanel {
	st := widget.NewLabel("")
	st.Wrapping = fyne.TextWrapWord
	st.Hide()
	return entPanel{shell: s, Status: st}
}

// Wait waits for the server calls in flight and applies their results (tests).
func (p *entPanel) Wait() { workers.drain(&p.wg) }

func (p *entPanel) fail(err error) {
	p.Status.SetText(errMessage(err))
	p.Status.Show()
}

// ent returns the client and the enterprise the desktop is switched to, or says on the status
// line that an enterprise is needed.
func (p *entPanel) ent() (*client.Client, string, bool) {
	c := p.shell.client()
	ent := ""
	if p.shell.Services.Conn != nil {
		ent = p.shell.Services.Conn.Context()
	}
	if c == nil || ent == "" {
		p.Status.SetText(tr("admin.need.enterprise"))
		p.Status.Show()
		return nil, "", false
	}
	return c, ent, true
}

// run calls fn off the UI goroutine, then done (on the UI goroutine) with its error.
func (p *entPanel) run(fn func(ctx context.Context) error, done func(err error)) {
	runOff(&p.wg, fn, done)
}

// runOff calls fn off the UI goroutine with a 20 s deadline, counted in wg, then done on the UI
// goroutine with its error.
func runOff(wg *sync.WaitGroup, fn func(ctx context.Context) error, done func(err error)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := fn(ctx)
		uiDo(func() { done(err) })
	}()
}
