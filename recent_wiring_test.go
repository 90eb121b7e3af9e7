package main

import (
	"path/filepath"
	"testing"
	"time"

	"sealdesk/store/desktop"
	"sealdesk/ui"
)

// TestRecentListAdaptsTheStore: 首页 reads and prunes the local store's recent documents through
// the adapter, newest first, with their kinds.
func TestRecentListAdaptsTheStore(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(time.Second); return now }
	st, err := desktop.Open(filepath.Join(t.TempDir(), localFile), &desktop.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rb ui.RecentBrowser = recentList{func() *desktop.Store { return st }}
	for _, p := range []struct{ path, kind string }{{"/d/a.pdf", ui.RecentViewed}, {"/d/b.pdf", ui.RecentSigned}, {"/d/c.pdf", ui.RecentVerified}} {
		if err := rb.AddRecent(p.path, p.kind); err != nil {
			t.Fatal(err)
		}
	}
	if err := rb.RemoveRecent("/d/b.pdf"); err != nil {
		t.Fatal(err)
	}
	docs, err := rb.RecentDocuments()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Path != "/d/c.pdf" || docs[0].Kind != ui.RecentVerified || docs[1].Path != "/d/a.pdf" || !docs[0].When.Equal(now) {
		t.Fatalf("recent documents %+v", docs)
	}
}
