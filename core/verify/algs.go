package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sealdesk/core/cms"
	"strconv"
	"strings"

	"github.com/cloudflare/circl/sign/ed448"
	"github.com/emmansun/gmsm/sm3"
)

// Object identifiers the verifier understands.
const (
	oidData             = "1.2.840.113549.1.7.1"
	oidSignedData       = "1.2.840.113549.1.7.2"
	oidTSTInfo          = "1.2.840.113549.1.9.16.1.4"
	oidAttrContentType  = "1.2.840.113549.1.9.3"
	oidAttrMsgDigest    = "1.2.840.113549.1.9.4"
	oidAttrSigningTime  = "1.2.840.113549.1.9.5"
	oidAttrSigningCert  = "1.2.840.113549.1.9.16.2.12"
	oidAttrSigningCert2 = "1.2.840.113549.1.9.16.2.47"
	oidAttrTimestamp    = "1.2.840.113549.1.9.16.2.14"
	oidAttrAdbeRevInfo  = "1.2.840.113583.1.1.8"
	oidAttrCMSAlgProt   = "1.2.840.113549.1.9.52"

	oidMD5         = "1.2.840.113549.2.5"
	oidSHA1        = "1.3.14.3.2.26"
	oidSHA224      = "2.16.840.1.101.3.4.2.4"
	oidSHA256      = "2.16.840.1.101.3.4.2.1"
	oidSHA384      = "2.16.840.1.101.3.4.2.2"
	oidSHA512      = "2.16.840.1.101.3.4.2.3"
	oidSHA3_224    = "2.16.840.1.101.3.4.2.7"
	oidSHA3_256    = "2.16.840.1.101.3.4.2.8"
	oidSHA3_384    = "2.16.840.1.101.3.4.2.9"
	oidSHA3_512    = "2.16.840.1.101.3.4.2.10"
	oidSHAKE256    = "2.16.840.1.101.3.4.2.12"
	oidSHAKE256Len = "2.16.840.1.101.3.4.2.18"

	oidRSA     = "1.2.840.113549.1.1.1"
	oidRSAPSS  = "1.2.840.113549.1.1.10"
	oidMGF1    = "1.2.840.113549.1.1.8"
	oidECKey   = "1.2.840.10045.2.1"
	oidEd25519 = "1.3.101.112"
	oidEd448   = "1.3.101.113"
)

// digestAlg is a message digest the verifier can compute.
type digestAlg struct {
	oid  string
	name string
	ch   crypto.Hash // zero for SHAKE256
	size int         // output bytes
	weak bool        // refused (MD5) or judged by the algorithm policy (algpolicy.go)
}

func (d digestAlg) New() hash.Hash {
	switch d.oid {
	case oidSHAKE256, oidSHAKE256Len:
		return &shakeHash{s: sha3.NewSHAKE256(), size: d.size}
	case oidSM3:
		return sm3.New()
	case oidMD5:
		return md5.New()
	case oidSHA1:
		return sha1.New()
	case oidSHA224:
		return sha256.New224()
	case oidSHA256:
		return sha256.New()
	case oidSHA384:
		return sha512.New384()
	case oidSHA512:
		return sha512.New()
	}
	return d.ch.New()
}

// shakeHash adapts SHAKE256 with a fixed output length to hash.Hash.
type shakeHash struct {
	s    *sha3.SHAKE
	size int
}

func (h *shakeHash) Write(p []byte) (int, error) { return h.s.Write(p) }
func (h *shakeHash) Sum(b []byte) []byte {
	out := make([]byte, h.size)
	c := *h.s
	c.Read(out)
	return append(b, out...)
}
func (h *shakeHash) Reset()         { h.s.Reset() }
func (h *shakeHash) Size() int      { return h.size }
func (h *shakeHash) BlockSize() int { return h.s.BlockSize() }

