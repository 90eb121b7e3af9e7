//go:build !windows && !darwin

package keyguard

import "os"

// Default returns the Secret Service guard when the session bus answers for it, else None
// with the reason.
func Default() Guard {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" && os.Getenv("XDG_RUNTIME_DIR") == "" {
		return None{Reason: "no D-Bus session (DBUS_SESSION_BUS_ADDRESS is not set)"}
	}
	if err := probe(); err != nil {
		return None{Reason: "the Secret Service does not answer: " + err.Error()}
	}
	return NewKeyringGuard("secret-service", "freedesktop Secret Service (D-Bus)", osKeyring{})
}
