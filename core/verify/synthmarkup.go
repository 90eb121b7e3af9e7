package verify

import (
	"image"
	"math"

	"sealdesk/core/pdf"
)

// Text markup without an appearance stream (red team s7 G1). Each reader draws an Underline,
// StrikeOut or Squiggly without /AP its own way, from the /QuadPoints and /C: PDFium (the cover
// check's renderer) and poppler stroke 1 pt lines, MuPDF draws what Acrobat draws — a line
// 1/16 of the quad's height thick, at 1/7 of the height above its bottom edge (Underline) or
// at 3/7 (StrikeOut), a zigzag of that width between the bottom edge and 1/7 (Squiggly),
// measured with mutool draw 1.21. The quad's height is the attacker's to choose: a white
// Underline over a 320 pt tall quad was a 20 pt white bar across the signed amount in MuPDF,
// and the cover check, seeing PDFium's thin line, called it valid.
//
// So such an annotation is judged as painting, in its colour (/C; black when absent or empty,
// as MuPDF and poppler stroke then), each band MuPDF draws, opaque, for every quad (light
// bands always, dark ones when thick: see markupThinLine): a band
// of the line's width around its offset from the edge the quad's corner order calls the
// bottom, and again from the bottom of the quad's bounding box (readers that reorder corners);
// a Squiggly's band holds the whole zigzag with its joins. Honest markup — quads as tall as
// the text line — paints a thin band under or through the text, as in every reader, and passes.
// Quads are read from /QuadPoints, or the /Rect when there are none (a reader may use it).

// maxMarkupQuads bounds the quads painted for one annotation; past it the whole /Rect is painted.
const maxMarkupQuads = 4096

// A band in a light colour may erase ink and is always painted; a dark or coloured band is
// painted when it is thicker than markupThinLine points (a quad taller than 48 pt — no text
// line — whose line hides what lies under it): a thin coloured line under or through the
// text marks it, visibly, in every reader, and PDFium's own line is judged by the rendering.
const (
	markupLight    = 0.7 // luminance (0…1) above which a line's colour counts as light
	markupThinLine = 3.0 // points
)

// markupBand gives, for a text-markup subtype, where MuPDF's line lies: its offset from the
// bottom edge and the half-height of the band around it, as fractions of the quad's height.
func markupBand(st pdf.Name) [2]float64 {
	switch st {
	case "Underline":
		return [2]float64{1.0 / 7, 1.0 / 32}
	case "StrikeOut":
		return [2]float64{3.0 / 7, 1.0 / 32}
	}
	// Squiggly: the zigzag runs from the bottom edge to 1/7 at width h/16, with miter joins
	// that reach further: measured 0.047 h below the edge and 0.19 h above it.
	return [2]float64{1.0 / 14, 1.0/14 + 1.0/16 + 1.0/32}
}

