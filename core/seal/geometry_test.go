package seal

import (
	"image"
	"math"
	"testing"
)

// Geometry measured on the rendered pixels at 600 dpi, independently of the layout code.

type meter struct {
	img *image.NRGBA
	k   float64 // px per mm
}

func render600(t *testing.T, s Spec) meter {
	t.Helper()
	img, _, err := Render(s, 600)
	if err != nil {
		t.Fatal(err)
	}
	return meter{img, 600 / 25.4}
}

func (m meter) a(x, y int) float64 {
	if !image.Pt(x, y).In(m.img.Rect) {
		return 0
	}
	return float64(m.img.Pix[y*m.img.Stride+4*x+3]) / 255
}

// box is the bounding box (mm, edges at half coverage) of ink inside the window (mm).
func (m meter) box(x0, y0, x1, y1 float64) (bx0, by0, bx1, by1 float64, ok bool) {
	return m.boxAt(0.5, x0, y0, x1, y1)
}

// boxAt is box with pixels counted from coverage th.
func (m meter) boxAt(th, x0, y0, x1, y1 float64) (bx0, by0, bx1, by1 float64, ok bool) {
	bx0, by0, bx1, by1 = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for y := int(y0 * m.k); y < int(y1*m.k); y++ {
		for x := int(x0 * m.k); x < int(x1*m.k); x++ {
			if m.a(x, y) >= th {
				bx0, by0 = math.Min(bx0, float64(x)), math.Min(by0, float64(y))
				bx1, by1 = math.Max(bx1, float64(x+1)), math.Max(by1, float64(y+1))
				ok = true
			}
		}
	}
	return bx0 / m.k, by0 / m.k, bx1 / m.k, by1 / m.k, ok
}

// runs walks from (x, y) in direction (dx, dy) for up to n mm and returns the widths (mm, by
// summed coverage) of the ink runs met, and where each starts (mm from the start).
func (m meter) runs(x, y, dx, dy, n float64) (widths, starts []float64) {
	in := false
	steps := int(n * m.k)
	for i := 0; i < steps; i++ {
		px, py := int(x*m.k+dx*float64(i)), int(y*m.k+dy*float64(i))
		a := m.a(px, py)
		if a > 0.02 {
			if !in {
				widths, starts = append(widths, 0), append(starts, float64(i)/m.k)
				in = true
			}
			widths[len(widths)-1] += a / m.k
		} else {
			in = false
		}
	}
	return
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.3f mm, want %.3f ± %.3f", what, got, want, tol)
	} else {
		t.Logf("%s = %.3f mm (want %.3f)", what, got, want)
	}
}

func TestGeometryRound(t *testing.T) {
	for _, d := range []float64{38, 40, 42, 45} {
		g := roundGeoms()[d]
		m := render600(t, Spec{Style: Official, Size: Size{Round, d, d}, Name: "京云印科技发展有限公司"}) // odd: a glyph on top
		R := d / 2
		x0, y0, x1, y1, _ := m.box(0, 0, d, d)
		near(t, "outer width", x1-x0, d, 0.1)
		near(t, "outer height", y1-y0, d, 0.1)
		// The border, at the top and at the left (through the gap between glyphs? no: from the
		// edge, the first run is the border).
		w, _ := m.runs(R, 0, 0, 1, 3)
		near(t, "border at the top", w[0], g.border, 0.04)
		w, _ = m.runs(0, R, 1, 0, 3)
		near(t, "border at the left", w[0], g.border, 0.04)
		// The star: a regular pentagram, tips on a circle of the table's diameter.
		r := g.star / 2
		// (Sharp tips have little coverage: count any pixel a tenth covered.)
		sx0, sy0, sx1, sy1, ok := m.boxAt(0.1, R-r-1, R-r-1, R+r+1, R+r+1)
		if !ok {
			t.Fatalf("Ø%g: no star", d)
		}
		near(t, "star width", sx1-sx0, 2*r*math.Sin(2*math.Pi/5), 0.08)
		near(t, "star height", sy1-sy0, r*(1+math.Cos(math.Pi/5)), 0.08)
		near(t, "star top below the centre", sy0-R, -r, 0.05)
		// The name: glyphs in the band inside the border gap, as tall as the table says, on an
		// arc centred on the top whose ends lie 250–270° apart (plus the end glyphs' width).
		rOut, rIn := R-g.border-g.gap, R-g.border-g.gap-g.nameH
		minR, maxR, minA, maxA := math.Inf(1), 0.0, math.Inf(1), math.Inf(-1)
		for y := 0; y < m.img.Rect.Dy(); y++ {
			for x := 0; x < m.img.Rect.Dx(); x++ {
				if m.a(x, y) < 0.5 {
					continue
				}
				dx, dy := (float64(x)+0.5)/m.k-R, (float64(y)+0.5)/m.k-R
				r := math.Hypot(dx, dy)
				if r > R-g.border-0.05 || r < rIn-0.5 {
					continue // border, star
				}
				minR, maxR = math.Min(minR, r), math.Max(maxR, r)
				a := math.Atan2(dx, -dy) * 180 / math.Pi // from the top, clockwise
				minA, maxA = math.Min(minA, a), math.Max(maxA, a)
			}
		}
		if maxR > rOut+0.05 || minR < rIn-0.3 {
			t.Errorf("Ø%g: name ink between radii %.2f and %.2f mm, want within %.2f–%.2f", d, minR, maxR, rIn, rOut)
		}
		if h := maxR - minR; h < 0.85*g.nameH {
			t.Errorf("Ø%g: name ink %.2f mm tall, want about %.2f", d, h, g.nameH)
		}
		if c := (minA + maxA) / 2; math.Abs(c) > 2 {
			t.Errorf("Ø%g: name arc centred %.1f° off the top", d, c)
		}
		endW := 2 * math.Atan(g.nameH/2/rIn) * 180 / math.Pi // an end glyph's angular width, at most
		if ext := maxA - minA; ext < 250 || ext > 270+endW {
			t.Errorf("Ø%g: name ink spans %.1f°, want 250–%.0f° (centres 250–270°)", d, ext, 270+endW)
		} else {
			t.Logf("Ø%g: name ink spans %.1f°", d, ext)
		}
		// Name glyphs stay clear of the border by the gap.
		_, starts := m.runs(R, 0, 0, 1, 10)
		if len(starts) < 2 || starts[1]-g.border < g.gap*0.9 {
			t.Errorf("Ø%g: the top glyph starts %.2f mm below the border, want ≥ %.2f", d, starts[1]-g.border, g.gap*0.9)
		}
	}
}

