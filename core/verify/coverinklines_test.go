package verify

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pdf/raster"
	"sealdesk/core/pki"
)

// adv is the advance of s in Helvetica at size (the characters of the ink-line rows).
func adv(s string, size float64) float64 {
	w := map[rune]float64{' ': 278, ',': 278, '.': 278, ':': 278, '(': 333, ')': 333,
		'A': 667, 'B': 667, 'C': 722, 'D': 722, 'E': 667, 'L': 556, 'M': 833, 'P': 667, 'S': 667, 'T': 611, 'U': 722,
		'a': 556, 'd': 556, 'e': 556, 'i': 222, 'l': 222, 'm': 833, 'n': 556, 'o': 556, 'p': 556, 'r': 333, 's': 500,
		't': 278, 'u': 556, 'y': 500}
	sum := 0.0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			sum += 556
			continue
		}
		v, ok := w[r]
		if !ok {
			panic(fmt.Sprintf("adv: no width for %q", r))
		}
		sum += v
	}
	return sum * size / 1000
}

// inkLine is a signed line (or page) of text drawn as ink that is not text.
type inkLine struct {
	text     string
	size, x  float64 // font size; the line starts at (x, y) on the baseline
	y        float64
	dpi      int // the resolution it was rasterised at
	box      [4]float64
	w, h     int
	bits     []byte // rows of w samples, padded to bytes; 1 is ink
	rowBytes int
}

// rasterLine renders text in Helvetica with PDFium at dpi and keeps its ink as a 1-bit mask
// (what a scanner or a rasterising printer driver makes of a line of text).
func rasterLine(t testing.TB, text string, size, x, y float64, dpi int) inkLine {
	t.Helper()
	l := rasterInk(t, fmt.Sprintf("BT /F1 %g Tf %g %g Td (%s) Tj ET", size, x, y, text), [4]float64{x - 4, y - 0.3*size, x + adv(text, size) + 4, y + size}, dpi)
	l.text, l.size, l.x, l.y = text, size, x, y
	return l
}

