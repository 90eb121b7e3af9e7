package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/ui"
)

// remoteServer is a real SealDesk server on loopback (--dev: codes in its dev outbox) over a
// bbolt file in the test's folder; Stop and Start keep its address and data (the network is
// lost and comes back).
type remoteServer struct {
	run   *server.Running
	store *bolt.Store
	key   []byte
	addr  string
}

func startRemote(t *testing.T) *remoteServer {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	s := &remoteServer{store: st, key: key}
	s.Start(t)
	return s
}

func (s *remoteServer) Start(t *testing.T) {
	t.Helper()
	run, err := server.Start(context.Background(), server.Options{Store: s.store, MasterKey: s.key, Dev: true,
		PollInterval: 50 * time.Millisecond}, server.ListenOptions{TLS: true, Addr: s.addr})
	if err != nil {
		t.Fatal(err)
	}
	s.run = run
	u, _ := url.Parse(run.URL)
	s.addr = u.Host
	t.Cleanup(func() { run.Shutdown(context.Background()) })
}

func (s *remoteServer) Stop() { s.run.Shutdown(context.Background()) }

var codeInBody = regexp.MustCompile(`验证码是 ([0-9]{6})`)

func (s *remoteServer) code(t *testing.T, login string) string {
	t.Helper()
	msgs := s.run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := codeInBody.FindStringSubmatch(msgs[i].Body); m != nil && msgs[i].To == login {
			return m[1]
		}
	}
	t.Fatalf("no code for %s", login)
	return ""
}

