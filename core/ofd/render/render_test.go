package render

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"sealdesk/core/ofd"
)

func sample(t testing.TB, name string) *ofd.Package {
	t.Helper()
	p := filepath.Join("..", "..", "..", "..", "shared", "ofd", "files", name)
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s missing (required under SEALDESK_CI)", p)
		}
		t.Skipf("OFD samples ../shared/ofd not found: %v", err)
	}
	pkg, err := ofd.Open(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}

// inked counts pixels that are not white in r.
func inked(img *image.RGBA, r image.Rectangle) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := img.RGBAAt(x, y)
			if c.R < 200 || c.G < 200 || c.B < 200 {
				n++
			}
		}
	}
	return n
}

// A real e-invoice page comes out with its text and rules where the file puts them, and a seal
// picture lands in its boundary, clipped.
func TestInvoicePage(t *testing.T) {
	pkg := sample(t, "ofd-v4-seal_einvoice_gomain_signedFile.ofd")
	d, err := NewDocument(pkg, 0)
	if err != nil {
		t.Fatal(err)
	}
	w, h, _ := d.PageSize(0)
	if w != 210 || h != 140 {
		t.Fatalf("page %v×%v mm, want 210×140", w, h)
	}
	red := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for i := range red.Pix {
		red.Pix[i] = []byte{255, 0, 0, 255}[i%4]
	}
	st := []Stamp{{Page: 0, Picture: red, Box: ofd.Box{X: 100, Y: 100, W: 20, H: 20}, Clip: ofd.Box{W: 10, H: 20}, HasClip: true}}
	img, res, err := d.Render(context.Background(), 0, 100, st)
	if err != nil {
		t.Fatal(err)
	}
	k := 100 / 25.4
	px := func(x, y, x2, y2 float64) image.Rectangle {
		return image.Rect(int(x*k), int(y*k), int(x2*k), int(y2*k))
	}
	// The title 江苏增值税电子普通发票 in Boundary 69 7 72 7.67.
	if n := inked(img, px(69, 7, 141, 15)); n < 500 {
		t.Errorf("title: %d inked pixels", n)
	}
	// The margin left of the title is blank.
	if n := inked(img, px(0, 0, 4, 4)); n != 0 {
		t.Errorf("corner: %d inked pixels", n)
	}
	// The seal: red in the clip, nothing of it beyond.
	if c := img.RGBAAt(int(105*k), int(110*k)); c.R < 200 || c.G > 60 {
		t.Errorf("inside the clip: %v", c)
	}
	if c := img.RGBAAt(int(115*k), int(110*k)); c.R > 200 && c.G < 60 {
		t.Errorf("outside the clip drawn: %v", c)
	}
	t.Logf("objects %d, skipped %d", res.Objects, res.Skipped)
	if dir := os.Getenv("SEALDESK_RENDER_OUT"); dir != "" {
		f, _ := os.Create(filepath.Join(dir, "invoice.png"))
		png.Encode(f, img)
		f.Close()
	}
}

// Drawing one invoice page at 150 dpi takes well under 300 ms (the bound).
func BenchmarkInvoicePage(b *testing.B) {
	pkg := sample(b, "ofd-v4-seal_einvoice_gomain_signedFile.ofd")
	d, _ := NewDocument(pkg, 0)
	d.Render(context.Background(), 0, 150, nil) // fonts parsed once per document
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := d.Render(context.Background(), 0, 150, nil); err != nil {
			b.Fatal(err)
		}
	}
}
