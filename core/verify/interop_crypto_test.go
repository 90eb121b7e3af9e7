package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/cms"
	"sealdesk/core/pki"
)

// needOpenSSL skips (or, in CI, fails) when the openssl command is missing.
func needOpenSSL(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("openssl is required in CI")
		}
		t.Skip("openssl not installed: these generators use it as an independent signer")
	}
}

func runOpenSSL(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

// TestBrainpoolParameters: the curve constants are OpenSSL's, and the isomorphism works on
// signatures OpenSSL makes.
func TestBrainpoolParameters(t *testing.T) {
	needOpenSSL(t)
	dir := t.TempDir()
	for oid, h := range brainpoolHex() {
		out, err := exec.Command("openssl", "ecparam", "-name", h.name, "-param_enc", "explicit", "-noout", "-text").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl ecparam %s: %v\n%s", h.name, err, out)
		}
		grab := func(label string) string {
			m := regexp.MustCompile(label + `:\s*\n((?:\s+[0-9a-f:]+\n)+)`).FindSubmatch(out)
			if m == nil {
				t.Fatalf("%s: no %s in openssl output", h.name, label)
			}
			v := strings.NewReplacer(":", "", " ", "", "\n", "").Replace(string(m[1]))
			return strings.TrimLeft(v, "0")
		}
		trim := func(s string) string { return strings.TrimLeft(s, "0") }
		if grab("Prime") != trim(h.p) || grab("A") != trim(h.a) || grab("B") != trim(h.b) || grab("Order") != trim(h.n) ||
			grab(`Generator \(uncompressed\)`) != "4"+h.g {
			t.Errorf("%s: parameters differ from OpenSSL's", h.name)
		}
		c := brainpoolCurve(oid)
		if c == nil {
			t.Fatalf("%s: no isomorphism found", h.name)
		}
		// A signature by OpenSSL over a message, checked through our key parsing.
		runOpenSSL(t, dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:"+h.name, "-out", h.name+".key")
		runOpenSSL(t, dir, "pkey", "-in", h.name+".key", "-pubout", "-outform", "DER", "-out", h.name+".pub")
		msg := []byte("brainpool " + h.name)
		os.WriteFile(filepath.Join(dir, "m"), msg, 0o600)
		runOpenSSL(t, dir, "dgst", "-sha256", "-sign", h.name+".key", "-out", h.name+".sig", "m")
		pub, _ := os.ReadFile(filepath.Join(dir, h.name+".pub"))
		sig, _ := os.ReadFile(filepath.Join(dir, h.name+".sig"))
		spki, err := cms.ParseBERStrict(pub)
		if err != nil {
			t.Fatal(err)
		}
		key, err := parseKey(nil, &spki)
		if err != nil {
			t.Fatalf("%s: %v", h.name, err)
		}
		in := signedInput{msg: msg}
		if _, err := verifySignatureValue(key, "1.2.840.10045.4.3.2", nil, digestAlgs(oidSHA256), sig, in); err != nil {
			t.Errorf("%s: OpenSSL's signature does not verify: %v", h.name, err)
		}
		if _, err := verifySignatureValue(key, "1.2.840.10045.4.3.2", nil, digestAlgs(oidSHA256), sig, signedInput{msg: append(msg, '!')}); err == nil {
			t.Errorf("%s: a signature verifies over another message", h.name)
		}
	}
}

// opensslKit is a key and self-signed certificate made by OpenSSL.
type opensslKit struct{ dir, key, cert string }

func newOpensslKit(t testing.TB, keyArgs []string, serial string) opensslKit {
	t.Helper()
	needOpenSSL(t)
	dir := t.TempDir()
	runOpenSSL(t, dir, append([]string{"genpkey", "-out", "k.pem"}, keyArgs...)...)
	runOpenSSL(t, dir, "req", "-new", "-x509", "-key", "k.pem", "-subj", "/CN=Interop Signer/O=Other PKI", "-days", "3650",
		"-set_serial", serial, "-addext", "keyUsage=critical,digitalSignature,nonRepudiation", "-out", "c.pem")
	return opensslKit{dir, "k.pem", "c.pem"}
}

// signWithOpenSSL prepares a signature with s.sign (an empty CMS in a wide /Contents), then
// makes the CMS with `openssl cms -sign` over the ByteRange bytes.
func signWithOpenSSL(t testing.TB, s *signer, in []byte, kit opensslKit, md string) []byte {
	t.Helper()
	d := s.sign(t, in, sigOpts{contents: []byte{0x30, 0x00}})
	m := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindAllSubmatch(d, -1)
	last := m[len(m)-1]
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(last[i+1]))
	}
	data := append(append([]byte{}, d[br[0]:br[0]+br[1]]...), d[br[2]:br[2]+br[3]]...)
	os.WriteFile(filepath.Join(kit.dir, "data"), data, 0o600)
	runOpenSSL(t, kit.dir, "cms", "-sign", "-binary", "-in", "data", "-signer", kit.cert, "-inkey", kit.key, "-md", md,
		"-outform", "DER", "-out", "sig.der")
	der, _ := os.ReadFile(filepath.Join(kit.dir, "sig.der"))
	hx := strings.ToUpper(hex.EncodeToString(der))
	width := br[2] - br[1] - 2
	if len(hx) > width {
		t.Fatalf("openssl CMS of %d bytes does not fit", len(der))
	}
	out := append([]byte{}, d...)
	copy(out[br[1]+1:], hx+strings.Repeat("0", width-len(hx)))
	return out
}

