package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/pki"
)

// Red team s8b (black-box, /work/redteam-s8b in the session that wrote this): the revocation
// findings, each rebuilt here by our own generator, attack beside its twin.

// verifyAt verifies data as of now.
func verifyAt(t testing.TB, data []byte, store *TrustStore, now time.Time) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), bytes.NewReader(data), int64(len(data)), "test.pdf", &Options{Trust: store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

// s8bRow is one attack or twin: the document, the time it is verified at (zero: verifyBytes's),
// the verdict and a sentence of the reasons (in English; its Chinese must differ from it).
type s8bRow struct {
	name   string
	build  func() []byte
	at     time.Time
	want   Verdict
	reason string
}

func runS8bRows(t *testing.T, store *TrustStore, rows []s8bRow) {
	t.Helper()
	for _, c := range rows {
		t.Run(c.name, func(t *testing.T) {
			var rep *Report
			if c.at.IsZero() {
				rep = verifyBytes(t, c.build(), store)
			} else {
				rep = verifyAt(t, c.build(), store, c.at)
			}
			if rep.Verdict != c.want {
				t.Fatalf("verdict %s, want %s\n%s", rep.Verdict, c.want, dump(rep))
			}
			if c.reason == "" {
				return
			}
			for _, sg := range rep.Signatures {
				for _, r := range sg.Reasons {
					if strings.Contains(r, c.reason) {
						if zh := ReasonText(r, "zh"); zh == r {
							t.Errorf("reason %q has no Chinese", r)
						}
						return
					}
				}
			}
			t.Errorf("no reason mentions %q:\n%s", c.reason, dump(rep))
		})
	}
}

// TestRedTeamS8bKeyCompromise (s8b F6): the signer's certificate was revoked in the evening for
// key compromise, the key compromised since ten days before (invalidityDate); the signature's
// timestamp of the morning does not make it good. Without the invalidityDate, with one after the
// timestamp, or for another reason, the revocation after the timestamp leaves it valid.
func TestRedTeamS8bKeyCompromise(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	revokedAt := s.now.Add(10 * time.Hour)
	invalidity := func(at time.Time) []pkix.Extension {
		v, err := asn1.MarshalWithParams(at.UTC(), "generalized")
		if err != nil {
			t.Fatal(err)
		}
		return []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 24}, Value: v}}
	}
	crl := func(reason int, exts []pkix.Extension) func() []byte {
		return func() []byte {
			list, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(7),
				ThisUpdate: revokedAt.Add(time.Hour), NextUpdate: revokedAt.Add(8 * 24 * time.Hour),
				RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: s.cert.SerialNumber, RevocationTime: revokedAt,
					ReasonCode: reason, ExtraExtensions: exts}}}, s.pki.Intermediate, s.pki.IntKey)
			if err != nil {
				t.Fatal(err)
			}
			return s.sign(t, plain, sigOpts{timestamp: true, adbeCRL: [][]byte{list}})
		}
	}
	ocspResp := func(exts []pkix.Extension) func() []byte {
		return func() []byte {
			r, err := ocsp.CreateResponse(s.pki.Intermediate, s.pki.OCSP, ocsp.Response{Status: ocsp.Revoked, SerialNumber: s.cert.SerialNumber,
				RevokedAt: revokedAt, RevocationReason: ocsp.KeyCompromise, ThisUpdate: revokedAt.Add(time.Hour), NextUpdate: revokedAt.Add(24 * time.Hour),
				Certificate: s.pki.OCSP, ExtraExtensions: exts}, s.pki.OCSPKey)
			if err != nil {
				t.Fatal(err)
			}
			return s.sign(t, plain, sigOpts{timestamp: true, adbeOCSP: [][]byte{r}})
		}
	}
	before, after := s.now.Add(-10*24*time.Hour), s.now.Add(5*time.Hour)
	const compromised = "key counts as compromised from 2026-02-19T10:00:00Z"
	runS8bRows(t, s.store(), []s8bRow{
		{"CRL: keyCompromise, invalidityDate before the timestamp", crl(ocsp.KeyCompromise, invalidity(before)), time.Time{}, StatusUntrusted, compromised},
		{"CRL: cACompromise, invalidityDate before the timestamp", crl(ocsp.CACompromise, invalidity(before)), time.Time{}, StatusUntrusted, compromised},
		{"OCSP: keyCompromise, invalidityDate before the timestamp", ocspResp(invalidity(before)), time.Time{}, StatusUntrusted, compromised},
		{"twin: CRL keyCompromise without invalidityDate", crl(ocsp.KeyCompromise, nil), time.Time{}, StatusValid, "after the signing time"},
		{"twin: CRL keyCompromise, invalidityDate after the timestamp", crl(ocsp.KeyCompromise, invalidity(after)), time.Time{}, StatusValid, "after the signing time"},
		{"twin: CRL affiliationChanged, invalidityDate before the timestamp", crl(ocsp.AffiliationChanged, invalidity(before)), time.Time{}, StatusValid, "after the signing time"},
		{"twin: OCSP keyCompromise without invalidityDate", ocspResp(nil), time.Time{}, StatusValid, "after the signing time"},
	})
}
