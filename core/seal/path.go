package seal

import (
	"math"
)

// Pt is a point in millimetres. Drawings use a y-down frame whose origin is the top-left corner
// of the seal's bounding box, like the raster image it becomes.
type Pt struct{ X, Y float64 }

// Op is a path operator.
type Op uint8

// The path operators. Each Seg uses as many of Pts as its operator needs: MoveTo and LineTo one,
// QuadTo two (control, end), CubeTo three (control, control, end), Close none.
const (
	MoveTo Op = iota
	LineTo
	QuadTo
	CubeTo
	Close
)

// Seg is one path segment.
type Seg struct {
	Op  Op
	Pts [3]Pt
}

// Path is a list of closed contours filled with the non-zero winding rule. Holes (the inside of
// a border ring, the counters of a glyph) run opposite to their outer contour.
type Path []Seg

func (p *Path) moveTo(a Pt)       { *p = append(*p, Seg{Op: MoveTo, Pts: [3]Pt{a}}) }
func (p *Path) lineTo(a Pt)       { *p = append(*p, Seg{Op: LineTo, Pts: [3]Pt{a}}) }
func (p *Path) quadTo(b, c Pt)    { *p = append(*p, Seg{Op: QuadTo, Pts: [3]Pt{b, c}}) }
func (p *Path) cubeTo(b, c, d Pt) { *p = append(*p, Seg{Op: CubeTo, Pts: [3]Pt{b, c, d}}) }
func (p *Path) close()            { *p = append(*p, Seg{Op: Close}) }

// nPts is how many points of Seg.Pts the operator uses.
func (o Op) nPts() int {
	switch o {
	case MoveTo, LineTo:
		return 1
	case QuadTo:
		return 2
	case CubeTo:
		return 3
	}
	return 0
}

// Bounds returns the box holding every point of the path, control points included (so it
// contains the filled area).
func (p Path) Bounds() (min, max Pt) {
	min = Pt{math.Inf(1), math.Inf(1)}
	max = Pt{math.Inf(-1), math.Inf(-1)}
	for _, s := range p {
		for i := 0; i < s.Op.nPts(); i++ {
			q := s.Pts[i]
			min.X, min.Y = math.Min(min.X, q.X), math.Min(min.Y, q.Y)
			max.X, max.Y = math.Max(max.X, q.X), math.Max(max.Y, q.Y)
		}
	}
	return min, max
}

// affine is a 2×3 matrix: x' = a*x + b*y + c, y' = d*x + e*y + f.
type affine struct{ a, b, c, d, e, f float64 }

func (m affine) apply(q Pt) Pt {
	return Pt{m.a*q.X + m.b*q.Y + m.c, m.d*q.X + m.e*q.Y + m.f}
}

// then returns the transform that applies m first and n second.
func (m affine) then(n affine) affine {
	return affine{
		a: n.a*m.a + n.b*m.d, b: n.a*m.b + n.b*m.e, c: n.a*m.c + n.b*m.f + n.c,
		d: n.d*m.a + n.e*m.d, e: n.d*m.b + n.e*m.e, f: n.d*m.c + n.e*m.f + n.f,
	}
}

func translate(x, y float64) affine { return affine{1, 0, x, 0, 1, y} }
func scale(sx, sy float64) affine   { return affine{sx, 0, 0, 0, sy, 0} }

// rotate turns by theta radians; in the y-down frame a positive angle turns clockwise on screen.
func rotate(theta float64) affine {
	s, c := math.Sincos(theta)
	return affine{c, -s, 0, s, c, 0}
}

func (p Path) transform(m affine) Path {
	out := make(Path, len(p))
	for i, s := range p {
		out[i].Op = s.Op
		for j := 0; j < s.Op.nPts(); j++ {
			out[i].Pts[j] = m.apply(s.Pts[j])
		}
	}
	return out
}

// kappa is the cubic Bézier handle length for a quarter circle.
const kappa = 0.5522847498307936

// ellipse appends a closed ellipse centred at c with semi-axes rx, ry, clockwise on screen when
// cw is true.
func (p *Path) ellipse(c Pt, rx, ry float64, cw bool) {
	kx, ky := rx*kappa, ry*kappa
	if cw { // right, bottom, left, top (y down: clockwise on screen)
		p.moveTo(Pt{c.X + rx, c.Y})
		p.cubeTo(Pt{c.X + rx, c.Y + ky}, Pt{c.X + kx, c.Y + ry}, Pt{c.X, c.Y + ry})
		p.cubeTo(Pt{c.X - kx, c.Y + ry}, Pt{c.X - rx, c.Y + ky}, Pt{c.X - rx, c.Y})
		p.cubeTo(Pt{c.X - rx, c.Y - ky}, Pt{c.X - kx, c.Y - ry}, Pt{c.X, c.Y - ry})
		p.cubeTo(Pt{c.X + kx, c.Y - ry}, Pt{c.X + rx, c.Y - ky}, Pt{c.X + rx, c.Y})
	} else {
		p.moveTo(Pt{c.X + rx, c.Y})
		p.cubeTo(Pt{c.X + rx, c.Y - ky}, Pt{c.X + kx, c.Y - ry}, Pt{c.X, c.Y - ry})
		p.cubeTo(Pt{c.X - kx, c.Y - ry}, Pt{c.X - rx, c.Y - ky}, Pt{c.X - rx, c.Y})
		p.cubeTo(Pt{c.X - rx, c.Y + ky}, Pt{c.X - kx, c.Y + ry}, Pt{c.X, c.Y + ry})
		p.cubeTo(Pt{c.X + kx, c.Y + ry}, Pt{c.X + rx, c.Y + ky}, Pt{c.X + rx, c.Y})
	}
	p.close()
}

// ring is an elliptical band: outer semi-axes rx, ry, width w.
func ring(c Pt, rx, ry, w float64) Path {
	var p Path
	p.ellipse(c, rx, ry, true)
	p.ellipse(c, rx-w, ry-w, false)
	return p
}

// rect appends a closed rectangle, clockwise on screen when cw is true.
func (p *Path) rect(x0, y0, x1, y1 float64, cw bool) {
	p.moveTo(Pt{x0, y0})
	if cw {
		p.lineTo(Pt{x1, y0})
		p.lineTo(Pt{x1, y1})
		p.lineTo(Pt{x0, y1})
	} else {
		p.lineTo(Pt{x0, y1})
		p.lineTo(Pt{x1, y1})
		p.lineTo(Pt{x1, y0})
	}
	p.close()
}

// star is a regular five-pointed star centred at c whose tips lie on a circle of radius r, one
// tip straight up. The inner vertices sit at r·0.381966 (a regular pentagram).
func star(c Pt, r float64) Path {
	const inner = 0.3819660112501051
	var p Path
	for i := 0; i < 10; i++ {
		rr := r
		if i%2 == 1 {
			rr = r * inner
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		q := Pt{c.X + rr*math.Cos(a), c.Y + rr*math.Sin(a)}
		if i == 0 {
			p.moveTo(q)
		} else {
			p.lineTo(q)
		}
	}
	p.close()
	return p
}
