package ui

import (
	"context"
	"errors"
	"net"
	"strings"
	stdsync "sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/ui/widgets"
)

// signInDialog is 登录 / 注册 on the chosen remote server: 密码登录, 验证码登录 and 注册 (a mobile
// number or e-mail and a one-time code; the password of 8–18 characters mixing digits, upper-
// and lower-case letters is checked here before anything is sent).
type signInDialog struct {
	shell *Shell
	dlg   dialog.Dialog
	Tabs  *container.AppTabs

	// 密码登录
	PwLogin    *widget.Entry
	PwPassword *widget.Entry
	PwSubmit   *widget.Button
	// 验证码登录
	CodeLogin  *widget.Entry
	CodeCode   *widget.Entry
	CodeSend   *widget.Button
	CodeSubmit *widget.Button
	// 注册
	RegLogin     *widget.Entry
	RegCode      *widget.Entry
	RegSend      *widget.Button
	RegName      *widget.Entry
	RegPassword  *widget.Entry
	RegPassword2 *widget.Entry
	RegAgree     *widget.Check // 服务条款 and 隐私政策 in the versions the server accepts now (terms)
	RegInvite    *widget.Entry // the enterprise invitation link, if registering from one
	RegSubmit    *widget.Button
	// 忘记密码
	ResetLogin     *widget.Entry
	ResetCode      *widget.Entry
	ResetSend      *widget.Button
	ResetPassword  *widget.Entry
	ResetPassword2 *widget.Entry
	ResetSubmit    *widget.Button

	Status *widgets.CJKLabel
	busy   bool
	done   func()
	// terms are the 服务条款 / 隐私政策 versions the server answered when the dialog opened (or
	// after it refused older ones): RegAgree names them and 注册 sends them. Zero until known.
	terms org.Terms
	// TermsWG counts the reads of the versions (for tests).
	TermsWG stdsync.WaitGroup
}

// termsSource is the server's 服务条款 / 隐私政策 versions (core/session.Manager.Terms).
type termsSource interface {
	Terms(ctx context.Context) (org.Terms, error)
}

// ShowSignIn opens 登录 / 注册 for the chosen server; on 本机 it opens 设置 › 服务器 instead
// (nobody signs in to 本机: it is the person at this machine). done runs after a sign-in.
func (s *Shell) ShowSignIn() {
	s.showSignIn(nil)
}

