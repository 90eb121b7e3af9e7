// Package desktop is the desktop app's own local database (bbolt files in the user's config
// folder): my seals and signatures (签章管理), my encrypted personal keys (core/keystore records),
// recent documents, small settings and the sync state of the session (Sync). The embedded
// backend keeps its data in a separate file (store/bolt); these hold what belongs to this
// machine only.
//
// Each account that signs in on the machine has its own store and folder (Profiles,
// profiles.go): <data folder>/profiles/<key>/desktop.db beside its drafts and queued files. The
// data folder's own desktop.db is the local profile (本机 and nobody signed in) and keeps the
// machine's part (the chosen server, the session, the update state). The first account adopts
// the data from before profiles, once, all or nothing.
//
// The file carries a schema version in the "meta" bucket; Open migrates older files forward in
// one transaction (all or nothing) and refuses files written by a newer SealDesk.
//
// # What it refuses to do
//
//   - Open a file with a newer schema than it knows (ErrNewerSchema): downgrading would lose data.
//   - Store oversized records (ErrTooLarge) — a seal image is a PNG of a few hundred KB, not a
//     scan of a whole contract.
//   - Decrypt anything: key records arrive encrypted from core/keystore and are stored as bytes.
//   - Be opened by two processes at once (bbolt's file lock; Open times out).
package desktop

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sealdesk/core/keystore"
)

// SchemaVersion is the layout this code writes.
//
//	1: the first development layout: "recent" held path → RFC 3339 time of last opening.
//	2: "recent" holds path → JSON Recent (time, kind, pages); "items" gained per-item kinds.
const SchemaVersion = 2

// Errors.
var (
	// ErrNotFound means there is no record with that id.
	ErrNotFound = errors.New("not found")
	// ErrNewerSchema means the file was written by a newer SealDesk.
	ErrNewerSchema = errors.New("local store has a newer schema version")
	// ErrTooLarge means a record is above the limits.
	ErrTooLarge = errors.New("record too large")
)

// Limits on stored records.
const (
	MaxItemBytes  = 8 << 20 // one seal/signature item with its images
	MaxRecent     = 30      // recent documents kept
	MaxSettingLen = 64 << 10
)

var (
	bMeta     = []byte("meta")
	bItems    = []byte("items")
	bKeys     = []byte("keys")
	bRecent   = []byte("recent")
	bSettings = []byte("settings")
	kVersion  = []byte("schema")
)

// Store is the desktop's local database.
type Store struct {
	db  *bbolt.DB
	now func() time.Time

	mu       sync.Mutex
	watchers map[int]func()
	nextW    int
}

var _ keystore.Store = (*Store)(nil)

// Options tune Open; nil means defaults.
type Options struct {
	// Timeout waits for the file lock (default 3 s).
	Timeout time.Duration
	// Now is the clock for creation times (default time.Now).
	Now func() time.Time
}

// Open opens or creates the store at path, migrating an older file to SchemaVersion.
func Open(path string, opts *Options) (*Store, error) {
	o := Options{Timeout: 3 * time.Second, Now: time.Now}
	if opts != nil {
		if opts.Timeout > 0 {
			o.Timeout = opts.Timeout
		}
		if opts.Now != nil {
			o.Now = opts.Now
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create store directory: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.Timeout})
	if err != nil {
		return nil, fmt.Errorf("failed to open local store %s: %w", path, err)
	}
	s := &Store{db: db, now: o.Now}
	if err := db.Update(migrate); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Version returns the file's schema version.
func (s *Store) Version() (int, error) {
	var v int
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		v, err = version(tx)
		return err
	})
	return v, err
}

func version(tx *bbolt.Tx) (int, error) {
	m := tx.Bucket(bMeta)
	if m == nil {
		return 0, nil
	}
	raw := m.Get(kVersion)
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("bad schema version %q: %w", raw, err)
	}
	return v, nil
}

// migrations[i] moves a file from version i to i+1. Version 0 is an empty (new) file.
var migrations = []func(tx *bbolt.Tx) error{
	0: func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bItems, bKeys, bRecent, bSettings} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	1: migrateRecentToJSON,
}

