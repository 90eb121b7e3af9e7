package verify

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"

	"sealdesk/core/pdf"
)

// A filled field's appearance must show its value (red team s10 WIN 4). A field filled after
// signing has two faces: its value (/V), which pdf.js in forms mode, Acrobat once the field has
// focus, FDF/XFDF export and every form-data reader show, and its appearance stream, which
// poppler, PDFium and Acrobat draw. An order whose /V says 100 while its appearance draws 900
// read 900 in one reader and 100 in another, and the verifier called it a valid form fill.
//
// fillShown reads what the new appearance draws, the way a reader draws it, and requires that
// it reads as the value:
//
//   - the text: each string shown is decoded through the font it is drawn with — a simple font's
//     /Encoding (WinAnsi, MacRoman, Standard) with its /Differences glyph names to Unicode
//     (fillglyphs.go), a composite font (Identity-H only) through its ToUnicode map. Where a
//     font has both names and a ToUnicode map they must agree for every code drawn. The
//     characters are put in reading order by where they land (lines top to bottom, left to
//     right), so an order of operators cannot reorder digits, and the result must equal the
//     value with white space ignored (line splitting, comb cells, alignment and padding are
//     the producer's): a text field's /V (a password field: mask characters only), a choice
//     field's /V or the display text its /Opt pairs give it, every line of a list box one of its
//     options and the chosen ones among them;
//   - nothing else: only text, colour, marked content, rectangular clips, a background filled
//     over the whole box before the text, and border paths that stay within the border band
//     (twice the border width plus 1.5 pt from the box's edge; comb cell dividers too). No other
//     path, no curve, image, XObject, shading, inline image, Type 3 glyph, optional content,
//     graphics state beyond line styles and opaque painting, nor colour this check cannot read;
//   - every character visible: render modes 0–2 only (3 and 7 hide glyphs, 4–6 clip with them),
//     upright glyphs at least 2.5 pt high on the page and not squeezed below 10 % of their
//     width, no two characters drawn over one another, every one inside the box and its clip,
//     no border or other paint over them, and a colour that stands out from the background
//     (luminance differing by at least 0.2 from the box's fill, or from white paper).
//
// Fonts. A font the signed document already had (an unchanged object of the signed revision:
// the /DR font a filler names in /DA), or a standard face without a font program, draws the
// glyphs its encoding names; that is what the decoding reads. A font added after signing with
// its own program could draw any outline under any name, so it is accepted only for a face the
// signed /DR already embedded (signedFace, by /BaseFont without the subset prefix) and only
// where the decoding has two sources that agree: a simple font's glyph names and its ToUnicode
// map (both required); a composite font's ToUnicode map and, where the program has a cmap, the
// glyph that cmap gives each character (fillCmap). Acrobat, PDFBox, pdf.js and iText fill with
// the /DA font from /DR; DocuSign's PDFKit.NET (interop 007) fills with a new subset, without a
// cmap, of the LucidaConsole Type0 font its signed /DR embeds, and that fill must stay valid.
// What remains unchecked is a program whose outlines lie about its names, cmap and ToUnicode
// map, within a face the signed form embedded: only reading the rendered glyphs would see it.
//
// Buttons are judged by state: a check box or radio widget must show /AS equal to the field's
// value where it has that state, and otherwise Off.
//
// Each refusal is a disallowed change naming the field and what was wrong.

const (
	// maxFillGlyphs bounds the characters one filled appearance may draw.
	maxFillGlyphs = 2000
	// fillMinGlyphHeight is the smallest em height, in points on the page, a filled value may be drawn at.
	fillMinGlyphHeight = 2.5
	// fillMinSquash is the smallest width-to-height ratio of the text matrix (Tz 10 %).
	fillMinSquash = 0.1
	// fillMinContrast is the luminance difference text must keep from its background.
	fillMinContrast = 0.2
)

