package cms

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// MaxParseSize bounds the input of Parse (a PDF /Contents or a timestamp token).
const MaxParseSize = 1 << 20

// Parsed is a decoded SignedData with exactly the fields signatures and timestamps need.
type Parsed struct {
	Raw          []byte
	EContentType asn1.ObjectIdentifier
	EContent     []byte // nil when detached
	Certificates []*x509.Certificate
	Signers      []ParsedSigner
}

// ParsedSigner is one SignerInfo.
type ParsedSigner struct {
	IssuerRaw          []byte
	Serial             *big.Int
	SubjectKeyID       []byte
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrsRaw     []byte // DER re-tagged as SET (0x31): the bytes the signature covers
	SignedAttrs        []Attribute
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      []Attribute
}

type parsedSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type parsedSignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo struct {
		EContentType asn1.ObjectIdentifier
		EContent     asn1.RawValue `asn1:"optional,explicit,tag:0"`
	}
	Certificates asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs         asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos  []asn1.RawValue `asn1:"set"`
}

// Parse decodes a ContentInfo holding SignedData. Trailing zero bytes (PDF /Contents padding)
// are allowed; anything else after the structure is an error.
func Parse(der []byte) (*Parsed, error) {
	if len(der) > MaxParseSize {
		return nil, fmt.Errorf("cms is %d bytes, more than the %d limit", len(der), MaxParseSize)
	}
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("failed to parse content info: %w", err)
	}
	if len(bytes.Trim(rest, "\x00")) != 0 {
		return nil, errors.New("trailing data after cms")
	}
	if !ci.ContentType.Equal(OIDSignedData) {
		return nil, fmt.Errorf("content type %v is not signed data", ci.ContentType)
	}
	if ci.Content.Class != asn1.ClassContextSpecific || ci.Content.Tag != 0 || !ci.Content.IsCompound {
		return nil, errors.New("content info lacks its [0] content")
	}
	var sd parsedSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("failed to parse signed data: %v", err)
	}
	p := &Parsed{Raw: der[:len(der)-len(rest)], EContentType: sd.EncapContentInfo.EContentType}
	if len(sd.EncapContentInfo.EContent.FullBytes) > 0 {
		var oct []byte
		if _, err := asn1.Unmarshal(sd.EncapContentInfo.EContent.Bytes, &oct); err != nil {
			return nil, fmt.Errorf("failed to parse encapsulated content: %w", err)
		}
		p.EContent = oct
	}
	if len(sd.Certificates.Bytes) > 0 {
		rest := sd.Certificates.Bytes
		for len(rest) > 0 {
			var rv asn1.RawValue
			rest, err = asn1.Unmarshal(rest, &rv)
			if err != nil {
				return nil, fmt.Errorf("failed to parse certificate set: %w", err)
			}
			if rv.Class != asn1.ClassUniversal || rv.Tag != asn1.TagSequence {
				continue // attribute certificates and others are ignored
			}
			c, err := x509.ParseCertificate(rv.FullBytes)
			if err != nil {
				return nil, fmt.Errorf("failed to parse embedded certificate: %w", err)
			}
			p.Certificates = append(p.Certificates, c)
			if len(p.Certificates) > 64 {
				return nil, errors.New("more than 64 embedded certificates")
			}
		}
	}
	if len(sd.SignerInfos) > 16 {
		return nil, errors.New("more than 16 signer infos")
	}
	for _, raw := range sd.SignerInfos {
		var si parsedSignerInfo
		if rest, err := asn1.Unmarshal(raw.FullBytes, &si); err != nil || len(rest) != 0 {
			return nil, fmt.Errorf("failed to parse signer info: %v", err)
		}
		ps := ParsedSigner{DigestAlgorithm: si.DigestAlgorithm, SignatureAlgorithm: si.SignatureAlgorithm, Signature: si.Signature}
		switch {
		case si.SID.Class == asn1.ClassUniversal && si.SID.Tag == asn1.TagSequence:
			var ias struct {
				Issuer asn1.RawValue
				Serial *big.Int
			}
			if _, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil {
				return nil, fmt.Errorf("failed to parse signer identifier: %w", err)
			}
			ps.IssuerRaw, ps.Serial = ias.Issuer.FullBytes, ias.Serial
		case si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0:
			ps.SubjectKeyID = si.SID.Bytes
		default:
			return nil, errors.New("unknown signer identifier")
		}
		if len(si.SignedAttrs.FullBytes) > 0 {
			set, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: si.SignedAttrs.Bytes})
			if err != nil {
				return nil, err
			}
			ps.SignedAttrsRaw = set
			if ps.SignedAttrs, err = parseAttrs(si.SignedAttrs.Bytes); err != nil {
				return nil, err
			}
		}
		if len(si.UnsignedAttrs.FullBytes) > 0 {
			if ps.UnsignedAttrs, err = parseAttrs(si.UnsignedAttrs.Bytes); err != nil {
				return nil, err
			}
		}
		p.Signers = append(p.Signers, ps)
	}
	if len(p.Signers) == 0 {
		return nil, errors.New("no signer info")
	}
	return p, nil
}

