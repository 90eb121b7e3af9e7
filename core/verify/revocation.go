package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"net/http"
	"sealdesk/core/cms"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Revocation statuses as reported.
const (
	RevocationGood    = "good"
	RevocationRevoked = "revoked"
	RevocationUnknown = "unknown"
)

// revocationData is the validation material a PDF carries: from the CMS (revocation-info
// attribute, SignedData crls) and from the DSS dictionary and its VRI entries.
type revocationData struct {
	ocsps [][]byte
	crls  [][]byte
	certs []*certInfo
	crlc  *crlCache // the verification's parsed CRLs (nil: each read on its own)
	// parsed are CRLs read when they were loaded (the DSS's), their bytes not kept.
	parsed []*parsedCRL
}

func (d *revocationData) add(o revocationData) {
	d.ocsps = append(d.ocsps, o.ocsps...)
	d.crls = append(d.crls, o.crls...)
	d.certs = append(d.certs, o.certs...)
	d.parsed = append(d.parsed, o.parsed...)
}

// addParsedCRL reads der now and keeps its parsed form, once per distinct CRL. truncated: the
// CRL is longer than maxCRLBytes and was not decoded (der is empty).
func (d *revocationData) addParsedCRL(der []byte, truncated bool) {
	if d.crlc == nil {
		d.crlc = newCRLCache()
	}
	var p *parsedCRL
	if truncated {
		p = &parsedCRL{anyIssuer: true,
			notRead: fmt.Sprintf("a CRL in the document is larger than the %d MB this verifier reads from one CRL", maxCRLBytes>>20)}
	} else {
		p = d.crlc.get(der)
	}
	for _, q := range d.parsed {
		if q == p {
			return
		}
	}
	d.parsed = append(d.parsed, p)
}

// parseAdbeRevInfo reads adbe-revocationInfoArchival: SEQUENCE { [0] crls, [1] ocsps, ... }.
func parseAdbeRevInfo(vals []node) revocationData {
	var d revocationData
	for _, v := range vals {
		for _, e := range v.Children {
			if len(e.Children) != 1 {
				continue
			}
			for _, item := range e.Children[0].Children {
				switch {
				case e.Is(2, 0):
					d.crls = append(d.crls, item.Raw)
				case e.Is(2, 1):
					d.ocsps = append(d.ocsps, item.Raw)
				}
			}
		}
	}
	return d
}

// revocationCheck is the status of one certificate.
type revocationCheck struct {
	status    string
	embedded  bool // decided from data in the document
	note      string
	revokedAt time.Time // when revoked, if the evidence says so (also after the signing time)
	// dropped: why data was not taken as evidence (the algorithm policy's sentences)
	dropped []string
}

// maxRevocationAge is how much older than the signing time revocation data may be and still
// speak for it (CRLs are commonly issued for a week).
const maxRevocationAge = 8 * 24 * time.Hour

// revEvidence is what one OCSP response or CRL says about one certificate.
type revEvidence struct {
	status     string    // RevocationGood, RevocationRevoked or RevocationUnknown (OCSP "unknown")
	revokedAt  time.Time // from when the certificate counts as revoked (compromisedSince)
	listedAt   time.Time // the revocation date the CRL entry or response gives, when revokedAt is earlier
	thisUpdate time.Time
	embedded   bool
	src        string // "embedded OCSP", "online CRL", …
	sha1Sig    bool   // the response or CRL is signed with SHA-1 (the algorithm policy)
}

// admit applies the algorithm policy (algpolicy.go) to e at poe, the earliest proof that the
// signature existed: an answer signed with SHA-1 after its sunset is no evidence that cert was
// good (rejected says why). Its "revoked" still counts: a forged revocation gains nobody a
// signature, and a genuine one must not be lost.
func (e revEvidence) admit(poe time.Time) (ok bool, rejected []string) {
	if !e.sha1Sig || e.status == RevocationRevoked {
		return true, nil
	}
	what := e.src // "embedded OCSP", "online CRL"
	if strings.HasSuffix(what, "OCSP") {
		what += " response"
	}
	weak := []weakAlg{{what: "SHA1 as the digest of the signature on the " + what, sunset: sunsetOf("SHA1")}}
	rejected, _ = judgeAlgorithms(weak, poe)
	return len(rejected) == 0, rejected
}

