package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/argon2"
)

// MinMasterKeyLen is the shortest master key accepted.
const MinMasterKeyLen = 16

// keyring encrypts server secrets at rest. The key-encryption key is Argon2id(master key, salt
// kept in the store); each purpose gets its own AES-256-GCM key through HKDF-SHA256, and the
// purpose is authenticated as associated data, so a ciphertext cannot be moved to another slot.
type keyring struct {
	kek []byte
}

func newKeyring(master, salt []byte) (*keyring, error) {
	if len(master) < MinMasterKeyLen {
		return nil, fmt.Errorf("master key has %d bytes, need at least %d", len(master), MinMasterKeyLen)
	}
	return &keyring{kek: argon2.IDKey(master, salt, 2, 64*1024, 2, 32)}, nil
}

func (k *keyring) subkey(purpose string) ([]byte, error) {
	return hkdf.Key(sha256.New, k.kek, nil, "sealdesk/v1/"+purpose, 32)
}

func (k *keyring) aead(purpose string) (cipher.AEAD, error) {
	key, err := k.subkey(purpose)
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func (k *keyring) seal(purpose string, plain []byte) ([]byte, error) {
	g, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return g.Seal(nonce, nonce, plain, []byte(purpose)), nil
}

// errWrongMasterKey means stored secrets do not decrypt: the master key is not the one they
// were sealed with, or the store was tampered with.
var errWrongMasterKey = errors.New("stored secret does not decrypt: wrong master key or tampered store")

func (k *keyring) open(purpose string, sealed []byte) ([]byte, error) {
	g, err := k.aead(purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < g.NonceSize() {
		return nil, errWrongMasterKey
	}
	p, err := g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], []byte(purpose))
	if err != nil {
		return nil, errWrongMasterKey
	}
	return p, nil
}

// LoadOrCreateMasterKey reads a master key file, or creates one with 32 random bytes (mode 0600,
// written to a temporary file, fsynced and renamed) if it does not exist. The desktop's embedded
// backend keeps its key this way; a server deployment should pass SEALDESK_MASTER_KEY or a file
// on a separate volume.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < MinMasterKeyLen {
			return nil, fmt.Errorf("master key file %s has %d bytes, need at least %d", path, len(b), MinMasterKeyLen)
		}
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("failed to read master key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create master key directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-key-*")
	if err != nil {
		return nil, fmt.Errorf("failed to create master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, err
	}
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// Link instead of rename, so that two processes racing here agree on one key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return LoadOrCreateMasterKey(path)
		}
		return nil, fmt.Errorf("failed to install master key: %w", err)
	}
	return key, nil
}
