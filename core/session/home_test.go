package session_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/desktop"
)

// projectEnvelopes applies n envelope.changed events of account u (as the server writes them) to
// a desktop store's projection: box i%5 (to_sign, waiting, completed, draft, declined), every
// third with a deadline in 1 day, every seventh in 10 days; every fourth with a 合同到期日 in 2
// days, every eleventh in 20 days.
func projectEnvelopes(t testing.TB, st *desktop.Store, u string, n int, now time.Time) {
	t.Helper()
	boxes := []string{"to_sign", "waiting", "completed", "draft", "declined"}
	m, err := session.New(session.Options{Store: st.Sync()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	evs := make([]sync.Event, n)
	for i := range evs {
		ev := map[string]string{"id": fmt.Sprintf("e%06d", i), "box": boxes[i%5], "status": "in_progress", "updated": now.Format(time.RFC3339)}
		switch {
		case i%3 == 0:
			ev["deadline"] = now.Add(24 * time.Hour).Format(time.RFC3339)
		case i%7 == 0:
			ev["deadline"] = now.Add(240 * time.Hour).Format(time.RFC3339)
		}
		switch {
		case i%4 == 0:
			ev["valid_until"] = now.Add(48 * time.Hour).Format(time.RFC3339)
		case i%11 == 0:
			ev["valid_until"] = now.Add(480 * time.Hour).Format(time.RFC3339)
		}
		b, _ := json.Marshal(ev)
		evs[i] = sync.Event{Scope: org.Scope(u), Seq: uint64(i + 1), Type: "envelope.changed", Time: now, Payload: b}
	}
	p := m.Puller(func(_ context.Context, _ string, since uint64) ([]sync.Event, uint64, bool, error) {
		end := min(int(since)+1000, len(evs))
		return evs[since:end], uint64(end), end < len(evs), nil
	})
	if got, err := p.Sync(ctx, org.Scope(u)); err != nil || got != n {
		t.Fatal(got, err)
	}
}

func wantCounts(n int) session.ContractCounts {
	var c session.ContractCounts
	for i := 0; i < n; i++ {
		soon, ends := i%3 == 0, i%4 == 0
		switch i % 5 {
		case 0:
			c.ToSign++
		case 1:
			c.Waiting++
		}
		if soon && i%5 <= 1 {
			c.DueSoon++
		}
		if ends && i%5 <= 2 {
			c.Expiring++
		}
		if i%5 != 3 {
			c.All++
		}
	}
	return c
}

// The 快捷入口 counters come from the projection: per box, deadlines (即将截止签约: being signed)
// and 合同到期日 (即将过期: being signed or completed) within DueSoon only, drafts not in 所有合同,
// and another account's contracts not at all.
func TestCountContracts(t *testing.T) {
	st, _ := openLocal(t)
	defer st.Close()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	projectEnvelopes(t, st, "u_a", 100, now)
	projectEnvelopes(t, st, "u_b", 7, now)
	var got session.ContractCounts
	if err := st.Sync().View(ctx, func(tx sync.Tx) (err error) {
		got, err = session.CountContracts(tx, "u_a", now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := wantCounts(100); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if want := wantCounts(100); got.DueSoon == 0 || got.Expiring == 0 || got.Expiring == got.DueSoon {
		t.Errorf("the test data does not tell 即将截止签约 from 即将过期: %+v", want)
	}
	// After the deadlines passed nothing is due soon any more.
	st.Sync().View(ctx, func(tx sync.Tx) (err error) {
		got, err = session.CountContracts(tx, "u_a", now.Add(50*time.Hour))
		return err
	})
	if got.DueSoon != 0 || got.Expiring != 0 || got.ToSign != 20 {
		t.Errorf("two days later: %+v", got)
	}
}

// BenchmarkHomeCounts10000: 首页's counters over 10,000 projected contracts in the desktop's
// bbolt file (target ≤ 20 ms).
func BenchmarkHomeCounts10000(b *testing.B) {
	st, err := desktop.Open(filepath.Join(b.TempDir(), "d.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	projectEnvelopes(b, st, "u_a", 10000, now)
	want := wantCounts(10000)
	for b.Loop() {
		var got session.ContractCounts
		if err := st.Sync().View(ctx, func(tx sync.Tx) (err error) {
			got, err = session.CountContracts(tx, "u_a", now)
			return err
		}); err != nil || got != want {
			b.Fatal(got, err)
		}
	}
}
