//go:build cgo

package pkcs11key

import (
	"crypto"
	"crypto/elliptic"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"

	"sealdesk/core/sealkey"
)

// The code both callers share: log in, make a key pair, find one, and map the token's answers
// to core/sealkey's errors.

// Alg is a key algorithm made on a token.
type Alg string

// Key algorithms.
const (
	AlgECDSAP256 Alg = "ecdsa-p256"
	AlgRSA2048   Alg = "rsa-2048"
)

// login opens a context on the token (by label, or by serial when given) and logs in with pin.
// PKCS #11 logins are per process and token: a caller that needs the PIN checked again must
// close every context on that token first (Personal does).
func login(module, label, serial, pin string) (*crypto11.Context, error) {
	cfg := &crypto11.Config{Path: module, Pin: pin}
	if serial != "" {
		cfg.TokenSerial = serial
	} else {
		cfg.TokenLabel = label
	}
	ctx, err := crypto11.Configure(cfg)
	if err != nil {
		return nil, fmt.Errorf("pkcs11: failed to open token %q through %s: %w", label, module, mapErr(err))
	}
	return ctx, nil
}

// generate makes a key pair of alg on the token with CKA_ID id and CKA_LABEL label.
func generate(ctx *crypto11.Context, id []byte, label string, alg Alg) (crypto11.Signer, error) {
	var s crypto11.Signer
	var err error
	switch alg {
	case AlgECDSAP256:
		s, err = ctx.GenerateECDSAKeyPairWithLabel(id, []byte(label), elliptic.P256())
	case AlgRSA2048:
		s, err = ctx.GenerateRSAKeyPairWithLabel(id, []byte(label), 2048)
	default:
		return nil, fmt.Errorf("pkcs11: unsupported key algorithm %q", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("pkcs11: failed to generate a key pair: %w", mapErr(err))
	}
	return s, nil
}

// findKey finds the key pair with CKA_ID id (and CKA_LABEL label when not nil).
func findKey(ctx *crypto11.Context, id, label []byte) (crypto11.Signer, error) {
	k, err := ctx.FindKeyPair(id, label)
	if err != nil {
		return nil, mapErr(err)
	}
	if k == nil {
		return nil, sealkey.ErrBadHandle
	}
	return k, nil
}

// mapErr wraps the token's answers that people must be told about in core/sealkey's errors.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var p pkcs11.Error
	code := pkcs11.Error(0)
	if errors.As(err, &p) {
		code = p
	}
	msg := err.Error()
	switch {
	case code == pkcs11.CKR_PIN_INCORRECT || strings.Contains(msg, "CKR_PIN_INCORRECT"):
		return fmt.Errorf("%w: %v", sealkey.ErrPINIncorrect, err)
	case code == pkcs11.CKR_PIN_LOCKED || strings.Contains(msg, "CKR_PIN_LOCKED"):
		return fmt.Errorf("%w: %v", sealkey.ErrPINLocked, err)
	case code == pkcs11.CKR_TOKEN_NOT_PRESENT || strings.Contains(msg, "could not find PKCS#11 token") ||
		strings.Contains(msg, "CKR_TOKEN_NOT_PRESENT") || strings.Contains(msg, "CKR_SLOT_ID_INVALID"):
		return fmt.Errorf("%w: %v", sealkey.ErrTokenAbsent, err)
	case code == pkcs11.CKR_DEVICE_REMOVED || code == pkcs11.CKR_DEVICE_ERROR || code == pkcs11.CKR_SESSION_HANDLE_INVALID ||
		code == pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED || strings.Contains(msg, "closed Context") ||
		strings.Contains(msg, "CKR_DEVICE_REMOVED") || strings.Contains(msg, "CKR_SESSION_HANDLE_INVALID") ||
		strings.Contains(msg, "CKR_CRYPTOKI_NOT_INITIALIZED"):
		return fmt.Errorf("%w: %v", sealkey.ErrTokenFailed, err)
	}
	return err
}

// tokenSigner wraps a token key so that a failure while signing (the token pulled out) comes
// back as sealkey.ErrTokenFailed.
type tokenSigner struct{ s crypto.Signer }

func (t tokenSigner) Public() crypto.PublicKey { return t.s.Public() }

func (t tokenSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	sig, err := t.s.Sign(r, digest, opts)
	if err != nil {
		err = mapErr(err)
		if !errors.Is(err, sealkey.ErrTokenFailed) {
			err = fmt.Errorf("%w: %v", sealkey.ErrTokenFailed, err)
		}
		return nil, err
	}
	return sig, nil
}
