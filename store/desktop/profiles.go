package desktop

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// This file keeps the local data of each account apart: 退出登录 and signing in as another
// person must show that person none of the first one's seals, keys, drafts or queued work, and
// the first one's data must be there, untouched, when they sign in again.
//
// # Why a folder per account
//
// An account's local data is not only this package's bbolt file: the desktop also keeps files
// in the data folder (发起签署's drafts/ and templates/, the signed-offline outbox/, downloaded
// contracts/). A profile is therefore a folder, <data folder>/profiles/<key>/, holding its own
// desktop.db and those folders; the code that uses them only needs the profile's folder and
// store, and knows nothing of accounts (no key prefixes to forget in one query). Switching
// account is opening another folder; nothing is filtered at read time, so nothing can leak.
//
// The data folder itself (its desktop.db and folders) is the local profile: 本机 (the embedded
// backend, 单机模式) and the time nobody is signed in to a remote server use it. Its desktop.db
// also keeps what belongs to the machine, not to a person: the chosen server and its pinned CA,
// the device tokens and the signed-in session (the "sync/session" bucket), the self-update state
// and the embedded backend's account (settings under MachineSettingPrefixes), and the list of
// profiles ("profiles" bucket).
//
// # Adoption of the data from before profiles
//
// Until this version all data was one set in the data folder. The first remote account that
// signs in on a machine adopts it, once (recorded in the "profiles" bucket, whoever signs in
// later starts empty):
//
//   - the person's things are copied: seals and signatures, encrypted keys, recent documents,
//     settings (not the machine's), drafts/ and templates/ — the local profile keeps them too, so
//     本机 use goes on as before;
//   - the server-bound state moves, when it was that account's (Adoption.MoveSync: the session
//     kept at upgrade time was this account's): the outbox of commands, sync cursors, the
//     projection and kept copies, the signed-offline outbox/ and contracts/. It moves rather than
//     being copied so that a queued command is sent once, by that account, never by another.
//
// Adoption is all or nothing: the profile is built in a temporary folder (a new bbolt file
// written in one transaction, folders copied, moved folders renamed into it), renamed into
// place, and recorded (with the removal of moved buckets) in one transaction of the data
// folder's desktop.db. Any failure undoes the renames and removes the temporary folder: the
// inputs are as they were, and the next sign-in tries again.

// ProfilesDir is the folder inside the data folder that holds one folder per account.
const ProfilesDir = "profiles"

// profileDB is a profile's store file inside its folder (the same name as the local profile's).
const profileDB = "desktop.db"

// MachineSettingPrefixes name the settings that belong to the machine (they stay in the local
// profile's store and are never copied): the self-update state and the embedded backend's
// account.
var MachineSettingPrefixes = []string{"update.", "backend."}

// IsMachineSetting reports whether key is a machine-wide setting.
func IsMachineSetting(key string) bool {
	for _, p := range MachineSettingPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// Folders of the data folder that belong to a profile: copied at adoption (the person's) or
// moved with the server-bound state.
var (
	personalFolders = []string{"drafts", "templates"}
	syncFolders     = []string{"outbox", "contracts"}
)

// machineSyncBucket is core/session's BucketSession under the sync view's prefix: the server
// choice, pins, device tokens and the session token stay with the machine.
const machineSyncBucket = "sync/session"

var (
	bProfiles = []byte("profiles")
	kAdopted  = []byte("adopted")
)

// Adoption describes the account a new profile is made for.
type Adoption struct {
	Server    string // the server's address
	AccountID string
	// MoveSync moves the local profile's server-bound state (outbox, cursors, projection, kept
	// copies, outbox/ and contracts/) into the new profile when it adopts: true only when that
	// state was made for this account.
	MoveSync bool
}

// Adopted is the record of the one adoption on this machine.
type Adopted struct {
	Profile   string    `json:"profile"`
	Server    string    `json:"server"`
	AccountID string    `json:"account_id"`
	At        time.Time `json:"at"`
	MovedSync bool      `json:"moved_sync"`
}

// ProfileRecord is an entry of the profile list.
type ProfileRecord struct {
	Key       string    `json:"key"`
	Server    string    `json:"server"`
	AccountID string    `json:"account_id"`
	Created   time.Time `json:"created"`
}

// Profiles opens the stores of the accounts' profiles. Opened stores stay open until Close, so
// background work of an account that signed out still writes to its own store.
type Profiles struct {
	dataDir string
	root    *Store
	opts    *Options

	mu   sync.Mutex
	open map[string]*Store
}

// NewProfiles manages the profiles of dataDir, whose own store (the local profile) is root.
func NewProfiles(dataDir string, root *Store, opts *Options) *Profiles {
	return &Profiles{dataDir: dataDir, root: root, opts: opts, open: map[string]*Store{}}
}

var keyUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// ProfileKey names the profile of accountID on the server at serverURL: the account id (made
// safe for a folder name) and 8 hex digits of the server's address, since ids are per server.
func ProfileKey(serverURL, accountID string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimRight(serverURL, "/"))))
	id := keyUnsafe.ReplaceAllString(accountID, "_")
	if len(id) > 64 {
		id = id[:64]
	}
	if id == "" {
		id = "_"
	}
	return id + "-" + hex.EncodeToString(sum[:4])
}

