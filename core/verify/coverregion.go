package verify

import (
	"image"
	"math"
	"sync/atomic"

	"sealdesk/core/pdf"
)

// Rendering only what can change (issue 13 §3, cost). A page whose signed content has no bound
// of our own (embedded fonts, most real documents) or where a widget comes near signed paint is
// rendered; the whole page at coverDPI was two page images per signature plus PDFium's work on
// everything the page draws. Instead the cover check renders, in both revisions and at the same
// resolution, only the pixels around what changed — the region — when it can prove that nothing
// outside it can differ:
//
//   - Every annotation of the page (as signed and as now) whose dictionary, /AP or normal
//     appearance stream changed, was added or was removed contributes its /Rect. An annotation
//     paints inside its /Rect: a reader maps the appearance's /BBox, transformed by its
//     /Matrix, onto the /Rect (ISO 32000-2 12.5.5) and clips the appearance to the /BBox —
//     PDFium, poppler and MuPDF all do. So each such annotation must have a normal appearance
//     whose /BBox and /Matrix are well-formed and not degenerate; one without (PDFium builds
//     an appearance for some subtypes, drawing from /QuadPoints, /InkList, /L… that may lie
//     outside the /Rect), a /Rect that is not a rectangle, or an annotation written inline in
//     /Annots makes the page unbounded: rendered whole, as before.
//   - Nothing else may have changed that PDFium draws differently: the region is used only when
//     the change analysis found no disallowed change before the cover check (a changed page
//     content, resource, font or form default is one; the whole page is then rendered as
//     before, so such reports are unchanged), the annotations kept are drawn in the same order,
//     and /NeedAppearances is not set in either revision (PDFium then rebuilds appearances of
//     fields that did not change, from /DA and /DR).
//   - The areas painted for other viewers (synth.go: a NoRotate annotation turned about its
//     corner, an open popup's window — synthpopup.go)
//     are added to the region.
//   - The region is the union of those rectangles grown by coverRegionMargin, cut to the
//     cover check's cell grid and the page. A glyph that the region's edge cuts is drawn
//     differently at the edge (PDFium clips it), identically in both revisions; the cells the
//     comparison reads lie at least coverRegionMargin − coverCell inside the edge. A glyph cut by
//     the edge is judged by its part inside, which can only lose a larger share of its pixels
//     (stricter, never laxer).
//   - Checked at run time too: when the two renderings differ within coverRegionGuard pixels
//     of a cut edge, something painted beyond the areas above, and the whole page is rendered.
//
// TestCoverRegionSameVerdicts verifies the cover rows and red-team rows both ways and requires
// the same verdicts and change codes.

// coverRegionMargin is how far (in points) the region reaches beyond the changed areas.
const coverRegionMargin = 48

// coverRegionGuard: differing pixels this close (in pixels) to a cut edge of the region send
// the page to a whole rendering.
const coverRegionGuard = coverCell

// coverRegions can be turned off by tests, to compare with rendering whole pages;
// coverRegionRenders counts the pages rendered by region (for tests).
var (
	coverRegions       = true
	coverRegionRenders atomic.Int64
)

