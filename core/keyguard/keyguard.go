// Package keyguard binds the desktop's sealed signing key to the operating-system account that
// made it: the record core/keystore writes is wrapped once more with a secret that the operating
// system keeps for this user, so that a copied data folder, another user of the same computer or
// another computer cannot even start guessing the signing PIN.
//
// A Guard seals and opens bytes for a key id and keeps that key's wrong-PIN counter where a copy
// of the data folder does not bring it along.
//
// # The choice per platform
//
//   - Linux (and the BSDs): the freedesktop Secret Service over the session D-Bus (gnome-keyring,
//     KWallet ≥ 5.97, KeePassXC), through github.com/zalando/go-keyring (pure Go over
//     github.com/godbus/dbus, maintained). The item (service "SealDesk", user = key id) holds a
//     random 256-bit key that AES-256-GCM-wraps the record, plus the wrong-PIN counter.
//   - macOS: the login Keychain through the same library, which runs /usr/bin/security (no
//     cgo). The item is the same as on Linux.
//   - Windows: DPAPI in user scope (CryptProtectData without CRYPTPROTECT_LOCAL_MACHINE, through
//     golang.org/x/sys/windows, maintained by the Go team); the key id is the optional entropy.
//     The wrong-PIN counter lives in the user's registry hive
//     (HKCU\Software\SealDesk\KeyCounters), which a copied data folder does not carry. (The
//     library's Windows back end, the Credential Manager, would roam with the profile; DPAPI
//     is what the issue asks for and what Windows designed for this.)
//   - Elsewhere, or when the Secret Service does not answer (a bare Linux session without a
//     keyring daemon): None, which says why. core/keystore then keeps the record unwrapped and
//     the desktop recommends a passphrase of at least 12 characters instead of a 6-digit PIN.
//
// # Limits (what it does not protect against)
//
//   - Code running as the same user while the session is unlocked can ask the OS store for the
//     secret (the Secret Service and DPAPI answer any process of the user; go-keyring does not
//     set a per-application Keychain ACL on macOS, so any process of the user may read the item
//     after the Keychain is unlocked). Such malware can then guess offline; the wrong-PIN counter
//     only slows guessing through the application.
//   - The Secret Service "plain" session sends the item over the user's session bus unencrypted;
//     that bus is only reachable by the same user.
//   - Someone who knows the user's login password and holds a copy of the keyring files (or the
//     DPAPI master keys in the profile) can rebuild the OS secret: the OS store is as strong as
//     the account's password. The signing PIN and Argon2id remain the second layer.
//   - Losing the OS store (a new profile, a reinstalled OS, a deleted keyring item) loses the
//     key: that is the point. The person reports the device lost (挂失) and enrols again.
//
// # What it refuses
//
//   - Opening a record sealed for another id or by another guard (the key id is authenticated).
//   - Guessing: every failure to open is ErrNotHere (or ErrUnavailable), never a hint about the PIN.
package keyguard

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Errors, as values for errors.Is.
var (
	// ErrNotHere means this user account on this machine does not hold the secret the record was
	// sealed with: a copied data folder, another user, another machine, a deleted keyring item.
	ErrNotHere = errors.New("the os-held secret of this key is not here (another user, machine or a removed keyring item)")
	// ErrUnavailable means the OS store cannot be reached at all (no Secret Service, no
	// Keychain): the guard is None.
	ErrUnavailable = errors.New("no os key store is available")
)

// Counter is a key's wrong-PIN state (see core/keystore).
type Counter struct {
	Failures    int       `json:"f,omitempty"`
	LockedUntil time.Time `json:"u,omitzero"`
	Lockouts    int       `json:"n,omitempty"`
}

// Guard wraps key records with a secret the OS keeps for this user. Implementations are safe
// for use by one process at a time per key id (the desktop's keystore).
type Guard interface {
	// Name identifies the guard in records ("secret-service", "keychain", "dpapi"); "" for None.
	Name() string
	// Describe is a short English description for logs and the settings screen.
	Describe() string
	// Seal wraps plain for key id (creating or reusing the OS-held secret).
	Seal(id string, plain []byte) ([]byte, error)
	// Open unwraps what Seal returned; ErrNotHere when this account has no secret for id.
	Open(id string, sealed []byte) ([]byte, error)
	// Forget removes the OS-held secret of id (the key is then unusable here).
	Forget(id string) error
	// Counter and SetCounter keep the wrong-PIN state of id outside the data folder.
	Counter(id string) (Counter, error)
	SetCounter(id string, c Counter) error
}