// checkCertRevocation decides the status of cert (issued by issuer) at time at (the signing
// time, or the time of a verified timestamp) by the revocation policy:
//
//  1. Every OCSP response and CRL the document carries for cert counts (CMS attribute,
//     SignedData crls, DSS and VRI), not the first one found.
//  2. "Revoked" anywhere wins: any of them, however old, that says cert was revoked at or
//     before at makes it revoked. A revocation for keyCompromise (or cACompromise) that carries
//     an invalidityDate (RFC 5280 §5.3.2, a CRL entry extension and an OCSP singleExtension)
//     earlier than the revocation date counts from the invalidityDate: the key was known to be
//     in other hands then, so a signature or timestamp after it proves nothing of its owner.
//  3. Otherwise the freshest that covers at decides — data covers at when it was produced no
//     more than maxRevocationAge before at, or after it. A revocation later than at leaves the
//     signature good at at, with a note.
//  4. Data that covers at only by being older (stale) decides nothing: the status is unknown,
//     with a note saying so; no data at all is unknown.
//
// A CRL that does not list cert is evidence of a good status only when it is complete for cert:
// not a delta CRL, not limited by its issuing distribution point to other certificates, reasons
// or distribution points, no unknown critical extension (crlIncomplete, red team s10 class B).
//
// An OCSP response or CRL signed with an algorithm past its sunset at poe (the proof of the
// signature's existence the algorithm policy uses) is no evidence of a good status (admit).
//
// Online OCSP/CRL (Options.Online) is asked only when the embedded data leaves cert unknown,
// and is then judged by the same rules together with it.
func checkCertRevocation(cert, issuer *x509.Certificate, data *revocationData, at, poe time.Time, fetch *onlineFetcher) revocationCheck {
	var ev []revEvidence
	var dropped []string
	add := func(e revEvidence) {
		if ok, why := e.admit(poe); !ok {
			dropped = append(dropped, why...)
			return
		}
		ev = append(ev, e)
	}
	for _, der := range data.ocsps {
		if e, ok := ocspEvidence(der, cert, issuer); ok {
			e.embedded, e.src = true, "embedded OCSP"
			add(e)
		}
	}
	var notRead string // a CRL of the issuer this verifier did not read (crlcache.go)
	crls := data.parsed
	for _, der := range data.crls {
		crls = append(crls, data.crlc.get(der))
	}
	for _, p := range crls {
		e, ok, why := crlEvidence(p, cert, issuer)
		if ok {
			e.embedded, e.src = true, "embedded CRL"
			add(e)
		} else if why != "" && notRead == "" {
			notRead = why
		}
	}
	unread := func(res revocationCheck) revocationCheck {
		if notRead != "" && (res.status == RevocationGood || (res.status == RevocationUnknown && res.note == "")) {
			// The unread CRL might list the certificate: it cannot be good, only unknown.
			return revocationCheck{status: RevocationUnknown, dropped: res.dropped,
				note: fmt.Sprintf("a CRL that may list the certificate was not read (%s): revocation status unknown", notRead)}
		}
		return res
	}
	res := decideRevocation(ev, at)
	if res.status != RevocationUnknown || fetch == nil {
		res.dropped = dropped
		return unread(res)
	}
	if der := fetch.ocsp(cert, issuer); der != nil {
		if e, ok := ocspEvidence(der, cert, issuer); ok {
			e.src = "online OCSP"
			add(e)
		}
	}
	for _, der := range fetch.crls(cert) {
		if e, ok, _ := crlEvidence(data.crlc.get(der), cert, issuer); ok {
			e.src = "online CRL"
			add(e)
		}
	}
	res = decideRevocation(ev, at)
	res.dropped = dropped
	return unread(res)
}

