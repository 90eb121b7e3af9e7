package cms_test

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/cms"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
)

// countingSigner counts calls to Sign.
type countingSigner struct {
	crypto.Signer
	n atomic.Int32
}

func (c *countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

func digestOf(h crypto.Hash, b []byte) []byte {
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	content := []byte("the bytes a pdf byte range covers")
	cases := []struct {
		kt   pki.KeyType
		hash crypto.Hash
		pss  bool
	}{
		{pki.ECDSAP256, crypto.SHA256, false},
		{pki.ECDSAP384, crypto.SHA384, false},
		{pki.RSA2048, crypto.SHA256, false},
		{pki.RSA2048, crypto.SHA512, true},
		{pki.RSA3072, crypto.SHA384, false},
	}
	for _, c := range cases {
		cert, key := p.Leaf(t, "signer", c.kt)
		cs := &countingSigner{Signer: key}
		opts := cms.SignOptions{Signer: cs, Cert: cert, Chain: p.Chain, Hash: c.hash, PSS: c.pss, Digest: digestOf(c.hash, content)}
		max, err := cms.MaxSize(opts, 0)
		if err != nil {
			t.Fatal(err)
		}
		sd, err := cms.Sign(opts)
		if err != nil {
			t.Fatalf("%s/%v: %v", c.kt, c.hash, err)
		}
		der, err := sd.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if cs.n.Load() != 1 {
			t.Errorf("signer called %d times", cs.n.Load())
		}
		if len(der) > max {
			t.Errorf("%s: size %d above MaxSize %d", c.kt, len(der), max)
		}
		parsed, err := cms.Parse(append(der, make([]byte, 100)...))
		if err != nil {
			t.Fatal(err)
		}
		s := &parsed.Signers[0]
		sc := parsed.SignerCert(s)
		if sc == nil || !sc.Equal(cert) {
			t.Fatal("signer certificate not found")
		}
		if _, err := s.VerifySignature(sc, digestOf(c.hash, content)); err != nil {
			t.Errorf("%s/%v/pss=%v: %v", c.kt, c.hash, c.pss, err)
		}
		if _, err := s.VerifySignature(sc, digestOf(c.hash, []byte("other"))); err == nil {
			t.Error("signature verified over other content")
		}
		if cms.Attr(s.SignedAttrs, cms.OIDAttrSigningCertV2) == nil {
			t.Error("no signing-certificate-v2")
		}
		if _, ok := s.SigningTime(); ok {
			t.Error("signingTime present though not asked for")
		}
		verifyOpenSSL(t, p, der, content, c.pss)
	}
}

// TestPrepared checks that one preparation sizes and signs like MaxSize and Sign, and that it
// can sign several digests, each signature over its own (the template is not changed).
func TestPrepared(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048} {
		cert, key := p.Leaf(t, "signer", kt)
		cs := &countingSigner{Signer: key}
		opts := cms.SignOptions{Signer: cs, Cert: cert, Chain: p.Chain}
		prep, err := cms.Prepare(opts)
		if err != nil {
			t.Fatal(err)
		}
		max, err := prep.MaxSize(0)
		if err != nil {
			t.Fatal(err)
		}
		if want, err := cms.MaxSize(opts, 0); err != nil || max != want {
			t.Errorf("%s: Prepared.MaxSize %d, MaxSize %d (%v)", kt, max, want, err)
		}
		var sds []*cms.SignedData
		for _, content := range []string{"first", "second"} {
			sd, err := prep.Sign(digestOf(crypto.SHA256, []byte(content)))
			if err != nil {
				t.Fatal(err)
			}
			sds = append(sds, sd)
		}
		if cs.n.Load() != 2 {
			t.Errorf("signer called %d times for two signatures", cs.n.Load())
		}
		for i, content := range []string{"first", "second"} {
			der, err := sds[i].Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if len(der) > max {
				t.Errorf("%s: size %d above MaxSize %d", kt, len(der), max)
			}
			parsed, err := cms.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			s := &parsed.Signers[0]
			if _, err := s.VerifySignature(parsed.SignerCert(s), digestOf(crypto.SHA256, []byte(content))); err != nil {
				t.Errorf("%s: signature %d: %v", kt, i, err)
			}
			verifyOpenSSL(t, p, der, []byte(content), false)
		}
		if _, err := prep.Sign(nil); err == nil {
			t.Error("signed without a digest")
		}
		if _, err := prep.Sign(make([]byte, 20)); err == nil {
			t.Error("signed a 20-byte digest as SHA-256")
		}
	}
}

