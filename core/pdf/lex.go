package pdf

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// TokenKind classifies a token.
type TokenKind int

// Token kinds.
const (
	TokEOF        TokenKind = iota
	TokInt                  // 12, -3, +4
	TokReal                 // 1.5, .5, -0.
	TokName                 // /Name (Value holds the decoded name)
	TokString               // (literal) — Value holds the decoded bytes
	TokHexString            // <hex> — Value holds the decoded bytes
	TokArrayOpen            // [
	TokArrayClose           // ]
	TokDictOpen             // <<
	TokDictClose            // >>
	TokKeyword              // true false null obj endobj stream endstream R xref trailer startxref n f …
	TokBraceOpen            // { (PostScript calculator functions)
	TokBraceClose           // }
)

// Token is one lexical token with its exact byte span [Start, End) in the input.
type Token struct {
	Kind  TokenKind
	Start int64
	End   int64
	Raw   []byte // the token as written (for strings: only for short ones; see Value)
	Value []byte // decoded value for names and strings; nil otherwise
	Int   int64
	Real  float64
}

func (t Token) isKeyword(k string) bool { return t.Kind == TokKeyword && string(t.Raw) == k }

// Lexer tokenises PDF syntax from an io.ReaderAt with random access. It keeps a small window of
// the input buffered; Seek moves anywhere. Offsets in tokens are absolute positions in the
// reader.
type Lexer struct {
	r       io.ReaderAt
	size    int64
	buf     []byte
	bufOff  int64
	pos     int64
	maxTok  int64
	bufSize int
	whole   bool // buf holds the entire input (a lexer over a byte slice)
}

// NewBytesLexer returns a lexer over an in-memory input without copying it.
func NewBytesLexer(b []byte, off int64, maxToken int64) *Lexer {
	l := NewLexer(bytes.NewReader(b), int64(len(b)), off, maxToken)
	l.buf, l.bufOff, l.whole = b, 0, true
	return l
}

// NewLexer returns a lexer over r (size bytes), positioned at off. maxToken bounds the length
// of one string or name token (0 means DefaultLimits.MaxObjectSize).
func NewLexer(r io.ReaderAt, size, off int64, maxToken int64) *Lexer {
	if maxToken <= 0 {
		maxToken = DefaultLimits.MaxObjectSize
	}
	return &Lexer{r: r, size: size, pos: off, maxTok: maxToken, bufSize: 4 << 10}
}

// Pos returns the current offset.
func (l *Lexer) Pos() int64 { return l.pos }

// SetPos moves the lexer to off.
func (l *Lexer) SetPos(off int64) { l.pos = off }

// Size returns the length of the input.
func (l *Lexer) Size() int64 { return l.size }

func (l *Lexer) fill(at int64) bool {
	if at < 0 || at >= l.size || l.whole {
		return false
	}
	n := int64(l.bufSize)
	if at+n > l.size {
		n = l.size - at
	}
	if cap(l.buf) < int(n) {
		l.buf = make([]byte, n)
	}
	l.buf = l.buf[:n]
	m, err := l.r.ReadAt(l.buf, at)
	if m <= 0 && err != nil {
		l.buf = l.buf[:0]
		return false
	}
	l.buf = l.buf[:m]
	l.bufOff = at
	return true
}

// byteAt returns the byte at offset off.
func (l *Lexer) byteAt(off int64) (byte, bool) {
	if off >= l.bufOff && off < l.bufOff+int64(len(l.buf)) {
		return l.buf[off-l.bufOff], true
	}
	if !l.fill(off) {
		return 0, false
	}
	return l.buf[0], true
}

// window returns the n buffered bytes at pos, or nil when fewer are available.
func (l *Lexer) window(pos int64, n int) []byte {
	if pos < l.bufOff || pos+int64(n) > l.bufOff+int64(len(l.buf)) {
		if !l.fill(pos) {
			return nil
		}
	}
	if pos < l.bufOff || pos+int64(n) > l.bufOff+int64(len(l.buf)) {
		return nil
	}
	return l.buf[pos-l.bufOff : pos-l.bufOff+int64(n)]
}

// buffered returns the bytes from pos to end when the buffer holds them all, else nil (it
// reads nothing).
func (l *Lexer) buffered(pos, end int64) []byte {
	if pos < l.bufOff || end > l.bufOff+int64(len(l.buf)) || pos > end {
		return nil
	}
	return l.buf[pos-l.bufOff : end-l.bufOff]
}

func (l *Lexer) peek() (byte, bool) { return l.byteAt(l.pos) }

