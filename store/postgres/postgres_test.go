package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	stdsync "sync"
	"testing"
	"time"

	"sealdesk/core/sync"
	"sealdesk/store/storetest"
)

// testDSN returns SEALDESK_TEST_POSTGRES; without it the test fails under CI and skips elsewhere.
func testDSN(t testing.TB) string {
	dsn := os.Getenv("SEALDESK_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("SEALDESK_TEST_POSTGRES is not set under CI")
		}
		t.Skip("SEALDESK_TEST_POSTGRES not set; skipping PostgreSQL tests")
	}
	return dsn
}

// OpenTest opens a store in a fresh schema dropped at the end of the test.
func openTest(t testing.TB) *Store {
	dsn := testDSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	s, err := Open(context.Background(), dsn, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		s.Close()
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) sync.Store { return nopClose{openTest(t)} })
}

// nopClose lets the suite close the store while the cleanup still drops the schema.
type nopClose struct{ *Store }

func (nopClose) Close() error { return nil }

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	dsn := testDSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "m_" + hex.EncodeToString(b[:])
	errs := make(chan error, 4)
	stores := make(chan *Store, 4)
	for i := 0; i < 4; i++ {
		go func() {
			s, err := Open(context.Background(), dsn, &Options{Schema: schema})
			errs <- err
			stores <- s
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
		if s := <-stores; s != nil {
			defer s.Close()
		}
	}
	s := openTest(t)
	var n int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM `+schema+`.schema_migrations`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("migrations recorded: %d %v", n, err)
	}
	s.pool.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
}

// Events committed through one store are announced to another store's watcher (another process
// in production); rolled-back appends are not.
func TestWatch(t *testing.T) {
	a := openTest(t)
	dsn := testDSN(t)
	var schema string
	a.pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema)
	b, err := Open(context.Background(), dsn, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 10)
	go b.Watch(ctx, func(scope string) {
		// Other packages' tests share the cluster and its notification channel: only this
		// test's scopes count, and the watcher never blocks on a full channel.
		if scope != "user:w" && scope != "user:rolled-back" {
			return
		}
		select {
		case got <- scope:
		default:
		}
	})
	time.Sleep(300 * time.Millisecond) // let LISTEN start
	a.Update(ctx, func(tx sync.Tx) error {
		_, err := tx.Append(sync.Event{Scope: "user:rolled-back", Type: "t"})
		if err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if err := a.Update(ctx, func(tx sync.Tx) error {
		_, err := tx.Append(sync.Event{Scope: "user:w", Type: "t"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "user:w" {
			t.Fatalf("watched %q, want user:w (a rolled-back append was announced?)", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
}

// Ping answers while the database does, and fails once the pool is closed (/healthz uses it).
func TestPing(t *testing.T) {
	dsn := testDSN(t)
	s, err := Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	s.Close()
	if err := s.Ping(context.Background()); err == nil {
		t.Fatal("ping after close succeeded")
	}
}

// Follow tells this process's callbacks of its own commits before Update returns (appends and
// touched scopes, never rolled-back ones), another process's through NOTIFY, and says when it
// listens.
func TestFollow(t *testing.T) {
	a := openTest(t)
	var schema string
	a.pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema)
	b, err := Open(context.Background(), testDSN(t), &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	// A failing check must not leave the follower holding a connection: closing the pool would
	// wait for it forever.
	t.Cleanup(cancel)
	var mu stdsync.Mutex
	var heard []string
	lives := make(chan bool, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Follow(ctx, func(scope string) {
			if scope == "user:f" || scope == "touched:f" || scope == "user:f-rolled-back" || scope == "user:f-other" {
				mu.Lock()
				heard = append(heard, scope)
				mu.Unlock()
			}
		}, func(live bool) { lives <- live })
	}()
	select {
	case l := <-lives:
		if !l {
			t.Fatal("first report: not live")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10 s")
	}
	has := func(scope string) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range heard {
			if s == scope {
				return true
			}
		}
		return false
	}
	a.Update(ctx, func(tx sync.Tx) error {
		if _, err := tx.Append(sync.Event{Scope: "user:f-rolled-back", Type: "t"}); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	err = a.Update(ctx, func(tx sync.Tx) error {
		sync.Touch(tx, "touched:f")
		_, err := tx.Append(sync.Event{Scope: "user:f", Type: "t"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Synchronously: no waiting.
	if !has("user:f") || !has("touched:f") {
		t.Fatalf("own commit not reported before Update returned: %v", heard)
	}
	if err := b.Update(ctx, func(tx sync.Tx) error { sync.Touch(tx, "user:f-other"); return nil }); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !has("user:f-other"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("another process's commit not reported within 10 s")
		}
	}
	if has("user:f-rolled-back") {
		t.Fatal("a rolled-back append was reported")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after its context ended")
	}
	select {
	case l := <-lives:
		if l {
			t.Fatal("no live(false) when it stopped listening")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no live(false) within 10 s of the end")
	}
	// After Follow returned, commits call nobody.
	n := len(heard)
	if err := a.Update(context.Background(), func(tx sync.Tx) error { sync.Touch(tx, "user:f"); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(heard) != n {
		t.Fatal("a stopped follower was called")
	}
}
