package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"sort"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/raster"
)

// The cover check: whether what was added or changed after signing on a page (annotations that
// the operator scan of appearance.go let through, fields filled, unsigned signature widgets)
// hides or restyles what the signed page showed. It is decided by rendering, not by reading
// operators: the page is rendered as of the signed revision and as now with the embedded PDFium
// (core/pdf/render), and the pixels of the signed text and graphics are compared. Any way of
// drawing a cover — a white box through a CTM, an ExtGState line width or blend mode, a Lab or
// Separation colour that is white, many thin strokes — shows up as signed ink lost or as dark
// paint next to it. Honest highlights (multiplied over the text) and notes or stamps that do not
// overlap signed ink change no signed pixel.
//
// The page is cut into cells of coverCell pixels; a cell with signed ink is covered when the
// pixels that lost their ink (became much lighter) plus the paper pixels next to ink that became
// much darker exceed coverRatio of its ink. Covered cells are reported as rectangles in PDF user
// space on that page (ChangeDetail.Regions), which the desktop highlights. A later signature's
// widget is judged like any added annotation: signing is an allowed change (judged in
// changes.go), but its appearance must not cover what an earlier signature signed.
//
// The operator scan stays as a fast pre-filter: an appearance that certainly draws (text,
// images, opaque white or dark fills) is refused without rendering, and only pages with such
// changes are rendered. The scan also keeps the viewer differentials that one renderer cannot
// show (a highlight without /C that poppler paints black, link borders).

const (
	coverDPI      = 96
	coverCell     = 16   // pixels
	coverInk      = 200  // luminance below which a signed pixel is ink
	coverLighter  = 80   // an ink pixel lighter by this much is lost
	coverDarker   = 110  // a paper pixel next to ink darker by this much is covered
	coverRatio    = 0.45 // lost + covered pixels over the cell's ink
	coverMinInk   = 6    // cells with less signed ink are not judged
	maxCoverPages = 24   // pages rendered for one signature; beyond, the change counts as covering
	// maxCoverRenders bounds the signed-revision pages rendered in one verification (every
	// signature renders its own revision: a legitimate file signed 50 times on page 1 renders
	// 51 pages, and was called modified when this was 24 per file).
	maxCoverRenders = 128
)

// maxCoverRenderTime bounds rendering one page's two versions for the cover check, whatever the
// caller's deadline (sealctl verify without --timeout has none): PDFium is stopped (its instance
// killed) and the changes are reported as too complex to check (ChangeTooComplex). A variable
// for tests.
var maxCoverRenderTime = 60 * time.Second

// coverShortcuts lets the cover check prove pages untouched without rendering them
// (coverbound.go); tests turn it off to compare with rendering every page.
var coverShortcuts = true

// Region is a rectangle on a page, in PDF user space (unrotated), that a change covers.
type Region struct {
	Page int // 1-based
	Rect pdf.Rect
}

// defaultRenderer draws for a verification whose Options name no Renderer: nil in the product
// (the page is reported as not checked); this package's tests set PDFium (render.Shared).
var defaultRenderer raster.Renderer

// errNoRenderer: Options.Renderer is nil and a page must be drawn to be judged.
var errNoRenderer = errors.New("no page renderer was given")

// renderer returns Options.Renderer, or defaultRenderer.
func (v *verifier) renderer() raster.Renderer {
	if v.opts.Renderer != nil {
		return v.opts.Renderer
	}
	return defaultRenderer
}

// coverPage is a page that must be rendered, with what was changed on it.
type coverPage struct {
	num   int      // 1-based page number in the latest revision
	what  []string // the changes to name ("Square annotation 12")
	added []pdf.Ref
	masks []pdf.Rect
}

// needCover records that a change on page (1-based) must not cover signed content; the page is
// rendered (no shortcut, coverbound.go).
func (a *analysis) needCover(page int, what string) {
	if a.addCover(page, what) != nil {
		a.noShortcut(page)
	}
}

// needCoverWidget records that widget r, added on page (1-based), must not cover signed
// content: when all that needs the check on the page are added widgets, the shortcut of
// coverbound.go may prove it without rendering.
func (a *analysis) needCoverWidget(page int, what string, r pdf.Ref) {
	if cp := a.addCover(page, what); cp != nil {
		cp.added = append(cp.added, r)
	}
}

