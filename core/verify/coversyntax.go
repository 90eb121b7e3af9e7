package verify

import (
	"bytes"
	"fmt"
	"math"
	"sync"

	"sealdesk/core/pdf"
)

// Content syntax that readers read differently (red team s6 F7, F8). The cover check renders
// with PDFium, which drops an operator whose operands it cannot read the way poppler and MuPDF
// do: an integer ≥ 2^31 (PDFium overflows, poppler and MuPDF read a large real), a token like
// --35 (MuPDF reads -35, PDFium and poppler 0), a /BBox of 1e20. A white box whose height is a
// 20-digit integer erased the signed amount in poppler and MuPDF while the rendering comparison
// saw nothing. Text clips (render modes 4–7) are the same case when the clip depends on how a
// reader loads the font: PDFium clips to nothing for a font without /BaseFont, at size 0 or
// with a singular text matrix, poppler sets no clip at all, so the white fill after it erased
// the whole line.
//
// So every content stream an added or changed appearance draws (its forms, pattern cells,
// Type 3 glyph procedures) must be in strict syntax every reader reads alike:
//   - every number in ISO 32000 syntax ([+-]digits[.digits], no exponent, one sign) and
//     |x| < 2^31 (the integer range of ISO 32000-1 Annex C, applied to reals too: the range
//     where readers agree; no producer draws that far), at most 32 characters long;
//   - every string at most 32767 bytes (PDFium keeps no more of it, poppler and MuPDF all);
//   - every operator known (unknown ones only inside BX … EX) with the operand count and
//     types ISO 32000 gives it; the stream lexes to its end;
//   - cm, Tm, a form's or pattern's /Matrix: six numbers, non-singular; /BBox: four numbers;
//   - text shown in a clip mode (4–7 Tr) with a font every reader loads alike (a standard 14
//     Type1 font named by /BaseFont, or a font with an embedded font program that looks like
//     one), at a non-zero size and a non-singular text matrix; no form drawn in a clip mode.
// Anything else is reported as drawing what readers draw differently (coverimages.go).

// maxContentNumber bounds the magnitude of numbers in checked content (exclusive).
const maxContentNumber = 1 << 31

// maxContentString is the longest string operand PDFium reads whole (kMaxStringLength).
const maxContentString = 32767

// maxNumberToken bounds the length of a number token.
const maxNumberToken = 32

// singularDet is the determinant below which a matrix counts as singular.
const singularDet = 1e-12

// operand kinds in operator signatures
const (
	opNum   = 'n' // a number
	opName  = 'N' // a name
	opStr   = 's' // a string
	opArr   = 'a' // an array
	opProps = 'p' // a name or a dictionary (BDC, DP)
	opSpace = 'c' // a name or an array: a colour space written in line, which PDFium, poppler and MuPDF all read
)

// contentOps gives the operand signature of each content operator; "*" marks the variable ones
// checked in code (sc, scn, SC, SCN).
var contentOps = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"b": "", "B": "", "b*": "", "B*": "", "BT": "", "ET": "", "EMC": "", "f": "", "F": "", "f*": "",
		"h": "", "n": "", "q": "", "Q": "", "s": "", "S": "", "T*": "", "W": "", "W*": "", "BX": "", "EX": "",
		"BMC": "N", "BDC": "Np", "MP": "N", "DP": "Np",
		"c": "nnnnnn", "v": "nnnn", "y": "nnnn", "l": "nn", "m": "nn", "re": "nnnn",
		"cm": "nnnnnn", "Tm": "nnnnnn", "d0": "nn", "d1": "nnnnnn",
		"w": "n", "J": "n", "j": "n", "M": "n", "i": "n", "d": "an", "ri": "N", "gs": "N",
		"g": "n", "G": "n", "rg": "nnn", "RG": "nnn", "k": "nnnn", "K": "nnnn", "cs": "c", "CS": "c",
		"sc": "*", "SC": "*", "scn": "*", "SCN": "*", "sh": "N", "Do": "N",
		"Tc": "n", "Tw": "n", "Tz": "n", "TL": "n", "Ts": "n", "Tr": "n", "Tf": "Nn", "Td": "nn", "TD": "nn",
		"Tj": "s", "'": "s", "\"": "nns", "TJ": "a",
		"BI": "", // handled in code
	}
})

