// Package sync is SealDesk's change log and the store contract everything on the server is built
// on: a transactional key-value store with per-scope event logs, the event and command wire types,
// idempotent command application, and a wake-up hub for long-polling pulls.
//
// # The store contract
//
// A Store runs functions in transactions. Update transactions see a consistent snapshot and
// conflict on writes: when two concurrent transactions write (or insert, or delete) the same key
// or append to the same scope, one of them is rolled back and run again, even across several
// server processes sharing one PostgreSQL database. So read-modify-write of a key and
// insert-if-absent are safe; an invariant that spans several keys must also write one common
// key (bbolt is stricter: it runs writers one at a time). An Update function may be run more
// than once, so it must not have side effects outside the Tx. Append gives each
// event the next sequence number of its scope (1, 2, 3, … with no gaps), and events become
// visible in sequence order, so a reader holding a cursor never skips an event.
//
// Scopes name whose data an event belongs to: "user:<id>" for a person, "enterprise:<id>" for a
// company (later issues), "server" for server-wide state. Payloads are opaque JSON, so the
// enterprise domain adds event types without touching stores.
//
// # What it refuses
//
// It does not interpret payloads, it does not authorize (callers check who may touch a scope), and
// it keeps no state in memory that another server process would need: the Hub only shortens the
// wait of long polls in this process, correctness never depends on it.
package sync

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors of the store contract.
var (
	// ErrNotFound is returned by Get for a missing key.
	ErrNotFound = errors.New("not found")
	// ErrExists is returned by Insert when the key is already present.
	ErrExists = errors.New("already exists")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("store is closed")
	// ErrBadKey is returned for an empty bucket, scope or key, or one that is too long.
	ErrBadKey = errors.New("invalid bucket, scope or key")
)

// Limits every store enforces, so that both behave the same.
const (
	MaxNameLen  = 128      // bucket and scope names
	MaxKeyLen   = 512      // keys
	MaxValueLen = 16 << 20 // values and event payloads
)

// Store is a transactional key-value store plus per-scope event logs.
type Store interface {
	// Update runs fn in a read-write transaction (see the contract above) and commits it if fn
	// returns nil. fn may run more than once.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	// Close releases the store.
	Close() error
}

// Tx is one transaction. Buckets and scopes spring into existence on first write.
type Tx interface {
	// Get returns the value of key, or ErrNotFound.
	Get(bucket, key string) ([]byte, error)
	// Put sets key to value.
	Put(bucket, key string, value []byte) error
	// Insert sets key to value only if key is absent; otherwise it returns ErrExists and the
	// transaction stays usable.
	Insert(bucket, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(bucket, key string) error
	// Scan calls fn for keys starting with prefix and greater than after, in ascending byte
	// order, at most limit of them (limit <= 0 means no limit). Returning ErrStopScan from fn
	// stops early without error.
	Scan(bucket, prefix, after string, limit int, fn func(key string, value []byte) error) error
	// Append adds an event to its scope and returns it with Seq set to the scope's next
	// sequence number. Time is kept as given (the caller's clock).
	Append(e Event) (Event, error)
	// Events returns up to limit events of scope with Seq > since, in order.
	Events(scope string, since uint64, limit int) ([]Event, error)
	// LastSeq returns the highest sequence number of scope (0 if it has no events).
	LastSeq(scope string) (uint64, error)
}

// ErrStopScan ends a Scan early without an error.
var ErrStopScan = errors.New("stop scan")

// Event is one change in a scope's log.
type Event struct {
	Scope     string          `json:"scope"`
	Seq       uint64          `json:"seq"`
	Type      string          `json:"type"`
	Time      time.Time       `json:"time"`
	Actor     string          `json:"actor,omitempty"`      // account id of who caused it
	CommandID string          `json:"command_id,omitempty"` // idempotency key of the command
	Payload   json.RawMessage `json:"payload,omitempty"`
}

// CheckName validates a bucket or scope name.
func CheckName(s string) error {
	if s == "" || len(s) > MaxNameLen {
		return ErrBadKey
	}
	return nil
}

// CheckKey validates a key.
func CheckKey(s string) error {
	if s == "" || len(s) > MaxKeyLen {
		return ErrBadKey
	}
	return nil
}

// CheckIdempotencyKey validates a client-made idempotency key: 1–MaxIdempotencyKeyLen
// printable ASCII characters (0x21–0x7e). Stores refuse events carrying another (ErrBadKey), so
// every store accepts exactly the same keys.
func CheckIdempotencyKey(k string) error {
	if k == "" || len(k) > MaxIdempotencyKeyLen {
		return ErrBadKey
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return ErrBadKey
		}
	}
	return nil
}

