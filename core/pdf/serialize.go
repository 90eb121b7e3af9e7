package pdf

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// AppendObject appends the PDF syntax of a direct object to b. Dictionary keys are written
// sorted, with /Type first, so output is deterministic. Streams and placeholders cannot be
// written this way (they need the writer); they produce an error.
func AppendObject(b []byte, o Object) ([]byte, error) {
	w := &objWriter{buf: b}
	if err := w.object(o, 0); err != nil {
		return b, err
	}
	return w.buf, nil
}

// objWriter serialises objects and records where placeholders land (relative to buf's start).
type objWriter struct {
	buf          []byte
	placeholders map[string]Span
}

func (w *objWriter) object(o Object, depth int) error {
	if depth > DefaultLimits.MaxDepth {
		return limitErr("MaxDepth", int64(DefaultLimits.MaxDepth))
	}
	switch v := o.(type) {
	case nil, Null:
		w.buf = append(w.buf, "null"...)
	case Bool:
		w.buf = strconv.AppendBool(w.buf, bool(v))
	case Int:
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	case Real:
		if v.Text != "" {
			if f, err := strconv.ParseFloat(v.Text, 64); err == nil && f == v.Value && isNumberSyntax([]byte(v.Text)) {
				w.buf = append(w.buf, v.Text...)
				return nil
			}
		}
		w.buf = append(w.buf, formatReal(v.Value)...)
	case Name:
		w.buf = appendName(w.buf, v)
	case String:
		if v.Hex {
			w.buf = appendHex(w.buf, v.Bytes)
		} else {
			w.buf = appendLiteral(w.buf, v.Bytes)
		}
	case Ref:
		w.buf = fmt.Appendf(w.buf, "%d %d R", v.Num, v.Gen)
	case Array:
		w.buf = append(w.buf, '[')
		for i, x := range v {
			if i > 0 {
				w.buf = append(w.buf, ' ')
			}
			if err := w.object(x, depth+1); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, ']')
	case Dict:
		w.buf = append(w.buf, "<<"...)
		for _, k := range sortedKeys(v) {
			w.buf = append(w.buf, ' ')
			w.buf = appendName(w.buf, k)
			w.buf = append(w.buf, ' ')
			if err := w.object(v[k], depth+1); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, " >>"...)
	case *Placeholder:
		if w.placeholders == nil {
			return fmt.Errorf("pdf: placeholder %q outside an update", v.Name)
		}
		if _, dup := w.placeholders[v.Name]; dup {
			return fmt.Errorf("pdf: placeholder %q used twice", v.Name)
		}
		start := int64(len(w.buf))
		w.buf = v.appendText(w.buf)
		w.placeholders[v.Name] = Span{start, int64(len(w.buf))}
	case *Stream:
		return fmt.Errorf("pdf: a stream must be an indirect object")
	default:
		return fmt.Errorf("pdf: cannot write %T", o)
	}
	return nil
}

func sortedKeys(d Dict) []Name {
	ks := make([]Name, 0, len(d))
	for k := range d {
		ks = append(ks, k)
	}
	// /Type first, then in byte order. (slices, not sort.Slice: its reflection-made swapper
	// allocates, and every new allocation is fresh memory in a fresh process.)
	slices.SortFunc(ks, func(a, b Name) int {
		if (a == "Type") != (b == "Type") {
			if a == "Type" {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a), string(b))
	})
	return ks
}

func appendName(b []byte, n Name) []byte {
	b = append(b, '/')
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c < 0x21 || c > 0x7e || c == '#' || IsDelim(c) {
			b = fmt.Appendf(b, "#%02X", c)
			continue
		}
		b = append(b, c)
	}
	return b
}

const hexDigits = "0123456789ABCDEF"

func appendHex(b []byte, s []byte) []byte {
	b = append(b, '<')
	for _, c := range s {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return append(b, '>')
}

func appendLiteral(b []byte, s []byte) []byte {
	b = append(b, '(')
	for _, c := range s {
		switch c {
		case '(', ')', '\\':
			b = append(b, '\\', c)
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return append(b, ')')
}

// HexPlaceholder returns a placeholder for a hex string of n bytes: "<" + 2n zeros + ">". The
// signer uses it for /Contents and later overwrites the digits (zero-padded) in place. Its Text
// is nil: the writer writes the zeros straight into the update (a signature's are most of it).
func HexPlaceholder(name string, n int) *Placeholder {
	return &Placeholder{Name: name, hexZeros: 2 * max(n, 0), hex: true}
}

// width is the number of bytes the writer writes for p.
func (p *Placeholder) width() int {
	if p.hex {
		return p.hexZeros + 2
	}
	return len(p.Text)
}

// appendText appends what the writer writes for p.
func (p *Placeholder) appendText(b []byte) []byte {
	if !p.hex {
		return append(b, p.Text...)
	}
	b = append(b, '<')
	b = append(b, make([]byte, p.hexZeros)...) // no allocation: append of a make is a zeroing
	z := b[len(b)-p.hexZeros:]
	for i := range z {
		z[i] = '0'
	}
	return append(b, '>')
}

// ByteRangeWidth is the width of ByteRangePlaceholder's text: room for four numbers of up to
// ten digits each (files up to 9,999,999,999 bytes).
const ByteRangeWidth = 36

// ByteRangePlaceholder returns a fixed-width placeholder for a /ByteRange array; patch it with
// FormatByteRange.
func ByteRangePlaceholder(name string) *Placeholder {
	t := []byte("[0 0000000000 0000000000 0000000000]")
	return &Placeholder{Name: name, Text: t}
}

// FormatByteRange formats [a b c d] padded with spaces before the closing bracket to exactly
// width bytes.
func FormatByteRange(br [4]int64, width int) ([]byte, error) {
	s := fmt.Appendf(nil, "[%d %d %d %d", br[0], br[1], br[2], br[3])
	if len(s)+1 > width {
		return nil, fmt.Errorf("pdf: byte range %v does not fit in %d bytes", br, width)
	}
	for len(s) < width-1 {
		s = append(s, ' ')
	}
	return append(s, ']'), nil
}
