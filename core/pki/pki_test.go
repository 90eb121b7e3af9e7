package pki_test

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return t0 }

func TestGenerateKeyTypes(t *testing.T) {
	for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.ECDSAP384, pki.RSA2048, pki.Ed25519} {
		k, err := pki.GenerateKey(kt)
		if err != nil {
			t.Fatalf("%s: %v", kt, err)
		}
		pemKey, err := pki.MarshalPrivateKeyPEM(k)
		if err != nil {
			t.Fatal(err)
		}
		back, err := pki.ParsePrivateKeyPEM(pemKey)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := x509.MarshalPKIXPublicKey(k.Public())
		b, _ := x509.MarshalPKIXPublicKey(back.Public())
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: key did not round-trip", kt)
		}
	}
	if _, err := pki.GenerateKey("rsa-1024"); err == nil {
		t.Fatal("rsa-1024 accepted")
	}
}

func TestProfilesAndChain(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{Now: clock})
	leaf, _ := p.Leaf(t, "张三", "")
	inter := x509.NewCertPool()
	inter.AddCert(p.Intermediate)
	opts := x509.VerifyOptions{Roots: p.Pool(), Intermediates: inter, CurrentTime: t0,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	if _, err := leaf.Verify(opts); err != nil {
		t.Fatalf("person chain: %v", err)
	}
	if leaf.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment {
		t.Errorf("person key usage %v", leaf.KeyUsage)
	}
	var docSign bool
	for _, o := range leaf.UnknownExtKeyUsage {
		if o.Equal(pki.OIDDocumentSigning) {
			docSign = true
		}
	}
	if !docSign || len(leaf.OCSPServer) != 1 || len(leaf.CRLDistributionPoints) != 1 || len(leaf.IssuingCertificateURL) != 1 {
		t.Errorf("person cert lacks document-signing EKU or AIA/CDP: %v %v %v", leaf.UnknownExtKeyUsage, leaf.OCSPServer, leaf.CRLDistributionPoints)
	}
	// TSA: critical EKU with timeStamping only.
	var critEKU bool
	for _, e := range p.TSA.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) && e.Critical {
			critEKU = true
		}
	}
	if !critEKU || len(p.TSA.ExtKeyUsage) != 1 || p.TSA.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping {
		t.Errorf("tsa eku: critical=%v %v", critEKU, p.TSA.ExtKeyUsage)
	}
	opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
	if _, err := p.TSA.Verify(opts); err != nil {
		t.Errorf("tsa chain: %v", err)
	}
	var nocheck bool
	for _, e := range p.OCSP.Extensions {
		nocheck = nocheck || e.Id.Equal(pki.OIDOCSPNoCheck)
	}
	if !nocheck || p.OCSP.ExtKeyUsage[0] != x509.ExtKeyUsageOCSPSigning {
		t.Errorf("ocsp responder profile wrong")
	}
	if !p.Intermediate.MaxPathLenZero || !p.Intermediate.IsCA {
		t.Errorf("intermediate is not a path-length-0 CA")
	}
	// A leaf cannot issue.
	_, lkey := p.Leaf(t, "x", "")
	if _, err := pki.Issue(pki.Issuer{Cert: leaf, Key: lkey}, pki.Request{Profile: pki.ProfilePerson, PublicKey: lkey.Public(), NotBefore: t0, NotAfter: t0.Add(time.Hour)}); err == nil {
		t.Error("a leaf issued a certificate")
	}
}

