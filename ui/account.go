package ui

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"path/filepath"
	"strings"
	stdsync "sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/ui/widgets"
)

// accountPanel is 设置 › 账户安全 (manual 000 用户中心 › 我的账号): 账号信息 (账号, 姓名, 注册时间,
// 实名状态), 修改登录密码 (the current password or a code to the login), 二次校验 (a code besides the
// PIN for signing, 拒签 and 撤回 — enforced by the server; switching it off asks a code), and
// 实名认证CA证书: the certificate of every device key on this computer, shown and exported as
// PEM or DER. There is no way to export a private key: the keystore has none.
type accountPanel struct {
	shell *Shell

	Info        *widget.Label
	ChangePw    *widget.Button
	SecondCheck *widget.Check
	Msg         *widget.Label
	Certs       *fyne.Container
	CertMsg     *widget.Label
	// PwDialog is 修改登录密码 while it is open; LastSave the export dialog opened last (tests).
	PwDialog *passwordDialog
	LastSave *saveAsDialog
	// CodeDialog asks the 二次校验 code when switching it off (tests).
	CodeDialog *codeDialog

	card    *widget.Card
	account org.Account
	wg      stdsync.WaitGroup
	quiet   bool // SecondCheck.OnChanged is being set by refresh
}

func newAccountPanel(s *Shell) *accountPanel {
	p := &accountPanel{shell: s}
	p.Info = widget.NewLabel("")
	p.Info.Wrapping = fyne.TextWrapWord
	p.ChangePw = widget.NewButtonWithIcon(tr("acct.password.change"), theme.AccountIcon(), p.onChangePasswordTapped)
	p.SecondCheck = widget.NewCheck(tr("acct.second"), p.onSecondCheckChanged)
	hint := widgets.NewCJKLabel(tr("acct.second.hint"))
	p.Msg = widget.NewLabel("")
	p.Msg.Wrapping = fyne.TextWrapWord
	p.Msg.Hide()
	p.Certs = container.NewVBox()
	p.CertMsg = widget.NewLabel("")
	p.CertMsg.Wrapping = fyne.TextWrapWord
	certHint := widgets.NewCJKLabel(tr("acct.cert.hint"))
	p.card = widget.NewCard(tr("acct.title"), "", container.NewVBox(p.Info, container.NewHBox(p.ChangePw),
		widget.NewSeparator(), p.SecondCheck, hint, p.Msg,
		widget.NewSeparator(), widget.NewLabelWithStyle(tr("acct.cert"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		certHint, p.CertMsg, p.Certs))
	return p
}

// refresh reads the account from the server and the device keys from this computer.
func (p *accountPanel) refresh() {
	p.showCerts()
	c := p.shell.client()
	if c == nil {
		p.Info.SetText(tr("account.none"))
		p.ChangePw.Disable()
		p.SecondCheck.Disable()
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		a, err := c.Me(ctx)
		uiDo(func() {
			if err != nil {
				p.Info.SetText(errMessage(err))
				return
			}
			p.showAccount(a)
		})
	}()
}

func (p *accountPanel) showAccount(a org.Account) {
	p.account = a
	status := tr("acct.realname.no")
	if a.RealName != nil {
		status = tr("acct.realname.yes", map[string]any{"Name": a.RealName.Name})
	}
	p.Info.SetText(tr("acct.info", map[string]any{"Login": maskLogin(loginOf(a)), "Name": a.Name,
		"Created": a.Created.Local().Format("2006-01-02 15:04:05"), "RealName": status}))
	p.ChangePw.Enable()
	p.SecondCheck.Enable()
	p.quiet = true
	p.SecondCheck.SetChecked(a.SecondCheck)
	p.quiet = false
}

// maskLogin shows a phone number as 139****0001 (an e-mail as it is).
func maskLogin(l string) string {
	if len(l) == 11 && !strings.Contains(l, "@") {
		return l[:3] + "****" + l[7:]
	}
	return l
}

func (p *accountPanel) say(text string, bad bool) {
	p.Msg.SetText(text)
	p.Msg.Importance = widget.SuccessImportance
	if bad {
		p.Msg.Importance = widget.DangerImportance
	}
	p.Msg.Show()
	p.Msg.Refresh()
}

// onSecondCheckChanged switches 二次校验; switching it off sends a code and asks for it.
func (p *accountPanel) onSecondCheckChanged(on bool) {
	if p.quiet {
		return
	}
	c := p.shell.client()
	if c == nil {
		return
	}
	if !on && p.account.SecondCheck {
		p.quiet = true
		p.SecondCheck.SetChecked(true) // stays on until the code is given
		p.quiet = false
		p.CodeDialog = p.askCode(tr("acct.second.off"), org.PurposeConfirm, func(code string, done func(error)) {
			p.setSecondCheck(org.SecondCheckRequest{On: false, Code: code}, done)
		})
		return
	}
	p.setSecondCheck(org.SecondCheckRequest{On: on}, nil)
}

func (p *accountPanel) setSecondCheck(r org.SecondCheckRequest, done func(error)) {
	c := p.shell.client()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		a, err := c.SetSecondCheck(ctx, r)
		uiDo(func() {
			if done != nil {
				done(err)
			}
			if err != nil {
				p.say(errMessage(err), true)
				p.quiet = true
				p.SecondCheck.SetChecked(p.account.SecondCheck)
				p.quiet = false
				return
			}
			p.showAccount(a)
			if a.SecondCheck {
				p.say(tr("acct.second.on.done"), false)
			} else {
				p.say(tr("acct.second.off.done"), false)
			}
		})
	}()
}

// codeDialog asks for a one-time code sent to the account's own login.
type codeDialog struct {
	Code   *widget.Entry
	Send   *widget.Button
	Submit *widget.Button
	Msg    *widget.Label
	dlg    dialog.Dialog
}

// askCode shows a dialog that sends a code of purpose to the account and hands the typed code to
// submit; submit calls done with the outcome (nil closes the dialog).
func (p *accountPanel) askCode(title, purpose string, submit func(code string, done func(error))) *codeDialog {
	d := &codeDialog{Code: widget.NewEntry(), Msg: widget.NewLabel("")}
	d.Code.SetPlaceHolder(tr("account.code"))
	d.Msg.Wrapping = fyne.TextWrapWord
	d.Send = widget.NewButton(tr("account.code.send"), func() { p.sendOwnCode(purpose, d.Msg) })
	d.Submit = widget.NewButton(tr("common.ok"), func() {
		code := strings.TrimSpace(d.Code.Text)
		if code == "" {
			d.Msg.SetText(tr("account.err.code.empty"))
			return
		}
		d.Submit.Disable()
		submit(code, func(err error) {
			d.Submit.Enable()
			if err != nil {
				d.Msg.SetText(errMessage(err))
				return
			}
			d.dlg.Hide()
		})
	})
	d.Submit.Importance = widget.HighImportance
	content := container.NewVBox(container.NewBorder(nil, nil, nil, d.Send, d.Code), d.Msg, d.Submit)
	d.dlg = dialog.NewCustom(title, tr("common.cancel"), content, p.shell.Window)
	d.dlg.Resize(fyne.NewSize(min(420, p.shell.Window.Canvas().Size().Width-40), 220))
	d.dlg.Show()
	return d
}

func (p *accountPanel) sendOwnCode(purpose string, msg *widget.Label) {
	c := p.shell.client()
	if c == nil {
		return
	}
	login := maskLogin(loginOf(p.account))
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := c.SendOwnCode(ctx, purpose)
		uiDo(func() {
			if err != nil {
				msg.SetText(errMessage(err))
				return
			}
			msg.SetText(tr("account.code.sent", map[string]any{"Login": login}))
		})
	}()
}