// register signs a new account in through the desk's session, as 注册 does.
func register(t *testing.T, srv *remoteServer, s *session.Manager, login, name string) org.Account {
	t.Helper()
	ctx := context.Background()
	if err := s.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	a, err := s.Register(ctx, org.RegisterRequest{Login: login, Code: srv.code(t, login), Name: name, Password: "Passw0rdX",
		TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for t0 := time.Now(); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Since(t0) > 30*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// localView is what the screens would show of the active profile's local data.
type localView struct {
	Seals, Keys, Recent, Drafts []string
	Pending                     int
}

func viewOf(t *testing.T, d *desk) localView {
	t.Helper()
	svc := d.Services()
	var v localView
	items, err := svc.Library.Items()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		v.Seals = append(v.Seals, it.Name)
	}
	keys, err := svc.Keys.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		v.Keys = append(v.Keys, k.ID)
	}
	docs, err := svc.Recent.(ui.RecentBrowser).RecentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range docs {
		v.Recent = append(v.Recent, r.Path)
	}
	entries, _ := os.ReadDir(filepath.Join(svc.Profile.Dir(), "drafts"))
	for _, e := range entries {
		v.Drafts = append(v.Drafts, e.Name())
	}
	v.Pending = d.Session().Status().Pending
	return v
}

// TestDeskKeepsAccountsApart is the journey of 退出登录 and 切换账号 on one machine, with the
// real local stores and a real server on loopback: A signs in, makes a seal, a personal key, a
// recent document and a draft, and — offline — a change that waits in the outbox; A signs out;
// B registers and sees none of it, and A's queued change is not sent as B; A signs in again
// and finds everything untouched, and the queued change is applied on the server as A's.
func TestDeskKeepsAccountsApart(t *testing.T) {
	srv := startRemote(t)
	dir := filepath.Join(t.TempDir(), "SealDesk")
	d, err := openDesk(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, svc := d.Session(), d.Services()
	ctx := context.Background()
	// the person used 本机 first: a signature of their own in the local profile
	if _, err := svc.Library.Save(ui.LibraryItem{Kind: ui.ItemSignatureDraw, Name: "本机签名", PNG: []byte("png-local")}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Pin(p); err != nil {
		t.Fatal(err)
	}

	// A signs in: the data from before profiles (the local signature) is adopted by A
	loginA := fmt.Sprintf("a%d@example.com", time.Now().UnixNano())
	a := register(t, srv, s, loginA, "甲用户")
	waitFor(t, "A online", func() bool { return s.Status().Online })
	if svc.Profile.ID() == "" || svc.Profile.Dir() == dir {
		t.Fatalf("A works in the local profile: %q %q", svc.Profile.ID(), svc.Profile.Dir())
	}
	if _, err := svc.Library.Save(ui.LibraryItem{Kind: ui.ItemDesignedSeal, Name: "甲公司合同专用章", PNG: []byte("png-a")}); err != nil {
		t.Fatal(err)
	}
	key, err := svc.Keys.Generate("246813")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Recent.AddRecent("/docs/甲合同.pdf", ui.RecentSigned); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(svc.Profile.Dir(), "drafts", "draft-a"), 0o700); err != nil {
		t.Fatal(err)
	}
	aDir := svc.Profile.Dir()
	// offline: a change waits in A's outbox
	srv.Stop()
	if _, err := s.Submit(ctx, sync.Command{Type: "profile.rename", Scope: org.Scope(a.ID), Payload: json.RawMessage(`{"name":"甲用户改名"}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's change waiting", func() bool { return s.Status().Pending == 1 })
	wantA := viewOf(t, d)
	if len(wantA.Seals) != 2 || len(wantA.Keys) != 1 || wantA.Keys[0] != key.ID || len(wantA.Recent) != 1 || len(wantA.Drafts) != 1 || wantA.Pending != 1 {
		t.Fatalf("A's data: %+v", wantA)
	}

	// 退出登录 (offline): back to the local profile, which kept its own signature only
	if err := s.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if svc.Profile.ID() != "" {
		t.Fatalf("signed out, profile %q", svc.Profile.ID())
	}
	if v := viewOf(t, d); len(v.Seals) != 1 || v.Seals[0] != "本机签名" || len(v.Keys) != 0 || v.Pending != 0 {
		t.Fatalf("local profile after A signed out: %+v", v)
	}

	// B registers on the same machine: nothing of A's
	srv.Start(t)
	loginB := fmt.Sprintf("b%d@example.com", time.Now().UnixNano())
	b := register(t, srv, s, loginB, "乙用户")
	waitFor(t, "B online", func() bool { return s.Status().Online })
	if svc.Profile.Dir() == aDir || svc.Profile.ID() == "" {
		t.Fatalf("B shares a profile folder: %q", svc.Profile.Dir())
	}
	if v := viewOf(t, d); len(v.Seals)+len(v.Keys)+len(v.Recent)+len(v.Drafts)+v.Pending != 0 {
		t.Fatalf("B sees another's data: %+v", v)
	}
	entries, err := s.Outbox().Entries(ctx, "")
	if err != nil || len(entries) != 0 {
		t.Fatalf("B's outbox: %+v %v", entries, err)
	}
	// B's own seal stays B's
	if _, err := svc.Library.Save(ui.LibraryItem{Kind: ui.ItemDesignedSeal, Name: "乙公司公章", PNG: []byte("png-b")}); err != nil {
		t.Fatal(err)
	}
	// A's change was not sent as B (nor at all): A's name on the server is unchanged
	me, err := srv.run.Server.Org().Account(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if me.Name != "甲用户" {
		t.Fatalf("A's queued change was applied while B was signed in: name %q", me.Name)
	}
	if err := s.SignOut(ctx); err != nil {
		t.Fatal(err)
	}

	// A signs in again: A's data as it was, and the queued change goes out as A
	if _, err := s.Login(ctx, org.LoginRequest{Login: loginA, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	if svc.Profile.Dir() != aDir {
		t.Fatalf("A's profile folder now %q, was %q", svc.Profile.Dir(), aDir)
	}
	waitFor(t, "A's queued change sent", func() bool { return s.Status().Pending == 0 })
	got := viewOf(t, d)
	wantA.Pending = 0
	if fmt.Sprint(got) != fmt.Sprint(wantA) {
		t.Fatalf("A's data after B: %+v, want %+v", got, wantA)
	}
	if refused := s.Status().Refused; len(refused) != 0 {
		t.Fatalf("A's change refused: %+v", refused)
	}
	waitFor(t, "A renamed on the server", func() bool {
		me, err := srv.run.Server.Org().Account(ctx, a.ID)
		return err == nil && me.Name == "甲用户改名"
	})
	if other, err := srv.run.Server.Org().Account(ctx, b.ID); err != nil || other.Name != "乙用户" {
		t.Fatalf("B's account touched: %+v %v", other, err)
	}

	// after a restart of the program A is still A, with the same data
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d2, err := openDesk(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	if got := d2.Services().Profile.Dir(); got != aDir {
		t.Fatalf("the first frame after a restart shows profile %q, A's is %q", got, aDir)
	}
	waitFor(t, "A restored", func() bool { return d2.Session().Client() != nil })
	if d2.Services().Profile.Dir() != aDir {
		t.Fatalf("after restart profile %q", d2.Services().Profile.Dir())
	}
	if v := viewOf(t, d2); fmt.Sprint(v) != fmt.Sprint(wantA) {
		t.Fatalf("after restart: %+v, want %+v", v, wantA)
	}
}
