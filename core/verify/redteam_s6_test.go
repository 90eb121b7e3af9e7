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
	// appendDirect adds a Square at rect drawing data as a dictionary inside array 30 or, with
	// page, inside a direct /Annots array that page 2 gets instead.
	appendDirect := func(signed []byte, page bool, rect pdf.Array, data string) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			ap := u.Add(s4Form(rect, []byte(data), font))
			a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": rect, "F": pdf.Int(4),
				"AP": pdf.Dict{"N": ap}}
			arr, _ := resolvedArray(v, pdf.Ref{Num: 30})
			arr = append(append(pdf.Array{}, arr...), a)
			if !page {
				setObj(t, u, pdf.Ref{Num: 30}, arr)
				return
			}
			p2, err := v.Page(2)
			if err != nil {
				t.Fatal(err)
			}
			pd := p2.Dict.Clone()
			pd["Annots"] = arr
			setObj(t, u, p2.Ref, pd)
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
		// A Square written directly inside the array (no object of its own), and directly
		// inside a page's own /Annots.
		{"direct-in-array", func() []byte { return appendDirect(two, false, overP2, forge(400)) }, StatusModified, "directly inside /Annots", shows("9999999")},
		{"direct-in-page", func() []byte { return appendDirect(two, true, overP2, forge(400)) }, StatusModified, "directly inside /Annots", shows("9999999")},
		{"shared-field-filled", func() []byte { return fill(two, forge(400)) }, StatusModified, "cover(s) signed content", shows("9999999")},
		{"shared-field-filled-twin", func() []byte { return fill(two, "0 g BT /F1 10 Tf 350 395 Td (ok) Tj ET") }, StatusValid, "field note filled in", nil},
	})
}

