package envelope

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/org"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres/pgtest"
)

// seed stores n in-progress envelopes sent by sender to recipient (directly through save, as a
// send would after preparing its documents), 500 per transaction.
func seed(t testing.TB, s *Service, sender, recipient org.Account, n int) {
	now := time.Now().UTC()
	for i := 0; i < n; i += 500 {
		err := s.Store.Update(context.Background(), func(tx sync.Tx) error {
			for j := i; j < min(n, i+500); j++ {
				r := &record{SenderKey: accountKey(sender)}
				r.ID = fmt.Sprintf("env_seed%06d", j)
				r.Subject = fmt.Sprintf("合同%05d", j)
				r.Status, r.Order, r.SenderID, r.SenderName = api.EnvelopeInProgress, api.OrderSequential, sender.ID, sender.Name
				r.Updated = now.Add(time.Duration(j) * time.Second)
				r.Recipients = []api.RecipientState{{Recipient: api.Recipient{Kind: api.RecipientPerson, Name: recipient.Name, Phone: recipient.Phone},
					State: api.RecipientToSign, Prefix: "R1."}}
				r.Parties = []party{{Key: accountKey(recipient), Required: []int{0}}}
				if _, err := s.save(tx, r, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A page of a 10,000-contract box: the p99 of 200 page reads (first pages, deep pages through
// the cursor, and a search) ≤ 50 ms on PostgreSQL (bolt too). Counts stay exact. The full
// 10,000 and the latency target under SEALDESK_LONG=1; otherwise 2,000 and the p99 is logged.
func TestListPageP99(t *testing.T) {
	n := 2000
	if os.Getenv("SEALDESK_LONG") != "" {
		n = 10000
	}
	for name, open := range map[string]func(t *testing.T) sync.Store{
		"bolt": func(t *testing.T) sync.Store {
			st, err := bolt.Open(filepath.Join(t.TempDir(), "e.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
		"postgres": func(t *testing.T) sync.Store { return pgtest.Open(t) },
	} {
		t.Run(name, func(t *testing.T) {
			s := &Service{Store: open(t)}
			sender := org.Account{ID: "acct_a", Name: "王菲菲", Phone: "13900000001"}
			rcpt := org.Account{ID: "acct_b", Name: "李四", Phone: "13900000002"}
			t0 := time.Now()
			seed(t, s, sender, rcpt, n)
			t.Logf("seeded %d envelopes in %v", n, time.Since(t0))
			ctx := context.Background()
			var lat []time.Duration
			after := ""
			for i := 0; i < 200; i++ {
				t1 := time.Now()
				l, err := s.List(ctx, Actor{Account: rcpt}, api.BoxToSign, "", after, 20)
				lat = append(lat, time.Since(t1))
				if err != nil || len(l.Items) != 20 || l.Counts[api.BoxToSign] != n {
					t.Fatalf("page %d: %d items, counts %v, %v", i, len(l.Items), l.Counts, err)
				}
				if i%3 == 0 {
					after = l.Next // walk deeper
				}
				if i > 0 && i%50 == 0 {
					after = ""
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
			t.Logf("%s: a page of 20 of %d in 待我签: p50 %v, p99 %v", name, n, p50, p99)
			// The target is judged in the long run only (make test-long): a timed check in the
			// default run fails whenever the machine is busy (p99 112 ms once at load 20).
			if p99 > 50*time.Millisecond && os.Getenv("SEALDESK_LONG") != "" {
				t.Errorf("p99 %v > 50 ms", p99)
			}
			// The sender's 待他人签 and a search.
			l, err := s.List(ctx, Actor{Account: sender}, api.BoxWaiting, "合同00042", "", 20)
			if err != nil || len(l.Items) != 1 || l.Counts[api.BoxWaiting] != n {
				t.Errorf("search: %d items, %v, %v", len(l.Items), l.Counts, err)
			}
		})
	}
}
