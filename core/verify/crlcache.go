package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"sync"
	"time"
)

// CRLs are read once per file and only up to a size (red team s10 DoS 1). A DSS may be updated
// by anyone after signing, and a root-signed CRL of 700,000 entries deflates to 1.8 MB: every
// certificate of every signature's path parsed every CRL again with x509.ParseRevocationList,
// which holds ~450 bytes per entry — 4.7 s of CPU and 532 MB for eight copies. Now:
//   - each distinct CRL (by its SHA-256) is parsed once per verification and kept as a map from
//     serial number to its entry, without x509's two slices of entries;
//   - a DSS CRL is decoded to at most maxCRLBytes; a longer one is not read;
//   - its entries are counted first by walking the DER headers, keeping nothing: a CRL of more
//     than maxCRLEntries entries, or one that would take the file's CRLs past
//     maxCRLEntriesPerFile, is not read;
//   - a CRL that was not read cannot be outweighed: when its issuer is the certificate's issuer,
//     the certificate's status is not good (it may still be revoked by other evidence), but
//     unknown with a note naming the limit — a flood of CRLs cannot hide a revocation.
const (
	maxCRLEntries        = 100_000
	maxCRLEntriesPerFile = 300_000
	// maxCRLBytes: a DSS CRL is decoded up to this size (100,000 entries take 2–4 MB); a
	// longer one is not read, and since its issuer is not known either, it keeps every
	// certificate's status from being good.
	maxCRLBytes = 8 << 20
)

// testHookCRLParse, when set, is called before each CRL x509 parses (crlcache_test.go).
var testHookCRLParse func()

// crlEntry is what a CRL says about one serial number.
type crlEntry struct {
	at     time.Time
	reason int
	exts   []pkix.Extension // kept for key and CA compromise (compromisedSince)
}

// parsedCRL is one distinct CRL of a verification.
type parsedCRL struct {
	once      sync.Once
	shell     *x509.RevocationList // the list without its entries: issuer, times, signature
	revoked   map[string]crlEntry  // by serial number (big.Int.Text(16))
	rawIssuer []byte
	notRead   string // why it was not read; "" when it was (or could not be parsed at all)
	anyIssuer bool   // not read and its issuer unknown: it stands for every issuer
	mu        sync.Mutex
	sigOK     map[string]bool // CheckSignatureFrom by the issuer certificate's SHA-256
}

// crlCache holds the CRLs of one verification.
type crlCache struct {
	mu      sync.Mutex
	byHash  map[[32]byte]*parsedCRL
	entries int // entries of the CRLs read so far
}

func newCRLCache() *crlCache { return &crlCache{byHash: map[[32]byte]*parsedCRL{}} }

// get returns the parsed form of der (nil cache: parsed without sharing, within the same
// limits).
func (c *crlCache) get(der []byte) *parsedCRL {
	if c == nil {
		c = newCRLCache()
	}
	h := sha256.Sum256(der)
	c.mu.Lock()
	p := c.byHash[h]
	if p == nil {
		p = &parsedCRL{}
		c.byHash[h] = p
	}
	c.mu.Unlock()
	p.once.Do(func() { p.parse(der, c) })
	return p
}

func (p *parsedCRL) parse(der []byte, c *crlCache) {
	issuer, n, ok := crlShape(der)
	if !ok {
		return // not a CRL this reader can walk; x509 would refuse it too
	}
	p.rawIssuer = issuer
	if n > maxCRLEntries {
		p.notRead = fmt.Sprintf("it lists %d certificates, more than the %d this verifier reads from one CRL", n, maxCRLEntries)
		return
	}
	c.mu.Lock()
	over := c.entries+n > maxCRLEntriesPerFile
	if !over {
		c.entries += n
	}
	c.mu.Unlock()
	if over {
		p.notRead = fmt.Sprintf("the file's CRLs together list more than the %d certificates this verifier reads", maxCRLEntriesPerFile)
		return
	}
	if testHookCRLParse != nil {
		testHookCRLParse()
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return
	}
	p.revoked = make(map[string]crlEntry, len(crl.RevokedCertificateEntries))
	for _, r := range crl.RevokedCertificateEntries {
		if r.SerialNumber == nil {
			continue
		}
		e := crlEntry{at: r.RevocationTime, reason: r.ReasonCode}
		if r.ReasonCode == reasonKeyCompromise || r.ReasonCode == reasonCACompromise {
			e.exts = r.Extensions
		}
		k := r.SerialNumber.Text(16)
		if _, dup := p.revoked[k]; !dup { // the first entry, as the linear search took it
			p.revoked[k] = e
		}
	}
	crl.RevokedCertificateEntries, crl.RevokedCertificates = nil, nil
	p.shell = crl
	p.sigOK = map[string]bool{}
}

