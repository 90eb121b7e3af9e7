package session_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/desktop"
)

var ctx = context.Background()

// devServer is a --dev server over a bbolt file on a free loopback port, with HTTPS from its
// own CA.
type devServer struct {
	run   *server.Running
	store *bolt.Store
	key   []byte
	addr  string
}

func startServer(t *testing.T) *devServer {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	d := &devServer{store: st, key: key}
	d.start(t, "")
	return d
}

func (d *devServer) start(t *testing.T, addr string) {
	t.Helper()
	run, err := server.Start(ctx, server.Options{Store: d.store, MasterKey: d.key, Dev: true, PollInterval: 50 * time.Millisecond,
		Hashes: gate.New(&gate.Options{Slots: 2, Queue: 64, Wait: time.Minute})}, server.ListenOptions{TLS: true, Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	d.run = run
	u, _ := url.Parse(run.URL)
	d.addr = u.Host
	t.Cleanup(func() { run.Shutdown(ctx) })
}

func (d *devServer) stop() { d.run.Shutdown(ctx) }

var codeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

func (d *devServer) code(t *testing.T, login string) string {
	t.Helper()
	msgs := d.run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == login {
			if m := codeRE.FindStringSubmatch(msgs[i].Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no code for %s", login)
	return ""
}

func openLocal(t *testing.T) (*desktop.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "desktop.db")
	st, err := desktop.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st, path
}

func newManager(t *testing.T, st *desktop.Store) *session.Manager {
	t.Helper()
	m, err := session.New(session.Options{Store: st.Sync(), PollWait: 2 * time.Second, Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for t0 := time.Now(); time.Since(t0) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"sealdesk.example.com":        "https://sealdesk.example.com",
		"https://Example.COM:8443/":   "https://example.com:8443",
		" https://10.0.0.5:9443 ":     "https://10.0.0.5:9443",
		"http://sealdesk.example.com": "err:" + session.ErrNotHTTPS.Error(),
		"ftp://x":                     "err:" + session.ErrNotHTTPS.Error(),
		"https://":                    "err:" + session.ErrBadAddress.Error(),
		"https://x/api":               "err:" + session.ErrBadAddress.Error(),
		"https://u:p@x":               "err:" + session.ErrBadAddress.Error(),
		"":                            "err:" + session.ErrBadAddress.Error(),
	} {
		got, err := session.NormalizeURL(in)
		if err != nil {
			got = "err:" + err.Error()
		}
		if got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPinSignInSyncOffline walks the desktop's session with a remote server: probe and pin the
// CA, register with a one-time code, keep the session across a restart of the desktop, send
// commands through the outbox (one applied, one refused and kept), lose the server, queue work
// offline, and catch up when it is back.
func TestPinSignInSyncOffline(t *testing.T) {
	srv := startServer(t)
	st, path := openLocal(t)
	m := newManager(t, st)
	m.Start()
	if s := m.Status(); s.Mode != session.ModeLocal || s.SignedIn {
		t.Fatalf("a new desktop: %+v, want 本机 and nobody signed in (no embedded backend in this test)", s)
	}

	// http:// is refused before any network
	if _, err := m.Probe(ctx, strings.Replace(srv.run.URL, "https", "http", 1)); !errors.Is(err, session.ErrNotHTTPS) {
		t.Fatalf("probe over http: %v", err)
	}
	p, err := m.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if want := session.Fingerprint(srv.run.Server.Root()); p.Fingerprint != want || p.Changed || p.Pinned != "" {
		t.Fatalf("probe: %+v, want fingerprint %s, nothing pinned", p, want)
	}
	if m.Server().Mode != session.ModeLocal {
		t.Fatal("probing changed the server before the user confirmed")
	}
	if err := m.Pin(p); err != nil {
		t.Fatal(err)
	}
	if s := m.Server(); s.Mode != session.ModeRemote || s.Fingerprint != p.Fingerprint {
		t.Fatalf("after pin: %+v", s)
	}

	// register with a one-time code
	login := fmt.Sprintf("desk%d@example.com", time.Now().UnixNano())
	if err := m.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: srv.code(t, login), Name: "王小明", Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	acct, ok := m.Account()
	if !ok || acct.Name != "王小明" || m.Client() == nil {
		t.Fatalf("after register: %+v %v", acct, ok)
	}
	waitFor(t, "first sync", func() bool { s := m.Status(); return s.Online && !s.LastSync.IsZero() })

	// an applied command comes back as an event in the projection; a refused one is kept
	changed := make(chan struct{}, 100)
	cancel := m.Subscribe(func() { changed <- struct{}{} })
	defer cancel()
	scope := org.Scope(acct.ID)
	if _, err := m.Submit(ctx, sync.Command{Type: "profile.rename", Scope: scope, Payload: json.RawMessage(`{"name":"王大明"}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Submit(ctx, sync.Command{Type: "profile.rename", Scope: scope, Payload: json.RawMessage(`{"name":""}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rename in the projection", func() bool {
		objs, err := m.Projected(ctx, scope, "account")
		if err != nil {
			t.Fatal(err)
		}
		var a org.Account
		json.Unmarshal(objs[acct.ID], &a)
		return a.Name == "王大明"
	})
	waitFor(t, "the refusal", func() bool { s := m.Status(); return s.Pending == 0 && len(s.Refused) == 1 })
	ref := m.Status().Refused[0]
	if ref.Message == "" || !containsHan(ref.Message) {
		t.Errorf("refusal message %q: want the server's Chinese sentence", ref.Message)
	}

	// the desktop restarts: the session comes back from the local store, the refusal too
	m.Close()
	st.Close()
	st2, err := desktop.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	m2 := newManager(t, st2)
	m2.Start()
	waitFor(t, "the kept session", func() bool { return m2.Client() != nil })
	if a, _ := m2.Account(); a.ID != acct.ID {
		t.Fatalf("restored account %+v", a)
	}
	if s := m2.Status(); len(s.Refused) != 1 || s.Refused[0].ID != ref.ID {
		t.Fatalf("the refusal did not survive a restart: %+v", s.Refused)
	}
	if err := m2.Dismiss(ref.ID); err != nil {
		t.Fatal(err)
	}
	if s := m2.Status(); len(s.Refused) != 0 {
		t.Fatal("dismissed refusal still shown")
	}
	waitFor(t, "online after restart", func() bool { return m2.Status().Online })

	// the network goes: work waits in the outbox, the status says offline
	srv.stop()
	if _, err := m2.Submit(ctx, sync.Command{Type: "profile.rename", Scope: scope, Payload: json.RawMessage(`{"name":"离线改名"}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "offline", func() bool { s := m2.Status(); return !s.Online && s.Problem != nil })
	if s := m2.Status(); s.Pending != 1 || !s.SignedIn {
		t.Fatalf("offline: %+v, want 1 pending and still signed in", s)
	}

	// it comes back on the same address: the outbox is sent, the projection catches up
	srv.start(t, srv.addr)
	waitFor(t, "catching up", func() bool {
		s := m2.Status()
		if !s.Online || s.Pending != 0 {
			return false
		}
		objs, _ := m2.Projected(ctx, scope, "account")
		var a org.Account
		json.Unmarshal(objs[acct.ID], &a)
		return a.Name == "离线改名"
	})

	// sign out: the token is forgotten
	if err := m2.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if m2.Client() != nil {
		t.Fatal("still a client after sign-out")
	}
	m3 := newManager(t, st2)
	m3.Start()
	time.Sleep(200 * time.Millisecond)
	if m3.Client() != nil {
		t.Fatal("the session came back after sign-out")
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// TestFingerprintChange: a server that comes back with another CA on the pinned address is not
// talked to; probing it reports the change against the pinned fingerprint.
func TestFingerprintChange(t *testing.T) {
	srv := startServer(t)
	st, _ := openLocal(t)
	defer st.Close()
	m := newManager(t, st)
	p, err := m.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pin(p); err != nil {
		t.Fatal(err)
	}
	login := fmt.Sprintf("fp%d@example.com", time.Now().UnixNano())
	if err := m.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: srv.code(t, login), Name: "李四", Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "online", func() bool { return m.Status().Online })

	// another server (another CA) takes the address
	srv.stop()
	other := startServerAt(t, srv.addr)
	waitFor(t, "the changed CA noticed", func() bool {
		var fc *session.FingerprintChangedError
		return errors.As(m.Status().Problem, &fc) && fc.Probe.Fingerprint == session.Fingerprint(other.run.Server.Root())
	})
	if m.Status().Online {
		t.Error("online with a server whose CA changed")
	}
	p2, err := m.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !p2.Changed || p2.Pinned != p.Fingerprint {
		t.Fatalf("probe after the change: %+v", p2)
	}
	// the user accepts the new CA: the old session (another server's) is gone
	if err := m.Pin(p2); err != nil {
		t.Fatal(err)
	}
	if m.Client() != nil || m.Status().Problem != nil {
		t.Fatalf("after pinning the new CA: client %v, problem %v", m.Client(), m.Status().Problem)
	}
}

func startServerAt(t *testing.T, addr string) *devServer {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "other.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	d := &devServer{store: st, key: key}
	d.start(t, addr)
	return d
}

// BenchmarkApply10000 applies 10,000 enterprise events (pages of 1,000, as pulled) to the
// projection in the desktop's bbolt file. Target: ≤ 1 s per 10,000.
func BenchmarkApply10000(b *testing.B) {
	evs := make([]sync.Event, 10000)
	for i := range evs {
		evs[i] = sync.Event{Scope: "ent:e1", Seq: uint64(i + 1), Type: "member.updated", Time: time.Now(),
			Payload: json.RawMessage(fmt.Sprintf(`{"id":"m%05d","name":"成员%d","phone":"1380000%04d","role":"member","department":"d1"}`, i%2000, i, i%10000))}
	}
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st, err := desktop.Open(filepath.Join(dir, "d.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		m, err := session.New(session.Options{Store: st.Sync()})
		if err != nil {
			b.Fatal(err)
		}
		p := m.Puller(func(_ context.Context, _ string, since uint64) ([]sync.Event, uint64, bool, error) {
			end := min(int(since)+1000, len(evs))
			page := evs[since:end]
			return page, uint64(end), end < len(evs), nil
		})
		b.StartTimer()
		n, err := p.Sync(ctx, "ent:e1")
		b.StopTimer()
		if err != nil || n != len(evs) {
			b.Fatal(n, err)
		}
		objs, _ := m.Projected(ctx, "ent:e1", "member")
		if len(objs) != 2000 {
			b.Fatalf("%d members projected, want 2000", len(objs))
		}
		st.Close()
		b.StartTimer()
	}
}

var _ = client.New

// TestCertifyRemote: a certificate from a remote server needs the account's approved real-name
// verification (same name and ID number); only the CSR leaves the desktop.
func TestCertifyRemote(t *testing.T) {
	srv := startServer(t)
	st, _ := openLocal(t)
	defer st.Close()
	m := newManager(t, st)
	p, err := m.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pin(p); err != nil {
		t.Fatal(err)
	}
	login := fmt.Sprintf("cert%d@example.com", time.Now().UnixNano())
	if err := m.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: srv.code(t, login), Name: "赵敏", Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "赵敏"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	const id = "11010519491231002X"
	if _, err := m.Certify(ctx, csr, "赵敏", id); !errors.Is(err, session.ErrRealNameRequired) {
		t.Fatalf("certify before real-name: %v", err)
	}
	if _, err := m.Client().SubmitRealName(ctx, "赵敏", id, "dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Certify(ctx, csr, "赵敏", "110105194912310021"); !errors.Is(err, session.ErrRealNameRequired) {
		t.Fatalf("certify with another ID number: %v", err)
	}
	chain, err := m.Certify(ctx, csr, "赵敏", id)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) < 2 || chain[0].Subject.CommonName != "赵敏" || !chain[len(chain)-1].Equal(m.Roots()[0]) {
		t.Fatalf("chain of %d, leaf %v", len(chain), chain[0].Subject)
	}
	if !chain[0].PublicKey.(*ecdsa.PublicKey).Equal(&key.PublicKey) {
		t.Fatal("the certificate is not for the desktop's key")
	}
}
