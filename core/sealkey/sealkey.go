// Package sealkey keeps the signing keys of enterprise seals in the server's custody: one ECDSA
// P-256 key pair per seal, generated where it is kept and used there, never exported.
//
// A Vault makes keys and hands out crypto.Signers for them. What the server stores for a key is
// its handle, which means something only to the vault that made it:
//
//   - Software (this package): the handle is the key's PKCS #8 encoding sealed with AES-256-GCM
//     under a key derived from the server's master key (the same keyring that keeps the CA's
//     keys; see core/server), with the seal's id as associated data, so a sealed key cannot be
//     moved to another seal. Decrypted keys are cached in the process's memory.
//   - PKCS #11 (package pkcs11key, through github.com/ThalesGroup/crypto11): the key pair is made
//     on the token (CKA_SENSITIVE, not extractable) and the handle is its CKA_ID; signing happens
//     on the token.
//
// # cgo and the server binary
//
// PKCS #11 modules are C shared libraries, so pkcs11key needs cgo. sealdesk-server is built with
// CGO_ENABLED=0 (SPEC §1): that build has the software vault only, and --seal-keys pkcs11:…
// answers that the binary was built without PKCS #11. A deployment that wants a token builds the
// server with cgo (`CGO_ENABLED=1 go build ./cmd/sealdesk-server`, gcc needed), which is how the
// tests run it against SoftHSM2. The trade-off: a static binary that runs anywhere, or a token
// whose keys cannot be copied off the machine even by someone holding the master key.
//
// # What it refuses
//
//   - Keys other than ECDSA P-256 (PDF validators and the CA's profiles expect it).
//   - Handles it did not make: a software handle that does not decrypt (wrong master key,
//     another seal's handle) is ErrBadHandle, as is a CKA_ID the token does not hold.
//   - Exporting a private key: no method returns one.
package sealkey

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	stdsync "sync"
)

// Vault makes and uses seal keys. Implementations are safe for concurrent use.
type Vault interface {
	// Backend names the vault ("software", "pkcs11"); the store keeps it with each handle.
	Backend() string
	// Generate makes a new ECDSA P-256 key pair for the seal labelled label and returns its
	// handle and public key.
	Generate(ctx context.Context, label string) (handle []byte, pub crypto.PublicKey, err error)
	// Signer returns the signer of the key (label, handle). Its Sign takes a SHA-256 digest.
	Signer(label string, handle []byte) (crypto.Signer, error)
	// Destroy removes a key that was generated but never used (a seal whose creation failed).
	Destroy(label string, handle []byte) error
}

// Sealer encrypts secrets at rest (core/server's keyring, under the master key). purpose is
// authenticated: Open with another purpose fails.
type Sealer interface {
	Seal(purpose string, plain []byte) ([]byte, error)
	Open(purpose string, sealed []byte) ([]byte, error)
}

// ErrBadHandle means a handle does not name a key of this vault.
var ErrBadHandle = errors.New("seal key handle does not name a key of this vault")

// Token errors (package pkcs11key wraps the token's answers in them; the desktop's personal UKey
// keys and the server's seal keys share them).
var (
	// ErrPINIncorrect: the token refused the PIN (CKR_PIN_INCORRECT); the token counts it.
	ErrPINIncorrect = errors.New("the token refused the pin")
	// ErrPINLocked: the token locked its user PIN (CKR_PIN_LOCKED) after too many wrong ones.
	ErrPINLocked = errors.New("the token's pin is locked")
	// ErrTokenAbsent: the token is not in any slot of the module (removed, or another token).
	ErrTokenAbsent = errors.New("the token is not present")
	// ErrTokenFailed: the token failed during an operation (removed mid-way, device error).
	ErrTokenFailed = errors.New("the token failed during the operation")
)

// Software keeps keys as sealed PKCS #8 handles.
type Software struct {
	Sealer Sealer

	mu    stdsync.Mutex
	cache map[string]crypto.Signer // label + handle → key, bounded by maxCache
}

var _ Vault = (*Software)(nil)

// maxCache bounds the decrypted keys a Software vault keeps in memory.
const maxCache = 4096

// NewSoftware returns a software vault sealing keys with s.
func NewSoftware(s Sealer) *Software { return &Software{Sealer: s} }

// Backend returns "software".
func (*Software) Backend() string { return "software" }

func purpose(label string) string { return "sealkey/" + label }

// Generate makes a P-256 key and returns it sealed.
func (v *Software) Generate(_ context.Context, label string) ([]byte, crypto.PublicKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	sealed, err := v.Sealer.Seal(purpose(label), der)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to seal the seal key: %w", err)
	}
	return sealed, k.Public(), nil
}

// Signer opens the sealed key (or takes it from the cache).
func (v *Software) Signer(label string, handle []byte) (crypto.Signer, error) {
	ck := label + "\x00" + string(handle)
	v.mu.Lock()
	k, ok := v.cache[ck]
	v.mu.Unlock()
	if ok {
		return k, nil
	}
	der, err := v.Sealer.Open(purpose(label), handle)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHandle, err)
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHandle, err)
	}
	ek, ok := pk.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: not an ECDSA P-256 key", ErrBadHandle)
	}
	v.mu.Lock()
	if v.cache == nil || len(v.cache) >= maxCache {
		v.cache = map[string]crypto.Signer{}
	}
	v.cache[ck] = ek
	v.mu.Unlock()
	return ek, nil
}

// Destroy forgets the cached key; the sealed handle is removed with the record that holds it.
func (v *Software) Destroy(label string, handle []byte) error {
	v.mu.Lock()
	delete(v.cache, label+"\x00"+string(handle))
	v.mu.Unlock()
	return nil
}

// CheckPublic reports whether pub is an ECDSA P-256 key, the only kind a vault may hand out.
func CheckPublic(pub crypto.PublicKey) error {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return errors.New("seal keys must be ECDSA P-256")
	}
	return nil
}