// changedArea returns the user-space area where what changed on page p (1-based) can paint,
// and false when that area cannot be bounded (see the top of this file).
func (a *analysis) changedArea(p int) (pdf.Rect, bool) {
	if !coverRegions {
		return pdf.Rect{}, false
	}
	for _, c := range a.ch.list {
		if !c.detail.Allowed {
			return pdf.Rect{}, false
		}
	}
	oldPages, err := a.old.Pages()
	if err != nil || p > len(oldPages) {
		return pdf.Rect{}, false
	}
	newPages, err := a.cur.Pages()
	if err != nil || p > len(newPages) {
		return pdf.Rect{}, false
	}
	for _, v := range []*pdf.View{a.old, a.cur} {
		if cat, err := v.Catalog(); err != nil {
			return pdf.Rect{}, false
		} else if na, _ := v.Resolve(v.Dict(cat.Get("AcroForm")).Get("NeedAppearances")); na != nil && na != pdf.Bool(false) {
			return pdf.Rect{}, false
		}
	}
	refs := func(v *pdf.View, pg pdf.Page) ([]pdf.Ref, bool) {
		arr, _ := resolvedArray(v, pg.Dict.Get("Annots"))
		out := make([]pdf.Ref, 0, len(arr))
		for _, e := range arr {
			r, ok := e.(pdf.Ref)
			if !ok {
				return nil, false
			}
			out = append(out, r)
		}
		return out, true
	}
	oa, ok1 := refs(a.old, oldPages[p-1])
	na, ok2 := refs(a.cur, newPages[p-1])
	if !ok1 || !ok2 {
		return pdf.Rect{}, false
	}
	inOld, inNew := map[pdf.Ref]bool{}, map[pdf.Ref]bool{}
	for _, r := range oa {
		inOld[r] = true
	}
	for _, r := range na {
		inNew[r] = true
	}
	// The annotations kept must be drawn in the same order.
	var keptOld, keptNew []pdf.Ref
	for _, r := range oa {
		if inNew[r] {
			keptOld = append(keptOld, r)
		}
	}
	for _, r := range na {
		if inOld[r] {
			keptNew = append(keptNew, r)
		}
	}
	if len(keptOld) != len(keptNew) {
		return pdf.Rect{}, false
	}
	for i := range keptOld {
		if keptOld[i] != keptNew[i] {
			return pdf.Rect{}, false
		}
	}
	var area pdf.Rect
	have := false
	add := func(v *pdf.View, r pdf.Ref) bool {
		rc, ok := paintArea(v, v.Dict(r))
		if !ok {
			return false
		}
		if !have {
			area, have = rc, true
		} else {
			area = pdf.Rect{LLX: min(area.LLX, rc.LLX), LLY: min(area.LLY, rc.LLY), URX: max(area.URX, rc.URX), URY: max(area.URY, rc.URY)}
		}
		return true
	}
	for _, r := range oa {
		if inNew[r] && !a.annotChanged(r) {
			continue
		}
		if !add(a.old, r) {
			return pdf.Rect{}, false
		}
	}
	for _, r := range na {
		if inOld[r] && !a.annotChanged(r) {
			continue
		}
		if !add(a.cur, r) {
			return pdf.Rect{}, false
		}
	}
	// What other readers may draw beyond the /Rect (synth.go, synthesizeNoRotate; an open
	// popup's window at the popup's /Rect, also when only its parent changed) is painted over
	// the rendering: the region holds it too.
	for _, sp := range a.synthesized[p] {
		if !finiteRect(sp.rect) {
			return pdf.Rect{}, false
		}
		if !have {
			area, have = sp.rect, true
		} else {
			area = pdf.Rect{LLX: min(area.LLX, sp.rect.LLX), LLY: min(area.LLY, sp.rect.LLY), URX: max(area.URX, sp.rect.URX), URY: max(area.URY, sp.rect.URY)}
		}
	}
	return area, have
}

// annotChanged reports whether a later revision changed annotation r's dictionary, its /AP or
// one of its normal appearance streams (as signed or as now).
func (a *analysis) annotChanged(r pdf.Ref) bool {
	if len(a.changedIn(r.Num)) > 0 {
		return true
	}
	for _, v := range []*pdf.View{a.old, a.cur} {
		d := v.Dict(r)
		ap := d.Get("AP")
		if ar, ok := ap.(pdf.Ref); ok && len(a.changedIn(ar.Num)) > 0 {
			return true
		}
		n := v.Dict(ap).Get("N")
		if nr, ok := n.(pdf.Ref); ok && len(a.changedIn(nr.Num)) > 0 {
			return true
		}
		if states, ok := mustResolve(v, n).(pdf.Dict); ok {
			for _, s := range states {
				if sr, ok := s.(pdf.Ref); ok && len(a.changedIn(sr.Num)) > 0 {
					return true
				}
			}
		}
	}
	return false
}

func mustResolve(v *pdf.View, o pdf.Object) pdf.Object {
	r, err := v.Resolve(o)
	if err != nil {
		return nil
	}
	return r
}

