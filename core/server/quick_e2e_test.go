package server_test

import (
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/envelope"
	"sealdesk/core/sync"
)

// 首页's 快捷入口 on the server (issue 22): 即将截止签约 counts and lists the contracts still being
// signed whose signing deadline is within the window, 即将过期 those being signed or completed
// whose 合同到期日 is; contracts outside the window, without the date, withdrawn or of someone
// else are not there. 合同金额 travels with the contract; bad amounts and dates are refused in
// Chinese naming the limit, and nothing is sent.
func TestQuickListsDueAndExpiring(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			a, b, c := newParty(t, e, "王菲菲"), newParty(t, e, "李四"), newParty(t, e, "孟良华")
			files := []client.NamedFile{{Name: "a.pdf", Data: pdfBytes(t, 1, "quick")}}
			refs, err := a.c.UploadFiles(ctx, files)
			if err != nil {
				t.Fatal(err)
			}
			now := e.clock.Now()
			day := 24 * time.Hour
			send := func(p *party, subject string, to *party, req api.EnvelopeRequest) api.Envelope {
				t.Helper()
				req.Subject, req.Files, req.Recipients = subject, refs, []api.Recipient{person(to)}
				if p != a {
					r, err := p.c.UploadFiles(ctx, files)
					if err != nil {
						t.Fatal(err)
					}
					req.Files = r
				}
				env, err := p.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
				if err != nil {
					t.Fatalf("send %s: %v", subject, err)
				}
				return env
			}
			due2 := send(a, "截止两天", b, api.EnvelopeRequest{Deadline: now.Add(2 * day), Amount: 1234567})
			due10 := send(a, "截止十天", b, api.EnvelopeRequest{Deadline: now.Add(10 * day)})
			exp2 := send(a, "到期两天", b, api.EnvelopeRequest{ValidUntil: now.Add(2 * day)})
			send(a, "到期一月", b, api.EnvelopeRequest{ValidUntil: now.Add(30 * day)})
			send(a, "无日期", b, api.EnvelopeRequest{})
			gone := send(a, "已撤回", b, api.EnvelopeRequest{Deadline: now.Add(day), ValidUntil: now.Add(day)})
			if _, err := a.c.Withdraw(ctx, client.NewIdempotencyKey(), gone.ID, "不要了"); err != nil {
				t.Fatal(err)
			}
			done := send(a, "已完成到期一天", b, api.EnvelopeRequest{Deadline: now.Add(12 * time.Hour), ValidUntil: now.Add(day)})
			if done = signAll(t, e, b, done); done.Status != api.EnvelopeCompleted {
				t.Fatalf("after B signed: %s", done.Status)
			}
			// someone else's contract, inside both windows: not A's
			send(c, "别人的合同", b, api.EnvelopeRequest{Deadline: now.Add(day), ValidUntil: now.Add(day)})

			qc, err := a.c.QuickCounts(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := (api.QuickCounts{Days: 3, All: 7, ToSign: 0, DueSoon: 1, Waiting: 5, Expiring: 2}); qc != want {
				t.Errorf("A's quick counts %+v, want %+v", qc, want)
			}
			// A contract sent before the date index existed (no Due entries, no index keys) joins
			// it through BackfillDue, once.
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				var raw map[string]any
				if err := sync.GetJSON(tx, envelope.BucketEnvelopes, due2.ID, &raw); err != nil {
					return err
				}
				delete(raw, "due")
				var keys []string
				if err := tx.Scan(envelope.BucketDue, "", "", 0, func(k string, _ []byte) error {
					if strings.HasSuffix(k, "|"+due2.ID) {
						keys = append(keys, k)
					}
					return nil
				}); err != nil {
					return err
				}
				for _, k := range keys {
					if err := tx.Delete(envelope.BucketDue, k); err != nil {
						return err
					}
				}
				return sync.PutJSON(tx, envelope.BucketEnvelopes, due2.ID, raw)
			}); err != nil {
				t.Fatal(err)
			}
			if old, _ := a.c.QuickCounts(ctx, 0); old.DueSoon != 0 {
				t.Fatalf("the old-style record is still indexed: %+v", old)
			}
			if n, err := e.run.Server.Envelopes().BackfillDue(ctx); err != nil || n != 1 {
				t.Fatalf("backfill: %d %v", n, err)
			}
			if n, err := e.run.Server.Envelopes().BackfillDue(ctx); err != nil || n != 0 {
				t.Fatalf("backfill again: %d %v", n, err)
			}
			if qc, _ := a.c.QuickCounts(ctx, 0); qc.DueSoon != 1 {
				t.Errorf("after the backfill: %+v", qc)
			}
			qb, _ := b.c.QuickCounts(ctx, 0)
			if want := (api.QuickCounts{Days: 3, All: 8, ToSign: 6, DueSoon: 2, Waiting: 0, Expiring: 3}); qb != want {
				t.Errorf("B's quick counts %+v, want %+v", qb, want)
			}
			if q15, _ := a.c.QuickCounts(ctx, 15); q15.DueSoon != 2 || q15.Expiring != 2 || q15.Days != 15 {
				t.Errorf("A over 15 days: %+v", q15)
			}
			subjects := func(l api.EnvelopeList) string {
				var s []string
				for _, it := range l.Items {
					s = append(s, it.Subject)
				}
				return strings.Join(s, ",")
			}
			l, err := a.c.Envelopes(ctx, client.ListOptions{Filter: api.FilterDueSoon})
			if err != nil || subjects(l) != "截止两天" || l.Filter != api.FilterDueSoon || l.Days != 3 || l.Counts[api.BoxWaiting] != 5 {
				t.Errorf("A's 即将截止签约: %q %+v %v", subjects(l), l, err)
			}
			if len(l.Items) == 1 && (l.Items[0].ID != due2.ID || l.Items[0].Box != api.BoxWaiting || l.Items[0].Amount != 1234567) {
				t.Errorf("A's due line: %+v", l.Items[0])
			}
			if l, _ := a.c.Envelopes(ctx, client.ListOptions{Filter: api.FilterDueSoon, Days: 30}); subjects(l) != "截止两天,截止十天" || l.Items[1].ID != due10.ID {
				t.Errorf("A's 即将截止签约 over 30 days (soonest first): %q", subjects(l))
			}
			l, _ = a.c.Envelopes(ctx, client.ListOptions{Filter: api.FilterExpiring})
			if subjects(l) != "已完成到期一天,到期两天" || l.Items[0].Box != api.BoxCompleted || l.Items[1].ID != exp2.ID {
				t.Errorf("A's 即将过期: %q", subjects(l))
			}
			// pages of one
			p1, _ := a.c.Envelopes(ctx, client.ListOptions{Filter: api.FilterExpiring, Limit: 1})
			p2, _ := a.c.Envelopes(ctx, client.ListOptions{Filter: api.FilterExpiring, Limit: 1, After: p1.Next})
			if subjects(p1) != "已完成到期一天" || p1.Next == "" || subjects(p2) != "到期两天" || p2.Next != "" {
				t.Errorf("pages: %q next %q, %q next %q", subjects(p1), p1.Next, subjects(p2), p2.Next)
			}
			if l, _ := b.c.Envelopes(ctx, client.ListOptions{Filter: api.FilterDueSoon, Query: "别人"}); subjects(l) != "别人的合同" {
				t.Errorf("B's 即将截止签约 searched: %q", subjects(l))
			}
			// The window moves with time: two and a half days later 截止两天 has passed and
			// 截止十天 is still a week away.
			e.clock.Advance(2*day + 12*time.Hour)
			if qc, _ := a.c.QuickCounts(ctx, 0); qc.DueSoon != 0 || qc.Expiring != 0 {
				t.Errorf("A later: %+v", qc)
			}
			if qc, _ := a.c.QuickCounts(ctx, 8); qc.DueSoon != 1 {
				t.Errorf("A later over 8 days: %+v", qc)
			}
			// The detail carries 合同金额 and 合同到期日.
			d, _ := a.c.Envelope(ctx, due2.ID)
			if d.Amount != 1234567 {
				t.Errorf("detail amount %d", d.Amount)
			}
			if d, _ := b.c.Envelope(ctx, exp2.ID); d.ValidUntil.IsZero() {
				t.Errorf("detail without 合同到期日")
			}
			// Bad input.
			_, err = a.c.QuickCounts(ctx, api.MaxDueDays+1)
			wantCode(t, err, "bad_days")
			_, err = a.c.Envelopes(ctx, client.ListOptions{Filter: "later"})
			wantCode(t, err, "bad_filter")
			now = e.clock.Now()
			before, _ := a.c.QuickCounts(ctx, 0)
			for _, tc := range []struct {
				req  api.EnvelopeRequest
				code string
				says string
			}{
				{api.EnvelopeRequest{Amount: -1}, "bad_amount", "不能为负数"},
				{api.EnvelopeRequest{Amount: api.MaxAmount + 1}, "amount_too_large", "999,999,999,999.99"},
				{api.EnvelopeRequest{ValidUntil: now.Add(-time.Hour)}, "bad_valid_until", "晚于现在"},
				{api.EnvelopeRequest{Deadline: now.Add(2 * day), ValidUntil: now.Add(day)}, "bad_valid_until", "签署截止时间"},
			} {
				req := tc.req
				req.Subject, req.Files, req.Recipients = "坏金额", refs, []api.Recipient{person(b)}
				_, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
				if wantCode(t, err, tc.code); !strings.Contains(err.Error(), tc.says) {
					t.Errorf("%s: %v does not say %q", tc.code, err, tc.says)
				}
			}
			if after, _ := a.c.QuickCounts(ctx, 0); after != before {
				t.Errorf("refused sends changed the counts: %+v → %+v", before, after)
			}
			// The largest amount goes.
			if env := send(a, "最大金额", b, api.EnvelopeRequest{Amount: api.MaxAmount}); env.Amount != api.MaxAmount {
				t.Errorf("largest amount: %d", env.Amount)
			}
		})
	}
}
