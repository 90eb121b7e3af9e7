package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres/pgtest"
)

var ctx = context.Background()

type clock struct {
	mu  stdsync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

func stores(t *testing.T) map[string]func(t *testing.T) sync.Store {
	return map[string]func(t *testing.T) sync.Store{
		"bolt": func(t *testing.T) sync.Store {
			s, err := bolt.Open(filepath.Join(t.TempDir(), "w.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
		"postgres": func(t *testing.T) sync.Store { return pgtest.Open(t) },
	}
}

func key() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
	ev     Event
}

// receiver is a webhook receiver on 127.0.0.1 that answers with status(attempt) and records
// everything.
type receiver struct {
	srv    *httptest.Server
	mu     stdsync.Mutex
	got    []received
	status func(r *http.Request) int
}

func newReceiver(t *testing.T, status func(r *http.Request) int) *receiver {
	rc := &receiver{status: status}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev Event
		json.Unmarshal(b, &ev)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Clone(), b, ev})
		rc.mu.Unlock()
		code := http.StatusOK
		if rc.status != nil {
			code = rc.status(r)
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "status %d", code)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// hmacOf computes the signature independently of Sign.
func hmacOf(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, ts+".")
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

func newService(t *testing.T, st sync.Store, c *clock, tune func(*Options)) *Service {
	o := Options{Store: st, Key: key(), AllowPrivate: true, Now: c.Now, Backoff: time.Second, MaxBackoff: 8 * time.Second,
		MaxAttempts: 4, Timeout: 2 * time.Second, PollInterval: 20 * time.Millisecond}
	if tune != nil {
		tune(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func createEndpoint(t *testing.T, s *Service, ent, url string, events ...string) (Endpoint, string) {
	var ep Endpoint
	var secret string
	err := s.opts.Store.Update(ctx, func(tx sync.Tx) error {
		var err error
		ep, secret, err = s.CreateEndpoint(tx, ent, "acct1", EndpointInput{URL: url, Events: events}, s.opts.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ep, secret
}

func enqueue(t *testing.T, s *Service, ent, typ string, data any) string {
	var id string
	err := s.opts.Store.Update(ctx, func(tx sync.Tx) error {
		var err error
		id, err = Enqueue(tx, ent, typ, data, s.opts.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func deliveries(t *testing.T, s *Service, ent string) []Delivery {
	var ds []Delivery
	if err := s.opts.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		ds, err = s.Deliveries(tx, ent, "", "", 200)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ds
}

func detail(t *testing.T, s *Service, ent, id string) DeliveryDetail {
	var dd DeliveryDetail
	if err := s.opts.Store.View(ctx, func(tx sync.Tx) error {
		var err error
		dd, err = s.Delivery(tx, ent, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return dd
}

func TestSignAndVerify(t *testing.T) {
	body := []byte(`{"id":"evt_1","type":"member.joined"}`)
	now := time.Unix(1_800_000_000, 0)
	sig := Sign("whsec_abc", now.Unix(), body)
	if want := hmacOf("whsec_abc", "1800000000", body); sig != want {
		t.Fatalf("Sign = %s, independent HMAC = %s", sig, want)
	}
	h := http.Header{}
	h.Set(HeaderTimestamp, "1800000000")
	h.Set(HeaderSignature, sig)
	if err := Verify("whsec_abc", h, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
	for _, c := range []struct {
		name   string
		secret string
		body   []byte
		now    time.Time
		want   error
	}{
		{"wrong secret", "whsec_abd", body, now, ErrBadSignature},
		{"changed body", "whsec_abc", append([]byte(nil), append(body, ' ')...), now, ErrBadSignature},
		{"replayed later", "whsec_abc", body, now.Add(10 * time.Minute), ErrStale},
	} {
		if err := Verify(c.secret, h, c.body, c.now, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	h2 := h.Clone()
	h2.Set(HeaderTimestamp, "1800000001") // timestamp moved, signature kept
	if err := Verify("whsec_abc", h2, body, now, 5*time.Minute); !errors.Is(err, ErrBadSignature) {
		t.Errorf("moved timestamp: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url          string
		allowPrivate bool
		ok           bool
	}{
		{"https://hooks.example.com/sealdesk", false, true},
		{"http://hooks.example.com:8080/x?y=1", false, true},
		{"ftp://hooks.example.com/", false, false},
		{"javascript:alert(1)", false, false},
		{"https://user:pw@hooks.example.com/", false, false},
		{"https://hooks.example.com/#frag", false, false},
		{"hooks.example.com/x", false, false},
		{"", false, false},
		{"https://" + strings.Repeat("a", MaxURLLen) + ".com/", false, false},
		{"http://127.0.0.1:9000/hook", false, false},
		{"http://127.0.0.1:9000/hook", true, true},
		{"http://localhost/hook", false, false},
		{"http://10.1.2.3/hook", false, false},
		{"http://192.168.1.1/hook", false, false},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://100.64.0.1/", false, false},
		{"http://[::1]/", false, false},
		{"http://[::ffff:127.0.0.1]/", false, false},
		{"http://[fd00::1]/", false, false},
		{"http://0.0.0.0/", false, false},
		{"http://8.8.8.8/", false, true},
	} {
		err := CheckURL(c.url, c.allowPrivate)
		if (err == nil) != c.ok {
			t.Errorf("CheckURL(%.60q, %v) = %v, want ok=%v", c.url, c.allowPrivate, err, c.ok)
		}
		var ref *sync.Refusal
		if err != nil && (!errors.As(err, &ref) || !strings.ContainsAny(ref.Message, "地址址")) {
			t.Errorf("CheckURL(%.60q): %v is not a refusal with a Chinese message", c.url, err)
		}
	}
}

// A private target is refused when dialled, whatever the URL's name resolves to.
func TestPrivateTargetRefusedAtDial(t *testing.T) {
	st := stores(t)["bolt"](t)
	c := &clock{}
	rc := newReceiver(t, nil)
	s := newService(t, st, c, func(o *Options) { o.AllowPrivate = false })
	// Written as if an earlier configuration allowed it (CheckURL would refuse it now).
	lax := newService(t, st, c, func(o *Options) { o.Key = s.opts.Key })
	createEndpoint(t, lax, "e1", strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1))
	enqueue(t, s, "e1", EventMemberJoined, map[string]string{"a": "b"})
	if n, err := s.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	if got := rc.all(); len(got) != 0 {
		t.Fatalf("private target got %d requests", len(got))
	}
	d := deliveries(t, s, "e1")[0]
	dd := detail(t, s, "e1", d.ID)
	if len(dd.Attempts) != 1 || dd.Attempts[0].Outcome != OutcomeFailed || !strings.Contains(dd.Attempts[0].Error, "内网") {
		t.Fatalf("attempts %+v", dd.Attempts)
	}
}

func TestDelivery(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			c := &clock{}
			s := newService(t, st, c, nil)
			failFirst := 2
			rc := newReceiver(t, func(r *http.Request) int {
				if n, _ := strconv.Atoi(r.Header.Get(HeaderAttempt)); n <= failFirst {
					return http.StatusServiceUnavailable
				}
				return http.StatusNoContent
			})
			ep, secret := createEndpoint(t, s, "e1", rc.srv.URL+"/hook")
			if !strings.HasPrefix(secret, SecretPrefix) || ep.SecretHint != secret[len(secret)-4:] || ep.SealedSecret != nil {
				t.Fatalf("secret %q hint %q sealed %d bytes in the answer", secret, ep.SecretHint, len(ep.SealedSecret))
			}
			// The secret is not stored in clear.
			st.View(ctx, func(tx sync.Tx) error {
				return tx.Scan(BucketEndpoints, "", "", 0, func(k string, v []byte) error {
					if strings.Contains(string(v), secret[len(SecretPrefix):len(SecretPrefix)+10]) {
						t.Errorf("endpoint record %s holds the secret in clear", k)
					}
					return nil
				})
			})
			// Rolled-back change: nothing enqueued.
			boom := errors.New("boom")
			if err := st.Update(ctx, func(tx sync.Tx) error {
				if _, err := Enqueue(tx, "e1", EventMemberJoined, map[string]string{"x": "y"}, c.Now()); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Fatal(err)
			}
			if ds := deliveries(t, s, "e1"); len(ds) != 0 {
				t.Fatalf("rolled-back enqueue left %d deliveries", len(ds))
			}
			evID := enqueue(t, s, "e1", EventEnterpriseAdminChanged, adminChanged{CreditCode: "91330106MA2GXXXX1X", Method: "transfer",
				CertificatePEM: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"})
			// Another enterprise's event does not reach this endpoint.
			if id := enqueue(t, s, "e2", EventMemberJoined, nil); id != "" {
				t.Fatalf("enqueue without endpoints wrote event %s", id)
			}
			for i := 1; i <= 3; i++ {
				if n, err := s.RunOnce(ctx); err != nil || n != 1 {
					t.Fatalf("round %d: RunOnce = %d, %v", i, n, err)
				}
				// Not due again until the back-off has passed.
				if n, _ := s.RunOnce(ctx); n != 0 {
					t.Fatalf("round %d: attempt sent before its back-off", i)
				}
				c.Advance(s.BackoffAfter(i) + time.Millisecond)
			}
			got := rc.all()
			if len(got) != 3 {
				t.Fatalf("receiver got %d requests, want 3", len(got))
			}
			for i, r := range got {
				if r.header.Get(HeaderAttempt) != strconv.Itoa(i+1) || r.header.Get(HeaderEventID) != evID ||
					r.header.Get(HeaderEvent) != EventEnterpriseAdminChanged || r.ev.ID != evID {
					t.Errorf("request %d headers %v", i, r.header)
				}
				if want := hmacOf(secret, r.header.Get(HeaderTimestamp), r.body); r.header.Get(HeaderSignature) != want {
					t.Errorf("request %d signature %s, want %s", i, r.header.Get(HeaderSignature), want)
				}
			}
			var data adminChanged
			json.Unmarshal(got[2].ev.Data, &data)
			if data.CreditCode != "91330106MA2GXXXX1X" || !strings.Contains(data.CertificatePEM, "BEGIN CERTIFICATE") {
				t.Errorf("admin_changed data %+v", data)
			}
			ds := deliveries(t, s, "e1")
			if len(ds) != 1 || ds[0].State != StateSucceeded || ds[0].Attempts != 3 || ds[0].LastStatus != 204 {
				t.Fatalf("deliveries %+v", ds)
			}
			dd := detail(t, s, "e1", ds[0].ID)
			if len(dd.Attempts) != 3 || dd.Attempts[0].Status != 503 || dd.Attempts[0].Outcome != OutcomeFailed ||
				dd.Attempts[2].Outcome != OutcomeOK || dd.Attempts[0].Response != "status 503" || dd.Event.ID != evID {
				t.Fatalf("log %+v", dd)
			}
			// Redelivery: a new delivery of the same event.
			var rd Delivery
			if err := st.Update(ctx, func(tx sync.Tx) error {
				var err error
				rd, err = s.Redeliver(tx, "e1", ds[0].ID, c.Now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			failFirst = 0
			if n, _ := s.RunOnce(ctx); n != 1 {
				t.Fatalf("redelivery not sent")
			}
			got = rc.all()
			if len(got) != 4 || got[3].header.Get(HeaderEventID) != evID || got[3].header.Get(HeaderDelivery) != rd.ID || rd.RedeliveryOf != ds[0].ID {
				t.Fatalf("redelivery %+v / %v", rd, got[3].header)
			}
			// Queue is empty: everything done.
			st.View(ctx, func(tx sync.Tx) error {
				return tx.Scan(BucketQueue, "", "", 0, func(k string, _ []byte) error {
					t.Errorf("queue still holds %s", k)
					return nil
				})
			})
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	st := stores(t)["bolt"](t)
	c := &clock{}
	s := newService(t, st, c, nil)
	rc := newReceiver(t, func(*http.Request) int { return http.StatusFound }) // redirects are not followed
	createEndpoint(t, s, "e1", rc.srv.URL)
	enqueue(t, s, "e1", EventMemberDisabled, nil)
	for i := 0; i < 6; i++ {
		s.RunOnce(ctx)
		c.Advance(time.Minute)
	}
	d := deliveries(t, s, "e1")[0]
	if d.State != StateFailed || d.Attempts != 4 || len(rc.all()) != 4 {
		t.Fatalf("delivery %+v after %d requests", d, len(rc.all()))
	}
}

func TestTimeoutAndBoundedRead(t *testing.T) {
	st := stores(t)["bolt"](t)
	c := &clock{}
	s := newService(t, st, c, func(o *Options) { o.Timeout = 300 * time.Millisecond })
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for i := 0; i < 1024; i++ { // 32 MB unless the client stops reading
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer big.Close()
	createEndpoint(t, s, "slow", slow.URL)
	createEndpoint(t, s, "big", big.URL)
	enqueue(t, s, "slow", EventMemberJoined, nil)
	enqueue(t, s, "big", EventMemberJoined, nil)
	start := time.Now()
	if n, err := s.RunOnce(ctx); n != 2 || err != nil {
		t.Fatalf("RunOnce %d %v", n, err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %v with a 300 ms timeout", el)
	}
	sd := detail(t, s, "slow", deliveries(t, s, "slow")[0].ID).Attempts[0]
	if sd.Outcome != OutcomeFailed || sd.Error != "请求超时" {
		t.Errorf("slow attempt %+v", sd)
	}
	bd := detail(t, s, "big", deliveries(t, s, "big")[0].ID).Attempts[0]
	if bd.Outcome != OutcomeOK || len(bd.Response) != MaxResponseKept {
		t.Errorf("big attempt %+v (kept %d bytes)", bd.Outcome, len(bd.Response))
	}
}

// A process that dies with an attempt in flight: after the lease, another dispatcher marks that
// attempt abandoned and sends the next attempt number.
func TestLeaseTakeover(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			c := &clock{}
			a := newService(t, st, c, func(o *Options) { o.Owner = "dead" })
			b := newService(t, st, c, func(o *Options) { o.Owner = "alive"; o.Key = a.opts.Key })
			rc := newReceiver(t, nil)
			createEndpoint(t, a, "e1", rc.srv.URL)
			enqueue(t, a, "e1", EventMemberJoined, nil)
			due, _ := a.due(ctx, 10)
			j, err := a.claim(ctx, due[0])
			if err != nil || j == nil {
				t.Fatalf("claim: %v %v", j, err)
			}
			// "dead" never sends. Within the lease nobody else may.
			if n, _ := b.RunOnce(ctx); n != 0 {
				t.Fatal("leased delivery sent by another dispatcher")
			}
			c.Advance(a.opts.Lease + time.Second)
			if n, _ := b.RunOnce(ctx); n != 1 {
				t.Fatal("expired lease not taken over")
			}
			got := rc.all()
			if len(got) != 1 || got[0].header.Get(HeaderAttempt) != "2" {
				t.Fatalf("receiver got %d requests, first attempt %q", len(got), got[0].header.Get(HeaderAttempt))
			}
			dd := detail(t, b, "e1", j.d.ID)
			if dd.Delivery.State != StateSucceeded || len(dd.Attempts) != 2 || dd.Attempts[0].Outcome != OutcomeAbandoned ||
				dd.Attempts[1].Owner != "alive" {
				t.Fatalf("log %+v", dd)
			}
			// The dead process waking up late cannot undo the success.
			a.finish(ctx, j.d, Attempt{N: 1, Owner: "dead", Outcome: OutcomeFailed, Status: 500})
			if d := detail(t, b, "e1", j.d.ID).Delivery; d.State != StateSucceeded {
				t.Fatalf("late finish changed the delivery: %+v", d)
			}
		})
	}
}

// Several dispatchers racing over one store send every attempt number exactly once.
func TestConcurrentDispatchers(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			c := &clock{}
			var ds []*Service
			k := key()
			for i := 0; i < 4; i++ {
				ds = append(ds, newService(t, st, c, func(o *Options) { o.Owner = fmt.Sprint("d", i); o.Key = k }))
			}
			var mu stdsync.Mutex
			seen := map[string]int{}
			rc := newReceiver(t, func(r *http.Request) int {
				mu.Lock()
				defer mu.Unlock()
				seen[r.Header.Get(HeaderDelivery)+"#"+r.Header.Get(HeaderAttempt)]++
				if r.Header.Get(HeaderAttempt) == "1" && len(seen)%3 == 0 {
					return 500
				}
				return 200
			})
			createEndpoint(t, ds[0], "e1", rc.srv.URL)
			const n = 40
			for i := 0; i < n; i++ {
				enqueue(t, ds[0], "e1", EventMemberJoined, map[string]int{"i": i})
			}
			runCtx, cancel := context.WithCancel(ctx)
			var wg stdsync.WaitGroup
			for _, d := range ds {
				wg.Add(1)
				go func() { defer wg.Done(); d.Run(runCtx) }()
			}
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				done := 0
				for _, d := range deliveries(t, ds[0], "e1") {
					if d.State == StateSucceeded {
						done++
					}
				}
				if done == n {
					break
				}
				c.Advance(2 * time.Second)
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			wg.Wait()
			okEvents := map[string]int{}
			for _, d := range deliveries(t, ds[0], "e1") {
				if d.State != StateSucceeded {
					t.Errorf("delivery %s %s", d.ID, d.State)
				}
				okEvents[d.EventID]++
			}
			if len(okEvents) != n {
				t.Errorf("%d events delivered, want %d", len(okEvents), n)
			}
			for k, v := range seen {
				if v != 1 {
					t.Errorf("attempt %s sent %d times", k, v)
				}
			}
			t.Logf("%s: %d attempts for %d deliveries by 4 dispatchers", name, len(seen), n)
		})
	}
}

// adminChanged is the part of org.AdminChanged these tests look at.
type adminChanged struct {
	CreditCode     string `json:"credit_code"`
	Method         string `json:"method"`
	CertificatePEM string `json:"certificate_pem"`
}
