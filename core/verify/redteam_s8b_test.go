package verify

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s8b (black-box, /work/redteam-s8b in the session that wrote this): the timestamp,
// revocation and algorithm-policy findings, each rebuilt here by our own generator, attack
// beside its twin.

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

// rawCMS writes a SignedData the way an old signer did, with what core/cms refuses to make: a
// SHA-1 (or MD5) digest, an RSA key under 2048 bits. content, when not nil, is encapsulated
// (eContentType ctype); otherwise digest is the detached content's digest under h. stamp, when
// not nil, returns a signature timestamp token for the signature value. The signer certificate
// is bound by signing-certificate (SHA-1 ESSCertID) under SHA-1, signing-certificate-v2
// otherwise, as ETSI EN 319 122-1 asks (rawCMSWith writes other bindings).
func rawCMS(t testing.TB, key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, h crypto.Hash,
	ctype string, content, digest []byte, stamp func(sig []byte) []byte) []byte {
	t.Helper()
	ess := essSpec{kind: essV2}
	if h == crypto.SHA1 {
		ess.kind = essV1
	}
	return rawCMSWith(t, key, cert, chain, h, ctype, content, digest, stamp, ess)
}

// essSpec is the signing-certificate attribute rawCMSWith writes: none, signing-certificate
// (v1, an ESSCertID with the SHA-1 of the certificate) or signing-certificate-v2 (an
// ESSCertIDv2 with its SHA-256), naming of (nil: the signer certificate).
type essSpec struct {
	kind int
	of   *x509.Certificate
}

const (
	essNone = iota
	essV1
	essV2
)

// rawCMSWith is rawCMS with the signing-certificate attribute ess says.
func rawCMSWith(t testing.TB, key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, h crypto.Hash,
	ctype string, content, digest []byte, stamp func(sig []byte) []byte, ess essSpec) []byte {
	t.Helper()
	if content != nil {
		hh := h.New()
		hh.Write(content)
		digest = hh.Sum(nil)
	}
	alg := derSeq(derOID(t, hashOIDOf(t, h)), []byte{0x05, 0x00})
	attrs := [][]byte{
		derSeq(derOID(t, oidAttrContentType), der(0, cms.TagSet, true, derOID(t, ctype))),
		derSeq(derOID(t, oidAttrMsgDigest), der(0, cms.TagSet, true, der(0, cms.TagOctetString, false, digest))),
	}
	if ess.kind != essNone {
		of := ess.of
		if of == nil {
			of = cert
		}
		oid, hh := oidAttrSigningCert2, crypto.SHA256.New()
		if ess.kind == essV1 {
			oid, hh = oidAttrSigningCert, crypto.SHA1.New()
		}
		hh.Write(of.Raw)
		// SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2) }; ESSCertIDv2's
		// hashAlgorithm SHA-256 is its DEFAULT, left out.
		val := derSeq(derSeq(derSeq(der(0, cms.TagOctetString, false, hh.Sum(nil)))))
		attrs = append(attrs, derSeq(derOID(t, oid), der(0, cms.TagSet, true, val)))
	}
	slices.SortFunc(attrs, bytes.Compare)
	tbs := der(0, cms.TagSet, true, attrs...)
	hh := h.New()
	hh.Write(tbs)
	sig, err := key.Sign(rand.Reader, hh.Sum(nil), h)
	if err != nil {
		t.Fatal(err)
	}
	var sigAlg []byte
	switch key.Public().(type) {
	case *rsa.PublicKey:
		sigAlg = derSeq(derOID(t, oidRSA), []byte{0x05, 0x00})
	case *ecdsa.PublicKey:
		ec := map[crypto.Hash]string{crypto.SHA1: "1.2.840.10045.4.1", crypto.SHA256: "1.2.840.10045.4.3.2"}[h]
		sigAlg = derSeq(derOID(t, ec))
	default:
		t.Fatalf("rawCMS: key %T", key.Public())
	}
	si := [][]byte{derInt(big.NewInt(1)), derSeq(cert.RawIssuer, derInt(cert.SerialNumber)), alg,
		der(2, 0, true, attrs...), sigAlg, der(0, cms.TagOctetString, false, sig)}
	if stamp != nil {
		si = append(si, der(2, 1, true, derSeq(derOID(t, oidAttrTimestamp), der(0, cms.TagSet, true, stamp(sig)))))
	}
	eci := [][]byte{derOID(t, ctype)}
	version := int64(1)
	if content != nil {
		eci = append(eci, der(2, 0, true, der(0, cms.TagOctetString, false, content)))
		if ctype != oidData {
			version = 3
		}
	}
	var certs [][]byte
	for _, c := range append([]*x509.Certificate{cert}, chain...) {
		certs = append(certs, c.Raw)
	}
	sd := derSeq(derInt(big.NewInt(version)), der(0, cms.TagSet, true, alg), derSeq(eci...),
		der(2, 0, true, certs...), der(0, cms.TagSet, true, derSeq(si...)))
	return derSeq(derOID(t, oidSignedData), der(2, 0, true, sd))
}

