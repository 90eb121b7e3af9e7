package main

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sealdesk/core/cms"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// `sealctl sign --cert sm2.crt --key sm2.pem` signs a PDF with SM2/SM3 (PKCS#7 OIDs, SubFilter
// ETSI.CAdES.detached); OpenSSL, an independent implementation, checks the messageDigest over the
// ByteRange (dgst -sm3) and the SM2 signature over the DER signed attributes with the GM/T 0009
// default ID (dgst -sm3 -verify -sigopt distid:1234567812345678); our verifier says 有效 with the
// SM2 root as anchor and 证书不受信任 without it.
func TestSignSM2(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("openssl missing")
		}
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	w := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Test PKI: an SM2 root and an SM2 signer.
	rk, _ := sm2.GenerateKey(rand.Reader)
	lk, _ := sm2.GenerateKey(rand.Reader)
	now := time.Now()
	rt := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "SM2 测试根"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour * 24), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rder, err := smx509.CreateCertificate(rand.Reader, rt, rt, &rk.PublicKey, rk)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := smx509.ParseCertificate(rder)
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "张三", Organization: []string{"某某有限公司"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour * 24), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	lder, err := smx509.CreateCertificate(rand.Reader, lt, rc.ToX509(), &lk.PublicKey, rk)
	if err != nil {
		t.Fatal(err)
	}
	p8, err := smx509.MarshalPKCS8PrivateKey(lk)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := w("sm2.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
	certPath := w("sm2.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: lder}))
	rootPath := w("root.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rder}))
	pubDER, _ := smx509.MarshalPKIXPublicKey(&lk.PublicKey)
	pubPath := w("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	in := w("in.pdf", minimalPDF())
	out := filepath.Join(dir, "out.pdf")

	if code, so, se := cli("sign", "--in", in, "--out", out, "--cert", certPath, "--key", keyPath); code != 0 {
		t.Fatalf("sign: %d %s %s", code, so, se)
	}
	signed, _ := os.ReadFile(out)
	m := regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`).FindSubmatch(signed)
	if m == nil {
		t.Fatal("no ByteRange")
	}
	var br [4]int
	for i := range br {
		br[i], _ = strconv.Atoi(string(m[i+1]))
	}
	// The CMS's own length ends it, not the last non-zero digit: trimming the placeholder's zeros
	// also trimmed a signature ending in a zero byte.
	padded, err := hex.DecodeString(string(signed[br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	var whole asn1.RawValue
	if _, err := asn1.Unmarshal(padded, &whole); err != nil {
		t.Fatal(err)
	}
	der := whole.FullBytes
	p, err := cms.Parse(der)
	if err != nil || len(p.Signers) != 1 {
		t.Fatalf("cms: %v", err)
	}
	s := p.Signers[0]
	if !s.DigestAlgorithm.Algorithm.Equal(cms.OIDSM3) || !s.SignatureAlgorithm.Algorithm.Equal(cms.OIDSM2SM3) {
		t.Fatalf("algorithms %v %v", s.DigestAlgorithm.Algorithm, s.SignatureAlgorithm.Algorithm)
	}
	ranges := append(append([]byte(nil), signed[br[0]:br[0]+br[1]]...), signed[br[2]:br[2]+br[3]]...)
	rangesPath := w("ranges.bin", ranges)
	attrsPath := w("attrs.der", s.SignedAttrsRaw)
	sigPath := w("sig.der", s.Signature)
	// OpenSSL: SM3 of the ByteRange is the messageDigest attribute.
	dg, err := exec.Command(openssl, "dgst", "-sm3", "-binary", rangesPath).Output()
	if err != nil {
		t.Skipf("openssl has no SM3: %v", err)
	}
	if want := sm3.Sum(ranges); !bytes.Equal(dg, want[:]) || !bytes.Equal(s.MessageDigest(), dg) {
		t.Fatalf("messageDigest %x, openssl SM3 of the ranges %x", s.MessageDigest(), dg)
	}
	// OpenSSL: the SM2 signature over the DER signed attributes, with the default ID.
	vo, err := exec.Command(openssl, "dgst", "-sm3", "-verify", pubPath, "-sigopt", "distid:1234567812345678", "-signature", sigPath, attrsPath).CombinedOutput()
	if err != nil || !strings.Contains(string(vo), "Verified OK") {
		t.Fatalf("openssl SM2 verify: %v %s", err, vo)
	}
	// And a changed byte does not verify.
	bad := append([]byte(nil), s.SignedAttrsRaw...)
	bad[len(bad)-1] ^= 1
	if vo, err := exec.Command(openssl, "dgst", "-sm3", "-verify", pubPath, "-sigopt", "distid:1234567812345678", "-signature", sigPath, w("bad.der", bad)).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified changed attributes: %s", vo)
	}
	// Our verifier: 有效 with the SM2 root, 证书不受信任 without.
	if code, so, se := runCLI("--trust", rootPath, out); code != 0 {
		t.Errorf("verify with the SM2 root: exit %d\n%s%s", code, so, se)
	}
	if code, _, _ := runCLI(out); code != 3 {
		t.Errorf("verify without anchors: exit %d, want 3", code)
	}
}
