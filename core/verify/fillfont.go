package verify

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-text/typesetting/font"

	"sealdesk/core/pdf"
)

// fillFont is what fillshow.go knows of a font a filled appearance draws with: what each code
// reads as, and how far it advances.
type fillFont struct {
	name     string
	why      string // non-empty: text in this font is refused (the reason, "a font …")
	two      bool   // two-byte codes (Identity-H)
	decode   map[int]string
	conflict map[int]bool // codes whose two decodings disagree (or, for a new program, lack one)
	widths   map[int]float64
	dflt     float64 // em
}

func (f *fillFont) width(code int) float64 {
	if w, ok := f.widths[code]; ok {
		return w
	}
	return f.dflt
}

// font returns the font an appearance's /Resources name, read once per walk.
func (fw *fillWalk) font(name pdf.Name) *fillFont {
	if f, ok := fw.fonts[string(name)]; ok {
		return f
	}
	a := fw.a
	o := a.cur.Dict(fw.res.Get("Font")).Get(name)
	for _, fb := range fw.fallback {
		// Named but not defined here: readers take the page's font, or PDFium /DR's or its
		// Helvetica; coverhidden.go refuses where those differ, so either reading will do.
		if o == nil && fb != nil {
			o = fb.Get(name)
		}
	}
	f := a.fillFont(o, name)
	fw.fonts[string(name)] = f
	return f
}

// maxToUnicode bounds the entries read from one ToUnicode map.
const maxToUnicode = 1 << 16

