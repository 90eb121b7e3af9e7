package sealkey_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"

	"sealdesk/core/sealkey"
)

// gcmSealer is a Sealer like the server's keyring: AES-GCM with the purpose as associated data.
type gcmSealer struct{ g cipher.AEAD }

func newSealer(t *testing.T) *gcmSealer {
	k := make([]byte, 32)
	rand.Read(k)
	b, err := aes.NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := cipher.NewGCM(b)
	return &gcmSealer{g}
}

func (s *gcmSealer) Seal(p string, plain []byte) ([]byte, error) {
	n := make([]byte, s.g.NonceSize())
	rand.Read(n)
	return s.g.Seal(n, n, plain, []byte(p)), nil
}

func (s *gcmSealer) Open(p string, sealed []byte) ([]byte, error) {
	if len(sealed) < s.g.NonceSize() {
		return nil, errors.New("short")
	}
	return s.g.Open(nil, sealed[:s.g.NonceSize()], sealed[s.g.NonceSize():], []byte(p))
}

// TestVaultContract runs the contract every vault must keep; pkcs11key runs it on SoftHSM2.
func TestVaultContract(t *testing.T) {
	Contract(t, sealkey.NewSoftware(newSealer(t)))
}

func TestSoftwareHandleBoundToSeal(t *testing.T) {
	s := newSealer(t)
	v := sealkey.NewSoftware(s)
	h, _, err := v.Generate(context.Background(), "seal-a")
	if err != nil {
		t.Fatal(err)
	}
	// A fresh vault (no cache) must refuse seal-a's handle under another seal's label, and a
	// vault under another master key must refuse it too.
	if _, err := sealkey.NewSoftware(s).Signer("seal-b", h); !errors.Is(err, sealkey.ErrBadHandle) {
		t.Fatalf("handle moved to another seal: %v", err)
	}
	if _, err := sealkey.NewSoftware(newSealer(t)).Signer("seal-a", h); !errors.Is(err, sealkey.ErrBadHandle) {
		t.Fatalf("handle opened under another master key: %v", err)
	}
	if _, err := sealkey.NewSoftware(s).Signer("seal-a", h); err != nil {
		t.Fatal(err)
	}
}

// Contract checks a vault: P-256 keys, signatures that verify, distinct keys per seal, a handle
// that survives a cache miss, and Destroy.
func Contract(t *testing.T, v sealkey.Vault) {
	ctx := context.Background()
	h1, pub1, err := v.Generate(ctx, "seal-1")
	if err != nil {
		t.Fatal(err)
	}
	h2, pub2, err := v.Generate(ctx, "seal-2")
	if err != nil {
		t.Fatal(err)
	}
	if err := sealkey.CheckPublic(pub1); err != nil {
		t.Fatal(err)
	}
	if pub1.(*ecdsa.PublicKey).Equal(pub2) {
		t.Fatal("two seals got the same key")
	}
	d := sha256.Sum256([]byte("signed attributes"))
	for _, c := range []struct {
		label string
		h     []byte
		pub   *ecdsa.PublicKey
	}{{"seal-1", h1, pub1.(*ecdsa.PublicKey)}, {"seal-2", h2, pub2.(*ecdsa.PublicKey)}} {
		s, err := v.Signer(c.label, c.h)
		if err != nil {
			t.Fatal(err)
		}
		if !c.pub.Equal(s.Public()) {
			t.Fatalf("%s: signer's public key differs from the generated one", c.label)
		}
		sig, err := s.Sign(rand.Reader, d[:], nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(c.pub, d[:], sig) {
			t.Fatalf("%s: signature does not verify", c.label)
		}
	}
	if err := v.Destroy("seal-2", h2); err != nil {
		t.Fatal(err)
	}
}
