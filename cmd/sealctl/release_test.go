package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/update"
)

// TestReleaseSign: keygen → pubkey → sign produces a manifest the desktop's check opens with the
// printed public key, naming the file's size and SHA-256; a key from elsewhere does not open it.
func TestReleaseSign(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	var out, errb bytes.Buffer
	if code := realMain([]string{"release", "keygen", "--out", key}, &out, &errb); code != 0 {
		t.Fatalf("keygen: %d %s", code, errb.String())
	}
	if st, _ := os.Stat(key); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode().Perm())
	}
	if code := realMain([]string{"release", "keygen", "--out", key}, &out, &errb); code == 0 {
		t.Error("keygen overwrote an existing key")
	}
	out.Reset()
	if code := realMain([]string{"release", "pubkey", "--key", key}, &out, &errb); code != 0 {
		t.Fatalf("pubkey: %d %s", code, errb.String())
	}
	pub, err := update.ParsePublicKey(out.String())
	pubOut := out.String()
	if err != nil {
		t.Fatal(err)
	}
	msi := filepath.Join(dir, "SealDesk-0.2.0-x64.msi")
	os.WriteFile(msi, []byte("not really an msi"), 0o644)
	os.WriteFile(filepath.Join(dir, "zh.txt"), []byte("新版本\n"), 0o644)
	manifest := filepath.Join(dir, "windows-amd64.json")
	args := []string{"release", "sign", "--key", key, "--file", msi, "--version", "0.2.0", "--platform", "windows-amd64",
		"--sequence", "42", "--notes-zh-file", filepath.Join(dir, "zh.txt"), "--notes-en", "New version", "--out", manifest}
	if code := realMain(args, &out, &errb); code != 0 {
		t.Fatalf("sign: %d %s", code, errb.String())
	}
	b, _ := os.ReadFile(manifest)
	m, err := update.Open(b, pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("not really an msi"))
	if m.Size != 17 || m.SHA256 != hex.EncodeToString(sum[:]) || m.Sequence != 42 || m.Notes["zh"] != "新版本" || m.Notes["en"] != "New version" ||
		m.File != "SealDesk-0.2.0-x64.msi" || m.URL != "/api/v1/updates/files/SealDesk-0.2.0-x64.msi" {
		t.Fatalf("manifest %+v", m)
	}
	if strings.Contains(string(b), "PRIVATE") {
		t.Fatal("the manifest holds the private key")
	}
	// verify: good, then the file altered, then another key
	pubB64 := strings.TrimSpace(pubOut)
	out.Reset()
	if code := realMain([]string{"release", "verify", "--pubkey", pubB64, manifest}, &out, &errb); code != 0 || !strings.Contains(out.String(), "good") {
		t.Fatalf("verify: %d %s %s", code, out.String(), errb.String())
	}
	os.WriteFile(msi, []byte("not really an msX"), 0o644)
	errb.Reset()
	if code := realMain([]string{"release", "verify", "--pubkey", pubB64, manifest}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "sha256") {
		t.Errorf("verify of an altered file: %d %s", code, errb.String())
	}
	os.WriteFile(msi, []byte("not really an msi"), 0o644)
	other := filepath.Join(dir, "other.key")
	realMain([]string{"release", "keygen", "--out", other}, io.Discard, io.Discard)
	var ob bytes.Buffer
	realMain([]string{"release", "pubkey", "--key", other}, &ob, io.Discard)
	errb.Reset()
	if code := realMain([]string{"release", "verify", "--pubkey", strings.TrimSpace(ob.String()), manifest}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "wrong_key") {
		t.Errorf("verify with another key: %d %s", code, errb.String())
	}

	// bad input
	for _, a := range [][]string{
		{"release", "sign", "--key", key, "--file", msi, "--version", "latest", "--platform", "windows-amd64", "--out", manifest},
		{"release", "sign", "--key", msi, "--file", msi, "--version", "0.2.0", "--platform", "windows-amd64", "--out", manifest},
		{"release", "sign", "--key", key, "--file", filepath.Join(dir, "missing"), "--version", "0.2.0", "--platform", "windows-amd64", "--out", manifest},
	} {
		errb.Reset()
		if code := realMain(a, &out, &errb); code != 1 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, %q", a, code, errb.String())
		}
	}
	if code := realMain([]string{"release"}, &out, &errb); code != 2 {
		t.Errorf("release without a subcommand: %d", code)
	}
	// the manifest was not replaced by the failed runs
	if b2, _ := os.ReadFile(manifest); !bytes.Equal(b, b2) {
		t.Error("a failed sign changed the published manifest")
	}
}
