package seal

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"sync"
)

// PartKind says which element of a seal a Part draws.
type PartKind uint8

// The parts of a seal.
const (
	PartBorder PartKind = iota + 1 // the outer border (and the thin inner line of a 工会章)
	PartStar                       // the centre star
	PartName                       // one glyph of the name on the upper arc
	PartTitle                      // one glyph of the horizontal title
	PartCode                       // one glyph of the 信息编码 on the lower arc
	PartNumber                     // one glyph of the invoice seal's taxpayer number
	PartText                       // one glyph of a square seal's columns
	PartStroke                     // one stroke of a hand-drawn signature
)

// Part is one filled element of a drawing.
type Part struct {
	Kind PartKind
	Path Path
}

// Drawing is a seal as vector paths in millimetres (y down, origin at the top-left corner of the
// Width×Height box). Rasterize turns it into pixels; PDFContent into a PDF content stream.
type Drawing struct {
	Width, Height float64 // mm
	Color         color.NRGBA
	Parts         []Part
	Warnings      []Warning
	// NameXScale is the width factor the name's glyphs were drawn with (1 = not compressed).
	NameXScale float64
	// NameSpan is the angle in degrees, seen from the centre, between the first and the last
	// name glyph's centres.
	NameSpan float64
	// TitleXScale is the width factor of the title's glyphs (0 when there is no title).
	TitleXScale float64
}

// Bounds returns the box (mm) holding every part of kind k; ok is false when there is none.
func (d *Drawing) Bounds(k PartKind) (min, max Pt, ok bool) {
	min = Pt{math.Inf(1), math.Inf(1)}
	max = Pt{math.Inf(-1), math.Inf(-1)}
	for _, p := range d.Parts {
		if p.Kind != k {
			continue
		}
		a, b := p.Path.Bounds()
		min.X, min.Y = math.Min(min.X, a.X), math.Min(min.Y, a.Y)
		max.X, max.Y = math.Max(max.X, b.X), math.Max(max.Y, b.Y)
		ok = true
	}
	return min, max, ok
}

// roundGeom is the national geometry of a round seal (陕西 spec, SPEC §4), in mm.
type roundGeom struct {
	border, star, nameH, gap, titleH, codeH float64
}

var roundGeoms = sync.OnceValue(func() map[float64]roundGeom {
	return map[float64]roundGeom{
		38: {border: 1.0, star: 12, nameH: 6.0, gap: 0.8, titleH: 4.2, codeH: 1.8},
		40: {border: 1.2, star: 13, nameH: 6.5, gap: 0.9, titleH: 4.5, codeH: 2.0},
		42: {border: 1.2, star: 14, nameH: 6.75, gap: 0.9, titleH: 4.6, codeH: 2.0},
		45: {border: 1.5, star: 15, nameH: 7.25, gap: 1.2, titleH: 5.0, codeH: 2.2},
	}
})

// ovalGeom is the geometry of an oval seal (国家税务总局公告2011年第7号 for 40×30), in mm.
type ovalGeom struct {
	border, nameH, gap       float64
	titleH, titleW, titleTop float64 // title glyph height, width, top below the centre line
	numH, numW, numTotal     float64 // invoice number: cap height, glyph width, total width
	codeH                    float64
	spanLo, spanHi           float64 // degrees
}

var ovalGeoms = sync.OnceValue(func() map[float64]ovalGeom {
	return map[float64]ovalGeom{
		40: {border: 1.0, nameH: 4.2, gap: 0.5, titleH: 4.6, titleW: 3.0, titleTop: 4.2, numH: 3.7, numW: 1.3, numTotal: 26, codeH: 1.8, spanLo: 210, spanHi: 260},
		45: {border: 1.0, nameH: 4.6, gap: 0.6, titleH: 4.6, titleW: 3.2, titleTop: 4.2, numH: 3.7, numW: 1.3, numTotal: 28, codeH: 1.8, spanLo: 210, spanHi: 260},
	}
})

