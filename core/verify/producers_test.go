package verify

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
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
