package keyguard_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"sealdesk/core/keyguard"
)

// MapKeyring is an in-memory keyring (one per "OS account").
type MapKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *MapKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.m[service+"/"+user]
	if !ok {
		return "", keyguard.ErrItemNotFound
	}
	return s, nil
}
func (k *MapKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[service+"/"+user] = secret
	return nil
}
func (k *MapKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[service+"/"+user]; !ok {
		return keyguard.ErrItemNotFound
	}
	delete(k.m, service+"/"+user)
	return nil
}

func TestKeyringGuard(t *testing.T) {
	mine, other := &MapKeyring{}, &MapKeyring{}
	g := keyguard.NewKeyringGuard("secret-service", "test", mine)
	sealed, err := g.Seal("k1", []byte("layer one"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("layer one")) {
		t.Fatal("plaintext in the sealed bytes")
	}
	if out, err := g.Open("k1", sealed); err != nil || string(out) != "layer one" {
		t.Fatalf("open: %q %v", out, err)
	}
	// Re-sealing reuses the item: the earlier sealed bytes still open (a record stored before a
	// failed re-seal is never stranded).
	if _, err := g.Seal("k1", []byte("again")); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Open("k1", sealed); err != nil {
		t.Fatalf("earlier record stranded: %v", err)
	}
	// Another id's bytes, another account's keyring, a removed item: ErrNotHere.
	if _, err := g.Open("k2", sealed); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("other id: %v", err)
	}
	g2 := keyguard.NewKeyringGuard("secret-service", "test", other)
	if _, err := g2.Open("k1", sealed); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("other account: %v", err)
	}
	if _, err := g2.Counter("k1"); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("other account's counter: %v", err)
	}
	c := keyguard.Counter{Failures: 3, Lockouts: 1}
	if err := g.SetCounter("k1", c); err != nil {
		t.Fatal(err)
	}
	if got, err := g.Counter("k1"); err != nil || got != c {
		t.Fatalf("counter %+v %v", got, err)
	}
	if _, err := g.Open("k1", sealed); err != nil {
		t.Fatalf("counter write broke the item: %v", err)
	}
	if err := g.Forget("k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Open("k1", sealed); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("forgotten: %v", err)
	}
	// A tampered item (not SealDesk's JSON) is not here either, never a panic.
	mine.Set(keyguard.Service, "k3", "not json")
	if _, err := g.Open("k3", sealed); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("foreign item: %v", err)
	}
}

// fakeDPAPI stands in for CryptProtectData in user scope: the blob is the data XORed with a
// keystream of the account's master key and the entropy, plus an HMAC; another account's master
// key or another entropy fails like the real call (ERROR_INVALID_DATA / bad MAC).
type fakeDPAPI struct{ master []byte }

func (f fakeDPAPI) stream(entropy []byte, n int) []byte {
	var out []byte
	for i := 0; len(out) < n; i++ {
		m := hmac.New(sha256.New, f.master)
		m.Write(entropy)
		m.Write([]byte{byte(i)})
		out = m.Sum(out)
	}
	return out[:n]
}

func (f fakeDPAPI) mac(entropy, ct []byte) []byte {
	m := hmac.New(sha256.New, f.master)
	m.Write([]byte("mac"))
	m.Write(entropy)
	m.Write(ct)
	return m.Sum(nil)
}

func (f fakeDPAPI) Protect(data, entropy []byte) ([]byte, error) {
	ks := f.stream(entropy, len(data))
	ct := make([]byte, len(data))
	for i := range data {
		ct[i] = data[i] ^ ks[i]
	}
	return append(ct, f.mac(entropy, ct)...), nil
}

func (f fakeDPAPI) Unprotect(blob, entropy []byte) ([]byte, error) {
	if len(blob) < 32 {
		return nil, errors.New("The data is invalid.")
	}
	ct, tag := blob[:len(blob)-32], blob[len(blob)-32:]
	if !hmac.Equal(tag, f.mac(entropy, ct)) {
		return nil, errors.New("Key not valid for use in specified state.")
	}
	ks := f.stream(entropy, len(ct))
	out := make([]byte, len(ct))
	for i := range ct {
		out[i] = ct[i] ^ ks[i]
	}
	return out, nil
}

type mapCounters map[string]keyguard.Counter

func (m mapCounters) Load(id string) (keyguard.Counter, bool, error) {
	c, ok := m[id]
	return c, ok, nil
}
func (m mapCounters) Save(id string, c keyguard.Counter) error { m[id] = c; return nil }
func (m mapCounters) Delete(id string) error                   { delete(m, id); return nil }

// NewFakeDPAPI returns the DPAPI guard of one account (its master key and registry hive).
func newFakeDPAPI(master string) *keyguard.DPAPI {
	f := fakeDPAPI{master: []byte(master)}
	return &keyguard.DPAPI{Protect: f.Protect, Unprotect: f.Unprotect, Counters: mapCounters{}}
}

// TestDPAPIWrapping tests the Windows guard's logic with the platform call behind its function
// fields (the real CryptProtectData is in dpapi_windows.go, built and vetted with GOOS=windows).
func TestDPAPIWrapping(t *testing.T) {
	me, other := newFakeDPAPI("alice@pc1"), newFakeDPAPI("bob@pc1")
	sealed, err := me.Seal("k1", []byte("layer one"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := me.Open("k1", sealed); err != nil || string(out) != "layer one" {
		t.Fatalf("open: %q %v", out, err)
	}
	if _, err := me.Open("k2", sealed); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("other entropy: %v", err)
	}
	if _, err := other.Open("k1", sealed); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("other account: %v", err)
	}
	// Same account, but the registry counter is gone (a copied profile without the hive, or a
	// user deleting the counter to reset it): refused as well.
	me.Counters.Delete("k1")
	if _, err := me.Open("k1", sealed); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("counter removed: %v", err)
	}
	me.Counters.Save("k1", keyguard.Counter{Failures: 2})
	if c, err := me.Counter("k1"); err != nil || c.Failures != 2 {
		t.Fatalf("counter %+v %v", c, err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[0] ^= 1
	if _, err := me.Open("k1", tampered); !errors.Is(err, keyguard.ErrNotHere) {
		t.Fatalf("tampered: %v", err)
	}
}

func TestNone(t *testing.T) {
	n := keyguard.None{Reason: "no D-Bus session"}
	if keyguard.Available(n) || keyguard.Available(nil) {
		t.Fatal("None is available")
	}
	if _, err := n.Seal("k", nil); !errors.Is(err, keyguard.ErrUnavailable) {
		t.Fatal(err)
	}
}