// operand is one operand of a content operator.
type operand struct {
	kind byte
	num  float64
	name pdf.Name
	str  []byte
	arr  []operand
}

// textState is the part of the graphics state the text-clip rule needs.
type textState struct {
	mode     int
	font     pdf.Dict
	fontName pdf.Name
	fontOK   bool // a font was set (Tf or gs /Font)
	size     float64
	path     pathState // coverstate.go
}

// contentSyntax returns why content data, drawn with resources res, breaks the strict syntax
// rules above; "" when it keeps them.
func (w *imageWalk) contentSyntax(data []byte, res pdf.Dict) string {
	lx := pdf.NewBytesLexer(data, 0, int64(len(data))+1)
	var ops []operand
	st := textState{}
	var stack []textState
	tm := [6]float64{1, 0, 0, 1, 0, 0}
	compat := 0
	for i := 0; i < maxAppearanceTokens; i++ {
		t, err := lx.Next()
		if err != nil {
			return fmt.Sprintf("content that does not parse (%v)", err)
		}
		if t.Kind == pdf.TokEOF {
			return ""
		}
		if t.Kind != pdf.TokKeyword {
			o, why := readOperand(lx, t, 0)
			if why != "" {
				return why
			}
			ops = append(ops, o)
			continue
		}
		op := string(t.Raw)
		switch op {
		case "true", "false", "null":
			ops = append(ops, operand{kind: 'o'})
			continue
		}
		if numberLike(t.Raw) {
			return fmt.Sprintf("a number not in PDF syntax (%q)", t.Raw)
		}
		sig, known := contentOps()[op]
		if !known {
			if compat > 0 {
				ops = ops[:0]
				continue
			}
			return fmt.Sprintf("an unknown operator %q", t.Raw)
		}
		if why := checkOperands(op, sig, ops); why != "" {
			return why
		}
		if why := w.pathOp(&st.path, op, ops, res); why != "" {
			return why // coverstate.go
		}
		switch op {
		case "BI":
			end, why := skipInlineImage(lx, data)
			if why != "" {
				return why
			}
			lx.SetPos(end)
		case "BX":
			compat++
		case "EX":
			if compat > 0 {
				compat--
			}
		case "q":
			if len(stack) < 256 {
				stack = append(stack, st)
			}
		case "Q":
			if n := len(stack); n > 0 {
				st, stack = stack[n-1], stack[:n-1]
			}
		case "BT":
			tm = [6]float64{1, 0, 0, 1, 0, 0}
		case "cm":
			if singular(ops) {
				return "a singular matrix in cm"
			}
		case "Tm":
			if singular(ops) {
				return "a singular text matrix (Tm)"
			}
			for k := range tm {
				tm[k] = ops[k].num
			}
		case "Tr":
			if ops[0].num != math.Trunc(ops[0].num) || ops[0].num < 0 || ops[0].num > 7 {
				return fmt.Sprintf("a text render mode %v outside 0–7", ops[0].num)
			}
			st.mode = int(ops[0].num)
		case "Tf":
			st.fontName, st.size, st.fontOK = ops[0].name, ops[1].num, true
			st.font = w.a.cur.Dict(w.a.cur.Dict(res.Get("Font")).Get(ops[0].name))
		case "gs":
			gs := w.a.cur.Dict(w.a.cur.Dict(res.Get("ExtGState")).Get(ops[0].name))
			if fa, ok := w.resolve(gs.Get("Font")).(pdf.Array); ok {
				st.fontOK, st.fontName, st.font = true, "(ExtGState /Font)", nil
				if len(fa) == 2 {
					st.font = w.a.cur.Dict(fa[0])
					if v, ok := pdf.Number(w.resolve(fa[1])); ok {
						st.size = v
					}
				}
			}
		case "Tj", "'", "\"", "TJ":
			if st.mode >= 4 {
				if why := w.clipFont(st, tm); why != "" {
					return why
				}
			}
		case "cs", "CS":
			if why := w.inlineSpace(ops[0], res); why != "" {
				return why // coverpaint.go
			}
		case "Do":
			if st.mode >= 4 {
				return fmt.Sprintf("a form drawn in text clip mode %d Tr", st.mode)
			}
		}
		ops = ops[:0]
	}
	return "content with too many tokens to check"
}

