package verify

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/tsa"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// TestOFDTimestampTSA: an OFD SES time stamp is judged by the PDF signature timestamp's rules
// (tsaValidate, tstInfo.latest, the algorithm policy; red team s8b F1, F2, F7 for PDFs): a token
// of a time-stamping authority whose certificate has expired proves no time, however far back
// it dates itself; a token with SHA-1 proves no time; a token's accuracy moves the time the
// seal's and the signer certificate's validity are judged at to genTime + accuracy. The twins,
// tokens of a currently valid authority with 1 s accuracy, date the signature at genTime.
//
// The signer's claimed time (TBS_Sign timeInfo) still decides the seal's validity when no token
// proves a time, so a token that proves none leaves the verdict the claimed time gives: the
// attack rows check that the token no longer dates the signature.
func TestOFDTimestampTSA(t *testing.T) {
	now := time.Now()
	pk := newOFDPKI(t)
	// The authorities' PKI began a year ago, so that it can issue a TSA certificate that expired.
	tp := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now.Add(-365 * 24 * time.Hour) }, NoServer: true})
	trusted := &Options{Trust: NewTrustStore(pk.root.cert, tp.Root)}

	// A TSA certificate that expired 7 days ago (valid for 60 days before).
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	expiredTSA, err := pki.Issue(tp.Issuer(), pki.Request{Profile: pki.ProfileTSA, PublicKey: key.Public(),
		Subject:   pkix.Name{CommonName: "Expired TSA", Organization: []string{"SealDesk Test"}},
		NotBefore: now.Add(-60 * 24 * time.Hour), NotAfter: now.Add(-7 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	type tsaSpec struct {
		cert     *x509.Certificate
		key      crypto.Signer
		genTime  time.Time
		accuracy time.Duration
		sha1     bool // SHA-1 message imprint and token digest
	}
	stamp := func(sp tsaSpec) func([]byte) []byte {
		return func(msg []byte) []byte {
			if sp.sha1 {
				// What core/tsa refuses to make: a SHA-1 imprint in a SHA-1 CMS (as tsToken's cmsSHA1).
				h := sha1.Sum(msg)
				info := derSeq(derInt(big.NewInt(1)), derOID(t, "1.3.6.1.4.1.99999.1.1"),
					derSeq(derSeq(derOID(t, oidSHA1), []byte{0x05, 0x00}), der(0, cms.TagOctetString, false, h[:])),
					derInt(big.NewInt(time.Now().UnixNano())), der(0, cms.TagGenTime, false, []byte(sp.genTime.UTC().Format("20060102150405Z"))))
				return rawCMS(t, sp.key, sp.cert, tp.Chain, crypto.SHA1, oidTSTInfo, info, nil, nil)
			}
			auth, err := tsa.New(tsa.Options{Cert: sp.cert, Key: sp.key, Chain: tp.Chain, Accuracy: sp.accuracy,
				Now: func() time.Time { return sp.genTime }})
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.Sum256(msg)
			tok, err := auth.Timestamp(context.Background(), crypto.SHA256, h[:])
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
	}
	// SM2 signers issued by the OFD root: one valid since 60 days ago, one that expired 5 days ago.
	signer := func(cn string, na time.Time) sm2Party {
		sk, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
		tpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-60 * 24 * time.Hour), NotAfter: na, KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := smx509.CreateCertificate(rand.Reader, tpl, pk.root.cert, &sk.PublicKey, pk.root.key)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := smx509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return sm2Party{sk, sc.ToX509()}
	}
	longSigner, expiredSigner := signer("某某有限公司", now.Add(365*24*time.Hour)), signer("过期的签章人", now.Add(-5*24*time.Hour))
	tenDaysAgo := now.Add(-10 * 24 * time.Hour)
	const month = 30 * 24 * time.Hour
	validTSA := func(acc time.Duration) tsaSpec { return tsaSpec{tp.TSA, tp.TSAKey, tenDaysAgo, acc, false} }
	sealExpired := func(o *sealOpts) {
		o.signer, o.validFrom, o.validTo, o.signTime = longSigner, now.Add(-40*24*time.Hour), now.Add(-5*24*time.Hour), tenDaysAgo
	}
	signerExpired := func(o *sealOpts) {
		o.signer, o.validFrom, o.signTime = expiredSigner, now.Add(-40*24*time.Hour), tenDaysAgo
	}

	rows := []struct {
		name   string
		opts   func(*sealOpts)
		ts     tsaSpec
		want   Verdict
		dated  bool   // the token dates the signature (Timestamp.Valid, TimeSource "timestamp")
		expiry bool   // Signature.Expired
		reason string // in the reasons
	}{
		{"expired TSA, token backdated into the seal's validity: no proof of time", sealExpired,
			tsaSpec{expiredTSA, key, tenDaysAgo, time.Second, false}, "", false, false,
			"SES time stamp: the time-stamping authority's certificate is not valid now nor at a later proof of existence"},
		{"expired TSA, token backdated into the signer certificate's validity: no proof of time", signerExpired,
			tsaSpec{expiredTSA, key, tenDaysAgo, time.Second, false}, StatusUntrusted, false, false,
			"SES time stamp: the time-stamping authority's certificate is not valid now nor at a later proof of existence"},
		{"SHA-1 token of a valid TSA: no proof of time", sealExpired,
			tsaSpec{tp.TSA, tp.TSAKey, tenDaysAgo, time.Second, true}, "", false, false,
			"SES time stamp: SHA1 as the timestamp's message imprint is not accepted after its sunset date"},
		{"±30 days: the seal that expired 5 days ago is judged at genTime + accuracy (now)", sealExpired,
			validTSA(month), StatusUntrusted, true, true, "outside the seal's validity"},
		{"±30 days: the signer certificate that expired 5 days ago is judged at genTime + accuracy (now)", signerExpired,
			validTSA(month), StatusUntrusted, true, true, "outside the signer certificate's validity"},
		{"twin: 1 s accuracy dates the signature inside the seal's validity", sealExpired,
			validTSA(time.Second), StatusValid, true, false, ""},
		{"twin: 1 s accuracy dates the signature inside the signer certificate's validity", signerExpired,
			validTSA(time.Second), StatusUntrusted, true, false, "signer: a certificate in the chain is not valid at"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			o := pk.defaults()
			r.opts(&o)
			o.timestamp = stamp(r.ts)
			rep, err := verifyOFDBytes(t, zipParts(t, genOFD(t, o)), trusted)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			reasons := strings.Join(s.Reasons, "; ")
			if r.want != "" && rep.Verdict != r.want {
				t.Errorf("verdict %s, want %s: %s", rep.Verdict, r.want, reasons)
			}
			if dated := s.Timestamp.Valid && s.TimeSource == "timestamp"; dated != r.dated {
				t.Errorf("dated by the token %v, want %v (%+v %q): %s", dated, r.dated, s.Timestamp, s.TimeSource, reasons)
			}
			if s.Expired != r.expiry {
				t.Errorf("expired %v, want %v: %s", s.Expired, r.expiry, reasons)
			}
			if !strings.Contains(reasons, r.reason) {
				t.Errorf("reasons lack %q: %s", r.reason, reasons)
			}
			if r.dated {
				if at, err := time.Parse(time.RFC3339, s.SigningTime); err != nil || at.Sub(tenDaysAgo).Abs() > time.Second {
					t.Errorf("signing time %q is not the token's genTime %s", s.SigningTime, tenDaysAgo.UTC().Format(time.RFC3339))
				}
			}
		})
	}
}
