package verify

import (
	"fmt"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// The red team's second round (black-box, /work/redteam in the session that wrote this): each
// class rebuilt by a generator here, attack next to its harmless twin.

// TestRedTeamSneakySignatureCover: a new signature added after an earlier one is an allowed
// change, but its appearance is painted on the page like an annotation's. One that paints a
// white box and a new amount over the signed amount must be judged by the cover check — with an
// untrusted key on an approval signature, and with a trusted key on DocMDP P=2/P=3, where
// signing is allowed. A signature's appearance in blank space, even an opaque box with text
// and a white background of its own, stays allowed.
func TestRedTeamSneakySignatureCover(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	other := newSigner(t, pki.ECDSAP256) // a key the trust store does not know
	plain, _ := makeDoc(docOpts{})
	approval := s.sign(t, plain, sigOpts{})
	cert2 := s.sign(t, plain, sigOpts{certify: 2})
	cert3 := s.sign(t, plain, sigOpts{certify: 3})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(460), pdf.Int(730)} // over "Pay 1000000 yuan"
	beside := pdf.Array{pdf.Int(320), pdf.Int(400), pdf.Int(560), pdf.Int(480)}
	const whiteAndNew = "1 g 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"
	// Lab L=100 is white; the box is drawn in a colour space the operator scan does not read.
	const labAndNew = "[/Lab <</WhitePoint [0.9505 1 1.089]>>] cs 100 0 0 sc 60 690 400 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 5 yuan) Tj ET"
	sneaky := func(by *signer, in []byte, ap string) func() []byte {
		return func() []byte { return by.sign(t, in, sigOpts{visible: true, visibleAt: over, visibleAP: ap}) }
	}
	blank := func(in []byte, ap string) func() []byte {
		return func() []byte { return s.sign(t, in, sigOpts{visible: true, visibleAt: beside, visibleAP: ap}) }
	}
	// The first signature's verdict is what the attack is about; the report's verdict is the
	// worst of all, so an untrusted attacker's own signature is checked through the reason.
	rows := []rtRow{
		{"sneaky-sig-untrusted-key: approval signature, a self-made key paints the amount over", sneaky(other, approval, whiteAndNew),
			StatusModified, "cover(s) signed content", rendersDifferently(approval)},
		{"sneaky-sig-trusted-p2: certified P=2, a trusted signer paints the amount over", sneaky(s, cert2, whiteAndNew),
			StatusModified, "cover(s) signed content", rendersDifferently(cert2)},
		{"sneaky-sig-trusted-p3-lab: certified P=3, the cover in Lab white", sneaky(s, cert3, labAndNew),
			StatusModified, "cover(s) signed content", rendersDifferently(cert3)},
		{"sneaky-sig-approval-trusted: approval signature, a trusted co-signer paints the amount over", sneaky(s, approval, whiteAndNew),
			StatusModified, "cover(s) signed content", rendersDifferently(approval)},
		// twins
		{"twin: a second signature in blank space with its own white box and text", blank(approval, "1 g 320 400 240 80 re f 0 0 1 RG 2 w 322 402 236 76 re S 0 g BT /F1 18 Tf 330 430 Td (Signed by Bob) Tj ET"),
			StatusValid, "signature field", nil},
		{"twin: a trusted signature in blank space on P=2", blank(cert2, "1 0 0 rg 320 400 240 80 re f 0 g BT /F1 18 Tf 330 430 Td (Approved) Tj ET"),
			StatusValid, "signed by a trusted signer", nil},
		{"twin: a trusted signature in blank space on P=3, Lab white background", blank(cert3, "[/Lab <</WhitePoint [0.9505 1 1.089]>>] cs 100 0 0 sc 320 400 240 80 re f 0 g BT /F1 18 Tf 330 430 Td (Approved) Tj ET"),
			StatusValid, "signed by a trusted signer", nil},
	}
	runRows(t, s, rows)
	// The untrusted attacker's row: the first signature itself must be the modified one.
	rep := verifyBytes(t, sneaky(other, approval, whiteAndNew)(), s.store())
	if len(rep.Signatures) != 2 || rep.Signatures[0].Status != StatusModified {
		t.Fatalf("the first signature is not judged modified:\n%s", dump(rep))
	}
}

