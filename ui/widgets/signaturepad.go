package widgets

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/seal"
)

// SignaturePad is a canvas to write a signature on with the mouse, a pen or a finger. It keeps
// the strokes in millimetres of a pad of WidthMM × HeightMM (so the signature can be redrawn at
// any size by core/seal) and draws them as they come.
type SignaturePad struct {
	widget.BaseWidget

	// WidthMM and HeightMM are the pad's size on paper; the widget keeps that aspect ratio
	// for the strokes (positions are scaled to it).
	WidthMM, HeightMM float64
	// Hint is drawn while the pad is empty.
	Hint string
	// OnChanged is called after a stroke ends, on Undo and on Clear.
	OnChanged func()
	// Now is the clock for stroke times (nil: time.Now).
	Now func() time.Time

	strokes []seal.Stroke
	cur     seal.Stroke
	start   time.Time
}

// NewSignaturePad returns a pad of w × h millimetres.
func NewSignaturePad(wmm, hmm float64, hint string) *SignaturePad {
	p := &SignaturePad{WidthMM: wmm, HeightMM: hmm, Hint: hint}
	p.ExtendBaseWidget(p)
	return p
}

// Signature returns the strokes drawn so far as a core/seal signature.
func (p *SignaturePad) Signature() *seal.Signature {
	s := &seal.Signature{Version: seal.SignatureVersion, Width: p.WidthMM, Height: p.HeightMM}
	for _, st := range p.strokes {
		s.Strokes = append(s.Strokes, append(seal.Stroke(nil), st...))
	}
	return s
}

// Strokes is how many strokes there are.
func (p *SignaturePad) Strokes() int { return len(p.strokes) }

// Undo removes the last stroke.
func (p *SignaturePad) Undo() {
	if len(p.strokes) == 0 {
		return
	}
	p.strokes = p.strokes[:len(p.strokes)-1]
	p.Refresh()
	p.changed()
}

// Clear removes every stroke.
func (p *SignaturePad) Clear() {
	p.strokes, p.cur = nil, nil
	p.start = time.Time{}
	p.Refresh()
	p.changed()
}

func (p *SignaturePad) changed() {
	if p.OnChanged != nil {
		p.OnChanged()
	}
}

func (p *SignaturePad) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// toMM maps a widget position to pad millimetres, clamped to the pad.
func (p *SignaturePad) toMM(pos fyne.Position) (float64, float64) {
	sz := p.Size()
	if sz.Width <= 0 || sz.Height <= 0 {
		return 0, 0
	}
	x := float64(pos.X) / float64(sz.Width) * p.WidthMM
	y := float64(pos.Y) / float64(sz.Height) * p.HeightMM
	return clamp(x, 0, p.WidthMM), clamp(y, 0, p.HeightMM)
}

func clamp(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// Dragged adds a point to the current stroke (a drag is a pen-down move).
func (p *SignaturePad) Dragged(e *fyne.DragEvent) {
	if len(p.strokes) >= seal.MaxStrokes {
		return
	}
	now := p.now()
	if p.start.IsZero() {
		p.start = now
	}
	t := now.Sub(p.start).Milliseconds()
	if len(p.cur) == 0 {
		// The drag began at Position − Dragged.
		x, y := p.toMM(e.Position.Subtract(e.Dragged))
		p.cur = append(p.cur, seal.Point{X: x, Y: y, T: t})
	}
	if last := p.cur[len(p.cur)-1]; t < last.T {
		t = last.T
	}
	x, y := p.toMM(e.Position)
	p.cur = append(p.cur, seal.Point{X: x, Y: y, T: t})
	p.Refresh()
}

// DragEnd finishes the stroke (pen up).
func (p *SignaturePad) DragEnd() {
	if len(p.cur) > 0 {
		p.strokes = append(p.strokes, p.cur)
		p.cur = nil
		p.Refresh()
		p.changed()
	}
}

// Tapped draws a dot (a tap is a one-point stroke, e.g. the dot of an i).
func (p *SignaturePad) Tapped(e *fyne.PointEvent) {
	now := p.now()
	if p.start.IsZero() {
		p.start = now
	}
	x, y := p.toMM(e.Position)
	t := now.Sub(p.start).Milliseconds()
	p.strokes = append(p.strokes, seal.Stroke{{X: x, Y: y, T: t}, {X: x + 0.2, Y: y, T: t}})
	p.Refresh()
	p.changed()
}

func (p *SignaturePad) MinSize() fyne.Size { return fyne.NewSize(320, 120) }

func (p *SignaturePad) CreateRenderer() fyne.WidgetRenderer {
	r := &padRenderer{pad: p, bg: canvas.NewRectangle(color.White), hint: canvas.NewText(p.Hint, color.NRGBA{0x99, 0x99, 0x99, 0xff})}
	r.bg.StrokeColor = color.NRGBA{0x88, 0x88, 0x88, 0xff}
	r.bg.StrokeWidth = 1
	r.base = canvas.NewLine(color.NRGBA{0xcc, 0xcc, 0xcc, 0xff})
	r.hint.Alignment = fyne.TextAlignCenter
	return r
}

type padRenderer struct {
	pad   *SignaturePad
	bg    *canvas.Rectangle
	base  *canvas.Line
	hint  *canvas.Text
	lines []fyne.CanvasObject
}

func (r *padRenderer) Layout(sz fyne.Size) {
	r.bg.Resize(sz)
	r.base.Position1 = fyne.NewPos(sz.Width*0.08, sz.Height*0.75)
	r.base.Position2 = fyne.NewPos(sz.Width*0.92, sz.Height*0.75)
	r.hint.Move(fyne.NewPos(0, sz.Height*0.75-r.hint.MinSize().Height-4))
	r.hint.Resize(fyne.NewSize(sz.Width, r.hint.MinSize().Height))
	r.buildLines(sz)
}

func (r *padRenderer) buildLines(sz fyne.Size) {
	p := r.pad
	r.lines = r.lines[:0]
	if p.WidthMM <= 0 || p.HeightMM <= 0 {
		return
	}
	sx, sy := float64(sz.Width)/p.WidthMM, float64(sz.Height)/p.HeightMM
	ink := color.NRGBA{0x10, 0x10, 0x10, 0xff}
	add := func(st seal.Stroke) {
		for i := 1; i < len(st); i++ {
			l := canvas.NewLine(ink)
			l.StrokeWidth = 2.5
			l.Position1 = fyne.NewPos(float32(st[i-1].X*sx), float32(st[i-1].Y*sy))
			l.Position2 = fyne.NewPos(float32(st[i].X*sx), float32(st[i].Y*sy))
			r.lines = append(r.lines, l)
		}
	}
	for _, st := range p.strokes {
		add(st)
	}
	add(p.cur)
}

func (r *padRenderer) MinSize() fyne.Size { return r.pad.MinSize() }

func (r *padRenderer) Refresh() {
	r.hint.Text = r.pad.Hint
	if len(r.pad.strokes) == 0 && len(r.pad.cur) == 0 {
		r.hint.Show()
	} else {
		r.hint.Hide()
	}
	r.Layout(r.pad.Size())
	canvas.Refresh(r.pad)
}

func (r *padRenderer) Objects() []fyne.CanvasObject {
	return append([]fyne.CanvasObject{r.bg, r.base, r.hint}, r.lines...)
}

func (r *padRenderer) Destroy() {}
