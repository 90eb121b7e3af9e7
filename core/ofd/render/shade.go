package render

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"sealdesk/core/ofd"
)

// Shadings (GB/T 33190 §8.3.4): a FillColor may hold an AxialShd (colour varies along the line
// StartPoint→EndPoint) or a RadialShd (between the circle StartPoint/StartRadius and the circle
// EndPoint/EndRadius), with Segment stops (Position 0…1, a Color each) and Extend (0 none, 1
// before the start, 2 after the end, 3 both). Points are in the object's space (its Boundary
// and CTM); path and text fills use them (strokes take the plain colour). Drawn as MapType
// Direct; Repeat and Reflect map the same way, and an elliptical
// RadialShd (Eccentricity) is drawn as circles.

// stop is one Segment of a shading.
type stop struct {
	pos float64
	c   color.NRGBA
}

// shade is a shading evaluated at each page pixel; it is the source image of a fill.
type shade struct {
	radial             bool
	sx, sy, ex, ey     float64 // object space
	r0, r1             float64
	before, after      bool // Extend
	stops              []stop
	inv                func(px, py float64) (float64, float64) // page pixel → object space
	transparentOutside color.NRGBA
}

func (s *shade) ColorModel() color.Model { return color.NRGBAModel }
func (s *shade) Bounds() image.Rectangle {
	return image.Rect(-1<<30, -1<<30, 1<<30, 1<<30)
}

func (s *shade) At(px, py int) color.Color {
	x, y := s.inv(float64(px)+0.5, float64(py)+0.5)
	t, ok := s.param(x, y)
	if !ok {
		return s.transparentOutside
	}
	return s.colorAt(t)
}

// param is the shading parameter of an object-space point, false where nothing is painted.
func (s *shade) param(x, y float64) (float64, bool) {
	var t float64
	if !s.radial {
		dx, dy := s.ex-s.sx, s.ey-s.sy
		l := dx*dx + dy*dy
		if l == 0 {
			return 0, false
		}
		t = ((x-s.sx)*dx + (y-s.sy)*dy) / l
	} else {
		// The largest t with |P − C(t)| = r(t) ≥ 0, C(t) = S + t(E − S), r(t) = r0 + t(r1 − r0)
		// (PDF's type 3 shading; OFD's RadialShd is the same two-circle form).
		cdx, cdy, dr := s.ex-s.sx, s.ey-s.sy, s.r1-s.r0
		pdx, pdy := x-s.sx, y-s.sy
		a := cdx*cdx + cdy*cdy - dr*dr
		b := pdx*cdx + pdy*cdy + s.r0*dr
		c := pdx*pdx + pdy*pdy - s.r0*s.r0
		var roots []float64
		if math.Abs(a) < 1e-12 {
			if b == 0 {
				return 0, false
			}
			roots = []float64{c / (2 * b)}
		} else {
			disc := b*b - a*c
			if disc < 0 {
				return 0, false
			}
			q := math.Sqrt(disc)
			t1, t2 := (b+q)/a, (b-q)/a
			roots = []float64{max(t1, t2), min(t1, t2)}
		}
		found := false
		for _, r := range roots {
			if s.r0+r*dr < 0 || (r < 0 && !s.before) || (r > 1 && !s.after) {
				continue
			}
			t, found = r, true
			break
		}
		if !found {
			return 0, false
		}
	}
	switch {
	case t < 0 && !s.before, t > 1 && !s.after:
		return 0, false
	}
	return min(1, max(0, t)), true
}

func (s *shade) colorAt(t float64) color.NRGBA {
	st := s.stops
	if t <= st[0].pos {
		return st[0].c
	}
	for i := 1; i < len(st); i++ {
		if t <= st[i].pos {
			a, b := st[i-1], st[i]
			f := 0.0
			if b.pos > a.pos {
				f = (t - a.pos) / (b.pos - a.pos)
			}
			mix := func(u, v uint8) uint8 { return uint8(math.Round(float64(u) + (float64(v)-float64(u))*f)) }
			return color.NRGBA{mix(a.c.R, b.c.R), mix(a.c.G, b.c.G), mix(a.c.B, b.c.B), mix(a.c.A, b.c.A)}
		}
	}
	return st[len(st)-1].c
}

// shadingOf reads the AxialShd or RadialShd of a FillColor node; nil when it has none or it is
// unusable (no stops, missing points).
func shadingOf(fc *xnode, alpha uint8) *shade {
	if fc == nil {
		return nil
	}
	var n *xnode
	s := &shade{}
	if n = fc.child("AxialShd"); n == nil {
		if n = fc.child("RadialShd"); n == nil {
			return nil
		}
		s.radial = true
	}
	sp, ep := numbers(n.get("StartPoint")), numbers(n.get("EndPoint"))
	if len(sp) != 2 || len(ep) != 2 {
		return nil
	}
	s.sx, s.sy, s.ex, s.ey = sp[0], sp[1], ep[0], ep[1]
	if s.radial {
		s.r0, _ = strconv.ParseFloat(n.get("StartRadius"), 64)
		s.r1, _ = strconv.ParseFloat(n.get("EndRadius"), 64)
		if s.r0 < 0 || s.r1 < 0 || s.r0 == 0 && s.r1 == 0 {
			return nil
		}
	}
	ext, _ := strconv.Atoi(n.get("Extend"))
	s.before, s.after = ext&1 != 0, ext&2 != 0
	var segs []*xnode
	for _, k := range n.kids {
		if k.name == "Segment" && len(segs) < 256 {
			segs = append(segs, k)
		}
	}
	if len(segs) == 0 {
		return nil
	}
	last := -1.0
	for i, sg := range segs {
		pos := float64(i) / float64(max(1, len(segs)-1))
		if v, err := strconv.ParseFloat(sg.get("Position"), 64); err == nil {
			pos = v
		}
		pos = min(1, max(0, max(pos, last))) // stops never go back
		last = pos
		s.stops = append(s.stops, stop{pos: pos, c: parseColor(sg.child("Color"), color.NRGBA{0, 0, 0, 255}, alpha)})
	}
	return s
}

// inverse maps page pixels back into the space of an object with boundary bx and matrix m;
// nil when m cannot be inverted.
func (p *painter) inverse(bx ofd.Box, m affine) func(px, py float64) (float64, float64) {
	det := m[0]*m[3] - m[1]*m[2]
	if det == 0 || math.IsNaN(det) || math.IsInf(det, 0) {
		return nil
	}
	return func(px, py float64) (float64, float64) {
		u := px/p.k - bx.X - p.ox - m[4]
		v := py/p.k - bx.Y - p.oy - m[5]
		return (m[3]*u - m[2]*v) / det, (-m[1]*u + m[0]*v) / det
	}
}
