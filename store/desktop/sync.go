package desktop

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"sealdesk/core/sync"
)

// ErrNoEventLog is returned by the sync view's Append, Events and LastSeq: the desktop applies
// the server's events to its projection, it keeps no event log of its own.
var ErrNoEventLog = errors.New("the desktop store keeps no event log")

// Sync returns the store as a core/sync key-value store: the desktop's sync state (the session,
// the outbox of commands made offline, the cursors of the scopes it follows and the projection
// of their events) lives in the same file as the seals and keys, each of its buckets under the
// prefix "sync/". Transactions are bbolt's: one writer at a time, so an Update function runs
// exactly once.
func (s *Store) Sync() sync.Store { return syncStore{s} }

type syncStore struct{ s *Store }

var _ sync.Store = syncStore{}

func (st syncStore) Update(ctx context.Context, fn func(sync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return st.s.db.Update(func(b *bbolt.Tx) error { return fn(syncTx{b}) })
}

func (st syncStore) View(ctx context.Context, fn func(sync.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return st.s.db.View(func(b *bbolt.Tx) error { return fn(syncTx{b}) })
}

// Close does nothing: the Store owns the file.
func (syncStore) Close() error { return nil }

type syncTx struct{ b *bbolt.Tx }

func syncBucketName(bucket string) []byte { return []byte("sync/" + bucket) }

func (t syncTx) bucket(name string, create bool) (*bbolt.Bucket, error) {
	if err := sync.CheckName(name); err != nil {
		return nil, err
	}
	if create {
		return t.b.CreateBucketIfNotExists(syncBucketName(name))
	}
	return t.b.Bucket(syncBucketName(name)), nil
}

func (t syncTx) Get(bucket, key string) ([]byte, error) {
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

func (t syncTx) Put(bucket, key string, value []byte) error {
	if err := sync.CheckKey(key); err != nil {
		return err
	}
	if len(value) > sync.MaxValueLen {
		return fmt.Errorf("value of %d bytes: %w", len(value), ErrTooLarge)
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

func (t syncTx) Insert(bucket, key string, value []byte) error {
	if _, err := t.Get(bucket, key); err == nil {
		return sync.ErrExists
	} else if !errors.Is(err, sync.ErrNotFound) {
		return err
	}
	return t.Put(bucket, key, value)
}

func (t syncTx) Delete(bucket, key string) error {
	if err := sync.CheckKey(key); err != nil {
		return err
	}
	b, err := t.bucket(bucket, false)
	if err != nil || b == nil {
		return err
	}
	return b.Delete([]byte(key))
}

func (t syncTx) Scan(bucket, prefix, after string, limit int, fn func(string, []byte) error) error {
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

func (syncTx) Append(e sync.Event) (sync.Event, error) { return e, ErrNoEventLog }

func (syncTx) Events(string, uint64, int) ([]sync.Event, error) { return nil, ErrNoEventLog }

func (syncTx) LastSeq(string) (uint64, error) { return 0, ErrNoEventLog }
