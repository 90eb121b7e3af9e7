// Package tsa is SealDesk's RFC 3161 timestamp authority and its client.
//
// Authority answers TimeStampReq messages in-process (Stamp, Timestamp) or over HTTP
// (ServeHTTP, content type application/timestamp-query). Tokens carry a monotonic serial number,
// the configured policy OID and accuracy, the TSA name, the request's nonce, and a signed
// ESSCertIDv2 (signing-certificate-v2) of the TSA certificate. Client requests tokens from any
// RFC 3161 server and checks what comes back (status, imprint, nonce, signature).
//
// # What it refuses
//
//   - Requests over MaxRequestSize, with trailing bytes, version ≠ 1, an imprint whose length
//     does not fit its hash, SHA-1/MD5 imprints, nonces over 32 bytes, critical extensions, or a
//     policy other than the authority's. Refusals are answered with a PKIStatus "rejection"
//     and the matching failInfo bit, as RFC 3161 §2.4.2 says.
//   - A TSA certificate without the critical timeStamping extended key usage.
//   - Tokens (ParseToken, the client) whose TSTInfo core/verify would not take as a timestamp:
//     both read it with cms.ParseTSTInfo, and every flaw it lists (a genTime that is not DER in
//     UTC, a critical extension, malformed or misordered optional fields) is a refusal here.
package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"sync"
	"time"

	"sealdesk/core/cms"
)

// MaxRequestSize bounds a TimeStampReq.
const MaxRequestSize = 16 << 10

// DefaultPolicy is the policy OID used when Options.Policy is empty (a SealDesk arc under the
// private-enterprise placeholder 1.3.6.1.4.1.99999; deployments set their own).
var DefaultPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1, 1}

var oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}

// Failure info bits (RFC 3161 §2.4.2).
const (
	FailBadAlg              = 0
	FailBadRequest          = 2
	FailBadDataFormat       = 5
	FailTimeNotAvailable    = 14
	FailUnacceptedPolicy    = 15
	FailUnacceptedExtension = 16
	FailSystemFailure       = 25
)

// RequestError is a refused request: the reason and the RFC 3161 failInfo bit.
type RequestError struct {
	FailInfo int
	Reason   string
}

func (e *RequestError) Error() string { return "timestamp request refused: " + e.Reason }

// Request is a parsed TimeStampReq.
type Request struct {
	Hash      crypto.Hash
	Digest    []byte
	Policy    asn1.ObjectIdentifier
	Nonce     *big.Int
	CertReq   bool
	rawPolicy bool
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type timeStampReq struct {
	Version        int
	MessageImprint messageImprint
	ReqPolicy      asn1.ObjectIdentifier `asn1:"optional"`
	Nonce          *big.Int              `asn1:"optional"`
	CertReq        bool                  `asn1:"optional,default:false"`
	Extensions     []pkix.Extension      `asn1:"optional,tag:0"`
}

// ParseRequest parses and checks a DER TimeStampReq.
func ParseRequest(der []byte) (*Request, error) {
	if len(der) > MaxRequestSize {
		return nil, &RequestError{FailBadDataFormat, fmt.Sprintf("request is %d bytes, limit %d", len(der), MaxRequestSize)}
	}
	var r timeStampReq
	rest, err := asn1.Unmarshal(der, &r)
	if err != nil {
		return nil, &RequestError{FailBadDataFormat, "malformed request: " + err.Error()}
	}
	if len(rest) != 0 {
		return nil, &RequestError{FailBadDataFormat, "trailing data after request"}
	}
	if r.Version != 1 {
		return nil, &RequestError{FailBadRequest, fmt.Sprintf("version %d", r.Version)}
	}
	h := cms.HashFromOID(r.MessageImprint.HashAlgorithm.Algorithm)
	if h == 0 || h == crypto.SHA1 || !h.Available() {
		return nil, &RequestError{FailBadAlg, fmt.Sprintf("hash algorithm %v not accepted", r.MessageImprint.HashAlgorithm.Algorithm)}
	}
	if len(r.MessageImprint.HashedMessage) != h.Size() {
		return nil, &RequestError{FailBadDataFormat, fmt.Sprintf("imprint is %d bytes, %v needs %d", len(r.MessageImprint.HashedMessage), h, h.Size())}
	}
	if r.Nonce != nil && (r.Nonce.Sign() < 0 || r.Nonce.BitLen() > 256) {
		return nil, &RequestError{FailBadRequest, "nonce negative or longer than 32 bytes"}
	}
	for _, e := range r.Extensions {
		if e.Critical {
			return nil, &RequestError{FailUnacceptedExtension, fmt.Sprintf("critical extension %v", e.Id)}
		}
	}
	return &Request{Hash: h, Digest: r.MessageImprint.HashedMessage, Policy: r.ReqPolicy, Nonce: r.Nonce, CertReq: r.CertReq}, nil
}

// Marshal encodes the request as DER.
func (r *Request) Marshal() ([]byte, error) {
	oid, err := cms.HashOID(r.Hash)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(timeStampReq{Version: 1,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: oid, Parameters: asn1.NullRawValue}, HashedMessage: r.Digest},
		ReqPolicy:      r.Policy, Nonce: r.Nonce, CertReq: r.CertReq})
}