// Dir is the folder of the profile key.
func (p *Profiles) Dir(key string) string { return filepath.Join(p.dataDir, ProfilesDir, key) }

// Adopted returns the adoption record (false when no account has adopted the data yet).
func (p *Profiles) Adopted() (Adopted, bool, error) {
	var a Adopted
	var ok bool
	err := p.root.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bProfiles)
		if b == nil {
			return nil
		}
		v := b.Get(kAdopted)
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &a)
	})
	return a, ok, err
}

// List returns the profiles made on this machine.
func (p *Profiles) List() ([]ProfileRecord, error) {
	var out []ProfileRecord
	err := p.root.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bProfiles)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if !bytes.HasPrefix(k, []byte("profile/")) {
				return nil
			}
			var r ProfileRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("profile record %s is corrupt: %w", k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// Open returns the store of profile key, making the profile on its first use (see the file's
// comment: the first one made on this machine adopts the data from before profiles).
func (p *Profiles) Open(key string, a Adoption) (*Store, error) {
	if key == "" || key != filepath.Base(key) || strings.HasPrefix(key, ".") {
		return nil, fmt.Errorf("bad profile name %q", key)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st := p.open[key]; st != nil {
		return st, nil
	}
	dir := p.Dir(key)
	if _, err := os.Stat(filepath.Join(dir, profileDB)); errors.Is(err, fs.ErrNotExist) {
		if err := p.create(key, a); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	} else if err := p.finish(key, a); err != nil {
		return nil, err
	}
	st, err := Open(filepath.Join(dir, profileDB), p.opts)
	if err != nil {
		return nil, err
	}
	p.open[key] = st
	return st, nil
}

// Close closes the profiles' stores (not the local profile's).
func (p *Profiles) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first error
	for k, st := range p.open {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
		delete(p.open, k)
	}
	return first
}

// adoptFault lets tests fail adoption at a named step; nil in the program. errStopped from it
// stands for the program stopping there: nothing is undone.
var adoptFault func(step string) error

var errStopped = errors.New("the program stopped here (test)")

func fault(step string) error {
	if adoptFault != nil {
		return adoptFault(step)
	}
	return nil
}

// finish records a profile whose folder is in place but not in the list: a program that
// stopped between putting the folder in place and recording it. The record step runs as it
// would have (the folder holds what that step expects).
func (p *Profiles) finish(key string, a Adoption) error {
	var known bool
	if err := p.root.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bProfiles)
		known = b != nil && b.Get([]byte("profile/"+key)) != nil
		return nil
	}); err != nil || known {
		return err
	}
	_, adopted, err := p.Adopted()
	if err != nil {
		return err
	}
	return p.record(key, a, !adopted, !adopted && a.MoveSync)
}

// giveBack returns the folders a stopped program had moved into a temporary profile folder of
// key (…/profiles/.new-<key>-*) to the data folder, and removes those temporary folders.
func (p *Profiles) giveBack(key string) error {
	tmps, err := filepath.Glob(filepath.Join(p.dataDir, ProfilesDir, ".new-"+key+"-*"))
	if err != nil {
		return err
	}
	for _, tmp := range tmps {
		for _, name := range syncFolders {
			src, dst := filepath.Join(tmp, name), filepath.Join(p.dataDir, name)
			if _, err := os.Stat(src); err != nil {
				continue
			}
			if _, err := os.Stat(dst); err == nil {
				return fmt.Errorf("both %s and %s exist: a stopped profile creation left them, sort them by hand", src, dst)
			}
			if err := os.Rename(src, dst); err != nil {
				return err
			}
		}
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
	}
	return nil
}

