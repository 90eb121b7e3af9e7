package billing_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/billing"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/postgres/pgtest"
)

var ctx = context.Background()

// stores runs fn on a fresh bolt store and a fresh PostgreSQL schema.
func stores(t *testing.T, fn func(t *testing.T, s sync.Store)) {
	t.Run("bolt", func(t *testing.T) {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "b.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.Open(t)) })
}

func update(t *testing.T, s sync.Store, fn func(sync.Tx) error) error {
	t.Helper()
	return s.Update(ctx, fn)
}

func balance(t *testing.T, s sync.Store, o billing.Owner, now time.Time) billing.Balance {
	t.Helper()
	var b billing.Balance
	if err := s.View(ctx, func(tx sync.Tx) (err error) { b, err = billing.GetBalance(tx, o, now); return }); err != nil {
		t.Fatal(err)
	}
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestQuotaLifecycle(t *testing.T) {
	stores(t, func(t *testing.T, s sync.Store) {
		t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
		ent := billing.Enterprise("e1")
		// No quota: refused with the Chinese message, nothing written.
		err := update(t, s, func(tx sync.Tx) error {
			return billing.Reserve(tx, ent, "env0", billing.ChannelPortal, "劳动合同", t0)
		})
		var ref *sync.Refusal
		if !errors.As(err, &ref) || ref.Code != "quota_exhausted" || ref.Message != "余额不足，请先联系企业管理员进行充值" || ref.Status != 402 {
			t.Fatalf("reserve without quota: %v %+v", err, ref)
		}
		must(t, s.View(ctx, func(tx sync.Tx) error {
			if _, err := billing.GetReservation(tx, "env0"); !errors.Is(err, sync.ErrNotFound) {
				t.Errorf("refused reservation was stored: %v", err)
			}
			return nil
		}))
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Credit(tx, ent, "o1", 10, 365*24*time.Hour, t0) }))
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Credit(tx, ent, "o1", 10, 365*24*time.Hour, t0) })) // duplicate
		for i, env := range []string{"a", "b", "c"} {
			// Each twice: the second is a no-op.
			for range 2 {
				must(t, update(t, s, func(tx sync.Tx) error {
					return billing.Reserve(tx, ent, env, billing.ChannelPortal, fmt.Sprintf("合同%d", i), t0.Add(time.Duration(i)*time.Minute))
				}))
			}
		}
		if b := balance(t, s, ent, t0); b.Available != 7 || b.Reserved != 3 || b.Used != 0 || b.Purchased != 10 {
			t.Fatalf("after 3 reservations: %+v", b)
		}
		t1 := t0.Add(time.Hour)
		for range 3 {
			must(t, update(t, s, func(tx sync.Tx) error { return billing.Charge(tx, "a", t1) }))
			must(t, update(t, s, func(tx sync.Tx) error { return billing.Release(tx, "b", t1) }))
		}
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Release(tx, "a", t1) })) // after charge: no-op
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Charge(tx, "b", t1) }))  // after release: no-op
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Release(tx, "c", t1.Add(time.Hour)) }))
		if b := balance(t, s, ent, t1); b.Available != 9 || b.Reserved != 0 || b.Used != 1 {
			t.Fatalf("after charge and releases: %+v", b)
		}
		if err := update(t, s, func(tx sync.Tx) error { return billing.Charge(tx, "nope", t1) }); !errors.Is(err, billing.ErrNotReserved) {
			t.Errorf("charge of an unknown envelope: %v", err)
		}
		if err := update(t, s, func(tx sync.Tx) error {
			return billing.Reserve(tx, billing.Personal("u1"), "a", billing.ChannelPortal, "x", t1)
		}); !errors.Is(err, billing.ErrOwnerMismatch) {
			t.Errorf("reserve of the same envelope for another owner: %v", err)
		}
		var lines []billing.Entry
		must(t, s.View(ctx, func(tx sync.Tx) (err error) { lines, err = billing.Ledger(tx, ent, billing.LedgerFilter{}); return }))
		if len(lines) != 1 || lines[0].Envelope != "a" || lines[0].Count != 1 || lines[0].Subject != "合同0" || !lines[0].Time.Equal(t1) {
			t.Fatalf("ledger: %+v", lines)
		}
		// Events: credited, 3 reserved, charged, 2 released.
		must(t, s.View(ctx, func(tx sync.Tx) error {
			evs, err := tx.Events(string(ent), 0, 0)
			if err != nil {
				return err
			}
			var types []string
			for _, e := range evs {
				types = append(types, e.Type)
			}
			want := "[billing.credited billing.reserved billing.reserved billing.reserved billing.charged billing.released billing.released]"
			if fmt.Sprint(types) != want {
				t.Errorf("events %v, want %s", types, want)
			}
			return nil
		}))
	})
}

