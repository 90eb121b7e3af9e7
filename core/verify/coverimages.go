package verify

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"sync"

	"sealdesk/core/pdf"
)

// Images that readers draw differently (red team s5 F2). The cover check renders with PDFium,
// which leaves out an image whose samples it cannot decode completely — no data, fewer bytes
// than /Width × /Height need, a JPEG or JPEG 2000 stream that does not decode — while poppler
// and MuPDF pad the missing samples and paint the image's whole area (black, or white with
// /Decode [1 0]). An annotation whose appearance draws such an image over signed text therefore
// hid it from every poppler or MuPDF reader while the rendering comparison saw nothing. So an
// image that an added or changed appearance draws must be decoded completely by our own
// decoders; one that is not (or that uses a codec we do not decode: JPX, JBIG2, CCITT) is a
// reader ambiguity the rendering cannot settle, reported as a disallowed change.
//
// Mesh shadings (types 4 to 7) are the same case: PDFium draws nothing for one whose data breaks
// a rule (a vertex flag out of range, a bit width ISO 32000 does not allow, a /Decode array of
// the wrong length), poppler draws what it can read — a white triangle mesh over the signed
// amount was valid. Their data must follow the rules exactly.
//
// Optional content too (red team s5 F5): readers evaluate a visibility expression with an
// operator ISO 32000 does not define (/VE [/Xor …]) differently — PDFium hides the content,
// poppler shows it — and likewise unlisted groups, odd policies and automatic states. Optional
// content in an added appearance must be plain: an OCG the catalog's /OCProperties lists, or a
// membership dictionary without /VE over such OCGs with a standard /P, and no /AS in the
// default configuration.

// maxImageDimension is PDFium's largest image width or height (CPDF_DIB's kMaxImageDimension,
// 0x1FFFF): it draws nothing for a wider or taller image, which poppler draws (red team s9 F8).
const maxImageDimension = 131071

// maxCheckedJPEGPixels bounds the JPEG images decoded for this check; a larger one counts as
// not checked (the pixel budget of the cover check refuses far larger ones anyway).
const maxCheckedJPEGPixels = 40_000_000

// undecodableImage names the first image an appearance of annotation d draws (its /AP streams,
// the forms, tiling patterns, soft-mask groups and Type 3 glyphs they name, their inline images, the images'
// /SMask and /Mask) whose samples are not all there; "" when every one decodes completely.
func (a *analysis) undecodableImage(d pdf.Dict) string {
	w := &imageWalk{a: a, seen: map[int]bool{}}
	if r := d.Get("Rect"); r != nil && !w.numbersInRange(w.resolve(r), 4) {
		return "an annotation /Rect that is not four numbers in range" // coversyntax.go
	}
	if why := a.stateSelection(d); why != "" {
		return why
	}
	if bm := d.Get("BM"); bm != nil {
		// PDF 2.0's blend mode of the whole annotation (ISO 32000-2 12.5.2): readers that
		// predate it ignore it (red team s10 WIN 8's class at the annotation level).
		if b := w.blendOf(bm); b != "Normal" && b != "Compatible" {
			return "an annotation /BM other than /Normal (readers that predate PDF 2.0 ignore it)"
		}
	}
	if why := w.formNesting(a.appearanceStreams(d)); why != "" {
		return why // covernest.go
	}
	for _, st := range a.appearanceStreams(d) {
		if why := w.form(st, 0); why != "" {
			return why
		}
	}
	return ""
}

// stateSelection names a normal appearance that readers select differently: /AP /N a
// dictionary of states while the annotation has no /AS (red team s8 F1). poppler then draws a
// lone state; PDFium draws the state its (or its parent's) /V names, or /Off; MuPDF draws none.
// A white box and a new amount as the only state of a Square annotation without /AS was valid
// (PDFium drew nothing) while poppler showed the new amount. With /AS every reader draws the
// state it names (or nothing when there is none), so only the missing /AS is refused.
func (a *analysis) stateSelection(d pdf.Dict) string {
	n, err := a.cur.Resolve(a.cur.Dict(d.Get("AP")).Get("N"))
	if err != nil {
		return ""
	}
	states, ok := n.(pdf.Dict)
	if !ok || len(states) == 0 {
		return ""
	}
	as, err := a.cur.Resolve(d.Get("AS"))
	name, isName := as.(pdf.Name)
	if err != nil || !isName {
		return fmt.Sprintf("an appearance of %d state(s) without an /AS name, which readers select differently (poppler draws a lone state, PDFium the state /V names or /Off, MuPDF none)", len(states))
	}
	// The state's name and the states' keys as every reader reads them (names.go).
	if why := nameHazard(name); why != "" {
		return "an appearance state /AS that is " + why
	}
	for k := range states {
		if why := nameHazard(k); why != "" {
			return "an appearance state key that is " + why
		}
	}
	return ""
}

type imageWalk struct {
	a       *analysis
	seen    map[int]bool
	steps   int
	ocgs    map[int]bool // the OCGs the catalog's /OCProperties lists (loaded on first use)
	ocAS    bool         // its default configuration sets states automatically (/AS)
	ocProps bool         // the catalog has /OCProperties (a dictionary)
	// glyphNoRes: the content checked is a Type 3 glyph whose font has no /Resources
	glyphNoRes bool
	// isolated counts the isolated or knockout transparency groups the content checked lies in
	// (coverstate.go: no Multiply inside them).
	isolated int
}

func (w *imageWalk) resolve(o pdf.Object) pdf.Object {
	r, err := w.a.cur.Resolve(o)
	if err != nil {
		return nil
	}
	return r
}

