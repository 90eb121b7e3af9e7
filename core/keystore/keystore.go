// Package keystore keeps a person's signing key on the desktop: an ECDSA P-256 or SM2 (GB/T 32918,
// the key type the person chose in 设置) key generated on this machine, stored only encrypted under the signing PIN (签约密码) — or a passphrase of at
// least MinPassphrase characters — with Argon2id and AES-256-GCM, together with the certificate
// chain the CA issued for it; or a reference to a key pair on a hardware token (UKey, PKCS #11)
// whose PIN goes to the token.
//
// The encrypted record (an Entry, JSON) goes to a small Store that the caller provides (the
// desktop's bbolt store in the app, a map in tests).
//
// # Two layers
//
//  1. Argon2id(PIN) → AES-256-GCM over the PKCS #8 key. The Argon2id cost is calibrated on the
//     first key made by a Keystore to about CalibrationTarget on this machine (bounded by
//     MinTime/MaxTime passes of 64 MiB) and kept in the record, so a record opens anywhere.
//  2. When Options.Guard is a real core/keyguard guard (Secret Service, Keychain, DPAPI), the
//     salt, nonce and ciphertext of layer 1 are sealed once more with a secret the operating
//     system keeps for this user, and the wrong-PIN counter lives in the OS store too. A copied
//     data folder, another user or another machine gets *NotHereError from Unlock before any
//     PIN is tried: there is nothing to guess against. A record made before (version 1, or
//     without a guard) is re-sealed with the guard the next time it is unlocked.
//
// Without a guard the counter stays in the record (so copying the folder resets it): after
// MaxAttempts wrong PINs in a row the key is locked for LockDuration (doubling with each further
// lock-out), which slows only someone at the keyboard; that is why the desktop recommends a
// passphrase there.
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
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	stdsync "sync"
	"time"

	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"sealdesk/core/keyguard"
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
	// ErrNotHere means the record is bound to another OS account or machine (or its OS-held
	// secret was removed); see *NotHereError.
	ErrNotHere = errors.New("key is bound to another os account or machine")
	// ErrNoTokens means a record names a hardware token but this Keystore has no Tokens.
	ErrNoTokens = errors.New("hardware tokens are not available in this build")
	// ErrTokenKey means the operation needs a key in this store, not one on a token (the
	// token's PIN is changed with the token's own tool).
	ErrTokenKey = errors.New("the key is on a hardware token")
)

// NotHereError says that the record cannot be opened by this OS account: Guard names the OS
// store the record was sealed with. No PIN was tried and nothing was counted.
type NotHereError struct {
	Guard  string
	Reason string
}

func (e *NotHereError) Error() string {
	return fmt.Sprintf("key is sealed with %s of another account or machine: %s", e.Guard, e.Reason)
}
func (e *NotHereError) Unwrap() error { return ErrNotHere }

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
	// PassphraseShort: not six digits, and shorter than MinPassphrase characters.
	PassphraseShort = "passphrase-short"
	// PassphraseRepeated: one character repeated.
	PassphraseRepeated = "passphrase-repeated"
)

// MinPassphrase is the least number of characters of a passphrase (used instead of a 6-digit
// PIN where there is no OS key store).
const MinPassphrase = 12

// Secret kinds kept in a record.
const (
	SecretPIN        = "pin"
	SecretPassphrase = "passphrase"
)

// CheckSecret accepts a 6-digit PIN (CheckPIN) or a passphrase of at least MinPassphrase
// characters that is not one character repeated, and says which it is.
func CheckSecret(s string) (kind string, err error) {
	if len(s) <= 6 && strings.Trim(s, "0123456789") == "" {
		return SecretPIN, CheckPIN(s)
	}
	n := utf8.RuneCountInString(s)
	if n < MinPassphrase {
		if n == len(s) && len(s) < 6 && strings.Trim(s, "0123456789") == "" {
			return SecretPIN, &PINError{PINLength}
		}
		return SecretPassphrase, &PINError{PassphraseShort}
	}
	r, _ := utf8.DecodeRuneInString(s)
	if strings.Trim(s, string(r)) == "" {
		return SecretPassphrase, &PINError{PassphraseRepeated}
	}
	return SecretPassphrase, nil
}

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

// DefaultParams were the parameters of every key before calibration (64 MiB, 3 passes): the
// floor of a calibrated cost.
var DefaultParams = Params{Time: 3, Memory: 64 << 10, Threads: 2}