// None is the guard of a system without an OS key store: every call fails with
// ErrUnavailable and Reason says why.
type None struct{ Reason string }

var _ Guard = None{}

func (None) Name() string                        { return "" }
func (n None) Describe() string                  { return "none: " + n.Reason }
func (None) Seal(string, []byte) ([]byte, error) { return nil, ErrUnavailable }
func (None) Open(string, []byte) ([]byte, error) { return nil, ErrUnavailable }
func (None) Forget(string) error                 { return nil }
func (None) Counter(string) (Counter, error)     { return Counter{}, ErrUnavailable }
func (None) SetCounter(string, Counter) error    { return ErrUnavailable }

// Available reports whether g is a real guard (not nil, not None).
func Available(g Guard) bool { return g != nil && g.Name() != "" }

// Service is the Secret Service / Keychain service name of SealDesk's items.
const Service = "SealDesk"

// Keyring is the item store of go-keyring (Secret Service, Keychain); tests pass a map.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// ErrItemNotFound is what a Keyring returns for a missing item (go-keyring's ErrNotFound is
// mapped to it by the platform adapter).
var ErrItemNotFound = errors.New("keyring item not found")

// item is what a keyring item holds for one key.
type item struct {
	Key     []byte  `json:"k"`
	Counter Counter `json:"c"`
}

// KeyringGuard wraps with an AES-256-GCM key held in a keyring item.
type KeyringGuard struct {
	name, desc string
	kr         Keyring
}

var _ Guard = (*KeyringGuard)(nil)

// NewKeyringGuard returns a guard over kr named name ("secret-service", "keychain").
func NewKeyringGuard(name, desc string, kr Keyring) *KeyringGuard {
	return &KeyringGuard{name: name, desc: desc, kr: kr}
}

func (g *KeyringGuard) Name() string     { return g.name }
func (g *KeyringGuard) Describe() string { return g.desc }

func (g *KeyringGuard) load(id string) (item, error) {
	s, err := g.kr.Get(Service, id)
	if errors.Is(err, ErrItemNotFound) {
		return item{}, ErrNotHere
	}
	if err != nil {
		return item{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var it item
	if err := json.Unmarshal([]byte(s), &it); err != nil || len(it.Key) != 32 {
		return item{}, fmt.Errorf("%w: the keyring item of key %s is not SealDesk's", ErrNotHere, id)
	}
	return it, nil
}

func (g *KeyringGuard) store(id string, it item) error {
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	if err := g.kr.Set(Service, id, string(b)); err != nil {
		return fmt.Errorf("failed to write the keyring item: %w", err)
	}
	return nil
}

// Seal reuses the item's key when there is one (so re-sealing a record never strands the
// record already stored), else makes one.
func (g *KeyringGuard) Seal(id string, plain []byte) ([]byte, error) {
	it, err := g.load(id)
	if errors.Is(err, ErrNotHere) {
		it = item{Key: make([]byte, 32)}
		if _, err := rand.Read(it.Key); err != nil {
			return nil, err
		}
		if err := g.store(id, it); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return gcmSeal(it.Key, id, plain)
}

func (g *KeyringGuard) Open(id string, sealed []byte) ([]byte, error) {
	it, err := g.load(id)
	if err != nil {
		return nil, err
	}
	return gcmOpen(it.Key, id, sealed)
}

func (g *KeyringGuard) Forget(id string) error {
	err := g.kr.Delete(Service, id)
	if errors.Is(err, ErrItemNotFound) {
		return nil
	}
	return err
}

func (g *KeyringGuard) Counter(id string) (Counter, error) {
	it, err := g.load(id)
	return it.Counter, err
}

func (g *KeyringGuard) SetCounter(id string, c Counter) error {
	it, err := g.load(id)
	if err != nil {
		return err
	}
	it.Counter = c
	return g.store(id, it)
}

func aad(id string) []byte { return []byte("sealdesk-keyguard/v1/" + id) }

func gcmSeal(key []byte, id string, plain []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return g.Seal(nonce, nonce, plain, aad(id)), nil
}

func gcmOpen(key []byte, id string, sealed []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	if len(sealed) < g.NonceSize()+g.Overhead() {
		return nil, ErrNotHere
	}
	out, err := g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], aad(id))
	if err != nil {
		return nil, fmt.Errorf("%w: the keyring item does not open this record", ErrNotHere)
	}
	return out, nil
}
