//go:build !cgo

package pkcs11key

import (
	"crypto"
	"crypto/x509"

	"sealdesk/core/keystore"
	"sealdesk/core/sealkey"
)

// Config selects the module, the token and the user PIN.
type Config struct {
	Module     string
	TokenLabel string
	PIN        string
}

// Vault is unavailable without cgo.
type Vault struct{ sealkey.Vault }

// Open always fails without cgo.
func Open(Config) (*Vault, error) { return nil, ErrNoCgo }

// Close does nothing.
func (*Vault) Close() error { return nil }

// Alg is a key algorithm made on a token.
type Alg string

// Key algorithms.
const (
	AlgECDSAP256 Alg = "ecdsa-p256"
	AlgRSA2048   Alg = "rsa-2048"
)

// TokenInfo describes a token present in a slot of a module.
type TokenInfo struct {
	Slot                        uint
	Label, Serial, Manufacturer string
	Model                       string
	ECDSA, RSA, Vendor          bool
	Certificates                []TokenCert
}

// TokenCert is a certificate object on a token.
type TokenCert struct {
	ID    []byte
	Label string
	Cert  *x509.Certificate
}

// ListTokens always fails without cgo.
func ListTokens(string) ([]TokenInfo, error) { return nil, ErrNoCgo }

// Personal is unavailable without cgo: every call answers ErrNoCgo.
type Personal struct{}

var _ keystore.Tokens = (*Personal)(nil)

// NewPersonal returns a Personal that answers ErrNoCgo.
func NewPersonal() *Personal { return &Personal{} }

func (*Personal) List(string) ([]TokenInfo, error)                        { return nil, ErrNoCgo }
func (*Personal) Signer(keystore.TokenRef, string) (crypto.Signer, error) { return nil, ErrNoCgo }
func (*Personal) Generate(string, string, string, string, Alg) (keystore.TokenRef, crypto.PublicKey, error) {
	return keystore.TokenRef{}, nil, ErrNoCgo
}
func (*Personal) ImportCertificate(keystore.TokenRef, *x509.Certificate) error { return ErrNoCgo }
func (*Personal) Logout(keystore.TokenRef)                                     {}
func (*Personal) Close() error                                                 { return nil }
