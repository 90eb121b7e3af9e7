package widgets

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// handleSize is the side of the resize handle in widget units.
const handleSize = 14

// DraggableBox is a coloured box placed over a page (a signature, seal, date or cross-page seal
// box): drag it to move, drag the corner handle to resize, tap the × to delete, tap the box to
// select it. It only reports what the user does; the owner decides where the box may go (it
// keeps the box inside its page) and moves and resizes the widget.
type DraggableBox struct {
	widget.BaseWidget

	Label string
	Color color.NRGBA

	// OnDragged reports a move of the box by delta (widget units); OnDragEnd the end of a move.
	OnDragged func(delta fyne.Delta)
	OnDragEnd func()
	// OnResized reports a drag of the corner handle by delta; nil hides the handle.
	OnResized func(delta fyne.Delta)
	// OnDeleted is the × button; nil hides it.
	OnDeleted func()
	// OnTapped is a tap on the box.
	OnTapped func()

	Handle *BoxHandle
	Delete *widget.Button
}

// NewDraggableBox returns a box with a label in a colour.
func NewDraggableBox(label string, c color.NRGBA) *DraggableBox {
	b := &DraggableBox{Label: label, Color: c}
	b.Handle = &BoxHandle{box: b}
	b.Handle.ExtendBaseWidget(b.Handle)
	b.Delete = widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
		if b.OnDeleted != nil {
			b.OnDeleted()
		}
	})
	b.Delete.Importance = widget.LowImportance
	b.ExtendBaseWidget(b)
	return b
}

// Dragged implements fyne.Draggable: the box moves.
func (b *DraggableBox) Dragged(e *fyne.DragEvent) {
	if b.OnDragged != nil {
		b.OnDragged(e.Dragged)
	}
}

// DragEnd implements fyne.Draggable.
func (b *DraggableBox) DragEnd() {
	if b.OnDragEnd != nil {
		b.OnDragEnd()
	}
}

// Tapped implements fyne.Tappable.
func (b *DraggableBox) Tapped(*fyne.PointEvent) {
	if b.OnTapped != nil {
		b.OnTapped()
	}
}

// MinSize is small: the owner sizes the box from the page.
func (b *DraggableBox) MinSize() fyne.Size { return fyne.NewSize(handleSize*2, handleSize*2) }

func (b *DraggableBox) CreateRenderer() fyne.WidgetRenderer {
	fill := b.Color
	fill.A = 0x40
	bg := canvas.NewRectangle(fill)
	bg.StrokeColor = b.Color
	bg.StrokeWidth = 2
	txt := canvas.NewText(b.Label, b.Color)
	txt.TextStyle = fyne.TextStyle{Bold: true}
	txt.TextSize = theme.CaptionTextSize()
	txt.Alignment = fyne.TextAlignCenter
	if b.OnResized == nil {
		b.Handle.Hide()
	}
	return &boxRenderer{b: b, bg: bg, txt: txt}
}

type boxRenderer struct {
	b   *DraggableBox
	bg  *canvas.Rectangle
	txt *canvas.Text
}

func (r *boxRenderer) Layout(sz fyne.Size) {
	r.bg.Resize(sz)
	ts := r.txt.MinSize()
	r.txt.Move(fyne.NewPos(0, (sz.Height-ts.Height)/2))
	r.txt.Resize(fyne.NewSize(sz.Width, ts.Height))
	r.b.Handle.Move(fyne.NewPos(sz.Width-handleSize, sz.Height-handleSize))
	r.b.Handle.Resize(fyne.NewSize(handleSize, handleSize))
	ds := fyne.NewSize(22, 22)
	r.b.Delete.Move(fyne.NewPos(sz.Width-ds.Width, 0))
	r.b.Delete.Resize(ds)
}

func (r *boxRenderer) MinSize() fyne.Size { return r.b.MinSize() }

