package verify

import (
	"errors"
	"fmt"
	"math"

	"sealdesk/core/pdf"
)

// MaxAppearancePaintedPixels bounds the raster work the annotations' appearances of one page
// make the renderer do for the cover check (red team s7 G13), in pixel-equivalents (the work
// of painting one pixel, about 9 ns of PDFium on the build machine; see rasterCost): the pixels
// every path-painting operator, shading, image and glyph covers at the cover check's
// resolution, summed over the appearances as drawn — a form counted once per use, under the
// matrices it is drawn with, each operation clipped to its form's /BBox; a stroke costs its
// length times its width when that is more than its box; everything painted under a soft mask
// costs the mask's group too, and a transparency group (a soft mask's too) rasterGroupCost per
// pixel of its box for its own bitmap — and the rasterizer's work on the paths' edges
// (rasterPathCost).
// 20,000 full-area fills in 347 KB of appearance ran PDFium for the whole 60 s render limit,
// and 200,000 segments stroked 50 pt wide took 32 s and 456 MB; both are far over the bound.
// PDFium paints about 100 million pixels a second on the 2-core build machine (500 full-area
// fills, 272 million pixels, took 2.4 s of CPU); an honest appearance — a signature's picture
// and text, a stamp, hand-written ink with thousands of strokes — paints a few million. A page
// over the bound is not rendered: its changes are reported as too complex to check
// (ChangeTooComplex), naming the limit.
const MaxAppearancePaintedPixels = 80_000_000

// MaxPageRasterWork bounds the raster work of everything the cover check's renders of one page
// draw (red team s8 F4), in the pixel-equivalents of MaxAppearancePaintedPixels: the page's
// content as signed and as now (the page is rendered twice, and its signed content a third
// time where an annotation changed its own appearance), its forms, tiling patterns and
// Type 3 glyphs once per use, and the appearances of its annotations in both. The signed page
// is not the signer's promise of an easy page: one path of 300,000 zig-zag segments used as a
// clip, or 30 clips of 20,000 segments, with a harmless square added in the margin, held PDFium
// for 16–18 s of CPU and 480–610 MB until the 60 s render limit. A page over the bound is not
// rendered: its changes are reported as too complex to check (ChangeTooComplex), naming it.
// The largest page of the interop set and the corpus costs far less (see doc.go).
const MaxPageRasterWork = 400_000_000

// The raster model, in pixel-equivalents (calibrated on the build machine against PDFium's
// CPU time for generated pages, rounded up: a 30,000-segment zig-zag 267 pixels high filled
// took 3.9 s, clipped 4.6 s; 20 nested clips of 2,000 such segments, 61 s; 122,000 dashes 0.5 s;
// 300,000 flat segments filled 1.9 s). PDFium's rasterizer (agg) stores one cell per pixel an
// edge crosses and sorts them per scanline, for a fill, for each side of a stroke and for a
// clip path each time it is applied (every path of the clip, so nested clips multiply: the
// clip of an object is all the paths clipping it).
const (
	rasterCellCost    = 64  // one cell: a pixel an edge crosses (|dx| + |dy| of a segment, in pixels)
	rasterSegmentCost = 400 // one segment (a curve counts its control polygon) each time it is rasterized
	rasterOpCost      = 100 // one operator read and executed
	// rasterPathCost is one path painted: PDFium builds a path object and sets up its
	// rasterizer for each, whatever its size (red team s8b F9: 300,000 rectangles of a pixel
	// cost about 2.8 µs each per render, 34 s over the renders of 21 signatures, while their
	// operators and area priced them at a fraction of that).
	rasterPathCost = 320
	rasterDashCost = 500 // one dash of a dashed stroke (a subpath of its own)
	rasterTileCost = 20  // one cell of a tiling pattern copied into a fill
	// rasterGroupCost is one pixel of a transparency group's box: its bitmap allocated,
	// cleared and composited (a soft mask's also converted to a mask), measured 5 to 6 times
	// a pixel painted.
	rasterGroupCost = 5
	// maxRasterTokens bounds the tokens one page's pricing reads (its content, its forms and
	// glyph procedures each once, its annotations' appearances); beyond, the page is too
	// complex to check.
	maxRasterTokens = 4_000_000
	// maxRasterContent bounds the decoded content of one page's /Contents.
	maxRasterContent = 32 << 20
)

