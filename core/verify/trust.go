package verify

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"sealdesk/core/pki"
)

// TrustStore holds the certificates a verification may chain to: the platform root, roots the
// user imported and, when asked for, the operating system's roots. Certificates found inside a
// PDF are only ever used as intermediates; they never become anchors by themselves.
type TrustStore struct {
	roots  []*x509.Certificate
	local  []*x509.Certificate
	system bool

	// paths caches successful path validations (see verifyPath): a file signed fifty times by
	// one signer would otherwise check the same chain's signatures fifty times.
	pathMu sync.Mutex
	paths  map[[sha256.Size]byte][]*x509.Certificate
}

// NewTrustStore returns a store anchored at roots (the platform root and user imports).
func NewTrustStore(roots ...*x509.Certificate) *TrustStore {
	s := &TrustStore{}
	for _, r := range roots {
		s.Add(r)
	}
	return s
}

// Add makes c a trust anchor.
func (s *TrustStore) Add(c *x509.Certificate) {
	if c == nil {
		return
	}
	for _, r := range s.roots {
		if r.Equal(c) {
			return
		}
	}
	s.roots = append(s.roots, c)
	s.forgetPaths()
}

// forgetPaths empties the path cache (the anchors changed).
func (s *TrustStore) forgetPaths() {
	s.pathMu.Lock()
	s.paths = nil
	s.pathMu.Unlock()
}

// AddLocal makes c an anchor that only this machine trusts: the root of the desktop's embedded
// backend (单机模式), whose CA issues certificates for what the person at the machine declares and
// whose TSA reads this machine's clock. Chains ending at it are checked like any other, but what
// it vouches for is not certified by a third party, so the report says so: a timestamp from its
// TSA is a local timestamp (Timestamp.Local, "本机时间戳（未经第三方认证）"), never an
// authoritative one. (Its person certificates are self-declared, which no anchor makes trusted.)
// An anchor added with both Add and AddLocal counts as a full anchor.
func (s *TrustStore) AddLocal(c *x509.Certificate) {
	if c == nil {
		return
	}
	for _, r := range s.local {
		if r.Equal(c) {
			return
		}
	}
	s.local = append(s.local, c)
	s.forgetPaths()
}

// isLocalOnly reports whether c is an anchor of AddLocal and not of Add.
func (s *TrustStore) isLocalOnly(c *x509.Certificate) bool {
	if s == nil || c == nil {
		return false
	}
	for _, r := range s.roots {
		if r.Equal(c) {
			return false
		}
	}
	for _, r := range s.local {
		if r.Equal(c) {
			return true
		}
	}
	return false
}

// AddPEM adds every CERTIFICATE block of a PEM (or a single DER certificate) as an anchor and
// returns how many it added.
func (s *TrustStore) AddPEM(data []byte) (int, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return 0, fmt.Errorf("no certificate found in trust file: %w", err)
	}
	for _, c := range certs {
		s.Add(c)
	}
	return len(certs), nil
}

// AddFile reads a PEM or DER certificate file into the store.
func (s *TrustStore) AddFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("failed to read trust file: %w", err)
	}
	return s.AddPEM(data)
}

// UseSystemRoots adds the operating system's roots as anchors.
//
// WARNING: system roots are web (TLS) anchors; many of them also issue document-signing
// certificates, but trusting them for signatures widens trust beyond what the platform vouches for.
func (s *TrustStore) UseSystemRoots() { s.system = true; s.forgetPaths() }

// Roots returns the explicit anchors (not the system ones).
func (s *TrustStore) Roots() []*x509.Certificate { return append([]*x509.Certificate(nil), s.roots...) }

func (s *TrustStore) pool() *x509.CertPool {
	var p *x509.CertPool
	if s != nil && s.system {
		if sp, err := x509.SystemCertPool(); err == nil {
			p = sp.Clone()
		}
	}
	if p == nil {
		p = x509.NewCertPool()
	}
	if s != nil {
		for _, r := range s.roots {
			p.AddCert(r)
		}
		for _, r := range s.local {
			p.AddCert(r)
		}
	}
	return p
}

func (s *TrustStore) empty() bool {
	return s == nil || (len(s.roots) == 0 && len(s.local) == 0 && !s.system)
}

// Extended key usages accepted for a document signer: document signing (RFC 9336), Adobe
// Authentic Documents, Microsoft document signing, e-mail protection and client authentication
// (what most personal signing certificates, Chinese CAs' included, carry).
func signerEKUs(x string) bool {
	switch x {
	case "1.3.6.1.5.5.7.3.36", "1.2.840.113583.1.1.5", "1.3.6.1.4.1.311.10.3.12", "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.2", "2.5.29.37.0":
		return true
	}
	return false
}

type chainPurpose int

const (
	purposeSigner chainPurpose = iota
	purposeTSA
	purposeAny // the path only (an OFD seal maker, whose key usage producers set freely)
)