func (l *Lexer) next() (byte, bool) {
	c, ok := l.byteAt(l.pos)
	if ok {
		l.pos++
	}
	return c, ok
}

// IsWhite reports whether c is PDF white space.
func IsWhite(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

// IsDelim reports whether c is a PDF delimiter.
func IsDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !IsWhite(c) && !IsDelim(c) }

// SkipSpace skips white space and comments.
func (l *Lexer) SkipSpace() {
	for {
		c, ok := l.peek()
		if !ok {
			return
		}
		if IsWhite(c) {
			l.pos++
			continue
		}
		if c == '%' {
			for {
				c, ok := l.peek()
				if !ok || c == '\n' || c == '\r' {
					break
				}
				l.pos++
			}
			continue
		}
		return
	}
}

func (l *Lexer) errorf(off int64, format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrMalformed, off, fmt.Sprintf(format, args...))
}

// Next returns the next token. At the end of input it returns a TokEOF token and no error.
func (l *Lexer) Next() (Token, error) {
	l.SkipSpace()
	start := l.pos
	c, ok := l.next()
	if !ok {
		return Token{Kind: TokEOF, Start: start, End: start}, nil
	}
	switch c {
	case '[':
		return Token{Kind: TokArrayOpen, Start: start, End: l.pos, Raw: []byte{'['}}, nil
	case ']':
		return Token{Kind: TokArrayClose, Start: start, End: l.pos, Raw: []byte{']'}}, nil
	case '{':
		return Token{Kind: TokBraceOpen, Start: start, End: l.pos, Raw: []byte{'{'}}, nil
	case '}':
		return Token{Kind: TokBraceClose, Start: start, End: l.pos, Raw: []byte{'}'}}, nil
	case '<':
		if c2, ok := l.peek(); ok && c2 == '<' {
			l.pos++
			return Token{Kind: TokDictOpen, Start: start, End: l.pos, Raw: []byte("<<")}, nil
		}
		return l.hexString(start)
	case '>':
		if c2, ok := l.peek(); ok && c2 == '>' {
			l.pos++
			return Token{Kind: TokDictClose, Start: start, End: l.pos, Raw: []byte(">>")}, nil
		}
		return Token{}, l.errorf(start, "unexpected '>'")
	case '(':
		return l.literalString(start)
	case ')':
		return Token{}, l.errorf(start, "unexpected ')'")
	case '/':
		return l.name(start)
	}
	// A regular-character run: number or keyword.
	for {
		c, ok := l.peek()
		if !ok || !isRegular(c) {
			break
		}
		l.pos++
		if l.pos-start > 256 {
			return Token{}, l.errorf(start, "token too long")
		}
	}
	raw := l.slice(start, l.pos)
	t := Token{Start: start, End: l.pos, Raw: raw}
	if isNumberSyntax(raw) {
		if bytes.IndexByte(raw, '.') < 0 {
			v, err := strconv.ParseInt(string(raw), 10, 64)
			if err != nil {
				// Out-of-range integers are treated as reals, as most readers do.
				f, _ := strconv.ParseFloat(string(raw), 64)
				t.Kind, t.Real = TokReal, f
				return t, nil
			}
			t.Kind, t.Int = TokInt, v
			return t, nil
		}
		s := string(raw)
		if s[len(s)-1] == '.' {
			s += "0"
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return Token{}, l.errorf(start, "bad number %q", raw)
		}
		t.Kind, t.Real = TokReal, f
		return t, nil
	}
	t.Kind = TokKeyword
	return t, nil
}

// isNumberSyntax reports whether b is [+-]?digits[.digits] with at least one digit.
func isNumberSyntax(b []byte) bool {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits, dots := 0, 0
	for ; i < len(b); i++ {
		switch {
		case b[i] >= '0' && b[i] <= '9':
			digits++
		case b[i] == '.':
			dots++
			if dots > 1 {
				return false
			}
		default:
			return false
		}
	}
	return digits > 0
}

// slice returns a copy of the input in [from, to).
func (l *Lexer) slice(from, to int64) []byte {
	if from >= l.bufOff && to <= l.bufOff+int64(len(l.buf)) {
		return append([]byte(nil), l.buf[from-l.bufOff:to-l.bufOff]...)
	}
	b := make([]byte, to-from)
	n, _ := l.r.ReadAt(b, from)
	return b[:n]
}

