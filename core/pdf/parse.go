package pdf

import (
	"bytes"
	"fmt"
)

// Span is a byte range [Start, End) in the file.
type Span struct {
	Start int64
	End   int64
}

// Len returns End-Start.
func (s Span) Len() int64 { return s.End - s.Start }

// IndirectObject is an object read from "N G obj … endobj" with its location.
type IndirectObject struct {
	Ref   Ref
	Value Object
	// Span runs from the first digit of "N G obj" to just past "endobj" (or past the last
	// token read when endobj is missing).
	Span Span
	// ValueSpans gives, for a dictionary value (or a stream's dictionary), the exact bytes of
	// each top-level entry's value: for /Contents <3082…> it is the span of the hex token
	// including the angle brackets. With duplicate keys, the last one wins, as in Value.
	ValueSpans map[Name]Span
	// DuplicateKeys lists top-level keys that occurred more than once.
	DuplicateKeys []Name
}

// Parser reads objects from a Lexer.
type Parser struct {
	lx      *Lexer
	pending []Token
	limits  Limits
	elems   int   // entries of arrays and dictionaries in the object being parsed (MaxObjectElements)
	mem     int64 // estimated memory of the object being parsed (MaxObjectMemory; see memOf)
	// ResolveLength resolves an indirect stream /Length. When nil, or when it fails, the parser
	// finds the stream's end by searching for "endstream".
	ResolveLength func(Ref) (int64, bool)
	// lengthNote says how the last stream's /Length missed its "endstream" ("" when it did
	// not): readers that trust /Length read other bytes (AmbiguityLength).
	lengthNote string
}

// NewParser returns a parser reading from lx. limits may be nil for DefaultLimits.
func NewParser(lx *Lexer, limits *Limits) *Parser {
	var l Limits
	if limits != nil {
		l = *limits
	}
	return &Parser{lx: lx, limits: l.withDefaults()}
}

// Lexer returns the underlying lexer.
func (p *Parser) Lexer() *Lexer { return p.lx }

// SetPos discards look-ahead and moves to off.
func (p *Parser) SetPos(off int64) {
	p.pending = p.pending[:0]
	p.lx.SetPos(off)
}

// Next returns the next token, honouring look-ahead pushed back by the parser.
func (p *Parser) Next() (Token, error) {
	if n := len(p.pending); n > 0 {
		t := p.pending[n-1]
		p.pending = p.pending[:n-1]
		return t, nil
	}
	return p.lx.Next()
}

func (p *Parser) unread(t Token) { p.pending = append(p.pending, t) }

// Pos returns the offset of the next token's search start (after look-ahead is consumed).
func (p *Parser) Pos() int64 {
	if n := len(p.pending); n > 0 {
		return p.pending[n-1].Start
	}
	return p.lx.Pos()
}

// ParseObject parses one direct object (a reference "N G R" counts as one object).
func (p *Parser) ParseObject() (Object, error) {
	t, err := p.Next()
	if err != nil {
		return nil, err
	}
	o, _, err := p.parseValue(t, 0, nil, nil)
	return o, err
}

// ParseObjectSpan parses one direct object and returns its byte span.
func (p *Parser) ParseObjectSpan() (Object, Span, error) {
	t, err := p.Next()
	if err != nil {
		return nil, Span{}, err
	}
	o, end, err := p.parseValue(t, 0, nil, nil)
	return o, Span{t.Start, end}, err
}

