package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// The desktop's side: commands made offline wait in a local outbox, are sent in order when the
// server is back, a lost answer is resent with the same key (applied once), a refusal is kept for
// the user; the puller applies the scope's events to a local projection exactly once.
func TestDesktopOutboxAndPuller(t *testing.T) {
	e := start(t, openBolt(t), true)
	c := e.register(t, newPhone())
	me, _ := c.Me(ctx)
	scope := org.Scope(me.ID)
	local := openBolt(t) // the desktop's own bbolt file
	box := &sync.Outbox{Store: local}
	put := func(k string, v int) sync.Command {
		return sync.Command{Type: "settings.put", Scope: scope, Payload: json.RawMessage(fmt.Sprintf(`{"key":%q,"value":%d}`, k, v))}
	}
	for i, cmd := range []sync.Command{put("a", 1), {Type: "profile.rename", Scope: scope, Payload: json.RawMessage(`{"name":""}`)}, put("b", 2)} {
		if _, err := box.Enqueue(ctx, cmd); err != nil {
			t.Fatal(i, err)
		}
	}
	// Offline: nothing is lost, nothing moves.
	offline := &client.Client{BaseURL: "http://127.0.0.1:1", HTTP: e.run.HTTPClient(), Token: c.Token}
	if n, err := box.Flush(ctx, offline.Sender()); err == nil || n != 0 {
		t.Fatalf("offline flush: %d %v", n, err)
	}
	if n, _ := box.Pending(ctx); n != 3 {
		t.Fatalf("pending after a failed flush: %d", n)
	}
	// The first command reaches the server but its answer is lost.
	lost := 0
	flaky := func(ctx context.Context, key string, cmd sync.Command) (sync.Applied, error) {
		a, err := c.Sender()(ctx, key, cmd)
		if err == nil && lost == 0 {
			lost++
			return sync.Applied{}, errors.New("connection reset")
		}
		return a, err
	}
	if _, err := box.Flush(ctx, flaky); err == nil {
		t.Fatal("lost answer not reported")
	}
	n, err := box.Flush(ctx, c.Sender())
	if err != nil || n != 3 {
		t.Fatalf("flush: %d %v", n, err)
	}
	all, _ := box.Entries(ctx, "")
	if all[0].State != sync.OutboxApplied || all[0].Attempts != 3 || all[1].State != sync.OutboxRefused || all[1].Code != "bad_name" ||
		all[1].Message == "" || all[2].State != sync.OutboxApplied {
		t.Fatalf("entries: %+v", all)
	}

	// The projection: settings by key, applied with the cursor.
	p := &sync.Puller{Store: local, Pull: c.PullFunc(2), Apply: func(tx sync.Tx, ev sync.Event) error {
		if ev.Type != "settings.changed" {
			return nil
		}
		var s struct {
			Key   string          `json:"key"`
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(ev.Payload, &s); err != nil {
			return err
		}
		var count int
		sync.GetJSON(tx, "projection", "count/"+ev.CommandID, &count)
		if err := sync.PutJSON(tx, "projection", "count/"+ev.CommandID, count+1); err != nil {
			return err
		}
		return tx.Put("projection", "setting/"+s.Key, s.Value)
	}}
	applied, err := p.Sync(ctx, scope)
	if err != nil || applied != 3 { // account.created + two settings
		t.Fatalf("sync: %d %v", applied, err)
	}
	if again, err := p.Sync(ctx, scope); err != nil || again != 0 {
		t.Fatalf("second sync: %d %v", again, err)
	}
	local.View(ctx, func(tx sync.Tx) error {
		for _, k := range []string{all[0].Key, all[2].Key} {
			var count int
			if err := sync.GetJSON(tx, "projection", "count/"+k, &count); err != nil || count != 1 {
				t.Errorf("command %s applied %d times to the projection", k, count)
			}
		}
		if v, _ := tx.Get("projection", "setting/b"); string(v) != "2" {
			t.Errorf("setting b = %q", v)
		}
		return nil
	})
	if err := box.Forget(ctx, all[0].ID, all[1].ID, all[2].ID); err != nil {
		t.Fatal(err)
	}
	if rest, _ := box.Entries(ctx, ""); len(rest) != 0 {
		t.Errorf("after forget: %+v", rest)
	}
}
