package seal

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// InkKind says which ink Clean keeps.
type InkKind uint8

// The inks.
const (
	InkSeal      InkKind = iota + 1 // red seal ink
	InkSignature                    // dark (black or blue) pen ink
)

// ParseInkKind reads "seal" or "signature".
func ParseInkKind(s string) (InkKind, error) {
	switch strings.ToLower(s) {
	case "seal":
		return InkSeal, nil
	case "signature":
		return InkSignature, nil
	}
	return 0, fmt.Errorf("unknown ink kind %q (want seal or signature): %w", s, ErrInvalidSpec)
}

// MaxCleanPixels bounds the photos Clean accepts (a 48 MP phone photo is 8000×6000).
const MaxCleanPixels = 50_000_000

// CleanOptions adjusts Clean; nil means the defaults.
type CleanOptions struct {
	// Recolor, when not zero, paints all kept ink in this colour (alpha still follows the ink),
	// e.g. SealRed for a uniform seal; zero keeps the photo's own colours.
	Recolor color.NRGBA
	// Orientation is the photo's EXIF orientation (JPEGOrientation); the result is turned
	// upright. The crop rectangle stays in the source's (unturned) coordinates.
	Orientation int
}

// ErrNoInk means the photo holds no ink of the kind asked for.
var ErrNoInk = errors.New("no ink found in the image")