// Calibration: the first key a Keystore makes measures one 64 MiB pass on this machine and takes
// as many passes as fit in CalibrationTarget, at least MinTime and at most MaxTime.
const (
	CalibrationTarget = 500 * time.Millisecond
	MinTime           = 3
	MaxTime           = 16
)

// Calibrate measures Argon2id on this machine and returns the parameters that take about
// target (bounded by MinTime and MaxTime passes of 64 MiB, 2 lanes).
func Calibrate(target time.Duration) Params {
	p := DefaultParams
	p.Time = 1
	start := time.Now()
	argon2.IDKey([]byte("calibration"), make([]byte, 16), p.Time, p.Memory, p.Threads, 32)
	one := max(time.Since(start), time.Millisecond)
	n := int64(target / one)
	p.Time = uint32(min(max(n, MinTime), MaxTime))
	return p
}

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
	// Secret is SecretPIN or SecretPassphrase ("" in version 1: a PIN).
	Secret string `json:"secret,omitempty"`
	KDF    Params `json:"kdf"`
	Salt   []byte `json:"salt,omitempty"`
	Nonce  []byte `json:"nonce,omitempty"`
	Sealed []byte `json:"sealed,omitempty"` // AES-GCM of the PKCS#8 DER
	// Guard names the core/keyguard guard that sealed Wrapped ("" when not bound). Salt, Nonce
	// and Sealed are then inside Wrapped and empty here.
	Guard   string `json:"guard,omitempty"`
	Wrapped []byte `json:"wrapped,omitempty"`
	// Token names a key pair on a hardware token (no Salt, Sealed or Guard then).
	Token *TokenRef `json:"token,omitempty"`
	// Chain is the certificate (first) and its issuers, DER, once the CA issued one.
	Chain [][]byte `json:"chain,omitempty"`

	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitempty"`
	Lockouts    int       `json:"lockouts,omitempty"`
}

// entryVersion is written; version 1 records (no Secret, Guard or Token) are still read.
const entryVersion = 2

// inner is layer 1 as the guard seals it.
type inner struct {
	Salt   []byte `json:"salt"`
	Nonce  []byte `json:"nonce"`
	Sealed []byte `json:"sealed"`
}

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
	// Secret is SecretPIN or SecretPassphrase (what Unlock wants; a token's PIN for a token key).
	Secret string
	// Guard names the OS store the record is sealed with ("" when none).
	Guard string
	// Token is set for a key on a hardware token.
	Token *TokenRef
}

// Algorithm names the key's algorithm as people read it: "SM2", "ECDSA P-256", "RSA 2048".
func (in Info) Algorithm() string {
	switch k := in.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pki.IsSM2(k) {
			return "SM2"
		}
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	}
	return fmt.Sprintf("%T", in.PublicKey)
}

// Options tune a Keystore; nil means defaults.
type Options struct {
	// Params for new keys (zero: DefaultParams).
	Params Params
	// Now is the clock for lock-outs and creation times (nil: time.Now).
	Now func() time.Time
	// Guard binds records to this OS account (nil: none, records are not bound). See
	// core/keyguard.Default.
	Guard keyguard.Guard
	// Tokens opens keys on hardware tokens (nil: token records answer ErrNoTokens).
	Tokens Tokens
}

// Keystore generates, encrypts, unlocks and certifies personal keys.
type Keystore struct {
	st     Store
	fixed  bool // params given: no calibration
	once   stdsync.Once
	params Params
	now    func() time.Time
	guard  keyguard.Guard
	tokens Tokens
}

// New returns a Keystore over st.
func New(st Store, opts *Options) *Keystore {
	k := &Keystore{st: st, params: DefaultParams, now: time.Now, guard: keyguard.None{Reason: "not configured"}}
	if opts != nil {
		if opts.Params != (Params{}) {
			k.params, k.fixed = opts.Params, true
		}
		if opts.Now != nil {
			k.now = opts.Now
		}
		if opts.Guard != nil {
			k.guard = opts.Guard
		}
		k.tokens = opts.Tokens
	}
	return k
}

// Guard returns the OS guard new records are sealed with (keyguard.None when there is none).
func (k *Keystore) Guard() keyguard.Guard { return k.guard }

// Params returns the Argon2id parameters of new records, calibrating them on first use.
func (k *Keystore) Params() Params {
	k.once.Do(func() {
		if !k.fixed {
			k.params = Calibrate(CalibrationTarget)
		}
	})
	return k.params
}