func (s *Shell) showSignIn(done func()) *signInDialog {
	ss := s.session()
	if ss == nil {
		showError(s.Window, tr("account.err.nosession"))
		return nil
	}
	if ss.Server().Mode != session.ModeRemote {
		s.Show(NavSettings)
		showInfo(s.Window, tr("account.signin"), tr("account.local.hint"))
		return nil
	}
	d := &signInDialog{shell: s, done: done}
	entry := func(ph string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(ph)
		return e
	}
	password := func(ph string) *widget.Entry {
		e := widget.NewPasswordEntry()
		e.SetPlaceHolder(ph)
		return e
	}
	d.PwLogin = entry(tr("account.login.placeholder"))
	d.PwPassword = password(tr("account.password"))
	d.PwSubmit = widget.NewButton(tr("account.signin"), d.onPasswordLogin)
	d.PwSubmit.Importance = widget.HighImportance
	d.PwPassword.OnSubmitted = func(string) { d.onPasswordLogin() }

	d.CodeLogin = entry(tr("account.login.placeholder"))
	d.CodeCode = entry(tr("account.code"))
	d.CodeSend = widget.NewButton(tr("account.code.send"), func() { d.onSendCode(d.CodeLogin, d.CodeSend, org.PurposeLogin) })
	d.CodeSubmit = widget.NewButton(tr("account.signin"), d.onCodeLogin)
	d.CodeSubmit.Importance = widget.HighImportance

	d.RegLogin = entry(tr("account.login.placeholder"))
	d.RegCode = entry(tr("account.code"))
	d.RegSend = widget.NewButton(tr("account.code.send"), func() { d.onSendCode(d.RegLogin, d.RegSend, org.PurposeRegister) })
	d.RegName = entry(tr("account.name"))
	d.RegPassword = password(tr("account.password.rule"))
	d.RegPassword2 = password(tr("account.password.again"))
	d.RegAgree = widget.NewCheck(tr("account.terms.loading"), nil)
	d.RegAgree.Disable() // until the server said which versions it accepts
	d.RegInvite = entry(tr("account.invite"))
	d.RegSubmit = widget.NewButton(tr("account.register"), d.onRegister)
	d.RegSubmit.Importance = widget.HighImportance

	d.ResetLogin = entry(tr("account.login.placeholder"))
	d.ResetCode = entry(tr("account.code"))
	d.ResetSend = widget.NewButton(tr("account.code.send"), func() { d.onSendCode(d.ResetLogin, d.ResetSend, org.PurposeReset) })
	d.ResetPassword = password(tr("account.password.new"))
	d.ResetPassword2 = password(tr("account.password.again"))
	d.ResetSubmit = widget.NewButton(tr("account.reset.submit"), d.onReset)
	d.ResetSubmit.Importance = widget.HighImportance

	form := func(rows ...fyne.CanvasObject) fyne.CanvasObject { return container.NewVBox(rows...) }
	withButton := func(e *widget.Entry, b *widget.Button) fyne.CanvasObject {
		return container.NewBorder(nil, nil, nil, b, e)
	}
	d.Tabs = container.NewAppTabs(
		container.NewTabItem(tr("account.tab.password"), form(d.PwLogin, d.PwPassword, d.PwSubmit)),
		container.NewTabItem(tr("account.tab.code"), form(d.CodeLogin, withButton(d.CodeCode, d.CodeSend), d.CodeSubmit)),
		container.NewTabItem(tr("account.tab.register"), form(d.RegLogin, withButton(d.RegCode, d.RegSend), d.RegName,
			d.RegPassword, d.RegPassword2, d.RegInvite, d.RegAgree, d.RegSubmit)),
		container.NewTabItem(tr("account.tab.reset"), form(d.ResetLogin, withButton(d.ResetCode, d.ResetSend),
			d.ResetPassword, d.ResetPassword2, d.ResetSubmit)),
	)
	d.Status = widgets.NewCJKLabel("")
	server := widget.NewLabel(tr("account.server", map[string]any{"URL": ss.Server().URL}))
	server.Wrapping = fyne.TextWrapBreak
	content := container.NewBorder(server, d.Status, nil, nil, d.Tabs)
	d.dlg = dialog.NewCustom(tr("account.signin.title"), tr("common.cancel"), content, s.Window)
	d.dlg.Resize(fyne.NewSize(min(520, s.Window.Canvas().Size().Width-40), min(520, s.Window.Canvas().Size().Height-40)))
	s.signIn = d
	d.dlg.SetOnClosed(func() {
		if s.signIn == d {
			s.signIn = nil // 取消
		}
	})
	d.dlg.Show()
	s.Window.Canvas().Focus(d.PwLogin)
	d.loadTerms(nil)
	return d
}

// loadTerms asks the server which 服务条款 / 隐私政策 versions it accepts now and names them
// beside the check box; then runs after (on the UI goroutine) with whether they changed.
func (d *signInDialog) loadTerms(after func(changed bool)) {
	src, ok := d.shell.session().(termsSource)
	if !ok {
		d.RegAgree.SetText(tr("account.terms.unknown"))
		return
	}
	d.TermsWG.Add(1)
	go func() {
		defer d.TermsWG.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t, err := src.Terms(ctx)
		uiDo(func() {
			if err != nil || t.Terms == "" || t.Privacy == "" {
				if d.terms == (org.Terms{}) {
					d.RegAgree.SetText(tr("account.terms.unknown"))
				}
				if after != nil {
					after(false)
				}
				return
			}
			changed := t != d.terms
			d.setTerms(t)
			if after != nil {
				after(changed)
			}
		})
	}()
}

// setTerms shows the versions t beside the check box; a change unticks it (the person has not
// agreed to the new text).
func (d *signInDialog) setTerms(t org.Terms) {
	if t != d.terms {
		d.RegAgree.SetChecked(false)
	}
	d.terms = t
	d.RegAgree.SetText(tr("account.agree", map[string]any{"Terms": t.Terms, "Privacy": t.Privacy}))
	d.RegAgree.Enable()
}

// Terms are the versions the dialog shows and 注册 sends (zero until the server answered).
func (d *signInDialog) Terms() org.Terms { return d.terms }