// rasterCost is what drawing a stream costs the renderer, in the stream's own space: area and
// edges scale with the matrix it is drawn under, the fixed work does not.
type rasterCost struct {
	area  float64 // the area painted, in units² (a pixel-equivalent per pixel)
	edges float64 // the length of the edges rasterized, |dx| + |dy| per segment, in units
	fixed float64 // pixel-equivalents: operators, segments, dashes, tiles
}

func (c rasterCost) add(d rasterCost) rasterCost {
	return rasterCost{c.area + d.area, c.edges + d.edges, c.fixed + d.fixed}
}

// under is c drawn under matrix m.
func (c rasterCost) under(m mat) rasterCost {
	return rasterCost{c.area * math.Abs(m.det()), c.edges * m.scale(), c.fixed}
}

// pixels is c in pixel-equivalents when one unit is px pixels.
func (c rasterCost) pixels(px float64) float64 {
	return c.area*px*px + c.edges*px*rasterCellCost + c.fixed
}

// rasterPricing switches the pricing of s8 F4 (page content, path edges, clips, dashes,
// patterns, Type 3 glyphs) on; tests turn it off to show what it catches.
var rasterPricing = true

// paintWalk measures what streams cost the renderer (see rasterCost).
type paintWalk struct {
	v      *pdf.View
	f      *pdf.File
	cost   map[pdf.Ref]rasterCost // a form's cost in its own space, uses of nested forms included
	open   map[pdf.Ref]bool
	n      int
	funcs  map[pdf.Ref]float64 // a function's work per evaluation (coverfunc.go)
	tokens int                 // tokens read, all streams together
	over   bool                // maxRasterTokens, maxRasterContent or a stream's decoding limit reached: too complex
	cache  *contentCache       // decoded streams shared by the file's walks (nil: none)
}

func newPaintWalk(f *pdf.File, v *pdf.View) *paintWalk {
	return &paintWalk{v: v, f: f, cost: map[pdf.Ref]rasterCost{}, open: map[pdf.Ref]bool{}}
}

func (w *paintWalk) resolve(o pdf.Object) pdf.Object {
	r, err := w.v.Resolve(o)
	if err != nil {
		return nil
	}
	return r
}

// data returns the decoded content of st. A stream whose decoding meets a limit is more than
// the pricing reads (PDFium would decode and draw it all: red team s8 h05, 19 MB of content):
// the page is too complex (w.over). Other errors leave what decoded (a truncated flate stream
// is drawn as far as it goes) or nothing.
func (w *paintWalk) data(st *pdf.Stream) []byte {
	d, err := w.cache.optional(w.f, st)
	if errors.Is(err, pdf.ErrLimit) || len(d) > maxRasterContent {
		w.over = w.over || rasterPricing
		return nil
	}
	return d
}

// appearancePaint returns the pixel-equivalents (at coverDPI) that drawing appearance stream
// o into annotation rectangle rect costs.
func (w *paintWalk) appearancePaint(o pdf.Object, rect pdf.Rect) float64 {
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok {
		return 0
	}
	c := w.form(o, 0)
	if c == (rasterCost{}) {
		return 0
	}
	// The form's /BBox, transformed by its /Matrix, is scaled onto the rectangle.
	m := w.matrix(st.Dict.Get("Matrix"))
	if bb, ok := pdf.RectFrom(w.v, st.Dict.Get("BBox")); ok {
		b := m.boxOf(bb.LLX, bb.LLY, bb.URX, bb.URY)
		if bw, bh := b.x1-b.x0, b.y1-b.y0; bw > 0 && bh > 0 {
			sx, sy := math.Abs(rect.Width())/bw, math.Abs(rect.Height())/bh
			m = m.then(mat{sx, 0, 0, sy, 0, 0})
		}
	}
	return c.under(m).pixels(coverDPI / 72.0)
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
	ctm    mat
	lw     float64
	smask  rasterCost // the cost of the active soft mask's group, in this stream's units
	tf     float64    // the text size (Tf)
	tm     float64    // the text matrix's area scale (Tm; 1 from BT)
	glyph  rasterCost // a Type 3 font's dearest glyph procedure, in text space (zero otherwise)
	clip   rasterCost // every non-rectangular path clipping what is painted now, rasterized each time it is applied
	clipID int        // changes whenever the clip does
	dash   []float64  // the dash array (nil: solid)
	fill   rasterCost // the tiling pattern filling (its cell's content once, per use)
	stroke rasterCost // the tiling pattern stroking
	tileF  float64    // the area of one cell of the filling pattern, in this stream's units² (0: none): a cell is copied per cell of the path's box
	tileS  float64
	// fillPx and strokePx are the work per pixel of the shading pattern filling or stroking
	// (its function's evaluation: coverfunc.go), fillTint and strokeTint that of converting a
	// colour set in the current colour space (a tint transform).
	fillPx, strokePx     float64
	fillTint, strokeTint float64
}

