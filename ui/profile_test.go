package ui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/desktop"
)

// testProfiles is main.go's profile switch in small (profile_wiring.go): the real
// store/desktop.Profiles under a data folder, the active one chosen by the session's
// Options.Profile, and the seal library over the active store.
type testProfiles struct {
	dir  string
	root *desktop.Store
	ps   *desktop.Profiles

	mu      stdsync.Mutex
	key     string
	cur     *desktop.Store
	watchMu stdsync.Mutex
	watch   []func()
}

func newTestProfiles(t *testing.T) *testProfiles {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	root, err := desktop.Open(filepath.Join(dir, "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &testProfiles{dir: dir, root: root, ps: desktop.NewProfiles(dir, root, nil), cur: root}
	t.Cleanup(func() { p.ps.Close(); root.Close() })
	return p
}

func (p *testProfiles) activate(cfg session.ServerConfig, a *org.Account) (sync.Store, error) {
	key, st := "", p.root
	if a != nil {
		key = desktop.ProfileKey(cfg.URL, a.ID)
		var err error
		if st, err = p.ps.Open(key, desktop.Adoption{Server: cfg.URL, AccountID: a.ID}); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	changed := p.cur != st
	p.key, p.cur = key, st
	p.mu.Unlock()
	if changed {
		p.watchMu.Lock()
		fs := append([]func(){}, p.watch...)
		p.watchMu.Unlock()
		for _, f := range fs {
			f()
		}
	}
	return st.Sync(), nil
}

func (p *testProfiles) active() *desktop.Store {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

func (p *testProfiles) ID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key
}

func (p *testProfiles) Dir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key == "" {
		return p.dir
	}
	return p.ps.Dir(p.key)
}

func (p *testProfiles) Items() ([]LibraryItem, error) {
	items, err := p.active().Items()
	var out []LibraryItem
	for _, it := range items {
		out = append(out, LibraryItem{ID: it.ID, Kind: it.Kind, Name: it.Name, Created: it.Created, PNG: it.PNG})
	}
	return out, err
}

func (p *testProfiles) Save(it LibraryItem) (LibraryItem, error) {
	saved, err := p.active().SaveItem(desktop.Item{Kind: it.Kind, Name: it.Name, PNG: it.PNG})
	it.ID = saved.ID
	return it, err
}

func (p *testProfiles) Delete(id string) error { return p.active().DeleteItem(id) }

func (p *testProfiles) Watch(f func()) func() {
	p.watchMu.Lock()
	p.watch = append(p.watch, f)
	p.watchMu.Unlock()
	return func() {}
}

// sealPNG is a 4×4 red picture (a seal's image for the library).
func sealPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range 16 {
		img.Set(i%4, i/4, color.NRGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// TestSwitchAccountShowsOnlyOwnData: 设置 › 账户 › 切换账号 signs A out and opens 登录 / 注册;
// B registers there and every screen is built anew over B's (empty) local data — 我的印章 lists
// nothing of A's and 发起签署 keeps drafts in B's folder; 退出登录 and A signing in again brings
// A's seal back, and A's draft folder is where it was.
func TestSwitchAccountShowsOnlyOwnData(t *testing.T) {
	srv := startTestServer(t)
	prof := newTestProfiles(t)
	m, err := session.New(session.Options{Store: prof.root.Sync(), PollWait: 2 * time.Second, Retry: 100 * time.Millisecond,
		Enterprises: session.ClientEnterprises, Profile: prof.activate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	p, err := m.Probe(ctx, srv.Run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pin(p); err != nil {
		t.Fatal(err)
	}
	s, _ := newSessionShellWith(t, m, &LocalServices{Library: prof, Profile: prof})

	loginA := NewLogin()
	if err := m.SendCode(ctx, loginA, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Register(ctx, org.RegisterRequest{Login: loginA, Code: srv.Code(t, loginA), Name: "甲用户", Password: "Passw0rdX",
		TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "A's profile", func() bool { return s.profile != "" })
	dirA := prof.Dir()
	if _, err := prof.Save(LibraryItem{Kind: ItemDesignedSeal, Name: "甲公司合同专用章", PNG: sealPNG()}); err != nil {
		t.Fatal(err)
	}
	seals := func() *sealsScreen { return s.Screen(NavSeals).(*sealsScreen) }
	seals().refreshLibrary()
	if n := len(seals().list.Objects); n != 1 {
		t.Fatalf("A's 我的印章 lists %d", n)
	}
	if got := s.Screen(NavSend).(*sendScreen).compose.store.root; got != dirA {
		t.Fatalf("A's drafts go to %q, A's folder is %q", got, dirA)
	}

	// 切换账号: the question names A and says the data stays A's; then 登录 / 注册 opens
	s.Show(NavSettings)
	panel := s.Screen(NavSettings).(*SettingsScreen).Server
	if panel.Switch.Hidden || panel.SignOut.Hidden {
		t.Fatal("signed in, yet 切换账号 or 退出登录 hidden")
	}
	test.Tap(panel.Switch)
	if panel.SignOutConfirm == nil {
		t.Fatal("切换账号 asked nothing")
	}
	panel.SignOutConfirm.Confirm()
	waitUntil(t, "signed out and 登录 / 注册 open", func() bool { return m.Client() == nil && s.signIn != nil })
	if s.profile != "" || prof.Dir() != prof.dir {
		t.Fatalf("signed out, profile %q in %q", s.profile, prof.Dir())
	}
	if n := len(seals().list.Objects); n != 0 {
		t.Fatalf("signed out, 我的印章 still lists %d of A's", n)
	}

	// B registers in the dialog
	d := s.signIn
	d.Tabs.SelectIndex(2)
	loginB := NewLogin()
	test.Type(d.RegLogin, loginB)
	test.Tap(d.RegSend)
	waitUntil(t, "B's code sent", func() bool { return strings.Contains(d.Status.Source(), loginB) })
	test.Type(d.RegCode, srv.Code(t, loginB))
	test.Type(d.RegName, "乙用户")
	test.Type(d.RegPassword, "Passw0rdX")
	test.Type(d.RegPassword2, "Passw0rdX")
	workers.drain(&d.TermsWG)
	test.Tap(d.RegAgree)
	test.Tap(d.RegSubmit)
	waitUntil(t, "B signed in", func() bool { return s.signIn == nil && m.Client() != nil && s.profile != "" })
	if prof.Dir() == dirA {
		t.Fatal("B works in A's folder")
	}
	if n := len(seals().list.Objects); n != 0 || seals().listMsg.Text != tr("seals.library.empty") {
		t.Fatalf("B's 我的印章: %d items, %q", n, seals().listMsg.Text)
	}
	if got := s.Screen(NavSend).(*sendScreen).compose.store.root; got != prof.Dir() {
		t.Fatalf("B's drafts go to %q, want B's folder %q", got, prof.Dir())
	}
	if _, err := os.Stat(filepath.Join(prof.Dir(), "drafts")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("B's folder has drafts: %v", err)
	}
	if a, _ := m.Account(); a.Name != "乙用户" {
		t.Fatalf("signed in as %+v", a)
	}

	// 退出登录, A again: A's seal is back
	s.Show(NavSettings)
	panel = s.Screen(NavSettings).(*SettingsScreen).Server
	test.Tap(panel.SignOut)
	panel.SignOutConfirm.Confirm()
	waitUntil(t, "B signed out", func() bool { return m.Client() == nil && s.profile == "" })
	if _, err := m.Login(ctx, org.LoginRequest{Login: loginA, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "A's profile again", func() bool { return s.profile != "" && prof.Dir() == dirA })
	waitUntil(t, "A's seal listed", func() bool { return len(seals().list.Objects) == 1 })
}
