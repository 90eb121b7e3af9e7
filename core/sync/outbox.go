package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// This file is the desktop's side of sync: an Outbox of commands made offline (each with its
// idempotency key, sent in order when online, its answer kept so a refusal is shown, not lost)
// and a Puller that applies a scope's events to a local projection, moving the cursor in the same
// transaction. Both keep their state in a local Store (the desktop's bbolt file).

// Buckets of the desktop side.
const (
	BucketOutbox  = "outbox"
	BucketCursors = "cursors"
)

// Outbox entry states.
const (
	OutboxPending = "pending"
	OutboxApplied = "applied"
	OutboxRefused = "refused"
)

// OutboxEntry is one command waiting for (or answered by) the server.
type OutboxEntry struct {
	ID        string    `json:"id"`  // sortable: enqueue order
	Key       string    `json:"key"` // idempotency key, fixed at enqueue time
	Command   Command   `json:"command"`
	Enqueued  time.Time `json:"enqueued"`
	State     string    `json:"state"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"` // the last transient failure
	Answered  time.Time `json:"answered,omitzero"`
	Applied   *Applied  `json:"applied,omitempty"` // when applied
	Code      string    `json:"code,omitempty"`    // when refused
	Message   string    `json:"message,omitempty"` // when refused (Chinese, for the user)
}

// SendFunc sends one command with its key. It returns *Refusal when the server refused it (a
// final answer) and any other error for a failure worth retrying (network, 5xx).
type SendFunc func(ctx context.Context, key string, cmd Command) (Applied, error)

// Outbox queues commands in a local store.
type Outbox struct {
	Store Store
	Now   func() time.Time
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// Enqueue stores cmd with a new idempotency key and returns the entry.
func (o *Outbox) Enqueue(ctx context.Context, cmd Command) (OutboxEntry, error) {
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return OutboxEntry{}, err
	}
	now := o.now()
	e := OutboxEntry{Key: hex.EncodeToString(r[:]), Command: cmd, Enqueued: now, State: OutboxPending}
	err := o.Store.Update(ctx, func(tx Tx) error {
		var n uint64
		if err := GetJSON(tx, BucketOutbox, "~seq", &n); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		n++
		e.ID = fmt.Sprintf("e%016d", n)
		if err := PutJSON(tx, BucketOutbox, "~seq", n); err != nil {
			return err
		}
		return PutJSON(tx, BucketOutbox, e.ID, e)
	})
	return e, err
}

// Entries lists entries in enqueue order (state "" means all).
func (o *Outbox) Entries(ctx context.Context, state string) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := o.Store.View(ctx, func(tx Tx) error {
		return tx.Scan(BucketOutbox, "e", "", 0, func(_ string, v []byte) error {
			var e OutboxEntry
			if err := jsonUnmarshal(v, &e); err != nil {
				return err
			}
			if state == "" || e.State == state {
				out = append(out, e)
			}
			return nil
		})
	})
	return out, err
}

// Pending counts the commands still waiting ("N changes waiting").
func (o *Outbox) Pending(ctx context.Context) (int, error) {
	es, err := o.Entries(ctx, OutboxPending)
	return len(es), err
}

// Flush sends pending commands in order. It stops at the first transient failure (so later
// commands never overtake earlier ones) and returns it; refusals are recorded and passed. It
// returns how many entries got a final answer.
func (o *Outbox) Flush(ctx context.Context, send SendFunc) (int, error) {
	pending, err := o.Entries(ctx, OutboxPending)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, e := range pending {
		applied, sendErr := send(ctx, e.Key, e.Command)
		var ref *Refusal
		switch {
		case sendErr == nil:
			e.State, e.Applied = OutboxApplied, &applied
		case errors.As(sendErr, &ref):
			e.State, e.Code, e.Message = OutboxRefused, ref.Code, ref.Message
		default:
			e.LastError = sendErr.Error()
		}
		e.Attempts++
		if e.State != OutboxPending {
			e.Answered = o.now()
		}
		if err := o.Store.Update(ctx, func(tx Tx) error { return PutJSON(tx, BucketOutbox, e.ID, e) }); err != nil {
			return done, err
		}
		if e.State == OutboxPending {
			return done, fmt.Errorf("failed to send command %s: %w", e.ID, sendErr)
		}
		done++
	}
	return done, nil
}

// Forget removes answered entries (after the user has seen them).
func (o *Outbox) Forget(ctx context.Context, ids ...string) error {
	return o.Store.Update(ctx, func(tx Tx) error {
		for _, id := range ids {
			var e OutboxEntry
			if err := GetJSON(tx, BucketOutbox, id, &e); err != nil {
				if errors.Is(err, ErrNotFound) {
					continue
				}
				return err
			}
			if e.State == OutboxPending {
				return fmt.Errorf("entry %s is still pending", id)
			}
			if err := tx.Delete(BucketOutbox, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// PullFunc fetches events of scope after since: the page, the cursor to continue from, and
// whether more are waiting.
type PullFunc func(ctx context.Context, scope string, since uint64) (events []Event, cursor uint64, more bool, err error)

// Puller applies a scope's events to a local projection.
type Puller struct {
	Store Store
	Pull  PullFunc
	// Apply updates the projection for one event, inside the transaction that also moves the
	// cursor, so a crash never applies an event twice or skips one.
	Apply func(tx Tx, e Event) error
}

// Cursor returns the last applied sequence number of scope.
func (p *Puller) Cursor(ctx context.Context, scope string) (uint64, error) {
	var c uint64
	err := p.Store.View(ctx, func(tx Tx) error {
		err := GetJSON(tx, BucketCursors, scope, &c)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	return c, err
}

// Sync pulls and applies pages until the scope is caught up; it returns how many events it
// applied. Events out of order (a gap after the cursor) are refused.
func (p *Puller) Sync(ctx context.Context, scope string) (int, error) {
	total := 0
	for {
		since, err := p.Cursor(ctx, scope)
		if err != nil {
			return total, err
		}
		evs, cursor, more, err := p.Pull(ctx, scope, since)
		if err != nil {
			return total, err
		}
		if len(evs) > 0 {
			err = p.Store.Update(ctx, func(tx Tx) error {
				var cur uint64
				if err := GetJSON(tx, BucketCursors, scope, &cur); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				for _, e := range evs {
					if e.Seq <= cur {
						continue // applied by a concurrent Sync
					}
					if e.Seq != cur+1 {
						return fmt.Errorf("event %s/%d arrived after %d: gap in the log", scope, e.Seq, cur)
					}
					if err := p.Apply(tx, e); err != nil {
						return fmt.Errorf("failed to apply event %s/%d: %w", scope, e.Seq, err)
					}
					cur = e.Seq
				}
				return PutJSON(tx, BucketCursors, scope, cur)
			})
			if err != nil {
				return total, err
			}
			total += len(evs)
		}
		if !more || cursor == since {
			return total, nil
		}
	}
}