// fillShown names why widget w's appearance of filled field nf does not show its value, "" when it does.
func (a *analysis) fillShown(nf pdf.Field, w pdf.Widget) string {
	d := w.Dict
	if w.Ref.Num != 0 {
		if cd := a.cur.Dict(w.Ref); cd != nil {
			d = cd
		}
	}
	if d == nil {
		return ""
	}
	switch nf.Type {
	case "Btn":
		return a.buttonShown(nf, d)
	case "Tx", "Ch":
	default:
		return ""
	}
	want, why := a.fillWanted(nf)
	if why != "" {
		return why
	}
	var fallback []pdf.Dict
	if pages, err := a.cur.Pages(); err == nil {
		if p := a.widgetPage(w); p > 0 && p <= len(pages) {
			fallback = append(fallback, a.cur.Dict(a.cur.Dict(pages[p-1].Resources).Get("Font")))
		}
	}
	if cat, err := a.cur.Catalog(); err == nil {
		fallback = append(fallback, a.cur.Dict(a.cur.Dict(a.cur.Dict(cat.Get("AcroForm")).Get("DR")).Get("Font")))
	}
	for _, st := range a.appearanceStreams(d) {
		if st.Length > maxDecodedAppearance {
			return "an appearance too large to read"
		}
		data, err := a.v.f.OptionalStreamData(st)
		if err != nil {
			return "an appearance that cannot be decoded"
		}
		fw := &fillWalk{a: a, res: a.cur.Dict(st.Dict.Get("Resources")), fonts: map[string]*fillFont{}, fallback: fallback, list: want.list}
		if !fw.setBox(st, d, nf) {
			return "an appearance without a usable /BBox and /Rect"
		}
		if why := fw.walk(data); why != "" {
			return why
		}
		if why := fw.visible(); why != "" {
			return why
		}
		if why := want.match(fw.lines()); why != "" {
			return why
		}
		if why := fw.highlighted(want); why != "" {
			return why
		}
	}
	return ""
}

// buttonShown: a check box or radio widget shows the field's value where it has that state.
func (a *analysis) buttonShown(nf pdf.Field, d pdf.Dict) string {
	if nf.Flags&(1<<16) != 0 {
		return "" // push button: no value
	}
	vo, _ := a.cur.Resolve(nf.Value)
	v, ok := vo.(pdf.Name)
	if !ok {
		return ""
	}
	states := a.cur.Dict(a.cur.Dict(d.Get("AP")).Get("N"))
	if states == nil {
		return ""
	}
	aso, _ := a.cur.Resolve(d.Get("AS"))
	as, _ := aso.(pdf.Name)
	_, hasV := states[v]
	switch {
	case hasV && as != v:
		return fmt.Sprintf("a button whose value is /%s while its widget shows state /%s", v, as)
	case !hasV && as != "" && as != "Off" && states[as] != nil:
		return fmt.Sprintf("a button whose value is /%s while its widget shows state /%s", v, as)
	}
	return ""
}

// fillWant is what a filled appearance may read.
type fillWant struct {
	texts    []string // one of them, white space ignored (text fields, combo boxes)
	password bool     // mask characters only
	list     bool     // a list box: every line an option, the chosen ones among them
	options  []string
	chosen   []string
}

