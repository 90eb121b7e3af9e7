// Package cms writes and reads the CMS (RFC 5652) SignedData that PDF signatures and RFC 3161
// timestamp tokens are made of, in the PAdES baseline profile (ETSI EN 319 122-1 / 319 142-1):
// signed attributes contentType, messageDigest and signing-certificate-v2 (ESSCertIDv2), an
// optional signingTime, and an unsigned signature-time-stamp attribute for B-T.
//
// The private key is any crypto.Signer (software key, PKCS#11 token, a remote signing service)
// and is called exactly once per SignedData. MaxSize tells the caller, before anything is signed,
// how many bytes the encoded SignedData can take at most, so a PDF placeholder never needs a
// second attempt.
//
// # What it refuses
//
//   - SHA-1 and MD5 digests, RSA keys under 2048 bits, curves other than P-256/P-384/P-521 and
//     SM2. An SM2 key (github.com/emmansun/gmsm) always signs with SM3 and the GM/T 0009 default
//     ID over the DER signed attributes, under PKCS#7 OIDs or, with SignOptions.GMOIDs, the
//     GB/T 35275 ones; NewHash gives the digest the caller computes over the signed data.
//   - Parsing input larger than MaxParseSize, or with more than one SignerInfo where one is
//     expected (see Parse).
//
// It does not validate certificate paths or revocation: that is core/verify's job.
//
// ParseBER/ParseBERStrict and Node (ber.go) are the one BER/DER reader: Parse (the signer's LTV
// step and the TSA client) walks the SignedData with it, and core/verify reads every CMS,
// certificate and timestamp with it, so no two readers can see different elements in the same
// bytes. It is the one CMS package of SealDesk: core/sign (signatures, LTV), core/tsa (tokens) and
// core/verify import it, and it imports none of them (arch_test.go). It lived in core/sign/cms
// until issue 13, which made core/tsa import a part of core/sign.
package cms

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sort"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
)

// Object identifiers.
var (
	OIDData                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	OIDSignedData           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	OIDTSTInfo              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	OIDAttrContentType      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	OIDAttrMessageDigest    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	OIDAttrSigningTime      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	OIDAttrSigningCertV2    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	OIDAttrTimeStampToken   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	OIDAttrAdbeRevocation   = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
	OIDSHA256               = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	OIDSHA384               = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	OIDSHA512               = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	OIDSHA1                 = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	OIDRSAEncryption        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	OIDRSASHA256            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	OIDRSASHA384            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	OIDRSASHA512            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	OIDRSAPSS               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	OIDMGF1                 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	OIDECDSASHA256          = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	OIDECDSASHA384          = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	OIDECDSASHA512          = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}
	OIDECPublicKey          = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	OIDEd25519              = asn1.ObjectIdentifier{1, 3, 101, 112}
	OIDSM3                  = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
	OIDSM2SM3               = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	OIDSM2Sign              = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 1} // GB/T 35275 sm2sign
	OIDGMData               = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 1}
	OIDGMSignedData         = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 2}
	errUnsupportedAlgorithm = errors.New("unsupported algorithm")
)

// IsSM2 reports whether pub is an SM2 key (gmsm's curve).
func IsSM2(pub crypto.PublicKey) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == sm2.P256()
}

// NewHash is the digest a signature by pub with h computes over the signed data: SM3 for an SM2
// key (GB/T 35275), h otherwise.
func NewHash(pub crypto.PublicKey, h crypto.Hash) hash.Hash {
	if IsSM2(pub) {
		return sm3.New()
	}
	if h == 0 {
		h = crypto.SHA256
	}
	return h.New()
}

// HashOID returns the digest algorithm OID of h (SHA-256/384/512 only).
func HashOID(h crypto.Hash) (asn1.ObjectIdentifier, error) {
	switch h {
	case crypto.SHA256:
		return OIDSHA256, nil
	case crypto.SHA384:
		return OIDSHA384, nil
	case crypto.SHA512:
		return OIDSHA512, nil
	}
	return nil, fmt.Errorf("%w: digest %v", errUnsupportedAlgorithm, h)
}

