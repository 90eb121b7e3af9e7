//go:build !windows && !darwin

package keyguard

import (
	"errors"
	"os"
	"path/filepath"
	"time"
)

// probeTimeout bounds how long Default waits for the Secret Service (a locked keyring may show
// an unlock prompt; the desktop must still start).
const probeTimeout = 5 * time.Second

// Default returns the Secret Service guard when the session bus answers for it, else None
// with the reason. It never starts a bus (no dbus-launch autolaunch).
func Default() Guard {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if _, err := os.Stat(filepath.Join(rt, "bus")); rt == "" || err != nil {
			return None{Reason: "no D-Bus session bus"}
		}
	}
	done := make(chan error, 1)
	go func() { done <- probe() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(probeTimeout):
		err = errors.New("no answer in 5 s")
	}
	if err != nil {
		return None{Reason: "the Secret Service does not answer: " + err.Error()}
	}
	return NewKeyringGuard("secret-service", "freedesktop Secret Service (D-Bus)", osKeyring{})
}
