package verify

import (
	"context"
	"fmt"
	"image"
	"sort"
	"sync"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/render"
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
	maxCoverPages = 24   // pages rendered per verification; beyond, the change counts as covering
)

// Region is a rectangle on a page, in PDF user space (unrotated), that a change covers.
type Region struct {
	Page int // 1-based
	Rect pdf.Rect
}

var (
	sharedRenderOnce sync.Once
	sharedRender     *render.Engine
)

// renderer returns the engine of Options.Renderer, or one shared by the process started on
// first use (PDFium on wazero; its compilation is cached in the user's cache folder).
func (v *verifier) renderer() *render.Engine {
	if v.opts.Renderer != nil {
		return v.opts.Renderer
	}
	sharedRenderOnce.Do(func() { sharedRender = render.New(nil) })
	return sharedRender
}

// coverPage is a page that must be rendered, with what was changed on it.
type coverPage struct {
	num   int      // 1-based page number in the latest revision
	what  []string // the changes to name ("Square annotation 12")
	masks []pdf.Rect
}

// needCover records that a change on page (1-based) must not cover signed content.
func (a *analysis) needCover(page int, what string) {
	if page <= 0 {
		return
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
}

// coverOwn records the area of an annotation or field that changed its own appearance.
func (a *analysis) coverOwn(page int, r pdf.Rect) {
	if a.ownAreas == nil {
		a.ownAreas = map[int][]pdf.Rect{}
	}
	a.ownAreas[page] = append(a.ownAreas[page], r)
}

// renderDoc opens (once per verification) the document as of revision rev in PDFium.
func (v *verifier) renderDoc(ctx context.Context, rev int) (*render.Document, error) {
	if d, ok := v.renderDocs[rev]; ok {
		return d, nil
	}
	revs := v.f.Revisions()
	end := v.size
	if rev < len(revs)-1 {
		end = revs[rev].End
	}
	d, err := v.renderer().OpenBytes(ctx, fmt.Sprintf("revision %d", rev+1), v.data[:end])
	if err != nil {
		return nil, err
	}
	if v.renderDocs == nil {
		v.renderDocs = map[int]*render.Document{}
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
func (a *analysis) checkCover() {
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
	// The signed revision's document is released after this signature's pages, so that its
	// PDFium instance serves the next signature instead of a new one being started.
	defer func() {
		if a.s.rev != last {
			if d, ok := a.v.renderDocs[a.s.rev]; ok {
				d.Close()
				delete(a.v.renderDocs, a.s.rev)
			}
		}
	}()
	for _, p := range pages {
		cp := a.cover[p]
		label := fmt.Sprintf("page %d", p)
		if a.v.renders >= maxCoverPages {
			a.ch.add(false, ChangeDetail{Code: ChangeCoverUnchecked, Page: p}, "%s: changes (%s) could not be rendered to check that they leave the signed content visible (more than %d pages)", label, joinMax(cp.what, 3), maxCoverPages)
			continue
		}
		a.v.renders++
		regions, err := a.coveredRegions(ctx, p, last)
		if err != nil {
			a.ch.add(false, ChangeDetail{Code: ChangeCoverUnchecked, Page: p}, "%s: changes (%s) could not be rendered to check that they leave the signed content visible: %v", label, joinMax(cp.what, 3), err)
			continue
		}
		if len(regions) > 0 {
			d := ChangeDetail{Code: ChangeCoversContent, Page: p, Regions: regions}
			r := regions[0].Rect
			a.ch.add(false, d, "%s: %s cover(s) signed content (%d region(s), the first at [%.0f %.0f %.0f %.0f])", label, joinMax(cp.what, 3), len(regions), r.LLX, r.LLY, r.URX, r.URY)
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

// coveredRegions renders page p (1-based) as signed and as of revision last and compares them.
func (a *analysis) coveredRegions(ctx context.Context, p, last int) ([]Region, error) {
	oldPages, err := a.old.Pages()
	if err != nil || p > len(oldPages) {
		return nil, fmt.Errorf("the signed revision has no page %d", p)
	}
	for _, v := range []*pdf.View{a.old, a.v.f.Latest()} {
		if err := checkDrawnImages(v, p); err != nil {
			return nil, err
		}
	}
	od, err := a.v.renderDoc(ctx, a.s.rev)
	if err != nil {
		return nil, err
	}
	nd, err := a.v.renderDoc(ctx, last)
	if err != nil {
		return nil, err
	}
	oi, err := od.Render(ctx, p-1, coverDPI)
	if err != nil {
		return nil, err
	}
	ni, err := nd.Render(ctx, p-1, coverDPI)
	if err != nil {
		return nil, err
	}
	if oi.Bounds() != ni.Bounds() {
		return nil, nil // the page's size changed: reported by the page comparison
	}
	info, err := nd.PageInfo(p - 1)
	if err != nil {
		return nil, err
	}
	toUser := pixelToUser(info, coverDPI)
	var masks []image.Rectangle
	for _, m := range a.masks[p] {
		masks = append(masks, userToPixels(toUser, m, oi.Bounds()))
	}
	if own := a.ownAreas[p]; len(own) > 0 {
		// Where an annotation or field changed its own appearance, what it showed when signed
		// may change: there the signed page's own content is the reference.
		oc, err := od.RenderContent(ctx, p-1, coverDPI)
		if err != nil {
			return nil, err
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
	var out []Region
	for _, c := range cells {
		x0, y0 := toUser(float64(c.Min.X), float64(c.Min.Y))
		x1, y1 := toUser(float64(c.Max.X), float64(c.Max.Y))
		out = append(out, Region{Page: p, Rect: pdf.Rect{LLX: min(x0, x1), LLY: min(y0, y1), URX: max(x0, x1), URY: max(y0, y1)}})
	}
	return out, nil
}

// pixelToUser maps a pixel position of a page rendered at dpi to PDF user space (the page as
// displayed is its CropBox turned by /Rotate clockwise).
func pixelToUser(info render.PageInfo, dpi int) func(px, py float64) (float64, float64) {
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

// userToPixels maps a user-space rectangle to the pixels it covers (by its corners).
func userToPixels(toUser func(px, py float64) (float64, float64), r pdf.Rect, b image.Rectangle) image.Rectangle {
	// Invert by sampling: the map is affine, so find the pixel box whose corners map inside.
	x0, y0 := toUser(0, 0)
	x1, y1 := toUser(1, 0)
	x2, y2 := toUser(0, 1)
	// user = origin + px*(x1-x0,y1-y0) + py*(x2-x0,y2-y0)
	det := (x1-x0)*(y2-y0) - (x2-x0)*(y1-y0)
	if det == 0 {
		return image.Rectangle{}
	}
	inv := func(x, y float64) (float64, float64) {
		dx, dy := x-x0, y-y0
		return (dx*(y2-y0) - dy*(x2-x0)) / det, ((x1-x0)*dy - (y1-y0)*dx) / det
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
func coveredCells(o, n *image.RGBA, masks []image.Rectangle) []image.Rectangle {
	b := o.Bounds()
	w, h := b.Dx(), b.Dy()
	ink := make([]bool, w*h)
	near := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if lum(o, b.Min.X+x, b.Min.Y+y) < coverInk {
				ink[y*w+x] = true
			}
		}
	}
	// Paper within 2 pixels of ink: where a cover next to the strokes hides them.
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
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
	for cy := 0; cy < h; cy += coverCell {
		for cx := 0; cx < w; cx += coverCell {
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
	seen := make([]bool, w*h)
	var out []image.Rectangle
	var stack []int
	for start := 0; start < w*h; start++ {
		if seen[start] || lum(o, b.Min.X+start%w, b.Min.Y+start/w) >= glyphInk {
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
	return out
}