func migrate(tx *bbolt.Tx) error {
	v, err := version(tx)
	if err != nil {
		return err
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: file has %d, this program knows %d", ErrNewerSchema, v, SchemaVersion)
	}
	if v == 0 && tx.Bucket(bRecent) != nil {
		// A version-1 file from before the meta bucket existed.
		v = 1
	}
	for ; v < SchemaVersion; v++ {
		if err := migrations[v](tx); err != nil {
			return fmt.Errorf("failed to migrate local store from version %d: %w", v, err)
		}
	}
	m, err := tx.CreateBucketIfNotExists(bMeta)
	if err != nil {
		return err
	}
	return m.Put(kVersion, []byte(strconv.Itoa(SchemaVersion)))
}

// migrateRecentToJSON rewrites version 1's path → RFC 3339 entries as JSON Recent records and
// makes sure the buckets of version 2 exist. Unparsable times become the zero time (the entry
// stays, sorted last) rather than failing the whole migration.
func migrateRecentToJSON(tx *bbolt.Tx) error {
	for _, b := range [][]byte{bItems, bKeys, bSettings} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	rb, err := tx.CreateBucketIfNotExists(bRecent)
	if err != nil {
		return err
	}
	type kv struct{ k, v []byte }
	var all []kv
	if err := rb.ForEach(func(k, v []byte) error {
		all = append(all, kv{bytes.Clone(k), bytes.Clone(v)})
		return nil
	}); err != nil {
		return err
	}
	for _, e := range all {
		t, _ := time.Parse(time.RFC3339, string(e.v))
		r := Recent{Path: string(e.k), Opened: t.UTC()}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if err := rb.Put(e.k, b); err != nil {
			return err
		}
	}
	return nil
}

// ----- keys (core/keystore.Store) -----

// GetKey returns a key record; keystore.ErrNotFound if there is none.
func (s *Store) GetKey(id string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bKeys).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("key %s: %w", id, keystore.ErrNotFound)
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, err
}

// PutKey stores a key record.
func (s *Store) PutKey(id string, record []byte) error {
	if id == "" {
		return errors.New("empty key id")
	}
	if len(record) > 1<<20 {
		return ErrTooLarge
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bKeys).Put([]byte(id), record) })
}

// ListKeys returns the ids of all key records.
func (s *Store) ListKeys() ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bKeys).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}

// DeleteKey removes a key record (no error if it is absent).
func (s *Store) DeleteKey(id string) error {
	return s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bKeys).Delete([]byte(id)) })
}

// ----- my seals and signatures -----

// Item kinds.
const (
	KindDesignedSeal  = "designed-seal"  // made in 印章设计: Spec + PNG
	KindUploadedSeal  = "uploaded-seal"  // a photographed seal, cleaned: PNG (+ Original)
	KindSignatureDraw = "signature-draw" // drawn on the pad: Strokes + PNG
	KindSignatureScan = "signature-scan" // a photographed signature, cleaned: PNG (+ Original)
)

// Item is one of my seals or signatures.
type Item struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	// WidthMM and HeightMM are the real size the image stands for (0: unknown).
	WidthMM  float64 `json:"w_mm,omitempty"`
	HeightMM float64 `json:"h_mm,omitempty"`
	// PNG is the transparent image used in signatures.
	PNG []byte `json:"png"`
	// Spec is the designer's input (designed seals), Strokes the pad's JSON (drawn signatures),
	// Original the uploaded photo (uploads), kept so an item can be re-made.
	Spec     json.RawMessage `json:"spec,omitempty"`
	Strokes  json.RawMessage `json:"strokes,omitempty"`
	Original []byte          `json:"original,omitempty"`
}

func validKind(k string) bool {
	switch k {
	case KindDesignedSeal, KindUploadedSeal, KindSignatureDraw, KindSignatureScan:
		return true
	}
	return false
}

