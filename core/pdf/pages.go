package pdf

import (
	"errors"
	"fmt"
	"math"
)

// Rect is a rectangle in default user space, normalised so that LLX ≤ URX and LLY ≤ URY.
type Rect struct {
	LLX, LLY, URX, URY float64
}

// Width returns URX-LLX.
func (r Rect) Width() float64 { return r.URX - r.LLX }

// Height returns URY-LLY.
func (r Rect) Height() float64 { return r.URY - r.LLY }

// IsZero reports whether r has no area.
func (r Rect) IsZero() bool { return r.Width() <= 0 || r.Height() <= 0 }

// Intersect returns the intersection of r and s (zero when they do not overlap).
func (r Rect) Intersect(s Rect) Rect {
	x := Rect{math.Max(r.LLX, s.LLX), math.Max(r.LLY, s.LLY), math.Min(r.URX, s.URX), math.Min(r.URY, s.URY)}
	if x.IsZero() {
		return Rect{}
	}
	return x
}

// Array returns r as a PDF array of four reals.
func (r Rect) Array() Array {
	return Array{Real{Value: r.LLX}, Real{Value: r.LLY}, Real{Value: r.URX}, Real{Value: r.URY}}
}

// RectFrom reads a rectangle from a PDF array of four numbers (elements may be references
// when v is non-nil) and normalises it.
func RectFrom(v *View, o Object) (Rect, bool) {
	if v != nil {
		o, _ = v.Resolve(o)
	}
	a, ok := o.(Array)
	if !ok || len(a) != 4 {
		return Rect{}, false
	}
	var n [4]float64
	for i, x := range a {
		if v != nil {
			x, _ = v.Resolve(x)
		}
		f, ok := Number(x)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return Rect{}, false
		}
		n[i] = f
	}
	return Rect{math.Min(n[0], n[2]), math.Min(n[1], n[3]), math.Max(n[0], n[2]), math.Max(n[1], n[3])}, true
}

// Page is one page with its inherited attributes resolved.
type Page struct {
	Number    int // 1-based
	Ref       Ref
	Dict      Dict
	MediaBox  Rect
	CropBox   Rect   // defaults to MediaBox; clipped to it
	Rotate    int    // 0, 90, 180 or 270 (clockwise, as displayed)
	Resources Object // inherited /Resources (a Dict or a Ref), nil when absent
}

// VisibleSize returns the page's width and height as the user sees it: the CropBox, with
// width and height swapped for /Rotate 90 and 270.
func (p Page) VisibleSize() (w, h float64) {
	w, h = p.CropBox.Width(), p.CropBox.Height()
	if p.Rotate == 90 || p.Rotate == 270 {
		w, h = h, w
	}
	return w, h
}

// defaultMediaBox is US Letter, used when no /MediaBox is found (as viewers do).
var defaultMediaBox = Rect{0, 0, 612, 792}

type inherited struct {
	media, crop, rotate, resources Object
}

func (in inherited) with(d Dict) inherited {
	if x := d.Get("MediaBox"); x != nil {
		in.media = x
	}
	if x := d.Get("CropBox"); x != nil {
		in.crop = x
	}
	if x := d.Get("Rotate"); x != nil {
		in.rotate = x
	}
	if x := d.Get("Resources"); x != nil {
		in.resources = x
	}
	return in
}

func (v *View) makePage(n int, ref Ref, d Dict, in inherited) Page {
	p := Page{Number: n, Ref: ref, Dict: d, Resources: in.resources}
	mb, ok := RectFrom(v, in.media)
	if !ok || mb.IsZero() {
		mb = defaultMediaBox
	}
	p.MediaBox = mb
	p.CropBox = mb
	if cb, ok := RectFrom(v, in.crop); ok {
		if x := cb.Intersect(mb); !x.IsZero() {
			p.CropBox = x
		}
	}
	if ro, err := v.Resolve(in.rotate); err == nil {
		if r, ok := IntOf(ro); ok {
			r = ((r % 360) + 360) % 360
			if r%90 == 0 {
				p.Rotate = int(r)
			}
		}
	}
	return p
}

// pagesRoot returns the catalog's /Pages node.
func (v *View) pagesRoot() (Ref, Dict, error) {
	cat, err := v.Catalog()
	if err != nil {
		return Ref{}, nil, err
	}
	pr := cat.Get("Pages")
	ref, _ := pr.(Ref)
	d := v.Dict(pr)
	if d == nil {
		return Ref{}, nil, fmt.Errorf("%w: catalog has no /Pages dictionary", ErrMalformed)
	}
	return ref, d, nil
}

// Pages walks the page tree and returns every page in order. Cycles and over-deep trees are
// errors; kids that are not dictionaries are skipped.
func (v *View) Pages() ([]Page, error) { return v.PagesUpTo(-1) }

