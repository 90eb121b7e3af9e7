package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/ocsp"

	"sealdesk/core/cms"
	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/tsa"
)

// Red team s10 (black box, /work/redteam-s10 in the session that wrote this), class B: the
// certificates, their paths and their binding to the signature. Each class is rebuilt here by
// our own generator, the attack next to its harmless twin.

// Extended key usage OIDs the rows name.
var (
	oidEKUServerAuth  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	oidEKUEmail       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}
	oidEKUTimeStamp   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidEKUDocSigning  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}
	oidEKUAny         = asn1.ObjectIdentifier{2, 5, 29, 37, 0}
	oidEKUCodeSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}
)

// s10Cert is a certificate and its key.
type s10Cert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// s10Spec shapes a certificate s10Issue makes.
type s10Spec struct {
	cn       string
	ca       bool
	tsa      bool                    // a time-stamping authority: critical timeStamping only (RFC 3161)
	eku      []asn1.ObjectIdentifier // the extended key usage extension (critical for a TSA only); nil: none
	key      crypto.Signer           // nil: a new P-256 key
	alg      x509.SignatureAlgorithm // 0: crypto/x509's choice for the issuer key
	nb, na   time.Time
	subject  *pkix.Name // nil: CN cn, O SealDesk Test
	selfSign bool       // a root: parent is ignored
	cdp      []string   // CRL distribution points
}

// s10Issue makes a certificate as sp says, signed by parent (self-signed when sp.selfSign).
func s10Issue(t testing.TB, parent s10Cert, sp s10Spec) s10Cert {
	t.Helper()
	key := sp.key
	if key == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	subject := pkix.Name{CommonName: sp.cn, Organization: []string{"SealDesk Test"}}
	if sp.subject != nil {
		subject = *sp.subject
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: subject, NotBefore: sp.nb, NotAfter: sp.na,
		SignatureAlgorithm: sp.alg, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	tmpl.CRLDistributionPoints = sp.cdp
	if sp.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tmpl.BasicConstraintsValid, tmpl.IsCA = true, true
	}
	if sp.tsa {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		sp.eku = []asn1.ObjectIdentifier{oidEKUTimeStamp}
	}
	if sp.eku != nil {
		v, err := asn1.Marshal(sp.eku)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidExtKeyUsage, Critical: sp.tsa, Value: v}}
	}
	pc, pk := parent.cert, parent.key
	if sp.selfSign {
		pc, pk = tmpl, key
	}
	raw, err := x509.CreateCertificate(rand.Reader, tmpl, pc, key.Public(), pk)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s10Cert{c, key}
}

// s10Span is the validity of the rows' certificates: from an hour before s's now for a year.
func s10Span(s *signer, sp s10Spec) s10Spec {
	sp.nb, sp.na = s.now.Add(-time.Hour), s.now.Add(365*24*time.Hour)
	return sp
}

// signedBy signs plain with leaf's key, carrying leaf and chain (core/cms: signing-certificate-v2
// included).
func (s *signer) signedBy(t testing.TB, plain []byte, leaf s10Cert, chain []*x509.Certificate, o sigOpts) []byte {
	t.Helper()
	prev := o.cmsOpts
	o.cmsOpts = func(co *cms.SignOptions) {
		co.Signer, co.Cert, co.Chain = leaf.key, leaf.cert, chain
		if prev != nil {
			prev(co)
		}
	}
	return s.sign(t, plain, o)
}

