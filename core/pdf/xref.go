package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
)

// EntryType is the kind of a cross-reference entry.
type EntryType byte

// Cross-reference entry types (ISO 32000-2 Table 18).
const (
	EntryFree       EntryType = 0 // free (deleted) object
	EntryInUse      EntryType = 1 // uncompressed object at a byte offset
	EntryCompressed EntryType = 2 // object inside an object stream
)

// XRefEntry is one cross-reference entry.
type XRefEntry struct {
	Type EntryType
	// Offset is the byte offset of "N G obj" for EntryInUse, the object stream's number for
	// EntryCompressed, and the next free object for EntryFree.
	Offset int64
	// Gen is the generation for EntryInUse/EntryFree and the index inside the object stream
	// for EntryCompressed.
	Gen int
}

// section is one cross-reference section (table or stream) as found in the file.
type section struct {
	offset  int64 // where "xref" or "N G obj" of the xref stream starts
	stream  bool
	trailer Dict
	entries map[int]XRefEntry
	end     int64 // just past the trailer dictionary or the xref stream's endobj
	xrefStm int64 // offset of the hybrid /XRefStm section, or -1
	anomaly []string
	// relisted holds, for a table that lists an object number twice (PDFBox 2's incremental
	// save writes "18 1" and "18 4" subsections for one object it wrote twice), the in-use
	// offsets of the listings after the first, which is the one used: offset → number.
	relisted map[int64]int
}

