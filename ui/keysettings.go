package ui

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/ids"
	"sealdesk/core/keyguard"
	"sealdesk/core/keystore"
	"sealdesk/core/pki"
	"sealdesk/core/sealkey/pkcs11key"
)

// keyPanel is 设置 › 签名密钥: how this computer protects the personal key (the OS key store, or
// none and a passphrase advised), the key itself, UKeys (PKCS #11: list tokens and their
// certificates, make the key on one), and 设备与证书 — the account's certificates by device, with
// 挂失 (revoke) for a lost one.
type keyPanel struct {
	shell *Shell

	Protection *widget.Label
	Current    *widget.Label
	// KeyType is the type of the next personal key made on this computer (ECDSA P-256 or SM2).
	KeyType *widget.RadioGroup

	Module     *widget.Entry
	Find       *widget.Button
	TokenList  *widget.Label
	Pick       *widget.Select
	Enrol      *widget.Button
	UKeyStatus *widget.Label
	tokens     []pkcs11key.TokenInfo
	enrolDlg   *ukeyDialog

	Refresh       *widget.Button
	Devices       *fyne.Container
	DevicesStatus *widget.Label
	// RevokeButtons are the 挂失 buttons of the listed certificates by serial.
	RevokeButtons map[string]*widget.Button
	confirm       dialog.Dialog

	card fyne.CanvasObject
}

// prefUKeyModule remembers the PKCS #11 module path.
const prefUKeyModule = "ukey.module"

