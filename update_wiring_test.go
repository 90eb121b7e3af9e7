package main

import (
	"archive/zip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/diag"
	"sealdesk/core/update"
	"sealdesk/store/desktop"
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

// staticSource serves one signed manifest (and no files).
type staticSource struct{ manifest []byte }

func (s staticSource) Manifest(context.Context, string) ([]byte, error) { return s.manifest, nil }
func (s staticSource) Download(context.Context, string) (io.ReadCloser, error) {
	return nil, errors.New("no files")
}

// TestUpdateSequenceSurvivesRestart: the highest manifest sequence accepted is kept in the
// desktop's local store, so after a restart a replayed older manifest is still refused.
func TestUpdateSequenceSurvivesRestart(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	sign := func(seq uint64) []byte {
		b, err := update.Sign(update.Manifest{Product: update.Product, Version: "9.0.0", Platform: "linux-amd64", Sequence: seq,
			File: "sealdesk.tar.gz", Size: 1, SHA256: strings.Repeat("0", 64)}, priv)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	file := filepath.Join(t.TempDir(), "desktop.db")
	check := func(seq uint64) error {
		st, err := desktop.Open(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		c := &update.Checker{Source: staticSource{sign(seq)}, Key: pub, Current: "0.1.0", Platform: "linux-amd64", State: st}
		_, err = c.Check(t.Context())
		return err
	}
	if err := check(50); err != nil {
		t.Fatal(err)
	}
	var ue *update.Error
	if err := check(40); !errors.As(err, &ue) || ue.Reason != update.ReasonReplay || ue.Want != "50" {
		t.Fatalf("older manifest after a restart: %v", err)
	}
	if err := check(50); err != nil {
		t.Fatalf("the same manifest again: %v", err)
	}
}
