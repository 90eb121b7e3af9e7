// Package storetest is the one conformance suite every core/sync.Store implementation passes
// (store/bolt, store/postgres): key-value semantics, byte-ordered scans, rollback, gap-free
// per-scope sequences under concurrency, read-modify-write without lost updates, and exactly-once command
// application. It only tests; it implements nothing.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/sync"
)

// Open returns a new, empty store; the suite closes it.
type Open func(t *testing.T) sync.Store

// Run runs the suite.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, sync.Store)
	}{
		{"KV", testKV},
		{"Scan", testScan},
		{"Rollback", testRollback},
		{"Events", testEvents},
		{"Limits", testLimits},
		{"ConcurrentCounter", testConcurrentCounter},
		{"ConcurrentInsert", testConcurrentInsert},
		{"ConcurrentAppend", testConcurrentAppend},
		{"CommandExactlyOnce", testCommandExactlyOnce},
		{"IdempotencyKey", testIdempotencyKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

func update(t *testing.T, s sync.Store, fn func(sync.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("update: %v", err)
	}
}

func view(t *testing.T, s sync.Store, fn func(sync.Tx) error) {
	t.Helper()
	if err := s.View(ctx, fn); err != nil {
		t.Fatalf("view: %v", err)
	}
}

func testKV(t *testing.T, s sync.Store) {
	view(t, s, func(tx sync.Tx) error {
		if _, err := tx.Get("b", "missing"); !errors.Is(err, sync.ErrNotFound) {
			t.Errorf("get in a missing bucket: %v, want ErrNotFound", err)
		}
		return nil
	})
	binKey := "k\x00\xff\x01"
	update(t, s, func(tx sync.Tx) error {
		if err := tx.Put("b", "a", []byte("1")); err != nil {
			return err
		}
		if err := tx.Put("b", binKey, []byte{0, 1, 2}); err != nil {
			return err
		}
		if err := tx.Put("b", "empty", nil); err != nil {
			return err
		}
		// Reads see the transaction's own writes.
		if v, err := tx.Get("b", "a"); err != nil || string(v) != "1" {
			t.Errorf("read own write: %q %v", v, err)
		}
		if err := tx.Insert("b", "a", []byte("2")); !errors.Is(err, sync.ErrExists) {
			t.Errorf("insert over existing: %v, want ErrExists", err)
		}
		// The transaction stays usable after ErrExists.
		return tx.Insert("b", "c", []byte("3"))
	})
	view(t, s, func(tx sync.Tx) error {
		for k, want := range map[string][]byte{"a": []byte("1"), binKey: {0, 1, 2}, "empty": {}, "c": []byte("3")} {
			v, err := tx.Get("b", k)
			if err != nil || !bytes.Equal(v, want) {
				t.Errorf("get %q: %q %v, want %q", k, v, err, want)
			}
		}
		if _, err := tx.Get("other", "a"); !errors.Is(err, sync.ErrNotFound) {
			t.Errorf("buckets are not separate: %v", err)
		}
		return nil
	})
	update(t, s, func(tx sync.Tx) error {
		if err := tx.Put("b", "a", []byte("overwritten")); err != nil {
			return err
		}
		if err := tx.Delete("b", "c"); err != nil {
			return err
		}
		return tx.Delete("b", "never-existed")
	})
	view(t, s, func(tx sync.Tx) error {
		if v, _ := tx.Get("b", "a"); string(v) != "overwritten" {
			t.Errorf("overwrite: %q", v)
		}
		if _, err := tx.Get("b", "c"); !errors.Is(err, sync.ErrNotFound) {
			t.Errorf("deleted key still there: %v", err)
		}
		return nil
	})
}

func testScan(t *testing.T, s sync.Store) {
	keys := []string{"p/b", "p/a", "p/\xff", "p/a\x00", "q/a", "p", "o/z", "p/c"}
	update(t, s, func(tx sync.Tx) error {
		for _, k := range keys {
			if err := tx.Put("s", k, []byte("v"+k)); err != nil {
				return err
			}
		}
		return nil
	})
	scan := func(prefix, after string, limit int) []string {
		var got []string
		view(t, s, func(tx sync.Tx) error {
			return tx.Scan("s", prefix, after, limit, func(k string, v []byte) error {
				if string(v) != "v"+k {
					t.Errorf("scan value of %q: %q", k, v)
				}
				got = append(got, k)
				return nil
			})
		})
		return got
	}
	cases := []struct {
		prefix, after string
		limit         int
		want          []string
	}{
		{"p/", "", 0, []string{"p/a", "p/a\x00", "p/b", "p/c", "p/\xff"}},
		{"p/", "p/a", 0, []string{"p/a\x00", "p/b", "p/c", "p/\xff"}},
		{"p/", "p/a", 2, []string{"p/a\x00", "p/b"}},
		{"", "", 0, []string{"o/z", "p", "p/a", "p/a\x00", "p/b", "p/c", "p/\xff", "q/a"}},
		{"", "p/c", 0, []string{"p/\xff", "q/a"}},
		{"p/", "a", 1, []string{"p/a"}},
		{"r", "", 0, nil},
	}
	for _, c := range cases {
		if got := scan(c.prefix, c.after, c.limit); !slices.Equal(got, c.want) {
			t.Errorf("scan(%q, %q, %d) = %q, want %q", c.prefix, c.after, c.limit, got, c.want)
		}
	}
	var n int
	view(t, s, func(tx sync.Tx) error {
		return tx.Scan("s", "", "", 0, func(string, []byte) error {
			n++
			if n == 3 {
				return sync.ErrStopScan
			}
			return nil
		})
	})
	if n != 3 {
		t.Errorf("ErrStopScan: visited %d", n)
	}
	view(t, s, func(tx sync.Tx) error {
		return tx.Scan("no-such-bucket", "", "", 0, func(string, []byte) error {
			t.Error("scan of a missing bucket visited a key")
			return nil
		})
	})
}

func testRollback(t *testing.T, s sync.Store) {
	update(t, s, func(tx sync.Tx) error {
		_, err := tx.Append(sync.Event{Scope: "r", Type: "t"})
		return err
	})
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx sync.Tx) error {
		if err := tx.Put("b", "k", []byte("v")); err != nil {
			return err
		}
		if _, err := tx.Append(sync.Event{Scope: "r", Type: "t"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("update error: %v, want the function's error", err)
	}
	var e sync.Event
	update(t, s, func(tx sync.Tx) error {
		if _, err := tx.Get("b", "k"); !errors.Is(err, sync.ErrNotFound) {
			t.Errorf("rolled-back write visible: %v", err)
		}
		var err error
		e, err = tx.Append(sync.Event{Scope: "r", Type: "t"})
		return err
	})
	if e.Seq != 2 {
		t.Errorf("sequence after a rolled-back append: %d, want 2 (no gaps)", e.Seq)
	}
}

func testEvents(t *testing.T, s sync.Store) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 123456000, time.UTC)
	update(t, s, func(tx sync.Tx) error {
		for i := 1; i <= 5; i++ {
			for _, scope := range []string{"user:a", "user:b"} {
				e, err := tx.Append(sync.Event{Scope: scope, Type: "x.changed", Time: at, Actor: "a", CommandID: fmt.Sprint("c", i),
					Payload: json.RawMessage(fmt.Sprintf(`{"i":%d,"s":"中文"}`, i))})
				if err != nil {
					return err
				}
				if e.Seq != uint64(i) {
					t.Errorf("%s event %d got seq %d", scope, i, e.Seq)
				}
			}
		}
		if n, err := tx.LastSeq("user:a"); err != nil || n != 5 {
			t.Errorf("LastSeq inside the transaction: %d %v", n, err)
		}
		return nil
	})
	view(t, s, func(tx sync.Tx) error {
		all, err := tx.Events("user:a", 0, 0)
		if err != nil || len(all) != 5 {
			t.Fatalf("events: %d %v", len(all), err)
		}
		e := all[2]
		var p struct {
			I int
			S string
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.I != 3 || p.S != "中文" {
			t.Errorf("payload: %s %v", e.Payload, err)
		}
		if e.Scope != "user:a" || e.Seq != 3 || e.Type != "x.changed" || e.Actor != "a" || e.CommandID != "c3" || !e.Time.Equal(at) {
			t.Errorf("event fields: %+v", e)
		}
		page, err := tx.Events("user:a", 2, 2)
		if err != nil || len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
			t.Errorf("events since 2 limit 2: %+v %v", page, err)
		}
		if none, err := tx.Events("user:a", 5, 0); err != nil || len(none) != 0 {
			t.Errorf("events past the end: %v %v", none, err)
		}
		if none, err := tx.Events("user:nobody", 0, 0); err != nil || len(none) != 0 {
			t.Errorf("events of an empty scope: %v %v", none, err)
		}
		if n, err := tx.LastSeq("user:nobody"); err != nil || n != 0 {
			t.Errorf("LastSeq of an empty scope: %d %v", n, err)
		}
		return nil
	})
}

func testLimits(t *testing.T, s sync.Store) {
	long := string(bytes.Repeat([]byte("k"), sync.MaxKeyLen+1))
	err := s.Update(ctx, func(tx sync.Tx) error {
		for _, c := range []struct{ b, k string }{{"", "k"}, {"b", ""}, {"b", long}, {long, "k"}} {
			if err := tx.Put(c.b, c.k, []byte("v")); !errors.Is(err, sync.ErrBadKey) {
				t.Errorf("put(%.10q, %.10q): %v, want ErrBadKey", c.b, c.k, err)
			}
		}
		if _, err := tx.Append(sync.Event{Scope: "", Type: "t"}); !errors.Is(err, sync.ErrBadKey) {
			t.Errorf("append to empty scope: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{7}, 1<<20)
	update(t, s, func(tx sync.Tx) error { return tx.Put("b", "big", big) })
	view(t, s, func(tx sync.Tx) error {
		v, err := tx.Get("b", "big")
		if err != nil || !bytes.Equal(v, big) {
			t.Errorf("1 MiB value: %d bytes %v", len(v), err)
		}
		return nil
	})
}

const workers, perWorker = 8, 25

func testConcurrentCounter(t *testing.T, s sync.Store) {
	var wg stdsync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				err := s.Update(ctx, func(tx sync.Tx) error {
					var n int
					if err := sync.GetJSON(tx, "c", "n", &n); err != nil && !errors.Is(err, sync.ErrNotFound) {
						return err
					}
					return sync.PutJSON(tx, "c", "n", n+1)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	view(t, s, func(tx sync.Tx) error { return sync.GetJSON(tx, "c", "n", &n) })
	if n != workers*perWorker {
		t.Fatalf("counter = %d, want %d: lost updates", n, workers*perWorker)
	}
}

func testConcurrentInsert(t *testing.T, s sync.Store) {
	var wg stdsync.WaitGroup
	var mu stdsync.Mutex
	winners := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			won := false
			err := s.Update(ctx, func(tx sync.Tx) error {
				won = false
				err := tx.Insert("u", "unique", []byte("x"))
				if errors.Is(err, sync.ErrExists) {
					return nil
				}
				won = err == nil
				return err
			})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if won {
				winners++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d concurrent inserts of one key succeeded, want 1", winners)
	}
}

func testConcurrentAppend(t *testing.T, s sync.Store) {
	var wg stdsync.WaitGroup
	done := make(chan struct{})
	readerErr := make(chan error, 1)
	// A reader pulls with a cursor while writers append: it must see a contiguous sequence.
	go func() {
		var cursor uint64
		defer close(readerErr)
		for {
			var evs []sync.Event
			err := s.View(ctx, func(tx sync.Tx) error {
				var err error
				evs, err = tx.Events("hot", cursor, 0)
				return err
			})
			if err != nil {
				readerErr <- err
				return
			}
			for _, e := range evs {
				if e.Seq != cursor+1 {
					readerErr <- fmt.Errorf("reader saw seq %d after %d", e.Seq, cursor)
					return
				}
				cursor = e.Seq
			}
			select {
			case <-done:
				if cursor == workers*perWorker {
					return
				}
			default:
			}
			time.Sleep(time.Millisecond)
		}
	}()
	seen := make(chan uint64, workers*perWorker)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				var e sync.Event
				err := s.Update(ctx, func(tx sync.Tx) error {
					var err error
					e, err = tx.Append(sync.Event{Scope: "hot", Type: "t"})
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				seen <- e.Seq
			}
		}()
	}
	wg.Wait()
	close(done)
	close(seen)
	var got []uint64
	for s := range seen {
		got = append(got, s)
	}
	slices.Sort(got)
	for i, s := range got {
		if s != uint64(i+1) {
			t.Fatalf("sequence numbers not 1..%d without gaps or duplicates: position %d has %d", len(got), i, s)
		}
	}
	select {
	case err := <-readerErr:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("reader did not catch up")
	}
}

func testCommandExactlyOnce(t *testing.T, s sync.Store) {
	p := &sync.Processor{Store: s, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
	p.Register("note.add", func(_ context.Context, tx sync.Tx, a sync.Actor, c sync.Command, _ time.Time) (any, []sync.Event, error) {
		if string(c.Payload) == `"refuse"` {
			return nil, nil, sync.Refuse(http.StatusConflict, "nope", "不行")
		}
		return map[string]string{"ok": "yes"}, []sync.Event{{Type: "note.added", Payload: c.Payload}}, nil
	})
	cmd := sync.Command{Type: "note.add", Scope: "user:a", Payload: json.RawMessage(`"hello"`)}
	actor := sync.Actor{ID: "a"}
	var wg stdsync.WaitGroup
	outs := make(chan sync.Outcome, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := p.Apply(ctx, actor, "key-1", cmd)
			if err != nil {
				t.Error(err)
				return
			}
			outs <- o
		}()
	}
	wg.Wait()
	close(outs)
	var first []byte
	fresh := 0
	for o := range outs {
		if !o.Replayed {
			fresh++
		}
		if first == nil {
			first = o.Body
		} else if !bytes.Equal(first, o.Body) {
			t.Errorf("retries got different answers: %s vs %s", first, o.Body)
		}
	}
	if fresh != 1 {
		t.Errorf("%d applications of one idempotency key, want 1", fresh)
	}
	view(t, s, func(tx sync.Tx) error {
		evs, err := tx.Events("user:a", 0, 0)
		if err != nil || len(evs) != 1 || evs[0].CommandID != "key-1" || evs[0].Actor != "a" {
			t.Errorf("events after %d concurrent retries: %+v %v", workers, evs, err)
		}
		return nil
	})
	// The same key with another command is refused.
	_, err := p.Apply(ctx, actor, "key-1", sync.Command{Type: "note.add", Scope: "user:a", Payload: json.RawMessage(`"other"`)})
	var ref *sync.Refusal
	if !errors.As(err, &ref) || ref.Code != "idempotency_key_reused" {
		t.Errorf("reused key: %v", err)
	}
	// Another actor's identical key is a different command.
	if o, err := p.Apply(ctx, sync.Actor{ID: "b"}, "key-1", cmd); err != nil || o.Replayed {
		t.Errorf("other actor: %+v %v", o, err)
	}
	// A refusal is recorded and replayed, and applies nothing.
	rc := sync.Command{Type: "note.add", Scope: "user:a", Payload: json.RawMessage(`"refuse"`)}
	o1, err1 := p.Apply(ctx, actor, "key-2", rc)
	o2, err2 := p.Apply(ctx, actor, "key-2", rc)
	if err1 != nil || err2 != nil || o1.Status != http.StatusConflict || !o2.Replayed || !bytes.Equal(o1.Body, o2.Body) {
		t.Errorf("refusal: %+v %v / %+v %v", o1, err1, o2, err2)
	}
	view(t, s, func(tx sync.Tx) error {
		if n, _ := tx.LastSeq("user:a"); n != 2 {
			t.Errorf("LastSeq = %d, want 2 (one per applied command)", n)
		}
		return nil
	})
}

// Idempotency keys come from clients (the Idempotency-Key header): every store accepts exactly
// the printable-ASCII keys of 1–128 characters, and the processor refuses any other with a
// 400 before touching the store, whatever the store (a non-UTF-8 key once made PostgreSQL fail
// with a 500 while bbolt kept it).
func testIdempotencyKey(t *testing.T, s sync.Store) {
	p := &sync.Processor{Store: s, Now: time.Now}
	p.Register("note.add", func(_ context.Context, tx sync.Tx, a sync.Actor, c sync.Command, _ time.Time) (any, []sync.Event, error) {
		return nil, []sync.Event{{Type: "note.added", Payload: c.Payload}}, nil
	})
	cmd := sync.Command{Type: "note.add", Scope: "user:k", Payload: json.RawMessage(`"x"`)}
	long := string(bytes.Repeat([]byte("k"), sync.MaxIdempotencyKeyLen+1))
	bad := []string{"", "\xff\xfe", "caf\xc3\xa9", "k\x00y", "tab\there", "with space", "k\n", "\x7f", long, "键"}
	for _, k := range bad {
		_, err := p.Apply(ctx, sync.Actor{ID: "a"}, k, cmd)
		var ref *sync.Refusal
		if !errors.As(err, &ref) || ref.Status != http.StatusBadRequest || ref.Code != "bad_idempotency_key" {
			t.Errorf("key %.20q: %v, want a 400 bad_idempotency_key refusal", k, err)
		}
		err = s.Update(ctx, func(tx sync.Tx) error {
			_, err := tx.Append(sync.Event{Scope: "user:k", Type: "t", CommandID: k})
			if k == "" {
				return err // an event without a command is fine
			}
			if !errors.Is(err, sync.ErrBadKey) {
				t.Errorf("append with command id %.20q: %v, want ErrBadKey", k, err)
			}
			return nil
		})
		if err != nil {
			t.Errorf("append with command id %.20q: %v", k, err)
		}
	}
	good := []string{"k", "c1-2-abcdef", string(bytes.Repeat([]byte("~"), sync.MaxIdempotencyKeyLen)), "!#$%&'()*+,-./:;<=>?@[]^_`{|}"}
	for _, k := range good {
		if o, err := p.Apply(ctx, sync.Actor{ID: "a"}, k, cmd); err != nil || o.Status != http.StatusOK {
			t.Errorf("key %.20q: %+v %v", k, o, err)
		}
	}
	view(t, s, func(tx sync.Tx) error {
		evs, err := tx.Events("user:k", 0, 0)
		if err != nil {
			return err
		}
		n := 0
		for _, e := range evs {
			if e.CommandID != "" {
				n++
			}
		}
		if n != len(good) {
			t.Errorf("%d events with a command id, want %d (only the good keys)", n, len(good))
		}
		return nil
	})
}
