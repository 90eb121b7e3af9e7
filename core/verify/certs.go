package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sealdesk/core/cms"

	"github.com/cloudflare/circl/sign/ed448"
	"github.com/emmansun/gmsm/sm2"
)

// certInfo is a certificate from a CMS blob or the PDF's DSS. The standard library parses most of
// them; the fields we need for signer lookup and signature checks are also read by our own
// minimal parser, so that an Ed448 key or an odd-but-harmless encoding does not make a signature
// unverifiable.
type certInfo struct {
	raw       []byte
	x         *x509.Certificate // nil when crypto/x509 refuses it
	xErr      error             // why crypto/x509 refused it
	issuerRaw []byte
	subjRaw   []byte
	serial    *big.Int
	ski       []byte
	key       publicKey
	keyErr    error
	sm        bool // x came from smx509 (an SM2 key or an SM2-with-SM3 signature)
}

func parseCertInfo(raw []byte) (*certInfo, error) {
	c := &certInfo{raw: raw}
	n, err := cms.ParseBERStrict(raw)
	if err != nil {
		return nil, fmt.Errorf("failed to parse certificate: %w", err)
	}
	if !n.Is(0, cms.TagSequence) || len(n.Children) < 3 || !n.Children[0].Is(0, cms.TagSequence) {
		return nil, fmt.Errorf("failed to parse certificate: %w", cms.ErrBER)
	}
	tbs := n.Children[0].Children
	i := 0
	if len(tbs) > 0 && tbs[0].Is(2, 0) {
		i++
	}
	if len(tbs) < i+6 {
		return nil, fmt.Errorf("failed to parse certificate: %w: short TBSCertificate", cms.ErrBER)
	}
	if c.serial, err = tbs[i].Integer(); err != nil {
		return nil, fmt.Errorf("failed to parse certificate serial: %w", err)
	}
	c.issuerRaw = tbs[i+2].Raw
	c.subjRaw = tbs[i+4].Raw
	spki := tbs[i+5]
	for _, e := range tbs[i+6:] {
		if e.Is(2, 3) && len(e.Children) == 1 {
			for _, ext := range e.Children[0].Children {
				if len(ext.Children) >= 2 {
					if oid, _ := ext.Children[0].OID(); oid == "2.5.29.14" {
						v := ext.Children[len(ext.Children)-1]
						if sk, _, err := cms.ParseBER(v.Content); err == nil && sk.Is(0, cms.TagOctetString) {
							c.ski = sk.Content
						}
					}
				}
			}
		}
	}
	if x, err := x509.ParseCertificate(raw); err != nil {
		c.xErr = err
		// crypto/x509 knows neither the SM2 curve nor SM2-with-SM3: gmsm's smx509 (same
		// Certificate layout) reads those. A certificate both refuse (an invalid IA5String,
		// a bad SAN in real tax-bureau certificates) keeps the key parseKey reads from the
		// SubjectPublicKeyInfo; the refusal is a trust reason, not an integrity failure.
		// Only for SM2: smx509 is laxer than crypto/x509 elsewhere (it takes negative
		// serials), and what crypto/x509 refuses in other certificates stays a trust reason.
		sigAlg, _, _ := n.Children[1].Algorithm()
		if isSM2SPKI(&spki) || sigAlg == oidSM2SM3 {
			if sm, smErr := parseSMCertificate(raw); smErr == nil {
				c.x, c.xErr, c.sm = sm.ToX509(), nil, true
				if len(c.ski) == 0 {
					c.ski = c.x.SubjectKeyId
				}
			} else {
				c.xErr = smErr
			}
		}
	} else {
		c.x = x
		if len(c.ski) == 0 {
			c.ski = x.SubjectKeyId
		}
	}
	c.key, c.keyErr = parseKey(c.x, &spki)
	return c, nil
}

