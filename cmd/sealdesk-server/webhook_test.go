package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/ids"
	"sealdesk/core/webhook"
)

// The server binary is killed with SIGKILL between the first and the second attempt of a
// delivery: after the restart the second attempt arrives (attempt number 2, same event id, a
// valid HMAC), and the receiver accepts the event exactly once.
func TestWebhookRetrySurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server binary")
	}
	for name, spec := range storeSpecs(t) {
		t.Run(name, func(t *testing.T) {
			var mu stdsync.Mutex
			type req struct {
				h    http.Header
				body []byte
			}
			var got []req
			accepted := map[string]int{} // event id → 2xx answers
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				got = append(got, req{r.Header.Clone(), b})
				if r.Header.Get(webhook.HeaderAttempt) == "1" {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				accepted[r.Header.Get(webhook.HeaderEventID)]++
				w.WriteHeader(http.StatusOK)
			}))
			defer rc.Close()
			srv := startChild(t, spec(t), "--webhook-allow-private", "--webhook-backoff", "4s")
			hc := &http.Client{Timeout: 30 * time.Second}
			a := register(t, srv.url, hc, fmt.Sprintf("138%08d", time.Now().UnixNano()%100000000))
			body := fmt.Sprintf("91330106MA%07d", time.Now().UnixNano()%10000000)
			check, _ := ids.CreditCheck(body)
			ent, err := a.CreateEnterprise(context.Background(), "杭州重启测试有限公司", body+string(check))
			if err != nil {
				t.Fatal(err)
			}
			created, err := a.CreateWebhook(context.Background(), ent.ID, webhook.EndpointInput{URL: rc.URL + "/hook"})
			if err != nil {
				t.Fatal(err)
			}
			d, err := a.PingWebhook(context.Background(), ent.ID, created.Endpoint.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Wait until attempt 1 is recorded (failed, retry scheduled), then kill at once.
			deadline := time.Now().Add(20 * time.Second)
			for {
				dd, err := a.WebhookDelivery(context.Background(), ent.ID, d.ID)
				if err == nil && len(dd.Attempts) == 1 && dd.Attempts[0].Outcome == webhook.OutcomeFailed {
					if dd.Delivery.State != webhook.StatePending || dd.Delivery.NextAt.IsZero() {
						t.Fatalf("after a failed first attempt: %+v", dd.Delivery)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("attempt 1 not recorded: %+v %v", dd, err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			srv.kill()
			mu.Lock()
			before := len(got)
			mu.Unlock()
			if before != 1 {
				t.Fatalf("receiver had %d requests before the kill, want 1", before)
			}
			srv.start()
			deadline = time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n >= 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("second attempt never arrived after the restart")
				}
				time.Sleep(20 * time.Millisecond)
			}
			// Give a wrongly repeated attempt time to show up.
			time.Sleep(1500 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 2 {
				t.Fatalf("receiver got %d requests, want 2", len(got))
			}
			for i, r := range got {
				m := hmac.New(sha256.New, []byte(created.Secret))
				io.WriteString(m, r.h.Get(webhook.HeaderTimestamp)+".")
				m.Write(r.body)
				if r.h.Get(webhook.HeaderSignature) != "v1="+hex.EncodeToString(m.Sum(nil)) {
					t.Errorf("request %d: bad signature", i)
				}
				if r.h.Get(webhook.HeaderAttempt) != fmt.Sprint(i+1) || r.h.Get(webhook.HeaderDelivery) != d.ID ||
					r.h.Get(webhook.HeaderEventID) != got[0].h.Get(webhook.HeaderEventID) {
					t.Errorf("request %d headers %v", i, r.h)
				}
			}
			if len(accepted) != 1 || accepted[got[0].h.Get(webhook.HeaderEventID)] != 1 {
				t.Errorf("accepted %v, want the event once", accepted)
			}
			dd, err := a.WebhookDelivery(context.Background(), ent.ID, d.ID)
			if err != nil || dd.Delivery.State != webhook.StateSucceeded || len(dd.Attempts) != 2 || dd.Attempts[1].Status != 200 {
				t.Fatalf("delivery log after restart: %+v %v", dd, err)
			}
		})
	}
}
