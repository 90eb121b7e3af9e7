package pki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Revoked is one entry of a CRL, or the revoked state given to an OCSP response.
type Revoked struct {
	Serial    *big.Int
	RevokedAt time.Time
	// Reason is an RFC 5280 CRLReason code (0 unspecified, 1 keyCompromise, 4 superseded, …).
	Reason int
}

// CreateCRL signs a CRL for the issuer listing revoked. number must grow with every CRL the
// issuer publishes (the caller keeps it).
func CreateCRL(is Issuer, revoked []Revoked, number *big.Int, thisUpdate, nextUpdate time.Time) ([]byte, error) {
	if is.Cert == nil || is.Key == nil {
		return nil, errors.New("issuer certificate and key are required")
	}
	if is.Cert.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return nil, errors.New("issuer may not sign crls")
	}
	entries := make([]x509.RevocationListEntry, 0, len(revoked))
	for _, r := range revoked {
		entries = append(entries, x509.RevocationListEntry{
			SerialNumber: r.Serial, RevocationTime: r.RevokedAt.UTC(), ReasonCode: r.Reason,
		})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    number,
		ThisUpdate:                thisUpdate.UTC(),
		NextUpdate:                nextUpdate.UTC(),
		RevokedCertificateEntries: entries,
	}, is.Cert, is.Key)
	if err != nil {
		return nil, fmt.Errorf("failed to create crl: %w", err)
	}
	return der, nil
}

// CertStatus is what an OCSP responder says about one certificate.
type CertStatus struct {
	Serial     *big.Int
	Good       bool // false with RevokedAt zero means "unknown"
	RevokedAt  time.Time
	Reason     int
	ThisUpdate time.Time
	NextUpdate time.Time
}

// CreateOCSPResponse signs a basic OCSP response about st for a certificate issued by ca.
// responder/key is the signer: the CA itself, or a delegated ProfileOCSP certificate issued by
// ca (then it is embedded in the response so clients can check it). producedAt is the
// responder's clock.
func CreateOCSPResponse(ca, responder *x509.Certificate, key crypto.Signer, st CertStatus, producedAt time.Time) ([]byte, error) {
	if ca == nil || responder == nil || key == nil {
		return nil, errors.New("ca, responder certificate and key are required")
	}
	tmpl := ocsp.Response{
		SerialNumber: st.Serial,
		ThisUpdate:   st.ThisUpdate.UTC(),
		NextUpdate:   st.NextUpdate.UTC(),
		ProducedAt:   producedAt.UTC(),
	}
	switch {
	case st.Good:
		tmpl.Status = ocsp.Good
	case !st.RevokedAt.IsZero():
		tmpl.Status = ocsp.Revoked
		tmpl.RevokedAt = st.RevokedAt.UTC()
		tmpl.RevocationReason = st.Reason
	default:
		tmpl.Status = ocsp.Unknown
	}
	if responder != ca {
		if !responder.Equal(ca) {
			if err := responder.CheckSignatureFrom(ca); err != nil {
				return nil, fmt.Errorf("ocsp responder not issued by the ca: %w", err)
			}
			tmpl.Certificate = responder
		}
	}
	der, err := ocsp.CreateResponse(ca, responder, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("failed to create ocsp response: %w", err)
	}
	return der, nil
}

// ParseOCSPRequest parses a DER OCSP request (bounded by the caller's reader limit) and returns
// the serial asked about and whether the issuer hashes match ca.
func ParseOCSPRequest(der []byte, ca *x509.Certificate) (*big.Int, error) {
	if len(der) > 64<<10 {
		return nil, errors.New("ocsp request too large")
	}
	req, err := ocsp.ParseRequest(der)
	if err != nil {
		return nil, fmt.Errorf("failed to parse ocsp request: %w", err)
	}
	if !req.HashAlgorithm.Available() {
		return nil, errors.New("ocsp request uses an unavailable hash")
	}
	h := req.HashAlgorithm.New()
	h.Write(ca.RawSubject)
	if !bytes.Equal(h.Sum(nil), req.IssuerNameHash) {
		return nil, errors.New("ocsp request is for another issuer")
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(ca.RawSubjectPublicKeyInfo, &spki); err != nil {
		return nil, fmt.Errorf("failed to parse ca key: %w", err)
	}
	h = req.HashAlgorithm.New()
	h.Write(spki.Key.Bytes)
	if !bytes.Equal(h.Sum(nil), req.IssuerKeyHash) {
		return nil, errors.New("ocsp request is for another issuer key")
	}
	return req.SerialNumber, nil
}