// HashFromOID maps a digest OID to a crypto.Hash (0 when unknown). SHA-1 is reported so that
// verifiers can name it; signing never uses it.
func HashFromOID(oid asn1.ObjectIdentifier) crypto.Hash {
	switch {
	case oid.Equal(OIDSHA256):
		return crypto.SHA256
	case oid.Equal(OIDSHA384):
		return crypto.SHA384
	case oid.Equal(OIDSHA512):
		return crypto.SHA512
	case oid.Equal(OIDSHA1):
		return crypto.SHA1
	}
	return 0
}

// ecdsaOID is the ECDSA signature algorithm OID for h (SHA-256/384/512), nil for another hash.
func ecdsaOID(h crypto.Hash) asn1.ObjectIdentifier {
	switch h {
	case crypto.SHA256:
		return OIDECDSASHA256
	case crypto.SHA384:
		return OIDECDSASHA384
	case crypto.SHA512:
		return OIDECDSASHA512
	}
	return nil
}

// Attribute is one CMS attribute with already-encoded values.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// SignOptions describe one SignedData to make.
type SignOptions struct {
	Signer crypto.Signer
	Cert   *x509.Certificate
	// Chain holds further certificates to embed (issuers, not the root necessarily).
	Chain []*x509.Certificate
	// Hash is the digest algorithm: SHA-256 (default), SHA-384 or SHA-512.
	Hash crypto.Hash
	// PSS selects RSASSA-PSS (salt length = hash length) for RSA keys; otherwise PKCS#1 v1.5.
	PSS bool
	// Exactly one of Digest (detached: the hash of the external content under Hash) and
	// Content (encapsulated: e.g. a DER TSTInfo) is set.
	Digest  []byte
	Content []byte
	// ContentType is the eContentType; default id-data.
	ContentType asn1.ObjectIdentifier
	// GMOIDs writes an SM2 signature with GB/T 35275 (GM/T 0010) object identifiers:
	// signedData 1.2.156.10197.6.1.4.2.2, data 1.2.156.10197.6.1.4.2.1, sm2sign
	// 1.2.156.10197.1.301.1. Without it an SM2 signature uses the PKCS#7 ones with
	// SM2-with-SM3 1.2.156.10197.1.501, which OpenSSL reads. Ignored for other keys.
	GMOIDs bool
	// SigningTime, when non-nil, adds the signingTime attribute. PAdES puts the claimed time
	// in the signature dictionary's /M instead, so signatures leave it nil.
	SigningTime *time.Time
	// ExtraSigned are additional signed attributes.
	ExtraSigned []Attribute
}

// SignedData is a signed, not yet encoded, SignedData: unsigned attributes (a signature
// timestamp) can still be added before Marshal.
type SignedData struct {
	version      int
	digestAlg    pkix.AlgorithmIdentifier
	eContentType asn1.ObjectIdentifier
	eContent     []byte
	certs        [][]byte
	sid          asn1.RawValue
	signedAttrs  []byte // DER of the SET (tag 0x31)
	sigAlg       pkix.AlgorithmIdentifier
	signature    []byte
	unsigned     []Attribute
	gm           bool // GB/T 35275 content type for the ContentInfo
}

// Sign builds and signs a SignedData; opts.Signer is called exactly once.
func Sign(opts SignOptions) (*SignedData, error) {
	p, err := Prepare(opts)
	if err != nil {
		return nil, err
	}
	return p.sign(opts.Digest, opts.Content)
}

// Prepared is a SignedData made ready from SignOptions up to what depends on the signed
// content: a signer sizes its signature (MaxSize) before the document's digest is known and
// signs it later (Sign), from one preparation (the certificates, signer identifier,
// signing-certificate-v2 attribute and algorithm checks are made once).
type Prepared struct {
	opts       SignOptions // Hash and ContentType defaulted
	sd         SignedData  // without signed attributes and signature
	scv2       []byte
	signerOpts crypto.SignerOpts
}

