// Package pkitest builds a throw-away PKI for tests: root → intermediate → leaves, a TSA and an
// OCSP responder certificate, all generated per run with an injected clock, plus a loopback HTTP
// server for OCSP, CRL and caIssuers, and an NSS database trusting the root for poppler's pdfsig.
//
// It never writes outside the directories the test gives it and never uses the network beyond
// 127.0.0.1. Nothing here is fit for production: keys live in memory and revocation state in a map.
package pkitest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sealdesk/core/pki"
)

// Options tune New; nil means defaults (P-256 keys everywhere, clock = time.Now).
type Options struct {
	// KeyType of the root, intermediate, TSA and OCSP keys.
	KeyType pki.KeyType
	// Now is the clock; certificates are valid from Now()-1h for 10 years.
	Now func() time.Time
	// ExtraIntermediates adds that many CA levels between the root and the issuing CA (a long chain).
	ExtraIntermediates int
	// NoServer skips the loopback OCSP/CRL server (certificates then carry no AIA/CDP URLs).
	NoServer bool
}

// PKI is one test PKI.
type PKI struct {
	Now          func() time.Time
	Root         *x509.Certificate
	RootKey      crypto.Signer
	Intermediate *x509.Certificate // the CA that issues leaves
	IntKey       crypto.Signer
	// Chain is issuing CA first, root last (leaf excluded).
	Chain   []*x509.Certificate
	TSA     *x509.Certificate
	TSAKey  crypto.Signer
	OCSP    *x509.Certificate
	OCSPKey crypto.Signer
	URL     string // base URL of the loopback server, "" with NoServer

	mu       sync.Mutex
	revoked  map[string]pki.Revoked
	crlNum   int64
	Requests map[string]int // path → number of HTTP requests served
	issuer   pki.Issuer
}

