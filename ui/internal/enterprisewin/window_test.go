package enterprisewin

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/ids"
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
	cfgDir  string
)

func TestMain(m *testing.M) {
	windowtest.Main(m, windowtest.Options{Name: "enterprisewin", Size: fyne.NewSize(1200, 720),
		Setup: func(a fyne.App, w fyne.Window, cfg string) { fyneApp, win, cfgDir = a, w, cfg }})
}

// devServer is a --dev server over a bbolt file, HTTPS from its own CA, on loopback.
type devServer struct {
	run   *server.Running
	store *bolt.Store
	key   []byte
	addr  string
}

func startServer(t *testing.T) *devServer {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key := make([]byte, 32)
	rand.Read(key)
	s := &devServer{store: st, key: key}
	s.start(t)
	return s
}

func (s *devServer) start(t *testing.T) {
	t.Helper()
	run, err := server.Start(context.Background(), server.Options{Store: s.store, MasterKey: s.key, Dev: true,
		PollInterval: 50 * time.Millisecond, Hashes: gate.New(&gate.Options{Slots: 2, Queue: 64, Wait: time.Minute})},
		server.ListenOptions{TLS: true, Addr: s.addr})
	if err != nil {
		t.Fatal(err)
	}
	s.run = run
	u, _ := url.Parse(run.URL)
	s.addr = u.Host
	t.Cleanup(func() { run.Shutdown(context.Background()) })
}

// do runs f on the UI goroutine and waits (no t.Fatal inside: see windowtest.Do).
func do(f func()) { windowtest.Do(f) }

// waitUI polls cond on the UI goroutine for up to three minutes (at load 15 on two cores a step
// of the software-rendered window took over a minute; a passing step does not wait longer).
func waitUI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	windowtest.WaitUI(t, what, 3*time.Minute, cond)
}

var sizes = []fyne.Size{fyne.NewSize(1366, 768), fyne.NewSize(1024, 640)}

// shots writes the window at both sizes as DIR/<name>-<lang>-<w>x<h>.png when SEALDESK_SHOTS
// is set; prepare (optional) runs on the UI goroutine first and ready is awaited.
func shots(t *testing.T, name, lang string) {
	t.Helper()
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" || have(name, lang) {
		return
	}
	for _, sz := range sizes {
		do(func() { win.Resize(sz) })
		time.Sleep(700 * time.Millisecond) // wrapped labels settle at the new width
		do(func() { win.Content().Refresh() })
		img, err := ui.CaptureWhenDrawn(win, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d.png", name, lang, int(sz.Width), int(sz.Height)))
		if err := ui.WritePNG(path, img); err != nil {
			t.Fatal(err)
		}
	}
	do(func() { win.Resize(sizes[0]) })
	t.Logf("shots %s-%s written", name, lang)
}

func langs() []string { return langsFor("") }

// langsFor lists the languages to show a step in: English when its pictures are still to be
// written (a second run completes an interrupted set), then Chinese, where the walk goes on.
func langsFor(name string) []string {
	if os.Getenv("SEALDESK_SHOTS") == "" || (name != "" && have(name, ui.LangEnglish)) {
		return []string{ui.LangChinese}
	}
	return []string{ui.LangEnglish, ui.LangChinese}
}

// have reports whether both sizes of a picture exist already.
func have(name, lang string) bool {
	dir := os.Getenv("SEALDESK_SHOTS")
	for _, sz := range sizes {
		if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%s-%s-%dx%d.png", name, lang, int(sz.Width), int(sz.Height)))); err != nil {
			return false
		}
	}
	return true
}

func setLang(shell *ui.Shell, lang string) {
	do(func() {
		ui.SetLanguage(lang)
		shell.Rebuild()
	})
}

