//go:build !cgo

package pkcs11key

import (
	"errors"

	"sealdesk/core/sealkey"
)

// Config selects the module, the token and the user PIN.
type Config struct {
	Module     string
	TokenLabel string
	PIN        string
}

// ErrNoCgo is what Open answers in a binary built with CGO_ENABLED=0.
var ErrNoCgo = errors.New("pkcs11: this binary was built without cgo (CGO_ENABLED=0) and cannot load a PKCS #11 module; build it with cgo or use the software seal-key vault")

// Vault is unavailable without cgo.
type Vault struct{ sealkey.Vault }

// Open always fails without cgo.
func Open(Config) (*Vault, error) { return nil, ErrNoCgo }

// Close does nothing.
func (*Vault) Close() error { return nil }
