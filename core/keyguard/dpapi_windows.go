//go:build windows

package keyguard

import (
	"encoding/json"
	"errors"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// Default returns the DPAPI guard with its counters in HKCU.
func Default() Guard {
	return &DPAPI{Protect: protect, Unprotect: unprotect, Counters: regCounters{}}
}

func blob(b []byte) *windows.DataBlob {
	if len(b) == 0 {
		return &windows.DataBlob{}
	}
	return &windows.DataBlob{Size: uint32(len(b)), Data: &b[0]}
}

func take(out *windows.DataBlob) []byte {
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return append([]byte(nil), unsafe.Slice(out.Data, out.Size)...)
}

func protect(data, ent []byte) ([]byte, error) {
	var out windows.DataBlob
	name, _ := windows.UTF16PtrFromString("SealDesk signing key")
	if err := windows.CryptProtectData(blob(data), name, blob(ent), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, err
	}
	return take(&out), nil
}

func unprotect(data, ent []byte) ([]byte, error) {
	var out windows.DataBlob
	if err := windows.CryptUnprotectData(blob(data), nil, blob(ent), 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, err
	}
	return take(&out), nil
}

// regCounters keeps counters as JSON values under HKCU\Software\SealDesk\KeyCounters.
type regCounters struct{}

const regPath = `Software\SealDesk\KeyCounters`

func (regCounters) Load(id string) (Counter, bool, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, regPath, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return Counter{}, false, nil
	}
	if err != nil {
		return Counter{}, false, err
	}
	defer k.Close()
	s, _, err := k.GetStringValue(id)
	if errors.Is(err, registry.ErrNotExist) {
		return Counter{}, false, nil
	}
	if err != nil {
		return Counter{}, false, err
	}
	var c Counter
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return Counter{}, false, err
	}
	return c, true, nil
}

func (regCounters) Save(id string, c Counter) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, regPath, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	b, _ := json.Marshal(c)
	return k.SetStringValue(id, string(b))
}

func (regCounters) Delete(id string) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, regPath, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(id); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return err
	}
	return nil
}
