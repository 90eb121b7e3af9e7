package org

import (
	"context"
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
	c := &permCache{store: s.Store, ttl: ttl, ctx: ctx, ents: map[string]*entPerms{}, inflight: map[string]bool{}}
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
}

func (c *permCache) changed(scope string) {
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
