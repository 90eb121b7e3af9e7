package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// This file is sync: while somebody is signed in, one follower per scope (the user's own scope
// and the active enterprise's) long-polls /api/v1/sync and applies the events to the projection,
// and a flusher sends the outbox. Every sign-in, sign-out or switch of context starts a new
// generation of them.

// ErrProfile wraps a failure to open the signed-in account's local data (Options.Profile).
var ErrProfile = errors.New("failed to open the account's local data")

// signedIn makes c the session's client, over the account's own local data, and starts
// following. Without that data (Options.Profile failed) nobody is signed in and the error says
// why.
func (m *Manager) signedIn(cfg ServerConfig, c *client.Client, a org.Account) error {
	var who *org.Account
	if cfg.Mode == ModeRemote {
		who = &a
	}
	// one switch of profile at a time, and none for a server no longer chosen (a sign-in to 本机
	// finishing after the user pinned a remote server must not switch to 本机's data)
	m.switchMu.Lock()
	m.mu.Lock()
	stale := m.closed || m.cfg.Mode != cfg.Mode || m.cfg.URL != cfg.URL
	m.mu.Unlock()
	if stale {
		m.switchMu.Unlock()
		return nil
	}
	data, err := m.profile(cfg, who)
	if err != nil {
		m.switchMu.Unlock()
		err = fmt.Errorf("%w: %w", ErrProfile, err)
		m.setProblem(err)
		return err
	}
	m.mu.Lock()
	m.setData(data)
	m.client = c
	acct := a
	m.account = &acct
	m.problem = nil
	m.mu.Unlock()
	m.switchMu.Unlock()
	m.restart()
	m.notify()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		ctx, cancel := context.WithTimeout(m.base, 30*time.Second)
		defer cancel()
		m.RefreshEnterprises(ctx)
	}()
	return nil
}

// profile is Options.Profile (Store without one).
func (m *Manager) profile(cfg ServerConfig, a *org.Account) (sync.Store, error) {
	if m.o.Profile == nil {
		return m.o.Store, nil
	}
	return m.o.Profile(cfg, a)
}

// setData makes data the store of the outbox, projection and kept copies; m.mu is held.
func (m *Manager) setData(data sync.Store) {
	if data != m.data {
		m.data = data
		m.outbx = &sync.Outbox{Store: data, Now: m.o.Now}
	}
}

// dataStore is the store of the signed-in account's local data (or 本机's).
func (m *Manager) dataStore() sync.Store {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data
}

// endSession drops the client, stops following and goes back to the local data of nobody
// signed in.
func (m *Manager) endSession() {
	m.switchMu.Lock()
	local, lerr := m.profile(m.Server(), nil)
	m.mu.Lock()
	if lerr == nil {
		m.setData(local)
	}
	m.client = nil
	m.account = nil
	m.enterprises = nil
	m.online = false
	m.gen++
	if m.stopGen != nil {
		m.stopGen()
		m.stopGen = nil
	}
	m.mu.Unlock()
	m.switchMu.Unlock()
	m.notify()
}

// restart stops the current followers and starts new ones for the current client and context.
func (m *Manager) restart() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopGen != nil {
		m.stopGen()
		m.stopGen = nil
	}
	m.gen++
	if m.client == nil || m.closed || m.account == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.stopGen = cancel
	// this generation works on the data of its account, whatever is signed in later
	c, gen, data, ob := m.client, m.gen, m.data, m.outbx
	scopes := []string{org.Scope(m.account.ID)}
	if m.context != "" {
		scopes = append(scopes, EnterpriseScope(m.context))
	}
	for _, sc := range scopes {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.follow(ctx, c, gen, data, sc)
		}()
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.flusher(ctx, c, gen, ob)
	}()
}

// current reports whether gen is still the live generation.
func (m *Manager) current(gen int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen == gen
}