// s6Append appends an update written by hand: the objects (each "N 0 obj … endobj" in full,
// bytes as given, /Length included) in order, a table listing them and a trailer.
func s6Append(t *testing.T, signed []byte, objs []string) []byte {
	t.Helper()
	f, err := pdf.Open(bytesReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	revs := f.Revisions()
	last := revs[len(revs)-1]
	size, _ := pdf.IntOf(f.Latest().Trailer().Get("Size"))
	root, ok := rootRef(f.Latest())
	if !ok {
		t.Fatal("no /Root")
	}
	out := append([]byte{}, signed...)
	offs := map[int]int{}
	maxNum := int(size) - 1
	for _, o := range objs {
		var n int
		if _, err := fmt.Sscanf(o, "%d 0 obj", &n); err != nil {
			t.Fatalf("object %q: %v", o[:min(20, len(o))], err)
		}
		offs[n] = len(out)
		out = append(out, o...)
		maxNum = max(maxNum, n)
	}
	xref := len(out)
	out = append(out, "xref\n0 1\n0000000000 65535 f \n"...)
	for _, o := range objs {
		var n int
		fmt.Sscanf(o, "%d 0 obj", &n)
		out = append(out, fmt.Sprintf("%d 1\n%010d 00000 n \n", n, offs[n])...)
	}
	out = append(out, fmt.Sprintf("trailer\n<</Size %d/Root %d %d R/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", maxNum+1, root.Num, root.Gen, last.XRefOffset, xref)...)
	return out
}

// TestRedTeamStreamLength (s6 F4): an added appearance whose /Length runs over "endstream
// endobj" into the next object. This verifier and PDFium (the cover check) take the data up to
// the keyword — an empty form — while poppler reads the declared length and draws the next
// object's bytes: a white box and a new amount, valid before. A /Length too short (poppler cuts
// off the redrawing of the signed text after a white box), missing, or indirect and wrong is
// the same differential, as is a wrong /Length in a form the appearance draws. Every stream
// written after signing must end exactly at its endstream; the twins, with right lengths and
// the same bytes otherwise, stay valid.
func TestRedTeamStreamLength(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	certified := s.sign(t, plain, sigOpts{certify: 3})
	const forged = "1 g 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
	const redraw = "1 g 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	const rect = "[60 690 460 730]"
	const res = "/Resources<</Font<</F1 5 0 R>>>>"
	// annotate appends Square 90 (appearance 91) to page 3 and the given streams.
	annotate := func(signed []byte, streams ...string) []byte {
		f, err := pdf.Open(bytesReader(signed), int64(len(signed)), nil)
		if err != nil {
			t.Fatal(err)
		}
		v := f.Latest()
		p := pageOf(t, v)
		pd := p.Dict.Clone()
		arr, _ := resolvedArray(v, pd.Get("Annots"))
		pd["Annots"] = append(append(pdf.Array{}, arr...), pdf.Ref{Num: 90})
		page, err := pdf.AppendObject(nil, pd)
		if err != nil {
			t.Fatal(err)
		}
		objs := []string{
			fmt.Sprintf("%d 0 obj\n%s\nendobj\n", p.Ref.Num, page),
			"90 0 obj\n<</Type/Annot/Subtype/Square/Rect" + rect + "/F 4/AP<</N 91 0 R>>>>\nendobj\n",
		}
		return s6Append(t, signed, append(objs, streams...))
	}
	// form writes stream object n with dictionary entries dict, data, and the /Length entry
	// length ("" for none; "%d" is the data's length).
	form := func(n int, dict, data, length string) string {
		l := ""
		if length != "" {
			l = "/Length " + strings.ReplaceAll(length, "%d", fmt.Sprint(len(data)))
		}
		return fmt.Sprintf("%d 0 obj\n<<%s%s>>stream\n%s\nendstream\nendobj\n", n, dict, l, data)
	}
	ap := "/Type/XObject/Subtype/Form/BBox" + rect + res
	// swallow: appearance 91 draws nothing up to its endstream; its /Length (direct, or in
	// object 93) runs into stream 92, which paints the forgery, and ends inside "endobj".
	swallow := func(signed []byte, indirect, right bool) []byte {
		const empty = "0 g 0 0 0 0 re f"
		next := form(92, "", forged, "%d")
		long := len(empty) + len("\nendstream\nendobj\n") + strings.Index(next, "endstream") + len("endstream\ne")
		if right {
			long = len(empty)
		}
		l := fmt.Sprint(long)
		var extra []string
		if indirect {
			l = "93 0 R"
			extra = append(extra, fmt.Sprintf("93 0 obj\n%d\nendobj\n", long))
		}
		return annotate(signed, append([]string{form(91, ap, empty, l), next}, extra...)...)
	}
	// short: the appearance paints a white box and redraws the signed text; its /Length ends
	// after the box (poppler erases the amount), is missing, or is right.
	short := func(signed []byte, length string) []byte {
		return annotate(signed, form(91, ap, redraw, length))
	}
	cut := fmt.Sprint(len("1 g 60 690 400 40 re f"))
	// nested: the appearance draws form 92, whose /Length swallows stream 94 (the forgery).
	nested := func(right bool) []byte {
		const empty = "0 g 0 0 0 0 re f"
		next := form(94, "", forged, "%d")
		long := len(empty) + len("\nendstream\nendobj\n") + strings.Index(next, "endstream") + len("endstream\ne")
		if right {
			long = len(empty)
		}
		return annotate(signed, form(91, "/Type/XObject/Subtype/Form/BBox"+rect+"/Resources<</XObject<</X 92 0 R>>>>", "/X Do", "%d"),
			form(92, "/Type/XObject/Subtype/Form/BBox"+rect+res, empty, fmt.Sprint(long)), next)
	}
	shows := func(want string) func(t *testing.T, d []byte) {
		return func(t *testing.T, d []byte) {
			if got := popplerText(t, d); !strings.Contains(got, want) {
				t.Fatalf("poppler does not show %q: %q", want, got)
			}
		}
	}
	const why = "reads differently in different viewers"
	runRows(t, s, []rtRow{
		{"too-long", func() []byte { return swallow(signed, false, false) }, StatusModified, why, shows("9999999")},
		{"too-long-twin", func() []byte { return swallow(signed, false, true) }, StatusValid, "Square annotation added", nil},
		{"too-long-p3", func() []byte { return swallow(certified, false, false) }, StatusModified, why, shows("9999999")},
		{"too-long-p3-twin", func() []byte { return swallow(certified, false, true) }, StatusValid, "Square annotation added", nil},
		{"too-long-indirect", func() []byte { return swallow(signed, true, false) }, StatusModified, why, shows("9999999")},
		{"too-long-indirect-twin", func() []byte { return swallow(signed, true, true) }, StatusValid, "Square annotation added", nil},
		{"too-short", func() []byte { return short(signed, cut) }, StatusModified, why, nil},
		{"missing", func() []byte { return short(signed, "") }, StatusModified, why, nil},
		{"too-short-twin", func() []byte { return short(signed, "%d") }, StatusValid, "Square annotation added", nil},
		{"nested-form", func() []byte { return nested(false) }, StatusModified, why, shows("9999999")},
		{"nested-form-twin", func() []byte { return nested(true) }, StatusValid, "Square annotation added", nil},
	})
}