// Layout tunables.
const (
	nameXSMin     = 0.7  // narrowest name glyphs (width factor)
	titleXSMin    = 0.5  // narrowest title glyphs, relative to the style's normal width
	codeXSMin     = 0.4  // narrowest code glyphs
	unionBorder   = 1.0  // a 工会章's outer border
	unionGap      = 0.7  // space between a 工会章's border and its inner line
	unionLine     = 0.1  // the inner line's width
	latinCapRatio = 0.72 // Latin letters in a Chinese line: cap height / text height
)

// Layout checks s and lays it out as vector paths. Warnings (a legacy or mis-checked code) are
// in the drawing; refusals are errors wrapping ErrInvalidSpec.
func Layout(s Spec) (*Drawing, error) {
	n, warns, err := s.normalize()
	if err != nil {
		return nil, err
	}
	fs, err := loadFonts()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFonts, err)
	}
	d := &Drawing{Width: n.Size.W, Height: n.Size.H, Color: n.Color, Warnings: warns, NameXScale: 1}
	switch n.Size.Shape {
	case Square:
		err = layoutSquare(d, n, fs)
	default:
		err = layoutEllipse(d, n, fs)
	}
	if err != nil {
		return nil, err
	}
	return d, nil
}

// textItem is one character to draw: its glyph, face and text height.
type textItem struct {
	fc *face
	g  *glyph
	h  float64 // text height, mm
	w  float64 // natural width at width factor 1, mm
}

// shape turns runes into items: ASCII in the Latin face, the rest in cjk. Runes either face
// lacks are refused, all named at once.
func shapeText(field string, rs []rune, cjk, latin *face, h float64) ([]textItem, error) {
	items := make([]textItem, 0, len(rs))
	var missing []rune
	for _, r := range rs {
		fc, hh := cjk, h
		if r < 0x80 {
			fc, hh = latin, h*latinCapRatio
		}
		g := fc.glyph(r)
		if !g.ok && r != ' ' {
			missing = append(missing, r)
			continue
		}
		items = append(items, textItem{fc: fc, g: g, h: hh, w: fc.width(g, hh, 1)})
	}
	if len(missing) > 0 {
		sort.Slice(missing, func(i, j int) bool { return missing[i] < missing[j] })
		uniq := missing[:1]
		for _, r := range missing[1:] {
			if r != uniq[len(uniq)-1] {
				uniq = append(uniq, r)
			}
		}
		return nil, &MissingGlyphsError{Field: field, Runes: uniq}
	}
	return items, nil
}

// arcTable measures arc length along the ellipse x = a·sin t, y = −b·cos t for t in [0, π].
type arcTable struct {
	a, b float64
	s    []float64 // s[i] = length from t=0 to t=i·π/N
}

const arcN = 2048

func newArcTable(a, b float64) *arcTable {
	at := &arcTable{a: a, b: b, s: make([]float64, arcN+1)}
	dt := math.Pi / arcN
	for i := 1; i <= arcN; i++ {
		tm := (float64(i) - 0.5) * dt
		at.s[i] = at.s[i-1] + math.Hypot(a*math.Cos(tm), b*math.Sin(tm))*dt
	}
	return at
}

// length is the signed arc length from t=0 to t (|t| ≤ π).
func (at *arcTable) length(t float64) float64 {
	sign := 1.0
	if t < 0 {
		sign, t = -1, -t
	}
	f := t / math.Pi * arcN
	i := int(f)
	if i >= arcN {
		return sign * at.s[arcN]
	}
	return sign * (at.s[i] + (at.s[i+1]-at.s[i])*(f-float64(i)))
}

// param is the inverse of length.
func (at *arcTable) param(s float64) float64 {
	sign := 1.0
	if s < 0 {
		sign, s = -1, -s
	}
	i := sort.SearchFloat64s(at.s, s)
	if i == 0 {
		return 0
	}
	if i > arcN {
		return sign * math.Pi
	}
	f := (s - at.s[i-1]) / (at.s[i] - at.s[i-1])
	return sign * (float64(i-1) + f) * math.Pi / arcN
}

// paramOfPolar is the ellipse parameter of the point seen at polar angle phi from the centre
// (phi measured from the top, clockwise).
func paramOfPolar(a, b, phi float64) float64 { return math.Atan2(b*math.Sin(phi), a*math.Cos(phi)) }

