package seal

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// photo is a synthetic photograph of ink on paper with the ink's true coverage beside it.
type photo struct {
	img image.Image
	gt  []float64 // true ink coverage per pixel
	txt []bool    // printed text (black), under which red ink cannot be seen
	w   int
}

type photoOpts struct {
	w, h       int
	ink        *image.NRGBA // coverage in alpha
	at         image.Point  // where the ink goes
	inkRGB     [3]float64
	text       bool         // printed black text lines under the ink
	ruled      bool         // light blue ruled lines (notebook paper)
	other      *image.NRGBA // another ink that must be dropped (a blue pen signature)
	otherAt    image.Point
	otherRGB   [3]float64
	seed       uint64
	jpegQ      int
	blurSigma  float64
	noiseSigma float64
}

// makePhoto: paper with a low-frequency texture, optional printed text, the ink multiplied on
// at 92% density, a Gaussian blur, uneven light (a diagonal gradient and a soft shadow), sensor
// noise, and a JPEG round trip.
func makePhoto(o photoOpts) photo {
	rng := rand.New(rand.NewPCG(o.seed, 7))
	W, H := o.w, o.h
	gt := make([]float64, W*H)
	ib := o.ink.Bounds()
	for y := 0; y < ib.Dy(); y++ {
		for x := 0; x < ib.Dx(); x++ {
			px, py := o.at.X+x, o.at.Y+y
			if px >= 0 && px < W && py >= 0 && py < H {
				gt[py*W+px] = float64(o.ink.Pix[y*o.ink.Stride+4*x+3]) / 255
			}
		}
	}
	// Paper texture: a coarse random grid, bilinear.
	const cell = 40
	gw, gh := W/cell+2, H/cell+2
	grid := make([]float64, gw*gh)
	for i := range grid {
		grid[i] = rng.NormFloat64() * 5
	}
	img := make([][3]float64, W*H)
	txt := make([]bool, W*H)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			fx, fy := float64(x)/cell, float64(y)/cell
			ix, iy := int(fx), int(fy)
			tx, ty := fx-float64(ix), fy-float64(iy)
			tex := (grid[iy*gw+ix]*(1-tx)+grid[iy*gw+ix+1]*tx)*(1-ty) + (grid[(iy+1)*gw+ix]*(1-tx)+grid[(iy+1)*gw+ix+1]*tx)*ty
			c := [3]float64{240 + tex, 234 + tex, 221 + tex}
			// Printed text: dark bars 2/3 of each 22-pixel line, broken into "words".
			if o.text && y%22 < 9 && (x/37)%4 != 3 && x > W/12 && x < W*11/12 {
				txt[y*W+x] = true
				for k := range c {
					c[k] *= 0.18
				}
			}
			if o.ruled && y%32 < 2 {
				c[0], c[1], c[2] = c[0]*0.80, c[1]*0.86, c[2]*0.95
				txt[y*W+x] = true
			}
			if o.other != nil {
				if q := image.Pt(x, y).Sub(o.otherAt); q.In(o.other.Rect) {
					b := 0.9 * float64(o.other.Pix[o.other.PixOffset(q.X, q.Y)+3]) / 255
					for k := range c {
						c[k] *= 1 - b + b*o.otherRGB[k]/255
					}
					if b > 0 {
						txt[y*W+x] = true // under another ink, red cannot be told apart
					}
				}
			}
			a := 0.92 * gt[y*W+x]
			for k := range c {
				c[k] *= 1 - a + a*o.inkRGB[k]/255
			}
			img[y*W+x] = c
		}
	}
	img = blur(img, W, H, o.blurSigma)
	out := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			light := 0.68 + 0.34*(float64(x)/float64(W)+float64(y)/float64(H))/2
			if dx, dy := float64(x)-0.8*float64(W), float64(y)-0.2*float64(H); dx*dx+dy*dy < float64(W*W)/25 {
				light *= 0.85 // a soft shadow of the phone
			}
			for k := 0; k < 3; k++ {
				v := img[y*W+x][k]*light + rng.NormFloat64()*o.noiseSigma
				out.Pix[y*out.Stride+4*x+k] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
			out.Pix[y*out.Stride+4*x+3] = 255
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, out, &jpeg.Options{Quality: o.jpegQ}); err != nil {
		panic(err)
	}
	dec, err := jpeg.Decode(&b)
	if err != nil {
		panic(err)
	}
	return photo{dec, gt, txt, W}
}