// needCoverSignedWidget is needCoverWidget for the widget of an intact later signature: its
// area is not judged by the rules for signed text (coverink.go), only by the cover rules.
func (a *analysis) needCoverSignedWidget(page int, what string, r pdf.Ref) {
	a.needCoverWidget(page, what, r)
	if rc, ok := pdf.RectFrom(a.cur, a.cur.Dict(r).Get("Rect")); ok && page > 0 {
		if a.sigAreas == nil {
			a.sigAreas = map[int][]pdf.Rect{}
		}
		a.sigAreas[page] = append(a.sigAreas[page], rc)
	}
}

// noShortcut records that page (1-based) changed in a way the shortcut does not judge (an
// annotation removed, changed or reordered, a field filled): if it is rendered, it is rendered.
func (a *analysis) noShortcut(page int) {
	if a.unshortcut == nil {
		a.unshortcut = map[int]bool{}
	}
	a.unshortcut[page] = true
}

func (a *analysis) addCover(page int, what string) *coverPage {
	if page <= 0 {
		return nil
	}
	if a.cover == nil {
		a.cover = map[int]*coverPage{}
	}
	cp := a.cover[page]
	if cp == nil {
		cp = &coverPage{num: page}
		a.cover[page] = cp
	}
	cp.what = append(cp.what, what)
	return cp
}

// coverOwn records the area of an annotation or field that changed its own appearance.
func (a *analysis) coverOwn(page int, r pdf.Rect) {
	if a.ownAreas == nil {
		a.ownAreas = map[int][]pdf.Rect{}
	}
	a.ownAreas[page] = append(a.ownAreas[page], r)
}

// renderDoc opens the document as of revision rev in PDFium: the latest revision once per
// verification; a signed revision in the one document kept for those, whose PDFium instance is
// reused from signature to signature (ReplacePDF), never one instance per revision.
func (v *verifier) renderDoc(ctx context.Context, rev int) (raster.Document, error) {
	if d, ok := v.renderDocs[rev]; ok {
		return d, nil
	}
	revs := v.f.Revisions()
	last := len(revs) - 1
	end := v.size
	if rev < last {
		end = revs[rev].End
	}
	// PDFium reads the revision through a reader (the cross-reference data and the objects of
	// the page drawn), never a copy of the whole file: a 45 MB file signed 50 times was copied
	// into PDFium once per signature.
	name := fmt.Sprintf("revision %d", rev+1)
	var r io.ReaderAt = bytes.NewReader(v.data[:end])
	if v.mapped != nil {
		r = v.mapped.readerAt(end) // PDFium reads in its own goroutine (filemap.go)
	}
	if v.renderDocs == nil {
		v.renderDocs = map[int]raster.Document{}
	}
	if rev != last {
		for k, d := range v.renderDocs {
			if k == last {
				continue
			}
			delete(v.renderDocs, k)
			if err := d.ReplacePDF(ctx, name, r, end); err != nil {
				return nil, err
			}
			v.renderDocs[rev] = d
			return d, nil
		}
	}
	rr := v.renderer()
	if rr == nil {
		return nil, errNoRenderer
	}
	d, err := rr.OpenRaster(ctx, name, r, end)
	if err != nil {
		return nil, err
	}
	v.renderDocs[rev] = d
	return d, nil
}

// closeRenderDocs releases the PDFium documents of this verification.
func (v *verifier) closeRenderDocs() {
	for _, d := range v.renderDocs {
		d.Close()
	}
	v.renderDocs = nil
}

// checkCover renders every page that needs it and reports the covered regions.
func (a *analysis) checkCover() { a.coverPages(nil) }

// planCover adds to pl the renders checkCover will make, without rendering or reporting
// anything (coverplan.go).
func (a *analysis) planCover(pl *coverPlan) { a.coverPages(pl) }