// passwordDialog is 修改登录密码: with the current password, or with a code to the login.
type passwordDialog struct {
	ByCode  *widget.RadioGroup
	Current *widget.Entry
	Code    *widget.Entry
	Send    *widget.Button
	New     *widget.Entry
	New2    *widget.Entry
	Submit  *widget.Button
	Msg     *widget.Label
	dlg     dialog.Dialog
}

func (p *accountPanel) onChangePasswordTapped() {
	d := &passwordDialog{Current: widget.NewPasswordEntry(), Code: widget.NewEntry(), New: widget.NewPasswordEntry(),
		New2: widget.NewPasswordEntry(), Msg: widget.NewLabel("")}
	d.Current.SetPlaceHolder(tr("acct.password.current"))
	d.Code.SetPlaceHolder(tr("account.code"))
	d.New.SetPlaceHolder(tr("account.password.rule"))
	d.New2.SetPlaceHolder(tr("account.password.again"))
	d.Msg.Wrapping = fyne.TextWrapWord
	d.Send = widget.NewButton(tr("account.code.send"), func() { p.sendOwnCode(org.PurposeReset, d.Msg) })
	codeRow := container.NewBorder(nil, nil, nil, d.Send, d.Code)
	codeRow.Hide()
	d.ByCode = widget.NewRadioGroup([]string{tr("acct.password.byCurrent"), tr("acct.password.byCode")}, func(v string) {
		if v == tr("acct.password.byCode") {
			d.Current.Hide()
			codeRow.Show()
		} else {
			codeRow.Hide()
			d.Current.Show()
		}
	})
	d.ByCode.Horizontal = true
	d.ByCode.Required = true
	d.ByCode.SetSelected(tr("acct.password.byCurrent"))
	d.Submit = widget.NewButton(tr("acct.password.submit"), func() { p.onPasswordSubmit(d) })
	d.Submit.Importance = widget.HighImportance
	content := container.NewVBox(d.ByCode, d.Current, codeRow, d.New, d.New2, d.Msg, d.Submit)
	d.dlg = dialog.NewCustom(tr("acct.password.change"), tr("common.cancel"), content, p.shell.Window)
	d.dlg.Resize(fyne.NewSize(min(460, p.shell.Window.Canvas().Size().Width-40), 360))
	d.dlg.Show()
	p.PwDialog = d
}