// Sign signs the SignedData over digest (detached content: the hash of the external content
// under the options' Hash); the Signer is called exactly once.
func (p *Prepared) Sign(digest []byte) (*SignedData, error) {
	if digest == nil {
		return nil, errors.New("exactly one of digest and content is required")
	}
	return p.sign(digest, nil)
}

func (p *Prepared) sign(digest, content []byte) (*SignedData, error) {
	opts := p.opts
	sd, tbs, err := p.signed(digest, content)
	if err != nil {
		return nil, err
	}
	signerOpts := p.signerOpts
	h := signerOpts.HashFunc()
	var msg []byte
	if _, gm := signerOpts.(*sm2.SM2SignerOption); gm || h == 0 { // Ed25519 and SM2 (SM3 with Z) sign the message itself
		msg = tbs
	} else {
		hh := h.New()
		hh.Write(tbs)
		msg = hh.Sum(nil)
	}
	sig, err := opts.Signer.Sign(rand.Reader, msg, signerOpts)
	if err != nil {
		return nil, fmt.Errorf("signer failed: %w", err)
	}
	if err := checkSignature(opts.Cert.PublicKey, tbs, sig, h, opts.PSS); err != nil {
		return nil, fmt.Errorf("signer returned a signature that does not verify with the certificate: %w", err)
	}
	sd.signature = sig
	return sd, nil
}

