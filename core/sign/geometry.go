package sign

import (
	"fmt"
	"math"

	"sealdesk/core/pdf"
)

// VisibleRect is a rectangle in a page's visible coordinate system: points (1/72 inch), origin
// at the lower-left corner of the page as the user sees it (inside the CropBox, after /Rotate),
// x to the right, y up. For an unrotated page whose CropBox starts at 0,0 it equals PDF user
// space. X1,Y1 and X2,Y2 are two opposite corners in any order.
type VisibleRect struct {
	X1, Y1, X2, Y2 float64
}

func (r VisibleRect) norm() VisibleRect {
	return VisibleRect{math.Min(r.X1, r.X2), math.Min(r.Y1, r.Y2), math.Max(r.X1, r.X2), math.Max(r.Y1, r.Y2)}
}

// Width and Height as the user sees them.
func (r VisibleRect) Width() float64  { return math.Abs(r.X2 - r.X1) }
func (r VisibleRect) Height() float64 { return math.Abs(r.Y2 - r.Y1) }

// VisibleToUser maps a rectangle given in the visible coordinate system of a page with the
// given CropBox and /Rotate (0, 90, 180, 270; clockwise as displayed) to PDF default user space.
// It is the only place where this mapping is done.
func VisibleToUser(crop pdf.Rect, rotate int, r VisibleRect) (pdf.Rect, error) {
	r = r.norm()
	x1, y1, err := visiblePointToUser(crop, rotate, r.X1, r.Y1)
	if err != nil {
		return pdf.Rect{}, err
	}
	x2, y2, _ := visiblePointToUser(crop, rotate, r.X2, r.Y2)
	return pdf.Rect{LLX: math.Min(x1, x2), LLY: math.Min(y1, y2), URX: math.Max(x1, x2), URY: math.Max(y1, y2)}, nil
}

// visiblePointToUser maps one point; see VisibleToUser.
func visiblePointToUser(crop pdf.Rect, rotate int, u, v float64) (x, y float64, err error) {
	w, h := crop.Width(), crop.Height()
	switch rotate {
	case 0:
		return crop.LLX + u, crop.LLY + v, nil
	case 90:
		return crop.LLX + w - v, crop.LLY + u, nil
	case 180:
		return crop.LLX + w - u, crop.LLY + h - v, nil
	case 270:
		return crop.LLX + v, crop.LLY + h - u, nil
	}
	return 0, 0, fmt.Errorf("page rotation %d is not a multiple of 90", rotate)
}

// UserToVisible is the inverse of VisibleToUser (used to report where a field sits).
func UserToVisible(crop pdf.Rect, rotate int, r pdf.Rect) (VisibleRect, error) {
	w, h := crop.Width(), crop.Height()
	pt := func(x, y float64) (float64, float64, error) {
		dx, dy := x-crop.LLX, y-crop.LLY
		switch rotate {
		case 0:
			return dx, dy, nil
		case 90:
			return dy, w - dx, nil
		case 180:
			return w - dx, h - dy, nil
		case 270:
			return h - dy, dx, nil
		}
		return 0, 0, fmt.Errorf("page rotation %d is not a multiple of 90", rotate)
	}
	u1, v1, err := pt(r.LLX, r.LLY)
	if err != nil {
		return VisibleRect{}, err
	}
	u2, v2, _ := pt(r.URX, r.URY)
	return VisibleRect{X1: u1, Y1: v1, X2: u2, Y2: v2}.norm(), nil
}

// appearanceMatrix is the /Matrix of an appearance form whose /BBox is [0 0 bw bh] (the box's
// visible width and height) so that its content shows upright on a page displayed with
// rotation rotate: the content is turned counter-clockwise by rotate, which the viewer's
// clockwise page rotation undoes.
func appearanceMatrix(rotate int, bw, bh float64) [6]float64 {
	switch rotate {
	case 90:
		return [6]float64{0, 1, -1, 0, bh, 0}
	case 180:
		return [6]float64{-1, 0, 0, -1, bw, bh}
	case 270:
		return [6]float64{0, -1, 1, 0, 0, bw}
	}
	return [6]float64{1, 0, 0, 1, 0, 0}
}

// FitMode says how an image fills a box.
type FitMode int

const (
	// Fit keeps the image's aspect ratio and centres it in the box (the default).
	Fit FitMode = iota
	// Stretch fills the whole box.
	Stretch
)

// placeImage returns where an iw×ih image goes inside a bw×bh box.
func placeImage(mode FitMode, bw, bh float64, iw, ih int) (x, y, w, h float64) {
	if mode == Stretch || iw <= 0 || ih <= 0 {
		return 0, 0, bw, bh
	}
	s := math.Min(bw/float64(iw), bh/float64(ih))
	w, h = float64(iw)*s, float64(ih)*s
	return (bw - w) / 2, (bh - h) / 2, w, h
}
