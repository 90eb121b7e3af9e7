// Package servertest runs a real SealDesk server for the desktop's tests: server.Start on the
// store the test opens (a temporary bolt file: the UI's packages never import a store, so the
// test file does) with --dev providers on loopback (HTTPS from its own CA), and parties —
// accounts registered through the API with a verified real name and a device key in an in-memory
// keystore that the server certified — with a Connection each desktop can be given.
//
// It is imported by tests only (ui's screen tests, the real-window runs); nothing of the product
// links it.
package servertest

import (
	"context"
	"crypto/rand"
	"crypto/x509/pkix"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/keystore"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/server"
	sync2 "sealdesk/core/sync"
)

// PIN opens every party's device key.
const PIN = "135790"

// faceCheck verifies real names at once (as a face-scan provider would), so the server issues
// trusted person certificates.
type faceCheck struct{}

func (faceCheck) Name() string                           { return "facecheck" }
func (faceCheck) Start(org.Verification) (string, error) { return org.StatusApproved, nil }
func (faceCheck) Verifies() bool                         { return true }

// Server is a running test server.
type Server struct {
	Run *server.Running
}

// Start runs a --dev server over st until the test ends (then closes st).
func Start(t testing.TB, st sync2.Store) *Server { return start(t, st, false) }

// StartBilled is Start with contracts billed as a shared server bills them: a send reserves the
// sender's quota (Party.Fund buys some) and is refused with 余额不足 without it.
func StartBilled(t testing.TB, st sync2.Store) *Server { return start(t, st, true) }

func start(t testing.TB, st sync2.Store, billed bool) *Server {
	t.Helper()
	return &Server{Run: Run(t, st, server.Options{Dev: true,
		Providers: []org.Provider{faceCheck{}}, PollInterval: 50 * time.Millisecond,
		// Screens are tested here, not quota (core/server's contract tests bill).
		ContractsUnbilled: !billed,
		// nor the minute between two codes to one login (账户安全 asks codes right after registering)
		Limits: org.Limits{CodeInterval: time.Millisecond},
		Hashes: Hashes()})}
}

// Run starts a server with o over st (with a fresh master key), HTTPS on loopback, and shuts it
// down and closes st when the test ends. The real-window packages, which each need a server
// with options of their own, start it here.
func Run(t testing.TB, st sync2.Store, o server.Options) *server.Running {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	o.Store, o.MasterKey = st, key
	run, err := server.Start(context.Background(), o, server.ListenOptions{TLS: true})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		run.Shutdown(context.Background())
		st.Close()
	})
	return run
}

// Hashes is the hashing gate of test servers: two slots, and a queue that waits a minute on a
// loaded CI machine.
func Hashes() *gate.Gate { return gate.New(&gate.Options{Slots: 2, Queue: 64, Wait: time.Minute}) }

var seq struct {
	sync.Mutex
	n int
}

func next() int {
	seq.Lock()
	defer seq.Unlock()
	seq.n++
	return seq.n
}

// residentID makes a valid 18-digit resident ID (GB 11643 check character).
func residentID(n int) string {
	body := fmt.Sprintf("110105%04d%02d%02d%03d", 1960+n%40, 1+n%12, 1+n%28, (int(time.Now().UnixNano()/1000)+n*7)%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// Party is one person with an account: the logged-in client and the desktop's device key.
type Party struct {
	Name, Phone string
	Client      *client.Client
	Keys        *keystore.Keystore
	Conn        *Conn
}

// Party registers an account (code from the dev outbox), verifies its real name and certifies a
// new device key (PIN) for it.
func (s *Server) Party(t testing.TB, name string) *Party {
	t.Helper()
	ctx := context.Background()
	c, err := client.New(s.Run.URL, s.Run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	n := next()
	phone := fmt.Sprintf("1390%07d", (int(time.Now().UnixNano()/1000)%9000000+n*1000003)%10000000)
	if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	code := ""
	msgs := s.Run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0 && code == ""; i-- {
		if msgs[i].To == phone {
			if k := strings.Index(msgs[i].Body, "验证码是 "); k >= 0 {
				code = msgs[i].Body[k+len("验证码是 ") : k+len("验证码是 ")+6]
			}
		}
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: name, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SubmitRealName(ctx, name, residentID(n), "facecheck"); err != nil {
		t.Fatal(err)
	}
	c.DeviceName = "SealDesk 测试桌面（" + name + "）"
	ks := keystore.New(newMemKeys(), &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}})
	in, err := ks.Generate(PIN)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ks.CSR(in.ID, PIN, pkix.Name{CommonName: name})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.RequestCertificate(ctx, csr)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pki.ParseCertsPEM([]byte(resp.Certificate + "\n" + resp.Chain))
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.SetCertificate(in.ID, chain); err != nil {
		t.Fatal(err)
	}
	return &Party{Name: name, Phone: phone, Client: c, Keys: ks, Conn: &Conn{c: c}}
}

// Fund buys the personal package per-10 (10 documents) times times for the party through the
// --dev payment provider, which confirms at once, and waits until the balance shows them.
func (p *Party) Fund(t testing.TB, times int) {
	t.Helper()
	ctx := context.Background()
	me, err := p.Client.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owner := billing.Personal(me.ID)
	before, err := p.Client.Balance(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < times; i++ {
		if _, err := p.Client.Buy(ctx, client.NewIdempotencyKey(), billing.OrderRequest{Owner: owner, Package: "per-10", Provider: "dev"}); err != nil {
			t.Fatal(err)
		}
	}
	for t0 := time.Now(); time.Since(t0) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		if b, err := p.Client.Balance(ctx, owner); err == nil && b.Available >= before.Available+10*times {
			return
		}
	}
	t.Fatal("the dev payment did not credit the package")
}

// Conn is a ui.Connection to the test server as one party (signed in from the start).
type Conn struct {
	mu  sync.Mutex
	c   *client.Client
	ctx string
	fns map[int]func()
	n   int
}

// Client implements ui.Connection.
func (c *Conn) Client() *client.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}

// Context implements ui.Connection (个人版).
func (c *Conn) Context() string { return c.ctx }

// Subscribe implements ui.Connection.
func (c *Conn) Subscribe(fn func()) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fns == nil {
		c.fns = map[int]func(){}
	}
	c.n++
	id := c.n
	c.fns[id] = fn
	return func() {
		c.mu.Lock()
		delete(c.fns, id)
		c.mu.Unlock()
	}
}

// memKeys is an in-memory keystore.Store.
type memKeys struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemKeys() *memKeys { return &memKeys{m: map[string][]byte{}} }

func (s *memKeys) GetKey(id string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[id]
	if !ok {
		return nil, keystore.ErrNotFound
	}
	return append([]byte(nil), b...), nil
}

func (s *memKeys) PutKey(id string, b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = append([]byte(nil), b...)
	return nil
}

func (s *memKeys) ListKeys() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.m {
		out = append(out, k)
	}
	return out, nil
}

func (s *memKeys) DeleteKey(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}