// chainResult is the outcome of building a path to an anchor.
type chainResult struct {
	chain   []*x509.Certificate // leaf first, anchor last; nil when none was found
	trusted bool
	local   bool // the anchor is one of TrustStore.AddLocal only
	reason  string
}

// buildChain builds and checks a path from leaf to an anchor of s at time at, with intermediates
// from the PDF (never trusted themselves), then checks the leaf's key usage and extended key usage
// for purpose.
func (s *TrustStore) buildChain(leaf *certInfo, intermediates []*certInfo, at time.Time, purpose chainPurpose) chainResult {
	if leaf.x == nil {
		// A certificate crypto/x509 and smx509 refuse (negative serial, odd encodings, an
		// invalid IA5String or SAN in a real SM2 certificate) still had its signature checked
		// with the key read by parseKey; what is wrong with it is a reason it cannot be
		// trusted, not an integrity failure.
		if leaf.xErr != nil {
			return chainResult{reason: fmt.Sprintf("the certificate cannot be parsed for path validation (%v)", leaf.xErr)}
		}
		return chainResult{reason: "the certificate cannot be parsed for path validation"}
	}
	if s.empty() {
		return chainResult{reason: "no trust anchors are configured"}
	}
	var chains [][]*x509.Certificate
	var err error
	if leaf.sm || anySM(intermediates) {
		chains, err = s.verifySM(leaf, intermediates, at)
	} else {
		chains, err = s.verifyPath(leaf, intermediates, at)
	}
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return chainResult{reason: fmt.Sprintf("a certificate in the chain is not valid at %s", at.UTC().Format(time.RFC3339))}
		}
		var ua x509.UnknownAuthorityError
		var smua smx509.UnknownAuthorityError
		if errors.As(err, &ua) || errors.As(err, &smua) {
			return chainResult{reason: "the certificate does not chain to a trusted root"}
		}
		return chainResult{reason: "certificate path: " + err.Error()}
	}
	res := chainResult{chain: chains[0], trusted: true}
	res.local = s.isLocalOnly(res.chain[len(res.chain)-1])
	x := leaf.x
	switch purpose {
	case purposeSigner:
		if x.KeyUsage != 0 && x.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
			return chainResult{chain: res.chain, reason: "the signer certificate's key usage allows neither digitalSignature nor nonRepudiation"}
		}
		if len(x.ExtKeyUsage) > 0 || len(x.UnknownExtKeyUsage) > 0 {
			ok := false
			for _, u := range x.ExtKeyUsage {
				if u == x509.ExtKeyUsageAny || u == x509.ExtKeyUsageEmailProtection || u == x509.ExtKeyUsageClientAuth {
					ok = true
				}
			}
			for _, u := range x.UnknownExtKeyUsage {
				if signerEKUs(u.String()) {
					ok = true
				}
			}
			if !ok {
				return chainResult{chain: res.chain, reason: "the signer certificate's extended key usage does not allow document signing"}
			}
		}
	case purposeTSA:
		ok := false
		for _, u := range x.ExtKeyUsage {
			if u == x509.ExtKeyUsageTimeStamping {
				ok = true
			}
		}
		if !ok {
			return chainResult{chain: res.chain, reason: "the timestamp authority certificate lacks the timeStamping extended key usage"}
		}
		// RFC 3161 2.3: timeStamping is the only purpose, in a critical extension; the key
		// signs (digitalSignature or nonRepudiation) and is no CA's (red team s8b F5, F2).
		if why := tsaProfile(x); why != "" {
			return chainResult{chain: res.chain, reason: "the timestamp authority certificate " + why}
		}
	}
	return res
}

// tsaProfile says why x is not a time-stamping authority's certificate as RFC 3161 (2.3) and RFC
// 5280 describe one, "" when it is.
func tsaProfile(x *x509.Certificate) string {
	if len(x.ExtKeyUsage) != 1 || len(x.UnknownExtKeyUsage) != 0 {
		return "has purposes besides timeStamping"
	}
	for _, e := range x.Extensions {
		if e.Id.Equal(oidExtKeyUsage) && !e.Critical {
			return "has a timeStamping purpose that is not critical"
		}
	}
	if x.KeyUsage != 0 && x.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0 {
		return "has a key usage that allows neither digitalSignature nor nonRepudiation"
	}
	if x.BasicConstraintsValid && x.IsCA {
		return "is a CA certificate"
	}
	return ""
}

// oidExtKeyUsage is the extended key usage extension (RFC 5280 4.2.1.12).
var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// maxCachedPaths bounds TrustStore.paths.
const maxCachedPaths = 256

