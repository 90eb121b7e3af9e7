//go:build cgo

// Package pkcs11key is the PKCS #11 seal-key vault (see core/sealkey): key pairs made and used on
// a token through github.com/ThalesGroup/crypto11 — an HSM in production, SoftHSM2 in the tests.
// The private key is generated on the token as sensitive and not extractable; the handle the
// server stores is the key's random 16-byte CKA_ID, and CKA_LABEL is the seal's id.
//
// It needs cgo (the module is a C shared library): without cgo, Open answers ErrNoCgo, so
// sealdesk-server built with CGO_ENABLED=0 still builds and says why a token cannot be used.
package pkcs11key

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	stdsync "sync"

	"github.com/ThalesGroup/crypto11"

	"sealdesk/core/sealkey"
)

// Config selects the module, the token and the user PIN.
type Config struct {
	Module     string // path of the PKCS #11 library, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string
	PIN        string
}

// Vault keeps seal keys on a PKCS #11 token.
type Vault struct {
	ctx *crypto11.Context

	mu    stdsync.Mutex
	cache map[string]crypto.Signer // label + CKA_ID → signer (an object handle, not key material)
}

var _ sealkey.Vault = (*Vault)(nil)

// Open logs in to the token.
func Open(c Config) (*Vault, error) {
	if c.Module == "" || c.TokenLabel == "" {
		return nil, errors.New("pkcs11: module path and token label are required")
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: c.Module, TokenLabel: c.TokenLabel, Pin: c.PIN})
	if err != nil {
		return nil, fmt.Errorf("pkcs11: failed to open token %q through %s: %w", c.TokenLabel, c.Module, err)
	}
	return &Vault{ctx: ctx, cache: map[string]crypto.Signer{}}, nil
}

// Close logs out and unloads the module.
func (v *Vault) Close() error { return v.ctx.Close() }

// Backend returns "pkcs11".
func (*Vault) Backend() string { return "pkcs11" }

// Generate makes a P-256 key pair on the token.
func (v *Vault) Generate(_ context.Context, label string) ([]byte, crypto.PublicKey, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, nil, err
	}
	s, err := v.ctx.GenerateECDSAKeyPairWithLabel(id, []byte(label), elliptic.P256())
	if err != nil {
		return nil, nil, fmt.Errorf("pkcs11: failed to generate a key pair: %w", err)
	}
	if err := sealkey.CheckPublic(s.Public()); err != nil {
		return nil, nil, err
	}
	v.mu.Lock()
	v.cache[label+"\x00"+string(id)] = s
	v.mu.Unlock()
	return id, s.Public(), nil
}

// Signer finds the key pair by CKA_ID (and checks its label).
func (v *Vault) Signer(label string, handle []byte) (crypto.Signer, error) {
	ck := label + "\x00" + string(handle)
	v.mu.Lock()
	s, ok := v.cache[ck]
	v.mu.Unlock()
	if ok {
		return s, nil
	}
	if len(handle) != 16 {
		return nil, sealkey.ErrBadHandle
	}
	k, err := v.ctx.FindKeyPair(handle, []byte(label))
	if err != nil {
		return nil, fmt.Errorf("pkcs11: failed to find the key: %w", err)
	}
	if k == nil {
		return nil, sealkey.ErrBadHandle
	}
	if err := sealkey.CheckPublic(k.Public()); err != nil {
		return nil, err
	}
	v.mu.Lock()
	v.cache[ck] = k
	v.mu.Unlock()
	return k, nil
}

// Destroy deletes the key pair from the token.
func (v *Vault) Destroy(label string, handle []byte) error {
	v.mu.Lock()
	delete(v.cache, label+"\x00"+string(handle))
	v.mu.Unlock()
	k, err := v.ctx.FindKeyPair(handle, []byte(label))
	if err != nil || k == nil {
		return err
	}
	return k.Delete()
}
