package render

import (
	"bytes"
	"image"
	"testing"
)

// TestRenderRegionIsTheSamePixels: RenderRegion draws the pixels the whole page's image has at
// that place (anti-aliased edges at most two levels apart; glyphs cut by the region's edge
// differ next to it) — plain, cropped, rotated pages, with and without annotations, regions at
// the page's edges and beyond them.
func TestRenderRegionIsTheSamePixels(t *testing.T) {
	crop := Rect{LLX: 50, LLY: 100, URX: 450, URY: 700}
	text := "BT /F1 30 Tf 60 600 Td (Region 0123 WAVE) Tj ET 0.2 0.4 0.8 rg 100 200 300 150 re f " +
		"1 0 0 RG 3 w 70 120 m 500 760 l S BT /F2 24 Tf 80 400 Td <" + utf16hex("签章区域") + "> Tj ET"
	data := buildPDF([]testPage{
		{media: a4, content: text},
		{media: a4, crop: &crop, rotate: 90, content: text},
		{media: a4, rotate: 270, content: text},
	})
	d := open(t, testEngine, "region.pdf", data)
	for page := 0; page < d.PageCount(); page++ {
		for _, contentOnly := range []bool{false, true} {
			full, err := d.render(ctx(t), page, 96, contentOnly)
			if err != nil {
				t.Fatal(err)
			}
			b := full.Bounds()
			for _, r := range []image.Rectangle{
				image.Rect(10, 20, 200, 130), image.Rect(0, 0, 64, 64), b.Inset(100),
				image.Rect(b.Max.X-50, b.Max.Y-40, b.Max.X+30, b.Max.Y+30), b,
			} {
				img, err := d.RenderRegion(ctx(t), page, 96, r, contentOnly)
				if err != nil {
					t.Fatal(err)
				}
				want := r.Intersect(b)
				if img.Bounds() != want {
					t.Fatalf("page %d region %v: bounds %v, want %v", page+1, r, img.Bounds(), want)
				}
				n, maxd := 0, 0
				var first image.Point
				// A glyph cut by the region's edge is drawn differently (PDFium clips it
				// there): pixels within 40 (a 30 pt glyph) of a cut edge are not compared.
				inner := want
				if inner.Min.X > b.Min.X {
					inner.Min.X += 40
				}
				if inner.Min.Y > b.Min.Y {
					inner.Min.Y += 40
				}
				if inner.Max.X < b.Max.X {
					inner.Max.X -= 40
				}
				if inner.Max.Y < b.Max.Y {
					inner.Max.Y -= 40
				}
				for y := inner.Min.Y; y < inner.Max.Y; y++ {
					for x := inner.Min.X; x < inner.Max.X; x++ {
						i, j := full.PixOffset(x, y), img.PixOffset(x, y)
						if !bytes.Equal(full.Pix[i:i+4], img.Pix[j:j+4]) {
							if n == 0 {
								first = image.Pt(x, y)
							}
							n++
							for k := 0; k < 3; k++ {
								maxd = max(maxd, int(full.Pix[i+k])-int(img.Pix[j+k]), int(img.Pix[j+k])-int(full.Pix[i+k]))
							}
						}
					}
				}
				// PDFium rasterizes the page moved by the region's offset: anti-aliased edges may
				// round up to two levels apart, nothing more.
				if maxd > 2 {
					t.Errorf("page %d (content only %v) region %v: %d pixels differ from the whole page's by up to %d, the first at %v", page+1, contentOnly, r, n, maxd, first)
				}
			}
			inked := 0
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					if full.RGBAAt(x, y).R < 128 {
						inked++
					}
				}
			}
			if inked < 1000 {
				t.Fatalf("page %d: only %d inked pixels: nothing to compare", page+1, inked)
			}
		}
	}
	if img, err := d.RenderRegion(ctx(t), 0, 96, image.Rect(5000, 5000, 5100, 5100), false); err != nil || !img.Bounds().Empty() {
		t.Fatalf("a region beyond the page: %v %v", img.Bounds(), err)
	}
}
