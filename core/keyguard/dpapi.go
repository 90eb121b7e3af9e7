package keyguard

import (
	"errors"
	"fmt"
)

// DPAPI is the Windows guard: Protect and Unprotect are CryptProtectData and
// CryptUnprotectData in user scope (dpapi_windows.go); Counters keep the wrong-PIN state in the
// user's registry hive. Tests on other systems give it stand-ins for both.
type DPAPI struct {
	// Protect and Unprotect take the data and the entropy (the key id).
	Protect, Unprotect func(data, entropy []byte) ([]byte, error)
	Counters           CounterStore
}

// CounterStore keeps counters by key id.
type CounterStore interface {
	Load(id string) (Counter, bool, error)
	Save(id string, c Counter) error
	Delete(id string) error
}

var _ Guard = (*DPAPI)(nil)

func (*DPAPI) Name() string     { return "dpapi" }
func (*DPAPI) Describe() string { return "Windows DPAPI (user scope)" }

func entropy(id string) []byte { return []byte("sealdesk-keyguard/v1/" + id) }

// Seal protects plain for this user with the key id as entropy; the counter starts afresh.
func (d *DPAPI) Seal(id string, plain []byte) ([]byte, error) {
	out, err := d.Protect(plain, entropy(id))
	if err != nil {
		return nil, fmt.Errorf("CryptProtectData failed: %w", err)
	}
	if _, ok, err := d.Counters.Load(id); err == nil && !ok {
		if err := d.Counters.Save(id, Counter{}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Open unprotects; any failure (another user's or machine's master key, another id's entropy,
// a tampered blob) is ErrNotHere, as is a missing counter (the registry of another profile).
func (d *DPAPI) Open(id string, sealed []byte) ([]byte, error) {
	out, err := d.Unprotect(sealed, entropy(id))
	if err != nil {
		return nil, fmt.Errorf("%w: CryptUnprotectData: %v", ErrNotHere, err)
	}
	if _, ok, err := d.Counters.Load(id); err != nil || !ok {
		clear(out)
		return nil, fmt.Errorf("%w: no wrong-pin counter for key %s in this profile", ErrNotHere, id)
	}
	return out, nil
}

func (d *DPAPI) Forget(id string) error { return d.Counters.Delete(id) }

func (d *DPAPI) Counter(id string) (Counter, error) {
	c, ok, err := d.Counters.Load(id)
	if err != nil {
		return Counter{}, err
	}
	if !ok {
		return Counter{}, ErrNotHere
	}
	return c, nil
}

func (d *DPAPI) SetCounter(id string, c Counter) error {
	if d.Counters == nil {
		return errors.New("dpapi: no counter store")
	}
	return d.Counters.Save(id, c)
}
