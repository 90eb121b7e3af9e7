package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/desktop"
)

// TestProfilesSeparateOutboxes: with Options.Profile each account's outbox, projection and kept
// copies live in its own store — a change A queued offline is neither seen nor sent while B is
// signed in, and is sent as A when A signs in again; a failing profile refuses the sign-in and
// forgets the token.
func TestProfilesSeparateOutboxes(t *testing.T) {
	srv := startServer(t)
	dir := t.TempDir()
	root, err := desktop.Open(filepath.Join(dir, "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ps := desktop.NewProfiles(dir, root, nil)
	defer ps.Close()
	var mu stdsync.Mutex
	var fail error
	used := map[string]int{}
	profile := func(cfg session.ServerConfig, a *org.Account) (sync.Store, error) {
		mu.Lock()
		defer mu.Unlock()
		if a == nil {
			used["local"]++
			return root.Sync(), nil
		}
		if fail != nil {
			return nil, fail
		}
		used[a.ID]++
		st, err := ps.Open(desktop.ProfileKey(cfg.URL, a.ID), desktop.Adoption{Server: cfg.URL, AccountID: a.ID})
		if err != nil {
			return nil, err
		}
		return st.Sync(), nil
	}
	m, err := session.New(session.Options{Store: root.Sync(), PollWait: 2 * time.Second, Retry: 50 * time.Millisecond, Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ctx := context.Background()
	p, err := m.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pin(p); err != nil {
		t.Fatal(err)
	}
	register := func(name string) (org.Account, string) {
		t.Helper()
		login := fmt.Sprintf("p%d@example.com", time.Now().UnixNano())
		if err := m.SendCode(ctx, login, org.PurposeRegister); err != nil {
			t.Fatal(err)
		}
		a, err := m.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy,
			Login: login, Code: srv.code(t, login), Name: name, Password: "Passw0rdX"})
		if err != nil {
			t.Fatal(err)
		}
		return a, login
	}
	a, loginA := register("甲")
	waitFor(t, "A online", func() bool { return m.Status().Online })
	if err := m.Keep(ctx, "seen", "A's copy"); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	if _, err := m.Submit(ctx, sync.Command{Type: "profile.rename", Scope: org.Scope(a.ID), Payload: json.RawMessage(`{"name":"甲改名"}`)}); err != nil {
		t.Fatal(err)
	}
	if n := m.Status().Pending; n != 1 {
		t.Fatalf("A's pending %d", n)
	}
	if err := m.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if n := m.Status().Pending; n != 0 {
		t.Fatalf("signed out, %d pending shown", n)
	}
	srv.start(t, srv.addr)

	b, _ := register("乙")
	waitFor(t, "B online", func() bool { return m.Status().Online })
	if n := m.Status().Pending; n != 0 {
		t.Fatalf("B sees %d of A's pending changes", n)
	}
	var v string
	if when, err := m.Kept(ctx, "seen", &v); err != nil || !when.IsZero() {
		t.Fatalf("B reads A's kept copy %q %v", v, err)
	}
	if got, _ := srv.run.Server.Org().Account(ctx, a.ID); got.Name != "甲" {
		t.Fatalf("A's change applied while B was signed in: %q", got.Name)
	}
	if err := m.SignOut(ctx); err != nil {
		t.Fatal(err)
	}

	// a profile that cannot be opened refuses the sign-in
	mu.Lock()
	fail = errors.New("disk full")
	mu.Unlock()
	if _, err := m.Login(ctx, org.LoginRequest{Login: loginA, Password: "Passw0rdX"}); !errors.Is(err, session.ErrProfile) {
		t.Fatalf("sign-in without the profile: %v", err)
	}
	if m.Client() != nil {
		t.Fatal("signed in without the account's data")
	}
	if _, _, ok, _ := session.SavedAccount(ctx, root.Sync()); ok {
		t.Fatal("the token of the refused sign-in is kept")
	}
	mu.Lock()
	fail = nil
	mu.Unlock()

	if _, err := m.Login(ctx, org.LoginRequest{Login: loginA, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's change sent", func() bool { return m.Status().Pending == 0 })
	waitFor(t, "A renamed", func() bool {
		got, _ := srv.run.Server.Org().Account(ctx, a.ID)
		return got.Name == "甲改名"
	})
	if when, err := m.Kept(ctx, "seen", &v); err != nil || when.IsZero() || v != "A's copy" {
		t.Fatalf("A's kept copy: %q %v", v, err)
	}
	if got, _ := srv.run.Server.Org().Account(ctx, b.ID); got.Name != "乙" {
		t.Fatalf("B's account changed: %q", got.Name)
	}
	if srvURL, id, ok, err := session.SavedAccount(ctx, root.Sync()); err != nil || !ok || id != a.ID || srvURL != srv.run.URL {
		t.Fatalf("saved session %q %q %v %v", srvURL, id, ok, err)
	}
}