// decideRevocation applies the policy of checkCertRevocation to the evidence.
func decideRevocation(ev []revEvidence, at time.Time) revocationCheck {
	if len(ev) == 0 {
		return revocationCheck{status: RevocationUnknown}
	}
	// 2. Revoked anywhere, at or before at: the earliest such revocation is named.
	var rev *revEvidence
	for i := range ev {
		e := &ev[i]
		if e.status == RevocationRevoked && !e.revokedAt.After(at) && (rev == nil || e.revokedAt.Before(rev.revokedAt)) {
			rev = e
		}
	}
	if rev != nil {
		note := fmt.Sprintf("the certificate was revoked at %s (%s)", rev.revokedAt.UTC().Format(time.RFC3339), rev.src)
		if !rev.listedAt.IsZero() {
			note = fmt.Sprintf("the certificate's key counts as compromised from %s, the invalidityDate of its revocation for key compromise at %s (%s)",
				rev.revokedAt.UTC().Format(time.RFC3339), rev.listedAt.UTC().Format(time.RFC3339), rev.src)
		}
		return revocationCheck{status: RevocationRevoked, embedded: rev.embedded, revokedAt: rev.revokedAt, note: note}
	}
	// 3. The freshest covering evidence.
	var best *revEvidence
	for i := range ev {
		e := &ev[i]
		if e.thisUpdate.Before(at.Add(-maxRevocationAge)) {
			continue
		}
		if best == nil || e.thisUpdate.After(best.thisUpdate) {
			best = e
		}
	}
	if best == nil {
		newest := ev[0].thisUpdate
		for _, e := range ev[1:] {
			if e.thisUpdate.After(newest) {
				newest = e.thisUpdate
			}
		}
		return revocationCheck{status: RevocationUnknown,
			note: fmt.Sprintf("the newest revocation data (%s) is more than 8 days older than the signing time %s: revocation status unknown",
				newest.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))}
	}
	switch best.status {
	case RevocationRevoked: // revoked after at
		return revocationCheck{status: RevocationGood, embedded: best.embedded, revokedAt: best.revokedAt,
			note: fmt.Sprintf("the certificate was revoked at %s, after the signing time (%s)", best.revokedAt.UTC().Format(time.RFC3339), best.src)}
	case RevocationGood:
		res := revocationCheck{status: RevocationGood, embedded: best.embedded}
		for _, e := range ev {
			if e.status == RevocationRevoked { // later than at (earlier ones returned above)
				res.revokedAt = e.revokedAt
				res.note = fmt.Sprintf("the certificate was revoked at %s, after the signing time (%s)", e.revokedAt.UTC().Format(time.RFC3339), e.src)
			}
		}
		return res
	}
	return revocationCheck{status: RevocationUnknown, note: fmt.Sprintf("the freshest revocation data (%s) says the status is unknown", best.src)}
}

// ocspEvidence reads one OCSP response for cert. The response must be signed by the issuer or
// by a responder the issuer delegated (id-kp-OCSPSigning) — whose certificate, unless the
// response says revoked, is valid at the response's thisUpdate and producedAt — and name cert's
// serial.
func ocspEvidence(der []byte, cert, issuer *x509.Certificate) (revEvidence, bool) {
	r, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		// A response signed by the issuer that also carries the issuer's certificate.
		r2, err2 := ocsp.ParseResponseForCert(der, cert, nil)
		if err2 != nil || r2.Certificate == nil || !r2.Certificate.Equal(issuer) {
			return revEvidence{}, false
		}
		r = r2
	}
	if r.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		return revEvidence{}, false
	}
	if r.Certificate != nil && !r.Certificate.Equal(issuer) {
		delegated := false
		for _, u := range r.Certificate.ExtKeyUsage {
			if u == x509.ExtKeyUsageOCSPSigning {
				delegated = true
			}
		}
		if !delegated {
			return revEvidence{}, false
		}
		// A delegated responder speaks only while its certificate is valid: the key of an
		// expired one (or one not yet valid) vouches for nothing good, whatever times it
		// writes. Its "revoked" still counts, as for the algorithm policy (admit).
		for _, at := range []time.Time{r.ThisUpdate, r.ProducedAt} {
			if r.Status != ocsp.Revoked && (at.Before(r.Certificate.NotBefore) || at.After(r.Certificate.NotAfter)) {
				return revEvidence{}, false
			}
		}
	}
	e := revEvidence{thisUpdate: r.ThisUpdate, sha1Sig: sha1Signature(r.SignatureAlgorithm)}
	switch r.Status {
	case ocsp.Good:
		e.status = RevocationGood
	case ocsp.Revoked:
		e.status, e.revokedAt = RevocationRevoked, r.RevokedAt
		if c, ok := compromisedSince(r.RevocationReason, r.Extensions, r.RevokedAt); ok {
			e.revokedAt, e.listedAt = c, r.RevokedAt
		}
	default:
		e.status = RevocationUnknown
	}
	return e, true
}