func blur(img [][3]float64, W, H int, sigma float64) [][3]float64 {
	r := int(math.Ceil(2.5 * sigma))
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	tmp := make([][3]float64, W*H)
	out := make([][3]float64, W*H)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			var c [3]float64
			for i, kv := range k {
				xx := max(0, min(W-1, x+i-r))
				for j := 0; j < 3; j++ {
					c[j] += kv * img[y*W+xx][j]
				}
			}
			tmp[y*W+x] = c
		}
	}
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			var c [3]float64
			for i, kv := range k {
				yy := max(0, min(H-1, y+i-r))
				for j := 0; j < 3; j++ {
					c[j] += kv * tmp[yy*W+x][j]
				}
			}
			out[y*W+x] = c
		}
	}
	return out
}

// score compares a Clean result with the truth: the share of ink pixels (coverage ≥ 0.5, not
// on printed text, within 2 px) kept (alpha ≥ 25%: visibly there), and the share of background pixels (more
// than 3 px from any ink; printed text included) left with an alpha above 10%.
func score(p photo, out *image.NRGBA, crop image.Rectangle) (kept, left float64) {
	H := len(p.gt) / p.w
	near := make([]bool, len(p.gt))
	for y := 0; y < H; y++ {
		for x := 0; x < p.w; x++ {
			if p.gt[y*p.w+x] > 0 {
				for dy := -3; dy <= 3; dy++ {
					for dx := -3; dx <= 3; dx++ {
						if xx, yy := x+dx, y+dy; xx >= 0 && xx < p.w && yy >= 0 && yy < H {
							near[yy*p.w+xx] = true
						}
					}
				}
			}
		}
	}
	alpha := func(x, y int) uint8 {
		if !image.Pt(x, y).In(crop) {
			return 0
		}
		return out.Pix[(y-crop.Min.Y)*out.Stride+4*(x-crop.Min.X)+3]
	}
	var ink, inkKept, bg, bgLeft int
	for y := 0; y < H; y++ {
		for x := 0; x < p.w; x++ {
			a := alpha(x, y)
			switch {
			case p.gt[y*p.w+x] >= 0.5:
				if p.onText(x, y, 2) {
					continue
				}
				ink++
				if a >= 64 {
					inkKept++
				}
			case !near[y*p.w+x]:
				bg++
				if a > 25 {
					bgLeft++
				}
			}
		}
	}
	return float64(inkKept) / float64(ink), float64(bgLeft) / float64(bg)
}

