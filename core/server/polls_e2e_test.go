package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/server"
)

// Red team s5, F2 (unbounded long polls): one account keeps at most PollsPerAccount long polls
// waiting in a process; one more is refused at once (429 too_many_polls, Retry-After), while
// polls without a wait, other accounts and a freed place are served. Before: 3 000 waiting polls
// of one account kept a third of a core re-reading the store.
func TestLongPollsPerAccountBoundedE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startWith(t, open(t), true, func(o *server.Options) { o.PollsPerAccount = 3 })
			a, b := e.register(t, newPhone()), e.register(t, newPhone())
			me, err := a.Me(ctx)
			if err != nil {
				t.Fatal(err)
			}
			scope := org.Scope(me.ID)
			const far = 1 << 40 // no event has this sequence: the polls wait
			var cancels []context.CancelFunc
			done := make(chan error, 3)
			for i := 0; i < 3; i++ {
				pctx, cancel := context.WithCancel(ctx)
				cancels = append(cancels, cancel)
				go func() {
					_, err := a.Pull(pctx, scope, far, 10, time.Minute)
					done <- err
				}()
			}
			defer func() {
				for _, c := range cancels {
					c()
				}
			}()
			waitFor := func(n int) {
				t.Helper()
				for deadline := time.Now().Add(10 * time.Second); e.run.Server.WaitingPolls(me.ID) != n; {
					if time.Now().After(deadline) {
						t.Fatalf("waiting polls: %d, want %d", e.run.Server.WaitingPolls(me.ID), n)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			waitFor(3)

			_, err = a.Pull(ctx, scope, far, 10, 50*time.Millisecond)
			wantCode(t, err, "too_many_polls")
			req, _ := http.NewRequest("GET", e.run.URL+"/api/v1/sync?wait=1s", nil)
			req.Header.Set("Authorization", "Bearer "+a.Token)
			resp, err := e.run.HTTPClient().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Errorf("over the bound: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			if _, err := a.Pull(ctx, scope, 0, 10, 0); err != nil {
				t.Errorf("a poll without a wait: %v", err)
			}
			if _, err := b.Pull(ctx, "", 0, 10, 50*time.Millisecond); err != nil {
				t.Errorf("another account's poll: %v", err)
			}

			// One poll ends: its place is free again.
			cancels[0]()
			if err := <-done; err == nil {
				t.Error("a cancelled poll answered")
			}
			waitFor(2)
			if _, err := a.Pull(ctx, scope, far, 10, 50*time.Millisecond); err != nil {
				t.Errorf("a poll in the freed place: %v", err)
			}
			// The others leave no count behind.
			for _, c := range cancels[1:] {
				c()
			}
			for i := 0; i < 2; i++ {
				<-done
			}
			waitFor(0)
		})
	}
}