// TestRedTeamS10EKUChaining (s10 WIN 2): a CA whose extended key usage is restricted to other
// purposes (TLS servers) issued a document signer, and the signature was trusted — crypto/x509's
// ExtKeyUsageAny skips the chain's usages. Now every CA of the path, the anchor included, must
// allow the path's purpose when it has the extension (EKU chaining, as NSS, OpenSSL and
// CryptoAPI do): for a signer the usages the signer certificate itself may carry or
// anyExtendedKeyUsage, for a time-stamping authority timeStamping or anyExtendedKeyUsage. The
// twins: the same chain with a CA without the extension, with e-mail protection, document
// signing or anyExtendedKeyUsage, and the restricted CA beside an unrestricted certificate of
// the same CA (a second path).
func TestRedTeamS10EKUChaining(t *testing.T) {
	plain, _ := makeDoc(docOpts{})
	s := newSigner(t, pki.ECDSAP256)
	root := s10Cert{s.pki.Root, s.pki.RootKey}
	interKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	inter := func(eku ...asn1.ObjectIdentifier) s10Cert {
		return s10Issue(t, root, s10Span(s, s10Spec{cn: "S10 Issuing CA", ca: true, eku: eku, key: interKey}))
	}
	// under signs with a new leaf (no extended key usage of its own) under the intermediates'
	// key, carrying the intermediate certificates cas.
	under := func(cas ...s10Cert) func() []byte {
		return func() []byte {
			leaf := s10Issue(t, s10Cert{cas[0].cert, interKey}, s10Span(s, s10Spec{cn: "张三"}))
			var chain []*x509.Certificate
			for _, c := range cas {
				chain = append(chain, c.cert)
			}
			return s.signedBy(t, plain, leaf, append(chain, root.cert), sigOpts{})
		}
	}
	const notSigning = `the CA "S10 Issuing CA" in the certificate path has an extended key usage that does not allow document signing`
	runS8bRows(t, s.store(), []s8bRow{
		{"intermediate CA restricted to serverAuth", under(inter(oidEKUServerAuth)), time.Time{}, StatusUntrusted, notSigning},
		{"intermediate CA restricted to serverAuth and codeSigning", under(inter(oidEKUServerAuth, oidEKUCodeSigning)), time.Time{}, StatusUntrusted, notSigning},
		{"twin: intermediate CA without extended key usage", under(inter()), time.Time{}, StatusValid, ""},
		{"twin: intermediate CA for e-mail protection", under(inter(oidEKUEmail)), time.Time{}, StatusValid, ""},
		{"twin: intermediate CA for document signing (RFC 9336)", under(inter(oidEKUServerAuth, oidEKUDocSigning)), time.Time{}, StatusValid, ""},
		{"twin: intermediate CA for anyExtendedKeyUsage", under(inter(oidEKUAny)), time.Time{}, StatusValid, ""},
		{"twin: the restricted CA beside an unrestricted certificate of the same CA", under(inter(oidEKUServerAuth), inter()), time.Time{}, StatusValid, ""},
	})

	// The anchor's own extended key usage counts too.
	tlsRoot := s10Issue(t, s10Cert{}, s10Span(s, s10Spec{cn: "S10 TLS Root", ca: true, selfSign: true, eku: []asn1.ObjectIdentifier{oidEKUServerAuth}}))
	openRoot := s10Issue(t, s10Cert{}, s10Span(s, s10Spec{cn: "S10 Open Root", ca: true, selfSign: true}))
	byRoot := func(r s10Cert) func() []byte {
		return func() []byte {
			leaf := s10Issue(t, r, s10Span(s, s10Spec{cn: "张三"}))
			return s.signedBy(t, plain, leaf, []*x509.Certificate{r.cert}, sigOpts{})
		}
	}
	runS8bRows(t, NewTrustStore(tlsRoot.cert, openRoot.cert), []s8bRow{
		{"anchor restricted to serverAuth", byRoot(tlsRoot), time.Time{}, StatusUntrusted,
			`the CA "S10 TLS Root" in the certificate path has an extended key usage that does not allow document signing`},
		{"twin: anchor without extended key usage", byRoot(openRoot), time.Time{}, StatusValid, ""},
	})

	// A document timestamp's authority under a CA for e-mail protection only: no time stamping.
	tsaUnder := func(eku ...asn1.ObjectIdentifier) func() []byte {
		return func() []byte {
			ca := s10Issue(t, root, s10Span(s, s10Spec{cn: "S10 TSA CA", ca: true, eku: eku}))
			leaf := s10Issue(t, ca, s10Span(s, s10Spec{cn: "S10 TSA", tsa: true}))
			a, err := tsa.New(tsa.Options{Cert: leaf.cert, Key: leaf.key, Chain: []*x509.Certificate{ca.cert, root.cert}, Now: func() time.Time { return s.now }})
			if err != nil {
				t.Fatal(err)
			}
			s2 := *s
			s2.tsa = a
			return s2.sign(t, plain, sigOpts{docTS: true})
		}
	}
	runS8bRows(t, s.store(), []s8bRow{
		{"document timestamp: the TSA's CA restricted to e-mail protection", tsaUnder(oidEKUEmail), time.Time{}, StatusUntrusted,
			`the CA "S10 TSA CA" in the certificate path has an extended key usage that does not allow time stamping`},
		{"twin: document timestamp, the TSA's CA for time stamping", tsaUnder(oidEKUTimeStamp), time.Time{}, StatusValid, ""},
		{"twin: document timestamp, the TSA's CA without extended key usage", tsaUnder(), time.Time{}, StatusValid, ""},
	})

	// verifySHA1Path's paths (an intermediate signed with SHA-1, a timestamp of 2008 verified
	// in 2010) are held to the same rule.
	old := newSignerAt(t, pki.RSA2048, time.Date(2008, 6, 1, 10, 0, 0, 0, time.UTC))
	in2010 := time.Date(2010, 6, 1, 0, 0, 0, 0, time.UTC)
	sha1Under := func(eku ...asn1.ObjectIdentifier) func() []byte {
		return func() []byte {
			ca := s10Issue(t, s10Cert{old.pki.Root, old.pki.RootKey}, s10Span(old, s10Spec{cn: "S10 Old CA", ca: true, eku: eku, alg: sha1Alg(old.pki.RootKey)}))
			leaf := s10Issue(t, ca, s10Span(old, s10Spec{cn: "张三"}))
			return old.signedBy(t, plain, leaf, []*x509.Certificate{ca.cert, old.pki.Root}, sigOpts{timestamp: true})
		}
	}
	runS8bRows(t, old.store(), []s8bRow{
		{"2008: intermediate signed with SHA-1 restricted to serverAuth", sha1Under(oidEKUServerAuth), in2010, StatusUntrusted,
			`the CA "S10 Old CA" in the certificate path has an extended key usage that does not allow document signing`},
		{"twin 2008: intermediate signed with SHA-1 for e-mail protection", sha1Under(oidEKUEmail), in2010, StatusValid,
			"is accepted: a proof of existence at 2008-06-01T10:00:0"},
	})
}