// coverPages is checkCover, or with pl its plan: what it would report is only noted (every
// such change is a disallowed one, which turns the shortcut off for the pages after it), and
// each page it would render adds its cost to pl.
func (a *analysis) coverPages(pl *coverPlan) {
	if len(a.cover) == 0 {
		return
	}
	pages := make([]int, 0, len(a.cover))
	for p := range a.cover {
		pages = append(pages, p)
	}
	sort.Ints(pages)
	ctx := a.v.ctx
	last := len(a.v.f.Revisions()) - 1
	planned := false // pl: a change that would be reported
	add := func(d ChangeDetail, format string, args ...any) {
		if pl != nil {
			planned = true
			return
		}
		a.ch.add(false, d, format, args...)
	}
	for i, p := range pages {
		cp := a.cover[p]
		label := fmt.Sprintf("page %d", p)
		if a.textModeOnce(p) {
			add(ChangeDetail{Code: ChangeCoverUnchecked, Page: p}, "%s: changes (%s) cannot be checked to leave the signed content visible: the signed page sets a text render mode with an operand that is not an integer, which PDFium and poppler read differently (covertextmode.go)", label, joinMax(cp.what, 3))
			continue
		}
		if a.signedAnnotAmbiguous(p, cp) {
			add(ChangeDetail{Code: ChangeCoverUnchecked, Page: p}, "%s: changes (%s) cannot be checked to leave the signed content visible: an added widget comes near a signed annotation without a normal appearance, or a text markup annotation, which PDFium and poppler draw differently (covertextmode.go)", label, joinMax(cp.what, 3))
			continue
		}
		if a.partlyLeftOut(p, len(cp.what)) {
			add(ChangeDetail{Code: ChangeCoverUnchecked, Page: p}, "%s: changes (%s) cannot be checked to leave the signed content visible: an annotation among them has its own optional content (/OC), which poppler and MuPDF honour and PDFium ignores, or is not printed, so the other changes may show where it is left out (coverhidden.go)", label, joinMax(cp.what, 3))
			continue
		}
		if coverShortcuts && i < maxCoverPages && !planned && a.coverShortcutOnce(p) {
			if pl == nil {
				a.v.shortcuts++
			}
			continue
		}
		renders := a.v.renders
		if pl != nil {
			renders = pl.renders
		}
		if i >= maxCoverPages || renders >= maxCoverRenders {
			add(ChangeDetail{Code: ChangeCoverUnchecked, Page: p}, "%s: changes (%s) could not be rendered to check that they leave the signed content visible (more than %d pages for one signature, or %d for the file)", label, joinMax(cp.what, 3), maxCoverPages, maxCoverRenders)
			continue
		}
		if pl != nil {
			pl.renders++
			if err := a.planRender(pl, p, last); err != nil {
				planned = true
			}
			continue
		}
		a.v.renders++
		rctx, cancel := context.WithTimeout(ctx, maxCoverRenderTime)
		regions, marks, seals, err := a.coveredRegions(rctx, p, last)
		if err != nil && ctx.Err() == nil && rctx.Err() != nil {
			err = &appearanceBudgetError{"MaxCoverRenderTime", fmt.Sprintf("rendering the page took longer than %v", maxCoverRenderTime)}
		}
		cancel()
		var be *appearanceBudgetError
		if errors.As(err, &be) {
			a.ch.add(false, ChangeDetail{Code: ChangeTooComplex, Page: p, Key: be.limit}, "%s: cannot judge: the changes after signing (%s) are too complex to check: %v", label, joinMax(cp.what, 3), err)
			continue
		}
		if err != nil {
			a.ch.add(false, ChangeDetail{Code: ChangeCoverUnchecked, Page: p}, "%s: changes (%s) could not be rendered to check that they leave the signed content visible: %v", label, joinMax(cp.what, 3), err)
			continue
		}
		if len(regions) > 0 {
			d := ChangeDetail{Code: ChangeCoversContent, Page: p, Regions: regions}
			r := regions[0].Rect
			a.ch.add(false, d, "%s: %s cover(s) signed content (%d region(s), the first at [%.0f %.0f %.0f %.0f])", label, joinMax(cp.what, 3), len(regions), r.LLX, r.LLY, r.URX, r.URY)
		}
		if len(seals) > 0 {
			d := ChangeDetail{Code: ChangeUnsignedSeal, Page: p, Regions: seals}
			r := seals[0].Rect
			a.ch.add(false, d, "%s: %s draw(s) an official seal that no signature carries (%d, the first at [%.0f %.0f %.0f %.0f]): a red seal on a contract reads as the company's consent (coverseal.go)", label, joinMax(cp.what, 3), len(seals), r.LLX, r.LLY, r.URX, r.URY)
		}
		if len(marks) > 0 {
			d := ChangeDetail{Code: ChangeMarksText, Page: p, Regions: marks}
			r := marks[0].Rect
			a.ch.add(false, d, "%s: %s draw(s) into a line of signed text (%d region(s), the first at [%.0f %.0f %.0f %.0f]): a mark there can change what the text reads (coverink.go)", label, joinMax(cp.what, 3), len(marks), r.LLX, r.LLY, r.URX, r.URY)
		}
	}
}

