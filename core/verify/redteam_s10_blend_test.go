package verify

import (
	"testing"

	"sealdesk/core/pdf"
)

// TestRedTeamS10BlendModes (red team s10 WIN 6–8): blend modes readers draw differently. An
// added annotation's appearance fills a white box with /BM /Multiply inside an isolated (or
// knockout) transparency group: PDFium blends it with the page (white × page = no change),
// MuPDF composites the group onto a transparent backdrop and lands it as opaque white, erasing
// the signed amount. Text drawn with /BM /Hue (or Lighten, Screen, …) over an achromatic page is
// invisible to PDFium, pdf.js and MuPDF, and poppler paints it as if Normal. In an added
// appearance only Normal and Multiply are allowed, Multiply neither for text nor inside an
// isolated or knockout group, and an annotation's own /BM (PDF 2.0) must be Normal. The twins —
// a white Multiply box without isolation, a yellow highlight over the amount, Normal text in
// blank space — are judged by the rendering and stay valid.
func TestRedTeamS10BlendModes(t *testing.T) {
	s, f := newS9Fixture(t)
	gs := func(bm pdf.Object) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict {
			return pdf.Dict{"ExtGState": pdf.Dict{"G": pdf.Dict{"Type": pdf.Name("ExtGState"), "BM": bm}}}
		}
	}
	// grouped: a Square annotation whose appearance is a transparency group (isolated, knockout
	// or neither) filling content with the blend mode bm.
	grouped := func(rect pdf.Array, content string, bm pdf.Name, group pdf.Dict) []byte {
		return s4Annot(t, f.signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			st := s4Form(rect, []byte(content), gs(bm)(u))
			g := pdf.Dict{"S": pdf.Name("Transparency")}
			for k, v := range group {
				g[k] = v
			}
			st.Dict["Group"] = g
			return u.Add(st)
		}, nil)
	}
	const whiteBox = "/G gs 1 1 1 rg " + s9Box
	const ok = "Square annotation added"
	muShows, popShows := readersShow(f.signed, 200, "mupdf"), readersShow(f.signed, 200, "poppler")
	runRows(t, s, []rtRow{
		{"WIN 6: a white Multiply box in an isolated group over the amount (MuPDF erases it)", func() []byte {
			return grouped(f.over, whiteBox, "Multiply", pdf.Dict{"I": pdf.Bool(true)})
		}, StatusModified, "inside an isolated or knockout transparency group", muShows},
		{"the same in a knockout group", func() []byte {
			return grouped(f.over, whiteBox, "Multiply", pdf.Dict{"K": pdf.Bool(true)})
		}, StatusModified, "inside an isolated or knockout transparency group", nil},
		{"the same one form deeper", func() []byte {
			return s4Annot(t, f.signed, "Square", f.over, func(u *pdf.Update) pdf.Object {
				inner := s4Form(f.over, []byte(whiteBox), gs(pdf.Name("Multiply"))(u))
				outer := s4Form(f.over, []byte("/X Do"), pdf.Dict{"XObject": pdf.Dict{"X": u.Add(inner)}})
				outer.Dict["Group"] = pdf.Dict{"S": pdf.Name("Transparency"), "I": pdf.Bool(true)}
				return u.Add(outer)
			}, nil)
		}, StatusModified, "inside an isolated or knockout transparency group", nil},
		{"twin: the white Multiply box without isolation (every reader: no change)", func() []byte {
			return grouped(f.over, whiteBox, "Multiply", nil)
		}, StatusValid, ok, nil},
		{"twin: a yellow Multiply highlight over the amount", func() []byte {
			return f.square(f.over, "/G gs 1 1 0 rg "+s9Box, gs(pdf.Name("Multiply")))
		}, StatusValid, ok, nil},
		{"WIN 8: text drawn with /BM /Hue beside the amount (poppler paints it)", func() []byte {
			return f.square(f.over, "/G gs 0 g "+s9Amount, gs(pdf.Name("Hue")))
		}, StatusModified, "blend mode /Hue", popShows},
		{"text drawn with /BM /Lighten", func() []byte {
			return f.square(f.over, "/G gs 0 g "+s9Amount, gs(pdf.Name("Lighten")))
		}, StatusModified, "blend mode /Lighten", nil},
		{"text drawn with /BM /Multiply", func() []byte {
			return f.square(f.over, "/G gs 1 1 1 rg "+s9Amount, gs(pdf.Name("Multiply")))
		}, StatusModified, "text shown with blend mode /Multiply", nil},
		{"a fill with /BM /Screen, never used for text", func() []byte {
			return f.square(f.away, "/G gs 0 g "+s9Away, gs(pdf.Name("Screen")))
		}, StatusModified, "/BM /Screen, a blend mode readers draw differently", nil},
		{"/BM [/Hue /Normal]: readers take the first they know", func() []byte {
			return f.square(f.away, "/G gs 0 g "+s9Away, gs(pdf.Array{pdf.Name("Hue"), pdf.Name("Normal")}))
		}, StatusModified, "/BM naming /Hue", nil},
		{"the annotation's own /BM /Lighten (PDF 2.0)", func() []byte {
			return s4Annot(t, f.signed, "Square", f.away, func(u *pdf.Update) pdf.Object {
				return u.Add(s4Form(f.away, []byte("0 g "+s9Away), nil))
			}, pdf.Dict{"BM": pdf.Name("Lighten")})
		}, StatusModified, "an annotation /BM other than /Normal", nil},
		{"twin: Normal text in blank space", func() []byte {
			return f.square(f.away, "/G gs 0 g BT /F1 12 Tf 330 120 Td (Noted) Tj ET", gs(pdf.Name("Normal")))
		}, StatusValid, ok, nil},
	})
}
