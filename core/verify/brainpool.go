package verify

import (
	"crypto/elliptic"
	"math/big"
	"sync"
)

// Brainpool curves (RFC 5639) for ECDSA verification, which neither crypto/x509 nor crypto/ecdsa
// know and for which no maintained Go module exists (github.com/ebfe/brainpool is gone from the
// module proxy). The arithmetic is the standard library's: crypto/elliptic.CurveParams, the
// generic implementation crypto/ecdsa still uses for custom curves, which needs a = -3. RFC 5639
// §3 makes every r-curve isomorphic to such a curve: with Z⁴ = -3/a, (x, y) ↦ (x·Z², y·Z³) maps
// y² = x³ + ax + b onto y² = x³ - 3x + b·Z⁶. rCurve maps points into that curve and results back,
// so ECDSA's x-coordinate comparison happens on the r-curve as the standard defines it. Only
// public data is handled (verification), so the generic code's lack of constant time does not
// matter. The parameters are RFC 5639's; a test compares them with OpenSSL's and verifies
// signatures OpenSSL makes.

// Object identifiers of the supported named curves.
const (
	oidBrainpoolP256r1 = "1.3.36.3.3.2.8.1.1.7"
	oidBrainpoolP384r1 = "1.3.36.3.3.2.8.1.1.11"
	oidBrainpoolP512r1 = "1.3.36.3.3.2.8.1.1.13"
)

func brainpoolHex() map[string]struct{ name, p, a, b, g, n string } {
	return map[string]struct{ name, p, a, b, g, n string }{
		oidBrainpoolP256r1: {"brainpoolP256r1",
			"a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377",
			"7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9",
			"26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6",
			"8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997",
			"a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7"},
		oidBrainpoolP384r1: {"brainpoolP384r1",
			"8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53",
			"7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826",
			"04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11",
			"1d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315",
			"8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565"},
		oidBrainpoolP512r1: {"brainpoolP512r1",
			"aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca703308717d4d9b009bc66842aecda12ae6a380e62881ff2f2d82c68528aa6056583a48f3",
			"7830a3318b603b89e2327145ac234cc594cbdd8d3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94ca",
			"3df91610a83441caea9863bc2ded5d5aa8253aa10a2ef1c98b9ac8b57f1117a72bf2c7b9e7c1ac4d77fc94cadc083e67984050b75ebae5dd2809bd638016f723",
			"81aee4bdd82ed9645a21322e9c4c6a9385ed9f70b5d916c1b43b62eef4d0098eff3b1f78e2d0d48d50d1687b93b97d5f7c6d5047406a5e688b352209bcb9f8227dde385d566332ecc0eabfa9cf7822fdf209f70024a57b1aa000c55b881f8111b2dcde494a5f485e5bca4bd88a2763aed1ca2b2fa8f0540678cd1e0f3ad80892",
			"aadd9db8dbe9c48b3fd4e6ae33c9fc07cb308db3b3c9d20ed6639cca70330870553e5c414ca92619418661197fac10471db1d381085ddaddb58796829ca90069"},
	}
}

// rCurve is a Brainpool r-curve computed through an isomorphic a = -3 curve.
type rCurve struct {
	params       *elliptic.CurveParams // the r-curve, as reported by Params
	a            *big.Int
	t            *elliptic.CurveParams // the isomorphic curve with a = -3
	z2, z3       *big.Int
	z2inv, z3inv *big.Int
}

var (
	brainpoolOnce   sync.Once
	brainpoolCurves map[string]*rCurve
)

// brainpoolCurve returns the curve named by oid, or nil.
func brainpoolCurve(oid string) *rCurve {
	brainpoolOnce.Do(func() {
		brainpoolCurves = map[string]*rCurve{}
		for oid, h := range brainpoolHex() {
			if c := newRCurve(h.name, h.p, h.a, h.b, h.g, h.n); c != nil {
				brainpoolCurves[oid] = c
			}
		}
	})
	return brainpoolCurves[oid]
}

func hexInt(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 16)
	return n
}

