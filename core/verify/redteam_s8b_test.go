package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/cms"
	"sealdesk/core/pki"
)

// Red team s8b (black-box, /work/redteam-s8b in the session that wrote this): the timestamp and
// revocation findings, each rebuilt here by our own generator, attack beside its twin.

// der encodes one element with core/cms's writer.
func der(class, tag int, constructed bool, parts ...[]byte) []byte {
	return cms.EncodeTLV(class, tag, constructed, bytes.Join(parts, nil))
}

func derSeq(parts ...[]byte) []byte { return der(0, cms.TagSequence, true, parts...) }

func derOID(t testing.TB, s string) []byte {
	t.Helper()
	o, err := parseOIDString(s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := asn1.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func derInt(v *big.Int) []byte {
	b, _ := asn1.Marshal(v)
	return b
}

func hashOIDOf(t testing.TB, h crypto.Hash) string {
	switch h {
	case crypto.MD5:
		return oidMD5
	case crypto.SHA1:
		return oidSHA1
	case crypto.SHA256:
		return oidSHA256
	}
	t.Fatalf("no OID for %v", h)
	return ""
}

// tstSpec shapes a timestamp token of the test TSA (tsToken).
type tstSpec struct {
	imprint  crypto.Hash // the message imprint's hash (SHA-256 when 0)
	genTime  string      // GeneralizedTime content ("" = the signer's now, "…Z")
	accuracy []byte      // DER Accuracy, nil = none
	exts     []byte      // DER [1] extensions element, nil = none
}

// tsToken is a token of s's TSA over data as sp says: the TSTInfo written here, signed with
// core/cms.
func (s *signer) tsToken(t testing.TB, data []byte, sp tstSpec) []byte {
	t.Helper()
	h := sp.imprint
	if h == 0 {
		h = crypto.SHA256
	}
	hh := h.New()
	hh.Write(data)
	gt := sp.genTime
	if gt == "" {
		gt = s.now.UTC().Format("20060102150405Z")
	}
	info := derSeq(derInt(big.NewInt(1)), derOID(t, "1.3.6.1.4.1.99999.1.1"),
		derSeq(derSeq(derOID(t, hashOIDOf(t, h)), []byte{0x05, 0x00}), der(0, cms.TagOctetString, false, hh.Sum(nil))),
		derInt(big.NewInt(time.Now().UnixNano())), der(0, cms.TagGenTime, false, []byte(gt)), sp.accuracy, sp.exts)
	sd, err := cms.Sign(cms.SignOptions{Signer: s.pki.TSAKey, Cert: s.pki.TSA, Chain: s.pki.Chain, Content: info, ContentType: cms.OIDTSTInfo})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sd.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// withToken adds to the signature a token of s's TSA over its signature value.
func (s *signer) withToken(sp tstSpec) func(t testing.TB, sd *cms.SignedData) {
	return func(t testing.TB, sd *cms.SignedData) { sd.AddTimestamp(s.tsToken(t, sd.SignatureValue(), sp)) }
}

// leafFor issues a person certificate for key, valid from nb to na.
func (s *signer) leafFor(t testing.TB, key crypto.PublicKey, nb, na time.Time) *x509.Certificate {
	t.Helper()
	c, err := pki.Issue(s.pki.Issuer(), pki.Request{Profile: pki.ProfilePerson, PublicKey: key,
		Subject: pkix.Name{CommonName: "张三", Organization: []string{"SealDesk Test"}}, NotBefore: nb, NotAfter: na})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

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

// TestRedTeamS8bTimestampToken (s8b F7, F7b): the signer's certificate expired two hours after
// its signature; only a timestamp proves it signed in time. A token whose accuracy puts its
// latest time after the expiry,
// that carries an unknown critical extension or whose genTime is not DER in UTC proves nothing;
// the honest token, accuracy of a second, a fraction of a second in genTime and a non-critical
// extension rescue the signature.
func TestRedTeamS8bTimestampToken(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	expired := s.leafFor(t, s.key.Public(), s.now.Add(-30*24*time.Hour), s.now.Add(2*time.Hour))
	signed := func(sp tstSpec) func() []byte {
		return func() []byte { return s.sign(t, plain, sigOpts{signerCert: expired, cmsEdit: s.withToken(sp)}) }
	}
	secs := func(n int64) []byte { return derSeq(derInt(big.NewInt(n))) }
	millis := derSeq(der(2, 0, false, []byte{0x01, 0xf4})) // [0] 500
	ext := func(critical bool) []byte {
		e := [][]byte{derOID(t, "1.3.6.1.4.1.99999.7")}
		if critical {
			e = append(e, []byte{0x01, 0x01, 0xff})
		}
		return der(2, 1, true, derSeq(append(e, der(0, cms.TagOctetString, false, []byte{0x05, 0x00}))...))
	}
	gt := s.now.UTC().Format("20060102150405")
	runS8bRows(t, s.store(), []s8bRow{
		{"twin: a SHA-256 token of the trusted TSA rescues the expired signer", signed(tstSpec{}), time.Time{}, StatusValid, ""},
		{"no token: the expired signer is not trusted", func() []byte { return s.sign(t, plain, sigOpts{signerCert: expired}) },
			time.Time{}, StatusUntrusted, "is not valid at"},
		{"accuracy 30 days", signed(tstSpec{accuracy: secs(30 * 86400)}), time.Time{}, StatusUntrusted, "accuracy is ±720h0m0s"},
		{"accuracy 13 hours: genTime + accuracy is after the expiry, before now", signed(tstSpec{accuracy: secs(13 * 3600)}),
			time.Time{}, StatusUntrusted, "accuracy is ±13h0m0s: it proves existence only before 2026-03-01T23:00:00Z"},
		{"twin: accuracy 1 s", signed(tstSpec{accuracy: secs(1)}), time.Time{}, StatusValid, ""},
		{"twin: accuracy 1 h 500 ms, within the certificate", signed(tstSpec{accuracy: derSeq(derInt(big.NewInt(3600)), der(2, 0, false, []byte{0x01, 0xf4}))}),
			time.Time{}, StatusValid, "accuracy is ±1h0m0.5s"},
		{"twin: accuracy of 500 ms alone", signed(tstSpec{accuracy: millis}), time.Time{}, StatusValid, ""},
		{"accuracy with millis out of range", signed(tstSpec{accuracy: derSeq(der(2, 0, false, []byte{0x03, 0xe8}))}),
			time.Time{}, StatusInvalid, "accuracy is malformed"},
		{"an unknown critical extension", signed(tstSpec{exts: ext(true)}), time.Time{}, StatusInvalid, "unknown critical extension 1.3.6.1.4.1.99999.7"},
		{"twin: an unknown non-critical extension", signed(tstSpec{exts: ext(false)}), time.Time{}, StatusValid, ""},
		{"genTime without Z (a local time)", signed(tstSpec{genTime: gt}), time.Time{}, StatusInvalid, "is not a DER GeneralizedTime in UTC"},
		{"genTime with an offset +1400", signed(tstSpec{genTime: s.now.Add(14*time.Hour).UTC().Format("20060102150405") + "+1400"}),
			time.Time{}, StatusInvalid, "is not a DER GeneralizedTime in UTC"},
		{"genTime with a trailing zero in its fraction", signed(tstSpec{genTime: gt + ".50Z"}), time.Time{}, StatusInvalid, "is not a DER GeneralizedTime in UTC"},
		{"twin: genTime with a fraction", signed(tstSpec{genTime: gt + ".5Z"}), time.Time{}, StatusValid, ""},
	})
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
