package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// residentID returns a valid resident ID number (GB 11643 check character) for sequence n.
func residentID(n int) string {
	body := fmt.Sprintf("11010519800101%03d", n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// post sends a JSON body without the client (no retries), returning status, headers and error body.
func post(t *testing.T, e *env, path, token string, body any) (int, http.Header, api.ErrorBody) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", e.run.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.run.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &eb)
	return resp.StatusCode, resp.Header, eb
}

func hashes(e *env) int64 { return e.run.Server.Org().HashStats().Entered }

// Item 1: everything cheap is checked before a password is hashed, and hashes run inside a
// bounded gate; over it the answer is 503 with Retry-After and a Chinese message, and nothing
// was spent (the one-time code still works).
func TestCheapChecksBeforeHashing(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			g := gate.New(&gate.Options{Slots: 1, Queue: 1, Wait: 20 * time.Millisecond})
			e := startWith(t, open(t), true, func(o *server.Options) { o.Hashes = g })
			phone := newPhone()
			c := e.client(t)
			if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
				t.Fatal(err)
			}
			code, ch := e.lastCode(t, phone), c.Challenge(org.PurposeRegister, phone)
			h0 := hashes(e)
			for _, req := range []org.RegisterRequest{
				{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: "000000", Name: "张三", Password: testPassword},
				{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: newPhone(), Code: code, Challenge: ch, Name: "张三", Password: testPassword},
				{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Challenge: ch, Name: "张\u202e三", Password: testPassword},
				{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Challenge: ch, Name: "张三", Password: "weak"},
			} {
				if _, err := c.Register(ctx, req); err == nil {
					t.Fatalf("register %+v accepted", req)
				}
			}
			if d := hashes(e) - h0; d != 0 {
				t.Errorf("%d password hashes for refused registrations, want 0", d)
			}
			// The only slot taken: the good request is turned away, in Chinese, with Retry-After.
			release, err := g.Enter(ctx)
			if err != nil {
				t.Fatal(err)
			}
			status, hdr, eb := post(t, e, "/api/v1/auth/register", "", org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Challenge: ch, Name: "张三", Password: testPassword})
			if status != 503 || hdr.Get("Retry-After") == "" || eb.Error.Code != "busy" || !strings.Contains(eb.Error.Message, "繁忙") {
				t.Errorf("register while hashing is full: %d Retry-After=%q %+v", status, hdr.Get("Retry-After"), eb)
			}
			status, hdr, eb = post(t, e, "/api/v1/auth/login", "", org.LoginRequest{Login: phone, Password: testPassword})
			if status != 503 || hdr.Get("Retry-After") == "" || eb.Error.Code != "busy" {
				t.Errorf("login while hashing is full: %d %+v", status, eb)
			}
			release()
			if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Challenge: ch, Name: "张三", Password: testPassword}); err != nil {
				t.Fatalf("the code was spent by a request that was turned away: %v", err)
			}
			// The turned-away login gave its reservation back: five real failures still lock.
			c2 := e.client(t)
			for i := 0; i < 5; i++ {
				_, err := c2.Login(ctx, org.LoginRequest{Login: phone, Password: "Wrong0neX"})
				wantCode(t, err, "bad_credentials")
			}
			_, err = c2.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword})
			wantCode(t, err, "locked")
		})
	}
}

