//go:build cgo

// Package accountwin shows 退出登录 and 切换账号 in a real window (GL under Xvfb), in Chinese and
// English at 1366×768 and 1024×640, against a real server on loopback with the real per-account
// local stores (store/desktop.Profiles): A signed in (设置 › 账户 with 退出登录 and 切换账号), the
// question 切换账号 asks, 登录 / 注册 with the server's 服务条款 / 隐私政策 versions, 我的印章 of B
// (empty: nothing of A's) and of A again (A's seal back). The pictures go to $SEALDESK_SHOTS (or
// a temporary folder) for a reviewer to look at.
package accountwin

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"sealdesk/ui/internal/servertest"
	stdsync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/bolt"
	"sealdesk/store/desktop"
	"sealdesk/ui"
	"sealdesk/ui/internal/windowtest"
)

var (
	fyneApp fyne.App
	win     fyne.Window
)

func TestMain(m *testing.M) {
	windowtest.Main(m, windowtest.Options{Name: "accountwin", Size: fyne.NewSize(1366, 768),
		Setup: func(a fyne.App, w fyne.Window, cfg string) { fyneApp, win = a, w }})
}

// profiles is main.go's switch of the local data (profile_wiring.go) in small: the session's
// Options.Profile picks the store, the seal library reads the active one.
type profiles struct {
	dir  string
	root *desktop.Store
	ps   *desktop.Profiles

	mu    stdsync.Mutex
	key   string
	cur   *desktop.Store
	watch []func()
}

func (p *profiles) activate(cfg session.ServerConfig, a *org.Account) (sync.Store, error) {
	key, st := "", p.root
	if a != nil {
		key = desktop.ProfileKey(cfg.URL, a.ID)
		var err error
		if st, err = p.ps.Open(key, desktop.Adoption{Server: cfg.URL, AccountID: a.ID}); err != nil {
			return nil, err
		}
	}
	p.mu.Lock()
	p.key, p.cur = key, st
	fs := append([]func(){}, p.watch...)
	p.mu.Unlock()
	for _, f := range fs {
		f()
	}
	return st.Sync(), nil
}

func (p *profiles) active() *desktop.Store {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

func (p *profiles) ID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.key
}

func (p *profiles) Dir() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key == "" {
		return p.dir
	}
	return p.ps.Dir(p.key)
}

func (p *profiles) Items() ([]ui.LibraryItem, error) {
	items, err := p.active().Items()
	var out []ui.LibraryItem
	for _, it := range items {
		out = append(out, ui.LibraryItem{ID: it.ID, Kind: it.Kind, Name: it.Name, Created: it.Created, PNG: it.PNG})
	}
	return out, err
}

func (p *profiles) Save(it ui.LibraryItem) (ui.LibraryItem, error) {
	saved, err := p.active().SaveItem(desktop.Item{Kind: it.Kind, Name: it.Name, PNG: it.PNG})
	it.ID = saved.ID
	return it, err
}

func (p *profiles) Delete(id string) error { return p.active().DeleteItem(id) }

func (p *profiles) Watch(f func()) func() {
	p.mu.Lock()
	p.watch = append(p.watch, f)
	p.mu.Unlock()
	return func() {}
}