// Prepare checks opts and builds everything of the SignedData that does not depend on the
// signed content; opts.Digest and opts.Content are not used (see Prepared.Sign, MaxSize).
func Prepare(opts SignOptions) (*Prepared, error) {
	if opts.Signer == nil || opts.Cert == nil {
		return nil, errors.New("signer and certificate are required")
	}
	if opts.Hash == 0 {
		opts.Hash = crypto.SHA256
	}
	hoid, err := HashOID(opts.Hash)
	if err != nil {
		return nil, err
	}
	isSM2 := IsSM2(opts.Cert.PublicKey)
	if isSM2 {
		hoid = OIDSM3 // SM2 signs with SM3, whatever Hash says
	}
	if opts.ContentType == nil {
		opts.ContentType = OIDData
	}
	sigAlg, signerOpts, err := signatureAlgorithm(opts.Cert.PublicKey, opts.Hash, opts.PSS)
	if err != nil {
		return nil, err
	}
	if isSM2 && opts.GMOIDs {
		sigAlg = pkix.AlgorithmIdentifier{Algorithm: OIDSM2Sign}
		if opts.ContentType == nil || opts.ContentType.Equal(OIDData) {
			opts.ContentType = OIDGMData
		}
	}
	if !publicKeysEqual(opts.Signer.Public(), opts.Cert.PublicKey) {
		return nil, errors.New("signer key does not match the certificate")
	}
	sd := SignedData{
		version:      1,
		digestAlg:    pkix.AlgorithmIdentifier{Algorithm: hoid, Parameters: asn1.NullRawValue},
		eContentType: opts.ContentType,
		sigAlg:       sigAlg,
		gm:           isSM2 && opts.GMOIDs,
	}
	if isSM2 {
		sd.digestAlg.Parameters = asn1.RawValue{} // SM3 takes no parameters
	}
	if !opts.ContentType.Equal(OIDData) && !opts.ContentType.Equal(OIDGMData) {
		sd.version = 3
	}
	seen := map[string]bool{}
	for _, c := range append([]*x509.Certificate{opts.Cert}, opts.Chain...) {
		if c == nil || seen[string(c.Raw)] {
			continue
		}
		seen[string(c.Raw)] = true
		sd.certs = append(sd.certs, c.Raw)
	}
	ias, err := asn1.Marshal(issuerAndSerial{Issuer: asn1.RawValue{FullBytes: opts.Cert.RawIssuer}, Serial: opts.Cert.SerialNumber})
	if err != nil {
		return nil, err
	}
	sd.sid = asn1.RawValue{FullBytes: ias}
	scv2, err := SigningCertificateV2(opts.Cert, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &Prepared{opts: opts, sd: sd, scv2: scv2, signerOpts: signerOpts}, nil
}

// signed returns a copy of the prepared SignedData with its signed attributes for the detached
// digest or the encapsulated content (exactly one is set), and the bytes to be signed.
func (p *Prepared) signed(digest, content []byte) (*SignedData, []byte, error) {
	opts := p.opts
	if (digest == nil) == (content == nil) {
		return nil, nil, errors.New("exactly one of digest and content is required")
	}
	if content != nil {
		hh := NewHash(opts.Cert.PublicKey, opts.Hash)
		hh.Write(content)
		digest = hh.Sum(nil)
	} else if size := NewHash(opts.Cert.PublicKey, opts.Hash).Size(); len(digest) != size {
		return nil, nil, fmt.Errorf("digest is %d bytes, the digest algorithm needs %d", len(digest), size)
	}
	sd := p.sd
	sd.eContent = content
	attrs := []Attribute{
		attr(OIDAttrContentType, mustMarshal(opts.ContentType)),
		attr(OIDAttrMessageDigest, mustMarshal(digest)),
	}
	if opts.SigningTime != nil {
		attrs = append(attrs, attr(OIDAttrSigningTime, mustMarshal(opts.SigningTime.UTC())))
	}
	attrs = append(attrs, attr(OIDAttrSigningCertV2, p.scv2))
	attrs = append(attrs, opts.ExtraSigned...)
	set, err := marshalAttrSet(attrs)
	if err != nil {
		return nil, nil, err
	}
	sd.signedAttrs = set
	return &sd, set, nil
}

// SignatureValue is the SignerInfo's signature octets (what a signature timestamp covers).
func (sd *SignedData) SignatureValue() []byte { return sd.signature }

// AddUnsigned appends an unsigned attribute (e.g. id-aa-timeStampToken).
func (sd *SignedData) AddUnsigned(a Attribute) { sd.unsigned = append(sd.unsigned, a) }

// AddTimestamp adds token (a DER TimeStampToken ContentInfo) as the signature-time-stamp.
func (sd *SignedData) AddTimestamp(token []byte) {
	sd.AddUnsigned(Attribute{Type: OIDAttrTimeStampToken, Values: []asn1.RawValue{{FullBytes: token}}})
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional"`
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"optional"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue   `asn1:"optional"`
	CRLs             asn1.RawValue   `asn1:"optional"`
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT, tagged by hand
}

// Marshal encodes the ContentInfo wrapping the SignedData.
func (sd *SignedData) Marshal() ([]byte, error) {
	if sd.signature == nil {
		return nil, errors.New("signed data is not signed")
	}
	return sd.marshal(sd.signature)
}

func (sd *SignedData) marshal(signature []byte) ([]byte, error) {
	si := signerInfo{
		Version:            1,
		SID:                sd.sid,
		DigestAlgorithm:    sd.digestAlg,
		SignedAttrs:        implicitSet(0, sd.signedAttrs),
		SignatureAlgorithm: sd.sigAlg,
		Signature:          signature,
	}
	if len(sd.unsigned) > 0 {
		set, err := marshalAttrSet(sd.unsigned)
		if err != nil {
			return nil, err
		}
		si.UnsignedAttrs = implicitSet(1, set)
	}
	siDER, err := asn1.Marshal(si)
	if err != nil {
		return nil, fmt.Errorf("failed to encode signer info: %w", err)
	}
	d := signedData{
		Version:          sd.version,
		DigestAlgorithms: []pkix.AlgorithmIdentifier{sd.digestAlg},
		EncapContentInfo: encapContentInfo{EContentType: sd.eContentType},
		SignerInfos:      []asn1.RawValue{{FullBytes: siDER}},
	}
	if sd.eContent != nil {
		oct, _ := asn1.Marshal(sd.eContent)
		d.EncapContentInfo.EContent = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: oct}
	}
	if len(sd.certs) > 0 {
		d.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Join(sd.certs, nil)}
	}
	sdDER, err := asn1.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("failed to encode signed data: %w", err)
	}
	ct := OIDSignedData
	if sd.gm {
		ct = OIDGMSignedData
	}
	out, err := asn1.Marshal(contentInfo{ContentType: ct,
		Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER}})
	if err != nil {
		return nil, fmt.Errorf("failed to encode content info: %w", err)
	}
	return out, nil
}