// form checks a content stream (an appearance, a form XObject, a pattern cell) and what its
// resources name.
func (w *imageWalk) form(st *pdf.Stream, depth int) string {
	if why := w.formGeometry(st.Dict, "a form"); why != "" {
		return why
	}
	if g := w.a.cur.Dict(st.Dict.Get("Group")); g != nil && g.NameOf("S") == "Transparency" {
		iso, _ := w.resolve(g.Get("I")).(pdf.Bool)
		ko, _ := w.resolve(g.Get("K")).(pdf.Bool)
		if iso || ko {
			w.isolated++
			defer func() { w.isolated-- }()
		}
	}
	return w.content(st, w.a.cur.Dict(st.Dict.Get("Resources")), depth)
}

// content checks a content stream drawn with resources res (a form's own, or a Type 3 font's
// for its glyph procedures) and what those resources name.
func (w *imageWalk) content(st *pdf.Stream, res pdf.Dict, depth int) string {
	w.steps++
	if depth > maxFormNesting+1 || w.steps > 10000 {
		return "" // formNesting refuses deeper content; the appearance budgets judge larger graphs
	}
	if st.Length <= maxDecodedAppearance {
		if data, err := w.a.v.f.OptionalStreamData(st); err == nil {
			if why := w.inline(data, res); why != "" {
				return why
			}
			if ambiguousTextMode(data) {
				return "a text render mode with an operand that is not an integer (PDFium reads 3.0 Tr as invisible text, poppler shows the text)"
			}
			if why := w.contentSyntax(data, res); why != "" {
				return why // coversyntax.go
			}
		}
	}
	if why := w.resourceStates(res); why != "" {
		return why // coverstate.go
	}
	// Type 3 glyphs are content streams too: an image inside one is drawn like any other.
	for _, fo := range w.a.cur.Dict(res.Get("Font")) {
		fd := w.a.cur.Dict(fo)
		if fd.NameOf("Subtype") != "Type3" {
			continue
		}
		if r, ok := fo.(pdf.Ref); ok {
			if w.seen[r.Num] {
				continue
			}
			w.seen[r.Num] = true
		}
		if why := w.fontMatrix(fd); why != "" {
			return why
		}
		fres := w.a.cur.Dict(fd.Get("Resources"))
		noRes := fres == nil
		if noRes {
			fres = res
		}
		for _, cp := range w.a.cur.Dict(fd.Get("CharProcs")) {
			if cs, ok := w.resolve(cp).(*pdf.Stream); ok {
				w.glyphNoRes = noRes
				why := w.content(cs, fres, depth+1)
				w.glyphNoRes = false
				if why != "" {
					return why
				}
			}
		}
	}
	for _, o := range w.a.cur.Dict(res.Get("Properties")) {
		if why := w.optionalContent(o); why != "" {
			return why
		}
	}
	for _, key := range []pdf.Name{"XObject", "Pattern"} {
		for name, o := range w.a.cur.Dict(res.Get(key)) {
			if oc := w.a.cur.Dict(o).Get("OC"); oc != nil {
				if why := w.optionalContent(oc); why != "" {
					return why
				}
			}
			if r, ok := o.(pdf.Ref); ok {
				if w.seen[r.Num] {
					continue
				}
				w.seen[r.Num] = true
			}
			if pd := w.a.cur.Dict(o); key == "Pattern" && pd != nil {
				if why := w.formGeometry(pd, "pattern /"+string(name)); why != "" {
					return why
				}
			}
			if key == "Pattern" {
				if why := w.pattern(o, name); why != "" {
					return why // coverpaint.go
				}
			}
			if pd := w.a.cur.Dict(o); key == "Pattern" && pd != nil && pd.Get("Shading") != nil {
				if why := w.fullShading(pd.Get("Shading")); why != "" {
					return fmt.Sprintf("pattern /%s: %s", name, why)
				}
			}
			x, ok := w.resolve(o).(*pdf.Stream)
			if !ok {
				continue
			}
			if x.Dict.NameOf("Subtype") == "Image" {
				if why := w.image(x, fmt.Sprintf("image /%s", name), 0); why != "" {
					return why
				}
				continue
			}
			if why := w.form(x, depth+1); why != "" {
				return why
			}
		}
	}
	for name, o := range w.a.cur.Dict(res.Get("Shading")) {
		if why := w.fullShading(o); why != "" {
			return fmt.Sprintf("shading /%s: %s", name, why) // coverpaint.go
		}
	}
	for name, o := range w.a.cur.Dict(res.Get("ColorSpace")) {
		if why := w.fillSpace(o); why != "" {
			return fmt.Sprintf("colour space /%s: %s", name, why)
		}
	}
	for _, o := range w.a.cur.Dict(res.Get("ExtGState")) {
		sm := w.a.cur.Dict(w.a.cur.Dict(o).Get("SMask"))
		g := sm.Get("G")
		if r, ok := g.(pdf.Ref); ok {
			if w.seen[r.Num] {
				continue
			}
			w.seen[r.Num] = true
		}
		if x, ok := w.resolve(g).(*pdf.Stream); ok {
			if why := w.form(x, depth+1); why != "" {
				return why
			}
		}
	}
	return ""
}

// image checks an image XObject and its masks.
func (w *imageWalk) image(st *pdf.Stream, what string, depth int) string {
	if depth > 2 {
		return ""
	}
	filters := w.filterNames(st.Dict.Get("Filter"))
	data, err := w.a.v.f.OptionalStreamData(st)
	if err != nil {
		return fmt.Sprintf("%s cannot be decoded (%v)", what, err)
	}
	if why := w.samples(st.Dict, nil, data, filters, false, what); why != "" {
		return why
	}
	for _, k := range []pdf.Name{"SMask", "Mask"} {
		if m, ok := w.resolve(st.Dict.Get(k)).(*pdf.Stream); ok {
			if why := w.image(m, what+" /"+string(k), depth+1); why != "" {
				return why
			}
		}
	}
	return ""
}