// digestAlgTable lists the supported digest algorithms. A table of constants, not a map: the
// compiler lays it out statically, so a program that links the verifier pays nothing at start-up.
var digestAlgTable = [...]digestAlg{
	{oidMD5, "MD5", crypto.MD5, 16, true},
	{oidSHA1, "SHA1", crypto.SHA1, 20, true},
	{oidSHA224, "SHA224", crypto.SHA224, 28, false},
	{oidSHA256, "SHA256", crypto.SHA256, 32, false},
	{oidSHA384, "SHA384", crypto.SHA384, 48, false},
	{oidSHA512, "SHA512", crypto.SHA512, 64, false},
	{oidSHA3_224, "SHA3-224", crypto.SHA3_224, 28, false},
	{oidSHA3_256, "SHA3-256", crypto.SHA3_256, 32, false},
	{oidSHA3_384, "SHA3-384", crypto.SHA3_384, 48, false},
	{oidSHA3_512, "SHA3-512", crypto.SHA3_512, 64, false},
	{oidSHAKE256, "SHAKE256", 0, 64, false},
	{oidSM3, "SM3", 0, 32, false},
}

// lookupDigestAlg returns the digest algorithm named by oid.
func lookupDigestAlg(oid string) (digestAlg, bool) {
	for _, d := range digestAlgTable {
		if d.oid == oid {
			return d, true
		}
	}
	return digestAlg{}, false
}

// digestAlgs returns the digest algorithm named by oid, the zero digestAlg if it is unknown.
func digestAlgs(oid string) digestAlg {
	d, _ := lookupDigestAlg(oid)
	return d
}

var errUnsupportedDigest = errors.New("unsupported digest algorithm")

// digestFor resolves a digest AlgorithmIdentifier. MD5 is refused: collisions are practical.
func digestFor(oid string, params *node) (digestAlg, error) {
	if oid == oidSHAKE256Len {
		bits := 512
		if params != nil {
			v, err := params.SmallInt()
			if err != nil || v <= 0 || v > 4096 || v%8 != 0 {
				return digestAlg{}, fmt.Errorf("%w: bad SHAKE256 length", errUnsupportedDigest)
			}
			bits = v
		}
		return digestAlg{oidSHAKE256Len, "SHAKE256", 0, bits / 8, false}, nil
	}
	d, ok := lookupDigestAlg(oid)
	if !ok {
		// Some old signers put the signature algorithm (sha1WithRSAEncryption…) where the digest
		// algorithm belongs; its hash is unambiguous.
		if s, isSig := lookupSigScheme(oid); isSig && s.digest != "" && oid != oidEd25519 {
			return digestAlgs(s.digest), nil
		}
		return d, fmt.Errorf("%w: %s", errUnsupportedDigest, oid)
	}
	if oid == oidMD5 {
		return d, fmt.Errorf("%w: MD5 is not accepted", errUnsupportedDigest)
	}
	return d, nil
}

// sigScheme is what a SignerInfo's signatureAlgorithm says: the key type it needs, the padding,
// and the hash it fixes (empty when the digestAlgorithm decides).
type sigScheme struct {
	key    string // "rsa", "ecdsa", "ed25519", "ed448"
	pss    bool
	plain  bool   // ECDSA r||s (BSI TR-03111) instead of DER
	digest string // OID of the hash the algorithm fixes, or ""
}

