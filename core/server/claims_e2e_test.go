package server_test

import (
	"fmt"
	"testing"

	"sealdesk/core/webhook"
)

// Red team s5, F8 (write skew): bounds checked by counting and then inserting hold when the
// requests come at once — on PostgreSQL (snapshot isolation) too, where before 13 webhook
// endpoints passed a bound of 10 and 52 API keys a bound of 50. Each such transaction (webhook
// endpoints, API keys, approval rules, archive folders, templates, unverified enterprises) now
// writes its bound's sync.Claim key, so two at once conflict and the retried one counts; the
// webhook endpoints stand for them here (the API keys took 8 s a run for the same check).
func TestCountedBoundsHoldInParallelE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			a := e.register(t, newPhone())
			ent, err := a.CreateEnterprise(ctx, "杭州并发上限有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			parallel := func(n int, create func(i int) error) (ok int, errs []error) {
				ch := make(chan error, n)
				for i := 0; i < n; i++ {
					go func() { ch <- create(i) }()
				}
				for i := 0; i < n; i++ {
					if err := <-ch; err == nil {
						ok++
					} else {
						errs = append(errs, err)
					}
				}
				return ok, errs
			}
			ok, errs := parallel(webhook.MaxEndpoints+8, func(i int) error {
				_, err := a.CreateWebhook(ctx, ent.ID, webhook.EndpointInput{URL: fmt.Sprintf("https://example.com/hook%d", i)})
				return err
			})
			for _, err := range errs {
				wantCode(t, err, "too_many_webhooks")
			}
			if l, err := a.Webhooks(ctx, ent.ID); ok != webhook.MaxEndpoints || err != nil || len(l.Endpoints) != webhook.MaxEndpoints {
				t.Errorf("webhooks: %d created, %d listed (%v), want %d", ok, len(l.Endpoints), err, webhook.MaxEndpoints)
			}
		})
	}
}