// onPasswordSubmit checks the form here (the password rule, the repeat) and then asks the server;
// a refusal (wrong current password, expired code) is shown in the dialog and changes nothing.
func (p *accountPanel) onPasswordSubmit(d *passwordDialog) {
	c := p.shell.client()
	if c == nil {
		return
	}
	r := org.ChangePasswordRequest{New: d.New.Text}
	if d.ByCode.Selected == tr("acct.password.byCode") {
		r.Code = strings.TrimSpace(d.Code.Text)
		if r.Code == "" {
			d.Msg.SetText(tr("account.err.code.empty"))
			return
		}
	} else {
		r.Current = d.Current.Text
		if r.Current == "" {
			d.Msg.SetText(tr("acct.password.current.empty"))
			return
		}
	}
	if err := org.CheckPassword(r.New); err != nil {
		d.Msg.SetText(errMessage(err))
		return
	}
	if d.New.Text != d.New2.Text {
		d.Msg.SetText(tr("account.err.password.mismatch"))
		return
	}
	d.Submit.Disable()
	d.Msg.SetText(tr("account.working"))
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := c.ChangePassword(ctx, r)
		uiDo(func() {
			d.Submit.Enable()
			if err != nil {
				d.Msg.SetText(errMessage(err))
				return
			}
			d.dlg.Hide()
			p.say(tr("acct.password.done"), false)
		})
	}()
}

// showCerts lists the certificates of this computer's device keys with their exports.
func (p *accountPanel) showCerts() {
	p.Certs.Objects = nil
	defer p.Certs.Refresh()
	l := p.shell.Services.Local
	if l == nil || l.Keys == nil {
		p.CertMsg.SetText(tr("acct.cert.none"))
		return
	}
	infos, err := l.Keys.List()
	if err != nil {
		p.CertMsg.SetText(errMessage(err))
		return
	}
	n := 0
	for _, in := range infos {
		if in.Certificate == nil {
			continue
		}
		n++
		cert := in.Certificate
		text := tr("acct.cert.row", map[string]any{"Subject": cert.Subject.CommonName, "Serial": strings.ToUpper(hex.EncodeToString(cert.SerialNumber.Bytes())),
			"Issuer": cert.Issuer.CommonName, "From": cert.NotBefore.Local().Format("2006-01-02"), "To": cert.NotAfter.Local().Format("2006-01-02")})
		if pki.IsSelfDeclared(cert) {
			text += tr("acct.cert.selfDeclared")
		}
		label := widget.NewLabel(text)
		label.Wrapping = fyne.TextWrapWord
		pemBtn := widget.NewButtonWithIcon(tr("acct.cert.pem"), theme.DownloadIcon(), func() { p.exportCert(cert, "pem") })
		derBtn := widget.NewButtonWithIcon(tr("acct.cert.der"), theme.DownloadIcon(), func() { p.exportCert(cert, "der") })
		p.Certs.Add(container.NewBorder(nil, nil, nil, container.NewHBox(pemBtn, derBtn), label))
	}
	if n == 0 {
		p.CertMsg.SetText(tr("acct.cert.none"))
		return
	}
	p.CertMsg.SetText(tr("acct.cert.count", map[string]any{"N": n}))
}

// CertExport is the bytes of the public certificate as PEM or DER.
func CertExport(cert *x509.Certificate, format string) []byte {
	if format == "der" {
		return append([]byte(nil), cert.Raw...)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

func (p *accountPanel) exportCert(cert *x509.Certificate, format string) {
	ext := ".pem"
	if format == "der" {
		ext = ".cer"
	}
	name := tr("acct.cert.file", map[string]any{"Name": cert.Subject.CommonName}) + ext
	data := CertExport(cert, format)
	p.LastSave = p.shell.chooseSave(tr("acct.cert.export"), filepath.Join(documentsDir(), name), "", nil, func(path string) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			err := writeFileAtomic(path, data)
			uiDo(func() {
				if err != nil {
					p.CertMsg.SetText(errMessage(err))
					return
				}
				p.CertMsg.SetText(tr("home.report.saved", map[string]any{"Path": path}))
			})
		}()
	})
}

// Wait waits for the work in flight and applies its results (tests).
func (p *accountPanel) Wait() { workers.drain(&p.wg) }
