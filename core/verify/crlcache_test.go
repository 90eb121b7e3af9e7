package verify

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// bigCRL builds, by hand (x509.CreateRevocationList takes seconds for 400,000 entries), a CRL
// of the signer's issuing CA with n entries of serials that are no certificate's, plus revoked
// listed at revokedAt when it is not nil. extra makes two CRLs of the same size differ.
func bigCRL(t testing.TB, s *signer, n int, revoked *big.Int, revokedAt time.Time, extra int64) []byte {
	t.Helper()
	tlv := func(tag int, parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return cms.EncodeTLV(0, tag, true, b)
	}
	enc := func(v any, params string) []byte {
		b, err := asn1.MarshalWithParams(v, params)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var alg []byte
	var h crypto.Hash = crypto.SHA256
	switch s.pki.IntKey.Public().(type) {
	case *ecdsa.PublicKey:
		alg = tlv(cms.TagSequence, enc(asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}, ""))
	case *rsa.PublicKey:
		alg = tlv(cms.TagSequence, enc(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}, ""), []byte{5, 0})
	default:
		t.Fatalf("issuing key %T", s.pki.IntKey.Public())
	}
	when := enc(s.now.Add(time.Hour).UTC(), "utc")
	entries := make([]byte, 0, n*32)
	for i := 0; i < n; i++ {
		serial := new(big.Int).SetInt64(1<<40 + extra<<32 + int64(i))
		entries = append(entries, tlv(cms.TagSequence, enc(serial, ""), enc(s.now.Add(-time.Hour).UTC(), "utc"))...)
	}
	if revoked != nil {
		entries = append(entries, tlv(cms.TagSequence, enc(revoked, ""), enc(revokedAt.UTC(), "utc"))...)
	}
	tbs := tlv(cms.TagSequence, enc(1, ""), alg, s.pki.Intermediate.RawSubject, when, enc(s.now.Add(8*24*time.Hour).UTC(), "utc"),
		cms.EncodeTLV(0, cms.TagSequence, true, entries))
	d := sha256.Sum256(tbs)
	sig, err := s.pki.IntKey.Sign(rand.Reader, d[:], h)
	if err != nil {
		t.Fatal(err)
	}
	bits := enc(asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}, "")
	der := tlv(cms.TagSequence, tbs, alg, bits)
	if n < 2000 { // the hand-made encoding is a CRL x509 reads and the issuer signed
		crl, err := x509.ParseRevocationList(der)
		if err != nil || crl.CheckSignatureFrom(s.pki.Intermediate) != nil {
			t.Fatalf("hand-made CRL: %v", err)
		}
	}
	return der
}

// TestCRLBounds (red team s10 DoS 1): anyone may add validation data to a signed file, and a
// CRL of 700,000 entries deflates to 1.8 MB. Each distinct CRL is now read once, up to
// maxCRLEntries entries and maxCRLBytes, the file's up to maxCRLEntriesPerFile; one not read
// keeps the status from being good (revocation unknown, with the limit named), and never hides
// a revocation another CRL states.
func TestCRLBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds CRLs of up to 400,000 entries (-short)")
	}
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	good, err := s.pki.OCSPResponse(s.cert.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	signed := s.sign(t, plain, sigOpts{timestamp: true, adbeOCSP: [][]byte{good}})
	withDSS := func(crls ...[]byte) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			var arr pdf.Array
			for _, c := range crls {
				var z bytes.Buffer // compressed, as DSS streams are: a CRL's decoded size is read
				zw := zlib.NewWriter(&z)
				zw.Write(c)
				zw.Close()
				arr = append(arr, u.Add(&pdf.Stream{Dict: pdf.Dict{"Filter": pdf.Name("FlateDecode")}, Data: z.Bytes()}))
			}
			cat := v.Dict(pdf.Ref{Num: 1}).Clone()
			cat["DSS"] = u.Add(pdf.Dict{"CRLs": arr})
			setObj(t, u, pdf.Ref{Num: 1}, cat)
		})
	}
	small := bigCRL(t, s, 10, nil, time.Time{}, 0)
	over := bigCRL(t, s, maxCRLEntries+1, nil, time.Time{}, 1)
	revokedBefore := bigCRL(t, s, 10, s.cert.SerialNumber, s.now.Add(-2*time.Hour), 2)
	huge := bigCRL(t, s, 400_000, nil, time.Time{}, 3) // over maxCRLBytes
	if len(huge) <= maxCRLBytes {
		t.Fatalf("the huge CRL has %d bytes", len(huge))
	}
	var budget [][]byte // CRLs under maxCRLEntries each, over maxCRLEntriesPerFile together
	for i := range maxCRLEntriesPerFile/maxCRLEntries + 1 {
		budget = append(budget, bigCRL(t, s, maxCRLEntries-10, nil, time.Time{}, int64(10+i)))
	}
	var parses atomic.Int64
	testHookCRLParse = func() { parses.Add(1) }
	defer func() { testHookCRLParse = nil }()

	rows := []struct {
		name       string
		data       []byte
		revocation string
		reason     string
		parses     int64 // CRLs x509 parsed (-1: not checked)
	}{
		{"twin: a small CRL of the issuer, the OCSP answer good", withDSS(small), RevocationGood, "", 1},
		{"twin: the same small CRL in eight objects is read once", withDSS(small, small, small, small, small, small, small, small), RevocationGood, "", 1},
		{"a CRL of more than maxCRLEntries entries", withDSS(over), RevocationUnknown, "more than the 100000 this verifier reads from one CRL", 0},
		{"the same in eight objects", withDSS(over, over, over, over, over, over, over, over), RevocationUnknown, "more than the 100000 this verifier reads from one CRL", 0},
		{"a CRL over maxCRLBytes", withDSS(huge), RevocationUnknown, "larger than the 8 MB this verifier reads from one CRL", 0},
		{"CRLs over maxCRLEntriesPerFile together", withDSS(budget...), RevocationUnknown, "the file's CRLs together list more than the 300000", int64(len(budget) - 1)},
		{"a revocation is not hidden by a CRL too large to read", withDSS(huge, over, revokedBefore), RevocationRevoked, "revoked", -1},
	}
	for _, c := range rows {
		parses.Store(0)
		rep := verifyBytes(t, c.data, s.store())
		sg := rep.Signatures[0]
		if sg.Revocation != c.revocation || (c.reason != "" && !strings.Contains(strings.Join(sg.Reasons, "\n"), c.reason)) {
			t.Errorf("%s: revocation %s, want %s with %q\n%s", c.name, sg.Revocation, c.revocation, c.reason, dump(rep))
		}
		if c.revocation != RevocationRevoked && rep.Verdict != StatusValid {
			t.Errorf("%s: verdict %s", c.name, rep.Verdict)
		}
		if c.parses >= 0 && parses.Load() != c.parses {
			t.Errorf("%s: %d CRLs parsed, want %d", c.name, parses.Load(), c.parses)
		}
	}
}
