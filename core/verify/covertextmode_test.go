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

// TestCoverSignedAnnotReaders: a signed annotation with no normal appearance selected (a
// FreeText whose /AS names no state: poppler writes its /Contents, PDFium draws nothing) or a
// text markup annotation (poppler marks its /QuadPoints whatever the appearance) under an added
// widget was valid while poppler showed it covered (red team s5, cover shortcut round). Such a
// page cannot be checked; the twins — the widget away from it — stay valid.
func TestCoverSignedAnnotReaders(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	const text = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	on := streamObj("/Type/XObject/Subtype/Form/BBox[0 0 10 10]", "0 0 1 rg 0 0 10 10 re f")
	freeText := "<</Type/Annot/Subtype/FreeText/Rect[60 300 400 340]/Contents(Pay 1000000 yuan)/DA(0 g /Helv 24 Tf)/AP<</N<</On 7 0 R>>>>/AS/Off/F 4>>"
	highlight := "<</Type/Annot/Subtype/Highlight/Rect[500 100 510 110]/QuadPoints[60 340 400 340 60 300 400 300]/C[1 1 0]/AP<</N 7 0 R>>/F 4>>"
	// The premise: poppler draws the FreeText's text although its appearance state is missing.
	img := popplerPage(t, onePagePDF(text, "/Font<</F1 5 0 R>>>>/Annots[6 0 R]/X<<", freeText, on), 72)
	dark := 0
	for y := 452; y < 492; y++ {
		for x := 60; x < 400; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r+g+b < 3*0x8000 {
				dark++
			}
		}
	}
	if dark < 300 {
		t.Fatalf("poppler: %d dark pixels where the FreeText's /Contents should be", dark)
	}
	over := pdf.Array{pdf.Int(60), pdf.Int(290), pdf.Int(400), pdf.Int(350)}
	away := pdf.Array{pdf.Int(60), pdf.Int(100), pdf.Int(400), pdf.Int(160)}
	rows := []struct {
		name, annot string
		at          pdf.Array
		valid       bool
	}{
		{"FreeText without its appearance state under a widget", freeText, over, false},
		{"highlight marks under a widget", highlight, over, false},
		{"twin: FreeText without its appearance state, widget away", freeText, away, true},
		{"twin: highlight marks, widget away", highlight, away, true},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			// The page's /Annots ride in on the resources string (onePagePDF writes the page).
			doc := s.sign(t, onePagePDF(text, "/Font<</F1 5 0 R>>>>/Annots[6 0 R]/X<<", r.annot, on), sigOpts{})
			doc = s.sign(t, doc, sigOpts{visible: true, visibleAt: r.at, visibleAP: "1 g 60 100 340 250 re f"})
			for _, rep := range []*Report{verifyBytes(t, doc, s.store()), withoutShortcut(t, doc, s.store())} {
				codes := fmt.Sprint(changeCodes(rep))
				if r.valid && rep.Verdict != StatusValid {
					t.Errorf("twin not valid: %s %s\n%s", rep.Verdict, codes, dump(rep))
				}
				if !r.valid && (rep.Verdict == StatusValid || !strings.Contains(codes, ChangeCoverUnchecked+":false")) {
					t.Errorf("verdict %s, changes %s; want %s refused", rep.Verdict, codes, ChangeCoverUnchecked)
				}
			}
		})
	}
}

// TestCoverResourceChainReaders: a signed form that names a font its own /Resources lack, which
// the page's resources have as a Type 3 font painting a box elsewhere: poppler paints the box,
// PDFium draws Helvetica at the text position; a widget added over the box was valid (red team
// s5, cover shortcut round). The twin names a font it has.
func TestCoverResourceChainReaders(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	t3 := "<</Type/Font/Subtype/Type3/FontBBox[0 0 1 1]/FontMatrix[1 0 0 1 0 0]/CharProcs<</a 8 0 R>>/Encoding<</Differences[97/a]>>/FirstChar 97/LastChar 97/Widths[0]>>"
	glyph := streamObj("", "0 0 d0 0 0 0 rg -12 -400 340 40 re f")
	form := func(font string) string {
		return streamObj("/Type/XObject/Subtype/Form/BBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>", "BT /"+font+" 1 Tf 72 700 Td (a) Tj ET")
	}
	page := func(font string) []byte {
		return onePagePDF("/Fm1 Do", "/Font<</F1 5 0 R/F9 6 0 R>>/XObject<</Fm1 7 0 R>>", t3, form(font), glyph)
	}
	img := popplerPage(t, page("F9"), 72)
	dark := 0
	for y := 452; y < 492; y++ {
		for x := 60; x < 400; x++ {
			if r, g, b, _ := img.At(x, y).RGBA(); r+g+b < 3*0x8000 {
				dark++
			}
		}
	}
	if dark < 5000 {
		t.Fatalf("poppler: %d dark pixels where the page's Type 3 glyph paints", dark)
	}
	over := pdf.Array{pdf.Int(60), pdf.Int(290), pdf.Int(400), pdf.Int(350)}
	rows := []struct {
		name string
		doc  []byte
		ap   string
		want string
	}{
		{"signed form names a font only the page has", page("F9"), "1 g 60 290 340 60 re f", ChangeCoverUnchecked},
		{"twin: signed form names its own font", page("F1"), "1 g 60 290 340 60 re f", ""},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			doc := s.sign(t, r.doc, sigOpts{})
			doc = s.sign(t, doc, sigOpts{visible: true, visibleAt: over, visibleAP: r.ap})
			for _, rep := range []*Report{verifyBytes(t, doc, s.store()), withoutShortcut(t, doc, s.store())} {
				codes := fmt.Sprint(changeCodes(rep))
				if r.want == "" && rep.Verdict != StatusValid {
					t.Errorf("twin not valid: %s %s\n%s", rep.Verdict, codes, dump(rep))
				}
				if r.want != "" && (rep.Verdict == StatusValid || !strings.Contains(codes, r.want+":false")) {
					t.Errorf("verdict %s, changes %s; want %s refused", rep.Verdict, codes, r.want)
				}
			}
		})
	}
}
