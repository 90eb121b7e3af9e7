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
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
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

// Parse decodes a ContentInfo holding SignedData. Trailing zero bytes (PDF /Contents padding)
// are allowed; anything else after the structure is an error. The structure is read with
// ParseBER, the same reader core/verify uses, so the signer, the TSA client and the verifier see
// the same elements in the same bytes.
func Parse(der []byte) (*Parsed, error) {
	if len(der) > MaxParseSize {
		return nil, fmt.Errorf("cms is %d bytes, more than the %d limit", len(der), MaxParseSize)
	}
	ci, rest, err := ParseBER(der)
	if err != nil {
		return nil, fmt.Errorf("failed to parse content info: %w", err)
	}
	if len(bytes.Trim(rest, "\x00")) != 0 {
		return nil, errors.New("trailing data after cms")
	}
	if !ci.Is(0, TagSequence) || len(ci.Children) != 2 {
		return nil, fmt.Errorf("failed to parse content info: %w", ErrBER)
	}
	ct, err := ci.Children[0].OID()
	if err != nil {
		return nil, fmt.Errorf("failed to parse content type: %w", err)
	}
	if ct != OIDSignedData.String() && ct != OIDGMSignedData.String() {
		return nil, fmt.Errorf("content type %v is not signed data", ct)
	}
	wrap := &ci.Children[1]
	if !wrap.Is(2, 0) || !wrap.Constructed || len(wrap.Children) != 1 {
		return nil, errors.New("content info lacks its [0] content")
	}
	sd := &wrap.Children[0]
	if !sd.Is(0, TagSequence) || len(sd.Children) < 4 {
		return nil, fmt.Errorf("failed to parse signed data: %w", ErrBER)
	}
	ch := sd.Children
	eci := &ch[2]
	if !eci.Is(0, TagSequence) || len(eci.Children) < 1 || len(eci.Children) > 2 {
		return nil, fmt.Errorf("failed to parse encapsulated content info: %w", ErrBER)
	}
	ect, err := eci.Children[0].OID()
	if err != nil {
		return nil, fmt.Errorf("failed to parse encapsulated content type: %w", err)
	}
	p := &Parsed{Raw: der[:len(der)-len(rest)]}
	if p.EContentType, err = OIDFromString(ect); err != nil {
		return nil, err
	}
	if len(eci.Children) == 2 {
		w := &eci.Children[1]
		if !w.Is(2, 0) || len(w.Children) != 1 || !w.Children[0].Is(0, TagOctetString) {
			return nil, errors.New("failed to parse encapsulated content")
		}
		p.EContent = w.Children[0].Bytes()
	}
	i := 3
	for ; i < len(ch)-1; i++ {
		switch {
		case ch[i].Is(2, 0):
			for k := range ch[i].Children {
				c := &ch[i].Children[k]
				if !c.Is(0, TagSequence) {
					continue // attribute certificates and others are ignored
				}
				cert, err := x509.ParseCertificate(c.Raw)
				if err != nil {
					// An SM2 certificate, which only gmsm's smx509 reads.
					if sc, smErr := smx509.ParseCertificate(c.Raw); smErr == nil && IsSM2(sc.PublicKey) {
						p.Certificates = append(p.Certificates, sc.ToX509())
						continue
					}
					return nil, fmt.Errorf("failed to parse embedded certificate: %w", err)
				}
				p.Certificates = append(p.Certificates, cert)
				if len(p.Certificates) > 64 {
					return nil, errors.New("more than 64 embedded certificates")
				}
			}
		case ch[i].Is(2, 1): // CRLs: not needed here
		default:
			return nil, fmt.Errorf("failed to parse signed data: %w: unexpected element", ErrBER)
		}
	}
	sis := &ch[len(ch)-1]
	if !sis.Is(0, TagSet) {
		return nil, fmt.Errorf("failed to parse signer infos: %w", ErrBER)
	}
	if len(sis.Children) > 16 {
		return nil, errors.New("more than 16 signer infos")
	}
	for k := range sis.Children {
		ps, err := parseSigner(&sis.Children[k])
		if err != nil {
			return nil, err
		}
		p.Signers = append(p.Signers, ps)
	}
	if len(p.Signers) == 0 {
		return nil, errors.New("no signer info")
	}
	return p, nil
}

