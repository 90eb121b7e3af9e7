package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/sync"
	"sealdesk/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sync.Store {
		s, err := Open(filepath.Join(t.TempDir(), "sub", "sealdesk.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func openTemp(t *testing.T) *Store {
	s, err := Open(filepath.Join(t.TempDir(), "g.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// queued waits until n Update calls wait for the next transaction.
func queued(t *testing.T, s *Store, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		k := len(s.pending)
		s.mu.Unlock()
		if k >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("fewer than %d updates queued", n)
}

// Updates that arrive while a transaction is in flight share the next one: a stalled commit is
// followed by one commit for everything that queued behind it, not one per caller.
func TestGroupCommitCoalescesWhileBusy(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{})
	var wg stdsync.WaitGroup
	errs := make(chan error, 100)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- s.Update(ctx, func(tx sync.Tx) error {
			close(started)
			<-release // a slow transaction (as under a stalled fsync)
			return tx.Put("b", "first", []byte("1"))
		})
	}()
	<-started
	const n = 50
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx sync.Tx) error { return tx.Put("b", fmt.Sprintf("k%02d", i), []byte("v")) })
		}()
	}
	queued(t, s, n)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := s.Stats(); st.Commits != 2 || st.Updates != n+1 || st.Reruns != 0 {
		t.Fatalf("stats %+v, want 2 commits for %d updates", st, n+1)
	}
	count := 0
	s.View(ctx, func(tx sync.Tx) error {
		return tx.Scan("b", "", "", 0, func(string, []byte) error { count++; return nil })
	})
	if count != n+1 {
		t.Fatalf("%d keys committed, want %d", count, n+1)
	}
}

// A function that fails inside a shared transaction gets its own answer (from a run on its own,
// after the others committed), the others commit, and a panic is one caller's error.
func TestGroupCommitFailureIsolation(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{})
	go s.Update(ctx, func(tx sync.Tx) error { close(started); <-release; return nil })
	<-started
	var wg stdsync.WaitGroup
	results := make([]error, 4)
	fns := []func(tx sync.Tx) error{
		func(tx sync.Tx) error { return tx.Put("b", "x", []byte("a")) },
		func(tx sync.Tx) error { return tx.Insert("b", "x", []byte("b")) }, // x exists once the first ran
		func(tx sync.Tx) error { panic("boom") },
		func(tx sync.Tx) error { return tx.Put("b", "y", []byte("c")) },
	}
	for i, fn := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = s.Update(ctx, fn) }()
		queued(t, s, i+1) // keep the order of the group
	}
	close(release)
	wg.Wait()
	if results[0] != nil || results[3] != nil {
		t.Fatalf("healthy updates failed: %v", results)
	}
	if !errors.Is(results[1], sync.ErrExists) {
		t.Fatalf("insert of an existing key: %v, want ErrExists", results[1])
	}
	if results[2] == nil || !strings.Contains(results[2].Error(), "boom") {
		t.Fatalf("panicking update: %v", results[2])
	}
	s.View(ctx, func(tx sync.Tx) error {
		for k, want := range map[string]string{"x": "a", "y": "c"} {
			if v, err := tx.Get("b", k); err != nil || string(v) != want {
				t.Errorf("%s = %q, %v; want %q", k, v, err, want)
			}
		}
		return nil
	})
	if st := s.Stats(); st.Reruns != 2 {
		t.Fatalf("stats %+v, want the two failing functions re-run alone", st)
	}
}

// BenchmarkUpdateParallel measures fsynced Updates from many goroutines (as the server's command
// handlers make them) and reports how many shared one commit.
func BenchmarkUpdateParallel(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(50)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if err := s.Update(ctx, func(tx sync.Tx) error {
				return tx.Put("bench", fmt.Sprintf("k%09d", i), make([]byte, 300))
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	st := s.Stats()
	b.ReportMetric(float64(st.Updates)/float64(max(st.Commits, 1)), "updates/commit")
}