// arcFit lays items out along an ellipse, centred on the top (or, bottom=true, on the bottom,
// reading left to right with the glyph tops towards the centre).
type arcFit struct {
	a, b           float64 // the glyph centres' ellipse
	meas           float64 // spacing is measured on the ellipse shrunk by this much (glyphs fan out)
	spanLo, spanHi float64 // polar span between the first and last centres, radians
	gap, maxGap    float64 // least and most space between glyphs, mm
	xsMin          float64
	bottom         bool
}

type arcPlaced struct {
	xs    float64
	span  float64 // polar span between the end centres, radians
	parts []Path
	ends  float64 // polar half-angle covered including the end glyphs' half widths, radians
}

var errNoFit = errors.New("does not fit")

func (f arcFit) place(cx, cy float64, items []textItem) (*arcPlaced, error) {
	at := newArcTable(f.a-f.meas, f.b-f.meas)
	L := func(span float64) float64 { return 2 * at.length(paramOfPolar(f.a, f.b, span/2)) }
	n := len(items)
	pairs := 0.0
	for i := 0; i+1 < n; i++ {
		pairs += (items[i].w + items[i+1].w) / 2
	}
	solve := func(total float64) float64 { // the span whose arc length is total
		lo, hi := 0.0, 2*math.Pi
		for k := 0; k < 60; k++ {
			mid := (lo + hi) / 2
			if L(mid) < total {
				lo = mid
			} else {
				hi = mid
			}
		}
		return (lo + hi) / 2
	}
	xs, gap := 1.0, f.gap
	if n > 1 {
		need := pairs + float64(n-1)*f.gap
		switch {
		case need <= L(f.spanLo):
			gap = (L(f.spanLo) - pairs) / float64(n-1)
			if gap > f.maxGap {
				gap = f.maxGap
			}
		case need <= L(f.spanHi):
		default:
			xs = (L(f.spanHi) - float64(n-1)*f.gap) / pairs
			if xs < f.xsMin {
				return nil, errNoFit
			}
		}
	}
	total := xs*pairs + float64(max(n-1, 0))*gap
	res := &arcPlaced{xs: xs, span: solve(total)}
	s := -total / 2
	for i, it := range items {
		if i > 0 {
			s += xs*(items[i-1].w+it.w)/2 + gap
		}
		t := at.param(s)
		if f.bottom {
			t = at.param(-s)
		}
		sin, cos := math.Sincos(t)
		c := Pt{cx + f.a*sin, cy - f.b*cos}
		if f.bottom {
			c = Pt{cx - f.a*sin, cy + f.b*cos}
		}
		theta := math.Atan2(sin/f.a, cos/f.b)
		res.parts = append(res.parts, it.fc.place(it.g, c, it.h, xs, 1, theta))
	}
	// How far round the glyphs reach, seen from the centre (from the top, either way).
	for _, p := range res.parts {
		for _, sg := range p {
			for j := 0; j < sg.Op.nPts(); j++ {
				q := sg.Pts[j]
				res.ends = math.Max(res.ends, math.Abs(math.Atan2(q.X-cx, cy-q.Y)))
			}
		}
	}
	return res, nil
}

// maxArcChars is how many full-width characters of height h the fit holds at its narrowest.
func (f arcFit) maxArcChars(h float64) int {
	at := newArcTable(f.a-f.meas, f.b-f.meas)
	L := 2 * at.length(paramOfPolar(f.a, f.b, f.spanHi/2))
	return 1 + int(L/(f.xsMin*h+f.gap))
}