// flipSigned changes one byte of the page content, inside the signed range.
func flipSigned(d []byte) []byte {
	out := append([]byte{}, d...)
	i := bytes.Index(out, []byte("Pay 1000000 yuan"))
	out[i+4] = '9'
	return out
}

// resignRSA replaces the RSA signature value of the CMS der with one over the signed
// attributes, digested with h, whose encoded message is em(k, digest): forgery shapes made with
// the real private key, so that only the encoding decides.
func resignRSA(t testing.TB, der []byte, key *rsa.PrivateKey, h crypto.Hash, em func(k int, digest []byte) []byte) []byte {
	t.Helper()
	sd, err := parseContentInfo(der)
	if err != nil {
		t.Fatal(err)
	}
	si := sd.signers[0]
	hh := h.New()
	hh.Write(si.signedAttrBytes()[0])
	k := (key.N.BitLen() + 7) / 8
	m := new(big.Int).SetBytes(em(k, hh.Sum(nil)))
	sig := new(big.Int).Exp(m, key.D, key.N).FillBytes(make([]byte, k))
	i := bytes.Index(der, si.signature)
	if i < 0 || len(si.signature) != k {
		t.Fatal("signature value not found")
	}
	out := append([]byte{}, der...)
	copy(out[i:], sig)
	return out
}

// pkcs1EM builds 00 01 FF… 00 ‖ t, with pad more (or fewer, negative) bytes of padding
// replaced by trailing data after t.
func pkcs1EM(k int, t []byte, trailing []byte) []byte {
	em := make([]byte, k)
	em[1] = 1
	ps := k - len(t) - len(trailing) - 3
	for i := 0; i < ps; i++ {
		em[2+i] = 0xff
	}
	copy(em[3+ps:], t)
	copy(em[3+ps+len(t):], trailing)
	return em
}

var sha256OIDTLV = []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}

// digestInfo assembles SEQUENCE { SEQUENCE { OID, params… }, OCTET STRING digest } by hand so
// that the forgery shapes can be written.
func digestInfo(algParams []byte, digest []byte, longLen bool) []byte {
	alg := append(append([]byte{}, sha256OIDTLV...), algParams...)
	algSeq := append([]byte{0x30, byte(len(alg))}, alg...)
	body := append(append(algSeq, 0x04, byte(len(digest))), digest...)
	if longLen {
		return append([]byte{0x30, 0x81, byte(len(body))}, body...)
	}
	return append([]byte{0x30, byte(len(body))}, body...)
}

// swapOID replaces the first encoding of one OID by another of the same length in der.
func swapOID(t testing.TB, der []byte, from, to string) []byte {
	t.Helper()
	a, _ := parseOIDString(from)
	b, _ := parseOIDString(to)
	fa, _ := asn1.Marshal(a)
	fb, _ := asn1.Marshal(b)
	i := bytes.LastIndex(der, fa)
	if i < 0 || len(fa) != len(fb) {
		t.Fatalf("OID %s not found or lengths differ", from)
	}
	out := append([]byte{}, der...)
	copy(out[i:], fb)
	return out
}