// userToPixelsExact maps a user-space rectangle to the pixels whose centres it holds (at least
// the one holding its centre): a line's band is painted as readers draw it, not grown like an
// area that may hide more (userToPixels).
func userToPixelsExact(toUser func(px, py float64) (float64, float64), r pdf.Rect, b image.Rectangle) image.Rectangle {
	inv, ok := pixelsOfUser(toUser)
	if !ok {
		return image.Rectangle{}
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, pt := range [][2]float64{{r.LLX, r.LLY}, {r.URX, r.URY}, {r.LLX, r.URY}, {r.URX, r.LLY}} {
		px, py := inv(pt[0], pt[1])
		minX, maxX = math.Min(minX, px), math.Max(maxX, px)
		minY, maxY = math.Min(minY, py), math.Max(maxY, py)
	}
	clamp := func(v float64) int { return int(math.Max(-1e7, math.Min(1e7, v))) }
	out := image.Rect(clamp(math.Ceil(minX-0.5)), clamp(math.Ceil(minY-0.5)), clamp(math.Floor(maxX-0.5))+1, clamp(math.Floor(maxY-0.5))+1)
	if out.Dx() <= 0 {
		c := clamp(math.Floor((minX + maxX) / 2))
		out.Min.X, out.Max.X = c, c+1
	}
	if out.Dy() <= 0 {
		c := clamp(math.Floor((minY + maxY) / 2))
		out.Min.Y, out.Max.Y = c, c+1
	}
	return out.Intersect(b)
}

// synthesizeMarkup records the bands a text-markup annotation d of subtype st (/Rect rc) may
// paint in other readers.
func (a *analysis) synthesizeMarkup(page int, st pdf.Name, d pdf.Dict, rc pdf.Rect) {
	colour := a.markupColour(d)
	band := markupBand(st)
	var quads [][8]float64
	if arr, ok := resolvedArray(a.cur, d.Get("QuadPoints")); ok && len(arr) >= 8 {
		for i := 0; i+8 <= len(arr); i += 8 {
			var q [8]float64
			good := true
			for k := range q {
				v, ok := pdf.Number(arr[i+k])
				if !ok || math.IsNaN(v) || math.Abs(v) > 1e6 {
					good = false
					break
				}
				q[k] = v
			}
			if good {
				quads = append(quads, q)
			}
		}
	}
	if len(quads) == 0 || len(quads) > maxMarkupQuads {
		// upper-left, upper-right, lower-left, lower-right, as ISO 32000 orders them
		quads = [][8]float64{{rc.LLX, rc.URY, rc.URX, rc.URY, rc.LLX, rc.LLY, rc.URX, rc.LLY}}
	}
	if a.synthesized == nil {
		a.synthesized = map[int][]synthPaint{}
	}
	light := 0.2126*colour[0]+0.7152*colour[1]+0.0722*colour[2] > markupLight
	for _, q := range quads {
		h := math.Hypot(q[0]-q[4], q[1]-q[5])
		if hb := math.Max(math.Max(q[1], q[3]), math.Max(q[5], q[7])) - math.Min(math.Min(q[1], q[3]), math.Min(q[5], q[7])); hb > h {
			h = hb
		}
		if !light && h/16 <= markupThinLine {
			continue // a thin dark line marks the text, as the renderer's own line does
		}
		for _, r := range markupBands(q, band) {
			a.synthesized[page] = append(a.synthesized[page], synthPaint{rect: r, colour: colour})
		}
	}
}

// markupBands returns the two rectangles (by the corner order, and by the bounding box) a
// band of a quad covers.
func markupBands(q [8]float64, band [2]float64) []pdf.Rect {
	ulx, uly, urx, ury, llx, lly, lrx, lry := q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]
	var out []pdf.Rect
	// By the corner order: the line runs from lower-left to lower-right, offset towards the
	// upper-left corner.
	ux, uy := ulx-llx, uly-lly
	h := math.Hypot(ux, uy)
	if h > 0 {
		ux, uy = ux/h, uy/h
		lo, hi := (band[0]-band[1])*h, (band[0]+band[1])*h
		pts := [][2]float64{}
		for _, off := range []float64{lo, hi} {
			// butt caps and joins reach h/32 along the line beyond its ends
			dx, dy := -uy*h/32, ux*h/32
			pts = append(pts, [2]float64{llx + off*ux + dx, lly + off*uy + dy}, [2]float64{lrx + off*ux - dx, lry + off*uy - dy})
		}
		out = append(out, boundsOf(pts))
	}
	// By the bounding box, bottom edge up (readers that sort the corners).
	minX, maxX := math.Min(math.Min(ulx, urx), math.Min(llx, lrx)), math.Max(math.Max(ulx, urx), math.Max(llx, lrx))
	minY, maxY := math.Min(math.Min(uly, ury), math.Min(lly, lry)), math.Max(math.Max(uly, ury), math.Max(lly, lry))
	if hb := maxY - minY; hb > 0 {
		out = append(out, pdf.Rect{LLX: minX - hb/32, LLY: minY + (band[0]-band[1])*hb, URX: maxX + hb/32, URY: minY + (band[0]+band[1])*hb})
	}
	return out
}

