package session

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"sealdesk/core/sync"
)

// BucketKept holds what screens last read from the server, so that they can show it offline:
// "<server URL>|<account id>|<key>" → kept.
const BucketKept = "session_kept"

// kept is one entry of BucketKept.
type kept struct {
	Time  time.Time       `json:"time"`
	Value json.RawMessage `json:"value"`
}

// keptKey names key for the server and account of the session now ("" without a signed-in
// account: nothing is kept then, so one account never reads another's copy).
func (m *Manager) keptKey(key string) string {
	a, ok := m.Account()
	if !ok || a.ID == "" {
		return ""
	}
	return m.Server().URL + "|" + a.ID + "|" + key
}

// Keep stores v (as JSON) under key for the signed-in account on this server, with the time.
func (m *Manager) Keep(ctx context.Context, key string, v any) error {
	k := m.keptKey(key)
	if k == "" {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return m.dataStore().Update(ctx, func(tx sync.Tx) error {
		return sync.PutJSON(tx, BucketKept, k, kept{Time: time.Now().UTC(), Value: b})
	})
}

// Kept reads back what Keep stored under key into v and returns when it was kept; the zero
// time (and v untouched) when nothing was.
func (m *Manager) Kept(ctx context.Context, key string, v any) (time.Time, error) {
	k := m.keptKey(key)
	if k == "" {
		return time.Time{}, nil
	}
	var e kept
	err := m.dataStore().View(ctx, func(tx sync.Tx) error { return sync.GetJSON(tx, BucketKept, k, &e) })
	if errors.Is(err, sync.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return e.Time, json.Unmarshal(e.Value, v)
}
