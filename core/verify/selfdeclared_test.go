package verify

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"slices"
	"testing"

	"sealdesk/core/pki"
)

// A certificate from single-machine mode (self-declared identity policy) is reported with a reason
// that says so; an ordinary certificate is not.
func TestSelfDeclaredSignerReason(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	self, err := pki.Issue(pki.Issuer{Cert: s.pki.Intermediate, Key: s.pki.IntKey}, pki.Request{
		Profile: pki.ProfilePerson, PublicKey: s.key.Public(),
		Subject:   pkix.Name{CommonName: "张三", OrganizationalUnit: []string{pki.OUSelfDeclared}},
		NotBefore: s.now.AddDate(0, -1, 0), NotAfter: s.now.AddDate(1, 0, 0),
		Policies: []x509.OID{pki.OIDSelfDeclaredIdentity},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := makeDoc(docOpts{})
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		want bool
	}{{"self-declared", self, true}, {"verified", nil, false}} {
		rep := verifyBytes(t, s.sign(t, doc, sigOpts{signerCert: tc.cert}), s.store())
		if rep.Verdict != StatusValid {
			t.Fatalf("%s: verdict %s, want valid: %v", tc.name, rep.Verdict, rep.Signatures[0].Reasons)
		}
		if got := slices.Contains(rep.Signatures[0].Reasons, ReasonSelfDeclared); got != tc.want {
			t.Errorf("%s: self-declared reason present = %v, want %v (%v)", tc.name, got, tc.want, rep.Signatures[0].Reasons)
		}
	}
}
