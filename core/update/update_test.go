package update

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"0.1.0", "0.1.0", 0}, {"0.2.0", "0.1.0", 1}, {"0.1.0", "0.10.0", -1}, {"1.0.0", "0.99.99", 1},
		{"0.2.0-rc1", "0.2.0", -1}, {"0.2.0", "0.2.0-rc1", 1}, {"v0.1.0", "0.1.0", 0}, {"0.2.0-rc1", "0.1.9", 1},
	} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	for _, bad := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "1.2.3-", "-1.2.3"} {
		if ValidVersion(bad) {
			t.Errorf("ValidVersion(%q) = true", bad)
		}
	}
}

func manifest() Manifest {
	return Manifest{Product: Product, Version: "0.2.0", Platform: "linux-amd64", Sequence: 7, IssuedAt: time.Unix(1e9, 0).UTC(),
		File: "sealdesk-0.2.0.tar.gz", Size: 10, SHA256: strings.Repeat("ab", 32), Notes: map[string]string{"zh": "说明"}}
}

func TestSignOpen(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	b, err := Sign(manifest(), priv)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Open(b, pub)
	if err != nil || m.Version != "0.2.0" || m.FileURL() != FilesPath+"sealdesk-0.2.0.tar.gz" {
		t.Fatalf("Open: %+v %v", m, err)
	}
	var ue *Error
	if _, err := Open(b, other); !errors.As(err, &ue) || ue.Reason != ReasonWrongKey {
		t.Errorf("other key: %v", err)
	}
	for name, data := range map[string]string{
		"not json":      "nonsense",
		"no manifest":   `{"signature":"x"}`,
		"huge":          `{"manifest":{"x":"` + strings.Repeat("a", MaxManifest) + `"}}`,
		"bad signature": `{"manifest":{"product":"sealdesk"},"signature":"` + base64.StdEncoding.EncodeToString(make([]byte, 64)) + `","key_id":"` + KeyID(pub) + `"}`,
	} {
		if _, err := Open([]byte(data), pub); !errors.As(err, &ue) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// fields out of form are refused when signing
	for name, edit := range map[string]func(*Manifest){
		"product":  func(m *Manifest) { m.Product = "other" },
		"platform": func(m *Manifest) { m.Platform = "Windows" },
		"version":  func(m *Manifest) { m.Version = "latest" },
		"sequence": func(m *Manifest) { m.Sequence = 0 },
		"file":     func(m *Manifest) { m.File = "../x.msi" },
		"json":     func(m *Manifest) { m.File = "linux-amd64.json" },
		"size":     func(m *Manifest) { m.Size = 0 },
		"sha":      func(m *Manifest) { m.SHA256 = "AB" },
		"url":      func(m *Manifest) { m.URL = "https://evil.example/x" },
	} {
		m := manifest()
		edit(&m)
		if _, err := Sign(m, priv); err == nil {
			t.Errorf("Sign accepted a bad %s", name)
		}
	}
	if _, err := ParsePublicKey(base64.StdEncoding.EncodeToString(pub)); err != nil {
		t.Error(err)
	}
	if _, err := ParsePublicKey("abc"); err == nil {
		t.Error("ParsePublicKey accepted 3 characters")
	}
}

type mapState map[string]string

func (s mapState) Setting(k string) (string, bool, error) { v, ok := s[k]; return v, ok, nil }
func (s mapState) SetSetting(k, v string) error           { s[k] = v; return nil }

func TestDue(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	st := mapState{}
	c := &Checker{State: st, Now: func() time.Time { return now }}
	if !c.Due() {
		t.Fatal("never checked: not due")
	}
	c.MarkChecked()
	if c.Due() {
		t.Fatal("due right after a check")
	}
	now = now.Add(23 * time.Hour)
	if c.Due() {
		t.Fatal("due after 23 h")
	}
	now = now.Add(time.Hour)
	if !c.Due() {
		t.Fatal("not due after 24 h")
	}
	st[KeyLastCheck] = now.Add(48 * time.Hour).Format(time.RFC3339) // clock set back
	if !c.Due() {
		t.Fatal("a check in the future blocks checks")
	}
}

func TestCheckWithoutKeyOrServer(t *testing.T) {
	var ue *Error
	if _, err := (&Checker{}).Check(t.Context()); !errors.As(err, &ue) || ue.Reason != ReasonNoKey {
		t.Errorf("no key: %v", err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := (&Checker{Key: pub}).Check(t.Context()); !errors.As(err, &ue) || ue.Reason != ReasonNoServer {
		t.Errorf("no server: %v", err)
	}
}

func TestInstaller(t *testing.T) {
	var ran string
	start := func(name string, args ...string) error { ran = name + " " + strings.Join(args, " "); return nil }
	for _, c := range []struct {
		goos, file, ran string
		quit            bool
	}{
		{"windows", `C:\u\SealDesk-0.2.0-x64.msi`, `msiexec /i C:\u\SealDesk-0.2.0-x64.msi`, true},
		{"windows", `C:\u\x.exe`, "", false},
		{"darwin", "/u/SealDesk-0.2.0.dmg", "open /u/SealDesk-0.2.0.dmg", true},
		{"linux", "/u/sealdesk.tar.gz", "", false},
	} {
		ran = ""
		quit, err := Installer{GOOS: c.goos, Start: start}.Install(c.file)
		if quit != c.quit || ran != c.ran || (!c.quit && !errors.Is(err, ErrManualInstall)) {
			t.Errorf("%s %s: ran %q quit %v err %v", c.goos, c.file, ran, quit, err)
		}
	}
}
