// Package postgres is the PostgreSQL implementation of the SealDesk store (core/sync.Store) for
// servers with many users, several of which may share one database.
//
// Update transactions run at REPEATABLE READ (snapshot isolation, first updater wins) and are
// retried with jittered back-off on serialization failures and deadlocks, which is what the
// contract asks across processes. SERIALIZABLE was measured too: its page-level predicate locks
// on the kv index made unrelated users' commands conflict (p99 above 1 s at 20 clients). A scope's sequence is a row in `scopes` incremented inside the appending
// transaction: the row lock orders appenders, a rollback returns the number, so sequences are
// gap-free and commit in order. Migrations are embedded and applied at Open under an advisory
// lock, so several processes may start at once.
//
// Round trips are what a request pays most for on a busy machine (each one waits for a CPU in
// this process and in the database backend), so a transaction sends BEGIN in one batch with its
// first statement, queues writes whose outcome nobody waits for (Put, Delete) until the next
// statement that answers something or COMMIT, and sends the NOTIFY of the scopes it changed in
// one batch with COMMIT; RoundTrips counts them (core/server's TestEnterpriseRoundTrips holds
// the budgets). Follow (the ChangeFeed) reports every process's commits to process-local caches.
//
// It refuses to run against a schema migrated by a newer version than it knows.
package postgres

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"sealdesk/core/sync"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune Open; nil means defaults.
type Options struct {
	// Schema, if set, is created if missing and used as the search path (tests give each run
	// its own schema).
	Schema string
	// MaxConns bounds the pool (default: the DSN's pool_max_conns, else 32).
	MaxConns int32
	// MaxRetries bounds the serialization-failure retries of one Update (default 50).
	MaxRetries int
}

// Store is a PostgreSQL-backed sync.Store.
type Store struct {
	pool    *pgxpool.Pool
	retries int

	trips     atomic.Int64 // round trips of transactions (RoundTrips)
	followMu  stdsync.Mutex
	followers map[int]func(string) // Follow's changed callbacks, told of this process's commits
	nextID    int
}

var _ sync.Store = (*Store)(nil)

// Open connects to dsn, applies pending migrations and returns the store.
func Open(ctx context.Context, dsn string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("failed to parse postgres dsn: %w", err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(dsn, "pool_max_conns"):
		cfg.MaxConns = 32
	}
	if opts.Schema != "" {
		if !validIdent(opts.Schema) {
			return nil, fmt.Errorf("invalid schema name %q", opts.Schema)
		}
		conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig.Copy())
		if err != nil {
			return nil, fmt.Errorf("failed to connect to postgres: %w", err)
		}
		_, err = conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+opts.Schema)
		conn.Close(ctx)
		if err != nil {
			// Two processes creating the schema at once: one fails on the catalog's unique index.
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != "23505" {
				return nil, fmt.Errorf("failed to create schema: %w", err)
			}
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("failed to connect to postgres: %w", err)
	}
	s := &Store{pool: pool, retries: opts.MaxRetries}
	if s.retries <= 0 {
		s.retries = 50
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func validIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// migrate applies the embedded migrations not yet recorded, holding an advisory lock.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("failed to acquire connection: %w", err)
	}
	defer conn.Release()
	const lockID = 0x5ea1d35c // arbitrary, constant for SealDesk
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
		return fmt.Errorf("failed to take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("failed to create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("failed to read schema version: %w", err)
	}
	names, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	sort.Slice(names, func(i, j int) bool { return names[i].Name() < names[j].Name() })
	latest := 0
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(n.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("bad migration name %s", n.Name())
		}
		latest = v
		if v <= current {
			continue
		}
		sql, err := migrations.ReadFile("migrations/" + n.Name())
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v)
			return err
		})
		if err != nil {
			return fmt.Errorf("failed to apply migration %s: %w", n.Name(), err)
		}
	}
	if current > latest {
		return fmt.Errorf("database schema version %d is newer than this program's %d", current, latest)
	}
	return nil
}

var _ sync.Pinger = (*Store)(nil)

// Ping checks that the database answers (one round trip on a pooled connection).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("failed to reach postgres: %w", err)
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	return false
}