// TestRedTeamS10EKUChainingSM2: smx509's paths (SM2) are held to the same rule.
func TestRedTeamS10EKUChainingSM2(t *testing.T) {
	now := time.Now()
	for _, c := range []struct {
		name    string
		eku     []x509.ExtKeyUsage
		trusted bool
	}{
		{"SM2 root restricted to serverAuth", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, false},
		{"twin: SM2 root for e-mail protection", []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, true},
		{"twin: SM2 root without extended key usage", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			rk, _ := sm2.GenerateKey(rand.Reader)
			lk, _ := sm2.GenerateKey(rand.Reader)
			rt := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "SM2 S10 Root"},
				NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
				KeyUsage: x509.KeyUsageCertSign, ExtKeyUsage: c.eku}
			rder, err := smx509.CreateCertificate(rand.Reader, rt, rt, &rk.PublicKey, rk)
			if err != nil {
				t.Fatal(err)
			}
			rc, _ := smx509.ParseCertificate(rder)
			lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "SM2 签署人"},
				NotBefore: now.Add(-time.Hour), NotAfter: now.Add(12 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
			lder, err := smx509.CreateCertificate(rand.Reader, lt, rc.ToX509(), &lk.PublicKey, rk)
			if err != nil {
				t.Fatal(err)
			}
			ci, err := parseCertInfo(lder)
			if err != nil || !ci.sm {
				t.Fatalf("SM2 leaf: %v", err)
			}
			res := NewTrustStore(rc.ToX509()).buildChain(ci, nil, now, purposeSigner)
			if res.trusted != c.trusted {
				t.Fatalf("trusted %v, want %v: %s", res.trusted, c.trusted, res.reason)
			}
			if !c.trusted && !strings.Contains(res.reason, `the CA "SM2 S10 Root" in the certificate path has an extended key usage that does not allow document signing`) {
				t.Errorf("reason %q", res.reason)
			}
		})
	}
}