// sigSchemeTable maps signature algorithm OIDs to their schemes (static data, like digestAlgTable).
var sigSchemeTable = [...]struct {
	oid string
	sigScheme
}{
	{oidRSA, sigScheme{key: "rsa"}},
	{"1.2.840.113549.1.1.5", sigScheme{key: "rsa", digest: oidSHA1}},
	{"1.2.840.113549.1.1.14", sigScheme{key: "rsa", digest: oidSHA224}},
	{"1.2.840.113549.1.1.11", sigScheme{key: "rsa", digest: oidSHA256}},
	{"1.2.840.113549.1.1.12", sigScheme{key: "rsa", digest: oidSHA384}},
	{"1.2.840.113549.1.1.13", sigScheme{key: "rsa", digest: oidSHA512}},
	{"2.16.840.1.101.3.4.3.13", sigScheme{key: "rsa", digest: oidSHA3_224}},
	{"2.16.840.1.101.3.4.3.14", sigScheme{key: "rsa", digest: oidSHA3_256}},
	{"2.16.840.1.101.3.4.3.15", sigScheme{key: "rsa", digest: oidSHA3_384}},
	{"2.16.840.1.101.3.4.3.16", sigScheme{key: "rsa", digest: oidSHA3_512}},
	{oidRSAPSS, sigScheme{key: "rsa", pss: true}},
	{oidECKey, sigScheme{key: "ecdsa"}},
	{"1.2.840.10045.4.1", sigScheme{key: "ecdsa", digest: oidSHA1}},
	{"1.2.840.10045.4.3.1", sigScheme{key: "ecdsa", digest: oidSHA224}},
	{"1.2.840.10045.4.3.2", sigScheme{key: "ecdsa", digest: oidSHA256}},
	{"1.2.840.10045.4.3.3", sigScheme{key: "ecdsa", digest: oidSHA384}},
	{"1.2.840.10045.4.3.4", sigScheme{key: "ecdsa", digest: oidSHA512}},
	{"2.16.840.1.101.3.4.3.9", sigScheme{key: "ecdsa", digest: oidSHA3_224}},
	{"2.16.840.1.101.3.4.3.10", sigScheme{key: "ecdsa", digest: oidSHA3_256}},
	{"2.16.840.1.101.3.4.3.11", sigScheme{key: "ecdsa", digest: oidSHA3_384}},
	{"2.16.840.1.101.3.4.3.12", sigScheme{key: "ecdsa", digest: oidSHA3_512}},
	{"0.4.0.127.0.7.1.1.4.1.1", sigScheme{key: "ecdsa", plain: true, digest: oidSHA1}},
	{"0.4.0.127.0.7.1.1.4.1.2", sigScheme{key: "ecdsa", plain: true, digest: oidSHA224}},
	{"0.4.0.127.0.7.1.1.4.1.3", sigScheme{key: "ecdsa", plain: true, digest: oidSHA256}},
	{"0.4.0.127.0.7.1.1.4.1.4", sigScheme{key: "ecdsa", plain: true, digest: oidSHA384}},
	{"0.4.0.127.0.7.1.1.4.1.5", sigScheme{key: "ecdsa", plain: true, digest: oidSHA512}},
	{oidEd25519, sigScheme{key: "ed25519", digest: oidSHA512}},
	{oidEd448, sigScheme{key: "ed448"}},
	{oidSM2SM3, sigScheme{key: "sm2", digest: oidSM3}},
	{oidSM2Sign, sigScheme{key: "sm2", digest: oidSM3}},
}

// lookupSigScheme returns the scheme of the signature algorithm oid.
func lookupSigScheme(oid string) (sigScheme, bool) {
	for _, s := range sigSchemeTable {
		if s.oid == oid {
			return s.sigScheme, true
		}
	}
	return sigScheme{}, false
}

// publicKey is a signer's key: the Go key where the standard library parses it, the raw Ed448 key
// otherwise.
type publicKey struct {
	alg   string // "rsa", "ecdsa", "ed25519", "ed448", or the SPKI OID when unknown
	rsa   *rsa.PublicKey
	ec    *ecdsa.PublicKey
	ed    ed25519.PublicKey
	ed448 ed448.PublicKey
	sm2   *ecdsa.PublicKey // on gmsm's SM2 curve
}

func (k publicKey) describe() string {
	switch k.alg {
	case "rsa":
		return fmt.Sprintf("RSA-%d", k.rsa.N.BitLen())
	case "ecdsa":
		return "ECDSA-" + curveLabel(k.ec.Curve)
	case "ed25519":
		return "Ed25519"
	case "ed448":
		return "Ed448"
	case "sm2":
		return "SM2"
	}
	return k.alg
}

func curveLabel(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "P256"
	case elliptic.P384():
		return "P384"
	case elliptic.P521():
		return "P521"
	}
	return c.Params().Name
}

var errSignature = errors.New("signature does not verify")

// hashFamily groups digests by design: "sha1", "sha2", "sha3", or the OID itself.
func hashFamily(oid string) string {
	switch oid {
	case oidSHA1:
		return "sha1"
	case oidSHA224, oidSHA256, oidSHA384, oidSHA512:
		return "sha2"
	case oidSHA3_224, oidSHA3_256, oidSHA3_384, oidSHA3_512, oidSHAKE256, oidSHAKE256Len:
		return "sha3"
	}
	return oid
}

// errAlgMismatch: the signature algorithm fixes another hash than the digestAlgorithm.
var errAlgMismatch = errors.New("algorithm mismatch")