// verifyPath runs crypto/x509's path validation of leaf at time at with the intermediates (in
// their order) and the store's anchors. A success is cached under a key that fixes everything
// the validation reads: the DER of the leaf and of each intermediate in order, the anchors (the
// cache is emptied when they change, and not used with the system's roots, which cannot be
// listed), and — the only way at enters the validation — whether at is before the start or
// after the end of the validity of each of those certificates. A later call with the same key
// would build the same chains; failures are not cached (their errors name the time).
func (s *TrustStore) verifyPath(leaf *certInfo, intermediates []*certInfo, at time.Time) ([][]*x509.Certificate, error) {
	inter := x509.NewCertPool()
	var key [sha256.Size]byte
	cacheable := !s.system
	h := sha256.New()
	var lenBuf [8]byte
	add := func(c *x509.Certificate) {
		binary.BigEndian.PutUint64(lenBuf[:], uint64(len(c.Raw)))
		h.Write(lenBuf[:])
		h.Write(c.Raw)
		var when [2]byte
		if at.Before(c.NotBefore) {
			when[0] = 1
		}
		if at.After(c.NotAfter) {
			when[1] = 1
		}
		h.Write(when[:])
	}
	add(leaf.x)
	for _, c := range intermediates {
		if c.x != nil && c != leaf {
			inter.AddCert(c.x)
			add(c.x)
		}
	}
	h.Write([]byte{0xff})
	for _, r := range s.roots {
		add(r)
	}
	h.Write([]byte{0xff})
	for _, r := range s.local {
		add(r)
	}
	h.Sum(key[:0])
	if cacheable {
		s.pathMu.Lock()
		chain, ok := s.paths[key]
		s.pathMu.Unlock()
		if ok {
			chain = append([]*x509.Certificate(nil), chain...)
			chain[0] = leaf.x // the same DER; the caller's own parse
			return [][]*x509.Certificate{chain}, nil
		}
	}
	opts := x509.VerifyOptions{
		Roots:         s.pool(),
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}
	chains, err := leaf.x.Verify(opts)
	if err != nil {
		if c2, ran, err2 := s.verifySHA1Path(leaf, intermediates, at); ran {
			chains, err = c2, err2
		}
	}
	if err == nil && cacheable && len(chains) > 0 {
		s.pathMu.Lock()
		if s.paths == nil || len(s.paths) >= maxCachedPaths {
			s.paths = map[[sha256.Size]byte][]*x509.Certificate{}
		}
		s.paths[key] = append([]*x509.Certificate(nil), chains[0]...)
		s.pathMu.Unlock()
	}
	return chains, err
}

func anySM(cs []*certInfo) bool {
	for _, c := range cs {
		if c.sm {
			return true
		}
	}
	return false
}

// verifySM builds the path with gmsm's smx509, a fork of crypto/x509 that also knows SM2 keys
// and SM2-with-SM3 signatures; the anchors are the same ones (an SM2 root is added like an RSA
// one, see AddPEM).
func (s *TrustStore) verifySM(leaf *certInfo, intermediates []*certInfo, at time.Time) ([][]*x509.Certificate, error) {
	var roots *smx509.CertPool
	if s.system {
		if sp, err := smx509.SystemCertPool(); err == nil {
			roots = sp.Clone()
		}
	}
	if roots == nil {
		roots = smx509.NewCertPool()
	}
	for _, r := range append(append([]*x509.Certificate(nil), s.roots...), s.local...) {
		roots.AddCert((*smx509.Certificate)(r))
	}
	inter := smx509.NewCertPool()
	for _, c := range intermediates {
		if c.x != nil && c != leaf {
			inter.AddCert((*smx509.Certificate)(c.x))
		}
	}
	chains, err := (*smx509.Certificate)(leaf.x).Verify(smx509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	})
	if err != nil {
		return nil, err
	}
	out := make([][]*x509.Certificate, len(chains))
	for i, ch := range chains {
		for _, c := range ch {
			out[i] = append(out[i], c.ToX509())
		}
	}
	return out, nil
}

// ParseCertificates reads every CERTIFICATE block of a PEM (or a single DER certificate) with
// crypto/x509, and with gmsm's smx509 the SM2 certificates crypto/x509 cannot read. The
// results of smx509 are crypto/x509 Certificates (the same layout) whose PublicKey is an
// *ecdsa.PublicKey on the SM2 curve.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	data = pki.PEMText(data) // a BOM or UTF-16 from a Windows editor
	one := func(der []byte) (*x509.Certificate, error) {
		c, err := x509.ParseCertificate(der)
		if err == nil {
			return c, nil
		}
		if sm, smErr := smx509.ParseCertificate(der); smErr == nil {
			// Only SM2 certificates: smx509 is laxer than crypto/x509 elsewhere.
			if k, ok := sm.PublicKey.(*ecdsa.PublicKey); (ok && k.Curve == sm2.P256()) || sm.SignatureAlgorithm == x509.SignatureAlgorithm(smx509.SM2WithSM3) {
				return sm.ToX509(), nil
			}
		}
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	var certs []*x509.Certificate
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := one(b.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) > 0 {
		return certs, nil
	}
	c, err := one(data)
	if err != nil {
		return nil, errors.New("no certificate found")
	}
	return []*x509.Certificate{c}, nil
}