// TestRedTeamS10SigningCertificateBinding (s10 WIN 3): the CMS's certificates and the
// SignerInfo's sid are not signed, so a signature without a signing-certificate(-v2) attribute
// can have its certificate swapped after signing for another one on the same key — here a
// second certificate the same CA issued for the signer's key with another organisation and
// title — and the report shows that identity. ETSI.CAdES.detached requires the attribute: without
// it the signature is untrusted, named by the rule, swapped or not; with one naming another
// certificate it is invalid. adbe.pkcs7.detached keeps its verdict with a reason saying that
// the certificate is not bound. The twins carry the attribute (signing-certificate-v2, or
// signing-certificate v1 as EN 319 122-1 allows).
func TestRedTeamS10SigningCertificateBinding(t *testing.T) {
	plain, _ := makeDoc(docOpts{})
	s := newSigner(t, pki.ECDSAP256)
	ca := s10Cert{s.pki.Intermediate, s.pki.IntKey}
	alice := s10Issue(t, ca, s10Span(s, s10Spec{cn: "张三"}))
	reissued := s10Issue(t, ca, s10Span(s, s10Spec{key: alice.key,
		subject: &pkix.Name{CommonName: "张三", Organization: []string{"ACME Corp"}, OrganizationalUnit: []string{"CFO, authorised signatory"}}}))
	// signed is a signature of alice's key as sub, carrying cert (alice's or the re-issued one)
	// with the signing-certificate attribute ess.
	signed := func(sub string, cert *x509.Certificate, ess essSpec) func() []byte {
		return func() []byte {
			return s.sign(t, plain, sigOpts{sigEdit: func(d pdf.Dict) { d["SubFilter"] = pdf.Name(sub) },
				rawCMS: func(t testing.TB, digest []byte) []byte {
					return rawCMSWith(t, alice.key, cert, s.pki.Chain, crypto.SHA256, oidData, nil, digest, nil, ess)
				}})
		}
	}
	none, v2, v1 := essSpec{kind: essNone}, essSpec{kind: essV2}, essSpec{kind: essV1}
	namesAlice := essSpec{kind: essV2, of: alice.cert}
	const unboundCAdES = "ETSI.CAdES.detached requires the signing-certificate-v2 attribute"
	const unboundPKCS7 = "the signer certificate is not bound by a signed signing-certificate attribute"
	rows := []s8bRow{
		{"CAdES without signing-certificate, certificate swapped", signed(subCAdES, reissued.cert, none), time.Time{}, StatusUntrusted, unboundCAdES},
		{"CAdES without signing-certificate, as signed", signed(subCAdES, alice.cert, none), time.Time{}, StatusUntrusted, unboundCAdES},
		{"CAdES whose signing-certificate-v2 names the certificate swapped out", signed(subCAdES, reissued.cert, namesAlice), time.Time{}, StatusInvalid,
			"the signing-certificate attribute names a different certificate than the signer's"},
		{"twin: CAdES with signing-certificate-v2", signed(subCAdES, alice.cert, v2), time.Time{}, StatusValid, ""},
		{"twin: CAdES with signing-certificate (v1)", signed(subCAdES, alice.cert, v1), time.Time{}, StatusValid, ""},
		{"adbe.pkcs7.detached without signing-certificate, certificate swapped", signed(subPKCS7Det, reissued.cert, none), time.Time{}, StatusValid, unboundPKCS7},
		{"adbe.pkcs7.detached without signing-certificate, as signed", signed(subPKCS7Det, alice.cert, none), time.Time{}, StatusValid, unboundPKCS7},
		{"adbe.pkcs7.detached whose signing-certificate-v2 names the certificate swapped out", signed(subPKCS7Det, reissued.cert, namesAlice), time.Time{}, StatusInvalid,
			"the signing-certificate attribute names a different certificate than the signer's"},
		{"twin: adbe.pkcs7.detached with signing-certificate-v2", signed(subPKCS7Det, alice.cert, v2), time.Time{}, StatusValid, ""},
	}
	runS8bRows(t, s.store(), rows)
	// The twins say nothing of a binding; the swapped adbe.pkcs7.detached shows the identity of
	// the certificate it carries, which its reason warns of.
	for _, c := range rows {
		rep := verifyBytes(t, c.build(), s.store())
		sg := rep.Signatures[0]
		if strings.HasPrefix(c.name, "twin") && slices.ContainsFunc(sg.Reasons, func(r string) bool { return strings.Contains(r, "not bound") }) {
			t.Errorf("%s: %q", c.name, sg.Reasons)
		}
		if c.name == rows[5].name && sg.Signer.Organization != "ACME Corp" {
			t.Errorf("%s: signer %+v", c.name, sg.Signer)
		}
	}
}