// layoutEllipse lays out round and oval seals.
func layoutEllipse(d *Drawing, n *normalized, fs *fontSet) error {
	cx, cy := n.Size.W/2, n.Size.H/2
	A, B := n.Size.W/2, n.Size.H/2
	var (
		border, nameH, gap, titleH, titleXS, titleTop, codeH float64
		spanLo, spanHi                                       float64
		cjk                                                  = fs.song
		og                                                   ovalGeom
		starR                                                float64
	)
	if n.Size.Shape == Round {
		g := roundGeoms()[n.Size.W]
		border, nameH, gap, titleH, codeH = g.border, g.nameH, g.gap, g.titleH, g.codeH
		titleXS = 0.75
		spanLo, spanHi = 250, 270
		starR = g.star / 2
		titleTop = starR*math.Cos(math.Pi/5) + 0.8
	} else {
		og = ovalGeoms()[n.Size.W]
		border, nameH, gap, titleH, codeH = og.border, og.nameH, og.gap, og.titleH, og.codeH
		titleXS = og.titleW / og.titleH
		titleTop = og.titleTop
		spanLo, spanHi = og.spanLo, og.spanHi
		cjk = fs.fangsong
	}
	cjk = fs.pick(n.Font, cjk)
	rad := math.Pi / 180
	textEdge := border
	d.Parts = append(d.Parts, Part{PartBorder, ring(Pt{cx, cy}, A, B, border)})
	if n.info.doubleRing {
		// 工会章: a 1 mm border with a thin line inside it.
		border, textEdge = unionBorder, unionBorder
		d.Parts[0] = Part{PartBorder, ring(Pt{cx, cy}, A, B, border)}
		d.Parts = append(d.Parts, Part{PartBorder, ring(Pt{cx, cy}, A-border-unionGap, B-border-unionGap, unionLine)})
		textEdge += unionGap + unionLine
	}
	if n.star {
		d.Parts = append(d.Parts, Part{PartStar, star(Pt{cx, cy}, starR)})
	}

	// The name along the upper arc.
	items, err := shapeText("name", n.name, cjk, fs.latin, nameH)
	if err != nil {
		return err
	}
	nf := arcFit{
		a: A - textEdge - gap - nameH/2, b: B - textEdge - gap - nameH/2,
		meas:   nameH / 8,
		spanLo: spanLo * rad, spanHi: spanHi * rad,
		gap: 0.03 * nameH, maxGap: 0.9 * nameH,
		xsMin: nameXSMin,
	}
	// The invoice number keeps the name out of a band across the middle: narrow the arc (and
	// compress the glyphs) until no name glyph enters it.
	var keepOut func(Path) bool
	if n.info.codeMiddle {
		hx, hy := og.numTotal/2+0.6, og.numH/2+0.6
		keepOut = func(p Path) bool {
			for _, sg := range p {
				for j := 0; j < sg.Op.nPts(); j++ {
					if q := sg.Pts[j]; math.Abs(q.X-cx) < hx && math.Abs(q.Y-cy) < hy {
						return true
					}
				}
			}
			return false
		}
	}
	var name *arcPlaced
	for hi := nf.spanHi; ; hi -= 2 * rad {
		f := nf
		f.spanHi, f.spanLo = hi, math.Min(nf.spanLo, hi)
		name, err = f.place(cx, cy, items)
		if err != nil || keepOut == nil || !slices.ContainsFunc(name.parts, keepOut) {
			break
		}
		if hi < 150*rad {
			err = errNoFit
			break
		}
	}
	if err != nil {
		return &TooLongError{Field: "name", Size: n.Size, Len: len(n.name), Max: nf.maxArcChars(nameH)}
	}
	for _, p := range name.parts {
		d.Parts = append(d.Parts, Part{PartName, p})
	}
	d.NameXScale, d.NameSpan = name.xs, name.span/rad
	freeBottom := math.Pi - name.ends - 4*rad // half-angle left free around the bottom

	// Inner limit for the title: inside the border less the gap, and inside the code if any.
	limA, limB := A-textEdge-gap, B-textEdge-gap
	if n.code != "" && !n.info.codeMiddle {
		items, err := shapeText("code", []rune(n.code), fs.latin, fs.latin, codeH)
		if err != nil {
			return err
		}
		cf := arcFit{
			a: A - textEdge - gap - codeH/2, b: B - textEdge - gap - codeH/2,
			meas:   -codeH / 4, // the glyphs' outer sides face the border
			spanLo: 0, spanHi: 2 * (freeBottom - 4*rad),
			gap: 0.1 * codeH, maxGap: 0.6 * codeH, xsMin: codeXSMin,
			bottom: true,
		}
		if cf.spanHi <= 0 {
			return &TooLongError{Field: "code", Size: n.Size, Len: len(n.code), Max: 0}
		}
		// Spread the code over at most 80% of the free angle, compressing as needed.
		cf.spanLo = cf.spanHi
		code, err := cf.place(cx, cy, items)
		if err != nil {
			return &TooLongError{Field: "code", Size: n.Size, Len: len(n.code), Max: cf.maxArcChars(codeH * 0.556 / latinCapRatio)}
		}
		for _, p := range code.parts {
			d.Parts = append(d.Parts, Part{PartCode, p})
		}
		limA, limB = A-textEdge-gap-codeH-0.4, B-textEdge-gap-codeH-0.4
	}

	if n.info.codeMiddle {
		if err := layoutNumber(d, n, fs, cx, cy, og); err != nil {
			return err
		}
	}
	if len(n.title) == 0 {
		return nil
	}
	items, err = shapeText("title", n.title, cjk, fs.latin, titleH)
	if err != nil {
		return err
	}
	// The inner ellipse of the name glyphs, and the free sector around the bottom.
	nameInA, nameInB := nf.a-nameH/2-0.4, nf.b-nameH/2-0.4
	top := titleTop
	okCorner := func(x, y float64) bool {
		if (x*x)/(limA*limA)+(y*y)/(limB*limB) > 1 {
			return false
		}
		if (x*x)/(nameInA*nameInA)+(y*y)/(nameInB*nameInB) <= 1 {
			return true
		}
		return math.Atan2(x, y) <= freeBottom
	}
	// okEdge checks the title box's side at half-width x from y0 to y1: the free region is not
	// convex, so corners alone are not enough.
	okEdge := func(x, y0, y1 float64) bool {
		for y := y0; ; y += 0.2 {
			if !okCorner(x, math.Min(y, y1)) {
				return false
			}
			if y >= y1 {
				return true
			}
		}
	}
	// The widest half-width the box's sides allow, by bisection (monotonic in x).
	maxHalf := func(y0, y1 float64) float64 {
		lo, hi := 0.0, A
		if !okEdge(0, y0, y1) {
			return 0
		}
		for k := 0; k < 40; k++ {
			mid := (lo + hi) / 2
			if okEdge(mid, y0, y1) {
				lo = mid
			} else {
				hi = mid
			}
		}
		return lo
	}
	// Slide the title down from just under the star to where it may be widest.
	// (An oval's title stays where the rule puts it.)
	best, bestTop := maxHalf(top, top+titleH), top
	for t := top; n.Size.Shape == Round && t+titleH < limB; t += 0.2 {
		if h := maxHalf(t, t+titleH); h > best+1e-9 {
			best, bestTop = h, t
		}
	}
	if best <= 0 {
		return &TooLongError{Field: "title", Size: n.Size, Len: len(n.title), Max: 0}
	}
	return placeLine(d, PartTitle, "title", n, items, cx, cy+bestTop+titleH/2, 2*best, titleXS, titleXS*titleXSMin, 0.12*titleH)
}