// fillFont reads font o (named name in an appearance's resources).
func (a *analysis) fillFont(o pdf.Object, name pdf.Name) *fillFont {
	f := &fillFont{name: "/" + string(name), decode: map[int]string{}, conflict: map[int]bool{}, widths: map[int]float64{}, dflt: 0.6}
	d := a.cur.Dict(o)
	if d == nil {
		f.why = fmt.Sprintf("a font %s its /Resources do not define", f.name)
		return f
	}
	signed := false
	if r, ok := o.(pdf.Ref); ok && !a.isNew(r.Num) {
		od, err1 := a.old.Resolve(r)
		cd, err2 := a.cur.Resolve(r)
		signed = err1 == nil && err2 == nil && a.sameObject(od, cd)
	}
	var tu map[int]string
	if d.Get("ToUnicode") != nil {
		var ok bool
		if tu, ok = a.toUnicode(d.Get("ToUnicode")); !ok {
			f.why = fmt.Sprintf("font %s, whose ToUnicode map cannot be read", f.name)
			return f
		}
	}
	embeddedIn := func(fd pdf.Dict) bool {
		return fd != nil && (fd.Get("FontFile") != nil || fd.Get("FontFile2") != nil || fd.Get("FontFile3") != nil)
	}
	switch d.NameOf("Subtype") {
	case "Type1", "MMType1", "TrueType":
		fd := a.cur.Dict(d.Get("FontDescriptor"))
		embedded := embeddedIn(fd)
		base := string(d.NameOf("BaseFont"))
		if i := strings.IndexByte(base, '+'); i == 6 {
			base = base[i+1:]
		}
		if !embedded && (strings.HasPrefix(base, "Symbol") || strings.HasPrefix(base, "ZapfDingbats")) {
			f.why = fmt.Sprintf("the symbol font %s (%s)", f.name, base)
			return f
		}
		flags, _ := pdf.IntOf(a.resolveDeep(a.cur, fd.Get("Flags")))
		enc := &standardRunes
		if embedded && flags&4 != 0 {
			enc = nil // a symbolic program's own encoding
		}
		diffs := map[int]pdf.Name{}
		switch e := a.resolveDeep(a.cur, d.Get("Encoding")).(type) {
		case nil:
		case pdf.Name:
			if enc = baseEncoding(e); enc == nil {
				f.why = fmt.Sprintf("font %s with the unknown encoding /%s", f.name, e)
				return f
			}
		case pdf.Dict:
			if be := e.NameOf("BaseEncoding"); be != "" {
				if enc = baseEncoding(be); enc == nil {
					f.why = fmt.Sprintf("font %s with the unknown encoding /%s", f.name, be)
					return f
				}
			}
			arr, _ := a.resolveDeep(a.cur, e.Get("Differences")).(pdf.Array)
			code := -1
			for _, x := range arr {
				switch v := a.resolveDeep(a.cur, x).(type) {
				case pdf.Int:
					code = int(v)
				case pdf.Name:
					if code >= 0 && code < 256 {
						diffs[code] = v
					}
					code++
				}
			}
		default:
			f.why = fmt.Sprintf("font %s with an unreadable /Encoding", f.name)
			return f
		}
		for code := 0; code < 256; code++ {
			var r rune
			if enc != nil {
				r = enc[code]
			}
			if n, ok := diffs[code]; ok {
				r = glyphRune(string(n))
			}
			if r != 0 {
				f.decode[code] = string(r)
			}
		}
		for code, t := range tu {
			if g, ok := f.decode[code]; ok && fillNorm(g) != fillNorm(t) {
				f.conflict[code] = true
			} else if !ok && (signed || !embedded) && code < 256 {
				// A signed (or standard) font whose codes have no names — a symbolic subset
				// drawing through its own cmap: its ToUnicode map is what it was signed with.
				f.decode[code] = t
			}
		}
		if embedded && !signed {
			// A program added after signing: only a face the signed form embedded, its glyph
			// names and its ToUnicode map agreeing.
			if why := a.signedFace(base, f); why != "" {
				f.why = why
				return f
			}
			if tu == nil {
				f.why = fmt.Sprintf("font %s, added after signing with its own glyph program and no ToUnicode map to check its glyph names against", f.name)
				return f
			}
			for code := range f.decode {
				if _, ok := tu[code]; !ok {
					f.conflict[code] = true
				}
			}
		}
		fc, _ := pdf.IntOf(a.resolveDeep(a.cur, d.Get("FirstChar")))
		if ws, ok := a.resolveDeep(a.cur, d.Get("Widths")).(pdf.Array); ok {
			for i, x := range ws {
				if n, ok := pdf.Number(a.resolveDeep(a.cur, x)); ok && n >= 0 {
					f.widths[int(fc)+i] = n / 1000
				}
			}
			if n, ok := pdf.Number(a.resolveDeep(a.cur, fd.Get("MissingWidth"))); ok && n > 0 {
				f.dflt = n / 1000
			}
		} else {
			std := standardWidths(base)
			for code, t := range f.decode {
				if r := []rune(t); len(r) == 1 {
					if std == nil {
						f.widths[code] = 0.6
					} else if w, ok := std[r[0]]; ok {
						f.widths[code] = float64(w) / 1000
					}
				}
			}
		}
	case "Type0":
		f.two = true
		if e, _ := a.resolveDeep(a.cur, d.Get("Encoding")).(pdf.Name); e != "Identity-H" {
			f.why = fmt.Sprintf("composite font %s with an encoding other than Identity-H", f.name)
			return f
		}
		descs, _ := a.resolveDeep(a.cur, d.Get("DescendantFonts")).(pdf.Array)
		if len(descs) != 1 {
			f.why = fmt.Sprintf("composite font %s without exactly one descendant font", f.name)
			return f
		}
		cid := a.cur.Dict(descs[0])
		if st := cid.NameOf("Subtype"); st != "CIDFontType0" && st != "CIDFontType2" {
			f.why = fmt.Sprintf("composite font %s with an unknown descendant", f.name)
			return f
		}
		if tu == nil {
			f.why = fmt.Sprintf("composite font %s without a ToUnicode map", f.name)
			return f
		}
		f.decode = tu
		fd := a.cur.Dict(cid.Get("FontDescriptor"))
		if embeddedIn(fd) && !signed {
			base := string(cid.NameOf("BaseFont"))
			if i := strings.IndexByte(base, '+'); i == 6 {
				base = base[i+1:]
			}
			if why := a.signedFace(base, f); why != "" {
				f.why = why
				return f
			}
			if why := a.fillCmap(cid, fd, f); why != "" {
				f.why = why
				return f
			}
		}
		f.dflt = 1
		if n, ok := pdf.Number(a.resolveDeep(a.cur, cid.Get("DW"))); ok && n >= 0 {
			f.dflt = n / 1000
		}
		w, _ := a.resolveDeep(a.cur, cid.Get("W")).(pdf.Array)
		for i := 0; i < len(w) && len(f.widths) < maxToUnicode; {
			c1, ok := pdf.IntOf(a.resolveDeep(a.cur, w[i]))
			if !ok || i+1 >= len(w) {
				break
			}
			if arr, ok := a.resolveDeep(a.cur, w[i+1]).(pdf.Array); ok {
				for j, x := range arr {
					if n, ok := pdf.Number(a.resolveDeep(a.cur, x)); ok {
						f.widths[int(c1)+j] = n / 1000
					}
				}
				i += 2
				continue
			}
			if i+2 >= len(w) {
				break
			}
			c2, ok1 := pdf.IntOf(a.resolveDeep(a.cur, w[i+1]))
			n, ok2 := pdf.Number(a.resolveDeep(a.cur, w[i+2]))
			if ok1 && ok2 && c2 >= c1 && c2-c1 < maxToUnicode {
				for c := c1; c <= c2; c++ {
					f.widths[int(c)] = n / 1000
				}
			}
			i += 3
		}
	default:
		f.why = fmt.Sprintf("font %s, a Type 3 or unknown font", f.name)
	}
	return f
}