func parseSigner(n *Node) (ParsedSigner, error) {
	var ps ParsedSigner
	if !n.Is(0, TagSequence) || len(n.Children) < 5 {
		return ps, fmt.Errorf("failed to parse signer info: %w", ErrBER)
	}
	ch := n.Children
	sid := &ch[1]
	switch {
	case sid.Is(0, TagSequence) && len(sid.Children) == 2:
		serial, err := sid.Children[1].Integer()
		if err != nil {
			return ps, fmt.Errorf("failed to parse signer identifier: %w", err)
		}
		ps.IssuerRaw, ps.Serial = sid.Children[0].Raw, serial
	case sid.Is(2, 0):
		ps.SubjectKeyID = sid.Bytes()
	default:
		return ps, errors.New("unknown signer identifier")
	}
	var err error
	if ps.DigestAlgorithm, err = algorithmIdentifier(&ch[2]); err != nil {
		return ps, fmt.Errorf("failed to parse digest algorithm: %w", err)
	}
	i := 3
	if ch[i].Is(2, 0) {
		a := &ch[i]
		set := append([]byte(nil), a.Raw...)
		if a.Indefinite {
			set = a.DER()
		}
		set[0] = 0x31
		ps.SignedAttrsRaw = set
		if ps.SignedAttrs, err = nodeAttrs(a); err != nil {
			return ps, err
		}
		i++
	}
	if i+1 >= len(ch) {
		return ps, fmt.Errorf("failed to parse signer info: %w: short", ErrBER)
	}
	if ps.SignatureAlgorithm, err = algorithmIdentifier(&ch[i]); err != nil {
		return ps, fmt.Errorf("failed to parse signature algorithm: %w", err)
	}
	if !ch[i+1].Is(0, TagOctetString) {
		return ps, fmt.Errorf("failed to parse signature value: %w", ErrBER)
	}
	ps.Signature = ch[i+1].Bytes()
	if i+2 < len(ch) {
		if !ch[i+2].Is(2, 1) || i+3 != len(ch) {
			return ps, fmt.Errorf("failed to parse signer info: %w: unexpected element", ErrBER)
		}
		if ps.UnsignedAttrs, err = nodeAttrs(&ch[i+2]); err != nil {
			return ps, err
		}
	}
	return ps, nil
}

// algorithmIdentifier reads an AlgorithmIdentifier node into the pkix form.
func algorithmIdentifier(n *Node) (pkix.AlgorithmIdentifier, error) {
	var ai pkix.AlgorithmIdentifier
	oid, params, err := n.Algorithm()
	if err != nil {
		return ai, err
	}
	if ai.Algorithm, err = OIDFromString(oid); err != nil {
		return ai, err
	}
	if params != nil {
		ai.Parameters = asn1.RawValue{Class: params.Class, Tag: params.Tag, IsCompound: params.Constructed, Bytes: params.Content, FullBytes: params.Raw}
	}
	return ai, nil
}

// OIDFromString turns a dotted object identifier into an asn1.ObjectIdentifier.
func OIDFromString(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for _, part := range strings.Split(s, ".") {
		v, err := strconv.Atoi(part)
		if err != nil {
			return nil, fmt.Errorf("bad object identifier %q", s)
		}
		oid = append(oid, v)
	}
	return oid, nil
}

// nodeAttrs reads a SET OF Attribute (signed or unsigned attributes, any tag).
func nodeAttrs(set *Node) ([]Attribute, error) {
	var out []Attribute
	for k := range set.Children {
		a := &set.Children[k]
		if !a.Is(0, TagSequence) || len(a.Children) != 2 || !a.Children[1].Is(0, TagSet) {
			return nil, fmt.Errorf("failed to parse attribute: %w", ErrBER)
		}
		o, err := a.Children[0].OID()
		if err != nil {
			return nil, fmt.Errorf("failed to parse attribute: %w", err)
		}
		at := Attribute{}
		if at.Type, err = OIDFromString(o); err != nil {
			return nil, err
		}
		for v := range a.Children[1].Children {
			x := &a.Children[1].Children[v]
			at.Values = append(at.Values, asn1.RawValue{Class: x.Class, Tag: x.Tag, IsCompound: x.Constructed, Bytes: x.Content, FullBytes: x.Raw})
		}
		out = append(out, at)
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