func parseKey(x *x509.Certificate, spki *node) (publicKey, error) {
	if x != nil {
		switch k := x.PublicKey.(type) {
		case *rsa.PublicKey:
			return publicKey{alg: "rsa", rsa: k}, nil
		case *ecdsa.PublicKey:
			if k.Curve == sm2.P256() {
				return publicKey{alg: "sm2", sm2: k}, nil
			}
			return publicKey{alg: "ecdsa", ec: k}, nil
		case ed25519.PublicKey:
			return publicKey{alg: "ed25519", ed: k}, nil
		}
	}
	if !spki.Is(0, cms.TagSequence) || len(spki.Children) != 2 {
		return publicKey{}, fmt.Errorf("malformed SubjectPublicKeyInfo")
	}
	oid, params, err := spki.Children[0].Algorithm()
	if err != nil {
		return publicKey{}, err
	}
	bits := spki.Children[1].Content
	if len(bits) > 0 {
		bits = bits[1:]
	}
	switch oid {
	case oidECKey:
		if params != nil {
			curve, err := params.OID()
			if err == nil && curve == oidSM2Curve {
				k, err := sm2Key(bits)
				if err != nil {
					return publicKey{}, err
				}
				return publicKey{alg: "sm2", sm2: k}, nil
			}
			if err == nil {
				if c := namedCurve(curve); c != nil {
					// Named curves crypto/x509 refuses (Brainpool), or a NIST key in a
					// certificate it refuses for another reason (negative serial, odd
					// encodings): the key itself is read here.
					size := (c.Params().BitSize + 7) / 8
					if len(bits) != 1+2*size || bits[0] != 4 {
						return publicKey{}, fmt.Errorf("%s key is not an uncompressed point", c.Params().Name)
					}
					x, y := new(big.Int).SetBytes(bits[1:1+size]), new(big.Int).SetBytes(bits[1+size:])
					if !c.IsOnCurve(x, y) {
						return publicKey{}, fmt.Errorf("%s key is not on the curve", c.Params().Name)
					}
					return publicKey{alg: "ecdsa", ec: &ecdsa.PublicKey{Curve: c, X: x, Y: y}}, nil
				}
				return publicKey{alg: oid}, fmt.Errorf("unsupported elliptic curve %s", curve)
			}
		}
	case oidEd448:
		if len(bits) != ed448.PublicKeySize {
			return publicKey{}, fmt.Errorf("bad Ed448 key length %d", len(bits))
		}
		return publicKey{alg: "ed448", ed448: ed448.PublicKey(bits)}, nil
	case oidRSA, oidRSAPSS:
		var k struct {
			N *big.Int
			E int
		}
		if _, err := asn1.Unmarshal(bits, &k); err != nil || k.N.Sign() <= 0 || k.E < 3 {
			return publicKey{}, fmt.Errorf("malformed RSA key")
		}
		return publicKey{alg: "rsa", rsa: &rsa.PublicKey{N: k.N, E: k.E}}, nil
	}
	return publicKey{alg: oid}, fmt.Errorf("unsupported public key algorithm %s", oid)
}

// namedCurve returns the elliptic curve an EC key's parameters name: the NIST curves of
// crypto/elliptic and the Brainpool r-curves (brainpool.go).
func namedCurve(oid string) elliptic.Curve {
	switch oid {
	case "1.2.840.10045.3.1.7":
		return elliptic.P256()
	case "1.3.132.0.34":
		return elliptic.P384()
	case "1.3.132.0.35":
		return elliptic.P521()
	}
	if c := brainpoolCurve(oid); c != nil {
		return c
	}
	return nil
}

// subject names for the report.
func (c *certInfo) subject() pkix.Name {
	if c.x != nil {
		return c.x.Subject
	}
	var rdn pkix.RDNSequence
	var n pkix.Name
	if _, err := asn1.Unmarshal(c.subjRaw, &rdn); err == nil {
		n.FillFromRDNSequence(&rdn)
	} else {
		lenientName(c.subjRaw, &n)
	}
	return n
}

// lenientName reads the common name, organization and serial number of a Name encoding/asn1
// refuses (an IA5String with non-ASCII bytes in a real tax-bureau certificate), as bytes.
func lenientName(raw []byte, n *pkix.Name) {
	seq, err := cms.ParseBERStrict(raw)
	if err != nil {
		return
	}
	for _, set := range seq.Children {
		for _, atv := range set.Children {
			if len(atv.Children) != 2 {
				continue
			}
			oid, _ := atv.Children[0].OID()
			v := string(atv.Children[1].Bytes())
			switch oid {
			case "2.5.4.3":
				n.CommonName = v
			case "2.5.4.10":
				n.Organization = append(n.Organization, v)
			case "2.5.4.5":
				n.SerialNumber = v
			}
		}
	}
}

func (c *certInfo) issuer() pkix.Name {
	if c.x != nil {
		return c.x.Issuer
	}
	var rdn pkix.RDNSequence
	var n pkix.Name
	if _, err := asn1.Unmarshal(c.issuerRaw, &rdn); err == nil {
		n.FillFromRDNSequence(&rdn)
	}
	return n
}

func (c *certInfo) matchIssuerSerial(issuer []byte, serial *big.Int) bool {
	if c.serial.Cmp(serial) != 0 {
		return false
	}
	if bytes.Equal(c.issuerRaw, issuer) {
		return true
	}
	// Same name, different string encodings (PrintableString vs UTF8String) are still the same
	// issuer by RFC 5280's comparison rules; compare the parsed forms.
	var a, b pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.issuerRaw, &a); err != nil {
		return false
	}
	if _, err := asn1.Unmarshal(issuer, &b); err != nil {
		return false
	}
	return a.String() == b.String()
}

func (c *certInfo) matchSKI(ski []byte) bool {
	if len(ski) == 0 {
		return false
	}
	if bytes.Equal(c.ski, ski) {
		return true
	}
	// RFC 5280 method 1 for certificates without the extension.
	if c.x != nil && len(c.ski) == 0 {
		var spki struct {
			Alg asn1.RawValue
			Key asn1.BitString
		}
		if _, err := asn1.Unmarshal(c.x.RawSubjectPublicKeyInfo, &spki); err == nil {
			s := sha1.Sum(spki.Key.Bytes)
			return bytes.Equal(s[:], ski)
		}
	}
	return false
}

// isSM2SPKI reports whether a SubjectPublicKeyInfo holds an SM2 key.
func isSM2SPKI(spki *node) bool {
	if !spki.Is(0, cms.TagSequence) || len(spki.Children) != 2 {
		return false
	}
	oid, params, err := spki.Children[0].Algorithm()
	if err != nil || oid != oidECKey || params == nil {
		return false
	}
	curve, err := params.OID()
	return err == nil && curve == oidSM2Curve
}
