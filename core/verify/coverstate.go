package verify

import (
	"fmt"
	"math"

	"sealdesk/core/pdf"
)

// Graphics states, fonts and paths that readers draw differently (red team s7 G7, G8, G10).
// The cover check renders with PDFium, which reads some ill-formed values as "draw nothing"
// where poppler and MuPDF fall back to a default and paint: an ExtGState /ca /Foo (a name
// where a number belongs) made PDFium paint a white box transparent, poppler and MuPDF opaque;
// a soft mask whose group has no /Group, or whose /TR is a function without samples, is
// ignored or evaluated differently; a Type 3 font with /Encoding /StandardEncoding (a name,
// where ISO 32000 requires a dictionary) or a Type0 font without /DescendantFonts is not drawn
// by PDFium and drawn by the others; a zero-length curve stroked with round caps is a dot in
// poppler and MuPDF and nothing in PDFium; a negative line width or dash entry is read
// differently by each. Each erased the signed amount in poppler or MuPDF while the rendering
// comparison saw nothing.
//
// So in an added or changed appearance, and in everything it draws (forms, patterns, Type 3
// glyphs, soft-mask groups), these must be well formed in the strict sense every reader agrees on:
//   - every ExtGState: a dictionary; /CA /ca numbers in [0, 1]; /LW a number ≥ 0; /LC /LJ
//     0, 1 or 2; /ML a number in [1, 1000]; /D a valid dash ([array phase], entries ≥ 0, not
//     all zero, phase ≥ 0); /BM Normal, Compatible or Multiply, or a non-empty array of them
//     (safeBlendModes: the others are drawn differently; Multiply not for text and not inside
//     an isolated or knockout group), and an annotation's own /BM Normal;
//     /SMask /None or a dictionary with /S /Alpha or /Luminosity, a /G form with a transparency
//     /Group, a /BC of numbers matching the group's colour space, /TR absent or /Identity;
//     /TR /TR2 absent, /Identity or /Default; /AIS /SA /OP /op /TK booleans; /OPM 0 or 1;
//     /FL /SM numbers; /Font [font size]; /RI a name;
//   - every font: a known /Subtype; Type1, MMType1 and TrueType with /BaseFont; a Type 3
//     font with /FontBBox, /FontMatrix, /CharProcs, /FirstChar, /LastChar, /Widths and an
//     /Encoding dictionary with /Differences, and /Resources when its glyphs name any; a Type0
//     font with /Encoding and exactly one descendant CIDFontType0 or CIDFontType2; a simple
//     font's /Encoding, when present, one of the standard names or a dictionary;
//   - every path: line width w ≥ 0; caps J and joins j 0, 1 or 2; miter limit M in [1, 1000];
//     a dash d with entries ≥ 0, not all zero, a period of at least 0.01 and a phase ≥ 0; no
//     subpath of zero length (a lone point, a closed point, a curve or line to itself, a
//     rectangle of no width and no height) stroked with round or projecting caps — ISO 32000
//     draws it as a dot, PDFium leaves it out.
// Images are held to the same standard in coverimages.go (/Width, /Height, /BitsPerComponent
// 1, 2, 4, 8 or 16 and a /ColorSpace unless an image mask or JPX).

// maxMiterLimit bounds the miter limit of checked content: readers cap long miters differently
// and no producer writes more.
const maxMiterLimit = 1000

// minDashPeriod is the shortest dash period accepted (user space units): a pattern of tiny
// dashes made poppler run for minutes and is drawn differently by each reader.
const minDashPeriod = 0.01

// degenerateExtent is the largest extent (user space units) of a subpath counted as of zero
// length.
const degenerateExtent = 1e-3

// knownBlendModes are the blend modes of ISO 32000-1 table 136 and 137.
var knownBlendModes = map[pdf.Name]bool{
	"Normal": true, "Compatible": true, "Multiply": true, "Screen": true, "Overlay": true,
	"Darken": true, "Lighten": true, "ColorDodge": true, "ColorBurn": true, "HardLight": true,
	"SoftLight": true, "Difference": true, "Exclusion": true, "Hue": true, "Saturation": true,
	"Color": true, "Luminosity": true,
}

