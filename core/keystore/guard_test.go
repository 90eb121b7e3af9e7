package keystore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"sealdesk/core/keyguard"
)

// mapKeyring is one OS account's keyring.
type mapKeyring struct {
	mu    sync.Mutex
	m     map[string]string
	reads int
}

func (k *mapKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.reads++
	s, ok := k.m[service+"/"+user]
	if !ok {
		return "", keyguard.ErrItemNotFound
	}
	return s, nil
}
func (k *mapKeyring) Set(service, user, s string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[service+"/"+user] = s
	return nil
}
func (k *mapKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, service+"/"+user)
	return nil
}

func guarded(st Store, kr *mapKeyring, c *clock) *Keystore {
	return New(st, &Options{Params: fast, Now: c.now, Guard: keyguard.NewKeyringGuard("secret-service", "test", kr)})
}

// TestBoundRecord: a record made with a guard holds no Argon2 material in the clear; a copy of
// the store under another account is refused before any PIN is tried (a wrong and the right PIN
// get the same answer, nothing is counted); the counter lives in the keyring, so restoring an
// older copy of the store does not reset it.
func TestBoundRecord(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	st, mine := newMem(), &mapKeyring{}
	ks := guarded(st, mine, c)
	in, err := ks.Generate("135790")
	if err != nil {
		t.Fatal(err)
	}
	if in.Guard != "secret-service" {
		t.Fatalf("guard %q", in.Guard)
	}
	e, _ := ParseEntry(st.m[in.ID])
	if len(e.Salt) != 0 || len(e.Sealed) != 0 || len(e.Wrapped) == 0 || e.Version != 2 {
		t.Fatalf("record not bound: %+v", e)
	}
	if _, err := ks.Unlock(in.ID, "135790"); err != nil {
		t.Fatal(err)
	}

	// The data folder copied to another account (its own, empty keyring).
	copied := newMem()
	maps.Copy(copied.m, st.m)
	thief := guarded(copied, &mapKeyring{}, c)
	for _, pin := range []string{"000000", "135790"} {
		_, err := thief.Unlock(in.ID, pin)
		var nh *NotHereError
		if !errors.As(err, &nh) || nh.Guard != "secret-service" {
			t.Fatalf("copied record with %s: %v", pin, err)
		}
	}
	// On a machine without any OS store: the same.
	bare := New(copied, &Options{Params: fast, Now: c.now})
	if _, err := bare.Unlock(in.ID, "135790"); !errors.Is(err, ErrNotHere) {
		t.Fatalf("no guard: %v", err)
	}
	if string(copied.m[in.ID]) != string(st.m[in.ID]) {
		t.Fatal("a refused unlock changed the record")
	}

	// The counter is in the keyring: two wrong PINs, then the store restored from before them.
	before := maps.Clone(st.m)
	for range 2 {
		if _, err := ks.Unlock(in.ID, "000000"); !errors.Is(err, ErrWrongPIN) {
			t.Fatal(err)
		}
	}
	maps.Copy(st.m, before)
	_, err = ks.Unlock(in.ID, "000000")
	var w *WrongPINError
	if !errors.As(err, &w) || w.Remaining != MaxAttempts-3 {
		t.Fatalf("counter reset by restoring the store: %v", err)
	}
	for range 2 {
		ks.Unlock(in.ID, "000000")
	}
	if _, err := ks.Unlock(in.ID, "135790"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after %d wrong PINs: %v", MaxAttempts, err)
	}
	c.t = c.t.Add(LockDuration + time.Second)
	if _, err := ks.Unlock(in.ID, "135790"); err != nil {
		t.Fatal(err)
	}

	// The keyring item removed: refused like a copy.
	mine.Delete(keyguard.Service, in.ID)
	if _, err := ks.Unlock(in.ID, "135790"); !errors.Is(err, ErrNotHere) {
		t.Fatalf("item removed: %v", err)
	}
}

// TestRewrapOnUnlock: a version 1 record (made before this change, no guard) is sealed with the
// OS secret and the calibrated cost at its next unlock, and still opens with the same PIN.
func TestRewrapOnUnlock(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	st := newMem()
	// A version 1 record exactly as the previous code wrote it (layer 1 only, counters inside).
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	e := &Entry{Version: 1, ID: "00112233aabbccdd", Created: c.t, PublicKey: pub, KDF: fast, Failures: 1}
	inn, err := e.seal(key, "135790")
	if err != nil {
		t.Fatal(err)
	}
	e.Salt, e.Nonce, e.Sealed = inn.Salt, inn.Nonce, inn.Sealed
	st.m[e.ID], _ = json.Marshal(e)
	in := Info{ID: e.ID}

	kr := &mapKeyring{}
	ks := guarded(st, kr, c)
	if _, err := ks.Unlock(in.ID, "135790"); err != nil {
		t.Fatalf("v1 record: %v", err)
	}
	e2, _ := ParseEntry(st.m[in.ID])
	if e2.Version != 2 || e2.Guard != "secret-service" || len(e2.Sealed) != 0 || e2.Secret != SecretPIN {
		t.Fatalf("not re-wrapped: %+v", e2)
	}
	if _, err := ks.Unlock(in.ID, "135790"); err != nil {
		t.Fatalf("after re-wrap: %v", err)
	}
	if _, err := New(st, &Options{Params: fast, Now: c.now}).Unlock(in.ID, "135790"); !errors.Is(err, ErrNotHere) {
		t.Fatalf("re-wrapped record opened without the keyring: %v", err)
	}
}

func TestPassphrase(t *testing.T) {
	for s, want := range map[string]string{
		"135790": "", "12345": PINLength, "1357901": PassphraseShort, "abc": PassphraseShort,
		"correct horse": "", "签约口令不少于十二个字符呢": "", "aaaaaaaaaaaaaa": PassphraseRepeated, "123456": PINSequential,
	} {
		_, err := CheckSecret(s)
		var pe *PINError
		got := ""
		if errors.As(err, &pe) {
			got = pe.Reason
		}
		if got != want {
			t.Errorf("%q: %q, want %q", s, got, want)
		}
	}
	ks, _, _ := newKS(t)
	in, err := ks.Generate("correct horse battery")
	if err != nil || in.Secret != SecretPassphrase {
		t.Fatalf("%+v %v", in, err)
	}
	if _, err := ks.Unlock(in.ID, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := ks.ChangePIN(in.ID, "correct horse battery", "246813"); err != nil {
		t.Fatal(err)
	}
	if in, _ := ks.Info(in.ID); in.Secret != SecretPIN {
		t.Fatal(in.Secret)
	}
}

// TestCalibrate: the calibrated cost stays within its bounds and is kept in the record.
func TestCalibrate(t *testing.T) {
	p := Calibrate(CalibrationTarget)
	if p.Time < MinTime || p.Time > MaxTime || p.Memory != 64<<10 {
		t.Fatalf("%+v", p)
	}
	start := time.Now()
	ks := New(newMem(), nil)
	in, err := ks.Generate("135790")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := ks.get(in.ID)
	if e.KDF != ks.Params() || e.KDF.Time < MinTime {
		t.Fatalf("record kdf %+v, keystore %+v", e.KDF, ks.Params())
	}
	t.Logf("calibrated %+v (generate incl. calibration %v; the machine is shared and loaded)", e.KDF, time.Since(start))
}
