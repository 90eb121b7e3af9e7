package verify

import (
	"fmt"
	"slices"

	"sealdesk/core/pdf"
)

// Annotation routing (red team s6 F9): an annotation is judged by the page it ends up on,
// whatever object changed to put it there. A page's effective annotation list changes through
// the page dictionary (its /Annots entry) or through the indirect array /Annots names, and one
// array may be shared by several pages: appending an annotation to a shared indirect array
// object puts it on every page that uses the array, with no page dictionary touched. Every
// such route ends in the same per-page judgement (annotDiff: flags, appearance, actions, the
// cover check) for every page of the latest revision that shows the annotation.

// annotRoutes maps the latest revision's annotations and indirect /Annots arrays to the pages
// that show them (one walk of the page tree per verification, when a change needs it).
type annotRoutes struct {
	pages  []pdf.Page
	arrays map[int][]int     // indirect /Annots array object → indexes into pages
	annots map[pdf.Ref][]int // annotation → 1-based numbers of the pages listing it
}

func (v *verifier) routes() *annotRoutes {
	if v.annotRoutes != nil {
		return v.annotRoutes
	}
	rt := &annotRoutes{arrays: map[int][]int{}, annots: map[pdf.Ref][]int{}}
	v.annotRoutes = rt
	view := v.f.Latest()
	pages, err := view.Pages()
	if err != nil {
		return rt
	}
	rt.pages = pages
	for i, p := range pages {
		ao := p.Dict.Get("Annots")
		if r, ok := ao.(pdf.Ref); ok {
			rt.arrays[r.Num] = append(rt.arrays[r.Num], i)
		}
		arr, _ := resolvedArray(view, ao)
		for _, x := range arr {
			if ar, ok := x.(pdf.Ref); ok {
				if l := rt.annots[ar]; len(l) == 0 || l[len(l)-1] != p.Number {
					rt.annots[ar] = append(l, p.Number)
				}
			}
		}
	}
	return rt
}

// pagesShowing returns the 1-based numbers of the pages of the latest revision whose
// annotation list holds r, with first (the page a comparison named, if any) among them.
func (a *analysis) pagesShowing(r pdf.Ref, first int) []int {
	out := []int{}
	if first > 0 {
		out = append(out, first)
	}
	if r.Num == 0 {
		return out
	}
	for _, n := range a.v.routes().annots[r] {
		if n != first {
			out = append(out, n)
		}
	}
	return out
}

// annotsArrayChanged judges a changed indirect /Annots array on every page of the latest
// revision that uses it; false when no page does (nothing shows its annotations).
func (a *analysis) annotsArrayChanged(n int) bool {
	rt := a.v.routes()
	idx := rt.arrays[n]
	if len(idx) == 0 {
		return false
	}
	a.explained[n] = true
	for _, i := range idx {
		p := rt.pages[i]
		a.pageAnnots(pageLabel{text: fmt.Sprintf("page %d", p.Number), num: p.Number}, p.Ref, p.Dict)
	}
	return true
}

// pageAnnots judges the annotation list of one page of the latest revision (page object ref,
// dictionary nd) against the list the same page object had when signed; once per page.
func (a *analysis) pageAnnots(label pageLabel, ref pdf.Ref, nd pdf.Dict) {
	if a.annotsJudged == nil {
		a.annotsJudged = map[int]bool{}
	}
	if a.annotsJudged[ref.Num] {
		return
	}
	a.annotsJudged[ref.Num] = true
	var oa []pdf.Ref
	var oldDirect []pdf.Object
	if od := a.old.Dict(a.refIn(a.old, ref.Num)); od != nil {
		oa, _ = a.annots(a.old, od)
		oldDirect = directAnnots(a.old, od)
	}
	na, _ := a.annots(a.cur, nd)
	a.annotDiff(label, oa, na)
	// A dictionary written directly in /Annots is drawn by poppler and PDFium like any
	// annotation, but has no object of its own to judge (the comparisons follow references):
	// one that was not there when signed is refused.
	for _, x := range directAnnots(a.cur, nd) {
		if !slices.ContainsFunc(oldDirect, func(o pdf.Object) bool { return pdf.Equal(o, x) }) {
			a.ch.add(false, label.detail(ChangeEvilAnnot).key("direct"), "%s: an annotation dictionary written directly inside /Annots (not as a reference) added after signing (evil annotation)", label)
			return
		}
	}
}

// directAnnots returns the elements of page's /Annots that are not references.
func directAnnots(v *pdf.View, page pdf.Dict) []pdf.Object {
	arr, _ := resolvedArray(v, page.Get("Annots"))
	var out []pdf.Object
	for _, x := range arr {
		if _, ok := x.(pdf.Ref); !ok {
			out = append(out, x)
		}
	}
	return out
}
