// Package pki is SealDesk's certificate toolbox: key generation, CSRs, certificate profiles (person,
// enterprise seal, timestamp authority, OCSP responder, root and intermediate CA, TLS server),
// issuing a certificate under a profile, CRLs and OCSP responses.
//
// It is store-agnostic: CA keys come in as crypto.Signer (a software key, a PKCS#11 token, a key
// decrypted by the server), and every piece of CA state (serial numbers, revocation lists, CRL
// numbers) is passed in by the caller. Nothing here keeps state between calls or touches disk.
//
// # What it refuses
//
//   - Issuing from a CSR whose self-signature does not verify.
//   - Keys weaker than RSA-2048 or ECDSA P-256, and RSA above 8192 bits. SM2 keys (GB/T 32918,
//     github.com/emmansun/gmsm) are accepted: their CSRs are read and their certificates made
//     with gmsm's smx509, as crypto/x509 knows neither the SM2 curve nor SM2-with-SM3.
//   - A profile that would let a leaf act as a CA, or a CA without a path-length limit for
//     intermediates.
//   - Certificates that outlive their issuer (NotAfter is clamped to the issuer's NotAfter).
package pki

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
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"unicode/utf16"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// KeyType names a key algorithm and size.
type KeyType string

// The supported key types. Ed25519 is for internal services only: PDF validators do not accept
// it for document signatures.
const (
	ECDSAP256 KeyType = "ecdsa-p256"
	ECDSAP384 KeyType = "ecdsa-p384"
	RSA2048   KeyType = "rsa-2048"
	RSA3072   KeyType = "rsa-3072"
	RSA4096   KeyType = "rsa-4096"
	Ed25519   KeyType = "ed25519"
	// SM2 is the Chinese national curve (GB/T 32918); it signs with SM3 and the GM/T 0009
	// default ID.
	SM2 KeyType = "sm2"
)

// Sentinel errors.
var (
	// ErrKeyType is returned for an unknown or too weak key type.
	ErrKeyType = errors.New("unsupported key type")
	// ErrBadCSR is returned when a CSR cannot be parsed or its signature does not verify.
	ErrBadCSR = errors.New("invalid certificate signing request")
	// ErrNotCA is returned when the issuer certificate is not a CA.
	ErrNotCA = errors.New("issuer is not a certificate authority")
)

// GenerateKey makes a new private key of the given type.
func GenerateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case SM2:
		return sm2.GenerateKey(rand.Reader)
	}
	return nil, fmt.Errorf("%w: %q", ErrKeyType, kt)
}

// CheckPublicKey refuses keys too weak (or too exotic) to sign with.
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 || n > 8192 {
			return fmt.Errorf("%w: rsa-%d", ErrKeyType, n)
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521(), sm2.P256():
		default:
			return fmt.Errorf("%w: ecdsa curve %s", ErrKeyType, k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		return fmt.Errorf("%w: %T", ErrKeyType, pub)
	}
	return nil
}

// IsSM2 reports whether pub is an SM2 public key.
func IsSM2(pub crypto.PublicKey) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == sm2.P256()
}

// MarshalPKIXPublicKey is x509.MarshalPKIXPublicKey that also encodes SM2 keys.
func MarshalPKIXPublicKey(pub crypto.PublicKey) ([]byte, error) {
	if IsSM2(pub) {
		return smx509.MarshalPKIXPublicKey(pub)
	}
	return x509.MarshalPKIXPublicKey(pub)
}

// ParsePKIXPublicKey is x509.ParsePKIXPublicKey that also reads SM2 keys.
func ParsePKIXPublicKey(der []byte) (crypto.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		if sk, smErr := smx509.ParsePKIXPublicKey(der); smErr == nil && IsSM2(sk) {
			return sk, nil
		}
	}
	return k, err
}

// MarshalPKCS8 is x509.MarshalPKCS8PrivateKey that also encodes SM2 keys (with the SM2 curve OID,
// as OpenSSL and gmsm read them).
func MarshalPKCS8(key crypto.Signer) ([]byte, error) {
	if IsSM2(key.Public()) {
		return smx509.MarshalPKCS8PrivateKey(key)
	}
	return x509.MarshalPKCS8PrivateKey(key)
}

// ParsePKCS8 is x509.ParsePKCS8PrivateKey that also reads SM2 keys.
func ParsePKCS8(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		sk, smErr := smx509.ParsePKCS8PrivateKey(der)
		if smErr != nil {
			return nil, err
		}
		k = sk
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrKeyType, k)
	}
	return s, nil
}

