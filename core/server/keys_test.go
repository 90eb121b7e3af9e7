package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestMasterKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	k1, err := LoadOrCreateMasterKey(path)
	if err != nil || len(k1) != 32 {
		t.Fatalf("%d %v", len(k1), err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	k2, err := LoadOrCreateMasterKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("second load differs")
	}
	short := filepath.Join(t.TempDir(), "short.key")
	os.WriteFile(short, []byte("tiny"), 0o600)
	if _, err := LoadOrCreateMasterKey(short); err == nil {
		t.Error("accepted a 4-byte master key")
	}
}

func TestKeyringSealsPerPurpose(t *testing.T) {
	salt := []byte("0123456789abcdef")
	k, err := newKeyring(bytes.Repeat([]byte{1}, 32), salt)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.seal("ca/root.key", []byte("secret key bytes"))
	if err != nil || bytes.Contains(sealed, []byte("secret")) {
		t.Fatalf("seal: %v", err)
	}
	if p, err := k.open("ca/root.key", sealed); err != nil || string(p) != "secret key bytes" {
		t.Fatalf("open: %q %v", p, err)
	}
	if _, err := k.open("ca/tsa.key", sealed); err == nil {
		t.Error("a sealed key opened under another purpose")
	}
	other, _ := newKeyring(bytes.Repeat([]byte{2}, 32), salt)
	if _, err := other.open("ca/root.key", sealed); err == nil {
		t.Error("a sealed key opened with another master key")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.open("ca/root.key", sealed); err == nil {
		t.Error("a tampered ciphertext opened")
	}
	if _, err := newKeyring([]byte("short"), salt); err == nil {
		t.Error("short master key accepted")
	}
}
