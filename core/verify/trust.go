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

// signerEKUs reports whether the extended key usage OID x allows document signing (ekuAllows
// asks it of the OIDs crypto/x509 does not name: document signing, RFC 9336; Adobe Authentic
// Documents; Microsoft document signing).
func signerEKUs(x string) bool {
	switch x {
	case "1.3.6.1.5.5.7.3.36", "1.2.840.113583.1.1.5", "1.3.6.1.4.1.311.10.3.12", "1.3.6.1.5.5.7.3.4", "1.3.6.1.5.5.7.3.2", "2.5.29.37.0":
		return true
	}
	return false
}

// ekuAllows is the one extended key usage rule of a path's certificates, the leaf's and every
// CA's (EKU chaining, as NSS, OpenSSL and CryptoAPI apply it): a certificate without the
// extension allows every purpose; one with it allows purpose when it lists anyExtendedKeyUsage
// or a usage of purpose —
//   - purposeSigner: document signing (RFC 9336), Adobe Authentic Documents, Microsoft document
//     signing, e-mail protection and client authentication (what most personal signing
//     certificates, Chinese CAs' included, carry);
//   - purposeTSA: timeStamping;
//   - purposeAny: every certificate allows it.
//
// A CA restricted to TLS servers therefore vouches for no signer and no time-stamping authority
// (red team s10 WIN 2). The leaf of purposeTSA must in addition name timeStamping itself, alone
// (buildChain, tsaProfile).
func ekuAllows(c *x509.Certificate, purpose chainPurpose) bool {
	if purpose == purposeAny || !hasExtension(c, oidExtKeyUsage) {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		switch {
		case u == x509.ExtKeyUsageAny,
			purpose == purposeSigner && (u == x509.ExtKeyUsageEmailProtection || u == x509.ExtKeyUsageClientAuth),
			purpose == purposeTSA && u == x509.ExtKeyUsageTimeStamping:
			return true
		}
	}
	if purpose == purposeSigner {
		for _, u := range c.UnknownExtKeyUsage {
			if signerEKUs(u.String()) {
				return true
			}
		}
	}
	return false
}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

// ekuPathError: every path crypto/x509 (or verifySHA1Path, smx509) built has a CA certificate —
// an intermediate or the anchor — whose extended key usage does not allow the path's purpose
// (ekuAllows). ca is the first such CA of the first path.
type ekuPathError struct {
	ca      *x509.Certificate
	purpose chainPurpose
}

func (e *ekuPathError) Error() string {
	what := "document signing"
	if e.purpose == purposeTSA {
		what = "time stamping"
	}
	return fmt.Sprintf("the CA %q in the certificate path has an extended key usage that does not allow %s", e.ca.Subject.CommonName, what)
}

// purposeChains keeps the chains (leaf first) each of whose CA certificates allows purpose
// (ekuAllows); none left is an *ekuPathError. The leaf's own usages are buildChain's to judge.
func purposeChains(chains [][]*x509.Certificate, purpose chainPurpose) ([][]*x509.Certificate, error) {
	var keep [][]*x509.Certificate
	var first *x509.Certificate
	for _, ch := range chains {
		ok := true
		for _, c := range ch[1:] {
			if !ekuAllows(c, purpose) {
				if first == nil {
					first = c
				}
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, ch)
		}
	}
	switch {
	case len(keep) > 0:
		return keep, nil
	case first != nil:
		return nil, &ekuPathError{ca: first, purpose: purpose}
	}
	return nil, errors.New("no certificate path")
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
// from the PDF (never trusted themselves), whose CA certificates all allow purpose by their
// extended key usage (purposeChains), then checks the leaf's key usage and extended key usage for
// purpose.
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
		chains, err = s.verifySM(leaf, intermediates, at, purpose)
	} else {
		chains, err = s.verifyPath(leaf, intermediates, at, purpose)
	}
	if err != nil {
		var eku *ekuPathError
		if errors.As(err, &eku) {
			return chainResult{reason: eku.Error()}
		}
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
		if !ekuAllows(x, purposeSigner) {
			return chainResult{chain: res.chain, reason: "the signer certificate's extended key usage does not allow document signing"}
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
// listed), the purpose, and — the only way at enters the validation — whether at is before the
// start or after the end of the validity of each of those certificates. A later call with the
// same key would build the same chains; failures are not cached (their errors name the time).
// Only the chains whose CAs allow purpose are returned (purposeChains).
func (s *TrustStore) verifyPath(leaf *certInfo, intermediates []*certInfo, at time.Time, purpose chainPurpose) ([][]*x509.Certificate, error) {
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
	h.Write([]byte{0xff, byte(purpose)})
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
	if err == nil {
		chains, err = purposeChains(chains, purpose)
	}
	if err != nil {
		if c2, ran, err2 := s.verifySHA1Path(leaf, intermediates, at); ran {
			if err2 == nil {
				c2, err2 = purposeChains(c2, purpose)
			}
			// A path of crypto/x509 refused for its CAs' usages stays the reason when the
			// SHA-1 paths find nothing better.
			var eku *ekuPathError
			if err2 == nil || !errors.As(err, &eku) {
				chains, err = c2, err2
			}
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
// one, see AddPEM). Only the chains whose CAs allow purpose are returned (purposeChains).
func (s *TrustStore) verifySM(leaf *certInfo, intermediates []*certInfo, at time.Time, purpose chainPurpose) ([][]*x509.Certificate, error) {
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
	return purposeChains(out, purpose)
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