// CheckEvent validates what a store keeps of an event besides its payload: the scope name, a
// command id that is empty or a valid idempotency key, and a type and actor that are UTF-8
// without NUL (a text column in PostgreSQL holds nothing else).
func CheckEvent(e Event) error {
	if err := CheckName(e.Scope); err != nil {
		return err
	}
	if e.CommandID != "" {
		if err := CheckIdempotencyKey(e.CommandID); err != nil {
			return err
		}
	}
	for _, s := range []string{e.Scope, e.Type, e.Actor} {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 || len(s) > MaxKeyLen {
			return ErrBadKey
		}
	}
	return nil
}

// GetJSON reads key and unmarshals it into v.
func GetJSON(tx Tx, bucket, key string, v any) error {
	b, err := tx.Get(bucket, key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.Join(errors.New("corrupt record "+bucket+"/"+key), err)
	}
	return nil
}

// PutJSON marshals v and stores it under key.
func PutJSON(tx Tx, bucket, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(bucket, key, b)
}

// InsertJSON marshals v and inserts it under key (ErrExists if present).
func InsertJSON(tx Tx, bucket, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Insert(bucket, key, b)
}

// PrefixEnd returns the smallest string greater than every string with the given prefix, or ""
// if there is none (the prefix is all 0xff bytes).
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}

// Pinger is implemented by stores that can check their connection more cheaply than a View (the
// PostgreSQL store: one round trip instead of three); /healthz uses it.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Watcher is implemented by stores that can report events committed by other processes (the
// PostgreSQL store, through LISTEN/NOTIFY). The server feeds it into its Hub so long polls wake
// at once instead of at their next periodic re-read.
type Watcher interface {
	// Watch calls fn with the scope of every event committed by any process, until ctx ends.
	// It returns ctx's error; connection failures are retried inside.
	Watch(ctx context.Context, fn func(scope string)) error
}

// ChangeFeed is implemented by stores that several processes share (the PostgreSQL store) for
// the process-local caches that must forget what another process changed: org's permission
// cache. Unlike Watch, Follow also reports this process's own commits, synchronously before
// Update returns, and says when it may have missed changes.
type ChangeFeed interface {
	// Follow calls changed with the scope of every event appended (or scope touched, see
	// Touch) by a committed transaction of any process, and live(true) each time it starts
	// listening and live(false) each time it stops (the connection dropped), until ctx ends;
	// it returns ctx's error. While not live, other processes' changes may be missed: a cache
	// must not answer from memory then, and must drop what it holds at live(true). changed and
	// live must be quick and must not use the store.
	Follow(ctx context.Context, changed func(scope string), live func(bool)) error
}

// Toucher is implemented by the transactions of stores with a ChangeFeed.
type Toucher interface {
	// Touch announces scope as changed when the transaction commits, without an event.
	Touch(scope string)
}

// Touch announces scope as changed when tx commits, to the followers of the store's ChangeFeed;
// a no-op for stores without one. Records that a process-local cache holds call it on every
// write, whether or not the write appends an event.
func Touch(tx Tx, scope string) {
	if t, ok := tx.(Toucher); ok {
		t.Touch(scope)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// BucketClaims holds the names Claim writes (the value is empty; only the write matters).
const BucketClaims = "claims"

// Claim makes tx conflict with every other transaction that claims name at the same time. A
// bound checked by counting keys and then inserting a new one (at most 50 API keys per
// enterprise…) is not safe under snapshot isolation, which PostgreSQL's REPEATABLE READ is: two
// transactions that read the same count and insert different keys both pass (write skew; red
// team s5: 13 webhooks against a bound of 10, 52 API keys against 50). Each writing the one key
// of the bound's name, the second to commit fails, is retried by the store, and its retry counts
// the first's insert. Call it in every transaction that checks and then grows a bounded set.
func Claim(tx Tx, name string) error { return tx.Put(BucketClaims, name, []byte{}) }
