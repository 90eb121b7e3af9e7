package desktop

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"sealdesk/core/sync"
)

// legacyData fills the data folder the way a SealDesk from before profiles left it: seals,
// keys, recent documents, settings (one of them the machine's), the sync state of a session,
// drafts/ and the signed-offline outbox/.
func legacyData(t *testing.T, dir string) *Store {
	t.Helper()
	root, err := Open(filepath.Join(dir, "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	if _, err := root.SaveItem(Item{Kind: KindDesignedSeal, Name: "甲公司合同专用章", PNG: []byte("png-a")}); err != nil {
		t.Fatal(err)
	}
	must(t, root.PutKey("key-a", []byte("sealed key of A")))
	must(t, root.AddRecent("/docs/a.pdf", "sign"))
	must(t, root.SetSetting("trust.roots", "PEM OF A"))
	must(t, root.SetSetting("update.auto", "0"))
	must(t, root.SetSetting("backend.password", "Sd7local"))
	must(t, root.Sync().Update(context.Background(), func(tx sync.Tx) error {
		for _, kv := range [][3]string{{"outbox", "0001", `{"id":"0001"}`}, {"projection", "user:a|envelope|e1", `{"id":"e1"}`},
			{"cursors", "user:a", "7"}, {"session", "server", `{"mode":"remote"}`}, {"session", "token", `{"token":"t"}`}} {
			if err := tx.Put(kv[0], kv[1], []byte(kv[2])); err != nil {
				return err
			}
		}
		return nil
	}))
	writeFile(t, filepath.Join(dir, "drafts", "d1", "draft.json"), `{"subject":"采购合同"}`)
	writeFile(t, filepath.Join(dir, "outbox", "k1.json"), `{"key":"k1"}`)
	writeFile(t, filepath.Join(dir, "contracts", "e1", "a.pdf"), `%PDF-1.7`)
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o700))
	must(t, os.WriteFile(path, []byte(s), 0o600))
}

// dumpDB is every bucket's keys and values of st (the schema bucket too).
func dumpDB(t *testing.T, st *Store) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	must(t, st.db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			m := map[string]string{}
			out[string(name)] = m
			return b.ForEach(func(k, v []byte) error {
				m[string(k)] = string(v)
				return nil
			})
		})
	}))
	return out
}

// dumpFiles is the data folder's files (not its desktop.db and not profiles/) with contents.
func dumpFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == ProfilesDir || rel == "desktop.db" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = string(b)
		}
		return nil
	}))
	return out
}

