package ui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/ui/widgets"
)

// serverPanel is 设置 › 服务器 and 账户: 本机 (the embedded backend, the default) or a server
// address (HTTPS only; its CA's fingerprint shown and pinned after the user confirms), who is
// signed in, sign-in and sign-out, and 实名认证.
type serverPanel struct {
	shell *Shell

	Mode        *widget.RadioGroup
	Address     *widget.Entry
	Connect     *widget.Button
	Fingerprint *widget.Label
	Status      *widgets.CJKLabel
	Confirm     *dialog.ConfirmDialog // the fingerprint dialog while it is open (for tests)
	probe       session.Probe         // what Confirm shows

	Account *widget.Label
	SignIn  *widget.Button
	SignOut *widget.Button
	// Switch is 切换账号: 退出登录, then 登录 / 注册 for another account (each account's local
	// data is its own: core/session Options.Profile).
	Switch   *widget.Button
	RealName *realNamePanel
	// SignOutConfirm is the question 退出登录 asks (for tests).
	SignOutConfirm *dialog.ConfirmDialog

	addressRow *fyne.Container
	cards      []fyne.CanvasObject
}

func newServerPanel(s *Shell) *serverPanel {
	p := &serverPanel{shell: s}
	p.Mode = widget.NewRadioGroup([]string{tr("server.mode.local"), tr("server.mode.remote")}, nil)
	p.Mode.Required = true
	p.Address = widget.NewEntry()
	p.Address.SetPlaceHolder("https://sealdesk.example.com")
	p.Address.OnSubmitted = func(string) { p.onConnectTapped() }
	p.Connect = widget.NewButton(tr("server.connect"), p.onConnectTapped)
	p.Connect.Importance = widget.HighImportance
	p.Fingerprint = widget.NewLabel("")
	p.Fingerprint.Wrapping = fyne.TextWrapBreak
	p.Status = widgets.NewCJKLabel("")
	p.addressRow = container.NewBorder(nil, nil, nil, p.Connect, p.Address)

	p.Account = widget.NewLabel("")
	p.Account.Wrapping = fyne.TextWrapWord
	p.SignIn = widget.NewButton(tr("account.signin"), func() { s.ShowSignIn() })
	p.SignIn.Importance = widget.HighImportance
	p.SignOut = widget.NewButton(tr("account.signout"), p.onSignOutTapped)
	p.Switch = widget.NewButton(tr("account.switch"), p.onSwitchTapped)
	p.RealName = newRealNamePanel(s)

	hint := widgets.NewCJKLabel(tr("server.hint"))
	p.cards = []fyne.CanvasObject{
		widget.NewCard(tr("server.title"), "", container.NewVBox(p.Mode, p.addressRow, p.Fingerprint, hint, p.Status)),
		widget.NewCard(tr("account.title"), "", container.NewVBox(p.Account, container.NewHBox(p.SignIn, p.SignOut, p.Switch),
			widget.NewSeparator(), p.RealName.content)),
	}
	p.refresh()
	p.Mode.OnChanged = p.onModeChanged
	return p
}

// refresh shows the session as it is now.
func (p *serverPanel) refresh() {
	ss := p.shell.session()
	if ss == nil {
		p.Mode.Disable()
		p.Connect.Disable()
		p.Status.SetText(tr("account.err.nosession"))
		p.SignIn.Hide()
		p.SignOut.Hide()
		p.Switch.Hide()
		p.Account.SetText("")
		p.RealName.refresh()
		return
	}
	cfg := ss.Server()
	onChanged := p.Mode.OnChanged
	p.Mode.OnChanged = nil
	if cfg.Mode == session.ModeRemote {
		p.Mode.SetSelected(tr("server.mode.remote"))
	} else if p.Mode.Selected != tr("server.mode.remote") || cfg.URL == "" {
		// a remote choice being typed in stays until it is connected
		p.Mode.SetSelected(tr("server.mode.local"))
	}
	p.Mode.OnChanged = onChanged
	if p.Address.Text == "" && cfg.URL != "" {
		p.Address.SetText(cfg.URL)
	}
	if p.Mode.Selected == tr("server.mode.remote") {
		p.addressRow.Show()
	} else {
		p.addressRow.Hide()
	}
	if cfg.Mode == session.ModeRemote && cfg.Fingerprint != "" {
		p.Fingerprint.SetText(tr("server.pinned", map[string]any{"Fingerprint": cfg.Fingerprint}))
		p.Fingerprint.Show()
	} else {
		p.Fingerprint.Hide()
	}
	st := ss.Status()
	var changed *session.FingerprintChangedError
	if errors.As(st.Problem, &changed) {
		p.Status.SetText(tr("server.err.changed"))
	}
	a, signedIn := ss.Account()
	switch {
	case signedIn && cfg.Mode == session.ModeLocal:
		p.Account.SetText(tr("account.local", map[string]any{"Name": a.Name}))
	case signedIn:
		p.Account.SetText(tr("account.signedin", map[string]any{"Name": a.Name, "Login": loginOf(a)}))
	case st.Connecting:
		p.Account.SetText(tr("sync.connecting"))
	default:
		p.Account.SetText(tr("account.none"))
	}
	remote := cfg.Mode == session.ModeRemote
	p.SignIn.Hidden = !remote || signedIn
	p.SignOut.Hidden = !remote || !signedIn
	p.Switch.Hidden = p.SignOut.Hidden
	p.SignIn.Refresh()
	p.SignOut.Refresh()
	p.Switch.Refresh()
	p.RealName.refresh()
}