// TestRedTeamS10TimestampCertificateBinding (the class of s10 WIN 3 for time stamps): a token's
// certificates and sid are not signed either, and RFC 3161 (§2.4.1; RFC 5816 for v2) requires
// the signing-certificate attribute that binds the authority's certificate. A token without it
// proves no time — a document timestamp is untrusted, a signature timestamp does not date the
// signature — as issued or with a second certificate for the authority's key swapped in. The
// twins bind the certificate with signing-certificate (v1) or signing-certificate-v2.
func TestRedTeamS10TimestampCertificateBinding(t *testing.T) {
	plain, _ := makeDoc(docOpts{})
	s := newSigner(t, pki.ECDSAP256)
	ca := s10Cert{s.pki.Intermediate, s.pki.IntKey}
	other := s10Issue(t, ca, s10Span(s, s10Spec{cn: "S10 Other TSA", tsa: true, key: s.pki.TSAKey}))
	// token is a token of s's TSA key over imprint (a SHA-256 digest), carrying cert, with the
	// signing-certificate attribute ess (naming s's TSA certificate when it has one).
	token := func(t testing.TB, imprint []byte, cert *x509.Certificate, ess essSpec) []byte {
		info := derSeq(derInt(big.NewInt(1)), derOID(t, "1.3.6.1.4.1.99999.1.1"),
			derSeq(derSeq(derOID(t, oidSHA256), []byte{0x05, 0x00}), der(0, cms.TagOctetString, false, imprint)),
			derInt(big.NewInt(time.Now().UnixNano())), der(0, cms.TagGenTime, false, []byte(s.now.UTC().Format("20060102150405Z"))))
		ess.of = s.pki.TSA
		return rawCMSWith(t, s.pki.TSAKey, cert, s.pki.Chain, crypto.SHA256, oidTSTInfo, info, nil, nil, ess)
	}
	docTS := func(cert *x509.Certificate, ess essSpec) func() []byte {
		return func() []byte {
			return s.sign(t, plain, sigOpts{docTS: true, rawCMS: func(t testing.TB, digest []byte) []byte { return token(t, digest, cert, ess) }})
		}
	}
	none := essSpec{kind: essNone}
	runS8bRows(t, s.store(), []s8bRow{
		{"document timestamp without signing-certificate", docTS(s.pki.TSA, none), time.Time{}, StatusUntrusted, reasonUnboundTST},
		{"document timestamp without signing-certificate, the authority's certificate swapped", docTS(other.cert, none), time.Time{}, StatusUntrusted, reasonUnboundTST},
		{"twin: document timestamp with signing-certificate (v1)", docTS(s.pki.TSA, essSpec{kind: essV1}), time.Time{}, StatusValid, ""},
		{"twin: document timestamp with signing-certificate-v2", docTS(s.pki.TSA, essSpec{kind: essV2}), time.Time{}, StatusValid, ""},
	})
	// A signature timestamp without it leaves the signer's own time.
	for _, c := range []struct {
		name  string
		ess   essSpec
		valid bool
	}{
		{"signature timestamp without signing-certificate", none, false},
		{"twin: signature timestamp with signing-certificate-v2", essSpec{kind: essV2}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := s.sign(t, plain, sigOpts{cmsEdit: func(t testing.TB, sd *cms.SignedData) {
				d := sha256.Sum256(sd.SignatureValue())
				sd.AddTimestamp(token(t, d[:], s.pki.TSA, c.ess))
			}})
			rep := verifyBytes(t, data, s.store())
			sg := rep.Signatures[0]
			if rep.Verdict != StatusValid || sg.Timestamp.Valid != c.valid || (sg.TimeSource == "timestamp") != c.valid {
				t.Fatalf("verdict %s, timestamp valid %v, time source %s\n%s", rep.Verdict, sg.Timestamp.Valid, sg.TimeSource, dump(rep))
			}
		})
	}
}