func TestGeometryTitle(t *testing.T) {
	for _, d := range []float64{38, 42} {
		g := roundGeoms()[d]
		R := d / 2
		m := render600(t, Spec{Style: Contract, Size: Size{Round, d, d}, Name: "上海申江贸易有限公司"})
		r := g.star / 2
		starBottom := R + r*math.Cos(math.Pi/5)
		// The title band: ink rows under the star in the middle column.
		_, ty0, _, ty1, ok := m.box(R-3, starBottom+0.3, R+3, d-g.border-0.6)
		if !ok {
			t.Fatalf("Ø%g: no title", d)
		}
		if ty0 < starBottom+0.5 {
			t.Errorf("Ø%g: title top %.2f mm is not below the star (%.2f)", d, ty0, starBottom)
		}
		if ty1 > d-g.border-g.gap {
			t.Errorf("Ø%g: title bottom %.2f mm runs into the border gap", d, ty1)
		}
		if h := ty1 - ty0; h < 0.75*g.titleH || h > g.titleH {
			t.Errorf("Ø%g: title ink %.2f mm high, want about %.2f", d, h, g.titleH)
		}
		// Walk out from the middle along the title's middle row: the title's glyphs are
		// separated by less than 1 mm, and at least 1 mm clear of anything else.
		mid := (ty0 + ty1) / 2
		extent := func(dir float64) float64 {
			last := 0.0
			for s := 0.0; s < R; s += 1 / m.k {
				if _, _, _, _, ink := m.box(R+dir*s-0.5/m.k, ty0, R+dir*s+0.5/m.k, ty1); ink {
					if s-last > 1.0 && last > 0 {
						break
					}
					last = s
				}
			}
			return last
		}
		l, rr := extent(-1), extent(1)
		near(t, "title centre offset", (rr-l)/2, 0, 0.15)
		if l < 5 {
			t.Errorf("Ø%g: title only %.2f mm wide", d, l+rr)
		}
		_ = mid
	}
}

