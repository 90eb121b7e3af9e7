package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/update"
)

// memState is the desktop's local settings for the checker.
type memState struct {
	mu stdsync.Mutex
	m  map[string]string
}

func (s *memState) Setting(k string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok, nil
}

func (s *memState) SetSetting(k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[k] = v
	return nil
}

// TestUpdateEndToEnd runs the desktop's update client core (core/update over core/client)
// against the real sealdesk-server binary serving --updates DIR over HTTPS on 127.0.0.1, with a
// release key pair made here: a good update is downloaded, checked and handed to msiexec; a
// manifest signed by another key, a tampered manifest, a tampered file, a downgrade, the same
// version, another platform, an oversized file (declared or sent), a short file, a replayed
// older manifest and a missing manifest are each refused with their reason, and a refused
// download leaves nothing in the download folder.
func TestUpdateEndToEnd(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	srv := startChild(t, "bolt:"+filepath.Join(t.TempDir(), "s.db"), "--tls", "on", "--updates", dir)
	insecure := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // only to fetch the CA to pin
	resp, err := insecure.Get(srv.url + "/ca/root.pem")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c, err := client.New(srv.url, root)
	if err != nil {
		t.Fatal(err)
	}
	src := client.Updates{C: c}

	payload := make([]byte, 300<<10)
	rand.Read(payload)
	sum := sha256.Sum256(payload)
	const platform = "windows-amd64"
	const file = "SealDesk-0.2.0-x64.msi"
	seq := uint64(100)
	good := func() update.Manifest {
		seq++
		return update.Manifest{Product: update.Product, Version: "0.2.0", Platform: platform, Sequence: seq,
			IssuedAt: time.Now().UTC().Truncate(time.Second), File: file, Size: int64(len(payload)),
			SHA256: hex.EncodeToString(sum[:]), Notes: map[string]string{"zh": "修复了验签卡片", "en": "Fixes the verification card"}}
	}
	publish := func(m update.Manifest, key ed25519.PrivateKey, content []byte) {
		t.Helper()
		b, err := update.Sign(m, key)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, platform+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, m.File), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	state := &memState{}
	newChecker := func() (*update.Checker, string) {
		dl := filepath.Join(t.TempDir(), "updates")
		return &update.Checker{Source: src, Key: pub, Current: "0.1.0", Platform: platform, State: state, Dir: dl, MaxSize: 1 << 20}, dl
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	reason := func(err error) update.Reason {
		var ue *update.Error
		if errors.As(err, &ue) {
			return ue.Reason
		}
		return "<" + update.Reason(errString(err)) + ">"
	}
	empty := func(t *testing.T, dl string) {
		t.Helper()
		names, _ := filepath.Glob(filepath.Join(dl, "*"))
		hidden, _ := filepath.Glob(filepath.Join(dl, ".*"))
		if len(names)+len(hidden) > 0 {
			t.Errorf("a refused download left %v %v", names, hidden)
		}
	}

	t.Run("not published", func(t *testing.T) {
		ch, _ := newChecker()
		if _, err := ch.Check(ctx); reason(err) != update.ReasonNotPublished {
			t.Fatalf("no manifest: %v", err)
		}
	})

	t.Run("good", func(t *testing.T) {
		publish(good(), priv, payload)
		ch, dl := newChecker()
		rel, err := ch.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rel.Version != "0.2.0" || rel.Notes["zh"] != "修复了验签卡片" || rel.Size != int64(len(payload)) {
			t.Fatalf("release %+v", rel.Manifest)
		}
		var calls int
		var last int64
		path, err := ch.Download(ctx, rel, func(done, total int64) { calls++; last = done })
		if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if !bytes.Equal(got, payload) || filepath.Base(path) != file || filepath.Dir(path) != dl {
			t.Fatalf("downloaded %s (%d bytes)", path, len(got))
		}
		if calls == 0 || last != int64(len(payload)) {
			t.Errorf("progress called %d times, last %d", calls, last)
		}
		var ran []string
		quit, err := update.Installer{GOOS: "windows", Start: func(name string, args ...string) error {
			ran = append([]string{name}, args...)
			return nil
		}}.Install(path)
		if err != nil || !quit || strings.Join(ran, " ") != "msiexec /i "+path {
			t.Fatalf("install ran %q quit=%v err=%v", ran, quit, err)
		}
		if _, err := (update.Installer{GOOS: "linux"}).Install(path); !errors.Is(err, update.ErrManualInstall) {
			t.Fatalf("linux install: %v", err)
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		publish(good(), otherPriv, payload)
		ch, _ := newChecker()
		if _, err := ch.Check(ctx); reason(err) != update.ReasonWrongKey {
			t.Fatalf("manifest signed by another key: %v", err)
		}
	})

	t.Run("tampered manifest", func(t *testing.T) {
		publish(good(), priv, payload)
		p := filepath.Join(dir, platform+".json")
		b, _ := os.ReadFile(p)
		b = bytes.Replace(b, []byte(`"0.2.0"`), []byte(`"0.3.0"`), 1)
		os.WriteFile(p, b, 0o644)
		ch, _ := newChecker()
		if _, err := ch.Check(ctx); reason(err) != update.ReasonBadSignature {
			t.Fatalf("edited manifest: %v", err)
		}
	})

	t.Run("reindented manifest still verifies", func(t *testing.T) {
		publish(good(), priv, payload)
		p := filepath.Join(dir, platform+".json")
		b, _ := os.ReadFile(p)
		var s update.Signed
		json.Unmarshal(b, &s)
		var pretty bytes.Buffer
		json.Indent(&pretty, s.Manifest, "", "\t")
		s.Manifest = pretty.Bytes()
		out, _ := json.MarshalIndent(s, "", "    ")
		os.WriteFile(p, out, 0o644)
		ch, _ := newChecker()
		if _, err := ch.Check(ctx); err != nil {
			t.Fatalf("re-indented manifest: %v", err)
		}
	})

	t.Run("tampered file", func(t *testing.T) {
		bad := bytes.Clone(payload)
		bad[1000] ^= 1
		publish(good(), priv, bad)
		ch, dl := newChecker()
		rel, err := ch.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ch.Download(ctx, rel, nil); reason(err) != update.ReasonHashMismatch {
			t.Fatalf("tampered file: %v", err)
		}
		empty(t, dl)
	})

	t.Run("downgrade and same version", func(t *testing.T) {
		for v, want := range map[string]update.Reason{"0.0.9": update.ReasonDowngrade, "0.1.0": update.ReasonUpToDate, "0.1.0-rc1": update.ReasonDowngrade} {
			m := good()
			m.Version = v
			publish(m, priv, payload)
			ch, _ := newChecker()
			if _, err := ch.Check(ctx); reason(err) != want {
				t.Errorf("version %s: %v, want %s", v, err, want)
			}
		}
	})

	t.Run("too old for min version", func(t *testing.T) {
		m := good()
		m.MinVersion = "0.1.5"
		publish(m, priv, payload)
		ch, _ := newChecker()
		if _, err := ch.Check(ctx); reason(err) != update.ReasonTooOld {
			t.Fatalf("min_version above current: %v", err)
		}
	})

	t.Run("wrong platform", func(t *testing.T) {
		m := good()
		m.Platform = "darwin-arm64"
		publish(m, priv, payload) // IT copied the mac manifest under windows-amd64.json
		ch, _ := newChecker()
		_, err := ch.Check(ctx)
		var ue *update.Error
		if !errors.As(err, &ue) || ue.Reason != update.ReasonWrongPlatform || ue.Have != "darwin-arm64" || ue.Want != platform {
			t.Fatalf("other platform: %v", err)
		}
	})

	t.Run("oversize declared", func(t *testing.T) {
		big := make([]byte, 2<<20) // the checker's MaxSize is 1 MiB
		s := sha256.Sum256(big)
		m := good()
		m.Size, m.SHA256 = int64(len(big)), hex.EncodeToString(s[:])
		publish(m, priv, big)
		ch, _ := newChecker()
		if _, err := ch.Check(ctx); reason(err) != update.ReasonTooLarge {
			t.Fatalf("2 MiB over a 1 MiB limit: %v", err)
		}
	})

	t.Run("server sends more than declared", func(t *testing.T) {
		publish(good(), priv, append(bytes.Clone(payload), make([]byte, 900<<10)...))
		ch, dl := newChecker()
		rel, err := ch.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ch.Download(ctx, rel, nil); reason(err) != update.ReasonSizeMismatch {
			t.Fatalf("longer file: %v", err)
		}
		empty(t, dl)
	})

	t.Run("short file", func(t *testing.T) {
		publish(good(), priv, payload[:len(payload)-1])
		ch, dl := newChecker()
		rel, err := ch.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ch.Download(ctx, rel, nil); reason(err) != update.ReasonSizeMismatch {
			t.Fatalf("short file: %v", err)
		}
		empty(t, dl)
	})

	t.Run("replay of an older manifest", func(t *testing.T) {
		old := good() // a validly signed manifest from earlier…
		publish(good(), priv, payload)
		ch, _ := newChecker()
		if _, err := ch.Check(ctx); err != nil { // …the client has accepted a newer one since
			t.Fatal(err)
		}
		publish(old, priv, payload)
		_, err := ch.Check(ctx)
		if reason(err) != update.ReasonReplay {
			t.Fatalf("replayed sequence %d: %v", old.Sequence, err)
		}
	})

	t.Run("only published files", func(t *testing.T) {
		// a file no manifest names, and a link out of the folder: both 404 (platform red team F2)
		if err := os.WriteFile(filepath.Join(dir, "draft-0.9.9.msi"), []byte("draft build"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd.msi")); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"draft-0.9.9.msi", "passwd.msi"} {
			resp, err := c.HTTP.Get(srv.url + "/api/v1/updates/files/" + name)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 {
				t.Errorf("GET %s: %d", name, resp.StatusCode)
			}
		}
	})

	t.Run("file name escapes", func(t *testing.T) {
		for _, p := range []string{"/api/v1/updates/files/..%2fs.db", "/api/v1/updates/files/windows-amd64.json", "/api/v1/updates/manifest/..%2f..%2fetc"} {
			resp, err := c.HTTP.Get(srv.url + p)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 404 && resp.StatusCode != 400 {
				t.Errorf("GET %s: %d", p, resp.StatusCode)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}