func fillNorm(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == 0:
			continue
		case r == '\u2019' || r == '\u2018':
			r = '\''
		case r == '\u201c' || r == '\u201d':
			r = '"'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fillWanted reads what field nf's appearance must show.
func (a *analysis) fillWanted(nf pdf.Field) (fillWant, string) {
	var w fillWant
	vo, err := a.cur.Resolve(nf.Value)
	if err != nil {
		return w, "a value that cannot be read"
	}
	var values []string
	switch v := vo.(type) {
	case pdf.String:
		values = []string{v.Text()}
	case *pdf.Stream:
		data, err := a.v.f.OptionalStreamData(v)
		if err != nil || len(data) > 1<<16 {
			return w, "a value stream that cannot be read"
		}
		values = []string{pdf.DecodeText(data)}
	case pdf.Array:
		for _, e := range v {
			if s, ok := a.resolveDeep(a.cur, e).(pdf.String); ok {
				values = append(values, s.Text())
			}
		}
	case pdf.Name:
		values = []string{string(v)}
	default:
		return w, "a value that is not text"
	}
	if nf.Type == "Tx" {
		w.texts = values
		w.password = nf.Flags&(1<<13) != 0
		return w, ""
	}
	// Choice: /Opt entries are strings or [export display] pairs.
	display := map[string]string{}
	optArr, _ := a.resolveDeep(a.cur, nf.Dict.Get("Opt")).(pdf.Array)
	for _, e := range optArr {
		x := a.resolveDeep(a.cur, e)
		if pair, ok := x.(pdf.Array); ok && len(pair) == 2 {
			ex, ok1 := a.resolveDeep(a.cur, pair[0]).(pdf.String)
			di, ok2 := a.resolveDeep(a.cur, pair[1]).(pdf.String)
			if ok1 && ok2 {
				display[ex.Text()] = di.Text()
				w.options = append(w.options, di.Text(), ex.Text())
			}
		} else if s, ok := x.(pdf.String); ok {
			w.options = append(w.options, s.Text())
		}
	}
	if nf.Flags&(1<<17) != 0 { // combo box
		for _, v := range values {
			w.texts = append(w.texts, v)
			if d, ok := display[v]; ok {
				w.texts = append(w.texts, d)
			}
		}
		return w, ""
	}
	w.list = true
	for _, v := range values {
		w.chosen = append(w.chosen, v)
		if d, ok := display[v]; ok {
			w.chosen = append(w.chosen, d)
		}
	}
	return w, ""
}

// match names how lines (the drawn text, in reading order) differ from what w allows.
func (w fillWant) match(lines []string) string {
	drawn := fillNorm(strings.Join(lines, ""))
	if w.password {
		if drawn == "" && fillNorm(strings.Join(w.texts, "")) == "" {
			return ""
		}
		if strings.Trim(drawn, "*•●") != "" || drawn == "" {
			return fmt.Sprintf("a password field whose appearance draws %q, not mask characters", cutShown(strings.Join(lines, " ")))
		}
		return ""
	}
	if w.list {
		opts := map[string]bool{}
		for _, o := range w.options {
			opts[fillNorm(o)] = true
		}
		seen := map[string]bool{}
		for _, l := range lines {
			n := fillNorm(l)
			if n == "" {
				continue
			}
			if !opts[n] {
				return fmt.Sprintf("a list box whose appearance draws %q, which is none of its options", cutShown(l))
			}
			seen[n] = true
		}
		for _, c := range w.chosen {
			if seen[fillNorm(c)] {
				return ""
			}
		}
		if len(w.chosen) == 0 {
			return ""
		}
		return fmt.Sprintf("a list box whose appearance does not show its chosen value %q", cutShown(w.chosen[0]))
	}
	for _, t := range w.texts {
		if fillNorm(t) == drawn {
			return ""
		}
	}
	want := ""
	if len(w.texts) > 0 {
		want = w.texts[0]
	}
	return fmt.Sprintf("value %q but an appearance that draws %q", cutShown(want), cutShown(strings.Join(lines, " ")))
}

func cutShown(s string) string {
	r := []rune(s)
	if len(r) > maxShownValue {
		return string(r[:maxShownValue]) + "…"
	}
	return s
}

// fillGlyph is one character a filled appearance draws, in the appearance's own space.
type fillGlyph struct {
	text     string
	b        box     // where it lies (origin to advance, descent to cap height)
	ink      box     // its core, for overlaps (inset from b)
	baseline float64 // y of its origin
	height   float64 // em height
}

// fillState is the part of the graphics state the walk follows.
type fillState struct {
	ctm            mat
	clip           box
	font           *fillFont
	size           float64
	tc, tw, tz     float64
	tl, ts         float64
	tr             int
	fill, stroke   colour
	fillOK, strOK  bool
	lineWidth      float64
	fillCS, strkCS int // components of the colour space set by cs/CS (0: unknown)
}

// fillWalk reads one appearance stream.
type fillWalk struct {
	a     *analysis
	res   pdf.Dict
	fonts map[string]*fillFont
	// fallback: where a font its /Resources lack is looked up (the page's, /AcroForm /DR's)
	fallback []pdf.Dict
	bbox     box
	band     float64 // the border band's width
	scale    float64 // points on the page per unit of the appearance's space
	combs    []float64
	glyphs   []fillGlyph
	marks    []box  // paths other than the background
	bg       colour // the background's colour (paper white without one)
	list     bool   // a list box: full-width selection highlights are allowed
	// highlights are a list box's selection highlights
	highlights []fillHighlight
	tokens     int
	text       bool
}

// setBox reads the appearance's box, its scale on the page and the border band.
func (fw *fillWalk) setBox(st *pdf.Stream, d pdf.Dict, nf pdf.Field) bool {
	a := fw.a
	bb, ok := pdf.RectFrom(a.cur, st.Dict.Get("BBox"))
	if !ok {
		return false
	}
	fw.bbox = rectBox(bb)
	if !fw.bbox.finite() || fw.bbox.x1-fw.bbox.x0 <= 0 || fw.bbox.y1-fw.bbox.y0 <= 0 {
		return false
	}
	fw.scale = 1
	if rc, ok := pdf.RectFrom(a.cur, d.Get("Rect")); ok {
		bw, bh := fw.bbox.x1-fw.bbox.x0, fw.bbox.y1-fw.bbox.y0
		rw, rh := math.Abs(rc.URX-rc.LLX), math.Abs(rc.URY-rc.LLY)
		if m, ok := a.resolveDeep(a.cur, st.Dict.Get("Matrix")).(pdf.Array); ok && len(m) == 6 {
			if b, _ := pdf.Number(m[1]); b != 0 {
				bw, bh = bh, bw // a rotated field (/MK /R 90 or 270)
			}
		}
		fw.scale = math.Min(rw/bw, rh/bh)
	}
	bw := 1.0
	if bs := a.cur.Dict(d.Get("BS")); bs != nil {
		if n, ok := pdf.Number(a.resolveDeep(a.cur, bs.Get("W"))); ok {
			bw = n
		}
	} else if bo, ok := a.resolveDeep(a.cur, d.Get("Border")).(pdf.Array); ok && len(bo) >= 3 {
		if n, ok := pdf.Number(a.resolveDeep(a.cur, bo[2])); ok {
			bw = n
		}
	}
	h := math.Min(fw.bbox.x1-fw.bbox.x0, fw.bbox.y1-fw.bbox.y0)
	fw.band = math.Min(2*math.Max(bw, 0)+1.5, h/4)
	if nf.Type == "Tx" && nf.Flags&(1<<24) != 0 {
		if n, ok := pdf.IntOf(a.resolveDeep(a.cur, nf.Dict.Get("MaxLen"))); ok && n > 1 && n <= 1000 {
			step := (fw.bbox.x1 - fw.bbox.x0) / float64(n)
			for i := int64(1); i < n; i++ {
				fw.combs = append(fw.combs, fw.bbox.x0+float64(i)*step)
			}
		}
	}
	fw.bg = colour{c: []float64{1}}
	return true
}

// walk reads the operators; it names the first thing a filled appearance may not draw.
func (fw *fillWalk) walk(data []byte) string {
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	pb := &paintBounds{} // its operand readers
	black := colour{c: []float64{0}}
	gs := fillState{ctm: identity, clip: fw.bbox, tz: 1, fill: black, stroke: black, fillOK: true, strOK: true, lineWidth: 1, fillCS: 1, strkCS: 1}
	var stack []fillState
	var ops []pdf.Object
	var path []fillSub
	clipPending := false
	var tm, tlm mat
	nums := func(n int) ([]float64, bool) {
		if len(ops) < n {
			return nil, false
		}
		return numsOf(ops[len(ops)-n:])
	}
	addPt := func(x, y float64, start bool) {
		px, py := gs.ctm.apply(x, y)
		if start || len(path) == 0 {
			path = append(path, fillSub{})
		}
		path[len(path)-1].pts = append(path[len(path)-1].pts, [2]float64{px, py})
	}
	for {
		fw.tokens++
		if fw.tokens > maxAppearanceTokens {
			return "an appearance too long to read"
		}
		t, err := lx.Next()
		if err != nil {
			return "an appearance that does not tokenise"
		}
		switch t.Kind {
		case pdf.TokEOF:
			return ""
		case pdf.TokInt:
			ops = append(ops, pdf.Int(t.Int))
			continue
		case pdf.TokReal:
			ops = append(ops, pdf.Real{Value: t.Real})
			continue
		case pdf.TokName:
			ops = append(ops, pdf.Name(t.Value))
			continue
		case pdf.TokString, pdf.TokHexString:
			ops = append(ops, pdf.String{Bytes: t.Value})
			continue
		case pdf.TokArrayOpen:
			arr, ok := pb.array(lx)
			if !ok {
				return "an appearance with an unreadable array"
			}
			ops = append(ops, arr)
			continue
		case pdf.TokDictOpen:
			if !pb.skipDict(lx) {
				return "an appearance with an unreadable dictionary"
			}
			ops = append(ops, pdf.Dict{})
			continue
		case pdf.TokKeyword:
		default:
			return "an appearance that does not tokenise"
		}
		op := string(t.Raw)
		bad := ""
		switch op {
		case "q":
			if len(stack) >= 64 {
				return "an appearance nesting q too deep"
			}
			stack = append(stack, gs)
		case "Q":
			if n := len(stack); n > 0 {
				gs, stack = stack[n-1], stack[:n-1]
			}
		case "cm":
			if n, ok := nums(6); ok {
				gs.ctm = mat{n[0], n[1], n[2], n[3], n[4], n[5]}.then(gs.ctm)
			} else {
				bad = "cm"
			}
		case "w":
			if n, ok := nums(1); ok {
				gs.lineWidth = n[0]
			}
		case "J", "j", "M", "d", "ri", "i":
		case "gs":
			if why := fw.extGState(ops); why != "" {
				return why
			}
		case "g", "rg", "k", "G", "RG", "K":
			cnt := map[string]int{"g": 1, "G": 1, "rg": 3, "RG": 3, "k": 4, "K": 4}[op]
			n, ok := nums(cnt)
			if !ok {
				bad = op
				break
			}
			c := colour{c: n}
			if op == strings.ToLower(op) {
				gs.fill, gs.fillOK, gs.fillCS = c, true, cnt
			} else {
				gs.stroke, gs.strOK, gs.strkCS = c, true, cnt
			}
		case "cs", "CS":
			name, _ := lastName(ops)
			n := fw.spaceComponents(name)
			c := colour{c: make([]float64, max(n, 1))} // the initial colour: black (0 in gray/RGB, 0 0 0 1 is not it for CMYK, close enough)
			if n == 4 {
				c.c[3] = 1
			}
			if op == "cs" {
				gs.fillCS, gs.fill, gs.fillOK = n, c, n > 0
			} else {
				gs.strkCS, gs.stroke, gs.strOK = n, c, n > 0
			}
		case "sc", "scn", "SC", "SCN":
			cnt := gs.fillCS
			if op[0] == 'S' {
				cnt = gs.strkCS
			}
			n, ok := nums(cnt)
			if _, isName := lastName(ops); isName || cnt == 0 || !ok || len(ops) != cnt {
				if op[0] == 'S' {
					gs.strOK = false
				} else {
					gs.fillOK = false
				}
				break
			}
			if op[0] == 'S' {
				gs.stroke, gs.strOK = colour{c: n}, true
			} else {
				gs.fill, gs.fillOK = colour{c: n}, true
			}
		case "BMC", "EMC", "MP", "DP":
		case "BDC":
			if len(ops) >= 2 {
				if tag, ok := ops[len(ops)-2].(pdf.Name); ok && tag == "OC" {
					return "an appearance with optional content (/OC), which readers show differently"
				}
			}
		case "m":
			if n, ok := nums(2); ok {
				addPt(n[0], n[1], true)
			} else {
				bad = op
			}
		case "l":
			if n, ok := nums(2); ok {
				addPt(n[0], n[1], false)
			} else {
				bad = op
			}
		case "re":
			if n, ok := nums(4); ok {
				addPt(n[0], n[1], true)
				addPt(n[0]+n[2], n[1], false)
				addPt(n[0]+n[2], n[1]+n[3], false)
				addPt(n[0], n[1]+n[3], false)
				path[len(path)-1].closed = true
			} else {
				bad = op
			}
		case "h":
			if len(path) > 0 {
				path[len(path)-1].closed = true
			}
		case "c", "v", "y":
			return "an appearance that draws curves besides its text"
		case "W", "W*":
			clipPending = true
		case "n", "f", "F", "f*", "S", "s", "B", "B*", "b", "b*":
			if clipPending {
				r, ok := rectOf(path)
				if !ok {
					return "an appearance clipping with a path that is not a rectangle"
				}
				gs.clip = gs.clip.intersect(r)
			}
			if op != "n" {
				fills := op != "S" && op != "s"
				strokes := op != "f" && op != "F" && op != "f*"
				if strokes && gs.lineWidth*gs.ctm.scale()/math.Sqrt2 > fw.band+0.01 {
					return fmt.Sprintf("an appearance stroking lines %.3g wide over its box", gs.lineWidth)
				}
				if (fills && !gs.fillOK) || (strokes && !gs.strOK) {
					return "an appearance painting in a colour this check cannot read"
				}
				full := func(sp fillSub) bool {
					r, ok := rectOf([]fillSub{sp})
					return ok && r.x0 <= fw.bbox.x0+fw.band && r.y0 <= fw.bbox.y0+fw.band && r.x1 >= fw.bbox.x1-fw.band && r.y1 >= fw.bbox.y1-fw.band
				}
				frame := len(path) > 1 && (op == "f*" || op == "B*" || op == "b*")
				for _, sp := range path {
					frame = frame && full(sp)
				}
				for _, sp := range path {
					pts := sp.pts
					if r, ok := rectOf([]fillSub{sp}); ok && fw.list && fills && !strokes && len(path) == 1 && len(fw.glyphs) == 0 &&
						r.x0 <= fw.bbox.x0+fw.band && r.x1 >= fw.bbox.x1-fw.band && !full(sp) {
						// A list box's selection highlight, behind its text: judged in fillShown.
						fw.highlights = append(fw.highlights, fillHighlight{r, gs.fill})
						continue
					}
					if fills && !frame && full(sp) {
						if len(fw.glyphs) > 0 {
							return "an appearance that paints its background over its text"
						}
						fw.bg = gs.fill
						continue
					}
					closed := sp.closed || fills
					for i := range pts {
						j := i + 1
						if j == len(pts) {
							if !closed || len(pts) < 3 {
								break
							}
							j = 0
						}
						if !fw.inBand(pts[i], pts[j], strokes && !fills) {
							return "an appearance that draws lines or shapes besides its text and border"
						}
						if strokes {
							fw.marks = append(fw.marks, box{math.Min(pts[i][0], pts[j][0]), math.Min(pts[i][1], pts[j][1]), math.Max(pts[i][0], pts[j][0]), math.Max(pts[i][1], pts[j][1])}.grow(gs.lineWidth*gs.ctm.scale()/2))
						}
					}
					if len(pts) > 0 && fills && !frame {
						b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
						for _, p := range pts {
							b = box{math.Min(b.x0, p[0]), math.Min(b.y0, p[1]), math.Max(b.x1, p[0]), math.Max(b.y1, p[1])}
						}
						fw.marks = append(fw.marks, b)
					}
				}
			}
			path, clipPending = path[:0], false
		case "BT":
			if fw.text {
				bad = op
			}
			fw.text = true
			tm, tlm = identity, identity
		case "ET":
			fw.text = false
		case "Tf":
			if len(ops) < 2 {
				bad = op
				break
			}
			name, isName := ops[len(ops)-2].(pdf.Name)
			sz, isNum := pdf.Number(ops[len(ops)-1])
			if !isName || !isNum {
				bad = op
				break
			}
			gs.font, gs.size = fw.font(name), sz
		case "Tc", "Tw", "Tz", "TL", "Ts", "Tr":
			n, ok := nums(1)
			if !ok {
				bad = op
				break
			}
			switch op {
			case "Tc":
				gs.tc = n[0]
			case "Tw":
				gs.tw = n[0]
			case "Tz":
				gs.tz = n[0] / 100
			case "TL":
				gs.tl = n[0]
			case "Ts":
				gs.ts = n[0]
			case "Tr":
				if n[0] != math.Trunc(n[0]) || n[0] < 0 || n[0] > 2 {
					return fmt.Sprintf("an appearance drawing its text in render mode %g (0–2 show glyphs, 3 and 7 hide them, 4–6 clip)", n[0])
				}
				gs.tr = int(n[0])
			}
		case "Td", "TD":
			n, ok := nums(2)
			if !ok {
				bad = op
				break
			}
			if op == "TD" {
				gs.tl = -n[1]
			}
			tlm = mat{1, 0, 0, 1, n[0], n[1]}.then(tlm)
			tm = tlm
		case "Tm":
			n, ok := nums(6)
			if !ok {
				bad = op
				break
			}
			tlm = mat{n[0], n[1], n[2], n[3], n[4], n[5]}
			tm = tlm
		case "T*":
			tlm = mat{1, 0, 0, 1, 0, -gs.tl}.then(tlm)
			tm = tlm
		case "Tj", "'", "\"", "TJ":
			if !fw.text {
				bad = op
				break
			}
			if op == "\"" {
				if len(ops) < 3 {
					bad = op
					break
				}
				n, ok := numsOf(ops[len(ops)-3 : len(ops)-1])
				if !ok {
					bad = op
					break
				}
				gs.tw, gs.tc = n[0], n[1]
			}
			if op == "'" || op == "\"" {
				tlm = mat{1, 0, 0, 1, 0, -gs.tl}.then(tlm)
				tm = tlm
			}
			var parts pdf.Array
			if op == "TJ" {
				if len(ops) == 0 {
					bad = op
					break
				}
				arr, ok := ops[len(ops)-1].(pdf.Array)
				if !ok {
					bad = op
					break
				}
				parts = arr
			} else {
				s, ok := lastString(ops)
				if !ok {
					bad = op
					break
				}
				parts = pdf.Array{pdf.String{Bytes: s}}
			}
			for _, p := range parts {
				switch x := p.(type) {
				case pdf.String:
					if why := fw.show(x.Bytes, &gs, &tm); why != "" {
						return why
					}
				default:
					n, ok := pdf.Number(x)
					if !ok {
						return "an appearance with a TJ array that is not strings and numbers"
					}
					tm = mat{1, 0, 0, 1, -n / 1000 * gs.size * gs.tz, 0}.then(tm)
				}
			}
		case "Do":
			return "an appearance that draws an XObject besides its text"
		case "BI", "ID", "EI":
			return "an appearance that draws an inline image besides its text"
		case "sh":
			return "an appearance that paints a shading besides its text"
		case "d0", "d1":
			return "an appearance that declares Type 3 glyph metrics"
		default:
			return fmt.Sprintf("an appearance using the operator %q, which a filled field's appearance has no need of", cutShown(op))
		}
		if bad != "" {
			return fmt.Sprintf("an appearance with a malformed %s", bad)
		}
		ops = ops[:0]
	}
}

// fillHighlight is a list box's selection highlight.
type fillHighlight struct {
	b box
	c colour
}

// highlighted names a highlighted line of a list box that is not among the chosen values.
func (fw *fillWalk) highlighted(w fillWant) string {
	for _, h := range fw.highlights {
		var on []fillGlyph
		for _, g := range fw.glyphs {
			cx, cy := (g.ink.x0+g.ink.x1)/2, (g.ink.y0+g.ink.y1)/2
			if cx >= h.b.x0 && cx <= h.b.x1 && cy >= h.b.y0 && cy <= h.b.y1 {
				on = append(on, g)
			}
		}
		sub := &fillWalk{glyphs: on}
		text := fillNorm(strings.Join(sub.lines(), ""))
		if text == "" {
			continue
		}
		ok := false
		for _, c := range w.chosen {
			ok = ok || fillNorm(c) == text
		}
		if !ok {
			return fmt.Sprintf("a list box highlighting %q, which is not its chosen value", cutShown(strings.Join(sub.lines(), " ")))
		}
	}
	return ""
}

// fillSub is a subpath, in the appearance's space.
type fillSub struct {
	pts    [][2]float64
	closed bool
}

// rectOf returns the axis-parallel rectangle a path of one four-corner subpath is.
func rectOf(path []fillSub) (box, bool) {
	if len(path) != 1 {
		return box{}, false
	}
	pts := path[0].pts
	if len(pts) == 5 && pts[4] == pts[0] {
		pts = pts[:4]
	}
	if len(pts) != 4 {
		return box{}, false
	}
	const eps = 1e-6
	for i := 0; i < 4; i++ {
		p, q := pts[i], pts[(i+1)%4]
		if math.Abs(p[0]-q[0]) > eps && math.Abs(p[1]-q[1]) > eps {
			return box{}, false
		}
	}
	b := box{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, p := range pts {
		b = box{math.Min(b.x0, p[0]), math.Min(b.y0, p[1]), math.Max(b.x1, p[0]), math.Max(b.y1, p[1])}
	}
	return b, b.finite()
}

// inBand reports whether the segment p–q lies along one edge of the box, within the border
// band, or (stroked only) is a comb cell divider.
func (fw *fillWalk) inBand(p, q [2]float64, strokeOnly bool) bool {
	b, w := fw.bbox, fw.band+0.01
	switch {
	case p[0] <= b.x0+w && q[0] <= b.x0+w:
	case p[0] >= b.x1-w && q[0] >= b.x1-w:
	case p[1] <= b.y0+w && q[1] <= b.y0+w:
	case p[1] >= b.y1-w && q[1] >= b.y1-w:
	default:
		if strokeOnly && math.Abs(p[0]-q[0]) < 0.01 {
			for _, x := range fw.combs {
				if math.Abs(p[0]-x) < 1 {
					return true
				}
			}
		}
		return false
	}
	return true
}

// spaceComponents: the components of a colour space cs names, 0 when this check cannot read it.
func (fw *fillWalk) spaceComponents(name pdf.Name) int {
	switch name {
	case "DeviceGray", "G":
		return 1
	case "DeviceRGB", "RGB":
		return 3
	case "DeviceCMYK", "CMYK":
		return 4
	}
	a := fw.a
	o := a.resolveDeep(a.cur, a.cur.Dict(fw.res.Get("ColorSpace")).Get(name))
	switch x := o.(type) {
	case pdf.Name:
		if x != name {
			return fw.spaceComponents(x)
		}
	case pdf.Array:
		if len(x) == 2 {
			if n, _ := a.resolveDeep(a.cur, x[0]).(pdf.Name); n == "ICCBased" {
				if st, ok := a.resolveDeep(a.cur, x[1]).(*pdf.Stream); ok {
					if c, ok := pdf.IntOf(a.resolveDeep(a.cur, st.Dict.Get("N"))); ok && (c == 1 || c == 3 || c == 4) {
						return int(c)
					}
				}
			}
		}
	}
	return 0
}

// extGState allows a graphics state that only sets line styles and paints opaquely.
func (fw *fillWalk) extGState(ops []pdf.Object) string {
	name, ok := lastName(ops)
	if !ok {
		return "an appearance with a malformed gs"
	}
	a := fw.a
	d := a.cur.Dict(a.cur.Dict(fw.res.Get("ExtGState")).Get(name))
	if d == nil {
		return fmt.Sprintf("an appearance naming a graphics state /%s it does not define", name)
	}
	for _, k := range d.Keys() {
		v := a.resolveDeep(a.cur, d.Get(k))
		switch k {
		case "Type", "LW", "LC", "LJ", "ML", "D", "RI", "FL", "SM", "SA", "OP", "op", "OPM", "AIS", "TK":
		case "CA", "ca":
			if n, ok := pdf.Number(v); !ok || n < 1 {
				return fmt.Sprintf("an appearance painting its text with /%s %v (not opaque)", k, pdf.Object(v))
			}
		case "BM":
			if n, _ := v.(pdf.Name); n != "Normal" && n != "Compatible" {
				return "an appearance with a blend mode"
			}
		case "SMask":
			if n, _ := v.(pdf.Name); n != "None" {
				return "an appearance with a soft mask"
			}
		default:
			return fmt.Sprintf("an appearance whose graphics state sets /%s", k)
		}
	}
	return ""
}

// show lays out the characters of one string.
func (fw *fillWalk) show(s []byte, gs *fillState, tm *mat) string {
	f := gs.font
	if f == nil {
		return "an appearance drawing text without a font"
	}
	if f.why != "" {
		return "an appearance drawing text in " + f.why
	}
	col, ok := gs.fill, gs.fillOK
	if gs.tr == 1 {
		col, ok = gs.stroke, gs.strOK
	}
	for i := 0; i < len(s); {
		code, n := int(s[i]), 1
		if f.two {
			if i+1 >= len(s) {
				return "an appearance drawing an odd byte in a two-byte font"
			}
			code, n = int(s[i])<<8|int(s[i+1]), 2
		}
		i += n
		txt, known := f.decode[code]
		if !known {
			return fmt.Sprintf("an appearance drawing code %d, which its font %s does not map to a character", code, f.name)
		}
		if f.conflict[code] {
			return fmt.Sprintf("an appearance drawing code %d of font %s, whose ToUnicode map disagrees with its glyph name or its program's own cmap (or lacks it)", code, f.name)
		}
		w0 := f.width(code)
		trm := mat{gs.size * gs.tz, 0, 0, gs.size, 0, gs.ts}.then(*tm).then(gs.ctm)
		adv := w0*gs.size + gs.tc
		if !f.two && code == 32 {
			adv += gs.tw
		}
		*tm = mat{1, 0, 0, 1, adv * gs.tz, 0}.then(*tm)
		if strings.TrimFunc(txt, unicode.IsSpace) == "" {
			continue
		}
		if len(fw.glyphs) >= maxFillGlyphs {
			return "an appearance drawing too many characters"
		}
		if h := math.Hypot(trm[2], trm[3]) * fw.scale; h < fillMinGlyphHeight {
			return fmt.Sprintf("an appearance drawing its text %.2g pt high", h)
		}
		if math.Abs(trm[1]) > 1e-6 || math.Abs(trm[2]) > 1e-6 || trm[0] <= 0 || trm[3] <= 0 {
			return "an appearance drawing its text rotated, mirrored or skewed"
		}
		if trm[0]/trm[3] < fillMinSquash {
			return fmt.Sprintf("an appearance squeezing its text to %.0f %% of its width", 100*trm[0]/trm[3])
		}
		if !ok {
			return "an appearance drawing text in a colour this check cannot read"
		}
		bg := fw.bg
		for _, h := range fw.highlights {
			if x, y := (trm[4] + trm[0]*w0/2), trm[5]+0.3*trm[3]; x >= h.b.x0 && x <= h.b.x1 && y >= h.b.y0 && y <= h.b.y1 {
				bg = h.c
			}
		}
		if math.Abs(luminance(col)-luminance(bg)) < fillMinContrast {
			return "an appearance drawing its text in a colour too close to its background"
		}
		w := math.Max(w0, 0.2)
		b := trm.boxOf(0, -0.1, w, 0.7)
		ink := trm.boxOf(0.15*w, 0.05, 0.85*w, 0.55)
		fw.glyphs = append(fw.glyphs, fillGlyph{text: txt, b: b, ink: ink, baseline: trm[5], height: trm[3]})
		if c := gs.clip.intersect(fw.bbox).grow(0.5); b.x0 < c.x0 || b.y0 < c.y0 || b.x1 > c.x1 || b.y1 > c.y1 {
			return fmt.Sprintf("an appearance drawing %q outside its box or clip", cutShown(txt))
		}
	}
	return ""
}

// luminance of a device colour (gray, RGB or CMYK).
func luminance(c colour) float64 {
	r, g, b, _ := c.rgb()
	return 0.2126*r + 0.7152*g + 0.0722*b
}

// visible: no two characters drawn over one another, no paint over a character.
func (fw *fillWalk) visible() string {
	for i, g := range fw.glyphs {
		for _, h := range fw.glyphs[i+1:] {
			if g.ink.overlaps(h.ink) {
				return fmt.Sprintf("an appearance drawing %q and %q over one another", g.text, h.text)
			}
		}
		for _, m := range fw.marks {
			if m.overlaps(g.ink) {
				return fmt.Sprintf("an appearance painting over %q", g.text)
			}
		}
	}
	return ""
}

// lines returns the drawn text in reading order: lines top to bottom, characters left to right.
func (fw *fillWalk) lines() []string {
	gs := append([]fillGlyph(nil), fw.glyphs...)
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].baseline > gs[j].baseline })
	var out []string
	for i := 0; i < len(gs); {
		j := i + 1
		for j < len(gs) && gs[i].baseline-gs[j].baseline <= 0.35*math.Min(gs[i].height, gs[j].height) {
			j++
		}
		line := gs[i:j]
		sort.SliceStable(line, func(x, y int) bool { return line[x].b.x0 < line[y].b.x0 })
		var b strings.Builder
		for k, g := range line {
			if k > 0 && g.b.x0-line[k-1].b.x1 > 0.15*g.height {
				b.WriteByte(' ') // a space the font drew as a gap (or an alignment)
			}
			b.WriteString(g.text)
		}
		out = append(out, b.String())
		i = j
	}
	return out
}
