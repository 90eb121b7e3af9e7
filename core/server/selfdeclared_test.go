package server_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"slices"
	"strings"
	"testing"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/server"
)

// requestPersonCert asks for a person certificate for a fresh key on c's account.
func requestPersonCert(t *testing.T, c *client.Client) *x509.Certificate {
	t.Helper()
	k, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.NewCSR(k, pkix.Name{OrganizationalUnit: []string{"csr's own OU is ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.RequestCertificate(ctx, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.ParseCertsPEM([]byte(resp.Certificate))
	if err != nil || len(certs) != 1 {
		t.Fatalf("certificate: %d %v", len(certs), err)
	}
	return certs[0]
}

// wantSelfDeclared checks that cert is marked self-declared (policy and OU) or carries neither.
func wantSelfDeclared(t *testing.T, cert *x509.Certificate, self bool) {
	t.Helper()
	ou := slices.Contains(cert.Subject.OrganizationalUnit, pki.OUSelfDeclared)
	if pki.IsSelfDeclared(cert) != self || ou != self {
		t.Errorf("certificate of %s: self-declared policy %v, OU %q; want self-declared %v",
			cert.Subject.CommonName, cert.Policies, cert.Subject.OrganizationalUnit, self)
	}
	if !self && (len(cert.Policies) != 0 || len(cert.Subject.OrganizationalUnit) != 0) {
		t.Errorf("verified identity's certificate changed profile: policies %v, OU %q", cert.Policies, cert.Subject.OrganizationalUnit)
	}
}

// The server offers manual review only, dev only with --dev, and extra providers only when the
// embedding program passes them; a name cannot be taken over.
func TestProviderSet(t *testing.T) {
	if got := start(t, openBolt(t), false).run.Server.ProviderNames(); !slices.Equal(got, []string{"manual"}) {
		t.Errorf("providers without dev: %v, want exactly [manual]", got)
	}
	if got := start(t, openBolt(t), true).run.Server.ProviderNames(); !slices.Equal(got, []string{"dev", "manual"}) {
		t.Errorf("providers with dev: %v", got)
	}
	_, err := server.New(ctx, server.Options{Store: openBolt(t), MasterKey: masterKey(), BaseURL: "https://127.0.0.1:1", Providers: []org.Provider{fakeManual{}}})
	if err == nil || !strings.Contains(err.Error(), `"manual" is registered twice`) {
		t.Errorf("a second provider named manual: %v", err)
	}
}

// fakeManual claims the manual provider's name but approves everything.
type fakeManual struct{}

func (fakeManual) Name() string                           { return "manual" }
func (fakeManual) Start(org.Verification) (string, error) { return org.StatusApproved, nil }
func (fakeManual) Verifies() bool                         { return false }