// placeLine draws items as one horizontal line centred at (cx, cy) within width, at width
// factor xs, compressed down to xsMin if needed.
func placeLine(d *Drawing, kind PartKind, field string, n *normalized, items []textItem, cx, cy, width, xs, xsMin, gap float64) error {
	natural := 0.0
	for _, it := range items {
		natural += it.w
	}
	// Compressing narrows the glyphs and the gaps between them alike.
	gap0, xs0 := gap, xs
	gaps := gap * float64(len(items)-1)
	if natural*xs+gaps > width {
		xs = width / (natural + gap0/xs0*float64(len(items)-1))
		gap = gap0 * xs / xs0
		gaps = gap * float64(len(items)-1)
		if xs < xsMin {
			per := items[0].h*xsMin + gap0*xsMin/xs0
			maxN := int((width + gap0*xsMin/xs0) / per)
			return &TooLongError{Field: field, Size: n.Size, Len: len(items), Max: maxN}
		}
	}
	if kind == PartTitle {
		d.TitleXScale = xs
	}
	x := cx - (natural*xs+gaps)/2
	for _, it := range items {
		w := it.w * xs
		d.Parts = append(d.Parts, Part{kind, it.fc.place(it.g, Pt{x + w/2, cy}, it.h, xs, 1, 0)})
		x += w + gap
	}
	return nil
}