var (
	xrefKw      = []byte("xref")
	startxrefKw = []byte("startxref")
	eofMarker   = []byte("%%EOF")
	objHeaderRe = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:^|[^0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj\b`)
	})
)

// readSection parses the cross-reference section that starts at (or within a few bytes of) off.
func (f *File) readSection(off int64) (*section, error) {
	f.sections++
	if f.sections > f.limits.MaxRevisions {
		return nil, f.trip(&LimitError{Limit: "MaxRevisions", Max: int64(f.limits.MaxRevisions), Got: int64(f.sections)})
	}
	if off < 0 || off >= f.size {
		return nil, fmt.Errorf("%w: cross-reference offset %d outside the file", ErrMalformed, off)
	}
	s, err := f.readSectionAt(off)
	if err == nil {
		return s, nil
	}
	if errors.Is(err, ErrLimit) {
		return nil, err
	}
	// Offsets that are off by a few bytes are a common defect: look around.
	if alt, ok := f.findSectionNear(off); ok && alt != off {
		s2, err2 := f.readSectionAt(alt)
		if err2 == nil {
			s2.anomaly = append(s2.anomaly, fmt.Sprintf("cross-reference section found at %d, not at the stated offset %d", alt, off))
			return s2, nil
		}
	}
	return nil, err
}

func (f *File) findSectionNear(off int64) (int64, bool) {
	const window = 64
	lo := off - window
	if lo < 0 {
		lo = 0
	}
	b := make([]byte, 2*window+16)
	n, _ := f.r.ReadAt(b, lo)
	b = b[:n]
	best, found := int64(0), false
	consider := func(p int64) {
		if !found || abs64(p-off) < abs64(best-off) {
			best, found = p, true
		}
	}
	for i := 0; i+4 <= len(b); i++ {
		if bytes.HasPrefix(b[i:], xrefKw) && (i < 5 || !bytes.Equal(b[i-5:i], []byte("start"))) {
			consider(lo + int64(i))
		}
	}
	for _, m := range objHeaderRe().FindAllSubmatchIndex(b, -1) {
		consider(lo + int64(m[2]))
	}
	return best, found
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func (f *File) readSectionAt(off int64) (*section, error) {
	lx := f.lexer(off, f.limits.MaxObjectSize)
	defer f.release(lx)
	p := NewParser(lx, &f.limits)
	t, err := p.Next()
	if err != nil {
		return nil, err
	}
	if t.isKeyword("xref") && t.Start == off {
		return f.readTable(p, off)
	}
	if t.Kind == TokInt && t.Start == off {
		p.SetPos(off)
		return f.readXRefStream(p, off)
	}
	return nil, fmt.Errorf("%w: no cross-reference section at offset %d", ErrMalformed, off)
}

func (f *File) readTable(p *Parser, off int64) (*section, error) {
	s := &section{offset: off, entries: map[int]XRefEntry{}, xrefStm: -1}
	lx := p.Lexer()
	first := true
	for {
		t, err := p.Next()
		if err != nil {
			return nil, err
		}
		if t.isKeyword("trailer") {
			break
		}
		if t.Kind != TokInt {
			return nil, lx.errorf(t.Start, "expected xref subsection or trailer")
		}
		t2, err := p.Next()
		if err != nil {
			return nil, err
		}
		if t2.Kind != TokInt || t.Int < 0 || t2.Int < 0 {
			return nil, lx.errorf(t.Start, "bad xref subsection header")
		}
		start, count := t.Int, t2.Int
		if start+count > int64(f.limits.MaxObjects) || int64(len(s.entries))+count > int64(f.limits.MaxObjects) {
			return nil, f.trip(limitErr("MaxObjects", int64(f.limits.MaxObjects)))
		}
		if err := f.chargeEntries(count); err != nil {
			return nil, err
		}
		if len(s.entries) == 0 && count > 8 {
			// Size the map for the rows (at most what the rest of the file can hold, 20
			// bytes each) rather than growing it by rehashing: as for xref streams.
			s.entries = make(map[int]XRefEntry, min(count, (f.size-t.Start)/20+1))
		}
		for i := int64(0); i < count; i++ {
			e, err := p.readTableEntry()
			if err != nil {
				return nil, fmt.Errorf("xref entry %d: %w", start+i, err)
			}
			if first && i == 0 && start == 1 && e.Type == EntryFree && e.Gen == 65535 {
				// A well-known writer bug: the subsection says "1 N" but begins with entry 0.
				start = 0
				s.anomaly = append(s.anomaly, "xref subsection starts at 1 but holds entry 0")
			}
			num := int(start + i)
			if first, dup := s.entries[num]; !dup {
				s.entries[num] = e
			} else if e.Type == EntryInUse && first.Type == EntryInUse && e.Offset != first.Offset {
				if s.relisted == nil {
					s.relisted = map[int64]int{}
				}
				s.relisted[e.Offset] = num
			}
		}
		first = false
	}
	tr, err := p.ParseObject()
	if err != nil {
		return nil, fmt.Errorf("trailer: %w", err)
	}
	d, ok := tr.(Dict)
	if !ok {
		return nil, fmt.Errorf("%w: trailer is not a dictionary", ErrMalformed)
	}
	s.trailer = d
	s.end = p.Pos()
	if len(p.pending) == 0 {
		s.end = lx.Pos()
	}
	if x, ok := IntOf(d.Get("XRefStm")); ok {
		s.xrefStm = x
	}
	return s, nil
}

// readTableEntry reads "oooooooooo ggggg n|f" — the fixed 20-byte form fast, anything else
// token by token.
func (p *Parser) readTableEntry() (XRefEntry, error) {
	lx := p.lx
	if len(p.pending) == 0 {
		lx.SkipSpace()
		pos := lx.Pos()
		if b := lx.window(pos, 18); b != nil {
			{
				if b[10] == ' ' && b[16] == ' ' && (b[17] == 'n' || b[17] == 'f') && allDigits(b[:10]) && allDigits(b[11:16]) {
					off, _ := strconv.ParseInt(string(b[:10]), 10, 64)
					gen, _ := strconv.Atoi(string(b[11:16]))
					lx.SetPos(pos + 18)
					typ := EntryInUse
					if b[17] == 'f' {
						typ = EntryFree
					}
					return XRefEntry{Type: typ, Offset: off, Gen: gen}, nil
				}
			}
		}
	}
	t1, err := p.Next()
	if err != nil {
		return XRefEntry{}, err
	}
	t2, err := p.Next()
	if err != nil {
		return XRefEntry{}, err
	}
	t3, err := p.Next()
	if err != nil {
		return XRefEntry{}, err
	}
	if t1.Kind != TokInt || t2.Kind != TokInt || t3.Kind != TokKeyword || (string(t3.Raw) != "n" && string(t3.Raw) != "f") {
		return XRefEntry{}, lx.errorf(t1.Start, "bad xref entry")
	}
	typ := EntryInUse
	if string(t3.Raw) == "f" {
		typ = EntryFree
	}
	return XRefEntry{Type: typ, Offset: t1.Int, Gen: int(t2.Int)}, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (f *File) readXRefStream(p *Parser, off int64) (*section, error) {
	p.ResolveLength = nil // an xref stream's /Length must be direct
	obj, err := p.ParseIndirect()
	if err != nil {
		return nil, err
	}
	st, ok := obj.Value.(*Stream)
	if !ok {
		return nil, fmt.Errorf("%w: object at %d is not an xref stream", ErrMalformed, off)
	}
	if t := st.Dict.NameOf("Type"); t != "XRef" {
		return nil, fmt.Errorf("%w: stream at %d has /Type /%s, not /XRef", ErrMalformed, off, t)
	}
	data, err := f.decodeStream(st)
	if err != nil {
		return nil, fmt.Errorf("xref stream at %d: %w", off, err)
	}
	wa, _ := st.Dict.Get("W").(Array)
	if len(wa) < 3 {
		return nil, fmt.Errorf("%w: xref stream at %d: bad /W", ErrMalformed, off)
	}
	var w [3]int
	for i := 0; i < 3; i++ {
		v, ok := IntOf(wa[i])
		if !ok || v < 0 || v > 8 {
			return nil, fmt.Errorf("%w: xref stream at %d: bad /W", ErrMalformed, off)
		}
		w[i] = int(v)
	}
	size, _ := IntOf(st.Dict.Get("Size"))
	if size < 0 || size > int64(f.limits.MaxObjects) {
		return nil, f.trip(limitErr("MaxObjects", int64(f.limits.MaxObjects)))
	}
	var index []int64
	if ia, ok := st.Dict.Get("Index").(Array); ok {
		for _, x := range ia {
			v, ok := IntOf(x)
			if !ok || v < 0 {
				return nil, fmt.Errorf("%w: xref stream at %d: bad /Index", ErrMalformed, off)
			}
			index = append(index, v)
		}
	} else {
		index = []int64{0, size}
	}
	rowLen := w[0] + w[1] + w[2]
	if rowLen == 0 {
		return nil, fmt.Errorf("%w: xref stream at %d: empty /W", ErrMalformed, off)
	}
	// Charge the rows the section will hold — what /Index claims, at most what the data holds —
	// before the table is built: a few kilobytes of predictor-compressed rows can list half a
	// million entries (red team s9 F11: 11 KB, 524,000 entries, 122 MB before a later count
	// refused them), and the refusal must not cost what it refuses.
	claimed := int64(0)
	for i := 1; i < len(index); i += 2 {
		if lim := int64(f.limits.MaxObjects); index[i-1] > lim || index[i] > lim || index[i-1]+index[i] > lim {
			return nil, f.trip(limitErr("MaxObjects", lim))
		}
		claimed += index[i]
	}
	rows := min(claimed, int64(len(data)/rowLen))
	if err := f.chargeEntries(rows); err != nil {
		return nil, err
	}
	s := &section{offset: off, stream: true, trailer: st.Dict, entries: make(map[int]XRefEntry, rows), end: obj.Span.End, xrefStm: -1}
	pos := 0
	for i := 0; i+1 < len(index); i += 2 {
		start, count := index[i], index[i+1]
		if int64(len(s.entries))+count > int64(f.limits.MaxObjects) {
			return nil, f.trip(limitErr("MaxObjects", int64(f.limits.MaxObjects)))
		}
		for k := int64(0); k < count; k++ {
			if pos+rowLen > len(data) {
				s.anomaly = append(s.anomaly, "xref stream data shorter than /Index says")
				return s, nil
			}
			row := data[pos : pos+rowLen]
			pos += rowLen
			typ := int64(1)
			if w[0] > 0 {
				typ = beInt(row[:w[0]])
			}
			f2 := beInt(row[w[0] : w[0]+w[1]])
			f3 := beInt(row[w[0]+w[1]:])
			num := int(start + k)
			if _, dup := s.entries[num]; dup {
				continue
			}
			switch typ {
			case 0:
				s.entries[num] = XRefEntry{Type: EntryFree, Offset: f2, Gen: int(f3)}
			case 1:
				s.entries[num] = XRefEntry{Type: EntryInUse, Offset: f2, Gen: int(f3)}
			case 2:
				s.entries[num] = XRefEntry{Type: EntryCompressed, Offset: f2, Gen: int(f3)}
			default:
				// Unknown types are references to the null object (ISO 32000-2 §7.5.8.3); a
				// reader that does not know the rule may resolve the number otherwise.
				if len(s.anomaly) < 16 {
					s.anomaly = append(s.anomaly, fmt.Sprintf("xref stream row of unknown type %d for object %d", typ, num))
				}
			}
		}
	}
	return s, nil
}

// chargeEntries counts n more cross-reference entries against MaxXRefEntries.
func (f *File) chargeEntries(n int64) error {
	if n <= 0 {
		return nil
	}
	f.entries += n
	if f.entries > int64(f.limits.MaxXRefEntries) {
		return f.trip(&LimitError{Limit: "MaxXRefEntries", Max: int64(f.limits.MaxXRefEntries), Got: f.entries})
	}
	return f.cancelled()
}

func beInt(b []byte) int64 {
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}