// filterNames lists the filters of a /Filter entry (a name or an array, resolved).
func (w *imageWalk) filterNames(o pdf.Object) []pdf.Name {
	switch x := w.resolve(o).(type) {
	case pdf.Name:
		return []pdf.Name{x}
	case pdf.Array:
		var out []pdf.Name
		for _, e := range x {
			if n, ok := w.resolve(e).(pdf.Name); ok {
				out = append(out, n)
			}
		}
		return out
	}
	return nil
}

// inlineKeys maps the abbreviations of inline-image dictionaries to the full keys.
var inlineKeys = sync.OnceValue(func() map[pdf.Name]pdf.Name {
	return map[pdf.Name]pdf.Name{"W": "Width", "H": "Height", "BPC": "BitsPerComponent", "CS": "ColorSpace",
		"IM": "ImageMask", "F": "Filter", "DP": "DecodeParms", "D": "Decode", "I": "Interpolate"}
})

// inlineFilters maps the abbreviated filter names of inline images.
var inlineFilters = sync.OnceValue(func() map[pdf.Name]pdf.Name {
	return map[pdf.Name]pdf.Name{"AHx": "ASCIIHexDecode", "A85": "ASCII85Decode", "LZW": "LZWDecode",
		"Fl": "FlateDecode", "RL": "RunLengthDecode", "CCF": "CCITTFaxDecode", "DCT": "DCTDecode"}
})

// inline checks the inline images (BI … ID data EI) of a content stream.
func (w *imageWalk) inline(data []byte, res pdf.Dict) string {
	if !bytes.Contains(data, []byte("BI")) {
		return ""
	}
	p := pdf.NewParser(pdf.NewBytesLexer(data, 0, int64(len(data))+1), nil)
	for i := 0; i < maxAppearanceTokens; i++ {
		t, err := p.Next()
		if err != nil || t.Kind == pdf.TokEOF {
			return ""
		}
		if t.Kind != pdf.TokKeyword || string(t.Raw) != "BI" {
			continue
		}
		d := pdf.Dict{}
		for j := 0; ; j++ {
			k, err := p.Next()
			if err != nil || k.Kind == pdf.TokEOF || j > 64 {
				return "an inline image is not terminated"
			}
			if k.Kind == pdf.TokKeyword && string(k.Raw) == "ID" {
				break
			}
			if k.Kind != pdf.TokName {
				continue
			}
			v, err := p.ParseObject()
			if err != nil {
				return "an inline image's dictionary cannot be read"
			}
			key := pdf.Name(k.Value)
			if full, ok := inlineKeys()[key]; ok {
				key = full
			}
			d[key] = v
		}
		start := p.Pos() + 1 // one white-space byte after ID
		if start > int64(len(data)) {
			start = int64(len(data))
		}
		end := inlineEnd(data, start)
		var filters []pdf.Name
		for _, n := range w.filterNames(d.Get("Filter")) {
			if full, ok := inlineFilters()[n]; ok {
				n = full
			}
			filters = append(filters, n)
		}
		fa := make(pdf.Array, len(filters))
		for i, n := range filters {
			fa[i] = n
		}
		samples, _, err := pdf.DecodeFilters(data[start:end], fa, d.Get("DecodeParms"), 16<<20)
		if err != nil {
			return fmt.Sprintf("an inline image cannot be decoded (%v)", err)
		}
		if why := w.samples(d, res, samples, filters, true, "an inline image"); why != "" {
			return why
		}
		if len(filters) > 0 {
			if why := inlineTail(data[start:end], filters[0]); why != "" {
				return "an inline image " + why
			}
		}
		p.SetPos(min(end+2, int64(len(data))))
	}
	return ""
}

// inlineTail checks that the raw data of a filtered inline image ends where its first filter
// ends, but for white space: PDFium skips to the next EI token, poppler to the next E I byte
// pair, and poppler reads what follows that pair as content (see samples for the unfiltered
// case). Where the verifier cannot tell the filter's end (LZW, CCITT, JBIG2, JPX), the data
// must hold no E I pair at all.
func inlineTail(raw []byte, first pdf.Name) string {
	end := -1
	switch first {
	case "FlateDecode":
		br := bytes.NewReader(raw)
		if zr, err := zlib.NewReader(br); err == nil {
			if _, err := io.Copy(io.Discard, zr); err == nil {
				end = len(raw) - br.Len()
			}
		}
	case "ASCIIHexDecode":
		end = bytes.IndexByte(raw, '>') + 1
	case "ASCII85Decode":
		if i := bytes.Index(raw, []byte("~>")); i >= 0 {
			end = i + 2
		}
	case "RunLengthDecode":
		for i := 0; i < len(raw); {
			n := int(raw[i])
			if n == 128 {
				end = i + 1
				break
			}
			if n < 128 {
				i += n + 2
			} else {
				i += 2
			}
		}
	case "DCTDecode":
		// The first EOI after the first scan ends a JPEG (entropy-coded data stuffs its 0xFF
		// bytes; thumbnails sit in segments before the scan).
		if sos := bytes.Index(raw, []byte{0xff, 0xda}); sos >= 0 {
			if eoi := bytes.Index(raw[sos:], []byte{0xff, 0xd9}); eoi >= 0 {
				end = sos + eoi + 2
			}
		}
	}
	if end <= 0 {
		if bytes.Contains(raw, []byte("EI")) {
			return fmt.Sprintf("with %s data holding the bytes EI, where poppler may end it (the verifier cannot tell where the data ends)", first)
		}
		return ""
	}
	for _, c := range raw[min(end, len(raw)):] {
		if !pdf.IsWhite(c) {
			return fmt.Sprintf("with %d bytes after its %s data (poppler reads them as content after a stray EI, PDFium skips them)", len(raw)-end, first)
		}
	}
	return ""
}