func TestCleanSeal(t *testing.T) {
	for i, s := range []Spec{
		{Style: Contract, Size: Round42, Name: "上海申江贸易有限公司"},
		{Style: Invoice, Name: "北京云印科技发展有限公司", Code: "91310110666007217T"},
	} {
		ink, _, err := Render(s, 300)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := testSignature().Render(300, color.NRGBA{A: 255})
		if err != nil {
			t.Fatal(err)
		}
		p := makePhoto(photoOpts{w: 900, h: 760, ink: ink, at: image.Pt(260, 150), inkRGB: [3]float64{200, 38, 52},
			text: true, other: sig, otherAt: image.Pt(180, 420), otherRGB: [3]float64{30, 40, 150},
			seed: uint64(i + 1), jpegQ: 85, blurSigma: 1.0, noiseSigma: 3})
		out, crop, err := Clean(p.img, InkSeal, nil)
		if err != nil {
			t.Fatal(err)
		}
		kept, left := score(p, out, crop)
		t.Logf("%s: kept %.2f%% of the seal, left %.3f%% of the background, crop %v", s.Style, 100*kept, 100*left, crop)
		if kept < 0.95 || left > 0.01 {
			t.Errorf("%s: kept %.2f%% (want ≥ 95%%), left %.3f%% (want ≤ 1%%)", s.Style, 100*kept, 100*left)
		}
		// Recolored: the same alpha, every kept pixel seal red.
		rec, crop2, err := Clean(p.img, InkSeal, &CleanOptions{Recolor: SealRed})
		if err != nil || crop2 != crop {
			t.Fatalf("recolor: %v, crop %v vs %v", err, crop2, crop)
		}
		for j := 0; j < len(rec.Pix); j += 4 {
			if rec.Pix[j+3] != out.Pix[j+3] || rec.Pix[j+3] != 0 && (rec.Pix[j] != SealRed.R || rec.Pix[j+1] != 0) {
				t.Fatalf("recolored pixel %v, plain %v", rec.Pix[j:j+4], out.Pix[j:j+4])
			}
		}
		// Cropped to the ink with a small margin.
		want := image.Rect(260, 150, 260+ink.Bounds().Dx(), 150+ink.Bounds().Dy())
		if !crop.Inset(-1).In(image.Rect(0, 0, 900, 760)) || !want.In(crop) || crop.Dx() > want.Dx()*115/100 || crop.Dy() > want.Dy()*115/100 {
			t.Errorf("%s: crop %v, seal at %v", s.Style, crop, want)
		}
	}
}

// testSignature is a made-up three-stroke signature with time stamps (a pen moving at about
// 0.1–0.3 mm/ms) and, in its last stroke, pressure.
func testSignature() *Signature {
	s := &Signature{Version: SignatureVersion, Width: 60, Height: 25}
	t := int64(0)
	var st Stroke
	for i := 0; i <= 120; i++ { // loops along a baseline
		a := float64(i) / 120 * 6 * math.Pi
		st = append(st, Point{X: 5 + float64(i)*0.25 + 3*math.Cos(a), Y: 12 + 6*math.Sin(a), T: t})
		t += 12
	}
	s.Strokes = append(s.Strokes, st)
	st = nil
	t += 200
	for i := 0; i <= 40; i++ { // a long flourish
		x := 10 + float64(i)*1.1
		st = append(st, Point{X: x, Y: 19 + 2*math.Sin(float64(i)/6), T: t})
		t += 8
	}
	s.Strokes = append(s.Strokes, st)
	st = nil
	t += 300
	for i := 0; i <= 30; i++ { // a pressured cross stroke
		st = append(st, Point{X: 40 + float64(i)*0.5, Y: 4 + float64(i)*0.5, T: t, P: 0.3 + 0.6*math.Sin(float64(i)/30*math.Pi)})
		t += 10
	}
	s.Strokes = append(s.Strokes, st)
	return s
}

func TestCleanSignature(t *testing.T) {
	ink, err := testSignature().Render(300, color.NRGBA{20, 24, 60, 255})
	if err != nil {
		t.Fatal(err)
	}
	p := makePhoto(photoOpts{w: 1000, h: 600, ink: ink, at: image.Pt(150, 180), inkRGB: [3]float64{25, 30, 70},
		ruled: true, seed: 9, jpegQ: 85, blurSigma: 0.8, noiseSigma: 3})
	out, crop, err := Clean(p.img, InkSignature, nil)
	if err != nil {
		t.Fatal(err)
	}
	kept, left := score(p, out, crop)
	t.Logf("signature: kept %.2f%%, left %.3f%%, crop %v", 100*kept, 100*left, crop)
	if kept < 0.95 || left > 0.01 {
		t.Errorf("kept %.2f%% (want ≥ 95%%), left %.3f%% (want ≤ 1%%)", 100*kept, 100*left)
	}
}

