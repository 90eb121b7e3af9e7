package widgets

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

func TestActivityStepsBetweenStartAndStop(t *testing.T) {
	test.NewTempApp(t)
	a := NewActivity()
	test.NewTempWindow(t, a.Bar)
	if a.Bar.Visible() || a.Running() {
		t.Fatal("a new activity shows")
	}
	a.Start()
	if !a.Bar.Visible() || !a.Running() || a.Bar.Value != 0 {
		t.Fatalf("started: visible %v value %v", a.Bar.Visible(), a.Bar.Value)
	}
	if got := a.Bar.TextFormatter(); got != "" {
		t.Errorf("an activity shows no percentage, got %q", got)
	}
	time.Sleep(ActivityStep*2 + ActivityStep/2)
	a.Stop()
	v := a.Bar.Value
	if v < 1.0/8-1e-9 || v > 1 {
		t.Errorf("after two steps the bar is at %v", v)
	}
	time.Sleep(ActivityStep + ActivityStep/2)
	if a.Bar.Value != v || a.Bar.Visible() || a.Running() {
		t.Errorf("stopped activity moved to %v (visible %v)", a.Bar.Value, a.Bar.Visible())
	}
	a.Start() // starts again from the left
	defer a.Stop()
	if a.Bar.Value != 0 || !a.Bar.Visible() {
		t.Errorf("restarted at %v", a.Bar.Value)
	}
}