func boundsOf(pts [][2]float64) pdf.Rect {
	r := pdf.Rect{LLX: pts[0][0], LLY: pts[0][1], URX: pts[0][0], URY: pts[0][1]}
	for _, p := range pts[1:] {
		r.LLX, r.URX = math.Min(r.LLX, p[0]), math.Max(r.URX, p[0])
		r.LLY, r.URY = math.Min(r.LLY, p[1]), math.Max(r.URY, p[1])
	}
	return r
}

// markupColour is the RGB colour readers stroke an annotation's synthesized lines in: its /C
// (grey, RGB or CMYK), black when absent, empty or unreadable (MuPDF and poppler set no colour
// then, and stroke in black).
func (a *analysis) markupColour(d pdf.Dict) []float64 {
	arr, ok := resolvedArray(a.cur, d.Get("C"))
	if !ok {
		return []float64{0, 0, 0}
	}
	var c []float64
	for _, e := range arr {
		x, ok := pdf.Number(e)
		if !ok {
			return []float64{0, 0, 0}
		}
		c = append(c, min(max(x, 0), 1))
	}
	switch len(c) {
	case 1:
		return []float64{c[0], c[0], c[0]}
	case 3:
		return c
	case 4:
		k := c[3]
		return []float64{(1 - c[0]) * (1 - k), (1 - c[1]) * (1 - k), (1 - c[2]) * (1 - k)}
	}
	return []float64{0, 0, 0}
}

// geometryBounds returns the /Rect rc grown to hold the points of the annotation's geometry
// keys (/Vertices, /InkList, /L, /CL, /QuadPoints), widened by its border width and the
// /Rect's /RD never shrinking it: the area a reader that draws from those keys may paint.
func (a *analysis) geometryBounds(d pdf.Dict, rc pdf.Rect) pdf.Rect {
	out := rc
	add := func(arr pdf.Array) {
		for i := 0; i+1 < len(arr) && i < 2*maxMarkupQuads*4; i += 2 {
			x, ok1 := pdf.Number(arr[i])
			y, ok2 := pdf.Number(arr[i+1])
			if !ok1 || !ok2 || math.IsNaN(x) || math.IsNaN(y) {
				continue
			}
			x, y = min(max(x, -1e6), 1e6), min(max(y, -1e6), 1e6)
			out.LLX, out.URX = math.Min(out.LLX, x), math.Max(out.URX, x)
			out.LLY, out.URY = math.Min(out.LLY, y), math.Max(out.URY, y)
		}
	}
	grown := false
	for _, k := range []pdf.Name{"Vertices", "L", "CL", "QuadPoints"} {
		if arr, ok := resolvedArray(a.cur, d.Get(k)); ok {
			add(arr)
			grown = true
		}
	}
	if ink, ok := resolvedArray(a.cur, d.Get("InkList")); ok {
		for i, e := range ink {
			if i > maxMarkupQuads {
				break
			}
			if arr, ok := resolvedArray(a.cur, e); ok {
				add(arr)
				grown = true
			}
		}
	}
	if !grown {
		return rc
	}
	w := 1.0
	if arr, ok := resolvedArray(a.cur, d.Get("Border")); ok && len(arr) >= 3 {
		if x, ok := pdf.Number(arr[2]); ok {
			w = x
		}
	}
	if bs := a.cur.Dict(d.Get("BS")); bs != nil {
		if x, ok := pdf.Number(bs.Get("W")); ok {
			w = x
		}
	}
	w = min(max(math.Abs(w), 1), 1e6) // line endings reach beyond the points
	return pdf.Rect{LLX: out.LLX - w, LLY: out.LLY - w, URX: out.URX + w, URY: out.URY + w}
}