// Item 2: 100 parallel wrong guesses at one account: exactly 5 are checked (5 hashes, 5
// failures in the audit log), the other 95 refused without hashing.
func TestParallelGuessesHitTheLockout(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) {
				o.Hashes = gate.New(&gate.Options{Slots: 8, Queue: 200, Wait: time.Minute})
				// 100 calls at once from one address are over the per-address cap (503 busy,
				// retried by the client a bounded number of times); this test counts the lockout.
				o.AuthPerAddress = 100
			})
			phone := newPhone()
			e.register(t, phone)
			h0 := hashes(e)
			c := e.client(t)
			var mu stdsync.Mutex
			codes := map[string]int{}
			var wg stdsync.WaitGroup
			start := make(chan struct{})
			for i := 0; i < 100; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := c.Login(ctx, org.LoginRequest{Login: phone, Password: fmt.Sprintf("Wrong%02dX", i)})
					var ce *client.Error
					code := fmt.Sprint(err)
					if errors.As(err, &ce) {
						code = ce.Code
					}
					mu.Lock()
					codes[code]++
					mu.Unlock()
				}()
			}
			close(start)
			wg.Wait()
			// "busy" is the server turning a request away before anything was done (its gate of
			// unauthenticated work is full on a loaded machine, past the client's retries): also
			// refused without a hash.
			if codes["bad_credentials"] != 5 || codes["locked"]+codes["busy"] != 95 {
				t.Errorf("answers %v, want 5 bad_credentials and 95 locked (or busy)", codes)
			}
			if d := hashes(e) - h0; d != 5 {
				t.Errorf("%d passwords checked, want exactly 5", d)
			}
			failed := 0
			e.store.View(ctx, func(tx sync.Tx) error {
				return tx.Scan(sync.BucketAudit, "", "", 0, func(_ string, v []byte) error {
					var a sync.AuditEntry
					json.Unmarshal(v, &a)
					if a.Action == "account.login_failed" {
						failed++
					}
					return nil
				})
			})
			if failed != 5 {
				t.Errorf("%d failed logins in the audit log, want 5", failed)
			}
			_, err := c.Login(ctx, org.LoginRequest{Login: phone, Password: testPassword})
			wantCode(t, err, "locked")
		})
	}
}

// Item 3: asking for a code answers the same whether or not the login exists (what differs goes
// to the address, not to the caller), codes are limited per address and per login, and a
// stranger's guesses cannot lock the owner out: lockouts are per address, and a one-time code
// (which only the owner receives) logs in through any lockout and ends it.
func TestNoAccountEnumeration(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			known := newPhone()
			e.register(t, known)
			unknown := newPhone()
			type answer struct {
				status int
				eb     api.ErrorBody
			}
			var answers []answer
			for _, login := range []string{known, unknown} {
				for _, purpose := range []string{org.PurposeLogin, org.PurposeRegister} {
					e.clock.Advance(2 * time.Minute) // past the per-login interval
					s, _, eb := post(t, e, "/api/v1/auth/codes", "", api.CodeRequest{Login: login, Purpose: purpose})
					answers = append(answers, answer{s, eb})
				}
				// At once again: the per-login interval, for both alike.
				s, _, eb := post(t, e, "/api/v1/auth/codes", "", api.CodeRequest{Login: login, Purpose: org.PurposeLogin})
				answers = append(answers, answer{s, eb})
			}
			for i, a := range answers {
				want := answers[i%3]
				if a != want {
					t.Errorf("answer %d %+v differs from %+v: the caller can tell registered logins apart", i, a, want)
				}
			}
			if answers[0].status != 202 || answers[2].status != 429 {
				t.Errorf("answers %+v, want 202 then 429 code_too_soon", answers)
			}
			// The difference went to the addresses: a notice without a code.
			notices := 0
			for _, m := range e.run.Server.Outbox().Messages() {
				if (m.To == known || m.To == unknown) && strings.Contains(m.Body, "有人试图") {
					notices++
					if strings.Contains(m.Body, "验证码是") {
						t.Errorf("a notice carries a code: %s", m.Body)
					}
				}
			}
			if notices != 2 {
				t.Errorf("%d notices, want 2 (register a known login, log in to an unknown one)", notices)
			}

			// Per-address lockouts: a stranger's five failures lock only the stranger's address.
			svc := e.run.Server.Org()
			for i := 0; i < 5; i++ {
				_, err := svc.Login(ctx, org.LoginRequest{Login: known, Password: "Wrong0neX"}, "203.0.113.9")
				wantRefusal(t, err, "bad_credentials")
			}
			_, err := svc.Login(ctx, org.LoginRequest{Login: known, Password: testPassword}, "203.0.113.9")
			wantRefusal(t, err, "locked")
			if _, err := svc.Login(ctx, org.LoginRequest{Login: known, Password: testPassword}, "198.51.100.7"); err != nil {
				t.Fatalf("the owner, from another address, is locked out by a stranger: %v", err)
			}
			// Failures from many addresses (20 in all, 5 of them already counted) lock the
			// password login for everyone...
			for i := 0; i < 15; i++ {
				_, err := svc.Login(ctx, org.LoginRequest{Login: known, Password: "Wrong0neX"}, fmt.Sprintf("192.0.2.%d", i))
				wantRefusal(t, err, "bad_credentials")
			}
			_, err = svc.Login(ctx, org.LoginRequest{Login: known, Password: testPassword}, "198.51.100.7")
			wantRefusal(t, err, "locked")
			// ...but never the code login, which ends the lockouts.
			e.clock.Advance(2 * time.Minute)
			ch, err := svc.SendCode(ctx, known, org.PurposeLogin, "198.51.100.7", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Login(ctx, org.LoginRequest{Login: known, Code: e.lastCode(t, known), Challenge: ch}, "198.51.100.7"); err != nil {
				t.Fatalf("code login during a lockout: %v", err)
			}
			if _, err := svc.Login(ctx, org.LoginRequest{Login: known, Password: testPassword}, "203.0.113.9"); err != nil {
				t.Fatalf("password login after the code login: %v", err)
			}
		})
	}
}