// tstSpec shapes a timestamp token of the test TSA (tsToken).
type tstSpec struct {
	imprint  crypto.Hash // the message imprint's hash (SHA-256 when 0)
	genTime  string      // GeneralizedTime content ("" = the signer's now, "…Z")
	accuracy []byte      // DER Accuracy, nil = none
	exts     []byte      // DER [1] extensions element, nil = none
	cmsSHA1  bool        // the token's own CMS digests with SHA-1
}

// tsToken is a token of s's TSA over data as sp says: the TSTInfo written here, signed with
// core/cms (or rawCMS for a SHA-1 token).
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
	if sp.cmsSHA1 {
		return rawCMS(t, s.pki.TSAKey, s.pki.TSA, s.pki.Chain, crypto.SHA1, oidTSTInfo, info, nil, nil)
	}
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

// rsaLeaf issues a person certificate for a new RSA key of bits (pki.Issue and core/cms refuse
// keys under 2048 bits, so crypto/x509 makes it).
func (s *signer) rsaLeaf(t testing.TB, bits int) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	is := s.pki.Issuer()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:   pkix.Name{CommonName: "张三", Organization: []string{"SealDesk Test"}},
		NotBefore: s.now.Add(-time.Hour), NotAfter: s.now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	raw, err := x509.CreateCertificate(rand.Reader, tmpl, is.Cert, &key.PublicKey, is.Key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
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

// TestRedTeamS8bTimestampToken (s8b F2 "also", F2b, F7, F7b): the signer's certificate expired
// two hours after its signature; only a timestamp proves it signed in time. A token whose
// message imprint or own CMS is SHA-1, whose accuracy puts its latest time after the expiry,
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
		{"SHA-1 message imprint", signed(tstSpec{imprint: crypto.SHA1}), time.Time{}, StatusUntrusted,
			"SHA1 as the timestamp's message imprint is not accepted after its sunset date 2009-01-01"},
		{"the token's own CMS over SHA-1", signed(tstSpec{cmsSHA1: true}), time.Time{}, StatusUntrusted,
			"SHA1 as the digest of the timestamp token is not accepted after its sunset date 2009-01-01"},
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

// TestRedTeamS8bAlgorithmPolicy (s8b F4, F4b): SHA-1 as the digest of the signed data (CMS,
// adbe.pkcs7.sha1, adbe.x509.rsa_sha1) and RSA keys under 2048 bits are trusted only with a
// proof that the signature existed before the algorithm's sunset (2009-01-01 for SHA-1 and
// 1024-bit keys, 2016-01-01 for 1536-bit keys): today, with a timestamp of today, they are
// untrusted with the reason; in a world of 2008 (a PKI, a TSA and a signature of June 2008,
// verified in 2010) a timestamp or a later document timestamp of 2008 keeps them valid. MD5
// stays invalid; SHA-256 through the same raw writer stays valid.
func TestRedTeamS8bAlgorithmPolicy(t *testing.T) {
	s := newSigner(t, pki.RSA2048)
	plain, _ := makeDoc(docOpts{})
	raw := func(s *signer, key crypto.Signer, cert *x509.Certificate, h crypto.Hash, stamp bool) func() []byte {
		return func() []byte {
			return s.sign(t, plain, sigOpts{hash: h, rawCMS: func(t testing.TB, digest []byte) []byte {
				var st func([]byte) []byte
				if stamp {
					st = func(sig []byte) []byte { return s.tsToken(t, sig, tstSpec{}) }
				}
				return rawCMS(t, key, cert, s.pki.Chain, h, oidData, nil, digest, st)
			}})
		}
	}
	pkcs7SHA1 := func() []byte {
		return s.sign(t, plain, sigOpts{hash: crypto.SHA1, sigEdit: func(d pdf.Dict) { d["SubFilter"] = pdf.Name(subPKCS7SHA1) },
			rawCMS: func(t testing.TB, digest []byte) []byte {
				return rawCMS(t, s.key, s.cert, s.pki.Chain, crypto.SHA256, oidData, digest, nil, nil)
			}})
	}
	c1024, k1024 := s.rsaLeaf(t, 1024)
	c1536, k1536 := s.rsaLeaf(t, 1536)
	const sha1Sunset = "SHA1 as the digest of the signed data is not accepted after its sunset date 2009-01-01"
	rows := []s8bRow{
		{"SHA-1 digest", raw(s, s.key, s.cert, crypto.SHA1, false), time.Time{}, StatusUntrusted, sha1Sunset},
		{"SHA-1 digest with a timestamp of today", raw(s, s.key, s.cert, crypto.SHA1, true), time.Time{}, StatusUntrusted, sha1Sunset},
		{"adbe.pkcs7.sha1: the document hashed with SHA-1, the CMS SHA-256", pkcs7SHA1, time.Time{}, StatusUntrusted, sha1Sunset},
		{"adbe.x509.rsa_sha1", func() []byte { return s.sign(t, plain, sigOpts{x509SHA1: true}) }, time.Time{}, StatusUntrusted, sha1Sunset},
		{"RSA-1024 signer", raw(s, k1024, c1024, crypto.SHA256, true), time.Time{}, StatusUntrusted,
			"the signer's RSA key of 1024 bits is not accepted after its sunset date 2009-01-01"},
		{"RSA-1536 signer", raw(s, k1536, c1536, crypto.SHA256, false), time.Time{}, StatusUntrusted,
			"the signer's RSA key of 1536 bits is not accepted after its sunset date 2016-01-01"},
		{"MD5 digest", raw(s, s.key, s.cert, crypto.MD5, false), time.Time{}, StatusInvalid, ""},
		{"twin: SHA-256 through the same raw writer", raw(s, s.key, s.cert, crypto.SHA256, true), time.Time{}, StatusValid, ""},
		{"twin: SHA-256 by core/cms", func() []byte { return s.sign(t, plain, sigOpts{timestamp: true}) }, time.Time{}, StatusValid, ""},
	}
	// The world of 2008: everything valid until 2018.
	june2008 := time.Date(2008, 6, 1, 10, 0, 0, 0, time.UTC)
	old := newSignerAt(t, pki.RSA2048, june2008)
	o1024, ok1024 := old.rsaLeaf(t, 1024)
	in2010, dec2008 := time.Date(2010, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2008, 12, 1, 0, 0, 0, 0, time.UTC)
	const accepted = "is accepted: a proof of existence at 2008-06-01T10:00:0"
	oldRows := []s8bRow{
		{"twin 2008: SHA-1 with a timestamp of 2008, verified in 2010", raw(old, old.key, old.cert, crypto.SHA1, true), in2010, StatusValid, accepted},
		{"twin 2008: RSA-1024 with a timestamp of 2008, verified in 2010", raw(old, ok1024, o1024, crypto.SHA256, true), in2010, StatusValid, accepted},
		{"twin 2008: SHA-1 and a later document timestamp of 2008, verified in 2010", func() []byte {
			return old.sign(t, raw(old, old.key, old.cert, crypto.SHA1, false)(), sigOpts{docTS: true})
		}, in2010, StatusValid, accepted},
		{"twin 2008: SHA-1 without a timestamp, verified before the sunset", raw(old, old.key, old.cert, crypto.SHA1, false), dec2008, StatusValid, ""},
		{"2008: SHA-1 without a timestamp, verified in 2010", raw(old, old.key, old.cert, crypto.SHA1, false), in2010, StatusUntrusted, sha1Sunset},
		{"2008: RSA-1024 without a timestamp, verified in 2010", raw(old, ok1024, o1024, crypto.SHA256, false), in2010, StatusUntrusted, "RSA key of 1024 bits"},
	}
	runS8bRows(t, s.store(), rows)
	runS8bRows(t, old.store(), oldRows)
}

// issueCert makes a certificate for pub, signed by parent's key with alg — what pki.Issue refuses
// to make (a SHA-1 signature, a CA key under 2048 bits), so crypto/x509 makes it. ca issues an
// intermediate CA, otherwise a person's signing certificate; it is valid from an hour before
// s.now for a year.
func (s *signer) issueCert(t testing.TB, parent *x509.Certificate, parentKey crypto.Signer, pub crypto.PublicKey,
	alg x509.SignatureAlgorithm, cn string, ca bool) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), SignatureAlgorithm: alg,
		Subject:   pkix.Name{CommonName: cn, Organization: []string{"SealDesk Test"}},
		NotBefore: s.now.Add(-time.Hour), NotAfter: s.now.Add(365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	if ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
	}
	raw, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sha1Alg is the SHA-1 signature algorithm of key's type, sha256Alg the SHA-256 one.