// Puller returns the puller that applies scope's events to the projection (of the signed-in
// account's local data) through pull.
func (m *Manager) Puller(pull sync.PullFunc) *sync.Puller {
	return &sync.Puller{Store: m.dataStore(), Pull: pull, Apply: ApplyEvent}
}

// follow keeps scope caught up in data until ctx ends.
func (m *Manager) follow(ctx context.Context, c *client.Client, gen int, data sync.Store, scope string) {
	wait := m.o.PollWait
	p := &sync.Puller{Store: data, Apply: ApplyEvent}
	p.Pull = func(ctx context.Context, scope string, since uint64) ([]sync.Event, uint64, bool, error) {
		r, err := c.Pull(ctx, scope, since, m.o.PullLimit, wait)
		return r.Events, r.Cursor, r.More, err
	}
	retry := m.o.Retry
	first := true // the first caught-up round is news: the window shows "synced"
	for ctx.Err() == nil {
		// The first round does not wait: the window shows "synced" as soon as it is.
		n, err := p.Sync(ctx, scope)
		if ctx.Err() != nil || !m.current(gen) {
			return
		}
		m.exchanged(err)
		if err != nil {
			m.checkPin(ctx, err)
			if !sleep(ctx, retry) {
				return
			}
			retry = min(retry*2, 30*time.Second)
			continue
		}
		retry = m.o.Retry
		now := m.o.Now()
		m.mu.Lock()
		shown := m.lastSync.Truncate(time.Minute) != now.Truncate(time.Minute)
		m.lastSync = now
		m.mu.Unlock()
		if n > 0 && strings.HasPrefix(scope, "user:") {
			// joined or left an enterprise, a role changed: the switcher follows
			m.RefreshEnterprises(ctx)
		}
		// Subscribers refetch what they show, so a quiet round (a long poll that timed out with
		// nothing new) notifies only when the sync bar's "synced at HH:MM" would change. Every
		// round used to notify: under load hundreds of refetches piled up waiting for the UI
		// thread and the sign-in dialog took 84 s to appear.
		if n > 0 || shown || first {
			m.notify()
		}
		first = false
	}
}

// exchanged records the outcome of a request to the server: online, offline (network), or a
// problem the server answered (an expired session ends it).
func (m *Manager) exchanged(err error) {
	var ce *client.Error
	m.mu.Lock()
	was := m.online
	switch {
	case err == nil:
		m.online, m.problem = true, nil
	case errors.As(err, &ce) && ce.Status == 401:
		m.online, m.problem = true, ErrSessionExpired
	case errors.As(err, &ce) && ce.Status < 500:
		m.online, m.problem = true, err
	default:
		m.online, m.problem = false, err
	}
	now, expired := m.online, errors.Is(m.problem, ErrSessionExpired)
	m.mu.Unlock()
	if expired && m.Server().Mode == ModeRemote {
		m.o.Store.Update(context.Background(), func(tx sync.Tx) error { return tx.Delete(BucketSession, keyToken) })
		m.endSession()
		m.mu.Lock()
		m.problem = ErrSessionExpired
		m.mu.Unlock()
		m.notify()
		return
	}
	if now && !was {
		m.nudge() // back online: send what waited
	}
	if now != was {
		m.notify()
	}
}

// checkPin looks at a failed TLS handshake with the remote server: when the server now
// presents another CA than the pinned one, the problem becomes a *FingerprintChangedError that
// the window shows with the new fingerprint and a warning.
func (m *Manager) checkPin(ctx context.Context, err error) {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &unknown) && !errors.As(err, &invalid) && !errors.As(err, &verr) {
		return
	}
	cfg := m.Server()
	if cfg.Mode != ModeRemote {
		return
	}
	p, perr := m.Probe(ctx, cfg.URL)
	if perr != nil || !p.Changed {
		return
	}
	m.mu.Lock()
	m.problem = &FingerprintChangedError{Pinned: cfg.Fingerprint, Probe: p}
	m.online = false
	m.mu.Unlock()
	m.notify()
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ----- the outbox -----

