package verify

import (
	"errors"
	"fmt"

	"sealdesk/core/pdf"
)

// Streams PDFium decodes that the cover check does not read (red team s9 F7). To draw a page
// PDFium inflates, unbounded and whole, every font program (/FontFile, /FontFile2, /FontFile3)
// of the fonts the page's content, forms, patterns, Type 3 glyphs and annotations' appearances
// select, their embedded CMaps (a Type0 font's /Encoding stream and what it /UseCMap's) and
// /ToUnicode maps (read for the signed page's text), the ICC profiles of their colour spaces,
// the samples and programs of their functions (shadings, tint transforms, transfer functions)
// and the data of mesh shadings. A 109 KB annotation whose TrueType program inflated to 100
// MiB of zeros verified valid after 3 s of CPU and 630 MB; at 400 MiB the renderer died at
// 1.5 GB; a CMap, a Type 1 and a CFF program did the same. Before a page is rendered, each
// such stream of each revision drawn is counted as it decodes, keeping nothing
// (pdf.File.DecodedSize, once per stream and file):
//   - one stream decoding to more than MaxResourceStreamBytes (32 MiB: a complete CJK
//     TrueType font is 10–20 MiB; CMaps, profiles and samples are far smaller) makes the page
//     too complex to check, naming the limit;
//   - so do the streams of one page's drawing together past MaxPageResourceBytes (64 MiB):
//     PDFium holds them decoded while it draws, each revision's in its own document.
//
// Such a page is not rendered: its changes are reported as too complex to check
// (ChangeTooComplex) naming the limit, never valid.
const (
	MaxResourceStreamBytes = 32 << 20
	MaxPageResourceBytes   = 64 << 20
	// maxResourceSteps bounds the objects the walk looks at on one page of one revision.
	maxResourceSteps = 100_000
)

// checkDecodedResources measures the streams page p (1-based) of v makes PDFium decode (see
// MaxResourceStreamBytes).
func checkDecodedResources(f *pdf.File, v *pdf.View, p int) error {
	pages, err := v.Pages()
	if err != nil || p < 1 || p > len(pages) {
		return nil
	}
	w := &resourceWalk{f: f, v: v, seen: map[pdf.Ref]bool{}}
	pg := pages[p-1]
	w.resources(pg.Resources, 0)
	if arr, ok := w.resolve(pg.Dict.Get("Annots")).(pdf.Array); ok {
		for _, a := range arr {
			ap := v.Dict(v.Dict(a).Get("AP"))
			for _, k := range []pdf.Name{"N", "D", "R"} {
				switch n := w.resolve(ap.Get(k)).(type) {
				case *pdf.Stream:
					w.form(ap.Get(k), 0)
				case pdf.Dict:
					for _, st := range n {
						w.form(st, 0)
					}
				}
			}
			if w.err != nil {
				break
			}
		}
	}
	return w.err
}

type resourceWalk struct {
	f     *pdf.File
	v     *pdf.View
	seen  map[pdf.Ref]bool // objects already walked or counted (each counts once per page and revision)
	steps int
	total int64
	err   error
}

func (w *resourceWalk) resolve(o pdf.Object) pdf.Object {
	r, err := w.v.Resolve(o)
	if err != nil {
		return nil
	}
	return r
}

// visit reports whether o is to be walked: not yet seen, within the step budget, no error yet.
func (w *resourceWalk) visit(o pdf.Object) bool {
	if w.err != nil {
		return false
	}
	if w.steps++; w.steps > maxResourceSteps {
		w.err = &appearanceBudgetError{"MaxPageResourceBytes", fmt.Sprintf("the page's resources hold more than %d objects to measure", maxResourceSteps)}
		return false
	}
	if r, ok := o.(pdf.Ref); ok {
		if w.seen[r] {
			return false
		}
		w.seen[r] = true
	}
	return true
}