func sha1Alg(key crypto.Signer) x509.SignatureAlgorithm {
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		return x509.SHA1WithRSA
	}
	return x509.ECDSAWithSHA1
}

func sha256Alg(key crypto.Signer) x509.SignatureAlgorithm {
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		return x509.SHA256WithRSA
	}
	return x509.ECDSAWithSHA256
}

// TestRedTeamS8bChainAlgorithms extends the algorithm policy (TestRedTeamS8bAlgorithmPolicy) to
// the path and the revocation data: a signer certificate or an intermediate CA certificate
// signed with SHA-1, an intermediate CA with an RSA key of 1024 bits, are trusted only with a
// proof of existence before the sunset (a timestamp of 2008 verified in 2010); an OCSP response
// or CRL signed with SHA-1 is no evidence (revocation unknown, with the reason). The SHA-256
// twins stay valid and good.
func TestRedTeamS8bChainAlgorithms(t *testing.T) {
	plain, _ := makeDoc(docOpts{})
	leafKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	int1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	// signed is a signature (timestamped when stamp) by a leaf that s's issuing CA signs with
	// leafAlg — or, when intKey is not nil, by a leaf under a new intermediate CA of intKey that
	// s's root signs with intAlg.
	type path struct {
		leafAlg x509.SignatureAlgorithm
		intKey  crypto.Signer
		intAlg  x509.SignatureAlgorithm
		forge   bool // the leaf's signature altered
	}
	signed := func(s *signer, p path, stamp bool) func() []byte {
		return func() []byte {
			parent, parentKey, chain := s.pki.Intermediate, s.pki.IntKey, s.pki.Chain
			leafAlg := p.leafAlg
			if p.intKey != nil {
				parent = s.issueCert(t, s.pki.Root, s.pki.RootKey, p.intKey.Public(), p.intAlg, "Old Issuing CA", true)
				parentKey, chain = p.intKey, []*x509.Certificate{parent, s.pki.Root}
				leafAlg = sha256Alg(p.intKey)
			}
			if leafAlg == 0 {
				leafAlg = sha256Alg(parentKey)
			}
			leaf := s.issueCert(t, parent, parentKey, leafKey.Public(), leafAlg, "张三", false)
			if p.forge {
				raw := bytes.Clone(leaf.Raw)
				raw[len(raw)-1] ^= 1
				if leaf, err = x509.ParseCertificate(raw); err != nil {
					t.Fatal(err)
				}
			}
			return s.sign(t, plain, sigOpts{rawCMS: func(t testing.TB, digest []byte) []byte {
				var st func([]byte) []byte
				if stamp {
					st = func(sig []byte) []byte { return s.tsToken(t, sig, tstSpec{}) }
				}
				return rawCMS(t, leafKey, leaf, chain, crypto.SHA256, oidData, nil, digest, st)
			}})
		}
	}
	s := newSigner(t, pki.RSA2048)
	june2008 := time.Date(2008, 6, 1, 10, 0, 0, 0, time.UTC)
	old := newSignerAt(t, pki.RSA2048, june2008)
	// The certificates of 2008 expire in June 2009: March 2009 is after the sunset, within their validity.
	in2010, march2009 := time.Date(2010, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2009, 3, 1, 0, 0, 0, 0, time.UTC)
	sha1Leaf := func(s *signer) path { return path{leafAlg: sha1Alg(s.pki.IntKey)} }
	sha1Int := func(s *signer) path { return path{intKey: leafKey, intAlg: sha1Alg(s.pki.RootKey)} }
	rsa1024Int := func(s *signer) path { return path{intKey: int1024, intAlg: sha256Alg(s.pki.RootKey)} }
	const (
		leafSunset = `SHA1 as the digest of the signature on the certificate of "张三" is not accepted after its sunset date 2009-01-01`
		intSunset  = `SHA1 as the digest of the signature on the certificate of "Old Issuing CA" is not accepted after its sunset date 2009-01-01`
		keySunset  = `the CA "Old Issuing CA"'s RSA key of 1024 bits is not accepted after its sunset date 2009-01-01`
		accepted   = "is accepted: a proof of existence at 2008-06-01T10:00:0"
	)
	runS8bRows(t, s.store(), []s8bRow{
		{"signer certificate signed with SHA-1", signed(s, sha1Leaf(s), true), time.Time{}, StatusUntrusted, leafSunset},
		{"intermediate CA certificate signed with SHA-1", signed(s, sha1Int(s), true), time.Time{}, StatusUntrusted, intSunset},
		{"intermediate CA with an RSA key of 1024 bits", signed(s, rsa1024Int(s), true), time.Time{}, StatusUntrusted, keySunset},
		{"twin: the same path signed with SHA-256", signed(s, path{}, true), time.Time{}, StatusValid, ""},
		{"twin: an intermediate CA of RSA-2048 signed with SHA-256", signed(s, path{intKey: leafKey, intAlg: sha256Alg(s.pki.RootKey)}, true),
			time.Time{}, StatusValid, ""},
	})
	runS8bRows(t, old.store(), []s8bRow{
		{"twin 2008: signer certificate signed with SHA-1, a timestamp of 2008, verified in 2010", signed(old, sha1Leaf(old), true), in2010, StatusValid, accepted},
		{"twin 2008: intermediate signed with SHA-1, a timestamp of 2008, verified in 2010", signed(old, sha1Int(old), true), in2010, StatusValid, accepted},
		{"twin 2008: intermediate of RSA-1024, a timestamp of 2008, verified in 2010", signed(old, rsa1024Int(old), true), in2010, StatusValid, accepted},
		{"2008: signer certificate signed with SHA-1 whose signature does not verify, a timestamp of 2008", signed(old, path{leafAlg: sha1Alg(old.pki.IntKey), forge: true}, true),
			in2010, StatusUntrusted, "does not chain to a trusted root"},
		{"2008: signer certificate signed with SHA-1 without a timestamp, verified in March 2009", signed(old, sha1Leaf(old), false), march2009, StatusUntrusted, leafSunset},
		{"2008: intermediate signed with SHA-1 without a timestamp, verified in March 2009", signed(old, sha1Int(old), false), march2009, StatusUntrusted, intSunset},
		{"2008: intermediate of RSA-1024 without a timestamp, verified in March 2009", signed(old, rsa1024Int(old), false), march2009, StatusUntrusted, keySunset},
	})

	// Revocation data signed with SHA-1: no evidence of a good status.
	ocspResp := func(alg x509.SignatureAlgorithm) []byte {
		r, err := ocsp.CreateResponse(s.pki.Intermediate, s.pki.OCSP, ocsp.Response{Status: ocsp.Good, SerialNumber: s.cert.SerialNumber,
			ThisUpdate: s.now.Add(-time.Minute), NextUpdate: s.now.Add(24 * time.Hour), Certificate: s.pki.OCSP, SignatureAlgorithm: alg}, s.pki.OCSPKey)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	crl := func(alg x509.SignatureAlgorithm) []byte {
		list, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(7), SignatureAlgorithm: alg,
			ThisUpdate: s.now.Add(-time.Minute), NextUpdate: s.now.Add(7 * 24 * time.Hour)}, s.pki.Intermediate, s.pki.IntKey)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	for _, c := range []struct {
		name       string
		opts       sigOpts
		revocation string
		reason     string
	}{
		{"OCSP response signed with SHA-1", sigOpts{timestamp: true, adbeOCSP: [][]byte{ocspResp(sha1Alg(s.pki.OCSPKey))}}, RevocationUnknown,
			"SHA1 as the digest of the signature on the embedded OCSP response is not accepted after its sunset date 2009-01-01"},
		{"CRL signed with SHA-1", sigOpts{timestamp: true, adbeCRL: [][]byte{crl(sha1Alg(s.pki.IntKey))}}, RevocationUnknown,
			"SHA1 as the digest of the signature on the embedded CRL is not accepted after its sunset date 2009-01-01"},
		{"twin: OCSP response signed with SHA-256", sigOpts{timestamp: true, adbeOCSP: [][]byte{ocspResp(sha256Alg(s.pki.OCSPKey))}}, RevocationGood, ""},
		{"twin: CRL signed with SHA-256", sigOpts{timestamp: true, adbeCRL: [][]byte{crl(sha256Alg(s.pki.IntKey))}}, RevocationGood, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyBytes(t, s.sign(t, plain, c.opts), s.store())
			sg := rep.Signatures[0]
			if rep.Verdict != StatusValid || sg.Revocation != c.revocation {
				t.Fatalf("verdict %s, revocation %s; want valid, %s\n%s", rep.Verdict, sg.Revocation, c.revocation, dump(rep))
			}
			if c.reason != "" && !slices.ContainsFunc(sg.Reasons, func(r string) bool {
				return strings.Contains(r, c.reason) && ReasonText(r, "zh") != r
			}) {
				t.Errorf("no reason (with its Chinese) mentions %q:\n%s", c.reason, dump(rep))
			}
		})
	}
}