func loginOf(a org.Account) string {
	if a.Phone != "" {
		return a.Phone
	}
	return a.Email
}

func (p *serverPanel) onModeChanged(choice string) {
	ss := p.shell.session()
	if ss == nil {
		return
	}
	if choice == tr("server.mode.local") {
		if ss.Server().Mode != session.ModeLocal {
			if err := ss.UseLocal(); err != nil {
				p.Status.SetText(errMessage(err))
			} else {
				p.Status.SetText(tr("server.local.done"))
			}
		}
		p.addressRow.Hide()
		return
	}
	p.addressRow.Show()
	p.shell.Window.Canvas().Focus(p.Address)
}

// onConnectTapped probes the address and shows its CA's fingerprint for the user to confirm.
func (p *serverPanel) onConnectTapped() {
	ss := p.shell.session()
	if ss == nil {
		return
	}
	u, err := session.NormalizeURL(p.Address.Text)
	if err != nil {
		p.Status.SetText(errMessage(err))
		return
	}
	p.Connect.Disable()
	p.Status.SetText(tr("server.probing", map[string]any{"URL": u}))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		pr, err := ss.Probe(ctx, u)
		uiDo(func() {
			p.Connect.Enable()
			if err != nil {
				p.Status.SetText(tr("server.err.probe", map[string]any{"Reason": errMessage(err)}))
				return
			}
			p.Status.SetText("")
			p.showFingerprint(pr)
		})
	}()
}

// showFingerprint asks the user to compare the fingerprint with the server's administrator;
// a changed one comes with a warning and a red button.
func (p *serverPanel) showFingerprint(pr session.Probe) {
	p.probe = pr
	text := tr("server.fp.first", map[string]any{"URL": pr.URL, "Fingerprint": pr.Fingerprint, "Subject": pr.Subject})
	title := tr("server.fp.title")
	if pr.Changed {
		title = tr("server.fp.changed.title")
		text = tr("server.fp.changed", map[string]any{"URL": pr.URL, "Old": pr.Pinned, "Fingerprint": pr.Fingerprint, "Subject": pr.Subject})
	} else if pr.Pinned == pr.Fingerprint && pr.Pinned != "" {
		text = tr("server.fp.same", map[string]any{"URL": pr.URL, "Fingerprint": pr.Fingerprint})
	}
	body := widgets.NewCJKLabel(text)
	d := dialog.NewCustomConfirm(title, tr("server.fp.trust"), tr("common.cancel"), container.NewVScroll(body), func(ok bool) {
		p.Confirm = nil
		if ok {
			p.onTrusted(pr)
		}
	}, p.shell.Window)
	d.Resize(fyne.NewSize(min(560, p.shell.Window.Canvas().Size().Width-40), 380))
	if pr.Changed {
		d.SetConfirmImportance(widget.DangerImportance)
	}
	p.Confirm = d
	d.Show()
}

func (p *serverPanel) onTrusted(pr session.Probe) {
	ss := p.shell.session()
	if err := ss.Pin(pr); err != nil {
		p.Status.SetText(errMessage(err))
		return
	}
	p.Status.SetText(tr("server.pinned.done", map[string]any{"URL": pr.URL}))
	p.refresh()
	if _, ok := ss.Account(); !ok {
		p.shell.ShowSignIn()
	}
}

func (p *serverPanel) onSignOutTapped() { p.signOut(false) }

// onSwitchTapped is 切换账号: the same question as 退出登录, then 登录 / 注册.
func (p *serverPanel) onSwitchTapped() { p.signOut(true) }

// signOut asks, then ends the session: the screens then show the local profile (the shell
// rebuilds them), and with another the sign-in dialog opens for the next account.
func (p *serverPanel) signOut(another bool) {
	ss := p.shell.session()
	if ss == nil {
		return
	}
	title := tr("account.signout")
	if another {
		title = tr("account.switch")
	}
	a, _ := ss.Account()
	p.SignOutConfirm = showConfirm(p.shell.Window, title, tr("account.signout.confirm", map[string]any{"Name": a.Name}), title, false, func() {
		shell := p.shell
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := ss.SignOut(ctx)
			uiDo(func() {
				if err != nil {
					p.Status.SetText(errMessage(err))
				}
				p.refresh()
				if err == nil && another {
					shell.ShowSignIn()
				}
			})
		}()
	})
}

// promptChangedCA asks the user again, with the warning, when the pinned server now presents
// another CA (once per new fingerprint): 信任并连接 pins it, 取消 leaves sync stopped.
func (s *Shell) promptChangedCA() {
	ss := s.session()
	if ss == nil {
		return
	}
	var changed *session.FingerprintChangedError
	if !errors.As(ss.Status().Problem, &changed) || changed.Probe.Fingerprint == s.caPrompt {
		return
	}
	s.caPrompt = changed.Probe.Fingerprint
	sc, ok := s.screens[NavSettings].(*SettingsScreen)
	if !ok {
		return
	}
	s.Show(NavSettings)
	sc.Server.showFingerprint(changed.Probe)
}