// inlineEnd finds the EI that ends inline-image data starting at start: "EI" after white space
// and followed by white space or the end.
func inlineEnd(data []byte, start int64) int64 {
	for i := start; i+2 <= int64(len(data)); i++ {
		if data[i] != 'E' || data[i+1] != 'I' {
			continue
		}
		if i > start && !pdf.IsWhite(data[i-1]) {
			continue
		}
		if i+2 == int64(len(data)) || pdf.IsWhite(data[i+2]) {
			end := i
			if end > start && pdf.IsWhite(data[end-1]) {
				end-- // the white space before EI is not data
			}
			return end
		}
	}
	return int64(len(data))
}

// samples checks that data (decoded by every filter but an image codec) holds all the samples
// an image dictionary d declares; a JPEG must decode; other codecs cannot be checked.
func (w *imageWalk) samples(d, res pdf.Dict, data []byte, filters []pdf.Name, inline bool, what string) string {
	if why := w.imageKeys(d, filters); why != "" {
		return what + " " + why
	}
	codec := pdf.Name("")
	for _, f := range filters {
		switch f {
		case "DCTDecode", "DCT", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode", "CCF":
			if codec != "" {
				return fmt.Sprintf("%s is encoded twice with image codecs (%s, %s)", what, codec, f)
			}
			codec = f
		}
	}
	switch codec {
	case "DCTDecode", "DCT":
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return fmt.Sprintf("%s is a JPEG that cannot be decoded (%v)", what, err)
		}
		if cfg.Width*cfg.Height > maxCheckedJPEGPixels {
			return fmt.Sprintf("%s is a JPEG of %d×%d pixels, too large to check", what, cfg.Width, cfg.Height)
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			return fmt.Sprintf("%s is a JPEG that cannot be decoded completely (%v)", what, err)
		}
		// PDFium refuses a JPEG whose components do not match the declared colour space (a grey
		// JPEG declared DeviceRGB); poppler draws it.
		if cs := d.Get("ColorSpace"); cs != nil {
			have := int64(3)
			switch img.(type) {
			case *image.Gray:
				have = 1
			case *image.CMYK:
				have = 4
			}
			if want := w.components(cs, res, inline, 0); want != have {
				return fmt.Sprintf("%s is a JPEG of %d colour components in a colour space of %d", what, have, want)
			}
		}
		return ""
	case "":
	default:
		return fmt.Sprintf("%s is encoded with %s, which the verifier does not decode", what, codec)
	}
	width, _ := pdf.IntOf(w.resolve(d.Get("Width")))
	height, _ := pdf.IntOf(w.resolve(d.Get("Height")))
	if width <= 0 || height <= 0 {
		return "" // no reader draws it
	}
	mask := false
	if b, ok := w.resolve(d.Get("ImageMask")).(pdf.Bool); ok {
		mask = bool(b)
	}
	bpc, ok := pdf.IntOf(w.resolve(d.Get("BitsPerComponent")))
	comps := int64(1)
	switch {
	case mask:
		bpc = 1
	case !ok || bpc <= 0:
		return "" // no reader draws it
	case bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16:
		// PDFium draws nothing for 3, 5 or 7 bits; poppler draws them.
		return fmt.Sprintf("%s has %d bits per component, which ISO 32000 does not allow", what, bpc)
	default:
		cs := d.Get("ColorSpace")
		if cs == nil {
			return "" // no reader draws it
		}
		comps = w.components(cs, res, inline, 0)
		if comps <= 0 {
			return fmt.Sprintf("%s has a colour space the verifier cannot size", what)
		}
		if why := w.colourSpaceProblem(cs, res, inline, 0); why != "" {
			return fmt.Sprintf("%s has %s", what, why)
		}
	}
	if rowBytes := (width*comps*bpc + 7) / 8; float64(rowBytes)*float64(height) >= 1<<32 {
		// PDFium sizes the samples in 32 bits and draws nothing past that (CPDF_DIB).
		return fmt.Sprintf("%s declares %d×%d samples of %d bytes a row, more than PDFium sizes (4 GB)", what, width, height, rowBytes)
	}
	if !inline && float64(width)*float64(height) > MaxDrawnImagePixels {
		return "" // the cover check's pixel budget refuses the page (ChangeCoverUnchecked)
	}
	if width > 1<<20 || height > 1<<20 {
		return fmt.Sprintf("%s declares %d×%d samples, too many to check", what, width, height)
	}
	need := (width*comps*bpc + 7) / 8 * height
	if int64(len(data)) < need {
		return fmt.Sprintf("%s has %d of the %d bytes of samples it declares", what, len(data), need)
	}
	if inline && len(filters) == 0 {
		// PDFium takes exactly the declared bytes of an unfiltered inline image and reads what
		// follows as content up to EI: operators hidden there are drawn by it and were never
		// checked here as content.
		for _, c := range data[need:] {
			if !pdf.IsWhite(c) {
				return fmt.Sprintf("%s has %d bytes of data where it declares %d (PDFium reads the rest as content)", what, len(data), need)
			}
		}
	}
	if hival, ok := w.indexedHival(d.Get("ColorSpace"), res, inline); ok && !mask {
		return indexedSamples(d, w, data[:need], width, bpc, hival, what)
	}
	return ""
}