// verifySignatureResolved is verifySignatureValue, except for one mismatch the CMS resolves by
// itself: an RSA PKCS#1 v1.5 signature algorithm that names another hash than the
// digestAlgorithm (iText writes sha256WithRSAEncryption beside SHA-384). The DigestInfo inside
// the RSA value names the hash the signer used, and it is compared byte for byte, so when it is
// the digestAlgorithm's the signature is unambiguous; the mismatch is returned as a note. This
// holds only when the hash used is of the label's family and at least as long (SHA-384 under a
// SHA-256 label): a label promising SHA3-256 over a SHA-256 signature (DSS-1420) is refused, as
// DSS does, since the reader would be told of a protection the signature does not have. Any
// other reading (the DigestInfo naming the label's hash, ECDSA, PSS) stays a failure: nothing
// in those signatures says which hash was meant.
func verifySignatureResolved(key publicKey, sigOID string, sigParams *node, dig digestAlg, sig []byte, in signedInput) (alg, note string, err error) {
	alg, err = verifySignatureValue(key, sigOID, sigParams, dig, sig, in)
	if err == nil || !errors.Is(err, errAlgMismatch) {
		return alg, "", err
	}
	scheme, _ := lookupSigScheme(sigOID)
	if key.alg != "rsa" || scheme.pss || hashFamily(scheme.digest) != hashFamily(dig.oid) || dig.size < digestAlgs(scheme.digest).size {
		return alg, "", err
	}
	alg2, err2 := verifySignatureValue(key, oidRSA, nil, dig, sig, in)
	if err2 != nil {
		return alg, "", err
	}
	fixed := digestAlgs(scheme.digest)
	return alg2, fmt.Sprintf("the signature algorithm names %s but the digest algorithm is %s; the RSA signature's DigestInfo names %s, which decides", fixed.name, dig.name, dig.name), nil
}

// signedInput is what a signature covers: the message itself (signed attributes) or, when the
// message is a large byte range, only a way to digest it.
type signedInput struct {
	msg    []byte
	digest func(d digestAlg) ([]byte, error)
}

func (in signedInput) sum(d digestAlg) ([]byte, error) {
	if in.msg != nil || in.digest == nil {
		h := d.New()
		h.Write(in.msg)
		return h.Sum(nil), nil
	}
	return in.digest(d)
}

// verifySignatureValue checks sig over in with the SignerInfo's digest and signature algorithms.
// It returns the algorithm's display name (e.g. ECDSA-P256-SHA256). The declared algorithm must
// fit the key, and a hash fixed by the signature algorithm must equal the digestAlgorithm.
func verifySignatureValue(key publicKey, sigOID string, sigParams *node, dig digestAlg, sig []byte, in signedInput) (string, error) {
	scheme, ok := lookupSigScheme(sigOID)
	if !ok {
		return key.describe() + " (unknown algorithm " + sigOID + ")", fmt.Errorf("unsupported signature algorithm %s", sigOID)
	}
	if scheme.key != key.alg {
		return key.describe() + " (declared " + sigOID + ")", fmt.Errorf("signature algorithm %s does not fit the signer's %s key", sigOID, key.describe())
	}
	if scheme.digest != "" && scheme.digest != dig.oid {
		fixed := digestAlgs(scheme.digest)
		return strings.ToUpper(scheme.key) + "-" + fixed.name + " (digest " + dig.name + ")",
			fmt.Errorf("%w: signature algorithm declares %s but the digest algorithm is %s", errAlgMismatch, fixed.name, dig.name)
	}
	switch key.alg {
	case "rsa":
		name := "RSA-" + dig.name
		if scheme.pss {
			name = "RSA-PSS-" + dig.name
			opts, err := pssOptions(sigParams, dig)
			if err != nil {
				return name, err
			}
			h, err := in.sum(dig)
			if err != nil {
				return name, err
			}
			return name, verifyPSS(key.rsa, dig, h, sig, opts.SaltLength)
		}
		h, err := in.sum(dig)
		if err != nil {
			return name, err
		}
		return name, verifyPKCS1v15(key.rsa, dig, h, sig)
	case "ecdsa":
		name := "ECDSA-" + curveLabel(key.ec.Curve) + "-" + dig.name
		h, err := in.sum(dig)
		if err != nil {
			return name, err
		}
		if scheme.plain {
			n := (key.ec.Curve.Params().BitSize + 7) / 8
			if len(sig) != 2*n {
				return name, errSignature
			}
			r := new(big.Int).SetBytes(sig[:n])
			s := new(big.Int).SetBytes(sig[n:])
			if !ecdsa.Verify(key.ec, h, r, s) {
				return name, errSignature
			}
			return name, nil
		}
		if !ecdsa.VerifyASN1(key.ec, h, sig) {
			return name, errSignature
		}
		return name, nil
	case "ed25519":
		if in.msg == nil {
			return "Ed25519", errors.New("Ed25519 without signed attributes over a byte range is not supported")
		}
		if !ed25519.Verify(key.ed, in.msg, sig) {
			return "Ed25519", errSignature
		}
		return "Ed25519", nil
	case "ed448":
		if dig.oid != oidSHAKE256 && dig.oid != oidSHAKE256Len {
			return "Ed448", fmt.Errorf("Ed448 requires SHAKE256 as digest algorithm, not %s", dig.name)
		}
		if in.msg == nil {
			return "Ed448", errors.New("Ed448 without signed attributes over a byte range is not supported")
		}
		if !ed448.Verify(key.ed448, in.msg, sig, "") {
			return "Ed448", errSignature
		}
		return "Ed448-SHAKE256", nil
	case "sm2":
		if in.msg == nil {
			return "SM2-SM3", errors.New("SM2 without signed attributes over a byte range is not supported")
		}
		if err := verifySM2(key.sm2, in.msg, sig); err != nil {
			return "SM2-SM3", err
		}
		return "SM2-SM3", nil
	}
	return "", fmt.Errorf("unsupported key algorithm %s", key.alg)
}

