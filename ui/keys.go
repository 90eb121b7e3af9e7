package ui

// The personal key's secret in the dialogs (a 6-digit PIN, a passphrase, or a UKey's PIN), the
// enrolment shared by 签署 and 设置 › 签名密钥, and the dialog shown when this OS account cannot
// open the key (a copied data folder, another computer).

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/keyguard"
	"sealdesk/core/keystore"
)

// secretValidator checks what is typed to open key in: six digits for a PIN, at least
// keystore.MinPassphrase characters for a passphrase, anything non-empty for a UKey (the token
// judges its own PIN).
func secretValidator(in keystore.Info) func(string) error {
	switch {
	case in.Token != nil:
		return func(s string) error {
			if s == "" || len(s) > 64 {
				return errors.New(tr("sign.key.ukeypin.rule"))
			}
			return nil
		}
	case in.Secret == keystore.SecretPassphrase:
		return func(s string) error {
			if utf8.RuneCountInString(s) < keystore.MinPassphrase {
				return errors.New(tr("sign.key.passphrase.rule"))
			}
			return nil
		}
	}
	return func(s string) error {
		if len(s) != 6 || strings.Trim(s, "0123456789") != "" {
			return errors.New(tr("sign.key.pin.rule"))
		}
		return nil
	}
}

// secretItem is the password entry and form item that open key in.
func secretItem(in keystore.Info) (*widget.Entry, *widget.FormItem) {
	e := widget.NewPasswordEntry()
	e.Validator = secretValidator(in)
	label, hint := tr("sign.key.pin"), tr("sign.key.pin.rule")
	switch {
	case in.Token != nil:
		label, hint = tr("sign.key.ukeypin"), tr("sign.key.ukeypin.rule")
	case in.Secret == keystore.SecretPassphrase:
		label, hint = tr("sign.key.passphrase"), tr("sign.key.passphrase.rule")
	}
	item := widget.NewFormItem(label, e)
	item.HintText = hint
	return e, item
}

// newSecretRule is the hint under a new key's secret: a passphrase is urged where there is no
// OS key store.
func newSecretRule(local *LocalServices) string {
	if local != nil && local.Keys != nil && !keyguard.Available(local.Keys.Guard()) {
		return tr("sign.key.pin.rule.nostore")
	}
	return tr("sign.key.pin.rule.any")
}

// needsCurrent reports whether replacing the personal key needs the current key's secret: a
// certified key that this account can open (one bound elsewhere cannot be tried here, so its
// lock-out cannot be dodged by replacing it).
func (v *signScreen) needsCurrent() bool {
	old, ok := v.keyInfo()
	if !ok || old.Certificate == nil || old.Token != nil {
		return false
	}
	return !errors.Is(v.local.Keys.CheckHere(old.ID), keystore.ErrNotHere)
}

// enrolKey replaces the personal key (blocking; run it off the UI goroutine): the certified key
// being replaced is opened with cur first (a wrong PIN is counted, a locked key refused: nothing
// changes; a key this account cannot open at all is replaced without), then gen makes the new key,
// its CSR is made with pin (on the token for a UKey), the CA certifies it, after (if set) gets the
// chain, and the keys it replaces are deleted.
func enrolKey(local *LocalServices, cur, name, idNumber, pin string, gen func(*keystore.Keystore) (keystore.Info, error),
	after func(keystore.Info, []*x509.Certificate)) error {
	ks, ca := local.Keys, local.CA
	if ks == nil || ca == nil {
		return errors.New(tr("sign.key.err.noca"))
	}
	previous, _ := ks.List()
	for i := len(previous) - 1; i >= 0; i-- {
		old := previous[i]
		if old.Certificate == nil || old.Token != nil {
			continue
		}
		if _, err := ks.Unlock(old.ID, cur); err != nil && !errors.Is(err, keystore.ErrNotHere) {
			return err
		}
		break
	}
	in, err := gen(ks)
	if err != nil {
		return err
	}
	csr, err := ks.CSR(in.ID, pin, pkix.Name{CommonName: name})
	if err != nil {
		ks.Delete(in.ID)
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	chain, err := ca.Certify(ctx, csr, name, idNumber)
	if err != nil {
		ks.Delete(in.ID)
		return err
	}
	if err := ks.SetCertificate(in.ID, chain); err != nil {
		ks.Delete(in.ID)
		return err
	}
	if after != nil {
		after(in, chain)
	}
	// The new key replaces the old ones (signatures made with them stay valid: their
	// certificates travel in the signed files).
	for _, p := range previous {
		if p.ID != in.ID {
			ks.Delete(p.ID)
		}
	}
	return nil
}

// showNotHere says that this OS account cannot open the key, and offers 挂失 (设置 › 签名密钥)
// and a new key (renew).
func (s *Shell) showNotHere(err error, renew func()) {
	msg := widget.NewLabel(errMessage(err))
	msg.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	lost := widget.NewButton(tr("sign.nothere.lost"), func() {
		d.Hide()
		s.Show(NavSettings)
		if sc, ok := s.screens[NavSettings].(*SettingsScreen); ok {
			sc.ShowKeys()
		}
	})
	again := widget.NewButton(tr("sign.nothere.renew"), func() {
		d.Hide()
		if renew != nil {
			renew()
		}
	})
	again.Importance = widget.HighImportance
	d = dialog.NewCustom(tr("sign.nothere.title"), tr("common.cancel"),
		container.NewVBox(msg, container.NewHBox(lost, again)), s.Window)
	d.Resize(fyne.NewSize(min(560, s.Window.Canvas().Size().Width-40), 300))
	d.Show()
	s.notHere = d
}

// ShowCreateKey opens 本机签署's dialog that makes the personal key (for the real-window
// pictures; 签署 opens it from its button).
func (s *Shell) ShowCreateKey() {
	if v, ok := s.screens[NavSend].(*sendScreen); ok && v.sign != nil {
		v.sign.showKeyDialog(false)
	}
}

// ShowNotHere shows the dialog of a key this OS account cannot open (for the real-window
// pictures; the sign screen shows it after a refused unlock).
func (s *Shell) ShowNotHere(err error) { s.showNotHere(err, nil) }