// form returns what the form or appearance stream o costs in its own space, every form it
// draws included once per use under the matrix it is drawn with.
func (w *paintWalk) form(o pdf.Object, depth int) rasterCost {
	ref, isRef := o.(pdf.Ref)
	if isRef {
		if c, ok := w.cost[ref]; ok {
			return c
		}
		if w.open[ref] {
			return rasterCost{} // a form drawing itself is refused by checkAppearanceBudget
		}
	}
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok || depth > 64 || w.over {
		return rasterCost{}
	}
	if sub, _ := st.Dict.Get("Subtype").(pdf.Name); sub == "Image" {
		return rasterCost{}
	}
	w.n++
	if w.n > maxAppearanceForms {
		w.over = rasterPricing
		return rasterCost{} // checkAppearanceBudget refuses as many
	}
	data := w.data(st)
	if data == nil {
		return rasterCost{}
	}
	if isRef {
		w.open[ref] = true
		defer delete(w.open, ref)
	}
	clip, span := 1e12, 2e6
	if bb, ok := pdf.RectFrom(w.v, st.Dict.Get("BBox")); ok {
		clip = math.Abs(bb.Width() * bb.Height())
		span = math.Abs(bb.Width()) + math.Abs(bb.Height())
	}
	res := w.v.Dict(st.Dict.Get("Resources"))
	total := w.content(data, res, clip, span, depth)
	if g := w.v.Dict(st.Dict.Get("Group")); g != nil && clip < 1e12 {
		// A transparency group (a soft mask's too) is drawn into a bitmap of its own,
		// cleared, and composited back: rasterGroupCost per pixel of its box (red team s9
		// F14: 500 soft-masked groups of 200 pt took PDFium 4 s a page, priced at a sixth).
		if s, _ := w.resolve(g.Get("S")).(pdf.Name); s == "Transparency" {
			total.area += rasterGroupCost * clip
		}
	}
	if isRef {
		w.cost[ref] = total
	}
	return total
}

// glyphProcs returns the cost of the dearest glyph procedure of the Type 3 font named name in
// res, in glyph space mapped to text space by its /FontMatrix (zero for other fonts).
func (w *paintWalk) glyphProcs(res pdf.Dict, name pdf.Name, depth int) rasterCost {
	fd := w.v.Dict(w.v.Dict(res.Get("Font")).Get(name))
	if sub, _ := w.resolve(fd.Get("Subtype")).(pdf.Name); sub != "Type3" || !rasterPricing {
		return rasterCost{}
	}
	fres := w.v.Dict(fd.Get("Resources"))
	if fres == nil {
		fres = res
	}
	var dearest rasterCost
	for _, p := range w.v.Dict(fd.Get("CharProcs")) {
		c := w.procCost(p, fres, depth+1)
		if c.pixels(1) > dearest.pixels(1) {
			dearest = c
		}
	}
	fm := w.matrix(fd.Get("FontMatrix"))
	if _, ok := w.resolve(fd.Get("FontMatrix")).(pdf.Array); !ok {
		fm = mat{0.001, 0, 0, 0.001, 0, 0}
	}
	return dearest.under(fm)
}

// procCost is form for a glyph procedure or a pattern cell, drawn with res when it has no
// resources of its own.
func (w *paintWalk) procCost(o pdf.Object, res pdf.Dict, depth int) rasterCost {
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok {
		return rasterCost{}
	}
	if st.Dict.Get("Resources") != nil {
		return w.form(o, depth)
	}
	if ref, isRef := o.(pdf.Ref); isRef {
		if c, ok := w.cost[ref]; ok {
			return c
		}
		if w.open[ref] || w.over {
			return rasterCost{}
		}
		w.open[ref] = true
		defer delete(w.open, ref)
		data := w.data(st)
		if data == nil {
			return rasterCost{}
		}
		c := w.content(data, res, 1e12, 2e6, depth)
		w.cost[ref] = c
		return c
	}
	return rasterCost{}
}

