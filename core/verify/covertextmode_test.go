package verify

import (
	"fmt"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

func TestAmbiguousTextMode(t *testing.T) {
	for s, want := range map[string]bool{
		"BT 3 Tr ET": false, "BT 0 Tr 7 Tr ET": false, "BT +3 Tr ET": false, "BT 3.0 Tr ET": true,
		"BT 3. Tr ET": true, "BT .5 Tr ET": true, "BT 3- Tr ET": true, "BT 6.0.0\nTr ET": true,
		"BT 4294967299 Tr ET": true, "3.0 Tr": true, "BT 3.0 Tr": true, "BT /Tr 3.0 Tz (3.0 Trade) Tj ET": false,
		"q 3.0 Trx Q": false, "BT 2\x00Tr 3.5\x00Tr ET": true, "1.5 w (Tr) Tj": false,
	} {
		if got := ambiguousTextMode([]byte(s)); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
}

// TestCoverTextModeReaders: signed text made invisible with a Tr operand that is not an integer
// is shown by poppler and absent from PDFium's rendering, so a widget added over it changed
// nothing the rendering (or the shortcut) could see: valid while poppler showed the signed amount
// painted over (red team s5, cover shortcut round). Such a page cannot be checked; an added
// appearance that sets such a mode draws what readers draw differently. The twins with an
// integer operand (invisible for every reader) stay valid.
func TestCoverTextModeReaders(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	show := func(mode string) string {
		return "BT /F1 24 Tf " + mode + " Tr 72 700 Td (Pay 1000000 yuan) Tj ET"
	}
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(400), pdf.Int(730)}
	const box = "0 0 1 rg 60 690 340 40 re f"
	// The premise, checked with poppler: it shows the text set with 3.0 Tr, not with 3 Tr.
	ink := func(doc []byte) int {
		img := popplerPage(t, doc, 72)
		n := 0
		for y := 62; y < 102; y++ {
			for x := 60; x < 400; x++ {
				if r, g, b, _ := img.At(x, y).RGBA(); r+g+b < 3*0x8000 {
					n++
				}
			}
		}
		return n
	}
	if a, b := ink(onePagePDF(show("3.0"), "/Font<</F1 5 0 R>>")), ink(onePagePDF(show("3"), "/Font<</F1 5 0 R>>")); a < 300 || b != 0 {
		t.Fatalf("poppler: %d dark pixels with 3.0 Tr (want the text), %d with 3 Tr (want none)", a, b)
	}
	form := streamObj("/Type/XObject/Subtype/Form/BBox[0 0 612 792]", show("3.0"))
	rows := []struct {
		name, content, res string
		extra              []string
		ap, want           string // want: the disallowed change code, "" for valid
	}{
		{"signed text with 3.0 Tr under a widget", show("3.0"), "", nil, box, ChangeCoverUnchecked},
		{"signed text with 3.0 Tr in a form under a widget", "q /Fm1 Do Q", "/XObject<</Fm1 6 0 R>>", []string{form}, box, ChangeCoverUnchecked},
		{"signed text with 3- Tr under a widget", show("3-"), "", nil, box, ChangeCoverUnchecked},
		{"twin: signed text with 3 Tr under a widget", show("3"), "", nil, box, ""},
		{"appearance draws text with 3.0 Tr over the signed text", show("0"), "", nil, "0 g " + strings.Replace(show("3.0"), "1000000", "9000000", 1), ChangeEvilAnnot},
		{"twin: appearance draws text with 3 Tr over the signed text", show("0"), "", nil, "0 g " + strings.Replace(show("3"), "1000000", "9000000", 1), ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			doc := s.sign(t, onePagePDF(r.content, "/Font<</F1 5 0 R>>"+r.res, r.extra...), sigOpts{})
			doc = s.sign(t, doc, sigOpts{visible: true, visibleAt: over, visibleAP: r.ap})
			for _, rep := range []*Report{verifyBytes(t, doc, s.store()), withoutShortcut(t, doc, s.store())} {
				codes := fmt.Sprint(changeCodes(rep))
				if r.want == "" {
					if rep.Verdict != StatusValid {
						t.Errorf("twin not valid: %s %s\n%s", rep.Verdict, codes, dump(rep))
					}
					continue
				}
				if rep.Verdict == StatusValid || !strings.Contains(codes, r.want+":false") {
					t.Errorf("verdict %s, changes %s; want %s refused", rep.Verdict, codes, r.want)
				}
			}
		})
	}
}
