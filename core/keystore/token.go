package keystore

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
)

// TokenRef names a key pair on a PKCS #11 token (a UKey): the module that drives it, the
// token's label and serial, and the key's CKA_ID.
type TokenRef struct {
	Module string `json:"module"`
	Token  string `json:"token"`
	Serial string `json:"serial,omitempty"`
	KeyID  []byte `json:"key_id"`
}

// Tokens opens keys on hardware tokens. The desktop's implementation is
// core/sealkey/pkcs11key.Personal (cgo); without it token records answer ErrNoTokens.
type Tokens interface {
	// Signer logs in to the token with pin — the token checks it and keeps its own lock-out —
	// and returns the signer of ref's key. Errors wrap sealkey.ErrPINIncorrect,
	// sealkey.ErrPINLocked or sealkey.ErrTokenAbsent where they apply.
	Signer(ref TokenRef, pin string) (crypto.Signer, error)
}

// AddToken records a key pair that lives on a token (made there by the caller), so that Unlock,
// CSR and SetCertificate work on it like on a software key. Nothing secret is stored.
func (k *Keystore) AddToken(ref TokenRef, pub crypto.PublicKey) (Info, error) {
	if ref.Module == "" || ref.Token == "" || len(ref.KeyID) == 0 {
		return Info{}, errors.New("token reference needs a module, a token and a key id")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return Info{}, fmt.Errorf("failed to encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	e := &Entry{Version: entryVersion, ID: hex.EncodeToString(sum[:8]), Created: k.now().UTC(), PublicKey: der,
		Secret: SecretPIN, Token: &ref}
	if err := k.put(e); err != nil {
		return Info{}, err
	}
	return e.info()
}