// crlEvidence reads one CRL for cert: it must be the issuer's and signed by it. notRead says
// why a CRL of cert's issuer was not read (crlcache.go): it then is no evidence, and keeps the
// status from being good. Its entry for cert is a revocation whatever the CRL's scope; its
// silence is a good status only when it is complete for cert (crlIncomplete) — otherwise it is
// no evidence.
func crlEvidence(p *parsedCRL, cert, issuer *x509.Certificate) (e revEvidence, ok bool, notRead string) {
	if p.notRead != "" {
		if p.sameIssuer(cert.RawIssuer) {
			return revEvidence{}, false, p.notRead
		}
		return revEvidence{}, false, ""
	}
	if p.shell == nil || !bytes.Equal(p.shell.RawIssuer, cert.RawIssuer) || !p.signedBy(issuer) {
		return revEvidence{}, false, ""
	}
	e = revEvidence{status: RevocationGood, thisUpdate: p.shell.ThisUpdate, sha1Sig: sha1Signature(p.shell.SignatureAlgorithm)}
	if cert.SerialNumber != nil {
		if r, listed := p.revoked[cert.SerialNumber.Text(16)]; listed {
			e.status, e.revokedAt = RevocationRevoked, r.at
			if c, ok := compromisedSince(r.reason, r.exts, r.at); ok {
				e.revokedAt, e.listedAt = c, r.at
			}
		}
	}
	if e.status == RevocationGood && crlIncomplete(p.shell, cert) != "" {
		return revEvidence{}, false, ""
	}
	return e, true, ""
}

// CRL extensions (RFC 5280 §5.2).
const (
	oidCRLAuthorityKeyID = "2.5.29.35"
	oidCRLNumber         = "2.5.29.20"
	oidDeltaCRLIndicator = "2.5.29.27"
	oidIssuingDistPoint  = "2.5.29.28"
	oidFreshestCRL       = "2.5.29.46"
	oidCRLAuthorityInfo  = "1.3.6.1.5.5.7.1.1"
)

// crlIncomplete says why crl, whose entries do not name cert, does not show that cert is not
// revoked ("" when it does): a delta CRL lists only what changed since its base (RFC 5280
// §5.2.4); an issuing distribution point that limits the CRL to user or CA certificates, to
// attribute certificates, to some reasons, to an indirect CRL's entries, or to a distribution
// point none of cert's names (§5.2.5, §6.3.3 b) covers another part of the CA's certificates;
// and a critical extension we do not know forbids its use (§5.2). Such a CRL was once the
// "good" evidence of a certificate it says nothing about.
func crlIncomplete(crl *x509.RevocationList, cert *x509.Certificate) string {
	for _, e := range crl.Extensions {
		switch e.Id.String() {
		case oidCRLAuthorityKeyID, oidCRLNumber, oidFreshestCRL, oidCRLAuthorityInfo:
		case oidDeltaCRLIndicator:
			return "a delta CRL"
		case oidIssuingDistPoint:
			if why := idpScope(e.Value, cert); why != "" {
				return why
			}
		default:
			if e.Critical {
				return "a CRL with the unknown critical extension " + e.Id.String()
			}
		}
	}
	return ""
}

// idpScope reads an IssuingDistributionPoint (RFC 5280 §5.2.5) and says why the CRL does not
// cover cert, "" when it does.
//
//	IssuingDistributionPoint ::= SEQUENCE {
//	     distributionPoint          [0] DistributionPointName OPTIONAL,
//	     onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
//	     onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
//	     onlySomeReasons            [3] ReasonFlags OPTIONAL,
//	     indirectCRL                [4] BOOLEAN DEFAULT FALSE,
//	     onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
func idpScope(der []byte, cert *x509.Certificate) string {
	n, err := cms.ParseBERStrict(der)
	if err != nil || !n.Is(0, cms.TagSequence) {
		return "a CRL whose issuing distribution point is malformed"
	}
	isCA := cert.BasicConstraintsValid && cert.IsCA
	for i := range n.Children {
		c := &n.Children[i]
		if c.Class != 2 {
			return "a CRL whose issuing distribution point is malformed"
		}
		set := len(c.Content) == 1 && c.Content[0] != 0
		switch c.Tag {
		case 0:
			if !idpNamesCert(c, cert) {
				return "a CRL for another distribution point"
			}
		case 1:
			if set && isCA {
				return "a CRL of user certificates only"
			}
		case 2:
			if set && !isCA {
				return "a CRL of CA certificates only"
			}
		case 3:
			return "a CRL for some revocation reasons only"
		case 4:
			if set {
				return "an indirect CRL"
			}
		case 5:
			if set {
				return "a CRL of attribute certificates only"
			}
		default:
			return "a CRL whose issuing distribution point is malformed"
		}
	}
	return ""
}

