package cms

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"
)

// The BER/DER reader of SealDesk (moved here from core/verify in issue 13): it reads what
// signers write (BER indefinite lengths, constructed strings, unsorted SETs) without copying,
// bounded in depth (64) and element count (200,000), and keeps every element's raw bytes so a
// verifier can check a signature over the bytes as signed. core/verify reads CMS with it.

// Node is one BER/DER element of a CMS structure, parsed without copying: Raw is the whole
// element as it appears in the input (header, content and, for indefinite lengths, the
// end-of-contents octets), Content the bytes between header and end.
type Node struct {
	Class       int // 0 universal, 1 application, 2 context, 3 private
	Tag         int
	Constructed bool
	Indefinite  bool
	Raw         []byte
	Content     []byte // primitive content, or the encoded children of a constructed element
	Children    []Node
}

// Limits on what the BER reader accepts: a CMS blob in a PDF is at most a few hundred kilobytes,
// so these are generous and still bound memory and recursion.
const (
	maxBERDepth = 64
	maxBERNodes = 200000
)

var ErrBER = errors.New("malformed ASN.1")

// berParser holds one parse's state. The elements of the tree are carved from one pool sized
// by a counting pass over the headers (countBER), and each constructed element's children get
// exactly their number of slots (directChildren): appending children one by one reallocated
// each Children slice as it grew, and every size class touched fresh memory — in a fresh
// process (sealctl) the parse of one signature's CMS cost ~20 page faults, more than its work.
// The counts only size allocations: a wrong count (malformed input) costs a reallocation,
// never a different tree.
type berParser struct {
	nodes int
	pool  []Node
	plain bool // no counting (tests compare the two)
}

// ParseBER reads exactly one element from b and returns it and the bytes after it.
func ParseBER(b []byte) (Node, []byte, error) {
	p := &berParser{}
	if n := countBER(b, 0, new(int)); n > 1 {
		p.pool = make([]Node, n)
	}
	return p.parse(b, 0)
}

// take returns an empty slice with room for k children, from the pool while it lasts.
func (p *berParser) take(k int) []Node {
	if k <= len(p.pool) {
		s := p.pool[:0:k]
		p.pool = p.pool[k:]
		return s
	}
	return make([]Node, 0, k)
}

// berHeader reads an element's header: whether it is constructed, whether its length is
// indefinite, the header's length and (definite) the content's length. ok is false where parse
// would fail.
func berHeader(b []byte) (constructed, indefinite bool, hdr, l int, ok bool) {
	if len(b) < 2 {
		return
	}
	constructed = b[0]&0x20 != 0
	i := 1
	if b[0]&0x1f == 0x1f {
		for {
			if i >= len(b) || i > 5 {
				return
			}
			c := b[i]
			i++
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return
	}
	l = int(b[i])
	i++
	if l == 0x80 {
		return constructed, true, i, 0, constructed
	}
	if l > 0x80 {
		nb := l & 0x7f
		if nb > 4 || i+nb > len(b) {
			return
		}
		l = 0
		for k := 0; k < nb; k++ {
			l = l<<8 | int(b[i])
			i++
		}
	}
	if l < 0 || l > len(b)-i {
		return
	}
	return constructed, false, i, l, true
}

// countBER counts the elements of the definite-length element at the start of b (itself and
// everything inside), within parse's bounds; it stops at the first indefinite length or
// malformed header (the rest then comes from ordinary allocations). *seen counts across the
// recursion.
func countBER(b []byte, depth int, seen *int) int {
	constructed, indefinite, hdr, l, ok := berHeader(b)
	if !ok || indefinite || depth > maxBERDepth || *seen >= maxBERNodes {
		return 0
	}
	*seen++
	n := 1
	if constructed {
		rest := b[hdr : hdr+l]
		for len(rest) > 0 {
			_, ind, h, cl, ok := berHeader(rest)
			if !ok || ind {
				break
			}
			n += countBER(rest, depth+1, seen)
			rest = rest[h+cl:]
		}
	}
	return n
}

// directChildren counts the elements in content, a definite-length constructed element's
// content, or returns 0 at an indefinite length or a malformed header.
func directChildren(content []byte) int {
	n := 0
	for len(content) > 0 {
		_, ind, h, l, ok := berHeader(content)
		if !ok || ind {
			return 0
		}
		n++
		content = content[h+l:]
	}
	return n
}

// ParseBERStrict reads one element and requires that nothing but zero padding follows
// (PDF /Contents are zero-padded).
func ParseBERStrict(b []byte) (Node, error) {
	n, rest, err := ParseBER(b)
	if err != nil {
		return n, err
	}
	for _, c := range rest {
		if c != 0 {
			return n, fmt.Errorf("%w: %d bytes of trailing data", ErrBER, len(rest))
		}
	}
	return n, nil
}

func (p *berParser) parse(b []byte, depth int) (Node, []byte, error) {
	var n Node
	if depth > maxBERDepth {
		return n, nil, fmt.Errorf("%w: nested deeper than %d", ErrBER, maxBERDepth)
	}
	p.nodes++
	if p.nodes > maxBERNodes {
		return n, nil, fmt.Errorf("%w: more than %d elements", ErrBER, maxBERNodes)
	}
	if len(b) < 2 {
		return n, nil, fmt.Errorf("%w: truncated header", ErrBER)
	}
	i := 0
	n.Class = int(b[0] >> 6)
	n.Constructed = b[0]&0x20 != 0
	n.Tag = int(b[0] & 0x1f)
	i++
	if n.Tag == 0x1f {
		n.Tag = 0
		for {
			if i >= len(b) || i > 5 {
				return n, nil, fmt.Errorf("%w: bad high tag", ErrBER)
			}
			c := b[i]
			i++
			n.Tag = n.Tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return n, nil, fmt.Errorf("%w: truncated length", ErrBER)
	}
	l := int(b[i])
	i++
	if l == 0x80 {
		if !n.Constructed {
			return n, nil, fmt.Errorf("%w: indefinite length on primitive", ErrBER)
		}
		n.Indefinite = true
		rest := b[i:]
		start := i
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				n.Content = b[start : len(b)-len(rest)]
				rest = rest[2:]
				n.Raw = b[:len(b)-len(rest)]
				return n, rest, nil
			}
			if len(rest) == 0 {
				return n, nil, fmt.Errorf("%w: missing end of contents", ErrBER)
			}
			c, r, err := p.parse(rest, depth+1)
			if err != nil {
				return n, nil, err
			}
			n.Children = append(n.Children, c)
			rest = r
		}
	}
	if l > 0x80 {
		nb := l & 0x7f
		if nb > 4 || i+nb > len(b) {
			return n, nil, fmt.Errorf("%w: bad length", ErrBER)
		}
		l = 0
		for k := 0; k < nb; k++ {
			l = l<<8 | int(b[i])
			i++
		}
	}
	if l < 0 || l > len(b)-i {
		return n, nil, fmt.Errorf("%w: length %d beyond data", ErrBER, l)
	}
	n.Content = b[i : i+l]
	n.Raw = b[:i+l]
	if n.Constructed {
		rest := n.Content
		if !p.plain {
			if k := directChildren(rest); k > 0 {
				n.Children = p.take(k)
			}
		}
		for len(rest) > 0 {
			c, r, err := p.parse(rest, depth+1)
			if err != nil {
				return n, nil, err
			}
			n.Children = append(n.Children, c)
			rest = r
		}
	}
	return n, b[i+l:], nil
}