// Codes are limited per address too, before anything is looked up.
func TestCodesLimitedPerAddress(t *testing.T) {
	e := startWith(t, openBolt(t), true, func(o *server.Options) { o.Limits.IPCodesPerHour = 3 })
	for i := 0; i < 3; i++ {
		if _, err := e.run.Server.Org().SendCode(ctx, newPhone(), org.PurposeRegister, "203.0.113.5", ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.run.Server.Org().SendCode(ctx, newPhone(), org.PurposeRegister, "203.0.113.5", "")
	wantRefusal(t, err, "code_limit")
	if _, err := e.run.Server.Org().SendCode(ctx, newPhone(), org.PurposeRegister, "203.0.113.6", ""); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func wantRefusal(t *testing.T, err error, code string) {
	t.Helper()
	var ref *sync.Refusal
	if !errors.As(err, &ref) || ref.Code != code {
		t.Fatalf("error %v, want refusal %s", err, code)
	}
}

// flaky is a store that can be taken down, as during a PostgreSQL restart.
type flaky struct {
	sync.Store
	down atomic.Bool
}

var errOutage = errors.New("failed to begin transaction: dial tcp 127.0.0.1:5432: connect: connection refused")

func (f *flaky) View(ctx2 context.Context, fn func(sync.Tx) error) error {
	if f.down.Load() {
		return errOutage
	}
	return f.Store.View(ctx2, fn)
}

func (f *flaky) Update(ctx2 context.Context, fn func(sync.Tx) error) error {
	if f.down.Load() {
		return errOutage
	}
	return f.Store.Update(ctx2, fn)
}

// Item 4: a store outage while authenticating is 503 (retry), never 401 (log in again); the
// client keeps its session and retries a 503 with back-off, a bounded number of times.
func TestStoreOutageKeepsSessions(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := &flaky{Store: open(t)}
			e := start(t, f, true)
			c := e.register(t, newPhone())
			token := c.Token
			f.down.Store(true)
			req, _ := http.NewRequest("GET", e.run.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := e.run.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
				t.Errorf("valid token during an outage: %d (Retry-After %q), want 503", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			// The client rides out a short outage.
			go func() {
				time.Sleep(1500 * time.Millisecond)
				f.down.Store(false)
			}()
			t0 := time.Now()
			if _, err := c.Me(ctx); err != nil {
				t.Fatalf("Me across a 1.5 s outage: %v", err)
			}
			if time.Since(t0) < time.Second || c.Token != token {
				t.Errorf("no retry (%v) or token dropped", time.Since(t0))
			}
			// A long one: it gives up after its retries (one here, to keep the test short) and
			// still keeps the session.
			f.down.Store(true)
			c.Retries503 = 1
			t0 = time.Now()
			_, err = c.Me(ctx)
			if !client.IsCode(err, "unavailable") || time.Since(t0) > 10*time.Second || c.Token != token {
				t.Errorf("long outage: %v after %v, token kept %v", err, time.Since(t0), c.Token == token)
			}
			f.down.Store(false)
			// Revoked sessions are still 401.
			if err := c.Logout(ctx); err != nil {
				t.Fatal(err)
			}
			c.Token = token
			_, err = c.Me(ctx)
			wantCode(t, err, "unauthenticated")
		})
	}
}

// Item 8: names and logins are normalised and invisible characters refused end to end; one
// resident ID number belongs to one verified account.
func TestNamesLoginsAndIDNumbers(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			ascii := newPhone()
			wide := strings.Map(func(r rune) rune { return r - '0' + '０' }, ascii)
			c := e.client(t)
			if err := c.SendCode(ctx, wide, org.PurposeRegister); err != nil {
				t.Fatal(err)
			}
			tok, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: wide, Code: e.lastCode(t, ascii), Name: "　张三　", Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			if tok.Account.Phone != ascii || tok.Account.Name != "张三" {
				t.Errorf("full-width login and ideographic spaces: %+v", tok.Account)
			}
			if _, err := e.client(t).Login(ctx, org.LoginRequest{Login: ascii, Password: testPassword}); err != nil {
				t.Errorf("ASCII login of a full-width registration: %v", err)
			}
			wantCode(t, c.SendCode(ctx, ascii[:3]+"\u200b"+ascii[3:], org.PurposeRegister), "bad_login")
			_, err = c.SubmitRealName(ctx, "张\u202e三\u200b", residentID(1), "dev")
			wantCode(t, err, "bad_name")
			if _, err := c.SubmitRealName(ctx, "张三", residentID(1), "dev"); err != nil {
				t.Fatal(err)
			}
			// Another account, the same number: refused at once (dev) and at approval (manual).
			c2 := e.register(t, newPhone())
			_, err = c2.SubmitRealName(ctx, "李四", residentID(1), "dev")
			wantCode(t, err, "id_in_use")
			c3 := e.register(t, newPhone())
			c4 := e.register(t, newPhone())
			admin := newPhone()
			ca := e.register(t, admin)
			if _, err := e.run.Server.Org().SetAdmin(ctx, admin, true); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, cc := range []*client.Client{c3, c4} {
				v, err := cc.SubmitRealName(ctx, "王五", residentID(2), "manual")
				if err != nil {
					t.Fatal(err)
				}
				for _, side := range []string{"front", "back"} {
					if _, err := cc.UploadIDPhoto(ctx, v.ID, side, testImage(t, "png")); err != nil {
						t.Fatal(err)
					}
				}
				ids = append(ids, v.ID)
			}
			if _, err := ca.Approve(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			_, err = ca.Approve(ctx, ids[1])
			wantCode(t, err, "id_in_use")
			if me, _ := c4.Me(ctx); me.RealName != nil {
				t.Errorf("second account verified with the same number: %+v", me.RealName)
			}
		})
	}
}

