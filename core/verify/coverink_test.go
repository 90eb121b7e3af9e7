package verify

import (
	"fmt"
	"image"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pki"
)

// inkDoc is the signed document of the coverink rows: amounts in 16-point Helvetica, a total,
// and a party's seal label in 12 point. Helvetica is object 5 (the test signer's /F1).
func inkDoc() []byte { return inkDocOn("") }

// inkDocOn is inkDoc drawn over paint (a grey page: "0.9 g 0 0 612 792 re f").
func inkDocOn(paint string) []byte {
	content := paint + "\n" + "BT /F1 16 Tf 72 660 Td (Amount: 100.00 USD) Tj ET\n" +
		"BT /F1 16 Tf 72 600 Td (Amount due: 1000000 USD) Tj ET\n" +
		"BT /F1 16 Tf 72 560 Td (Total: 250) Tj ET\n" +
		"BT /F1 12 Tf 72 500 Td (Party B \\(seal\\):) Tj ET"
	return pdftest.Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		pdftest.Stream(content, ""),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	)
}

// helv is the advance of s in Helvetica at size (WinAnsi, the characters the rows use).
func helv(s string, size float64) float64 {
	w := map[rune]float64{'A': 667, 'm': 833, 'o': 556, 'u': 556, 'n': 556, 't': 278, ':': 278, ' ': 278,
		'd': 556, 'e': 556, 'T': 611, 'a': 556, 'l': 222, '0': 556, '1': 556, '2': 556, '5': 556}
	sum := 0.0
	for _, r := range s {
		sum += w[r]
	}
	return sum * size / 1000
}

// inkAnnot adds a Square annotation (or st) at rect whose appearance draws data in page
// coordinates, with Helvetica as /F1 and, for highlights, ExtGState /M multiplying.
func inkAnnot(t *testing.T, in []byte, st string, rect [4]float64, data string, extra pdf.Dict) []byte {
	r := pdf.Array{pdf.Real{Value: rect[0]}, pdf.Real{Value: rect[1]}, pdf.Real{Value: rect[2]}, pdf.Real{Value: rect[3]}}
	res := pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}, "ExtGState": pdf.Dict{"M": pdf.Dict{"BM": pdf.Name("Multiply")}}}
	return s4Annot(t, in, st, r, func(u *pdf.Update) pdf.Object { return u.Add(s4Form(r, []byte(data), res)) }, extra)
}

// drawsInLine asserts that poppler draws the change inside the signed line box (user space):
// at 300 dpi, pixels there differ from the signed document.
func drawsInLine(signed []byte, box [4]float64) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		a, b := popplerPage(t, signed, 300), popplerPage(t, d, 300)
		s := 300.0 / 72
		h := float64(a.Bounds().Dy())
		r := image.Rect(int(box[0]*s), int(h-box[3]*s), int(box[2]*s), int(h-box[1]*s))
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				ar, ag, ab, _ := a.At(x, y).RGBA()
				br, bg, bb, _ := b.At(x, y).RGBA()
				ga, gb := int(ar+ag+ab)/3>>8, int(br+bg+bb)/3>>8
				if ga-gb > 48 || gb-ga > 48 {
					n++
				}
			}
		}
		if n < 4 {
			t.Fatalf("poppler draws no change in the signed line %v: %d pixels differ", box, n)
		}
	}
}

// inkRow is a coverink row; attacks (want modified) must need the rules of coverink.go.
type inkRow struct {
	rtRow
	attack bool
}