type accuracy struct {
	Seconds int `asn1:"optional,omitempty"`
	Millis  int `asn1:"optional,omitempty,tag:0"`
	Micros  int `asn1:"optional,omitempty,tag:1"`
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time        `asn1:"generalized"`
	Accuracy       accuracy         `asn1:"optional,omitempty"`
	Ordering       bool             `asn1:"optional,default:false"`
	Nonce          *big.Int         `asn1:"optional"`
	TSA            asn1.RawValue    `asn1:"optional,tag:0"`
	Extensions     []pkix.Extension `asn1:"optional,tag:1"`
}

type pkiStatusInfo struct {
	Status       int
	StatusString []asn1.RawValue `asn1:"optional"` // UTF8Strings
	FailInfo     asn1.BitString  `asn1:"optional"`
}

type timeStampResp struct {
	Status pkiStatusInfo
	Token  asn1.RawValue `asn1:"optional"`
}

// Options configure an Authority.
type Options struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate // issuers to embed when the request asks for certificates
	// Policy is the TSA policy OID (default DefaultPolicy).
	Policy asn1.ObjectIdentifier
	// Accuracy of the clock (default 1 s).
	Accuracy time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Hash signs the token (default SHA-256).
	Hash crypto.Hash
	// NextSerial returns serial numbers; they must strictly increase across calls and restarts
	// (a server passes its store's sequence). Nil: an in-memory counter started at the clock's
	// Unix nanoseconds, which increases across restarts as long as the clock does.
	NextSerial func() (*big.Int, error)
}

// Authority is a timestamp authority. It is safe for concurrent use.
type Authority struct {
	opts    Options
	tsaName asn1.RawValue
	mu      sync.Mutex
	serial  *big.Int
}

// New checks the TSA certificate and returns an Authority.
func New(opts Options) (*Authority, error) {
	if opts.Cert == nil || opts.Key == nil {
		return nil, errors.New("tsa certificate and key are required")
	}
	critical := false
	for _, e := range opts.Cert.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 37}) {
			critical = e.Critical
		}
	}
	if !critical || len(opts.Cert.ExtKeyUsage) != 1 || opts.Cert.ExtKeyUsage[0] != x509.ExtKeyUsageTimeStamping || len(opts.Cert.UnknownExtKeyUsage) != 0 {
		return nil, errors.New("tsa certificate lacks a critical timeStamping-only extended key usage")
	}
	if opts.Policy == nil {
		opts.Policy = DefaultPolicy
	}
	if opts.Accuracy == 0 {
		opts.Accuracy = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Hash == 0 {
		opts.Hash = crypto.SHA256
	}
	dn, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: opts.Cert.RawSubject})
	if err != nil {
		return nil, err
	}
	a := &Authority{opts: opts, tsaName: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: dn}}
	a.serial = big.NewInt(opts.Now().UnixNano())
	return a, nil
}