func TestCleanRefusals(t *testing.T) {
	blank := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for i := range blank.Pix {
		blank.Pix[i] = 235
	}
	if _, _, err := Clean(blank, InkSeal, nil); !errors.Is(err, ErrNoInk) {
		t.Errorf("blank paper: %v, want ErrNoInk", err)
	}
	if _, _, err := Clean(image.NewRGBA(image.Rect(0, 0, 4, 4)), InkSeal, nil); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("tiny image: %v", err)
	}
	if _, _, err := Clean(blank, InkKind(9), nil); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("bad kind: %v", err)
	}
}

func (p photo) onText(x, y, r int) bool {
	H := len(p.gt) / p.w
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if xx, yy := x+dx, y+dy; xx >= 0 && xx < p.w && yy >= 0 && yy < H && p.txt[yy*p.w+xx] {
				return true
			}
		}
	}
	return false
}

// TestYCCMatchesStdlib: the inlined conversion is exactly color.YCbCrToRGB.
func TestYCCMatchesStdlib(t *testing.T) {
	for y := 0; y < 256; y += 3 {
		for cb := 0; cb < 256; cb += 5 {
			for cr := 0; cr < 256; cr += 7 {
				r, g, b := color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr))
				r2, g2, b2 := ycc(uint8(y), uint8(cb), uint8(cr))
				if r != r2 || g != g2 || b != b2 {
					t.Fatalf("ycc(%d,%d,%d) = %d,%d,%d; stdlib %d,%d,%d", y, cb, cr, r2, g2, b2, r, g, b)
				}
			}
		}
	}
}

// TestCleanSkipIsSafe: on a photo big enough for the block skipping (step ≥ 3), with a thin
// (2–3 px) pen signature beside the seal, skipping changes no pixel.
func TestCleanSkipIsSafe(t *testing.T) {
	const W, H = 2200, 1500 // 3.3 MP: step 3
	seal, _, err := Render(Spec{Style: Contract, Size: Round42, Name: "上海申江贸易有限公司"}, 600)
	if err != nil {
		t.Fatal(err)
	}
	sig := testSignature()
	sig.Pen = 0.25
	pen, err := sig.Render(254, color.NRGBA{A: 255}) // 0.25 mm at 10 px/mm: 1–3 px lines
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			c := [3]float64{238, 232, 220}
			if p := image.Pt(x-300, y-300); p.In(seal.Rect) {
				a := 0.9 * float64(seal.Pix[seal.PixOffset(p.X, p.Y)+3]) / 255
				c = [3]float64{c[0] * (1 - a + a*0.8), c[1] * (1 - a + a*0.15), c[2] * (1 - a + a*0.2)}
			}
			if p := image.Pt(x-1500, y-700); p.In(pen.Rect) {
				a := 0.9 * float64(pen.Pix[pen.PixOffset(p.X, p.Y)+3]) / 255
				c = [3]float64{c[0] * (1 - a + a*0.75), c[1] * (1 - a + a*0.1), c[2] * (1 - a + a*0.15)} // red pen
			}
			for k := 0; k < 3; k++ {
				img.Pix[img.PixOffset(x, y)+k] = uint8(max(0, min(255, c[k]+rng.NormFloat64()*2)))
			}
			img.Pix[img.PixOffset(x, y)+3] = 255
		}
	}
	fast, crop, err := Clean(img, InkSeal, nil)
	if err != nil {
		t.Fatal(err)
	}
	cleanNoSkip = true
	slow, crop2, err := Clean(img, InkSeal, nil)
	cleanNoSkip = false
	if err != nil || crop != crop2 {
		t.Fatal(err, crop, crop2)
	}
	if !crop.Overlaps(image.Rect(1500, 700, 1500+pen.Rect.Dx(), 700+pen.Rect.Dy())) {
		t.Fatalf("crop %v misses the thin red pen strokes", crop)
	}
	diff := 0
	for i := 3; i < len(fast.Pix); i += 4 {
		if fast.Pix[i] != slow.Pix[i] {
			diff++
		}
	}
	if diff > 0 {
		t.Errorf("skipping changed %d pixels", diff)
	}
}
