package verify

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// onePagePDF writes a one-page PDF: 1 catalog, 2 pages, 3 the page (fonts /F1 = 5, plus the
// resources given), 4 its content, 5 Helvetica, then extra objects numbered from 6.
func onePagePDF(content, resources string, extra ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	var offs []int
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	obj("<</Type/Catalog/Pages 2 0 R>>")
	obj("<</Type/Pages/Kids[3 0 R]/Count 1>>")
	obj("<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<<" + resources + ">>/Contents 4 0 R>>")
	obj(fmt.Sprintf("<</Length %d>>stream\n%s\nendstream", len(content), content))
	obj("<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>")
	for _, e := range extra {
		obj(e)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func streamObj(dict, data string) string {
	return fmt.Sprintf("<<%s/Length %d>>stream\n%s\nendstream", dict, len(data), data)
}

// withoutShortcut verifies data with the cover check rendering every page, as before the
// shortcut existed.
func withoutShortcut(t *testing.T, data []byte, store *TrustStore) *Report {
	t.Helper()
	coverShortcuts = false
	defer func() { coverShortcuts = true }()
	return verifyBytes(t, data, store)
}

func changeCodes(rep *Report) []string {
	var out []string
	for _, s := range rep.Signatures {
		for _, d := range s.ChangeDetails {
			out = append(out, fmt.Sprintf("%d:%s:%v", s.Index, d.Code, d.Allowed))
		}
	}
	return out
}

// TestCoverShortcutSkipsRendering: visible signatures each in its own place, away from the
// signed text, are proven harmless without rendering (PDFium is not needed); stacked on each
// other they are rendered, and both files are valid either way.
func TestCoverShortcutSkipsRendering(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	grid := verifyBytes(t, benchFile(t, s, 0, false, 6, false), s.store())
	if grid.Verdict != StatusValid || grid.CoverRendered != 0 || grid.CoverProven != 5 {
		t.Fatalf("grid: verdict %s, rendered %d, proven %d\n%s", grid.Verdict, grid.CoverRendered, grid.CoverProven, dump(grid))
	}
	stacked := benchFile(t, s, 0, false, 4, true)
	rep := verifyBytes(t, stacked, s.store())
	if rep.Verdict != StatusValid || rep.CoverRendered == 0 {
		t.Fatalf("stacked: verdict %s, rendered %d, proven %d\n%s", rep.Verdict, rep.CoverRendered, rep.CoverProven, dump(rep))
	}
}

// TestCoverShortcutNeverAcceptsWhatRenderingRefuses: for files where an added visible signature
// covers, or may cover, what was signed, the verdict and every change are the same with the
// shortcut as with rendering every page; those that cover are refused, and a page that the
// shortcut cannot prove untouched is rendered.
func TestCoverShortcutNeverAcceptsWhatRenderingRefuses(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	const text = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	at := func(x0, y0, x1, y1 int) pdf.Array {
		return pdf.Array{pdf.Int(x0), pdf.Int(y0), pdf.Int(x1), pdf.Int(y1)}
	}
	type row struct {
		name      string
		doc       []byte
		rect      pdf.Array
		ap        string
		covers    bool // the rendering finds signed content covered
		mayRender bool // the shortcut may not prove it (rendered)
	}
	rows := []row{
		{"white box over the text", onePagePDF(text, "/Font<</F1 5 0 R>>"), at(60, 690, 400, 730), "1 g 60 690 340 40 re f", true, true},
		{"opaque box and new amount over the text", onePagePDF(text, "/Font<</F1 5 0 R>>"), at(60, 690, 400, 730), "1 g 60 690 340 40 re f 0 g BT /F1 24 Tf 72 700 Td (Pay 9000000 yuan) Tj ET", true, true},
		{"box just touching the text's reach", onePagePDF(text, "/Font<</F1 5 0 R>>"), at(300, 640, 420, 676), "1 g 300 640 120 36 re f", false, true},
		{"cm moves the paint from far away onto the text", onePagePDF(text, "/Font<</F1 5 0 R>>"), at(60, 300, 400, 340), "q 1 0 0 1 0 390 cm 1 g 60 300 340 40 re f Q", false, true},
		{"text moved under the widget by TJ", onePagePDF("BT /F1 24 Tf 72 700 Td [(Pay) -15000 (X)] TJ ET", "/Font<</F1 5 0 R>>"), at(460, 690, 520, 730), "1 g 460 690 60 40 re f", true, true},
		{"text moved under the widget by Tc", onePagePDF("BT /F1 24 Tf 100 Tc 72 500 Td (PPPPPP) Tj ET", "/Font<</F1 5 0 R>>"), at(460, 480, 560, 540), "1 g 460 480 100 60 re f", true, true},
		{"text in an embedded font elsewhere", onePagePDF("BT /F2 24 Tf 72 700 Td (Pay) Tj ET", "/Font<</F1 5 0 R/F2 6 0 R>>",
			"<</Type/Font/Subtype/TrueType/BaseFont/Evil/FirstChar 32/LastChar 126/Widths[]/FontDescriptor 7 0 R>>",
			"<</Type/FontDescriptor/FontName/Evil/Flags 32/FontBBox[0 0 1000 1000]/ItalicAngle 0/Ascent 900/Descent -100/CapHeight 700/StemV 80/FontFile2 8 0 R>>",
			streamObj("", "none")), at(72, 100, 272, 160), "1 g 72 100 200 60 re f", false, true},
		{"Type 3 glyphs elsewhere", onePagePDF("BT /F2 24 Tf 72 700 Td (a) Tj ET", "/Font<</F1 5 0 R/F2 6 0 R>>",
			"<</Type/Font/Subtype/Type3/FontBBox[0 0 1 1]/FontMatrix[0.001 0 0 0.001 0 0]/CharProcs<</a 7 0 R>>/Encoding<</Differences[97/a]>>/FirstChar 97/LastChar 97/Widths[1000]>>",
			streamObj("", "1000 0 d0 0 0 0 rg 0 -20000 800 700 re f")), at(60, 210, 120, 250), "1 g 60 210 60 40 re f", true, true},
		{"inline image on the page", onePagePDF(text+" q 100 0 0 100 72 72 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x00 EI Q", "/Font<</F1 5 0 R>>"), at(300, 300, 400, 340), "1 g 300 300 100 40 re f", false, true},
		{"shading without a clip", onePagePDF(text+" /Sh1 sh", "/Font<</F1 5 0 R>>/Shading<</Sh1 6 0 R>>",
			"<</ShadingType 2/ColorSpace/DeviceGray/Coords[0 0 612 0]/Function<</FunctionType 2/Domain[0 1]/C0[0]/C1[1]/N 1>>>>"), at(300, 300, 400, 340), "1 g 300 300 100 40 re f", true, true},
		{"widget far from the text", onePagePDF(text, "/Font<</F1 5 0 R>>"), at(72, 100, 272, 160), "1 0 0 rg 72 100 200 60 re f 0 g BT /F1 12 Tf 77 120 Td (Signed) Tj ET", false, false},
		{"widget under invisible text", onePagePDF("q BT /F1 24 Tf 3 Tr 72 120 Td (Hidden) Tj ET Q "+text, "/Font<</F1 5 0 R>>"), at(72, 100, 272, 160), "1 0 0 rg 72 100 200 60 re f", false, false},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			doc := s.sign(t, r.doc, sigOpts{})
			doc = s.sign(t, doc, sigOpts{visible: true, visibleAt: r.rect, visibleAP: r.ap})
			fast := verifyBytes(t, doc, s.store())
			slow := withoutShortcut(t, doc, s.store())
			if fast.Verdict != slow.Verdict || fmt.Sprint(changeCodes(fast)) != fmt.Sprint(changeCodes(slow)) {
				t.Fatalf("the shortcut changed the result: %s %v, rendering every page: %s %v", fast.Verdict, changeCodes(fast), slow.Verdict, changeCodes(slow))
			}
			covered := strings.Contains(fmt.Sprint(changeCodes(slow)), ChangeCoversContent)
			if covered != r.covers {
				t.Errorf("covers = %v, want %v: %v\n%s", covered, r.covers, changeCodes(slow), dump(slow))
			}
			if r.covers && fast.Verdict == StatusValid {
				t.Errorf("covering signature judged valid")
			}
			if r.mayRender && fast.CoverRendered == 0 {
				t.Errorf("the shortcut proved a page it should not: rendered %d, proven %d", fast.CoverRendered, fast.CoverProven)
			}
			if !r.mayRender && (fast.CoverRendered != 0 || fast.CoverProven == 0) {
				t.Errorf("not proven without rendering: rendered %d, proven %d", fast.CoverRendered, fast.CoverProven)
			}
		})
	}
}

