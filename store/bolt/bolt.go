// Package bolt is the bbolt implementation of the SealDesk store (core/sync.Store): the desktop's
// local database and the server's embedded default.
//
// Each bucket of the contract is a top-level bbolt bucket prefixed "kv/"; each scope's events live
// in a nested bucket of "events" keyed by the big-endian sequence number, and the bucket's own
// sequence allocates the numbers (rolled back with the transaction, so there are no gaps). bbolt
// serializes writers, so Update transactions are serializable by construction.
//
// Concurrent Updates share transactions (group commit): an Update that arrives while no commit is
// in flight commits at once, and every Update that arrives while a commit is in flight (waiting
// for fsync) goes into the next single transaction. bbolt's own Batch is not used: it closes a
// batch after a fixed delay (every call waits for the timer even on an idle store) and queues the
// batches behind the writer lock, so when an fsync stalls, the calls that arrived meanwhile are
// committed as dozens of tiny transactions, each with its own two fsyncs against the stalled disk.
// Every Update returns only after the transaction holding its writes is committed and fsynced.
//
// It refuses to be opened by two processes at once (bbolt's file lock; Open times out) — several
// server processes sharing data need store/postgres.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	stdsync "sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sealdesk/core/sync"
)

// Store is a bbolt-backed sync.Store.
type Store struct {
	db *bbolt.DB

	mu         stdsync.Mutex
	pending    []*call // Updates waiting for the next transaction
	committing bool    // a committer goroutine is running
	stats      Stats
}

// Stats counts the group commits since Open.
type Stats struct {
	Updates uint64 // Update calls answered
	Commits uint64 // read-write transactions run (including rolled-back and solo re-runs)
	Reruns  uint64 // functions re-run alone because they failed inside a shared transaction
}

// MaxGroup bounds how many Update functions share one transaction.
const MaxGroup = 1000

type call struct {
	fn   func(*bbolt.Tx) error
	done chan error
}

var _ sync.Store = (*Store)(nil)

// Options tune Open; nil means defaults.
type Options struct {
	// Timeout is how long Open waits for the file lock (default 5 s).
	Timeout time.Duration
	// InitialMmapSize maps this much address space up front (0: bbolt's default), so a growing
	// server database is not remapped (a remap stalls every reader and writer). Leave it 0 on
	// Windows desktops: there bbolt grows the file itself to the mapping's size.
	InitialMmapSize int
	// NoSync skips fsync on commit. WARNING: a crash may then lose acknowledged writes; only for
	// throwaway test data.
	NoSync bool
}

// Open opens or creates the database file at path (its directory is created with mode 0700).
func Open(path string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create store directory: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync, FreelistType: bbolt.FreelistMapType,
		InitialMmapSize: opts.InitialMmapSize})
	if err != nil {
		return nil, fmt.Errorf("failed to open bolt store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Stats returns the group-commit counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction shared with the Updates that arrive while the
// previous transaction commits (group commit, one fsync for all). A function that fails after
// others ran in the same transaction rolls all of them back: the others run again without it,
// then it runs again alone, which the contract allows (functions may run more than once). Once
// started, Update waits for the commit even if ctx ends, so its answer is always the truth.
func (s *Store) Update(ctx context.Context, fn func(sync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &call{fn: func(btx *bbolt.Tx) error { return fn(&tx{btx}) }, done: make(chan error, 1)}
	s.mu.Lock()
	s.pending = append(s.pending, c)
	if !s.committing {
		s.committing = true
		go s.commitLoop()
	}
	s.mu.Unlock()
	return <-c.done
}

// commitLoop commits the pending calls, group after group, until none are left.
func (s *Store) commitLoop() {
	for {
		s.mu.Lock()
		n := min(len(s.pending), MaxGroup)
		if n == 0 {
			s.committing = false
			s.mu.Unlock()
			return
		}
		group := s.pending[:n:n]
		s.pending = s.pending[n:]
		if len(s.pending) == 0 {
			s.pending = nil
		}
		s.mu.Unlock()
		s.commitGroup(group)
	}
}

// commitGroup runs the calls in one transaction and answers each of them after the commit.
func (s *Store) commitGroup(group []*call) {
	var commits, reruns uint64
	defer func() {
		s.mu.Lock()
		s.stats.Commits += commits
		s.stats.Reruns += reruns
		s.stats.Updates += uint64(len(group))
		s.mu.Unlock()
	}()
	calls := group
	for len(calls) > 0 {
		failed, ferr := -1, error(nil)
		commits++
		err := s.db.Update(func(btx *bbolt.Tx) error {
			for i, c := range calls {
				if err := safeCall(c.fn, btx); err != nil {
					failed, ferr = i, err
					return err
				}
			}
			return nil
		})
		switch {
		case failed == 0:
			// It ran first, on committed data only: its failure is its answer.
			calls[0].done <- ferr
			calls = calls[1:]
		case failed > 0:
			// It saw the writes of the calls before it, which were rolled back with it: run
			// the others without it, then it alone.
			c := calls[failed]
			calls = append(calls[:failed:failed], calls[failed+1:]...)
			defer func() {
				reruns++
				commits++
				c.done <- s.db.Update(func(btx *bbolt.Tx) error { return safeCall(c.fn, btx) })
			}()
		default:
			for _, c := range calls {
				c.done <- err
			}
			return
		}
	}
}

// safeCall turns a panic in an Update function into that call's error, so one bad function
// cannot take the committer (and every waiting caller) down with it.
func safeCall(fn func(*bbolt.Tx) error, btx *bbolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in update function: %v", p)
		}
	}()
	return fn(btx)
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(sync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bbolt.Tx) error { return fn(&tx{btx}) })
}

