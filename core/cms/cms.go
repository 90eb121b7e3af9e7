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
// What it writes (SignedData, attributes, signing-certificate-v2) it encodes with its own DER
// writer for those fixed shapes (der.go): no reflection, lengths first and one buffer of the
// exact size; a test checks it byte for byte against the encoding/asn1 encoder it replaced.
//
// ParseBER/ParseBERStrict and Node (ber.go) are the one BER/DER reader: Parse (the signer's LTV
// step and the TSA client) walks the SignedData with it, and core/verify reads every CMS,
// certificate and timestamp with it, so no two readers can see different elements in the same
// bytes. ParseTSTInfo (tstinfo.go), built on it, is the one reader of a timestamp's TSTInfo for
// core/tsa and core/verify. It is the one CMS package of SealDesk: core/sign (signatures, LTV), core/tsa (tokens) and
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
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
	"slices"
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
	digestAlg    []byte // DER AlgorithmIdentifier
	eContentType []byte // DER OBJECT IDENTIFIER
	eContent     []byte
	certs        [][]byte
	sid          []byte // DER IssuerAndSerialNumber
	signedAttrs  []byte // DER of the SET (tag 0x31)
	sigAlg       []byte // DER AlgorithmIdentifier
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
	// contentTypeAttr is the encoded contentType attribute.
	contentTypeAttr []byte
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
		if sigAlg, err = encodeAlgorithm(OIDSM2Sign, nil); err != nil {
			return nil, err
		}
		if opts.ContentType == nil || opts.ContentType.Equal(OIDData) {
			opts.ContentType = OIDGMData
		}
	}
	if !publicKeysEqual(opts.Signer.Public(), opts.Cert.PublicKey) {
		return nil, errors.New("signer key does not match the certificate")
	}
	digestParams := derNull
	if isSM2 {
		digestParams = nil // SM3 takes no parameters
	}
	digestAlg, err := encodeAlgorithm(hoid, digestParams)
	if err != nil {
		return nil, err
	}
	ct, err := encodeOID(opts.ContentType)
	if err != nil {
		return nil, fmt.Errorf("content type: %w", err)
	}
	sd := SignedData{
		version:      1,
		digestAlg:    digestAlg,
		eContentType: ct,
		sigAlg:       sigAlg,
		gm:           isSM2 && opts.GMOIDs,
	}
	if !opts.ContentType.Equal(OIDData) && !opts.ContentType.Equal(OIDGMData) {
		sd.version = 3
	}
	sd.certs = make([][]byte, 0, 1+len(opts.Chain))
	for _, c := range append([]*x509.Certificate{opts.Cert}, opts.Chain...) {
		if c != nil && !slices.ContainsFunc(sd.certs, func(b []byte) bool { return bytes.Equal(b, c.Raw) }) {
			sd.certs = append(sd.certs, c.Raw)
		}
	}
	if opts.Cert.SerialNumber == nil {
		return nil, errors.New("certificate has no serial number")
	}
	serial := encodeBigInt(opts.Cert.SerialNumber)
	body := len(opts.Cert.RawIssuer) + len(serial)
	sd.sid = append(append(appendHeader(make([]byte, 0, tlv(body)), tagSequence, body), opts.Cert.RawIssuer...), serial...)
	scv2, err := SigningCertificateV2(opts.Cert, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	ctAttr := make([]byte, 0, 64)
	ctAttr = appendAttrHeader(ctAttr, oidAttrContentTypeDER, len(ct))
	ctAttr = append(ctAttr, ct...)
	return &Prepared{opts: opts, sd: sd, scv2: scv2, signerOpts: signerOpts, contentTypeAttr: ctAttr}, nil
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
	// contentType, messageDigest, signingTime and signing-certificate-v2 are written here;
	// further attributes are encoded apart and all are put in DER order.
	md := tlv(len(digest))
	mdAttr := make([]byte, 0, tlv(len(oidAttrMessageDigestDER)+tlv(md)))
	mdAttr = appendAttrHeader(mdAttr, oidAttrMessageDigestDER, md)
	mdAttr = appendTLV(mdAttr, tagOctetString, digest)
	attrs := make([][]byte, 0, 4+len(opts.ExtraSigned))
	attrs = append(attrs, p.contentTypeAttr, mdAttr)
	if opts.SigningTime != nil {
		st, err := encodeTime(*opts.SigningTime)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to encode the signing time: %w", err)
		}
		a := appendAttrHeader(make([]byte, 0, 64), oidAttrSigningTimeDER, len(st))
		attrs = append(attrs, append(a, st...))
	}
	a := appendAttrHeader(make([]byte, 0, tlv(len(oidAttrSigningCertV2DER)+tlv(len(p.scv2)))), oidAttrSigningCertV2DER, len(p.scv2))
	attrs = append(attrs, append(a, p.scv2...))
	for i := range opts.ExtraSigned {
		a, err := encodeAttribute(&opts.ExtraSigned[i])
		if err != nil {
			return nil, nil, fmt.Errorf("failed to encode attribute %v: %w", opts.ExtraSigned[i].Type, err)
		}
		attrs = append(attrs, a)
	}
	sd.signedAttrs = encodeSet(attrs)
	return &sd, sd.signedAttrs, nil
}