// TestRedTeamS10PartialCRL: a CRL that says nothing about a certificate was its "good" evidence —
// a delta CRL (it lists only what changed since its base), one whose issuing distribution point
// limits it to CA certificates, to some reasons or to another distribution point, one with a
// critical extension nobody knows (RFC 5280 §5.2, §5.2.4, §5.2.5, §6.3.3). The signer's
// certificate, revoked on the CA's full CRL, showed as good with such a CRL embedded. Now their
// silence is no evidence (revocation unknown) while an entry in them still revokes; the twins
// are complete CRLs for the certificate (no issuing distribution point, user certificates only,
// the certificate's own distribution point).
func TestRedTeamS10PartialCRL(t *testing.T) {
	plain, _ := makeDoc(docOpts{})
	s := newSigner(t, pki.ECDSAP256)
	ca := s10Cert{s.pki.Intermediate, s.pki.IntKey}
	const dp1, dp2 = "http://crl.example/ca-part1.crl", "http://crl.example/ca-part2.crl"
	leaf := s10Issue(t, ca, s10Span(s, s10Spec{cn: "张三", cdp: []string{dp1}}))
	boolean := func(tag int) []byte { return der(2, tag, false, []byte{0xff}) }
	dp := func(uri string) []byte { return der(2, 0, true, der(2, 0, true, der(2, 6, false, []byte(uri)))) }
	idp := func(parts ...[]byte) pkix.Extension {
		return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 28}, Critical: true, Value: derSeq(parts...)}
	}
	delta := pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 27}, Critical: true, Value: derInt(big.NewInt(6))}
	unknown := pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 7}, Critical: true, Value: []byte{0x05, 0x00}}
	// crl is the CA's CRL with the extensions exts, listing leaf (revoked a day before signing)
	// when listed.
	crl := func(listed bool, exts ...pkix.Extension) []byte {
		tmpl := &x509.RevocationList{Number: big.NewInt(7), ThisUpdate: s.now.Add(-time.Minute), NextUpdate: s.now.Add(7 * 24 * time.Hour), ExtraExtensions: exts}
		if listed {
			tmpl.RevokedCertificateEntries = []x509.RevocationListEntry{{SerialNumber: leaf.cert.SerialNumber, RevocationTime: s.now.Add(-24 * time.Hour)}}
		}
		b, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, c := range []struct {
		name       string
		crl        []byte
		revocation string
	}{
		{"delta CRL silent on the signer", crl(false, delta), RevocationUnknown},
		{"delta CRL listing the signer", crl(true, delta), RevocationRevoked},
		{"CRL of CA certificates only", crl(false, idp(boolean(2))), RevocationUnknown},
		{"CRL for some reasons only", crl(false, idp(der(2, 3, false, []byte{0x06, 0x40}))), RevocationUnknown},
		{"CRL for another distribution point", crl(false, idp(dp(dp2))), RevocationUnknown},
		{"CRL with an unknown critical extension", crl(false, unknown), RevocationUnknown},
		{"twin: complete CRL", crl(false), RevocationGood},
		{"twin: CRL of user certificates only", crl(false, idp(boolean(1))), RevocationGood},
		{"twin: CRL for the signer's distribution point", crl(false, idp(dp(dp1), boolean(1))), RevocationGood},
		{"twin: complete CRL listing the signer", crl(true), RevocationRevoked},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := s.signedBy(t, plain, leaf, s.pki.Chain, sigOpts{adbeCRL: [][]byte{c.crl}})
			rep := verifyBytes(t, data, s.store())
			sg := rep.Signatures[0]
			want := StatusValid
			if c.revocation == RevocationRevoked {
				want = StatusUntrusted
			}
			if rep.Verdict != want || sg.Revocation != c.revocation {
				t.Fatalf("verdict %s, revocation %s; want %s, %s\n%s", rep.Verdict, sg.Revocation, want, c.revocation, dump(rep))
			}
		})
	}
}

