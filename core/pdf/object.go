package pdf

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Object is one PDF object: Null, Bool, Int, Real, Name, String, Array, Dict, Ref, *Stream, or
// (only in objects handed to the writer) *Placeholder. A Go nil Object means "absent", which
// differs from an explicit Null: Dict.Get returns nil for a missing key, Null{} for "/K null".
type Object interface{ isObject() }

// Null is the PDF null object.
type Null struct{}

// Bool is a PDF boolean.
type Bool bool

// Int is a PDF integer.
type Int int64

// Real is a PDF real number. Text keeps the token as written ("612.0", ".5", "-0"), so callers
// that compare revisions can tell a textual rewrite (612.0 → 612) from a change of value; it is
// empty for numbers made in code.
type Real struct {
	Value float64
	Text  string
}

// Name is a PDF name without the leading slash, with #xx escapes decoded.
type Name string

// String is a PDF string: the decoded raw bytes, and whether it was written as a hex string
// (<…>) rather than a literal one ((…)).
type String struct {
	Bytes []byte
	Hex   bool
}

// Array is a PDF array.
type Array []Object

// Dict is a PDF dictionary. Keys are names without the slash.
type Dict map[Name]Object

// Ref is an indirect reference "Num Gen R".
type Ref struct {
	Num int
	Gen int
}

// Stream is a stream object: its dictionary plus where its raw (still encoded) data lies. A
// stream read from a file has Offset ≥ 0 and Length bytes at that offset; a stream built in code
// for the writer sets Data (already encoded per its /Filter) and leaves Offset at -1 or 0 with
// Data non-nil, which takes precedence.
type Stream struct {
	Dict   Dict
	Offset int64 // file offset of the first data byte (after "stream" and its EOL)
	Length int64 // number of raw data bytes
	Data   []byte

	crypt *streamCrypt // decryption of the raw data of an encrypted file's stream, nil when none
}

// Placeholder is a fixed-width slot written verbatim by the writer, whose absolute offset in the
// final file the writer reports under Name (see Layout.Placeholders). The signer uses it for
// /Contents <00…> and /ByteRange [0 ********** …] so that both can be patched in place after the
// whole update is laid out. Text must be a valid PDF token sequence of exactly the width that
// the patched value will have; see HexPlaceholder and ByteRangePlaceholder.
type Placeholder struct {
	Name string
	Text []byte
	// hex marks a HexPlaceholder: Text is nil and the writer writes "<", hexZeros zeros and ">".
	hex      bool
	hexZeros int
}

func (Null) isObject()         {}
func (Bool) isObject()         {}
func (Int) isObject()          {}
func (Real) isObject()         {}
func (Name) isObject()         {}
func (String) isObject()       {}
func (Array) isObject()        {}
func (Dict) isObject()         {}
func (Ref) isObject()          {}
func (*Stream) isObject()      {}
func (*Placeholder) isObject() {}

