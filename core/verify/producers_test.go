package verify

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki"
)

// Legitimate files of other producers that were refused (the producers campaign of session 10:
// poppler's pdfsig, PDFBox 2.0.27, iText 2.1.7, @signpdf, digitorus/pdfsign), each rebuilt here
// with the producer's structure, next to an attack twin that the fix must not let through.

// rawObj is one object of a hand-written incremental update: its number and its body.
type rawObj struct {
	num  int
	body string
}

// rawUpdate appends to in the objects, in order, and a cross-reference table whose subsections
// list them as given: each subsection is a run of indexes into objs (consecutive numbers), so
// that one number may be listed twice, as PDFBox 2 does.
func rawUpdate(t testing.TB, in []byte, objs []rawObj, subsections [][]int) []byte {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(in), int64(len(in)), nil)
	if err != nil {
		t.Fatal(err)
	}
	last := f.Revisions()[len(f.Revisions())-1]
	size, _ := pdf.IntOf(last.Trailer.Get("Size"))
	root, _ := last.Trailer.Get("Root").(pdf.Ref)
	b := bytes.NewBuffer(append([]byte{}, in...))
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(b, "%d 0 obj\n%s\nendobj\n", o.num, o.body)
		size = max(size, int64(o.num+1))
	}
	xref := b.Len()
	b.WriteString("xref\n0 1\n0000000000 65535 f \n")
	for _, sub := range subsections {
		fmt.Fprintf(b, "%d %d\n", objs[sub[0]].num, len(sub))
		for _, i := range sub {
			fmt.Fprintf(b, "%010d 00000 n \n", offs[i])
		}
	}
	fmt.Fprintf(b, "trailer\n<</Size %d/Root %s/Prev %d>>\nstartxref\n%d\n%%%%EOF\n", size, root.String(), last.XRefOffset, xref)
	return b.Bytes()
}

// nextNum is the first object number the latest revision of data leaves free (its /Size).
func nextNum(t testing.TB, data []byte) int {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := pdf.IntOf(f.Revisions()[len(f.Revisions())-1].Trailer.Get("Size"))
	return int(n)
}

// annotRefs lists the references of page object 3's /Annots in the latest revision of data.
func annotRefs(t testing.TB, data []byte) []string {
	t.Helper()
	f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	v := f.Latest()
	o, _ := v.Resolve(v.Dict(pdf.Ref{Num: 3}).Get("Annots"))
	arr, _ := o.(pdf.Array)
	var out []string
	for _, r := range arr {
		if r, ok := r.(pdf.Ref); ok {
			out = append(out, r.String())
		}
	}
	return out
}

// codesOf lists the change codes of signature i.
func codesOf(rep *Report, i int) string {
	var codes []string
	for _, d := range rep.Signatures[i].ChangeDetails {
		codes = append(codes, d.Code)
	}
	return strings.Join(codes, " ")
}