func TestIssueFromCSR(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{Now: clock, NoServer: true})
	key, _ := pki.GenerateKey(pki.ECDSAP256)
	csr, err := pki.NewCSR(key, pkix.Name{CommonName: "csr-subject"})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.IssueFromCSR(p.Issuer(), csr, pki.Request{Profile: pki.ProfileEnterpriseSeal,
		Subject: pkix.Name{CommonName: "某某有限公司", Organization: []string{"某某有限公司"}}, NotBefore: t0, NotAfter: t0.AddDate(50, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "某某有限公司" {
		t.Errorf("subject %q: caller's subject must win over the csr's", cert.Subject.CommonName)
	}
	if !cert.NotAfter.Equal(p.Intermediate.NotAfter) {
		t.Errorf("not after %v not clamped to issuer %v", cert.NotAfter, p.Intermediate.NotAfter)
	}
	csr[len(csr)-3] ^= 0xff // break the signature
	if _, err := pki.IssueFromCSR(p.Issuer(), csr, pki.Request{Profile: pki.ProfilePerson, NotBefore: t0, NotAfter: t0.Add(time.Hour)}); err == nil {
		t.Error("csr with a broken signature accepted")
	}
}

func TestCRLAndOCSP(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{Now: clock, NoServer: true})
	good, _ := p.Leaf(t, "good", "")
	bad, _ := p.Leaf(t, "bad", "")
	p.Revoke(bad.SerialNumber, t0.Add(-time.Minute))
	crlDER, err := p.CRL()
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(crlDER)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(p.Intermediate); err != nil {
		t.Fatal(err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(bad.SerialNumber) != 0 {
		t.Fatalf("crl entries %v", crl.RevokedCertificateEntries)
	}
	for _, c := range []struct {
		cert *x509.Certificate
		want int
	}{{good, ocsp.Good}, {bad, ocsp.Revoked}} {
		reqDER, err := ocsp.CreateRequest(c.cert, p.Intermediate, nil)
		if err != nil {
			t.Fatal(err)
		}
		serial, err := pki.ParseOCSPRequest(reqDER, p.Intermediate)
		if err != nil || serial.Cmp(c.cert.SerialNumber) != 0 {
			t.Fatalf("parse request: %v %v", serial, err)
		}
		der, err := p.OCSPResponse(serial)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ocsp.ParseResponseForCert(der, c.cert, p.Intermediate)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Status != c.want {
			t.Errorf("%s: status %d want %d", c.cert.Subject.CommonName, resp.Status, c.want)
		}
	}
	if _, err := pki.ParseOCSPRequest([]byte{0x30, 0x03, 1, 2, 3}, p.Intermediate); err == nil {
		t.Error("garbage ocsp request accepted")
	}
	other := pkitest.New(t, &pkitest.Options{Now: clock, NoServer: true})
	reqDER, _ := ocsp.CreateRequest(good, p.Intermediate, nil)
	if _, err := pki.ParseOCSPRequest(reqDER, other.Intermediate); err == nil {
		t.Error("request for another issuer accepted")
	}
	_ = big.NewInt
}

// TestOpenSSLAcceptsProfiles checks the chain and the TSA's purpose with an independent tool.
func TestOpenSSLAcceptsProfiles(t *testing.T) {
	pkitest.RequireTool(t, "openssl")
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	leaf, _ := p.Leaf(t, "leaf", pki.RSA2048)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	root := write("root.pem", pki.EncodeCertsPEM(p.Root))
	inter := write("inter.pem", pki.EncodeCertsPEM(p.Intermediate))
	for _, c := range []struct {
		cert    *x509.Certificate
		purpose string
	}{{leaf, "smimesign"}, {p.TSA, "timestampsign"}} {
		f := write("c.pem", pki.EncodeCertsPEM(c.cert))
		out, err := exec.Command("openssl", "verify", "-CAfile", root, "-untrusted", inter, "-purpose", c.purpose, f).CombinedOutput()
		if err != nil {
			t.Errorf("openssl verify -purpose %s: %v\n%s", c.purpose, err, out)
		}
	}
}

func TestNSSDB(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	spec := p.NSSDB(t)
	out, err := exec.Command("certutil", "-L", "-d", spec).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("sealdesk-test-root")) {
		t.Fatalf("nss db lacks the root: %v\n%s", err, out)
	}
}

// A self-declared person certificate carries the self-declared identity policy (the 128-bit UUID
// arc survives encoding, parsing and chain verification); an ordinary one carries no policy.
func TestSelfDeclaredPolicy(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{Now: clock, NoServer: true})
	key, _ := pki.GenerateKey(pki.ECDSAP256)
	csr, err := pki.NewCSR(key, pkix.Name{})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(policies ...x509.OID) *x509.Certificate {
		c, err := pki.IssueFromCSR(p.Issuer(), csr, pki.Request{Profile: pki.ProfilePerson, Policies: policies,
			Subject: pkix.Name{CommonName: "张三", OrganizationalUnit: []string{pki.OUSelfDeclared}}, NotBefore: t0, NotAfter: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	self, plain := issue(pki.OIDSelfDeclaredIdentity), issue()
	if !pki.IsSelfDeclared(self) || len(self.Policies) != 1 || self.Policies[0].String() != "2.25.65796794256969161779890030578018992640" {
		t.Fatalf("self-declared certificate policies %v", self.Policies)
	}
	if pki.IsSelfDeclared(plain) || len(plain.Policies) != 0 {
		t.Fatalf("plain certificate policies %v", plain.Policies)
	}
	inter := x509.NewCertPool()
	inter.AddCert(p.Intermediate)
	if _, err := self.Verify(x509.VerifyOptions{Roots: p.Pool(), Intermediates: inter, CurrentTime: t0,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
		t.Fatalf("self-declared chain: %v", err)
	}
	if pki.IsSelfDeclared(p.Intermediate) {
		t.Fatal("the issuing CA is not self-declared")
	}
}