// readOperand reads one operand starting with token t (arrays and dictionaries nest).
func readOperand(lx *pdf.Lexer, t pdf.Token, depth int) (operand, string) {
	if depth > 32 {
		return operand{}, "operands nested too deeply"
	}
	switch t.Kind {
	case pdf.TokInt, pdf.TokReal:
		if len(t.Raw) > maxNumberToken {
			return operand{}, fmt.Sprintf("a number with %d characters", len(t.Raw))
		}
		v := float64(t.Int)
		if t.Kind == pdf.TokReal {
			v = t.Real
		}
		if math.IsNaN(v) || math.Abs(v) >= maxContentNumber {
			return operand{}, fmt.Sprintf("a number out of the range readers agree on (%s, |x| ≥ 2^31)", t.Raw)
		}
		return operand{kind: opNum, num: v}, ""
	case pdf.TokName:
		if why := nameHazard(pdf.Name(t.Value)); why != "" {
			return operand{}, why // names.go
		}
		return operand{kind: opName, name: pdf.Name(t.Value)}, ""
	case pdf.TokString, pdf.TokHexString:
		if len(t.Value) > maxContentString {
			// PDFium keeps the first 32767 bytes of a content string (CPDF_StreamParser's
			// kMaxStringLength), poppler and MuPDF all of them: glyphs past it are drawn by them only.
			return operand{}, fmt.Sprintf("a string of %d bytes, which PDFium cuts at %d", len(t.Value), maxContentString)
		}
		return operand{kind: opStr, str: t.Value}, ""
	case pdf.TokArrayOpen, pdf.TokDictOpen:
		closing := pdf.TokArrayClose
		kind := byte(opArr)
		if t.Kind == pdf.TokDictOpen {
			closing, kind = pdf.TokDictClose, 'd'
		}
		o := operand{kind: kind}
		for j := 0; j < maxAppearanceTokens; j++ {
			e, err := lx.Next()
			if err != nil {
				return operand{}, fmt.Sprintf("content that does not parse (%v)", err)
			}
			if e.Kind == closing {
				return o, ""
			}
			if e.Kind == pdf.TokEOF {
				return operand{}, "an array or dictionary operand that is not closed"
			}
			if e.Kind == pdf.TokKeyword {
				switch string(e.Raw) {
				case "true", "false", "null":
					o.arr = append(o.arr, operand{kind: 'o'})
					continue
				}
				if numberLike(e.Raw) {
					return operand{}, fmt.Sprintf("a number not in PDF syntax (%q)", e.Raw)
				}
				return operand{}, fmt.Sprintf("an operator %q inside an array or dictionary operand", e.Raw)
			}
			x, why := readOperand(lx, e, depth+1)
			if why != "" {
				return operand{}, why
			}
			o.arr = append(o.arr, x)
		}
		return operand{}, "an operand too long to check"
	}
	return operand{}, fmt.Sprintf("an unexpected %q in content", t.Raw)
}