func (n *Node) Is(class, tag int) bool { return n.Class == class && n.Tag == tag }

const (
	TagBoolean     = 1
	TagInteger     = 2
	TagBitString   = 3
	TagOctetString = 4
	TagNull        = 5
	TagOID         = 6
	TagEnum        = 10
	TagUTF8        = 12
	TagSequence    = 16
	TagSet         = 17
	TagUTCTime     = 23
	TagGenTime     = 24
)

// bytes returns the value of an OCTET STRING or BIT STRING, joining the segments of a
// constructed (BER) string.
func (n *Node) Bytes() []byte {
	if !n.Constructed {
		return n.Content
	}
	var out []byte
	for i := range n.Children {
		out = append(out, n.Children[i].Bytes()...)
	}
	return out
}

// der re-encodes the element in DER: definite lengths, constructed strings joined, and the
// elements of a SET OF sorted. Used where a signature is defined over a DER encoding and the
// signer wrote BER.
func (n *Node) DER() []byte {
	if !n.Indefinite && !n.HasIndefinite() && !(n.Is(0, TagSet) && !n.SortedSet()) {
		return n.Raw
	}
	var content []byte
	if n.Class == 0 && (n.Tag == TagOctetString || n.Tag == TagBitString || n.Tag == TagUTF8) && n.Constructed {
		content = n.Bytes()
		return EncodeTLV(n.Class, n.Tag, false, content)
	}
	if n.Constructed {
		parts := make([][]byte, len(n.Children))
		for i := range n.Children {
			parts[i] = n.Children[i].DER()
		}
		if n.Is(0, TagSet) {
			sort.Slice(parts, func(i, j int) bool { return bytes.Compare(parts[i], parts[j]) < 0 })
		}
		content = bytes.Join(parts, nil)
	} else {
		content = n.Content
	}
	return EncodeTLV(n.Class, n.Tag, n.Constructed, content)
}

func (n *Node) HasIndefinite() bool {
	if n.Indefinite {
		return true
	}
	for i := range n.Children {
		if n.Children[i].HasIndefinite() {
			return true
		}
	}
	return false
}

func (n *Node) SortedSet() bool {
	for i := 1; i < len(n.Children); i++ {
		if bytes.Compare(n.Children[i-1].Raw, n.Children[i].Raw) > 0 {
			return false
		}
	}
	return true
}