type tx struct{ b *bbolt.Tx }

const eventsBucket = "events"

func kvName(bucket string) []byte { return []byte("kv/" + bucket) }

func (t *tx) bucket(name string, create bool) (*bbolt.Bucket, error) {
	if err := sync.CheckName(name); err != nil {
		return nil, err
	}
	if create {
		return t.b.CreateBucketIfNotExists(kvName(name))
	}
	return t.b.Bucket(kvName(name)), nil
}

func (t *tx) Get(bucket, key string) ([]byte, error) {
	if err := sync.CheckKey(key); err != nil {
		return nil, err
	}
	b, err := t.bucket(bucket, false)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, sync.ErrNotFound
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, sync.ErrNotFound
	}
	return bytes.Clone(v), nil
}

func (t *tx) Put(bucket, key string, value []byte) error {
	if err := sync.CheckKey(key); err != nil {
		return err
	}
	if len(value) > sync.MaxValueLen {
		return fmt.Errorf("value of %d bytes: %w", len(value), sync.ErrBadKey)
	}
	b, err := t.bucket(bucket, true)
	if err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	return b.Put([]byte(key), value)
}

func (t *tx) Insert(bucket, key string, value []byte) error {
	if _, err := t.Get(bucket, key); err == nil {
		return sync.ErrExists
	} else if !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	return t.Put(bucket, key, value)
}

func (t *tx) Delete(bucket, key string) error {
	if err := sync.CheckKey(key); err != nil {
		return err
	}
	b, err := t.bucket(bucket, false)
	if err != nil || b == nil {
		return err
	}
	return b.Delete([]byte(key))
}

func (t *tx) Scan(bucket, prefix, after string, limit int, fn func(string, []byte) error) error {
	b, err := t.bucket(bucket, false)
	if err != nil || b == nil {
		return err
	}
	c := b.Cursor()
	start := []byte(prefix)
	if after >= prefix {
		start = []byte(after)
	}
	n := 0
	for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
		if after != "" && string(k) <= after {
			continue
		}
		if limit > 0 && n >= limit {
			return nil
		}
		n++
		if err := fn(string(k), bytes.Clone(v)); err != nil {
			if errors.Is(err, sync.ErrStopScan) {
				return nil
			}
			return err
		}
	}
	return nil
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func (t *tx) Append(e sync.Event) (sync.Event, error) {
	if err := sync.CheckEvent(e); err != nil {
		return e, err
	}
	if len(e.Payload) > sync.MaxValueLen {
		return e, fmt.Errorf("event payload of %d bytes: %w", len(e.Payload), sync.ErrBadKey)
	}
	root, err := t.b.CreateBucketIfNotExists([]byte(eventsBucket))
	if err != nil {
		return e, err
	}
	b, err := root.CreateBucketIfNotExists([]byte(e.Scope))
	if err != nil {
		return e, err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return e, err
	}
	e.Seq = seq
	v, err := json.Marshal(e)
	if err != nil {
		return e, err
	}
	return e, b.Put(seqKey(seq), v)
}

func (t *tx) scope(scope string) (*bbolt.Bucket, error) {
	if err := sync.CheckName(scope); err != nil {
		return nil, err
	}
	root := t.b.Bucket([]byte(eventsBucket))
	if root == nil {
		return nil, nil
	}
	return root.Bucket([]byte(scope)), nil
}

func (t *tx) Events(scope string, since uint64, limit int) ([]sync.Event, error) {
	b, err := t.scope(scope)
	if err != nil || b == nil {
		return nil, err
	}
	var out []sync.Event
	c := b.Cursor()
	for k, v := c.Seek(seqKey(since + 1)); k != nil; k, v = c.Next() {
		if limit > 0 && len(out) >= limit {
			break
		}
		var e sync.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("corrupt event %s/%d: %w", scope, binary.BigEndian.Uint64(k), err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *tx) LastSeq(scope string) (uint64, error) {
	b, err := t.scope(scope)
	if err != nil || b == nil {
		return 0, err
	}
	return b.Sequence(), nil
}
