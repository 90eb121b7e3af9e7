package pki_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

// TestEventCertificatePolicy: the event certificate carries its policy with a user notice that Go
// and openssl both read, and chains like any person certificate.
func TestEventCertificatePolicy(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{Now: clock, NoServer: true})
	key, _ := pki.GenerateKey(pki.ECDSAP256)
	notice := "SealDesk 事件证书：仅用于合同 env_123 的一次签署，私钥签署后即销毁"
	c, err := pki.Issue(p.Issuer(), pki.Request{Profile: pki.ProfilePerson, PublicKey: key.Public(),
		Subject:  pkix.Name{CommonName: "李四", OrganizationalUnit: []string{pki.OUEventCertificate}},
		Policies: []x509.OID{pki.OIDEventCertificate}, PolicyNotice: notice, NotBefore: t0, NotAfter: t0.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if !pki.IsEventCertificate(c) || pki.IsSelfDeclared(c) {
		t.Fatalf("policies %v", c.Policies)
	}
	if got := pki.PolicyNotice(c, pki.OIDEventCertificate); got != notice {
		t.Fatalf("notice %q, want %q", got, notice)
	}
	if got := pki.PolicyNotice(c, pki.OIDSelfDeclaredIdentity); got != "" {
		t.Fatalf("notice of another policy %q", got)
	}
	inter := x509.NewCertPool()
	inter.AddCert(p.Intermediate)
	if _, err := c.Verify(x509.VerifyOptions{Roots: p.Pool(), Intermediates: inter, CurrentTime: t0.Add(time.Minute),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
		t.Fatalf("event certificate chain: %v", err)
	}
	if _, err := pki.Issue(p.Issuer(), pki.Request{Profile: pki.ProfilePerson, PublicKey: key.Public(), Subject: pkix.Name{CommonName: "x"},
		PolicyNotice: "no policy", NotBefore: t0, NotAfter: t0.Add(time.Hour)}); err == nil {
		t.Fatal("a notice without a policy was accepted")
	}
	if _, err := pki.Issue(p.Issuer(), pki.Request{Profile: pki.ProfilePerson, PublicKey: key.Public(), Subject: pkix.Name{CommonName: "x"},
		Policies: []x509.OID{pki.OIDEventCertificate}, PolicyNotice: strings.Repeat("长", 201), NotBefore: t0, NotAfter: t0.Add(time.Hour)}); err == nil {
		t.Fatal("a notice over 200 characters was accepted")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed: the independent reading of the notice is not checked")
	}
	path := filepath.Join(t.TempDir(), "event.pem")
	if err := os.WriteFile(path, pki.EncodeCertsPEM(c), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "x509", "-in", path, "-noout", "-text", "-nameopt", "utf8").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	for _, want := range []string{"Policy: 2.25.121235236097583797157486760606244457649", "User Notice", "env_123"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("openssl output lacks %q:\n%s", want, out)
		}
	}
}
