//go:build darwin

package keyguard

import "os"

// Default returns the login-Keychain guard (through /usr/bin/security).
func Default() Guard {
	if _, err := os.Stat("/usr/bin/security"); err != nil {
		return None{Reason: "/usr/bin/security is missing"}
	}
	return NewKeyringGuard("keychain", "macOS Keychain", osKeyring{})
}