func EncodeTLV(class, tag int, constructed bool, content []byte) []byte {
	var out []byte
	b0 := byte(class << 6)
	if constructed {
		b0 |= 0x20
	}
	if tag < 31 {
		out = append(out, b0|byte(tag))
	} else {
		out = append(out, b0|0x1f)
		var t []byte
		for v := tag; v > 0; v >>= 7 {
			t = append([]byte{byte(v & 0x7f)}, t...)
		}
		for i := 0; i < len(t)-1; i++ {
			t[i] |= 0x80
		}
		out = append(out, t...)
	}
	l := len(content)
	switch {
	case l < 0x80:
		out = append(out, byte(l))
	default:
		var lb []byte
		for v := l; v > 0; v >>= 8 {
			lb = append([]byte{byte(v)}, lb...)
		}
		out = append(out, 0x80|byte(len(lb)))
		out = append(out, lb...)
	}
	return append(out, content...)
}

// oid decodes an OBJECT IDENTIFIER into its dotted form.
func (n *Node) OID() (string, error) {
	if !n.Is(0, TagOID) || len(n.Content) == 0 || len(n.Content) > 64 {
		return "", fmt.Errorf("%w: expected OID", ErrBER)
	}
	var parts []uint64
	var v uint64
	for i, c := range n.Content {
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			parts = append(parts, v)
			v = 0
		} else if i == len(n.Content)-1 {
			return "", fmt.Errorf("%w: truncated OID", ErrBER)
		}
	}
	var buf bytes.Buffer
	first := parts[0]
	switch {
	case first < 40:
		fmt.Fprintf(&buf, "0.%d", first)
	case first < 80:
		fmt.Fprintf(&buf, "1.%d", first-40)
	default:
		fmt.Fprintf(&buf, "2.%d", first-80)
	}
	for _, p := range parts[1:] {
		fmt.Fprintf(&buf, ".%d", p)
	}
	return buf.String(), nil
}

func (n *Node) Integer() (*big.Int, error) {
	if !n.Is(0, TagInteger) || len(n.Content) == 0 {
		return nil, fmt.Errorf("%w: expected INTEGER", ErrBER)
	}
	v := new(big.Int).SetBytes(n.Content)
	if n.Content[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(len(n.Content)*8)))
	}
	return v, nil
}

func (n *Node) SmallInt() (int, error) {
	v, err := n.Integer()
	if err != nil {
		return 0, err
	}
	if !v.IsInt64() || v.Int64() > 1<<30 || v.Int64() < -(1<<30) {
		return 0, fmt.Errorf("%w: integer out of range", ErrBER)
	}
	return int(v.Int64()), nil
}

// timeValue decodes UTCTime or GeneralizedTime.
func (n *Node) TimeValue() (time.Time, error) {
	s := string(n.Bytes())
	switch {
	case n.Is(0, TagUTCTime):
		for _, layout := range []string{"060102150405Z0700", "0601021504Z0700"} {
			if t, err := time.Parse(layout, s); err == nil {
				if t.Year() >= 2050 {
					t = t.AddDate(-100, 0, 0)
				}
				return t.UTC(), nil
			}
		}
	case n.Is(0, TagGenTime):
		for _, layout := range []string{"20060102150405.999999999Z0700", "20060102150405Z0700", "20060102150405.999999999", "20060102150405"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%w: bad time %q", ErrBER, s)
}

// GeneralizedTimeDER reads a GeneralizedTime that follows DER (X.690 §11.7) as RFC 3161 §2.4.2
// and RFC 5280 §4.1.2.5.2 require of genTime: primitive, YYYYMMDDHHMMSS, then optionally "."
// and fractional seconds without trailing zeros, then "Z" — never a local time or an offset.
// TimeValue, which also accepts those, stays for fields that may be BER (signingTime).
func (n *Node) GeneralizedTimeDER() (time.Time, error) {
	s := string(n.Content)
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: GeneralizedTime %q is not DER: %s", ErrBER, s, why)
	}
	if !n.Is(0, TagGenTime) || n.Constructed {
		return bad("not a primitive GeneralizedTime")
	}
	if len(s) < 15 || s[len(s)-1] != 'Z' {
		return bad("not UTC ('Z')")
	}
	digits := s[:14]
	frac := s[14 : len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return bad("not YYYYMMDDHHMMSS")
		}
	}
	if frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 || frac[len(frac)-1] == '0' {
			return bad("fractional seconds must be '.' and digits without trailing zeros")
		}
		for i := 1; i < len(frac); i++ {
			if frac[i] < '0' || frac[i] > '9' {
				return bad("fractional seconds must be digits")
			}
		}
	}
	t, err := time.Parse("20060102150405.999999999Z", s)
	if err != nil {
		return bad(err.Error())
	}
	return t.UTC(), nil
}

// algorithm reads an AlgorithmIdentifier: its OID and its parameters element (nil when absent).
func (n *Node) Algorithm() (string, *Node, error) {
	if !n.Is(0, TagSequence) || len(n.Children) == 0 {
		return "", nil, fmt.Errorf("%w: expected AlgorithmIdentifier", ErrBER)
	}
	oid, err := n.Children[0].OID()
	if err != nil {
		return "", nil, err
	}
	if len(n.Children) > 1 {
		return oid, &n.Children[1], nil
	}
	return oid, nil, nil
}