// indexedHival is the /hival of an Indexed colour space cs (named in res for an inline image).
func (w *imageWalk) indexedHival(cs pdf.Object, res pdf.Dict, inline bool) (int64, bool) {
	x := w.resolve(cs)
	if n, ok := x.(pdf.Name); ok && inline {
		x = w.resolve(w.a.cur.Dict(res.Get("ColorSpace")).Get(n))
	}
	arr, ok := x.(pdf.Array)
	if !ok || len(arr) < 3 {
		return 0, false
	}
	if fam := w.family(arr); fam != "Indexed" && fam != "I" {
		return 0, false
	}
	return pdf.IntOf(w.resolve(arr[2]))
}

// indexedSamples names an Indexed image whose samples select an index beyond /hival: PDFium
// paints such a pixel black (its palette has no entry there), poppler and MuPDF the colour of
// /hival. A /Decode other than the default maps samples to other indices and is refused too.
func indexedSamples(d pdf.Dict, w *imageWalk, data []byte, width, bpc, hival int64, what string) string {
	if dec := d.Get("Decode"); dec != nil {
		v, ok := w.numbers(dec)
		if !ok || len(v) != 2 || v[0] != 0 || v[1] != float64(int64(1)<<bpc-1) {
			return what + " is an Indexed image with a /Decode other than the default, which readers map to their palettes differently"
		}
	}
	if hival >= int64(1)<<bpc-1 {
		return "" // every sample value is an index in the table
	}
	row := (width*bpc + 7) / 8
	for i := 0; i+int(row) <= len(data); i += int(row) {
		line := data[i : i+int(row)]
		for x := int64(0); x < width; x++ {
			bit := x * bpc
			v := int64(line[bit/8])
			if bpc < 8 {
				v = v >> (8 - bpc - bit%8) & (1<<bpc - 1)
			} else if bpc == 16 {
				v = v<<8 | int64(line[bit/8+1])
			}
			if v > hival {
				return fmt.Sprintf("%s is an Indexed image with a sample %d beyond its /hival %d (PDFium paints it black, poppler and MuPDF the colour of /hival)", what, v, hival)
			}
		}
	}
	return ""
}

// components is the number of colour components of a colour space (0 when unknown).
func (w *imageWalk) components(cs pdf.Object, res pdf.Dict, inline bool, depth int) int64 {
	if depth > 4 {
		return 0
	}
	switch x := w.resolve(cs).(type) {
	case pdf.Name:
		switch x {
		case "DeviceGray", "G", "CalGray", "Indexed", "I", "Separation":
			return 1
		case "DeviceRGB", "RGB", "CalRGB", "Lab":
			return 3
		case "DeviceCMYK", "CMYK":
			return 4
		}
		if inline {
			if named := w.a.cur.Dict(res.Get("ColorSpace")).Get(x); named != nil {
				return w.components(named, res, false, depth+1)
			}
		}
		return 0
	case pdf.Array:
		if len(x) == 0 {
			return 0
		}
		fam, _ := w.resolve(x[0]).(pdf.Name)
		switch fam {
		case "DeviceGray", "G", "CalGray", "Indexed", "I", "Separation":
			return 1
		case "DeviceRGB", "RGB", "CalRGB", "Lab":
			return 3
		case "DeviceCMYK", "CMYK":
			return 4
		case "ICCBased":
			if len(x) > 1 {
				if st, ok := w.resolve(x[1]).(*pdf.Stream); ok {
					if n, ok := pdf.IntOf(w.resolve(st.Dict.Get("N"))); ok && n > 0 && n <= 32 {
						return n
					}
				}
			}
		case "DeviceN":
			if len(x) > 1 {
				if names, ok := w.resolve(x[1]).(pdf.Array); ok && len(names) > 0 && len(names) <= 32 {
					return int64(len(names))
				}
			}
		}
	}
	return 0
}

// Bit widths ISO 32000-1 (8.7.4.5.5–8.7.4.5.8) allows in mesh shadings.
func meshCoordBits(x int64) bool {
	switch x {
	case 1, 2, 4, 8, 12, 16, 24, 32:
		return true
	}
	return false
}

func meshCompBits(x int64) bool {
	switch x {
	case 1, 2, 4, 8, 12, 16:
		return true
	}
	return false
}

func meshFlagBits(x int64) bool {
	switch x {
	case 2, 4, 8:
		return true
	}
	return false
}

// maxMeshRecords bounds the vertices or patches read from one mesh shading.
const maxMeshRecords = 1_000_000

