package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
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
}

func (d *revocationData) add(o revocationData) {
	d.ocsps = append(d.ocsps, o.ocsps...)
	d.crls = append(d.crls, o.crls...)
	d.certs = append(d.certs, o.certs...)
}

// parseAdbeRevInfo reads adbe-revocationInfoArchival: SEQUENCE { [0] crls, [1] ocsps, ... }.
func parseAdbeRevInfo(vals []node) revocationData {
	var d revocationData
	for _, v := range vals {
		for _, e := range v.children {
			if len(e.children) != 1 {
				continue
			}
			for _, item := range e.children[0].children {
				switch {
				case e.is(2, 0):
					d.crls = append(d.crls, item.raw)
				case e.is(2, 1):
					d.ocsps = append(d.ocsps, item.raw)
				}
			}
		}
	}
	return d
}

// revocationCheck is the status of one certificate.
type revocationCheck struct {
	status   string
	embedded bool // decided from data in the document
	note     string
}

// maxRevocationAge is how much older than the signing time revocation data may be and still
// speak for it (CRLs are commonly issued for a week).
const maxRevocationAge = 8 * 24 * time.Hour

// checkCertRevocation decides the status of cert (issued by issuer) at time at from embedded
// data, then online when fetch is given.
func checkCertRevocation(cert, issuer *x509.Certificate, data *revocationData, at time.Time, fetch *onlineFetcher) revocationCheck {
	res := revocationCheck{status: RevocationUnknown}
	decide := func(st string, revokedAt time.Time, embedded bool, src string) bool {
		switch st {
		case RevocationGood:
			res = revocationCheck{status: RevocationGood, embedded: embedded}
			return true
		case RevocationRevoked:
			if revokedAt.After(at) {
				res = revocationCheck{status: RevocationGood, embedded: embedded,
					note: fmt.Sprintf("the certificate was revoked at %s, after the signing time (%s)", revokedAt.UTC().Format(time.RFC3339), src)}
				return true
			}
			res = revocationCheck{status: RevocationRevoked, embedded: embedded,
				note: fmt.Sprintf("the certificate was revoked at %s (%s)", revokedAt.UTC().Format(time.RFC3339), src)}
			return true
		}
		return false
	}
	for _, der := range data.ocsps {
		if st, rt, ok := ocspStatus(der, cert, issuer, at); ok && decide(st, rt, true, "embedded OCSP") {
			return res
		}
	}
	for _, der := range data.crls {
		if st, rt, ok := crlStatus(der, cert, issuer, at); ok && decide(st, rt, true, "embedded CRL") {
			return res
		}
	}
	if fetch != nil {
		if der := fetch.ocsp(cert, issuer); der != nil {
			if st, rt, ok := ocspStatus(der, cert, issuer, time.Time{}); ok && decide(st, rt, false, "online OCSP") {
				return res
			}
		}
		for _, der := range fetch.crls(cert) {
			if st, rt, ok := crlStatus(der, cert, issuer, time.Time{}); ok && decide(st, rt, false, "online CRL") {
				return res
			}
		}
	}
	return res
}

// ocspStatus evaluates one OCSP response for cert. The response must be signed by the issuer or
// by a responder the issuer delegated (id-kp-OCSPSigning), and be produced not long before at.
func ocspStatus(der []byte, cert, issuer *x509.Certificate, at time.Time) (string, time.Time, bool) {
	r, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		// A response signed by the issuer that also carries the issuer's certificate.
		r2, err2 := ocsp.ParseResponseForCert(der, cert, nil)
		if err2 != nil || r2.Certificate == nil || !r2.Certificate.Equal(issuer) {
			return "", time.Time{}, false
		}
		r = r2
	}
	if r.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		return "", time.Time{}, false
	}
	if r.Certificate != nil && !r.Certificate.Equal(issuer) {
		delegated := false
		for _, u := range r.Certificate.ExtKeyUsage {
			if u == x509.ExtKeyUsageOCSPSigning {
				delegated = true
			}
		}
		if !delegated {
			return "", time.Time{}, false
		}
	}
	if !at.IsZero() && r.ThisUpdate.Before(at.Add(-maxRevocationAge)) {
		return "", time.Time{}, false
	}
	switch r.Status {
	case ocsp.Good:
		return RevocationGood, time.Time{}, true
	case ocsp.Revoked:
		return RevocationRevoked, r.RevokedAt, true
	}
	return "", time.Time{}, false
}

// crlStatus evaluates one CRL for cert: it must be signed by the issuer and current around at.
func crlStatus(der []byte, cert, issuer *x509.Certificate, at time.Time) (string, time.Time, bool) {
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return "", time.Time{}, false
	}
	if !bytes.Equal(crl.RawIssuer, cert.RawIssuer) || crl.CheckSignatureFrom(issuer) != nil {
		return "", time.Time{}, false
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return RevocationRevoked, e.RevocationTime, true
		}
	}
	if !at.IsZero() && crl.ThisUpdate.Before(at.Add(-maxRevocationAge)) {
		return "", time.Time{}, false
	}
	return RevocationGood, time.Time{}, true
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

// chainRevocation checks every certificate of chain except the anchor. It returns the leaf's
// status, whether every status came from embedded data (LTV), and notes.
func chainRevocation(chain []*x509.Certificate, data *revocationData, at time.Time, fetch *onlineFetcher) (string, bool, []string) {
	if len(chain) == 0 {
		return RevocationUnknown, false, nil
	}
	if len(chain) == 1 {
		return RevocationUnknown, false, nil
	}
	leafStatus := RevocationUnknown
	ltv := true
	var notes []string
	for i := 0; i+1 < len(chain); i++ {
		rc := checkCertRevocation(chain[i], chain[i+1], data, at, fetch)
		if i == 0 {
			leafStatus = rc.status
		} else if rc.status == RevocationRevoked {
			leafStatus = RevocationRevoked
		}
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
	return leafStatus, ltv, notes
}