// TestRedTeamS10ExpiredOCSPResponder: a delegated OCSP responder's certificate (id-kp-OCSPSigning,
// issued by the signer's CA) that had expired — or was not yet valid — when the response says it
// was produced made its "good" the signer's revocation status: the key of a retired responder
// vouched for anything. Now such a response is no evidence (revocation unknown); the twin's
// responder is valid then.
func TestRedTeamS10ExpiredOCSPResponder(t *testing.T) {
	plain, _ := makeDoc(docOpts{})
	s := newSigner(t, pki.ECDSAP256)
	ca := s10Cert{s.pki.Intermediate, s.pki.IntKey}
	responder := func(nb, na time.Time) s10Cert {
		return s10Issue(t, ca, s10Spec{cn: "S10 OCSP Responder", eku: []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 9}}, nb: nb, na: na})
	}
	day := 24 * time.Hour
	for _, c := range []struct {
		name       string
		resp       s10Cert
		revocation string
	}{
		{"responder expired before the response", responder(s.now.Add(-60*day), s.now.Add(-30*day)), RevocationUnknown},
		{"responder not yet valid at the response", responder(s.now.Add(day), s.now.Add(30*day)), RevocationUnknown},
		{"twin: responder valid at the response", responder(s.now.Add(-day), s.now.Add(365*day)), RevocationGood},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := ocsp.CreateResponse(ca.cert, c.resp.cert, ocsp.Response{Status: ocsp.Good, SerialNumber: s.cert.SerialNumber,
				ThisUpdate: s.now.Add(-time.Minute), NextUpdate: s.now.Add(day), Certificate: c.resp.cert}, c.resp.key)
			if err != nil {
				t.Fatal(err)
			}
			rep := verifyBytes(t, s.sign(t, plain, sigOpts{adbeOCSP: [][]byte{r}}), s.store())
			if sg := rep.Signatures[0]; rep.Verdict != StatusValid || sg.Revocation != c.revocation {
				t.Fatalf("verdict %s, revocation %s; want valid, %s\n%s", rep.Verdict, sg.Revocation, c.revocation, dump(rep))
			}
		})
	}
}