// Clean isolates the ink of a photographed or scanned seal (InkSeal: red) or signature
// (InkSignature: dark) and returns it on a transparent background, cropped to the ink with a
// small margin. Colours are compared in OKLab against the paper's colour estimated locally, so
// uneven light and tinted paper do not matter; the threshold adapts to the photo's contrast and
// noise. Ink pixels keep their colour; the alpha ramps over the threshold so edges stay smooth.
// crop is where the result came from in src's coordinates. opts may be nil.
func Clean(src image.Image, kind InkKind, opts *CleanOptions) (img *image.NRGBA, crop image.Rectangle, err error) {
	var o CleanOptions
	if opts != nil {
		o = *opts
	}
	if kind != InkSeal && kind != InkSignature {
		return nil, crop, fmt.Errorf("unknown ink kind %d: %w", kind, ErrInvalidSpec)
	}
	b := src.Bounds()
	W, H := b.Dx(), b.Dy()
	if W < 8 || H < 8 || W*H > MaxCleanPixels {
		return nil, crop, fmt.Errorf("a %d×%d image is outside 8×8 … %d pixels: %w", W, H, MaxCleanPixels, ErrInvalidSpec)
	}
	lab := labLUT()
	px := newPixelReader(src)

	// 1. A small copy (about 0.5 MP) for the statistics.
	step := max(1, int(math.Ceil(math.Sqrt(float64(W*H)/500_000))))
	sw, sh := (W+step-1)/step, (H+step-1)/step
	small := make([][3]float32, sw*sh)
	parallelRows(sh, func(y0, y1 int) {
		row := make([]uint8, 3*sw)
		off := min(step/2, (W-1)-(sw-1)*step) // keep the last sample inside
		for sy := y0; sy < y1; sy++ {
			y := b.Min.Y + min(sy*step+step/2, H-1)
			px.row(y, off, sw, step, row)
			for sx := 0; sx < sw; sx++ {
				small[sy*sw+sx] = lab[lutIndex(row[3*sx], row[3*sx+1], row[3*sx+2])]
			}
		}
	})

	// 2. The paper's colour on a coarse grid: the brightest third of each tile is paper.
	bg := estimatePaper(small, sw, sh)

	// 3. Ink scores and the threshold.
	scores := make([]float32, len(small))
	parallelRows(sh, func(y0, y1 int) {
		for i := y0 * sw; i < y1*sw; i++ {
			scores[i] = inkScore(kind, small[i], bg.at(i%sw, i/sw))
		}
	})
	t0, t1 := threshold(kind, scores)

	// 4. Crop to the ink (robust to stray specks), with a margin.
	x0, y0, x1, y1, ok := inkBox(scores, sw, sh, (t0+t1)/2)
	if !ok {
		return nil, crop, ErrNoInk
	}
	mx, my := max(2, (x1-x0)/25), max(2, (y1-y0)/25)
	crop = image.Rect(max(0, (x0-mx)*step), max(0, (y0-my)*step), min(W, (x1+1+mx)*step), min(H, (y1+1+my)*step))

	// 5. Full resolution inside the crop, rows in parallel, skipping the blocks whose
	// neighbourhood (two small-grid cells around, i.e. 2·step pixels) shows no trace of ink:
	// at the sizes where step > 1 every pen or seal stroke spans several samples.
	active := make([]bool, len(scores))
	if step <= 2 || cleanNoSkip {
		for i := range active {
			active[i] = true
		}
	} else {
		parallelRows(sh, func(y0, y1 int) {
			for sy := y0; sy < y1; sy++ {
				for sx := 0; sx < sw; sx++ {
				near:
					for dy := -2; dy <= 2; dy++ {
						for dx := -2; dx <= 2; dx++ {
							x, y := sx+dx, sy+dy
							if x >= 0 && x < sw && y >= 0 && y < sh && scores[y*sw+x] >= t0/4 {
								active[sy*sw+sx] = true
								break near
							}
						}
					}
				}
			}
		})
	}
	out := image.NewNRGBA(image.Rect(0, 0, crop.Dx(), crop.Dy()))
	inv := 1 / t1
	recolor := o.Recolor != (color.NRGBA{})
	parallelRows(crop.Dy(), func(r0, r1 int) {
		row := make([]uint8, 3*crop.Dx())
		for oy := r0; oy < r1; oy++ {
			y := crop.Min.Y + oy
			sy := min(y/step, sh-1)
			paper := bg.vals[sy*sw : (sy+1)*sw]
			act := active[sy*sw : (sy+1)*sw]
			dst := out.Pix[oy*out.Stride:]
			// Runs of active blocks along the row.
			for ox0 := 0; ox0 < crop.Dx(); {
				if !act[min((crop.Min.X+ox0)/step, sw-1)] {
					ox0 += step - (crop.Min.X+ox0)%step
					continue
				}
				ox1 := ox0
				for ox1 < crop.Dx() && act[min((crop.Min.X+ox1)/step, sw-1)] {
					ox1 += step - (crop.Min.X+ox1)%step
				}
				ox1 = min(ox1, crop.Dx())
				px.row(b.Min.Y+y, crop.Min.X+ox0, ox1-ox0, 1, row)
				for ox := ox0; ox < ox1; ox++ {
					x := crop.Min.X + ox
					i := 3 * (ox - ox0)
					r, g, bl := row[i], row[i+1], row[i+2]
					s := inkScore(kind, lab[lutIndex(r, g, bl)], paper[min(x/step, sw-1)])
					if s <= t0 {
						continue
					}
					a := s * inv
					if a > 1 {
						a = 1
					}
					d := dst[4*ox : 4*ox+4 : 4*ox+4]
					if recolor {
						r, g, bl, a = o.Recolor.R, o.Recolor.G, o.Recolor.B, a*float32(o.Recolor.A)/255
					}
					d[0], d[1], d[2], d[3] = r, g, bl, uint8(a*255+0.5)
				}
				ox0 = ox1
			}
		}
	})
	return orient(out, o.Orientation), crop.Add(b.Min), nil
}

// cleanNoSkip turns the block skipping off (tests compare against it).
var cleanNoSkip = false

// inkScore is how much a pixel looks like ink against the local paper colour: for seals the
// shift towards seal red in the a/b plane (less any shift across it), for signatures how much
// darker it is.
func inkScore(kind InkKind, c, paper [3]float32) float32 {
	if kind == InkSignature {
		return paper[0] - c[0]
	}
	da, db := c[1]-paper[1], c[2]-paper[2]
	// Seal red sits at about 20° in OKLab's a/b plane.
	const cr, sr = 0.9396926, 0.3420201
	along := da*cr + db*sr
	across := -da*sr + db*cr
	if across < 0 {
		across = -across
	}
	return along - 0.6*across
}

