package ui

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	stdsync "sync"
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
)

// devServer is a real server for screen tests: --dev (dev providers, the dev outbox of codes),
// HTTPS from its own CA, on a free loopback port, over a bbolt file in the test's temp folder.
type devServer struct {
	Run   *server.Running
	store *bolt.Store
	key   []byte
	addr  string
	Terms org.Terms // 服务条款 / 隐私政策 versions in force from the next start (zero: the defaults)
}

// startTestServer starts a devServer; it stops with the test.
func startTestServer(t *testing.T) *devServer {
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
	run, err := server.Start(context.Background(), server.Options{Store: s.store, MasterKey: s.key, Dev: true, Terms: s.Terms,
		PollInterval: 50 * time.Millisecond, Hashes: gate.New(&gate.Options{Slots: 2, Queue: 64, Wait: time.Minute})},
		server.ListenOptions{TLS: true, Addr: s.addr})
	if err != nil {
		t.Fatal(err)
	}
	s.Run = run
	u, _ := url.Parse(run.URL)
	s.addr = u.Host
	t.Cleanup(func() { run.Shutdown(context.Background()) })
}

// Stop shuts the server down (the network is "lost"); Restart brings it back on the same
// address with the same data.
func (s *devServer) Stop()                   { s.Run.Shutdown(context.Background()) }
func (s *devServer) Restart(t *testing.T)    { t.Helper(); s.start(t) }
func (s *devServer) RootFingerprint() string { return session.Fingerprint(s.Run.Server.Root()) }

var testCodeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

// Code is the newest one-time code the dev outbox holds for login.
func (s *devServer) Code(t *testing.T, login string) string {
	t.Helper()
	msgs := s.Run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == login {
			if m := testCodeRE.FindStringSubmatch(msgs[i].Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no code for %s in the dev outbox", login)
	return ""
}

var loginSeq struct {
	stdsync.Mutex
	n int
}

// NewLogin makes an e-mail address no other test uses.
func NewLogin() string {
	loginSeq.Lock()
	defer loginSeq.Unlock()
	loginSeq.n++
	return fmt.Sprintf("u%d-%d@example.com", time.Now().UnixNano(), loginSeq.n)
}

// Client registers a new account (name) and returns its signed-in client: a second or third
// person in a test (the one who joins, the reviewer…).
func (s *devServer) Client(t *testing.T, name string) *client.Client {
	t.Helper()
	c, _ := s.ClientLogin(t, name)
	return c
}

// ClientLogin is Client that also returns the account's login (its password is "Passw0rdX").
func (s *devServer) ClientLogin(t *testing.T, name string) (*client.Client, string) {
	t.Helper()
	c, err := client.New(s.Run.URL, s.Run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	login := NewLogin()
	ctx := context.Background()
	if err := c.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: s.Code(t, login), Name: name, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	return c, login
}

// newTestSession is the desktop's session (core/session over a store/desktop file in the test's
// temp folder) with srv pinned as its server and nobody signed in. Screens take it as
// Services.Conn and Services.Session.
func newTestSession(t *testing.T, srv *devServer) *session.Manager {
	t.Helper()
	st, err := desktop.Open(filepath.Join(t.TempDir(), "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := session.New(session.Options{Store: st.Sync(), PollWait: 2 * time.Second, Retry: 100 * time.Millisecond,
		Enterprises: session.ClientEnterprises})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); st.Close() })
	if srv != nil {
		p, err := m.Probe(context.Background(), srv.Run.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Pin(p); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// newSignedInSession is newTestSession with a new account (name) signed in; it returns the
// session and the account. This is what a screen test of 企业, 文件, 企业印章 or 费用中心 starts
// from:
//
//	srv := startTestServer(t)
//	conn, _ := newSignedInSession(t, srv, "张三")
//	s, w := newSessionShell(t, conn)
func newSignedInSession(t *testing.T, srv *devServer, name string) (*session.Manager, org.Account) {
	t.Helper()
	m := newTestSession(t, srv)
	login := NewLogin()
	ctx := context.Background()
	if err := m.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	a, err := m.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: srv.Code(t, login), Name: name, Password: "Passw0rdX"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the first sync", func() bool { return m.Status().Online })
	return m, a
}

// newSessionShell is newTestShell with the session as Services.Conn and Services.Session.
func newSessionShell(t *testing.T, m *session.Manager) (*Shell, fyne.Window) {
	t.Helper()
	return newSessionShellWith(t, m, nil)
}

// newSessionShellWith is newSessionShell with the offline services local.
func newSessionShellWith(t *testing.T, m *session.Manager, local *LocalServices) (*Shell, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLanguage(LangChinese) })
	st := &memSettings{lang: LangChinese, dir: filepath.Join(t.TempDir(), "data")}
	w := test.NewTempWindow(t, nil)
	svc := Services{Settings: st, Version: "9.8.7", Local: local}
	if m != nil {
		svc.Conn, svc.Session = m, m
	}
	s := NewShell(a, w, svc)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1100, 720))
	t.Cleanup(func() {
		if s.unsub != nil {
			s.unsub()
		}
	})
	return s, w
}