// pattern returns what filling with the tiling pattern named name in res costs once (its cell's
// content under its /Matrix) and the area of one of its cells; zero for other patterns.
func (w *paintWalk) pattern(res pdf.Dict, name pdf.Name, depth int) (rasterCost, float64) {
	o := w.v.Dict(res.Get("Pattern")).Get(name)
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok || !rasterPricing {
		return rasterCost{}, 0
	}
	if pt, _ := pdf.IntOf(w.resolve(st.Dict.Get("PatternType"))); pt != 1 {
		return rasterCost{}, 0
	}
	m := w.matrix(st.Dict.Get("Matrix"))
	xs, _ := pdf.Number(w.resolve(st.Dict.Get("XStep")))
	ys, _ := pdf.Number(w.resolve(st.Dict.Get("YStep")))
	return w.procCost(o, res, depth+1).under(m), math.Abs(xs * ys * m.det())
}

// pathCost is what rasterizing a path once costs: its segments and their edges, each edge's
// extent at most span (what lies beyond the stream's box is clipped away, along its border).
type pathCost struct {
	segs  int
	edges float64
}

// content returns what content data, drawn with resources res and clipped to an area of clip
// units² (a box whose width and height add up to span), costs.
func (w *paintWalk) content(data []byte, res pdf.Dict, clip, span float64, depth int) rasterCost {
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	gs := paintGState{ctm: mat{1, 0, 0, 1, 0, 0}, lw: 1, tm: 1}
	var stack []paintGState
	var nums []float64
	var lastName pdf.Name
	var box box
	havePath := false
	segLen, segs := 0.0, 0
	var path pathCost
	userLen := 0.0             // the path's length in user space (where the dash array is)
	rects, others := 0, 0      // re operators and other construction operators in the path
	var cx, cy, sx, sy float64 // current and subpath start point (transformed)
	var ux, uy, usx, usy float64
	clipPending, lastClip, clipIDs := false, 0, 0
	var total rasterCost
	scale := func() float64 { return math.Sqrt(math.Abs(gs.ctm.det())) }
	add := func(x, y float64) {
		x, y = gs.ctm.apply(x, y)
		if !havePath {
			box, havePath = boxOfPoint(x, y), true
		} else {
			box = box.union(boxOfPoint(x, y))
		}
	}
	edge := func(x0, y0, x1, y1 float64) {
		path.segs++
		path.edges += math.Min(math.Abs(x1-x0)+math.Abs(y1-y0), span)
	}
	lineTo := func(x, y float64) {
		tx, ty := gs.ctm.apply(x, y)
		segLen += math.Hypot(tx-cx, ty-cy)
		userLen += math.Hypot(x-ux, y-uy)
		segs++
		edge(cx, cy, tx, ty)
		cx, cy, ux, uy = tx, ty, x, y
		add(x, y)
	}
	// applyClip charges the clip of what is painted now when the renderer must apply it: when
	// it differs from the last one applied.
	applyClip := func() {
		if gs.clipID != lastClip {
			total = total.add(gs.clip)
			lastClip = gs.clipID
		}
	}
	// paint charges an operation painting area a, of at most limit (its clip, or for a
	// stroke its clip once per segment: each segment is rasterised on its own).
	paintUpTo := func(a, limit float64) {
		total.area += math.Min(math.Max(a, 0), limit) + math.Min(gs.smask.area, clip)
		total.edges += gs.smask.edges
		total.fixed += gs.smask.fixed
		if rasterPricing {
			applyClip()
		}
	}
	paint := func(a float64) { paintUpTo(a, clip) }
	for i := 0; total.area < 1e15; i++ {
		if w.tokens++; w.tokens > maxRasterTokens && rasterPricing {
			w.over = true
			break
		}
		if !rasterPricing && i >= 4*maxAppearanceTokens {
			break
		}
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
			// A glyph's area in text space is its size squared, times the text matrix's scale.
			if font := gs.tf * gs.tf * gs.tm; font > 0 {
				k := 1 + gs.fillPx
				paintUpTo(float64(len(t.Value))*math.Min(font*math.Abs(gs.ctm.det()), clip)*k, clip*k)
			}
			if gs.glyph != (rasterCost{}) {
				size := gs.tf * math.Sqrt(gs.tm)
				g, k := gs.glyph.under(mat{size, 0, 0, size, 0, 0}.then(gs.ctm)), float64(len(t.Value))
				total = total.add(rasterCost{g.area * k, g.edges * k, g.fixed * k})
			}
			continue
		case pdf.TokKeyword:
		default:
			continue
		}
		if rasterPricing {
			total.fixed += rasterOpCost
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
		case "d":
			gs.dash = nil
			if len(n) >= 2 {
				gs.dash = append([]float64(nil), n[:len(n)-1]...)
			}
		case "Tf":
			if len(n) == 1 {
				gs.tf = math.Abs(n[0])
				gs.glyph = w.glyphProcs(res, lastName, depth)
			}
		case "BT":
			gs.tm = 1
		case "Tm":
			if len(n) == 6 {
				gs.tm = math.Abs(n[0]*n[3] - n[1]*n[2])
			}
		case "scn", "SCN":
			if lastName != "" {
				c, tile := w.pattern(res, lastName, depth)
				px, once := 0.0, 0.0
				if rasterPricing {
					px, once = w.patternShading(res, lastName)
				}
				total.fixed += once
				if op == "scn" {
					gs.fill, gs.tileF, gs.fillPx = c, tile, px
				} else {
					gs.stroke, gs.tileS, gs.strokePx = c, tile, px
				}
			}
			if op == "scn" {
				total.fixed += gs.fillTint
			} else {
				total.fixed += gs.strokeTint
			}
		case "sc":
			total.fixed += gs.fillTint
		case "SC":
			total.fixed += gs.strokeTint
		case "cs":
			gs.fill, gs.tileF, gs.fillPx = rasterCost{}, 0, 0
			if rasterPricing {
				gs.fillTint = w.tintWork(w.namedSpace(res, lastName), 0)
				total.fixed += gs.fillTint
			}
		case "CS":
			gs.stroke, gs.tileS, gs.strokePx = rasterCost{}, 0, 0
			if rasterPricing {
				gs.strokeTint = w.tintWork(w.namedSpace(res, lastName), 0)
				total.fixed += gs.strokeTint
			}
		case "gs":
			g := w.v.Dict(w.v.Dict(res.Get("ExtGState")).Get(lastName))
			if v, ok := pdf.Number(w.resolve(g.Get("LW"))); ok {
				gs.lw = math.Abs(v)
			}
			if d, ok := w.resolve(g.Get("D")).(pdf.Array); ok && len(d) == 2 {
				gs.dash = nil
				if arr, ok := w.resolve(d[0]).(pdf.Array); ok {
					for _, x := range arr {
						v, _ := pdf.Number(w.resolve(x))
						gs.dash = append(gs.dash, v)
					}
				}
			}
			if sm := w.v.Dict(g.Get("SMask")); sm != nil && sm.Get("G") != nil {
				gs.smask = w.form(sm.Get("G"), depth+1).under(gs.ctm)
			} else if g.Get("SMask") != nil {
				gs.smask = rasterCost{}
			}
		case "m":
			if len(n) == 2 {
				add(n[0], n[1])
				cx, cy = gs.ctm.apply(n[0], n[1])
				sx, sy = cx, cy
				ux, uy, usx, usy = n[0], n[1], n[0], n[1]
				others++
			}
		case "l":
			if len(n) == 2 {
				lineTo(n[0], n[1])
				others++
			}
		case "c", "v", "y":
			for k := 0; k+1 < len(n); k += 2 {
				lineTo(n[k], n[k+1])
			}
			others++
		case "h":
			segLen += math.Hypot(sx-cx, sy-cy)
			userLen += math.Hypot(usx-ux, usy-uy)
			segs++
			edge(cx, cy, sx, sy)
			cx, cy, ux, uy = sx, sy, usx, usy
		case "re":
			if len(n) == 4 {
				add(n[0], n[1])
				add(n[0]+n[2], n[1]+n[3])
				add(n[0]+n[2], n[1])
				add(n[0], n[1]+n[3])
				p0x, p0y := gs.ctm.apply(n[0], n[1])
				p1x, p1y := gs.ctm.apply(n[0]+n[2], n[1]+n[3])
				p2x, p2y := gs.ctm.apply(n[0]+n[2], n[1])
				p3x, p3y := gs.ctm.apply(n[0], n[1]+n[3])
				segLen += 2 * (math.Abs(p1x-p0x) + math.Abs(p1y-p0y))
				userLen += 2 * (math.Abs(n[2]) + math.Abs(n[3]))
				segs += 4
				edge(p0x, p0y, p2x, p2y)
				edge(p2x, p2y, p1x, p1y)
				edge(p1x, p1y, p3x, p3y)
				edge(p3x, p3y, p0x, p0y)
				cx, cy, sx, sy = p0x, p0y, p0x, p0y
				ux, uy, usx, usy = n[0], n[1], n[0], n[1]
				rects++
			}
		case "W", "W*":
			clipPending = true
		case "f", "F", "f*", "b", "B", "b*", "B*", "s", "S", "n":
			if havePath && rasterPricing {
				if op != "n" {
					total.fixed += rasterPathCost
				}
				// The edges once for a fill (a rectangle upright on the page is filled without
				// them: its cost is its area), once for a stroke's outline (measured: a stroke's
				// edges cost what a fill's do), and a subpath per dash.
				fills := op != "S" && op != "s" && op != "n"
				strokes := op != "f" && op != "F" && op != "f*" && op != "n"
				upright := gs.ctm[1] == 0 && gs.ctm[2] == 0 || gs.ctm[0] == 0 && gs.ctm[3] == 0
				rect := rects == 1 && others == 0 && upright
				raster := rasterCost{fixed: float64(path.segs) * rasterSegmentCost, edges: path.edges}
				if fills && !rect {
					total = total.add(raster)
				}
				if fills {
					total = total.add(gs.fill)
					if gs.tileF > 0 {
						total.fixed += (box.x1 - box.x0) * (box.y1 - box.y0) / gs.tileF * rasterTileCost
					}
				}
				if strokes {
					total = total.add(raster)
					total = total.add(gs.stroke)
					if gs.tileS > 0 {
						total.fixed += (box.x1 - box.x0) * (box.y1 - box.y0) / gs.tileS * rasterTileCost
					}
					if dashes := dashCount(gs.dash, userLen); dashes > 0 {
						total.fixed += dashes * rasterDashCost
					}
				}
				if clipPending {
					// A rectangle upright on the page is clipped to without rasterizing.
					if !rect {
						gs.clip = gs.clip.add(raster).add(rasterCost{area: math.Min((box.x1-box.x0)*(box.y1-box.y0), clip)})
					}
					clipIDs++
					gs.clipID = clipIDs
				}
			}
			if havePath && op != "n" {
				a, limit := (box.x1-box.x0)*(box.y1-box.y0), clip
				if op != "f" && op != "F" && op != "f*" {
					d := gs.lw * scale()
					g := box.grow(d / 2)
					a = math.Max(a, (g.x1-g.x0)*(g.y1-g.y0))
					a = math.Max(a, segLen*d)
					limit = float64(max(segs, 1)) * clip
				}
				// A shading pattern evaluates its function per pixel it paints.
				k := 1.0
				if op != "S" && op != "s" {
					k = 1 + gs.fillPx
				}
				if op != "f" && op != "F" && op != "f*" {
					k = math.Max(k, 1+gs.strokePx)
				}
				paintUpTo(a*k, limit*k)
			}
			havePath, segLen, segs, userLen, path, rects, others, clipPending = false, 0, 0, 0, pathCost{}, 0, 0, false
		case "sh":
			px, once := 0.0, 0.0
			if rasterPricing {
				px, once = w.shadingWork(w.v.Dict(res.Get("Shading")).Get(lastName))
			}
			total.fixed += once
			paintUpTo(clip*(1+px), clip*(1+px))
		case "Do":
			x := w.v.Dict(res.Get("XObject")).Get(lastName)
			xs, ok := w.resolve(x).(*pdf.Stream)
			if !ok {
				break
			}
			if sub, _ := xs.Dict.Get("Subtype").(pdf.Name); sub == "Image" {
				paint(math.Abs(gs.ctm.det()))
				if rasterPricing {
					total.fixed += w.imageTintWork(xs)
				}
				break
			}
			m := w.matrix(xs.Dict.Get("Matrix")).then(gs.ctm)
			c := w.form(x, depth+1).under(m)
			if !rasterPricing {
				c = rasterCost{area: c.area}
			}
			total = total.add(c)
			paintUpTo(0, 0)
		case "ID":
			end := inlineEnd(data, min(lx.Pos()+1, int64(len(data))))
			lx.SetPos(min(end+2, int64(len(data))))
			paint(math.Abs(gs.ctm.det()))
		}
		lastName = ""
	}
	if !rasterPricing {
		return rasterCost{area: total.area}
	}
	return total
}

