package verify

import (
	"math"

	"sealdesk/core/pdf"
)

// The cover check's shortcut: proving, without rendering, that the signature widgets added on a
// page cannot change a pixel of what was signed, so that the page need not be rendered (PDFium's
// start, two renders per signed revision and their memory were most of the time and the peak
// memory of verifying a file signed many times).
//
// The rendering-based check (cover.go) can only find covered content where the signed
// rendering has ink (or paper within 2 pixels of ink) and the new rendering differs. When the
// only things that changed on the page are added widgets, the new rendering differs from the
// signed one only where those widgets paint. So if every place an added widget can paint is at
// least coverGap points away from every place the signed page can paint, the comparison can find
// nothing, and it is skipped. Both sides are over-approximated by rectangles in user space that
// our own parser computes from the operators (paintBounds):
//
//   - paths: the control points under the CTM, grown by the line width times the miter limit;
//     images (Do, one unit square under the CTM); form XObjects (their own operators, recursively,
//     under /Matrix); shadings (sh): the current clip, and without a clip: anywhere;
//   - text only in fonts PDFium draws from its built-in faces (simple fonts that embed no font
//     program): each glyph within 1 em behind, 2.5 em ahead, 1 em below and 1.5 em above its
//     origin, origins advancing by the font's /Widths entries (or up to 1.25 em); an
//     embedded font program, a Type 3 or a composite font can put ink anywhere: no bound;
//   - an annotation: its appearance states (/AP /N) mapped onto /Rect as viewers map them
//     (Algorithm 8.1: /BBox under /Matrix onto /Rect), together with /Rect itself (a widget
//     without appearance, or one PDFium rebuilds, paints inside it); a markup annotation without
//     appearance, or with /Contents and no /Popup (PDFium may make a popup for it): no bound.
//
// Anything the walk does not understand — an operator with missing operands, a token it cannot
// read, an inline image, an unreadable resource, a stream over its budget, more work than
// maxBoundTokens — means no bound, and the page is rendered as before. So does a file that two
// readers could read differently (a structural anomaly in any revision, a repaired
// cross-reference table, an ambiguity core/pdf noted, encryption): the bounds are computed
// from our reading, and the rendering from PDFium's. So is every page where
// something other than an added widget needs the check (annotations added, changed, removed or
// reordered, fields filled, appearances synthesized), and every page of a signature whose
// changes already include a disallowed one (the rendering then reports the covered regions).
// The shortcut can only skip a rendering that would have found nothing: it never accepts what
// the rendering refuses (TestCoverShortcut*).

const (
	// coverGap is the distance, in points, an added widget's paint must keep from signed paint:
	// anti-aliasing on both sides (a pixel each), the 2 pixels of paper next to ink that the
	// comparison judges, and rounding, at coverDPI (0.75 pt a pixel), with room to spare.
	coverGap = 6.0
	// A glyph of a built-in face paints within [-glyphBack, glyphAhead] em of its origin along
	// the line and [-glyphBelow, glyphAbove] em across it (PDFium's faces — the standard 14, its
	// multiple-master substitutes, our CJK fonts — stay within about [-0.2, 1.1] × [-0.3, 1.0],
	// synthetic italic and bold included), and advances by at most builtinAdvance em when the
	// font's /Widths does not say more (the widest standard glyphs are about 1.05 em).
	glyphBack      = 1.0
	glyphAhead     = 2.5
	glyphBelow     = 1.0
	glyphAbove     = 1.5
	builtinAdvance = 1.25
	// maxBoundTokens bounds the operators read for one page's bounds (fan-out of forms included).
	maxBoundTokens = 1_000_000
	// maxBoundBoxes bounds the rectangles kept for one page; beyond, no bound.
	maxBoundBoxes = 20000
	// maxBoundContent bounds one decoded content stream read for bounds.
	maxBoundContent = 16 << 20
)

// box is an axis-parallel rectangle in user space.
type box struct{ x0, y0, x1, y1 float64 }

func (b box) grow(d float64) box { return box{b.x0 - d, b.y0 - d, b.x1 + d, b.y1 + d} }

func (b box) overlaps(c box) bool { return b.x0 < c.x1 && c.x0 < b.x1 && b.y0 < c.y1 && c.y0 < b.y1 }

