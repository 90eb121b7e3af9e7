package gate

import (
	"context"
	"errors"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"
)

// At most Slots callers are inside at once; beyond Slots+Queue callers are refused at once, and
// queued ones give up after Wait.
func TestGateBounds(t *testing.T) {
	g := New(&Options{Slots: 3, Queue: 2, Wait: 50 * time.Millisecond})
	var inside, peak atomic.Int64
	var busy atomic.Int64
	var wg stdsync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := g.Enter(context.Background())
			if errors.Is(err, ErrBusy) {
				busy.Add(1)
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(200 * time.Millisecond)
			inside.Add(-1)
			release()
		}()
	}
	wg.Wait()
	if peak.Load() != 3 {
		t.Errorf("peak inside %d, want 3", peak.Load())
	}
	st := g.Stats()
	if st.Entered != 3 || st.Refused != 37 || busy.Load() != 37 || st.Inside != 0 {
		t.Errorf("stats %+v, busy %d; want 3 entered, 37 refused", st, busy.Load())
	}
	// Free again: the next caller gets in at once.
	release, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release()
}

func TestSlotsFor(t *testing.T) {
	for _, c := range []struct {
		budget, per int64
		limit, want int
	}{
		{1 << 30, 19 << 20, 0, 13},
		{1 << 30, 19 << 20, 4, 4},
		{10 << 20, 19 << 20, 8, 1},
	} {
		if got := SlotsFor(c.budget, c.per, c.limit); got != c.want {
			t.Errorf("SlotsFor(%d, %d, %d) = %d, want %d", c.budget, c.per, c.limit, got, c.want)
		}
	}
	if MemoryBudget() <= 0 {
		t.Error("no memory budget")
	}
}

// With Rest, a released slot stays taken for Rest × the time it was held: the caller goes on
// at once, the next one waits.
func TestGateRest(t *testing.T) {
	g := New(&Options{Slots: 1, Queue: 1, Wait: 20 * time.Millisecond, Rest: 1})
	release, err := g.Enter(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	t0 := time.Now()
	release()
	// waiting for the rest would take its 150 ms; a loaded machine may take some ms anyway
	if time.Since(t0) > 100*time.Millisecond {
		t.Error("release waited for the rest")
	}
	if _, err := g.Enter(context.Background()); !errors.Is(err, ErrBusy) {
		t.Fatalf("entered during the rest: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	release, err = g.Enter(context.Background())
	if err != nil {
		t.Fatalf("after the rest: %v", err)
	}
	release()
}