// sealPNG is a red ring (a seal's picture for 我的印章).
func sealPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 120, 120))
	for y := range 120 {
		for x := range 120 {
			d := (x-60)*(x-60) + (y-60)*(y-60)
			if d < 58*58 && d > 50*50 || d < 12*12 {
				img.Set(x, y, color.NRGBA{R: 200, G: 20, B: 20, A: 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestSwitchAccountInRealWindow(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := servertest.Run(t, st, server.Options{Dev: true, Terms: org.Terms{Terms: "2026-11", Privacy: "2026-10"}})

	dataDir := filepath.Join(t.TempDir(), "SealDesk")
	root, err := desktop.Open(filepath.Join(dataDir, "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	prof := &profiles{dir: dataDir, root: root, ps: desktop.NewProfiles(dataDir, root, nil), cur: root}
	defer prof.ps.Close()
	m, err := session.New(session.Options{Store: root.Sync(), PollWait: 2 * time.Second, Retry: 200 * time.Millisecond,
		Enterprises: session.ClientEnterprises, Profile: prof.activate})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	p, err := m.Probe(ctx, run.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Pin(p); err != nil {
		t.Fatal(err)
	}
	register := func(login, name string) {
		t.Helper()
		if err := m.SendCode(ctx, login, org.PurposeRegister); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Register(ctx, org.RegisterRequest{Login: login, Code: windowtest.Code(t, run, login), Name: name, Password: "Passw0rdX",
			TermsVersion: "2026-11", PrivacyVersion: "2026-10"}); err != nil {
			t.Fatal(err)
		}
	}
	login := func(l string) {
		t.Helper()
		if _, err := m.Login(ctx, org.LoginRequest{Login: l, Password: "Passw0rdX"}); err != nil {
			t.Fatal(err)
		}
	}
	loginA, loginB := "13912340031", "13912340032"
	register(loginA, "张三")
	if _, err := prof.Save(ui.LibraryItem{Kind: ui.ItemDesignedSeal, Name: "张三的合同专用章", PNG: sealPNG()}); err != nil {
		t.Fatal(err)
	}
	register(loginB, "李四")
	if n, _ := prof.Items(); len(n) != 0 {
		t.Fatalf("B sees %d seals of A's", len(n))
	}
	if err := m.SignOut(ctx); err != nil {
		t.Fatal(err)
	}

	dir := os.Getenv("SEALDESK_SHOTS")
	langs, sizes := []string{ui.LangChinese, ui.LangEnglish}, []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}}
	if dir == "" {
		dir = t.TempDir()
		langs, sizes = langs[:1], sizes[:1]
	}
	os.MkdirAll(dir, 0o755)
	name := func(what, lang string, size fyne.Size) string {
		return filepath.Join(dir, fmt.Sprintf("account-%s-%s-%dx%d.png", what, lang, int(size.Width), int(size.Height)))
	}
	// one shell for all the pictures (a second one would follow the same session too)
	var shell *ui.Shell
	windowtest.Do(func() {
		shell = ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: ui.LangChinese, Dir: dataDir},
			Conn: m, Session: m, Local: &ui.LocalServices{Library: prof, Profile: prof}})
		win.SetContent(shell.Content())
	})
	for _, lang := range langs {
		if err := ui.SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		for _, size := range sizes {
			login(loginA)
			windowtest.Do(func() {
				shell.Rebuild()
				win.Resize(size)
				shell.Show(ui.NavSettings)
			})
			settings := func() *ui.SettingsScreen { return shell.Screen(ui.NavSettings).(*ui.SettingsScreen) }
			windowtest.WaitUI(t, "A signed in", 20*time.Second, func() bool {
				return !settings().Server.Switch.Hidden && m.Client() != nil
			})
			shot(t, name("signedin", lang, size), size)

			windowtest.Do(func() { settings().Server.Switch.OnTapped() })
			windowtest.WaitUI(t, "the question", 10*time.Second, func() bool { return settings().Server.SignOutConfirm != nil })
			shot(t, name("switch-confirm", lang, size), size)

			windowtest.Do(func() { settings().Server.SignOutConfirm.Confirm() })
			windowtest.WaitUI(t, "signed out after 切换账号", 20*time.Second, func() bool { return m.Client() == nil })
			windowtest.WaitUI(t, "登录 / 注册 open", 20*time.Second, func() bool { return shell.SignInDialog() != nil })
			windowtest.WaitUI(t, "the server's terms shown", 20*time.Second, func() bool {
				return shell.SignInDialog().Terms().Terms == "2026-11"
			})
			windowtest.Do(func() { shell.SignInDialog().Tabs.SelectIndex(2) })
			shot(t, name("signin-terms", lang, size), size)
			windowtest.Do(func() { shell.SignInDialog().Close() })

			login(loginB)
			windowtest.WaitUI(t, "B's 我的印章", 20*time.Second, func() bool {
				return m.Client() != nil && prof.ID() != "" && shell.Current() == ui.NavSettings
			})
			windowtest.Do(func() { shell.Show(ui.NavSeals) })
			if items, _ := prof.Items(); len(items) != 0 {
				t.Errorf("%s: B's library shows %d", lang, len(items))
			}
			shot(t, name("seals-b", lang, size), size)

			if err := m.SignOut(ctx); err != nil {
				t.Fatal(err)
			}
			login(loginA)
			windowtest.WaitUI(t, "A back", 20*time.Second, func() bool { return m.Client() != nil && prof.ID() != "" })
			windowtest.Do(func() { shell.Show(ui.NavSeals) })
			if items, _ := prof.Items(); len(items) != 1 || items[0].Name != "张三的合同专用章" {
				t.Errorf("%s: A's library after B: %+v", lang, items)
			}
			shot(t, name("seals-a", lang, size), size)
			if err := m.SignOut(ctx); err != nil {
				t.Fatal(err)
			}
			windowtest.Do(func() {
				for _, o := range win.Canvas().Overlays().List() {
					win.Canvas().Overlays().Remove(o)
				}
			})
		}
	}
}

func shot(t *testing.T, path string, size fyne.Size) {
	t.Helper()
	time.Sleep(800 * time.Millisecond)
	img, err := ui.CaptureWhenDrawn(win, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < int(size.Width)*9/10 {
		t.Errorf("%s: captured %v for a %v window", path, b, size)
	}
	if err := ui.WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	windowtest.CheckNotBlank(t, path, img)
}