// TestRedTeamGlyphCover: a box the size of one glyph, painted white in a colour space the
// operator scan does not evaluate (Lab L=100, a Separation whose tint is white), on an
// annotation of an allowed type (Text, Caret, Underline), over the minus sign of "-5000" or
// the decimal point of "1000.00". The rendering comparison must see the glyph gone whatever
// the colour space; the same box over blank paper is harmless.
func TestRedTeamGlyphCover(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	// Helvetica 12: "Balance: " is 50.03 pt wide, so the minus runs from x 122.0 to 126.0 at
	// y 702.8-703.9; "Amount: 1000" is 74.71 pt, so the point's ink is at x 147.6-148.9.
	doc := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		setObj(t, u, pdf.Ref{Num: 4}, contentStream("BT /F1 12 Tf 72 700 Td (Balance: -5000 USD) Tj ET BT /F1 12 Tf 72 660 Td (Amount: 1000.00) Tj ET", nil))
	})
	approval := s.sign(t, doc, sigOpts{})
	cert3 := s.sign(t, doc, sigOpts{certify: 3})
	minus := [4]float64{121.8, 701.5, 126.0, 705.5}
	dot := [4]float64{147.0, 659.0, 149.6, 662.0}
	blank := [4]float64{300, 640, 306, 646}
	lab := pdf.Array{pdf.Name("Lab"), pdf.Dict{"WhitePoint": pdf.Array{pdf.Real{Value: 0.9505}, pdf.Int(1), pdf.Real{Value: 1.089}}}}
	white := pdf.Dict{"FunctionType": pdf.Int(2), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1)}, "C0": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "C1": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "N": pdf.Int(1)}
	sep := pdf.Array{pdf.Name("Separation"), pdf.Name("Paper"), pdf.Name("DeviceRGB"), white}
	num := func(x float64) pdf.Object { return pdf.Real{Value: x} }
	// box adds annotation st whose appearance fills its whole rectangle r with colour c of cs.
	box := func(in []byte, st string, r [4]float64, cs pdf.Object, c string) func() []byte {
		return func() []byte {
			return update(t, in, func(u *pdf.Update, v *pdf.View) {
				p := pageOf(t, v)
				rect := pdf.Array{num(r[0]), num(r[1]), num(r[2]), num(r[3])}
				ap := &pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": rect,
					"Resources": pdf.Dict{"ColorSpace": pdf.Dict{"CS0": cs}}},
					Data: []byte(fmt.Sprintf("/CS0 cs %s sc %.2f %.2f %.2f %.2f re f", c, r[0], r[1], r[2]-r[0], r[3]-r[1]))}
				a := pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name(st), "Rect": rect, "F": pdf.Int(4),
					"Contents": pdf.String{Bytes: []byte("ok")}, "C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(0)}, "AP": pdf.Dict{"N": u.Add(ap)}}
				if st == "Underline" {
					a["QuadPoints"] = pdf.Array{rect[0], rect[3], rect[2], rect[3], rect[0], rect[1], rect[2], rect[1]}
				}
				pd := p.Dict.Clone()
				arr, _ := resolvedArray(v, pd.Get("Annots"))
				pd["Annots"] = append(append(pdf.Array{}, arr...), u.Add(a))
				setObj(t, u, p.Ref, pd)
			})
		}
	}
	// glyphGone proves in poppler that the box hides ink (a point is about six pixels at 150 dpi).
	glyphGone := func(signed []byte) func(t *testing.T, d []byte) {
		return func(t *testing.T, d []byte) {
			t.Helper()
			if n := changedPixels(popplerPage(t, signed, 150), popplerPage(t, d, 150)); n < 4 {
				t.Fatalf("the box hides nothing in poppler: %d pixels differ", n)
			}
		}
	}
	const covers = "cover(s) signed content"
	rows := []rtRow{
		{"glyph-lab-text-minus: a Text note's Lab-white box over the minus of -5000", box(approval, "Text", minus, lab, "100 0 0"), StatusModified, covers, glyphGone(approval)},
		{"glyph-lab-caret-dot: a Caret's Lab-white box over the point of 1000.00", box(approval, "Caret", dot, lab, "100 0 0"), StatusModified, covers, glyphGone(approval)},
		{"glyph-lab-underline-minus-p3: an Underline's Lab-white box over the minus, certified P=3", box(cert3, "Underline", minus, lab, "100 0 0"), StatusModified, covers, glyphGone(cert3)},
		{"glyph-separation-text-dot: a Text note's Separation-white box over the point", box(approval, "Text", dot, sep, "1"), StatusModified, "", glyphGone(approval)},
		{"glyph-gray-caret-minus: the same box in DeviceGray white", box(approval, "Caret", minus, pdf.Name("DeviceGray"), "1"), StatusModified, "", glyphGone(approval)},
		// twins
		{"twin: a Lab-white Text box on blank paper", box(approval, "Text", blank, lab, "100 0 0"), StatusValid, "Text annotation added", nil},
		{"twin: a Lab-white Caret box on blank paper, P=3", box(cert3, "Caret", blank, lab, "100 0 0"), StatusValid, "Caret annotation added", nil},
		{"twin: a Lab-yellow Underline box over the minus, multiplied by nothing but light", box(approval, "Underline", [4]float64{121.8, 699.0, 126.0, 700.2}, lab, "97 -21 94"), StatusValid, "Underline annotation added", nil},
	}
	runRows(t, s, rows)
}