// The encoded types of the attributes a SignedData is signed with.
var (
	oidAttrContentTypeDER   = []byte{tagOID, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03}
	oidAttrMessageDigestDER = []byte{tagOID, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04}
	oidAttrSigningTimeDER   = []byte{tagOID, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05}
	oidAttrSigningCertV2DER = []byte{tagOID, 11, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f}
)

// appendAttrHeader appends the start of an Attribute of type typ (an encoded OID) holding one
// value of n bytes, which the caller appends.
func appendAttrHeader(b, typ []byte, n int) []byte {
	b = appendHeader(b, tagSequence, len(typ)+tlv(n))
	b = append(b, typ...)
	return appendHeader(b, tagSet, n)
}

// encodeSet returns a SET OF the encoded elements, in DER order (enc is sorted in place).
func encodeSet(enc [][]byte) []byte {
	sortDER(enc)
	n := 0
	for _, e := range enc {
		n += len(e)
	}
	b := appendHeader(make([]byte, 0, tlv(n)), tagSet, n)
	for _, e := range enc {
		b = append(b, e...)
	}
	return b
}

// SignatureValue is the SignerInfo's signature octets (what a signature timestamp covers).
func (sd *SignedData) SignatureValue() []byte { return sd.signature }

// AddUnsigned appends an unsigned attribute (e.g. id-aa-timeStampToken).
func (sd *SignedData) AddUnsigned(a Attribute) { sd.unsigned = append(sd.unsigned, a) }

// AddTimestamp adds token (a DER TimeStampToken ContentInfo) as the signature-time-stamp.
func (sd *SignedData) AddTimestamp(token []byte) {
	sd.AddUnsigned(Attribute{Type: OIDAttrTimeStampToken, Values: []asn1.RawValue{{FullBytes: token}}})
}

// Marshal encodes the ContentInfo wrapping the SignedData.
func (sd *SignedData) Marshal() ([]byte, error) {
	if sd.signature == nil {
		return nil, errors.New("signed data is not signed")
	}
	return sd.marshal(sd.signature)
}