// rasterInk renders content (Helvetica is /F1) on a letter page with PDFium at dpi and keeps
// the ink inside box as a 1-bit mask.
func rasterInk(t testing.TB, content string, box [4]float64, dpi int) inkLine {
	t.Helper()
	l := inkLine{dpi: dpi, box: box}
	doc := pdftest.Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		pdftest.Stream(content, ""),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	)
	ctx := context.Background()
	d, err := (&verifier{opts: &Options{}}).renderer().OpenRaster(ctx, "line", bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := float64(dpi) / 72
	r := image.Rect(int(math.Round(l.box[0]*s)), int(math.Round((792-l.box[3])*s)), int(math.Round(l.box[2]*s)), int(math.Round((792-l.box[1])*s)))
	img, err := d.RenderRegion(ctx, 0, dpi, r, false)
	if err != nil {
		t.Fatal(err)
	}
	// The box as the pixels cover it, so that the image is placed where the text was.
	l.box = [4]float64{float64(r.Min.X) / s, 792 - float64(r.Max.Y)/s, float64(r.Max.X) / s, 792 - float64(r.Min.Y)/s}
	l.w, l.h = r.Dx(), r.Dy()
	l.rowBytes = (l.w + 7) / 8
	l.bits = make([]byte, l.rowBytes*l.h)
	n := 0
	for yy := 0; yy < l.h; yy++ {
		for xx := 0; xx < l.w; xx++ {
			if lum(img, r.Min.X+xx, r.Min.Y+yy) < 128 {
				l.bits[yy*l.rowBytes+xx/8] |= 0x80 >> (xx % 8)
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("rasterInk %q: only %d ink samples", content, n)
	}
	return l
}

// imageMask draws the line as a 1-bit /ImageMask named name; the object is returned.
func (l inkLine) imageMask(name string) (ops, obj string) {
	ops = fmt.Sprintf("q 0 g %.4f 0 0 %.4f %.4f %.4f cm /%s Do Q\n", l.box[2]-l.box[0], l.box[3]-l.box[1], l.box[0], l.box[1], name)
	obj = pdftest.Stream(hex.EncodeToString(l.bits)+">", fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ImageMask true /BitsPerComponent 1 /Decode [1 0] /Filter /ASCIIHexDecode", l.w, l.h))
	return ops, obj
}

// paths draws the line as filled rectangles, one per run of ink in each row (text converted
// to outlines, at the resolution of the mask).
func (l inkLine) paths() string {
	var b strings.Builder
	s := 72 / float64(l.dpi)
	b.WriteString("q 0 g\n")
	for yy := 0; yy < l.h; yy++ {
		xx := 0
		for xx < l.w {
			if l.bits[yy*l.rowBytes+xx/8]&(0x80>>(xx%8)) == 0 {
				xx++
				continue
			}
			x0 := xx
			for xx < l.w && l.bits[yy*l.rowBytes+xx/8]&(0x80>>(xx%8)) != 0 {
				xx++
			}
			fmt.Fprintf(&b, "%.2f %.2f %.2f %.2f re\n", l.box[0]+float64(x0)*s, l.box[3]-float64(yy+1)*s, float64(xx-x0)*s, s)
		}
	}
	b.WriteString("f Q\n")
	return b.String()
}

// inkLinesDoc is the signed document of the ink-line rows: a payee and a seal label in text,
// and between them an amount due (14 pt) and a total (16 pt) drawn as ink that is not text —
// as /ImageMask images (asPaths false) or as outlines (asPaths true). Helvetica is object 5.
func inkLinesDoc(amount, total inkLine, asPaths bool) []byte {
	content := "BT /F1 12 Tf 72 700 Td (Payee: ACME Corporation Ltd) Tj ET\n" +
		"BT /F1 12 Tf 72 500 Td (Party B \\(seal\\):) Tj ET\n"
	res := "/Font << /F1 5 0 R >>"
	var objs []string
	if asPaths {
		content += amount.paths() + total.paths()
	} else {
		o1, i1 := amount.imageMask("Im1")
		o2, i2 := total.imageMask("Im2")
		content += o1 + o2
		res += " /XObject << /Im1 6 0 R /Im2 7 0 R >>"
		objs = []string{i1, i2}
	}
	return pdftest.Classic(append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << " + res + " >> >>",
		pdftest.Stream(content, ""),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}, objs...)...)
}

// inkLineRows: for each way of drawing the signed lines, a "1" in the gap before the amount and
// a dot between two digits of the total (attacks), and the same marks far from the lines, a
// highlight (yellow, pink) multiplied over the amount, an underline under it, a note in the margin and a
// later signature's seal in blank space (twins).
func inkLineRows(t *testing.T, s *signer) []inkRow {
	amount := rasterLine(t, "Amount due: USD 1,250.00", 14, 72, 640, 300)
	total := rasterLine(t, "Total: 1000000 USD", 16, 72, 580, 300)
	var rows []inkRow
	add := func(attack bool, name string, d []byte, want Verdict, reason string, effect func(t *testing.T, d []byte)) {
		rows = append(rows, inkRow{rtRow{name, func() []byte { return d }, want, reason, effect}, attack})
	}
	for _, k := range []struct {
		name    string
		asPaths bool
	}{{"image mask", false}, {"outlines", true}} {
		signed := s.sign(t, inkLinesDoc(amount, total, k.asPaths), sigOpts{})
		one := func(x float64) (rect [4]float64, data string) {
			return [4]float64{x - 0.5, 636, x + 8, 654}, fmt.Sprintf("0 g BT /F1 14 Tf %.2f 640 Td (1) Tj ET", x)
		}
		dot := func(x float64) (rect [4]float64, data string) {
			return [4]float64{x - 2, 578, x + 2, 583}, fmt.Sprintf("0 g %.2f 580 1.8 1.8 re f", x-0.9)
		}
		amountBox := [4]float64{72, 636, 72 + adv(amount.text, 14), 652}
		totalBox := [4]float64{72, 576, 72 + adv(total.text, 16), 594}
		r, a := one(72 + adv("Amount due: USD ", 14) - 5.5)
		add(true, k.name+`: a "1" in the gap before the amount: 1,250.00 reads 11,250.00`, inkAnnot(t, signed, "Stamp", r, a, nil), StatusModified, "line of signed text", drawsInLine(signed, amountBox))
		r, a = one(480)
		add(false, k.name+`: twin: the same "1" far right of the line`, inkAnnot(t, signed, "Stamp", r, a, nil), StatusValid, "Stamp annotation added", nil)
		r, a = dot(72 + adv("Total: 1000", 16))
		add(true, k.name+": a dot between two digits: 1000000 reads 1000.000", inkAnnot(t, signed, "Square", r, a, nil), StatusModified, "line of signed text", drawsInLine(signed, totalBox))
		r, a = dot(480)
		add(false, k.name+": twin: the same dot far right of the line", inkAnnot(t, signed, "Square", r, a, nil), StatusValid, "Square annotation added", nil)
		hl := [4]float64{70, 634, amountBox[2] + 2, 655}
		quad := pdf.Dict{"QuadPoints": pdf.Array{pdf.Real{Value: hl[0]}, pdf.Real{Value: hl[3]}, pdf.Real{Value: hl[2]}, pdf.Real{Value: hl[3]}, pdf.Real{Value: hl[0]}, pdf.Real{Value: hl[1]}, pdf.Real{Value: hl[2]}, pdf.Real{Value: hl[1]}}}
		for _, c := range []struct{ name, rgb string }{{"yellow", "1 1 0"}, {"pink", "1 0.6 0.8"}} {
			add(false, k.name+": twin: a "+c.name+" highlight multiplied over the amount line",
				inkAnnot(t, signed, "Highlight", hl, fmt.Sprintf("/M gs %s rg %.2f %.2f %.2f %.2f re f", c.rgb, hl[0], hl[1], hl[2]-hl[0], hl[3]-hl[1]), quad),
				StatusValid, "Highlight annotation added", nil)
		}
		// 2 pt under the baseline: inside the line's box, through the comma's tail.
		add(false, k.name+": twin: an underline under the amount line",
			inkAnnot(t, signed, "Underline", hl, fmt.Sprintf("0 0 1 RG 1 w %.2f 638 m %.2f 638 l S", hl[0], hl[2]), quad), StatusValid, "Underline annotation added", nil)
		add(false, k.name+": twin: a note (Text) icon in the margin",
			inkAnnot(t, signed, "Text", [4]float64{20, 630, 40, 650}, "0 0 1 RG 1 w 22 632 16 16 re S", nil), StatusValid, "Text annotation added", nil)
		add(false, k.name+": twin: a later signature's seal in blank space",
			s.sign(t, signed, sigOpts{visible: true, visibleAt: pdf.Array{pdf.Int(332), pdf.Int(384), pdf.Int(400), pdf.Int(440)}, visibleAP: "1 0 0 RG 2 w 334 386 64 52 re S 1 0 0 rg BT /F1 10 Tf 348 406 Td (SEAL) Tj ET"}),
			StatusValid, "signature field", nil)
	}
	return rows
}

// TestCoverInkLineRows (red team s8 F3): a signed line drawn as an image or as outlines has no
// text, and still a "1" added before its amount or a dot between its digits changes what every
// reader shows and is disallowed; the same marks away from it, a highlight, an underline, a
// note and a later signature's seal stay valid.
func TestCoverInkLineRows(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	var rt []rtRow
	for _, r := range inkLineRows(t, s) {
		rt = append(rt, r.rtRow)
	}
	runRows(t, s, rt)
}

// TestCoverInkLineRowsNeedTheLines: without the ink lines of coverinklines.go every attack row
// was judged valid (the finding), so each row tests them.
func TestCoverInkLineRowsNeedTheLines(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	attacksNeed(t, s, inkLineRows(t, s), &coverInkLines, "coverinklines.go's ink lines")
}

// TestSignedInkLines checks the line finder on drawn rasters: glyph-sized blobs in a row make
// one line, unless a text run already covers them, and so does a lone glyph inkLoneMinH pixels
// high; a rule, a large picture and a lower lone glyph make none; too many glyphs is a budget
// error.
func TestSignedInkLines(t *testing.T) {
	info := raster.PageInfo{CropBox: raster.Rect{LLX: 0, LLY: 0, URX: 300, URY: 150}, Width: 300, Height: 150}
	toUser := pixelToUser(info, coverDPI)
	blank := func() *image.RGBA {
		img := image.NewRGBA(image.Rect(0, 0, 400, 200))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		return img
	}
	fill := func(img *image.RGBA, r image.Rectangle) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.SetRGBA(x, y, color.RGBA{A: 255})
			}
		}
	}
	glyphs := func(img *image.RGBA, x, y, n int) { // n glyphs 7×12 px, 3 px apart
		for i := range n {
			fill(img, image.Rect(x+10*i, y, x+10*i+7, y+12))
		}
	}
	ctx := context.Background()
	cases := []struct {
		name  string
		draw  func(img *image.RGBA)
		runs  []textRun
		lines int
	}{
		{"a row of glyphs", func(img *image.RGBA) { glyphs(img, 40, 50, 8) }, nil, 1},
		{"two rows", func(img *image.RGBA) { glyphs(img, 40, 50, 8); glyphs(img, 40, 80, 5) }, nil, 2},
		{"two words a gap apart", func(img *image.RGBA) { glyphs(img, 40, 50, 4); glyphs(img, 40+40+20, 50, 4) }, nil, 1},
		{"two columns far apart", func(img *image.RGBA) { glyphs(img, 20, 50, 4); glyphs(img, 300, 50, 4) }, nil, 2},
		{"a lone glyph (a digit alone in a cell, a check box)", func(img *image.RGBA) { glyphs(img, 40, 50, 1) }, nil, 1},
		{"a lone glyph under inkLoneMinH", func(img *image.RGBA) { fill(img, image.Rect(40, 50, 45, 50+inkLoneMinH-1)) }, nil, 0},
		{"glyphs that touch", func(img *image.RGBA) { fill(img, image.Rect(40, 50, 80, 62)) }, nil, 1},
		{"a rule", func(img *image.RGBA) { fill(img, image.Rect(20, 50, 380, 52)); fill(img, image.Rect(20, 60, 380, 64)) }, nil, 0},
		{"a picture", func(img *image.RGBA) { fill(img, image.Rect(20, 20, 200, 180)) }, nil, 0},
		{"glyphs a text run covers", func(img *image.RGBA) { glyphs(img, 40, 50, 8) },
			[]textRun{{box: pdf.Rect{LLX: 25, LLY: 150 - 47, URX: 100, URY: 150 - 36}, em: 10}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := blank()
			c.draw(img)
			got, err := signedInkLines(ctx, img, c.runs, toUser)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.lines {
				t.Fatalf("%d lines, want %d: %+v", len(got), c.lines, got)
			}
		})
	}
	t.Run("the line's box and em", func(t *testing.T) {
		img := blank()
		glyphs(img, 40, 50, 8)
		got, err := signedInkLines(ctx, img, nil, toUser)
		if err != nil || len(got) != 1 {
			t.Fatalf("%v %+v", err, got)
		}
		// 12 px glyphs: an em of 15.6 px (11.7 pt) centred on them; along the line, the ink.
		r, px := got[0], 72.0/coverDPI
		want := pdf.Rect{LLX: 40 * px, LLY: 150 - (56+7.8)*px, URX: 117 * px, URY: 150 - (56-7.8)*px}
		if math.Abs(r.em-15.6*px) > 1e-9 || r.vertical || math.Abs(r.box.LLX-want.LLX) > 1e-9 || math.Abs(r.box.URX-want.URX) > 1e-9 ||
			math.Abs(r.box.LLY-want.LLY) > 1e-9 || math.Abs(r.box.URY-want.URY) > 1e-9 {
			t.Fatalf("run %+v, want box %+v em %.2f", r, want, 15.6*px)
		}
	})
	t.Run("too many glyphs", func(t *testing.T) {
		img := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		for y := 0; y+4 <= 1000; y += 4 {
			for x := 0; x < 1000; x += 2 {
				fill(img, image.Rect(x, y, x+1, y+3))
			}
		}
		_, err := signedInkLines(ctx, img, nil, toUser)
		var be *appearanceBudgetError
		if !errors.As(err, &be) || be.limit != "MaxInkGlyphs" {
			t.Fatalf("error %v, want the MaxInkGlyphs budget", err)
		}
	})
}

