package verify

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	"sealdesk/core/pdf"
)

// Work done once per file (red team s8b F9). A file signed many times over one page makes the
// cover check judge that page once per signature: 20 document timestamps added over a page of
// 300,000 one-pixel rectangles had its 4.8 MB of content decoded four times a signature —
// priced as signed and as now (coverraster.go), walked by the shortcut (coverbound.go) and
// the text-mode scan (covertextmode.go) — until the file's decoding budget (MaxDecodedBytes,
// 128 MiB) ran out after 18 s of CPU. What depends only on the bytes is now computed once and
// shared by every signature:
//
//   - decoded content streams (contentCache), for the pricing and the paint-bounds walks, each
//     charged to the decoding budget once, within maxCachedContent bytes;
//   - a page's content pricing, for every revision whose drawing of the page is the same
//     objects (drawingKey): the revisions of a file signed many times share one page content.
//
// The renders themselves are shared by the renderer's cache and the verifier's documents
// (cover.go renderDoc: the current revision is opened once); coverplan.go charges each render
// to the file's budget once and refuses, before rendering anything, a file whose renders would
// together cost more than that budget.

// maxCachedContent bounds the decoded bytes contentCache keeps (the content of one page at the
// largest a stream may decode to here, 16 MiB, fits).
const maxCachedContent = 24 << 20

// contentCache keeps decoded streams, by parsed object (a stream the revisions did not change is
// one object for all of them: core/pdf caches objects by where their bytes are). The data is
// shared: callers must not modify it.
type contentCache struct {
	opt   map[*pdf.Stream]cachedData // File.OptionalStreamData results
	bound map[*pdf.Stream][]byte     // paintBounds' own decoding (within maxBoundContent)
	bytes int
}

type cachedData struct {
	data []byte
	err  error
}

// optional is f.OptionalStreamData(st), decoded once per file.
func (c *contentCache) optional(f *pdf.File, st *pdf.Stream) ([]byte, error) {
	if c == nil {
		return f.OptionalStreamData(st)
	}
	if d, ok := c.opt[st]; ok {
		return d.data, d.err
	}
	data, err := f.OptionalStreamData(st)
	keep := data
	if errors.Is(err, pdf.ErrLimit) {
		keep = nil // what decoded before the limit is not read (paintWalk.data): not kept
	}
	if c.bytes+len(keep) <= maxCachedContent {
		if c.opt == nil {
			c.opt = map[*pdf.Stream]cachedData{}
		}
		c.opt[st] = cachedData{keep, err}
		c.bytes += len(keep)
	}
	return data, err
}

// boundData returns what decode (paintBounds' decoding of st) returns, decoded once per file
// when st's filters are direct (an indirect one is resolved in the walk's revision).
func (c *contentCache) boundData(st *pdf.Stream, decode func() []byte) []byte {
	if c == nil || hasRef(st.Dict.Get("Filter")) || hasRef(st.Dict.Get("DecodeParms")) {
		return decode()
	}
	if d, ok := c.bound[st]; ok {
		return d
	}
	data := decode()
	if c.bytes+len(data) <= maxCachedContent {
		if c.bound == nil {
			c.bound = map[*pdf.Stream][]byte{}
		}
		c.bound[st] = data
		c.bytes += len(data)
	}
	return data
}

// hasRef reports whether o is a reference or an array holding one.
func hasRef(o pdf.Object) bool {
	switch x := o.(type) {
	case pdf.Ref:
		return true
	case pdf.Array:
		for _, e := range x {
			if _, ok := e.(pdf.Ref); ok {
				return true
			}
		}
	}
	return false
}

// Bounds of drawingKey's walk: a page whose content and resources reach more is priced in
// every revision, as before.
const (
	maxDrawingObjects  = 4096
	maxDrawingKeyBytes = 1 << 20
)