func joinMax(l []string, n int) string {
	out := ""
	for i, s := range l {
		if i == n {
			return out + fmt.Sprintf(" and %d more", len(l)-n)
		}
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// coveredRegions renders page p (1-based) as signed and as of revision last and compares them:
// the regions where signed content is covered, and those where signed text is marked
// (coverink.go).
func (a *analysis) coveredRegions(ctx context.Context, p, last int) (_, _, _ []Region, err error) {
	if err := a.renderBudget(p); err != nil {
		return nil, nil, nil, err
	}
	if err := a.v.chargeRaster(a.renders(p, last), p); err != nil { // coverraster.go
		return nil, nil, nil, err
	}
	if err := a.v.chargeDrawnImages([]*pdf.View{a.old, a.v.f.Latest()}, p); err != nil {
		return nil, nil, nil, err
	}
	od, err := a.v.renderDoc(ctx, a.s.rev)
	if err != nil {
		return nil, nil, nil, err
	}
	nd, err := a.v.renderDoc(ctx, last)
	if err != nil {
		return nil, nil, nil, err
	}
	info, err := nd.PageInfo(p - 1)
	if err != nil {
		return nil, nil, nil, err
	}
	oinfo, err := od.PageInfo(p - 1)
	if err != nil {
		return nil, nil, nil, err
	}
	toUser := pixelToUser(info, coverDPI)
	// Only the region around what changed, when nothing else can differ (coverregion.go).
	page := image.Rect(0, 0, int(math.Ceil(info.Width*coverDPI/72)), int(math.Ceil(info.Height*coverDPI/72)))
	region, regional := page, false
	if oinfo.Width == info.Width && oinfo.Height == info.Height {
		if area, ok := a.changedArea(p); ok {
			region, regional = regionPixels(toUser, area, page)
		}
	}
	var oi, ni *image.RGBA
	for {
		if regional {
			oi, err = od.RenderRegion(ctx, p-1, coverDPI, region, false)
		} else {
			oi, err = od.Render(ctx, p-1, coverDPI)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if regional {
			ni, err = nd.RenderRegion(ctx, p-1, coverDPI, region, false)
		} else {
			ni, err = nd.Render(ctx, p-1, coverDPI)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		if regional && nearCutEdge(diffBounds(oi, ni), region, page) {
			// Something painted beyond the areas that changed: judge the whole page.
			regional = false
			continue
		}
		break
	}
	if oi.Bounds() != ni.Bounds() {
		return nil, nil, nil, nil // the page's size changed: reported by the page comparison
	}
	if regional {
		coverRegionRenders.Add(1)
	}
	ni = a.paintSynthesized(ni, p, toUser)
	var masks []image.Rectangle
	for _, m := range a.masks[p] {
		masks = append(masks, userToPixels(toUser, m, oi.Bounds()))
	}
	if own := a.ownAreas[p]; len(own) > 0 {
		// Where an annotation or field changed its own appearance, what it showed when signed
		// may change: there the signed page's own content is the reference.
		var oc *image.RGBA
		if regional {
			oc, err = od.RenderRegion(ctx, p-1, coverDPI, region, true)
		} else {
			oc, err = od.RenderContent(ctx, p-1, coverDPI)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		ref := image.NewRGBA(oi.Bounds())
		copy(ref.Pix, oi.Pix)
		for _, r := range own {
			pr := userToPixels(toUser, r, oi.Bounds())
			for y := pr.Min.Y; y < pr.Max.Y; y++ {
				i := ref.PixOffset(pr.Min.X, y)
				j := oc.PixOffset(pr.Min.X, y)
				copy(ref.Pix[i:i+4*pr.Dx()], oc.Pix[j:j+4*pr.Dx()])
			}
		}
		oi = ref
	}
	cells := append(coveredCells(oi, ni, masks), lostGlyphs(oi, ni, masks)...)
	var markCells []image.Rectangle
	if coverInkRules {
		runs, err := signedTextRuns(ctx, od, p)
		if err != nil {
			return nil, nil, nil, err
		}
		if coverInkLines {
			lines, err := signedInkLines(ctx, oi, runs, toUser) // coverinklines.go
			if err != nil {
				return nil, nil, nil, err
			}
			runs = append(runs, lines...)
		}
		exempt := masks
		for _, r := range a.ownAreas[p] {
			exempt = append(exempt, userToPixels(toUser, r, oi.Bounds()))
		}
		var seals []image.Rectangle
		for _, r := range a.sigAreas[p] {
			seals = append(seals, userToPixels(toUser, r, oi.Bounds()))
		}
		// The widgets of the signatures made by this revision: a later signature drawn over an
		// earlier signature's own appearance (iText's interop 012 signs twice in one box) is a
		// signature over a signature, not a mark in the page's text.
		var signedBoxes []image.Rectangle
		for _, o := range a.v.sigs {
			if o.rev >= 0 && o.rev <= a.s.rev && o.rep.Page == p && len(o.rep.Rect) == 4 {
				r := pdf.Rect{LLX: o.rep.Rect[0], LLY: o.rep.Rect[1], URX: o.rep.Rect[2], URY: o.rep.Rect[3]}
				signedBoxes = append(signedBoxes, userToPixels(toUser, r, oi.Bounds()))
			}
		}
		marked, erased := inkChanges(oi, ni, runs, toUser, exempt, seals, signedBoxes)
		cells = append(cells, erased...)
		markCells = marked
	}
	// Official seals that no signature carries (coverseal.go).
	var sealExempt []image.Rectangle
	for _, r := range a.sigAreas[p] {
		sealExempt = append(sealExempt, userToPixels(toUser, r, oi.Bounds()))
	}
	sealCells := unsignedSeals(oi, ni, sealExempt, coverDPI)
	regions := func(cells []image.Rectangle) []Region {
		var out []Region
		for _, c := range cells {
			x0, y0 := toUser(float64(c.Min.X), float64(c.Min.Y))
			x1, y1 := toUser(float64(c.Max.X), float64(c.Max.Y))
			out = append(out, Region{Page: p, Rect: pdf.Rect{LLX: min(x0, x1), LLY: min(y0, y1), URX: max(x0, x1), URY: max(y0, y1)}})
		}
		return out
	}
	return regions(cells), regions(markCells), regions(sealCells), nil
}

// pixelToUser maps a pixel position of a page rendered at dpi to PDF user space (the page as
// displayed is its CropBox turned by /Rotate clockwise).
func pixelToUser(info raster.PageInfo, dpi int) func(px, py float64) (float64, float64) {
	c := info.CropBox
	s := 72 / float64(dpi)
	return func(px, py float64) (float64, float64) {
		u, v := px*s, py*s
		switch info.Rotate {
		case 90:
			return c.LLX + v, c.LLY + u
		case 180:
			return c.URX - u, c.LLY + v
		case 270:
			return c.URX - v, c.URY - u
		}
		return c.LLX + u, c.URY - v
	}
}

// pixelsOfUser inverts toUser, an affine map from pixels to user space: user = origin +
// px*(x1-x0, y1-y0) + py*(x2-x0, y2-y0). ok is false when the map is singular.
func pixelsOfUser(toUser func(px, py float64) (float64, float64)) (inv func(x, y float64) (float64, float64), ok bool) {
	x0, y0 := toUser(0, 0)
	x1, y1 := toUser(1, 0)
	x2, y2 := toUser(0, 1)
	det := (x1-x0)*(y2-y0) - (x2-x0)*(y1-y0)
	if det == 0 {
		return nil, false
	}
	return func(x, y float64) (float64, float64) {
		dx, dy := x-x0, y-y0
		return (dx*(y2-y0) - dy*(x2-x0)) / det, ((x1-x0)*dy - (y1-y0)*dx) / det
	}, true
}

// userToPixels maps a user-space rectangle to the pixels it covers (by its corners).
func userToPixels(toUser func(px, py float64) (float64, float64), r pdf.Rect, b image.Rectangle) image.Rectangle {
	inv, ok := pixelsOfUser(toUser)
	if !ok {
		return image.Rectangle{}
	}
	var out image.Rectangle
	for i, pt := range [][2]float64{{r.LLX, r.LLY}, {r.URX, r.URY}, {r.LLX, r.URY}, {r.URX, r.LLY}} {
		px, py := inv(pt[0], pt[1])
		p := image.Pt(int(px), int(py))
		if i == 0 {
			out = image.Rectangle{Min: p, Max: p}
		} else {
			out = out.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
		}
	}
	return out.Inset(-2).Intersect(b)
}

func lum(img *image.RGBA, x, y int) int {
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+3 : i+3]
	return (2126*int(p[0]) + 7152*int(p[1]) + 722*int(p[2])) / 10000
}

// coveredCells compares the signed rendering o with the new one n (same size) and returns the
// covered cells (see the top of this file), merged row by row into rectangles.
//
// Only pixels that differ can be lost or covered, so the work is confined to the cells around
// the differing pixels (diffBounds): a page where a later signature added a small widget costs
// the widget's area, not the page's.
func coveredCells(o, n *image.RGBA, masks []image.Rectangle) []image.Rectangle {
	b := o.Bounds()
	w, h := b.Dx(), b.Dy()
	d := diffBounds(o, n)
	if d.Empty() {
		return nil
	}
	// The cells that hold a differing pixel or paper within 2 pixels of one, and around them
	// the 2 pixels of ink that decide which paper is "near".
	d = d.Inset(-2).Intersect(b).Sub(b.Min)
	c0 := image.Pt(d.Min.X/coverCell*coverCell, d.Min.Y/coverCell*coverCell)
	c1 := image.Pt(min(w, (d.Max.X+coverCell-1)/coverCell*coverCell), min(h, (d.Max.Y+coverCell-1)/coverCell*coverCell))
	win := image.Rectangle{Min: c0, Max: c1}.Inset(-2).Intersect(image.Rect(0, 0, w, h))
	ink := make([]bool, w*h)
	near := make([]bool, w*h)
	for y := win.Min.Y; y < win.Max.Y; y++ {
		for x := win.Min.X; x < win.Max.X; x++ {
			if lum(o, b.Min.X+x, b.Min.Y+y) < coverInk {
				ink[y*w+x] = true
			}
		}
	}
	// Paper within 2 pixels of ink: where a cover next to the strokes hides them.
	for y := win.Min.Y; y < win.Max.Y; y++ {
		for x := win.Min.X; x < win.Max.X; x++ {
			if !ink[y*w+x] {
				continue
			}
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && yy >= 0 && xx < w && yy < h {
						near[yy*w+xx] = true
					}
				}
			}
		}
	}
	var out []image.Rectangle
	for cy := c0.Y; cy < c1.Y; cy += coverCell {
		for cx := c0.X; cx < c1.X; cx += coverCell {
			cell := image.Rect(cx, cy, min(cx+coverCell, w), min(cy+coverCell, h)).Add(b.Min)
			masked := false
			for _, m := range masks {
				if cell.Overlaps(m) {
					masked = true
				}
			}
			if masked {
				continue
			}
			inkN, hit := 0, 0
			for y := cell.Min.Y; y < cell.Max.Y; y++ {
				for x := cell.Min.X; x < cell.Max.X; x++ {
					i := (y-b.Min.Y)*w + (x - b.Min.X)
					lo, ln := lum(o, x, y), lum(n, x, y)
					switch {
					case ink[i]:
						inkN++
						if ln > lo+coverLighter {
							hit++
						}
					case near[i]:
						if ln < lo-coverDarker {
							hit++
						}
					}
				}
			}
			if inkN >= coverMinInk && float64(hit) > coverRatio*float64(inkN) {
				if k := len(out) - 1; k >= 0 && out[k].Max.X == cell.Min.X && out[k].Min.Y == cell.Min.Y {
					out[k].Max.X = cell.Max.X
				} else {
					out = append(out, cell)
				}
			}
		}
	}
	return out
}

// Glyph-sized covers: a cell holds several glyphs, so a box over one minus sign or decimal point
// loses too little of a cell's ink. The signed ink is also cut into its connected parts (glyphs,
// mostly: 4-connected pixels darker than glyphInk), and a part that lost more than half of its
// pixels (each lighter by coverLighter) is covered, whatever colour space painted over it.
const (
	glyphInk     = 160 // luminance below which a pixel belongs to a glyph's body
	glyphMinSize = 2   // parts of fewer pixels (specks of anti-aliasing) are not judged
	glyphMaxSize = 4096
	glyphLost    = 0.5
)

// lostGlyphs returns the bounding boxes (grown by 2 pixels) of the signed ink's connected parts
// that n lost, outside masks.
func lostGlyphs(o, n *image.RGBA, masks []image.Rectangle) []image.Rectangle {
	b := o.Bounds()
	w, h := b.Dx(), b.Dy()
	// A part that lost pixels has one among the differing pixels: start only there.
	d := diffBounds(o, n).Sub(b.Min)
	if d.Empty() {
		return nil
	}
	seen := make([]bool, w*h)
	var out []image.Rectangle
	var stack []int
	for sy := d.Min.Y; sy < d.Max.Y; sy++ {
		for sx := d.Min.X; sx < d.Max.X; sx++ {
			start := sy*w + sx
			if seen[start] || lum(o, b.Min.X+sx, b.Min.Y+sy) >= glyphInk {
				continue
			}
			seen[start] = true
			stack = append(stack[:0], start)
			size, lost := 0, 0
			box := image.Rectangle{Min: image.Pt(w, h)}
			for len(stack) > 0 {
				i := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				x, y := i%w, i/w
				size++
				if lum(n, b.Min.X+x, b.Min.Y+y) > lum(o, b.Min.X+x, b.Min.Y+y)+coverLighter {
					lost++
				}
				box = box.Union(image.Rect(x, y, x+1, y+1))
				for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
					xx, yy := x+d[0], y+d[1]
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					j := yy*w + xx
					if !seen[j] && lum(o, b.Min.X+xx, b.Min.Y+yy) < glyphInk {
						seen[j] = true
						stack = append(stack, j)
					}
				}
			}
			if size < glyphMinSize || size > glyphMaxSize || float64(lost) <= glyphLost*float64(size) {
				continue
			}
			r := box.Add(b.Min).Inset(-2).Intersect(b)
			masked := false
			for _, m := range masks {
				if r.Overlaps(m) {
					masked = true
				}
			}
			if !masked {
				out = append(out, r)
			}
		}
	}
	return out
}

// diffBounds returns the smallest rectangle that holds every pixel where o and n (same bounds)
// differ, empty when they are the same.
func diffBounds(o, n *image.RGBA) image.Rectangle {
	b := o.Bounds()
	var d image.Rectangle
	first := true
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i, j := o.PixOffset(b.Min.X, y), n.PixOffset(b.Min.X, y)
		ro, rn := o.Pix[i:i+4*b.Dx()], n.Pix[j:j+4*b.Dx()]
		if bytes.Equal(ro, rn) {
			continue
		}
		x0 := 0
		for x0 < len(ro) && ro[x0] == rn[x0] {
			x0++
		}
		x1 := len(ro)
		for x1 > x0 && ro[x1-1] == rn[x1-1] {
			x1--
		}
		r := image.Rect(b.Min.X+x0/4, y, b.Min.X+(x1+3)/4, y+1)
		if first {
			d, first = r, false
		} else {
			d = d.Union(r)
		}
	}
	return d
}
