//go:build ignore

// mkicon draws assets/icon.png, the application icon: a red round seal with a star and 签.
// Run from the assets folder: go run mkicon.go
package main

import (
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

const size = 512

var red = color.NRGBA{0xD0, 0x1F, 0x2A, 0xFF}

func main() {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	c := float32(size) / 2

	// a white disc, so the seal reads on dark docks and panels too
	var r vector.Rasterizer
	r.Reset(size, size)
	circle(&r, c, c, 246, false)
	r.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{})

	// the ring: outer circle minus inner circle (non-zero winding with opposite directions)
	r.Reset(size, size)
	circle(&r, c, c, 246, false)
	circle(&r, c, c, 214, true)
	r.Draw(img, img.Bounds(), image.NewUniform(red), image.Point{})

	// the star above the character
	r.Reset(size, size)
	star(&r, c, 128, 62)
	r.Draw(img, img.Bounds(), image.NewUniform(red), image.Point{})

	// 签, in the bold Song face the round seals use
	data, err := os.ReadFile("fonts/NotoSerifSC-Bold-subset.otf")
	if err != nil {
		log.Fatal(err)
	}
	f, err := opentype.Parse(data)
	if err != nil {
		log.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 230, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		log.Fatal(err)
	}
	d := font.Drawer{Dst: img, Src: image.NewUniform(red), Face: face}
	w := d.MeasureString("签")
	d.Dot = fixed.P(int(c)-w.Round()/2, 420)
	d.DrawString("签")

	out, err := os.Create("icon.png")
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(out, img); err != nil {
		log.Fatal(err)
	}
	if err := out.Close(); err != nil {
		log.Fatal(err)
	}
}

func circle(r *vector.Rasterizer, cx, cy, rad float32, reverse bool) {
	const n = 180
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i) / n
		if reverse {
			a = -a
		}
		x, y := cx+rad*float32(math.Cos(a)), cy+rad*float32(math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
}

func star(r *vector.Rasterizer, cx, cy, rad float32) {
	for i := 0; i < 10; i++ {
		rr := rad
		if i%2 == 1 {
			rr = rad * 0.382
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		x, y := cx+rr*float32(math.Cos(a)), cy+rr*float32(math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
}