// dashCount is the number of dashes the dash array a draws along a stroke of length l (both in
// user space); zero for a solid line.
func dashCount(a []float64, l float64) float64 {
	if len(a) == 0 || l <= 0 {
		return 0
	}
	period, on := 0.0, float64((len(a)+1)/2)
	for _, x := range a {
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0 // an invalid dash array: PDFium strokes the line solid
		}
		period += x
	}
	if len(a)%2 == 1 {
		period, on = 2*period, float64(len(a))
	}
	if period <= 0 {
		return 0
	}
	return math.Ceil(l/period) * on
}

// boxOfPoint is the box of one point.
func boxOfPoint(x, y float64) box { return box{x, y, x, y} }

// union is the smallest box holding b and c.
func (b box) union(c box) box {
	return box{math.Min(b.x0, c.x0), math.Min(b.y0, c.y0), math.Max(b.x1, c.x1), math.Max(b.y1, c.y1)}
}

// annotationsPaint returns what the appearances of page pg's annotations cost (pixel-
// equivalents), every appearance state of /N, /D and /R counted.
func (w *paintWalk) annotationsPaint(pg pdf.Page, limit float64) float64 {
	arr, _ := w.resolve(pg.Dict.Get("Annots")).(pdf.Array)
	total := 0.0
	for _, a := range arr {
		ad := w.v.Dict(a)
		ap := w.v.Dict(ad.Get("AP"))
		if ap == nil {
			continue
		}
		rect, _ := pdf.RectFrom(w.v, ad.Get("Rect"))
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
		if total > limit || w.over {
			break
		}
	}
	return total
}

