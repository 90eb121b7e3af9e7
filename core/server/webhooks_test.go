package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/core/webhook"
)

// hookReceiver is an integrator's endpoint on 127.0.0.1 recording every request.
type hookReceiver struct {
	srv *httptest.Server
	mu  stdsync.Mutex
	got []hookRequest
	// fail answers 503 to the first attempt of each delivery when set.
	fail bool
}

type hookRequest struct {
	h    http.Header
	body []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, hookRequest{r.Header.Clone(), b})
		fail := rc.fail && r.Header.Get(webhook.HeaderAttempt) == "1"
		rc.mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *hookReceiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.got...)
}

// validHMAC checks a request's signature with crypto/hmac directly (not webhook.Sign).
func validHMAC(secret string, r hookRequest) bool {
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, r.h.Get(webhook.HeaderTimestamp)+".")
	m.Write(r.body)
	return hmac.Equal([]byte(r.h.Get(webhook.HeaderSignature)), []byte("v1="+hex.EncodeToString(m.Sum(nil))))
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// membersOnly is an Options.Require for tests that have no enterprise domain: the accounts in
// allowed[enterprise] may manage it.
func membersOnly(mu *stdsync.Mutex, allowed map[string]map[string]bool) func(sync.Tx, string, string, org.Permission) error {
	return func(_ sync.Tx, ent, acct string, _ org.Permission) error {
		mu.Lock()
		defer mu.Unlock()
		if allowed[ent][acct] {
			return nil
		}
		return sync.Refuse(http.StatusForbidden, "forbidden", "无权管理该企业")
	}
}

func TestWebhookAPI(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			var mu stdsync.Mutex
			allowed := map[string]map[string]bool{"e1": {}}
			e := startWith(t, open(t), true, func(o *server.Options) {
				o.Require = membersOnly(&mu, allowed)
				o.Webhooks.AllowPrivate = true
				o.Webhooks.PollInterval = 20 * time.Millisecond
				o.Webhooks.Backoff = 200 * time.Millisecond
			})
			a := e.register(t, newPhone())
			b := e.register(t, newPhone())
			me, _ := a.Me(ctx)
			mu.Lock()
			allowed["e1"][me.ID] = true
			mu.Unlock()
			rc := newHookReceiver(t)
			rc.fail = true
			_, err := a.CreateWebhook(ctx, "e1", webhook.EndpointInput{URL: "ftp://x/"})
			wantCode(t, err, "bad_webhook_url")
			_, err = a.CreateWebhook(ctx, "e1", webhook.EndpointInput{URL: rc.srv.URL, Events: []string{"nope"}})
			wantCode(t, err, "bad_event_type")
			_, err = b.CreateWebhook(ctx, "e1", webhook.EndpointInput{URL: rc.srv.URL})
			wantCode(t, err, "forbidden")
			_, err = b.Webhooks(ctx, "e1")
			wantCode(t, err, "forbidden")
			created, err := a.CreateWebhook(ctx, "e1", webhook.EndpointInput{URL: rc.srv.URL + "/hook", Description: "枢纽云"})
			if err != nil {
				t.Fatal(err)
			}
			list, err := a.Webhooks(ctx, "e1")
			if err != nil || len(list.Endpoints) != 1 || list.Endpoints[0].SealedSecret != nil || list.Endpoints[0].Description != "枢纽云" ||
				!list.AllowPrivate || len(list.EventTypes) != len(webhook.EventTypes) {
				t.Fatalf("list %+v %v", list, err)
			}
			d, err := a.PingWebhook(ctx, "e1", created.Endpoint.ID)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "ping delivered after one retry", 10*time.Second, func() bool { return len(rc.requests()) >= 2 })
			waitFor(t, "delivery recorded", 5*time.Second, func() bool {
				dd, err := a.WebhookDelivery(ctx, "e1", d.ID)
				return err == nil && dd.Delivery.State == webhook.StateSucceeded
			})
			dd, _ := a.WebhookDelivery(ctx, "e1", d.ID)
			if len(dd.Attempts) != 2 || dd.Attempts[0].Status != 503 || dd.Attempts[1].Status != 200 || dd.Event.Type != webhook.EventPing {
				t.Fatalf("delivery log %+v", dd)
			}
			for _, r := range rc.requests() {
				if !validHMAC(created.Secret, r) {
					t.Errorf("request without a valid HMAC: %v", r.h)
				}
			}
			// Rotation: the old secret stops at once.
			rot, err := a.RotateWebhookSecret(ctx, "e1", created.Endpoint.ID)
			if err != nil || rot.Secret == created.Secret {
				t.Fatalf("rotate: %v", err)
			}
			rc.mu.Lock()
			rc.fail = false
			rc.mu.Unlock()
			rd, err := a.RedeliverWebhook(ctx, "e1", d.ID)
			if err != nil || rd.RedeliveryOf != d.ID {
				t.Fatalf("redeliver %+v %v", rd, err)
			}
			waitFor(t, "redelivery", 10*time.Second, func() bool { return len(rc.requests()) >= 3 })
			last := rc.requests()[2]
			if !validHMAC(rot.Secret, last) || validHMAC(created.Secret, last) || last.h.Get(webhook.HeaderEventID) != dd.Event.ID {
				t.Errorf("redelivery not signed with the rotated secret, or another event id")
			}
			ds, err := a.WebhookDeliveries(ctx, "e1", "", "", 10)
			if err != nil || len(ds) != 2 || ds[0].ID != rd.ID { // newest first
				t.Fatalf("deliveries %+v %v", ds, err)
			}
			_, err = b.WebhookDeliveries(ctx, "e1", "", "", 10)
			wantCode(t, err, "forbidden")
			// Another enterprise's delivery id is not found through e1.
			_, err = a.WebhookDelivery(ctx, "e1", "dlv_nope")
			wantCode(t, err, "delivery_not_found")
			_, err = a.UpdateWebhook(ctx, "e1", created.Endpoint.ID, webhook.EndpointInput{URL: rc.srv.URL, Disabled: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = a.PingWebhook(ctx, "e1", created.Endpoint.ID)
			wantCode(t, err, "webhook_disabled")
			if err := a.DeleteWebhook(ctx, "e1", created.Endpoint.ID); err != nil {
				t.Fatal(err)
			}
			err = a.DeleteWebhook(ctx, "e1", created.Endpoint.ID)
			wantCode(t, err, "webhook_not_found")
		})
	}
}