// MaxSize returns an upper bound of the encoded size of the SignedData opts would produce,
// with unsignedExtra bytes of unsigned attributes (e.g. an estimated timestamp token plus its
// attribute framing, see TimestampAttrOverhead). It does not call the signer.
func MaxSize(opts SignOptions, unsignedExtra int) (int, error) {
	p, err := Prepare(opts)
	if err != nil {
		return 0, err
	}
	if opts.Digest != nil || opts.Content != nil {
		return p.maxSize(opts.Digest, opts.Content, unsignedExtra)
	}
	return p.MaxSize(unsignedExtra)
}

// MaxSize is the package's MaxSize for a detached signature of p.
func (p *Prepared) MaxSize(unsignedExtra int) (int, error) {
	return p.maxSize(make([]byte, p.opts.Hash.Size()), nil, unsignedExtra)
}

func (p *Prepared) maxSize(digest, content []byte, unsignedExtra int) (int, error) {
	opts := p.opts
	sd, _, err := p.signed(digest, content)
	if err != nil {
		return 0, err
	}
	n, err := maxSignatureSize(opts.Cert.PublicKey)
	if err != nil {
		return 0, err
	}
	der, err := sd.marshal(make([]byte, n))
	if err != nil {
		return 0, err
	}
	// Length fields of the enclosing SEQUENCEs may grow by at most 3 bytes each (5 levels)
	// when the unsigned attributes are added.
	extra := 0
	if unsignedExtra > 0 {
		extra = unsignedExtra + 16 + 5*3
	}
	return len(der) + extra, nil
}

// TimestampAttrOverhead is the framing an unsigned timestamp attribute adds around its token.
const TimestampAttrOverhead = 32

func maxSignatureSize(pub crypto.PublicKey) (int, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return k.Size(), nil
	case *ecdsa.PublicKey:
		n := (k.Curve.Params().BitSize + 7) / 8
		return 2*(n+1+3) + 4, nil // SEQUENCE of two INTEGERs with sign byte
	case ed25519.PublicKey:
		return ed25519.SignatureSize, nil
	}
	return 0, fmt.Errorf("%w: key %T", errUnsupportedAlgorithm, pub)
}

func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash, pss bool) (pkix.AlgorithmIdentifier, crypto.SignerOpts, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: rsa-%d", errUnsupportedAlgorithm, k.N.BitLen())
		}
		if pss {
			params, err := pssParams(h)
			if err != nil {
				return pkix.AlgorithmIdentifier{}, nil, err
			}
			return pkix.AlgorithmIdentifier{Algorithm: OIDRSAPSS, Parameters: params},
				&rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}, nil
		}
		return pkix.AlgorithmIdentifier{Algorithm: OIDRSAEncryption, Parameters: asn1.NullRawValue}, h, nil
	case *ecdsa.PublicKey:
		if k.Curve == sm2.P256() {
			return pkix.AlgorithmIdentifier{Algorithm: OIDSM2SM3}, sm2.NewSM2SignerOption(true, nil), nil
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: curve %s", errUnsupportedAlgorithm, k.Curve.Params().Name)
		}
		return pkix.AlgorithmIdentifier{Algorithm: ecdsaOID(h)}, h, nil
	case ed25519.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: OIDEd25519}, crypto.Hash(0), nil
	}
	return pkix.AlgorithmIdentifier{}, nil, fmt.Errorf("%w: key %T", errUnsupportedAlgorithm, pub)
}