// KeyTypes are the key types Generate makes: ECDSA P-256 (read by every PDF verifier) and SM2
// (SM3 with SM2, what Chinese offices' verifiers expect).
var KeyTypes = []pki.KeyType{pki.ECDSAP256, pki.SM2}

// Generate creates a new ECDSA P-256 key; see GenerateType.
func (k *Keystore) Generate(pin string) (Info, error) { return k.GenerateType(pin, pki.ECDSAP256) }

// GenerateType creates a new key of type kt (one of KeyTypes), encrypts it under pin (which must
// pass CheckSecret) and stores it. The id is derived from the public key (first 16 hex digits of
// its SHA-256).
func (k *Keystore) GenerateType(pin string, kt pki.KeyType) (Info, error) {
	kind, err := CheckSecret(pin)
	if err != nil {
		return Info{}, err
	}
	if !slices.Contains(KeyTypes, kt) {
		return Info{}, fmt.Errorf("%w: %q for a personal key", pki.ErrKeyType, kt)
	}
	key, err := pki.GenerateKey(kt)
	if err != nil {
		return Info{}, fmt.Errorf("failed to generate key: %w", err)
	}
	pub, err := pki.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return Info{}, fmt.Errorf("failed to encode public key: %w", err)
	}
	sum := sha256.Sum256(pub)
	e := &Entry{Version: entryVersion, ID: hex.EncodeToString(sum[:8]), Created: k.now().UTC(), PublicKey: pub,
		Secret: kind, KDF: k.Params()}
	if err := k.sealEntry(e, key, pin); err != nil {
		return Info{}, err
	}
	if err := k.put(e); err != nil {
		return Info{}, err
	}
	return e.info()
}

// Unlock decrypts the key with pin. For a record bound to an OS store, the store is asked
// first: another account or machine gets *NotHereError before any PIN is tried. A wrong PIN is
// counted (in the OS store when bound, else in the record) before Unlock returns a
// *WrongPINError; a locked key returns *LockedError without trying the PIN. A key on a token
// takes the token's PIN (the token counts wrong ones). An unbound record is re-sealed with the
// guard after a successful unlock.
func (k *Keystore) Unlock(id, pin string) (crypto.Signer, error) {
	e, err := k.get(id)
	if err != nil {
		return nil, err
	}
	if e.Token != nil {
		if k.tokens == nil {
			return nil, ErrNoTokens
		}
		return k.tokens.Signer(*e.Token, pin)
	}
	in, err := k.layer1(e)
	if err != nil {
		return nil, err
	}
	cnt, err := k.counter(e)
	if err != nil {
		return nil, err
	}
	now := k.now()
	if now.Before(cnt.LockedUntil) {
		return nil, &LockedError{Until: cnt.LockedUntil}
	}
	key, err := e.open(in, pin)
	if errors.Is(err, ErrWrongPIN) {
		cnt.Failures++
		remaining := MaxAttempts - cnt.Failures
		if cnt.Failures >= MaxAttempts {
			d := LockDuration << min(cnt.Lockouts, 6)
			d = min(d, 24*time.Hour)
			cnt.LockedUntil = now.Add(d).UTC()
			cnt.Lockouts++
			cnt.Failures = 0
			remaining = 0
		}
		if perr := k.setCounter(e, cnt); perr != nil {
			return nil, perr
		}
		return nil, &WrongPINError{Remaining: remaining}
	}
	if err != nil {
		return nil, err
	}
	if cnt != (keyguard.Counter{}) {
		if err := k.setCounter(e, keyguard.Counter{}); err != nil {
			return nil, err
		}
	}
	if e.Guard == "" && keyguard.Available(k.guard) {
		// Re-seal an old or unbound record with this account's OS secret (and the calibrated
		// cost). A failure leaves the stored record as it was.
		e.Failures, e.Lockouts, e.LockedUntil = 0, 0, time.Time{}
		e.Version, e.KDF = entryVersion, k.Params()
		if e.Secret == "" {
			e.Secret = SecretPIN
		}
		if err := k.sealEntry(e, key, pin); err == nil {
			_ = k.put(e)
		}
	}
	return key, nil
}

// CheckHere reports whether this OS account can try a PIN on key id at all: nil, or a
// *NotHereError (nothing is tried or counted).
func (k *Keystore) CheckHere(id string) error {
	e, err := k.get(id)
	if err != nil || e.Token != nil {
		return err
	}
	if _, err := k.layer1(e); err != nil {
		return err
	}
	_, err = k.counter(e)
	return err
}