// ParseCertificate is x509.ParseCertificate that also reads SM2 certificates (an SM2 key or an
// SM2-with-SM3 signature) through smx509, into crypto/x509's layout.
func ParseCertificate(der []byte) (*x509.Certificate, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		sc, smErr := smx509.ParseCertificate(der)
		if smErr != nil || !isSM2Cert(sc) {
			return nil, err
		}
		return sc.ToX509(), nil
	}
	return c, nil
}

// MarshalPrivateKeyPEM encodes a key as an unencrypted PKCS#8 "PRIVATE KEY" PEM block. Callers
// that store it encrypt it themselves.
func MarshalPrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := MarshalPKCS8(key)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// PEMText returns PEM data as encoding/pem reads it: without the UTF-8 byte-order mark Windows
// editors (Notepad) put in front, and UTF-16 text (Notepad's "Unicode", with its BOM) turned into
// UTF-8. Without this a PEM saved on Windows loses its first block: pem.Decode finds a BEGIN line
// only at the very start or after a newline. CRLF line endings need nothing (pem.Decode accepts
// them). Other data (DER, ASCII PEM) is returned as it is.
func PEMText(data []byte) []byte {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:]
	case len(data) >= 2 && len(data)%2 == 0 && (data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF):
		u := make([]uint16, 0, len(data)/2-1)
		for i := 2; i+1 < len(data); i += 2 {
			if data[0] == 0xFF {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		return []byte(string(utf16.Decode(u)))
	}
	return data
}

// ParsePrivateKeyPEM reads the first private key PEM block (PKCS#8, PKCS#1 or SEC 1).
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	data = PEMText(data)
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no private key PEM block found")
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			if k, err = x509.ParsePKCS8PrivateKey(b.Bytes); err != nil {
				// An SM2 key (the SM2 curve OID, unknown to crypto/x509): gmsm reads it.
				if sk, smErr := smx509.ParsePKCS8PrivateKey(b.Bytes); smErr == nil {
					k, err = sk, nil
				}
			}
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			if k, err = x509.ParseECPrivateKey(b.Bytes); err != nil {
				if sk, smErr := smx509.ParseSM2PrivateKey(b.Bytes); smErr == nil {
					k, err = sk, nil
				}
			}
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted private key PEM is not supported; use PKCS#12")
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", b.Type, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: %T", ErrKeyType, k)
		}
		return s, nil
	}
}

// EncodeCertsPEM encodes certificates as concatenated "CERTIFICATE" PEM blocks.
func EncodeCertsPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// ParseCertsPEM reads every "CERTIFICATE" PEM block; it fails when there is none.
func ParseCertsPEM(data []byte) ([]*x509.Certificate, error) {
	data = PEMText(data)
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("failed to parse certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate PEM block found")
	}
	return certs, nil
}

// NewCSR makes a DER PKCS#10 request for key with the given subject (an SM2 key signs it with
// SM2-with-SM3).
func NewCSR(key crypto.Signer, subject pkix.Name) ([]byte, error) {
	create := x509.CreateCertificateRequest
	if IsSM2(key.Public()) {
		create = func(r io.Reader, t *x509.CertificateRequest, k any) ([]byte, error) {
			return smx509.CreateCertificateRequest(r, t, k)
		}
	}
	der, err := create(rand.Reader, &x509.CertificateRequest{Subject: subject}, key)
	if err != nil {
		return nil, fmt.Errorf("failed to create csr: %w", err)
	}
	return der, nil
}

// ParseCSR parses a DER (or PEM) CSR and checks its self-signature and key strength.
func ParseCSR(data []byte) (*x509.CertificateRequest, error) {
	data = PEMText(data)
	if b, _ := pem.Decode(data); b != nil {
		data = b.Bytes
	}
	csr, err := x509.ParseCertificateRequest(data)
	if err != nil {
		// An SM2 request (the SM2 curve, SM2-with-SM3): gmsm's smx509 reads and checks it.
		sc, smErr := smx509.ParseCertificateRequest(data)
		if smErr != nil || !IsSM2(sc.PublicKey) {
			return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
		}
		if err := sc.CheckSignature(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
		}
		csr = (*x509.CertificateRequest)(sc)
	} else if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}
	if err := CheckPublicKey(csr.PublicKey); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadCSR, err)
	}
	return csr, nil
}

// RandomSerial returns a random positive 127-bit serial number (RFC 5280 allows up to 20 octets).
func RandomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("failed to read random serial: %w", err)
	}
	b[0] &= 0x7f
	b[0] |= 0x40 // never short, never zero
	return new(big.Int).SetBytes(b), nil
}

func isSM2Cert(c *smx509.Certificate) bool {
	k, ok := c.PublicKey.(*ecdsa.PublicKey)
	return ok && k.Curve == sm2.P256()
}
