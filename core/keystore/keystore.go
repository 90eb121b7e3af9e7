// Package keystore keeps a person's signing key on the desktop: an ECDSA P-256 key generated on
// this machine, stored only encrypted under the signing PIN (签约密码) with Argon2id and AES-256-GCM,
// together with the certificate chain the CA issued for it.
//
// The encrypted record (an Entry, JSON) goes to a small Store that the caller provides (the
// desktop's bbolt store in the app, a map in tests). Wrong PINs are counted in the record itself:
// after MaxAttempts wrong PINs in a row the key is locked for LockDuration (doubling with each
// further lock-out), so guessing a 6-digit PIN is slow even for someone at the keyboard.
//
// # What it refuses to do
//
//   - Store or return the private key unencrypted: Unlock hands back a crypto.Signer in memory
//     only; nothing here writes PKCS#8 in the clear.
//   - Accept weak PINs (see CheckPIN) or decrypt with KDF parameters outside sane bounds (a
//     tampered record cannot make Unlock allocate gigabytes).
//   - Try a PIN while the key is locked, even the right one.
package keystore

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"

	"sealdesk/core/pki"
)

// Store holds encrypted key records by id. Get returns ErrNotFound (possibly wrapped) for an
// unknown id. The desktop's store/desktop satisfies it.
type Store interface {
	GetKey(id string) ([]byte, error)
	PutKey(id string, record []byte) error
	ListKeys() ([]string, error)
	DeleteKey(id string) error
}

// Errors, as values for errors.Is.
var (
	// ErrNotFound means there is no key with that id.
	ErrNotFound = errors.New("key not found")
	// ErrLocked means too many wrong PINs; see *LockedError for until when.
	ErrLocked = errors.New("key is locked after too many wrong pins")
	// ErrWrongPIN means the PIN did not decrypt the key; see *WrongPINError for attempts left.
	ErrWrongPIN = errors.New("wrong pin")
	// ErrWeakPIN means a new PIN breaks the PIN rules; see *PINError for the reason.
	ErrWeakPIN = errors.New("pin does not meet the rules")
	// ErrCorrupt means the stored record cannot be read.
	ErrCorrupt = errors.New("key record is corrupt")
)

// MaxAttempts is how many wrong PINs in a row lock the key.
const MaxAttempts = 5

// LockDuration is the first lock-out; each further lock-out doubles it (up to 24 h).
const LockDuration = 15 * time.Minute

// PIN reasons of *PINError.
const (
	PINLength     = "length"     // not exactly 6 characters
	PINNotDigits  = "not-digits" // something other than 0–9
	PINRepeated   = "repeated"   // one digit six times
	PINSequential = "sequential" // 123456, 654321 and the like
)

// PINError says why a new PIN was refused.
type PINError struct{ Reason string }

func (e *PINError) Error() string { return "pin refused: " + e.Reason }
func (e *PINError) Unwrap() error { return ErrWeakPIN }

// WrongPINError is a wrong PIN with the attempts left before the key locks (0: it is now locked).
type WrongPINError struct{ Remaining int }

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("wrong pin, %d attempts left", e.Remaining)
}
func (e *WrongPINError) Unwrap() error { return ErrWrongPIN }

// LockedError says until when the key is locked.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return "key is locked until " + e.Until.UTC().Format(time.RFC3339)
}
func (e *LockedError) Unwrap() error { return ErrLocked }

// CheckPIN applies the PIN rules: exactly six digits, not one digit repeated, not a run up or
// down (123456, 876543).
func CheckPIN(pin string) error {
	if len(pin) != 6 {
		return &PINError{PINLength}
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return &PINError{PINNotDigits}
		}
	}
	same, up, down := true, true, true
	for i := 1; i < len(pin); i++ {
		d := int(pin[i]) - int(pin[i-1])
		same = same && d == 0
		up = up && (d == 1 || d == -9)
		down = down && (d == -1 || d == 9)
	}
	switch {
	case same:
		return &PINError{PINRepeated}
	case up || down:
		return &PINError{PINSequential}
	}
	return nil
}

// Params are the Argon2id parameters.
type Params struct {
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"` // KiB
	Threads uint8  `json:"p"`
}

// DefaultParams are used for new keys: 64 MiB, 3 passes (about 0.2–0.4 s on a laptop core).
var DefaultParams = Params{Time: 3, Memory: 64 << 10, Threads: 2}

// bounds refused when reading a record: a tampered record must not make Unlock allocate
// gigabytes or spin for minutes.
func (p Params) check() error {
	if p.Time < 1 || p.Time > 20 || p.Memory < 8<<10 || p.Memory > 1<<20 || p.Threads < 1 || p.Threads > 16 {
		return fmt.Errorf("%w: argon2 parameters out of bounds", ErrCorrupt)
	}
	return nil
}