// Guesses at logins that do not exist leave counters behind; the janitor's purge removes those
// that no longer count, and keeps a lockout that still holds.
func TestStaleCountersPurged(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) { o.Limits.LoginLockout = 48 * time.Hour })
			svc := e.run.Server.Org()
			for i := 0; i < 20; i++ {
				_, err := svc.Login(ctx, org.LoginRequest{Login: newPhone(), Password: "Wrong0neX"}, "203.0.113.7")
				wantRefusal(t, err, "bad_credentials")
			}
			victim := newPhone()
			e.register(t, victim)
			for i := 0; i < 5; i++ {
				svc.Login(ctx, org.LoginRequest{Login: victim, Password: "Wrong0neX"}, "203.0.113.8")
			}
			count := func() int {
				n := 0
				e.store.View(ctx, func(tx sync.Tx) error {
					return tx.Scan(org.BucketLimits, "", "", 0, func(string, []byte) error { n++; return nil })
				})
				return n
			}
			before := count()
			if before < 40 {
				t.Fatalf("%d counters after 20 guesses at unknown logins", before)
			}
			e.clock.Advance(25 * time.Hour)
			n, err := svc.PurgeLimits(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if after := count(); after != 1 || n != before-1 {
				t.Errorf("%d counters left (purged %d of %d), want only the victim's address lockout", after, n, before)
			}
			_, err = svc.Login(ctx, org.LoginRequest{Login: victim, Password: testPassword}, "203.0.113.8")
			wantRefusal(t, err, "locked")
		})
	}
}
