package verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/pki"
)

// Signatures that verify but fall short of today's rules are not judged silently: each says why
// in its reasons (in both languages), beside its harmless twin that says nothing of the kind.
// (SHA-1 and RSA keys under 2048 bits are the algorithm policy's: TestRedTeamS8bAlgorithmPolicy.)
func TestWeakButValidSignaturesSayWhy(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	doc, _ := makeDoc(docOpts{})
	is := s.pki.Issuer()
	leaf := func(key any, isCA bool) *x509.Certificate {
		t.Helper()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()),
			Subject:   pkix.Name{CommonName: "李四", Organization: []string{"SealDesk Test"}},
			NotBefore: s.now.Add(-time.Hour), NotAfter: s.now.Add(365 * 24 * time.Hour),
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
			BasicConstraintsValid: true, IsCA: isCA}
		if isCA {
			tmpl.KeyUsage |= x509.KeyUsageCertSign
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, is.Cert, key.(crypto.Signer).Public(), is.Key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	withKey := func(key any, c *x509.Certificate) func(o *cms.SignOptions) {
		return func(o *cms.SignOptions) { o.Signer, o.Cert = key.(crypto.Signer), c }
	}
	junk := func(t testing.TB, der []byte) []byte { return append(der, 0xde, 0xad, 0xbe, 0xef) }
	cases := []struct {
		name, reason, zh string
		attack, twin     sigOpts
	}{
		{"CA certificate as signer", "the signer's certificate is a CA certificate (basicConstraints CA:TRUE), not an end-entity certificate", "不是最终实体证书",
			sigOpts{cmsOpts: withKey(ec, leaf(ec, true))}, sigOpts{cmsOpts: withKey(ec, leaf(ec, false))}},
		{"junk after the CMS", "/Contents holds 4 non-zero bytes after the CMS structure (unsigned data, ignored)", "4 个非零字节",
			sigOpts{derEdit: junk}, sigOpts{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, twin := range []bool{false, true} {
				o := c.attack
				if twin {
					o = c.twin
				}
				rep := verifyBytes(t, s.sign(t, doc, o), s.store())
				if len(rep.Signatures) != 1 {
					t.Fatalf("%d signatures", len(rep.Signatures))
				}
				sig := rep.Signatures[0]
				has := false
				for _, r := range sig.Reasons {
					if r == c.reason {
						has = true
						if zh := ReasonText(r, "zh"); !strings.Contains(zh, c.zh) {
							t.Errorf("Chinese reason %q lacks %q", zh, c.zh)
						}
					}
				}
				if has == twin {
					t.Errorf("twin=%v: reason %q present=%v; status %s, reasons %q", twin, c.reason, has, sig.Status, sig.Reasons)
				}
				if sig.Status == StatusInvalid {
					t.Errorf("twin=%v: a weak but intact signature judged invalid: %q", twin, sig.Reasons)
				}
			}
		})
	}
}
