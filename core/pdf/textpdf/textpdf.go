package textpdf

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Page geometry: A4 portrait in points, with the margin every line keeps.
const (
	PageWidth, PageHeight = 595.28, 841.89
	Margin                = 50.0
	pageW, pageH          = PageWidth, PageHeight
	margin                = Margin
)

// New starts a document drawn in otf, a CID-keyed CFF-based OpenType font (the Noto CJK faces of
// assets), embedded under name (a PostScript name such as "NotoSansSC-Regular").
func New(otf []byte, name string) (*Doc, error) {
	fnt, err := sfnt.Parse(otf)
	if err != nil {
		return nil, fmt.Errorf("failed to parse font: %w", err)
	}
	cff, cids, err := cffCharset(otf)
	if err != nil {
		return nil, fmt.Errorf("failed to read font charset: %w", err)
	}
	return &Doc{f: fnt, cff: cff, cids: cids, name: name, used: map[uint16]int{}, gids: map[int]bool{}, uni: map[uint16]rune{}}, nil
}

// Doc is a text document being written, top to bottom, page after page.
type Doc struct {
	f    *sfnt.Font
	cff  []byte
	buf  sfnt.Buffer
	cids []uint16 // GID → CID
	used map[uint16]int
	gids map[int]bool // glyphs drawn (the font is subset to them)
	// measured counts glyph lookups (the line breaker's test asserts it is linear)
	measured int
	subset   bool
	name     string // the font's PostScript name, without a subset tag
	uni      map[uint16]rune
	pages    []*bytes.Buffer
	y        float64
}

func (w *Doc) page() *bytes.Buffer {
	if len(w.pages) == 0 || w.y < margin {
		w.pages = append(w.pages, &bytes.Buffer{})
		w.y = pageH - margin
	}
	return w.pages[len(w.pages)-1]
}

// glyph returns the CID and advance (in 1/1000 em) for r.
func (w *Doc) glyph(r rune) (uint16, int) {
	w.measured++
	gid, err := w.f.GlyphIndex(&w.buf, r)
	if err != nil || gid == 0 {
		gid, _ = w.f.GlyphIndex(&w.buf, '?')
	}
	upem := int(w.f.UnitsPerEm())
	adv, err := w.f.GlyphAdvance(&w.buf, gid, fixed.I(upem), font.HintingNone)
	width := 500
	if err == nil && upem > 0 {
		width = adv.Round() * 1000 / upem
	}
	cid := uint16(gid)
	if int(gid) < len(w.cids) {
		cid = w.cids[gid]
	}
	w.used[cid] = width
	w.gids[int(gid)] = true
	if _, ok := w.uni[cid]; !ok {
		w.uni[cid] = r
	}
	return cid, width
}

// TextWidth returns the width of s at size, in points.
func (w *Doc) TextWidth(s string, size float64) float64 { return w.textWidth(s, size) }

func (w *Doc) textWidth(s string, size float64) float64 {
	total := 0
	for _, r := range s {
		_, a := w.glyph(r)
		total += a
	}
	return float64(total) * size / 1000
}

// Wrapped writes s, breaking it to fit the text width (continuation lines indented).
func (w *Doc) Wrapped(s string, size float64) {
	for _, l := range w.breakLines(s, size) {
		w.Line(l, size)
	}
}

// breakLines breaks s into lines that fit the text width, continuation lines indented two more
// spaces than s (at most 10). Each rune is measured once: the breaker re-measured every shorter
// prefix of every line, and a 5,000-character name took 20 s (red team s10 DoS 5).
func (w *Doc) breakLines(s string, size float64) []string {
	maxW := pageW - 2*margin
	indent := min(len(s)-len(strings.TrimLeft(s, " ")), 8)
	runes := []rune(s)
	var out []string
	for {
		units, cut := 0, 0 // the longest prefix that fits (at least one rune)
		for cut < len(runes) {
			_, a := w.glyph(runes[cut])
			if cut > 0 && float64(units+a)*size/1000 > maxW {
				break
			}
			units += a
			cut++
		}
		if cut == len(runes) {
			return append(out, string(runes))
		}
		out = append(out, string(runes[:cut]))
		next := []rune(strings.Repeat(" ", indent+2))
		if cut <= len(next) {
			next = next[:0] // the indent alone fills the line: continue without it
		}
		runes = append(next, runes[cut:]...)
	}
}