func (r *boxRenderer) Refresh() {
	fill := r.b.Color
	fill.A = 0x40
	r.bg.FillColor = fill
	r.bg.StrokeColor = r.b.Color
	r.txt.Text = r.b.Label
	r.txt.Color = r.b.Color
	if r.b.OnDeleted == nil {
		r.b.Delete.Hide()
	} else {
		r.b.Delete.Show()
	}
	if r.b.OnResized == nil {
		r.b.Handle.Hide() // a box that cannot be resized shows no handle
	} else {
		r.b.Handle.Show()
	}
	r.Layout(r.b.Size())
	r.bg.Refresh()
	r.txt.Refresh()
}

func (r *boxRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg, r.txt, r.b.Handle}
	if r.b.OnDeleted != nil {
		objs = append(objs, r.b.Delete)
	}
	return objs
}

func (r *boxRenderer) Destroy() {}

// BoxHandle is the resize handle in a DraggableBox's lower-right corner.
type BoxHandle struct {
	widget.BaseWidget
	box *DraggableBox
}

// Dragged implements fyne.Draggable: the box is resized.
func (h *BoxHandle) Dragged(e *fyne.DragEvent) {
	if h.box.OnResized != nil {
		h.box.OnResized(e.Dragged)
	}
}

// DragEnd implements fyne.Draggable.
func (h *BoxHandle) DragEnd() {
	if h.box.OnDragEnd != nil {
		h.box.OnDragEnd()
	}
}

func (h *BoxHandle) CreateRenderer() fyne.WidgetRenderer {
	r := canvas.NewRectangle(h.box.Color)
	return widget.NewSimpleRenderer(r)
}

// PaletteItem is a tile in a palette that the user drags onto a page (or taps). OnDropped gets
// the absolute position where the drag ended.
type PaletteItem struct {
	widget.BaseWidget
	Label     string
	Color     color.NRGBA
	OnDropped func(abs fyne.Position)
	OnTapped  func()

	last    fyne.Position
	dragged bool
}

// NewPaletteItem returns a palette tile.
func NewPaletteItem(label string, c color.NRGBA) *PaletteItem {
	p := &PaletteItem{Label: label, Color: c}
	p.ExtendBaseWidget(p)
	return p
}

// Dragged implements fyne.Draggable.
func (p *PaletteItem) Dragged(e *fyne.DragEvent) {
	p.last = e.AbsolutePosition
	p.dragged = true
}

// DragEnd implements fyne.Draggable: the box is dropped where the pointer is.
func (p *PaletteItem) DragEnd() {
	if p.dragged && p.OnDropped != nil {
		p.OnDropped(p.last)
	}
	p.dragged = false
}

// Tapped implements fyne.Tappable.
func (p *PaletteItem) Tapped(*fyne.PointEvent) {
	if p.OnTapped != nil {
		p.OnTapped()
	}
}

func (p *PaletteItem) CreateRenderer() fyne.WidgetRenderer {
	fill := p.Color
	fill.A = 0x30
	bg := canvas.NewRectangle(fill)
	bg.StrokeColor = p.Color
	bg.StrokeWidth = 2
	bg.CornerRadius = 4
	txt := canvas.NewText(p.Label, p.Color)
	txt.TextStyle = fyne.TextStyle{Bold: true}
	txt.Alignment = fyne.TextAlignCenter
	return &paletteRenderer{p: p, bg: bg, txt: txt}
}

type paletteRenderer struct {
	p   *PaletteItem
	bg  *canvas.Rectangle
	txt *canvas.Text
}

func (r *paletteRenderer) Layout(sz fyne.Size) {
	r.bg.Resize(sz)
	ts := r.txt.MinSize()
	r.txt.Move(fyne.NewPos(0, (sz.Height-ts.Height)/2))
	r.txt.Resize(fyne.NewSize(sz.Width, ts.Height))
}

func (r *paletteRenderer) MinSize() fyne.Size {
	ts := r.txt.MinSize()
	return fyne.NewSize(ts.Width+24, ts.Height+18)
}

func (r *paletteRenderer) Refresh() {
	fill := r.p.Color
	fill.A = 0x30
	r.bg.FillColor, r.bg.StrokeColor = fill, r.p.Color
	r.txt.Text, r.txt.Color = r.p.Label, r.p.Color
	r.bg.Refresh()
	r.txt.Refresh()
}

func (r *paletteRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.txt} }
func (r *paletteRenderer) Destroy()                     {}
