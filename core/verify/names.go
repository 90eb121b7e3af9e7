package verify

import (
	"bytes"
	"fmt"

	"sealdesk/core/pdf"
)

// Names and references that readers cut short (red team s8 F5, F6, F9). poppler ends a name at an escaped NUL
// (/N#00 is /N to poppler, a name "N\x00" to PDFium and MuPDF), and MuPDF and poppler keep only
// the first 127 bytes of a name (ISO 32000-1 Annex C gives 127 as the limit), which PDFium does
// not. So two names differ for one reader and are the same for another: an added annotation's
// /AP << /N#00 … >>, an /AS whose state differs from its appearance's key only after byte 127,
// or an appearance drawing "/X#00 Do" with a resource /X, was drawn by poppler or MuPDF (a white
// box and a new amount) while PDFium — the cover check's renderer — found nothing to draw.
// ISO 32000 forbids the NUL in a name, and no producer writes names of 128 bytes, so a name
// holding either in what was written after signing is reported as an ambiguous object (in the
// objects of the later revisions and in the content streams the gates of coverimages.go read),
// never resolved the way one reader does.

// maxNameBytes is ISO 32000-1's implementation limit on a name's length, where MuPDF and poppler
// cut names.
const maxNameBytes = 127

// maxNameWalk bounds the elements walked in the objects of the later revisions (their number is
// already bounded by maxUpdateObjects); past it the rest is not checked for names.
const maxNameWalk = 2_000_000

// nameHazard says why readers could read name n differently, "" when they read it alike.
func nameHazard(n pdf.Name) string {
	for i := 0; i < len(n); i++ {
		if n[i] == 0 {
			return fmt.Sprintf("a name holding a NUL (#00), which poppler ends there (/%s…)", printableName(n[:i]))
		}
	}
	if len(n) > maxNameBytes {
		return fmt.Sprintf("a name of %d bytes, which MuPDF and poppler cut at %d (/%s…)", len(n), maxNameBytes, printableName(n[:32]))
	}
	return ""
}

// refHazard says why readers could resolve reference r differently (red team s8 F9): MuPDF keeps
// an object number modulo 2^32 (4294967317 0 R is object 21 to it) where PDFium and poppler
// resolve nothing, and our parser reads a reference beyond its object budget as null; generation
// numbers beyond 65535 are cut likewise. The parser gives no Ref for those, so the bytes written
// after signing are read again for them (rawRefs).
func refHazard(r pdf.Ref) string {
	if r.Num < 0 || r.Num > pdf.DefaultLimits.MaxObjects || r.Gen < 0 || r.Gen > 65535 {
		return fmt.Sprintf("a reference %d %d R beyond the object numbers readers agree on (MuPDF wraps them to 32 bits)", r.Num, r.Gen)
	}
	return ""
}

// rawRefHazard reads the bytes of an object (up to "stream") or of a decoded object stream for
// references "N G R" whose numbers are out of range, which the parser reads as null.
func rawRefHazard(b []byte) string {
	lx := pdf.NewBytesLexer(b, 0, int64(len(b))+1)
	var t1, t2 pdf.Token
	for i := 0; i < maxNameWalk; i++ {
		t, err := lx.Next()
		if err != nil || t.Kind == pdf.TokEOF || (t.Kind == pdf.TokKeyword && string(t.Raw) == "stream") {
			return ""
		}
		if t.Kind == pdf.TokKeyword && string(t.Raw) == "R" && t2.Kind == pdf.TokInt && (t1.Kind == pdf.TokInt || t1.Kind == pdf.TokReal) {
			wide := t1.Kind == pdf.TokReal && !bytes.ContainsAny(t1.Raw, ".eE") // digits past int64
			if wide || t1.Int < 0 || t1.Int > int64(pdf.DefaultLimits.MaxObjects) || t2.Int < 0 || t2.Int > 65535 {
				return fmt.Sprintf("a reference %s %s R beyond the object numbers readers agree on (MuPDF wraps them to 32 bits, PDFium and poppler resolve nothing)", t1.Raw, t2.Raw)
			}
		}
		t1, t2 = t2, t
	}
	return ""
}

// printableName is n for a sentence: bytes outside printable ASCII as #xx.
func printableName(n pdf.Name) string {
	out := make([]byte, 0, len(n))
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < '!' || c > '~' || c == '#' {
			out = append(out, fmt.Sprintf("#%02x", c)...)
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// oddNames reports the objects written after signing (defined or changed in a later revision)
// that hold a name readers cut short, as a key or a value at any depth of the object itself.
func (a *analysis) oddNames(later []*pdf.Revision) {
	steps := 0
	var walk func(o pdf.Object, depth int) string
	walk = func(o pdf.Object, depth int) string {
		steps++
		if steps > maxNameWalk || depth > 64 {
			return ""
		}
		switch x := o.(type) {
		case pdf.Name:
			return nameHazard(x)
		case pdf.Ref:
			return refHazard(x)
		case pdf.Array:
			for _, e := range x {
				if why := walk(e, depth+1); why != "" {
					return why
				}
			}
		case pdf.Dict:
			for k, e := range x {
				if why := nameHazard(k); why != "" {
					return why
				}
				if why := walk(e, depth+1); why != "" {
					return why
				}
			}
		case *pdf.Stream:
			return walk(x.Dict, depth)
		}
		return ""
	}
	stms := map[int]string{} // object streams read for rawRefs: their finding
	for _, rev := range later {
		view := a.v.f.View(rev.Index)
		for _, l := range [][]int{rev.Defined, rev.Changed} {
			for _, n := range l {
				e, k, ok := view.Entry(n)
				if !ok || k != rev.Index || e.Type == pdf.EntryFree {
					continue
				}
				gen := e.Gen
				if e.Type == pdf.EntryCompressed {
					gen = 0 // Gen is the index inside the object stream
				}
				o, err := view.Object(pdf.Ref{Num: n, Gen: gen})
				if err != nil {
					continue // unreadable objects are judged where they are used
				}
				why := walk(o, 0)
				if why == "" {
					why = a.rawRefs(view, n, e, gen, stms)
				}
				if why != "" {
					a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: n}, "object %d written in revision %d holds %s", n, rev.Index+1, why)
				}
			}
		}
	}
}

// rawRefs reads the bytes object n (entry e) was written with for references the parser turned
// into null (rawRefHazard): a classic object's own bytes up to "stream", or the whole decoded
// object stream holding it (read once, its finding kept in stms).
func (a *analysis) rawRefs(view *pdf.View, n int, e pdf.XRefEntry, gen int, stms map[int]string) string {
	if e.Type == pdf.EntryCompressed {
		stm := int(e.Offset)
		if why, done := stms[stm]; done {
			return why
		}
		stms[stm] = ""
		o, err := view.Object(pdf.Ref{Num: stm})
		st, ok := o.(*pdf.Stream)
		if err != nil || !ok {
			return ""
		}
		data, err := a.v.f.OptionalStreamData(st)
		if err != nil {
			return ""
		}
		stms[stm] = rawRefHazard(data)
		return stms[stm]
	}
	ind, _, err := view.Indirect(pdf.Ref{Num: n, Gen: gen})
	if err != nil || ind.Span.Start < 0 || ind.Span.End > int64(len(a.v.data)) || ind.Span.Start >= ind.Span.End {
		return ""
	}
	return rawRefHazard(a.v.data[ind.Span.Start:ind.Span.End])
}