// Line writes s at size on the next line; "" leaves a gap of one line.
func (w *Doc) Line(s string, size float64) { w.Row(size, Cell{X: 0, Text: s}) }

// Cell is text at X points from the left margin, in a Row.
type Cell struct {
	X    float64
	Text string
}

// Row writes cells on the next line, each at its own X (columns of a table).
func (w *Doc) Row(size float64, cells ...Cell) {
	b := w.page()
	w.y -= size * 1.45
	for _, c := range cells {
		w.text(b, margin+c.X, c.Text, size)
	}
}

// Rule draws a thin horizontal line across the text width below the last line.
func (w *Doc) Rule() {
	b := w.page()
	w.y -= 4
	fmt.Fprintf(b, "0.5 w %.2f %.2f m %.2f %.2f l S\n", margin, w.y, pageW-margin, w.y)
	w.y -= 2
}

func (w *Doc) text(b *bytes.Buffer, x float64, s string, size float64) {
	if s == "" {
		return
	}
	var hex strings.Builder
	for _, r := range s {
		cid, _ := w.glyph(r)
		fmt.Fprintf(&hex, "%04X", cid)
	}
	fmt.Fprintf(b, "BT /F1 %.1f Tf %.2f %.2f Td <%s> Tj ET\n", size, x, w.y, hex.String())
}

// Bytes returns the PDF. With subset the font keeps only the glyphs drawn (tens of kilobytes
// instead of megabytes); a font this package cannot subset is embedded whole.
func (w *Doc) Bytes(subset bool) ([]byte, error) {
	w.subset = subset
	return w.finish()
}