// checkOperands checks the operands of op against its signature.
func checkOperands(op, sig string, ops []operand) string {
	bad := func() string {
		return fmt.Sprintf("operator %s with operands it does not take (%d given)", op, len(ops))
	}
	if sig == "*" {
		n := len(ops)
		if (op == "scn" || op == "SCN") && n > 0 && ops[n-1].kind == opName {
			n--
		} else if n == 0 {
			return bad()
		}
		if n > 32 {
			return bad()
		}
		for _, o := range ops[:n] {
			if o.kind != opNum {
				return bad()
			}
		}
		return ""
	}
	if len(ops) != len(sig) {
		return bad()
	}
	for k, o := range ops {
		want := sig[k]
		switch {
		case want == opProps && (o.kind == opName || o.kind == 'd'):
		case want == opSpace && (o.kind == opName || o.kind == opArr):
		case want == o.kind:
		default:
			return bad()
		}
	}
	switch op {
	case "TJ":
		for _, e := range ops[0].arr {
			if e.kind != opNum && e.kind != opStr {
				return "a TJ array with elements other than strings and numbers"
			}
		}
	case "d":
		for _, e := range ops[0].arr {
			if e.kind != opNum {
				return "a dash array with elements other than numbers"
			}
		}
	}
	return ""
}

// singular reports whether six number operands form a singular (or non-finite) matrix.
func singular(ops []operand) bool {
	if len(ops) != 6 {
		return true
	}
	det := ops[0].num*ops[3].num - ops[1].num*ops[2].num
	return math.IsNaN(det) || math.IsInf(det, 0) || math.Abs(det) < singularDet
}

// skipInlineImage reads an inline image's dictionary after BI and returns the offset after its
// EI.
func skipInlineImage(lx *pdf.Lexer, data []byte) (int64, string) {
	for j := 0; ; j++ {
		k, err := lx.Next()
		if err != nil || k.Kind == pdf.TokEOF || j > 128 {
			return 0, "an inline image is not terminated"
		}
		if k.Kind == pdf.TokKeyword && string(k.Raw) == "ID" {
			break
		}
		if k.Kind == pdf.TokKeyword {
			if numberLike(k.Raw) {
				return 0, fmt.Sprintf("a number not in PDF syntax (%q)", k.Raw)
			}
			continue
		}
		if _, why := readOperand(lx, k, 0); why != "" {
			return 0, why
		}
	}
	start := min(lx.Pos()+1, int64(len(data)))
	end := inlineEnd(data, start)
	for end < int64(len(data)) && pdf.IsWhite(data[end]) {
		end++ // inlineEnd leaves out the white space before EI
	}
	return min(end+2, int64(len(data))), ""
}

// standard14 lists the fonts every reader has built in.
func standard14(x pdf.Name) bool {
	switch x {
	case "Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique", "Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique", "Symbol", "ZapfDingbats":
		return true
	}
	return false
}

// clipFont checks the font, size and text matrix of text shown in a clip mode.
func (w *imageWalk) clipFont(st textState, tm [6]float64) string {
	if !st.fontOK || st.font == nil {
		return fmt.Sprintf("text in clip mode %d Tr without a font the resources hold", st.mode)
	}
	if st.size == 0 {
		return fmt.Sprintf("text in clip mode %d Tr at font size 0", st.mode)
	}
	if det := tm[0]*tm[3] - tm[1]*tm[2]; math.Abs(det) < singularDet {
		return fmt.Sprintf("text in clip mode %d Tr with a singular text matrix", st.mode)
	}
	if why := w.loadableFont(st.font); why != "" {
		return fmt.Sprintf("text in clip mode %d Tr with font /%s %s", st.mode, st.fontName, why)
	}
	return ""
}

