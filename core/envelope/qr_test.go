package envelope

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pdf/render"
)

// fullBleedJPEG is a photo-like picture with no white pixel anywhere (edges and corners included).
func fullBleedJPEG(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(60 + x*120/w), uint8(40 + y*120/h), uint8(90 + r.IntN(60)), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func renderPage(t *testing.T, e *render.Engine, name string, data []byte, dpi int) *image.RGBA {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := e.OpenBytes(ctx, name, data)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	img, err := d.Render(ctx, 0, dpi)
	if err != nil {
		t.Fatal(err)
	}
	out := image.NewRGBA(img.Bounds())
	copy(out.Pix, img.Pix)
	return out
}

func nonWhite(c color.RGBA) bool { return c.R < 235 || c.G < 235 || c.B < 235 }

// The verification QR code on a full-bleed JPEG page (a photo sent as a contract) covers none of
// the picture: the page grows a white strip below it and the code sits there, decodable; every
// pixel of the picture is where it was. Its twin: a page of text keeps its size and gets the code
// in its lower-right corner. Rendered with core/pdf/render (PDFium).
func TestQRDoesNotCoverFullBleedImage(t *testing.T) {
	const url = "https://sealdesk.example/v/vt_0123456789abcdef"
	e := render.New(nil)
	defer e.Close()
	orig, err := pdf.ImageDocument(fullBleedJPEG(t, 900, 1200))
	if err != nil {
		t.Fatal(err)
	}
	stamped, shift, err := stampQR(orig, url)
	if err != nil {
		t.Fatal(err)
	}
	if shift[1] != QRStrip {
		t.Fatalf("the image page was not given a strip: %v", shift)
	}
	const dpi = 144 // 2 px a point: the strip is a whole number of pixels, so the picture is sampled alike
	a := renderPage(t, e, "orig.pdf", orig, dpi)
	b := renderPage(t, e, "stamped.pdf", stamped, dpi)
	ab, bb := a.Bounds(), b.Bounds()
	strip, want := float64(bb.Dy()-ab.Dy()), QRStrip*dpi/72
	if bb.Dx() != ab.Dx() || strip < want-2 || strip > want+2 {
		t.Fatalf("stamped page %v, original %v: want the same width and %v points more height", bb, ab, QRStrip)
	}
	// The picture (the top of the stamped page) is untouched wherever it had ink; count the
	// non-white pixels of the original the stamped page changed.
	covered, ink := 0, 0
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			o := a.RGBAAt(x, y)
			if !nonWhite(o) {
				continue
			}
			ink++
			s := b.RGBAAt(x, y)
			if d := absDiff(o.R, s.R) + absDiff(o.G, s.G) + absDiff(o.B, s.B); d > 24 {
				covered++
			}
		}
	}
	if ink < ab.Dx()*ab.Dy()*9/10 || covered != 0 {
		t.Fatalf("%d of %d non-white pixels of the picture were covered", covered, ink)
	}
	if got := decodeQR(t, b.SubImage(image.Rect(0, ab.Dy(), bb.Dx(), bb.Dy()))); got != url {
		t.Fatalf("the strip's code says %q", got)
	}

	// The twin: text, no image, no strip; the code in the corner.
	text := pdfPage(t)
	st2, shift2, err := stampQR(text, url)
	if err != nil {
		t.Fatal(err)
	}
	if len(shift2) != 0 {
		t.Fatalf("a text page was given a strip: %v", shift2)
	}
	ta, tb := renderPage(t, e, "text.pdf", text, dpi), renderPage(t, e, "text-qr.pdf", st2, dpi)
	if ta.Bounds() != tb.Bounds() {
		t.Fatalf("text page resized: %v → %v", ta.Bounds(), tb.Bounds())
	}
	r := tb.Bounds()
	q := (QRSize + 2*QRMargin) * dpi / 72
	qi := int(q)
	corner := tb.SubImage(image.Rect(r.Max.X-qi, r.Max.Y-qi, r.Max.X, r.Max.Y))
	if got := decodeQR(t, corner); got != url {
		t.Fatalf("the corner's code says %q", got)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// decodeQR decodes the QR code in img, scaled up 4× (about 2 px a module is small for the
// decoder).
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	r := img.Bounds()
	big := image.NewRGBA(image.Rect(0, 0, r.Dx()*4, r.Dy()*4))
	for y := 0; y < r.Dy()*4; y++ {
		for x := 0; x < r.Dx()*4; x++ {
			big.Set(x, y, img.At(r.Min.X+x/4, r.Min.Y+y/4))
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(big)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("no qr code: %v", err)
	}
	return res.GetText()
}

// pdfPage is a one-page A4 PDF of text lines.
func pdfPage(t *testing.T) []byte {
	var content strings.Builder
	for i := 0; i < 40; i++ {
		content.WriteString("BT /F1 10 Tf 72 ")
		content.WriteString(itoa(780 - i*18))
		content.WriteString(" Td (contract line) Tj ET\n")
	}
	c := content.String()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		"<< /Length " + itoa(len(c)) + " >>\nstream\n" + c + "\nendstream",
	}
	return pdftest.Classic(objs...)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var d []byte
	for n > 0 {
		d = append([]byte{byte('0' + n%10)}, d...)
		n /= 10
	}
	if neg {
		d = append([]byte{'-'}, d...)
	}
	return string(d)
}