// ReadRaw returns n bytes at off (fewer at the end of input).
func (l *Lexer) ReadRaw(off, n int64) []byte {
	if off < 0 || n <= 0 || off >= l.size {
		return nil
	}
	if !InRange(off, n, l.size) {
		n = l.size - off
	}
	if n <= 0 {
		return nil
	}
	return l.slice(off, off+n)
}

func (l *Lexer) name(start int64) (Token, error) {
	var v []byte
	for {
		c, ok := l.peek()
		if !ok || !isRegular(c) {
			break
		}
		l.pos++
		if c == '#' {
			h1, ok1 := l.byteAt(l.pos)
			h2, ok2 := l.byteAt(l.pos + 1)
			if ok1 && ok2 && isHex(h1) && isHex(h2) {
				v = append(v, unhex(h1)<<4|unhex(h2))
				l.pos += 2
				continue
			}
		}
		v = append(v, c)
		if int64(len(v)) > l.maxTok {
			return Token{}, limitErr("MaxObjectSize", l.maxTok)
		}
	}
	return Token{Kind: TokName, Start: start, End: l.pos, Raw: l.slice(start, l.pos), Value: v}, nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

const hexWhite = 0xFE

// hexTab maps a byte to its hex digit value, hexWhite for PDF white space, 0xFF otherwise.
var hexTab = func() (t [256]byte) {
	for c := range t {
		switch {
		case isHex(byte(c)):
			t[c] = unhex(byte(c))
		case IsWhite(byte(c)):
			t[c] = hexWhite
		default:
			t[c] = 0xFF
		}
	}
	return t
}()

func (l *Lexer) hexString(start int64) (Token, error) {
	var v []byte
	if i := l.pos - l.bufOff; i >= 0 && i < int64(len(l.buf)) {
		// A long string (a signature's /Contents) in few allocations instead of growing it
		// byte by byte: sized by its end when the buffer holds it, by the buffer otherwise.
		rest := l.buf[i:]
		n := bytes.IndexByte(rest, '>')
		if n < 0 {
			n = len(rest)
		}
		if n > 64 {
			v = make([]byte, 0, min(int64(n/2+1), l.maxTok+1))
		}
	}
	var hi byte
	half := false
	for {
		// The digits in the buffered window, in a tight loop (a signature's /Contents is tens
		// of kilobytes, read several times per verification); the end, a bad character or the
		// window's end is handled byte by byte below.
		if i := l.pos - l.bufOff; i >= 0 && i < int64(len(l.buf)) {
			b := l.buf[i:]
			k := 0
			for ; k < len(b); k++ {
				x := hexTab[b[k]]
				if x == hexWhite {
					continue
				}
				if x > 15 {
					break
				}
				if !half {
					hi, half = x, true
					continue
				}
				v = append(v, hi<<4|x)
				half = false
				if int64(len(v)) > l.maxTok {
					return Token{}, limitErr("MaxObjectSize", l.maxTok)
				}
			}
			l.pos += int64(k)
		}
		c, ok := l.next()
		if !ok {
			return Token{}, l.errorf(start, "unterminated hex string")
		}
		if c == '>' {
			break
		}
		if IsWhite(c) {
			continue
		}
		if !isHex(c) {
			return Token{}, l.errorf(l.pos-1, "bad character %q in hex string", c)
		}
		if half {
			v = append(v, hi<<4|unhex(c))
			half = false
		} else {
			hi, half = unhex(c), true
		}
		if int64(len(v)) > l.maxTok {
			return Token{}, limitErr("MaxObjectSize", l.maxTok)
		}
	}
	if half {
		v = append(v, hi<<4)
	}
	if v == nil {
		v = []byte{}
	}
	return Token{Kind: TokHexString, Start: start, End: l.pos, Value: v}, nil
}

func (l *Lexer) literalString(start int64) (Token, error) {
	v := []byte{}
	depth := 1
	for {
		c, ok := l.next()
		if !ok {
			return Token{}, l.errorf(start, "unterminated string")
		}
		if int64(len(v)) > l.maxTok {
			return Token{}, limitErr("MaxObjectSize", l.maxTok)
		}
		switch c {
		case '(':
			depth++
			v = append(v, c)
		case ')':
			depth--
			if depth == 0 {
				return Token{Kind: TokString, Start: start, End: l.pos, Value: v}, nil
			}
			v = append(v, c)
		case '\r':
			// An unescaped end-of-line is read as \n.
			if c2, ok := l.peek(); ok && c2 == '\n' {
				l.pos++
			}
			v = append(v, '\n')
		case '\\':
			e, ok := l.next()
			if !ok {
				return Token{}, l.errorf(start, "unterminated string")
			}
			switch e {
			case 'n':
				v = append(v, '\n')
			case 'r':
				v = append(v, '\r')
			case 't':
				v = append(v, '\t')
			case 'b':
				v = append(v, '\b')
			case 'f':
				v = append(v, '\f')
			case '\r':
				if c2, ok := l.peek(); ok && c2 == '\n' {
					l.pos++
				}
			case '\n':
			case '0', '1', '2', '3', '4', '5', '6', '7':
				n := int(e - '0')
				for k := 0; k < 2; k++ {
					d, ok := l.peek()
					if !ok || d < '0' || d > '7' {
						break
					}
					l.pos++
					n = n*8 + int(d-'0')
				}
				v = append(v, byte(n))
			default:
				v = append(v, e)
			}
		default:
			v = append(v, c)
		}
	}
}

// Scans read windows that start at scanFirst bytes and double up to scanMax: what they look
// for is usually near (a header, the startxref after a trailer), and a fresh 64 KB buffer costs
// 16 page faults at first touch (core/sign measures signing in fresh processes). The first
// window is read into the lexer's own buffer, which then holds it: the tokens after what was
// found (the header's object, the startxref offset, a trailer) are read from it without
// another read or buffer.
const (
	scanFirst = 4 << 10
	scanMax   = 64 << 10
)

// scanWindow returns a buffer of n bytes for a scan: the lexer's own when it is big enough
// (own reports it; the caller then records what it read with held), else a new one.
func (l *Lexer) scanWindow(n int64, spare []byte) (buf []byte, own bool) {
	if n <= int64(l.bufSize) {
		if cap(l.buf) < l.bufSize {
			l.buf = make([]byte, 0, l.bufSize)
		}
		return l.buf[:n], true
	}
	if int64(cap(spare)) >= n {
		return spare[:n], false
	}
	return make([]byte, n), false
}

// held records that the lexer's buffer holds the m bytes read at off.
func (l *Lexer) held(off int64, m int) {
	l.buf, l.bufOff = l.buf[:m], off
}

// IndexFrom returns the offset of the first occurrence of pat at or after from and before
// limit, or -1. It reads in chunks, so it is cheap for forward scans over large files.
func (l *Lexer) IndexFrom(pat []byte, from, limit int64) int64 {
	if limit > l.size {
		limit = l.size
	}
	if l.whole && from >= 0 {
		if from >= limit {
			return -1
		}
		if i := bytes.Index(l.buf[from:limit], pat); i >= 0 {
			return from + int64(i)
		}
		return -1
	}
	if b := l.buffered(from, limit); b != nil {
		// All of it is buffered already (the end of a file, read to find startxref).
		if i := bytes.Index(b, pat); i >= 0 {
			return from + int64(i)
		}
		return -1
	}
	var spare []byte
	chunk := int64(scanFirst - len(pat))
	for off := from; off < limit; {
		// Windows overlap by len(pat) bytes, so a match across a boundary is found.
		n := min(chunk+int64(len(pat)), limit-off)
		buf, own := l.scanWindow(n, spare)
		m, _ := l.r.ReadAt(buf, off)
		if own {
			l.held(off, max(m, 0))
		} else {
			spare = buf
		}
		if i := bytes.Index(buf[:m], pat); i >= 0 {
			return off + int64(i)
		}
		if int64(m) < n {
			return -1
		}
		off += chunk
		chunk = min(2*chunk, scanMax)
	}
	return -1
}

// LastIndexBefore returns the offset of the last occurrence of pat that ends at or before end
// and starts at or after from, or -1.
func (l *Lexer) LastIndexBefore(pat []byte, from, end int64) int64 {
	if end > l.size {
		end = l.size
	}
	if l.whole && from >= 0 {
		if end <= from {
			return -1
		}
		if i := bytes.LastIndex(l.buf[from:end], pat); i >= 0 {
			return from + int64(i)
		}
		return -1
	}
	var spare []byte
	window := int64(scanFirst)
	for hi := end; hi > from; {
		lo := max(hi-window, from)
		buf, own := l.scanWindow(hi-lo, spare)
		m, _ := l.r.ReadAt(buf, lo)
		if own {
			l.held(lo, max(m, 0))
		} else {
			spare = buf
		}
		if i := bytes.LastIndex(buf[:m], pat); i >= 0 {
			return lo + int64(i)
		}
		if lo == from {
			break
		}
		hi = lo + int64(len(pat)) - 1
		window = min(2*window, scanMax+int64(len(pat)))
	}
	return -1
}
