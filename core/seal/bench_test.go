package seal

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// BenchmarkRenderRound42 is the target: a Ø42 mm seal at 600 dpi (992×992) in ≤ 30 ms.
func BenchmarkRenderRound42(b *testing.B) {
	s := Spec{Style: Official, Size: Round42, Name: "北京云印科技发展有限公司", Code: "91350100M000100Y43"}
	if _, _, err := Render(s, 600); err != nil { // fonts parsed, glyphs cached
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Render(s, 600); err != nil {
			b.Fatal(err)
		}
	}
}

// photo12MP is a 4000×3000 JPEG-decoded photo of a Ø42 seal taking a third of the frame, on
// noisy, unevenly lit paper.
func photo12MP(b *testing.B) image.Image {
	const W, H = 4000, 3000
	ink, _, err := Render(Spec{Style: Contract, Size: Round42, Name: "上海申江贸易有限公司"}, 1000)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	off := image.Pt(1200, 700)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			light := 0.7 + 0.3*float64(x+y)/float64(W+H)
			c := [3]float64{240, 233, 220}
			if p := image.Pt(x, y).Sub(off); p.In(ink.Rect) {
				a := 0.9 * float64(ink.Pix[p.Y*ink.Stride+4*p.X+3]) / 255
				c[0] *= 1 - a + a*200/255
				c[1] *= 1 - a + a*38/255
				c[2] *= 1 - a + a*52/255
			}
			for k := 0; k < 3; k++ {
				v := c[k]*light + rng.NormFloat64()*3
				img.Pix[y*img.Stride+4*x+k] = uint8(max(0, min(255, v)))
			}
			img.Pix[y*img.Stride+4*x+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 88}); err != nil {
		b.Fatal(err)
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		b.Fatal(err)
	}
	return dec
}

// BenchmarkClean12MP is the target: clean a 12 MP photo in ≤ 300 ms.
func BenchmarkClean12MP(b *testing.B) {
	src := photo12MP(b)
	if _, _, err := Clean(src, InkSeal, nil); err != nil { // the OKLab table is built once
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := Clean(src, InkSeal, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodePNG: a Ø42 mm seal at 600 dpi encoded by EncodePNG (default compression) beside
// the BestCompression it used before, in one run; the sizes are reported as metrics.
func BenchmarkEncodePNG(b *testing.B) {
	img, _, err := Render(Spec{Style: Official, Size: Round42, Name: "北京云印科技发展有限公司", Code: "91350100M000100Y43"}, 600)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("EncodePNG-default", func(b *testing.B) {
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if err := EncodePNG(&buf, img, 600); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes/png")
	})
	b.Run("BestCompression-before", func(b *testing.B) {
		var buf bytes.Buffer
		for i := 0; i < b.N; i++ {
			buf.Reset()
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes/png")
	})
}
