package org

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	stdsync "sync"
	"time"

	"sealdesk/core/sync"
)

// PermCacheTTL is how long the permission cache believes a membership or a role it read, when
// no change was announced meanwhile: the safety net for a notification lost without the
// listening connection dropping (a process that died between its commit and its NOTIFY).
const PermCacheTTL = time.Second

// Bounds of the permission cache.
const (
	permCacheMaxEntries = 200_000 // memberships and roles held; beyond, everything is dropped
	permCacheMaxFills   = 16      // background reads at once; a miss beyond them is not cached
)

// PermCacheStats describes the permission cache of a Service (for tests and metrics).
type PermCacheStats struct {
	Live     bool   // the change feed listens: the cache answers
	Connects uint64 // times the change feed started listening
	Hits     uint64 // checks answered from memory
	Misses   uint64 // checks that read the store
	Fills    uint64 // entries read into memory
	Flushes  uint64 // enterprises forgotten because they changed
}

// permCache keeps memberships and custom roles read by Require in memory, for stores shared by
// several processes (PostgreSQL), where reading them costs two round trips per request.
//
// Correctness rests on three rules. (1) An enterprise's entries are dropped when any process
// commits a change to its members or roles: the writes call sync.Touch on the enterprise's
// scope, and the store's ChangeFeed reports it — this process's commits before Update
// returns, the others' through LISTEN/NOTIFY. (2) The cache answers only while the feed listens,
// and drops everything when it (re)starts, so changes missed while disconnected cannot be
// served. (3) An entry is read in a fresh transaction begun after noting the enterprise's
// generation, and is installed only if no change was announced since: a change committed
// before the read is in its snapshot, one committed after it bumps the generation. Entries
// also expire after ttl (the net for a lost notification).
type permCache struct {
	store sync.Store
	ttl   time.Duration
	ctx   context.Context

	mu       stdsync.Mutex
	live     bool
	gen      uint64 // bumped when everything is dropped: fills begun before do not install
	ents     map[string]*entPerms
	size     int
	inflight map[string]bool
	stats    PermCacheStats

	// Sessions (Authenticate): a session and its account, by token key. An entry is good
	// while its account did not change since the entry's read began: seq counts account
	// changes, userSeq holds each changed account's last one.
	seq      uint64
	userSeq  map[string]uint64
	sessions map[string]cachedSession
}

type cachedSession struct {
	account []byte // the account record (decoded at every use: callers may change what they get)
	sess    Session
	seq     uint64 // c.seq when the read began
	until   time.Time
}

type entPerms struct {
	gen     uint64 // bumped at every change of the enterprise
	members map[string]cachedMember
	roles   map[string]cachedRole
}

type cachedMember struct {
	m     Member
	found bool
	until time.Time
}

type cachedRole struct {
	perms string // the role record's permission list, comma-separated
	found bool
	until time.Time
}

// RunPermCache keeps a cache of memberships and roles for Require, fed by the store's change
// feed, until ctx ends (it returns ctx's error). also, if not nil, is called with every changed
// scope too (the server wakes its long polls with it), so one listening connection serves both.
// ttl <= 0 means PermCacheTTL. Without RunPermCache, Require reads the store every time (bbolt:
// one process, reads are cheap).
func (s *Service) RunPermCache(ctx context.Context, feed sync.ChangeFeed, ttl time.Duration, also func(scope string)) error {
	if ttl <= 0 {
		ttl = PermCacheTTL
	}
	c := &permCache{store: s.Store, ttl: ttl, ctx: ctx, inflight: map[string]bool{}}
	c.dropAll()
	if !s.perms.CompareAndSwap(nil, c) {
		return errors.New("the permission cache is already running")
	}
	defer s.perms.CompareAndSwap(c, nil)
	return feed.Follow(ctx, func(scope string) {
		c.changed(scope)
		if also != nil {
			also(scope)
		}
	}, c.setLive)
}

// PermCacheStats returns the permission cache's counters (ok false: no cache runs).
func (s *Service) PermCacheStats() (st PermCacheStats, ok bool) {
	c := s.perms.Load()
	if c == nil {
		return st, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st = c.stats
	st.Live = c.live
	return st, true
}

func (c *permCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.dropAll()
	if live {
		c.stats.Connects++
	}
}

func (c *permCache) dropAll() {
	c.gen++
	c.ents = map[string]*entPerms{}
	c.size = 0
	c.userSeq = map[string]uint64{}
	c.sessions = map[string]cachedSession{}
}

func (c *permCache) changed(scope string) {
	if acct, ok := strings.CutPrefix(scope, "user:"); ok {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.userSeq) >= permCacheMaxEntries {
			c.dropAll()
		}
		c.seq++
		c.userSeq[acct] = c.seq
		return
	}
	id, ok := EnterpriseIDOfScope(scope)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.ents[id]; e != nil {
		e.gen++
		c.size -= len(e.members) + len(e.roles)
		e.members, e.roles = nil, nil
		c.stats.Flushes++
	}
}