// safeBlendModes are the blend modes an added appearance may use (red team s10 WIN 6–8): every
// other one is drawn differently by the readers — over an achromatic page Hue, Saturation,
// Color, Lighten, Screen, Difference, Exclusion and ColorDodge leave black ink invisible in
// PDFium, pdf.js and MuPDF while poppler paints text in annotation appearances without blending
// ("Price: USD 18,000.00 per unit, 500 units"). Multiply is what highlighters use; it stays, but
// not for text (poppler paints that text too) and not inside an isolated or knockout group
// (MuPDF composites such a group onto a transparent backdrop, so white × Multiply lands as
// opaque white and erased "not" from a signed clause while PDFium drew nothing).
var safeBlendModes = map[pdf.Name]bool{"Normal": true, "Compatible": true, "Multiply": true}

// blendOf returns the blend mode a /BM value selects: a name, or the first name of an array
// readers know (ISO 32000-1 11.6.3); "" when absent or not one.
func (w *imageWalk) blendOf(o pdf.Object) pdf.Name {
	switch b := w.resolve(o).(type) {
	case pdf.Name:
		return b
	case pdf.Array:
		for _, e := range b {
			if n, ok := w.resolve(e).(pdf.Name); ok && knownBlendModes[n] {
				return n
			}
		}
	}
	return ""
}

// standardEncodings are the encodings a simple font may name.
var standardEncodings = map[pdf.Name]bool{
	"StandardEncoding": true, "MacRomanEncoding": true, "WinAnsiEncoding": true, "MacExpertEncoding": true,
}

// pathState is the part of the graphics state and the current path the path rules need. The
// zero value is the initial state (line width 1, butt caps).
type pathState struct {
	bm      pdf.Name // the blend mode the last gs set ("" or Normal: none)
	cap     int
	lw      float64 // the line width minus 1 (so that the zero value is the initial width)
	started bool    // a subpath is open
	x0, y0  float64 // its first point
	ext     float64 // the largest distance of its points from the first one (per axis)
	cur     bool    // a current point exists while no subpath is open (after h or re)
	cx, cy  float64 // that point
	// the smallest extent of the current path's ended subpaths, open and closed (-1: none)
	minOpen, minClosed float64
	any                bool // minOpen and minClosed are set
}

// width is the current line width.
func (p *pathState) width() float64 { return p.lw + 1 }

// moveTo starts a subpath at (x, y).
func (p *pathState) moveTo(x, y float64) {
	p.endSubpath(false)
	p.started, p.x0, p.y0, p.ext = true, x, y, 0
}

// lineTo adds a point of the current subpath (a segment's end or control point).
func (p *pathState) lineTo(x, y float64) {
	if !p.started {
		if !p.cur {
			return // no current point: readers ignore the segment
		}
		p.started, p.x0, p.y0, p.ext = true, p.cx, p.cy, 0
	}
	p.ext = max(p.ext, math.Abs(x-p.x0), math.Abs(y-p.y0))
}

// endSubpath ends the current subpath (closed by h or re); a closed one leaves its first point
// current.
func (p *pathState) endSubpath(closed bool) {
	if p.started {
		if !p.any {
			p.any, p.minOpen, p.minClosed = true, -1, -1
		}
		m := &p.minOpen
		if closed {
			m = &p.minClosed
		}
		if *m < 0 || p.ext < *m {
			*m = p.ext
		}
		if closed {
			p.cur, p.cx, p.cy = true, p.x0, p.y0
		} else {
			p.cur = false
		}
	}
	p.started = false
}

// newPath forgets the current path (after painting).
func (p *pathState) newPath() { p.started, p.cur, p.any = false, false, false }

// strokeProblem returns why stroking the current path draws what readers draw differently:
// a subpath of zero length with round or projecting caps, or closed (ISO 32000 draws it as a
// dot, PDFium leaves it out), or one shorter than the line width (a blob: PDFium leaves out a
// closed subpath under a pixel with round or bevel joins that poppler and MuPDF draw as a
// dot of the line width).
func (p *pathState) strokeProblem() string {
	if !p.any {
		return ""
	}
	w := p.width()
	if p.minOpen >= 0 && p.minOpen <= degenerateExtent && p.cap != 0 {
		kind := "round"
		if p.cap == 2 {
			kind = "projecting"
		}
		return fmt.Sprintf("a subpath of zero length stroked with %s caps (a dot in poppler and MuPDF, nothing in PDFium)", kind)
	}
	if p.minClosed >= 0 && p.minClosed <= degenerateExtent {
		return "a closed subpath of zero length stroked (a dot in poppler and MuPDF, nothing in PDFium)"
	}
	if p.minClosed >= 0 && p.minClosed < w || p.minOpen > degenerateExtent && p.minOpen < w {
		return fmt.Sprintf("a subpath smaller than its line width %v stroked (a dot in poppler and MuPDF, PDFium may leave it out)", w)
	}
	return ""
}

