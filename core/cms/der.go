package cms

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"time"
)

// The DER writer of the structures this package builds (SignedData, its attributes, the
// signing-certificate-v2 value). Each is a fixed shape, so it is written by hand: lengths are
// computed first and every element is appended into one buffer of the exact size. Signing
// a PDF in a fresh process spent about a tenth of its time in encoding/asn1's reflection and
// the many small allocations it makes (each new size class in a fresh heap costs page faults);
// der_test.go checks the output byte for byte against the encoding/asn1 encoder it replaced.
//
// Tags above 30 and lengths beyond the int range never occur in what is written here; the
// RawValue path (an attribute value given by a caller) still writes any tag number.

// DER identifier octets (universal class unless noted).
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagUTCTime     = 0x17
	tagGenTime     = 0x18
	tagSequence    = 0x30 // constructed
	tagSet         = 0x31 // constructed
	tagContext0    = 0xa0 // [0] constructed
	tagContext1    = 0xa1 // [1] constructed
	tagContext2    = 0xa2 // [2] constructed
	tagContext4    = 0xa4 // [4] constructed
)

var errBadOID = errors.New("invalid object identifier")

// lenLen is the size of the length octets for a content of n bytes.
func lenLen(n int) int {
	if n < 0x80 {
		return 1
	}
	k := 1
	for n > 0xff {
		n >>= 8
		k++
	}
	return 1 + k
}

// tlv is the size of an element (one identifier octet) with a content of n bytes.
func tlv(n int) int { return 1 + lenLen(n) + n }

// appendHeader appends an identifier octet and the length octets of a content of n bytes.
func appendHeader(b []byte, tag byte, n int) []byte {
	b = append(b, tag)
	return appendLength(b, n)
}

func appendLength(b []byte, n int) []byte {
	if n < 0x80 {
		return append(b, byte(n))
	}
	k := lenLen(n) - 1
	b = append(b, 0x80|byte(k))
	for i := k - 1; i >= 0; i-- {
		b = append(b, byte(n>>(8*i)))
	}
	return b
}

// appendTLV appends one element with content c.
func appendTLV(b []byte, tag byte, c []byte) []byte {
	return append(appendHeader(b, tag, len(c)), c...)
}

// base128Len is the size of v in base 128.
func base128Len(v int) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func appendBase128(b []byte, v int) []byte {
	for i := base128Len(v) - 1; i >= 0; i-- {
		c := byte(v>>(7*i)) & 0x7f
		if i > 0 {
			c |= 0x80
		}
		b = append(b, c)
	}
	return b
}

// oidContentLen is the size of oid's content octets; it refuses what encoding/asn1 refuses.
func oidContentLen(oid asn1.ObjectIdentifier) (int, error) {
	if len(oid) < 2 || oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) {
		return 0, errBadOID
	}
	for _, v := range oid {
		if v < 0 {
			return 0, errBadOID
		}
	}
	n := base128Len(oid[0]*40 + oid[1])
	for _, v := range oid[2:] {
		n += base128Len(v)
	}
	return n, nil
}

// appendOID appends oid as a complete element; oid must have passed oidContentLen.
func appendOID(b []byte, oid asn1.ObjectIdentifier, n int) []byte {
	b = appendHeader(b, tagOID, n)
	b = appendBase128(b, oid[0]*40+oid[1])
	for _, v := range oid[2:] {
		b = appendBase128(b, v)
	}
	return b
}

// encodeOID returns the element encoding oid.
func encodeOID(oid asn1.ObjectIdentifier) ([]byte, error) {
	n, err := oidContentLen(oid)
	if err != nil {
		return nil, err
	}
	return appendOID(make([]byte, 0, tlv(n)), oid, n), nil
}

// encodeAlgorithm returns an AlgorithmIdentifier: the OID and, when params is not nil, the
// parameters (a complete element, e.g. NULL).
func encodeAlgorithm(oid asn1.ObjectIdentifier, params []byte) ([]byte, error) {
	n, err := oidContentLen(oid)
	if err != nil {
		return nil, err
	}
	body := tlv(n) + len(params)
	b := make([]byte, 0, tlv(body))
	b = appendHeader(b, tagSequence, body)
	b = appendOID(b, oid, n)
	return append(b, params...), nil
}

// derNull is the NULL element (the parameters of the SHA-2 and RSA algorithm identifiers).
var derNull = []byte{tagNull, 0}

