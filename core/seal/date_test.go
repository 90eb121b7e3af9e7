package seal

import (
	"bytes"
	"image/png"
	"testing"
)

// The 日期 box picture: 4 pixels per point, ink inside the box with a margin, transparent around,
// and a long date shrunk until it fits.
func TestDateImagePNG(t *testing.T) {
	for _, tc := range []struct {
		text string
		w, h float64
	}{{"2026年12月5日", 120, 24}, {"2026年12月5日", 30, 24}} {
		b, err := DateImagePNG(tc.text, tc.w, tc.h)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r := img.Bounds()
		if r.Dx() != int(tc.w*4) || r.Dy() != int(tc.h*4) {
			t.Fatalf("%v×%v: image %v", tc.w, tc.h, r)
		}
		minX, maxX, ink := r.Dx(), 0, 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if _, _, _, a := img.At(x, y).RGBA(); a > 0 {
					ink++
					minX, maxX = min(minX, x), max(maxX, x)
				}
			}
		}
		if ink == 0 || minX < r.Dx()*2/100 || maxX > r.Dx()*98/100 {
			t.Fatalf("%v×%v: %d inked pixels from x=%d to %d of %d", tc.w, tc.h, ink, minX, maxX, r.Dx())
		}
	}
}
