package verify

import (
	"fmt"
	"strings"

	"sealdesk/core/pdf"
)

// Nesting that PDFium cuts short (red team s9 F5). PDFium parses a form XObject only while fewer
// than 41 content streams are being parsed around it (CPDF_StreamContentParser::Parse refuses
// when its recursion state already holds more than kMaxFormLevel = 40): an appearance draws 40
// nested forms, the 41st and everything below it are left out. poppler and MuPDF go deeper. A
// white box and a new amount at the bottom of a chain of 41 to 64 forms was drawn by poppler and
// MuPDF while the rendering comparison saw an empty appearance. So an added or changed
// appearance may nest at most maxFormNesting content streams below itself; a deeper chain is a
// reader ambiguity the rendering cannot settle, reported as a disallowed change, never cut
// short the way PDFium does. Every kind of nested content counts — forms drawn with Do, tiling
// patterns used by scn and SCN, soft-mask groups set by gs, Type 3 glyphs shown with a font set
// by Tf — whether or not PDFium starts a new count for it: no producer nests 40 deep, and
// counting all of them leaves no mix of kinds to find.

// Type 3 glyphs are refused where PDFium draws them differently: PDFium draws no text in a
// Type 3 font inside one of that font's own glyphs (its loader guards a font against loading
// itself, CPDF_Type3Font's kMaxType3FormLevel = 4, and its renderer draws nothing there even two
// levels deep), while poppler and MuPDF draw it: a white square reached through a glyph of the
// same font changed the signed line for both and nothing for PDFium (measured,
// TestRedTeamS9Nesting). Glyphs of other fonts nest alike in all three (five fonts deep,
// measured) and count towards maxFormNesting.

// maxFormNesting is the content streams an appearance may nest below itself: PDFium's
// kMaxFormLevel.
const maxFormNesting = 40

// maxNestWalk bounds the streams the nesting walk reads for one annotation (the appearance
// budget, maxAppearanceForms, refuses far larger graphs).
const maxNestWalk = 20000

// nestWalk measures the longest chain of nested content streams below an appearance.
type nestWalk struct {
	w     *imageWalk
	memo  map[nestKey]int // the chain below a stream (with its own resources only)
	open  map[int]bool    // being measured: drawing oneself is refused by the appearance budget
	steps int
	why   string // a Type 3 font shown inside its own glyphs
}

// nestKey is a stream object reached inside the glyph procedures of the Type 3 fonts fonts.
type nestKey struct {
	num   int
	fonts string
}

// formNesting names what in an annotation's appearance streams PDFium cuts short: content
// nested deeper than maxFormNesting, or a Type 3 font drawn inside its own glyphs; "" when
// there is none.
func (w *imageWalk) formNesting(streams []*pdf.Stream) string {
	n := &nestWalk{w: w, memo: map[nestKey]int{}, open: map[int]bool{}}
	for _, st := range streams {
		if h := n.below(st, nil, ""); h > maxFormNesting {
			return fmt.Sprintf("content nested %d streams deep (forms, patterns, soft masks or Type 3 glyphs; PDFium draws nothing below %d, poppler and MuPDF draw it)", h, maxFormNesting)
		}
		if n.why != "" {
			return n.why
		}
	}
	return ""
}

