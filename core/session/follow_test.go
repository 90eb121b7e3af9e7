package session_test

import (
	"encoding/json"
	"fmt"
	stdsync "sync"
	"sync/atomic"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
)

// TestQuietRoundsDoNotNotify: every subscriber refetches what it shows when notified, so a long
// poll that ends with nothing new must not notify — only news, the first caught-up round, and a
// new minute for the sync bar's "synced at HH:MM" do. (Every round used to notify: under load
// hundreds of refetches piled up behind the UI thread.)
func TestQuietRoundsDoNotNotify(t *testing.T) {
	srv := startServer(t)
	st, _ := openLocal(t)
	var mu stdsync.Mutex
	clock := time.Date(2026, 12, 5, 9, 30, 10, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	m, err := session.New(session.Options{Store: st.Sync(), PollWait: 100 * time.Millisecond, Retry: 50 * time.Millisecond, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Start()
	p, err := m.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pin(p); err != nil {
		t.Fatal(err)
	}
	login := fmt.Sprintf("quiet%d@example.com", time.Now().UnixNano())
	if err := m.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: srv.code(t, login), Name: "王小明", Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	acct, _ := m.Account()
	waitFor(t, "first sync", func() bool { s := m.Status(); return s.Online && !s.LastSync.IsZero() })

	var notes atomic.Int64
	cancel := m.Subscribe(func() { notes.Add(1) })
	defer cancel()
	// Rounds of 100 ms with nothing new, all in the same minute. Counting rounds by LastSync
	// would not work (the clock stands still), so wait long enough for a dozen.
	time.Sleep(1500 * time.Millisecond)
	if n := notes.Load(); n != 0 {
		t.Fatalf("%d notifications in quiet rounds within one minute, want none", n)
	}

	// a new minute: the sync bar's time changes, so one notification (at most one per follower)
	mu.Lock()
	clock = clock.Add(time.Minute)
	mu.Unlock()
	waitFor(t, "the new minute's notification", func() bool { return notes.Load() > 0 })
	time.Sleep(600 * time.Millisecond)
	if n := notes.Load(); n > 3 {
		t.Fatalf("%d notifications for one new minute, want one per followed scope", n)
	}

	// news from elsewhere: the same account renames itself on a second desktop; the event
	// reaches the first one through its long poll, which notifies
	st2, _ := openLocal(t)
	other := newManager(t, st2)
	p2, err := other.Probe(ctx, srv.run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Pin(p2); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Login(ctx, org.LoginRequest{Login: login, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	before := notes.Load()
	if _, err := other.Submit(ctx, sync.Command{Type: "profile.rename", Scope: org.Scope(acct.ID), Payload: json.RawMessage(`{"name":"王大明"}`)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rename in the first desktop's projection", func() bool {
		objs, _ := m.Projected(ctx, org.Scope(acct.ID), "account")
		var a org.Account
		json.Unmarshal(objs[acct.ID], &a)
		return a.Name == "王大明"
	})
	waitFor(t, "a notification for the rename", func() bool { return notes.Load() > before })
}