// pathOp applies content operator op with operands ops to the path state and returns why it
// breaks the path rules above; "" when it keeps them. res are the resources it is drawn with.
func (w *imageWalk) pathOp(p *pathState, op string, ops []operand, res pdf.Dict) string {
	if w.glyphNoRes {
		if why := namesResource(op, ops); why != "" {
			return "a Type 3 glyph without /Resources in its font that names " + why + " (readers look it up in different places)"
		}
	}
	switch op {
	case "w":
		if ops[0].num < 0 {
			return fmt.Sprintf("a negative line width (%v w)", ops[0].num)
		}
		p.lw = ops[0].num - 1
	case "J", "j":
		if v := ops[0].num; v != 0 && v != 1 && v != 2 {
			return fmt.Sprintf("a line cap or join %v %s outside 0, 1 and 2", v, op)
		}
		if op == "J" {
			p.cap = int(ops[0].num)
		}
	case "M":
		if v := ops[0].num; v < 1 || v > maxMiterLimit {
			return fmt.Sprintf("a miter limit %v M outside 1–%d", v, maxMiterLimit)
		}
	case "d":
		dash := make([]float64, len(ops[0].arr))
		for i, e := range ops[0].arr {
			dash[i] = e.num
		}
		if why := dashProblem(dash, ops[1].num); why != "" {
			return why
		}
	case "gs":
		gs := w.a.cur.Dict(w.a.cur.Dict(res.Get("ExtGState")).Get(ops[0].name))
		if x := gs.Get("BM"); x != nil {
			p.bm = w.blendOf(x)
		}
		if c, ok := pdf.IntOf(w.resolve(gs.Get("LC"))); ok {
			p.cap = int(c)
		}
		if v, ok := pdf.Number(w.resolve(gs.Get("LW"))); ok {
			p.lw = v - 1
		}
	case "Tj", "TJ", "'", "\"":
		if p.bm != "" && p.bm != "Normal" && p.bm != "Compatible" {
			return fmt.Sprintf("text shown with blend mode /%s (poppler paints text in annotation appearances without blending)", p.bm)
		}
	case "m":
		p.moveTo(ops[0].num, ops[1].num)
	case "l", "c", "v", "y":
		for k := 0; k+1 < len(ops); k += 2 {
			p.lineTo(ops[k].num, ops[k+1].num)
		}
	case "h":
		p.endSubpath(true)
	case "re":
		p.moveTo(ops[0].num, ops[1].num)
		p.lineTo(ops[0].num+ops[2].num, ops[1].num+ops[3].num)
		p.endSubpath(true)
	case "s", "b", "b*":
		p.endSubpath(true)
		why := p.strokeProblem()
		p.newPath()
		return why
	case "S", "B", "B*":
		p.endSubpath(false)
		why := p.strokeProblem()
		p.newPath()
		return why
	case "f", "F", "f*", "n":
		p.endSubpath(false)
		p.newPath()
	}
	return ""
}

// namesResource names the resource content operator op looks up by name; "" for none.
func namesResource(op string, ops []operand) string {
	switch op {
	case "gs", "Tf", "Do", "sh":
		return "a resource (" + op + ")"
	case "cs", "CS":
		if ops[0].kind == opName {
			switch ops[0].name {
			case "DeviceGray", "DeviceRGB", "DeviceCMYK", "Pattern":
			default:
				return "a colour space (" + op + ")"
			}
		}
	case "scn", "SCN":
		if n := len(ops); n > 0 && ops[n-1].kind == opName {
			return "a pattern (" + op + ")"
		}
	case "BDC", "DP":
		if ops[1].kind == opName {
			return "a property list (" + op + ")"
		}
	}
	return ""
}