// layer1 returns the Argon2id layer of a software record, asking the OS store first when the
// record is bound.
func (k *Keystore) layer1(e *Entry) (inner, error) {
	if e.Guard == "" {
		return inner{Salt: e.Salt, Nonce: e.Nonce, Sealed: e.Sealed}, nil
	}
	if k.guard == nil || k.guard.Name() != e.Guard {
		reason := "this computer has no " + e.Guard
		if keyguard.Available(k.guard) {
			reason = "this computer uses " + k.guard.Name()
		}
		return inner{}, &NotHereError{Guard: e.Guard, Reason: reason}
	}
	plain, err := k.guard.Open(e.ID, e.Wrapped)
	if err != nil {
		if errors.Is(err, keyguard.ErrNotHere) || errors.Is(err, keyguard.ErrUnavailable) {
			return inner{}, &NotHereError{Guard: e.Guard, Reason: err.Error()}
		}
		return inner{}, fmt.Errorf("failed to open the key with %s: %w", e.Guard, err)
	}
	defer clear(plain)
	var in inner
	if err := json.Unmarshal(plain, &in); err != nil || len(in.Salt) != 16 || len(in.Nonce) != 12 || len(in.Sealed) < 16 {
		return inner{}, fmt.Errorf("%w: sealed layer", ErrCorrupt)
	}
	return in, nil
}

func (k *Keystore) counter(e *Entry) (keyguard.Counter, error) {
	if e.Guard == "" {
		return keyguard.Counter{Failures: e.Failures, LockedUntil: e.LockedUntil, Lockouts: e.Lockouts}, nil
	}
	c, err := k.guard.Counter(e.ID)
	if err != nil {
		if errors.Is(err, keyguard.ErrNotHere) || errors.Is(err, keyguard.ErrUnavailable) {
			return c, &NotHereError{Guard: e.Guard, Reason: err.Error()}
		}
		return c, fmt.Errorf("failed to read the wrong-pin counter: %w", err)
	}
	return c, nil
}

func (k *Keystore) setCounter(e *Entry, c keyguard.Counter) error {
	if e.Guard == "" {
		e.Failures, e.LockedUntil, e.Lockouts = c.Failures, c.LockedUntil, c.Lockouts
		return k.put(e)
	}
	if err := k.guard.SetCounter(e.ID, c); err != nil {
		return fmt.Errorf("failed to store the wrong-pin counter: %w", err)
	}
	return nil
}

// sealEntry writes layer 1 (and layer 2 when the keystore has a guard) into e.
func (k *Keystore) sealEntry(e *Entry, key crypto.Signer, pin string) error {
	in, err := e.seal(key, pin)
	if err != nil {
		return err
	}
	if !keyguard.Available(k.guard) {
		e.Guard, e.Wrapped = "", nil
		e.Salt, e.Nonce, e.Sealed = in.Salt, in.Nonce, in.Sealed
		return nil
	}
	plain, err := json.Marshal(in)
	if err != nil {
		return err
	}
	w, err := k.guard.Seal(e.ID, plain)
	if err != nil {
		return fmt.Errorf("failed to seal the key with %s: %w", k.guard.Name(), err)
	}
	e.Guard, e.Wrapped = k.guard.Name(), w
	e.Salt, e.Nonce, e.Sealed = nil, nil, nil
	e.Failures, e.Lockouts, e.LockedUntil = 0, 0, time.Time{}
	return nil
}