// drawingKey returns a key (the SHA-256 of a description) that two revisions' page pg share exactly when they draw the page's
// content from the same objects: the page's crop box, /Contents and /Resources written out with
// every object they reach, each reference with the cross-reference entry it resolves to in v
// (the same entry is the same bytes, and core/pdf's same parsed object). ok is false when the
// walk meets an unreadable object or passes its bounds.
func drawingKey(v *pdf.View, pg pdf.Page) (key [32]byte, ok bool) {
	var b strings.Builder
	cb := pg.CropBox
	fmt.Fprintf(&b, "%g %g %g %g|", cb.LLX, cb.LLY, cb.URX, cb.URY)
	seen := map[int]bool{}
	var queue []pdf.Ref
	var write func(o pdf.Object, depth int) bool
	write = func(o pdf.Object, depth int) bool {
		if depth > 64 || b.Len() > maxDrawingKeyBytes {
			return false
		}
		switch x := o.(type) {
		case pdf.Ref:
			e, _, found := v.Entry(x.Num)
			fmt.Fprintf(&b, "R%d.%d=%t:%d:%d:%d", x.Num, x.Gen, found, e.Type, e.Offset, e.Gen)
			if found && e.Type == pdf.EntryCompressed {
				se, _, sf := v.Entry(int(e.Offset))
				fmt.Fprintf(&b, "/%t:%d:%d:%d", sf, se.Type, se.Offset, se.Gen)
			}
			b.WriteByte(' ')
			if !seen[x.Num] {
				seen[x.Num] = true
				queue = append(queue, x)
			}
		case pdf.Dict:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, string(k))
			}
			sort.Strings(keys)
			b.WriteString("<<")
			for _, k := range keys {
				fmt.Fprintf(&b, "/%q ", k)
				if !write(x[pdf.Name(k)], depth+1) {
					return false
				}
			}
			b.WriteString(">>")
		case pdf.Array:
			b.WriteByte('[')
			for _, e := range x {
				if !write(e, depth+1) {
					return false
				}
			}
			b.WriteByte(']')
		case *pdf.Stream:
			fmt.Fprintf(&b, "S%d+%d:%d", x.Offset, x.Length, len(x.Data))
			return write(x.Dict, depth+1)
		default:
			fmt.Fprintf(&b, "%T%#v ", o, o)
		}
		return true
	}
	if !write(pg.Dict.Get("Contents"), 0) {
		return key, false
	}
	b.WriteByte('|')
	if !write(pg.Resources, 0) {
		return key, false
	}
	for i := 0; i < len(queue); i++ {
		if i >= maxDrawingObjects {
			return key, false
		}
		o, err := v.Object(queue[i])
		if err != nil {
			return key, false
		}
		fmt.Fprintf(&b, "|%d:", queue[i].Num)
		if !write(o, 0) {
			return key, false
		}
	}
	return sha256.Sum256([]byte(b.String())), true
}

// contentPrice is what pricing a page's content left in its walk: the pixel-equivalents, and
// the walk's state that the pricing of the page's annotations goes on from.
type contentPrice struct {
	pixels float64
	tokens int
	n      int
	over   bool
	cost   map[pdf.Ref]rasterCost
	funcs  map[pdf.Ref]float64
}

// pageContentPaint is w.pageContentPaint(pg), computed once per file for all the revisions
// that draw the page's content from the same objects (drawingKey).
func (v *verifier) pageContentPaint(w *paintWalk, pg pdf.Page) float64 {
	key, ok := drawingKey(w.v, pg)
	if ok {
		if c, hit := v.contentPrices[key]; hit {
			w.tokens, w.n, w.over, w.funcs = c.tokens, c.n, c.over, maps.Clone(c.funcs)
			w.cost = maps.Clone(c.cost)
			if w.cost == nil {
				w.cost = map[pdf.Ref]rasterCost{}
			}
			return c.pixels
		}
	}
	v.contentPriced++
	px := w.pageContentPaint(pg)
	if ok {
		if v.contentPrices == nil {
			v.contentPrices = map[[32]byte]contentPrice{}
		}
		v.contentPrices[key] = contentPrice{pixels: px, tokens: w.tokens, n: w.n, over: w.over, cost: maps.Clone(w.cost), funcs: maps.Clone(w.funcs)}
	}
	return px
}