func (sd *SignedData) marshal(signature []byte) ([]byte, error) {
	var unsigned []byte
	if len(sd.unsigned) > 0 {
		enc := make([][]byte, len(sd.unsigned))
		for i := range sd.unsigned {
			a, err := encodeAttribute(&sd.unsigned[i])
			if err != nil {
				return nil, fmt.Errorf("failed to encode attribute %v: %w", sd.unsigned[i].Type, err)
			}
			enc[i] = a
		}
		unsigned = encodeSet(enc)
	}
	l := sd.layout(len(signature), len(unsigned))
	b := make([]byte, 0, l.size())
	b = appendHeader(b, tagSequence, l.ciBody) // ContentInfo
	b = append(b, l.ct...)
	b = appendHeader(b, tagContext0, tlv(l.sdBody))
	b = appendHeader(b, tagSequence, l.sdBody) // SignedData
	b = appendSmallInt(b, sd.version)
	b = appendTLV(b, tagSet, sd.digestAlg)
	b = appendHeader(b, tagSequence, l.eci) // EncapsulatedContentInfo
	b = append(b, sd.eContentType...)
	if sd.eContent != nil {
		b = appendHeader(b, tagContext0, tlv(len(sd.eContent)))
		b = appendTLV(b, tagOctetString, sd.eContent)
	}
	if len(sd.certs) > 0 {
		b = appendHeader(b, tagContext0, l.certs)
		for _, c := range sd.certs {
			b = append(b, c...)
		}
	}
	b = appendHeader(b, tagSet, tlv(l.siBody))
	b = appendHeader(b, tagSequence, l.siBody) // SignerInfo
	b = appendSmallInt(b, 1)
	b = append(b, sd.sid...)
	b = append(b, sd.digestAlg...)
	b = append(b, tagContext0) // signedAttrs: the SET re-tagged [0] IMPLICIT
	b = append(b, sd.signedAttrs[1:]...)
	b = append(b, sd.sigAlg...)
	b = appendTLV(b, tagOctetString, signature)
	if unsigned != nil {
		b = append(b, tagContext1) // unsignedAttrs [1] IMPLICIT
		b = append(b, unsigned[1:]...)
	}
	return b, nil
}

// sdLayout holds the content lengths of the elements of an encoded SignedData.
type sdLayout struct {
	ct                                 []byte // the ContentInfo's content type
	ciBody, sdBody, eci, certs, siBody int
}

// layout computes the lengths from the inside out, for a signature of sigLen bytes and an
// encoded SET of unsigned attributes of unsignedLen bytes (0: none).
func (sd *SignedData) layout(sigLen, unsignedLen int) sdLayout {
	var l sdLayout
	l.siBody = smallIntLen(1) + len(sd.sid) + len(sd.digestAlg) + len(sd.signedAttrs) + len(sd.sigAlg) + tlv(sigLen) + unsignedLen
	l.eci = len(sd.eContentType)
	if sd.eContent != nil {
		l.eci += tlv(tlv(len(sd.eContent)))
	}
	for _, c := range sd.certs {
		l.certs += len(c)
	}
	l.sdBody = smallIntLen(sd.version) + tlv(len(sd.digestAlg)) + tlv(l.eci) + tlv(tlv(l.siBody))
	if len(sd.certs) > 0 {
		l.sdBody += tlv(l.certs)
	}
	l.ct = oidSignedDataDER
	if sd.gm {
		l.ct = oidGMSignedDataDER
	}
	l.ciBody = len(l.ct) + tlv(tlv(l.sdBody))
	return l
}

// size is the size of the whole encoding.
func (l *sdLayout) size() int { return tlv(l.ciBody) }

// The encoded content types of a ContentInfo.
var (
	oidSignedDataDER   = []byte{tagOID, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}
	oidGMSignedDataDER = []byte{tagOID, 10, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x06, 0x01, 0x04, 0x02, 0x02}
)

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
	l := sd.layout(n, 0)
	// Length fields of the enclosing SEQUENCEs may grow by at most 3 bytes each (5 levels)
	// when the unsigned attributes are added.
	extra := 0
	if unsignedExtra > 0 {
		extra = unsignedExtra + 16 + 5*3
	}
	return l.size() + extra, nil
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

