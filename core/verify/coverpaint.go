package verify

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"sync"

	"sealdesk/core/pdf"
)

// Paint that readers draw differently (red team s7 G6). The cover check trusts PDFium's picture,
// and PDFium draws nothing for paint whose resources it rejects: a shading whose function is
// a type 0 function without samples or with 3 bits per sample, a type 2 function with more
// outputs than the colour space has components, a type 2 function of two inputs in a
// function-based (type 1) shading, an Indexed colour space whose lookup is shorter than
// (hival+1)×components. poppler or MuPDF pad, truncate or ignore the fault and paint: a white
// `sh` clipped to the signed amount erased it, and text filled with such a shading pattern
// wrote a new one, while the rendering comparison saw an empty appearance. MuPDF also paints
// a shading's /Background under `sh`, which ISO 32000 and PDFium ignore.
//
// So whatever an added or changed appearance paints with must be well-formed in the strict
// sense every reader agrees on; otherwise the change is reported (disallowed, naming the
// reason), never resolved by PDFium's silence:
//   - functions (types 0, 2, 3, 4): the input count their use gives them and the output count
//     of the colour space they feed; /Domain and /Range of finite numbers in order; type 0
//     with /Size, a bit depth ISO 32000 allows, /Order 1 or 3 and every sample present; type 2
//     with /C0 and /C1 of one length and an exponent its domain allows; type 3 with /Bounds
//     increasing inside the domain, one /Encode pair per function, every function alike; type
//     4 a PostScript calculator program of known operators whose stack ends with the outputs;
//   - shadings: a type 1 to 7, a colour space that follows the rules (not /Pattern, not
//     Indexed under a function), the function each type needs, /Coords, /Domain, /Extend,
//     /Matrix, /BBox of the right shape, no /Background;
//   - colour spaces named by cs and CS or kept in /ColorSpace: the image rules (Indexed lookup
//     complete, ICC /N of 1, 3 or 4 matching the profile's header and its /Alternate, CIE
//     spaces with a white point of X > 0, Y = 1, Z > 0 — PDFium rejects any other, red team s9
//     F9, F10) plus valid tint transforms for Separation and DeviceN, no /None colorant (PDFium
//     and poppler paint nothing, MuPDF paints: F4) and no alternate PDFium rejects (Indexed,
//     Pattern, Separation, DeviceN);
//   - patterns: a tiling pattern with its paint and tiling types, non-zero steps and a /BBox
//     of non-zero area; a shading pattern with a valid shading;
//   - graphics states, fonts, images and paths are held to the same standard in coverstate.go
//     and coverimages.go.

// maxFunctionSamples bounds the samples of a type 0 function checked here.
const maxFunctionSamples = 1 << 22

// maxCalculatorStack is the PostScript calculator's operand stack depth that PDFium and poppler
// both support.
const maxCalculatorStack = 100

// sampleBits are the bit depths ISO 32000-1 (7.10.2) allows in a type 0 function.
func sampleBits(b int64) bool {
	switch b {
	case 1, 2, 4, 8, 12, 16, 24, 32:
		return true
	}
	return false
}

