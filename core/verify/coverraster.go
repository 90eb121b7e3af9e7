package verify

import (
	"fmt"
	"math"

	"sealdesk/core/pdf"
)

// MaxAppearancePaintedPixels bounds the raster work the annotations' appearances of one page
// make the renderer do for the cover check (red team s7 G13): the pixels every path-painting
// operator, shading, image and glyph covers at the cover check's resolution, summed over the
// appearances as drawn — a form counted once per use, under the matrices it is drawn with,
// each operation clipped to its form's /BBox; a stroke costs its length times its width when
// that is more than its box; everything painted under a soft mask costs the mask's group too.
// 20,000 full-area fills in 347 KB of appearance ran PDFium for the whole 60 s render limit,
// and 200,000 segments stroked 50 pt wide took 32 s and 456 MB; both are far over the bound.
// PDFium paints about 100 million pixels a second on the 2-core build machine (500 full-area
// fills, 272 million pixels, took 2.4 s of CPU); an honest appearance — a signature's picture
// and text, a stamp, hand-written ink with thousands of strokes — paints a few million. A page over the bound is not rendered:
// its changes are reported as too complex to check (ChangeTooComplex), naming the limit.
const MaxAppearancePaintedPixels = 80_000_000

// paintWalk measures the painted area of appearance streams (in the streams' own units²).
type paintWalk struct {
	v    *pdf.View
	f    *pdf.File
	cost map[pdf.Ref]float64 // a form's painted area in its own space, uses of nested forms included
	open map[pdf.Ref]bool
	n    int
}

func (w *paintWalk) resolve(o pdf.Object) pdf.Object {
	r, err := w.v.Resolve(o)
	if err != nil {
		return nil
	}
	return r
}

// appearancePaint returns the device pixels (at coverDPI) that drawing appearance stream o
// into annotation rectangle rect paints.
func (w *paintWalk) appearancePaint(o pdf.Object, rect pdf.Rect) float64 {
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok {
		return 0
	}
	c := w.form(o, 0)
	if c == 0 {
		return 0
	}
	// The form's /BBox, transformed by its /Matrix, is scaled onto the rectangle.
	m := w.matrix(st.Dict.Get("Matrix"))
	scale := math.Abs(m.det())
	if bb, ok := pdf.RectFrom(w.v, st.Dict.Get("BBox")); ok {
		b := m.boxOf(bb.LLX, bb.LLY, bb.URX, bb.URY)
		if a := (b.x1 - b.x0) * (b.y1 - b.y0); a > 0 {
			scale *= math.Abs(rect.Width()*rect.Height()) / a
		}
	}
	return c * scale * (coverDPI / 72.0) * (coverDPI / 72.0)
}

// matrix reads a /Matrix entry (identity when absent or unreadable).
func (w *paintWalk) matrix(o pdf.Object) mat {
	m := mat{1, 0, 0, 1, 0, 0}
	a, ok := w.resolve(o).(pdf.Array)
	if !ok || len(a) != 6 {
		return m
	}
	for i := range m {
		v, ok := pdf.Number(w.resolve(a[i]))
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			return mat{1, 0, 0, 1, 0, 0}
		}
		m[i] = v
	}
	return m
}

// det is the determinant of a matrix's linear part (its area scale).
func (m mat) det() float64 { return m[0]*m[3] - m[1]*m[2] }

// paintGState is the graphics state the measure follows.
type paintGState struct {
	ctm   mat
	lw    float64
	smask float64 // the painted area of the active soft mask's group, in this stream's units²
	font  float64 // text size × text matrix scale, squared: a glyph's area in text space
}

// form returns the area (in its own units²) the form or appearance stream o paints, every
// form it draws included once per use under the matrix it is drawn with.
func (w *paintWalk) form(o pdf.Object, depth int) float64 {
	ref, isRef := o.(pdf.Ref)
	if isRef {
		if c, ok := w.cost[ref]; ok {
			return c
		}
		if w.open[ref] {
			return 0 // a form drawing itself is refused by checkAppearanceBudget
		}
	}
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok || depth > 64 {
		return 0
	}
	if sub, _ := st.Dict.Get("Subtype").(pdf.Name); sub == "Image" {
		return 0
	}
	w.n++
	if w.n > maxAppearanceForms {
		return 0 // checkAppearanceBudget refuses as many
	}
	data, err := w.f.OptionalStreamData(st)
	if err != nil || len(data) > MaxAppearanceStreamBytes {
		return 0
	}
	if isRef {
		w.open[ref] = true
		defer delete(w.open, ref)
	}
	clip := 1e12
	if bb, ok := pdf.RectFrom(w.v, st.Dict.Get("BBox")); ok {
		clip = math.Abs(bb.Width() * bb.Height())
	}
	res := w.v.Dict(st.Dict.Get("Resources"))
	total := w.content(data, res, clip, depth)
	if isRef {
		w.cost[ref] = total
	}
	return total
}