// baseEncoding returns the named simple-font encoding, nil when unknown.
func baseEncoding(n pdf.Name) *[256]rune {
	switch n {
	case "WinAnsiEncoding":
		return &winAnsiRunes
	case "MacRomanEncoding":
		return &macRomanRunes
	case "StandardEncoding":
		return &standardRunes
	}
	return nil
}

// glyphRune maps a glyph name to Unicode: the Latin names, uniXXXX and uXXXX[XX], a suffix
// after '.' ignored ("one.oldstyle"); 0 when unknown.
func glyphRune(name string) rune {
	if r, ok := glyphRunes[name]; ok {
		return r
	}
	if len(name) == 7 && strings.HasPrefix(name, "uni") {
		if v, err := strconv.ParseUint(name[3:], 16, 32); err == nil && (v < 0xD800 || v >= 0xE000 && v <= 0xFFFF) {
			return rune(v)
		}
	}
	if len(name) >= 5 && len(name) <= 7 && name[0] == 'u' {
		if v, err := strconv.ParseUint(name[1:], 16, 32); err == nil && v <= 0x10FFFF && (v < 0xD800 || v >= 0xE000) {
			return rune(v)
		}
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		return glyphRune(name[:i])
	}
	return 0
}

// standardWidths returns the widths of the standard face a /BaseFont names (Helvetica for
// unknown names, as PDFium substitutes), nil for a fixed-pitch face (0.6 em).
func standardWidths(base string) map[rune]uint16 {
	bold := strings.Contains(base, "Bold")
	switch {
	case strings.HasPrefix(base, "Courier"):
		return nil
	case strings.HasPrefix(base, "Times"):
		if bold {
			return timesBoldWidths
		}
		return timesWidths
	case bold:
		return helveticaBoldWidths
	}
	return helveticaWidths
}