// PagesUpTo is Pages stopping after the first n pages (all of them when n < 1): the same
// pages in the same order — the tree is walked as Pages walks it, not descended by the /Count
// of its nodes, which a file may get wrong — but the tree beyond page n is neither read nor
// checked. It returns fewer than n pages when the document has fewer.
func (v *View) PagesUpTo(n int) ([]Page, error) {
	ref, root, err := v.pagesRoot()
	if err != nil {
		return nil, err
	}
	var pages []Page
	// path holds the ancestors of the node being walked: a kid that is its own ancestor is a
	// cycle. A page listed twice is not a cycle (viewers show it twice); visits are bounded.
	path := map[Ref]bool{}
	visits := 0
	var walk func(ref Ref, d Dict, in inherited, depth int) error
	walk = func(ref Ref, d Dict, in inherited, depth int) error {
		if depth > v.f.limits.MaxDepth {
			return limitErr("MaxDepth", int64(v.f.limits.MaxDepth))
		}
		if visits++; visits > v.f.limits.MaxObjects {
			return limitErr("MaxObjects", int64(v.f.limits.MaxObjects))
		}
		if !ref.IsZero() {
			path[ref] = true
			defer delete(path, ref)
		}
		in = in.with(d)
		kids, hasKids := d.Get("Kids"), d.Get("Kids") != nil
		if t := d.NameOf("Type"); t == "Page" || (t != "Pages" && !hasKids) {
			if len(pages) >= v.f.limits.MaxObjects {
				return limitErr("MaxObjects", int64(v.f.limits.MaxObjects))
			}
			pages = append(pages, v.makePage(len(pages)+1, ref, d, in))
			if len(pages) == n {
				return errEnoughPages
			}
			return nil
		}
		ko, err := v.Resolve(kids)
		if err != nil {
			return err
		}
		arr, _ := ko.(Array)
		for _, k := range arr {
			kr, isRef := k.(Ref)
			if isRef && path[kr] {
				return fmt.Errorf("%w: page tree cycle at object %d", ErrMalformed, kr.Num)
			}
			ko, err := v.Resolve(k)
			if err != nil {
				return fmt.Errorf("page tree node %d: %w", kr.Num, err)
			}
			kd, _ := ko.(Dict)
			if kd == nil {
				continue
			}
			if err := walk(kr, kd, in, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(ref, root, inherited{}, 0); err != nil && err != errEnoughPages {
		return nil, err
	}
	return pages, nil
}

// errEnoughPages ends PagesUpTo's walk once it has its pages.
var errEnoughPages = errors.New("enough pages")

// NumPages returns the page count from the root's /Count (cheap; not verified against the
// tree — use len(Pages()) for that).
func (v *View) NumPages() (int, error) {
	_, root, err := v.pagesRoot()
	if err != nil {
		return 0, err
	}
	n, ok := IntOf(v.resolved(root.Get("Count")))
	if !ok || n < 0 {
		return 0, fmt.Errorf("%w: page tree root has no valid /Count", ErrMalformed)
	}
	return int(n), nil
}

func (v *View) resolved(o Object) Object {
	r, err := v.Resolve(o)
	if err != nil {
		return nil
	}
	return r
}

// Page returns page n (1-based) by descending the tree with the /Count of each node, so only
// one branch is read. If the counts are wrong it falls back to a full walk.
func (v *View) Page(n int) (Page, error) {
	if n < 1 {
		return Page{}, fmt.Errorf("%w: page %d", ErrNotFound, n)
	}
	ref, d, err := v.pagesRoot()
	if err != nil {
		return Page{}, err
	}
	in := inherited{}
	seen := map[Ref]bool{ref: true}
	remaining := n
	for depth := 0; depth <= v.f.limits.MaxDepth; depth++ {
		in = in.with(d)
		kids := d.Get("Kids")
		if t := d.NameOf("Type"); t == "Page" || (t != "Pages" && kids == nil) {
			if remaining == 1 {
				return v.makePage(n, ref, d, in), nil
			}
			break
		}
		arr, _ := v.resolved(kids).(Array)
		descended := false
		for _, k := range arr {
			kd := v.Dict(k)
			if kd == nil {
				continue
			}
			cnt := 1
			if t := kd.NameOf("Type"); t == "Pages" || (t != "Page" && kd.Get("Kids") != nil) {
				c, ok := IntOf(v.resolved(kd.Get("Count")))
				if !ok || c < 0 {
					return v.pageByWalk(n)
				}
				cnt = int(c)
			}
			if remaining > cnt {
				remaining -= cnt
				continue
			}
			kr, _ := k.(Ref)
			if seen[kr] && !kr.IsZero() {
				return Page{}, fmt.Errorf("%w: page tree cycle at object %d", ErrMalformed, kr.Num)
			}
			seen[kr] = true
			ref, d, descended = kr, kd, true
			break
		}
		if !descended {
			break
		}
	}
	return v.pageByWalk(n)
}

func (v *View) pageByWalk(n int) (Page, error) {
	pages, err := v.Pages()
	if err != nil {
		return Page{}, err
	}
	if n > len(pages) {
		return Page{}, fmt.Errorf("%w: page %d of %d", ErrNotFound, n, len(pages))
	}
	return pages[n-1], nil
}