// signatureAlgorithm returns the encoded signature AlgorithmIdentifier for a key and hash, and
// the options to pass to the signer.
func signatureAlgorithm(pub crypto.PublicKey, h crypto.Hash, pss bool) ([]byte, crypto.SignerOpts, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, nil, fmt.Errorf("%w: rsa-%d", errUnsupportedAlgorithm, k.N.BitLen())
		}
		if pss {
			params, err := pssParams(h)
			if err != nil {
				return nil, nil, err
			}
			alg, err := encodeAlgorithm(OIDRSAPSS, params)
			return alg, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}, err
		}
		alg, err := encodeAlgorithm(OIDRSAEncryption, derNull)
		return alg, h, err
	case *ecdsa.PublicKey:
		if k.Curve == sm2.P256() {
			alg, err := encodeAlgorithm(OIDSM2SM3, nil)
			return alg, sm2.NewSM2SignerOption(true, nil), err
		}
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return nil, nil, fmt.Errorf("%w: curve %s", errUnsupportedAlgorithm, k.Curve.Params().Name)
		}
		oid := ecdsaOID(h)
		if oid == nil {
			return nil, nil, fmt.Errorf("%w: digest %v", errUnsupportedAlgorithm, h)
		}
		alg, err := encodeAlgorithm(oid, nil)
		return alg, h, err
	case ed25519.PublicKey:
		alg, err := encodeAlgorithm(OIDEd25519, nil)
		return alg, crypto.Hash(0), err
	}
	return nil, nil, fmt.Errorf("%w: key %T", errUnsupportedAlgorithm, pub)
}

// pssParams returns the RSASSA-PSS-params for h: hash h, MGF1 with h, salt length h.Size()
// (the trailer field 1 is the default and not written).
func pssParams(h crypto.Hash) ([]byte, error) {
	hoid, err := HashOID(h)
	if err != nil {
		return nil, err
	}
	halg, err := encodeAlgorithm(hoid, derNull)
	if err != nil {
		return nil, err
	}
	mgf, err := encodeAlgorithm(OIDMGF1, halg)
	if err != nil {
		return nil, err
	}
	salt := smallIntLen(h.Size())
	body := tlv(len(halg)) + tlv(len(mgf)) + tlv(salt)
	b := appendHeader(make([]byte, 0, tlv(body)), tagSequence, body)
	b = appendTLV(b, tagContext0, halg)
	b = appendTLV(b, tagContext1, mgf)
	b = appendHeader(b, tagContext2, salt)
	return appendSmallInt(b, h.Size()), nil
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
	// The usual key types first: a type switch on concrete types needs no interface table,
	// which the runtime builds (and allocates) at the first assertion to an interface.
	switch k := a.(type) {
	case *ecdsa.PublicKey:
		return k.Equal(b)
	case *rsa.PublicKey:
		return k.Equal(b)
	case ed25519.PublicKey:
		return k.Equal(b)
	}
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
	if cert.SerialNumber == nil {
		return nil, errors.New("certificate has no serial number")
	}
	var alg []byte
	if h != crypto.SHA256 {
		if alg, err = encodeAlgorithm(hoid, derNull); err != nil {
			return nil, err
		}
	}
	hh := h.New()
	hh.Write(cert.Raw)
	var sum [64]byte
	certHash := hh.Sum(sum[:0])
	serial := encodeBigInt(cert.SerialNumber)
	// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
	// ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash OCTET STRING,
	//   issuerSerial SEQUENCE { issuer GeneralNames (one directoryName [4]), serialNumber } }
	dirName := tlv(len(cert.RawIssuer)) // [4] Name
	issuerSerial := tlv(dirName) + len(serial)
	essCertID := len(alg) + tlv(len(certHash)) + tlv(issuerSerial)
	certs := tlv(essCertID) // SEQUENCE OF, one element
	b := make([]byte, 0, tlv(tlv(certs)))
	b = appendHeader(b, tagSequence, tlv(certs))
	b = appendHeader(b, tagSequence, certs)
	b = appendHeader(b, tagSequence, essCertID)
	b = append(b, alg...)
	b = appendTLV(b, tagOctetString, certHash)
	b = appendHeader(b, tagSequence, issuerSerial)
	b = appendHeader(b, tagSequence, dirName)
	b = appendTLV(b, tagContext4, cert.RawIssuer)
	return append(b, serial...), nil
}

// WithoutCertificates returns a copy that embeds no certificates (a TSA answering a request
// without certReq).
func (sd *SignedData) WithoutCertificates() *SignedData {
	c := *sd
	c.certs = nil
	return &c
}