// threshold picks the cut t0, below which a pixel is paper (the paper's median score plus 6
// robust sigmas, at least a floor, and at least a fifth (seals) or 30% (signatures) of the ink's mean score), and the opaque
// point t1: 80% of the mean score of the ink class Otsu's method separates from the rest above
// the noise. Between them the alpha is s/t1, so
// a pixel half covered by ink comes out about half transparent.
func threshold(kind InkKind, scores []float32) (t0, t1 float32) {
	floor, faint := float32(0.035), float32(0.2)
	if kind == InkSignature {
		floor, faint = 0.08, 0.3 // ruled lines and shadows are dark too
	}
	// Median and MAD from histograms (sorting half a million scores is too slow for a preview).
	med := histQuantile(scores, 0.5, func(v float32) float32 { return v })
	sigma := 1.4826 * histQuantile(scores, 0.5, func(v float32) float32 { return abs32(v - med) })
	t0 = max(med+6*sigma, med+floor)
	var above []float32
	hiV := t0
	for _, s := range scores {
		if s >= t0 {
			above = append(above, s)
			hiV = max(hiV, s)
		}
	}
	if len(above) < 16 {
		return t0, 2 * t0
	}
	const bins = 256
	lo, hi := float64(t0), float64(hiV)
	if hi-lo < 1e-6 {
		return t0, 2 * t0
	}
	var hist [bins]float64
	for _, s := range above {
		hist[min(bins-1, int((float64(s)-lo)/(hi-lo)*bins))]++
	}
	total, sum := 0.0, 0.0
	for i, h := range hist {
		total += h
		sum += float64(i) * h
	}
	best, inkMean, wB, sB := -1.0, sum/total, 0.0, 0.0
	for i, h := range hist {
		wB += h
		sB += float64(i) * h
		wF := total - wB
		if wB == 0 || wF == 0 {
			continue
		}
		mB, mF := sB/wB, (sum-sB)/wF
		if v := wB * wF * (mB - mF) * (mB - mF); v > best {
			best, inkMean = v, mF
		}
	}
	mean := float32(lo + (hi-lo)*(inkMean+0.5)/bins)
	// Faint marks well below the ink's own strength (ruled lines, shadows, paper grain) are
	// paper too.
	t0 = max(t0, faint*mean)
	return t0, max(0.8*mean, 1.5*t0)
}