func (p *Parser) parseValue(t Token, depth int, spans map[Name]Span, dups *[]Name) (Object, int64, error) {
	if depth > p.limits.MaxDepth {
		return nil, 0, limitErr("MaxDepth", int64(p.limits.MaxDepth))
	}
	if depth == 0 {
		p.elems, p.mem = 0, 0
	}
	switch t.Kind {
	case TokEOF:
		return nil, 0, p.lx.errorf(t.Start, "unexpected end of input")
	case TokInt:
		t2, err := p.Next()
		if err != nil {
			return nil, 0, err
		}
		if t2.Kind == TokInt {
			t3, err := p.Next()
			if err != nil {
				return nil, 0, err
			}
			if t3.isKeyword("R") {
				if t.Int < 0 || t.Int > int64(p.limits.MaxObjects) || t2.Int < 0 || t2.Int > 65535 {
					return Null{}, t3.End, nil
				}
				return Ref{Num: int(t.Int), Gen: int(t2.Int)}, t3.End, nil
			}
			p.unread(t3)
		}
		p.unread(t2)
		return Int(t.Int), t.End, nil
	case TokReal:
		return Real{Value: t.Real, Text: string(t.Raw)}, t.End, nil
	case TokName:
		return Name(t.Value), t.End, nil
	case TokString:
		return String{Bytes: t.Value}, t.End, nil
	case TokHexString:
		return String{Bytes: t.Value, Hex: true}, t.End, nil
	case TokKeyword:
		switch string(t.Raw) {
		case "true":
			return Bool(true), t.End, nil
		case "false":
			return Bool(false), t.End, nil
		case "null":
			return Null{}, t.End, nil
		}
		if structural[string(t.Raw)] {
			return nil, 0, p.lx.errorf(t.Start, "unexpected keyword %q", t.Raw)
		}
		// Junk such as "-1.#INF" inside an object reads as null, as viewers do.
		return Null{}, t.End, nil
	case TokArrayOpen:
		if err := p.charge(memContainer); err != nil {
			return nil, 0, err
		}
		arr := Array{}
		for {
			e, err := p.Next()
			if err != nil {
				return nil, 0, err
			}
			if e.Kind == TokArrayClose {
				return arr, e.End, nil
			}
			if e.Start-t.Start > p.limits.MaxObjectSize {
				return nil, 0, limitErr("MaxObjectSize", p.limits.MaxObjectSize)
			}
			if p.elems++; p.elems > p.limits.MaxObjectElements {
				return nil, 0, limitErr("MaxObjectElements", int64(p.limits.MaxObjectElements))
			}
			v, _, err := p.parseValue(e, depth+1, nil, nil)
			if err != nil {
				return nil, 0, err
			}
			if err := p.charge(memArrayElem + memOf(v)); err != nil {
				return nil, 0, err
			}
			arr = append(arr, v)
		}
	case TokDictOpen:
		if err := p.charge(memContainer); err != nil {
			return nil, 0, err
		}
		d := Dict{}
		for {
			k, err := p.Next()
			if err != nil {
				return nil, 0, err
			}
			if k.Kind == TokDictClose {
				return d, k.End, nil
			}
			if k.Kind != TokName {
				// Viewers skip a token that cannot be a key (e.g. after "/Contents" with no
				// value, the next key's value): do the same, but stop at structure keywords.
				if k.Kind == TokEOF || (k.Kind == TokKeyword && structural[string(k.Raw)]) {
					return nil, 0, p.lx.errorf(k.Start, "unterminated dictionary")
				}
				continue
			}
			if k.Start-t.Start > p.limits.MaxObjectSize {
				return nil, 0, limitErr("MaxObjectSize", p.limits.MaxObjectSize)
			}
			if p.elems++; p.elems > p.limits.MaxObjectElements {
				return nil, 0, limitErr("MaxObjectElements", int64(p.limits.MaxObjectElements))
			}
			vt, err := p.Next()
			if err != nil {
				return nil, 0, err
			}
			if vt.Kind == TokDictClose {
				// "/Key >>": a key without a value; treat the value as null.
				d[Name(k.Value)] = Null{}
				return d, vt.End, nil
			}
			v, end, err := p.parseValue(vt, depth+1, nil, nil)
			if err != nil {
				return nil, 0, err
			}
			key := Name(k.Value)
			if err := p.charge(memDictEntry + int64(len(key)) + memOf(v)); err != nil {
				return nil, 0, err
			}
			if spans != nil {
				if _, dup := d[key]; dup && dups != nil {
					*dups = append(*dups, key)
				}
				spans[key] = Span{vt.Start, end}
			}
			d[key] = v
		}
	}
	return nil, 0, p.lx.errorf(t.Start, "unexpected token %q", t.Raw)
}

// The memory a parsed object holds is estimated as it is built (MaxObjectMemory), since an
// element costs far more than its bytes in the file: "/k<<>>" is six bytes and a map slot, a
// key and an empty map (red team s10 DoS 2: a 12 MB object stream of one /VRI dictionary of
// 250,000 keys held 70 MB). The figures are Go's on 64-bit platforms, rounded up: a map slot
// with its share of the doubling growth, an interface in a slice grown by doubling, a
// container's header.
const (
	memContainer = 64
	memArrayElem = 32
	memDictEntry = 112
)

// memOf is the estimated memory of a scalar value beyond the slot that holds it (containers
// are charged as they are parsed).
func memOf(o Object) int64 {
	switch x := o.(type) {
	case Name:
		return int64(len(x)) + 16
	case String:
		return int64(len(x.Bytes)) + 32
	case Real:
		return int64(len(x.Text)) + 40
	case Int, Ref:
		return 16
	}
	return 0
}

// charge adds n bytes to the estimated memory of the object being parsed.
func (p *Parser) charge(n int64) error {
	if p.mem += n; p.mem > p.limits.MaxObjectMemory {
		return limitErr("MaxObjectMemory", p.limits.MaxObjectMemory)
	}
	return nil
}