// pageContentPaint returns what page pg's own content costs (pixel-equivalents).
func (w *paintWalk) pageContentPaint(pg pdf.Page) float64 {
	var data []byte
	switch c := w.resolve(pg.Dict.Get("Contents")).(type) {
	case *pdf.Stream:
		data = w.data(c)
	case pdf.Array:
		for _, e := range c {
			st, ok := w.resolve(e).(*pdf.Stream)
			if !ok {
				continue
			}
			d := w.data(st)
			if len(data)+len(d) > maxRasterContent {
				w.over = true
				return 0
			}
			data = append(append(data, d...), ' ') // PDFium joins them with a space
		}
	}
	if w.over {
		return 0
	}
	cb := pg.CropBox
	c := w.content(data, w.v.Dict(pg.Resources), math.Abs(cb.Width()*cb.Height()), math.Abs(cb.Width())+math.Abs(cb.Height()), 0)
	return c.pixels(coverDPI / 72.0)
}

// checkAppearancePaint measures what the appearances of the annotations of page p (1-based)
// of v paint (see MaxAppearancePaintedPixels).
func checkAppearancePaint(f *pdf.File, v *pdf.View, p int) error {
	pages, err := v.Pages()
	if err != nil || p < 1 || p > len(pages) {
		return nil
	}
	w := newPaintWalk(f, v)
	total := w.annotationsPaint(pages[p-1], MaxAppearancePaintedPixels)
	if w.over {
		return &appearanceBudgetError{"MaxAppearancePaintedPixels", fmt.Sprintf("the annotations' appearances are more than the pricing reads: over %d million tokens, a content stream that decodes past its limit, or a PostScript calculator function of more than %d operators or %d nested procedures", maxRasterTokens/1_000_000, maxCalculatorOps, maxCalculatorNesting)}
	}
	if total > MaxAppearancePaintedPixels {
		return &appearanceBudgetError{"MaxAppearancePaintedPixels", fmt.Sprintf("the annotations' appearances make the renderer paint more than %d million pixels (every fill, stroke, image and glyph at the check's resolution and the edges it rasterizes, forms counted once per use; the limit is %d million)", int64(total/1e6), MaxAppearancePaintedPixels/1_000_000)}
	}
	return nil
}