// appendSmallInt appends a non-negative INTEGER below 2^15 (versions, salt lengths).
func appendSmallInt(b []byte, v int) []byte {
	switch {
	case v < 0x80:
		return append(b, tagInteger, 1, byte(v))
	default:
		return append(b, tagInteger, 2, byte(v>>8), byte(v))
	}
}

func smallIntLen(v int) int {
	if v < 0x80 {
		return 3
	}
	return 4
}

// encodeBigInt returns the INTEGER element for n in minimal two's complement, as
// encoding/asn1 writes it (certificate serial numbers may be negative).
func encodeBigInt(n *big.Int) []byte {
	var c []byte
	switch n.Sign() {
	case 0:
		c = []byte{0}
	case 1:
		c = n.Bytes()
		if c[0]&0x80 != 0 {
			c = append([]byte{0}, c...)
		}
	default:
		// -n - 1 with every bit flipped is n in two's complement.
		m := new(big.Int).Neg(n)
		m.Sub(m, big.NewInt(1))
		c = m.Bytes()
		for i := range c {
			c[i] ^= 0xff
		}
		if len(c) == 0 || c[0]&0x80 == 0 {
			c = append([]byte{0xff}, c...)
		}
	}
	return appendTLV(make([]byte, 0, tlv(len(c))), tagInteger, c)
}

// encodeTime returns t (in UTC) as UTCTime from 1950 to 2049 and GeneralizedTime otherwise,
// whole seconds, as encoding/asn1 writes a time.Time.
func encodeTime(t time.Time) ([]byte, error) {
	t = t.UTC()
	y := t.Year()
	tag, digits := byte(tagUTCTime), 2
	if y < 1950 || y >= 2050 {
		tag, digits = tagGenTime, 4
		if y < 0 || y > 9999 {
			return nil, errors.New("cannot represent time as GeneralizedTime")
		}
	} else {
		y %= 100
	}
	n := digits + 10 + 1
	b := make([]byte, 0, 2+n)
	b = append(b, tag, byte(n))
	if digits == 4 {
		b = append(b, byte('0'+y/1000), byte('0'+y/100%10))
	}
	b = append(b, byte('0'+y/10%10), byte('0'+y%10))
	for _, v := range []int{int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second()} {
		b = append(b, byte('0'+v/10), byte('0'+v%10))
	}
	return append(b, 'Z'), nil
}

// rawLen is the size of a RawValue as encoding/asn1 writes it: FullBytes when set, else an
// element made of Class, Tag, IsCompound and Bytes.
func rawLen(rv *asn1.RawValue) int {
	if len(rv.FullBytes) != 0 {
		return len(rv.FullBytes)
	}
	return rawTagLen(rv.Tag) + lenLen(len(rv.Bytes)) + len(rv.Bytes)
}

func rawTagLen(tag int) int {
	if tag < 31 {
		return 1
	}
	return 1 + base128Len(tag)
}

func appendRaw(b []byte, rv *asn1.RawValue) []byte {
	if len(rv.FullBytes) != 0 {
		return append(b, rv.FullBytes...)
	}
	id := byte(rv.Class&3) << 6
	if rv.IsCompound {
		id |= 0x20
	}
	if rv.Tag < 31 {
		b = append(b, id|byte(rv.Tag))
	} else {
		b = appendBase128(append(b, id|0x1f), rv.Tag)
	}
	b = appendLength(b, len(rv.Bytes))
	return append(b, rv.Bytes...)
}

// encodeAttribute returns an Attribute (SEQUENCE of the type and the SET OF its values, the
// values in DER order).
func encodeAttribute(a *Attribute) ([]byte, error) {
	n, err := oidContentLen(a.Type)
	if err != nil {
		return nil, err
	}
	vals := 0
	for i := range a.Values {
		vals += rawLen(&a.Values[i])
	}
	body := tlv(n) + tlv(vals)
	b := make([]byte, 0, tlv(body))
	b = appendHeader(b, tagSequence, body)
	b = appendOID(b, a.Type, n)
	b = appendHeader(b, tagSet, vals)
	if len(a.Values) == 1 {
		return appendRaw(b, &a.Values[0]), nil
	}
	enc := make([][]byte, len(a.Values))
	for i := range a.Values {
		enc[i] = appendRaw(nil, &a.Values[i])
	}
	sortDER(enc)
	for _, e := range enc {
		b = append(b, e...)
	}
	return b, nil
}

// sortDER sorts the encodings of a SET OF into DER order (as octet strings; a shorter
// encoding's length octets already order it as X.690 11.6 asks).
func sortDER(enc [][]byte) { slices.SortFunc(enc, bytes.Compare) }