func inkRows(t *testing.T, s *signer) []inkRow {
	doc := inkDoc()
	signed := s.sign(t, doc, sigOpts{})
	p3 := s.sign(t, doc, sigOpts{certify: 3})
	xDue := 72 + helv("Amount due: ", 16)
	xd := xDue + helv("1000", 16) // the gap between the 4th and 5th digit of 1000000
	xColon := 72 + helv("Amount:", 16)
	xTotal := 72 + helv("Total: 250", 16)
	line1 := [4]float64{72, 656, 72 + helv("Amount: 100.00 USD", 16), 672}
	line2 := [4]float64{72, 596, 72 + helv("Amount due: 1000000 USD", 16), 612}
	line3 := [4]float64{72, 556, xTotal + 12, 572}
	dot := func(x, y float64) (rect [4]float64, data string) {
		return [4]float64{x - 2, y - 2, x + 2, y + 3}, fmt.Sprintf("0 g %.2f %.2f 1.8 1.8 re f", x-0.9, y)
	}
	one := func(x, y float64, colour string) (rect [4]float64, data string) {
		return [4]float64{x - 0.5, y - 5, x + 7, y + 15}, fmt.Sprintf("%s BT /F1 16 Tf 80 Tz %.2f %.2f Td (1) Tj ET", colour, x, y)
	}
	var rows []inkRow
	add := func(attack bool, name string, d []byte, want Verdict, reason string, effect func(t *testing.T, d []byte)) {
		rows = append(rows, inkRow{rtRow{name, func() []byte { return d }, want, reason, effect}, attack})
	}
	r, a := dot(xd, 600)
	add(true, "a dot between two digits: 1000000 reads 1000.000", inkAnnot(t, signed, "Square", r, a, nil), StatusModified, "line of signed text", drawsInLine(signed, line2))
	add(true, "P=3: a dot between two digits", inkAnnot(t, p3, "Square", r, a, nil), StatusModified, "line of signed text", drawsInLine(p3, line2))
	r, a = dot(420, 600)
	add(false, "twin: the same dot far right of the text", inkAnnot(t, signed, "Square", r, a, nil), StatusValid, "Square annotation added", nil)
	add(false, "twin P=3: the same dot far right of the text", inkAnnot(t, p3, "Square", r, a, nil), StatusValid, "Square annotation added", nil)
	r, a = one(xColon-2.1, 660, "0 g")
	add(true, `a leading "1" in the word space: 100.00 reads 1100.00`, inkAnnot(t, signed, "Square", r, a, nil), StatusModified, "line of signed text", drawsInLine(signed, line1))
	r, a = one(xColon-2.1, 660, "0.5 g")
	add(true, `a mid-grey "1" in the word space`, inkAnnot(t, signed, "Square", r, a, nil), StatusModified, "line of signed text", drawsInLine(signed, line1))
	r, a = one(xColon-2.1, 660, "1 0.6 0.8 rg")
	add(true, `a "1" in a highlighter's pink in the word space`, inkAnnot(t, signed, "Square", r, a, nil), StatusModified, "line of signed text", drawsInLine(signed, line1))
	r, a = one(420, 660, "0 g")
	add(false, `twin: the same "1" far right of the text`, inkAnnot(t, signed, "Square", r, a, nil), StatusValid, "Square annotation added", nil)
	add(true, "a minus in the word space: 100.00 reads -100.00",
		inkAnnot(t, signed, "Square", [4]float64{xColon - 0.5, 655, xColon + 5, 675}, fmt.Sprintf("0 g %.2f 665.2 3.6 1.3 re f", xColon+0.4), nil),
		StatusModified, "line of signed text", drawsInLine(signed, line1))
	r, a = one(xTotal+0.3, 560, "0 g")
	add(true, `a trailing "0": 250 reads 2500`, inkAnnot(t, signed, "Square", r, strings0(a), nil), StatusModified, "line of signed text", drawsInLine(signed, line3))
	add(true, "a white line 0.3 pt thick through 100.00",
		inkAnnot(t, signed, "Square", [4]float64{128, 655, 192, 675}, "1 G 0.3 w 130 664.5 m 190 664.5 l S", nil),
		StatusModified, "cover(s) signed content", drawsInLine(signed, line1))
	add(false, "twin: the same white line over blank paper",
		inkAnnot(t, signed, "Square", [4]float64{328, 655, 392, 675}, "1 G 0.3 w 330 664.5 m 390 664.5 l S", nil),
		StatusValid, "Square annotation added", nil)
	quad := func(b [4]float64) pdf.Dict {
		return pdf.Dict{"QuadPoints": pdf.Array{pdf.Real{Value: b[0]}, pdf.Real{Value: b[3]}, pdf.Real{Value: b[2]}, pdf.Real{Value: b[3]}, pdf.Real{Value: b[0]}, pdf.Real{Value: b[1]}, pdf.Real{Value: b[2]}, pdf.Real{Value: b[1]}}}
	}
	hl := [4]float64{70, 655, line1[2] + 2, 675}
	for _, c := range []struct{ name, rgb string }{{"yellow", "1 1 0"}, {"green", "0.5 1 0.5"}, {"pink", "1 0.6 0.8"}} {
		add(false, "twin: a "+c.name+" highlight multiplied over the amount line",
			inkAnnot(t, signed, "Highlight", hl, fmt.Sprintf("/M gs %s rg %.2f %.2f %.2f %.2f re f", c.rgb, hl[0], hl[1], hl[2]-hl[0], hl[3]-hl[1]), quad(hl)),
			StatusValid, "Highlight annotation added", nil)
	}
	add(true, `a black "1" inside a yellow highlight band (a Square: a Highlight may not draw text)`,
		inkAnnot(t, signed, "Square", hl, fmt.Sprintf("q /M gs 1 1 0 rg %.2f %.2f %.2f %.2f re f Q 0 g BT /F1 16 Tf 80 Tz %.2f 660 Td (1) Tj ET", hl[0], hl[1], hl[2]-hl[0], hl[3]-hl[1], xColon-2.1), nil),
		StatusModified, "line of signed text", drawsInLine(signed, line1))
	// A "1" taller than the line (a stroke leaving the line's area above and below, with its
	// flag): not the edge of a frame, which turns along the text outside the line.
	tall := fmt.Sprintf("0 g 1.6 w %.2f 646 m %.2f 686 l S %.2f 686 m %.2f 680 l S", xColon+2.2, xColon+2.2, xColon+2.2, xColon-1.8)
	add(true, `a "1" taller than the line in the word space: 100.00 reads 1100.00`,
		inkAnnot(t, signed, "Square", [4]float64{xColon - 3, 644, xColon + 4, 688}, tall, nil), StatusModified, "line of signed text", drawsInLine(signed, line1))
	x0, x1 := xColon+1.8, line1[2]+3
	add(false, "twin: a frame drawn around the amount, its left edge in the word space",
		inkAnnot(t, signed, "Square", [4]float64{x0 - 1, 645, x1 + 1, 687}, fmt.Sprintf("0 0 1 RG 1.2 w %.2f 646 %.2f 40 re S", x0, x1-x0), nil),
		StatusValid, "Square annotation added", nil)
	cx, rx := (x0+x1)/2, (x1-x0)/2+2
	add(false, "twin: an ellipse drawn around the amount",
		inkAnnot(t, signed, "Circle", [4]float64{cx - rx - 2, 642, cx + rx + 2, 690}, fmt.Sprintf("0 0 1 RG 1.2 w %s S", ellipse(cx, 666, rx, 22)), nil),
		StatusValid, "Circle annotation added", nil)
	// A "1" joined to an underline: the underline's long row must not carry the digit with it.
	add(true, `a "1" in the word space joined to an underline under the amount`,
		inkAnnot(t, signed, "Square", [4]float64{xColon - 3, 654, line1[2] + 2, 675}, fmt.Sprintf("0 g 1.4 w %.2f 657 m %.2f 671 l S 0.8 w %.2f 657 m %.2f 657 l S", xColon+2.2, xColon+2.2, xColon+2.2, line1[2]), nil),
		StatusModified, "line of signed text", drawsInLine(signed, line1))
	add(false, "twin: a note (Text) icon in the margin",
		inkAnnot(t, signed, "Text", [4]float64{20, 650, 40, 670}, "0 0 1 RG 1 w 22 652 16 16 re S", nil), StatusValid, "Text annotation added", nil)
	add(false, "twin: an underline under the amount line",
		inkAnnot(t, signed, "Underline", hl, fmt.Sprintf("0 0 1 RG 1 w %.2f 657 m %.2f 657 l S", hl[0], hl[2]), quad(hl)), StatusValid, "Underline annotation added", nil)
	add(false, "twin: a stamp in blank space",
		inkAnnot(t, signed, "Stamp", [4]float64{350, 300, 500, 360}, "1 0 0 RG 3 w 352 302 146 56 re S 1 0 0 rg BT /F1 20 Tf 370 322 Td (APPROVED) Tj ET", nil), StatusValid, "Stamp annotation added", nil)
	seal := "1 0 0 RG 2 w 132 484 64 52 re S 1 0 0 rg BT /F1 10 Tf 146 506 Td (SEAL) Tj ET"
	add(false, "twin: a later signature's seal in blank space",
		s.sign(t, signed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Int(332), pdf.Int(384), pdf.Int(400), pdf.Int(440)}, visibleAP: "1 0 0 RG 2 w 334 386 64 52 re S 1 0 0 rg BT /F1 10 Tf 348 406 Td (SEAL) Tj ET"}),
		StatusValid, "signature field", nil)
	add(false, `twin: a later signature's seal over the label "Party B (seal):"`,
		s.sign(t, signed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Int(130), pdf.Int(482), pdf.Int(198), pdf.Int(538)}, visibleAP: seal}),
		StatusValid, "signature field", nil)
	// Red team s8 F2: a later signature whose widget is just a "1" in the word space before the
	// amount, or a thin white line through the digits, is no seal over a label.
	r, a = one(xColon-2.1, 660, "0 g")
	add(true, `a later signature whose widget draws a "1" in the word space`,
		s.sign(t, signed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Real{Value: r[0]}, pdf.Real{Value: r[1]}, pdf.Real{Value: r[2]}, pdf.Real{Value: r[3]}}, visibleAP: a}),
		StatusModified, "line of signed text", drawsInLine(signed, line1))
	add(true, "a later signature whose widget draws a thin white line through 100.00",
		s.sign(t, signed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Int(128), pdf.Int(655), pdf.Int(192), pdf.Int(675)}, visibleAP: "1 G 0.3 w 130 664.5 m 190 664.5 l S"}),
		StatusModified, "cover(s) signed content", drawsInLine(signed, line1))
	add(true, `a later signature's seal-sized frame with a white bar through "100.00" inside it`,
		s.sign(t, signed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Int(120), pdf.Int(630), pdf.Int(200), pdf.Int(700)}, visibleAP: "1 0 0 RG 2 w 122 632 76 66 re S 1 G 0.3 w 130 664.5 m 190 664.5 l S"}),
		StatusModified, "cover(s) signed content", drawsInLine(signed, line1))
	add(false, `twin: a later signature's red seal drawn over the end of the amount line, its ring and text over "USD"`,
		s.sign(t, signed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Int(180), pdf.Int(625), pdf.Int(260), pdf.Int(705)}, visibleAP: "1 0 0 RG 2.5 w " + ellipse(220, 665, 36, 36) + " S 1 0 0 rg BT /F1 9 Tf 196 676 Td (SEAL CO LTD) Tj ET BT /F1 14 Tf 213 659 Td (*) Tj ET"}),
		StatusValid, "signature field", nil)
	add(true, "the same seal over the label as a Stamp annotation (no signer)",
		inkAnnot(t, signed, "Stamp", [4]float64{130, 482, 198, 538}, seal, nil), StatusModified, "line of signed text", nil)

	// Red team s9 F1: a seal-sized drawing (a red ring below the amount line) whose widget also
	// draws a dark "1" into the line: the ring makes the drawing a seal's size, the "1" is a
	// character all the same. The ring alone stays valid.
	ring := "1 0 0 RG 2.5 w " + ellipse(150, 610, 30, 30) + " S "
	r, a = one(xColon-2.1, 660, "0 g")
	sealAt := pdf.Array{pdf.Int(118), pdf.Int(578), pdf.Int(184), pdf.Int(676)}
	add(true, `a later signature's seal ring below the line, its widget drawing a black "1" in the word space`,
		s.sign(t, signed, sigOpts{visible: true, visibleAt: sealAt, visibleAP: ring + a}),
		StatusModified, "line of signed text", drawsInLine(signed, line1))
	add(false, "twin: the same seal ring alone",
		s.sign(t, signed, sigOpts{visible: true, visibleAt: sealAt, visibleAP: ring}),
		StatusValid, "signature field", nil)
	// Red team s9 F2: a saturated yellow or green "1" is light to the luminance yet reads plainly.
	for _, c := range []struct{ name, rgb string }{{"yellow", "1 1 0 rg"}, {"pale green", "0.6 1 0.6 rg"}} {
		r, a = one(xColon-2.1, 660, c.rgb)
		add(true, `a `+c.name+` "1" in the word space: 100.00 reads 1100.00`, inkAnnot(t, signed, "Square", r, a, nil), StatusModified, "line of signed text", nil)
		r, a = one(420, 660, c.rgb)
		add(false, `twin: the same `+c.name+` "1" far right of the text`, inkAnnot(t, signed, "Square", r, a, nil), StatusValid, "Square annotation added", nil)
	}
	// Red team s9 F3: the first signature's seal box lies over the amount line (a seal on the
	// amount is common); a later signature's tiny widget inside that box draws a "1" into the
	// line. Drawing over an earlier signature's own appearance stays valid (iText signs twice in
	// one box), drawing over the page's text in that box does not.
	boxed := s.sign(t, doc, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Int(110), pdf.Int(620), pdf.Int(200), pdf.Int(700)}, visibleAP: "1 0 0 RG 2.5 w " + ellipse(155, 660, 40, 36) + " S"})
	r, a = one(xColon-2.1, 660, "0 g")
	add(true, `a later signature's tiny widget inside the first signature's box draws a "1" into the amount line`,
		s.sign(t, boxed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Real{Value: r[0]}, pdf.Real{Value: r[1]}, pdf.Real{Value: r[2]}, pdf.Real{Value: r[3]}}, visibleAP: a}),
		StatusModified, "line of signed text", drawsInLine(boxed, line1))
	// (As iText's interop 012 does: the same caption at the same place, another time.)
	caption := func(when string) string {
		return "0 g BT /F1 9 Tf 332 406 Td (Digitally signed by Zhang San) Tj 0 -11 Td (Date: 2026.03.01 " + when + ") Tj ET"
	}
	box2 := pdf.Array{pdf.Int(330), pdf.Int(380), pdf.Int(470), pdf.Int(420)}
	first := s.sign(t, doc, sigOpts{visible: true, visibleAt: box2, visibleAP: caption("10:46:28")})
	add(false, "twin: a later signature's caption drawn over the first signature's caption, in the same box",
		s.sign(t, first, sigOpts{visible: true, visibleAt: box2, visibleAP: caption("10:48:38")}),
		StatusValid, "signature field", nil)
	return rows
}

