// Package gate bounds how many expensive operations run at once in a process: password hashes
// (Argon2id takes 19 MiB each), timestamp and OCSP signatures, CSR parsing. Work over the bound
// waits a short moment for a free slot and is then turned away with ErrBusy, which the HTTP layer
// answers with 503 and Retry-After, so a flood of unauthenticated requests costs a bounded amount
// of memory and CPU instead of all of it.
//
// # What it refuses
//
// It does not queue without bound: at most Slots callers run and at most Queue wait; everyone
// else gets ErrBusy at once. It keeps no state another process needs (each process has its own
// budget of memory and CPU).
package gate

import (
	"bufio"
	"context"
	"errors"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ErrBusy is returned by Enter when every slot is taken and the wait is over.
var ErrBusy = errors.New("server busy")

// Gate is a counting semaphore with a bounded, time-limited wait.
type Gate struct {
	slots   chan struct{}
	queue   chan struct{}
	wait    time.Duration
	rest    float64
	entered atomic.Int64
	refused atomic.Int64
}

// Options size a Gate; nil means defaults.
type Options struct {
	// Slots is how many callers may be inside at once (default GOMAXPROCS).
	Slots int
	// Queue is how many callers may wait for a slot (default 4×Slots).
	Queue int
	// Wait is how long a caller waits for a slot before ErrBusy (default 200 ms).
	Wait time.Duration
	// Rest keeps a slot taken after its release for Rest times as long as the caller held it
	// (0: none), so CPU-bound work inside uses at most Slots/(1+Rest) CPUs however much of it
	// arrives; the caller itself does not wait for the rest.
	Rest float64
}

// New returns a gate.
func New(opts *Options) *Gate {
	if opts == nil {
		opts = &Options{}
	}
	o := *opts
	if o.Slots <= 0 {
		o.Slots = runtime.GOMAXPROCS(0)
	}
	if o.Queue <= 0 {
		o.Queue = 4 * o.Slots
	}
	if o.Wait <= 0 {
		o.Wait = 200 * time.Millisecond
	}
	return &Gate{slots: make(chan struct{}, o.Slots), queue: make(chan struct{}, o.Queue), wait: o.Wait, rest: o.Rest}
}

// Enter takes a slot, waiting at most the gate's wait (and never past ctx). On success the caller
// must call the returned release exactly once.
func (g *Gate) Enter(ctx context.Context) (release func(), err error) {
	var entered time.Time
	release = func() {
		if g.rest > 0 {
			if d := time.Duration(float64(time.Since(entered)) * g.rest); d > 0 {
				time.AfterFunc(d, func() { <-g.slots })
				return
			}
		}
		<-g.slots
	}
	defer func() { entered = time.Now() }()
	select {
	case g.slots <- struct{}{}:
		g.entered.Add(1)
		return release, nil
	default:
	}
	select {
	case g.queue <- struct{}{}:
	default:
		g.refused.Add(1)
		return nil, ErrBusy
	}
	defer func() { <-g.queue }()
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		g.entered.Add(1)
		return release, nil
	case <-t.C:
		g.refused.Add(1)
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stats counts what a gate let in and turned away since it was made.
type Stats struct {
	Entered, Refused int64
	Inside           int // slots taken now
}

// Stats returns the counters.
func (g *Gate) Stats() Stats {
	return Stats{Entered: g.entered.Load(), Refused: g.refused.Load(), Inside: len(g.slots)}
}

// Slots returns the gate's size.
func (g *Gate) Slots() int { return cap(g.slots) }

// MemoryBudget returns the memory this process may plan to use: the Go memory limit (GOMEMLIMIT)
// if one is set, else the cgroup's memory.max, else MemAvailable from /proc/meminfo, else 1 GiB.
func MemoryBudget() int64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l < 1<<62 {
		return l
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			return n
		}
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil && n > 0 {
					return n << 10
				}
			}
		}
	}
	return 1 << 30
}

// SlotsFor returns how many operations of perOp bytes each fit in a quarter of budget, at least 1
// and at most limit (limit <= 0: no upper bound besides the memory).
func SlotsFor(budget, perOp int64, limit int) int {
	n := int(budget / 4 / perOp)
	if limit > 0 && n > limit {
		n = limit
	}
	return max(n, 1)
}