// ParseIndirect parses "N G obj … endobj" at the current position, including a stream's
// dictionary and data location (the data is not read).
func (p *Parser) ParseIndirect() (*IndirectObject, error) {
	t1, err := p.Next()
	if err != nil {
		return nil, err
	}
	t2, err := p.Next()
	if err != nil {
		return nil, err
	}
	t3, err := p.Next()
	if err != nil {
		return nil, err
	}
	if t1.Kind != TokInt || t2.Kind != TokInt || !t3.isKeyword("obj") {
		return nil, p.lx.errorf(t1.Start, "expected \"N G obj\"")
	}
	if t1.Int < 0 || t1.Int > int64(p.limits.MaxObjects) || t2.Int < 0 || t2.Int > 65535 {
		return nil, p.lx.errorf(t1.Start, "object number out of range")
	}
	obj := &IndirectObject{Ref: Ref{int(t1.Int), int(t2.Int)}, ValueSpans: map[Name]Span{}}
	vt, err := p.Next()
	if err != nil {
		return nil, err
	}
	if vt.isKeyword("endobj") {
		// "N G obj endobj": an empty object is null.
		obj.Value, obj.Span = Null{}, Span{t1.Start, vt.End}
		return obj, nil
	}
	v, end, err := p.parseValue(vt, 0, obj.ValueSpans, &obj.DuplicateKeys)
	if err != nil {
		return nil, fmt.Errorf("object %d %d: %w", obj.Ref.Num, obj.Ref.Gen, err)
	}
	obj.Value, obj.Span = v, Span{t1.Start, end}
	t, err := p.Next()
	if err != nil {
		return nil, err
	}
	if d, ok := v.(Dict); ok && t.isKeyword("stream") {
		s, err := p.streamData(d, t)
		if err != nil {
			return nil, fmt.Errorf("object %d %d: %w", obj.Ref.Num, obj.Ref.Gen, err)
		}
		obj.Value = s
		obj.Span.End = p.lx.Pos()
		t, err = p.Next()
		if err != nil {
			return nil, err
		}
	}
	if t.isKeyword("endobj") {
		obj.Span.End = t.End
	} else {
		p.unread(t)
	}
	return obj, nil
}

var endstreamKw = []byte("endstream")

// structural keywords never appear inside an object; meeting one means the object is broken.
var structural = map[string]bool{"obj": true, "endobj": true, "stream": true, "endstream": true,
	"xref": true, "trailer": true, "startxref": true, "R": true}

// streamData locates the data of a stream whose "stream" keyword is kw, and leaves the lexer
// just after "endstream".
func (p *Parser) streamData(d Dict, kw Token) (*Stream, error) {
	lx := p.lx
	p.pending = p.pending[:0]
	data := kw.End
	if c, ok := lx.byteAt(data); ok && c == '\r' {
		data++
		if c, ok := lx.byteAt(data); ok && c == '\n' {
			data++
		}
	} else if ok && c == '\n' {
		data++
	}
	length := int64(-1)
	switch v := d.Get("Length").(type) {
	case Int:
		length = int64(v)
	case Ref:
		if p.ResolveLength != nil {
			if n, ok := p.ResolveLength(v); ok {
				length = n
			}
		}
	}
	if length >= 0 && InRange(data, length, lx.size) && p.endstreamAt(data+length) {
		return &Stream{Dict: d, Offset: data, Length: length}, nil
	}
	if length >= 0 {
		p.lengthNote = fmt.Sprintf("declares /Length %d, which does not end at its endstream", length)
	} else {
		p.lengthNote = "has no usable /Length"
	}
	// The /Length is missing or wrong (a common defect): find "endstream".
	limit := data + p.limits.MaxStreamSize + 16
	e := lx.IndexFrom(endstreamKw, data, limit)
	if e < 0 {
		if lx.size-data > p.limits.MaxStreamSize {
			return nil, limitErr("MaxStreamSize", p.limits.MaxStreamSize)
		}
		return nil, lx.errorf(data, "stream without endstream")
	}
	n := e - data
	if n > 0 {
		if c, _ := lx.byteAt(data + n - 1); c == '\n' {
			n--
			if n > 0 {
				if c, _ := lx.byteAt(data + n - 1); c == '\r' {
					n--
				}
			}
		} else if c == '\r' {
			n--
		}
	}
	lx.SetPos(e + int64(len(endstreamKw)))
	if length >= 0 {
		p.lengthNote += fmt.Sprintf(" (%d bytes of data up to the keyword)", n)
	}
	return &Stream{Dict: d, Offset: data, Length: n}, nil
}

// endstreamAt reports whether "endstream" follows off after optional white space, and if so
// moves the lexer past it.
func (p *Parser) endstreamAt(off int64) bool {
	lx := p.lx
	for i := 0; i < 4; i++ {
		c, ok := lx.byteAt(off)
		if !ok || !IsWhite(c) {
			break
		}
		off++
	}
	b := lx.ReadRaw(off, int64(len(endstreamKw)))
	if !bytes.Equal(b, endstreamKw) {
		return false
	}
	lx.SetPos(off + int64(len(endstreamKw)))
	return true
}
