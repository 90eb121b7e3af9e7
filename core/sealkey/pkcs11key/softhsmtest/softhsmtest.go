// Package softhsmtest gives a test its own SoftHSM2 token: a configuration and token directory in
// t.TempDir() (SOFTHSM2_CONF points at it for the rest of the test), initialised with
// softhsm2-util. Without SoftHSM2 installed the test is skipped with the reason — or fails under
// SEALDESK_CI=1, where .ci installs the Debian package softhsm2.
package softhsmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sealdesk/core/sealkey/pkcs11key"
)

// Modules are where Debian and other systems put the SoftHSM2 module.
var Modules = []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so"}

// Token initialises a fresh token and returns the configuration to open it.
func Token(t testing.TB) pkcs11key.Config {
	t.Helper()
	module := ""
	for _, m := range Modules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	if module == "" || err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("SoftHSM2 is not installed (Debian package softhsm2): the PKCS #11 seal-key tests are required in CI")
		}
		t.Skip("SoftHSM2 is not installed (apt-get install softhsm2): PKCS #11 seal-key test skipped")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	cfg := pkcs11key.Config{Module: module, TokenLabel: "sealdesk-test", PIN: "20261204"}
	out, err := exec.Command(util, "--init-token", "--free", "--label", cfg.TokenLabel, "--so-pin", "12345678", "--pin", cfg.PIN).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return cfg
}