// histQuantile is the q-quantile of f(v) over vs, to 1/8192 of the range [-2, 2].
func histQuantile(vs []float32, q float64, f func(float32) float32) float32 {
	const bins, lo, hi = 8192, -2.0, 2.0
	var h [bins]int32
	for _, v := range vs {
		i := int((float64(f(v)) - lo) / (hi - lo) * bins)
		h[max(0, min(bins-1, i))]++
	}
	want, acc := int32(q*float64(len(vs))), int32(0)
	for i, n := range h {
		if acc += n; acc > want {
			return float32(lo + (hi-lo)*(float64(i)+0.5)/bins)
		}
	}
	return hi
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// inkBox is the box of the small-grid pixels scoring at least t, ignoring the outermost 0.05%
// of them on each side (specks, a stray mark at the edge).
func inkBox(scores []float32, sw, sh int, t float32) (x0, y0, x1, y1 int, ok bool) {
	cols, rows := make([]int, sw), make([]int, sh)
	n := 0
	for i, s := range scores {
		if s >= t {
			cols[i%sw]++
			rows[i/sw]++
			n++
		}
	}
	if n < 20 {
		return 0, 0, 0, 0, false
	}
	cut := n / 2000
	span := func(h []int) (int, int) {
		a, acc := 0, 0
		for ; a < len(h)-1; a++ {
			if acc += h[a]; acc > cut {
				break
			}
		}
		z := len(h) - 1
		for acc = 0; z > 0; z-- {
			if acc += h[z]; acc > cut {
				break
			}
		}
		return a, z
	}
	x0, x1 = span(cols)
	y0, y1 = span(rows)
	return x0, y0, x1, y1, x1 >= x0 && y1 >= y0
}

// paperGrid is the paper colour on a coarse grid, interpolated per small-grid pixel.
type paperGrid struct {
	sw, sh int
	vals   [][3]float32 // per small-grid pixel
}

func (p *paperGrid) at(x, y int) [3]float32 { return p.vals[y*p.sw+x] }

const paperTiles = 10 // tiles along the longer side

func estimatePaper(small [][3]float32, sw, sh int) *paperGrid {
	tile := max(8, max(sw, sh)/paperTiles)
	gw, gh := (sw+tile-1)/tile, (sh+tile-1)/tile
	grid := make([][3]float32, gw*gh)
	for gy := 0; gy < gh; gy++ {
		for gx := 0; gx < gw; gx++ {
			// The 2/3 quantile of lightness, from a histogram.
			var hist [256]int32
			cnt := int32(0)
			for y := gy * tile; y < min(sh, (gy+1)*tile); y++ {
				for x := gx * tile; x < min(sw, (gx+1)*tile); x++ {
					hist[max(0, min(255, int(small[y*sw+x][0]*255)))]++
					cnt++
				}
			}
			cutL, acc := float32(0), int32(0)
			for i, n := range hist {
				if acc += n; acc > cnt*2/3 {
					cutL = float32(i) / 255
					break
				}
			}
			var sum [3]float64
			n := 0
			for y := gy * tile; y < min(sh, (gy+1)*tile); y++ {
				for x := gx * tile; x < min(sw, (gx+1)*tile); x++ {
					if c := small[y*sw+x]; c[0] >= cutL {
						sum[0] += float64(c[0])
						sum[1] += float64(c[1])
						sum[2] += float64(c[2])
						n++
					}
				}
			}
			grid[gy*gw+gx] = [3]float32{float32(sum[0] / float64(n)), float32(sum[1] / float64(n)), float32(sum[2] / float64(n))}
		}
	}
	// A tile that is mostly ink (a solid star, a thick signature) gives a wrong paper colour:
	// replace tiles far from the median paper by the median.
	med := func(k int) float32 {
		v := make([]float32, len(grid))
		for i, c := range grid {
			v[i] = c[k]
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	m := [3]float32{med(0), med(1), med(2)}
	for i, c := range grid {
		if dc := math.Hypot(float64(c[1]-m[1]), float64(c[2]-m[2])); dc > 0.04 || m[0]-c[0] > 0.25 {
			grid[i] = m
		}
	}
	// Bilinear between tile centres.
	p := &paperGrid{sw: sw, sh: sh, vals: make([][3]float32, sw*sh)}
	for y := 0; y < sh; y++ {
		fy := (float64(y)+0.5)/float64(tile) - 0.5
		gy0 := int(math.Floor(fy))
		ty := float32(fy - float64(gy0))
		gy0c, gy1c := clampInt(gy0, 0, gh-1), clampInt(gy0+1, 0, gh-1)
		for x := 0; x < sw; x++ {
			fx := (float64(x)+0.5)/float64(tile) - 0.5
			gx0 := int(math.Floor(fx))
			tx := float32(fx - float64(gx0))
			gx0c, gx1c := clampInt(gx0, 0, gw-1), clampInt(gx0+1, 0, gw-1)
			a, b2 := grid[gy0c*gw+gx0c], grid[gy0c*gw+gx1c]
			c, d := grid[gy1c*gw+gx0c], grid[gy1c*gw+gx1c]
			var v [3]float32
			for k := 0; k < 3; k++ {
				top := a[k] + (b2[k]-a[k])*tx
				bot := c[k] + (d[k]-c[k])*tx
				v[k] = top + (bot-top)*ty
			}
			p.vals[y*sw+x] = v
		}
	}
	return p
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// parallelRows runs f over [0,n) split into one chunk per CPU.
func parallelRows(n int, f func(y0, y1 int)) {
	k := min(runtime.GOMAXPROCS(0), max(1, n/16))
	if k <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {
		y0, y1 := n*i/k, n*(i+1)/k
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(y0, y1)
		}()
	}
	wg.Wait()
}

// The OKLab table, indexed by 6 bits per sRGB channel (3 MB, built once).
var (
	labOnce sync.Once
	labTab  [][3]float32
)

func lutIndex(r, g, b uint8) int { return int(r>>2)<<12 | int(g>>2)<<6 | int(b>>2) }

func labLUT() [][3]float32 {
	labOnce.Do(func() {
		var lin [64]float64
		for i := range lin {
			v := (float64(i)*4 + 1.5) / 255 // the middle of the 4-value bucket
			if v <= 0.04045 {
				lin[i] = v / 12.92
			} else {
				lin[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		labTab = make([][3]float32, 1<<18)
		for r := 0; r < 64; r++ {
			for g := 0; g < 64; g++ {
				for b := 0; b < 64; b++ {
					labTab[r<<12|g<<6|b] = oklab(lin[r], lin[g], lin[b])
				}
			}
		}
	})
	return labTab
}

// oklab converts linear sRGB to OKLab (Björn Ottosson's matrices).
func oklab(r, g, b float64) [3]float32 {
	l := math.Cbrt(0.4122214708*r + 0.5363325363*g + 0.0514459929*b)
	m := math.Cbrt(0.2119034982*r + 0.6806995451*g + 0.1073969566*b)
	s := math.Cbrt(0.0883024619*r + 0.2817188376*g + 0.6299787005*b)
	return [3]float32{
		float32(0.2104542553*l + 0.7936177850*m - 0.0040720468*s),
		float32(1.9779984951*l - 2.4285922050*m + 0.4505937099*s),
		float32(0.0259040371*l + 0.7827717662*m - 0.8086757660*s),
	}
}

// pixelReader reads rows of 8-bit sRGB, with fast paths for the decoders' image types.
type pixelReader struct {
	src image.Image
}

func newPixelReader(src image.Image) *pixelReader { return &pixelReader{src: src} }

// row fills dst with n pixels of row y (absolute), starting at column x0 (relative to the
// image's bounds) and stepping by step, 3 bytes of 8-bit sRGB each. Transparent pixels read as
// white paper.
func (p *pixelReader) row(y, x0, n, step int, dst []uint8) {
	b := p.src.Bounds()
	switch m := p.src.(type) {
	case *image.YCbCr:
		if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && step == 1 {
			// The common JPEG case, without the per-pixel offset methods.
			yrow := m.Y[(y-m.Rect.Min.Y)*m.YStride-m.Rect.Min.X:]
			crow := (y/2-m.Rect.Min.Y/2)*m.CStride - m.Rect.Min.X/2
			for i := 0; i < n; i++ {
				x := b.Min.X + x0 + i
				ci := crow + x/2
				dst[3*i], dst[3*i+1], dst[3*i+2] = ycc(yrow[x], m.Cb[ci], m.Cr[ci])
			}
			return
		}
		for i := 0; i < n; i++ {
			x := b.Min.X + x0 + i*step
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			dst[3*i], dst[3*i+1], dst[3*i+2] = color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
		}
	case *image.NRGBA:
		for i := 0; i < n; i++ {
			s := m.Pix[m.PixOffset(b.Min.X+x0+i*step, y):]
			a := uint32(s[3])
			for k := 0; k < 3; k++ { // over white
				dst[3*i+k] = uint8((uint32(s[k])*a + 255*(255-a) + 127) / 255)
			}
		}
	case *image.RGBA:
		for i := 0; i < n; i++ {
			s := m.Pix[m.PixOffset(b.Min.X+x0+i*step, y):]
			a := uint32(s[3])
			for k := 0; k < 3; k++ { // premultiplied, over white
				dst[3*i+k] = uint8(min(255, uint32(s[k])+(255-a)))
			}
		}
	case *image.Gray:
		for i := 0; i < n; i++ {
			v := m.Pix[m.PixOffset(b.Min.X+x0+i*step, y)]
			dst[3*i], dst[3*i+1], dst[3*i+2] = v, v, v
		}
	default:
		for i := 0; i < n; i++ {
			r, g, bl, a := p.src.At(b.Min.X+x0+i*step, y).RGBA()
			dst[3*i] = uint8((r + (0xffff - a)) >> 8)
			dst[3*i+1] = uint8((g + (0xffff - a)) >> 8)
			dst[3*i+2] = uint8((bl + (0xffff - a)) >> 8)
		}
	}
}

// ycc is color.YCbCrToRGB (JFIF full-range BT.601), small enough to inline.
func ycc(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	cb1, cr1 := int32(cb)-128, int32(cr)-128
	r := yy + 91881*cr1
	g := yy - 22554*cb1 - 46802*cr1
	b := yy + 116130*cb1
	return clamp16(r), clamp16(g), clamp16(b)
}

func clamp16(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 0xffffff {
		return 0xff
	}
	return uint8(v >> 16)
}
