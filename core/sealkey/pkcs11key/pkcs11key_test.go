//go:build cgo

package pkcs11key_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/sealkey/pkcs11key/softhsmtest"
)

// TestSoftHSM makes keys on a fresh SoftHSM2 token, signs, reopens the token (keys found by
// CKA_ID and label, not from a cache) and destroys one.
func TestSoftHSM(t *testing.T) {
	cfg := softhsmtest.Token(t)
	// (Checked before any login: PKCS #11 logins are per process, a second login would pass.)
	if _, err := pkcs11key.Open(pkcs11key.Config{Module: cfg.Module, TokenLabel: cfg.TokenLabel, PIN: "wrong"}); err == nil {
		t.Fatal("wrong PIN accepted")
	}
	v, err := pkcs11key.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, pub, err := v.Generate(ctx, "seal-1")
	if err != nil {
		t.Fatal(err)
	}
	h2, _, err := v.Generate(ctx, "seal-2")
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	v, err = pkcs11key.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	s, err := v.Signer("seal-1", h)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256([]byte("x"))
	sig, err := s.Sign(rand.Reader, d[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d[:], sig) {
		t.Fatal("token signature does not verify")
	}
	if _, err := v.Signer("seal-2", h); err == nil {
		t.Fatal("seal-1's key found under seal-2's label")
	}
	if err := v.Destroy("seal-2", h2); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Signer("seal-2", h2); err == nil {
		t.Fatal("destroyed key still signs")
	}
}