// Submit queues a command for the server (with a new idempotency key) and nudges the flusher.
// Offline it waits; its answer — applied, or refused with the server's message — comes later.
func (m *Manager) Submit(ctx context.Context, cmd sync.Command) (sync.OutboxEntry, error) {
	e, err := m.Outbox().Enqueue(ctx, cmd)
	if err != nil {
		return e, err
	}
	m.nudge()
	m.notify()
	return e, nil
}

// Outbox is the queue of commands of the signed-in account (or of 本机 and nobody signed in),
// for tests and the status details.
func (m *Manager) Outbox() *sync.Outbox {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.outbx
}

// Dismiss forgets refused commands the user has read.
func (m *Manager) Dismiss(ids ...string) error {
	err := m.Outbox().Forget(context.Background(), ids...)
	m.notify()
	return err
}

// SyncNow sends the outbox at once (after the user pressed 立即同步).
func (m *Manager) SyncNow() { m.nudge() }

func (m *Manager) nudge() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// flusher sends the outbox ob (of the generation's account) when nudged, and every 15 s while
// something waits.
func (m *Manager) flusher(ctx context.Context, c *client.Client, gen int, ob *sync.Outbox) {
	send := c.Sender()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		if n, _ := ob.Pending(ctx); n > 0 {
			done, err := ob.Flush(ctx, send)
			if ctx.Err() != nil || !m.current(gen) {
				return
			}
			m.exchanged(err)
			if done > 0 {
				forgetApplied(ctx, ob)
				m.notify()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-m.wake:
		case <-tick.C:
		}
	}
}

// forgetApplied removes applied entries: their effect arrives as events. Refused ones stay
// until the user dismisses them.
func forgetApplied(ctx context.Context, ob *sync.Outbox) {
	es, err := ob.Entries(ctx, sync.OutboxApplied)
	if err != nil || len(es) == 0 {
		return
	}
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	ob.Forget(ctx, ids...)
}

// ----- the projection -----

// ApplyEvent updates the projection for one event, inside the transaction that moves the scope's
// cursor. The projection keeps, per scope, the latest payload of every object the events name:
// an event "member.joined" whose payload has "id": "m1" is kept under "<scope>|member|m1"; an
// event whose type ends in ".deleted" or ".removed" deletes it. Events without an id only move
// the cursor. The count of applied events per scope is kept too.
func ApplyEvent(tx sync.Tx, e sync.Event) error {
	noun := e.Type
	if i := strings.IndexByte(noun, '.'); i > 0 {
		noun = noun[:i]
	}
	var head struct {
		ID        string `json:"id"`
		AccountID string `json:"account_id"` // members are named by their account
	}
	if len(e.Payload) > 0 && e.Payload[0] == '{' {
		json.Unmarshal(e.Payload, &head) // a payload of another shape only moves the cursor
	}
	if head.ID == "" {
		head.ID = head.AccountID
	}
	if head.ID != "" && noun != "" {
		key := ProjectionKey(e.Scope, noun, head.ID)
		if sync.CheckKey(key) == nil {
			if strings.HasSuffix(e.Type, ".deleted") || strings.HasSuffix(e.Type, ".removed") {
				if err := tx.Delete(BucketProjection, key); err != nil {
					return err
				}
			} else if err := tx.Put(BucketProjection, key, e.Payload); err != nil {
				return err
			}
		}
	}
	return nil
}

// ProjectionKey is where ApplyEvent keeps an object.
func ProjectionKey(scope, noun, id string) string { return scope + "|" + noun + "|" + id }

// Projected returns the projected objects of one kind (noun) in scope, by id.
func (m *Manager) Projected(ctx context.Context, scope, noun string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	prefix := scope + "|" + noun + "|"
	err := m.dataStore().View(ctx, func(tx sync.Tx) error {
		return tx.Scan(BucketProjection, prefix, "", 0, func(k string, v []byte) error {
			out[strings.TrimPrefix(k, prefix)] = v
			return nil
		})
	})
	return out, err
}