// TestProfilesAdoptAndSeparate: the first account adopts the data from before profiles (a copy
// of the person's things; the server-bound state moves because it was this account's session),
// the local profile keeps the person's things and the machine's session, a second account
// starts empty, and each profile's later changes stay its own, also after closing and reopening.
func TestProfilesAdoptAndSeparate(t *testing.T) {
	dir := t.TempDir()
	root := legacyData(t, dir)
	ps := NewProfiles(dir, root, nil)
	keyA := ProfileKey("https://sd.example.com", "acct-A")
	a, err := ps.Open(keyA, Adoption{Server: "https://sd.example.com", AccountID: "acct-A", MoveSync: true})
	if err != nil {
		t.Fatal(err)
	}
	got := dumpDB(t, a)
	if items, _ := a.Items(); len(items) != 1 || items[0].Name != "甲公司合同专用章" {
		t.Fatalf("A's seals: %+v", items)
	}
	if k, err := a.GetKey("key-a"); err != nil || string(k) != "sealed key of A" {
		t.Fatalf("A's key: %q %v", k, err)
	}
	if rs, _ := a.RecentDocuments(); len(rs) != 1 || rs[0].Path != "/docs/a.pdf" {
		t.Fatalf("A's recent: %+v", rs)
	}
	if v, _, _ := a.Setting("trust.roots"); v != "PEM OF A" {
		t.Fatalf("A's setting: %q", v)
	}
	for _, k := range []string{"update.auto", "backend.password"} {
		if _, ok := got["settings"][k]; ok {
			t.Errorf("machine setting %s copied into the profile", k)
		}
	}
	if got["sync/outbox"]["0001"] == "" || got["sync/projection"]["user:a|envelope|e1"] == "" || got["sync/cursors"]["user:a"] != "7" {
		t.Errorf("A's sync state: %v", got)
	}
	if _, ok := got["sync/session"]; ok {
		t.Error("the machine's session bucket was copied into the profile")
	}
	// the local profile: the person's things stay, the sync state moved, the session stays
	local := dumpDB(t, root)
	if len(local["items"]) != 1 || local["keys"]["key-a"] == "" || local["settings"]["update.auto"] != "0" {
		t.Errorf("local profile lost the person's things: %v", local)
	}
	for _, b := range []string{"sync/outbox", "sync/projection", "sync/cursors"} {
		if _, ok := local[b]; ok {
			t.Errorf("%s still in the local profile: a queued command would be sent twice", b)
		}
	}
	if local["sync/session"]["server"] == "" {
		t.Error("the machine's server choice left the local profile")
	}
	files := dumpFiles(t, dir)
	if files[filepath.Join("drafts", "d1", "draft.json")] == "" {
		t.Error("drafts/ left the local profile (it is copied)")
	}
	if _, ok := files[filepath.Join("outbox", "k1.json")]; ok {
		t.Error("outbox/ stayed in the local profile (it moves)")
	}
	prof := dumpFiles(t, ps.Dir(keyA))
	for _, f := range []string{filepath.Join("drafts", "d1", "draft.json"), filepath.Join("outbox", "k1.json"), filepath.Join("contracts", "e1", "a.pdf")} {
		if prof[f] == "" {
			t.Errorf("profile lacks %s: %v", f, prof)
		}
	}
	ad, ok, err := ps.Adopted()
	if err != nil || !ok || ad.Profile != keyA || ad.AccountID != "acct-A" || !ad.MovedSync {
		t.Fatalf("adoption record: %+v %v %v", ad, ok, err)
	}

	// B starts empty and never sees A's things
	keyB := ProfileKey("https://sd.example.com", "acct-B")
	b, err := ps.Open(keyB, Adoption{Server: "https://sd.example.com", AccountID: "acct-B", MoveSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if items, _ := b.Items(); len(items) != 0 {
		t.Fatalf("B sees seals %+v", items)
	}
	if ids, _ := b.ListKeys(); len(ids) != 0 {
		t.Fatalf("B sees keys %v", ids)
	}
	if rs, _ := b.RecentDocuments(); len(rs) != 0 {
		t.Fatalf("B sees recent %v", rs)
	}
	for name := range dumpDB(t, b) {
		if strings.HasPrefix(name, "sync/") {
			t.Errorf("B has sync bucket %s", name)
		}
	}
	if fs := dumpFiles(t, ps.Dir(keyB)); len(fs) != 0 {
		t.Errorf("B's folder holds %v", fs)
	}
	// B's work stays B's
	if _, err := b.SaveItem(Item{Kind: KindSignatureDraw, Name: "乙的签名", PNG: []byte("png-b")}); err != nil {
		t.Fatal(err)
	}
	must(t, ps.Close())

	// A again (a new process): A's data untouched, B's signature absent
	ps2 := NewProfiles(dir, root, nil)
	defer ps2.Close()
	a2, err := ps2.Open(keyA, Adoption{Server: "https://sd.example.com", AccountID: "acct-A", MoveSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if again := dumpDB(t, a2); !reflect.DeepEqual(again, got) {
		t.Errorf("A's store changed while B worked:\nbefore %v\nafter  %v", got, again)
	}
	list, err := ps2.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("profile list: %+v %v", list, err)
	}
}

// TestProfilesAdoptWithoutSync: an account that was not the one signed in when the data was
// left adopts the person's things only; the queued commands stay in the local profile.
func TestProfilesAdoptWithoutSync(t *testing.T) {
	dir := t.TempDir()
	root := legacyData(t, dir)
	ps := NewProfiles(dir, root, nil)
	defer ps.Close()
	a, err := ps.Open(ProfileKey("https://x", "c"), Adoption{Server: "https://x", AccountID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	got := dumpDB(t, a)
	if len(got["items"]) != 1 || len(got["keys"]) != 1 {
		t.Errorf("personal things not adopted: %v", got)
	}
	for name := range got {
		if strings.HasPrefix(name, "sync/") {
			t.Errorf("sync bucket %s adopted without MoveSync", name)
		}
	}
	if local := dumpDB(t, root); local["sync/outbox"]["0001"] == "" {
		t.Error("the local profile's queued command is gone")
	}
	if files := dumpFiles(t, dir); files[filepath.Join("outbox", "k1.json")] == "" {
		t.Error("outbox/ moved without MoveSync")
	}
}

// TestProfilesAdoptFailureLeavesInputs: adoption failing at each of its steps leaves the local
// profile's store and folders exactly as they were, no profile and no temporary folder, and
// nothing recorded; the next attempt adopts.
func TestProfilesAdoptFailureLeavesInputs(t *testing.T) {
	for _, step := range []string{"db", "copied", "moved", "placed", "record"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			root := legacyData(t, dir)
			beforeDB, beforeFiles := dumpDB(t, root), dumpFiles(t, dir)
			ps := NewProfiles(dir, root, nil)
			defer ps.Close()
			boom := errors.New("disk full")
			adoptFault = func(s string) error {
				if s == step {
					return boom
				}
				return nil
			}
			defer func() { adoptFault = nil }()
			key := ProfileKey("https://x", "a")
			if _, err := ps.Open(key, Adoption{Server: "https://x", AccountID: "a", MoveSync: true}); !errors.Is(err, boom) {
				t.Fatalf("adoption failing at %s returned %v", step, err)
			}
			if after := dumpDB(t, root); !reflect.DeepEqual(after, beforeDB) {
				t.Errorf("local store changed:\nbefore %v\nafter  %v", beforeDB, after)
			}
			if after := dumpFiles(t, dir); !reflect.DeepEqual(after, beforeFiles) {
				t.Errorf("local folders changed:\nbefore %v\nafter  %v", beforeFiles, after)
			}
			entries, _ := os.ReadDir(filepath.Join(dir, ProfilesDir))
			if len(entries) != 0 {
				t.Errorf("profiles/ holds %v after the failure", entries)
			}
			if _, ok, _ := ps.Adopted(); ok {
				t.Error("a failed adoption was recorded")
			}
			adoptFault = nil
			st, err := ps.Open(key, Adoption{Server: "https://x", AccountID: "a", MoveSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if items, _ := st.Items(); len(items) != 1 {
				t.Errorf("the retry adopted %d seals", len(items))
			}
		})
	}
}

func TestProfileKey(t *testing.T) {
	a, b := ProfileKey("https://a.example", "u1"), ProfileKey("https://b.example", "u1")
	if a == b || !strings.HasPrefix(a, "u1-") {
		t.Errorf("keys %q %q", a, b)
	}
	if k := ProfileKey("https://a.example", "../../etc"); strings.ContainsAny(k, `/\.`) {
		t.Errorf("unsafe key %q", k)
	}
	if ProfileKey("https://A.example/", "u1") != a {
		t.Error("the same server spelled differently gives another profile")
	}
	ps := NewProfiles(t.TempDir(), nil, nil)
	for _, bad := range []string{"", "..", "a/b", ".new"} {
		if _, err := ps.Open(bad, Adoption{}); err == nil {
			t.Errorf("profile name %q accepted", bad)
		}
	}
}

// TestProfilesResumeAfterStop: a program that stopped in the middle of an adoption — after
// moving folders into the temporary profile folder, or after putting the profile in place but
// before recording it — leaves nothing lost: the next sign-in gives the moved folders back and
// adopts again, or records the placed profile (and removes the moved sync state from the local
// profile, so no command is sent twice).
func TestProfilesResumeAfterStop(t *testing.T) {
	for _, step := range []string{"moved", "placed"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			root := legacyData(t, dir)
			ps := NewProfiles(dir, root, nil)
			defer ps.Close()
			adoptFault = func(s string) error {
				if s == step {
					return errStopped
				}
				return nil
			}
			defer func() { adoptFault = nil }()
			key := ProfileKey("https://x", "a")
			ad := Adoption{Server: "https://x", AccountID: "a", MoveSync: true}
			if _, err := ps.Open(key, ad); !errors.Is(err, errStopped) {
				t.Fatalf("stop at %s: %v", step, err)
			}
			if files := dumpFiles(t, dir); files[filepath.Join("outbox", "k1.json")] != "" {
				t.Fatalf("the stop did not leave outbox/ moved: %v", files)
			}
			adoptFault = nil
			st, err := ps.Open(key, ad)
			if err != nil {
				t.Fatal(err)
			}
			got := dumpDB(t, st)
			if len(got["items"]) != 1 || got["sync/outbox"]["0001"] == "" {
				t.Errorf("profile after resuming: %v", got)
			}
			if local := dumpDB(t, root); local["sync/outbox"] != nil {
				t.Errorf("the queued command is in both profiles: %v", local["sync/outbox"])
			}
			if prof := dumpFiles(t, ps.Dir(key)); prof[filepath.Join("outbox", "k1.json")] == "" {
				t.Errorf("outbox/ not in the profile: %v", prof)
			}
			if files := dumpFiles(t, dir); files[filepath.Join("outbox", "k1.json")] != "" {
				t.Errorf("outbox/ in the local profile too: %v", files)
			}
			if a, ok, _ := ps.Adopted(); !ok || a.Profile != key || !a.MovedSync {
				t.Errorf("adoption record %+v %v", a, ok)
			}
			entries, _ := os.ReadDir(filepath.Join(dir, ProfilesDir))
			if len(entries) != 1 || entries[0].Name() != key {
				t.Errorf("profiles/ holds %v", entries)
			}
		})
	}
}