// Without --dev and without Webhooks.AllowPrivate, loopback and private targets are refused when
// created.
func TestWebhookPrivateTargetRefused(t *testing.T) {
	ob := notify.NewOutbox(10)
	e := startWith(t, openBolt(t), false, func(o *server.Options) {
		o.Notifier = &notify.Router{Email: ob, SMS: ob}
		o.Require = func(sync.Tx, string, string, org.Permission) error { return nil }
	})
	c := e.client(t)
	phone := newPhone()
	if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	msgs := ob.Messages()
	code := codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)[1]
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: "张三", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://127.0.0.1:9/hook", "http://localhost/hook", "http://169.254.169.254/", "http://[::1]/"} {
		_, err := c.CreateWebhook(ctx, "e1", webhook.EndpointInput{URL: u})
		wantCode(t, err, "bad_webhook_url")
	}
	list, err := c.Webhooks(ctx, "e1")
	if err != nil || list.AllowPrivate || len(list.Endpoints) != 0 {
		t.Fatalf("%+v %v", list, err)
	}
}

// newCreditCode makes a fresh valid unified social credit code.
func newCreditCode(t testing.TB) string {
	return creditCode(t, fmt.Sprintf("91330106MA%07d", time.Now().UnixNano()%10000000))
}

// With the enterprise domain: only members with integrations.manage manage webhooks, and an
// enterprise event recorded in a transaction reaches the endpoint only if that transaction
// commits.
func TestWebhookEnterpriseEvents(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) {
				o.Webhooks.PollInterval = 20 * time.Millisecond
			})
			a := e.register(t, newPhone())
			b := e.register(t, newPhone())
			ent, err := a.CreateEnterprise(ctx, "杭州测试科技有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			rc := newHookReceiver(t)
			_, err = b.CreateWebhook(ctx, ent.ID, webhook.EndpointInput{URL: rc.srv.URL})
			wantCode(t, err, "not_member")
			created, err := a.CreateWebhook(ctx, ent.ID, webhook.EndpointInput{URL: rc.srv.URL, Events: []string{webhook.EventMemberJoined}})
			if err != nil {
				t.Fatal(err)
			}
			srv := e.run.Server
			record := func(typ string, fail bool) {
				err := e.store.Update(ctx, func(tx sync.Tx) error {
					if err := srv.Org().RecordEnterprise(tx, ent.ID, "system", typ, map[string]string{"account_id": "u_x"}, time.Now(), ""); err != nil {
						return err
					}
					if fail {
						return errors.New("rolled back")
					}
					return nil
				})
				if (err != nil) != fail {
					t.Fatal(err)
				}
			}
			record(webhook.EventMemberJoined, true)    // rolled back: no delivery
			record(webhook.EventMemberDisabled, false) // not subscribed
			record("enterprise.renamed", false)        // not a webhook event
			record(webhook.EventMemberJoined, false)   // delivered
			waitFor(t, "member.joined delivered", 10*time.Second, func() bool { return len(rc.requests()) >= 1 })
			time.Sleep(300 * time.Millisecond)
			got := rc.requests()
			if len(got) != 1 || got[0].h.Get(webhook.HeaderEvent) != webhook.EventMemberJoined || !validHMAC(created.Secret, got[0]) {
				t.Fatalf("receiver got %d requests: %v", len(got), got)
			}
			var ev webhook.Event
			json.Unmarshal(got[0].body, &ev)
			if ev.EnterpriseID != ent.ID || !strings.Contains(string(ev.Data), "u_x") {
				t.Errorf("event %+v", ev)
			}
		})
	}
}
