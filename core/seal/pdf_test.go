package seal

import (
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sealdesk/core/pdf/pdftest"
	"testing"
)

// minimalPDF wraps a content stream in a one-page PDF whose page is the drawing's box.
func minimalPDF(d *Drawing) []byte {
	content := d.PDFContent()
	w, h := d.Width*72/25.4, d.Height*72/25.4
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] /Contents 4 0 R /Resources << >> >>", w, h),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	return pdftest.Classic(objs...)
}

// TestPDFContentMatchesRaster renders the vector form with poppler and compares it with our
// own rasterization: the same drawing, within anti-aliasing differences.
func TestPDFContentMatchesRaster(t *testing.T) {
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("pdftoppm (poppler-utils) is required in CI")
		}
		t.Skip("pdftoppm not installed")
	}
	for _, s := range []Spec{
		{Style: Official, Size: Round42, Name: "北京云印科技发展有限公司", Code: "91350100M000100Y43"},
		{Style: Invoice, Name: "北京云印科技发展有限公司", Code: "91310110666007217T"},
		{Style: Finance, Size: Square25, Name: "南京紫金电子有限公司"},
	} {
		d, err := Layout(s)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		pdf := filepath.Join(dir, "seal.pdf")
		if err := os.WriteFile(pdf, minimalPDF(d), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "-r", "254", "-png", "-singlefile", pdf, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, out)
		}
		f, err := os.Open(filepath.Join(dir, "p.png"))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ours, err := d.Rasterize(254) // 10 px/mm: whole-pixel page sizes for both
		if err != nil {
			t.Fatal(err)
		}
		b := ours.Bounds().Intersect(theirs.Bounds())
		if dx := ours.Bounds().Dx() - theirs.Bounds().Dx(); dx < -1 || dx > 1 {
			t.Fatalf("%s: poppler page %v, ours %v", s.Style, theirs.Bounds(), ours.Bounds())
		}
		var inter, union int
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				_, g, _, _ := theirs.At(x, y).RGBA() // red ink on white: green falls with coverage
				p := 1-float64(g)/0xffff >= 0.5
				q := ours.Pix[ours.PixOffset(x, y)+3] >= 128
				if p && q {
					inter++
				}
				if p || q {
					union++
				}
			}
		}
		iou := float64(inter) / float64(union)
		t.Logf("%s: vector vs raster IoU %.4f over %d ink pixels", s.Style, iou, union)
		if union < 1000 || iou < 0.97 {
			t.Errorf("%s: poppler's rendering of PDFContent and Rasterize agree on %.2f%% of the ink, want ≥ 97%%", s.Style, 100*iou)
		}
	}
}
