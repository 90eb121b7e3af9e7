package verify

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sealdesk/core/cms"
	"strings"
	"testing"
	"time"
)

// The three encodings of an SM2 signature value seen in the wild verify, compared as integers:
// DER, raw r||s, and DER whose trailing zero byte was trimmed; the signature by another key, a
// changed message and garbage do not.
func TestSM2SignatureEncodings(t *testing.T) {
	priv, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := sm2.GenerateKey(rand.Reader)
	msg := []byte("TBS_Sign bytes")
	var der []byte
	for i := 0; i < 5000; i++ { // a DER value ending in a zero byte, ~1 in 256
		der, err = priv.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
		if err != nil {
			t.Fatal(err)
		}
		if der[len(der)-1] == 0 {
			break
		}
	}
	if der[len(der)-1] != 0 {
		t.Fatal("no signature ending in a zero byte in 5000 tries")
	}
	r, s, err := sm2RS(der)
	if err != nil {
		t.Fatal(err)
	}
	raw := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	for name, sig := range map[string][]byte{"DER": der, "r||s": raw, "trimmed": der[:len(der)-1]} {
		if err := verifySM2(&priv.PublicKey, msg, sig); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := verifySM2(&other.PublicKey, msg, sig); err == nil {
			t.Errorf("%s: verified with another key", name)
		}
		if err := verifySM2(&priv.PublicKey, append(msg, '!'), sig); err == nil {
			t.Errorf("%s: verified a changed message", name)
		}
	}
	for _, bad := range [][]byte{nil, {0x30}, {0x30, 0x44, 2, 1}, make([]byte, 63), der[:len(der)-8]} {
		if err := verifySM2(&priv.PublicKey, msg, bad); err == nil {
			t.Errorf("garbage %x accepted", bad)
		}
	}
	// e computed by the signer: SM3(Z || msg).
	h := sm3.New()
	h.Write(sm2Z(&priv.PublicKey))
	h.Write(msg)
	if err := verifySM2Digest(&priv.PublicKey, h.Sum(nil), der); err != nil {
		t.Errorf("precomputed e: %v", err)
	}
}

// sm2PKI is an SM2 root and a signer certificate it issued, made with gmsm.
func sm2PKI(t *testing.T, rootIsCA bool) (root, leaf *x509.Certificate, leafKey *sm2.PrivateKey) {
	t.Helper()
	rk, _ := sm2.GenerateKey(rand.Reader)
	lk, _ := sm2.GenerateKey(rand.Reader)
	now := time.Now()
	rt := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "SM2 测试根"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	if rootIsCA {
		rt.IsCA, rt.BasicConstraintsValid, rt.KeyUsage = true, true, x509.KeyUsageCertSign
	}
	rder, err := smx509.CreateCertificate(rand.Reader, rt, rt, &rk.PublicKey, rk)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := smx509.ParseCertificate(rder)
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "SM2 签署人"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(12 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	lder, err := smx509.CreateCertificate(rand.Reader, lt, rc.ToX509(), &lk.PublicKey, rk)
	if err != nil {
		t.Fatal(err)
	}
	lc, _ := smx509.ParseCertificate(lder)
	return rc.ToX509(), lc.ToX509(), lk
}

// An SM2 root is added like an RSA one (PEM) and an SM2 signer chains to it; without the root,
// or with a root that is not a CA (ofdrw's test root), the path is not trusted and says why.
func TestSM2Chain(t *testing.T) {
	root, leaf, _ := sm2PKI(t, true)
	ci, err := parseCertInfo(leaf.Raw)
	if err != nil || !ci.sm || ci.key.alg != "sm2" {
		t.Fatalf("SM2 leaf: sm=%v alg=%s err=%v", ci != nil && ci.sm, ci.key.alg, err)
	}
	ts := NewTrustStore()
	if n, err := ts.AddPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw})); n != 1 || err != nil {
		t.Fatalf("AddPEM of an SM2 root: %d %v", n, err)
	}
	if res := ts.buildChain(ci, nil, time.Now(), purposeSigner); !res.trusted || len(res.chain) != 2 {
		t.Fatalf("SM2 chain not trusted: %+v", res)
	}
	if res := ts.buildChain(ci, nil, time.Now().Add(48*time.Hour), purposeSigner); res.trusted || !strings.Contains(res.reason, "not valid at") {
		t.Errorf("expired SM2 chain: %+v", res)
	}
	other, _, _ := sm2PKI(t, true)
	if res := NewTrustStore(other).buildChain(ci, nil, time.Now(), purposeSigner); res.trusted || !strings.Contains(res.reason, "does not chain") {
		t.Errorf("SM2 chain to a foreign root: %+v", res)
	}
	nonCA, leaf2, _ := sm2PKI(t, false)
	ci2, _ := parseCertInfo(leaf2.Raw)
	if res := NewTrustStore(nonCA).buildChain(ci2, nil, time.Now(), purposeSigner); res.trusted {
		t.Errorf("a root without CA basic constraints issued a trusted path: %+v", res)
	}
}

// An SM2 signature made by OpenSSL (dgst -sm3 with the default ID) verifies; a changed message
// or signature does not.
func TestSM2AgainstOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("openssl missing")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		out, err := exec.Command(openssl, args...).CombinedOutput()
		if err != nil {
			t.Skipf("openssl %v: %v\n%s (no SM2 support in this OpenSSL)", args, err, out)
		}
		return out
	}
	key := filepath.Join(dir, "key.pem")
	run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", key)
	spki := filepath.Join(dir, "pub.der")
	run("pkey", "-in", key, "-pubout", "-outform", "DER", "-out", spki)
	msg := filepath.Join(dir, "msg.bin")
	os.WriteFile(msg, []byte("signed attributes of a contract"), 0o644)
	sigPath := filepath.Join(dir, "sig.der")
	run("dgst", "-sm3", "-sign", key, "-sigopt", "distid:1234567812345678", "-out", sigPath, msg)
	spkiDER, _ := os.ReadFile(spki)
	n, err := cms.ParseBERStrict(spkiDER)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := parseKey(nil, &n)
	if err != nil || pk.alg != "sm2" {
		t.Fatalf("SM2 key: %v %v", pk.alg, err)
	}
	sig, _ := os.ReadFile(sigPath)
	m, _ := os.ReadFile(msg)
	alg, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs(oidSM3), sig, signedInput{msg: m})
	if err != nil || alg != "SM2-SM3" {
		t.Fatalf("openssl SM2 signature: %s %v", alg, err)
	}
	if _, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs(oidSM3), sig, signedInput{msg: append(m, '!')}); err == nil {
		t.Error("changed message accepted")
	}
	bad := append([]byte{}, sig...)
	bad[len(bad)-1] ^= 1
	if _, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs(oidSM3), bad, signedInput{msg: m}); err == nil {
		t.Error("changed signature accepted")
	}
	// The declared digest must be SM3.
	if _, err := verifySignatureValue(pk, oidSM2SM3, nil, digestAlgs(oidSHA256), sig, signedInput{msg: m}); err == nil {
		t.Error("SM2 with SHA-256 declared accepted")
	}
}
