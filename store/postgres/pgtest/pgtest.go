// Package pgtest opens throwaway PostgreSQL stores for tests: each gets its own schema in the
// database named by SEALDESK_TEST_POSTGRES, dropped when the test ends. Without that variable the
// test fails when SEALDESK_CI is set (CI must run PostgreSQL tests) and is skipped otherwise.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"sealdesk/store/postgres"
)

// DSN returns the test database's DSN or fails/skips the test.
func DSN(t testing.TB) string {
	dsn := os.Getenv("SEALDESK_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("SEALDESK_TEST_POSTGRES is not set under CI")
		}
		t.Skip("SEALDESK_TEST_POSTGRES not set; skipping PostgreSQL tests")
	}
	return dsn
}

// NewSchema returns a fresh schema name that is dropped at the end of the test.
func NewSchema(t testing.TB) (dsn, schema string) {
	dsn = DSN(t)
	var b [6]byte
	rand.Read(b[:])
	schema = "t_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	return dsn, schema
}

// Open opens a store in a fresh schema; the store is closed before the schema is dropped.
func Open(t testing.TB) *postgres.Store {
	dsn, schema := NewSchema(t)
	s, err := postgres.Open(context.Background(), dsn, &postgres.Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// SchemaDSN creates a fresh schema (dropped at the end of the test) and returns a DSN whose
// search_path selects it, for servers started as separate processes.
func SchemaDSN(t testing.TB) string {
	dsn, schema := NewSchema(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