// Entry is the stored record of one key. Everything except Sealed is public.
type Entry struct {
	Version   int       `json:"v"`
	ID        string    `json:"id"`
	Created   time.Time `json:"created"`
	PublicKey []byte    `json:"pub"` // PKIX DER
	KDF       Params    `json:"kdf"`
	Salt      []byte    `json:"salt"`
	Nonce     []byte    `json:"nonce"`
	Sealed    []byte    `json:"sealed"` // AES-GCM of the PKCS#8 DER
	// Chain is the certificate (first) and its issuers, DER, once the CA issued one.
	Chain [][]byte `json:"chain,omitempty"`

	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitempty"`
	Lockouts    int       `json:"lockouts,omitempty"`
}

const entryVersion = 1

// maxRecord bounds a record read from the store.
const maxRecord = 256 << 10

// Info is the public view of a key.
type Info struct {
	ID          string
	Created     time.Time
	PublicKey   crypto.PublicKey
	Certificate *x509.Certificate   // nil until certified
	Chain       []*x509.Certificate // issuers
	Failures    int
	LockedUntil time.Time // zero when not locked
}

// Options tune a Keystore; nil means defaults.
type Options struct {
	// Params for new keys (zero: DefaultParams).
	Params Params
	// Now is the clock for lock-outs and creation times (nil: time.Now).
	Now func() time.Time
}

// Keystore generates, encrypts, unlocks and certifies personal keys.
type Keystore struct {
	st     Store
	params Params
	now    func() time.Time
}

// New returns a Keystore over st.
func New(st Store, opts *Options) *Keystore {
	k := &Keystore{st: st, params: DefaultParams, now: time.Now}
	if opts != nil {
		if opts.Params != (Params{}) {
			k.params = opts.Params
		}
		if opts.Now != nil {
			k.now = opts.Now
		}
	}
	return k
}