// loadableFont returns why readers may load font dictionary fd differently; "" for a standard
// 14 Type1 font named by /BaseFont or a font with an embedded program that looks like one.
func (w *imageWalk) loadableFont(fd pdf.Dict) string {
	sub := fd.NameOf("Subtype")
	desc := w.a.cur.Dict(fd.Get("FontDescriptor"))
	switch sub {
	case "Type1", "TrueType", "MMType1":
		if sub == "Type1" && standard14(fd.NameOf("BaseFont")) && desc.Get("FontFile") == nil &&
			desc.Get("FontFile2") == nil && desc.Get("FontFile3") == nil {
			return "" // built in everywhere (a descriptor without a program changes nothing)
		}
	case "Type0":
		if fd.NameOf("BaseFont") == "" {
			return "(a Type0 font without /BaseFont)"
		}
		da, _ := w.resolve(fd.Get("DescendantFonts")).(pdf.Array)
		if len(da) != 1 {
			return "(a Type0 font without one descendant font)"
		}
		desc = w.a.cur.Dict(w.a.cur.Dict(da[0]).Get("FontDescriptor"))
	default:
		return fmt.Sprintf("(a /%s font)", sub)
	}
	if fd.NameOf("BaseFont") == "" {
		return "(no /BaseFont)"
	}
	if desc == nil {
		return "(not a standard 14 font and not embedded)"
	}
	for _, k := range []pdf.Name{"FontFile", "FontFile2", "FontFile3"} {
		fs, ok := w.resolve(desc.Get(k)).(*pdf.Stream)
		if !ok {
			continue
		}
		data, err := w.a.v.f.OptionalStreamData(fs)
		if err != nil || len(data) < 4 {
			return "(an embedded font program that does not decode)"
		}
		if !fontMagic(k, data) {
			return "(an embedded font program that does not look like one)"
		}
		return ""
	}
	return "(not a standard 14 font and not embedded)"
}

// fontMagic reports whether data starts like a font program of kind k.
func fontMagic(k pdf.Name, data []byte) bool {
	switch k {
	case "FontFile":
		return bytes.HasPrefix(data, []byte("%!")) || data[0] == 0x80 && data[1] == 0x01
	case "FontFile2":
		return bytes.HasPrefix(data, []byte{0, 1, 0, 0}) || bytes.HasPrefix(data, []byte("true")) ||
			bytes.HasPrefix(data, []byte("OTTO")) || bytes.HasPrefix(data, []byte("ttcf"))
	default: // FontFile3: CFF (major version 1) or OpenType
		return data[0] == 1 && data[2] >= 4 || bytes.HasPrefix(data, []byte("OTTO"))
	}
}

// formGeometry returns why a form's or pattern's /BBox or /Matrix breaks the strict rules.
func (w *imageWalk) formGeometry(d pdf.Dict, what string) string {
	if o := d.Get("BBox"); o != nil {
		if !w.numbersInRange(w.resolve(o), 4) {
			return what + " with a /BBox that is not four numbers in range"
		}
	}
	if o := d.Get("Matrix"); o != nil {
		a, _ := w.resolve(o).(pdf.Array)
		if !w.numbersInRange(a, 6) {
			return what + " with a /Matrix that is not six numbers in range"
		}
		var m [6]float64
		for k := range m {
			m[k], _ = pdf.Number(w.resolve(a[k]))
		}
		if math.Abs(m[0]*m[3]-m[1]*m[2]) < singularDet {
			return what + " with a singular /Matrix"
		}
	}
	return ""
}

// numbersInRange reports whether o is an array of n numbers with |x| < 2^31.
func (w *imageWalk) numbersInRange(o pdf.Object, n int) bool {
	a, ok := o.(pdf.Array)
	if !ok || len(a) != n {
		return false
	}
	for _, e := range a {
		v, ok := pdf.Number(w.resolve(e))
		if !ok || math.IsNaN(v) || math.Abs(v) >= maxContentNumber {
			return false
		}
	}
	return true
}

// fontMatrix returns why a Type 3 font's /FontMatrix is not six numbers in range forming a
// non-singular matrix (its glyphs are content like any other).
func (w *imageWalk) fontMatrix(fd pdf.Dict) string {
	a, _ := w.resolve(fd.Get("FontMatrix")).(pdf.Array)
	if !w.numbersInRange(a, 6) {
		return "a Type 3 font whose /FontMatrix is not six numbers in range"
	}
	var m [6]float64
	for k := range m {
		m[k], _ = pdf.Number(w.resolve(a[k]))
	}
	if math.Abs(m[0]*m[3]-m[1]*m[2]) < singularDet*singularDet {
		return "a Type 3 font with a singular /FontMatrix"
	}
	return ""
}
