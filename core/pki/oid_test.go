package pki

import (
	"crypto/x509"
	"testing"
)

// TestPolicyOIDs: the policy OIDs written as DER bytes are the decimal OIDs their comments name.
func TestPolicyOIDs(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  x509.OID
		want string
	}{
		{"OIDEventCertificate", OIDEventCertificate, "2.25.121235236097583797157486760606244457649"},
		{"OIDSelfDeclaredIdentity", OIDSelfDeclaredIdentity, "2.25.65796794256969161779890030578018992640"},
	} {
		want, err := x509.ParseOID(tc.want)
		if err != nil {
			t.Fatal(err)
		}
		if tc.got.String() != tc.want || !tc.got.Equal(want) {
			t.Errorf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}