// pageRasterWork returns what rendering page p (1-based) of each view costs the renderer: its
// content and its annotations' appearances (see MaxPageRasterWork), and whether the pricing
// itself ran out of its budget (maxRasterTokens).
func pageRasterWork(f *pdf.File, views []*pdf.View, p int) (float64, bool) {
	return (&verifier{f: f}).pageRasterWork(views, p)
}

// pageRasterWork is the function of that name with the verifier's shared work (coverwork.go):
// decoded content, and the content's price per drawing.
func (v *verifier) pageRasterWork(views []*pdf.View, p int) (float64, bool) {
	total := 0.0
	for _, view := range views {
		pages, err := view.Pages()
		if err != nil || p < 1 || p > len(pages) {
			continue
		}
		w := newPaintWalk(v.f, view)
		w.cache = &v.content
		total += v.pageContentPaint(w, pages[p-1])
		if !w.over && total <= MaxPageRasterWork {
			total += w.annotationsPaint(pages[p-1], MaxPageRasterWork-total)
		}
		if w.over {
			return total, true
		}
		if total > MaxPageRasterWork {
			break
		}
	}
	return total, false
}

// maxRasterWorkPerFile bounds the raster work of all the cover check's renderings of one
// verification: pages each under MaxPageRasterWork could otherwise add up to minutes (24 pages
// per signature, 128 renders per file). Each document page rendered is charged once (the
// current revision's page once for all the signatures that check it), and the whole is
// charged before anything is rendered (coverplan.go). It is issue 13's 2 s of CPU: PDFium
// (WebAssembly) costs 13–18 ns a pixel-equivalent of this model with the page loaded, drawn
// and its text read once per document (a page of 100,000 one-pixel rectangles, 52 million,
// took 0.7–1 s a document; one of 300,000, 157 million, 2.8 s — red team s8b F9's 20 document
// timestamps over it would have rendered 21 of them). The honest files cost far less: 50
// signatures stacked on one page of a 45 MB file 30 million in all (49 documents), the
// interop set and the corpus at most 5 million. It binds before MaxPageRasterWork: a page
// whose render as signed and as now costs more is refused under this name. A variable for
// tests.
var maxRasterWorkPerFile = 120e6

