package main

import (
	"archive/zip"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/diag"
	"sealdesk/core/update"
)

// TestUpdaterWiring: without a compiled-in release key 检查更新 says the build cannot update; with
// one (injected here as -ldflags would), 本机 mode has no update server; the log records both.
func TestUpdaterWiring(t *testing.T) {
	old := releaseKey
	t.Cleanup(func() { releaseKey = old })
	dir := t.TempDir()
	l, err := diag.OpenLog(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reason := func(err error) update.Reason {
		var ue *update.Error
		if errors.As(err, &ue) {
			return ue.Reason
		}
		return ""
	}
	releaseKey = ""
	if _, err := newUpdater(dir, nil, l).Check(t.Context()); reason(err) != update.ReasonNoKey {
		t.Fatalf("no key: %v", err)
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	releaseKey = base64.StdEncoding.EncodeToString(pub)
	u := newUpdater(dir, nil, l)
	if _, err := u.Check(t.Context()); reason(err) != update.ReasonNoServer {
		t.Fatalf("本机: %v", err)
	}
	if u.Checker.Dir != filepath.Join(dir, "updates") || !strings.Contains(u.Checker.Platform, "-") || u.Checker.Current != version {
		t.Errorf("checker %+v", u.Checker)
	}
	if !u.AutoCheck() {
		t.Error("auto check off by default")
	}

	// 导出诊断信息 through main's service
	dst := filepath.Join(t.TempDir(), "d.zip")
	if err := (diagnostics{dataDir: dir, settings: &fixedSettings{}}).Export(dst); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) < 2 || zr.File[0].Name != "versions.txt" || zr.File[1].Name != "logs/sealdesk.log" {
		t.Errorf("zip entries %v", zr.File)
	}
}

type fixedSettings struct{}

func (fixedSettings) Language() string            { return "zh" }
func (fixedSettings) SetLanguage(string)          {}
func (fixedSettings) DataDir() string             { return "" }
func (fixedSettings) SetDataDir(dir string) error { return nil }