func (a *Authority) nextSerial() (*big.Int, error) {
	if a.opts.NextSerial != nil {
		return a.opts.NextSerial()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.serial.Add(a.serial, big.NewInt(1))
	return new(big.Int).Set(a.serial), nil
}

// Token makes a TimeStampToken (DER ContentInfo) for req.
func (a *Authority) Token(req *Request) ([]byte, error) {
	if req.Policy != nil && !req.Policy.Equal(a.opts.Policy) {
		return nil, &RequestError{FailUnacceptedPolicy, fmt.Sprintf("policy %v not offered", req.Policy)}
	}
	serial, err := a.nextSerial()
	if err != nil {
		return nil, fmt.Errorf("failed to get a serial number: %w", err)
	}
	hoid, _ := cms.HashOID(req.Hash)
	acc := a.opts.Accuracy
	info := tstInfo{
		Version: 1, Policy: a.opts.Policy,
		MessageImprint: messageImprint{HashAlgorithm: pkix.AlgorithmIdentifier{Algorithm: hoid, Parameters: asn1.NullRawValue}, HashedMessage: req.Digest},
		SerialNumber:   serial,
		GenTime:        a.opts.Now().UTC().Truncate(time.Second),
		Accuracy:       accuracy{Seconds: int(acc / time.Second), Millis: int(acc % time.Second / time.Millisecond), Micros: int(acc % time.Millisecond / time.Microsecond)},
		Nonce:          req.Nonce,
		TSA:            a.tsaName,
	}
	der, err := asn1.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("failed to encode tstinfo: %w", err)
	}
	so := cms.SignOptions{Signer: a.opts.Key, Cert: a.opts.Cert, Hash: a.opts.Hash, Content: der, ContentType: cms.OIDTSTInfo}
	if req.CertReq {
		so.Chain = a.opts.Chain
	}
	sd, err := cms.Sign(so)
	if err != nil {
		return nil, fmt.Errorf("failed to sign timestamp: %w", err)
	}
	if !req.CertReq {
		sd = sd.WithoutCertificates()
	}
	return sd.Marshal()
}

// Timestamp stamps a digest in-process (certificates included): the Timestamper interface.
func (a *Authority) Timestamp(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(digest) != h.Size() {
		return nil, fmt.Errorf("digest is %d bytes, %v needs %d", len(digest), h, h.Size())
	}
	return a.Token(&Request{Hash: h, Digest: digest, CertReq: true})
}

// Respond answers a DER TimeStampReq with a DER TimeStampResp; refusals become rejection
// responses, so the error is only set when even that could not be encoded.
func (a *Authority) Respond(reqDER []byte) ([]byte, error) {
	req, err := ParseRequest(reqDER)
	if err == nil {
		var token []byte
		token, err = a.Token(req)
		if err == nil {
			return asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: 0}, Token: asn1.RawValue{FullBytes: token}})
		}
	}
	var re *RequestError
	if !errors.As(err, &re) {
		re = &RequestError{FailSystemFailure, "system failure"}
	}
	return asn1.Marshal(timeStampResp{Status: pkiStatusInfo{Status: 2, StatusString: []asn1.RawValue{{Tag: asn1.TagUTF8String, Bytes: []byte(re.Reason)}}, FailInfo: failBits(re.FailInfo)}})
}

func failBits(bit int) asn1.BitString {
	b := make([]byte, bit/8+1)
	b[bit/8] |= 0x80 >> (bit % 8)
	return asn1.BitString{Bytes: b, BitLength: bit + 1}
}

