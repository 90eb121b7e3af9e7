package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
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
