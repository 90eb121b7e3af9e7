package verify

import (
	"testing"

	"sealdesk/core/pki"
)

// TestCertifierSignsAgain: after a certification (P=2), a visible signature made with the
// certifier's own certificate is the certifier's change, trusted or not — nobody else holds
// that key (iText's taggedDocModifyAnnotation, interop 013, certified and signed again by
// iTextTestRsaCert01, was "modified" without trust anchors). Another key adding a visible
// signature is still the sneaky-signature attack, with or without anchors.
func TestCertifierSignsAgain(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	attacker := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	certified := s.sign(t, plain, sigOpts{certify: 2})
	again := s.sign(t, certified, sigOpts{visible: true})
	other := attacker.sign(t, certified, sigOpts{visible: true})
	for _, c := range []struct {
		name   string
		data   []byte
		store  *TrustStore
		want   Verdict
		reason string
	}{
		{"the certifier again, no anchors", again, NewTrustStore(), StatusUntrusted, "or by the certifier"},
		{"the certifier again, anchored", again, s.store(), StatusValid, "or by the certifier"},
		{"another key, no anchors", other, NewTrustStore(), StatusModified, "sneaky signature"},
		{"another key, the certifier anchored", other, s.store(), StatusModified, "sneaky signature"},
	} {
		rep := verifyBytes(t, c.data, c.store)
		if rep.Verdict != c.want || !reportMentions(rep, c.reason) {
			t.Errorf("%s: verdict %s (want %s, mentioning %q)\n%s", c.name, rep.Verdict, c.want, c.reason, dump(rep))
		}
	}
}