// dashProblem returns why a dash array and phase are not ones every reader draws alike.
func dashProblem(dash []float64, phase float64) string {
	sum := 0.0
	for _, v := range dash {
		if v < 0 {
			return fmt.Sprintf("a dash array with a negative entry (%v)", v)
		}
		sum += v
	}
	if len(dash) > 0 && sum == 0 {
		return "a dash array whose entries are all zero"
	}
	if len(dash) > 0 && sum*float64(2-len(dash)%2) < minDashPeriod {
		return fmt.Sprintf("a dash pattern with a period below %v", minDashPeriod)
	}
	if phase < 0 {
		return fmt.Sprintf("a negative dash phase (%v)", phase)
	}
	return ""
}

// resourceStates returns why an ExtGState or font that resources res hold is not well formed
// (the rules above); "" when all are.
func (w *imageWalk) resourceStates(res pdf.Dict) string {
	gsd := w.a.cur.Dict(res.Get("ExtGState"))
	for _, name := range gsd.Keys() {
		if why := w.extGState(gsd.Get(name)); why != "" {
			return fmt.Sprintf("ExtGState /%s with %s", name, why)
		}
	}
	fd := w.a.cur.Dict(res.Get("Font"))
	for _, name := range fd.Keys() {
		if why := w.fontProblem(fd.Get(name)); why != "" {
			return fmt.Sprintf("font /%s %s", name, why)
		}
	}
	return ""
}

// extGState returns why an ExtGState is not well formed; "" when it is.
func (w *imageWalk) extGState(o pdf.Object) string {
	gs, ok := w.resolve(o).(pdf.Dict)
	if !ok {
		return "a value that is not a dictionary"
	}
	num := func(k pdf.Name) (float64, bool, bool) { // value, present, a number
		x := gs.Get(k)
		if x == nil {
			return 0, false, true
		}
		v, ok := pdf.Number(w.resolve(x))
		return v, true, ok && !math.IsNaN(v) && math.Abs(v) < maxContentNumber
	}
	for _, k := range []pdf.Name{"CA", "ca"} {
		if v, present, ok := num(k); present && (!ok || v < 0 || v > 1) {
			return fmt.Sprintf("/%s that is not a number in 0–1 (PDFium reads it as transparent, poppler and MuPDF as opaque)", k)
		}
	}
	if v, present, ok := num("LW"); present && (!ok || v < 0) {
		return "/LW that is not a number ≥ 0"
	}
	for _, k := range []pdf.Name{"LC", "LJ"} {
		if v, present, ok := num(k); present && (!ok || v != 0 && v != 1 && v != 2) {
			return fmt.Sprintf("/%s that is not 0, 1 or 2", k)
		}
	}
	if v, present, ok := num("ML"); present && (!ok || v < 1 || v > maxMiterLimit) {
		return fmt.Sprintf("/ML that is not a number in 1–%d", maxMiterLimit)
	}
	for _, k := range []pdf.Name{"FL", "SM"} {
		if v, present, ok := num(k); present && (!ok || v < 0) {
			return fmt.Sprintf("/%s that is not a number ≥ 0", k)
		}
	}
	if v, present, ok := num("OPM"); present && (!ok || v != 0 && v != 1) {
		return "/OPM that is not 0 or 1"
	}
	for _, k := range []pdf.Name{"AIS", "SA", "OP", "op", "TK"} {
		if x := gs.Get(k); x != nil {
			if _, ok := w.resolve(x).(pdf.Bool); !ok {
				return fmt.Sprintf("/%s that is not a boolean", k)
			}
		}
	}
	if x := gs.Get("RI"); x != nil {
		if _, ok := w.resolve(x).(pdf.Name); !ok {
			return "/RI that is not a name"
		}
	}
	if x := gs.Get("D"); x != nil {
		if why := w.dashEntry(x); why != "" {
			return "/D that is " + why
		}
	}
	if x := gs.Get("BM"); x != nil {
		switch b := w.resolve(x).(type) {
		case pdf.Name:
			if !knownBlendModes[b] {
				return fmt.Sprintf("/BM /%s, a blend mode ISO 32000 does not name", b)
			}
			if !safeBlendModes[b] {
				return fmt.Sprintf("/BM /%s, a blend mode readers draw differently (only Normal and Multiply)", b)
			}
		case pdf.Array:
			if len(b) == 0 {
				return "/BM that is an empty array"
			}
			for _, e := range b {
				n, ok := w.resolve(e).(pdf.Name)
				if !ok || !knownBlendModes[n] {
					return "/BM naming a blend mode ISO 32000 does not name"
				}
				if !safeBlendModes[n] {
					return fmt.Sprintf("/BM naming /%s, a blend mode readers draw differently (only Normal and Multiply)", n)
				}
			}
		default:
			return "/BM that is neither a name nor an array"
		}
		if w.isolated > 0 && w.blendOf(x) == "Multiply" {
			return "/BM /Multiply inside an isolated or knockout transparency group (MuPDF composites the group onto a transparent backdrop and paints it opaque; PDFium blends it with the page)"
		}
	}
	for _, k := range []pdf.Name{"TR", "TR2"} {
		if x := gs.Get(k); x != nil {
			n, _ := w.resolve(x).(pdf.Name)
			if n != "Identity" && (n != "Default" || k != "TR2") {
				return fmt.Sprintf("/%s other than /Identity or /Default (readers apply transfer functions differently; MuPDF ignores them)", k)
			}
		}
	}
	if x := gs.Get("Font"); x != nil {
		fa, ok := w.resolve(x).(pdf.Array)
		if !ok || len(fa) != 2 {
			return "/Font that is not [font size]"
		}
		if _, ok := pdf.Number(w.resolve(fa[1])); !ok {
			return "/Font whose size is not a number"
		}
		if why := w.fontProblem(fa[0]); why != "" {
			return "/Font " + why
		}
	}
	if x := gs.Get("SMask"); x != nil {
		if why := w.softMask(x); why != "" {
			return "/SMask " + why
		}
	}
	return ""
}

