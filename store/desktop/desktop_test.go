package desktop

import (
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"sealdesk/core/keystore"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func open(t *testing.T, path string) (*Store, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	s, err := Open(path, &Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func TestItemsPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "desktop.db")
	s, _ := open(t, path)
	a, err := s.SaveItem(Item{Kind: KindDesignedSeal, Name: "合同专用章", PNG: []byte("png-a"), Spec: []byte(`{"style":"contract"}`)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.SaveItem(Item{Kind: KindSignatureDraw, Name: "我的签名", PNG: []byte("png-b"), Strokes: []byte(`{"v":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveItem(Item{Kind: "bogus", PNG: []byte("x")}); err == nil {
		t.Fatal("unknown kind accepted")
	}
	if _, err := s.SaveItem(Item{Kind: KindUploadedSeal, PNG: make([]byte, MaxItemBytes)}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized item: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, _ = open(t, path)
	defer s.Close()
	items, err := s.Items()
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID != a.ID || items[1].ID != b.ID || string(items[1].Strokes) != `{"v":1}` || string(items[0].PNG) != "png-a" {
		t.Fatalf("items %+v", items)
	}
	if err := s.DeleteItem(a.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteItem(a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := s.Item(a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted item: %v", err)
	}
}

func TestRecentKeepsNewest(t *testing.T) {
	s, _ := open(t, filepath.Join(t.TempDir(), "d.db"))
	defer s.Close()
	for i := 0; i < MaxRecent+5; i++ {
		if err := s.AddRecent(fmt.Sprintf("/docs/%02d.pdf", i), "verify"); err != nil {
			t.Fatal(err)
		}
	}
	s.AddRecent("/docs/03.pdf", "sign") // reopened: moves to the front
	r, err := s.RecentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != MaxRecent || r[0].Path != "/docs/03.pdf" || r[0].Kind != "sign" || r[1].Path != fmt.Sprintf("/docs/%02d.pdf", MaxRecent+4) {
		t.Fatalf("recent %d: %+v", len(r), r[:2])
	}
}

func TestRemoveRecent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, _ := open(t, path)
	for _, p := range []string{"/docs/a.pdf", "/docs/b.pdf", "/docs/c.pdf"} {
		if err := s.AddRecent(p, "view"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveRecent("/docs/b.pdf"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveRecent("/docs/never.pdf"); err != nil {
		t.Fatalf("removing an unknown path: %v", err)
	}
	s.Close()
	s, _ = open(t, path) // the removal is stored, not only cached
	defer s.Close()
	r, err := s.RecentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 2 || r[0].Path != "/docs/c.pdf" || r[1].Path != "/docs/a.pdf" {
		t.Fatalf("after removing b: %+v", r)
	}
}

func TestSettings(t *testing.T) {
	s, _ := open(t, filepath.Join(t.TempDir(), "d.db"))
	defer s.Close()
	if _, ok, _ := s.Setting("trust.system"); ok {
		t.Fatal("unset setting reported as set")
	}
	s.SetSetting("trust.system", "")
	if v, ok, _ := s.Setting("trust.system"); !ok || v != "" {
		t.Fatalf("empty setting: %q %v", v, ok)
	}
	s.SetSetting("trust.system", "1")
	if v, _, _ := s.Setting("trust.system"); v != "1" {
		t.Fatalf("setting %q", v)
	}
}

// TestKeystoreOnBolt runs core/keystore on the real file: the wrong-PIN count survives a reopen.
func TestKeystoreOnBolt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, _ := open(t, path)
	params := keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}}
	ks := keystore.New(s, &params)
	in, err := ks.Generate("246813")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Unlock(in.ID, "000001"); !errors.Is(err, keystore.ErrWrongPIN) {
		t.Fatalf("wrong pin: %v", err)
	}
	s.Close()
	s, _ = open(t, path)
	defer s.Close()
	ks = keystore.New(s, &params)
	info, err := ks.Info(in.ID)
	if err != nil || info.Failures != 1 {
		t.Fatalf("after reopen: %+v %v", info, err)
	}
	if _, err := ks.Unlock(in.ID, "246813"); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Unlock("missing", "246813"); !errors.Is(err, keystore.ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
}

// TestMigrateFromVersion1 writes a file in the first layout with bbolt directly and opens it.
func TestMigrateFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		m, _ := tx.CreateBucket(bMeta)
		m.Put(kVersion, []byte("1"))
		r, _ := tx.CreateBucket(bRecent)
		r.Put([]byte("/a.pdf"), []byte("2025-12-01T08:00:00Z"))
		r.Put([]byte("/b.pdf"), []byte("2026-01-02T08:00:00Z"))
		r.Put([]byte("/broken.pdf"), []byte("yesterday"))
		k, _ := tx.CreateBucket(bKeys)
		return k.Put([]byte("k1"), []byte("opaque"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := open(t, path)
	defer s.Close()
	if v, _ := s.Version(); v != SchemaVersion {
		t.Fatalf("version %d", v)
	}
	r, err := s.RecentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 3 || r[0].Path != "/b.pdf" || !r[0].Opened.Equal(time.Date(2026, 1, 2, 8, 0, 0, 0, time.UTC)) || r[2].Path != "/broken.pdf" {
		t.Fatalf("migrated recent %+v", r)
	}
	if b, err := s.GetKey("k1"); err != nil || string(b) != "opaque" {
		t.Fatalf("key after migration: %q %v", b, err)
	}
	// The settings and items buckets of version 2 work.
	if err := s.SetSetting("x", "y"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveItem(Item{Kind: KindSignatureScan, PNG: []byte("p")}); err != nil {
		t.Fatal(err)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db, _ := bbolt.Open(path, 0o600, nil)
	db.Update(func(tx *bbolt.Tx) error {
		m, _ := tx.CreateBucket(bMeta)
		return m.Put(kVersion, []byte(fmt.Sprint(SchemaVersion+1)))
	})
	db.Close()
	if _, err := Open(path, nil); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("newer schema: %v", err)
	}
}

func TestSecondOpenTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	s, _ := open(t, path)
	defer s.Close()
	if _, err := Open(path, &Options{Timeout: 100 * time.Millisecond}); err == nil {
		t.Fatal("second open of a locked file succeeded")
	}
}

// TestWatchItems: watchers hear of every committed save and delete, not of refused ones, and
// stop hearing after stop.
func TestWatchItems(t *testing.T) {
	s, _ := open(t, filepath.Join(t.TempDir(), "desktop.db"))
	defer s.Close()
	n := 0
	stop := s.WatchItems(func() { n++ })
	it, err := s.SaveItem(Item{Kind: KindDesignedSeal, Name: "合同专用章", PNG: []byte("png")})
	if err != nil || n != 1 {
		t.Fatalf("save: %v, %d notices", err, n)
	}
	if _, err := s.SaveItem(Item{Kind: "bogus", PNG: []byte("x")}); err == nil || n != 1 {
		t.Fatalf("a refused save notified (%d)", n)
	}
	if err := s.DeleteItem("nothing"); err == nil || n != 1 {
		t.Fatalf("a refused delete notified (%d)", n)
	}
	if err := s.DeleteItem(it.ID); err != nil || n != 2 {
		t.Fatalf("delete: %v, %d notices", err, n)
	}
	stop()
	if _, err := s.SaveItem(Item{Kind: KindDesignedSeal, Name: "x", PNG: []byte("png")}); err != nil || n != 2 {
		t.Fatalf("notified after stop (%d)", n)
	}
}