// run does f off the UI goroutine with the buttons disabled, then shows its outcome.
func (d *signInDialog) run(f func(ctx context.Context, ss SessionService) error, ok func()) {
	d.runThen(f, nil, ok)
}

// runThen is run whose failure, after its sentence is shown, goes to failed (when not nil).
func (d *signInDialog) runThen(f func(ctx context.Context, ss SessionService) error, failed func(error), ok func()) {
	if d.busy {
		return
	}
	ss := d.shell.session()
	d.setBusy(true)
	d.Status.SetText(tr("account.working"))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := f(ctx, ss)
		uiDo(func() {
			d.setBusy(false)
			if err != nil {
				d.Status.SetText(errMessage(err))
				if failed != nil {
					failed(err)
				}
				return
			}
			d.Status.SetText("")
			if ok != nil {
				ok()
			}
		})
	}()
}

func (d *signInDialog) setBusy(b bool) {
	d.busy = b
	for _, w := range []*widget.Button{d.PwSubmit, d.CodeSubmit, d.CodeSend, d.RegSubmit, d.RegSend, d.ResetSubmit, d.ResetSend} {
		if b {
			w.Disable()
		} else {
			w.Enable()
		}
	}
}

// checkLogin normalises a typed mobile number or e-mail, or returns the sentence why not.
func checkLogin(s string) (string, error) {
	l, _, err := org.NormalizeLogin(s)
	return l, err
}

func (d *signInDialog) signedIn() {
	d.dlg.Hide()
	d.shell.signIn = nil
	if d.done != nil {
		d.done()
	}
}

func (d *signInDialog) onPasswordLogin() {
	login, err := checkLogin(d.PwLogin.Text)
	if err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	if d.PwPassword.Text == "" {
		d.Status.SetText(tr("account.err.password.empty"))
		return
	}
	pw := d.PwPassword.Text
	d.run(func(ctx context.Context, ss SessionService) error {
		_, err := ss.Login(ctx, org.LoginRequest{Login: login, Password: pw})
		return err
	}, d.signedIn)
}

func (d *signInDialog) onSendCode(loginEntry *widget.Entry, b *widget.Button, purpose string) {
	login, err := checkLogin(loginEntry.Text)
	if err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	d.run(func(ctx context.Context, ss SessionService) error { return ss.SendCode(ctx, login, purpose) }, func() {
		d.Status.SetText(tr("account.code.sent", map[string]any{"Login": login}))
	})
}

func (d *signInDialog) onCodeLogin() {
	login, err := checkLogin(d.CodeLogin.Text)
	if err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	code := strings.TrimSpace(d.CodeCode.Text)
	if code == "" {
		d.Status.SetText(tr("account.err.code.empty"))
		return
	}
	d.run(func(ctx context.Context, ss SessionService) error {
		_, err := ss.Login(ctx, org.LoginRequest{Login: login, Code: code})
		return err
	}, d.signedIn)
}

func (d *signInDialog) onRegister() {
	login, err := checkLogin(d.RegLogin.Text)
	if err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	code := strings.TrimSpace(d.RegCode.Text)
	if code == "" {
		d.Status.SetText(tr("account.err.code.empty"))
		return
	}
	name, err := org.CheckName(d.RegName.Text)
	if err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	if err := org.CheckPassword(d.RegPassword.Text); err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	if d.RegPassword.Text != d.RegPassword2.Text {
		d.Status.SetText(tr("account.err.password.mismatch"))
		return
	}
	if d.terms == (org.Terms{}) {
		// the server has not said which versions it accepts: ask again, nothing is sent
		d.Status.SetText(tr("account.terms.unknown"))
		d.loadTerms(nil)
		return
	}
	if !d.RegAgree.Checked {
		d.Status.SetText(tr("account.err.agree"))
		return
	}
	invite := inviteToken(d.RegInvite.Text)
	pw := d.RegPassword.Text
	terms := d.terms
	d.runThen(func(ctx context.Context, ss SessionService) error {
		_, err := ss.Register(ctx, org.RegisterRequest{Login: login, Code: code, Name: name, Password: pw,
			TermsVersion: terms.Terms, PrivacyVersion: terms.Privacy, Invite: invite})
		return err
	}, d.onRegisterRefused, func() {
		d.signedIn()
		if invite != "" {
			// the server filed the request to join: it waits in the enterprise's 待审核成员
			showInfo(d.shell.Window, tr("account.register"), tr("account.invite.filed"))
		}
	})
}