// dashEntry returns why an ExtGState /D is not [dash-array phase] in the rules; "" when it is.
func (w *imageWalk) dashEntry(o pdf.Object) string {
	d, ok := w.resolve(o).(pdf.Array)
	if !ok || len(d) != 2 {
		return "not [dash-array phase]"
	}
	arr, ok := w.resolve(d[0]).(pdf.Array)
	if !ok || len(arr) > 64 {
		return "not [dash-array phase]"
	}
	dash := make([]float64, len(arr))
	for i, e := range arr {
		v, ok := pdf.Number(w.resolve(e))
		if !ok || math.Abs(v) >= maxContentNumber {
			return "a dash array with elements other than numbers"
		}
		dash[i] = v
	}
	phase, ok := pdf.Number(w.resolve(d[1]))
	if !ok || math.Abs(phase) >= maxContentNumber {
		return "a dash phase that is not a number"
	}
	return dashProblem(dash, phase)
}

// softMask returns why a soft mask is not /None or a well-formed mask dictionary.
func (w *imageWalk) softMask(o pdf.Object) string {
	switch m := w.resolve(o).(type) {
	case pdf.Name:
		if m == "None" {
			return ""
		}
		return fmt.Sprintf("/%s (only /None or a mask dictionary)", m)
	case pdf.Dict:
		s, _ := w.resolve(m.Get("S")).(pdf.Name)
		if s != "Alpha" && s != "Luminosity" {
			return "of a type other than /Alpha or /Luminosity"
		}
		g, ok := w.resolve(m.Get("G")).(*pdf.Stream)
		if !ok || g.Dict.NameOf("Subtype") != "Form" {
			return "whose /G is not a form XObject"
		}
		grp := w.a.cur.Dict(g.Dict.Get("Group"))
		if grp == nil || grp.NameOf("S") != "Transparency" {
			return "whose group form has no transparency /Group (readers evaluate it differently)"
		}
		if bc := m.Get("BC"); bc != nil {
			arr, ok := w.resolve(bc).(pdf.Array)
			cs := grp.Get("CS")
			if !ok || cs == nil || int64(len(arr)) != w.components(cs, nil, false, 0) {
				return "whose /BC does not match its group's colour space"
			}
			for _, e := range arr {
				if v, ok := pdf.Number(w.resolve(e)); !ok || v < 0 || v > 1 {
					return "whose /BC is not numbers in 0–1"
				}
			}
		}
		if tr := m.Get("TR"); tr != nil {
			if n, _ := w.resolve(tr).(pdf.Name); n != "Identity" {
				return "with a transfer function other than /Identity (readers evaluate it differently)"
			}
		}
		return ""
	}
	return "that is neither /None nor a dictionary"
}

