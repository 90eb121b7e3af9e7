package verify

import (
	"fmt"
	"slices"

	"sealdesk/core/pdf"
)

// The cover check's plan (red team s8b F9). Every signature's cover check renders the pages
// changed after it, as signed and as now: a file signed n times over one page renders that page
// n times as signed — each signed revision is a document of its own, which PDFium parses —
// and once as now (the current revision's document is kept, cover.go renderDoc). The file's
// raster budget (maxRasterWorkPerFile) is charged once per render, not once per signature; and
// it is charged before anything is rendered: the change analyses of all signatures run first,
// then planCovers walks their cover checks without rendering (the pages the shortcut proves,
// the pages refused by a budget of their own, the renders left), and a file whose renders
// would together cost more than the budget renders nothing — every page is reported as too
// complex to check, naming MaxRasterWorkPerFile, within the time of the analyses. 20 document
// timestamps added over a page of 300,000 one-pixel rectangles took 18 s of CPU and 450 MB
// and then failed with MaxDecodedBytes; its 21 documents would cost 3,300 million
// pixel-equivalents (PDFium took 2.8 s for one of them), and `sealctl verify` now refuses it
// in 0.6 s of CPU and 52 MB.

// renderKey is one document page the cover check draws: (revision, page, content only).
type renderKey struct {
	rev, page int
	content   bool
}

// coverRender is a render with the view its cost is priced in.
type coverRender struct {
	key  renderKey
	view *pdf.View
}

// coverPlan is what planCovers found: the renders the cover checks would make, and their cost.
type coverPlan struct {
	renders int // pages the cover checks would render (each renders as signed and as now)
	work    float64
	charged map[renderKey]bool
}

// renders are the document pages rendering page p (1-based) draws for this signature: the page
// as signed, as now (revision last), and the signed page's content once more where an
// annotation changed its own appearance (coveredRegions).
func (a *analysis) renders(p, last int) []coverRender {
	rs := []coverRender{{renderKey{a.s.rev, p, false}, a.old}, {renderKey{last, p, false}, a.v.f.Latest()}}
	if len(a.ownAreas[p]) > 0 {
		rs = append(rs, coverRender{renderKey{a.s.rev, p, true}, a.old})
	}
	return rs
}

func renderViews(rs []coverRender) []*pdf.View {
	views := make([]*pdf.View, len(rs))
	for i, r := range rs {
		views[i] = r.view
	}
	return views
}

// planCovers plans the cover checks of the analyses whose checks are pending, in order, and
// refuses every render (v.coverRefused) when together they would pass maxRasterWorkPerFile.
func (v *verifier) planCovers(pending []*analysis) {
	if !rasterPricing || len(pending) == 0 {
		return
	}
	pl := &coverPlan{charged: map[renderKey]bool{}}
	for _, a := range pending {
		a.planCover(pl)
	}
	if pl.work > maxRasterWorkPerFile {
		v.coverRefused = rasterPerFileError(pl.work)
	}
}

// planRender adds rendering page p (1-based) to pl, or returns the error that will refuse it.
func (a *analysis) planRender(pl *coverPlan, p, last int) error {
	if err := a.renderBudget(p); err != nil {
		return err
	}
	rs := a.renders(p, last)
	if err := a.v.pageRasterBudget(renderViews(rs), p); err != nil {
		return err
	}
	for _, r := range rs {
		if !pl.charged[r.key] {
			pl.charged[r.key] = true
			w, _ := a.v.pageRasterWork([]*pdf.View{r.view}, p)
			pl.work += w
		}
	}
	return nil
}

// renderBudget checks, before page p (1-based) is rendered as signed and as now, that it has
// such a page and that neither version is over the budgets of checkDrawnImages and
// checkAppearanceBudget.
func (a *analysis) renderBudget(p int) error {
	oldPages, err := a.old.Pages()
	if err != nil || p > len(oldPages) {
		return fmt.Errorf("the signed revision has no page %d", p)
	}
	for _, view := range []*pdf.View{a.old, a.v.f.Latest()} {
		if err := a.v.viewBudget(view, p); err != nil {
			return err
		}
	}
	return nil
}

// viewBudget is checkDrawnImages and then checkAppearanceBudget for page p (1-based) of view,
// once per revision and page.
func (v *verifier) viewBudget(view *pdf.View, p int) error {
	k := [2]int{view.Revision().Index, p}
	if err, done := v.budgetErr[k]; done {
		return err
	}
	err := checkDrawnImages(view, p)
	if err == nil {
		err = checkAppearanceBudget(v.f, view, p)
	}
	if v.budgetErr == nil {
		v.budgetErr = map[[2]int]error{}
	}
	v.budgetErr[k] = err
	return err
}

// coverShortcutOnce is coverShortcut(p), once per page and per answer to whether a disallowed
// change is already reported (the one thing the plan and the check can see differently).
func (a *analysis) coverShortcutOnce(p int) bool {
	k := shortcutKey{p, slices.ContainsFunc(a.ch.list, func(c change) bool { return !c.detail.Allowed })}
	if ok, done := a.shortcutDone[k]; done {
		return ok
	}
	ok := a.coverShortcut(p)
	if a.shortcutDone == nil {
		a.shortcutDone = map[shortcutKey]bool{}
	}
	a.shortcutDone[k] = ok
	return ok
}

type shortcutKey struct {
	page       int
	disallowed bool
}

// textModeOnce is signedTextModeAmbiguous(p), once per page.
func (a *analysis) textModeOnce(p int) bool {
	if amb, done := a.textModeDone[p]; done {
		return amb
	}
	amb := a.signedTextModeAmbiguous(p)
	if a.textModeDone == nil {
		a.textModeDone = map[int]bool{}
	}
	a.textModeDone[p] = amb
	return amb
}

func rasterPerFileError(work float64) error {
	return &appearanceBudgetError{"MaxRasterWorkPerFile", fmt.Sprintf("the pages rendered to check the changes would cost the renderer more than %d million pixel-equivalents in all (the limit is %d million per file)", int64(work/1e6), int64(maxRasterWorkPerFile/1e6))}
}