// count adds what stream o decodes to.
func (w *resourceWalk) count(o pdf.Object, what string) {
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok || !w.visit(o) {
		return
	}
	n, err := w.f.DecodedSize(st, MaxResourceStreamBytes)
	var le *pdf.LimitError
	switch {
	case errors.As(err, &le) && le.Limit == "MaxStreamSize":
		w.err = &appearanceBudgetError{"MaxResourceStreamBytes", fmt.Sprintf("%s decodes to more than %d MiB, which the renderer would hold whole (the limit is %d MiB)", what, MaxResourceStreamBytes>>20, MaxResourceStreamBytes>>20)}
		return
	case errors.As(err, &le):
		w.err = &appearanceBudgetError{le.Limit, fmt.Sprintf("%s could not be measured within the file's decoding budget (%v)", what, err)}
		return
	}
	if w.total += n; w.total > MaxPageResourceBytes {
		w.err = &appearanceBudgetError{"MaxPageResourceBytes", fmt.Sprintf("the fonts, CMaps, colour profiles and functions the page draws with decode to more than %d MiB, which the renderer would hold (the limit is %d MiB)", MaxPageResourceBytes>>20, MaxPageResourceBytes>>20)}
	}
}

// resources walks a resource dictionary.
func (w *resourceWalk) resources(res pdf.Object, depth int) {
	if depth > 32 || !w.visit(res) {
		return
	}
	d := w.v.Dict(res)
	if d == nil {
		return
	}
	for _, o := range w.v.Dict(d.Get("Font")) {
		w.font(o, depth)
	}
	for _, o := range w.v.Dict(d.Get("XObject")) {
		w.xobject(o, depth)
	}
	for _, o := range w.v.Dict(d.Get("ColorSpace")) {
		w.colourSpace(o, depth)
	}
	for _, o := range w.v.Dict(d.Get("Pattern")) {
		w.pattern(o, depth)
	}
	for _, o := range w.v.Dict(d.Get("Shading")) {
		w.shading(o, depth)
	}
	for _, o := range w.v.Dict(d.Get("ExtGState")) {
		w.extGState(o, depth)
	}
}

// form walks a form XObject, an appearance stream, a tiling pattern or a Type 3 glyph's
// resources.
func (w *resourceWalk) form(o pdf.Object, depth int) {
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok || depth > 32 || !w.visit(o) {
		return
	}
	w.resources(st.Dict.Get("Resources"), depth+1)
}

func (w *resourceWalk) xobject(o pdf.Object, depth int) {
	st, ok := w.resolve(o).(*pdf.Stream)
	if !ok {
		return
	}
	if sub, _ := st.Dict.Get("Subtype").(pdf.Name); sub == "Image" {
		if !w.visit(o) {
			return
		}
		w.colourSpace(st.Dict.Get("ColorSpace"), depth+1)
		if sm := st.Dict.Get("SMask"); sm != nil {
			w.xobject(sm, depth+1)
		}
		return
	}
	w.form(o, depth+1)
}

func (w *resourceWalk) font(o pdf.Object, depth int) {
	fd := w.v.Dict(o)
	if fd == nil || depth > 32 || !w.visit(o) {
		return
	}
	name := fd.NameOf("BaseFont")
	what := func(k string) string { return fmt.Sprintf("the %s of font %s", k, name) }
	descriptor := func(d pdf.Dict) {
		desc := w.v.Dict(d.Get("FontDescriptor"))
		for _, k := range []pdf.Name{"FontFile", "FontFile2", "FontFile3"} {
			if desc.Get(k) != nil {
				w.count(desc.Get(k), what("/"+string(k)+" program"))
			}
		}
	}
	descriptor(fd)
	if fd.Get("ToUnicode") != nil {
		w.count(fd.Get("ToUnicode"), what("/ToUnicode map"))
	}
	switch fd.NameOf("Subtype") {
	case "Type0":
		// The CMap and the CMaps it builds on (/UseCMap), to a modest depth.
		cm := fd.Get("Encoding")
		for i := 0; i < 8; i++ {
			st, ok := w.resolve(cm).(*pdf.Stream)
			if !ok {
				break
			}
			w.count(cm, what("CMap"))
			cm = st.Dict.Get("UseCMap")
		}
		if da, ok := w.resolve(fd.Get("DescendantFonts")).(pdf.Array); ok && len(da) > 0 {
			if cid := w.v.Dict(da[0]); cid != nil {
				descriptor(cid)
				if cid.Get("CIDToGIDMap") != nil {
					w.count(cid.Get("CIDToGIDMap"), what("/CIDToGIDMap"))
				}
			}
		}
	case "Type3":
		w.resources(fd.Get("Resources"), depth+1)
		for _, p := range w.v.Dict(fd.Get("CharProcs")) {
			w.form(p, depth+1)
		}
	}
}

