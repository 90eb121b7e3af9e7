package verify

import (
	"sealdesk/core/pdf"
)

// The appearance scan: whether the appearance stream of an annotation that may be added after
// signing ("harmless" subtypes: notes, highlights, links…) can hide or replace what the page
// shows. The stream is tokenised with core/pdf's lexer (so "/X Do/G gs" or "(x)Tj%" are read as
// a PDF reader reads them, not by pattern), and the graphics state's colours are followed:
//
//   - any operator that paints something other than a plain path is drawing: text (Tj TJ ' "),
//     image XObjects (Do), inline images (BI), shadings (sh); a form XObject (Do) is scanned by
//     the same rules, from the default black, at most 8 deep (streamPaintsOver: Acrobat's and
//     PDFBox's highlights draw their band in a transparency group);
//   - a path filled, or stroked wider than a hairline, in paper white or near it (each channel
//     at least 0.85) or in a dark colour (luminance below 0.5, the default black included)
//     covers text; a pattern colour counts as covering;
//   - a stream that does not tokenise counts as drawing.
//
// Light, chromatic fills (a yellow highlight) and thin strokes (an underline) are allowed.

// maxAppearanceTokens bounds the work on one appearance stream; a longer one counts as drawing.
const maxAppearanceTokens = 200000

// paintState is the part of the graphics state the scan follows.
type paintState struct {
	fill, stroke colour
	lineWidth    float64
}

// colour is a device colour reduced to what the scan needs.
type colour struct {
	pattern bool
	c       []float64 // gray, RGB or CMYK components
}

// covers reports whether painting in c hides what lies beneath: paper white or near it, or dark.
func (c colour) covers() bool {
	if c.pattern {
		return true
	}
	r, g, b, ok := c.rgb()
	if !ok {
		return true
	}
	if r >= 0.85 && g >= 0.85 && b >= 0.85 {
		return true // paper white
	}
	return 0.2126*r+0.7152*g+0.0722*b < 0.5
}

// rgb is a device colour (gray, RGB or CMYK) as RGB in 0–1; false for another number of
// components.
func (c colour) rgb() (r, g, b float64, ok bool) {
	switch len(c.c) {
	case 1:
		return c.c[0], c.c[0], c.c[0], true
	case 3:
		return c.c[0], c.c[1], c.c[2], true
	case 4:
		k := c.c[3]
		return (1 - c.c[0]) * (1 - k), (1 - c.c[1]) * (1 - k), (1 - c.c[2]) * (1 - k), true
	}
	return 0, 0, 0, false
}

// paintsOver reports whether the content stream data paints anything that can hide or replace
// page content (see the rules above).
func paintsOver(data []byte) bool { return paintsOverWith(data, nil) }

// paintsOverWith is paintsOver where "/Name Do" is judged by form(name) — whether the form
// XObject of that name, scanned by the same rules, paints over — instead of counting as
// drawing; form is nil, or returns true, for anything that is not such a form (an image, a
// name the resources lack, a form too deep). Acrobat's and PDFBox's highlights draw their
// yellow band in a form with a transparency group ("/GS gs /Fm Do").
func paintsOverWith(data []byte, form func(name pdf.Name) bool) bool {
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	st := paintState{fill: colour{c: []float64{0}}, stroke: colour{c: []float64{0}}, lineWidth: 1}
	var stack []paintState
	var nums []float64
	pattern := false  // a name operand (scn with a pattern)
	var name pdf.Name // the last name operand
	for i := 0; ; i++ {
		if i > maxAppearanceTokens {
			return true
		}
		t, err := lx.Next()
		if err != nil {
			return true
		}
		switch t.Kind {
		case pdf.TokEOF:
			return false
		case pdf.TokInt:
			nums = append(nums, float64(t.Int))
			continue
		case pdf.TokReal:
			nums = append(nums, t.Real)
			continue
		case pdf.TokName:
			pattern = true
			name = pdf.Name(t.Value)
			continue
		case pdf.TokKeyword:
		default:
			continue // strings, arrays and dictionaries are operands
		}
		switch string(t.Raw) {
		case "Do":
			if !pattern || form == nil || form(name) {
				return true
			}
		case "Tj", "TJ", "'", "\"", "BI", "ID", "EI", "sh":
			return true
		case "q":
			if len(stack) < 64 {
				stack = append(stack, st)
			}
		case "Q":
			if n := len(stack); n > 0 {
				st, stack = stack[n-1], stack[:n-1]
			}
		case "w":
			if len(nums) > 0 {
				st.lineWidth = nums[len(nums)-1]
			}
		case "g", "rg", "k", "sc", "scn":
			st.fill = colour{pattern: pattern, c: append([]float64(nil), nums...)}
		case "G", "RG", "K", "SC", "SCN":
			st.stroke = colour{pattern: pattern, c: append([]float64(nil), nums...)}
		case "cs":
			st.fill = colour{c: []float64{0}}
		case "CS":
			st.stroke = colour{c: []float64{0}}
		case "f", "F", "f*":
			if st.fill.covers() {
				return true
			}
		case "B", "B*", "b", "b*":
			if st.fill.covers() || st.lineWidth > 4 && st.stroke.covers() {
				return true
			}
		case "S", "s":
			if st.lineWidth > 4 && st.stroke.covers() {
				return true
			}
		}
		nums, pattern = nums[:0], false
	}
}

// darkColour reports whether an annotation colour array (/C) is dark enough that a highlight
// drawn in it hides the text (viewers multiply it over the page).
func darkColour(v *pdf.View, o pdf.Object) bool {
	x, err := v.Resolve(o)
	if err != nil {
		return false
	}
	arr, ok := x.(pdf.Array)
	if !ok || len(arr) == 0 {
		return false // transparent or absent: nothing is painted
	}
	c := colour{}
	for _, e := range arr {
		n, ok := pdf.Number(e)
		if !ok {
			return true
		}
		c.c = append(c.c, n)
	}
	if len(c.c) != 1 && len(c.c) != 3 && len(c.c) != 4 {
		return true
	}
	var r, g, b float64
	switch len(c.c) {
	case 1:
		r, g, b = c.c[0], c.c[0], c.c[0]
	case 3:
		r, g, b = c.c[0], c.c[1], c.c[2]
	case 4:
		k := c.c[3]
		r, g, b = (1-c.c[0])*(1-k), (1-c.c[1])*(1-k), (1-c.c[2])*(1-k)
	}
	return 0.2126*r+0.7152*g+0.0722*b < 0.5
}