// shading checks a mesh shading (types 4 to 7) against the rules of its data; other types draw
// from functions and dictionaries alone, which PDFium and poppler read alike.
func (w *imageWalk) shading(o pdf.Object) string {
	d, st, ok := dictOrStream(w.resolve(o))
	if !ok {
		return ""
	}
	typ, _ := pdf.IntOf(w.resolve(d.Get("ShadingType")))
	if typ < 4 || typ > 7 {
		return ""
	}
	what := fmt.Sprintf("a type %d shading", typ)
	if st == nil {
		return what + " has no data"
	}
	get := func(k pdf.Name) int64 {
		n, _ := pdf.IntOf(w.resolve(d.Get(k)))
		return n
	}
	coord, comp, flag := get("BitsPerCoordinate"), get("BitsPerComponent"), get("BitsPerFlag")
	if !meshCoordBits(coord) || !meshCompBits(comp) || (typ != 5 && !meshFlagBits(flag)) {
		return fmt.Sprintf("%s has bit widths ISO 32000 does not allow (coordinates %d, components %d, flags %d)", what, coord, comp, flag)
	}
	ncomp := int64(1)
	if d.Get("Function") == nil {
		if ncomp = w.components(d.Get("ColorSpace"), nil, false, 0); ncomp <= 0 {
			return what + " has a colour space the verifier cannot size"
		}
	}
	if dec, _ := w.resolve(d.Get("Decode")).(pdf.Array); int64(len(dec)) != 4+2*ncomp {
		return fmt.Sprintf("%s has a /Decode array of %d numbers, not %d", what, len(dec), 4+2*ncomp)
	}
	data, err := w.a.v.f.OptionalStreamData(st)
	if err != nil {
		return fmt.Sprintf("%s cannot be decoded (%v)", what, err)
	}
	br := bitReader{data: data}
	for i := 0; i < maxMeshRecords && br.left() > 0; i++ {
		f := int64(0)
		if typ != 5 {
			f = br.read(flag)
			max := int64(2)
			if typ > 5 {
				max = 3
			}
			if f > max || (i == 0 && f != 0) {
				return fmt.Sprintf("%s has a vertex or patch flag %d where ISO 32000 allows 0 to %d (the first one 0)", what, f, max)
			}
		}
		points, colours := int64(1), int64(1)
		switch {
		case typ == 6 && f == 0:
			points, colours = 12, 4
		case typ == 6:
			points, colours = 8, 2
		case typ == 7 && f == 0:
			points, colours = 16, 4
		case typ == 7:
			points, colours = 12, 2
		}
		br.skip(points*2*coord + colours*ncomp*comp)
		br.align()
	}
	return ""
}

// bitReader reads big-endian bit fields of a mesh shading's data.
type bitReader struct {
	data []byte
	pos  int64 // in bits
}

func (b *bitReader) left() int64 { return int64(len(b.data))*8 - b.pos }

func (b *bitReader) read(n int64) int64 {
	v := int64(0)
	for i := int64(0); i < n; i++ {
		bit := int64(0)
		if p := b.pos / 8; p < int64(len(b.data)) {
			bit = int64(b.data[p]>>(7-b.pos%8)) & 1
		}
		v = v<<1 | bit
		b.pos++
	}
	return v
}

func (b *bitReader) skip(n int64) { b.pos += n }

func (b *bitReader) align() { b.pos = (b.pos + 7) / 8 * 8 }

// optionalContent names what makes an optional-content group or membership dictionary (a
// /Properties entry or an /OC of an appearance's XObject) one that readers may evaluate
// differently; "" when it is plain (see the top of this file).
func (w *imageWalk) optionalContent(o pdf.Object) string {
	d := w.a.cur.Dict(o)
	if d == nil {
		return ""
	}
	if w.ocgs == nil {
		w.ocgs = map[int]bool{}
		if cat, err := w.a.cur.Catalog(); err == nil {
			ocp := w.a.cur.Dict(cat.Get("OCProperties"))
			w.ocProps = ocp != nil
			if arr, ok := w.resolve(ocp.Get("OCGs")).(pdf.Array); ok {
				for _, e := range arr {
					if r, ok := e.(pdf.Ref); ok {
						w.ocgs[r.Num] = true
					}
				}
			}
			w.ocAS = w.a.cur.Dict(ocp.Get("D")).Get("AS") != nil
		}
	}
	inList := func(x pdf.Object) bool {
		r, ok := x.(pdf.Ref)
		return ok && w.ocgs[r.Num]
	}
	typ := d.NameOf("Type")
	switch typ {
	case "OCG", "OCMD":
	case "":
		// PDFium takes a dictionary without /Type as a group, poppler too when /OCProperties
		// lists it, MuPDF never: one listed and off was hidden by two and drawn by MuPDF.
		if inList(o) || d.Get("Usage") != nil || d.Get("OCGs") != nil || d.Get("VE") != nil {
			return "an optional-content group without /Type /OCG, which readers show or hide differently"
		}
		return "" // other marked-content properties hide nothing
	default:
		// PDFium evaluates any other type as a membership dictionary, poppler finds a listed
		// group by its reference, MuPDF shows it: /Type /Foo /OCGs [off] was hidden by PDFium
		// only.
		if inList(o) || d.Get("OCGs") != nil || d.Get("VE") != nil {
			return fmt.Sprintf("optional content of /Type /%s, which readers evaluate differently", typ)
		}
		return ""
	}
	if w.ocAS {
		return "optional content whose default configuration sets states automatically (/AS), which readers apply differently"
	}
	listed := func(x pdf.Object) string {
		if !inList(x) || w.a.cur.Dict(x).NameOf("Type") != "OCG" {
			return "an optional-content group the catalog's /OCProperties does not list, which readers show or hide differently"
		}
		return w.groupUsage(w.a.cur.Dict(x))
	}
	if typ == "OCG" {
		return listed(o)
	}
	if d.Get("VE") != nil {
		return "an optional-content visibility expression (/VE), which readers evaluate differently"
	}
	policy := pdf.Name("AnyOn")
	switch p := w.resolve(d.Get("P")).(type) {
	case nil:
	case pdf.Name:
		if p != "AllOn" && p != "AnyOn" && p != "AnyOff" && p != "AllOff" {
			return fmt.Sprintf("an optional-content policy /%s, which readers evaluate differently", p)
		}
		policy = p
	default:
		return "an optional-content policy that is not a name"
	}
	var groups []pdf.Object
	switch x := w.resolve(d.Get("OCGs")).(type) {
	case pdf.Array:
		groups = x
	default:
		groups = []pdf.Object{d.Get("OCGs")}
	}
	if len(groups) == 0 {
		// PDFium shows content whose membership dictionary names no group; poppler and MuPDF
		// show it under /AllOn and /AllOff (true of every member of none) or when the document
		// has no /OCProperties (no optional content at all), and hide it under /AnyOn (the
		// default) and /AnyOff (measured with pdftoppm, mutool draw and PDFium).
		if !w.ocProps || policy == "AllOn" || policy == "AllOff" {
			return ""
		}
		return fmt.Sprintf("an optional-content membership dictionary without groups under /%s, which PDFium shows and poppler and MuPDF hide", policy)
	}
	for _, g := range groups {
		if why := listed(g); why != "" {
			return "an optional-content membership dictionary naming " + why
		}
	}
	return ""
}