func (w *resourceWalk) colourSpace(o pdf.Object, depth int) {
	if depth > 32 {
		return
	}
	a, ok := w.resolve(o).(pdf.Array)
	if !ok || len(a) == 0 || !w.visit(o) {
		return
	}
	fam, _ := w.resolve(a[0]).(pdf.Name)
	switch fam {
	case "ICCBased":
		if len(a) > 1 {
			w.count(a[1], "an ICC profile")
			if st, ok := w.resolve(a[1]).(*pdf.Stream); ok {
				w.colourSpace(st.Dict.Get("Alternate"), depth+1)
			}
		}
	case "Indexed":
		if len(a) > 1 {
			w.colourSpace(a[1], depth+1)
		}
		if len(a) > 3 {
			if _, ok := w.resolve(a[3]).(*pdf.Stream); ok {
				w.count(a[3], "an Indexed colour space's lookup table")
			}
		}
	case "Separation", "DeviceN":
		if len(a) > 2 {
			w.colourSpace(a[2], depth+1)
		}
		if len(a) > 3 {
			w.function(a[3], depth+1)
		}
	case "Pattern":
		if len(a) > 1 {
			w.colourSpace(a[1], depth+1)
		}
	}
}

func (w *resourceWalk) function(o pdf.Object, depth int) {
	if depth > 32 {
		return
	}
	switch x := w.resolve(o).(type) {
	case pdf.Array: // a function per output
		for _, e := range x {
			w.function(e, depth+1)
		}
	case *pdf.Stream: // type 0 samples, type 4 program
		w.count(o, "a function's stream")
	case pdf.Dict:
		if !w.visit(o) {
			return
		}
		if fa, ok := w.resolve(x.Get("Functions")).(pdf.Array); ok { // type 3
			for _, e := range fa {
				w.function(e, depth+1)
			}
		}
	}
}

func (w *resourceWalk) shading(o pdf.Object, depth int) {
	if depth > 32 {
		return
	}
	var d pdf.Dict
	switch x := w.resolve(o).(type) {
	case pdf.Dict:
		d = x
		if !w.visit(o) {
			return
		}
	case *pdf.Stream: // a mesh shading: its data
		d = x.Dict
		w.count(o, "a mesh shading's data")
	default:
		return
	}
	w.colourSpace(d.Get("ColorSpace"), depth+1)
	if d.Get("Function") != nil {
		w.function(d.Get("Function"), depth+1)
	}
}

func (w *resourceWalk) pattern(o pdf.Object, depth int) {
	switch x := w.resolve(o).(type) {
	case *pdf.Stream: // tiling
		w.form(o, depth+1)
	case pdf.Dict: // shading pattern
		if !w.visit(o) {
			return
		}
		w.shading(x.Get("Shading"), depth+1)
		w.extGState(x.Get("ExtGState"), depth+1)
	}
}

func (w *resourceWalk) extGState(o pdf.Object, depth int) {
	g := w.v.Dict(o)
	if g == nil || depth > 32 || !w.visit(o) {
		return
	}
	if fa, ok := w.resolve(g.Get("Font")).(pdf.Array); ok && len(fa) > 0 {
		w.font(fa[0], depth+1)
	}
	for _, k := range []pdf.Name{"TR", "TR2"} {
		if g.Get(k) != nil {
			w.function(g.Get(k), depth+1)
		}
	}
	if sm := w.v.Dict(g.Get("SMask")); sm != nil {
		w.form(sm.Get("G"), depth+1)
		if sm.Get("TR") != nil {
			w.function(sm.Get("TR"), depth+1)
		}
	}
}