// cacheable says whether a membership or role key can be cached (GetMember refuses the others).
func cacheable(entID, id string) bool {
	return entID != "" && id != "" && !strings.Contains(entID, "/")
}

// member returns a cached membership: hit false means ask the store.
func (c *permCache) member(entID, accountID string, now time.Time) (m Member, found, hit bool) {
	if c == nil {
		return Member{}, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		if e := c.ents[entID]; e != nil {
			if cm, ok := e.members[accountID]; ok && now.Before(cm.until) {
				c.stats.Hits++
				return cm.m, cm.found, true
			}
		}
	}
	c.stats.Misses++
	return Member{}, false, false
}

// role returns a cached custom role's permission list: hit false means ask the store.
func (c *permCache) role(entID, roleID string, now time.Time) (perms string, found, hit bool) {
	if c == nil {
		return "", false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live {
		if e := c.ents[entID]; e != nil {
			if cr, ok := e.roles[roleID]; ok && now.Before(cr.until) {
				c.stats.Hits++
				return cr.perms, cr.found, true
			}
		}
	}
	c.stats.Misses++
	return "", false, false
}

// fill reads a membership (kind 'm') or a custom role ('r') in a transaction of its own, in the
// background (the caller's transaction holds a connection; waiting for a second one could
// exhaust the pool), and installs it if the enterprise did not change meanwhile.
func (c *permCache) fill(kind byte, entID, id string) {
	if c == nil || !cacheable(entID, id) {
		return
	}
	key := string(kind) + entID + "\x00" + id
	c.mu.Lock()
	if !c.live || c.inflight[key] || len(c.inflight) >= permCacheMaxFills || c.ctx.Err() != nil {
		c.mu.Unlock()
		return
	}
	if c.size >= permCacheMaxEntries {
		c.dropAll()
	}
	e := c.ents[entID]
	if e == nil {
		e = &entPerms{}
		c.ents[entID] = e
	}
	gen, egen := c.gen, e.gen
	c.inflight[key] = true
	c.mu.Unlock()
	go func() {
		start := time.Now() // before the snapshot: the entry is not believed longer than ttl after it
		var cm cachedMember
		var cr cachedRole
		err := c.store.View(c.ctx, func(tx sync.Tx) error {
			var err error
			if kind == 'm' {
				cm.m, err = GetMember(tx, entID, id)
				cm.found = err == nil
			} else {
				cr.perms, err = rolePerms(tx, entID, id)
				cr.found = err == nil
			}
			if errors.Is(err, sync.ErrNotFound) {
				return nil
			}
			return err
		})
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.inflight, key)
		if err != nil || !c.live || c.gen != gen || c.ents[entID] != e || e.gen != egen {
			return
		}
		until := start.Add(c.ttl)
		if kind == 'm' {
			if e.members == nil {
				e.members = map[string]cachedMember{}
			}
			if _, ok := e.members[id]; !ok {
				c.size++
			}
			cm.until = until
			e.members[id] = cm
		} else {
			if e.roles == nil {
				e.roles = map[string]cachedRole{}
			}
			if _, ok := e.roles[id]; !ok {
				c.size++
			}
			cr.until = until
			e.roles[id] = cr
		}
		c.stats.Fills++
	}()
}

// session returns a cached session and its account: hit false means ask the store.
func (c *permCache) session(key string, now time.Time) (a Account, sess Session, hit bool) {
	if c == nil {
		return Account{}, Session{}, false
	}
	c.mu.Lock()
	cs, ok := c.sessions[key]
	ok = ok && c.live && now.Before(cs.until) && c.userSeq[cs.sess.AccountID] <= cs.seq
	if ok {
		c.stats.Hits++
	} else {
		c.stats.Misses++
	}
	c.mu.Unlock()
	if !ok || json.Unmarshal(cs.account, &a) != nil {
		return Account{}, Session{}, false
	}
	return a, cs.sess, true
}

// fillSession reads a session and its account in a transaction of its own, in the background
// (see fill), and installs them if the account did not change meanwhile.
func (c *permCache) fillSession(key string) {
	if c == nil {
		return
	}
	ikey := "s" + key
	c.mu.Lock()
	if !c.live || c.inflight[ikey] || len(c.inflight) >= permCacheMaxFills || c.ctx.Err() != nil {
		c.mu.Unlock()
		return
	}
	if len(c.sessions) >= permCacheMaxEntries {
		c.dropAll()
	}
	gen, seq := c.gen, c.seq
	c.inflight[ikey] = true
	c.mu.Unlock()
	go func() {
		start := time.Now()
		var cs cachedSession
		err := c.store.View(c.ctx, func(tx sync.Tx) error {
			if err := sync.GetJSON(tx, BucketSessions, key, &cs.sess); err != nil {
				return err
			}
			var err error
			cs.account, err = tx.Get(BucketAccounts, cs.sess.AccountID)
			return err
		})
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.inflight, ikey)
		if err != nil || !c.live || c.gen != gen || c.userSeq[cs.sess.AccountID] > seq {
			return
		}
		cs.seq, cs.until = seq, start.Add(c.ttl)
		c.sessions[key] = cs
		c.stats.Fills++
	}()
}