// fontProblem returns why a font dictionary is not one every reader loads alike by the rules
// above; "" when it is.
func (w *imageWalk) fontProblem(o pdf.Object) string {
	fd, ok := w.resolve(o).(pdf.Dict)
	if !ok {
		return "that is not a dictionary"
	}
	sub := fd.NameOf("Subtype")
	switch sub {
	case "Type1", "MMType1", "TrueType":
		if _, ok := w.resolve(fd.Get("BaseFont")).(pdf.Name); !ok {
			return fmt.Sprintf("(a /%s font without /BaseFont)", sub)
		}
		switch e := w.resolve(fd.Get("Encoding")).(type) {
		case nil:
		case pdf.Name:
			if !standardEncodings[e] {
				return fmt.Sprintf("(an /Encoding /%s ISO 32000 does not name)", e)
			}
		case pdf.Dict:
			if why := w.encodingDict(e, false); why != "" {
				return why
			}
		default:
			return "(an /Encoding that is neither a name nor a dictionary)"
		}
	case "Type3":
		for _, k := range []pdf.Name{"FontBBox", "FontMatrix", "CharProcs", "FirstChar", "LastChar", "Widths"} {
			if fd.Get(k) == nil {
				return fmt.Sprintf("(a Type 3 font without /%s)", k)
			}
		}
		if _, ok := w.resolve(fd.Get("CharProcs")).(pdf.Dict); !ok {
			return "(a Type 3 font whose /CharProcs is not a dictionary)"
		}
		if _, ok := w.resolve(fd.Get("Widths")).(pdf.Array); !ok {
			return "(a Type 3 font whose /Widths is not an array)"
		}
		for _, k := range []pdf.Name{"FirstChar", "LastChar"} {
			if _, ok := pdf.IntOf(w.resolve(fd.Get(k))); !ok {
				return fmt.Sprintf("(a Type 3 font whose /%s is not an integer)", k)
			}
		}
		e, ok := w.resolve(fd.Get("Encoding")).(pdf.Dict)
		if !ok {
			return "(a Type 3 font whose /Encoding is not a dictionary: PDFium draws nothing, poppler and MuPDF draw its glyphs)"
		}
		if why := w.encodingDict(e, true); why != "" {
			return why
		}
	case "Type0":
		switch e := w.resolve(fd.Get("Encoding")).(type) {
		case pdf.Name:
		case *pdf.Stream:
			_ = e
		default:
			return "(a Type0 font without a CMap /Encoding)"
		}
		da, ok := w.resolve(fd.Get("DescendantFonts")).(pdf.Array)
		if !ok || len(da) != 1 {
			return "(a Type0 font without exactly one descendant font: PDFium draws nothing, poppler and MuPDF draw)"
		}
		cid, ok := w.resolve(da[0]).(pdf.Dict)
		if !ok {
			return "(a Type0 font whose descendant is not a dictionary)"
		}
		if s := cid.NameOf("Subtype"); s != "CIDFontType0" && s != "CIDFontType2" {
			return "(a Type0 font whose descendant is not a CIDFontType0 or CIDFontType2 font)"
		}
	default:
		return fmt.Sprintf("(a font of /Subtype /%s)", sub)
	}
	return ""
}

// encodingDict returns why an encoding dictionary is not one readers read alike: an optional
// standard /BaseEncoding and /Differences of integers and names (required for Type 3).
func (w *imageWalk) encodingDict(e pdf.Dict, type3 bool) string {
	if b := e.Get("BaseEncoding"); b != nil {
		if n, ok := w.resolve(b).(pdf.Name); !ok || !standardEncodings[n] {
			return "(an encoding whose /BaseEncoding ISO 32000 does not name)"
		}
	}
	diff := e.Get("Differences")
	if diff == nil {
		if type3 {
			return "(a Type 3 font whose /Encoding has no /Differences)"
		}
		return ""
	}
	arr, ok := w.resolve(diff).(pdf.Array)
	if !ok {
		return "(an encoding whose /Differences is not an array)"
	}
	for i, x := range arr {
		switch v := w.resolve(x).(type) {
		case pdf.Int:
			if v < 0 || v > 255 {
				return "(an encoding whose /Differences has a code outside 0–255)"
			}
		case pdf.Name:
			if i == 0 {
				return "(an encoding whose /Differences does not start with a code)"
			}
		default:
			return "(an encoding whose /Differences holds other than codes and names)"
		}
	}
	return ""
}
