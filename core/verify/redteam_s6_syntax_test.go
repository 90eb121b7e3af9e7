package verify

import (
	"fmt"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s6 F7 and F8 (coversyntax.go): an added appearance whose content PDFium — the cover
// check's renderer — reads differently from poppler and MuPDF. A white box over the signed amount
// with a 20-digit height, in a 2^31 cm scale, along a path to a 20-digit y, in a nested form
// whose /BBox is 10^18, or with a --40 height (MuPDF reads -40) was valid; so was a text clip
// (7 Tr) with a font without /BaseFont, at size 0 or with a singular text matrix followed by a
// white fill (PDFium clips to nothing, poppler sets no clip and erases the line). Each is now an
// evil annotation; the twins (the same drawing in strict syntax, in a blank area) stay valid.
func TestRedTeamContentSyntax(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	helv := pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica")}
	nobase := pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1")}
	// square: a Square annotation at rect whose appearance (BBox = rect) is content with resources res.
	square := func(rect pdf.Array, content string, res pdf.Dict) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(rect, []byte(content), res))
		}, nil)
	}
	// nested: the appearance draws form X (BBox bbox) that fills white over the amount.
	nested := func(rect, bbox pdf.Array, content string) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			x := u.Add(s4Form(bbox, []byte(content), nil))
			return u.Add(s4Form(rect, []byte("/X Do"), pdf.Dict{"XObject": pdf.Dict{"X": x}}))
		}, nil)
	}
	// type3: the appearance shows the one glyph (a blue 1000-unit square) of a Type 3 font with matrix m.
	type3 := func(rect, m pdf.Array) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			proc := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("1000 0 d0 0 0 1 rg 0 0 1000 1000 re f")})
			font := u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
				"FontBBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1000), pdf.Int(1000)}, "FontMatrix": m,
				"CharProcs": pdf.Dict{"a": proc}, "Encoding": pdf.Dict{"Differences": pdf.Array{pdf.Int(97), pdf.Name("a")}},
				"FirstChar": pdf.Int(97), "LastChar": pdf.Int(97), "Widths": pdf.Array{pdf.Int(1000)}})
			x, y := rect[0].(pdf.Int)+10, rect[1].(pdf.Int)+10
			return u.Add(s4Form(rect, []byte(fmt.Sprintf("BT /T 20 Tf %d %d Td (a) Tj ET", x, y)), pdf.Dict{"Font": pdf.Dict{"T": font}}))
		}, nil)
	}
	fonts := func(f pdf.Dict) pdf.Dict { return pdf.Dict{"Font": pdf.Dict{"F": f}} }
	const why = "readers draw differently"
	const ok = "Square annotation added"
	erased := rendersDifferently(signed)
	huge := pdf.Int(1_000_000_000_000_000_000)
	runRows(t, s, []rtRow{
		// F7: numbers out of range or not in PDF syntax.
		{"huge-integer-height", func() []byte { return square(over, "1 g 60 690 240 99999999999999999999 re f", nil) }, StatusModified, "out of the range readers agree on", erased},
		{"integer-2^31-height", func() []byte { return square(over, "1 g 60 690 240 2147483648 re f", nil) }, StatusModified, "out of the range", erased},
		{"huge-real-height", func() []byte { return square(over, "1 g 60 690 240 99999999999999999999.5 re f", nil) }, StatusModified, "out of the range", erased},
		{"huge-cm-scale", func() []byte { return square(over, "1 0 0 99999999999999999999 60 690 cm 1 g 0 0 240 1 re f", nil) }, StatusModified, "out of the range", erased},
		{"huge-path", func() []byte {
			return square(over, "1 g 60 690 m 300 690 l 300 99999999999999999999 l 60 99999999999999999999 l h f", nil)
		}, StatusModified, "out of the range", erased},
		{"double-minus-height", func() []byte { return square(over, "1 g 60 730 240 --40 re f", nil) }, StatusModified, "not in PDF syntax", nil},
		{"nested-form-huge-bbox", func() []byte {
			return nested(over, pdf.Array{pdf.Int(0), pdf.Int(0), huge, huge}, "1 g 60 690 240 40 re f")
		}, StatusModified, "/BBox that is not four numbers in range", erased},
		{"nested-form-singular-matrix", func() []byte {
			return s4Annot(t, signed, "Square", over, func(u *pdf.Update) pdf.Object {
				f := s4Form(over, []byte("1 g 60 690 240 40 re f"), nil)
				f.Dict["Matrix"] = pdf.Array{pdf.Int(1), pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}
				x := u.Add(f)
				return u.Add(s4Form(over, []byte("/X Do"), pdf.Dict{"XObject": pdf.Dict{"X": x}}))
			}, nil)
		}, StatusModified, "singular /Matrix", nil},
		{"missing-operand", func() []byte { return square(over, "1 g 60 690 240 re f", nil) }, StatusModified, "operator re with operands", nil},
		{"extra-operand", func() []byte { return square(over, "1 g 5 60 690 240 40 re f", nil) }, StatusModified, "operator re with operands", nil},
		{"unknown-operator", func() []byte { return square(over, "1 g 60 690 240 40 re xx f", nil) }, StatusModified, "unknown operator", nil},
		{"singular-cm", func() []byte { return square(over, "0 0 0 0 60 690 cm 1 g 0 0 240 40 re f", nil) }, StatusModified, "singular matrix in cm", nil},
		{"strict-numbers-twin", func() []byte {
			return square(away, "0 0 1 rg .5 w 330.25 110 20 30.5 re f -1 0 0 -1 900 270 cm 330 110 10 10 re f", nil)
		}, StatusValid, ok, nil},
		{"compatibility-section-twin", func() []byte { return square(away, "BX 1 2 xx EX 0 0 1 rg 330 110 20 30 re f", nil) }, StatusValid, ok, nil},
		{"nested-form-twin", func() []byte { return nested(away, away, "0 0 1 rg 330 110 20 30 re f") }, StatusValid, ok, nil},
		{"huge-rect", func() []byte {
			rect := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(99_999_999_999)}
			return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
				return u.Add(s4Form(over, []byte("1 g 60 690 240 40 re f"), nil))
			}, nil)
		}, StatusModified, "/Rect that is not four numbers in range", nil},
		{"type3-singular-font-matrix", func() []byte {
			return type3(over, pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)})
		}, StatusModified, "singular /FontMatrix", nil},
		{"type3-huge-font-matrix", func() []byte {
			return type3(over, pdf.Array{huge, pdf.Int(0), pdf.Int(0), huge, pdf.Int(0), pdf.Int(0)})
		}, StatusModified, "/FontMatrix is not six numbers in range", nil},
		{"type3-twin", func() []byte {
			return type3(away, pdf.Array{pdf.Real{Value: 0.001}, pdf.Int(0), pdf.Int(0), pdf.Real{Value: 0.001}, pdf.Int(0), pdf.Int(0)})
		}, StatusValid, ok, nil},
		// F8: text clips readers set differently.
		{"clip-font-without-basefont", func() []byte {
			return square(over, "BT 7 Tr /F 60 Tf 70 700 Td (MMMM) Tj ET 1 g 60 690 240 40 re f", fonts(nobase))
		}, StatusModified, "no /BaseFont", erased},
		{"clip-font-size-0", func() []byte {
			return square(over, "BT 7 Tr /F 0 Tf 70 700 Td (MMMM) Tj ET 1 g 60 690 240 40 re f", fonts(helv))
		}, StatusModified, "font size 0", erased},
		{"clip-singular-text-matrix", func() []byte {
			return square(over, "BT 7 Tr /F 60 Tf 1 0 0 0 70 700 Tm (MMMM) Tj ET 1 g 60 690 240 40 re f", fonts(helv))
		}, StatusModified, "singular text matrix", erased},
		{"clip-unknown-font-name", func() []byte {
			return square(over, "BT 7 Tr /G 60 Tf 70 700 Td (MMMM) Tj ET 1 g 60 690 240 40 re f", fonts(helv))
		}, StatusModified, "without a font", nil},
		{"clip-then-form", func() []byte {
			return s4Annot(t, signed, "Square", over, func(u *pdf.Update) pdf.Object {
				x := u.Add(s4Form(over, []byte("BT /F 0 Tf (MMMM) Tj ET 1 g 60 690 240 40 re f"), fonts(helv)))
				return u.Add(s4Form(over, []byte("7 Tr /X Do"), pdf.Dict{"XObject": pdf.Dict{"X": x}}))
			}, nil)
		}, StatusModified, "form drawn in text clip mode", nil},
		{"clip-standard-font-twin", func() []byte {
			return square(away, "BT 7 Tr /F 40 Tf 330 110 Td (MM) Tj ET 0 0 1 rg 320 100 240 60 re f", fonts(helv))
		}, StatusValid, ok, nil},
		// A font without /BaseFont is not one readers load alike (red team s7 G8, coverstate.go),
		// even where it only fills text in a blank area.
		{"fill-font-without-basefont", func() []byte {
			return square(away, "BT /F 0 Tf 330 110 Td (MM) Tj ET 0 0 1 rg 330 110 20 30 re f", fonts(nobase))
		}, StatusModified, "without /BaseFont", nil},
		{"fill-standard-font-twin", func() []byte {
			return square(away, "BT /F 0 Tf 330 110 Td (MM) Tj ET 0 0 1 rg 330 110 20 30 re f", fonts(helv))
		}, StatusValid, ok, nil},
	})
}
