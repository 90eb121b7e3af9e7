package seal

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"runtime"
	"sync"

	"golang.org/x/image/vector"
)

// DefaultDPI is the resolution seals are rendered at unless told otherwise.
const DefaultDPI = 600

// MaxPixels bounds the images Rasterize makes (a 45 mm seal at 2400 DPI is about 18 MP).
const MaxPixels = 40 << 20

// PixelSize is the image size of a w×h mm box at dpi: mm × dpi / 25.4, rounded.
func PixelSize(wmm, hmm, dpi float64) (int, int) {
	return int(math.Round(wmm * dpi / 25.4)), int(math.Round(hmm * dpi / 25.4))
}

// Render lays s out and rasterizes it at dpi (0 means DefaultDPI). The warnings are those of
// Layout.
func Render(s Spec, dpi float64) (*image.NRGBA, []Warning, error) {
	d, err := Layout(s)
	if err != nil {
		return nil, nil, err
	}
	img, err := d.Rasterize(dpi)
	if err != nil {
		return nil, nil, err
	}
	return img, d.Warnings, nil
}

// Rasterize draws d at dpi (0 means DefaultDPI): transparent background, every part in d.Color,
// anti-aliased. The image is exactly PixelSize(d.Width, d.Height, dpi).
func (d *Drawing) Rasterize(dpi float64) (*image.NRGBA, error) {
	if dpi == 0 {
		dpi = DefaultDPI
	}
	w, h := PixelSize(d.Width, d.Height, dpi)
	if !(dpi > 0) || w < 1 || h < 1 || float64(w)*float64(h) > MaxPixels {
		return nil, fmt.Errorf("cannot rasterize a %g×%g mm drawing at %g dpi: %w", d.Width, d.Height, dpi, ErrInvalidSpec)
	}
	k := dpi / 25.4
	mask := image.NewAlpha(image.Rect(0, 0, w, h))
	fillPaths(mask, d.paths(), k)
	return colorize(mask, d.Color), nil
}

func (d *Drawing) paths() []Path {
	ps := make([]Path, len(d.Parts))
	for i, p := range d.Parts {
		ps[i] = p.Path
	}
	return ps
}

// fillPaths rasterizes each path (scaled by k px/mm) in its own bounding box and merges the
// coverage into mask by maximum, so overlapping parts never cancel whatever their winding. Big
// images are split into horizontal bands drawn in parallel; each band clips the paths to its
// rows, so the result does not depend on how many bands there are.
func fillPaths(mask *image.Alpha, paths []Path, k float64) {
	b := mask.Bounds()
	nb := 1
	if b.Dx()*b.Dy() >= 256*256 {
		nb = min(runtime.GOMAXPROCS(0), 4)
	}
	// Fixed band edges (a multiple of 64 rows) keep the output identical whatever nb is.
	const unit = 64
	units := (b.Dy() + unit - 1) / unit
	var wg sync.WaitGroup
	for i := 0; i < nb; i++ {
		y0, y1 := b.Min.Y+units*i/nb*unit, min(b.Max.Y, b.Min.Y+units*(i+1)/nb*unit)
		if y0 >= y1 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Draw unit-row strips one by one so the clipping is the same for every nb.
			for sy := y0; sy < y1; sy += unit {
				fillBand(mask, image.Rect(b.Min.X, sy, b.Max.X, min(y1, sy+unit)), paths, k)
			}
		}()
	}
	wg.Wait()
}

// fillBand draws the parts of paths that fall in band.
func fillBand(mask *image.Alpha, band image.Rectangle, paths []Path, k float64) {
	var z vector.Rasterizer
	z.DrawOp = draw.Src
	tmp := image.NewAlpha(image.Rectangle{})
	for _, p := range paths {
		if len(p) == 0 {
			continue
		}
		a, b := p.Bounds()
		r := image.Rect(int(math.Floor(a.X*k))-1, int(math.Floor(a.Y*k))-1, int(math.Ceil(b.X*k))+1, int(math.Ceil(b.Y*k))+1).Intersect(band)
		if r.Empty() {
			continue
		}
		ox, oy := float64(r.Min.X), float64(r.Min.Y)
		z.Reset(r.Dx(), r.Dy())
		f := func(q Pt) (float32, float32) { return float32(q.X*k - ox), float32(q.Y*k - oy) }
		for _, s := range p {
			switch s.Op {
			case MoveTo:
				z.MoveTo(f(s.Pts[0]))
			case LineTo:
				z.LineTo(f(s.Pts[0]))
			case QuadTo:
				x1, y1 := f(s.Pts[0])
				x2, y2 := f(s.Pts[1])
				z.QuadTo(x1, y1, x2, y2)
			case CubeTo:
				x1, y1 := f(s.Pts[0])
				x2, y2 := f(s.Pts[1])
				x3, y3 := f(s.Pts[2])
				z.CubeTo(x1, y1, x2, y2, x3, y3)
			case Close:
				z.ClosePath()
			}
		}
		n := r.Dx() * r.Dy()
		if cap(tmp.Pix) < n {
			tmp.Pix = make([]uint8, n)
		}
		tmp.Pix = tmp.Pix[:n]
		clear(tmp.Pix)
		tmp.Stride, tmp.Rect = r.Dx(), image.Rect(0, 0, r.Dx(), r.Dy())
		z.Draw(tmp, tmp.Rect, image.Opaque, image.Point{})
		for y := 0; y < r.Dy(); y++ {
			src := tmp.Pix[y*tmp.Stride : y*tmp.Stride+r.Dx()]
			dst := mask.Pix[(r.Min.Y+y-mask.Rect.Min.Y)*mask.Stride+r.Min.X-mask.Rect.Min.X:]
			for x, v := range src {
				if v > dst[x] {
					dst[x] = v
				}
			}
		}
	}
}

// colorize turns a coverage mask into ink of colour c (non-premultiplied; transparent pixels
// are all zero).
func colorize(mask *image.Alpha, c color.NRGBA) *image.NRGBA {
	r := mask.Bounds()
	img := image.NewNRGBA(r)
	parallelRows(r.Dy(), func(y0, y1 int) {
		for y := y0; y < y1; y++ {
			src := mask.Pix[y*mask.Stride : y*mask.Stride+r.Dx()]
			dst := img.Pix[y*img.Stride : y*img.Stride+4*r.Dx()]
			for x, v := range src {
				if v == 0 {
					continue
				}
				d := dst[4*x : 4*x+4 : 4*x+4]
				d[0], d[1], d[2] = c.R, c.G, c.B
				d[3] = uint8((uint32(v)*uint32(c.A) + 127) / 255)
			}
		}
	})
	return img
}
