package verify

import (
	"fmt"

	"sealdesk/core/pdf"
)

// Names that readers cut short (red team s8 F5, F6). poppler ends a name at an escaped NUL
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
				if why := walk(o, 0); why != "" {
					a.ch.add(false, ChangeDetail{Code: ChangeAmbiguousObject, Object: n}, "object %d written in revision %d holds %s", n, rev.Index+1, why)
				}
			}
		}
	}
}