// layoutNumber puts the invoice seal's taxpayer number straight across the middle: each glyph
// numW wide in a cell of numTotal/len, cap height numH, in the Arial-like face.
func layoutNumber(d *Drawing, n *normalized, fs *fontSet, cx, cy float64, og ovalGeom) error {
	items, err := shapeText("code", []rune(n.code), fs.latin, fs.latin, og.numH/latinCapRatio)
	if err != nil {
		return err
	}
	pitch := og.numTotal / float64(len(items))
	w := math.Min(og.numW, pitch*0.9)
	x := cx - og.numTotal/2 + pitch/2
	for _, it := range items {
		g := it.g
		xs := w / it.fc.width(g, og.numH, 1)
		d.Parts = append(d.Parts, Part{PartNumber, it.fc.place(g, Pt{x, cy}, og.numH, xs, 1, 0)})
		x += pitch
	}
	return nil
}

// squareGeom is a square seal's border and inner margin, mm.
var squareGeoms = sync.OnceValue(func() map[float64]struct{ border, gap float64 } {
	return map[float64]struct{ border, gap float64 }{
		22: {border: 1.0, gap: 0.6},
		25: {border: 1.2, gap: 0.7},
	}
})

// Square seal cells: glyph width / height between these.
const squareAspectMin, squareAspectMax = 0.45, 1.75

// layoutSquare writes name + title in two or three columns, read top to bottom, right to left.
func layoutSquare(d *Drawing, n *normalized, fs *fontSet) error {
	g := squareGeoms()[n.Size.W]
	side := n.Size.W
	var outline Path
	outline.rect(0, 0, side, side, true)
	outline.rect(g.border, g.border, side-g.border, side-g.border, false)
	d.Parts = append(d.Parts, Part{PartBorder, outline})
	text := append(append([]rune{}, n.name...), n.title...)
	var rs []rune
	for _, r := range text {
		if r != ' ' {
			rs = append(rs, r)
		}
	}
	inner := side - 2*g.border - 2*g.gap
	best, bestScore := 0, math.Inf(1)
	for _, cols := range []int{2, 3} {
		rows := (len(rs) + cols - 1) / cols
		if rows < 1 || (len(rs)+rows-1)/rows < cols {
			continue // a column would stay empty
		}
		aspect := (inner / float64(cols)) / (inner / float64(rows))
		if aspect < squareAspectMin || aspect > squareAspectMax {
			continue
		}
		if s := math.Abs(math.Log(aspect * 1.15)); s < bestScore { // slightly tall glyphs look right
			best, bestScore = cols, s
		}
	}
	if best == 0 {
		maxN := 0
		for cols := 2; cols <= 3; cols++ {
			for rows := 1; ; rows++ {
				if (inner/float64(cols))/(inner/float64(rows)) > squareAspectMax {
					break
				}
				maxN = max(maxN, rows*cols)
			}
		}
		if maxN <= len(n.title) {
			return &TooLongError{Field: "title", Size: n.Size, Len: len(n.title), Max: maxN - 1}
		}
		return &TooLongError{Field: "name", Size: n.Size, Len: len(n.name), Max: maxN - len(n.title)}
	}
	cols := best
	rows := (len(rs) + cols - 1) / cols
	cellW, cellH := inner/float64(cols), inner/float64(rows)
	items, err := shapeText("name", rs, fs.pick(n.Font, fs.song), fs.latin, cellH*0.92)
	if err != nil {
		return err
	}
	i := 0
	for c := 0; c < cols; c++ {
		k := rows
		if rem := len(items) - i; rem < k {
			k = rem
		}
		x := side - g.border - g.gap - cellW*(float64(c)+0.5)
		y0 := g.border + g.gap + (inner-cellH*float64(k))/2
		for r := 0; r < k; r++ {
			it := items[i]
			i++
			xs := cellW * 0.92 / it.fc.width(it.g, it.h, 1)
			d.Parts = append(d.Parts, Part{PartText, it.fc.place(it.g, Pt{x, y0 + cellH*(float64(r)+0.5)}, it.h, xs, 1, 0)})
		}
	}
	return nil
}