// ChangePIN re-encrypts the key under newPIN (a PIN or a passphrase) after unlocking it with
// oldPIN.
func (k *Keystore) ChangePIN(id, oldPIN, newPIN string) error {
	kind, err := CheckSecret(newPIN)
	if err != nil {
		return err
	}
	if e, err := k.get(id); err == nil && e.Token != nil {
		return ErrTokenKey
	}
	key, err := k.Unlock(id, oldPIN)
	if err != nil {
		return err
	}
	e, err := k.get(id)
	if err != nil {
		return err
	}
	e.Version, e.KDF, e.Secret = entryVersion, k.Params(), kind
	if err := k.sealEntry(e, key, newPIN); err != nil {
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
	pub, err := pki.MarshalPKIXPublicKey(chain[0].PublicKey)
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

// Delete removes a key for good (and its OS-held secret).
func (k *Keystore) Delete(id string) error {
	if e, err := k.get(id); err == nil && e.Guard != "" && k.guard != nil && k.guard.Name() == e.Guard {
		_ = k.guard.Forget(id)
	}
	return k.st.DeleteKey(id)
}

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
	if e.Version != 1 && e.Version != entryVersion {
		return nil, fmt.Errorf("%w: unknown record version %d", ErrCorrupt, e.Version)
	}
	if e.ID == "" || len(e.PublicKey) == 0 {
		return nil, fmt.Errorf("%w: missing fields", ErrCorrupt)
	}
	switch {
	case e.Version == 1 && (e.Guard != "" || e.Token != nil || e.Secret != ""):
		return nil, fmt.Errorf("%w: version 1 record with version 2 fields", ErrCorrupt)
	case e.Token != nil:
		if e.Token.Module == "" || e.Token.Token == "" || len(e.Token.KeyID) == 0 || e.Guard != "" || len(e.Sealed) != 0 {
			return nil, fmt.Errorf("%w: token record", ErrCorrupt)
		}
		return &e, nil
	case e.Secret != "" && e.Secret != SecretPIN && e.Secret != SecretPassphrase:
		return nil, fmt.Errorf("%w: unknown secret kind", ErrCorrupt)
	}
	if err := e.KDF.check(); err != nil {
		return nil, err
	}
	if e.Guard != "" {
		if len(e.Wrapped) < 16 || len(e.Salt)+len(e.Nonce)+len(e.Sealed) != 0 {
			return nil, fmt.Errorf("%w: bound record", ErrCorrupt)
		}
	} else if len(e.Salt) != 16 || len(e.Nonce) != 12 || len(e.Sealed) < 16 {
		return nil, fmt.Errorf("%w: missing fields", ErrCorrupt)
	}
	if e.Failures < 0 || e.Lockouts < 0 {
		return nil, fmt.Errorf("%w: negative counters", ErrCorrupt)
	}
	return &e, nil
}

func (e *Entry) info() (Info, error) {
	pub, err := pki.ParsePKIXPublicKey(e.PublicKey)
	if err != nil {
		return Info{}, fmt.Errorf("%w: public key: %v", ErrCorrupt, err)
	}
	in := Info{ID: e.ID, Created: e.Created, PublicKey: pub, Failures: e.Failures, LockedUntil: e.LockedUntil,
		Secret: e.Secret, Guard: e.Guard, Token: e.Token}
	if in.Secret == "" {
		in.Secret = SecretPIN
	}
	for i, der := range e.Chain {
		c, err := pki.ParseCertificate(der)
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

func (e *Entry) gcm(salt []byte, pin string) (cipher.AEAD, error) {
	kek := argon2.IDKey([]byte(pin), salt, e.KDF.Time, e.KDF.Memory, e.KDF.Threads, 32)
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (e *Entry) seal(key crypto.Signer, pin string) (inner, error) {
	der, err := pki.MarshalPKCS8(key)
	if err != nil {
		return inner{}, fmt.Errorf("failed to encode key: %w", err)
	}
	defer clear(der)
	in := inner{Salt: make([]byte, 16), Nonce: make([]byte, 12)}
	if _, err := rand.Read(in.Salt); err != nil {
		return inner{}, err
	}
	if _, err := rand.Read(in.Nonce); err != nil {
		return inner{}, err
	}
	g, err := e.gcm(in.Salt, pin)
	if err != nil {
		return inner{}, fmt.Errorf("failed to set up encryption: %w", err)
	}
	in.Sealed = g.Seal(nil, in.Nonce, der, e.aad())
	return in, nil
}

func (e *Entry) open(in inner, pin string) (crypto.Signer, error) {
	g, err := e.gcm(in.Salt, pin)
	if err != nil {
		return nil, fmt.Errorf("failed to set up decryption: %w", err)
	}
	der, err := g.Open(nil, in.Nonce, in.Sealed, e.aad())
	if err != nil {
		return nil, ErrWrongPIN
	}
	defer clear(der)
	key, err := pki.ParsePKCS8(der)
	if err != nil {
		return nil, fmt.Errorf("%w: private key: %v", ErrCorrupt, err)
	}
	if _, ok := key.Public().(*ecdsa.PublicKey); !ok {
		return nil, fmt.Errorf("%w: not an ecdsa or sm2 key", ErrCorrupt)
	}
	pub, err := pki.MarshalPKIXPublicKey(key.Public())
	if err != nil || string(pub) != string(e.PublicKey) {
		return nil, fmt.Errorf("%w: private key does not match the public key", ErrCorrupt)
	}
	return key, nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
