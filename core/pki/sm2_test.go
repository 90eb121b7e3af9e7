package pki_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

// An SM2 key (pki.SM2) round-trips through PKCS#8 PEM, makes a CSR signed with SM2-with-SM3 that
// ParseCSR reads and checks (a changed byte is refused), and the ECDSA issuing CA certifies it:
// the certificate carries the SM2 key, chains to the root in smx509 and OpenSSL, and keeps the
// self-declared policy (whose UUID arc no asn1.ObjectIdentifier holds).
func TestSM2KeyCSRAndCertificate(t *testing.T) {
	k, err := pki.GenerateKey(pki.SM2)
	if err != nil {
		t.Fatal(err)
	}
	if !pki.IsSM2(k.Public()) {
		t.Fatalf("pki.SM2 made %T", k.Public())
	}
	pemKey, err := pki.MarshalPrivateKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	back, err := pki.ParsePrivateKeyPEM(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := pki.MarshalPKIXPublicKey(k.Public())
	b, _ := pki.MarshalPKIXPublicKey(back.Public())
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("sm2 key did not round-trip")
	}
	if pub, err := pki.ParsePKIXPublicKey(a); err != nil || !pki.IsSM2(pub) {
		t.Fatalf("ParsePKIXPublicKey: %T %v", pub, err)
	}

	csr, err := pki.NewCSR(k, pkix.Name{CommonName: "张三"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := pki.ParseCSR(csr)
	if err != nil {
		t.Fatalf("ParseCSR: %v", err)
	}
	if !pki.IsSM2(parsed.PublicKey) || parsed.SignatureAlgorithm != x509.SignatureAlgorithm(smx509.SM2WithSM3) {
		t.Fatalf("csr key %T, algorithm %v", parsed.PublicKey, parsed.SignatureAlgorithm)
	}
	bad := append([]byte(nil), csr...)
	bad[len(bad)-3] ^= 0x40 // inside the signature
	if _, err := pki.ParseCSR(bad); err == nil {
		t.Fatal("a changed sm2 csr was accepted")
	}

	p := pkitest.New(t, &pkitest.Options{Now: clock})
	cert, err := pki.IssueFromCSR(p.Issuer(), csr, pki.Request{Profile: pki.ProfilePerson,
		Subject:  pkix.Name{CommonName: "张三", OrganizationalUnit: []string{pki.OUSelfDeclared}},
		Policies: []x509.OID{pki.OIDSelfDeclaredIdentity}, NotBefore: t0, NotAfter: t0.Add(24 * time.Hour)})
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	if !pki.IsSM2(cert.PublicKey) || cert.Subject.CommonName != "张三" {
		t.Fatalf("issued %T %q", cert.PublicKey, cert.Subject.CommonName)
	}
	if !pki.IsSelfDeclared(cert) {
		t.Fatal("the self-declared policy was lost")
	}
	if again, err := pki.ParseCertificate(cert.Raw); err != nil || !bytes.Equal(again.Raw, cert.Raw) {
		t.Fatalf("ParseCertificate: %v", err)
	}
	roots, inter := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert((*smx509.Certificate)(p.Root))
	inter.AddCert((*smx509.Certificate)(p.Intermediate))
	if _, err := (*smx509.Certificate)(cert).Verify(smx509.VerifyOptions{Roots: roots, Intermediates: inter,
		CurrentTime: t0.Add(time.Hour), KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("smx509 chain: %v", err)
	}
	// A signature by the certified key verifies with the certificate's key.
	sig, err := k.Sign(rand.Reader, []byte("合同"), sm2.NewSM2SignerOption(true, nil))
	if err != nil || !sm2.VerifyASN1WithSM2(cert.PublicKey.(*ecdsa.PublicKey), nil, []byte("合同"), sig) {
		t.Fatalf("sm2 signature: %v", err)
	}

	// OpenSSL, an independent reader, verifies the chain and sees an SM2 key.
	openssl := pkitest.RequireTool(t, "openssl")
	dir := t.TempDir()
	w := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	root := w("root.pem", pki.EncodeCertsPEM(p.Root))
	in := w("inter.pem", pki.EncodeCertsPEM(p.Intermediate))
	leaf := w("leaf.pem", pki.EncodeCertsPEM(cert))
	out, err := exec.Command(openssl, "verify", "-attime", "1772362800", "-CAfile", root, "-untrusted", in, leaf).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte(": OK")) {
		t.Fatalf("openssl verify: %v %s", err, out)
	}
	text, err := exec.Command(openssl, "x509", "-noout", "-text", "-in", leaf).CombinedOutput()
	if err != nil || !bytes.Contains(text, []byte("SM2")) {
		t.Fatalf("openssl x509: %v %s", err, text)
	}
}