// groupUsage names what in an optional-content group PDFium and MuPDF apply and poppler does
// not: a /Usage that sets a view or design state (a group on in the default configuration with
// /Usage /View /ViewState /OFF was hidden by PDFium and MuPDF and drawn by poppler), or an
// /Intent other than /View (PDFium then shows the group whatever its state). "" when plain.
func (w *imageWalk) groupUsage(g pdf.Dict) string {
	if u := w.a.cur.Dict(g.Get("Usage")); u != nil {
		if u.Get("View") != nil || u.Get("Design") != nil {
			return "an optional-content group whose /Usage sets a view or design state, which PDFium and MuPDF apply and poppler does not"
		}
	}
	switch in := w.resolve(g.Get("Intent")).(type) {
	case nil:
	case pdf.Name:
		if in != "View" {
			return "an optional-content group with /Intent /" + string(in) + ", which PDFium shows whatever its state"
		}
	case pdf.Array:
		for _, e := range in {
			if n, ok := w.resolve(e).(pdf.Name); ok && n == "View" {
				return ""
			}
		}
		return "an optional-content group whose /Intent does not include /View, which PDFium shows whatever its state"
	default:
		return "an optional-content group with an /Intent that is not a name"
	}
	return ""
}

// colourSpaceProblem names what breaks ISO 32000's rules in an image's colour space, which
// PDFium then refuses (it draws nothing) while poppler falls back and paints: a CIE space
// without a /WhitePoint of X > 0, Y = 1, Z > 0, an ICC profile of other than 1, 3 or 4
// components, an Indexed space over a pattern or with a short lookup table, a Separation or
// DeviceN space with a /None colorant or whose alternate (not Indexed, Pattern, Separation or
// DeviceN) or tint transform is not one readers agree on. "" when it follows them.
func (w *imageWalk) colourSpaceProblem(cs pdf.Object, res pdf.Dict, inline bool, depth int) string {
	if depth > 4 {
		return "a colour space nested too deep"
	}
	x := w.resolve(cs)
	if n, ok := x.(pdf.Name); ok {
		switch n {
		case "DeviceGray", "G", "DeviceRGB", "RGB", "DeviceCMYK", "CMYK":
			return ""
		}
		if inline {
			if named := w.a.cur.Dict(res.Get("ColorSpace")).Get(n); named != nil {
				return w.colourSpaceProblem(named, res, false, depth+1)
			}
		}
		return fmt.Sprintf("the colour space /%s used without its parameters", n)
	}
	arr, ok := x.(pdf.Array)
	if !ok || len(arr) == 0 {
		return "a colour space that is neither a name nor an array"
	}
	fam, _ := w.resolve(arr[0]).(pdf.Name)
	arg := func(i int) pdf.Object {
		if i < len(arr) {
			return w.resolve(arr[i])
		}
		return nil
	}
	switch fam {
	case "CalGray", "CalRGB", "Lab":
		wp, ok := w.resolve(w.a.cur.Dict(arg(1)).Get("WhitePoint")).(pdf.Array)
		if !ok || len(wp) != 3 {
			return fmt.Sprintf("a /%s colour space without a /WhitePoint", fam)
		}
		// PDFium (CPDF_ColorSpace's GetWhitePoint) refuses the space unless X > 0, Y = 1 and
		// Z > 0, as ISO 32000 requires; poppler and MuPDF draw with any white point (red team s9
		// F9, F10).
		var xyz [3]float64
		for i, e := range wp {
			v, ok := pdf.Number(w.resolve(e))
			if !ok || math.IsNaN(v) {
				return fmt.Sprintf("a /%s colour space whose /WhitePoint is not three numbers", fam)
			}
			xyz[i] = v
		}
		if xyz[0] <= 0 || xyz[1] != 1 || xyz[2] <= 0 {
			return fmt.Sprintf("a /%s colour space whose /WhitePoint [%g %g %g] is not X > 0, Y = 1, Z > 0 (PDFium rejects the space and draws nothing, poppler and MuPDF draw)", fam, xyz[0], xyz[1], xyz[2])
		}
	case "ICCBased":
		st, ok := arg(1).(*pdf.Stream)
		if !ok {
			return "an ICCBased colour space without a profile stream"
		}
		n, _ := pdf.IntOf(w.resolve(st.Dict.Get("N")))
		if n != 1 && n != 3 && n != 4 {
			return fmt.Sprintf("an ICC profile of %d components", n)
		}
		// coverpaint.go: /N must match the profile, and its /Alternate too.
		data, err := w.a.v.f.OptionalStreamData(st)
		if err != nil {
			return fmt.Sprintf("an ICC profile that cannot be decoded (%v)", err)
		}
		if why := iccHeader(data, n); why != "" {
			return why
		}
		if alt := st.Dict.Get("Alternate"); alt != nil {
			if why := w.colourSpaceProblem(alt, res, inline, depth+1); why != "" {
				return "an ICC profile whose /Alternate has " + why
			}
			if w.components(alt, res, inline, depth+1) != n {
				return "an ICC profile whose /Alternate has other than its /N components"
			}
		}
	case "Indexed", "I":
		base := arg(1)
		if b, ok := base.(pdf.Name); ok && (b == "Pattern" || b == "Indexed" || b == "I") {
			return "an Indexed colour space over /" + string(b)
		}
		if why := w.colourSpaceProblem(arr[1], res, inline, depth+1); len(arr) < 2 || why != "" {
			return "an Indexed colour space whose base " + why
		}
		hival, ok := pdf.IntOf(arg(2))
		if !ok || hival < 0 || hival > 255 {
			return "an Indexed colour space whose /hival is not 0 to 255"
		}
		var table []byte
		switch t := arg(3).(type) {
		case pdf.String:
			table = t.Bytes
		case *pdf.Stream:
			table, _ = w.a.v.f.OptionalStreamData(t)
		}
		if need := (hival + 1) * w.components(arr[1], res, inline, depth+1); int64(len(table)) < need {
			return fmt.Sprintf("an Indexed colour space whose lookup table has %d of its %d bytes", len(table), need)
		}
	case "Separation", "DeviceN":
		alt := 2
		if fam == "Separation" {
			n, ok := arg(1).(pdf.Name)
			if !ok {
				return "a Separation colour space without a colorant name"
			}
			if n == "None" {
				// PDFium and poppler paint nothing in it, MuPDF paints the tint (red team s9 F4).
				return "a Separation colour space of the colorant /None (PDFium and poppler paint nothing, MuPDF paints)"
			}
		} else if names, ok := arg(1).(pdf.Array); !ok || len(names) == 0 {
			return "a DeviceN colour space without colorant names"
		} else {
			for _, e := range names {
				if n, _ := w.resolve(e).(pdf.Name); n == "None" {
					// ISO 32000 paints nothing for /None components; PDFium paints them through
					// the tint transform, poppler leaves them out when all are /None.
					return "a DeviceN colour space with a /None colorant, which readers paint differently"
				}
			}
		}
		if len(arr) < 4 {
			return fmt.Sprintf("a %s colour space without alternate space and tint transform", fam)
		}
		// PDFium refuses a special alternate (Indexed, Pattern, Separation, DeviceN:
		// CPDF_ColorSpace::IsSpecial) and draws nothing; poppler and MuPDF use it.
		switch w.family(arr[alt]) {
		case "Indexed", "I", "Pattern", "Separation", "DeviceN":
			return fmt.Sprintf("a %s colour space whose alternate is /%s, which PDFium rejects", fam, w.family(arr[alt]))
		}
		if why := w.colourSpaceProblem(arr[alt], res, false, depth+1); why != "" {
			return fmt.Sprintf("a %s colour space whose alternate has %s", fam, why)
		}
		var fd pdf.Dict
		switch f := arg(3).(type) {
		case pdf.Dict:
			fd = f
		case *pdf.Stream:
			fd = f.Dict
		}
		if ft, ok := pdf.IntOf(w.resolve(fd.Get("FunctionType"))); !ok || (ft != 0 && ft != 2 && ft != 3 && ft != 4) {
			return fmt.Sprintf("a %s colour space whose tint transform is not a function", fam)
		}
		nin := 1
		if names, ok := arg(1).(pdf.Array); ok && fam == "DeviceN" {
			nin = len(names)
		}
		nout := int(w.components(arr[alt], res, false, depth+1))
		if nout <= 0 {
			return fmt.Sprintf("a %s colour space whose alternate the verifier cannot size", fam)
		}
		if _, why := w.function(arr[3], nin, nout, 0); why != "" {
			return fmt.Sprintf("a %s colour space whose tint transform is %s", fam, why) // coverpaint.go
		}
	default:
		return fmt.Sprintf("the colour space /%s, which images cannot use", fam)
	}
	return ""
}

