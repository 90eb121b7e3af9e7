package verify

import (
	"image"
	"math"

	"sealdesk/core/pdf"
)

// Annotations without a usable appearance (red team s4 F1, F2). The cover check renders with
// PDFium, which draws an annotation only through its appearance stream; poppler, MuPDF and
// Acrobat build an appearance themselves for many subtypes when /AP is missing or unusable
// (from /Contents and /DA, /IC, /Name, /Vertices…). A FreeText, Stamp or Polygon added after
// signing with no /AP, an /AP /N that is null or a plain dictionary, or a dictionary of states
// with no /AS (poppler draws its only state, PDFium and MuPDF do not) then hid the signed text in
// those viewers while our rendering showed the page untouched.
//
// The class is closed by judging such an annotation as if it painted what it may paint: its
// whole /Rect, opaque (the appearance a viewer builds is unknown), on top of the new rendering
// before the comparison; shapes only when they have an interior colour (/IC), lines never
// (their strokes are judged by width); a highlight is multiplied in its colour, as every viewer draws it;
// note-like icons (Text, FileAttachment, Sound) are painted as the fixed-size icon viewers draw
// at the rectangle's top-left corner; underlines, squiggles and strike-outs are painted as the
// bands MuPDF draws from their quads (synthmarkup.go: not thin lines in every viewer, as once
// assumed). A usable appearance is a single form XObject
// stream with a /BBox: /AP /N a stream, or a dictionary of states whose /AS names one.

// synthesizedAnnots are the subtypes a viewer may draw without an appearance stream.
func synthesizedAnnots(x pdf.Name) bool {
	switch x {
	case "FreeText", "Stamp", "Square", "Circle", "Polygon", "PolyLine", "Line", "Ink", "Highlight", "Caret", "Text", "FileAttachment", "Sound", "Redact",
		"Underline", "StrikeOut", "Squiggly":
		return true
	}
	return false
}

// synthIcon is the size of the icon viewers draw for a note without appearance, in points.
const synthIcon = 24

// synthPaint is an area to paint over the new rendering.
type synthPaint struct {
	rect     pdf.Rect
	multiply []float64 // RGB to multiply with (a highlight); nil: opaque
	colour   []float64 // the opaque RGB colour (a text-markup line); nil: white
}

// usableAppearance reports whether d has an appearance every viewer draws as it is.
func (a *analysis) usableAppearance(d pdf.Dict) bool {
	ap := a.cur.Dict(d.Get("AP"))
	if ap == nil {
		return false
	}
	n, err := a.cur.Resolve(ap.Get("N"))
	if err != nil {
		return false
	}
	switch x := n.(type) {
	case *pdf.Stream:
		return a.wellFormedForm(x)
	case pdf.Dict:
		as := d.NameOf("AS")
		if as == "" {
			return false // poppler draws a lone state, PDFium and MuPDF draw none: ambiguous
		}
		st, err := a.cur.Resolve(x.Get(as))
		if err != nil {
			return false
		}
		s, ok := st.(*pdf.Stream)
		return ok && a.wellFormedForm(s)
	}
	return false
}

func (a *analysis) wellFormedForm(s *pdf.Stream) bool {
	if sub, ok := s.Dict.Get("Subtype").(pdf.Name); s.Dict.Get("Subtype") != nil && (!ok || sub != "Form") {
		return false
	}
	arr, ok := resolvedArray(a.cur, s.Dict.Get("BBox"))
	if !ok || len(arr) != 4 {
		return false
	}
	for _, e := range arr {
		if _, ok := pdf.Number(e); !ok {
			return false
		}
	}
	return true
}

