package main

// The desktop's local data per account (store/desktop.Profiles explains the layout and the
// adoption of the data from before profiles): the session (core/session, Options.Profile) asks
// for the signed-in account's store at every sign-in and for the local one at every sign-out,
// and the UI's offline services (seals, keys, recent documents, settings, the folders of drafts
// and the signed-offline outbox) follow the same switch through the adapters below.

import (
	"context"
	"errors"
	"fmt"
	stdsync "sync"

	"sealdesk/core/keystore"
	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/desktop"
	"sealdesk/ui"
)

// profileSet is the active profile: the signed-in remote account's, or the local one (本机 and
// nobody signed in: the data folder itself).
type profileSet struct {
	dataDir string
	root    *desktop.Store
	ps      *desktop.Profiles
	// owner is the account whose session the data from before profiles held (it is the one
	// whose queued work moves with the adoption); empty once the data was adopted or if none.
	ownerServer, ownerID string

	mu       stdsync.Mutex
	key      string // "" for the local profile
	cur      *desktop.Store
	watched  map[*desktop.Store]bool
	watchers map[int]func()
	nextW    int
}

var _ ui.Profile = (*profileSet)(nil)

// newProfileSet starts on the local profile (root, in dataDir).
func newProfileSet(dataDir string, root *desktop.Store) (*profileSet, error) {
	p := &profileSet{dataDir: dataDir, root: root, ps: desktop.NewProfiles(dataDir, root, nil), cur: root,
		watched: map[*desktop.Store]bool{}, watchers: map[int]func(){}}
	if _, adopted, err := p.ps.Adopted(); err != nil {
		return nil, err
	} else if !adopted {
		srv, id, ok, err := session.SavedAccount(context.Background(), root.Sync())
		if err != nil {
			return nil, fmt.Errorf("failed to read the kept session: %w", err)
		}
		if ok {
			p.ownerServer, p.ownerID = srv, id
		}
	}
	p.watch(root)
	return p, nil
}

// activate is session.Options.Profile: it opens (on first use: makes, adopting the data from
// before profiles if it is the first) the profile of a on cfg's server, or goes back to the
// local one (a == nil), and tells the library's followers that the seals changed.
func (p *profileSet) activate(cfg session.ServerConfig, a *org.Account) (sync.Store, error) {
	key, st := "", p.root
	if a != nil {
		if a.ID == "" {
			return nil, errors.New("account without an id")
		}
		key = desktop.ProfileKey(cfg.URL, a.ID)
		var err error
		st, err = p.ps.Open(key, desktop.Adoption{Server: cfg.URL, AccountID: a.ID,
			MoveSync: p.ownerID == a.ID && p.ownerServer == cfg.URL})
		if err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	changed := p.cur != st
	p.key, p.cur = key, st
	p.mu.Unlock()
	p.watch(st)
	if changed {
		p.itemsChanged()
	}
	return st.Sync(), nil
}

// active is the store of the active profile.
func (p *profileSet) active() *desktop.Store {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// ID implements ui.Profile: "" for the local profile.
func (p *profileSet) ID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key
}

// Dir implements ui.Profile: the folder of the active profile's files.
func (p *profileSet) Dir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key == "" {
		return p.dataDir
	}
	return p.ps.Dir(p.key)
}

// Close closes the profiles' stores (the local one is the desk's).
func (p *profileSet) Close() error { return p.ps.Close() }

// watch follows the seals of st (once per store); changes of a store that is not the active
// one are nobody's business on screen.
func (p *profileSet) watch(st *desktop.Store) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.watched[st] {
		return
	}
	p.watched[st] = true
	st.WatchItems(func() {
		if p.active() == st {
			p.itemsChanged()
		}
	})
}

func (p *profileSet) watchItems(f func()) (stop func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.nextW
	p.nextW++
	p.watchers[id] = f
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.watchers, id)
	}
}

func (p *profileSet) itemsChanged() {
	p.mu.Lock()
	fs := make([]func(), 0, len(p.watchers))
	for _, f := range p.watchers {
		fs = append(fs, f)
	}
	p.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// profileKeys is keystore.Store over the active profile's store: each account's encrypted keys
// are its own.
type profileKeys struct{ p *profileSet }

var _ keystore.Store = profileKeys{}

func (k profileKeys) GetKey(id string) ([]byte, error)      { return k.p.active().GetKey(id) }
func (k profileKeys) PutKey(id string, record []byte) error { return k.p.active().PutKey(id, record) }
func (k profileKeys) ListKeys() ([]string, error)           { return k.p.active().ListKeys() }
func (k profileKeys) DeleteKey(id string) error             { return k.p.active().DeleteKey(id) }

// profilePrefs is ui.LocalPrefs: the machine's settings (desktop.IsMachineSetting) in the local
// store, the person's (trust roots, key type, UKey module) in the active profile's.
type profilePrefs struct{ p *profileSet }

var _ ui.LocalPrefs = profilePrefs{}

func (s profilePrefs) store(key string) *desktop.Store {
	if desktop.IsMachineSetting(key) {
		return s.p.root
	}
	return s.p.active()
}

func (s profilePrefs) Setting(key string) (string, bool, error) { return s.store(key).Setting(key) }
func (s profilePrefs) SetSetting(key, value string) error       { return s.store(key).SetSetting(key, value) }