// TestGlyphBoundsHoldInPDFium checks the shortcut's model of text against the renderer it
// stands in for: text in fonts PDFium draws from its built-in faces — the standard 14, other
// names it substitutes, lying descriptors and widths, synthetic italic and bold, mirrored and
// scaled text — is rendered, and every inked pixel lies inside the boxes paintBounds computes.
func TestGlyphBoundsHoldInPDFium(t *testing.T) {
	fonts := []string{
		"<</Type/Font/Subtype/Type1/BaseFont/Helvetica-BoldOblique>>",
		"<</Type/Font/Subtype/Type1/BaseFont/Times-Italic>>",
		"<</Type/Font/Subtype/Type1/BaseFont/Courier>>",
		"<</Type/Font/Subtype/Type1/BaseFont/Symbol>>",
		"<</Type/Font/Subtype/Type1/BaseFont/ZapfDingbats>>",
		"<</Type/Font/Subtype/TrueType/BaseFont/Arial,BoldItalic/FirstChar 32/LastChar 126/Widths[" + strings.Repeat("100 ", 95) + "]/FontDescriptor<</Type/FontDescriptor/FontName/Arial,BoldItalic/Flags 262240/FontBBox[0 0 10 10]/ItalicAngle -80/Ascent 10/Descent 0/CapHeight 10/StemV 200>>>>",
		"<</Type/Font/Subtype/TrueType/BaseFont/SimSun/FirstChar 32/LastChar 126/Widths[" + strings.Repeat("5000 ", 95) + "]/FontDescriptor<</Type/FontDescriptor/FontName/SimSun/Flags 6/FontBBox[0 0 1 1]/ItalicAngle 0/Ascent 1/Descent 0/CapHeight 1/StemV 1>>>>",
		"<</Type/Font/Subtype/Type1/BaseFont/NoSuchFont-Black/FirstChar 65/LastChar 66/Widths[-3000 3000]/FontDescriptor<</Type/FontDescriptor/FontName/NoSuchFont-Black/Flags 262178/FontBBox[0 0 0 0]/ItalicAngle 60/StemV 900/MissingWidth 0>>>>",
		"<</Type/Font/Subtype/MMType1/BaseFont/MyriadMM_400_600_>>",
	}
	const sample = "AWMgjQ@|{}_%&#8 ABBA Wy\\(\\)"
	shows := []string{
		"BT /F 30 Tf 40 700 Td (" + sample + ") Tj ET",
		"BT /F 18 Tf 2 Tr 3 w 150 Tz 5 Ts 40 600 Td [(" + sample + ") -800 (AB) 400 (BA)] TJ ET",
		"BT /F -20 Tf 300 500 Td (" + sample + ") Tj ET",
		"BT /F 24 Tf 4 Tc 9 Tw 40 400 Td (A B A B) Tj T* (Wj) ' 2 3 (gQ) \" ET",
		"q 0.7 0.7 -0.7 0.7 300 150 cm BT /F 22 Tf 0 0 Td (" + sample + ") Tj ET Q",
		"BT /F 16 Tf -100 Tz 500 250 Td (" + sample + ") Tj ET",
		"BT 300 60 Td /F 14 Tf (default state " + sample + ") Tj ET",
	}
	eng := (&verifier{opts: &Options{}}).renderer()
	ctx := context.Background()
	for i, f := range fonts {
		content := strings.Join(shows, "\n")
		data := onePagePDF(content, "/Font<</F 6 0 R>>", f)
		pf, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			t.Fatal(err)
		}
		pages, err := pf.Latest().Pages()
		if err != nil {
			t.Fatal(err)
		}
		pb := newPaintBounds(pf, pf.Latest(), pages[0].Resources, nil)
		pb.page(pages[0])
		if pb.failed {
			t.Fatalf("font %d: no bound for built-in faces", i)
		}
		doc, err := eng.OpenRaster(ctx, "glyphs.pdf", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := doc.Render(ctx, 0, coverDPI)
		if err != nil {
			t.Fatal(err)
		}
		info, err := doc.PageInfo(0)
		if err != nil {
			t.Fatal(err)
		}
		doc.Close()
		toUser := pixelToUser(info, coverDPI)
		inked, outside := 0, 0
		var first image.Point
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if lum(img, x, y) >= 250 {
					continue
				}
				inked++
				ux, uy := toUser(float64(x)+0.5, float64(y)+0.5)
				in := false
				for _, bx := range pb.boxes {
					if bx.grow(1).overlaps(box{ux, uy, ux, uy}) || ux >= bx.x0-1 && ux <= bx.x1+1 && uy >= bx.y0-1 && uy <= bx.y1+1 {
						in = true
						break
					}
				}
				if !in {
					if outside == 0 {
						first = image.Pt(x, y)
					}
					outside++
				}
			}
		}
		if inked < 1000 {
			t.Errorf("font %d: only %d inked pixels: the text was not drawn", i, inked)
		}
		if outside > 0 {
			ux, uy := toUser(float64(first.X), float64(first.Y))
			t.Errorf("font %d: %d of %d inked pixels outside the bounds, the first at (%.0f, %.0f); bounds %v", i, outside, inked, ux, uy, pb.boxes)
		}
	}
}
