package verify

import (
	"fmt"

	"sealdesk/core/pdf"
)

// MaxDrawnImagePixels bounds the image samples one page may make the renderer decode for the
// cover check: every image its content, its XObject forms, its patterns and its annotations'
// appearances draw, counted once per use. A scanned A4 page at 600 dpi is 35 million; a file
// whose few hundred bytes of appearance streams draw one 40000×40000 image eight times would
// otherwise keep the renderer busy for minutes. A page over the bound is not rendered: its
// changes are reported as unchecked (ChangeCoverUnchecked), naming the limit.
const MaxDrawnImagePixels = 400_000_000

// drawnImagePixels adds up the image pixels page p of v draws (see MaxDrawnImagePixels); it stops
// counting once the sum passes limit.
func drawnImagePixels(v *pdf.View, p pdf.Page, limit float64) float64 {
	w := &pixelWalk{v: v, limit: limit, forms: map[pdf.Ref]float64{}, open: map[pdf.Ref]bool{}}
	total := w.resources(p.Resources, 0)
	if arr, ok := w.resolve(p.Dict.Get("Annots")).(pdf.Array); ok {
		for i, a := range arr {
			if i >= 10000 || total > limit {
				break
			}
			ap := v.Dict(v.Dict(a).Get("AP"))
			if ap == nil {
				continue
			}
			switch n := w.resolve(ap.Get("N")).(type) {
			case *pdf.Stream:
				total += w.xobject(ap.Get("N"), 0)
			case pdf.Dict:
				for _, st := range n { // appearance states: count each (the renderer may draw any)
					total += w.xobject(st, 0)
				}
			}
		}
	}
	return total
}

type pixelWalk struct {
	v     *pdf.View
	limit float64
	forms map[pdf.Ref]float64 // form XObjects and patterns already summed
	open  map[pdf.Ref]bool    // being summed (a cycle draws nothing more)
	steps int
}

func (w *pixelWalk) resolve(o pdf.Object) pdf.Object {
	r, err := w.v.Resolve(o)
	if err != nil {
		return nil
	}
	return r
}

// resources sums what the XObjects and patterns of a resource dictionary draw.
func (w *pixelWalk) resources(res pdf.Object, depth int) float64 {
	d := w.v.Dict(res)
	if d == nil || depth > 32 {
		return 0
	}
	total := 0.0
	for _, key := range []pdf.Name{"XObject", "Pattern"} {
		for _, o := range w.v.Dict(d.Get(key)) {
			if total > w.limit {
				return total
			}
			total += w.xobject(o, depth+1)
		}
	}
	return total
}

// xobject sums what one XObject (image or form) or tiling pattern draws.
func (w *pixelWalk) xobject(o pdf.Object, depth int) float64 {
	w.steps++
	if w.steps > 100_000 || depth > 32 {
		return 0
	}
	ref, isRef := o.(pdf.Ref)
	if isRef {
		if n, ok := w.forms[ref]; ok {
			return n
		}
		if w.open[ref] {
			return 0
		}
	}
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok {
		return 0
	}
	if sub, _ := st.Dict.Get("Subtype").(pdf.Name); sub == "Image" {
		n := imagePixels(st.Dict)
		if sm := w.v.Dict(st.Dict.Get("SMask")); sm != nil {
			n += imagePixels(sm)
		}
		return n
	}
	if isRef {
		w.open[ref] = true
	}
	n := w.resources(st.Dict.Get("Resources"), depth)
	if isRef {
		delete(w.open, ref)
		w.forms[ref] = n
	}
	return n
}

func imagePixels(d pdf.Dict) float64 {
	wd, _ := d.Get("Width").(pdf.Int)
	ht, _ := d.Get("Height").(pdf.Int)
	if wd <= 0 || ht <= 0 {
		return 0
	}
	return float64(wd) * float64(ht)
}

// checkDrawnImages refuses to render page p (1-based) of v when it draws more image pixels than
// MaxDrawnImagePixels.
func checkDrawnImages(v *pdf.View, p int) error {
	pages, err := v.Pages()
	if err != nil || p < 1 || p > len(pages) {
		return nil // the renderer reports what is wrong with the page
	}
	if n := drawnImagePixels(v, pages[p-1], MaxDrawnImagePixels); n > MaxDrawnImagePixels {
		return fmt.Errorf("the page draws images of more than %d million pixels (the limit is %d million)", int64(n/1e6), MaxDrawnImagePixels/1_000_000)
	}
	return nil
}
