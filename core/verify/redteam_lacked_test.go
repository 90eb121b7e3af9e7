package verify

import (
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// TestRedTeamLackedResources: an added appearance with its own /Resources that names a font its
// /Font lacks while the page's resources have it. The page's /F9 is a Type 3 font whose glyph
// paints a white box: poppler looks the name up in the page's resources and paints the box over
// the signed amount, PDFium draws nothing — the verdict was valid. It is an evil annotation now.
// The twins: the page's entry under that name is the standard Helvetica without a font file
// (both readers write text), and filled fields whose appearance names /Helv that only /AcroForm
// /DR has, or /F1 that its own /Resources lack and the page has as plain Helvetica — ordinary
// forms, not refused.
func TestRedTeamLackedResources(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	const text = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	type3 := onePagePDF(text, "/Font<</F1 5 0 R/F9 6 0 R>>",
		"<</Type/Font/Subtype/Type3/FontBBox[0 0 240000 40000]/FontMatrix[0.001 0 0 0.001 0 0]/CharProcs<</a 7 0 R>>/Encoding<</Differences[97/a]>>/FirstChar 97/LastChar 97/Widths[1000]/Resources<<>>>>",
		streamObj("", "1000 0 d0 1 g 0 0 240000 40000 re f"))
	plainF9 := onePagePDF(text, "/Font<</F1 5 0 R/F9 6 0 R>>", "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>")
	signed3 := s.sign(t, type3, sigOpts{})
	signedPlain := s.sign(t, plainF9, sigOpts{})
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(140)}
	// note: a Square away from the amount whose appearance (own /Resources with only /F1) shows
	// "a" in /F9 at the amount's corner (60 690 in page space: the form's matrix is the identity
	// and its box the page, so /Rect maps it 1:1 … scaled into the Square).
	note := func(doc []byte) []byte {
		return s4Annot(t, doc, "Square", away, func(u *pdf.Update) pdf.Object {
			st := s4Form(away, []byte("0 0 1 RG 322 102 236 36 re S BT /F9 1 Tf 60 690 Td (a) Tj ET"), hidHelvRes(u))
			return u.Add(st)
		}, nil)
	}
	plain, _ := makeDoc(docOpts{emptyText: true})
	form := s.sign(t, plain, sigOpts{})
	fill := func(font string, res pdf.Dict) []byte {
		return update(t, form, func(u *pdf.Update, v *pdf.View) {
			w := v.Dict(pdf.Ref{Num: 7}).Clone()
			w["V"] = pdf.String{Bytes: []byte("1000")}
			st := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(228), pdf.Int(30)}, "Resources": res},
				Data: []byte("/Tx BMC BT /" + font + " 12 Tf 2 10 Td (1000) Tj ET EMC")}
			w["AP"] = pdf.Dict{"N": u.Add(st)}
			setObj(t, u, pdf.Ref{Num: 7}, w)
		})
	}
	runRows(t, s, []rtRow{
		{"type3-from-the-page", func() []byte { return note(signed3) }, StatusModified, "its own /Resources lack", rendersDifferently(signed3)},
		{"standard-font-from-the-page-twin", func() []byte { return note(signedPlain) }, StatusValid, "Square annotation added", nil},
		{"field-font-from-acroform-dr-twin", func() []byte {
			return fill("Helv", pdf.Dict{"Font": pdf.Dict{}})
		}, StatusValid, "field amount filled in", nil},
		{"field-font-from-the-page-twin", func() []byte {
			return fill("F1", pdf.Dict{"Font": pdf.Dict{}})
		}, StatusValid, "field amount filled in", nil},
	})
}