// Update runs fn in a REPEATABLE READ transaction, retrying on serialization failures.
func (s *Store) Update(ctx context.Context, fn func(sync.Tx) error) error {
	var err error
	for attempt := 0; attempt < s.retries; attempt++ {
		err = s.run(ctx, beginUpdate, fn)
		if !retryable(err) {
			return err
		}
		d := time.Duration(rand.Int64N(int64(time.Millisecond) * int64(1+min(attempt, 20))))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	return fmt.Errorf("transaction kept conflicting after %d attempts: %w", s.retries, err)
}

// View runs fn in a read-only snapshot.
func (s *Store) View(ctx context.Context, fn func(sync.Tx) error) error {
	return s.run(ctx, beginView, fn)
}

const (
	beginUpdate = "BEGIN ISOLATION LEVEL REPEATABLE READ"
	beginView   = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
)

// RoundTrips returns how many round trips to the database transactions made so far (for tests
// and metrics).
func (s *Store) RoundTrips() int64 { return s.trips.Load() }

// run runs fn in a transaction on one pooled connection. Round trips are what a request pays
// most for, so BEGIN is not sent alone: it goes in one batch with the transaction's first
// statement (a function that reads nothing costs none), and the commit carries the
// notification of the scopes it changed in the same batch.
func (s *Store) run(ctx context.Context, begin string, fn func(sync.Tx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("failed to begin transaction: %w", err)
	}
	// A connection left inside a transaction (a failed ROLLBACK) is closed by Release, not
	// reused.
	defer conn.Release()
	t := &tx{ctx: ctx, s: s, conn: conn.Conn(), begin: begin}
	if err := fn(t); err != nil {
		if t.began {
			s.trips.Add(1)
			conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return err
	}
	if !t.began && len(t.pending) == 0 {
		if len(t.scopes) > 0 { // only touched: nothing to commit, still announced
			s.tellFollowers(t.scopes)
			s.trips.Add(1)
			_, err := conn.Exec(ctx, `SELECT pg_notify($1, s) FROM unnest($2::text[]) s`, notifyChannel, t.scopeList())
			_ = err // as for a commit's notification: see commit
		}
		return nil
	}
	if err := t.commit(); err != nil {
		return err
	}
	if len(t.scopes) > 0 {
		// This process's followers hear of the commit before Update returns, so its own caches
		// never answer from before a change it made.
		s.tellFollowers(t.scopes)
	}
	return nil
}

// commit commits; the NOTIFY of the changed scopes follows in the same batch, in a transaction
// of its own: NOTIFY inside the data transaction would take PostgreSQL's global notification
// lock through the commit's WAL flush, serializing every committing writer. If the
// notification fails, the commit stands and other processes see the events at their next
// periodic re-read (org's permission cache: after PermCacheTTL).
func (t *tx) commit() error {
	b := t.batch()
	b.Queue("COMMIT")
	if len(t.scopes) > 0 {
		b.Queue(`SELECT pg_notify($1, s) FROM unnest($2::text[]) s`, notifyChannel, t.scopeList())
	}
	t.s.trips.Add(1)
	br := t.conn.SendBatch(t.ctx, b)
	err := t.pendingResults(br)
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if err == nil && tag.String() == "ROLLBACK" {
		// A statement failed and fn went on: PostgreSQL rolled the transaction back.
		err = pgx.ErrTxCommitRollback
	}
	br.Close() // the notification's outcome: see above
	if err != nil {
		return fmt.Errorf("failed to commit: %w", err)
	}
	return nil
}

type tx struct {
	ctx    context.Context
	s      *Store
	conn   *pgx.Conn
	begin  string          // the BEGIN statement, sent with the first statement
	began  bool            // BEGIN was sent
	scopes map[string]bool // scopes appended to or touched, announced after commit
	// pending are writes whose outcome fn does not wait for (Put, Delete): they go in one batch
	// with the next statement that answers something, or with COMMIT, in order, so the
	// transaction reads its own writes and a failed write still fails the transaction.
	pending []pendingWrite
}

type pendingWrite struct {
	what string // for the error: "put <bucket>"
	sql  string
	args []any
}

// batch starts a batch with what must precede the next statement: BEGIN if not sent yet, and
// the pending writes (whose results pendingResults then reads).
func (t *tx) batch() *pgx.Batch {
	b := &pgx.Batch{}
	if !t.began {
		b.Queue(t.begin)
	}
	for _, w := range t.pending {
		b.Queue(w.sql, w.args...)
	}
	return b
}

// pendingResults reads the results of what batch queued, in order, and returns the first
// failure.
func (t *tx) pendingResults(br pgx.BatchResults) error {
	if !t.began {
		t.began = true
		if _, err := br.Exec(); err != nil {
			t.pending = nil
			return err
		}
	}
	pending := t.pending
	t.pending = nil
	for _, w := range pending {
		if _, err := br.Exec(); err != nil {
			return fmt.Errorf("failed to %s: %w", w.what, err)
		}
	}
	return nil
}

// write queues a write for the next batch.
func (t *tx) write(what, sql string, args ...any) {
	t.pending = append(t.pending, pendingWrite{what: what, sql: sql, args: args})
}

func (t *tx) scopeList() []string {
	scopes := make([]string, 0, len(t.scopes))
	for sc := range t.scopes {
		scopes = append(scopes, sc)
	}
	sort.Strings(scopes)
	return scopes
}

// query runs one statement of the transaction (the first one in a batch after BEGIN).
func (t *tx) query(sql string, args ...any) (pgx.Rows, error) {
	t.s.trips.Add(1)
	if t.began && len(t.pending) == 0 {
		return t.conn.Query(t.ctx, sql, args...)
	}
	b := t.batch()
	b.Queue(sql, args...)
	br := t.conn.SendBatch(t.ctx, b)
	if err := t.pendingResults(br); err != nil {
		br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// batchRows are the rows of a batch's last statement: closing them closes the batch.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		r.err = r.br.Close()
		r.br = nil
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// exec runs a statement that returns no rows.
func (t *tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	rows, err := t.query(sql, args...)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.CommandTag(), rows.Err()
}

// queryRow runs a statement returning at most one row and scans it (pgx.ErrNoRows if none).
func (t *tx) queryRow(sql string, args []any, dest ...any) error {
	rows, err := t.query(sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

var _ sync.Toucher = (*tx)(nil)

// Touch announces scope after the commit (to Follow's and Watch's callbacks of every process)
// without appending an event.
func (t *tx) Touch(scope string) {
	if sync.CheckName(scope) != nil {
		return
	}
	if t.scopes == nil {
		t.scopes = map[string]bool{}
	}
	t.scopes[scope] = true
}

func check(bucket, key string) error {
	if err := sync.CheckName(bucket); err != nil {
		return err
	}
	return sync.CheckKey(key)
}

func (t *tx) Get(bucket, key string) ([]byte, error) {
	if err := check(bucket, key); err != nil {
		return nil, err
	}
	var v []byte
	err := t.queryRow(`SELECT value FROM kv WHERE bucket = $1 AND key = $2`, []any{bucket, []byte(key)}, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, sync.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("failed to get %s: %w", bucket, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

func (t *tx) Put(bucket, key string, value []byte) error {
	if err := check(bucket, key); err != nil {
		return err
	}
	if len(value) > sync.MaxValueLen {
		return fmt.Errorf("value of %d bytes: %w", len(value), sync.ErrBadKey)
	}
	if value == nil {
		value = []byte{}
	}
	t.write("put "+bucket, `INSERT INTO kv (bucket, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value`, bucket, []byte(key), bytes.Clone(value))
	return nil
}

func (t *tx) Insert(bucket, key string, value []byte) error {
	if err := check(bucket, key); err != nil {
		return err
	}
	if len(value) > sync.MaxValueLen {
		return fmt.Errorf("value of %d bytes: %w", len(value), sync.ErrBadKey)
	}
	if value == nil {
		value = []byte{}
	}
	tag, err := t.exec(`INSERT INTO kv (bucket, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (bucket, key) DO NOTHING`, bucket, []byte(key), value)
	if err != nil {
		return fmt.Errorf("failed to insert %s: %w", bucket, err)
	}
	if tag.RowsAffected() == 0 {
		return sync.ErrExists
	}
	return nil
}

func (t *tx) Delete(bucket, key string) error {
	if err := check(bucket, key); err != nil {
		return err
	}
	t.write("delete "+bucket, `DELETE FROM kv WHERE bucket = $1 AND key = $2`, bucket, []byte(key))
	return nil
}

func (t *tx) Scan(bucket, prefix, after string, limit int, fn func(string, []byte) error) error {
	if err := sync.CheckName(bucket); err != nil {
		return err
	}
	lo := prefix
	if after >= prefix {
		lo = after + "\x00" // the smallest key greater than after
	}
	var hi []byte
	if end := sync.PrefixEnd(prefix); prefix != "" && end != "" {
		hi = []byte(end)
	}
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := t.query(`SELECT key, value FROM kv WHERE bucket = $1 AND key >= $2
		AND ($3::bytea IS NULL OR key < $3) ORDER BY key LIMIT $4`, bucket, []byte(lo), hi, lim)
	if err != nil {
		return fmt.Errorf("failed to scan %s: %w", bucket, err)
	}
	type kv struct {
		k, v []byte
	}
	var all []kv
	for rows.Next() {
		var r kv
		if err := rows.Scan(&r.k, &r.v); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("failed to scan %s: %w", bucket, err)
	}
	for _, r := range all {
		if r.v == nil {
			r.v = []byte{}
		}
		if err := fn(string(r.k), r.v); err != nil {
			if errors.Is(err, sync.ErrStopScan) {
				return nil
			}
			return err
		}
	}
	return nil
}

func (t *tx) Append(e sync.Event) (sync.Event, error) {
	if err := sync.CheckEvent(e); err != nil {
		return e, err
	}
	if len(e.Payload) > sync.MaxValueLen {
		return e, fmt.Errorf("event payload of %d bytes: %w", len(e.Payload), sync.ErrBadKey)
	}
	if e.Time.IsZero() {
		e.Time = time.Unix(0, 0).UTC()
	}
	// One round trip: allocate the scope's next number (the row lock orders appenders) and insert
	// the event. Listeners are told after the commit (see run).
	var seq int64
	err := t.queryRow(`WITH s AS (
			INSERT INTO scopes (scope, last_seq) VALUES ($1, 1)
			ON CONFLICT (scope) DO UPDATE SET last_seq = scopes.last_seq + 1 RETURNING last_seq
		)
		INSERT INTO events (scope, seq, type, at, actor, command_id, payload)
		SELECT $1, s.last_seq, $2, $3, $4, $5, $6 FROM s RETURNING seq`,
		[]any{e.Scope, e.Type, e.Time, e.Actor, e.CommandID, []byte(e.Payload)}, &seq)
	if err != nil {
		return e, fmt.Errorf("failed to append event: %w", err)
	}
	e.Seq = uint64(seq)
	t.Touch(e.Scope)
	return e, nil
}

const notifyChannel = "sealdesk_events"

var _ sync.Watcher = (*Store)(nil)

// Watch listens on a dedicated connection for the scopes of committed events.
func (s *Store) Watch(ctx context.Context, fn func(scope string)) error {
	backoff := 100 * time.Millisecond
	for {
		err := s.listen(ctx, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = err // the connection dropped: reconnect after a pause
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

var _ sync.ChangeFeed = (*Store)(nil)

// Follow reports the scopes of every process's commits (this process's synchronously, after the
// commit and before Update returns; the others' through LISTEN/NOTIFY on a dedicated connection)
// and, through live, whether that connection listens. A dropped connection is reported
// (live(false)) and retried after a pause; once it listens again, live(true).
//
// A notification can still be lost without the connection dropping: the notifying process
// died between its commit and its NOTIFY (see run). Followers keep a safety net for that
// (org's permission cache: entries live one PermCacheTTL).
func (s *Store) Follow(ctx context.Context, changed func(scope string), live func(bool)) error {
	s.followMu.Lock()
	if s.followers == nil {
		s.followers = map[int]func(string){}
	}
	id := s.nextID
	s.nextID++
	s.followers[id] = changed
	s.followMu.Unlock()
	defer func() {
		s.followMu.Lock()
		delete(s.followers, id)
		s.followMu.Unlock()
	}()
	backoff := 100 * time.Millisecond
	for {
		listening := false
		err := s.listenThen(ctx, changed, func() {
			listening = true
			backoff = 100 * time.Millisecond
			live(true)
		})
		if listening {
			live(false)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = err // the connection dropped or could not be made: retry after a pause
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// tellFollowers calls this process's Follow callbacks with the scopes of a commit.
func (s *Store) tellFollowers(scopes map[string]bool) {
	s.followMu.Lock()
	fs := make([]func(string), 0, len(s.followers))
	for _, f := range s.followers {
		fs = append(fs, f)
	}
	s.followMu.Unlock()
	for _, f := range fs {
		for scope := range scopes {
			f(scope)
		}
	}
}

func (s *Store) listen(ctx context.Context, fn func(string)) error {
	return s.listenThen(ctx, fn, func() {})
}

// listenThen listens on a dedicated connection, calls listening once LISTEN took effect, then
// fn for every notification until the connection fails or ctx ends.
func (s *Store) listenThen(ctx context.Context, fn func(string), listening func()) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "UNLISTEN "+notifyChannel)
	listening()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}

func (t *tx) Events(scope string, since uint64, limit int) ([]sync.Event, error) {
	if err := sync.CheckName(scope); err != nil {
		return nil, err
	}
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := t.query(`SELECT seq, type, at, actor, command_id, payload FROM events
		WHERE scope = $1 AND seq > $2 ORDER BY seq LIMIT $3`, scope, int64(since), lim)
	if err != nil {
		return nil, fmt.Errorf("failed to read events: %w", err)
	}
	defer rows.Close()
	var out []sync.Event
	for rows.Next() {
		e := sync.Event{Scope: scope}
		var seq int64
		var payload []byte
		if err := rows.Scan(&seq, &e.Type, &e.Time, &e.Actor, &e.CommandID, &payload); err != nil {
			return nil, err
		}
		e.Seq, e.Time = uint64(seq), e.Time.UTC()
		if payload != nil {
			e.Payload = payload
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *tx) LastSeq(scope string) (uint64, error) {
	if err := sync.CheckName(scope); err != nil {
		return 0, err
	}
	var n int64
	err := t.queryRow(`SELECT last_seq FROM scopes WHERE scope = $1`, []any{scope}, &n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("failed to read sequence: %w", err)
	}
	return uint64(n), nil
}