func TestRedTeamCrypto(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	rs := newSigner(t, pki.RSA2048)
	rs.pki, rs.tsa = s.pki, s.tsa
	rs.cert, rs.key = s.pki.Leaf(t, "王五", pki.RSA2048)
	rsaKey := rs.key.(*rsa.PrivateKey)
	plain, _ := makeDoc(docOpts{})

	withEM := func(em func(k int, digest []byte) []byte) func() []byte {
		return func() []byte {
			return rs.sign(t, plain, sigOpts{derEdit: func(t testing.TB, der []byte) []byte {
				return resignRSA(t, der, rsaKey, crypto.SHA256, em)
			}})
		}
	}
	null := []byte{0x05, 0x00}
	rows := []redRow{
		// --- §6 RSA PKCS#1 v1.5: the encoded message must be exactly EMSA-PKCS1-v1_5 -----------
		{"pkcs1-ok-null-params: DigestInfo with NULL parameters", withEM(func(k int, d []byte) []byte {
			return pkcs1EM(k, digestInfo(null, d, false), nil)
		}), StatusValid, ""},
		{"pkcs1-ok-absent-params: DigestInfo without parameters (RFC 5754 allows it)", withEM(func(k int, d []byte) []byte {
			return pkcs1EM(k, digestInfo(nil, d, false), nil)
		}), StatusValid, ""},
		{"pkcs1-null-with-content: NULL parameters carrying a byte", withEM(func(k int, d []byte) []byte {
			return pkcs1EM(k, digestInfo([]byte{0x05, 0x01, 0x00}, d, false), nil)
		}), StatusInvalid, "signature value"},
		{"pkcs1-extra-algid-element: AlgorithmIdentifier with a third element", withEM(func(k int, d []byte) []byte {
			return pkcs1EM(k, digestInfo([]byte{0x05, 0x00, 0x04, 0x02, 0xde, 0xad}, d, false), nil)
		}), StatusInvalid, "signature value"},
		{"pkcs1-ber-long-length: DigestInfo length in long form", withEM(func(k int, d []byte) []byte {
			return pkcs1EM(k, digestInfo(null, d, true), nil)
		}), StatusInvalid, "signature value"},
		{"pkcs1-trailing-garbage: bytes after the DigestInfo, padding shortened", withEM(func(k int, d []byte) []byte {
			return pkcs1EM(k, digestInfo(null, d, false), []byte{1, 2, 3, 4})
		}), StatusInvalid, "signature value"},
		{"pkcs1-padding-not-ff: one padding byte is not 0xff", withEM(func(k int, d []byte) []byte {
			em := pkcs1EM(k, digestInfo(null, d, false), nil)
			em[20] = 0xfe
			return em
		}), StatusInvalid, "signature value"},
		{"pkcs1-short-padding: the DigestInfo starts right after 00 01 00", withEM(func(k int, d []byte) []byte {
			t := digestInfo(null, d, false)
			em := make([]byte, k)
			em[1] = 1
			copy(em[3:], t)
			return em
		}), StatusInvalid, "signature value"},
		// --- §4 digest vs signature algorithm mismatches ---------------------------------------
		{"alg-mismatch-resolved: sha256WithRSA label, SHA-384 digest and DigestInfo (iText)", func() []byte {
			return rs.sign(t, plain, sigOpts{hash: crypto.SHA384, derEdit: func(t testing.TB, der []byte) []byte {
				return swapOID(t, der, oidRSA, "1.2.840.113549.1.1.11")
			}})
		}, StatusValid, "which decides"},
		{"alg-mismatch-label-hash: SHA-384 digest, but the RSA value signs a SHA-256 DigestInfo", func() []byte {
			return rs.sign(t, plain, sigOpts{hash: crypto.SHA384, derEdit: func(t testing.TB, der []byte) []byte {
				der = swapOID(t, der, oidRSA, "1.2.840.113549.1.1.11")
				return resignRSA(t, der, rsaKey, crypto.SHA256, func(k int, d []byte) []byte { return pkcs1EM(k, digestInfo(null, d, false), nil) })
			}})
		}, StatusInvalid, "declares SHA256"},
		{"alg-mismatch-other-family: sha3-256WithRSA label over a SHA-256 signature (DSS-1420)", func() []byte {
			return rs.sign(t, plain, sigOpts{derEdit: func(t testing.TB, der []byte) []byte {
				return swapOID(t, der, oidRSA, "2.16.840.1.101.3.4.3.14")
			}})
		}, StatusInvalid, "declares SHA3-256"},
		{"alg-mismatch-weaker: sha512WithRSA label over a SHA-256 signature", func() []byte {
			return rs.sign(t, plain, sigOpts{derEdit: func(t testing.TB, der []byte) []byte {
				return swapOID(t, der, oidRSA, "1.2.840.113549.1.1.13")
			}})
		}, StatusInvalid, "declares SHA512"},
		{"alg-mismatch-ecdsa: ecdsa-with-SHA256 label over a SHA-384 digest (nothing resolves it)", func() []byte {
			return s.sign(t, plain, sigOpts{hash: crypto.SHA384, derEdit: func(t testing.TB, der []byte) []byte {
				return swapOID(t, der, "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.2")
			}})
		}, StatusInvalid, "declares SHA256"},
		// --- §4 repeated attributes --------------------------------------------------------------
		{"dup-signature-timestamps: two signature-time-stamp attributes (DSS)", func() []byte {
			return s.sign(t, plain, sigOpts{timestamp: true, cmsEdit: func(t testing.TB, sd *cms.SignedData) {
				d := sha256.Sum256(sd.SignatureValue())
				tok, err := s.tsa.Timestamp(context.Background(), crypto.SHA256, d[:])
				if err != nil {
					t.Fatal(err)
				}
				sd.AddTimestamp(tok)
			}})
		}, StatusValid, ""},
		{"dup-signature-timestamp-one-bad: the second token stamps other data", func() []byte {
			return s.sign(t, plain, sigOpts{timestamp: true, cmsEdit: func(t testing.TB, sd *cms.SignedData) {
				d := sha256.Sum256([]byte("something else"))
				tok, _ := s.tsa.Timestamp(context.Background(), crypto.SHA256, d[:])
				sd.AddTimestamp(tok)
			}})
		}, StatusValid, "of 2 does not verify"}, // DER sorts the SET: either position
		{"dup-signed-attr-allowed: a signed attribute other than the three repeated", func() []byte {
			return s.sign(t, plain, sigOpts{cmsOpts: func(o *cms.SignOptions) {
				v, _ := asn1.Marshal("Interop")
				a := cms.Attribute{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 4}, Values: []asn1.RawValue{{FullBytes: v}}}
				o.ExtraSigned = append(o.ExtraSigned, a, a)
			}})
		}, StatusValid, ""},
		{"dup-message-digest: a second messageDigest signed attribute", func() []byte {
			return s.sign(t, plain, sigOpts{cmsOpts: func(o *cms.SignOptions) {
				v, _ := asn1.Marshal(make([]byte, 32))
				o.ExtraSigned = append(o.ExtraSigned, cms.Attribute{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}, Values: []asn1.RawValue{{FullBytes: v}}})
			}})
		}, StatusInvalid, "appears twice"},
		{"dup-signing-time: a second signingTime signed attribute", func() []byte {
			return s.sign(t, plain, sigOpts{cmsOpts: func(o *cms.SignOptions) {
				tm := s.now
				o.SigningTime = &tm
				v, _ := asn1.Marshal(s.now.Add(-48 * 3600e9))
				o.ExtraSigned = append(o.ExtraSigned, cms.Attribute{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}, Values: []asn1.RawValue{{FullBytes: v}}})
			}})
		}, StatusInvalid, "appears twice"},
	}
	// --- §4 named curves and certificates crypto/x509 refuses, signed by OpenSSL -------------
	for _, c := range []struct{ name, md string }{{"brainpoolP256r1", "sha256"}, {"brainpoolP384r1", "sha384"}, {"brainpoolP512r1", "sha512"}} {
		c := c
		var kit *opensslKit
		signed := func() []byte {
			if kit == nil {
				k := newOpensslKit(t, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + c.name}, "4660")
				kit = &k
			}
			return signWithOpenSSL(t, s, plain, *kit, c.md)
		}
		rows = append(rows,
			redRow{c.name + ": ECDSA signature by OpenSSL verifies (certificate untrusted)", signed, StatusUntrusted, "cannot be parsed for path validation"},
			redRow{c.name + "-flip: a signed byte changed", func() []byte { return flipSigned(signed()) }, StatusInvalid, "messageDigest"},
		)
	}
	var negKit *opensslKit
	negSigned := func() []byte {
		if negKit == nil {
			k := newOpensslKit(t, []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, "-5")
			negKit = &k
		}
		return signWithOpenSSL(t, s, plain, *negKit, "sha256")
	}
	rows = append(rows,
		redRow{"negative-serial: certificate crypto/x509 refuses; signature checked with its key, trust reason names it", negSigned, StatusUntrusted, "negative serial"},
		redRow{"negative-serial-flip: the same with a signed byte changed", func() []byte { return flipSigned(negSigned()) }, StatusInvalid, "messageDigest"},
	)
	runRedRows(t, s, rows)
}
