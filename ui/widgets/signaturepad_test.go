package widgets

import (
	"image/color"
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestSignaturePadStrokesInMillimetres(t *testing.T) {
	test.NewTempApp(t)
	p := NewSignaturePad(80, 30, "在此签名")
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p.Now = func() time.Time { clock = clock.Add(10 * time.Millisecond); return clock }
	changes := 0
	p.OnChanged = func() { changes++ }
	w := test.NewTempWindow(t, p)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(400, 150)) // 5 px per mm

	// The pointer at (150,75) after moving by (100,25): one stroke from (10,10) mm to (30,15) mm.
	test.Drag(w.Canvas(), fyne.NewPos(150, 75), 100, 25)
	// A drag that comes from outside the pad is clamped to its edge.
	test.Drag(w.Canvas(), fyne.NewPos(350, 100), -500, -500)
	test.Tap(p)
	if p.Strokes() != 3 || changes != 3 {
		t.Fatalf("strokes %d, changes %d", p.Strokes(), changes)
	}
	sig := p.Signature()
	if err := sig.Validate(); err != nil {
		t.Fatalf("pad signature invalid: %v", err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.01 }
	s0 := sig.Strokes[0]
	if len(s0) != 2 || !near(s0[0].X, 10) || !near(s0[0].Y, 10) || !near(s0[1].X, 30) || !near(s0[1].Y, 15) {
		t.Fatalf("first stroke %+v", s0)
	}
	if s1 := sig.Strokes[1]; !near(s1[0].X, 80) || !near(s1[0].Y, 30) || !near(s1[1].X, 70) || !near(s1[1].Y, 20) {
		t.Fatalf("clamped stroke %+v", s1)
	}
	if sig.Width != 80 || sig.Height != 30 {
		t.Fatalf("pad size %vx%v", sig.Width, sig.Height)
	}

	p.Undo()
	if p.Strokes() != 2 || changes != 4 {
		t.Fatalf("after undo: %d strokes", p.Strokes())
	}
	p.Clear()
	if p.Strokes() != 0 || len(p.Signature().Strokes) != 0 {
		t.Fatal("clear left strokes")
	}
	if _, err := p.Signature().Render(300, color.NRGBA{A: 255}); err == nil {
		// An empty signature must not render as if something were signed.
		t.Fatal("empty signature rendered")
	}
}