// verifyPKCS1v15 is RSASSA-PKCS1-v1_5 verification as RFC 8017 §8.2.2 asks: the RSA value must
// be byte for byte one of the encodings EMSA-PKCS1-v1_5 produces for the declared digest and h —
// the DigestInfo with NULL parameters or without parameters (RFC 5754 §2 allows both), nothing
// else. Parsing the value instead (and accepting NULL with content, extra AlgorithmIdentifier
// elements or trailing bytes) is the shape of the Bleichenbacher-2006 forgeries. The RSA public
// operation is ours (rsaPublic) only because crypto/rsa refuses exponents above 2^31-1.
func verifyPKCS1v15(pub *rsa.PublicKey, dig digestAlg, h []byte, sig []byte) error {
	k := (pub.N.BitLen() + 7) / 8
	m, err := rsaPublic(pub, sig)
	if err != nil {
		return err
	}
	em := m.FillBytes(make([]byte, k))
	for _, withNull := range []bool{true, false} {
		want, err := emsaPKCS1v15(k, dig, h, withNull)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(em, want) == 1 {
			return nil
		}
	}
	return errSignature
}

// emsaPKCS1v15 is EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2): 00 01 FF…FF 00 ‖ DER(DigestInfo).
func emsaPKCS1v15(k int, dig digestAlg, h []byte, withNull bool) ([]byte, error) {
	oid, err := parseOIDString(dig.oid)
	if err != nil {
		return nil, err
	}
	type algorithmIdentifier struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	type digestInfo struct {
		Algorithm algorithmIdentifier
		Digest    []byte
	}
	ai := algorithmIdentifier{Algorithm: oid}
	if withNull {
		ai.Parameters = asn1.NullRawValue
	}
	t, err := asn1.Marshal(digestInfo{ai, h})
	if err != nil {
		return nil, err
	}
	if k < len(t)+11 {
		return nil, fmt.Errorf("%w: the RSA key is too short for a %s DigestInfo", errSignature, dig.name)
	}
	em := make([]byte, k)
	em[1] = 1
	for i := 2; i < k-len(t)-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-len(t):], t)
	return em, nil
}

// parseOIDString turns "1.2.840…" into an asn1.ObjectIdentifier.
func parseOIDString(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad object identifier %q", s)
		}
		oid = append(oid, n)
	}
	return oid, nil
}