// synthesize records the area an annotation added or changed after signing may paint in other
// viewers when the renderer draws none of it (see the top of this file).
func (a *analysis) synthesize(page int, d pdf.Dict) {
	a.synthesizeOpenPopup(page, d) // synthpopup.go: whatever its own appearance
	st := d.NameOf("Subtype")
	if page <= 0 || !synthesizedAnnots(st) || a.usableAppearance(d) {
		return
	}
	if f, ok := d.Get("F").(pdf.Int); ok && f&(2|32) != 0 {
		return // hidden or no-view: no viewer draws it
	}
	rc, ok := pdf.RectFrom(a.cur, d.Get("Rect"))
	if !ok || rc.IsZero() {
		return
	}
	// Readers draw shapes where their geometry keys put them, not inside the /Rect: MuPDF
	// recomputes the /Rect from /Vertices, poppler does not clip to it (red team s7 G1b: a
	// white Polygon whose /Rect was a blank corner and whose /Vertices framed the amount).
	p := synthPaint{rect: a.geometryBounds(d, rc)}
	switch st {
	case "Square", "Circle", "Polygon":
		// Without an interior colour (/IC) viewers stroke the outline only, in /C at the
		// border width: a width over 2 points is refused by viewerDifferential, a thin
		// outline hides nothing (iText's interop file 013 adds such a circle next to text).
		if arr, ok := resolvedArray(a.cur, d.Get("IC")); !ok || len(arr) == 0 {
			return
		}
	case "Line", "PolyLine":
		return // strokes only (and line endings), judged by their width in viewerDifferential
	case "Underline", "StrikeOut", "Squiggly":
		a.synthesizeMarkup(page, st, d, rc) // synthmarkup.go
		return
	case "Text", "FileAttachment", "Sound":
		// The icon is drawn at its size from the /Rect's top-left corner whatever the /Rect's
		// size (poppler 24 pt, MuPDF 20 pt): a white icon with a 1×1 pt /Rect hid digits in
		// poppler (red team s7 G1b).
		p.rect = pdf.Rect{LLX: rc.LLX, LLY: rc.URY - synthIcon, URX: rc.LLX + synthIcon, URY: rc.URY}
	case "Highlight":
		p.multiply = []float64{0, 0, 0}
		if arr, ok := resolvedArray(a.cur, d.Get("C")); ok {
			var c []float64
			for _, e := range arr {
				x, _ := pdf.Number(e)
				c = append(c, min(max(x, 0), 1))
			}
			switch len(c) {
			case 1:
				p.multiply = []float64{c[0], c[0], c[0]}
			case 3:
				p.multiply = c
			case 4:
				k := c[3]
				p.multiply = []float64{(1 - c[0]) * (1 - k), (1 - c[1]) * (1 - k), (1 - c[2]) * (1 - k)}
			}
		}
	}
	if a.synthesized == nil {
		a.synthesized = map[int][]synthPaint{}
	}
	a.synthesized[page] = append(a.synthesized[page], p)
}

// paintSynthesized returns img with the areas of page p painted as other viewers may draw them
// (img itself when there are none).
func (a *analysis) paintSynthesized(img *image.RGBA, p int, toUser func(px, py float64) (float64, float64)) *image.RGBA {
	paints := a.synthesized[p]
	if len(paints) == 0 {
		return img
	}
	out := image.NewRGBA(img.Bounds())
	copy(out.Pix, img.Pix)
	for _, sp := range paints {
		r := userToPixels(toUser, sp.rect, out.Bounds())
		if sp.colour != nil {
			// A line's band is painted as drawn, not grown like an area that may hide more.
			r = userToPixelsExact(toUser, sp.rect, out.Bounds())
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				i := out.PixOffset(x, y)
				if sp.multiply == nil && sp.colour != nil {
					for c := 0; c < 3; c++ {
						out.Pix[i+c] = uint8(math.Round(255 * min(max(sp.colour[c], 0), 1)))
					}
					continue
				}
				if sp.multiply == nil {
					out.Pix[i], out.Pix[i+1], out.Pix[i+2] = 255, 255, 255
					continue
				}
				for c := 0; c < 3; c++ {
					out.Pix[i+c] = uint8(float64(out.Pix[i+c]) * sp.multiply[c])
				}
			}
		}
	}
	return out
}
