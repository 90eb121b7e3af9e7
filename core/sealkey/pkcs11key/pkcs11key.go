//go:build cgo

// Package pkcs11key drives PKCS #11 tokens through github.com/ThalesGroup/crypto11 (over
// github.com/miekg/pkcs11) for two callers that share one code path (open.go):
//
//   - the server's seal-key vault (Vault, see core/sealkey): key pairs made and used on an HSM —
//     SoftHSM2 in the tests. The private key is generated on the token as sensitive and not
//     extractable; the handle the server stores is the key's random 16-byte CKA_ID, and
//     CKA_LABEL is the seal's id;
//   - the desktop's personal keys on a USB key (UKey) (Personal, see core/keystore.Tokens): the
//     person's PIN goes to the token, the key pair and the CSR are made on it, and signing
//     happens on it (ECDSA P-256, RSA 2048; see personal.go for SM2).
//
// # UKey modules
//
// Chinese UKeys come with their vendor's PKCS #11 library inside the driver package — e.g. those
// of 飞天诚信 (Feitian, ePass series), 天威诚信 (iTrusChina) and CFCA; their file names differ by
// vendor, model and driver version and are not listed here (none could be sourced reliably), so
// the desktop asks for the module path (设置 › 签名密钥) and remembers it. OpenSC's generic
// module (opensc-pkcs11.so) drives many smart cards; SoftHSM2
// (/usr/lib/softhsm/libsofthsm2.so) stands in for a UKey in the tests. Tokens whose keys are SM2
// only are listed with their certificates but cannot be used (see personal.go).
//
// It needs cgo (a module is a C shared library): without cgo, Open, ListTokens and every
// Personal call answer ErrNoCgo, so binaries built with CGO_ENABLED=0 still build and say why a
// token cannot be used.
package pkcs11key

import (
	"context"
	"crypto"
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
	ctx, err := login(c.Module, c.TokenLabel, "", c.PIN)
	if err != nil {
		return nil, err
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
	s, err := generate(v.ctx, id, label, AlgECDSAP256)
	if err != nil {
		return nil, nil, err
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
	k, err := findKey(v.ctx, handle, []byte(label))
	if errors.Is(err, sealkey.ErrBadHandle) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("pkcs11: failed to find the key: %w", err)
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
