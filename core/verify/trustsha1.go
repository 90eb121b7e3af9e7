package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"time"
)

// maxSHA1PathChecks bounds the signatures verifySHA1Path checks to pair certificates with their
// issuers (a file can carry many certificates of one issuer name).
const maxSHA1PathChecks = 256

// verifySHA1Path builds the path crypto/x509 refuses when a certificate in it is signed with
// SHA-1: CheckSignatureFrom rejects SHA-1 whatever the time (Go 1.18 on), so a signer of 2008
// with a timestamp of 2008 would have no path, and the reason would be that it does not chain.
// The algorithm policy decides instead (algpolicy.go, chainWeakness, judged by the caller at the
// proof of existence): the path is built here and every path built is judged.
//
// Each certificate's signature is checked with its issuer's real key (Certificate.CheckSignature,
// which verifies SHA-1); crypto/x509 then validates everything else — validity at at, CA flags,
// key usage, path length, name constraints, critical extensions — on stand-ins: the issuer keys
// that signed a SHA-1 certificate are replaced by fresh keys, one for each, and every
// certificate those keys signed (checked above) is signed again by its stand-in with
// ECDSA-SHA256 over its own unchanged TBSCertificate. The relation "this key signed this
// certificate" is the same as among the originals, and the chains are returned with the
// original certificates. An anchor only of the operating system's roots cannot be listed, so a
// SHA-1 certificate it signed directly still has no path. ran is false when no certificate
// (leaf or intermediate) is signed with SHA-1, or the checks would exceed maxSHA1PathChecks.
func (s *TrustStore) verifySHA1Path(leaf *certInfo, intermediates []*certInfo, at time.Time) (chains [][]*x509.Certificate, ran bool, err error) {
	certs := []*x509.Certificate{leaf.x}
	for _, c := range intermediates {
		if c.x != nil && c != leaf {
			certs = append(certs, c.x)
		}
	}
	anchors := append(append([]*x509.Certificate(nil), s.roots...), s.local...)
	parents := append(append([]*x509.Certificate(nil), certs[1:]...), anchors...)
	checks := 0
	// signer returns the issuer key (its SubjectPublicKeyInfo) that signed c among the keys
	// keep accepts, "" if none.
	signer := func(c *x509.Certificate, keep func(spki string) bool) string {
		for _, p := range parents {
			if !bytes.Equal(c.RawIssuer, p.RawSubject) || !keep(string(p.RawSubjectPublicKeyInfo)) {
				continue
			}
			if checks++; checks > maxSHA1PathChecks {
				return ""
			}
			if p.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
				return string(p.RawSubjectPublicKeyInfo)
			}
		}
		return ""
	}
	standIn := map[string]*ecdsa.PrivateKey{}
	for _, c := range certs {
		if !sha1Signature(c.SignatureAlgorithm) {
			continue
		}
		if k := signer(c, func(string) bool { return true }); k != "" && standIn[k] == nil {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return nil, false, err
			}
			standIn[k] = key
		}
	}
	if len(standIn) == 0 || checks > maxSHA1PathChecks {
		return nil, false, nil
	}
	original := map[*x509.Certificate]*x509.Certificate{}
	substitute := func(c *x509.Certificate, resign bool) *x509.Certificate {
		key := standIn[string(c.RawSubjectPublicKeyInfo)]
		var by *ecdsa.PrivateKey
		if resign {
			if k := signer(c, func(spki string) bool { return standIn[spki] != nil }); k != "" {
				by = standIn[k]
			}
		}
		if key == nil && by == nil {
			return c
		}
		d := *c
		if key != nil {
			d.PublicKey, d.PublicKeyAlgorithm = &key.PublicKey, x509.ECDSA
		}
		if by != nil {
			h := sha256.Sum256(c.RawTBSCertificate)
			sig, err := ecdsa.SignASN1(rand.Reader, by, h[:])
			if err != nil {
				return c
			}
			d.Signature, d.SignatureAlgorithm = sig, x509.ECDSAWithSHA256
		}
		original[&d] = c
		return &d
	}
	roots := x509.NewCertPool()
	if s.system {
		if sp, err := x509.SystemCertPool(); err == nil {
			roots = sp.Clone()
		}
	}
	for _, a := range anchors {
		roots.AddCert(substitute(a, false)) // an anchor's own signature is not checked
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(substitute(c, true))
	}
	chains, err = substitute(leaf.x, true).Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if checks > maxSHA1PathChecks {
		return nil, false, nil
	}
	for _, ch := range chains {
		for i, c := range ch {
			if o := original[c]; o != nil {
				ch[i] = o
			}
		}
	}
	return chains, true, err
}