// TestCoverInkGreyPaper (red team s9 F15): on a page painted grey (0.85–0.9, a tinted form or a
// scan's paper) no pixel was as light as paper, so a black "1" before an amount was judged valid.
// Paper is now as light as the line's own paper; the same "1" far from the text stays valid.
func TestCoverInkGreyPaper(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	xColon := 72 + helv("Amount:", 16)
	line1 := [4]float64{72, 656, 72 + helv("Amount: 100.00 USD", 16), 672}
	var rows []rtRow
	for _, grey := range []string{"0.9", "0.85", "0.8"} {
		signed := s.sign(t, inkDocOn(grey+" g 0 0 612 792 re f 0 g"), sigOpts{})
		one := func(x float64) []byte {
			return inkAnnot(t, signed, "Square", [4]float64{x - 0.5, 655, x + 7, 675}, fmt.Sprintf("0 g BT /F1 16 Tf 80 Tz %.2f 660 Td (1) Tj ET", x), nil)
		}
		rows = append(rows,
			rtRow{`paper ` + grey + `: a black "1" in the word space: 100.00 reads 1100.00`, func() []byte { return one(xColon - 2.1) }, StatusModified, "line of signed text", drawsInLine(signed, line1)},
			rtRow{`twin, paper ` + grey + `: the same "1" far right of the text`, func() []byte { return one(420) }, StatusValid, "Square annotation added", nil})
	}
	runRows(t, s, rows)
}

