package sync

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Command is a change request a client pushes. The client makes an idempotency key for it and
// sends the same key on every retry.
type Command struct {
	Type    string          `json:"type"`
	Scope   string          `json:"scope"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Refusal is a command (or request) refused for a reason the user should see: it carries the
// HTTP status, a stable code and a Chinese message. A refusal is a result: it is stored with the
// idempotency key like a success, so a retry gets the same refusal.
type Refusal struct {
	Status  int
	Code    string
	Message string
}

func (r *Refusal) Error() string { return fmt.Sprintf("refused: %s", r.Code) }

// Refuse makes a Refusal.
func Refuse(status int, code, message string) *Refusal {
	return &Refusal{Status: status, Code: code, Message: message}
}

// Actor is who sends a command.
type Actor struct {
	ID    string // account id
	Admin bool
}

// Handler applies one command type inside the command's transaction. It returns the result to
// send back (marshalled to JSON) and the events to append; returning a *Refusal rolls the
// transaction back and records the refusal.
type Handler func(ctx context.Context, tx Tx, actor Actor, cmd Command, now time.Time) (result any, events []Event, err error)

// Authorizer says whether actor may send commands to scope. It returns a *Refusal to refuse.
type Authorizer func(tx Tx, actor Actor, scope string) error

// Outcome is the stored answer to a command: what the first application returned.
type Outcome struct {
	Status      int             `json:"status"`
	Body        json.RawMessage `json:"body"`
	RequestHash string          `json:"request_hash"`
	Time        time.Time       `json:"time"`
	Replayed    bool            `json:"-"` // true when this is a retry's answer
}

// Applied is the body of a successful command's answer.
type Applied struct {
	Result json.RawMessage `json:"result,omitempty"`
	Events []EventRef      `json:"events"`
}

// EventRef points at an appended event.
type EventRef struct {
	Scope string `json:"scope"`
	Seq   uint64 `json:"seq"`
}

// Buckets used by this package.
const (
	BucketIdempotency = "idempotency"
	BucketAudit       = "audit"
)

// MaxIdempotencyKeyLen bounds client-made keys.
const MaxIdempotencyKeyLen = 128

// Processor applies commands exactly once per (actor, idempotency key).
type Processor struct {
	Store     Store
	Hub       *Hub // may be nil
	Now       func() time.Time
	Authorize Authorizer
	handlers  map[string]Handler
}

// Register adds the handler of a command type. It panics on a duplicate: handlers are wired once
// at start-up.
func (p *Processor) Register(typ string, h Handler) {
	if p.handlers == nil {
		p.handlers = map[string]Handler{}
	}
	if _, dup := p.handlers[typ]; dup {
		panic("sync: duplicate command handler " + typ)
	}
	p.handlers[typ] = h
}

// Types lists the registered command types.
func (p *Processor) Types() []string {
	var out []string
	for t := range p.handlers {
		out = append(out, t)
	}
	return out
}

// Apply runs cmd for actor unless a command with the same key was already applied, in which case
// it returns the stored outcome with Replayed set. Reusing a key for a different command is
// refused. Errors other than *Refusal are internal (store failures) and are not recorded, so the
// client's retry runs the command again.
func (p *Processor) Apply(ctx context.Context, actor Actor, key string, cmd Command) (Outcome, error) {
	if CheckIdempotencyKey(key) != nil {
		return Outcome{}, Refuse(http.StatusBadRequest, "bad_idempotency_key", "缺少或无效的 Idempotency-Key（须为 1–128 个可打印 ASCII 字符）")
	}
	if err := CheckName(cmd.Scope); err != nil {
		return Outcome{}, Refuse(http.StatusBadRequest, "bad_scope", "无效的 scope")
	}
	h, ok := p.handlers[cmd.Type]
	if !ok {
		return Outcome{}, Refuse(http.StatusBadRequest, "unknown_command", "未知的命令类型："+cmd.Type)
	}
	hash := requestHash(cmd)
	recKey := actor.ID + "\x00" + key
	now := p.Now().UTC()
	var out Outcome
	var scopes []string
	err := p.Store.Update(ctx, func(tx Tx) error {
		out, scopes = Outcome{}, nil
		if found, err := lookup(tx, recKey, hash, &out); err != nil || found {
			return err
		}
		if p.Authorize != nil {
			if err := p.Authorize(tx, actor, cmd.Scope); err != nil {
				return err
			}
		}
		result, events, err := h(ctx, tx, actor, cmd, now)
		if err != nil {
			return err
		}
		applied := Applied{Events: []EventRef{}}
		if result != nil {
			if applied.Result, err = json.Marshal(result); err != nil {
				return fmt.Errorf("failed to marshal command result: %w", err)
			}
		}
		for _, e := range events {
			if e.Scope == "" {
				e.Scope = cmd.Scope
			}
			e.Actor, e.CommandID, e.Time = actor.ID, key, now
			stored, err := tx.Append(e)
			if err != nil {
				return err
			}
			applied.Events = append(applied.Events, EventRef{stored.Scope, stored.Seq})
			scopes = append(scopes, stored.Scope)
		}
		body, err := json.Marshal(applied)
		if err != nil {
			return err
		}
		out = Outcome{Status: http.StatusOK, Body: body, RequestHash: hash, Time: now}
		if err := InsertJSON(tx, BucketIdempotency, recKey, out); err != nil {
			return err
		}
		return Audit(tx, AuditEntry{Time: now, Actor: actor.ID, Action: "command." + cmd.Type, Target: cmd.Scope, Detail: key})
	})
	var ref *Refusal
	if errors.As(err, &ref) {
		// Record the refusal so a retry sees the same answer, unless a concurrent first attempt
		// recorded something already.
		body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": ref.Code, "message": ref.Message}})
		err = p.Store.Update(ctx, func(tx Tx) error {
			out = Outcome{}
			if found, err := lookup(tx, recKey, hash, &out); err != nil || found {
				return err
			}
			out = Outcome{Status: ref.Status, Body: body, RequestHash: hash, Time: now}
			return InsertJSON(tx, BucketIdempotency, recKey, out)
		})
	}
	if err != nil {
		return Outcome{}, err
	}
	if p.Hub != nil && len(scopes) > 0 {
		p.Hub.Notify(scopes...)
	}
	return out, nil
}

// lookup reads a stored outcome; a different request under the same key is refused.
func lookup(tx Tx, recKey, hash string, out *Outcome) (bool, error) {
	err := GetJSON(tx, BucketIdempotency, recKey, out)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if out.RequestHash != hash {
		return false, Refuse(http.StatusUnprocessableEntity, "idempotency_key_reused", "该 Idempotency-Key 已用于另一条命令")
	}
	out.Replayed = true
	return true, nil
}

func requestHash(cmd Command) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s\x00%d:%s\x00", len(cmd.Type), cmd.Type, len(cmd.Scope), cmd.Scope)
	h.Write(cmd.Payload)
	return hex.EncodeToString(h.Sum(nil))
}

// AuditEntry is one line of the audit log: who did what to what.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`            // account id, or "system", or "anonymous"
	Action string    `json:"action"`           // e.g. "account.login", "command.settings.put"
	Target string    `json:"target,omitempty"` // what it touched
	Detail string    `json:"detail,omitempty"`
	IP     string    `json:"ip,omitempty"`
}

// Audit appends an entry to the audit log in tx. Keys sort by time, so Scan lists the log in
// order; a random suffix keeps entries of the same nanosecond apart.
func Audit(tx Tx, e AuditEntry) error {
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return err
	}
	key := e.Time.UTC().Format("20060102T150405.000000000") + "-" + hex.EncodeToString(r[:])
	return PutJSON(tx, BucketAudit, key, e)
}
