package verify

import (
	"math"

	"sealdesk/core/pdf"
)

// Functions in the raster model (red team s9 F6). PDFium evaluates a function-based (type 1)
// shading's function once per pixel it paints, and the tint transform of its Separation or
// DeviceN colour space with it; a 45 KB annotation whose 200 × 200 pt shading ran a type 4
// (PostScript calculator) program of 9,000 operators held the renderer for 23 s of CPU, priced
// as a plain fill. So a function's evaluation is priced by its work (functionWork) and
// charged where PDFium evaluates it:
//   - per pixel painted: a type 1 shading by `sh` or as a shading pattern's fill;
//   - 256 times: an axial or radial (type 2, 3) shading, which PDFium samples into a table;
//   - per vertex of a mesh (types 4 to 7), counted as one per byte of its data;
//   - per colour set: sc, scn, SC, SCN and cs, CS in a Separation or DeviceN space (PDFium
//     converts the colour when it is set);
//   - per image sample: an image in a Separation or DeviceN space of more than 8 bits a pixel
//     (fewer are converted once per palette entry).
//
// A type 4 program of more than maxCalculatorOps operators, or nesting its procedures more than
// maxCalculatorNesting deep, is more than the pricing reads: the page is too complex to check.
const (
	calcOpCost      = 3   // one PostScript calculator operator evaluated (36 ns measured: 2.4 pixel-equivalents)
	functionCost    = 20  // one function evaluated, whatever its type: its set-up and the colour conversion
	sampledCornerPx = 2   // a type 0 function: each corner of the cell it interpolates, per output
	shadingTable    = 256 // the samples PDFium takes of an axial or radial shading's function
	// maxCalculatorOps bounds the operators of one type 4 program (real ones are a few dozen:
	// a colour conversion, a spot colour's tint).
	maxCalculatorOps = 10_000
	// maxCalculatorNesting bounds the nesting of a type 4 program's procedures (PDFium stops at
	// 128; real programs nest two or three).
	maxCalculatorNesting = 100
)

// functionWork returns what evaluating function o once costs (pixel-equivalents); an array of
// functions (one per output) costs them all.
func (w *paintWalk) functionWork(o pdf.Object, depth int) float64 {
	if depth > 8 || w.over {
		return 0
	}
	ref, isRef := o.(pdf.Ref)
	if isRef {
		if c, ok := w.funcs[ref]; ok {
			return c
		}
	}
	var d pdf.Dict
	var st *pdf.Stream
	switch x := w.resolve(o).(type) {
	case pdf.Array:
		total := 0.0
		for i, e := range x {
			if i >= 32 {
				break
			}
			total += w.functionWork(e, depth+1)
		}
		return total
	case pdf.Dict:
		d = x
	case *pdf.Stream:
		st, d = x, x.Dict
	default:
		return 0
	}
	c := float64(functionCost)
	ft, _ := pdf.IntOf(w.resolve(d.Get("FunctionType")))
	switch ft {
	case 0:
		nin, nout := 1, 1
		if a, ok := w.resolve(d.Get("Domain")).(pdf.Array); ok {
			nin = max(len(a)/2, 1)
		}
		if a, ok := w.resolve(d.Get("Range")).(pdf.Array); ok {
			nout = max(len(a)/2, 1)
		}
		c += float64(nout) * math.Exp2(float64(min(nin, 16))) * sampledCornerPx
	case 3:
		// One of the functions runs per evaluation, after a search of the bounds.
		fa, _ := w.resolve(d.Get("Functions")).(pdf.Array)
		dearest := 0.0
		for i, e := range fa {
			if i >= 256 {
				break
			}
			dearest = math.Max(dearest, w.functionWork(e, depth+1))
		}
		c += dearest + float64(len(fa))
	case 4:
		if st != nil {
			c += w.calculatorWork(st)
		}
	}
	if isRef {
		if w.funcs == nil {
			w.funcs = map[pdf.Ref]float64{}
		}
		w.funcs[ref] = c
	}
	return c
}