// pageRasterBudget refuses to render page p (1-based) of views (the signed revision, the
// current one, and the signed one again when its content is rendered a second time) when that
// would cost more than MaxPageRasterWork.
func (v *verifier) pageRasterBudget(views []*pdf.View, p int) error {
	total, over := v.pageRasterWork(views, p)
	if over {
		return &appearanceBudgetError{"MaxPageRasterWork", fmt.Sprintf("the page's drawing is more than its pricing reads: over %d million tokens (content, forms and appearances), a content stream that decodes past its limit, or a PostScript calculator function of more than %d operators or %d nested procedures", maxRasterTokens/1_000_000, maxCalculatorOps, maxCalculatorNesting)}
	}
	if total > MaxPageRasterWork {
		return &appearanceBudgetError{"MaxPageRasterWork", fmt.Sprintf("rendering the page as signed and as now would cost the renderer more than %d million pixel-equivalents (its content, forms, patterns and glyphs once per use, its annotations, and the edges of every fill, stroke, dash and clip it rasterizes; the limit is %d million)", int64(total/1e6), MaxPageRasterWork/1_000_000)}
	}
	return nil
}

// chargeRaster refuses the renders rs of page p (1-based) when they would cost more than
// MaxPageRasterWork, when the plan refused every render (coverplan.go), or when they bring the
// verification's total past maxRasterWorkPerFile; otherwise it adds to the total what is
// rendered for the first time (the current revision's page is rendered once for every
// signature: coverplan.go).
func (v *verifier) chargeRaster(rs []coverRender, p int) error {
	if !rasterPricing {
		return nil
	}
	if err := v.pageRasterBudget(renderViews(rs), p); err != nil {
		return err
	}
	if v.coverRefused != nil {
		return v.coverRefused
	}
	for _, r := range rs {
		if v.rasterCharged[r.key] {
			continue
		}
		if v.rasterCharged == nil {
			v.rasterCharged = map[renderKey]bool{}
		}
		v.rasterCharged[r.key] = true
		w, _ := v.pageRasterWork([]*pdf.View{r.view}, p)
		v.rasterWork += w
	}
	if v.rasterWork > maxRasterWorkPerFile {
		return rasterPerFileError(v.rasterWork)
	}
	return nil
}
