package verify

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"

	"sealdesk/core/cms"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// SM2 signatures with SM3 (GB/T 32918.2, GB/T 32905), the Chinese commercial algorithms that
// national CAs and seal systems use. The cryptography is github.com/emmansun/gmsm's (sm2, sm3,
// smx509); this file only decodes the three encodings of an SM2 signature value seen in the
// wild and hands r and s, as integers, to gmsm.

const (
	oidSM3      = "1.2.156.10197.1.401"
	oidSM3Z     = "1.2.156.10197.1.401.2" // iOFD's CheckMethod: SM3(Z || data)
	oidSM2Curve = "1.2.156.10197.1.301"
	oidSM2Sign  = "1.2.156.10197.1.301.1"
	oidSM2SM3   = "1.2.156.10197.1.501"
	oidGMData   = "1.2.156.10197.6.1.4.2.1" // GM/T 0010 / GB/T 35275 data
	oidGMSigned = "1.2.156.10197.6.1.4.2.2" // GM/T 0010 / GB/T 35275 signedData
)

// sm2DefaultID is the signer ID every producer seen uses (GM/T 0009 default).
var sm2DefaultID = []byte("1234567812345678")

// sm2Key builds an SM2 public key from an uncompressed point.
func sm2Key(point []byte) (*ecdsa.PublicKey, error) {
	if len(point) != 65 || point[0] != 4 {
		return nil, errors.New("SM2 key is not an uncompressed point")
	}
	c := sm2.P256()
	x, y := new(big.Int).SetBytes(point[1:33]), new(big.Int).SetBytes(point[33:])
	if !c.IsOnCurve(x, y) {
		return nil, errors.New("the SM2 public key is not on the curve")
	}
	return &ecdsa.PublicKey{Curve: c, X: x, Y: y}, nil
}

// sm2RS decodes an SM2 signature value: DER SEQUENCE{r, s}; the raw 64-byte r||s; or DER whose
// trailing zero bytes were lost (a BIT STRING whose trailing zero bits were trimmed), padded back
// to the length the DER header declares. Anything else is errSignature.
func sm2RS(sig []byte) (r, s *big.Int, err error) {
	parse := func(b []byte) (*big.Int, *big.Int, bool) {
		n, rest, err := cms.ParseBER(b)
		if err != nil || len(rest) != 0 || !n.Is(0, cms.TagSequence) || len(n.Children) != 2 {
			return nil, nil, false
		}
		r, err1 := n.Children[0].Integer()
		s, err2 := n.Children[1].Integer()
		if err1 != nil || err2 != nil {
			return nil, nil, false
		}
		return r, s, true
	}
	if r, s, ok := parse(sig); ok {
		return r, s, nil
	}
	if len(sig) == 64 {
		return new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]), nil
	}
	// Trimmed: 30 LL ... with fewer than LL bytes following, the missing ones zero.
	if len(sig) >= 2 && sig[0] == 0x30 && sig[1] < 0x80 && int(sig[1])+2 > len(sig) && int(sig[1])+2-len(sig) <= 4 {
		padded := append(append([]byte(nil), sig...), make([]byte, int(sig[1])+2-len(sig))...)
		if r, s, ok := parse(padded); ok {
			return r, s, nil
		}
	}
	return nil, nil, errSignature
}

// verifySM2 checks an SM2 signature over msg (SM3 with Z of the default ID) by pub.
func verifySM2(pub *ecdsa.PublicKey, msg, sig []byte) error {
	r, s, err := sm2RS(sig)
	if err != nil {
		return err
	}
	if !sm2.VerifyWithSM2(pub, nil, msg, r, s) {
		return errSignature
	}
	return nil
}

// verifySM2Digest checks an SM2 signature whose e was computed by the signer (iOFD signs
// e = SM3(Z || data) it computed itself).
func verifySM2Digest(pub *ecdsa.PublicKey, e, sig []byte) error {
	r, s, err := sm2RS(sig)
	if err != nil {
		return err
	}
	if !sm2.Verify(pub, e, r, s) {
		return errSignature
	}
	return nil
}

// sm2Z is Z_A with the default ID.
func sm2Z(pub *ecdsa.PublicKey) []byte {
	z, err := sm2.CalculateZA(pub, sm2DefaultID)
	if err != nil {
		return nil
	}
	return z
}

// parseSMCertificate parses a certificate crypto/x509 refused with gmsm's smx509 (which knows
// the SM2 curve and SM2-with-SM3); the result shares crypto/x509's Certificate layout.
func parseSMCertificate(raw []byte) (*smx509.Certificate, error) {
	c, err := smx509.ParseCertificate(raw)
	if err != nil {
		return nil, fmt.Errorf("smx509: %w", err)
	}
	return c, nil
}