// toUnicode reads a ToUnicode CMap's bfchar and bfrange entries (code → text).
func (a *analysis) toUnicode(o pdf.Object) (map[int]string, bool) {
	st, ok := a.resolveDeep(a.cur, o).(*pdf.Stream)
	if !ok || st.Length > maxDecodedAppearance {
		return nil, false
	}
	data, err := a.v.f.OptionalStreamData(st)
	if err != nil || len(data) > maxDecodedAppearance {
		return nil, false
	}
	out := map[int]string{}
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	pb := &paintBounds{}
	code := func(b []byte) (int, bool) {
		if len(b) == 0 || len(b) > 2 {
			return 0, false
		}
		c := 0
		for _, x := range b {
			c = c<<8 | int(x)
		}
		return c, true
	}
	text := func(b []byte) string {
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	var strs []pdf.Object
	mode := ""
	for n := 0; n < 4*maxToUnicode; n++ {
		t, err := lx.Next()
		if err != nil {
			return nil, false
		}
		switch t.Kind {
		case pdf.TokEOF:
			return out, true
		case pdf.TokString, pdf.TokHexString:
			strs = append(strs, pdf.String{Bytes: t.Value})
		case pdf.TokArrayOpen:
			arr, ok := pb.array(lx)
			if !ok {
				return nil, false
			}
			strs = append(strs, arr)
		case pdf.TokKeyword:
			switch k := string(t.Raw); k {
			case "beginbfchar", "beginbfrange":
				mode, strs = k, strs[:0]
			case "endbfchar":
				for i := 0; i+1 < len(strs); i += 2 {
					s1, ok1 := strs[i].(pdf.String)
					s2, ok2 := strs[i+1].(pdf.String)
					if c, ok := code(s1.Bytes); ok && ok1 && ok2 {
						out[c] = text(s2.Bytes)
					}
				}
				mode, strs = "", strs[:0]
			case "endbfrange":
				for i := 0; i+2 < len(strs); i += 3 {
					s1, ok1 := strs[i].(pdf.String)
					s2, ok2 := strs[i+1].(pdf.String)
					lo, okl := code(s1.Bytes)
					hi, okh := code(s2.Bytes)
					if !ok1 || !ok2 || !okl || !okh || hi < lo || hi-lo > 0xFFFF || len(out)+hi-lo > maxToUnicode {
						return nil, false
					}
					switch dst := strs[i+2].(type) {
					case pdf.String:
						u := []rune(text(dst.Bytes))
						if len(u) == 0 {
							continue
						}
						for c := lo; c <= hi; c++ {
							v := append([]rune(nil), u...)
							v[len(v)-1] += rune(c - lo)
							out[c] = string(v)
						}
					case pdf.Array:
						for j, x := range dst {
							if s, ok := x.(pdf.String); ok && lo+j <= hi {
								out[lo+j] = text(s.Bytes)
							}
						}
					}
				}
				mode, strs = "", strs[:0]
			default:
				if mode == "" {
					strs = strs[:0]
				}
			}
		default:
			if mode == "" {
				strs = strs[:0]
			}
		}
	}
	return nil, false
}

// maxFillFontProgram bounds the font program fillCmap reads.
const maxFillFontProgram = 8 << 20

// signedFace: a font program added after signing is accepted only for a face the signed form
// already embedded in its /DR (by /BaseFont, subset prefix aside) — a filler re-subsetting the
// /DA font, as DocuSign's PDFKit.NET does; never a face of the filler's choosing.
func (a *analysis) signedFace(base string, f *fillFont) string {
	if a.drFaces == nil {
		a.drFaces = map[string]bool{}
		cat, err := a.old.Catalog()
		if err == nil {
			fonts := a.old.Dict(a.old.Dict(a.old.Dict(cat.Get("AcroForm")).Get("DR")).Get("Font"))
			for _, k := range fonts.Keys() {
				fd := a.old.Dict(fonts.Get(k))
				if fd == nil {
					continue
				}
				faces := []pdf.Dict{fd}
				if ds, ok := a.resolveDeep(a.old, fd.Get("DescendantFonts")).(pdf.Array); ok && len(ds) == 1 {
					faces = append(faces, a.old.Dict(ds[0]))
				}
				for _, x := range faces {
					desc := a.old.Dict(x.Get("FontDescriptor"))
					if desc == nil || (desc.Get("FontFile") == nil && desc.Get("FontFile2") == nil && desc.Get("FontFile3") == nil) {
						continue
					}
					b := string(x.NameOf("BaseFont"))
					if i := strings.IndexByte(b, '+'); i == 6 {
						b = b[i+1:]
					}
					a.drFaces[b] = true
				}
			}
		}
	}
	if base == "" || !a.drFaces[base] {
		return fmt.Sprintf("font %s (%s), added after signing with its own glyph program, a face the signed form's /DR did not embed: its glyphs can draw anything its names and ToUnicode map say otherwise", f.name, base)
	}
	return ""
}

// fillCmap checks a composite font added after signing with its own program: where the program
// has a cmap, it must map each character the ToUnicode map gives a code to the glyph that code
// selects (through /CIDToGIDMap). A subset without a cmap (DocuSign's) leaves the ToUnicode map
// the only reading.
func (a *analysis) fillCmap(cid, fd pdf.Dict, f *fillFont) string {
	st, ok := a.resolveDeep(a.cur, fd.Get("FontFile2")).(*pdf.Stream)
	if !ok {
		if st3, ok3 := a.resolveDeep(a.cur, fd.Get("FontFile3")).(*pdf.Stream); ok3 && st3.Dict.NameOf("Subtype") == "OpenType" {
			st, ok = st3, true
		}
	}
	if !ok {
		return fmt.Sprintf("composite font %s, added after signing with a glyph program whose characters cannot be checked against its ToUnicode map", f.name)
	}
	data, err := a.v.f.OptionalStreamData(st)
	if err != nil || len(data) > maxFillFontProgram {
		return fmt.Sprintf("composite font %s, added after signing with a glyph program that cannot be read", f.name)
	}
	face, err := font.ParseTTF(bytes.NewReader(data))
	if err != nil {
		if strings.Contains(err.Error(), "missing table cmap") {
			return "" // a subset without a cmap: the ToUnicode map is all there is
		}
		return fmt.Sprintf("composite font %s, added after signing with a glyph program that cannot be read", f.name)
	}
	var gidMap []byte
	switch m := a.resolveDeep(a.cur, cid.Get("CIDToGIDMap")).(type) {
	case nil, pdf.Name:
		if m != nil && m != pdf.Name("Identity") {
			return fmt.Sprintf("composite font %s with an unknown /CIDToGIDMap", f.name)
		}
	case *pdf.Stream:
		if gidMap, err = a.v.f.OptionalStreamData(m); err != nil || len(gidMap) > 1<<17 {
			return fmt.Sprintf("composite font %s with an unreadable /CIDToGIDMap", f.name)
		}
	default:
		return fmt.Sprintf("composite font %s with an unknown /CIDToGIDMap", f.name)
	}
	for c, t := range f.decode {
		r := []rune(t)
		if len(r) != 1 {
			f.conflict[c] = true
			continue
		}
		gid := c
		if gidMap != nil {
			if 2*c+1 >= len(gidMap) {
				f.conflict[c] = true
				continue
			}
			gid = int(gidMap[2*c])<<8 | int(gidMap[2*c+1])
		}
		if g, ok := face.NominalGlyph(r[0]); !ok || int(g) != gid {
			f.conflict[c] = true
		}
	}
	return ""
}