// onRegisterRefused handles the server's terms_outdated: its 服务条款 or 隐私政策 changed since
// the dialog read them. The new versions are read and shown, the box is unticked, and the
// sentence names them: the person reads and agrees again before anything is registered.
func (d *signInDialog) onRegisterRefused(err error) {
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "terms_outdated" {
		return
	}
	d.loadTerms(func(bool) {
		if d.terms == (org.Terms{}) {
			d.Status.SetText(tr("account.terms.unknown"))
			return
		}
		d.Status.SetText(tr("account.err.terms.changed", map[string]any{"Terms": d.terms.Terms, "Privacy": d.terms.Privacy}))
	})
}

// inviteToken takes the token out of an invitation link (…/join/<token>) or returns what was
// typed ("" for nothing).
func inviteToken(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "/join/"); i >= 0 {
		s = s[i+len("/join/"):]
	}
	if i := strings.IndexAny(s, "?#/"); i >= 0 {
		s = s[:i]
	}
	return s
}

// passwordResetter is 忘记密码 (core/session.Manager).
type passwordResetter interface {
	ResetPassword(ctx context.Context, r org.ResetRequest) error
}

// onReset is 忘记密码: a code to the login, then the new password (checked here first); the
// dialog then goes to 密码登录 with the login filled in.
func (d *signInDialog) onReset() {
	login, err := checkLogin(d.ResetLogin.Text)
	if err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	code := strings.TrimSpace(d.ResetCode.Text)
	if code == "" {
		d.Status.SetText(tr("account.err.code.empty"))
		return
	}
	if err := org.CheckPassword(d.ResetPassword.Text); err != nil {
		d.Status.SetText(errMessage(err))
		return
	}
	if d.ResetPassword.Text != d.ResetPassword2.Text {
		d.Status.SetText(tr("account.err.password.mismatch"))
		return
	}
	pw := d.ResetPassword.Text
	d.run(func(ctx context.Context, ss SessionService) error {
		r, ok := ss.(passwordResetter)
		if !ok {
			return errors.New(tr("account.err.nosession"))
		}
		return r.ResetPassword(ctx, org.ResetRequest{Login: login, Code: code, Password: pw})
	}, func() {
		d.PwLogin.SetText(login)
		d.PwPassword.SetText("")
		d.Tabs.SelectIndex(0)
		d.Status.SetText(tr("account.reset.done"))
	})
}

// sessionErrText is the sentence for the session's own errors ("" for others).
func sessionErrText(err error) string {
	var changed *session.FingerprintChangedError
	var refusal *sync.Refusal
	var netErr net.Error
	switch {
	case errors.Is(err, session.ErrNotHTTPS):
		return tr("server.err.https")
	case errors.Is(err, session.ErrBadAddress):
		return tr("server.err.address")
	case errors.Is(err, session.ErrNoRoot):
		return tr("server.err.noroot")
	case errors.As(err, &changed):
		return tr("server.err.changed")
	case errors.Is(err, session.ErrNotSignedIn):
		return tr("account.err.signedout")
	case errors.Is(err, session.ErrSessionExpired):
		return tr("sync.expired")
	case errors.Is(err, session.ErrNoLocal):
		return tr("sync.local.down")
	case errors.Is(err, session.ErrRealNameRequired):
		return tr("account.err.realname")
	case errors.Is(err, errPhotoTooLarge):
		return tr("realname.err.toolarge")
	case errors.Is(err, session.ErrUnknownContext):
		return tr("context.err.unknown")
	case errors.As(err, &refusal) && refusal.Message != "":
		return refusal.Message
	case errors.As(err, &netErr), strings.Contains(errString(err), "connection refused"):
		return tr("server.err.unreachable")
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// SignInDialog is the 登录 / 注册 dialog while it is open, or nil (for tests).
func (s *Shell) SignInDialog() *signInDialog { return s.signIn }

// Close closes the dialog (as 取消 does).
func (d *signInDialog) Close() {
	d.dlg.Hide()
	if d.shell.signIn == d {
		d.shell.signIn = nil
	}
}