// ellipse is a closed path of four Bézier curves around (cx, cy) with radii rx, ry.
func ellipse(cx, cy, rx, ry float64) string {
	const k = 0.5523
	return fmt.Sprintf("%.2f %.2f m %.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c",
		cx+rx, cy,
		cx+rx, cy+k*ry, cx+k*rx, cy+ry, cx, cy+ry,
		cx-k*rx, cy+ry, cx-rx, cy+k*ry, cx-rx, cy,
		cx-rx, cy-k*ry, cx-k*rx, cy-ry, cx, cy-ry,
		cx+k*rx, cy-ry, cx+rx, cy-k*ry, cx+rx, cy)
}

// strings0 turns a "(1) Tj" appearance into "(0) Tj".
func strings0(a string) string {
	b := []byte(a)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '(' && b[i+1] == '1' && b[i+2] == ')' {
			b[i+1] = '0'
		}
	}
	return string(b)
}

// TestCoverInkRows (red team s7 G12): marks drawn into a signed line of text — a dot between two
// digits, a "1" or a minus before an amount, a "0" after it — change what every reader shows and
// are disallowed, as is a thin white line through the digits; the same marks away from the
// text, highlights, notes, underlines, stamps in blank space and later signatures' seals (also
// over their label) stay valid.
func TestCoverInkRows(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	rows := inkRows(t, s)
	var rt []rtRow
	for _, r := range rows {
		rt = append(rt, r.rtRow)
	}
	runRows(t, s, rt)
}

// TestCoverInkRowsNeedTheRules: without the rules of coverink.go every attack row was judged
// valid (the finding), so each row tests them.
func TestCoverInkRowsNeedTheRules(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	attacksNeed(t, s, inkRows(t, s), &coverInkRules, "coverink.go's rules")
}

// attacksNeed switches *on off and checks that every attack row of rows is then judged valid:
// the row needs what *on turns on (what).
func attacksNeed(t *testing.T, s *signer, rows []inkRow, on *bool, what string) {
	*on = false
	defer func() { *on = true }()
	for _, r := range rows {
		if !r.attack {
			continue
		}
		t.Run(r.name, func(t *testing.T) {
			rep := verifyBytes(t, r.build(), s.store())
			if rep.Verdict != StatusValid {
				t.Fatalf("without %s: verdict %s, want %s (the row does not need them)\n%s", what, rep.Verdict, StatusValid, dump(rep))
			}
		})
	}
}
