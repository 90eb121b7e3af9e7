package verify

import (
	"bytes"
	"encoding/pem"
	"testing"
	"time"

	"sealdesk/core/pki/pkitest"
)

func TestTrustStoreAddPEM(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	pemOf := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	two := append(pemOf(p.Root.Raw), pemOf(p.Intermediate.Raw)...)
	withKey := append([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), two...)
	for _, tc := range []struct {
		name string
		data []byte
		want int
		ok   bool
	}{
		{"two PEM certificates", two, 2, true},
		{"other blocks skipped", withKey, 2, true},
		{"one DER certificate", p.Root.Raw, 1, true},
		{"garbage", []byte("not a certificate"), 0, false},
		{"broken PEM certificate", pemOf([]byte{0x30, 0x03, 0x02, 0x01, 0x01}), 0, false},
		{"empty", nil, 0, false},
	} {
		s := NewTrustStore()
		n, err := s.AddPEM(tc.data)
		if (err == nil) != tc.ok || n != tc.want {
			t.Errorf("%s: AddPEM = %d, %v; want %d, ok=%v", tc.name, n, err, tc.want, tc.ok)
		}
		if tc.ok && !bytes.Equal(s.roots[0].Raw, p.Root.Raw) {
			t.Errorf("%s: first anchor is not the root", tc.name)
		}
	}
}