// idpNamesCert reports whether the distributionPoint [0] of an issuing distribution point names
// a URI of cert's CRL distribution points (fullName [0] GeneralNames, uniformResourceIdentifier
// [6]); a name relative to the CRL issuer is not matched.
func idpNamesCert(dp *cms.Node, cert *x509.Certificate) bool {
	for i := range dp.Children {
		full := &dp.Children[i]
		if !full.Is(2, 0) {
			continue
		}
		for j := range full.Children {
			gn := &full.Children[j]
			if !gn.Is(2, 6) {
				continue
			}
			for _, u := range cert.CRLDistributionPoints {
				if u == string(gn.Content) {
					return true
				}
			}
		}
	}
	return false
}

// CRL reason codes (RFC 5280 §5.3.1) after which a key counts as compromised.
const (
	reasonKeyCompromise = 1
	reasonCACompromise  = 2
	oidInvalidityDate   = "2.5.29.24"
)

// compromisedSince returns the invalidityDate of a revocation for key (or CA) compromise when
// it is earlier than the revocation date: from then on the key counts as compromised. Other
// reasons, a missing, malformed or later invalidityDate leave the revocation date.
func compromisedSince(reason int, exts []pkix.Extension, revokedAt time.Time) (time.Time, bool) {
	if reason != reasonKeyCompromise && reason != reasonCACompromise {
		return time.Time{}, false
	}
	for _, e := range exts {
		if e.Id.String() != oidInvalidityDate {
			continue
		}
		n, err := cms.ParseBERStrict(e.Value)
		if err != nil || !n.Is(0, cms.TagGenTime) {
			return time.Time{}, false
		}
		t, err := n.TimeValue()
		if err != nil || !t.Before(revokedAt) {
			return time.Time{}, false
		}
		return t, true
	}
	return time.Time{}, false
}

// onlineFetcher asks OCSP responders and CRL distribution points; only used with Options.Online.
type onlineFetcher struct {
	client *http.Client
	ctx    context.Context
}

const maxFetchSize = 8 << 20

func (f *onlineFetcher) get(req *http.Request) []byte {
	resp, err := f.client.Do(req.WithContext(f.ctx))
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxFetchSize))
	if err != nil {
		return nil
	}
	return b
}

func (f *onlineFetcher) ocsp(cert, issuer *x509.Certificate) []byte {
	if len(cert.OCSPServer) == 0 {
		return nil
	}
	body, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return nil
	}
	for _, u := range cert.OCSPServer {
		req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		if err != nil {
			continue
		}
		req.Header.Set("Content-Type", "application/ocsp-request")
		if b := f.get(req); b != nil {
			return b
		}
	}
	return nil
}

func (f *onlineFetcher) crls(cert *x509.Certificate) [][]byte {
	var out [][]byte
	for _, u := range cert.CRLDistributionPoints {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			continue
		}
		if b := f.get(req); b != nil {
			out = append(out, b)
		}
	}
	return out
}

// chainRevocation checks every certificate of chain except the anchor at at, the algorithms of
// the revocation data at poe (checkCertRevocation). It returns the leaf's status, whether every
// status came from embedded data (LTV), and notes.
// revokedAt is when the leaf was revoked (zero if no evidence says so), also when that was after
// the signing time and the status is therefore good.
func chainRevocation(chain []*x509.Certificate, data *revocationData, at, poe time.Time, fetch *onlineFetcher) (status string, ltvOK bool, notes []string, revokedAt time.Time) {
	if len(chain) <= 1 {
		return RevocationUnknown, false, nil, time.Time{}
	}
	leafStatus := RevocationUnknown
	ltv := true
	for i := 0; i+1 < len(chain); i++ {
		rc := checkCertRevocation(chain[i], chain[i+1], data, at, poe, fetch)
		if i == 0 {
			leafStatus, revokedAt = rc.status, rc.revokedAt
		} else if rc.status == RevocationRevoked {
			leafStatus = RevocationRevoked
		}
		notes = append(notes, rc.dropped...)
		if rc.note != "" {
			notes = append(notes, rc.note)
		}
		// A CA certificate that names no OCSP responder or CRL cannot have revocation data;
		// it does not stand in the way of LTV.
		noPointer := i > 0 && len(chain[i].OCSPServer) == 0 && len(chain[i].CRLDistributionPoints) == 0
		if (rc.status != RevocationGood || !rc.embedded) && !noPointer {
			ltv = false
		}
	}
	return leafStatus, ltv, notes, revokedAt
}
