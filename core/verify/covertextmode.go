package verify

import (
	"bytes"
	"math"

	"sealdesk/core/pdf"
)

// Text render modes that readers read differently (red team s5, cover shortcut round). PDFium
// reads the operand of Tr as an integer whatever its type — 3.0 Tr, 3.5 Tr and 3- Tr make the
// text invisible — while poppler ignores a Tr whose operand is not an integer and keeps drawing
// the text. Signed text set with "3.0 Tr" is thus shown by poppler but absent from PDFium's
// rendering of the signed revision, so a widget added over it changed nothing the cover check
// could see (rendering or shortcut): the file was valid while poppler showed the signed amount
// painted over. So a page whose signed content (its content streams, the forms, patterns, Type 3
// glyphs and soft masks its resources name, its annotations' normal appearances) sets a text
// render mode with such an operand cannot be checked by rendering; and an added appearance
// that sets one draws what readers draw differently (coverimages.go).

// maxTextModeStreams bounds the streams read for one page's check.
const maxTextModeStreams = 10000

// ambiguousTextMode reports whether content stream data has a Tr operator whose operand is a
// number token that is not a plain integer (3.0, .5, 3-, 6.0.0, an integer too long for 32 bits).
// It reads bytes, not tokens, so inline image data cannot hide an operator from it; a comment
// or a string that looks like such an operator only makes it cautious.
func ambiguousTextMode(data []byte) bool {
	for i := 0; ; i++ {
		k := bytes.Index(data[i:], []byte("Tr"))
		if k < 0 {
			return false
		}
		i += k
		if i > 0 && !isDelimOrSpace(data[i-1]) || i+2 < len(data) && !isDelimOrSpace(data[i+2]) {
			continue
		}
		j := i
		for j > 0 && isSpace(data[j-1]) {
			j--
		}
		end := j
		for j > 0 && !isDelimOrSpace(data[j-1]) {
			j--
		}
		if tok := data[j:end]; numberLike(tok) && !plainInt(tok) {
			return true
		}
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelimOrSpace(c byte) bool {
	return isSpace(c) || bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

func numberLike(tok []byte) bool {
	if len(tok) == 0 {
		return false
	}
	for _, c := range tok {
		if !(c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

func plainInt(tok []byte) bool {
	if tok[0] == '+' || tok[0] == '-' {
		tok = tok[1:]
	}
	if len(tok) == 0 || len(tok) > 9 {
		return false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// signedTextModeAmbiguous reports whether page p (1-based) as signed (a.old) sets a text render
// mode readers read differently, in its content or in what its resources and annotations'
// normal appearances name.
func (a *analysis) signedTextModeAmbiguous(p int) bool {
	pages, err := a.old.Pages()
	if err != nil || p > len(pages) {
		return false // the cover check reports what it cannot read
	}
	pg := pages[p-1]
	s := &textModeScan{pb: newPaintBounds(a.v.f, a.old, nil, nil), seen: map[*pdf.Stream]bool{}}
	s.pb.decoded = &a.v.content
	switch c := s.pb.resolve(pg.Dict.Get("Contents")).(type) {
	case *pdf.Stream:
		s.stream(c, nil)
	case pdf.Array:
		for _, e := range c {
			if st, ok := s.pb.resolve(e).(*pdf.Stream); ok {
				s.stream(st, nil)
			}
		}
	}
	s.outer = a.old.Dict(pg.Resources)
	s.resources(s.outer)
	if refs, ok := annotList(a.old, pg); ok {
		for _, r := range refs {
			ap := a.old.Dict(a.old.Dict(r).Get("AP"))
			switch n := s.pb.resolve(ap.Get("N")).(type) {
			case *pdf.Stream:
				s.form(n)
			case pdf.Dict:
				for _, k := range n.Keys() {
					if st, ok := s.pb.resolve(n.Get(k)).(*pdf.Stream); ok {
						s.form(st)
					}
				}
			}
		}
	}
	return s.found
}

type textModeScan struct {
	pb    *paintBounds
	outer pdf.Dict // the page's resources
	seen  map[*pdf.Stream]bool
	found bool
}

// stream checks one content stream; res, when not nil, are the resources it names.
func (s *textModeScan) stream(st *pdf.Stream, res pdf.Dict) {
	if s.found || s.seen[st] {
		return
	}
	s.seen[st] = true
	if len(s.seen) > maxTextModeStreams {
		return
	}
	if data := s.pb.streamData(st); data != nil && (ambiguousTextMode(data) || missingResourceName(s.pb.v, data, res, s.outer)) {
		s.found = true
		return
	}
	s.resources(res)
}

func (s *textModeScan) form(st *pdf.Stream) {
	s.stream(st, s.pb.v.Dict(st.Dict.Get("Resources")))
}

func (s *textModeScan) resources(res pdf.Dict) {
	if res == nil || s.found {
		return
	}
	v := s.pb.v
	for _, key := range []pdf.Name{"XObject", "Pattern"} {
		for _, o := range v.Dict(res.Get(key)) {
			if st, ok := s.pb.resolve(o).(*pdf.Stream); ok && st.Dict.NameOf("Subtype") != "Image" {
				s.form(st)
			}
		}
	}
	for _, o := range v.Dict(res.Get("Font")) {
		fd := v.Dict(o)
		if fd.NameOf("Subtype") != "Type3" {
			continue
		}
		fres := v.Dict(fd.Get("Resources"))
		for _, cp := range v.Dict(fd.Get("CharProcs")) {
			if st, ok := s.pb.resolve(cp).(*pdf.Stream); ok {
				s.stream(st, fres)
			}
		}
	}
	for _, o := range v.Dict(res.Get("ExtGState")) {
		if st, ok := s.pb.resolve(v.Dict(v.Dict(o).Get("SMask")).Get("G")).(*pdf.Stream); ok {
			s.form(st)
		}
	}
}

// Signed annotations that readers draw differently (same round). For an annotation with no
// normal appearance stream selected — no /AP, or an /N dictionary whose /AS names no stream in
// it — poppler builds an appearance (a FreeText's text from /Contents, a Square's fill, a Link's
// border, a widget's /MK background), and for a text markup annotation it draws the marks at
// /QuadPoints whatever its appearance; PDFium's rendering of the signed revision has none of that
// ink. A widget added over such an annotation thus hid what poppler showed as signed (a FreeText
// "Pay 1000000 yuan") and the file was valid. So when an added widget comes within coverGap of
// where poppler may draw such a signed annotation (its /Rect, and the points of /QuadPoints,
// /InkList, /Vertices and /L, grown by its border), the page cannot be checked.

// signedAnnotAmbiguous reports whether an added widget of cp comes near a signed annotation of
// page p (1-based) that readers draw differently.
func (a *analysis) signedAnnotAmbiguous(p int, cp *coverPage) bool {
	if len(cp.added) == 0 {
		return false
	}
	var widgets []box
	for _, r := range cp.added {
		if rc, ok := pdf.RectFrom(a.cur, a.cur.Dict(r).Get("Rect")); ok {
			widgets = append(widgets, rectBox(rc))
		}
	}
	pages, err := a.old.Pages()
	if err != nil || p > len(pages) || len(widgets) == 0 {
		return false
	}
	refs, ok := annotList(a.old, pages[p-1])
	if !ok {
		return false
	}
	for _, r := range refs {
		d := a.old.Dict(r)
		if d == nil {
			continue
		}
		if !textMarkup(d.NameOf("Subtype")) && selectedAppearance(a.old, d) {
			continue
		}
		area, ok := readerArea(a.old, d)
		if !ok || !disjoint(widgets, area, coverGap) {
			return true
		}
	}
	return false
}

func textMarkup(x pdf.Name) bool {
	switch x {
	case "Highlight", "Underline", "StrikeOut", "Squiggly":
		return true
	}
	return false
}

// selectedAppearance reports whether d has a normal appearance stream readers select alike.
func selectedAppearance(v *pdf.View, d pdf.Dict) bool {
	n, err := v.Resolve(v.Dict(d.Get("AP")).Get("N"))
	if err != nil {
		return false
	}
	switch n := n.(type) {
	case *pdf.Stream:
		return true
	case pdf.Dict:
		as := d.NameOf("AS")
		if as == "" {
			return false
		}
		x, err := v.Resolve(n.Get(as))
		_, isStream := x.(*pdf.Stream)
		return err == nil && isStream
	}
	return false
}

// readerArea bounds where a reader may draw annotation d: its /Rect, and the box of the points
// its geometry entries give, grown by its border width; false when they cannot be read.
func readerArea(v *pdf.View, d pdf.Dict) ([]box, bool) {
	rc, ok := pdf.RectFrom(v, d.Get("Rect"))
	if !ok {
		return nil, false
	}
	b := rectBox(rc)
	var pts []float64
	for _, k := range []pdf.Name{"QuadPoints", "Vertices", "L", "InkList"} {
		x, err := v.Resolve(d.Get(k))
		if err != nil {
			return nil, false
		}
		arr, _ := x.(pdf.Array)
		for _, e := range arr {
			if sub, err := v.Resolve(e); err == nil {
				if sa, isArr := sub.(pdf.Array); isArr {
					for _, f := range sa {
						n, ok := pdf.Number(f)
						if !ok {
							return nil, false
						}
						pts = append(pts, n)
					}
					continue
				}
			}
			n, ok := pdf.Number(e)
			if !ok {
				return nil, false
			}
			pts = append(pts, n)
		}
	}
	out := []box{b}
	if len(pts) >= 2 {
		g := box{pts[0], pts[1], pts[0], pts[1]}
		for i := 2; i+1 < len(pts); i += 2 {
			g = box{math.Min(g.x0, pts[i]), math.Min(g.y0, pts[i+1]), math.Max(g.x1, pts[i]), math.Max(g.y1, pts[i+1])}
		}
		out = append(out, g)
	}
	w := 1.0
	if bs := v.Dict(d.Get("BS")); bs != nil {
		if n, ok := pdf.Number(bs.Get("W")); ok {
			w = math.Max(w, n)
		}
	}
	if arr, ok := d.Get("Border").(pdf.Array); ok && len(arr) >= 3 {
		if n, ok := pdf.Number(arr[2]); ok {
			w = math.Max(w, n)
		}
	}
	for i := range out {
		if out[i] = out[i].grow(w); !out[i].finite() {
			return nil, false
		}
	}
	return out, true
}

// Resources a form names but lacks (same round). A form with its own /Resources that names, with
// Tf or Do, a font or XObject missing from its category there: PDFium then draws Helvetica or
// nothing, poppler looks the name up in the enclosing resources (the page's) and may draw a
// Type 3 font whose glyphs paint anywhere — a box poppler showed as signed, covered by a widget,
// was valid. Such a name, when the page's resources have it, makes the page not checkable.
// Added appearances are checked in coverhidden.go (lackedResource).

// missingResourceName reports whether content data, drawn with its own resources res, names
// with Tf or Do a resource absent from a category res has and present in outer.
func missingResourceName(v *pdf.View, data []byte, res, outer pdf.Dict) bool {
	return len(missingResourceNames(v, data, res, outer)) > 0
}

type resourceName struct{ cat, name pdf.Name }

// missingResourceNames returns the names content data, drawn with its own resources res, names
// with Tf or Do while they are absent from a category res has and present in outer.
func missingResourceNames(v *pdf.View, data []byte, res, outer pdf.Dict) []resourceName {
	if res == nil || outer == nil {
		return nil
	}
	var out []resourceName
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	var last pdf.Name
	var lastOK bool
	for i := 0; i < maxBoundTokens; i++ {
		t, err := lx.Next()
		if err != nil || t.Kind == pdf.TokEOF {
			return out
		}
		if t.Kind == pdf.TokName {
			last, lastOK = pdf.Name(t.Value), true
			continue
		}
		if t.Kind != pdf.TokKeyword {
			continue
		}
		op := string(t.Raw)
		if op == "BI" {
			return out // inline image data: the lexer cannot read on reliably
		}
		var cat pdf.Name
		switch op {
		case "Tf":
			cat = "Font"
		case "Do":
			cat = "XObject"
		}
		if cat != "" && lastOK {
			if d := v.Dict(res.Get(cat)); d != nil && d.Get(last) == nil && v.Dict(outer.Get(cat)).Get(last) != nil {
				out = append(out, resourceName{cat, last})
			}
		}
		lastOK = false
	}
	return out
}
