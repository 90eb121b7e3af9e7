package verify

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"
)

// node is one BER/DER element of a CMS structure, parsed without copying: raw is the whole
// element as it appears in the input (header, content and, for indefinite lengths, the
// end-of-contents octets), content the bytes between header and end.
type node struct {
	class       int // 0 universal, 1 application, 2 context, 3 private
	tag         int
	constructed bool
	indefinite  bool
	raw         []byte
	content     []byte // primitive content, or the encoded children of a constructed element
	children    []node
}

// Limits on what the BER reader accepts: a CMS blob in a PDF is at most a few hundred kilobytes,
// so these are generous and still bound memory and recursion.
const (
	maxBERDepth = 64
	maxBERNodes = 200000
)

var errBER = errors.New("malformed ASN.1")

type berParser struct{ nodes int }

// parseBER reads exactly one element from b and returns it and the bytes after it.
func parseBER(b []byte) (node, []byte, error) {
	p := &berParser{}
	return p.parse(b, 0)
}

// parseBERStrict reads one element and requires that nothing but zero padding follows
// (PDF /Contents are zero-padded).
func parseBERStrict(b []byte) (node, error) {
	n, rest, err := parseBER(b)
	if err != nil {
		return n, err
	}
	for _, c := range rest {
		if c != 0 {
			return n, fmt.Errorf("%w: %d bytes of trailing data", errBER, len(rest))
		}
	}
	return n, nil
}

