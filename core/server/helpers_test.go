package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"regexp"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres/pgtest"
)

var ctx = context.Background()

// clock is an injectable clock: real time plus an offset the test can move.
type clock struct {
	mu     stdsync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type env struct {
	run   *server.Running
	store sync.Store
	clock *clock
	key   []byte
	tune  func(*server.Options) // changes the options of every (re)start
	pki   bool                  // also serve the PKI routes on a plain-HTTP listener (PDF validators)
}

func masterKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

func openBolt(t testing.TB) sync.Store {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "sealdesk.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// start runs a server over st on a free loopback port with HTTPS from its own CA.
func start(t testing.TB, st sync.Store, dev bool) *env {
	e := &env{store: st, clock: &clock{}, key: masterKey()}
	e.restart(t, dev)
	return e
}

// startWith is start with options changed by tune.
func startWith(t testing.TB, st sync.Store, dev bool, tune func(*server.Options)) *env {
	e := &env{store: st, clock: &clock{}, key: masterKey(), tune: tune}
	e.restart(t, dev)
	return e
}

func (e *env) restart(t testing.TB, dev bool) {
	if e.run != nil {
		e.run.Shutdown(ctx)
	}
	opts := server.Options{Store: e.store, MasterKey: e.key, Dev: dev, Now: e.clock.Now, PollInterval: 50 * time.Millisecond}
	if e.tune != nil {
		e.tune(&opts)
	}
	if opts.Hashes == nil {
		// Tests register many accounts: hash without the production gate's rest (the flood
		// test in cmd/sealdesk-server runs the binary with the real one).
		opts.Hashes = gate.New(&gate.Options{Slots: 2, Queue: 256, Wait: time.Minute})
	}
	lo := server.ListenOptions{TLS: true}
	if e.pki {
		lo.PKIAddr = "127.0.0.1:0"
	}
	run, err := server.Start(ctx, opts, lo)
	if err != nil {
		t.Fatal(err)
	}
	e.run = run
	t.Cleanup(func() { run.Shutdown(ctx) })
}

func (e *env) client(t testing.TB) *client.Client {
	c, err := client.New(e.run.URL, e.run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var codeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

// lastCode reads the newest code sent to login from the dev outbox.
func (e *env) lastCode(t testing.TB, login string) string {
	msgs := e.run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == login {
			if m := codeRE.FindStringSubmatch(msgs[i].Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no code for %s in the outbox", login)
	return ""
}

const testPassword = "Passw0rdX"

var phoneSeq struct {
	stdsync.Mutex
	n int
}

func newPhone() string {
	phoneSeq.Lock()
	defer phoneSeq.Unlock()
	phoneSeq.n++
	return fmt.Sprintf("139%08d", phoneSeq.n+int(time.Now().UnixNano()%1000)*10000)
}

// register makes a new account through the API (code from the dev outbox) and returns its client.
func (e *env) register(t testing.TB, login string) *client.Client {
	c := e.client(t)
	if err := c.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: e.lastCode(t, login), Name: "张三", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	return c
}

func testImage(t testing.TB, format string) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 200))
	for x := 0; x < 320; x++ {
		img.Set(x, x%200, color.RGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	var err error
	if format == "png" {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func stores(t *testing.T) map[string]func(t *testing.T) sync.Store {
	return map[string]func(t *testing.T) sync.Store{
		"bolt":     func(t *testing.T) sync.Store { return openBolt(t) },
		"postgres": func(t *testing.T) sync.Store { return pgtest.Open(t) },
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if !client.IsCode(err, code) {
		t.Fatalf("error %v, want code %s", err, code)
	}
	var ce *client.Error
	if e, ok := err.(*client.Error); ok {
		ce = e
	}
	if ce != nil && !strings.ContainsFunc(ce.Message, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("message of %s is not Chinese: %q", code, ce.Message)
	}
}

func serverStartErr(st sync.Store, key []byte) (*server.Running, error) {
	return server.Start(ctx, server.Options{Store: st, MasterKey: key}, server.ListenOptions{})
}

func openPG(t testing.TB) sync.Store { return pgtest.Open(t) }