// verifyOpenSSL checks a detached SignedData with openssl cms (an independent implementation).
func verifyOpenSSL(t *testing.T, p *pkitest.PKI, der, content []byte, pss bool) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("openssl missing")
		}
		return
	}
	dir := t.TempDir()
	files := map[string][]byte{"sig.der": der, "content": content, "root.pem": pki.EncodeCertsPEM(p.Root)}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", filepath.Join(dir, "sig.der"),
		"-content", filepath.Join(dir, "content"), "-CAfile", filepath.Join(dir, "root.pem"), "-purpose", "any", "-out", os.DevNull).CombinedOutput()
	if err != nil {
		t.Errorf("openssl cms -verify (pss=%v): %v\n%s", pss, err, out)
	}
}

func TestEncapsulatedAndUnsigned(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	content := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	sd, err := cms.Sign(cms.SignOptions{Signer: p.TSAKey, Cert: p.TSA, Content: content, ContentType: cms.OIDTSTInfo, SigningTime: &now})
	if err != nil {
		t.Fatal(err)
	}
	sd.AddTimestamp([]byte{0x30, 0x00})
	der, err := sd.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := cms.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	if string(parsed.EContent) != string(content) || !parsed.EContentType.Equal(cms.OIDTSTInfo) {
		t.Fatal("encapsulated content lost")
	}
	s := &parsed.Signers[0]
	if st, ok := s.SigningTime(); !ok || !st.Equal(now) {
		t.Errorf("signing time %v %v", st, ok)
	}
	if s.Timestamp() == nil {
		t.Error("unsigned timestamp attribute lost")
	}
	d := sha256.Sum256(content)
	if _, err := s.VerifySignature(parsed.SignerCert(s), d[:]); err != nil {
		t.Error(err)
	}
}

func TestRefusals(t *testing.T) {
	p := pkitest.New(t, &pkitest.Options{NoServer: true})
	cert, key := p.Leaf(t, "a", "")
	_, other := p.Leaf(t, "b", "")
	d := sha512.Sum512([]byte("x"))
	if _, err := cms.Sign(cms.SignOptions{Signer: other, Cert: cert, Digest: d[:32]}); err == nil {
		t.Error("key not matching the certificate accepted")
	}
	if _, err := cms.Sign(cms.SignOptions{Signer: key, Cert: cert, Hash: crypto.SHA1, Digest: d[:20]}); err == nil {
		t.Error("sha-1 accepted")
	}
	if _, err := cms.Sign(cms.SignOptions{Signer: key, Cert: cert, Digest: d[:]}); err == nil {
		t.Error("digest of the wrong length accepted")
	}
	var _ = x509.Certificate{}
}

func FuzzParse(f *testing.F) {
	p := pkitest.New(f, &pkitest.Options{NoServer: true})
	cert, key := p.Leaf(f, "fuzz", "")
	d := sha256.Sum256([]byte("seed"))
	sd, err := cms.Sign(cms.SignOptions{Signer: key, Cert: cert, Chain: p.Chain, Digest: d[:]})
	if err != nil {
		f.Fatal(err)
	}
	sd.AddTimestamp([]byte{0x30, 0x00})
	der, _ := sd.Marshal()
	f.Add(der)
	f.Add(der[:len(der)/2])
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		parsed, err := cms.Parse(b)
		if err != nil {
			return
		}
		for i := range parsed.Signers {
			s := &parsed.Signers[i]
			if c := parsed.SignerCert(s); c != nil {
				s.VerifySignature(c, d[:])
			}
			s.MessageDigest()
			s.SigningTime()
		}
	})
}