func (p *berParser) parse(b []byte, depth int) (node, []byte, error) {
	var n node
	if depth > maxBERDepth {
		return n, nil, fmt.Errorf("%w: nested deeper than %d", errBER, maxBERDepth)
	}
	p.nodes++
	if p.nodes > maxBERNodes {
		return n, nil, fmt.Errorf("%w: more than %d elements", errBER, maxBERNodes)
	}
	if len(b) < 2 {
		return n, nil, fmt.Errorf("%w: truncated header", errBER)
	}
	i := 0
	n.class = int(b[0] >> 6)
	n.constructed = b[0]&0x20 != 0
	n.tag = int(b[0] & 0x1f)
	i++
	if n.tag == 0x1f {
		n.tag = 0
		for {
			if i >= len(b) || i > 5 {
				return n, nil, fmt.Errorf("%w: bad high tag", errBER)
			}
			c := b[i]
			i++
			n.tag = n.tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return n, nil, fmt.Errorf("%w: truncated length", errBER)
	}
	l := int(b[i])
	i++
	if l == 0x80 {
		if !n.constructed {
			return n, nil, fmt.Errorf("%w: indefinite length on primitive", errBER)
		}
		n.indefinite = true
		rest := b[i:]
		start := i
		for {
			if len(rest) >= 2 && rest[0] == 0 && rest[1] == 0 {
				n.content = b[start : len(b)-len(rest)]
				rest = rest[2:]
				n.raw = b[:len(b)-len(rest)]
				return n, rest, nil
			}
			if len(rest) == 0 {
				return n, nil, fmt.Errorf("%w: missing end of contents", errBER)
			}
			c, r, err := p.parse(rest, depth+1)
			if err != nil {
				return n, nil, err
			}
			n.children = append(n.children, c)
			rest = r
		}
	}
	if l > 0x80 {
		nb := l & 0x7f
		if nb > 4 || i+nb > len(b) {
			return n, nil, fmt.Errorf("%w: bad length", errBER)
		}
		l = 0
		for k := 0; k < nb; k++ {
			l = l<<8 | int(b[i])
			i++
		}
	}
	if l < 0 || l > len(b)-i {
		return n, nil, fmt.Errorf("%w: length %d beyond data", errBER, l)
	}
	n.content = b[i : i+l]
	n.raw = b[:i+l]
	if n.constructed {
		rest := n.content
		for len(rest) > 0 {
			c, r, err := p.parse(rest, depth+1)
			if err != nil {
				return n, nil, err
			}
			n.children = append(n.children, c)
			rest = r
		}
	}
	return n, b[i+l:], nil
}

func (n *node) is(class, tag int) bool { return n.class == class && n.tag == tag }

const (
	tagBoolean     = 1
	tagInteger     = 2
	tagBitString   = 3
	tagOctetString = 4
	tagNull        = 5
	tagOID         = 6
	tagEnum        = 10
	tagUTF8        = 12
	tagSequence    = 16
	tagSet         = 17
	tagUTCTime     = 23
	tagGenTime     = 24
)

// bytes returns the value of an OCTET STRING or BIT STRING, joining the segments of a
// constructed (BER) string.
func (n *node) bytes() []byte {
	if !n.constructed {
		return n.content
	}
	var out []byte
	for i := range n.children {
		out = append(out, n.children[i].bytes()...)
	}
	return out
}

// der re-encodes the element in DER: definite lengths, constructed strings joined, and the
// elements of a SET OF sorted. Used where a signature is defined over a DER encoding and the
// signer wrote BER.
func (n *node) der() []byte {
	if !n.indefinite && !n.hasIndefinite() && !(n.is(0, tagSet) && !n.sortedSet()) {
		return n.raw
	}
	var content []byte
	if n.class == 0 && (n.tag == tagOctetString || n.tag == tagBitString || n.tag == tagUTF8) && n.constructed {
		content = n.bytes()
		return encodeTLV(n.class, n.tag, false, content)
	}
	if n.constructed {
		parts := make([][]byte, len(n.children))
		for i := range n.children {
			parts[i] = n.children[i].der()
		}
		if n.is(0, tagSet) {
			sort.Slice(parts, func(i, j int) bool { return bytes.Compare(parts[i], parts[j]) < 0 })
		}
		content = bytes.Join(parts, nil)
	} else {
		content = n.content
	}
	return encodeTLV(n.class, n.tag, n.constructed, content)
}

func (n *node) hasIndefinite() bool {
	if n.indefinite {
		return true
	}
	for i := range n.children {
		if n.children[i].hasIndefinite() {
			return true
		}
	}
	return false
}

func (n *node) sortedSet() bool {
	for i := 1; i < len(n.children); i++ {
		if bytes.Compare(n.children[i-1].raw, n.children[i].raw) > 0 {
			return false
		}
	}
	return true
}

func encodeTLV(class, tag int, constructed bool, content []byte) []byte {
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
func (n *node) oid() (string, error) {
	if !n.is(0, tagOID) || len(n.content) == 0 || len(n.content) > 64 {
		return "", fmt.Errorf("%w: expected OID", errBER)
	}
	var parts []uint64
	var v uint64
	for i, c := range n.content {
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			parts = append(parts, v)
			v = 0
		} else if i == len(n.content)-1 {
			return "", fmt.Errorf("%w: truncated OID", errBER)
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

func (n *node) integer() (*big.Int, error) {
	if !n.is(0, tagInteger) || len(n.content) == 0 {
		return nil, fmt.Errorf("%w: expected INTEGER", errBER)
	}
	v := new(big.Int).SetBytes(n.content)
	if n.content[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(len(n.content)*8)))
	}
	return v, nil
}

func (n *node) smallInt() (int, error) {
	v, err := n.integer()
	if err != nil {
		return 0, err
	}
	if !v.IsInt64() || v.Int64() > 1<<30 || v.Int64() < -(1<<30) {
		return 0, fmt.Errorf("%w: integer out of range", errBER)
	}
	return int(v.Int64()), nil
}

// timeValue decodes UTCTime or GeneralizedTime.
func (n *node) timeValue() (time.Time, error) {
	s := string(n.bytes())
	switch {
	case n.is(0, tagUTCTime):
		for _, layout := range []string{"060102150405Z0700", "0601021504Z0700"} {
			if t, err := time.Parse(layout, s); err == nil {
				if t.Year() >= 2050 {
					t = t.AddDate(-100, 0, 0)
				}
				return t.UTC(), nil
			}
		}
	case n.is(0, tagGenTime):
		for _, layout := range []string{"20060102150405.999999999Z0700", "20060102150405Z0700", "20060102150405.999999999", "20060102150405"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("%w: bad time %q", errBER, s)
}

// algorithm reads an AlgorithmIdentifier: its OID and its parameters element (nil when absent).
func (n *node) algorithm() (string, *node, error) {
	if !n.is(0, tagSequence) || len(n.children) == 0 {
		return "", nil, fmt.Errorf("%w: expected AlgorithmIdentifier", errBER)
	}
	oid, err := n.children[0].oid()
	if err != nil {
		return "", nil, err
	}
	if len(n.children) > 1 {
		return oid, &n.children[1], nil
	}
	return oid, nil, nil
}