// waitUntil polls cond (which reads widgets) for up to 15 s, applying the results of background
// work (uiDo) on this goroutine before each look.
// lookLocked applies the queued worker results under testUIMu (no worker's UI work runs
// meanwhile), then evaluates cond — outside the lock, since cond may wait for workers.
func lookLocked(cond func() bool) bool {
	testUIMu.Lock()
	drainWorkers()
	testUIMu.Unlock()
	return cond()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for t0 := time.Now(); time.Since(t0) < 30*time.Second; time.Sleep(20 * time.Millisecond) {
		if lookLocked(cond) {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestServerPinAndRegister: 设置 › 服务器 › 服务器地址 → 连接 shows the CA's fingerprint; 信任并连接
// pins it and opens 登录 / 注册; registering with the code from the dev outbox signs in; the
// status under the navigation says connected; 退出登录 forgets the session.
func TestServerPinAndRegister(t *testing.T) {
	srv := startTestServer(t)
	m := newTestSession(t, nil)
	m.Start()
	s, _ := newSessionShell(t, m)
	s.Show(NavSettings)
	sc := s.Screen(NavSettings).(*SettingsScreen)
	p := sc.Server
	if p.Mode.Selected != tr("server.mode.local") {
		t.Fatalf("a new desktop uses %q, want 本机", p.Mode.Selected)
	}

	p.Mode.SetSelected(tr("server.mode.remote"))
	// plain HTTP is refused with a sentence, nothing contacted
	test.Type(p.Address, strings.Replace(srv.Run.URL, "https", "http", 1))
	test.Tap(p.Connect)
	if got := p.Status.Source(); got != tr("server.err.https") {
		t.Fatalf("http address: %q", got)
	}
	p.Address.SetText(srv.Run.URL)
	test.Tap(p.Connect)
	waitUntil(t, "the fingerprint dialog", func() bool { return p.Confirm != nil })
	if !strings.Contains(p.probe.Fingerprint, ":") || p.probe.Fingerprint != srv.RootFingerprint() {
		t.Fatalf("dialog shows %q, server's CA is %s", p.probe.Fingerprint, srv.RootFingerprint())
	}
	if m.Server().Mode != session.ModeLocal {
		t.Fatal("the server was changed before the user confirmed")
	}
	p.Confirm.Confirm()
	waitUntil(t, "the sign-in dialog", func() bool { return s.signIn != nil })
	if cfg := m.Server(); cfg.Mode != session.ModeRemote || cfg.Fingerprint != srv.RootFingerprint() {
		t.Fatalf("after trusting: %+v", cfg)
	}
	if !strings.Contains(p.Fingerprint.Text, srv.RootFingerprint()) {
		t.Errorf("settings show %q, want the pinned fingerprint", p.Fingerprint.Text)
	}

	d := s.signIn
	d.Tabs.SelectIndex(2)
	login := NewLogin()
	test.Type(d.RegLogin, login)
	test.Tap(d.RegSend)
	waitUntil(t, "the code sent", func() bool { return strings.Contains(d.Status.Source(), login) })
	test.Type(d.RegCode, srv.Code(t, login))
	test.Type(d.RegName, "王小明")
	// the password rule is checked before anything is sent
	test.Type(d.RegPassword, "password")
	test.Type(d.RegPassword2, "password")
	test.Tap(d.RegSubmit)
	if !strings.Contains(d.Status.Source(), "8–18") {
		t.Fatalf("weak password: %q", d.Status.Source())
	}
	d.RegPassword.SetText("Passw0rdX")
	d.RegPassword2.SetText("Passw0rdY")
	test.Tap(d.RegSubmit)
	if d.Status.Source() != tr("account.err.password.mismatch") {
		t.Fatalf("mismatch: %q", d.Status.Source())
	}
	d.RegPassword2.SetText("Passw0rdX")
	// 服务条款 and 隐私政策 must be accepted (the server records the versions it named)
	workers.drain(&d.TermsWG)
	if d.Terms() != org.DefaultTerms || !strings.Contains(d.RegAgree.Text, org.DefaultTerms.Terms) {
		t.Fatalf("terms shown %q (%+v), server's are %+v", d.RegAgree.Text, d.Terms(), org.DefaultTerms)
	}
	test.Tap(d.RegSubmit)
	if d.Status.Source() != tr("account.err.agree") {
		t.Fatalf("without the agreement: %q", d.Status.Source())
	}
	test.Tap(d.RegAgree)
	test.Tap(d.RegSubmit)
	waitUntil(t, "signed in", func() bool { return s.signIn == nil && m.Client() != nil })
	waitUntil(t, "the account shown", func() bool { return strings.Contains(p.Account.Text, "王小明") })
	waitUntil(t, "connected", func() bool { return strings.Contains(s.SyncBar.Text.Text, tr("sync.online")) })
	if !s.Switcher.Visible() || s.Switcher.Selected != tr("context.personal") {
		t.Errorf("switcher: visible %v, %q", s.Switcher.Visible(), s.Switcher.Selected)
	}
	if !p.SignIn.Hidden || p.SignOut.Hidden {
		t.Error("signed in, yet 登录 shown or 退出登录 hidden")
	}

	// 实名认证: a wrong check character is refused here, a good number goes to manual review
	waitUntil(t, "the real-name state", func() bool { return p.RealName.State.Source() == tr("realname.state.none") })
	test.Type(p.RealName.Name, "王小明")
	test.Type(p.RealName.IDNumber, "11010519491231002X"[:17]+"1")
	test.Tap(p.RealName.Submit)
	if p.RealName.Message.Source() != tr("sign.key.err.id") {
		t.Fatalf("bad id: %q", p.RealName.Message.Source())
	}
	p.RealName.IDNumber.SetText("11010519491231002X")
	test.Tap(p.RealName.Submit)
	waitUntil(t, "awaiting photos", func() bool { return p.RealName.current.Status == org.StatusAwaitingPhotos })
	if !p.RealName.photos.Visible() {
		t.Error("photo buttons hidden while photos are awaited")
	}
	p.RealName.UploadPhoto(sideFront, []byte("not an image"))
	waitUntil(t, "the server's refusal", func() bool { return strings.Contains(p.RealName.Message.Source(), "PNG") })

	// 退出登录
	test.Tap(p.SignOut)
	p.SignOutConfirm.Confirm()
	waitUntil(t, "signed out", func() bool { return m.Client() == nil })
	waitUntil(t, "the sign-in button", func() bool { return !p.SignIn.Hidden && s.SyncBar.SignIn.Visible() })

	// 忘记密码: a weak new password is refused here, a wrong code by the server (nothing changes),
	// then the reset leads to 密码登录 with the new password
	test.Tap(p.SignIn)
	d = s.signIn
	d.Tabs.SelectIndex(3)
	test.Type(d.ResetLogin, login)
	test.Tap(d.ResetSend)
	waitUntil(t, "the reset code sent", func() bool { return strings.Contains(d.Status.Source(), login) })
	code := srv.Code(t, login)
	d.ResetCode.SetText(code)
	d.ResetPassword.SetText("short")
	d.ResetPassword2.SetText("short")
	test.Tap(d.ResetSubmit)
	if !strings.Contains(d.Status.Source(), "8–18") {
		t.Fatalf("weak new password: %q", d.Status.Source())
	}
	d.ResetPassword.SetText("Reset0Pass")
	d.ResetPassword2.SetText("Reset0Pass")
	d.ResetCode.SetText("000000")
	if code == "000000" {
		d.ResetCode.SetText("111111")
	}
	test.Tap(d.ResetSubmit)
	waitUntil(t, "the wrong code refused", func() bool { return strings.Contains(d.Status.Source(), "验证码错误") })
	d.ResetCode.SetText(code)
	test.Tap(d.ResetSubmit)
	waitUntil(t, "the reset", func() bool { return d.Status.Source() == tr("account.reset.done") })
	if d.Tabs.SelectedIndex() != 0 || d.PwLogin.Text != login {
		t.Errorf("after the reset: tab %d, login %q", d.Tabs.SelectedIndex(), d.PwLogin.Text)
	}
	d.PwPassword.SetText("Reset0Pass")
	test.Tap(d.PwSubmit)
	waitUntil(t, "signed in with the new password", func() bool { return s.signIn == nil && m.Client() != nil })
}

// TestSyncBarRefusalAndOffline: a refused command is shown with the server's Chinese sentence
// and kept until 知道了; losing the server shows 离线 and "1 项更改待同步"; it is sent after the
// server is back.
func TestSyncBarRefusalAndOffline(t *testing.T) {
	srv := startTestServer(t)
	m, acct := newSignedInSession(t, srv, "李四")
	s, _ := newSessionShell(t, m)
	bar := s.SyncBar
	waitUntil(t, "connected", func() bool { return strings.Contains(bar.Text.Text, tr("sync.online")) })

	ctx := context.Background()
	if _, err := m.Submit(ctx, sync.Command{Type: "profile.rename", Scope: org.Scope(acct.ID), Payload: json.RawMessage(`{"name":""}`)}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the refusal button", func() bool { return bar.Refused.Visible() })
	if bar.Refused.Text != tr("sync.refused.button", map[string]any{"N": 1}) {
		t.Errorf("button %q", bar.Refused.Text)
	}
	test.Tap(bar.Refused)
	if bar.Dialog == nil {
		t.Fatal("no refusals dialog")
	}
	ref := m.Status().Refused[0]
	if ref.Message == "" || !strings.ContainsAny(ref.Message, "姓名名称") {
		t.Errorf("refusal message %q", ref.Message)
	}
	bar.Dialog.Hide() // 稍后: nothing is lost
	bar.Dialog = nil
	if len(m.Status().Refused) != 1 {
		t.Fatal("closing the dialog lost the refusal")
	}
	test.Tap(bar.Refused)
	bar.Dialog.(interface{ Confirm() }).Confirm()
	waitUntil(t, "the refusal dismissed", func() bool { return !bar.Refused.Visible() && len(m.Status().Refused) == 0 })

	// the network goes
	srv.Stop()
	if _, err := m.Submit(ctx, sync.Command{Type: "profile.rename", Scope: org.Scope(acct.ID), Payload: json.RawMessage(`{"name":"李四四"}`)}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "offline shown", func() bool {
		return strings.Contains(bar.Text.Text, tr("sync.offline")) && strings.Contains(bar.Text.Text, tr("sync.pending", map[string]any{"N": 1}))
	})
	srv.Restart(t)
	waitUntil(t, "caught up", func() bool {
		return strings.Contains(bar.Text.Text, tr("sync.online")) && !strings.Contains(bar.Text.Text, tr("sync.pending", map[string]any{"N": 1}))
	})
	if a, _ := m.Client().Me(ctx); a.Name != "李四四" {
		t.Errorf("the offline rename did not arrive: %q", a.Name)
	}
}

// TestSwitcherFollowsEnterprises: an enterprise created by the user appears in the switcher;
// choosing it puts its name in the window title and follows its scope; 个人版 again drops it.
func TestSwitcherFollowsEnterprises(t *testing.T) {
	srv := startTestServer(t)
	m, _ := newSignedInSession(t, srv, "赵六")
	s, w := newSessionShell(t, m)
	ctx := context.Background()
	e, err := m.Client().CreateEnterprise(ctx, "杭州示例科技有限公司", "91330106MA2B0BXX3U"[:17]+creditCheck(t, "91330106MA2B0BXX3U"[:17]))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.RefreshEnterprises(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the enterprise in the switcher", func() bool { return len(s.Switcher.Options) == 2 })
	s.Switcher.SetSelected(s.Switcher.Options[1])
	waitUntil(t, "the title", func() bool { return strings.HasSuffix(w.Title(), "杭州示例科技有限公司") })
	if m.Context() != e.ID {
		t.Fatalf("context %q, want %s", m.Context(), e.ID)
	}
	if a, ok := m.Active(); !ok || a.Role != org.RoleOwner || !s.Can(org.PermManageMembers) {
		t.Fatalf("active %+v: the creator is 主管理员 with every permission", a)
	}
	// the enterprise's events arrive in the projection
	waitUntil(t, "the enterprise projected", func() bool {
		objs, _ := m.Projected(ctx, session.EnterpriseScope(e.ID), "enterprise")
		return len(objs) > 0
	})
	s.Switcher.SetSelected(tr("context.personal"))
	waitUntil(t, "个人版", func() bool { return m.Context() == "" && w.Title() == tr("app.title") })
}

// creditCheck computes the GB 32100 check character for first17 (so the test needs no fixed
// valid code).
func creditCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, err := ids.CreditCheck(first17)
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}

// TestChangedCAPrompts: when the pinned server comes back with another CA, the window stops
// syncing and asks again with the warning (once per new fingerprint); trusting pins the new
// CA and the user signs in again.
func TestChangedCAPrompts(t *testing.T) {
	srv := startTestServer(t)
	m, _ := newSignedInSession(t, srv, "周七")
	s, _ := newSessionShell(t, m)
	old := srv.RootFingerprint()
	srv.Stop()
	other := &devServer{addr: srv.addr}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "other.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	other.store, other.key = st, make([]byte, 32)
	rand.Read(other.key)
	other.start(t)
	sc := s.Screen(NavSettings).(*SettingsScreen)
	waitUntil(t, "the warning", func() bool { return sc.Server.Confirm != nil && sc.Server.probe.Changed })
	if s.Current() != NavSettings || sc.Server.probe.Pinned != old || sc.Server.probe.Fingerprint != other.RootFingerprint() {
		t.Fatalf("prompt shows %+v on %v", sc.Server.probe, s.Current())
	}
	if !strings.Contains(s.SyncBar.Text.Text, tr("sync.fingerprint.changed")) {
		t.Errorf("status %q", s.SyncBar.Text.Text)
	}
	sc.Server.Confirm.Confirm()
	waitUntil(t, "the new CA pinned", func() bool { return m.Server().Fingerprint == other.RootFingerprint() })
	if m.Client() != nil {
		t.Error("still signed in to a server whose CA changed")
	}
}

// TestRegisterSendsServerTerms: 注册 names and sends the 服务条款 / 隐私政策 versions the server
// answers (not the ones built into the desktop); when the server's versions change while the
// dialog is open, the server's refusal leads to the new versions shown, the box unticked and a
// sentence in Chinese — nothing registered — and agreeing again registers with the new versions.
func TestRegisterSendsServerTerms(t *testing.T) {
	srv := startTestServer(t)
	srv.Stop()
	srv.Terms = org.Terms{Terms: "2031-03", Privacy: "2031-02"}
	srv.Restart(t)
	m := newTestSession(t, srv)
	s, _ := newSessionShell(t, m)
	s.ShowSignIn()
	d := s.signIn
	if d == nil {
		t.Fatal("no sign-in dialog")
	}
	workers.drain(&d.TermsWG)
	if d.Terms() != srv.Terms {
		t.Fatalf("dialog read %+v, server accepts %+v", d.Terms(), srv.Terms)
	}
	want := tr("account.agree", map[string]any{"Terms": "2031-03", "Privacy": "2031-02"})
	if d.RegAgree.Text != want || d.RegAgree.Disabled() {
		t.Fatalf("check box %q (disabled %v), want %q", d.RegAgree.Text, d.RegAgree.Disabled(), want)
	}

	d.Tabs.SelectIndex(2)
	login := NewLogin()
	test.Type(d.RegLogin, login)
	test.Tap(d.RegSend)
	waitUntil(t, "the code sent", func() bool { return strings.Contains(d.Status.Source(), login) })
	test.Type(d.RegCode, srv.Code(t, login))
	test.Type(d.RegName, "李条款")
	test.Type(d.RegPassword, "Passw0rdX")
	test.Type(d.RegPassword2, "Passw0rdX")
	test.Tap(d.RegAgree)

	// the server publishes new terms while the dialog is open (a restart: same address and data)
	srv.Stop()
	srv.Terms = org.Terms{Terms: "2031-04", Privacy: "2031-02"}
	srv.Restart(t)
	test.Tap(d.RegSubmit)
	wantMsg := tr("account.err.terms.changed", map[string]any{"Terms": "2031-04", "Privacy": "2031-02"})
	waitUntil(t, "the refusal", func() bool { return d.Status.Source() == wantMsg })
	workers.drain(&d.TermsWG)
	if !strings.Contains(wantMsg, "服务条款") || !strings.Contains(wantMsg, "2031-04") {
		t.Errorf("refusal sentence %q is not Chinese or lacks the version", wantMsg)
	}
	if m.Client() != nil || s.signIn != d {
		t.Fatal("registered although the server refused the old terms")
	}
	if d.RegAgree.Checked || d.Terms() != srv.Terms || !strings.Contains(d.RegAgree.Text, "2031-04") {
		t.Fatalf("after the change: checked %v, terms %+v, text %q", d.RegAgree.Checked, d.Terms(), d.RegAgree.Text)
	}
	test.Tap(d.RegSubmit)
	if d.Status.Source() != tr("account.err.agree") {
		t.Fatalf("unticked: %q", d.Status.Source())
	}
	test.Tap(d.RegAgree)
	test.Tap(d.RegSubmit)
	waitUntil(t, "signed in", func() bool { return s.signIn == nil && m.Client() != nil })
	a, err := m.Client().Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range a.Consents {
		got[c.Doc] = c.Version
	}
	if got[org.DocTerms] != "2031-04" || got[org.DocPrivacy] != "2031-02" {
		t.Fatalf("server recorded %+v, want terms 2031-04 and privacy 2031-02", a.Consents)
	}
}