// imageKeys returns why an image dictionary lacks what ISO 32000 requires of it (red team s7
// G9): /Width and /Height positive integers, /BitsPerComponent 1, 2, 4, 8 or 16 and a
// /ColorSpace unless it is an image mask (BitsPerComponent 1 or absent) or JPX-encoded. PDFium
// draws nothing for an image without /BitsPerComponent, with /BitsPerComponent 0 or without a
// /ColorSpace, MuPDF assumes defaults and paints it: a white one erased the signed amount.
func (w *imageWalk) imageKeys(d pdf.Dict, filters []pdf.Name) string {
	for _, k := range []pdf.Name{"Width", "Height"} {
		v, ok := pdf.IntOf(w.resolve(d.Get(k)))
		if !ok || v <= 0 {
			return fmt.Sprintf("has a /%s that is not a positive integer", k)
		}
		if v > maxImageDimension {
			return fmt.Sprintf("has a /%s of %d, beyond PDFium's %d (PDFium draws nothing, poppler draws it)", k, v, maxImageDimension)
		}
	}
	mask := false
	if x := d.Get("ImageMask"); x != nil {
		b, ok := w.resolve(x).(pdf.Bool)
		if !ok {
			return "has an /ImageMask that is not a boolean"
		}
		mask = bool(b)
	}
	bpcObj := d.Get("BitsPerComponent")
	bpc, bpcOK := pdf.IntOf(w.resolve(bpcObj))
	if mask {
		if bpcObj != nil && (!bpcOK || bpc != 1) {
			return "is an image mask with /BitsPerComponent other than 1"
		}
		return ""
	}
	for _, f := range filters {
		if f == "JPXDecode" {
			return "" // JPX carries its own bit depth and colour space
		}
	}
	if bpcObj == nil {
		return "has no /BitsPerComponent (PDFium draws nothing, MuPDF assumes 8)"
	}
	if !bpcOK || bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16 {
		return "has a /BitsPerComponent other than 1, 2, 4, 8 or 16"
	}
	if d.Get("ColorSpace") == nil {
		return "has no /ColorSpace (PDFium draws nothing, MuPDF assumes one)"
	}
	return ""
}