// newRCurve finds Z with Z⁴ = -3/a (mod p) and Z⁶·b the matching constant, and checks that the
// mapped generator lies on the mapped curve; nil when the parameters do not allow it.
func newRCurve(name, ph, ah, bh, gh, nh string) *rCurve {
	p, a, b, n := hexInt(ph), hexInt(ah), hexInt(bh), hexInt(nh)
	gx, gy := hexInt(gh[:len(gh)/2]), hexInt(gh[len(gh)/2:])
	c := &rCurve{params: &elliptic.CurveParams{Name: name, P: p, N: n, B: b, Gx: gx, Gy: gy, BitSize: p.BitLen()}, a: a}
	ainv := new(big.Int).ModInverse(a, p)
	if ainv == nil {
		return nil
	}
	q := new(big.Int).Mul(big.NewInt(-3), ainv)
	q.Mod(q, p)
	for _, s := range []*big.Int{new(big.Int).ModSqrt(q, p)} {
		if s == nil {
			return nil
		}
		for _, s2 := range []*big.Int{s, new(big.Int).Sub(p, s)} {
			z := new(big.Int).ModSqrt(s2, p)
			if z == nil {
				continue
			}
			c.z2 = new(big.Int).Mul(z, z)
			c.z2.Mod(c.z2, p)
			c.z3 = new(big.Int).Mul(c.z2, z)
			c.z3.Mod(c.z3, p)
			c.z2inv = new(big.Int).ModInverse(c.z2, p)
			c.z3inv = new(big.Int).ModInverse(c.z3, p)
			z6 := new(big.Int).Mul(c.z3, c.z3)
			bt := new(big.Int).Mul(b, z6)
			bt.Mod(bt, p)
			tx, ty := c.toT(gx, gy)
			c.t = &elliptic.CurveParams{Name: name + "-iso", P: p, N: n, B: bt, Gx: tx, Gy: ty, BitSize: p.BitLen()}
			if c.t.IsOnCurve(tx, ty) && c.IsOnCurve(gx, gy) {
				return c
			}
		}
	}
	return nil
}

func (c *rCurve) toT(x, y *big.Int) (*big.Int, *big.Int) {
	p := c.params.P
	tx := new(big.Int).Mul(x, c.z2)
	tx.Mod(tx, p)
	ty := new(big.Int).Mul(y, c.z3)
	ty.Mod(ty, p)
	return tx, ty
}

func (c *rCurve) fromT(x, y *big.Int) (*big.Int, *big.Int) {
	p := c.params.P
	rx := new(big.Int).Mul(x, c.z2inv)
	rx.Mod(rx, p)
	ry := new(big.Int).Mul(y, c.z3inv)
	ry.Mod(ry, p)
	return rx, ry
}

func (c *rCurve) Params() *elliptic.CurveParams { return c.params }

// IsOnCurve checks y² = x³ + ax + b (mod p) on the r-curve itself.
func (c *rCurve) IsOnCurve(x, y *big.Int) bool {
	p := c.params.P
	if x.Sign() < 0 || x.Cmp(p) >= 0 || y.Sign() < 0 || y.Cmp(p) >= 0 {
		return false
	}
	l := new(big.Int).Mul(y, y)
	l.Mod(l, p)
	r := new(big.Int).Mul(x, x)
	r.Add(r, c.a)
	r.Mul(r, x)
	r.Add(r, c.params.B)
	r.Mod(r, p)
	return l.Cmp(r) == 0
}

func (c *rCurve) Add(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	ax, ay := c.toT(x1, y1)
	bx, by := c.toT(x2, y2)
	return c.fromT(c.t.Add(ax, ay, bx, by))
}

func (c *rCurve) Double(x1, y1 *big.Int) (*big.Int, *big.Int) {
	ax, ay := c.toT(x1, y1)
	return c.fromT(c.t.Double(ax, ay))
}

func (c *rCurve) ScalarMult(x1, y1 *big.Int, k []byte) (*big.Int, *big.Int) {
	ax, ay := c.toT(x1, y1)
	return c.fromT(c.t.ScalarMult(ax, ay, k))
}

func (c *rCurve) ScalarBaseMult(k []byte) (*big.Int, *big.Int) {
	return c.fromT(c.t.ScalarBaseMult(k))
}

var _ elliptic.Curve = (*rCurve)(nil)