// BenchmarkCoverInkLines: what the ink lines add to a rendered page. A scanned contract (each
// page one 150-dpi 1-bit image of 40 lines of 11-pt text: no PDFium text, so every glyph goes
// to the lines) of 1 and of 10 pages gets a small Square note on every page after signing, so
// every page is rendered; it is verified with the ink lines on and off, rendered by region (the
// default) and as whole pages. cpu-ms/op is the process's CPU time (the machine may be shared).
func BenchmarkCoverInkLines(b *testing.B) {
	s := newSigner(b, pki.ECDSAP256)
	var content strings.Builder
	for i := range 40 {
		fmt.Fprintf(&content, "BT /F1 11 Tf 56 %d Td (Line %02d: the party of the first part pays 1,000,000 yuan on delivery.) Tj ET\n", 740-16*i, i+1)
	}
	scan := rasterInk(b, content.String(), [4]float64{0, 0, 612, 792}, 150)
	ops, img := scan.imageMask("Im1")
	store := s.store()
	for _, n := range []int{1, 10} {
		objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "", pdftest.Stream(ops, ""), img,
			"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"}
		var kids []string
		for i := range n {
			kids = append(kids, fmt.Sprintf("%d 0 R", 6+i))
			objs = append(objs, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 5 0 R >> >> >>")
		}
		objs[1] = fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n)
		signed := s.sign(b, pdftest.Classic(objs...), sigOpts{})
		rect := pdf.Array{pdf.Int(520), pdf.Int(40), pdf.Int(530), pdf.Int(50)}
		data := update(b, signed, func(u *pdf.Update, v *pdf.View) {
			pages, err := v.Pages()
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range pages {
				a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": rect, "F": pdf.Int(4),
					"AP": pdf.Dict{"N": u.Add(s4Form(rect, []byte("0 g 524 44 2 2 re f"), nil))}})
				pd := p.Dict.Clone()
				arr, _ := resolvedArray(v, pd.Get("Annots"))
				pd["Annots"] = append(append(pdf.Array{}, arr...), a)
				setObj(b, u, p.Ref, pd)
			}
		})
		path := filepath.Join(b.TempDir(), "scan.pdf")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		for _, region := range []bool{true, false} {
			for _, lines := range []bool{false, true} {
				b.Run(fmt.Sprintf("pages=%d/region=%v/lines=%v", n, region, lines), func(b *testing.B) {
					coverRegions, coverInkLines = region, lines
					defer func() { coverRegions, coverInkLines = true, true }()
					c0 := cpuTime()
					for b.Loop() {
						rep, err := File(context.Background(), path, &Options{Trust: store})
						if err != nil || rep.Verdict != StatusValid {
							b.Fatalf("%v\n%s", err, dump(rep))
						}
					}
					b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
				})
			}
		}
	}
}

