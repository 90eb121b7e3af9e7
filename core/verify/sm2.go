package verify

import (
	"crypto/elliptic"
	"encoding/binary"
	"errors"
	"hash"
	"math/big"
	"math/bits"
	"sealdesk/core/cms"
)

// SM3 (GB/T 32905-2016) and SM2 signature verification (GB/T 32918.2-2016), the Chinese
// commercial algorithms that national CAs use; the standard library has neither. Only
// verification is implemented: nothing here handles secrets.

const (
	oidSM3       = "1.2.156.10197.1.401"
	oidSM2Curve  = "1.2.156.10197.1.301"
	oidSM2Sign   = "1.2.156.10197.1.301.1"
	oidSM2SM3    = "1.2.156.10197.1.501"
	oidGMData    = "1.2.156.10197.6.1.4.2.1" // GM/T 0010 data
	oidGMSigned  = "1.2.156.10197.6.1.4.2.2" // GM/T 0010 signedData
	sm3BlockSize = 64
)

type sm3 struct {
	v   [8]uint32
	buf [sm3BlockSize]byte
	n   int
	len uint64
}

func newSM3() hash.Hash { d := &sm3{}; d.Reset(); return d }

func (d *sm3) Reset() {
	d.v = [8]uint32{0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e}
	d.n, d.len = 0, 0
}
func (d *sm3) Size() int      { return 32 }
func (d *sm3) BlockSize() int { return sm3BlockSize }

func (d *sm3) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if d.n > 0 {
		k := copy(d.buf[d.n:], p)
		d.n += k
		p = p[k:]
		if d.n == sm3BlockSize {
			d.block(d.buf[:])
			d.n = 0
		}
	}
	for len(p) >= sm3BlockSize {
		d.block(p[:sm3BlockSize])
		p = p[sm3BlockSize:]
	}
	d.n += copy(d.buf[:], p)
	return n, nil
}

func (d *sm3) Sum(in []byte) []byte {
	c := *d
	bitsLen := c.len * 8
	pad := []byte{0x80}
	for (c.len+uint64(len(pad)))%sm3BlockSize != 56 {
		pad = append(pad, 0)
	}
	var l [8]byte
	binary.BigEndian.PutUint64(l[:], bitsLen)
	c.Write(pad)
	c.Write(l[:])
	out := in
	for _, x := range c.v {
		out = binary.BigEndian.AppendUint32(out, x)
	}
	return out
}

func (d *sm3) block(p []byte) {
	var w [68]uint32
	var w1 [64]uint32
	for i := 0; i < 16; i++ {
		w[i] = binary.BigEndian.Uint32(p[4*i:])
	}
	p1 := func(x uint32) uint32 { return x ^ bits.RotateLeft32(x, 15) ^ bits.RotateLeft32(x, 23) }
	p0 := func(x uint32) uint32 { return x ^ bits.RotateLeft32(x, 9) ^ bits.RotateLeft32(x, 17) }
	for j := 16; j < 68; j++ {
		w[j] = p1(w[j-16]^w[j-9]^bits.RotateLeft32(w[j-3], 15)) ^ bits.RotateLeft32(w[j-13], 7) ^ w[j-6]
	}
	for j := 0; j < 64; j++ {
		w1[j] = w[j] ^ w[j+4]
	}
	a, b, c, dd, e, f, g, h := d.v[0], d.v[1], d.v[2], d.v[3], d.v[4], d.v[5], d.v[6], d.v[7]
	for j := 0; j < 64; j++ {
		t := uint32(0x79cc4519)
		if j >= 16 {
			t = 0x7a879d8a
		}
		ss1 := bits.RotateLeft32(bits.RotateLeft32(a, 12)+e+bits.RotateLeft32(t, j%32), 7)
		ss2 := ss1 ^ bits.RotateLeft32(a, 12)
		var ff, gg uint32
		if j < 16 {
			ff, gg = a^b^c, e^f^g
		} else {
			ff, gg = (a&b)|(a&c)|(b&c), (e&f)|(^e&g)
		}
		tt1 := ff + dd + ss2 + w1[j]
		tt2 := gg + h + ss1 + w[j]
		dd, c, b, a = c, bits.RotateLeft32(b, 9), a, tt1
		h, g, f, e = g, bits.RotateLeft32(f, 19), e, p0(tt2)
	}
	d.v[0] ^= a
	d.v[1] ^= b
	d.v[2] ^= c
	d.v[3] ^= dd
	d.v[4] ^= e
	d.v[5] ^= f
	d.v[6] ^= g
	d.v[7] ^= h
}

// sm2Curve is the SM2 recommended curve. Its a is p-3, so elliptic.CurveParams' generic
// arithmetic applies.
var sm2Curve = func() *elliptic.CurveParams {
	h := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 16); return v }
	return &elliptic.CurveParams{
		P:       h("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF"),
		N:       h("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123"),
		B:       h("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"),
		Gx:      h("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"),
		Gy:      h("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"),
		BitSize: 256,
		Name:    "SM2",
	}
}()

// sm2Z is Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) with the default ID.
func sm2Z(x, y *big.Int) []byte {
	id := []byte("1234567812345678")
	c := sm2Curve
	d := newSM3()
	d.Write([]byte{byte(len(id) * 8 >> 8), byte(len(id) * 8)})
	d.Write(id)
	a := new(big.Int).Sub(c.P, big.NewInt(3))
	for _, v := range []*big.Int{a, c.B, c.Gx, c.Gy, x, y} {
		d.Write(v.FillBytes(make([]byte, 32)))
	}
	return d.Sum(nil)
}

// verifySM2 checks a DER SM2 signature over msg by the public key (x, y).
func verifySM2(x, y *big.Int, msg, sig []byte) error {
	c := sm2Curve
	if !c.IsOnCurve(x, y) {
		return errors.New("the SM2 public key is not on the curve")
	}
	n, rest, err := cms.ParseBER(sig)
	if err != nil || len(rest) != 0 || !n.Is(0, cms.TagSequence) || len(n.Children) != 2 {
		return errSignature
	}
	r, err1 := n.Children[0].Integer()
	s, err2 := n.Children[1].Integer()
	if err1 != nil || err2 != nil || r.Sign() <= 0 || s.Sign() <= 0 || r.Cmp(c.N) >= 0 || s.Cmp(c.N) >= 0 {
		return errSignature
	}
	d := newSM3()
	d.Write(sm2Z(x, y))
	d.Write(msg)
	e := new(big.Int).SetBytes(d.Sum(nil))
	t := new(big.Int).Add(r, s)
	t.Mod(t, c.N)
	if t.Sign() == 0 {
		return errSignature
	}
	x1, y1 := c.ScalarBaseMult(s.Bytes())
	x2, y2 := c.ScalarMult(x, y, t.Bytes())
	px, _ := c.Add(x1, y1, x2, y2)
	rr := new(big.Int).Add(e, px)
	rr.Mod(rr, c.N)
	if rr.Cmp(r) != 0 {
		return errSignature
	}
	return nil
}