func parseAttrs(b []byte) ([]Attribute, error) {
	var out []Attribute
	for len(b) > 0 {
		var a Attribute
		var err error
		b, err = asn1.Unmarshal(b, &a)
		if err != nil {
			return nil, fmt.Errorf("failed to parse attribute: %w", err)
		}
		out = append(out, a)
		if len(out) > 64 {
			return nil, errors.New("more than 64 attributes")
		}
	}
	return out, nil
}

// Attr returns the first value of the attribute oid, or nil.
func Attr(attrs []Attribute, oid asn1.ObjectIdentifier) []byte {
	for _, a := range attrs {
		if a.Type.Equal(oid) && len(a.Values) > 0 {
			return a.Values[0].FullBytes
		}
	}
	return nil
}

// SignerCert finds the certificate of s among p's certificates.
func (p *Parsed) SignerCert(s *ParsedSigner) *x509.Certificate {
	for _, c := range p.Certificates {
		if s.Serial != nil && c.SerialNumber.Cmp(s.Serial) == 0 && bytes.Equal(c.RawIssuer, s.IssuerRaw) {
			return c
		}
		if s.SubjectKeyID != nil && bytes.Equal(c.SubjectKeyId, s.SubjectKeyID) {
			return c
		}
	}
	return nil
}

// MessageDigest returns the messageDigest signed attribute.
func (s *ParsedSigner) MessageDigest() []byte {
	v := Attr(s.SignedAttrs, OIDAttrMessageDigest)
	var d []byte
	if v == nil {
		return nil
	}
	if _, err := asn1.Unmarshal(v, &d); err != nil {
		return nil
	}
	return d
}

// Timestamp returns the signature-time-stamp token (unsigned attribute), or nil.
func (s *ParsedSigner) Timestamp() []byte { return Attr(s.UnsignedAttrs, OIDAttrTimeStampToken) }

// VerifySignature checks s's signature over its signed attributes with cert, and that the
// messageDigest attribute equals digest (the hash of the signed content under s's digest
// algorithm). It returns the digest algorithm used.
func (s *ParsedSigner) VerifySignature(cert *x509.Certificate, digest []byte) (crypto.Hash, error) {
	h := HashFromOID(s.DigestAlgorithm.Algorithm)
	if h == 0 || !h.Available() {
		return 0, fmt.Errorf("%w: digest %v", errUnsupportedAlgorithm, s.DigestAlgorithm.Algorithm)
	}
	if s.SignedAttrsRaw == nil {
		return 0, errors.New("no signed attributes")
	}
	if md := s.MessageDigest(); md == nil || !bytes.Equal(md, digest) {
		return 0, errors.New("message digest does not match the content")
	}
	pss := s.SignatureAlgorithm.Algorithm.Equal(OIDRSAPSS)
	if s.SignatureAlgorithm.Algorithm.Equal(OIDEd25519) {
		return h, checkSignature(cert.PublicKey, s.SignedAttrsRaw, s.Signature, 0, false)
	}
	return h, checkSignature(cert.PublicKey, s.SignedAttrsRaw, s.Signature, h, pss)
}

// SigningTime returns the signingTime attribute when present.
func (s *ParsedSigner) SigningTime() (time.Time, bool) {
	v := Attr(s.SignedAttrs, OIDAttrSigningTime)
	if v == nil {
		return time.Time{}, false
	}
	var t time.Time
	if _, err := asn1.Unmarshal(v, &t); err != nil {
		return time.Time{}, false
	}
	return t, true
}