// BenchmarkSignedInkLines: the line finder alone on a whole page at coverDPI — the scanned page
// of BenchmarkCoverInkLines (every glyph goes to the lines) and the same page in text (PDFium's
// runs cover every glyph).
func BenchmarkSignedInkLines(b *testing.B) {
	var content strings.Builder
	for i := range 40 {
		fmt.Fprintf(&content, "BT /F1 11 Tf 56 %d Td (Line %02d: the party of the first part pays 1,000,000 yuan on delivery.) Tj ET\n", 740-16*i, i+1)
	}
	scan := rasterInk(b, content.String(), [4]float64{0, 0, 612, 792}, 150)
	ops, img := scan.imageMask("Im1")
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
	for _, c := range []struct{ name, content, res, obj6 string }{
		{"scan", ops, "/XObject << /Im1 6 0 R >>", img},
		{"text", content.String(), "", "<< >>"},
	} {
		doc := pdftest.Classic(
			"<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "+c.res+" >> >>",
			pdftest.Stream(c.content, ""), font, c.obj6)
		ctx := context.Background()
		d, err := (&verifier{opts: &Options{}}).renderer().OpenRaster(ctx, c.name, bytes.NewReader(doc), int64(len(doc)))
		if err != nil {
			b.Fatal(err)
		}
		page, err := d.Render(ctx, 0, coverDPI)
		if err != nil {
			b.Fatal(err)
		}
		runs, err := signedTextRuns(ctx, d, 1)
		if err != nil {
			b.Fatal(err)
		}
		info, err := d.PageInfo(0)
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
		toUser := pixelToUser(info, coverDPI)
		b.Run(c.name, func(b *testing.B) {
			var lines []textRun
			c0 := cpuTime()
			for b.Loop() {
				lines, err = signedInkLines(ctx, page, runs, toUser)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-c0)/1e6/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(len(lines)), "lines")
			b.ReportMetric(float64(len(runs)), "runs")
		})
	}
}