// New builds the PKI and, unless opts.NoServer, starts its loopback server (closed at cleanup).
func New(t testing.TB, opts *Options) *PKI {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	kt := opts.KeyType
	if kt == "" {
		kt = pki.ECDSAP256
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	p := &PKI{Now: now, revoked: map[string]pki.Revoked{}, Requests: map[string]int{}}
	nb, na := now().Add(-time.Hour), now().Add(10*365*24*time.Hour)
	var err error
	p.RootKey = mustKey(t, kt)
	p.Root, err = pki.SelfSign(p.RootKey, pkix.Name{CommonName: "SealDesk Test Root", Organization: []string{"SealDesk Test"}}, nb, na)
	if err != nil {
		t.Fatal(err)
	}
	if !opts.NoServer {
		srv := httptest.NewServer(http.HandlerFunc(p.serve))
		t.Cleanup(srv.Close)
		p.URL = srv.URL
	}
	parent := pki.Issuer{Cert: p.Root, Key: p.RootKey}
	if p.URL != "" {
		// CAs below the root carry the root's CRL, so every non-anchor certificate of a chain
		// has revocation data (what a B-LT signature needs).
		parent.CRLURL = p.URL + "/root.crl"
	}
	chain := []*x509.Certificate{p.Root}
	for i := 0; i <= opts.ExtraIntermediates; i++ {
		key := mustKey(t, kt)
		var cert *x509.Certificate
		if i == opts.ExtraIntermediates {
			cert, err = pki.Issue(parent, pki.Request{Profile: pki.ProfileIntermediateCA, PublicKey: key.Public(),
				Subject: pkix.Name{CommonName: "SealDesk Test Issuing CA", Organization: []string{"SealDesk Test"}}, NotBefore: nb, NotAfter: na})
		} else {
			cert, err = issueSubCA(parent, key, i, nb, na)
		}
		if err != nil {
			t.Fatal(err)
		}
		chain = append([]*x509.Certificate{cert}, chain...)
		parent = pki.Issuer{Cert: cert, Key: key}
		p.Intermediate, p.IntKey = cert, key
	}
	p.Chain = chain
	p.issuer = pki.Issuer{Cert: p.Intermediate, Key: p.IntKey}
	if p.URL != "" {
		p.issuer.OCSPURL = p.URL + "/ocsp"
		p.issuer.CAIssuerURL = p.URL + "/ca.cer"
		p.issuer.CRLURL = p.URL + "/ca.crl"
	}
	p.TSAKey = mustKey(t, kt)
	p.TSA, err = pki.Issue(p.issuer, pki.Request{Profile: pki.ProfileTSA, PublicKey: p.TSAKey.Public(),
		Subject: pkix.Name{CommonName: "SealDesk Test TSA", Organization: []string{"SealDesk Test"}}, NotBefore: nb, NotAfter: na})
	if err != nil {
		t.Fatal(err)
	}
	p.OCSPKey = mustKey(t, kt)
	p.OCSP, err = pki.Issue(pki.Issuer{Cert: p.Intermediate, Key: p.IntKey}, pki.Request{Profile: pki.ProfileOCSP, PublicKey: p.OCSPKey.Public(),
		Subject: pkix.Name{CommonName: "SealDesk Test OCSP", Organization: []string{"SealDesk Test"}}, NotBefore: nb, NotAfter: na})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// issueSubCA issues a CA with no path-length limit below parent (used for long chains).
func issueSubCA(parent pki.Issuer, key crypto.Signer, i int, nb, na time.Time) (*x509.Certificate, error) {
	serial, _ := pki.RandomSerial()
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "SealDesk Test Sub CA " + string(rune('A'+i))},
		NotBefore: nb, NotAfter: na, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.Cert, key.Public(), parent.Key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func mustKey(t testing.TB, kt pki.KeyType) crypto.Signer {
	t.Helper()
	k, err := pki.GenerateKey(kt)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Leaf issues a person certificate with a new key of type kt ("" = P-256).
func (p *PKI) Leaf(t testing.TB, name string, kt pki.KeyType) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	if kt == "" {
		kt = pki.ECDSAP256
	}
	key := mustKey(t, kt)
	nb := p.Now().Add(-time.Hour)
	cert, err := pki.Issue(p.issuer, pki.Request{Profile: pki.ProfilePerson, PublicKey: key.Public(),
		Subject: pkix.Name{CommonName: name, Organization: []string{"SealDesk Test"}}, NotBefore: nb, NotAfter: nb.Add(2 * 365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// Issuer returns the issuing CA as a pki.Issuer (with the loopback URLs).
func (p *PKI) Issuer() pki.Issuer { return p.issuer }

// Pool returns a pool holding only the root.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}

// Revoke marks serial revoked at time at for OCSP and CRL.
func (p *PKI) Revoke(serial *big.Int, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.revoked[serial.String()] = pki.Revoked{Serial: serial, RevokedAt: at, Reason: 1}
}

// CRL returns a fresh CRL of the issuing CA.
func (p *PKI) CRL() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.crlNum++
	list := make([]pki.Revoked, 0, len(p.revoked))
	for _, r := range p.revoked {
		list = append(list, r)
	}
	now := p.Now()
	return pki.CreateCRL(p.issuer, list, big.NewInt(p.crlNum), now.Add(-time.Minute), now.Add(7*24*time.Hour))
}

// OCSPResponse answers for serial using the delegated responder.
func (p *PKI) OCSPResponse(serial *big.Int) ([]byte, error) {
	p.mu.Lock()
	r, revoked := p.revoked[serial.String()]
	p.mu.Unlock()
	now := p.Now()
	st := pki.CertStatus{Serial: serial, Good: !revoked, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(24 * time.Hour)}
	if revoked {
		st.RevokedAt, st.Reason = r.RevokedAt, r.Reason
	}
	return pki.CreateOCSPResponse(p.Intermediate, p.OCSP, p.OCSPKey, st, now)
}

func (p *PKI) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.Requests[r.URL.Path]++
	p.mu.Unlock()
	switch r.URL.Path {
	case "/ca.cer":
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.Write(p.Intermediate.Raw)
	case "/root.crl":
		now := p.Now()
		der, err := pki.CreateCRL(pki.Issuer{Cert: p.Root, Key: p.RootKey}, nil, big.NewInt(1), now.Add(-time.Minute), now.Add(7*24*time.Hour))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(der)
	case "/ca.crl":
		der, err := p.CRL()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(der)
	case "/ocsp":
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		serial, err := pki.ParseOCSPRequest(body, p.Intermediate)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		der, err := p.OCSPResponse(serial)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
	default:
		http.NotFound(w, r)
	}
}

// NSSDB creates an NSS database in a temp dir trusting the root (for `pdfsig -nssdir`) and
// returns its "sql:DIR" spec. It skips the test when certutil is missing, unless SEALDESK_CI is
// set, in which case it fails.
func (p *PKI) NSSDB(t testing.TB) string {
	t.Helper()
	RequireTool(t, "certutil")
	dir := t.TempDir()
	rootPEM := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(rootPEM, pki.EncodeCertsPEM(p.Root), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-N", "--empty-password", "-d", "sql:" + dir},
		{"-A", "-n", "sealdesk-test-root", "-t", "CT,C,C", "-i", rootPEM, "-d", "sql:" + dir},
	} {
		if out, err := exec.Command("certutil", args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil %v: %v\n%s", args, err, out)
		}
	}
	return "sql:" + dir
}

// RequireTool skips (or, under SEALDESK_CI, fails) when an external tool is not on PATH.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatalf("%s is required under SEALDESK_CI but not found", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}