// create makes the folder of a new profile: empty, or with the adopted data.
func (p *Profiles) create(key string, a Adoption) (err error) {
	_, adopted, err := p.Adopted()
	if err != nil {
		return err
	}
	adopt := !adopted
	parent := filepath.Join(p.dataDir, ProfilesDir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return fmt.Errorf("failed to create the profiles folder: %w", err)
	}
	if err := p.giveBack(key); err != nil {
		return err
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(parent, ".new-"+key+"-"+hex.EncodeToString(rnd[:]))
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return fmt.Errorf("failed to create the profile folder: %w", err)
	}
	// undo brings every input back: folders moved into tmp go back, tmp goes
	var moved []string // names of syncFolders renamed from the data folder into tmp
	final := p.Dir(key)
	placed := false
	defer func() {
		if err == nil || errors.Is(err, errStopped) {
			return
		}
		if placed {
			os.Rename(final, tmp)
		}
		for _, name := range moved {
			os.Rename(filepath.Join(tmp, name), filepath.Join(p.dataDir, name))
		}
		os.RemoveAll(tmp)
	}()

	moveSync := adopt && a.MoveSync
	if err := p.writeProfileDB(filepath.Join(tmp, profileDB), adopt, moveSync); err != nil {
		return err
	}
	if adopt {
		for _, name := range personalFolders {
			if err := copyTree(filepath.Join(p.dataDir, name), filepath.Join(tmp, name)); err != nil {
				return fmt.Errorf("failed to copy %s into the new profile: %w", name, err)
			}
		}
		if err := fault("copied"); err != nil {
			return err
		}
	}
	if moveSync {
		for _, name := range syncFolders {
			src := filepath.Join(p.dataDir, name)
			if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err := os.Rename(src, filepath.Join(tmp, name)); err != nil {
				return fmt.Errorf("failed to move %s into the new profile: %w", name, err)
			}
			moved = append(moved, name)
		}
		if err := fault("moved"); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("failed to put the new profile in place: %w", err)
	}
	placed = true
	if err := fault("placed"); err != nil {
		return err
	}
	return p.record(key, a, adopt, moveSync)
}

// record lists the profile key in the local profile's store and, when it adopted, records the
// adoption and removes the moved sync buckets there: one transaction.
func (p *Profiles) record(key string, a Adoption, adopt, moveSync bool) error {
	now := time.Now().UTC()
	if p.root.now != nil {
		now = p.root.now().UTC()
	}
	return p.root.db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bProfiles)
		if err != nil {
			return err
		}
		rec, _ := json.Marshal(ProfileRecord{Key: key, Server: a.Server, AccountID: a.AccountID, Created: now})
		if err := b.Put([]byte("profile/"+key), rec); err != nil {
			return err
		}
		if adopt {
			ad, _ := json.Marshal(Adopted{Profile: key, Server: a.Server, AccountID: a.AccountID, At: now, MovedSync: moveSync})
			if err := b.Put(kAdopted, ad); err != nil {
				return err
			}
		}
		if moveSync {
			for _, name := range syncBucketsOf(tx) {
				if err := tx.DeleteBucket([]byte(name)); err != nil {
					return err
				}
			}
		}
		return fault("record")
	})
}

// syncBucketsOf lists the account's sync buckets of the store: every "sync/…" bucket but the
// machine's session.
func syncBucketsOf(tx *bbolt.Tx) []string {
	var out []string
	tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
		n := string(name)
		if strings.HasPrefix(n, "sync/") && n != machineSyncBucket {
			out = append(out, n)
		}
		return nil
	})
	return out
}

// writeProfileDB makes the new profile's store at path; when adopting, it holds a copy of the
// local profile's personal buckets (and its sync buckets when moveSync), written in one
// transaction of the new file while one read transaction of the local profile's file is open.
func (p *Profiles) writeProfileDB(path string, adopt, moveSync bool) error {
	st, err := Open(path, p.opts)
	if err != nil {
		return err
	}
	defer st.Close()
	if !adopt {
		return nil
	}
	return p.root.db.View(func(src *bbolt.Tx) error {
		return st.db.Update(func(dst *bbolt.Tx) error {
			for _, name := range [][]byte{bItems, bKeys, bRecent, bSettings} {
				if err := copyBucket(src, dst, name, func(k []byte) bool {
					return !bytes.Equal(name, bSettings) || !IsMachineSetting(string(k))
				}); err != nil {
					return err
				}
			}
			if moveSync {
				for _, name := range syncBucketsOf(src) {
					if err := copyBucket(src, dst, []byte(name), nil); err != nil {
						return err
					}
				}
			}
			return fault("db")
		})
	})
}

// copyBucket copies the keys of bucket name (those keep accepts; nil: all) from src to dst.
func copyBucket(src, dst *bbolt.Tx, name []byte, keep func(k []byte) bool) error {
	from := src.Bucket(name)
	if from == nil {
		return nil
	}
	to, err := dst.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	return from.ForEach(func(k, v []byte) error {
		if v == nil {
			return nil // a nested bucket: the local store has none
		}
		if keep != nil && !keep(k) {
			return nil
		}
		return to.Put(bytes.Clone(k), bytes.Clone(v))
	})
}

// copyTree copies the folder src (regular files and folders; a missing src is nothing to
// copy) to dst.
func copyTree(src, dst string) error {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o700)
		case d.Type().IsRegular():
			return copyFile(path, to)
		}
		return nil // links and devices are not ours
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
