// Package bolt is the bbolt implementation of the SealDesk store (core/sync.Store): the desktop's
// local database and the server's embedded default.
//
// Each bucket of the contract is a top-level bbolt bucket prefixed "kv/"; each scope's events live
// in a nested bucket of "events" keyed by the big-endian sequence number, and the bucket's own
// sequence allocates the numbers (rolled back with the transaction, so there are no gaps). bbolt
// serializes writers, so Update transactions are serializable by construction; concurrent
// Updates are grouped into one transaction and one fsync (bbolt's Batch).
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
	"time"

	bbolt "go.etcd.io/bbolt"

	"sealdesk/core/sync"
)

// Store is a bbolt-backed sync.Store.
type Store struct {
	db *bbolt.DB
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
	// Group commit: concurrent Updates share one transaction and one fsync.
	db.MaxBatchDelay = 2 * time.Millisecond
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction. Concurrent calls are batched into one bbolt
// transaction (group commit, one fsync for all); a function that fails is rolled back and run
// again alone, which the contract allows (functions may run more than once).
func (s *Store) Update(ctx context.Context, fn func(sync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Batch(func(btx *bbolt.Tx) error { return fn(&tx{btx}) })
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
	if err := sync.CheckName(e.Scope); err != nil {
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