// content returns the area content data, drawn with resources res and clipped to an area of
// clip units², paints.
func (w *paintWalk) content(data []byte, res pdf.Dict, clip float64, depth int) float64 {
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	gs := paintGState{ctm: mat{1, 0, 0, 1, 0, 0}, lw: 1}
	var stack []paintGState
	var nums []float64
	var lastName pdf.Name
	var box box
	havePath := false
	segLen, segs := 0.0, 0
	var cx, cy, sx, sy float64 // current and subpath start point (transformed)
	total := 0.0
	scale := func() float64 { return math.Sqrt(math.Abs(gs.ctm.det())) }
	add := func(x, y float64) {
		x, y = gs.ctm.apply(x, y)
		if !havePath {
			box, havePath = boxOfPoint(x, y), true
		} else {
			box = box.union(boxOfPoint(x, y))
		}
	}
	lineTo := func(x, y float64) {
		tx, ty := gs.ctm.apply(x, y)
		segLen += math.Hypot(tx-cx, ty-cy)
		segs++
		cx, cy = tx, ty
		add(x, y)
	}
	// paint charges an operation painting area a, of at most limit (its clip, or for a
	// stroke its clip once per segment: each segment is rasterised on its own).
	paintUpTo := func(a, limit float64) {
		total += math.Min(math.Max(a, 0), limit) + math.Min(gs.smask, clip)
	}
	paint := func(a float64) { paintUpTo(a, clip) }
	for i := 0; i < 4*maxAppearanceTokens && total < 1e15; i++ {
		t, err := lx.Next()
		if err != nil || t.Kind == pdf.TokEOF {
			break
		}
		switch t.Kind {
		case pdf.TokInt, pdf.TokReal:
			v := float64(t.Int)
			if t.Kind == pdf.TokReal {
				v = t.Real
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				v = 0
			}
			nums = append(nums, v)
			continue
		case pdf.TokName:
			lastName = pdf.Name(t.Value)
			continue
		case pdf.TokString, pdf.TokHexString:
			if gs.font > 0 {
				paint(float64(len(t.Value)) * math.Min(gs.font*math.Abs(gs.ctm.det()), clip))
			}
			continue
		case pdf.TokKeyword:
		default:
			continue
		}
		op := string(t.Raw)
		n := nums
		nums = nums[:0]
		switch op {
		case "q":
			if len(stack) < 256 {
				stack = append(stack, gs)
			}
		case "Q":
			if k := len(stack); k > 0 {
				gs, stack = stack[k-1], stack[:k-1]
			}
		case "cm":
			if len(n) == 6 {
				gs.ctm = mat{n[0], n[1], n[2], n[3], n[4], n[5]}.then(gs.ctm)
			}
		case "w":
			if len(n) == 1 {
				gs.lw = math.Abs(n[0])
			}
		case "Tf":
			if len(n) == 1 {
				gs.font = n[0] * n[0]
			}
		case "Tm":
			if len(n) == 6 && gs.font > 0 {
				gs.font *= math.Abs(n[0]*n[3] - n[1]*n[2])
			}
		case "gs":
			g := w.v.Dict(w.v.Dict(res.Get("ExtGState")).Get(lastName))
			if v, ok := pdf.Number(w.resolve(g.Get("LW"))); ok {
				gs.lw = math.Abs(v)
			}
			if sm := w.v.Dict(g.Get("SMask")); sm != nil && sm.Get("G") != nil {
				gs.smask = w.form(sm.Get("G"), depth+1) * math.Abs(gs.ctm.det())
			} else if g.Get("SMask") != nil {
				gs.smask = 0
			}
		case "m":
			if len(n) == 2 {
				add(n[0], n[1])
				cx, cy = gs.ctm.apply(n[0], n[1])
				sx, sy = cx, cy
			}
		case "l":
			if len(n) == 2 {
				lineTo(n[0], n[1])
			}
		case "c", "v", "y":
			for k := 0; k+1 < len(n); k += 2 {
				lineTo(n[k], n[k+1])
			}
		case "h":
			lineTo2 := math.Hypot(sx-cx, sy-cy)
			segLen += lineTo2
			segs++
			cx, cy = sx, sy
		case "re":
			if len(n) == 4 {
				add(n[0], n[1])
				add(n[0]+n[2], n[1]+n[3])
				add(n[0]+n[2], n[1])
				add(n[0], n[1]+n[3])
				p0x, p0y := gs.ctm.apply(n[0], n[1])
				p1x, p1y := gs.ctm.apply(n[0]+n[2], n[1]+n[3])
				segLen += 2 * (math.Abs(p1x-p0x) + math.Abs(p1y-p0y))
				segs += 4
				cx, cy, sx, sy = p0x, p0y, p0x, p0y
			}
		case "f", "F", "f*", "b", "B", "b*", "B*", "s", "S", "n":
			if havePath && op != "n" {
				a, limit := (box.x1-box.x0)*(box.y1-box.y0), clip
				if op != "f" && op != "F" && op != "f*" {
					d := gs.lw * scale()
					g := box.grow(d / 2)
					a = math.Max(a, (g.x1-g.x0)*(g.y1-g.y0))
					a = math.Max(a, segLen*d)
					limit = float64(max(segs, 1)) * clip
				}
				paintUpTo(a, limit)
			}
			havePath, segLen, segs = false, 0, 0
		case "sh":
			paint(clip)
		case "Do":
			x := w.v.Dict(res.Get("XObject")).Get(lastName)
			xs, ok := w.resolve(x).(*pdf.Stream)
			if !ok {
				break
			}
			if sub, _ := xs.Dict.Get("Subtype").(pdf.Name); sub == "Image" {
				paint(math.Abs(gs.ctm.det()))
				break
			}
			m := w.matrix(xs.Dict.Get("Matrix")).then(gs.ctm)
			total += w.form(x, depth+1)*math.Abs(m.det()) + math.Min(gs.smask, clip)
		case "ID":
			end := inlineEnd(data, min(lx.Pos()+1, int64(len(data))))
			lx.SetPos(min(end+2, int64(len(data))))
			paint(math.Abs(gs.ctm.det()))
		}
		lastName = ""
	}
	return total
}

