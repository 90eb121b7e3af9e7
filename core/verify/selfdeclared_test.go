package verify

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"slices"
	"strings"
	"testing"

	"sealdesk/core/pki"
)

// A certificate from single-machine mode (self-declared identity policy) is reported with a reason
// that says so and is never trusted, whether its root is an anchor (the desktop trusts its own
// backend's root), a local anchor, or not given at all (sealctl): every reader says 有效但证书不受信任.
// An ordinary certificate under the same root is trusted.
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
	local := NewTrustStore()
	local.AddLocal(s.pki.Root)
	doc, _ := makeDoc(docOpts{})
	for _, tc := range []struct {
		name    string
		cert    *x509.Certificate
		store   *TrustStore
		verdict Verdict
		reason  bool
	}{
		{"self-declared, root trusted", self, s.store(), StatusUntrusted, true},
		{"self-declared, root local", self, local, StatusUntrusted, true},
		{"self-declared, no anchors", self, nil, StatusUntrusted, true},
		{"verified, root trusted", nil, s.store(), StatusValid, false},
	} {
		rep := verifyBytes(t, s.sign(t, doc, sigOpts{signerCert: tc.cert}), tc.store)
		sg := rep.Signatures[0]
		if rep.Verdict != tc.verdict || sg.Status != tc.verdict {
			t.Errorf("%s: verdict %s, want %s: %v", tc.name, rep.Verdict, tc.verdict, sg.Reasons)
		}
		if got := slices.Contains(sg.Reasons, ReasonSelfDeclared); got != tc.reason {
			t.Errorf("%s: self-declared reason present = %v, want %v (%v)", tc.name, got, tc.reason, sg.Reasons)
		}
		if tc.reason && !strings.Contains(strings.Join(rep.TextLines("zh"), "\n"), "签章结果: 有效但证书不受信任") {
			t.Errorf("%s: text report:\n%s", tc.name, strings.Join(rep.TextLines("zh"), "\n"))
		}
	}
}

// A signature timestamp from a TSA under a local anchor (the desktop's embedded backend) is a
// local timestamp: valid, used as the signing time, and called 本机时间戳（未经第三方认证）, never
// 权威时间戳; under a full anchor it is authoritative; without anchors the signer's clock is used.
func TestLocalTimestamp(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	signed := s.sign(t, doc, sigOpts{timestamp: true})
	local := NewTrustStore()
	local.AddLocal(s.pki.Root)
	both := s.store()
	both.AddLocal(s.pki.Root)
	for _, tc := range []struct {
		name   string
		store  *TrustStore
		source string
		zh     string
	}{
		{"local", local, "local", "(本机时间戳（未经第三方认证）)"},
		{"full", s.store(), "timestamp", "(权威时间戳)"},
		{"full and local", both, "timestamp", "(权威时间戳)"},
		{"none", nil, "signer", "(签名者本机时间)"},
	} {
		rep := verifyBytes(t, signed, tc.store)
		sg := rep.Signatures[0]
		if got := sg.TimeSourceKind(); got != tc.source {
			t.Errorf("%s: time source %q, want %q (%+v)", tc.name, got, tc.source, sg.Timestamp)
		}
		text := strings.Join(rep.TextLines("zh"), "\n")
		if !strings.Contains(text, tc.zh) || (tc.source != "timestamp" && strings.Contains(text, "权威")) {
			t.Errorf("%s: text report:\n%s", tc.name, text)
		}
		if tc.source == "local" && (sg.Status != StatusValid || !sg.Timestamp.Valid || sg.TimeSource != "timestamp") {
			t.Errorf("%s: %+v", tc.name, sg)
		}
	}
}