// String formats the reference as "N G R".
func (r Ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

// IsZero reports whether r is the zero reference (object 0 is never a real object).
func (r Ref) IsZero() bool { return r.Num == 0 && r.Gen == 0 }

// Get returns the value of key, or nil when the key is absent.
func (d Dict) Get(key Name) Object {
	if d == nil {
		return nil
	}
	return d[key]
}

// Keys returns the keys in sorted order.
func (d Dict) Keys() []Name {
	ks := make([]Name, 0, len(d))
	for k := range d {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// Clone returns a shallow copy of d (values are shared).
func (d Dict) Clone() Dict {
	c := make(Dict, len(d))
	for k, v := range d {
		c[k] = v
	}
	return c
}

// NameOf returns the name value of key, or "" when absent or not a name (direct values only).
func (d Dict) NameOf(key Name) Name {
	n, _ := d.Get(key).(Name)
	return n
}

// Number returns o as a float64 when it is an Int or a Real.
func Number(o Object) (float64, bool) {
	switch v := o.(type) {
	case Int:
		return float64(v), true
	case Real:
		return v.Value, true
	}
	return 0, false
}

// IntOf returns o as an int64 when it is an Int, or a Real with an integral value.
func IntOf(o Object) (int64, bool) {
	switch v := o.(type) {
	case Int:
		return int64(v), true
	case Real:
		if v.Value == math.Trunc(v.Value) && math.Abs(v.Value) < 1<<53 {
			return int64(v.Value), true
		}
	}
	return 0, false
}

// Equal reports whether two direct objects are equal in value: numbers compare numerically
// (612 equals 612.0), strings by bytes regardless of hex/literal form, arrays and dicts
// element-wise. References compare as references (they are not resolved). Streams compare
// their dictionaries and data location only.
func Equal(a, b Object) bool {
	if x, ok := Number(a); ok {
		y, ok2 := Number(b)
		return ok2 && x == y
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case Null:
		_, ok := b.(Null)
		return ok
	case Bool:
		y, ok := b.(Bool)
		return ok && x == y
	case Name:
		y, ok := b.(Name)
		return ok && x == y
	case String:
		y, ok := b.(String)
		return ok && string(x.Bytes) == string(y.Bytes)
	case Ref:
		y, ok := b.(Ref)
		return ok && x == y
	case Array:
		y, ok := b.(Array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !Equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case Dict:
		y, ok := b.(Dict)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !Equal(v, w) {
				return false
			}
		}
		return true
	case *Stream:
		y, ok := b.(*Stream)
		if !ok || x == nil || y == nil {
			return x == y
		}
		return Equal(x.Dict, y.Dict) && x.Offset == y.Offset && x.Length == y.Length && string(x.Data) == string(y.Data)
	case *Placeholder:
		y, ok := b.(*Placeholder)
		return ok && x == y
	}
	return false
}

// Text decodes a PDF text string (ISO 32000-2 §7.9.2.2): UTF-16BE with a byte-order mark,
// UTF-8 with a byte-order mark, or PDFDocEncoding.
func (s String) Text() string { return DecodeText(s.Bytes) }

// DecodeText decodes the bytes of a PDF text string; see String.Text.
func DecodeText(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		b = b[2:]
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		if utf8.Valid(b[3:]) {
			return string(b[3:])
		}
		b = b[3:]
	}
	rs := make([]rune, 0, len(b))
	for _, c := range b {
		rs = append(rs, pdfDocRune(c))
	}
	return string(rs)
}

// EncodeText encodes s as a PDF text string: PDFDocEncoding-compatible ASCII stays as is, any
// other text becomes UTF-16BE with a byte-order mark.
func EncodeText(s string) String {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || (s[i] < 0x20 && s[i] != '\n' && s[i] != '\r' && s[i] != '\t') {
			ascii = false
			break
		}
	}
	if ascii {
		return String{Bytes: []byte(s)}
	}
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2, 2+2*len(u))
	b[0], b[1] = 0xFE, 0xFF
	for _, c := range u {
		b = append(b, byte(c>>8), byte(c))
	}
	return String{Bytes: b}
}

// pdfDocHigh maps PDFDocEncoding 0x80–0x9F (and a few low codes) to Unicode.
var pdfDocHigh = [32]rune{
	0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203A, 0x2212, 0x2030,
	0x201E, 0x201C, 0x201D, 0x2018, 0x2019, 0x201A, 0x2122, 0xFB01, 0xFB02, 0x0141, 0x0152, 0x0160,
	0x0178, 0x017D, 0x0131, 0x0142, 0x0153, 0x0161, 0x017E, 0xFFFD,
}

var pdfDocLow = [8]rune{0x02D8, 0x02C7, 0x02C6, 0x02D9, 0x02DD, 0x02DB, 0x02DA, 0x02DC}

func pdfDocRune(c byte) rune {
	switch {
	case c >= 0x18 && c <= 0x1F:
		return pdfDocLow[c-0x18]
	case c >= 0x80 && c <= 0x9F:
		return pdfDocHigh[c-0x80]
	case c == 0xA0:
		return 0x20AC
	}
	return rune(c)
}

// formatReal writes a float without exponent notation, trimmed.
func formatReal(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	return s
}