// PDFBox 2's incremental save (saveIncremental with a set of objects, as its examples add
// annotations, DSS and document timestamps) writes an object it reaches twice: "18 0 obj" two
// times, listed by two subsections of one table ("18 1" then "18 4"). Both copies the same
// object: a reader taking either listing reads the same, and the second copy is no hidden
// object. A second copy that differs is.
func TestProducerPDFBoxRelistedObject(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(t, doc, sigOpts{})
	n := nextNum(t, signed)
	page := "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612.0 792]/Resources<</Font<</F1 5 0 R>>/XObject<</Cover 6 0 R>>>>/Contents 4 0 R/Annots[" + strings.Join(annotRefs(t, signed), " ") + " %d 0 R]>>"
	note := "<<\n/Type /Annot\n/Subtype /Text\n/Rect [%s]\n/Contents (Reviewed)\n/C [1.0 1.0 0.0]\n/P 3 0 R\n/AP %d 0 R\n/F 24\n>>"
	icon := "/DeviceRGB cs\n1 1 0 sc\n4 M\n1 j\n0 J\n0.61 w\n1 1 16 18 re\n4.5 5.7143 m\n12.5 5.7143 l\n4.5 8.5714 m\n12.5 8.5714 l\nB\n"
	build := func(second string) []byte {
		objs := []rawObj{
			{3, fmt.Sprintf(page, n)},
			{n, fmt.Sprintf(note, "540.0 740.0 558.0 760.0", n+1)},
			{n, fmt.Sprintf(note, second, n+1)},
			{n + 1, fmt.Sprintf("<<\n/N %d 0 R\n>>", n+2)},
			{n + 2, fmt.Sprintf("<<\n/Length %d\n/Type /XObject\n/Subtype /Form\n/BBox [0.0 0.0 18.0 20.0]\n/Resources %d 0 R\n>>\nstream\n%s\nendstream", len(icon), n+3, icon)},
			{n + 3, "<<\n>>"},
		}
		return rawUpdate(t, signed, objs, [][]int{{0}, {1}, {2, 3, 4, 5}})
	}
	for _, tc := range []struct {
		name   string
		second string // the second copy's /Rect
		want   Verdict
		code   string
	}{
		{"same copy twice", "540.0 740.0 558.0 760.0", StatusValid, ""},
		// The second copy moves the note over the amount: which copy a reader takes decides.
		{"second copy differs", "72.0 690.0 290.0 730.0", StatusModified, ChangeHiddenObject},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyBytes(t, build(tc.second), s.store())
			if rep.Signatures[0].Status != tc.want || (tc.code != "" && !strings.Contains(codesOf(rep, 0), tc.code)) {
				t.Fatalf("status %s, codes %q, want %s %s:\n%s", rep.Signatures[0].Status, codesOf(rep, 0), tc.want, tc.code, dump(rep))
			}
		})
	}
}

// Acrobat's and PDFBox's highlight appearances draw the band in nested forms: "/gs1 gs /gs2 gs
// /Form1 Do" (gs2 the Multiply blend), Form1 a transparency group drawing Form1 of its own
// resources, which fills the quadrilateral in yellow. The appearance pre-filter follows the
// forms; what they draw is judged as if drawn in the appearance itself, and the rendering
// still judges the page.
func TestProducerHighlightNestedForms(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(t, doc, sigOpts{})
	const yellow = "/DeviceRGB cs\n1 1 0 sc\n72 694 m\n68 698 68 718 72 722 c\n290 722 l\n294 718 294 698 290 694 c\nf\n"
	build := func(inner string, blend bool) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			rect := pdf.Array{pdf.Real{Value: 67.5}, pdf.Real{Value: 689.5}, pdf.Real{Value: 295}, pdf.Real{Value: 727}}
			form := func(data string, res pdf.Dict, group bool) pdf.Ref {
				d := pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": rect}
				if res != nil {
					d["Resources"] = res
				}
				if group {
					d["Group"] = pdf.Dict{"S": pdf.Name("Transparency")}
				}
				return u.Add(&pdf.Stream{Dict: d, Data: []byte(data)})
			}
			c := form(inner, pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}}, false)
			b := form("/Form1 Do", pdf.Dict{"XObject": pdf.Dict{"Form1": c}}, true)
			gs2 := pdf.Dict{"Type": pdf.Name("ExtGState"), "AIS": pdf.Bool(false)}
			if blend {
				gs2["BM"] = pdf.Name("Multiply")
			}
			a := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": rect,
				"Matrix": pdf.Array{pdf.Real{Value: 1}, pdf.Real{Value: 0}, pdf.Real{Value: 0}, pdf.Real{Value: 1}, pdf.Real{Value: -67.5}, pdf.Real{Value: -689.5}},
				"Resources": pdf.Dict{
					"ExtGState": pdf.Dict{"gs1": pdf.Dict{"Type": pdf.Name("ExtGState"), "AIS": pdf.Bool(false), "CA": pdf.Real{Value: 1}, "ca": pdf.Real{Value: 1}}, "gs2": gs2},
					"XObject":   pdf.Dict{"Form1": b}}},
				Data: []byte("/gs1 gs\n/gs2 gs\n/Form1 Do\n")})
			h := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Highlight"), "Rect": rect, "P": pdf.Ref{Num: 3},
				"C":          pdf.Array{pdf.Real{Value: 1}, pdf.Real{Value: 1}, pdf.Real{Value: 0}},
				"QuadPoints": pdf.Array{pdf.Int(72), pdf.Int(722), pdf.Int(290), pdf.Int(722), pdf.Int(72), pdf.Int(694), pdf.Int(290), pdf.Int(694)},
				"AP":         pdf.Dict{"N": a}})
			pd := v.Dict(pdf.Ref{Num: 3}).Clone()
			old, _ := v.Resolve(pd.Get("Annots"))
			arr, _ := old.(pdf.Array)
			pd["Annots"] = append(append(pdf.Array{}, arr...), h)
			if err := u.Set(pdf.Ref{Num: 3}, pd); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		inner string
		blend bool
		want  Verdict
		code  string
	}{
		{"PDFBox highlight", yellow, true, StatusValid, ""},
		// Twins: the innermost form writes a new amount, paints paper white over the old one,
		// or fills yellow without the Multiply blend (opaque over the text: the rendering).
		{"inner form draws text", "BT /F1 24 Tf 72 700 Td (Pay 9000000 yuan) Tj ET", true, StatusModified, ChangeEvilAnnot},
		{"inner form paints white", strings.Replace(yellow, "1 1 0 sc", "1 1 1 sc", 1), true, StatusModified, ChangeEvilAnnot},
		{"opaque yellow", yellow, false, StatusModified, ChangeCoversContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyBytes(t, build(tc.inner, tc.blend), s.store())
			if rep.Signatures[0].Status != tc.want || (tc.code != "" && !strings.Contains(codesOf(rep, 0), tc.code)) {
				t.Fatalf("status %s, codes %q, want %s %s:\n%s", rep.Signatures[0].Status, codesOf(rep, 0), tc.want, tc.code, dump(rep))
			}
		})
	}
}