func creditCode(t *testing.T) string {
	first := "91330106MA2B0BXX3U"[:17]
	c, err := ids.CreditCheck(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

// TestSignInCreateInviteApprove is the walk of the package doc.
func TestSignInCreateInviteApprove(t *testing.T) {
	srv := startServer(t)
	st, err := desktop.Open(filepath.Join(t.TempDir(), "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := session.New(session.Options{Store: st.Sync(), PollWait: 3 * time.Second, Retry: 200 * time.Millisecond,
		Enterprises: session.ClientEnterprises})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Start()
	var shell *ui.Shell
	do(func() {
		shell = ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: ui.LangChinese, Dir: cfgDir}, Version: "0.0.0",
			Conn: m, Session: m})
		win.SetContent(shell.Content())
		win.Resize(sizes[0])
	})
	settings := func() *ui.SettingsScreen { return shell.Screen(ui.NavSettings).(*ui.SettingsScreen) }
	ent := func() *ui.EnterpriseScreen { return shell.Screen(ui.NavEnterprise).(*ui.EnterpriseScreen) }

	// 设置 › 服务器: the fingerprint dialog (cancelled in English, confirmed in Chinese)
	for _, lang := range langsFor("server-fingerprint") {
		setLang(shell, lang)
		do(func() {
			shell.Show(ui.NavSettings)
			p := settings().Server
			p.Mode.SetSelected(p.Mode.Options[1])
			p.Address.SetText(srv.run.URL)
			test.Tap(p.Connect)
		})
		waitUI(t, "the fingerprint dialog", func() bool { return settings().Server.Confirm != nil })
		do(func() {})
		shots(t, "server-fingerprint", lang)
		if lang != ui.LangChinese {
			do(func() { settings().Server.Confirm.Hide() })
		}
	}
	do(func() { settings().Server.Confirm.Confirm() })
	waitUI(t, "the sign-in dialog", func() bool { return shell.SignInDialog() != nil })
	if fp := m.Server().Fingerprint; fp != session.Fingerprint(srv.run.Server.Root()) {
		t.Fatalf("pinned %q", fp)
	}

	// 注册 (the picture with the tab shown, in both languages)
	login := fmt.Sprintf("win%d@example.com", time.Now().UnixNano())
	if os.Getenv("SEALDESK_SHOTS") != "" && !have("signin", ui.LangEnglish) {
		do(func() { shell.SignInDialog().Tabs.SelectIndex(2) })
		shots(t, "signin", ui.LangChinese)
		do(func() { shell.SignInDialog().Close() })
		setLang(shell, ui.LangEnglish)
		do(func() { shell.ShowSignIn(); shell.SignInDialog().Tabs.SelectIndex(2) })
		shots(t, "signin", ui.LangEnglish)
		do(func() { shell.SignInDialog().Close() })
		setLang(shell, ui.LangChinese)
		do(func() { shell.ShowSignIn() })
	}
	do(func() {
		d := shell.SignInDialog()
		d.Tabs.SelectIndex(2)
		d.RegLogin.SetText(login)
		test.Tap(d.RegSend)
	})
	var status string // the dialog's last status line, for the failure message
	waitUI(t, "the code sent", func() bool {
		status = shell.SignInDialog().Status.Source()
		return status != "" && status != "正在处理…" // sent, or the error
	})
	if !strings.Contains(status, login) {
		t.Fatalf("sending the code: %s", status)
	}
	code := windowtest.Code(t, srv.run, login)
	do(func() {
		d := shell.SignInDialog()
		d.RegCode.SetText(code)
		d.RegName.SetText("王经理")
		d.RegPassword.SetText("Passw0rdX")
		d.RegPassword2.SetText("Passw0rdX")
		d.RegAgree.SetChecked(true)
		test.Tap(d.RegSubmit)
	})
	waitUI(t, "signed in", func() bool { return shell.SignInDialog() == nil && m.Client() != nil })
	waitUI(t, "connected", func() bool { return m.Status().Online })

	// 企业, empty: one primary button
	for _, lang := range langsFor("enterprise-empty") {
		setLang(shell, lang)
		do(func() { shell.Show(ui.NavEnterprise) })
		waitUI(t, "the empty state", func() bool { return ent().State() == "personal" })
		time.Sleep(300 * time.Millisecond)
		shots(t, "enterprise-empty", lang)
		// 账号申诉 from 个人版
		do(func() { test.Tap(ent().Appeal) })
		waitUI(t, "the appeal form", func() bool { return ent().AppealDlg != nil })
		time.Sleep(300 * time.Millisecond)
		shots(t, "enterprise-appeal", lang)
		do(func() {
			if top := win.Canvas().Overlays().Top(); top != nil {
				top.Hide()
			}
		})
	}

	// 创建企业
	do(func() { test.Tap(ent().Create) })
	waitUI(t, "the create dialog", func() bool { return ent().CreateDlg != nil })
	credit := creditCode(t)
	do(func() {
		d := ent().CreateDlg
		d.Name.SetText("杭州示例科技有限公司")
		d.Code.SetText(credit)
	})
	shots(t, "enterprise-create", ui.LangChinese)
	do(func() { test.Tap(ent().CreateDlg.Submit) })
	waitUI(t, "the enterprise opened", func() bool {
		e := ent()
		return e.State() == "enterprise" && len(e.TabTitles()) > 0 && e.Members.QR.Image != nil
	})
	if !strings.HasSuffix(win.Title(), "杭州示例科技有限公司") {
		t.Errorf("title %q", win.Title())
	}

	// 成员: the invitation QR code on screen
	showMembers := func(lang string) {
		setLang(shell, lang)
		do(func() { shell.Show(ui.NavEnterprise) })
		waitUI(t, "members loaded", func() bool {
			e := ent()
			return e.State() == "enterprise" && len(e.TabTitles()) > 1 && e.Members.QR.Image != nil && len(e.Members.MemberNames()) > 0
		})
		title := map[string]string{ui.LangChinese: "成员", ui.LangEnglish: "Members"}[lang]
		do(func() {
			for i, it := range ent().Tabs.Items {
				if it.Text == title {
					ent().Tabs.SelectIndex(i)
				}
			}
		})
	}
	for _, lang := range langsFor("enterprise-invite") {
		showMembers(lang)
		shots(t, "enterprise-invite", lang)
	}
	var link string
	do(func() { link = ent().Members.Link.Text })

	// a colleague joins through the link: 待审核成员 › 同意
	colleague := registerClient(t, srv, "李员工")
	if _, err := colleague.Join(context.Background(), link); err != nil {
		t.Fatal(err)
	}
	for _, lang := range langsFor("enterprise-pending") {
		showMembers(lang)
		waitUI(t, "待审核成员", func() bool { return slices.Contains(ent().Members.PendingNames(), "李员工") })
		shots(t, "enterprise-pending", lang)
	}
	do(func() { ent().Members.Decide("李员工", true) })
	waitUI(t, "the new member", func() bool {
		return slices.Contains(ent().Members.MemberNames(), "李员工") && len(ent().Members.PendingNames()) == 0
	})
	for _, lang := range langsFor("enterprise-members") {
		showMembers(lang)
		waitUI(t, "two members", func() bool { return len(ent().Members.MemberNames()) == 2 })
		shots(t, "enterprise-members", lang)
	}

	// the network goes mid-task: the change waits, the window says offline
	acct, _ := m.Account()
	srv.run.Shutdown(context.Background())
	if _, err := m.Submit(context.Background(), sync.Command{Type: "profile.rename", Scope: org.Scope(acct.ID),
		Payload: json.RawMessage(`{"name":"王总经理"}`)}); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "offline shown", func() bool {
		s := m.Status()
		return !s.Online && s.Pending == 1 && strings.Contains(shell.SyncBar.Text.Text, "1")
	})
	for _, lang := range langsFor("offline") {
		setLang(shell, lang)
		do(func() { shell.Show(ui.NavEnterprise) })
		time.Sleep(500 * time.Millisecond)
		shots(t, "offline", lang)
	}
	srv.start(t)
	waitUI(t, "caught up", func() bool { s := m.Status(); return s.Online && s.Pending == 0 })
	if a, err := m.Client().Me(context.Background()); err != nil || a.Name != "王总经理" {
		t.Fatalf("after reconnecting: %+v %v", a, err)
	}
}

func registerClient(t *testing.T, srv *devServer, name string) *client.Client {
	return windowtest.Register(t, srv.run, fmt.Sprintf("c%d@example.com", time.Now().UnixNano()), name, "")
}