func (b box) finite() bool {
	for _, v := range [4]float64{b.x0, b.y0, b.x1, b.y1} {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e7 {
			return false
		}
	}
	return true
}

func (b box) intersect(c box) box {
	return box{math.Max(b.x0, c.x0), math.Max(b.y0, c.y0), math.Min(b.x1, c.x1), math.Min(b.y1, c.y1)}
}

func rectBox(r pdf.Rect) box { return box{r.LLX, r.LLY, r.URX, r.URY} }

// mat is an affine matrix [a b c d e f]: (x, y) → (a x + c y + e, b x + d y + f).
type mat [6]float64

var identity = mat{1, 0, 0, 1, 0, 0}

func (m mat) apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

// then returns the matrix that applies m, then n.
func (m mat) then(n mat) mat {
	return mat{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// scale bounds how much m stretches a length (the Frobenius norm of its linear part).
func (m mat) scale() float64 { return math.Sqrt(m[0]*m[0] + m[1]*m[1] + m[2]*m[2] + m[3]*m[3]) }

// boxOf returns the bounding box of the rectangle (x0,y0)-(x1,y1) under m.
func (m mat) boxOf(x0, y0, x1, y1 float64) box {
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range [4][2]float64{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		x, y := m.apply(p[0], p[1])
		b = box{math.Min(b.x0, x), math.Min(b.y0, y), math.Max(b.x1, x), math.Max(b.y1, y)}
	}
	return b
}

// boundFont is what the walk knows of a font: whether its glyphs are bounded, and the range of
// the glyph widths (in em) an origin moves by: from advLo (≤ 0) to advHi.
type boundFont struct {
	ok           bool
	advLo, advHi float64
}

// boundState is the part of the graphics state the walk follows.
type boundState struct {
	ctm        mat
	clip       box
	clipped    bool
	lineWidth  float64
	miter      float64
	font       boundFont
	size       float64
	charSp     float64
	wordSp     float64
	hScale     float64
	leading    float64
	rise       float64
	renderMode int
}

// paintBounds collects where a page or an annotation can paint, in user space.
type paintBounds struct {
	f        *pdf.File
	v        *pdf.View
	pageRes  pdf.Dict
	boxes    []box
	failed   bool // no bound: paint may land anywhere
	tokens   int
	fonts    map[pdf.Ref]boundFont
	visiting map[*pdf.Stream]bool
	usedPage bool // a resource was looked up in the page's resources

	// apCache keeps, per appearance stream (the parsed object, shared by the revisions that
	// did not change it), the boxes it paints in its own space when it needs nothing of the
	// page: a file signed n times then reads each signature's appearance once, not n times.
	apCache map[*pdf.Stream]apBounds
	decoded *contentCache // decoded streams shared by the file's walks (nil: none)
}

type apBounds struct {
	boxes  []box
	failed bool
}

func newPaintBounds(f *pdf.File, v *pdf.View, pageRes pdf.Object, cache map[*pdf.Stream]apBounds) *paintBounds {
	return &paintBounds{f: f, v: v, pageRes: v.Dict(pageRes), fonts: map[pdf.Ref]boundFont{}, visiting: map[*pdf.Stream]bool{}, apCache: cache}
}

func (pb *paintBounds) fail() { pb.failed = true }

func (pb *paintBounds) add(b box) {
	if pb.failed {
		return
	}
	if !b.finite() || len(pb.boxes) >= maxBoundBoxes {
		pb.fail()
		return
	}
	pb.boxes = append(pb.boxes, b)
}

func (pb *paintBounds) resolve(o pdf.Object) pdf.Object {
	x, err := pb.v.Resolve(o)
	if err != nil {
		return nil
	}
	return x
}

// streamData decodes a content stream within maxBoundContent; nil when it cannot.
func (pb *paintBounds) streamData(st *pdf.Stream) []byte {
	return pb.decoded.boundData(st, func() []byte { return pb.decode(st) })
}

func (pb *paintBounds) decode(st *pdf.Stream) []byte {
	raw, err := pb.f.RawStreamData(st)
	if err != nil {
		return nil
	}
	data, remaining, err := pdf.DecodeFilters(raw, pb.resolve(st.Dict.Get("Filter")), pb.resolve(st.Dict.Get("DecodeParms")), maxBoundContent)
	if err != nil || len(remaining) > 0 {
		return nil
	}
	return data
}

// page adds what page p's own content paints (its /Contents, not its annotations).
func (pb *paintBounds) page(p pdf.Page) {
	var data []byte
	switch c := pb.resolve(p.Dict.Get("Contents")).(type) {
	case nil:
		return // no content: nothing painted
	case *pdf.Stream:
		if data = pb.streamData(c); data == nil {
			pb.fail()
			return
		}
	case pdf.Array:
		// PDFium joins the streams of an array with a space between them.
		for _, e := range c {
			st, ok := pb.resolve(e).(*pdf.Stream)
			if !ok {
				pb.fail()
				return
			}
			d := pb.streamData(st)
			if d == nil || len(data)+len(d) > maxBoundContent {
				pb.fail()
				return
			}
			data = append(append(data, d...), ' ')
		}
	default:
		pb.fail()
		return
	}
	pb.content(data, pb.pageRes, boundState{ctm: identity, lineWidth: 1, miter: 10, hScale: 1}, 0)
}

// annot adds what annotation d can paint: its /Rect and its normal appearance states.
func (pb *paintBounds) annot(d pdf.Dict) {
	rc, ok := pdf.RectFrom(pb.v, d.Get("Rect"))
	if !ok {
		pb.fail()
		return
	}
	if f, _ := pdf.IntOf(pb.resolve(d.Get("F"))); f&(8|16) != 0 {
		pb.fail() // NoZoom, NoRotate: drawn at a size or turn other than the page's
		return
	}
	pb.add(rectBox(rc))
	st := d.NameOf("Subtype")
	ap := pb.v.Dict(d.Get("AP"))
	var states []*pdf.Stream
	if ap != nil {
		switch n := pb.resolve(ap.Get("N")).(type) {
		case *pdf.Stream:
			states = append(states, n)
		case pdf.Dict:
			for _, k := range n.Keys() {
				if s, ok := pb.resolve(n.Get(k)).(*pdf.Stream); ok {
					states = append(states, s)
				}
			}
		}
	}
	switch st {
	case "Widget", "Link", "Popup":
	default:
		// Markup: PDFium builds an appearance for several subtypes without one, and may make a
		// popup for one with /Contents.
		if len(states) == 0 || d.Get("Contents") != nil && d.Get("Popup") == nil {
			pb.fail()
			return
		}
	}
	for _, s := range states {
		pb.appearance(s, rc)
	}
}

// appearance adds what the form s paints when drawn as an annotation's appearance on rc.
func (pb *paintBounds) appearance(s *pdf.Stream, rc pdf.Rect) {
	bb, ok := pdf.RectFrom(pb.v, s.Dict.Get("BBox"))
	if !ok {
		pb.fail()
		return
	}
	m := pb.matrix(s.Dict.Get("Matrix"))
	t := m.boxOf(bb.LLX, bb.LLY, bb.URX, bb.URY)
	if !t.finite() || t.x1-t.x0 < 1e-6 || t.y1-t.y0 < 1e-6 {
		pb.fail() // a degenerate box: viewers differ in how they map it
		return
	}
	sx, sy := rc.Width()/(t.x1-t.x0), rc.Height()/(t.y1-t.y0)
	a := mat{sx, 0, 0, sy, rc.LLX - t.x0*sx, rc.LLY - t.y0*sy}
	// The boxes are found in the appearance's own space and then mapped (their corners: a
	// rotation only makes them larger).
	c, ok := pb.apCache[s]
	if !ok {
		sub := newPaintBounds(pb.f, pb.v, nil, nil)
		sub.decoded = pb.decoded
		sub.pageRes = pb.pageRes
		sub.form(s, boundState{ctm: identity, lineWidth: 1, miter: 10, hScale: 1}, pb.pageRes, 0)
		pb.tokens += sub.tokens
		c = apBounds{sub.boxes, sub.failed}
		if pb.apCache != nil && !sub.usedPage {
			pb.apCache[s] = c
		}
	}
	if c.failed {
		pb.fail()
		return
	}
	ma := m.then(a)
	for _, b := range c.boxes {
		pb.add(ma.boxOf(b.x0, b.y0, b.x1, b.y1))
	}
}

// matrix reads a /Matrix (identity when absent); a malformed one fails the bound.
func (pb *paintBounds) matrix(o pdf.Object) mat {
	if o == nil {
		return identity
	}
	arr, ok := pb.resolve(o).(pdf.Array)
	if !ok || len(arr) != 6 {
		pb.fail()
		return identity
	}
	var m mat
	for i, e := range arr {
		n, ok := pdf.Number(pb.resolve(e))
		if !ok {
			pb.fail()
			return identity
		}
		m[i] = n
	}
	return m
}

// form walks the operators of form XObject s drawn in state gs.
func (pb *paintBounds) form(s *pdf.Stream, gs boundState, parentRes pdf.Dict, depth int) {
	if pb.failed {
		return
	}
	if depth > 16 || pb.visiting[s] {
		pb.fail()
		return
	}
	data := pb.streamData(s)
	if data == nil {
		pb.fail()
		return
	}
	res := parentRes
	if r := pb.v.Dict(s.Dict.Get("Resources")); r != nil {
		res = r
	} else if depth == 0 {
		pb.usedPage = true
	}
	pb.visiting[s] = true
	pb.content(data, res, gs, depth)
	delete(pb.visiting, s)
}

// lookup finds a named resource of category cat as PDFium does: in res, and in the page's
// resources only when res has no such category.
func (pb *paintBounds) lookup(res pdf.Dict, cat, name pdf.Name) pdf.Object {
	if res != nil {
		if d := pb.v.Dict(res.Get(cat)); d != nil {
			return d.Get(name)
		}
	}
	pb.usedPage = true
	if d := pb.v.Dict(pb.pageRes.Get(cat)); d != nil {
		return d.Get(name)
	}
	return nil
}

// font reads what the walk needs of a font resource.
func (pb *paintBounds) font(o pdf.Object) boundFont {
	if o == nil {
		return boundFont{ok: true, advHi: builtinAdvance} // PDFium draws with a built-in face
	}
	ref, isRef := o.(pdf.Ref)
	if isRef {
		if f, ok := pb.fonts[ref]; ok {
			return f
		}
	}
	f := boundFont{}
	if d, ok := pb.resolve(o).(pdf.Dict); ok {
		switch d.NameOf("Subtype") {
		case "Type1", "MMType1", "TrueType":
			f = boundFont{ok: true, advHi: builtinAdvance}
			if fd := pb.v.Dict(d.Get("FontDescriptor")); fd != nil {
				for _, k := range []pdf.Name{"FontFile", "FontFile2", "FontFile3"} {
					if fd.Get(k) != nil {
						f.ok = false // its own glyph programs: ink anywhere
					}
				}
				if n, ok := pdf.Number(pb.resolve(fd.Get("MissingWidth"))); ok {
					f.advLo, f.advHi = math.Min(f.advLo, n/1000), math.Max(f.advHi, n/1000)
				}
			}
			if w, ok := pb.resolve(d.Get("Widths")).(pdf.Array); ok {
				for _, e := range w {
					if n, ok := pdf.Number(pb.resolve(e)); ok {
						f.advLo, f.advHi = math.Min(f.advLo, n/1000), math.Max(f.advHi, n/1000)
					}
				}
			}
		}
	}
	if isRef {
		pb.fonts[ref] = f
	}
	return f
}

// content walks one content stream's operators in state gs with resources res.
func (pb *paintBounds) content(data []byte, res pdf.Dict, gs boundState, depth int) {
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	var stack []boundState
	var ops []pdf.Object
	var path []float64 // x, y pairs in the user space of the operators
	clipPending := false
	var tm, tlm mat
	var lo, hi, spanLo, spanHi float64 // the text position's uncertainty along the line
	inText := false

	nums := func(n int) ([]float64, bool) {
		if len(ops) < n {
			return nil, false
		}
		out := make([]float64, n)
		for i, o := range ops[len(ops)-n:] {
			v, ok := pdf.Number(o)
			if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	}
	pathBox := func() (box, bool) {
		if len(path) == 0 {
			return box{}, false
		}
		b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
		for i := 0; i+1 < len(path); i += 2 {
			x, y := gs.ctm.apply(path[i], path[i+1])
			b = box{math.Min(b.x0, x), math.Min(b.y0, y), math.Max(b.x1, x), math.Max(b.y1, y)}
		}
		return b, true
	}
	strokeGrow := func() float64 {
		return (math.Max(gs.lineWidth, 0)*math.Max(gs.miter, 1.5)/2)*gs.ctm.scale() + 1
	}
	paint := func(b box) {
		if gs.clipped {
			b = b.intersect(gs.clip)
			if b.x0 > b.x1 || b.y0 > b.y1 {
				return
			}
		}
		pb.add(b)
	}
	newLine := func(m mat) {
		tlm, tm = m, m
		lo, hi, spanLo, spanHi = 0, 0, 0, 0
	}
	show := func(s []byte) {
		fs, th := gs.size, gs.hScale
		paints := gs.renderMode != 3 && gs.renderMode != 7
		if paints && !gs.font.ok {
			pb.fail()
			return
		}
		for _, c := range s {
			adv := gs.charSp
			if c == ' ' {
				adv += gs.wordSp
			}
			w0, w1 := gs.font.advLo*fs, gs.font.advHi*fs
			d0, d1 := (adv+math.Min(w0, w1))*th, (adv+math.Max(w0, w1))*th
			lo += math.Min(d0, d1)
			hi += math.Max(d0, d1)
			spanLo, spanHi = math.Min(spanLo, lo), math.Max(spanHi, hi)
		}
		if !paints || len(s) == 0 {
			return
		}
		bx, ax, by, ay := glyphBack, glyphAhead, glyphBelow, glyphAbove
		if fs*th < 0 { // mirrored glyphs: either side
			bx, ax = glyphAhead, glyphAhead
		}
		if fs < 0 {
			by, ay = glyphAbove, glyphAbove
		}
		em, emY := math.Abs(fs*th), math.Abs(fs)
		b := tm.then(gs.ctm).boxOf(spanLo-bx*em, gs.rise-by*emY, spanHi+ax*em, gs.rise+ay*emY)
		if gs.renderMode != 0 && gs.renderMode != 4 {
			b = b.grow(strokeGrow())
		}
		paint(b.grow(1))
	}
	shift := func(d float64) { // a TJ adjustment, exact
		lo += d
		hi += d
		spanLo, spanHi = math.Min(spanLo, lo), math.Max(spanHi, hi)
	}

	for !pb.failed {
		pb.tokens++
		if pb.tokens > maxBoundTokens {
			pb.fail()
			return
		}
		t, err := lx.Next()
		if err != nil {
			pb.fail()
			return
		}
		switch t.Kind {
		case pdf.TokEOF:
			return
		case pdf.TokInt:
			ops = append(ops, pdf.Int(t.Int))
			continue
		case pdf.TokReal:
			ops = append(ops, pdf.Real{Value: t.Real})
			continue
		case pdf.TokName:
			ops = append(ops, pdf.Name(t.Value))
			continue
		case pdf.TokString, pdf.TokHexString:
			ops = append(ops, pdf.String{Bytes: t.Value})
			continue
		case pdf.TokArrayOpen:
			arr, ok := pb.array(lx)
			if !ok {
				pb.fail()
				return
			}
			ops = append(ops, arr)
			continue
		case pdf.TokDictOpen:
			if !pb.skipDict(lx) {
				pb.fail()
				return
			}
			ops = append(ops, pdf.Dict{})
			continue
		case pdf.TokKeyword:
		default:
			pb.fail()
			return
		}
		op := string(t.Raw)
		ok := true
		switch op {
		case "true", "false", "null":
			ops = append(ops, pdf.Null{})
			continue
		case "q":
			stack = append(stack, gs)
		case "Q":
			if n := len(stack); n > 0 {
				gs, stack = stack[n-1], stack[:n-1]
			}
		case "cm":
			var n []float64
			if n, ok = nums(6); ok {
				gs.ctm = mat{n[0], n[1], n[2], n[3], n[4], n[5]}.then(gs.ctm)
			}
		case "w":
			var n []float64
			if n, ok = nums(1); ok {
				gs.lineWidth = n[0]
			}
		case "M":
			var n []float64
			if n, ok = nums(1); ok {
				gs.miter = n[0]
			}
		case "gs":
			name, isName := lastName(ops)
			if !isName {
				ok = false
				break
			}
			if d := pb.v.Dict(pb.lookup(res, "ExtGState", name)); d != nil {
				if n, has := pdf.Number(pb.resolve(d.Get("LW"))); has {
					gs.lineWidth = n
				}
				if n, has := pdf.Number(pb.resolve(d.Get("ML"))); has {
					gs.miter = n
				}
				if fa, has := pb.resolve(d.Get("Font")).(pdf.Array); has {
					if len(fa) != 2 {
						ok = false
						break
					}
					sz, isNum := pdf.Number(pb.resolve(fa[1]))
					if !isNum {
						ok = false
						break
					}
					gs.font, gs.size = pb.font(fa[0]), sz
				}
			}
		case "m", "l":
			var n []float64
			if n, ok = nums(2); ok {
				path = append(path, n...)
			}
		case "c":
			var n []float64
			if n, ok = nums(6); ok {
				path = append(path, n...)
			}
		case "v", "y":
			var n []float64
			if n, ok = nums(4); ok {
				path = append(path, n...)
			}
		case "re":
			var n []float64
			if n, ok = nums(4); ok {
				path = append(path, n[0], n[1], n[0]+n[2], n[1]+n[3], n[0]+n[2], n[1], n[0], n[1]+n[3])
			}
		case "h":
		case "W", "W*":
			clipPending = true
		case "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "n":
			if b, has := pathBox(); has {
				switch op {
				case "n":
				case "f", "F", "f*":
					paint(b.grow(1))
				default:
					paint(b.grow(strokeGrow()))
				}
				if clipPending {
					if gs.clipped {
						gs.clip = gs.clip.intersect(b)
					} else {
						gs.clip, gs.clipped = b, true
					}
				}
			}
			path, clipPending = path[:0], false
		case "sh":
			if !gs.clipped {
				ok = false
				break
			}
			paint(gs.clip)
		case "Do":
			name, isName := lastName(ops)
			if !isName {
				ok = false
				break
			}
			st, isStream := pb.resolve(pb.lookup(res, "XObject", name)).(*pdf.Stream)
			if !isStream {
				ok = false
				break
			}
			switch st.Dict.NameOf("Subtype") {
			case "Image":
				paint(gs.ctm.boxOf(0, 0, 1, 1).grow(1))
			case "Form":
				fgs := gs
				fgs.ctm = pb.matrix(st.Dict.Get("Matrix")).then(gs.ctm)
				pb.form(st, fgs, res, depth+1)
			default:
				ok = false
			}
		case "BI", "ID", "EI":
			ok = false // inline images: where their data ends is for the reader to guess
		case "BT":
			inText = true
			newLine(identity)
		case "ET":
			inText = false
		case "Tf":
			if len(ops) < 2 {
				ok = false
				break
			}
			name, isName := ops[len(ops)-2].(pdf.Name)
			sz, isNum := pdf.Number(ops[len(ops)-1])
			if !isName || !isNum {
				ok = false
				break
			}
			gs.font, gs.size = pb.font(pb.lookup(res, "Font", name)), sz
		case "Tc", "Tw", "Tz", "TL", "Ts", "Tr":
			var n []float64
			if n, ok = nums(1); ok {
				switch op {
				case "Tc":
					gs.charSp = n[0]
				case "Tw":
					gs.wordSp = n[0]
				case "Tz":
					gs.hScale = n[0] / 100
				case "TL":
					gs.leading = n[0]
				case "Ts":
					gs.rise = n[0]
				case "Tr":
					gs.renderMode = int(n[0])
				}
			}
		case "Td", "TD":
			var n []float64
			if n, ok = nums(2); ok {
				if op == "TD" {
					gs.leading = -n[1]
				}
				newLine(mat{1, 0, 0, 1, n[0], n[1]}.then(tlm))
			}
		case "Tm":
			var n []float64
			if n, ok = nums(6); ok {
				newLine(mat{n[0], n[1], n[2], n[3], n[4], n[5]})
			}
		case "T*":
			newLine(mat{1, 0, 0, 1, 0, -gs.leading}.then(tlm))
		case "Tj", "'", "\"":
			if op == "\"" {
				var n []float64
				if len(ops) < 3 {
					ok = false
					break
				}
				if n, ok = numsOf(ops[len(ops)-3 : len(ops)-1]); !ok {
					break
				}
				gs.wordSp, gs.charSp = n[0], n[1]
			}
			if op != "Tj" {
				newLine(mat{1, 0, 0, 1, 0, -gs.leading}.then(tlm))
			}
			s, isStr := lastString(ops)
			if !isStr || !inText {
				ok = false
				break
			}
			show(s)
		case "TJ":
			if len(ops) == 0 || !inText {
				ok = false
				break
			}
			arr, isArr := ops[len(ops)-1].(pdf.Array)
			if !isArr {
				ok = false
				break
			}
			for _, e := range arr {
				switch x := e.(type) {
				case pdf.String:
					show(x.Bytes)
				default:
					n, isNum := pdf.Number(x)
					if !isNum {
						ok = false
						break
					}
					shift(-n / 1000 * gs.size * gs.hScale)
				}
			}
		case "d0", "d1":
			ok = false // glyph procedures of a Type 3 font
		}
		if !ok {
			pb.fail()
			return
		}
		ops = ops[:0]
	}
}

func numsOf(ops []pdf.Object) ([]float64, bool) {
	out := make([]float64, len(ops))
	for i, o := range ops {
		v, ok := pdf.Number(o)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

func lastName(ops []pdf.Object) (pdf.Name, bool) {
	if len(ops) == 0 {
		return "", false
	}
	n, ok := ops[len(ops)-1].(pdf.Name)
	return n, ok
}

func lastString(ops []pdf.Object) ([]byte, bool) {
	if len(ops) == 0 {
		return nil, false
	}
	s, ok := ops[len(ops)-1].(pdf.String)
	return s.Bytes, ok
}

// array reads the elements of an operand array (numbers and strings; nested arrays and
// dictionaries are read and dropped) after its '['.
func (pb *paintBounds) array(lx *pdf.Lexer) (pdf.Array, bool) {
	var out pdf.Array
	for {
		pb.tokens++
		if pb.tokens > maxBoundTokens {
			return nil, false
		}
		t, err := lx.Next()
		if err != nil {
			return nil, false
		}
		switch t.Kind {
		case pdf.TokArrayClose:
			return out, true
		case pdf.TokInt:
			out = append(out, pdf.Int(t.Int))
		case pdf.TokReal:
			out = append(out, pdf.Real{Value: t.Real})
		case pdf.TokString, pdf.TokHexString:
			out = append(out, pdf.String{Bytes: t.Value})
		case pdf.TokName:
			out = append(out, pdf.Name(t.Value))
		case pdf.TokArrayOpen:
			if _, ok := pb.array(lx); !ok {
				return nil, false
			}
			out = append(out, pdf.Null{})
		case pdf.TokDictOpen:
			if !pb.skipDict(lx) {
				return nil, false
			}
			out = append(out, pdf.Null{})
		case pdf.TokKeyword:
			out = append(out, pdf.Null{})
		default:
			return nil, false
		}
	}
}

// skipDict reads past an inline dictionary (BDC properties) after its '<<'.
func (pb *paintBounds) skipDict(lx *pdf.Lexer) bool {
	depth := 1
	for depth > 0 {
		pb.tokens++
		if pb.tokens > maxBoundTokens {
			return false
		}
		t, err := lx.Next()
		if err != nil || t.Kind == pdf.TokEOF {
			return false
		}
		switch t.Kind {
		case pdf.TokDictOpen:
			depth++
		case pdf.TokDictClose:
			depth--
		}
	}
	return true
}

// disjoint reports whether no box of a, grown by gap, overlaps a box of b.
func disjoint(a, b []box, gap float64) bool {
	for _, x := range a {
		g := x.grow(gap)
		for _, y := range b {
			if g.overlaps(y) {
				return false
			}
		}
	}
	return true
}

// coverShortcut reports whether page p (1-based) provably needs no rendering for this
// signature: all that needs the cover check on it are added widgets, nothing else about its
// annotations changed, and the widgets paint at least coverGap away from anything the signed
// page paints (see the top of this file).
func (a *analysis) coverShortcut(p int) bool {
	cp := a.cover[p]
	if cp == nil || a.unshortcut[p] || len(cp.added) == 0 || len(cp.added) != len(cp.what) ||
		len(a.ownAreas[p]) > 0 || len(a.synthesized[p]) > 0 || len(a.masks[p]) > 0 {
		return false
	}
	for _, c := range a.ch.list {
		if !c.detail.Allowed {
			return false // the rendering reports where the change covers
		}
	}
	// Our reading of the page must be PDFium's: no structural oddity, repair or ambiguity that
	// two readers could resolve differently, anywhere in the file (checked again after the
	// walks, which read more objects), and no encryption.
	f := a.v.f
	if f.Reconstructed() || f.Encrypted() || f.Exceeded() != nil || len(f.Ambiguities()) > 0 {
		return false
	}
	for _, rev := range f.Revisions() {
		if len(rev.Anomalies) > 0 {
			return false
		}
	}
	oldPages, err := a.old.Pages()
	if err != nil || p > len(oldPages) {
		return false
	}
	newPages, err := a.cur.Pages()
	if err != nil || p > len(newPages) {
		return false
	}
	op, np := oldPages[p-1], newPages[p-1]
	if op.MediaBox != np.MediaBox || op.CropBox != np.CropBox || op.Rotate != np.Rotate ||
		op.Dict.Get("UserUnit") != nil || np.Dict.Get("UserUnit") != nil {
		return false
	}
	for _, v := range []*pdf.View{a.old, a.cur} {
		if !a.v.renderBudgetOK(v, p) {
			return false // the rendering path reports the budget
		}
	}
	oldAnnots, ok := annotList(a.old, op)
	if !ok {
		return false
	}
	newAnnots, ok := annotList(a.cur, np)
	if !ok {
		return false
	}
	// The new list is the signed one, in the same order, with the added widgets among it.
	added := map[pdf.Ref]bool{}
	for _, r := range cp.added {
		added[r] = true
	}
	k := 0
	for _, r := range newAnnots {
		switch {
		case added[r]:
			delete(added, r)
		case k < len(oldAnnots) && oldAnnots[k] == r:
			k++
		default:
			return false
		}
	}
	if k != len(oldAnnots) || len(added) != 0 {
		return false
	}
	if a.v.apBounds == nil {
		a.v.apBounds = map[*pdf.Stream]apBounds{}
	}
	signed := newPaintBounds(a.v.f, a.old, op.Resources, a.v.apBounds)
	signed.decoded = &a.v.content
	signed.page(op)
	for _, r := range oldAnnots {
		if signed.failed {
			return false
		}
		d := a.old.Dict(r)
		if d == nil {
			return false
		}
		signed.annot(d)
	}
	if signed.failed {
		return false
	}
	widgets := newPaintBounds(a.v.f, a.cur, np.Resources, a.v.apBounds)
	widgets.decoded = &a.v.content
	for _, r := range cp.added {
		d := a.cur.Dict(r)
		if d == nil {
			return false
		}
		widgets.annot(d)
	}
	if widgets.failed || f.Exceeded() != nil || len(f.Ambiguities()) > 0 {
		return false
	}
	return disjoint(widgets.boxes, signed.boxes, coverGap)
}

// annotList returns the references of page p's /Annots in v; false when the list holds
// anything else (a direct dictionary, an unreadable entry) or cannot be read.
func annotList(v *pdf.View, p pdf.Page) ([]pdf.Ref, bool) {
	o := p.Dict.Get("Annots")
	if o == nil {
		return nil, true
	}
	x, err := v.Resolve(o)
	if err != nil {
		return nil, false
	}
	if _, isNull := x.(pdf.Null); isNull {
		return nil, true
	}
	arr, ok := x.(pdf.Array)
	if !ok {
		return nil, false
	}
	out := make([]pdf.Ref, 0, len(arr))
	for _, e := range arr {
		r, ok := e.(pdf.Ref)
		if !ok || v.Dict(r) == nil {
			return nil, false
		}
		out = append(out, r)
	}
	return out, true
}

// renderBudgetOK reports whether page p (1-based) of v is within the budgets checked before
// rendering (checkDrawnImages, checkAppearanceBudget), once per revision and page.
func (v *verifier) renderBudgetOK(view *pdf.View, p int) bool {
	return v.viewBudget(view, p) == nil
}