// below returns the longest chain of content streams that drawing st (with the resources of
// its parent, parentRes, when it has none) opens below it; fonts names the Type 3 fonts whose
// glyph procedures st is drawn inside ("|font|font…").
func (n *nestWalk) below(st *pdf.Stream, parentRes pdf.Dict, fonts string) int {
	n.steps++
	if n.steps > maxNestWalk {
		return 0
	}
	v := n.w.a.cur
	res := v.Dict(st.Dict.Get("Resources"))
	if res == nil {
		res = parentRes // PDFium draws a form without resources with its parent's
	}
	raw, err := n.w.a.v.f.RawStreamData(st)
	if err != nil {
		return 0
	}
	data, _, err := pdf.DecodeFilters(raw, n.w.resolve(st.Dict.Get("Filter")), n.w.resolve(st.Dict.Get("DecodeParms")), MaxAppearanceStreamBytes)
	if err != nil {
		return 0 // the appearance budget refuses a stream too large to decode
	}
	deepest := 0
	child := func(o pdf.Object, res pdf.Dict, glyphOf string) {
		inside := fonts
		if glyphOf != "" {
			inside += glyphOf
		}
		ref, isRef := o.(pdf.Ref)
		key := nestKey{ref.Num, inside}
		if isRef {
			if n.open[ref.Num] {
				return
			}
			if h, ok := n.memo[key]; ok {
				deepest = max(deepest, h+1)
				return
			}
		}
		cs, ok := n.w.resolve(o).(*pdf.Stream)
		if !ok {
			return
		}
		if sub, _ := cs.Dict.Get("Subtype").(pdf.Name); sub == "Image" {
			return
		}
		if isRef {
			n.open[ref.Num] = true
		}
		h := n.below(cs, res, inside)
		if isRef {
			delete(n.open, ref.Num)
			if v.Dict(cs.Dict.Get("Resources")) != nil {
				n.memo[key] = h
			}
		}
		deepest = max(deepest, h+1)
	}
	for _, u := range contentUses(data) {
		switch u.op {
		case "Do":
			child(v.Dict(res.Get("XObject")).Get(u.name), res, "")
		case "scn", "SCN":
			child(v.Dict(res.Get("Pattern")).Get(u.name), res, "")
		case "gs":
			if sm := v.Dict(v.Dict(v.Dict(res.Get("ExtGState")).Get(u.name)).Get("SMask")); sm != nil {
				child(sm.Get("G"), res, "")
			}
		case "Tf":
			fo := v.Dict(res.Get("Font")).Get(u.name)
			fd := v.Dict(fo)
			if fd.NameOf("Subtype") != "Type3" {
				continue
			}
			id := fmt.Sprintf("|%p", fd) // a font written in place is its own dictionary
			if r, ok := fo.(pdf.Ref); ok {
				id = fmt.Sprintf("|%d", r.Num)
			}
			if strings.Contains(fonts+"|", id+"|") {
				n.why = fmt.Sprintf("text in Type 3 font /%s inside one of its own glyphs (PDFium draws nothing there, poppler and MuPDF draw it)", u.name)
				break
			}
			fres := v.Dict(fd.Get("Resources"))
			if fres == nil {
				fres = res
			}
			for _, cp := range v.Dict(fd.Get("CharProcs")) {
				child(cp, fres, id)
			}
		}
		if n.steps > maxNestWalk || n.why != "" {
			break
		}
	}
	return deepest
}

// contentUse is a resource a content stream names for an operator.
type contentUse struct {
	op   string
	name pdf.Name
}

// contentUses lists, once each, the resources content data names with Do, scn, SCN, gs and Tf.
func contentUses(data []byte) []contentUse {
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	var out []contentUse
	seen := map[contentUse]bool{}
	var names []pdf.Name // the name operands since the last operator
	for i := 0; i < 4*maxAppearanceTokens; i++ {
		t, err := lx.Next()
		if err != nil || t.Kind == pdf.TokEOF {
			break
		}
		switch t.Kind {
		case pdf.TokName:
			names = append(names, pdf.Name(t.Value))
			continue
		case pdf.TokKeyword:
			op := string(t.Raw)
			if op == "BI" {
				end, why := skipInlineImage(lx, data) // its data is no content (coversyntax.go)
				if why != "" {
					return out // contentSyntax refuses the content
				}
				lx.SetPos(end)
				names = names[:0]
				continue
			}
			var u contentUse
			switch {
			case (op == "Do" || op == "gs" || op == "scn" || op == "SCN") && len(names) > 0:
				u = contentUse{op, names[len(names)-1]}
			case op == "Tf" && len(names) > 0:
				u = contentUse{op, names[0]}
			}
			if u.op != "" && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
			names = names[:0]
		}
	}
	return out
}