// poppler's pdfsig writes a signature field whose /DA names a /DR font (/popplerfont); a later
// signer that rewrites the form (digitorus/pdfsign) leaves /DR out. No reader draws a value
// from a signature field's /DA, so that font is not one "the fields use". A text field whose
// /DA names it is: its value would be restyled.
func TestProducerPdfsigSignatureDA(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	for _, tc := range []struct {
		name      string
		textField bool // a text field whose /DA names the font too
		want      Verdict
		code      string
	}{
		{"pdfsig then digitorus", false, StatusValid, ""},
		{"text field uses the font", true, StatusModified, ChangeForm},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := makeDoc(docOpts{})
			doc = update(t, doc, func(u *pdf.Update, v *pdf.View) {
				font := u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica")})
				ap := u.Add(&pdf.Stream{Dict: pdf.Dict{"Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)},
					"Resources": pdf.Dict{"Font": pdf.Dict{"popplerfont": font}}}})
				w := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Sig"), "T": pdf.String{Bytes: []byte("Sig1")},
					"Rect": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(0), pdf.Int(0)}, "DA": pdf.String{Bytes: []byte("/popplerfont 0.00 Tf\n")},
					"F": pdf.Int(148), "P": pdf.Ref{Num: 3}, "AP": pdf.Dict{"N": ap}, "AS": pdf.Name("N")})
				fields, annots := pdf.Array{w}, pdf.Array{w}
				if tc.textField {
					tx := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Widget"), "FT": pdf.Name("Tx"), "T": pdf.String{Bytes: []byte("name")},
						"V": pdf.String{Bytes: []byte("Alice")}, "Rect": pdf.Array{pdf.Int(72), pdf.Int(500), pdf.Int(300), pdf.Int(520)},
						"DA": pdf.String{Bytes: []byte("/popplerfont 12 Tf 0 g")}, "F": pdf.Int(4), "P": pdf.Ref{Num: 3}})
					fields, annots = append(fields, tx), append(annots, tx)
				}
				af := u.Add(pdf.Dict{"Fields": fields, "DR": pdf.Dict{"Font": pdf.Dict{"popplerfont": font}}, "SigFlags": pdf.Int(3)})
				cat := v.Dict(pdf.Ref{Num: 1}).Clone()
				cat["AcroForm"] = af
				pd := v.Dict(pdf.Ref{Num: 3}).Clone()
				pd["Annots"] = annots
				if u.Set(pdf.Ref{Num: 1}, cat) != nil || u.Set(pdf.Ref{Num: 3}, pd) != nil {
					t.Fatal("set")
				}
			})
			signed := s.sign(t, doc, sigOpts{field: "Sig1"})
			// digitorus/pdfsign: a new field, and the form rewritten with /Fields and /SigFlags only.
			final := s.sign(t, signed, sigOpts{extra: func(t testing.TB, u *pdf.Update, v *pdf.View) {
				size, _ := pdf.IntOf(v.Revision().Trailer.Get("Size"))
				var added []int
				for _, r := range u.Objects() {
					if int64(r.Num) >= size {
						added = append(added, r.Num)
					}
				}
				af := v.Dict(v.Dict(pdf.Ref{Num: 1}).Get("AcroForm"))
				fo, _ := v.Resolve(af.Get("Fields"))
				fields := append(pdf.Array{}, fo.(pdf.Array)...)
				fields = append(fields, pdf.Ref{Num: added[1]}) // the sign helper adds the signature, then its widget
				if err := u.Set(v.Dict(pdf.Ref{Num: 1}).Get("AcroForm").(pdf.Ref), pdf.Dict{"Fields": fields, "SigFlags": pdf.Int(3)}); err != nil {
					t.Fatal(err)
				}
			}})
			rep := verifyBytes(t, final, s.store())
			if rep.Signatures[0].Status != tc.want || (tc.code != "" && !strings.Contains(codesOf(rep, 0), tc.code)) {
				t.Fatalf("status %s, codes %q, want %s %s:\n%s", rep.Signatures[0].Status, codesOf(rep, 0), tc.want, tc.code, dump(rep))
			}
		})
	}
}