// TestCoverInkCheckBox (red team s9 F12): an empty check box drawn as lines 16 pt from its label
// was no line of signed text (a lone glyph-sized part), so a tick drawn into it after signing
// was valid while every reader showed "[X] Claim APPROVED". A lone part inkLoneMinH pixels high
// is a line of its own; the same tick in blank space stays valid.
func TestCoverInkCheckBox(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc := pdftest.Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		pdftest.Stream("0 G 1 w 72 600 12 12 re S BT /F1 12 Tf 100 602 Td (Claim APPROVED for payment) Tj ET", ""),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	)
	signed := s.sign(t, doc, sigOpts{})
	tick := func(x float64) []byte {
		return inkAnnot(t, signed, "Square", [4]float64{x, 598, x + 14, 614}, fmt.Sprintf("0 G 1.8 w %.1f 606 m %.1f 602 l %.1f 611 l S", x+2.5, x+5.5, x+11), nil)
	}
	runRows(t, s, []rtRow{
		{"a tick drawn into the empty check box", func() []byte { return tick(72) }, StatusModified, "line of signed text", drawsInLine(signed, [4]float64{72, 600, 84, 612})},
		{"twin: the same tick in blank space", func() []byte { return tick(400) }, StatusValid, "Square annotation added", nil},
	})
}
