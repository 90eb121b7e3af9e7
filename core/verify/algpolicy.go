package verify

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"
)

// The algorithm policy, in the manner of ETSI TS 119 312 and the default validation policy of
// the EU's DSS (constraint.xml, AlgoExpirationDate): an algorithm that no longer protects a
// signature is accepted only where something proves that the signature (or timestamp) existed
// before the algorithm's sunset date — a trusted timestamp over it, or a later trusted document
// timestamp. Without such a proof the signature cannot be trusted: status untrusted, with a
// reason naming the algorithm and its sunset date, never "valid with a warning" (red team s8b
// F4, F4b: a SHA-1 chosen-prefix collision of the signed bytes carries the signature over to
// another document). MD5 is refused outright (digestFor): its collisions are older than any
// timestamp a document of ours could carry.
//
// A weak algorithm in a timestamp token (its message imprint, the digest of its own CMS, the
// authority's key) makes the token no proof of time, unless a later trusted document timestamp
// proves the token existed before the sunset (red team s8b F2, F2b).
var algSunsets = [...]struct {
	name   string
	sunset time.Time
	source string
}{
	{"SHA1", time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC), "ETSI TS 102 176-1 V2.0.0, DSS"},
	{"RSA<1536", time.Date(2009, 1, 1, 0, 0, 0, 0, time.UTC), "ETSI TS 102 176-1 V2.0.0, DSS (1024-bit keys)"},
	{"RSA<2048", time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), "ETSI TS 119 312 V1.1.1, DSS (1536-bit keys)"},
}

func sunsetOf(name string) time.Time {
	for _, a := range algSunsets {
		if a.name == name {
			return a.sunset
		}
	}
	panic("verify: no sunset for " + name)
}

// weakAlg is one algorithm a signature or token relies on that the policy accepts only before
// its sunset.
type weakAlg struct {
	what   string // "SHA1 as the digest of the signed data", "the signer's RSA key of 1024 bits"
	sunset time.Time
}

// digestWeakness: the digest d, used as role ("the digest of the signed data").
func digestWeakness(d digestAlg, role string) []weakAlg {
	if d.oid == oidSHA1 {
		return []weakAlg{{what: "SHA1 as " + role, sunset: sunsetOf("SHA1")}}
	}
	return nil
}

// keyWeakness: an RSA key under 2048 bits of whose ("the signer's").
func keyWeakness(c *certInfo, whose string) []weakAlg {
	if c == nil {
		return nil
	}
	return rsaWeakness(c.key.rsa, whose)
}

// rsaWeakness: k, when it is an RSA key under 2048 bits, of whose.
func rsaWeakness(k *rsa.PublicKey, whose string) []weakAlg {
	if k == nil {
		return nil
	}
	bits := k.N.BitLen()
	switch {
	case bits < 1536:
		return []weakAlg{{what: fmt.Sprintf("%s RSA key of %d bits", whose, bits), sunset: sunsetOf("RSA<1536")}}
	case bits < 2048:
		return []weakAlg{{what: fmt.Sprintf("%s RSA key of %d bits", whose, bits), sunset: sunsetOf("RSA<2048")}}
	}
	return nil
}

// sha1Signature says whether a signature of algorithm a (on a certificate, an OCSP response, a
// CRL) hashes with SHA-1.
func sha1Signature(a x509.SignatureAlgorithm) bool {
	return a == x509.SHA1WithRSA || a == x509.ECDSAWithSHA1 || a == x509.DSAWithSHA1
}

// chainWeakness lists the weak algorithms of a built path (leaf first, anchor last): SHA-1 in
// the signature on every certificate but the anchor — whose own signature DSS does not judge —
// and the RSA keys of the intermediate CAs. The leaf's key is judged with the signature or
// token it made (keyWeakness), the anchor's key not at all.
func chainWeakness(chain []*x509.Certificate) []weakAlg {
	var w []weakAlg
	for i := 0; i+1 < len(chain); i++ {
		c := chain[i]
		if sha1Signature(c.SignatureAlgorithm) {
			w = append(w, weakAlg{what: fmt.Sprintf("SHA1 as the digest of the signature on the certificate of %q", c.Subject.CommonName),
				sunset: sunsetOf("SHA1")})
		}
		if i > 0 {
			k, _ := c.PublicKey.(*rsa.PublicKey)
			w = append(w, rsaWeakness(k, fmt.Sprintf("the CA %q's", c.Subject.CommonName))...)
		}
	}
	return w
}

// weakness lists the weak algorithms of a signature's crypto: the digest of the signed data
// (the CMS digest, adbe.pkcs7.sha1's SHA-1 of the document, adbe.x509.rsa_sha1) and the
// signer's key.
func (cc *cryptoCheck) weakness() []weakAlg {
	if cc == nil || cc.cms == nil {
		return nil
	}
	w := digestWeakness(cc.cms.digest, "the digest of the signed data")
	if cc.sha1Document && cc.cms.digest.oid != oidSHA1 {
		w = append(w, digestWeakness(digestAlgs(oidSHA1), "the digest of the signed data")...)
	}
	return append(w, keyWeakness(cc.cms.cert, "the signer's")...)
}

// weakness lists the weak algorithms of a timestamp token: its message imprint, its own CMS
// digest and the authority's key.
func (t *timestampCheck) weakness() []weakAlg {
	w := digestWeakness(t.info.imprintAlg, "the timestamp's message imprint")
	if t.cms != nil {
		w = append(w, digestWeakness(t.cms.digest, "the digest of the timestamp token")...)
		w = append(w, keyWeakness(t.cms.cert, "the time-stamping authority's")...)
	}
	return w
}

// judgeAlgorithms applies the policy at poe, the earliest time something proves the signature
// or token existed: the sentences of the algorithms past their sunset (the signature or token
// cannot be trusted) and of those accepted because poe precedes it.
func judgeAlgorithms(weak []weakAlg, poe time.Time) (rejected, accepted []string) {
	for _, w := range weak {
		day := w.sunset.UTC().Format("2006-01-02")
		if poe.Before(w.sunset) {
			accepted = append(accepted, fmt.Sprintf("%s is accepted: a proof of existence at %s precedes its sunset date %s",
				w.what, poe.UTC().Format(time.RFC3339), day))
			continue
		}
		rejected = append(rejected, fmt.Sprintf("%s is not accepted after its sunset date %s, and nothing proves it was used before then",
			w.what, day))
	}
	return rejected, accepted
}

// laterPOE is the earliest time a later trusted document timestamp proves signature s — with
// everything it holds, its signature timestamp included — existed at, or now.
func (v *verifier) laterPOE(s *sigState) time.Time {
	poe := v.now
	for _, d := range v.sigs {
		if d == s || d.rep.Kind != KindDocTimestamp || d.rev <= s.rev || s.rev < 0 || len(d.problems) > 0 ||
			d.rep.Trust != "trusted" || d.cc == nil || d.cc.timestamp == nil {
			continue
		}
		if l := d.cc.timestamp.info.latest(v.now); l.Before(poe) {
			poe = l
		}
	}
	return poe
}