// boxOfPoint is the box of one point.
func boxOfPoint(x, y float64) box { return box{x, y, x, y} }

// union is the smallest box holding b and c.
func (b box) union(c box) box {
	return box{math.Min(b.x0, c.x0), math.Min(b.y0, c.y0), math.Max(b.x1, c.x1), math.Max(b.y1, c.y1)}
}

// checkAppearancePaint measures what the appearances of the annotations of page p (1-based)
// of v paint (see MaxAppearancePaintedPixels).
func checkAppearancePaint(f *pdf.File, v *pdf.View, p int) error {
	pages, err := v.Pages()
	if err != nil || p < 1 || p > len(pages) {
		return nil
	}
	w := &paintWalk{v: v, f: f, cost: map[pdf.Ref]float64{}, open: map[pdf.Ref]bool{}}
	arr, _ := w.resolve(pages[p-1].Dict.Get("Annots")).(pdf.Array)
	total := 0.0
	for _, a := range arr {
		ad := v.Dict(a)
		ap := v.Dict(ad.Get("AP"))
		if ap == nil {
			continue
		}
		rect, _ := pdf.RectFrom(v, ad.Get("Rect"))
		for _, k := range []pdf.Name{"N", "D", "R"} {
			switch n := w.resolve(ap.Get(k)).(type) {
			case *pdf.Stream:
				total += w.appearancePaint(ap.Get(k), rect)
			case pdf.Dict:
				for _, st := range n {
					total += w.appearancePaint(st, rect)
				}
			}
		}
		if total > MaxAppearancePaintedPixels {
			return &appearanceBudgetError{"MaxAppearancePaintedPixels", fmt.Sprintf("the annotations' appearances make the renderer paint more than %d million pixels (every fill, stroke, image and glyph at the check's resolution, forms counted once per use; the limit is %d million)", int64(total/1e6), MaxAppearancePaintedPixels/1_000_000)}
		}
	}
	return nil
}
