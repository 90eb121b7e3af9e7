package widgets

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
)

// Rect is a rectangle in PDF user-space points (lower-left, upper-right; y grows upwards).
type Rect struct{ LLX, LLY, URX, URY float64 }

func (r Rect) Width() float64  { return r.URX - r.LLX }
func (r Rect) Height() float64 { return r.URY - r.LLY }

// norm returns r with LL below and left of UR.
func (r Rect) norm() Rect {
	return Rect{math.Min(r.LLX, r.URX), math.Min(r.LLY, r.URY), math.Max(r.LLX, r.URX), math.Max(r.LLY, r.URY)}
}

// PageGeometry is what the mapping needs to know about a page: its visible box (the CropBox,
// clipped to the MediaBox) in user space and its /Rotate.
type PageGeometry struct {
	Crop   Rect
	Rotate int // 0, 90, 180 or 270: the page is shown turned clockwise by this much
}

// rotation normalises Rotate to 0, 90, 180 or 270 (PDF allows any multiple of 90, also negative).
func (g PageGeometry) rotation() int {
	r := g.Rotate % 360
	if r < 0 {
		r += 360
	}
	return r / 90 * 90
}

// DisplaySize is the page as shown, in points: the CropBox, turned by Rotate.
func (g PageGeometry) DisplaySize() (w, h float64) {
	w, h = g.Crop.Width(), g.Crop.Height()
	if r := g.rotation(); r == 90 || r == 270 {
		w, h = h, w
	}
	return w, h
}

// UserToDisplay maps a user-space point to display points: origin at the top-left corner of the
// page as shown, x to the right, y downwards.
func (g PageGeometry) UserToDisplay(x, y float64) (dx, dy float64) {
	ux, uy := x-g.Crop.LLX, y-g.Crop.LLY
	w, h := g.Crop.Width(), g.Crop.Height()
	switch g.rotation() {
	case 90:
		return uy, ux
	case 180:
		return w - ux, uy
	case 270:
		return h - uy, w - ux
	default:
		return ux, h - uy
	}
}

// DisplayToUser is the inverse of UserToDisplay.
func (g PageGeometry) DisplayToUser(dx, dy float64) (x, y float64) {
	w, h := g.Crop.Width(), g.Crop.Height()
	var ux, uy float64
	switch g.rotation() {
	case 90:
		ux, uy = dy, dx
	case 180:
		ux, uy = w-dx, dy
	case 270:
		ux, uy = w-dy, h-dx
	default:
		ux, uy = dx, h-dy
	}
	return ux + g.Crop.LLX, uy + g.Crop.LLY
}

// ImageToUser maps a pixel position in the page image rendered at dpi (origin top-left) to user
// space.
func (g PageGeometry) ImageToUser(px, py, dpi float64) (x, y float64) {
	s := 72 / dpi
	return g.DisplayToUser(px*s, py*s)
}

// UserToImage maps a user-space point to a pixel position in the page image rendered at dpi.
func (g PageGeometry) UserToImage(x, y, dpi float64) (px, py float64) {
	dx, dy := g.UserToDisplay(x, y)
	s := dpi / 72
	return dx * s, dy * s
}

// PageMapper maps between a page shown in a widget and user space. Zoom is widget units (Fyne's
// device-independent pixels) per point; Origin is where the page's top-left corner sits in the
// widget's coordinates.
type PageMapper struct {
	Geometry PageGeometry
	Zoom     float64
	Origin   fyne.Position
}

// WidgetToUser maps a widget position to user space.
func (m PageMapper) WidgetToUser(p fyne.Position) (x, y float64) {
	return m.Geometry.DisplayToUser(float64(p.X-m.Origin.X)/m.Zoom, float64(p.Y-m.Origin.Y)/m.Zoom)
}

// UserToWidget maps a user-space point to a widget position.
func (m PageMapper) UserToWidget(x, y float64) fyne.Position {
	dx, dy := m.Geometry.UserToDisplay(x, y)
	return fyne.NewPos(m.Origin.X+float32(dx*m.Zoom), m.Origin.Y+float32(dy*m.Zoom))
}

// WidgetRectToUser maps a box shown at pos with size to a user-space rectangle.
func (m PageMapper) WidgetRectToUser(pos fyne.Position, size fyne.Size) Rect {
	x1, y1 := m.WidgetToUser(pos)
	x2, y2 := m.WidgetToUser(pos.Add(fyne.NewPos(size.Width, size.Height)))
	return Rect{x1, y1, x2, y2}.norm()
}

// UserRectToWidget maps a user-space rectangle to the box that shows it (position and size).
func (m PageMapper) UserRectToWidget(r Rect) (fyne.Position, fyne.Size) {
	a := m.UserToWidget(r.LLX, r.LLY)
	b := m.UserToWidget(r.URX, r.URY)
	minX, minY := min(a.X, b.X), min(a.Y, b.Y)
	return fyne.NewPos(minX, minY), fyne.NewSize(max(a.X, b.X)-minX, max(a.Y, b.Y)-minY)
}

// WidgetToImage maps a widget position to a pixel of the page image rendered at dpi.
func (m PageMapper) WidgetToImage(p fyne.Position, dpi float64) (px, py float64) {
	s := dpi / 72 / m.Zoom
	return float64(p.X-m.Origin.X) * s, float64(p.Y-m.Origin.Y) * s
}

// ImageToWidget maps a pixel of the page image rendered at dpi to a widget position.
func (m PageMapper) ImageToWidget(px, py, dpi float64) fyne.Position {
	s := 72 / dpi * m.Zoom
	return fyne.NewPos(m.Origin.X+float32(px*s), m.Origin.Y+float32(py*s))
}

// ClampToPage moves and, if needed, shrinks a user-space rectangle so it lies inside the CropBox.
func (g PageGeometry) ClampToPage(r Rect) Rect {
	r = r.norm()
	c := g.Crop
	w, h := math.Min(r.Width(), c.Width()), math.Min(r.Height(), c.Height())
	x := math.Min(math.Max(r.LLX, c.LLX), c.URX-w)
	y := math.Min(math.Max(r.LLY, c.LLY), c.URY-h)
	return Rect{x, y, x + w, y + h}
}

// pageColor is the paper behind a page until its image arrives.
var pageColor = color.White