func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func newKeyPanel(s *Shell) *keyPanel {
	p := &keyPanel{shell: s, RevokeButtons: map[string]*widget.Button{}}
	p.Protection = wrapLabel("")
	p.Current = wrapLabel("")
	p.KeyType = newKeyTypeChoice(keyTypePref(s.Services.Local), p.onKeyTypeChanged)
	parts := []fyne.CanvasObject{p.Protection, p.Current,
		widget.NewForm(&widget.FormItem{Text: tr("keys.type"), Widget: p.KeyType}), wrapLabel(tr("keys.type.hint"))}
	if s.Services.Local.Tokens != nil {
		p.Module = widget.NewEntry()
		p.Module.SetText(p.defaultModule())
		p.Module.OnSubmitted = func(string) { p.onFindTapped() }
		p.Find = widget.NewButton(tr("keys.ukey.find"), p.onFindTapped)
		p.TokenList = wrapLabel("")
		p.TokenList.Hide()
		p.Pick = newSelect(nil, func(string) { p.updateEnrol() })
		p.Pick.PlaceHolder = tr("keys.ukey.pick")
		p.Pick.Hide()
		p.Enrol = widget.NewButton(tr("keys.ukey.enrol"), p.onEnrolTapped)
		p.Enrol.Disable()
		p.Enrol.Hide()
		p.UKeyStatus = wrapLabel("")
		p.UKeyStatus.Hide()
		parts = append(parts, widget.NewSeparator(), widget.NewLabelWithStyle(tr("keys.ukey"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
			widget.NewForm(&widget.FormItem{Text: tr("keys.ukey.module"), Widget: container.NewBorder(nil, nil, nil, p.Find, p.Module)}),
			wrapLabel(tr("keys.ukey.module.hint")),
			p.TokenList, p.Pick, p.Enrol, p.UKeyStatus)
	}
	p.Refresh = widget.NewButton(tr("keys.devices.refresh"), p.onDevicesRefresh)
	p.Devices = container.NewVBox()
	p.DevicesStatus = wrapLabel("")
	parts = append(parts, widget.NewSeparator(),
		container.NewBorder(nil, nil, widget.NewLabelWithStyle(tr("keys.devices"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.Refresh),
		wrapLabel(tr("keys.devices.hint")), p.Devices, p.DevicesStatus)
	p.card = widget.NewCard(tr("keys.title"), "", container.NewVBox(parts...))
	p.refresh()
	p.onDevicesRefresh()
	return p
}

// prefKeyType remembers the type of the next personal key (a pki.KeyType of keystore.KeyTypes).
const prefKeyType = "key.type"

// keyTypePref is the key type chosen in 设置 › 签名密钥 (ECDSA P-256 when none).
func keyTypePref(local *LocalServices) pki.KeyType {
	if local != nil && local.Prefs != nil {
		if v, ok, _ := local.Prefs.Setting(prefKeyType); ok && slices.Contains(keystore.KeyTypes, pki.KeyType(v)) {
			return pki.KeyType(v)
		}
	}
	return pki.ECDSAP256
}

// newKeyTypeChoice is the radio group of keystore.KeyTypes with cur selected; changed (if set)
// gets the chosen type.
func newKeyTypeChoice(cur pki.KeyType, changed func(pki.KeyType)) *widget.RadioGroup {
	var opts []string
	for _, kt := range keystore.KeyTypes {
		opts = append(opts, tr("keys.type."+string(kt)))
	}
	g := widget.NewRadioGroup(opts, nil)
	g.Required = true
	g.SetSelected(tr("keys.type." + string(cur)))
	g.OnChanged = func(string) {
		if changed != nil {
			changed(chosenKeyType(g))
		}
	}
	return g
}

// chosenKeyType is the key type selected in g (ECDSA P-256 when none).
func chosenKeyType(g *widget.RadioGroup) pki.KeyType {
	for _, kt := range keystore.KeyTypes {
		if g.Selected == tr("keys.type."+string(kt)) {
			return kt
		}
	}
	return pki.ECDSAP256
}

func (p *keyPanel) onKeyTypeChanged(kt pki.KeyType) {
	if pr := p.shell.Services.Local.Prefs; pr != nil {
		if err := pr.SetSetting(prefKeyType, string(kt)); err != nil {
			fyne.LogError("storing the key type", err)
		}
	}
}

// defaultModule is the remembered module, else SoftHSM2's where it is installed.
func (p *keyPanel) defaultModule() string {
	if pr := p.shell.Services.Local.Prefs; pr != nil {
		if v, ok, _ := pr.Setting(prefUKeyModule); ok && v != "" {
			return v
		}
	}
	for _, m := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"} {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	return ""
}

// refresh shows the protection and the current key.
func (p *keyPanel) refresh() {
	ks := p.shell.Services.Local.Keys
	if g := ks.Guard(); keyguard.Available(g) {
		p.Protection.SetText(tr("keys.guard.on", map[string]any{"Store": tr("keys.guard." + g.Name())}))
		p.Protection.Importance = widget.MediumImportance
	} else {
		reason := strings.TrimPrefix(g.Describe(), "none: ")
		p.Protection.SetText(tr("keys.guard.off", map[string]any{"Reason": reason}))
		p.Protection.Importance = widget.WarningImportance
	}
	p.Protection.Refresh()
	in, ok := currentKey(ks)
	switch {
	case !ok:
		p.Current.SetText(tr("keys.current.none"))
	case in.Certificate == nil:
		p.Current.SetText(tr("keys.current.soft.nocert"))
	default:
		c := in.Certificate
		args := map[string]any{"Name": c.Subject.CommonName, "Serial": c.SerialNumber.Text(16),
			"Until": c.NotAfter.Local().Format("2006-01-02"), "Secret": tr("keys.secret." + in.Secret)}
		alg := tr("keys.current.alg", map[string]any{"Alg": in.Algorithm()})
		if in.Token != nil {
			args["Token"] = in.Token.Token
			p.Current.SetText(tr("keys.current.ukey", args) + alg)
		} else {
			p.Current.SetText(tr("keys.current.soft", args) + alg)
		}
	}
}

// currentKey is the newest certified key, else the newest (the sign screen's choice).
func currentKey(ks *keystore.Keystore) (keystore.Info, bool) {
	list, err := ks.List()
	if err != nil || len(list) == 0 {
		return keystore.Info{}, false
	}
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Certificate != nil {
			return list[i], true
		}
	}
	return list[len(list)-1], true
}

// ----- UKeys -----

func (p *keyPanel) onFindTapped() {
	module := strings.TrimSpace(p.Module.Text)
	if module == "" {
		return
	}
	if pr := p.shell.Services.Local.Prefs; pr != nil {
		pr.SetSetting(prefUKeyModule, module)
	}
	p.Find.Disable()
	p.ukeyStatus(tr("keys.ukey.listing"), false)
	tokens := p.shell.Services.Local.Tokens
	go func() {
		list, err := tokens.List(module)
		uiDo(func() {
			p.Find.Enable()
			p.showTokens(list, err)
		})
	}()
}

func (p *keyPanel) ukeyStatus(s string, bad bool) {
	p.UKeyStatus.SetText(s)
	p.UKeyStatus.Importance = widget.MediumImportance
	if bad {
		p.UKeyStatus.Importance = widget.DangerImportance
	}
	p.UKeyStatus.Show()
	p.UKeyStatus.Refresh()
}

func (p *keyPanel) showTokens(list []pkcs11key.TokenInfo, err error) {
	p.tokens = list
	if err != nil {
		p.ukeyStatus(errMessage(err)+" "+err.Error(), true)
		return
	}
	if len(list) == 0 {
		p.TokenList.Hide()
		p.Pick.Hide()
		p.Enrol.Hide()
		p.ukeyStatus(tr("keys.ukey.none"), true)
		return
	}
	p.UKeyStatus.Hide()
	var lines, names []string
	for _, t := range list {
		var algs []string
		if t.ECDSA {
			algs = append(algs, "ECDSA")
		}
		if t.RSA {
			algs = append(algs, "RSA")
		}
		lines = append(lines, tr("keys.ukey.token", map[string]any{"Label": t.Label, "Manufacturer": strings.TrimSpace(t.Manufacturer),
			"Model": strings.TrimSpace(t.Model), "Serial": strings.TrimSpace(t.Serial), "Algs": strings.Join(algs, "、"), "Certs": len(t.Certificates)}))
		for _, c := range t.Certificates {
			lines = append(lines, tr("keys.ukey.cert", map[string]any{"Subject": c.Cert.Subject.CommonName,
				"Issuer": c.Cert.Issuer.CommonName, "Until": c.Cert.NotAfter.Local().Format("2006-01-02")}))
		}
		names = append(names, t.Label)
	}
	p.TokenList.SetText(strings.Join(lines, "\n"))
	p.TokenList.Show()
	p.Pick.Options = names
	p.Pick.Show()
	p.Pick.SetSelectedIndex(0)
	p.Enrol.Show()
	p.updateEnrol()
}

func (p *keyPanel) updateEnrol() {
	if p.Pick.SelectedIndex() >= 0 && p.shell.Services.Local.CA != nil {
		p.Enrol.Enable()
	} else {
		p.Enrol.Disable()
	}
}

// ukeyDialog is the form that makes the key on a UKey.
type ukeyDialog struct {
	Alg                *widget.RadioGroup
	Name, ID, PIN, Cur *widget.Entry
	Msg                *widget.Label
	Form               *widget.Form
	dlg                dialog.Dialog
}

func (p *keyPanel) onEnrolTapped() {
	i := p.Pick.SelectedIndex()
	if i < 0 || i >= len(p.tokens) {
		return
	}
	tok, module := p.tokens[i], strings.TrimSpace(p.Module.Text)
	d := &ukeyDialog{Name: widget.NewEntry(), ID: widget.NewEntry(), PIN: widget.NewPasswordEntry()}
	var algs []string
	if tok.ECDSA {
		algs = append(algs, "ECDSA P-256")
	}
	if tok.RSA {
		algs = append(algs, "RSA 2048")
	}
	d.Alg = widget.NewRadioGroup(algs, nil)
	d.Alg.Horizontal, d.Alg.Required = true, true
	if len(algs) > 0 {
		d.Alg.SetSelected(algs[0])
	}
	d.Name.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New(tr("sign.key.err.name"))
		}
		return nil
	}
	d.ID.Validator = func(s string) error {
		if _, err := ids.ParseResidentID(strings.TrimSpace(s), time.Now()); err != nil {
			return errors.New(tr("sign.key.err.id"))
		}
		return nil
	}
	d.PIN.Validator = secretValidator(keystore.Info{Token: &keystore.TokenRef{}})
	items := []*widget.FormItem{{Text: tr("keys.ukey.alg"), Widget: d.Alg}}
	ks := p.shell.Services.Local.Keys
	if old, ok := currentKey(ks); ok && old.Certificate != nil && old.Token == nil && !errors.Is(ks.CheckHere(old.ID), keystore.ErrNotHere) {
		d.Cur = widget.NewPasswordEntry()
		d.Cur.Validator = secretValidator(old)
		items = append(items, &widget.FormItem{Text: tr("sign.key.pin.current"), Widget: d.Cur, HintText: tr("sign.key.pin.current.hint")})
	}
	items = append(items,
		&widget.FormItem{Text: tr("sign.key.name"), Widget: d.Name},
		&widget.FormItem{Text: tr("sign.key.id"), Widget: d.ID, HintText: tr("sign.key.id.hint")},
		&widget.FormItem{Text: tr("sign.key.ukeypin"), Widget: d.PIN, HintText: tr("sign.key.ukeypin.rule")})
	d.Msg = wrapLabel(tok.Label)
	d.Form = widget.NewForm(items...)
	d.Form.SubmitText, d.Form.CancelText = tr("common.ok"), tr("common.cancel")
	d.Form.OnCancel = func() { d.dlg.Hide() }
	d.Form.OnSubmit = func() {
		alg := pkcs11key.AlgECDSAP256
		if d.Alg.Selected == "RSA 2048" {
			alg = pkcs11key.AlgRSA2048
		}
		cur := ""
		if d.Cur != nil {
			cur = d.Cur.Text
		}
		d.Form.Disable()
		d.Msg.Importance = widget.MediumImportance
		d.Msg.SetText(tr("keys.ukey.enrolling"))
		p.enrol(module, tok, alg, cur, strings.TrimSpace(d.Name.Text), strings.TrimSpace(d.ID.Text), d.PIN.Text, func(err error) {
			d.Form.Enable()
			if err != nil {
				d.Msg.Importance = widget.DangerImportance
				d.Msg.SetText(tr("sign.key.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			d.dlg.Hide()
		})
	}
	d.dlg = dialog.NewCustomWithoutButtons(tr("keys.ukey.enrol.title"), container.NewVBox(d.Form, d.Msg), p.shell.Window)
	d.dlg.Resize(fyne.NewSize(min(560, p.shell.Window.Canvas().Size().Width-40), 460))
	d.dlg.Show()
	p.enrolDlg = d
}

// enrol makes the key pair on the token, the CSR on it, has the CA certify it, stores the
// certificate on the token and in the keystore (replacing the previous key), in the background;
// done gets the outcome on the UI goroutine.
func (p *keyPanel) enrol(module string, tok pkcs11key.TokenInfo, alg pkcs11key.Alg, cur, name, idNumber, pin string, done func(error)) {
	local := p.shell.Services.Local
	tokens := local.Tokens
	go func() {
		err := enrolKey(local, cur, name, idNumber, pin, func(ks *keystore.Keystore) (keystore.Info, error) {
			ref, pub, err := tokens.Generate(module, tok.Label, tok.Serial, pin, alg)
			if err != nil {
				return keystore.Info{}, err
			}
			return ks.AddToken(ref, pub)
		}, func(in keystore.Info, chain []*x509.Certificate) {
			if err := tokens.ImportCertificate(*in.Token, chain[0]); err != nil {
				fyne.LogError("storing the certificate on the UKey", err)
			}
		})
		uiDo(func() {
			p.refresh()
			if err != nil {
				p.ukeyStatus(tr("sign.key.failed", map[string]any{"Reason": errMessage(err)}), true)
			} else {
				p.ukeyStatus(tr("keys.ukey.enrolled"), false)
			}
			if done != nil {
				done(err)
			}
		})
	}()
}

// ----- devices and 挂失 -----

func (p *keyPanel) onDevicesRefresh() {
	c := p.shell.client()
	if c == nil {
		p.Devices.RemoveAll()
		p.DevicesStatus.SetText(tr("keys.devices.nosession"))
		return
	}
	p.Refresh.Disable()
	p.DevicesStatus.SetText(tr("keys.devices.loading"))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		list, err := c.Certificates(ctx)
		uiDo(func() {
			p.Refresh.Enable()
			p.showDevices(list, err)
		})
	}()
}

func (p *keyPanel) showDevices(list []api.CertificateInfo, err error) {
	p.Devices.RemoveAll()
	p.RevokeButtons = map[string]*widget.Button{}
	if err != nil {
		p.DevicesStatus.SetText(errMessage(err))
		return
	}
	if len(list) == 0 {
		p.DevicesStatus.SetText(tr("keys.devices.none"))
		return
	}
	p.DevicesStatus.SetText("")
	here := ""
	if in, ok := currentKey(p.shell.Services.Local.Keys); ok && in.Certificate != nil {
		here = strings.ToLower(in.Certificate.SerialNumber.Text(16))
	}
	for _, ci := range list {
		dev := ci.Device
		if dev == "" {
			dev = tr("keys.devices.unnamed")
		}
		mark := ""
		if ci.Serial == here {
			mark = tr("keys.devices.here")
		}
		text := tr("keys.devices.row", map[string]any{"Device": dev, "Here": mark, "Subject": subjectCN(ci.Subject), "Serial": ci.Serial,
			"From": ci.NotBefore.Local().Format("2006-01-02"), "Until": ci.NotAfter.Local().Format("2006-01-02")})
		var right fyne.CanvasObject
		if ci.Revoked {
			l := widget.NewLabel(tr("keys.devices.revoked", map[string]any{"At": ci.RevokedAt.Local().Format(time.DateTime)}))
			l.Importance = widget.DangerImportance
			right = l
		} else {
			ci, dev := ci, dev
			b := widget.NewButton(tr("keys.devices.revoke"), func() { p.onRevokeTapped(ci, dev) })
			b.Importance = widget.DangerImportance
			p.RevokeButtons[ci.Serial] = b
			right = container.NewHBox(widget.NewLabel(tr("keys.devices.valid")), b)
		}
		p.Devices.Add(container.NewBorder(nil, nil, nil, right, wrapLabel(text)))
	}
}

// subjectCN takes the CN out of a distinguished name string such as "CN=张三,C=CN".
func subjectCN(dn string) string {
	for _, part := range strings.Split(dn, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "CN="); ok {
			return v
		}
	}
	return dn
}

func (p *keyPanel) onRevokeTapped(ci api.CertificateInfo, dev string) {
	c := dialog.NewConfirm(tr("keys.devices.confirm.title"), tr("keys.devices.confirm", map[string]any{"Device": dev, "Serial": ci.Serial}),
		func(ok bool) {
			if ok {
				p.revoke(ci.Serial)
			}
		}, p.shell.Window)
	c.SetConfirmText(tr("keys.devices.revoke"))
	c.SetDismissText(tr("common.cancel"))
	c.Show()
	p.confirm = c
}

// revoke asks the server to revoke serial (reason keyCompromise) and lists again.
func (p *keyPanel) revoke(serial string) {
	c := p.shell.client()
	if c == nil {
		p.DevicesStatus.SetText(tr("keys.devices.nosession"))
		return
	}
	if b := p.RevokeButtons[serial]; b != nil {
		b.Disable()
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		rec, err := c.RevokeCertificate(ctx, serial, 1)
		var list []api.CertificateInfo
		if err == nil {
			list, err = c.Certificates(ctx)
		}
		uiDo(func() {
			p.showDevices(list, err)
			if err == nil {
				p.DevicesStatus.SetText(tr("keys.devices.done", map[string]any{"Serial": rec.Serial, "At": rec.RevokedAt.Local().Format(time.DateTime)}))
			}
		})
	}()
}