// PDFBox (like Acrobat) flags a sticky note NoZoom|NoRotate (/F 24). On a landscape page
// (/Rotate 90) poppler and MuPDF draw it upright about its corner, PDFium turned with the page:
// judged by the rendering where the others may draw it (synthesizeNoRotate), a note in the
// margin is valid; one whose upright drawing reaches the amount's line is not.
func TestProducerNoRotateNoteOnTurnedPage(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc := pdftest.Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate 90 /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		pdftest.Stream("BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET", ""),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	)
	signed := s.sign(t, doc, sigOpts{})
	const icon = "/DeviceRGB cs\n1 1 0 sc\n4 M\n1 j\n0 J\n0.61 w\n1 1 16 18 re\n4.5 5.7143 m\n12.5 5.7143 l\n4.5 8.5714 m\n12.5 8.5714 l\nB\n"
	note := func(x, y float64, flags int64) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			ap := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
				"BBox":   pdf.Array{pdf.Real{Value: 0}, pdf.Real{Value: 0}, pdf.Real{Value: 18}, pdf.Real{Value: 20}},
				"Matrix": pdf.Array{pdf.Int(1), pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Real{Value: -x}, pdf.Real{Value: -y}}, "Resources": pdf.Dict{}},
				Data: []byte(icon)})
			n := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Text"), "Contents": pdf.String{Bytes: []byte("Reviewed")},
				"Rect": pdf.Array{pdf.Real{Value: x}, pdf.Real{Value: y}, pdf.Real{Value: x + 18}, pdf.Real{Value: y + 20}},
				"C":    pdf.Array{pdf.Real{Value: 1}, pdf.Real{Value: 1}, pdf.Real{Value: 0}}, "P": pdf.Ref{Num: 3}, "F": pdf.Int(flags), "AP": pdf.Dict{"N": ap}})
			pd := v.Dict(pdf.Ref{Num: 3}).Clone()
			old, _ := v.Resolve(pd.Get("Annots"))
			arr, _ := old.(pdf.Array)
			pd["Annots"] = append(append(pdf.Array{}, arr...), n)
			if err := u.Set(pdf.Ref{Num: 3}, pd); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		x, y  float64
		flags int64
		want  Verdict
	}{
		{"note in the margin", 540, 300, 24, StatusValid},
		// Below the amount's line: PDFium draws it clear of the line, poppler and MuPDF upright
		// from its top-left corner, into the line.
		{"note whose upright drawing reaches the amount's line", 150, 660, 24, StatusModified},
		{"twin: the same note without NoRotate", 150, 660, 4, StatusValid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := verifyBytes(t, note(tc.x, tc.y, tc.flags), s.store())
			if rep.Signatures[0].Status != tc.want {
				t.Fatalf("status %s, codes %q, want %s:\n%s", rep.Signatures[0].Status, codesOf(rep, 0), tc.want, dump(rep))
			}
		})
	}
}