// numbers returns the elements of o as numbers in range; ok is false when o is not an array of
// finite numbers with |x| < 2^31.
func (w *imageWalk) numbers(o pdf.Object) ([]float64, bool) {
	a, ok := w.resolve(o).(pdf.Array)
	if !ok {
		return nil, false
	}
	out := make([]float64, len(a))
	for i, e := range a {
		v, ok := pdf.Number(w.resolve(e))
		if !ok || math.IsNaN(v) || math.Abs(v) >= maxContentNumber {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// intervals checks that o is an array of 2n numbers forming n intervals lo ≤ hi; n < 0 accepts
// any even count. It returns the count of intervals.
func (w *imageWalk) intervals(o pdf.Object, n int, key string) (int, string) {
	v, ok := w.numbers(o)
	if !ok || len(v) == 0 || len(v)%2 != 0 || (n >= 0 && len(v) != 2*n) {
		if n >= 0 {
			return 0, fmt.Sprintf("a /%s that is not %d numbers in range", key, 2*n)
		}
		return 0, fmt.Sprintf("a /%s that is not pairs of numbers in range", key)
	}
	for i := 0; i < len(v); i += 2 {
		if v[i] > v[i+1] {
			return 0, fmt.Sprintf("a /%s whose interval %d is reversed", key, i/2)
		}
	}
	return len(v) / 2, ""
}

// function names what makes o something other than a function of nin inputs and nout outputs
// that every reader evaluates alike (nout < 0: any count); "" when it is one. The output count
// is returned.
func (w *imageWalk) function(o pdf.Object, nin, nout int, depth int) (int, string) {
	w.steps++
	if depth > 4 || w.steps > 10000 {
		return 0, "a function nested too deeply"
	}
	d, st, ok := dictOrStream(w.resolve(o))
	if !ok {
		return 0, "a function that is not a dictionary or stream"
	}
	ft, ok := pdf.IntOf(w.resolve(d.Get("FunctionType")))
	if !ok || (ft != 0 && ft != 2 && ft != 3 && ft != 4) {
		return 0, "a function of no type ISO 32000 defines"
	}
	bad := func(why string) (int, string) { return 0, fmt.Sprintf("a type %d function with %s", ft, why) }
	if (ft == 0 || ft == 4) && st == nil {
		return bad("no stream")
	}
	if (ft == 2 || ft == 3) && nin != 1 {
		return bad(fmt.Sprintf("one input where %d are given", nin))
	}
	if _, why := w.intervals(d.Get("Domain"), nin, "Domain"); why != "" {
		return bad(why)
	}
	dom, _ := w.numbers(d.Get("Domain"))
	n := -1
	if r := d.Get("Range"); r != nil {
		k, why := w.intervals(r, -1, "Range")
		if why != "" {
			return bad(why)
		}
		n = k
	} else if ft == 0 || ft == 4 {
		return bad("no /Range")
	}
	switch ft {
	case 0:
		size, ok := w.numbers(d.Get("Size"))
		if !ok || len(size) != nin {
			return bad(fmt.Sprintf("a /Size that is not %d integers", nin))
		}
		total := float64(n)
		for _, s := range size {
			if s < 1 || s != math.Trunc(s) {
				return bad("a /Size entry that is not a positive integer")
			}
			total *= s
		}
		bps, _ := pdf.IntOf(w.resolve(d.Get("BitsPerSample")))
		if !sampleBits(bps) {
			return bad(fmt.Sprintf("%d bits per sample, which ISO 32000 does not allow", bps))
		}
		if ord := d.Get("Order"); ord != nil {
			if v, _ := pdf.IntOf(w.resolve(ord)); v != 1 && v != 3 {
				return bad("an /Order other than 1 or 3")
			}
		}
		if e := d.Get("Encode"); e != nil {
			if _, why := w.intervals(e, nin, "Encode"); why != "" {
				return bad(why)
			}
		}
		if e := d.Get("Decode"); e != nil {
			if v, ok := w.numbers(e); !ok || len(v) != 2*n {
				return bad(fmt.Sprintf("a /Decode that is not %d numbers in range", 2*n))
			}
		}
		if total > maxFunctionSamples {
			return bad(fmt.Sprintf("%.0f samples, too many to check", total))
		}
		data, err := w.a.v.f.OptionalStreamData(st)
		if err != nil {
			return bad(fmt.Sprintf("samples that cannot be decoded (%v)", err))
		}
		if need := int64((total*float64(bps) + 7) / 8); int64(len(data)) < need {
			return bad(fmt.Sprintf("%d of the %d bytes of samples it declares", len(data), need))
		}
	case 2:
		c0, c1 := []float64{0}, []float64{1}
		if o := d.Get("C0"); o != nil {
			if c0, ok = w.numbers(o); !ok {
				return bad("a /C0 that is not numbers in range")
			}
		}
		if o := d.Get("C1"); o != nil {
			if c1, ok = w.numbers(o); !ok {
				return bad("a /C1 that is not numbers in range")
			}
		}
		if len(c0) != len(c1) || len(c0) == 0 {
			return bad(fmt.Sprintf("a /C0 of %d and a /C1 of %d numbers", len(c0), len(c1)))
		}
		if n >= 0 && n != len(c0) {
			return bad(fmt.Sprintf("a /Range of %d outputs and /C0 of %d", n, len(c0)))
		}
		n = len(c0)
		e, ok := pdf.Number(w.resolve(d.Get("N")))
		if !ok || math.IsNaN(e) || math.Abs(e) >= maxContentNumber {
			return bad("an exponent /N that is not a number in range")
		}
		if e != math.Trunc(e) && dom[0] < 0 {
			return bad("a fractional exponent over a negative domain")
		}
		if e < 0 && dom[0] <= 0 && dom[1] >= 0 {
			return bad("a negative exponent over a domain holding 0")
		}
	case 3:
		fa, ok := w.resolve(d.Get("Functions")).(pdf.Array)
		if !ok || len(fa) == 0 || len(fa) > 256 {
			return bad("no /Functions array of 1 to 256 functions")
		}
		for _, f := range fa {
			k, why := w.function(f, 1, n, depth+1)
			if why != "" {
				return 0, why
			}
			n = k
		}
		b, ok := w.numbers(d.Get("Bounds"))
		if !ok || len(b) != len(fa)-1 {
			return bad(fmt.Sprintf("a /Bounds that is not %d numbers", len(fa)-1))
		}
		prev := dom[0]
		for i, x := range b {
			if x < prev || (i == 0 && x == dom[0] && len(b) > 0 && dom[0] == dom[1]) || x > dom[1] {
				return bad("/Bounds that are not increasing inside its domain")
			}
			prev = x
		}
		if _, why := w.intervals2(d.Get("Encode"), len(fa)); why != "" {
			return bad(why)
		}
	case 4:
		data, err := w.a.v.f.OptionalStreamData(st)
		if err != nil {
			return bad(fmt.Sprintf("a program that cannot be decoded (%v)", err))
		}
		if why := calculatorProgram(data, nin, n); why != "" {
			return bad(why)
		}
	}
	if nout >= 0 && n != nout {
		return bad(fmt.Sprintf("%d outputs where its colour space takes %d", n, nout))
	}
	return n, ""
}

// intervals2 checks an /Encode of k pairs (the pairs of a type 3 function may run downwards).
func (w *imageWalk) intervals2(o pdf.Object, k int) (int, string) {
	v, ok := w.numbers(o)
	if !ok || len(v) != 2*k {
		return 0, fmt.Sprintf("an /Encode that is not %d numbers in range", 2*k)
	}
	return k, ""
}

// calcOps gives the operands each PostScript calculator operator pops and the results it
// pushes (ISO 32000-1 7.10.5); copy, index and roll are handled in code.
var calcOps = sync.OnceValue(func() map[string][2]int {
	return map[string][2]int{
		"abs": {1, 1}, "add": {2, 1}, "atan": {2, 1}, "ceiling": {1, 1}, "cos": {1, 1}, "cvi": {1, 1},
		"cvr": {1, 1}, "div": {2, 1}, "exp": {2, 1}, "floor": {1, 1}, "idiv": {2, 1}, "ln": {1, 1},
		"log": {1, 1}, "mod": {2, 1}, "mul": {2, 1}, "neg": {1, 1}, "round": {1, 1}, "sin": {1, 1},
		"sqrt": {1, 1}, "sub": {2, 1}, "truncate": {1, 1}, "and": {2, 1}, "bitshift": {2, 1},
		"eq": {2, 1}, "false": {0, 1}, "ge": {2, 1}, "gt": {2, 1}, "le": {2, 1}, "lt": {2, 1},
		"ne": {2, 1}, "not": {1, 1}, "or": {2, 1}, "true": {0, 1}, "xor": {2, 1},
		"dup": {1, 2}, "exch": {2, 2}, "pop": {1, 0},
	}
})

// calculatorProgram checks a type 4 function's program: one { … } of numbers, known operators
// and if/ifelse procedures, whose operand stack starting with nin inputs never underflows,
// never passes the depth readers support, and ends with nout values; a branch must leave the
// stack as deep as its alternative (readers that evaluate differently then still agree on the
// count).
func calculatorProgram(data []byte, nin, nout int) string {
	toks := psTokens(data)
	if len(toks) < 2 || toks[0] != "{" {
		return "a program that is not one { … } procedure"
	}
	end := procEnd(toks, 0)
	if end < 0 {
		return "a procedure that is not closed"
	}
	if end != len(toks)-1 {
		return "text after the program's procedure"
	}
	depth, why := calcRun(toks, 1, end, nin, 0)
	if why != "" {
		return why
	}
	if depth != nout {
		return fmt.Sprintf("a program that leaves %d values for %d outputs", depth, nout)
	}
	return ""
}

// procEnd returns the index of the "}" closing the "{" at toks[i], or -1.
func procEnd(toks []string, i int) int {
	level := 0
	for j := i; j < len(toks); j++ {
		switch toks[j] {
		case "{":
			level++
		case "}":
			level--
			if level == 0 {
				return j
			}
		}
	}
	return -1
}

// calcRun follows the tokens toks[from:to] of a procedure with the operand stack at depth and
// returns the depth after them; procedures run where if or ifelse runs them.
func calcRun(toks []string, from, to, depth, nest int) (int, string) {
	if nest > 16 {
		return 0, "procedures nested too deeply"
	}
	var procs [][2]int // the procedures just read, waiting for if or ifelse
	for i := from; i < to; i++ {
		t := toks[i]
		switch {
		case t == "{":
			end := procEnd(toks, i)
			if end < 0 || end >= to {
				return 0, "a procedure that is not closed"
			}
			procs = append(procs, [2]int{i + 1, end})
			i = end
			continue
		case t == "}":
			return 0, "a } without its {"
		case t == "if" || t == "ifelse":
			want := 1
			if t == "ifelse" {
				want = 2
			}
			if len(procs) != want {
				return 0, fmt.Sprintf("%s without %d procedure(s)", t, want)
			}
			if depth < 1 {
				return 0, "a stack underflow"
			}
			depth-- // the condition
			after := -1
			for _, p := range procs {
				d, why := calcRun(toks, p[0], p[1], depth, nest+1)
				if why != "" {
					return 0, why
				}
				if after >= 0 && d != after {
					return 0, "an ifelse whose branches leave different stack depths"
				}
				after = d
			}
			if t == "if" && after != depth {
				return 0, "an if whose procedure changes the stack depth"
			}
			depth = after
			procs = procs[:0]
			continue
		case len(procs) > 0:
			return 0, "a procedure not followed by if or ifelse"
		case psNumber(t):
			depth++
		case t == "roll":
			// n j roll with both literal (j may be negative).
			n, ok := -1, false
			if i >= 2 {
				n, ok = psInt(toks[i-2])
			}
			if _, okj := psSignedInt(toks[i-1]); !ok || !okj || depth-2 < n {
				return 0, "roll without literal counts within the stack"
			}
			depth -= 2
		case t == "copy" || t == "index":
			k, ok := psInt(toks[i-1])
			if !ok {
				return 0, t + " without a literal count"
			}
			if t == "copy" {
				if depth-1 < k {
					return 0, "a stack underflow"
				}
				depth += k - 1
			} else if depth-1 <= k {
				return 0, "a stack underflow"
			}
		default:
			e, ok := calcOps()[t]
			if !ok {
				return 0, fmt.Sprintf("an operator %q the calculator does not define", t)
			}
			if depth < e[0] {
				return 0, "a stack underflow"
			}
			depth += e[1] - e[0]
		}
		if depth > maxCalculatorStack {
			return 0, "a stack deeper than readers support"
		}
	}
	if len(procs) > 0 {
		return 0, "a procedure not followed by if or ifelse"
	}
	return depth, ""
}

// psTokens splits a calculator program into tokens ({, }, numbers, operators); comments are
// dropped.
func psTokens(data []byte) []string {
	var out []string
	for i := 0; i < len(data) && len(out) < 100000; {
		c := data[i]
		switch {
		case pdf.IsWhite(c):
			i++
		case c == '%':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
		case c == '{' || c == '}':
			out = append(out, string(c))
			i++
		default:
			j := i
			for j < len(data) && !pdf.IsWhite(data[j]) && data[j] != '{' && data[j] != '}' && data[j] != '%' {
				j++
			}
			out = append(out, string(data[i:j]))
			i = j
		}
	}
	return out
}

// psNumber reports whether t is a number in the strict PDF syntax (no exponent, no radix).
func psNumber(t string) bool {
	if len(t) == 0 || len(t) > maxNumberToken {
		return false
	}
	i, digits, dot := 0, 0, false
	if t[0] == '+' || t[0] == '-' {
		i++
	}
	for ; i < len(t); i++ {
		switch {
		case t[i] >= '0' && t[i] <= '9':
			digits++
		case t[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// psSignedInt returns t's value when it is a small integer literal of either sign.
func psSignedInt(t string) (int, bool) {
	if strings.HasPrefix(t, "-") {
		v, ok := psInt(t[1:])
		return -v, ok
	}
	return psInt(strings.TrimPrefix(t, "+"))
}

// psInt returns t's value when it is a small non-negative integer literal.
func psInt(t string) (int, bool) {
	if !psNumber(t) || len(t) > 3 {
		return 0, false
	}
	v := 0
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// fullShading checks a shading of any type: its colour space, function and geometry (mesh
// data is checked by shading in coverimages.go).
func (w *imageWalk) fullShading(o pdf.Object) string {
	if w.absent(o) {
		return "" // a null entry names nothing to draw
	}
	d := w.a.cur.Dict(o)
	if d == nil {
		return "a shading that is not a dictionary or stream"
	}
	typ, ok := pdf.IntOf(w.resolve(d.Get("ShadingType")))
	if !ok || typ < 1 || typ > 7 {
		return "a shading of no type ISO 32000 defines"
	}
	what := fmt.Sprintf("a type %d shading", typ)
	if d.Get("Background") != nil {
		return what + " with /Background (MuPDF paints it under sh, PDFium and ISO 32000 do not)"
	}
	if b := d.Get("BBox"); b != nil && !w.numbersInRange(w.resolve(b), 4) {
		return what + " with a /BBox that is not four numbers in range"
	}
	cs := d.Get("ColorSpace")
	if cs == nil {
		return what + " without a colour space"
	}
	if n, ok := w.resolve(cs).(pdf.Name); ok && n == "Pattern" {
		return what + " in the /Pattern colour space"
	}
	if why := w.colourSpaceProblem(cs, nil, false, 0); why != "" {
		return what + " with " + why
	}
	ncomp := int(w.components(cs, nil, false, 0))
	if ncomp <= 0 {
		return what + " with a colour space the verifier cannot size"
	}
	fam := w.family(cs)
	fn := d.Get("Function")
	if fn == nil && typ <= 3 {
		return what + " without a /Function"
	}
	if fn != nil {
		if fam == "Indexed" || fam == "I" {
			return what + " with a /Function over an Indexed colour space"
		}
		nin := 1
		if typ == 1 {
			nin = 2
		}
		if fa, ok := w.resolve(fn).(pdf.Array); ok {
			if len(fa) != ncomp {
				return fmt.Sprintf("%s with %d functions for %d colour components", what, len(fa), ncomp)
			}
			for _, f := range fa {
				if _, why := w.function(f, nin, 1, 0); why != "" {
					return what + " with " + why
				}
			}
		} else if _, why := w.function(fn, nin, ncomp, 0); why != "" {
			return what + " with " + why
		}
	}
	switch typ {
	case 1:
		if o := d.Get("Domain"); o != nil {
			if _, why := w.intervals(o, 2, "Domain"); why != "" {
				return what + " with " + why
			}
		}
		if m := d.Get("Matrix"); m != nil {
			if why := w.formGeometry(pdf.Dict{"Matrix": m}, what); why != "" {
				return why
			}
		}
	case 2, 3:
		want := 4
		if typ == 3 {
			want = 6
		}
		c, ok := w.numbers(d.Get("Coords"))
		if !ok || len(c) != want {
			return fmt.Sprintf("%s whose /Coords are not %d numbers in range", what, want)
		}
		if typ == 3 && (c[2] < 0 || c[5] < 0) {
			return what + " with a negative radius"
		}
		if o := d.Get("Domain"); o != nil {
			if v, ok := w.numbers(o); !ok || len(v) != 2 {
				return what + " whose /Domain is not two numbers in range"
			}
		}
		if o := d.Get("Extend"); o != nil {
			a, ok := w.resolve(o).(pdf.Array)
			if !ok || len(a) != 2 {
				return what + " whose /Extend is not two booleans"
			}
			for _, e := range a {
				if _, ok := w.resolve(e).(pdf.Bool); !ok {
					return what + " whose /Extend is not two booleans"
				}
			}
		}
	}
	return w.shading(o) // mesh data (coverimages.go)
}

// absent reports whether a resource entry resolves to nothing or null (readers skip it; using
// it draws nothing in any of them).
func (w *imageWalk) absent(o pdf.Object) bool {
	switch w.resolve(o).(type) {
	case nil, pdf.Null:
		return true
	}
	return false
}

// family is the family name of a colour space ("" when it has none).
func (w *imageWalk) family(cs pdf.Object) pdf.Name {
	switch x := w.resolve(cs).(type) {
	case pdf.Name:
		return x
	case pdf.Array:
		if len(x) > 0 {
			n, _ := w.resolve(x[0]).(pdf.Name)
			return n
		}
	}
	return ""
}

// fillSpace checks a colour space an appearance paints with (cs, CS, a /ColorSpace entry):
// /Pattern, with or without the base space of uncoloured patterns, or one images may use.
func (w *imageWalk) fillSpace(cs pdf.Object) string {
	if w.absent(cs) {
		return ""
	}
	x := w.resolve(cs)
	if n, ok := x.(pdf.Name); ok && n == "Pattern" {
		return ""
	}
	if a, ok := x.(pdf.Array); ok && len(a) > 0 && w.family(a) == "Pattern" {
		if len(a) == 1 {
			return ""
		}
		if len(a) != 2 {
			return "a /Pattern colour space with more than a base space"
		}
		if why := w.colourSpaceProblem(a[1], nil, false, 0); why != "" {
			return "a /Pattern colour space whose base has " + why
		}
		return ""
	}
	return w.colourSpaceProblem(cs, nil, false, 0)
}

// inlineSpace checks the colour space a cs or CS operand gives with resources res: a device
// space, /Pattern, a /ColorSpace entry of res, or an array written in line.
func (w *imageWalk) inlineSpace(o operand, res pdf.Dict) string {
	if o.kind == opArr {
		if why := w.fillSpace(operandObject(o)); why != "" {
			return "a colour space written in line: " + why
		}
		return ""
	}
	switch o.name {
	case "DeviceGray", "DeviceRGB", "DeviceCMYK", "Pattern":
		return ""
	}
	entry := w.a.cur.Dict(res.Get("ColorSpace")).Get(o.name)
	if entry == nil || w.absent(entry) {
		return fmt.Sprintf("a colour space /%s its resources lack", o.name)
	}
	if why := w.fillSpace(entry); why != "" {
		return fmt.Sprintf("colour space /%s: %s", o.name, why)
	}
	return ""
}

// operandObject turns a content operand back into a PDF object.
func operandObject(o operand) pdf.Object {
	switch o.kind {
	case opNum:
		if o.num == math.Trunc(o.num) {
			return pdf.Int(int64(o.num))
		}
		return pdf.Real{Value: o.num}
	case opName:
		return o.name
	case opStr:
		return pdf.String{Bytes: o.str}
	case opArr:
		a := make(pdf.Array, len(o.arr))
		for i, e := range o.arr {
			a[i] = operandObject(e)
		}
		return a
	case 'd': // a dictionary: its keys and values alternate
		d := pdf.Dict{}
		for i := 0; i+1 < len(o.arr); i += 2 {
			if o.arr[i].kind == opName {
				d[o.arr[i].name] = operandObject(o.arr[i+1])
			}
		}
		return d
	}
	return nil
}

// pattern checks a pattern resource (tiling or shading) besides its cell content and shading.
func (w *imageWalk) pattern(o pdf.Object, name pdf.Name) string {
	what := "pattern /" + string(name)
	if w.absent(o) {
		return ""
	}
	switch x := w.resolve(o).(type) {
	case *pdf.Stream:
		d := x.Dict
		if pt, _ := pdf.IntOf(w.resolve(d.Get("PatternType"))); pt != 1 {
			return what + " is a stream that is not a tiling pattern"
		}
		if v, _ := pdf.IntOf(w.resolve(d.Get("PaintType"))); v != 1 && v != 2 {
			return what + " with a /PaintType other than 1 or 2"
		}
		if v, _ := pdf.IntOf(w.resolve(d.Get("TilingType"))); v < 1 || v > 3 {
			return what + " with a /TilingType other than 1 to 3"
		}
		for _, k := range []pdf.Name{"XStep", "YStep"} {
			v, ok := pdf.Number(w.resolve(d.Get(k)))
			if !ok || v == 0 || math.IsNaN(v) || math.Abs(v) >= maxContentNumber {
				return fmt.Sprintf("%s with a /%s that is not a non-zero number in range", what, k)
			}
		}
		b, ok := w.numbers(d.Get("BBox"))
		if !ok || len(b) != 4 || b[0] == b[2] || b[1] == b[3] {
			return what + " with a /BBox that is not a rectangle of non-zero area"
		}
	case pdf.Dict:
		if pt, _ := pdf.IntOf(w.resolve(x.Get("PatternType"))); pt != 2 {
			return what + " is a dictionary that is not a shading pattern"
		}
		if x.Get("Shading") == nil {
			return what + " without a shading"
		}
		if gs := x.Get("ExtGState"); gs != nil {
			if why := w.extGState(gs); why != "" {
				return what + " with " + why
			}
		}
	default:
		return what + " that is not a pattern"
	}
	return ""
}

// iccHeader checks that an ICC profile's header declares n components (ISO 32000-1 8.6.5.5:
// /N shall match the profile).
func iccHeader(data []byte, n int64) string {
	if len(data) < 128 || !bytes.Equal(data[36:40], []byte("acsp")) {
		return "an ICC profile that is not one (no ICC header)"
	}
	want := map[string]int64{"GRAY": 1, "RGB ": 3, "CMYK": 4, "Lab ": 3}[string(data[16:20])]
	if want != n {
		return fmt.Sprintf("an ICC profile of colour space %q declared with /N %d", data[16:20], n)
	}
	return ""
}

// dictOrStream splits a resolved function or shading object into its dictionary and, for a
// stream, the stream itself; ok is false for anything else.
func dictOrStream(o pdf.Object) (d pdf.Dict, st *pdf.Stream, ok bool) {
	switch x := o.(type) {
	case pdf.Dict:
		return x, nil, true
	case *pdf.Stream:
		return x.Dict, x, true
	}
	return nil, nil, false
}