// SaveItem stores it (new when ID is empty: an id and creation time are assigned) and returns
// the stored item.
func (s *Store) SaveItem(it Item) (Item, error) {
	if !validKind(it.Kind) {
		return Item{}, fmt.Errorf("unknown item kind %q", it.Kind)
	}
	if len(it.PNG) == 0 {
		return Item{}, errors.New("item has no image")
	}
	if it.ID == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Item{}, err
		}
		// Time-ordered ids: 8 bytes of creation time, 8 random.
		var ts [8]byte
		if it.Created.IsZero() {
			it.Created = s.now().UTC()
		}
		binary.BigEndian.PutUint64(ts[:], uint64(it.Created.UnixNano()))
		it.ID = hex.EncodeToString(ts[:]) + hex.EncodeToString(b[:])
	}
	raw, err := json.Marshal(it)
	if err != nil {
		return Item{}, fmt.Errorf("failed to encode item: %w", err)
	}
	if len(raw) > MaxItemBytes {
		return Item{}, fmt.Errorf("%w: item is %d bytes, at most %d", ErrTooLarge, len(raw), MaxItemBytes)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bItems).Put([]byte(it.ID), raw) })
	if err == nil {
		s.itemsChanged()
	}
	return it, err
}

// WatchItems calls f after every committed change of my seals and signatures (SaveItem,
// DeleteItem), on the goroutine that made it, until stop is called. f must not block.
func (s *Store) WatchItems(f func()) (stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchers == nil {
		s.watchers = map[int]func(){}
	}
	id := s.nextW
	s.nextW++
	s.watchers[id] = f
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.watchers, id)
	}
}

func (s *Store) itemsChanged() {
	s.mu.Lock()
	fs := make([]func(), 0, len(s.watchers))
	for _, f := range s.watchers {
		fs = append(fs, f)
	}
	s.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Items returns my seals and signatures, oldest first.
func (s *Store) Items() ([]Item, error) {
	var out []Item
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bItems).ForEach(func(k, v []byte) error {
			var it Item
			if err := json.Unmarshal(v, &it); err != nil {
				return fmt.Errorf("item %s is corrupt: %w", k, err)
			}
			out = append(out, it)
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// Item returns one item.
func (s *Store) Item(id string) (Item, error) {
	var it Item
	err := s.db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bItems).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("item %s: %w", id, ErrNotFound)
		}
		return json.Unmarshal(v, &it)
	})
	return it, err
}

// DeleteItem removes one item; ErrNotFound if it is not there.
func (s *Store) DeleteItem(id string) error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bItems)
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("item %s: %w", id, ErrNotFound)
		}
		return b.Delete([]byte(id))
	})
	if err == nil {
		s.itemsChanged()
	}
	return err
}

// ----- recent documents -----

// Recent is a document opened lately.
type Recent struct {
	Path   string    `json:"path"`
	Opened time.Time `json:"opened"`
	// Kind is what the document was opened for: "verify", "sign", "place", "view".
	Kind string `json:"kind,omitempty"`
}

// AddRecent records that path was opened now; only the MaxRecent newest are kept.
func (s *Store) AddRecent(path, kind string) error {
	r := Recent{Path: path, Opened: s.now().UTC(), Kind: kind}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecent)
		if err := b.Put([]byte(path), raw); err != nil {
			return err
		}
		all, err := recentIn(b)
		if err != nil {
			return err
		}
		for _, old := range all[min(len(all), MaxRecent):] {
			if err := b.Delete([]byte(old.Path)); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemoveRecent forgets path (the user removed it from 最近文件); forgetting a path that is not
// in the list is not an error.
func (s *Store) RemoveRecent(path string) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bRecent).Delete([]byte(path))
	})
}

// RecentDocuments returns the recent documents, newest first.
func (s *Store) RecentDocuments() ([]Recent, error) {
	var out []Recent
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = recentIn(tx.Bucket(bRecent))
		return err
	})
	return out, err
}

func recentIn(b *bbolt.Bucket) ([]Recent, error) {
	var out []Recent
	err := b.ForEach(func(k, v []byte) error {
		var r Recent
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("recent entry %q is corrupt: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Opened.After(out[j].Opened) })
	return out, err
}

// ----- settings -----

// Setting returns a setting and whether it was set.
func (s *Store) Setting(key string) (string, bool, error) {
	var v []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bSettings).Get([]byte(key)))
		return nil
	})
	return string(v), v != nil, err
}

// SetSetting stores a setting.
func (s *Store) SetSetting(key, value string) error {
	if key == "" || len(value) > MaxSettingLen {
		return fmt.Errorf("%w: setting %q", ErrTooLarge, key)
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bSettings).Put([]byte(key), []byte(value)) })
}