func (w *Doc) finish() ([]byte, error) {
	if len(w.pages) == 0 {
		w.page()
	}
	var objs [][]byte
	add := func(b []byte) int { objs = append(objs, b); return len(objs) }
	stream := func(dict string, data []byte, compress bool) []byte {
		if compress {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(data)
			zw.Close()
			data = z.Bytes()
			dict += "/Filter/FlateDecode"
		}
		return []byte(fmt.Sprintf("<<%s/Length %d>>stream\n%s\nendstream", dict, len(data), data))
	}
	cff, fontName := w.cff, w.name
	if sub, err := subsetCFF(w.cff, w.gids); err == nil && w.subset {
		// only the glyphs drawn (1.3 MB → tens of kilobytes), named with the subset tag
		// (six capitals and +) that PDF viewers expect of a subset font
		cff, fontName = sub, subsetTag(w.gids)+"+"+w.name
	}
	fontFile := add(stream("/Subtype/CIDFontType0C", cff, true))
	desc := add([]byte(fmt.Sprintf("<</Type/FontDescriptor/FontName/%s/Flags 4/FontBBox[-1000 -300 2000 1100]/ItalicAngle 0/Ascent 880/Descent -120/CapHeight 733/StemV 80/FontFile3 %d 0 R>>", fontName, fontFile)))
	cidList := make([]int, 0, len(w.used))
	for c := range w.used {
		cidList = append(cidList, int(c))
	}
	sort.Ints(cidList)
	var widths strings.Builder
	for _, c := range cidList {
		fmt.Fprintf(&widths, "%d[%d]", c, w.used[uint16(c)])
	}
	cidFont := add([]byte(fmt.Sprintf("<</Type/Font/Subtype/CIDFontType0/BaseFont/%s/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>/FontDescriptor %d 0 R/DW 1000/W[%s]>>", fontName, desc, widths.String())))
	var cmap strings.Builder
	cmap.WriteString("/CIDInit/ProcSet findresource begin 12 dict begin begincmap/CIDSystemInfo<</Registry(Adobe)/Ordering(UCS)/Supplement 0>>def/CMapName/Adobe-Identity-UCS def/CMapType 2 def\n1 begincodespacerange <0000><FFFF> endcodespacerange\n")
	for i := 0; i < len(cidList); i += 100 {
		j := min(i+100, len(cidList))
		fmt.Fprintf(&cmap, "%d beginbfchar\n", j-i)
		for _, c := range cidList[i:j] {
			r := w.uni[uint16(c)]
			u := utf16Hex(r)
			fmt.Fprintf(&cmap, "<%04X><%s>\n", c, u)
		}
		cmap.WriteString("endbfchar\n")
	}
	cmap.WriteString("endcmap CMapName currentdict/CMap defineresource pop end end")
	toUni := add(stream("", []byte(cmap.String()), true))
	type0 := add([]byte(fmt.Sprintf("<</Type/Font/Subtype/Type0/BaseFont/%s/Encoding/Identity-H/DescendantFonts[%d 0 R]/ToUnicode %d 0 R>>", fontName, cidFont, toUni)))
	pagesNum := len(objs) + 2*len(w.pages) + 1
	var kids []string
	for _, p := range w.pages {
		c := add(stream("", p.Bytes(), true))
		pg := add([]byte(fmt.Sprintf("<</Type/Page/Parent %d 0 R/MediaBox[0 0 %.2f %.2f]/Resources<</Font<</F1 %d 0 R>>>>/Contents %d 0 R>>", pagesNum, pageW, pageH, type0, c)))
		kids = append(kids, fmt.Sprintf("%d 0 R", pg))
	}
	if add([]byte(fmt.Sprintf("<</Type/Pages/Kids[%s]/Count %d>>", strings.Join(kids, " "), len(w.pages)))) != pagesNum {
		return nil, errors.New("text pdf: object numbering mismatch")
	}
	catalog := add([]byte(fmt.Sprintf("<</Type/Catalog/Pages %d 0 R>>", pagesNum)))
	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs)+1)
	for i, o := range objs {
		offsets[i+1] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n", i+1)
		out.Write(o)
		out.WriteString("\nendobj\n")
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for i := 1; i <= len(objs); i++ {
		fmt.Fprintf(&out, "%010d 00000 n \n", offsets[i])
	}
	fmt.Fprintf(&out, "trailer\n<</Size %d/Root %d 0 R>>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, catalog, xref)
	return out.Bytes(), nil
}

func utf16Hex(r rune) string {
	if r < 0x10000 {
		return fmt.Sprintf("%04X", r)
	}
	r -= 0x10000
	return fmt.Sprintf("%04X%04X", 0xD800+(r>>10), 0xDC00+(r&0x3FF))
}

// subsetTag is the six capital letters that name a font subset (PDF 32000 9.6.4), derived from
// the glyphs it holds.
func subsetTag(gids map[int]bool) string {
	list := make([]int, 0, len(gids))
	for g := range gids {
		list = append(list, g)
	}
	sort.Ints(list)
	h := sha256.New()
	for _, g := range list {
		binary.Write(h, binary.BigEndian, uint32(g))
	}
	sum := h.Sum(nil)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	return string(tag)
}

// cffCharset returns the CFF table of an OpenType font and GID → CID for a CID-keyed font
// (nil for a name-keyed one, where CIDs are GIDs). The bare CFF is embedded (FontFile3
// /CIDFontType0C) because viewers disagree on how CIDs address glyphs of an embedded OpenType.
func cffCharset(otf []byte) ([]byte, []uint16, error) {
	if len(otf) < 12 {
		return nil, nil, errors.New("short font")
	}
	n := int(binary.BigEndian.Uint16(otf[4:]))
	var cff []byte
	for i := 0; i < n; i++ {
		r := otf[12+16*i:]
		if len(r) < 16 {
			return nil, nil, errors.New("short table directory")
		}
		if string(r[:4]) == "CFF " {
			off, l := binary.BigEndian.Uint32(r[8:]), binary.BigEndian.Uint32(r[12:])
			if uint64(off)+uint64(l) > uint64(len(otf)) {
				return nil, nil, errors.New("CFF table out of range")
			}
			cff = otf[off : off+l]
		}
	}
	if cff == nil {
		return nil, nil, errors.New("no CFF table")
	}
	index := func(p int) (items [][]byte, next int, err error) {
		if p+2 > len(cff) {
			return nil, 0, errors.New("bad CFF INDEX")
		}
		count := int(binary.BigEndian.Uint16(cff[p:]))
		if count == 0 {
			return nil, p + 2, nil
		}
		os := int(cff[p+2])
		rd := func(q int) int {
			v := 0
			for k := 0; k < os; k++ {
				v = v<<8 | int(cff[q+k])
			}
			return v
		}
		base := p + 3 + (count+1)*os - 1
		if base >= len(cff) {
			return nil, 0, errors.New("bad CFF INDEX")
		}
		for i := 0; i < count; i++ {
			a, b := rd(p+3+i*os), rd(p+3+(i+1)*os)
			if base+b > len(cff) || a > b {
				return nil, 0, errors.New("bad CFF INDEX")
			}
			items = append(items, cff[base+a:base+b])
		}
		return items, base + rd(p+3+count*os), nil
	}
	_, p, err := index(int(cff[2]))
	if err != nil {
		return nil, nil, err
	}
	tops, _, err := index(p)
	if err != nil || len(tops) == 0 {
		return nil, nil, errors.New("no CFF top DICT")
	}
	var operands []int
	charset, nGlyphs, cidKeyed := 0, 0, false
	td := tops[0]
	for i := 0; i < len(td); {
		b := int(td[i])
		switch {
		case b == 28 && i+2 < len(td):
			operands = append(operands, int(int16(binary.BigEndian.Uint16(td[i+1:]))))
			i += 3
		case b == 29 && i+4 < len(td):
			operands = append(operands, int(int32(binary.BigEndian.Uint32(td[i+1:]))))
			i += 5
		case b == 30:
			i++
			for i < len(td) && td[i]&0x0f != 0x0f && td[i]>>4 != 0x0f {
				i++
			}
			i++
			operands = append(operands, 0)
		case b >= 32 && b <= 246:
			operands = append(operands, b-139)
			i++
		case b >= 247 && b <= 250 && i+1 < len(td):
			operands = append(operands, (b-247)*256+int(td[i+1])+108)
			i += 2
		case b >= 251 && b <= 254 && i+1 < len(td):
			operands = append(operands, -(b-251)*256-int(td[i+1])-108)
			i += 2
		default:
			op := b
			if b == 12 && i+1 < len(td) {
				op = 1200 + int(td[i+1])
				i++
			}
			i++
			switch op {
			case 1230:
				cidKeyed = true
			case 15:
				if len(operands) > 0 {
					charset = operands[len(operands)-1]
				}
			case 1234:
				if len(operands) > 0 {
					nGlyphs = operands[len(operands)-1]
				}
			}
			operands = operands[:0]
		}
	}
	if !cidKeyed || charset <= 2 || charset >= len(cff) {
		return cff, nil, nil
	}
	// Number of glyphs from the CharStrings INDEX would be exact; the charset format bounds it.
	_ = nGlyphs
	out := []uint16{0}
	q := charset + 1
	switch cff[charset] {
	case 0:
		for q+1 < len(cff) && len(out) < 65535 {
			out = append(out, binary.BigEndian.Uint16(cff[q:]))
			q += 2
			if nGlyphs > 0 && len(out) >= nGlyphs {
				break
			}
		}
	case 1, 2:
		wide := cff[charset] == 2
		for q+3 < len(cff) && len(out) < 65535 {
			first := int(binary.BigEndian.Uint16(cff[q:]))
			var left int
			if wide {
				left = int(binary.BigEndian.Uint16(cff[q+2:]))
				q += 4
			} else {
				left = int(cff[q+2])
				q += 3
			}
			for c := first; c <= first+left && len(out) < 65535; c++ {
				out = append(out, uint16(c))
			}
			if nGlyphs > 0 && len(out) >= nGlyphs {
				break
			}
		}
	default:
		return nil, nil, errors.New("unknown CFF charset format")
	}
	return cff, out, nil
}
