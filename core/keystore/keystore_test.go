package keystore

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"sealdesk/core/pki"
)

// memStore is an in-memory Store.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMem() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) GetKey(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte(nil), b...), nil
}
func (s *memStore) PutKey(id string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = append([]byte(nil), b...)
	return nil
}
func (s *memStore) ListKeys() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}
func (s *memStore) DeleteKey(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// fast are small Argon2 parameters so the tests stay quick; one test uses the defaults.
var fast = Params{Time: 1, Memory: 8 << 10, Threads: 1}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newKS(t *testing.T) (*Keystore, *memStore, *clock) {
	t.Helper()
	st := newMem()
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return New(st, &Options{Params: fast, Now: c.now}), st, c
}

func TestCheckPIN(t *testing.T) {
	for _, tc := range []struct {
		pin, reason string
	}{
		{"", PINLength}, {"12345", PINLength}, {"1234567", PINLength}, {"12a456", PINNotDigits},
		{"１２３４５６", PINLength}, {"000000", PINRepeated}, {"777777", PINRepeated},
		{"123456", PINSequential}, {"654321", PINSequential}, {"789012", PINSequential},
		{"210987", PINSequential}, {"135790", ""}, {"202611", ""}, {"112233", ""},
	} {
		err := CheckPIN(tc.pin)
		var pe *PINError
		switch {
		case tc.reason == "" && err != nil:
			t.Errorf("%q: %v", tc.pin, err)
		case tc.reason != "" && (!errors.As(err, &pe) || pe.Reason != tc.reason || !errors.Is(err, ErrWeakPIN)):
			t.Errorf("%q: got %v, want reason %s", tc.pin, err, tc.reason)
		}
	}
}

func TestGenerateUnlockSign(t *testing.T) {
	ks, st, _ := newKS(t)
	in, err := ks.Generate("135790")
	if err != nil {
		t.Fatal(err)
	}
	// The record holds no plaintext key.
	rec := st.m[in.ID]
	var e Entry
	if err := json.Unmarshal(rec, &e); err != nil {
		t.Fatal(err)
	}
	if e.KDF != fast || len(e.Sealed) == 0 {
		t.Fatalf("record %+v", e)
	}
	signer, err := ks.Unlock(in.ID, "135790")
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(signer)
	if bytesContains(rec, der[len(der)-32:]) {
		t.Fatal("private key bytes appear in the stored record")
	}
	d := sha256.Sum256([]byte("hello"))
	sig, err := signer.Sign(rand.Reader, d[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(in.PublicKey.(*ecdsa.PublicKey), d[:], sig) {
		t.Fatal("signature does not verify with the stored public key")
	}
}

func bytesContains(h, n []byte) bool {
	for i := 0; i+len(n) <= len(h); i++ {
		if string(h[i:i+len(n)]) == string(n) {
			return true
		}
	}
	return false
}

func TestWrongPINCountsAndLocks(t *testing.T) {
	ks, _, c := newKS(t)
	in, err := ks.Generate("135790")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < MaxAttempts; i++ {
		_, err := ks.Unlock(in.ID, "999999")
		var we *WrongPINError
		if !errors.As(err, &we) || we.Remaining != MaxAttempts-i || !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// A fresh Keystore over the same store sees the count: it is persisted.
	ks2 := New(ks.st, &Options{Params: fast, Now: c.now})
	if info, _ := ks2.Info(in.ID); info.Failures != MaxAttempts-1 {
		t.Fatalf("failures %d", info.Failures)
	}
	_, err = ks2.Unlock(in.ID, "999998")
	var we *WrongPINError
	if !errors.As(err, &we) || we.Remaining != 0 {
		t.Fatalf("last attempt: %v", err)
	}
	// Locked: even the right PIN is refused.
	_, err = ks.Unlock(in.ID, "135790")
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) || !le.Until.Equal(c.t.Add(LockDuration)) {
		t.Fatalf("locked: %v", err)
	}
	c.t = c.t.Add(LockDuration + time.Second)
	// Second lock-out is twice as long.
	for i := 0; i < MaxAttempts; i++ {
		ks.Unlock(in.ID, "999999")
	}
	_, err = ks.Unlock(in.ID, "135790")
	if !errors.As(err, &le) || !le.Until.Equal(c.t.Add(2*LockDuration)) {
		t.Fatalf("second lock: %v", err)
	}
	c.t = le.Until
	if _, err := ks.Unlock(in.ID, "135790"); err != nil {
		t.Fatalf("after lock-out: %v", err)
	}
	if info, _ := ks.Info(in.ID); info.Failures != 0 || !info.LockedUntil.IsZero() {
		t.Fatalf("counters not reset: %+v", info)
	}
}

func TestChangePIN(t *testing.T) {
	ks, _, _ := newKS(t)
	in, _ := ks.Generate("135790")
	if err := ks.ChangePIN(in.ID, "135790", "111111"); !errors.Is(err, ErrWeakPIN) {
		t.Fatalf("weak new pin: %v", err)
	}
	if err := ks.ChangePIN(in.ID, "000001", "246802"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("wrong old pin: %v", err)
	}
	if err := ks.ChangePIN(in.ID, "135790", "246802"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Unlock(in.ID, "135790"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("old pin still works: %v", err)
	}
	if _, err := ks.Unlock(in.ID, "246802"); err != nil {
		t.Fatal(err)
	}
}

func TestTamperedRecords(t *testing.T) {
	ks, st, _ := newKS(t)
	a, _ := ks.Generate("135790")
	b, _ := ks.Generate("135790")
	var ea, eb Entry
	json.Unmarshal(st.m[a.ID], &ea)
	json.Unmarshal(st.m[b.ID], &eb)

	// b's sealed key moved into a's record does not open (AAD binds id + public key).
	moved := ea
	moved.Salt, moved.Nonce, moved.Sealed = eb.Salt, eb.Nonce, eb.Sealed
	put := func(e Entry) { bb, _ := json.Marshal(e); st.m[a.ID] = bb }
	put(moved)
	if _, err := ks.Unlock(a.ID, "135790"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("moved ciphertext: %v", err)
	}
	huge := ea
	huge.KDF.Memory = 4 << 20
	put(huge)
	if _, err := ks.Unlock(a.ID, "135790"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("huge kdf: %v", err)
	}
	st.m[a.ID] = []byte("{")
	if _, err := ks.Info(a.ID); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("broken json: %v", err)
	}
	if _, err := ks.Unlock("nope", "135790"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestCSRAndCertificate(t *testing.T) {
	ks, _, c := newKS(t)
	in, _ := ks.Generate("135790")
	csrPEM, err := ks.CSR(in.ID, "135790", pkix.Name{CommonName: "张三"})
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(csrPEM)
	if blk == nil || blk.Type != "CERTIFICATE REQUEST" {
		t.Fatalf("csr pem %q", csrPEM)
	}
	caKey, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	root, err := pki.SelfSign(caKey, pkix.Name{CommonName: "Test Root"}, c.t.Add(-time.Hour), c.t.Add(time.Hour*24))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.IssueFromCSR(pki.Issuer{Cert: root, Key: caKey}, blk.Bytes, pki.Request{Profile: pki.ProfilePerson, Subject: pkix.Name{CommonName: "张三"}, NotBefore: c.t.Add(-time.Minute), NotAfter: c.t.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.SetCertificate(in.ID, []*x509.Certificate{root}); err == nil {
		t.Fatal("a certificate for another key was accepted")
	}
	if err := ks.SetCertificate(in.ID, []*x509.Certificate{cert, root}); err != nil {
		t.Fatal(err)
	}
	got, _ := ks.Info(in.ID)
	if got.Certificate == nil || !got.Certificate.Equal(cert) || len(got.Chain) != 1 {
		t.Fatalf("info %+v", got)
	}
	list, _ := ks.List()
	if len(list) != 1 || list[0].ID != in.ID {
		t.Fatalf("list %+v", list)
	}
}

// TestDefaultParams runs the real default KDF once.
func TestDefaultParams(t *testing.T) {
	ks := New(newMem(), nil)
	start := time.Now()
	in, err := ks.Generate("135790")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Unlock(in.ID, "135790"); err != nil {
		t.Fatal(err)
	}
	t.Logf("generate + unlock with default argon2id parameters: %v", time.Since(start))
}

func FuzzParseEntry(f *testing.F) {
	st := newMem()
	in, err := New(st, &Options{Params: fast}).Generate("135790")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(st.m[in.ID])
	f.Add([]byte(`{"v":1,"kdf":{"t":1,"m":8192,"p":1}}`))
	f.Add([]byte(`{"v":1,"kdf":{"t":4294967295,"m":4294967295,"p":255}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		if err != nil {
			return
		}
		if _, err := e.info(); err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("info error not ErrCorrupt: %v", err)
		}
	})
}
