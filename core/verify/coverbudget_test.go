package verify

import (
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Annotations added after signing whose appearances draw one huge image many times are not
// handed to the renderer: the page's changes are reported unchecked, naming the limit (the red
// team's 200 KB file of eight FreeText sharing a 40000×40000 image kept it busy for minutes). The
// twin — the same annotations drawing a small image — is rendered and judged as usual.
func TestCoverCheckImageBudget(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(t, doc, sigOpts{})
	stamp := func(side int) []byte {
		// The small image's samples are all there (an incomplete image is judged before the
		// budget: coverimages.go); the huge one's are not, and the budget refuses it first.
		n := 8
		if side <= 64 {
			n = side * side / 8
		}
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			img := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
				"Width": pdf.Int(side), "Height": pdf.Int(side), "BitsPerComponent": pdf.Int(1),
				"ColorSpace": pdf.Name("DeviceGray"), "Length": pdf.Int(n)}, Data: make([]byte, n)})
			pages, err := v.Pages()
			if err != nil {
				t.Fatal(err)
			}
			pd := pages[0].Dict.Clone()
			annots, _ := v.Resolve(pd.Get("Annots"))
			arr, _ := annots.(pdf.Array)
			arr = append(pdf.Array{}, arr...)
			for i := 0; i < 8; i++ {
				ap := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"),
					"BBox":      pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(20), pdf.Int(20)},
					"Resources": pdf.Dict{"XObject": pdf.Dict{"Im0": img}}}, Data: []byte("q 20 0 0 20 0 0 cm /Im0 Do Q")})
				x := pdf.Int(500 + i)
				arr = append(arr, u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("FreeText"),
					"Rect": pdf.Array{x, pdf.Int(800), x + 20, pdf.Int(820)}, "DA": pdf.String{Bytes: []byte("0 g /Helv 12 Tf")},
					"AP": pdf.Dict{"N": ap}, "P": pages[0].Ref}))
			}
			pd["Annots"] = arr
			if err := u.Set(pages[0].Ref, pd); err != nil {
				t.Fatal(err)
			}
		})
	}
	codes := func(rep *Report) string {
		var out []string
		for _, d := range rep.Signatures[0].ChangeDetails {
			out = append(out, d.Code)
		}
		return strings.Join(out, " ")
	}
	rep := verifyBytes(t, stamp(40000), s.store())
	if !strings.Contains(codes(rep), ChangeCoverUnchecked) || !strings.Contains(strings.Join(rep.Signatures[0].Changes, " "), "the limit is 400 million") {
		t.Fatalf("huge images: codes %q, changes %q", codes(rep), rep.Signatures[0].Changes)
	}
	if rep.Signatures[0].Status == StatusValid {
		t.Error("unchecked changes judged valid")
	}
	twin := verifyBytes(t, stamp(64), s.store())
	if strings.Contains(codes(twin), ChangeCoverUnchecked) {
		t.Fatalf("small images were not rendered: %q %q", codes(twin), twin.Signatures[0].Changes)
	}
}

// TestManyVisibleSignaturesStayValid: a document signed 30 times on page 1, each signature
// visible, is valid — every signature's cover check renders its own revision, and the budget
// of rendered pages was once 24 per file, which called the 25th signature's changes unchecked
// (the 45 MB benchmark file with 50 signatures was "modified").
func TestManyVisibleSignaturesStayValid(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	data := benchFile(t, s, 0, false, 30, true)
	rep := verifyBytes(t, data, s.store())
	if rep.Verdict != StatusValid || len(rep.Signatures) != 30 {
		t.Fatalf("verdict %s with %d signatures\n%s", rep.Verdict, len(rep.Signatures), dump(rep))
	}
}