// calculatorWork returns what running a type 4 program once costs: every operator of it (both
// branches of a conditional counted), or sets w.over past maxCalculatorOps or
// maxCalculatorNesting.
func (w *paintWalk) calculatorWork(st *pdf.Stream) float64 {
	data := w.data(st)
	if data == nil {
		return 0
	}
	ops, level := 0, 0
	for _, t := range psTokens(data) {
		switch t {
		case "{":
			if level++; level > maxCalculatorNesting {
				w.over = rasterPricing
				return 0
			}
		case "}":
			level--
		default:
			ops++
		}
		if ops > maxCalculatorOps {
			w.over = rasterPricing
			return 0
		}
	}
	return float64(ops) * calcOpCost
}

// tintWork returns what converting one colour of colour space cs costs beyond a device space:
// a Separation or DeviceN space's tint transform (and that of its alternate, an Indexed space's
// base, a Pattern space's underlying space).
func (w *paintWalk) tintWork(cs pdf.Object, depth int) float64 {
	if depth > 8 {
		return 0
	}
	a, ok := w.resolve(cs).(pdf.Array)
	if !ok || len(a) < 2 {
		return 0
	}
	fam, _ := w.resolve(a[0]).(pdf.Name)
	switch fam {
	case "Separation", "DeviceN":
		if len(a) < 4 {
			return 0
		}
		return w.functionWork(a[3], 0) + w.tintWork(a[2], depth+1)
	case "Indexed", "Pattern":
		return w.tintWork(a[1], depth+1)
	}
	return 0
}

// namedSpace resolves a colour space operand: a name in res's /ColorSpace, or itself.
func (w *paintWalk) namedSpace(res pdf.Dict, name pdf.Name) pdf.Object {
	if o := w.v.Dict(res.Get("ColorSpace")).Get(name); o != nil {
		return o
	}
	return name
}

// shadingWork returns what shading o costs per pixel it paints beyond the fill itself, and what
// it costs once (pixel-equivalents).
func (w *paintWalk) shadingWork(o pdf.Object) (perPixel, once float64) {
	d, st, ok := dictOrStream(w.resolve(o))
	if !ok {
		return 0, 0
	}
	typ, _ := pdf.IntOf(w.resolve(d.Get("ShadingType")))
	eval := w.tintWork(d.Get("ColorSpace"), 0)
	if f := d.Get("Function"); f != nil {
		eval += w.functionWork(f, 0)
	}
	switch typ {
	case 1:
		return eval, 0
	case 2, 3:
		return 0, shadingTable * eval
	case 4, 5, 6, 7:
		// Per vertex (its colour converted as it is read): at most one per byte of the data.
		if st == nil || eval == 0 {
			return 0, 0
		}
		n, _ := w.f.DecodedSize(st, MaxResourceStreamBytes)
		return 0, float64(n) * eval
	}
	return 0, 0
}

// patternShading returns the per-pixel and one-time work of filling with the shading pattern
// named name in res (zero for other patterns).
func (w *paintWalk) patternShading(res pdf.Dict, name pdf.Name) (perPixel, once float64) {
	p := w.v.Dict(w.v.Dict(res.Get("Pattern")).Get(name))
	if p == nil {
		return 0, 0
	}
	if pt, _ := pdf.IntOf(w.resolve(p.Get("PatternType"))); pt != 2 {
		return 0, 0
	}
	return w.shadingWork(p.Get("Shading"))
}

// imageTintWork returns what converting image st's samples through its colour space's tint
// transform costs: per sample when a pixel has more than 8 bits (PDFium converts fewer once per
// palette entry), zero for device and ICC spaces.
func (w *paintWalk) imageTintWork(st *pdf.Stream) float64 {
	cs := st.Dict.Get("ColorSpace")
	tint := w.tintWork(cs, 0)
	if tint == 0 {
		return 0
	}
	bpc, _ := pdf.IntOf(w.resolve(st.Dict.Get("BitsPerComponent")))
	comps := int64(1)
	if a, ok := w.resolve(cs).(pdf.Array); ok && len(a) > 1 {
		if fam, _ := w.resolve(a[0]).(pdf.Name); fam == "DeviceN" {
			if names, ok := w.resolve(a[1]).(pdf.Array); ok {
				comps = int64(max(len(names), 1))
			}
		}
	}
	if bpc*comps <= 8 {
		return tint * math.Exp2(float64(max(bpc*comps, 1)))
	}
	return tint * imagePixels(st.Dict)
}