// Generate creates a new ECDSA P-256 key, encrypts it under pin (which must pass CheckPIN) and
// stores it. The id is derived from the public key (first 16 hex digits of its SHA-256).
func (k *Keystore) Generate(pin string) (Info, error) {
	if err := CheckPIN(pin); err != nil {
		return Info{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Info{}, fmt.Errorf("failed to generate key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return Info{}, fmt.Errorf("failed to encode public key: %w", err)
	}
	sum := sha256.Sum256(pub)
	e := &Entry{Version: entryVersion, ID: hex.EncodeToString(sum[:8]), Created: k.now().UTC(), PublicKey: pub, KDF: k.params}
	if err := e.seal(key, pin); err != nil {
		return Info{}, err
	}
	if err := k.put(e); err != nil {
		return Info{}, err
	}
	return e.info()
}

// Unlock decrypts the key with pin. A wrong PIN is counted and stored before Unlock returns a
// *WrongPINError; a locked key returns *LockedError without trying the PIN.
func (k *Keystore) Unlock(id, pin string) (crypto.Signer, error) {
	e, err := k.get(id)
	if err != nil {
		return nil, err
	}
	now := k.now()
	if now.Before(e.LockedUntil) {
		return nil, &LockedError{Until: e.LockedUntil}
	}
	key, err := e.open(pin)
	if errors.Is(err, ErrWrongPIN) {
		e.Failures++
		remaining := MaxAttempts - e.Failures
		if e.Failures >= MaxAttempts {
			d := LockDuration << min(e.Lockouts, 6)
			d = min(d, 24*time.Hour)
			e.LockedUntil = now.Add(d).UTC()
			e.Lockouts++
			e.Failures = 0
			remaining = 0
		}
		if perr := k.put(e); perr != nil {
			return nil, perr
		}
		return nil, &WrongPINError{Remaining: remaining}
	}
	if err != nil {
		return nil, err
	}
	if e.Failures != 0 || e.Lockouts != 0 || !e.LockedUntil.IsZero() {
		e.Failures, e.Lockouts, e.LockedUntil = 0, 0, time.Time{}
		if err := k.put(e); err != nil {
			return nil, err
		}
	}
	return key, nil
}

// ChangePIN re-encrypts the key under newPIN after unlocking it with oldPIN.
func (k *Keystore) ChangePIN(id, oldPIN, newPIN string) error {
	if err := CheckPIN(newPIN); err != nil {
		return err
	}
	key, err := k.Unlock(id, oldPIN)
	if err != nil {
		return err
	}
	e, err := k.get(id)
	if err != nil {
		return err
	}
	e.KDF = k.params
	if err := e.seal(key.(*ecdsa.PrivateKey), newPIN); err != nil {
		return err
	}
	return k.put(e)
}

// CSR unlocks the key and returns a PEM certificate request for subject.
func (k *Keystore) CSR(id, pin string, subject pkix.Name) ([]byte, error) {
	key, err := k.Unlock(id, pin)
	if err != nil {
		return nil, err
	}
	der, err := pki.NewCSR(key, subject)
	if err != nil {
		return nil, fmt.Errorf("failed to make csr: %w", err)
	}
	return pemBlock("CERTIFICATE REQUEST", der), nil
}

// SetCertificate stores the certificate issued for the key (first) and its issuers. The
// certificate's public key must be the key's.
func (k *Keystore) SetCertificate(id string, chain []*x509.Certificate) error {
	if len(chain) == 0 {
		return errors.New("empty certificate chain")
	}
	e, err := k.get(id)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(chain[0].PublicKey)
	if err != nil {
		return fmt.Errorf("failed to encode certificate key: %w", err)
	}
	if string(pub) != string(e.PublicKey) {
		return errors.New("certificate is not for this key")
	}
	e.Chain = nil
	for _, c := range chain {
		e.Chain = append(e.Chain, c.Raw)
	}
	return k.put(e)
}

// Info returns the public view of a key.
func (k *Keystore) Info(id string) (Info, error) {
	e, err := k.get(id)
	if err != nil {
		return Info{}, err
	}
	return e.info()
}

// List returns every key, oldest first.
func (k *Keystore) List() ([]Info, error) {
	ids, err := k.st.ListKeys()
	if err != nil {
		return nil, fmt.Errorf("failed to list keys: %w", err)
	}
	var out []Info
	for _, id := range ids {
		in, err := k.Info(id)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Created.Before(out[j-1].Created); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// Delete removes a key for good.
func (k *Keystore) Delete(id string) error { return k.st.DeleteKey(id) }

func (k *Keystore) get(id string) (*Entry, error) {
	b, err := k.st.GetKey(id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("failed to read key %s: %w", id, err)
	}
	return ParseEntry(b)
}

func (k *Keystore) put(e *Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("failed to encode key record: %w", err)
	}
	if err := k.st.PutKey(e.ID, b); err != nil {
		return fmt.Errorf("failed to store key %s: %w", e.ID, err)
	}
	return nil
}

// ParseEntry reads a stored record, checking its shape and bounds.
func ParseEntry(b []byte) (*Entry, error) {
	if len(b) > maxRecord {
		return nil, fmt.Errorf("%w: record too large", ErrCorrupt)
	}
	var e Entry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if e.Version != entryVersion {
		return nil, fmt.Errorf("%w: unknown record version %d", ErrCorrupt, e.Version)
	}
	if err := e.KDF.check(); err != nil {
		return nil, err
	}
	if len(e.Salt) != 16 || len(e.Nonce) != 12 || len(e.Sealed) < 16 || e.ID == "" || len(e.PublicKey) == 0 {
		return nil, fmt.Errorf("%w: missing fields", ErrCorrupt)
	}
	if e.Failures < 0 || e.Lockouts < 0 {
		return nil, fmt.Errorf("%w: negative counters", ErrCorrupt)
	}
	return &e, nil
}

func (e *Entry) info() (Info, error) {
	pub, err := x509.ParsePKIXPublicKey(e.PublicKey)
	if err != nil {
		return Info{}, fmt.Errorf("%w: public key: %v", ErrCorrupt, err)
	}
	in := Info{ID: e.ID, Created: e.Created, PublicKey: pub, Failures: e.Failures, LockedUntil: e.LockedUntil}
	for i, der := range e.Chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return Info{}, fmt.Errorf("%w: certificate %d: %v", ErrCorrupt, i, err)
		}
		if i == 0 {
			in.Certificate = c
		} else {
			in.Chain = append(in.Chain, c)
		}
	}
	return in, nil
}

// aad binds the ciphertext to the record's identity and public key, so sealed bytes cannot be
// moved to another record.
func (e *Entry) aad() []byte {
	return append([]byte(fmt.Sprintf("sealdesk-key/v%d/%s/", e.Version, e.ID)), e.PublicKey...)
}

func (e *Entry) gcm(pin string) (cipher.AEAD, error) {
	kek := argon2.IDKey([]byte(pin), e.Salt, e.KDF.Time, e.KDF.Memory, e.KDF.Threads, 32)
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (e *Entry) seal(key *ecdsa.PrivateKey, pin string) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("failed to encode key: %w", err)
	}
	e.Salt = make([]byte, 16)
	e.Nonce = make([]byte, 12)
	if _, err := rand.Read(e.Salt); err != nil {
		return err
	}
	if _, err := rand.Read(e.Nonce); err != nil {
		return err
	}
	g, err := e.gcm(pin)
	if err != nil {
		return fmt.Errorf("failed to set up encryption: %w", err)
	}
	e.Sealed = g.Seal(nil, e.Nonce, der, e.aad())
	clear(der)
	return nil
}

func (e *Entry) open(pin string) (crypto.Signer, error) {
	g, err := e.gcm(pin)
	if err != nil {
		return nil, fmt.Errorf("failed to set up decryption: %w", err)
	}
	der, err := g.Open(nil, e.Nonce, e.Sealed, e.aad())
	if err != nil {
		return nil, ErrWrongPIN
	}
	defer clear(der)
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: private key: %v", ErrCorrupt, err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: not an ecdsa key", ErrCorrupt)
	}
	pub, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil || string(pub) != string(e.PublicKey) {
		return nil, fmt.Errorf("%w: private key does not match the public key", ErrCorrupt)
	}
	return ec, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