// paintArea returns annotation d's /Rect when every normal appearance it may show is a form
// whose /BBox and /Matrix map onto it (see the top of this file); false otherwise.
func paintArea(v *pdf.View, d pdf.Dict) (pdf.Rect, bool) {
	if d == nil {
		return pdf.Rect{}, false
	}
	rc, ok := pdf.RectFrom(v, d.Get("Rect"))
	if !ok || !(rc.Width() > 0 && rc.Height() > 0) || !finiteRect(rc) {
		return pdf.Rect{}, false
	}
	n := mustResolve(v, v.Dict(d.Get("AP")).Get("N"))
	var streams []*pdf.Stream
	switch x := n.(type) {
	case *pdf.Stream:
		streams = append(streams, x)
	case pdf.Dict:
		for _, s := range x {
			st, ok := mustResolve(v, s).(*pdf.Stream)
			if !ok {
				return pdf.Rect{}, false
			}
			streams = append(streams, st)
		}
	}
	if len(streams) == 0 {
		return pdf.Rect{}, false
	}
	for _, st := range streams {
		bb, ok := pdf.RectFrom(v, st.Dict.Get("BBox"))
		if !ok || !finiteRect(bb) {
			return pdf.Rect{}, false
		}
		m := [6]float64{1, 0, 0, 1, 0, 0}
		if mo := st.Dict.Get("Matrix"); mo != nil {
			arr, ok := resolvedArray(v, mo)
			if !ok || len(arr) != 6 {
				return pdf.Rect{}, false
			}
			for i, e := range arr {
				x, ok := pdf.Number(mustResolve(v, e))
				if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
					return pdf.Rect{}, false
				}
				m[i] = x
			}
		}
		// The transformed /BBox must have an area to be mapped onto the /Rect.
		xs, ys := make([]float64, 0, 4), make([]float64, 0, 4)
		for _, c := range [][2]float64{{bb.LLX, bb.LLY}, {bb.URX, bb.LLY}, {bb.LLX, bb.URY}, {bb.URX, bb.URY}} {
			xs = append(xs, m[0]*c[0]+m[2]*c[1]+m[4])
			ys = append(ys, m[1]*c[0]+m[3]*c[1]+m[5])
		}
		if !(span(xs) > 1e-3 && span(ys) > 1e-3) {
			return pdf.Rect{}, false
		}
	}
	return rc, true
}

func finiteRect(r pdf.Rect) bool {
	for _, x := range []float64{r.LLX, r.LLY, r.URX, r.URY} {
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e6 {
			return false
		}
	}
	return true
}

func span(l []float64) float64 {
	lo, hi := l[0], l[0]
	for _, x := range l[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return hi - lo
}

// regionPixels turns a user-space area into the region of the page's pixels to render: grown
// by coverRegionMargin, cut to the cell grid and the page (b). The whole page when the region
// would be most of it anyway.
func regionPixels(toUser func(px, py float64) (float64, float64), area pdf.Rect, b image.Rectangle) (image.Rectangle, bool) {
	g := pdf.Rect{LLX: area.LLX - coverRegionMargin, LLY: area.LLY - coverRegionMargin, URX: area.URX + coverRegionMargin, URY: area.URY + coverRegionMargin}
	r := userToPixels(toUser, g, b)
	r.Min.X = r.Min.X / coverCell * coverCell
	r.Min.Y = r.Min.Y / coverCell * coverCell
	r.Max.X = (r.Max.X + coverCell - 1) / coverCell * coverCell
	r.Max.Y = (r.Max.Y + coverCell - 1) / coverCell * coverCell
	r = r.Intersect(b)
	if r.Empty() || r.Dx()*r.Dy()*10 > b.Dx()*b.Dy()*6 {
		return b, false
	}
	return r, true
}

// nearCutEdge reports whether d comes within coverRegionGuard pixels of an edge of region r that
// is not the page's (b).
func nearCutEdge(d, r, b image.Rectangle) bool {
	if d.Empty() {
		return false
	}
	return (r.Min.X > b.Min.X && d.Min.X < r.Min.X+coverRegionGuard) ||
		(r.Min.Y > b.Min.Y && d.Min.Y < r.Min.Y+coverRegionGuard) ||
		(r.Max.X < b.Max.X && d.Max.X > r.Max.X-coverRegionGuard) ||
		(r.Max.Y < b.Max.Y && d.Max.Y > r.Max.Y-coverRegionGuard)
}
