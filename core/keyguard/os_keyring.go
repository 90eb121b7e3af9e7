//go:build !windows

package keyguard

import (
	"errors"

	gokeyring "github.com/zalando/go-keyring"
)

// osKeyring adapts go-keyring (Secret Service on Linux and the BSDs, Keychain on macOS).
type osKeyring struct{}

func mapErr(err error) error {
	if errors.Is(err, gokeyring.ErrNotFound) {
		return ErrItemNotFound
	}
	return err
}

func (osKeyring) Get(service, user string) (string, error) {
	s, err := gokeyring.Get(service, user)
	return s, mapErr(err)
}
func (osKeyring) Set(service, user, secret string) error {
	return mapErr(gokeyring.Set(service, user, secret))
}
func (osKeyring) Delete(service, user string) error { return mapErr(gokeyring.Delete(service, user)) }

// probe asks the store for an item that does not exist: ErrItemNotFound means the store
// answered.
func probe() error {
	_, err := osKeyring{}.Get(Service, "probe")
	if errors.Is(err, ErrItemNotFound) {
		return nil
	}
	if err == nil {
		return nil
	}
	return err
}
