package ui

import (
	"context"
	"sync"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/org"
)

// contractsFollower is a screen that shows contracts (文件's boxes, 首页's counts): it reloads
// when one of them changed on the server or the session changed.
type contractsFollower interface{ contractsChanged() }

// accountID is the signed-in account's id once known ("" before).
func (s *Shell) accountID() string {
	s.accountMu.Lock()
	defer s.accountMu.Unlock()
	if s.Services.Conn == nil || s.Services.Conn.Client() != s.accountOf {
		return ""
	}
	return s.account
}

// setAccount remembers the account id of client c.
func (s *Shell) setAccount(c *client.Client, id string) {
	s.accountMu.Lock()
	defer s.accountMu.Unlock()
	s.accountOf, s.account = c, id
}

// countsChanged gives every box's count to the screens that show them (首页).
func (s *Shell) countsChanged(counts map[string]int) {
	for _, sc := range s.screens {
		if f, ok := sc.(interface{ showCounts(map[string]int) }); ok {
			f.showCounts(counts)
		}
	}
}

// contractsChanged tells every screen that shows contracts to read them again. Call on the UI
// goroutine.
func (s *Shell) contractsChanged() {
	for _, sc := range s.screens {
		if f, ok := sc.(contractsFollower); ok {
			f.contractsChanged()
		}
	}
}

// contractWatch long-polls the signed-in account's sync scope and tells the screens when an
// envelope changed (a new 待我签 shows within a second or two of being sent), and follows the
// Connection: a sign-in, sign-out or switch of context restarts it.
type contractWatch struct {
	shell  *Shell
	mu     sync.Mutex
	cancel context.CancelFunc
	client *client.Client
	stop   func()
	wg     sync.WaitGroup
}

// watchContracts starts following the Connection (nil Conn: nothing to follow).
func (s *Shell) watchContracts() {
	if s.Services.Conn == nil {
		return
	}
	w := &contractWatch{shell: s}
	s.contracts = w
	w.stop = s.Services.Conn.Subscribe(func() {
		w.restart()
		uiDo(s.contractsChanged)
	})
	w.restart()
}

// restart (re)starts the long poll for the current client.
func (w *contractWatch) restart() {
	c := w.shell.Services.Conn.Client()
	w.mu.Lock()
	defer w.mu.Unlock()
	if c == w.client && w.cancel != nil {
		return
	}
	if w.cancel != nil {
		w.cancel()
		w.cancel = nil
	}
	w.client = c
	if c == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.poll(ctx, c)
	}()
}

// poll catches up with the account's scope quietly, then long-polls it; every envelope event
// makes the screens reload. Errors back off (the server may be away: the desktop works offline).
func (w *contractWatch) poll(ctx context.Context, c *client.Client) {
	backoff := time.Second
	var scope string
	var since uint64
	caughtUp := false
	for ctx.Err() == nil {
		if scope == "" {
			me, err := c.Me(ctx)
			if err != nil {
				if !sleepCtx(ctx, backoff) {
					return
				}
				backoff = min(backoff*2, 30*time.Second)
				continue
			}
			scope = org.Scope(me.ID)
			w.shell.setAccount(c, me.ID)
		}
		wait := 25 * time.Second
		if !caughtUp {
			wait = 0
		}
		p, err := c.Pull(ctx, scope, since, 500, wait)
		if err != nil {
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		since = p.Cursor
		if o := w.shell.outbox(); o != nil && len(o.items()) > 0 {
			// back online: the signatures made offline go up now
			if o.flush(ctx, c) > 0 {
				uiDo(w.shell.contractsChanged)
			}
		}
		changed := false
		for _, e := range p.Events {
			changed = changed || e.Type == client.EventEnvelopeChanged
		}
		if caughtUp && changed {
			uiDo(w.shell.contractsChanged)
		}
		if !p.More {
			caughtUp = true
		}
	}
}

// Stop ends the watch (the window is closing; tests).
func (w *contractWatch) Stop() {
	if w == nil {
		return
	}
	if w.stop != nil {
		w.stop()
	}
	w.mu.Lock()
	if w.cancel != nil {
		w.cancel()
	}
	w.mu.Unlock()
	w.wg.Wait()
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