// pssOptions reads RSASSA-PSS-params: the hash must be the digest algorithm, MGF1 must use the
// same hash, trailer field 1.
func pssOptions(params *node, dig digestAlg) (*rsa.PSSOptions, error) {
	hashOID, mgfHash, salt, trailer := oidSHA1, oidSHA1, 20, 1
	if params != nil && params.Is(0, cms.TagSequence) {
		for i := range params.Children {
			c := &params.Children[i]
			if c.Class != 2 || len(c.Children) != 1 {
				return nil, errors.New("malformed RSASSA-PSS parameters")
			}
			v := &c.Children[0]
			switch c.Tag {
			case 0:
				o, _, err := v.Algorithm()
				if err != nil {
					return nil, err
				}
				hashOID = o
			case 1:
				o, p, err := v.Algorithm()
				if err != nil || o != oidMGF1 || p == nil {
					return nil, errors.New("RSASSA-PSS mask generation is not MGF1")
				}
				mo, _, err := p.Algorithm()
				if err != nil {
					return nil, err
				}
				mgfHash = mo
			case 2:
				n, err := v.SmallInt()
				if err != nil || n < 0 || n > 1024 {
					return nil, errors.New("bad RSASSA-PSS salt length")
				}
				salt = n
			case 3:
				n, err := v.SmallInt()
				if err != nil {
					return nil, err
				}
				trailer = n
			}
		}
	} else if params != nil && !params.Is(0, cms.TagNull) {
		return nil, errors.New("malformed RSASSA-PSS parameters")
	}
	if hashOID != dig.oid {
		return nil, fmt.Errorf("RSASSA-PSS hash %s differs from digest algorithm %s", hashOID, dig.name)
	}
	if mgfHash != hashOID {
		return nil, errors.New("RSASSA-PSS MGF1 hash differs from the message hash")
	}
	if trailer != 1 {
		return nil, errors.New("RSASSA-PSS trailer field is not 1")
	}
	if dig.ch == 0 {
		return nil, errors.New("RSASSA-PSS with this digest is not supported")
	}
	return &rsa.PSSOptions{SaltLength: salt, Hash: dig.ch}, nil
}

// rsaPublic is the RSA public operation s^e mod n. It is done here with math/big rather than
// crypto/rsa because the standard library refuses public exponents above 2^31-1, which real
// signing certificates (corpus 34) use; verification with a large e is still sound.
func rsaPublic(pub *rsa.PublicKey, sig []byte) (*big.Int, error) {
	k := (pub.N.BitLen() + 7) / 8
	if len(sig) != k || pub.E < 3 || pub.N.BitLen() < 1024 || pub.N.BitLen() > 16384 {
		return nil, errSignature
	}
	c := new(big.Int).SetBytes(sig)
	if c.Cmp(pub.N) >= 0 {
		return nil, errSignature
	}
	return new(big.Int).Exp(c, big.NewInt(int64(pub.E)), pub.N), nil
}

// verifyPSS is EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over the same hash.
func verifyPSS(pub *rsa.PublicKey, dig digestAlg, mHash, sig []byte, sLen int) error {
	m, err := rsaPublic(pub, sig)
	if err != nil {
		return err
	}
	emBits := pub.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	if m.BitLen() > emBits {
		return errSignature
	}
	em := m.FillBytes(make([]byte, emLen))
	hLen := dig.size
	if sLen < 0 || emLen < hLen+sLen+2 || em[emLen-1] != 0xbc {
		return errSignature
	}
	masked := em[:emLen-hLen-1]
	hv := em[emLen-hLen-1 : emLen-1]
	topMask := byte(0xff >> (8*emLen - emBits))
	if masked[0]&^topMask != 0 {
		return errSignature
	}
	db := make([]byte, len(masked))
	copy(db, masked)
	var counter [4]byte
	for done := 0; done < len(db); {
		h := dig.New()
		h.Write(hv)
		h.Write(counter[:])
		for _, b := range h.Sum(nil) {
			if done < len(db) {
				db[done] ^= b
				done++
			}
		}
		for i := 3; i >= 0; i-- {
			counter[i]++
			if counter[i] != 0 {
				break
			}
		}
	}
	db[0] &= topMask
	ps := emLen - hLen - sLen - 2
	for _, b := range db[:ps] {
		if b != 0 {
			return errSignature
		}
	}
	if db[ps] != 1 {
		return errSignature
	}
	h := dig.New()
	h.Write(make([]byte, 8))
	h.Write(mHash)
	h.Write(db[len(db)-sLen:])
	if !bytes.Equal(h.Sum(nil), hv) {
		return errSignature
	}
	return nil
}