// ServeHTTP implements the RFC 3161 §3.4 HTTP transport.
func (a *Authority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "timestamp requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/timestamp-query" && mt != "application/timestamp-request" {
		http.Error(w, "content type must be application/timestamp-query", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestSize+1))
	if err != nil {
		http.Error(w, "failed to read request", http.StatusBadRequest)
		return
	}
	resp, err := a.Respond(body)
	if err != nil {
		http.Error(w, "failed to encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}

var _ http.Handler = (*Authority)(nil)

// TokenInfo is what a token says, after its signature was checked.
type TokenInfo struct {
	Time     time.Time
	Accuracy time.Duration
	Serial   *big.Int
	Policy   asn1.ObjectIdentifier
	Hash     crypto.Hash
	Digest   []byte
	Nonce    *big.Int
	// Signer is the TSA certificate (found among the token's certificates or extra).
	Signer *x509.Certificate
	// Certificates embedded in the token.
	Certificates []*x509.Certificate
}

// ParseToken parses a TimeStampToken and checks its CMS signature with the embedded (or extra)
// TSA certificate and its signing-certificate-v2 binding. It refuses what core/verify would not
// take as a timestamp (cms.ParseTSTInfo's flaws). It does not build the TSA's chain: callers
// (core/verify) do that with their trust store.
func ParseToken(token []byte, extra ...*x509.Certificate) (*TokenInfo, error) {
	p, err := cms.Parse(token)
	if err != nil {
		return nil, err
	}
	if !p.EContentType.Equal(cms.OIDTSTInfo) || p.EContent == nil {
		return nil, errors.New("token does not encapsulate a tstinfo")
	}
	if len(p.Signers) != 1 {
		return nil, fmt.Errorf("token has %d signer infos", len(p.Signers))
	}
	// The reader core/verify uses: what it would not take as a timestamp (a genTime that is not
	// DER in UTC, a critical extension, malformed or misordered optional fields) is refused here.
	info, err := cms.ParseTSTInfo(p.EContent)
	if err != nil {
		return nil, err
	}
	if len(info.Flaws) > 0 {
		return nil, errors.New(info.Flaws[0])
	}
	s := &p.Signers[0]
	cert := p.SignerCert(s)
	if cert == nil {
		p.Certificates = append(p.Certificates, extra...)
		cert = p.SignerCert(s)
	}
	if cert == nil {
		return nil, errors.New("tsa certificate not found")
	}
	h := cms.HashFromOID(s.DigestAlgorithm.Algorithm)
	if h == 0 || !h.Available() {
		return nil, errors.New("token digest algorithm not supported")
	}
	hh := h.New()
	hh.Write(p.EContent)
	if _, err := s.VerifySignature(cert, hh.Sum(nil)); err != nil {
		return nil, fmt.Errorf("token signature: %w", err)
	}
	if v := cms.Attr(s.SignedAttrs, cms.OIDAttrSigningCertV2); v != nil {
		h, want := essCertHash(v)
		if h == 0 || !h.Available() {
			return nil, errors.New("signing-certificate-v2 uses an unknown hash")
		}
		hh := h.New()
		hh.Write(cert.Raw)
		if !bytes.Equal(want, hh.Sum(nil)) {
			return nil, errors.New("signing-certificate-v2 does not match the tsa certificate")
		}
	}
	var th crypto.Hash
	if oid, err := cms.OIDFromString(info.ImprintAlg); err == nil {
		th = cms.HashFromOID(oid)
	}
	return &TokenInfo{Time: info.GenTime, Accuracy: info.Accuracy, Serial: info.Serial, Policy: info.Policy, Hash: th,
		Digest: info.Imprint, Nonce: info.Nonce, Signer: cert, Certificates: p.Certificates}, nil
}

// essCertHash extracts the hash algorithm (default SHA-256) and certHash of the first
// ESSCertIDv2; 0 and nil when the value does not parse.
func essCertHash(v []byte) (crypto.Hash, []byte) {
	var scv2 struct {
		Certs []asn1.RawValue
	}
	if _, err := asn1.Unmarshal(v, &scv2); err != nil || len(scv2.Certs) == 0 {
		return 0, nil
	}
	h := crypto.SHA256
	rest := scv2.Certs[0].Bytes
	for len(rest) > 0 {
		var rv asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &rv); err != nil {
			return 0, nil
		}
		switch rv.Tag {
		case asn1.TagSequence:
			var alg pkix.AlgorithmIdentifier
			if _, err := asn1.Unmarshal(rv.FullBytes, &alg); err != nil {
				return 0, nil
			}
			h = cms.HashFromOID(alg.Algorithm)
		case asn1.TagOctetString:
			return h, rv.Bytes
		}
	}
	return 0, nil
}