func TestQuotaExpiryAndLots(t *testing.T) {
	stores(t, func(t *testing.T, s sync.Store) {
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		p := billing.Personal("u1")
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Credit(tx, p, "long", 2, 100*24*time.Hour, t0) }))
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Credit(tx, p, "short", 1, 10*24*time.Hour, t0) }))
		// The lot expiring first is used first.
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Reserve(tx, p, "e1", billing.ChannelAPI, "s", t0) }))
		must(t, s.View(ctx, func(tx sync.Tx) error {
			r, err := billing.GetReservation(tx, "e1")
			if err != nil || len(r.Parts) != 1 || r.Parts[0].Lot != "short" {
				t.Errorf("reservation %+v %v, want lot short", r, err)
			}
			return nil
		}))
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Release(tx, "e1", t0) }))
		t20 := t0.Add(20 * 24 * time.Hour)
		if b := balance(t, s, p, t20); b.Available != 2 || b.Expired != 1 {
			t.Fatalf("after the short lot expired: %+v", b)
		}
		// A reservation needing more than one lot holds is refused.
		err := update(t, s, func(tx sync.Tx) error {
			return billing.ReserveDocs(tx, p, "e2", 3, billing.ChannelPortal, "s", t20)
		})
		var ref *sync.Refusal
		if !errors.As(err, &ref) || ref.Code != billing.CodeQuotaExhausted {
			t.Fatalf("3 documents with 2 available: %v", err)
		}
		must(t, update(t, s, func(tx sync.Tx) error { return billing.ReserveDocs(tx, p, "e2", 2, billing.ChannelPortal, "s", t20) }))
		if b := balance(t, s, p, t20); b.Available != 0 || b.Reserved != 2 {
			t.Fatalf("after reserving 2: %+v", b)
		}
		// A reservation spanning two lots: 1 + 2 of 3 available, charged and released per lot.
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Release(tx, "e2", t20) }))
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Credit(tx, p, "third", 1, 5*24*time.Hour, t20) }))
		must(t, update(t, s, func(tx sync.Tx) error { return billing.ReserveDocs(tx, p, "e3", 3, billing.ChannelPortal, "s", t20) }))
		must(t, s.View(ctx, func(tx sync.Tx) error {
			r, err := billing.GetReservation(tx, "e3")
			if err != nil || fmt.Sprint(r.Parts) != "[{third 1} {long 2}]" {
				t.Errorf("parts %+v %v, want the lot expiring first first", r.Parts, err)
			}
			return nil
		}))
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Charge(tx, "e3", t20) }))
		if b := balance(t, s, p, t20); b.Available != 0 || b.Reserved != 0 || b.Used != 3 {
			t.Fatalf("after charging across lots: %+v", b)
		}
	})
}

// TestQuotaConcurrent: 20 concurrent reservations against 5 documents: exactly 5 succeed.
func TestQuotaConcurrent(t *testing.T) {
	stores(t, func(t *testing.T, s sync.Store) {
		t0 := time.Now()
		o := billing.Enterprise("c")
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Credit(tx, o, "o", 5, time.Hour, t0) }))
		var wg stdsync.WaitGroup
		var mu stdsync.Mutex
		ok, refused := 0, 0
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.Update(ctx, func(tx sync.Tx) error {
					return billing.Reserve(tx, o, fmt.Sprint("env", i), billing.ChannelPortal, "s", t0)
				})
				mu.Lock()
				defer mu.Unlock()
				var ref *sync.Refusal
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ref):
					refused++
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if ok != 5 || refused != 15 {
			t.Fatalf("%d reserved, %d refused; want 5 and 15", ok, refused)
		}
		if b := balance(t, s, o, t0); b.Available != 0 || b.Reserved != 5 {
			t.Fatalf("%+v", b)
		}
	})
}

func TestLedgerFilter(t *testing.T) {
	stores(t, func(t *testing.T, s sync.Store) {
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		o := billing.Enterprise("l")
		must(t, update(t, s, func(tx sync.Tx) error { return billing.Credit(tx, o, "o", 100, 365*24*time.Hour, t0) }))
		for d := range 10 {
			ch := billing.ChannelPortal
			if d%3 == 0 {
				ch = billing.ChannelAPI
			}
			env := fmt.Sprint("d", d)
			must(t, update(t, s, func(tx sync.Tx) error {
				if err := billing.ReserveDocs(tx, o, env, d%2+1, ch, env, t0); err != nil {
					return err
				}
				return billing.Charge(tx, env, t0.Add(time.Duration(d)*24*time.Hour))
			}))
		}
		for _, tc := range []struct {
			f    billing.LedgerFilter
			want string
		}{
			{billing.LedgerFilter{}, "[d9 d8 d7 d6 d5 d4 d3 d2 d1 d0]"},
			{billing.LedgerFilter{From: t0.Add(2 * 24 * time.Hour), To: t0.Add(5 * 24 * time.Hour)}, "[d4 d3 d2]"},
			{billing.LedgerFilter{Channel: billing.ChannelAPI}, "[d9 d6 d3 d0]"},
			{billing.LedgerFilter{Channel: billing.ChannelPortal, From: t0.Add(24*time.Hour + 1)}, "[d8 d7 d5 d4 d2]"},
			{billing.LedgerFilter{Limit: 2}, "[d9 d8]"},
		} {
			var lines []billing.Entry
			must(t, s.View(ctx, func(tx sync.Tx) (err error) { lines, err = billing.Ledger(tx, o, tc.f); return }))
			var got []string
			for _, l := range lines {
				got = append(got, l.Envelope)
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("%+v: %v, want %s", tc.f, got, tc.want)
			}
		}
	})
}
