package verify

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s6. Each generator appends one update to a document signed in the test (test PKI made
// here) and has a harmless twin that must stay valid.

// s6AnnotsDoc writes a two-page PDF whose pages show a line of text each (page 1 at y 700,
// page 2 at y 400, so that a box over one is blank space on the other) and take their
// annotations from the indirect array object 30: page 1 always, page 2 too when shared.
// Object 31 is a small Square in the bottom corner (appearance 32) listed in that array, 33
// the widget of the empty text field "note", over page 2's text, listed there too.
func s6AnnotsDoc(shared bool) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := map[int]int{}
	obj := func(n int, body string) {
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	p2Annots := ""
	if shared {
		p2Annots = "/Annots 30 0 R"
	}
	obj(1, "<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[33 0 R]/DA(/Helv 0 Tf 0 g)/DR<</Font<</Helv 5 0 R>>>>>>>>")
	obj(2, "<</Type/Pages/Kids[3 0 R 6 0 R]/Count 2>>")
	obj(3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R/Annots 30 0 R>>")
	obj(4, streamObj("", "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"))
	obj(5, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>")
	obj(6, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>/Contents 7 0 R"+p2Annots+">>")
	obj(7, streamObj("", "BT /F1 24 Tf 72 400 Td (Page 2: 1000000 yuan) Tj ET"))
	obj(30, "[31 0 R 33 0 R]")
	obj(31, "<</Type/Annot/Subtype/Square/Rect[500 50 520 70]/F 4/P 3 0 R/AP<</N 32 0 R>>>>")
	obj(32, streamObj("/Type/XObject/Subtype/Form/BBox[500 50 520 70]", "0 0 1 RG 501 51 18 18 re S"))
	obj(33, "<</Type/Annot/Subtype/Widget/FT/Tx/T(note)/Rect[60 390 400 430]/F 4/P 3 0 R/DA(/Helv 12 Tf 0 g)>>")
	size := 34
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", size)
	for n := 1; n < size; n++ {
		if off, ok := offs[n]; ok {
			fmt.Fprintf(&b, "%010d 00000 n \n", off)
		} else {
			b.WriteString("0000000000 00000 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", size, xref)
	return b.Bytes()
}

// TestRedTeamIndirectAnnots (s6 F9): a page's /Annots is an indirect array object. An update
// that appends a Square to that array object — the page dictionary untouched — was listed as
// "annotation array 30: Square annotation added" and never reached the cover check: a white
// box and a new amount over the signed amount were valid, also on a second page sharing the
// array, also under P=3. A changed annotation of a shared array was checked only on the first
// page listing it. Annotations are now judged on every page that shows them, whatever object
// changed; the twins draw in blank space and stay valid.
func TestRedTeamIndirectAnnots(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	one := s.sign(t, s6AnnotsDoc(false), sigOpts{})
	two := s.sign(t, s6AnnotsDoc(true), sigOpts{})
	twoP3 := s.sign(t, s6AnnotsDoc(true), sigOpts{certify: 3})
	overP1 := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(400), pdf.Int(730)}
	overP2 := pdf.Array{pdf.Int(60), pdf.Int(390), pdf.Int(400), pdf.Int(430)}
	corner := pdf.Array{pdf.Int(400), pdf.Int(40), pdf.Int(480), pdf.Int(80)}
	forge := func(y int) string {
		return fmt.Sprintf("1 g 60 %d 340 40 re f 0 g BT /F1 24 Tf 72 %d Td (Pay 9999999 yuan) Tj ET", y-10, y)
	}
	font := pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}
	// appendToArray adds a Square at rect drawing data to array object 30 alone.
	appendToArray := func(signed []byte, rect pdf.Array, data string) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			ap := u.Add(s4Form(rect, []byte(data), font))
			a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": rect, "F": pdf.Int(4),
				"AP": pdf.Dict{"N": ap}})
			arr, _ := resolvedArray(v, pdf.Ref{Num: 30})
			setObj(t, u, pdf.Ref{Num: 30}, append(append(pdf.Array{}, arr...), a))
		})
	}
	// changeShared moves the signed Square 31 to rect with a new appearance drawing data.
	changeShared := func(signed []byte, rect pdf.Array, data string) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			ap := u.Add(s4Form(rect, []byte(data), font))
			d := v.Dict(pdf.Ref{Num: 31}).Clone()
			d["Rect"] = rect
			d["AP"] = pdf.Dict{"N": ap}
			setObj(t, u, pdf.Ref{Num: 31}, d)
		})
	}
	// fill fills the text field "note" with an appearance drawing data.
	fill := func(signed []byte, data string) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			rect := pdf.Array{pdf.Int(60), pdf.Int(390), pdf.Int(400), pdf.Int(430)}
			d := v.Dict(pdf.Ref{Num: 33}).Clone()
			d["V"] = pdf.String{Bytes: []byte("ok")}
			d["AP"] = pdf.Dict{"N": u.Add(s4Form(rect, []byte(data), font))}
			setObj(t, u, pdf.Ref{Num: 33}, d)
		})
	}
	shows := func(want string) func(t *testing.T, d []byte) {
		return func(t *testing.T, d []byte) {
			if got := popplerText(t, d); !strings.Contains(got, want) {
				t.Fatalf("poppler does not show %q: %q", want, got)
			}
		}
	}
	const covers = "cover(s) signed content"
	runRows(t, s, []rtRow{
		{"one-page", func() []byte { return appendToArray(one, overP1, forge(700)) }, StatusModified, covers, shows("9999999")},
		{"one-page-twin", func() []byte { return appendToArray(one, corner, "0 0 1 RG 401 41 78 38 re S") }, StatusValid, "page 1: Square annotation added", nil},
		{"shared-page2", func() []byte { return appendToArray(two, overP2, forge(400)) }, StatusModified, "page 2: Square annotation", shows("9999999")},
		{"shared-page2-erase", func() []byte { return appendToArray(two, overP2, "1 g 60 390 340 40 re f") }, StatusModified, "page 2: Square annotation", nil},
		{"shared-page2-twin", func() []byte { return appendToArray(two, corner, "0 0 1 RG 401 41 78 38 re S") }, StatusValid, "page 2: Square annotation added", nil},
		{"shared-p3", func() []byte { return appendToArray(twoP3, overP2, forge(400)) }, StatusModified, "page 2: Square annotation", shows("9999999")},
		{"shared-p3-twin", func() []byte { return appendToArray(twoP3, corner, "0 0 1 RG 401 41 78 38 re S") }, StatusValid, "Square annotation added", nil},
		// The signed Square of the shared array, moved over page 2's amount: its /P and the
		// first page listing it are page 1, where that area is blank.
		{"shared-changed", func() []byte { return changeShared(two, overP2, forge(400)) }, StatusModified, "page 2: Square annotation", shows("9999999")},
		{"shared-changed-twin", func() []byte { return changeShared(two, corner, "1 0 0 RG 401 41 78 38 re S") }, StatusValid, "Square annotation modified", nil},
		// A field whose widget the shared array lists, its /P page 1 (blank there), filled
		// with an appearance over page 2's amount.
		{"shared-field-filled", func() []byte { return fill(two, forge(400)) }, StatusModified, "cover(s) signed content", shows("9999999")},
		{"shared-field-filled-twin", func() []byte { return fill(two, "0 g BT /F1 10 Tf 350 395 Td (ok) Tj ET") }, StatusValid, "field note filled in", nil},
	})
}