func TestGeometryInvoice(t *testing.T) {
	m := render600(t, Spec{Style: Invoice, Name: "北京云印科技发展有限公司", Code: "91310110666007217T"})
	x0, y0, x1, y1, _ := m.box(0, 0, 40, 30)
	near(t, "oval width", x1-x0, 40, 0.1)
	near(t, "oval height", y1-y0, 30, 0.1)
	w, _ := m.runs(20, 0, 0, 1, 3)
	near(t, "border at the top", w[0], 1.0, 0.04)
	w, _ = m.runs(0, 15, 1, 0, 3)
	near(t, "border at the left", w[0], 1.0, 0.04)
	// The number: 18 glyphs across the middle, 3.7 mm high, 26 mm overall.
	nx0, ny0, nx1, ny1, ok := m.box(20-13.2, 15-2.5, 20+13.2, 15+2.5)
	if !ok {
		t.Fatal("no number")
	}
	near(t, "number height", ny1-ny0, 3.7, 0.12)
	near(t, "number centre (vertical)", (ny0+ny1)/2, 15, 0.1)
	near(t, "number centre (horizontal)", (nx0+nx1)/2, 20, 0.15)
	if w := nx1 - nx0; w < 25 || w > 26 {
		t.Errorf("number ink is %.2f mm wide, want 26 mm less the side bearings", w)
	}
	// Nothing else inside the number's band: the name keeps out of it.
	for _, side := range []float64{-1, 1} {
		if _, _, _, _, ink := m.box(20+side*13.7, 15-2.4, 20+side*14.2, 15+2.4); ink {
			t.Errorf("ink next to the number on side %v", side)
		}
	}
	// The name on a 210–260° arc (between the end glyphs' centres) centred on the top, 0.5 mm
	// inside the border: measure the angles of the ink outside the ellipse through the number.
	minA, maxA := math.Inf(1), math.Inf(-1)
	for y := 0; y < m.img.Rect.Dy(); y++ {
		for x := 0; x < m.img.Rect.Dx(); x++ {
			dx, dy := (float64(x)+0.5)/m.k-20, (float64(y)+0.5)/m.k-15
			// (skip the border with 0.1 mm of anti-aliasing, and everything inside the name band)
			if m.a(x, y) < 0.5 || dx*dx/(18.9*18.9)+dy*dy/(13.9*13.9) > 1 || dx*dx/(14.2*14.2)+dy*dy/(9.5*9.5) < 1 {
				continue
			}
			if dx*dx/(18.5*18.5)+dy*dy/(13.5*13.5) > 1.01 {
				t.Errorf("ink at (%.2f, %.2f) mm within 0.5 mm of the border", dx, dy)
				return
			}
			a := math.Atan2(dx, -dy) * 180 / math.Pi
			minA, maxA = math.Min(minA, a), math.Max(maxA, a)
		}
	}
	if ext := maxA - minA; ext < 210 || ext > 260+30 {
		t.Errorf("name ink spans %.1f°, want 210–290° (centres 210–260° plus the end glyphs)", ext)
	} else {
		t.Logf("invoice name ink spans %.1f°, centred %.1f° off the top", ext, (minA+maxA)/2)
	}
	// 发票专用章: top 4.2 mm below the centre line (ink starts a little lower than the body).
	_, ty0, _, ty1, ok := m.box(15, 15+3, 25, 15+10)
	if !ok {
		t.Fatal("no title")
	}
	if ty0 < 19.2 || ty0 > 19.7 {
		t.Errorf("title ink top %.2f mm below the centre line, want 4.2–4.7", ty0-15)
	}
	if h := ty1 - ty0; h < 0.8*4.6 || h > 4.6 {
		t.Errorf("title ink %.2f mm high, want about 4.6", h)
	}
}

func TestGeometryUnionAndSquare(t *testing.T) {
	m := render600(t, Spec{Style: Union, Name: "天府软件有限公司工会委员会"})
	w, starts := m.runs(21, 0, 0, 1, 3)
	if len(w) < 2 {
		t.Fatalf("union seal: %d rings at the top, want 2", len(w))
	}
	near(t, "union outer border", w[0], unionBorder, 0.04)
	near(t, "union inner line", w[1], unionLine, 0.03)
	near(t, "union line gap", starts[1]-unionBorder, unionGap, 0.06)

	// The 45×30 oval (外企章): outer size and border; no star.
	m = render600(t, Spec{Style: Foreign, Name: "苏州博世（中国）投资有限公司"})
	x0, y0, x1, y1, _ := m.box(0, 0, 45, 30)
	near(t, "45×30 oval width", x1-x0, 45, 0.1)
	near(t, "45×30 oval height", y1-y0, 30, 0.1)
	w, _ = m.runs(0, 15, 1, 0, 3)
	near(t, "45×30 oval border", w[0], ovalGeoms()[45].border, 0.04)
	if _, _, _, _, ink := m.box(22.5-5, 15-5, 22.5+5, 15+5); ink {
		t.Error("foreign seal has something in the centre; it never has a star")
	}

	for _, z := range []Size{Square22, Square25} {
		m := render600(t, Spec{Style: Finance, Size: z, Name: "南京紫金电子有限公司"})
		x0, y0, x1, y1, _ := m.box(0, 0, z.W, z.H)
		near(t, "square width", x1-x0, z.W, 0.1)
		near(t, "square height", y1-y0, z.H, 0.1)
		w, _ := m.runs(0, z.H/2, 1, 0, 3)
		near(t, "square border", w[0], squareGeoms()[z.W].border, 0.04)
	}
}