// signedBy reports whether issuer signed the CRL (checked once per issuer).
func (p *parsedCRL) signedBy(issuer *x509.Certificate) bool {
	k := string(sha256Raw(issuer.Raw))
	p.mu.Lock()
	defer p.mu.Unlock()
	ok, done := p.sigOK[k]
	if !done {
		ok = p.shell.CheckSignatureFrom(issuer) == nil
		p.sigOK[k] = ok
	}
	return ok
}

func sha256Raw(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}

// crlShape walks a CRL's DER headers without keeping anything: it returns the raw issuer name
// and the number of revoked-certificate entries. CertificateList ::= SEQUENCE { tbsCertList
// SEQUENCE { version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name, thisUpdate
// Time, nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF … OPTIONAL, [0] crlExtensions
// OPTIONAL }, … }.
func crlShape(der []byte) (issuer []byte, entries int, ok bool) {
	list, _, ok := derElement(der, 0x30)
	if !ok {
		return nil, 0, false
	}
	tbs, _, ok := derElement(list, 0x30)
	if !ok {
		return nil, 0, false
	}
	if len(tbs) > 0 && tbs[0] == 0x02 { // version
		if _, tbs, ok = derElement(tbs, 0x02); !ok {
			return nil, 0, false
		}
	}
	if _, tbs, ok = derElement(tbs, 0x30); !ok { // signature
		return nil, 0, false
	}
	issuerStart := tbs
	if _, tbs, ok = derElement(tbs, 0x30); !ok {
		return nil, 0, false
	}
	issuer = issuerStart[:len(issuerStart)-len(tbs)]
	for i := 0; i < 2 && len(tbs) > 0 && (tbs[0] == 0x17 || tbs[0] == 0x18); i++ { // thisUpdate, nextUpdate
		if _, tbs, ok = derElement(tbs, tbs[0]); !ok {
			return nil, 0, false
		}
	}
	if len(tbs) == 0 || tbs[0] != 0x30 {
		return issuer, 0, true // no revoked certificates
	}
	seq, _, ok := derElement(tbs, 0x30)
	if !ok {
		return nil, 0, false
	}
	for len(seq) > 0 {
		if _, seq, ok = derElement(seq, 0x30); !ok {
			return nil, 0, false
		}
		entries++
	}
	return issuer, entries, true
}

// derElement reads one definite-length DER element of the given one-byte tag at the start of b:
// its content and what follows it.
func derElement(b []byte, tag byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	l := int(b[1])
	hdr := 2
	if l&0x80 != 0 {
		n := l & 0x7f
		if n == 0 || n > 4 || len(b) < 2+n {
			return nil, nil, false
		}
		l = 0
		for _, c := range b[2 : 2+n] {
			l = l<<8 | int(c)
		}
		hdr += n
	}
	if l < 0 || l > len(b)-hdr {
		return nil, nil, false
	}
	return b[hdr : hdr+l], b[hdr+l:], true
}

// sameIssuer reports whether the CRL names issuer as its issuer (byte-equal names, as the
// evidence rule requires).
func (p *parsedCRL) sameIssuer(rawIssuer []byte) bool {
	return p.anyIssuer || (p.rawIssuer != nil && bytes.Equal(p.rawIssuer, rawIssuer))
}