type pssParameters struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
	SaltLength   int                      `asn1:"explicit,tag:2"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

func pssParams(h crypto.Hash) (asn1.RawValue, error) {
	hoid, err := HashOID(h)
	if err != nil {
		return asn1.RawValue{}, err
	}
	halg := pkix.AlgorithmIdentifier{Algorithm: hoid, Parameters: asn1.NullRawValue}
	mgfParams, _ := asn1.Marshal(halg)
	der, err := asn1.Marshal(pssParameters{
		Hash: halg, MGF: pkix.AlgorithmIdentifier{Algorithm: OIDMGF1, Parameters: asn1.RawValue{FullBytes: mgfParams}},
		SaltLength: h.Size(), TrailerField: 1,
	})
	if err != nil {
		return asn1.RawValue{}, err
	}
	return asn1.RawValue{FullBytes: der}, nil
}

func checkSignature(pub crypto.PublicKey, tbs, sig []byte, h crypto.Hash, pss bool) error {
	var digest []byte
	if h != 0 && !IsSM2(pub) {
		hh := h.New()
		hh.Write(tbs)
		digest = hh.Sum(nil)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if pss {
			return rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
		return rsa.VerifyPKCS1v15(k, h, digest, sig)
	case *ecdsa.PublicKey:
		if k.Curve == sm2.P256() {
			if !sm2.VerifyASN1WithSM2(k, nil, tbs, sig) {
				return errors.New("sm2 verification failed")
			}
			return nil
		}
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errors.New("ecdsa verification failed")
		}
		return nil
	case ed25519.PublicKey:
		if !ed25519.Verify(k, tbs, sig) {
			return errors.New("ed25519 verification failed")
		}
		return nil
	}
	return fmt.Errorf("%w: key %T", errUnsupportedAlgorithm, pub)
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// SigningCertificateV2 encodes the SigningCertificateV2 attribute value for cert (ESSCertIDv2
// with issuerSerial; the hash algorithm field is omitted for SHA-256, its DER default).
func SigningCertificateV2(cert *x509.Certificate, h crypto.Hash) ([]byte, error) {
	hoid, err := HashOID(h)
	if err != nil {
		return nil, err
	}
	hh := h.New()
	hh.Write(cert.Raw)
	dirName, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: cert.RawIssuer})
	if err != nil {
		return nil, err
	}
	generalNames, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: dirName})
	if err != nil {
		return nil, err
	}
	serial, err := asn1.Marshal(cert.SerialNumber)
	if err != nil {
		return nil, err
	}
	issuerSerial, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: append(generalNames, serial...)})
	var body []byte
	if h != crypto.SHA256 {
		alg, _ := asn1.Marshal(pkix.AlgorithmIdentifier{Algorithm: hoid, Parameters: asn1.NullRawValue})
		body = append(body, alg...)
	}
	certHash, _ := asn1.Marshal(hh.Sum(nil))
	body = append(body, certHash...)
	body = append(body, issuerSerial...)
	essCertID, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	certs, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: essCertID})
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: certs})
}

func attr(oid asn1.ObjectIdentifier, value []byte) Attribute {
	return Attribute{Type: oid, Values: []asn1.RawValue{{FullBytes: value}}}
}

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cms: marshal %T: %v", v, err))
	}
	return b
}

// marshalAttrSet encodes attributes as a DER SET OF (elements sorted by their encoding).
func marshalAttrSet(attrs []Attribute) ([]byte, error) {
	enc := make([][]byte, 0, len(attrs))
	for _, a := range attrs {
		b, err := asn1.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("failed to encode attribute %v: %w", a.Type, err)
		}
		enc = append(enc, b)
	}
	sort.Slice(enc, func(i, j int) bool { return bytes.Compare(enc[i], enc[j]) < 0 })
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(enc, nil)})
}

// implicitSet re-tags a DER SET as [tag] IMPLICIT.
func implicitSet(tag int, set []byte) asn1.RawValue {
	var rv asn1.RawValue
	if _, err := asn1.Unmarshal(set, &rv); err != nil {
		panic("cms: re-tag of own encoding failed: " + err.Error())
	}
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: rv.Bytes}
}

// WithoutCertificates returns a copy that embeds no certificates (a TSA answering a request
// without certReq).
func (sd *SignedData) WithoutCertificates() *SignedData {
	c := *sd
	c.certs = nil
	return &c
}
