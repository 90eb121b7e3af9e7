package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// ContractDriver drives 发起签署 and 文件 the way a person does, for the real-window runs
// (ui/internal/contractflow): a GL window's dialogs cannot be answered from a test, so each
// method taps and types what the person would, on the UI goroutine, and waits for the
// background work off it. Call from the test goroutine, never from the UI goroutine.
type ContractDriver struct{ s *Shell }

// ContractDriver returns the driver of the shell's contract screens.
func (s *Shell) ContractDriver() *ContractDriver { return &ContractDriver{s: s} }

func (d *ContractDriver) compose() *composeScreen {
	return d.s.screens[NavSend].(*sendScreen).compose
}

func (d *ContractDriver) pane() *contractsPane {
	return d.s.screens[NavDocuments].(*DocumentsScreen).Contracts
}

// Compose shows 发起签署 and fills it: files, subject and one person who signs.
func (d *ContractDriver) Compose(files []string, subject, name, phone string) {
	fyne.DoAndWait(func() {
		d.s.Show(NavSend)
		v := d.s.screens[NavSend].(*sendScreen)
		v.tabs.Select(v.composeTab)
		v.compose.onNewTapped()
		v.compose.AddFiles(files)
	})
	v := d.compose()
	v.wg.Wait()
	fyne.DoAndWait(func() {
		v.subject.SetText(subject)
		test.Tap(v.addPerson)
		c := v.cards[len(v.cards)-1]
		c.name.SetText(name)
		c.contact.SetText(phone)
	})
}

// PlaceBoxes goes to 指定签署位置 and puts a signature box and a date box for the first signer
// on the first page.
func (d *ContractDriver) PlaceBoxes() { d.placeBoxes(boxSign, boxDate) }

func (d *ContractDriver) placeBoxes(kinds ...string) {
	v := d.compose()
	fyne.DoAndWait(func() { test.Tap(v.placeBtn) })
	v.place.wg.Wait()
	v.place.pv.Wait()
	// the page's geometry arrives from the renderer after the document opened
	for t0 := time.Now(); time.Since(t0) < 15*time.Second; time.Sleep(50 * time.Millisecond) {
		ok := false
		fyne.DoAndWait(func() { _, ok = v.place.pv.PageMapper(v.place.pv.CurrentPage()) })
		if ok {
			break
		}
	}
	fyne.DoAndWait(func() {
		for _, k := range kinds {
			v.place.addOnCurrentPage(k)
		}
	})
}

// Send taps 发送 (on the placement step) or 现在发送 and returns the message shown after.
func (d *ContractDriver) Send() string {
	v := d.compose()
	fyne.DoAndWait(func() {
		if v.placing {
			v.onSendPlacedTapped()
		} else {
			test.Tap(v.sendNow)
		}
	})
	v.wg.Wait()
	var msg string
	fyne.DoAndWait(func() { msg = v.msg.Text })
	return msg
}

// ShowBox shows 文件's box ("to_sign", "waiting", "completed" …) and returns how many contracts
// its first page lists.
func (d *ContractDriver) ShowBox(box string) int {
	fyne.DoAndWait(func() {
		d.s.Show(NavDocuments)
		d.pane().showBox(box)
	})
	d.pane().wg.Wait()
	var n int
	fyne.DoAndWait(func() { n = len(d.pane().rows) })
	return n
}

// Rows is the number of contracts listed now (the long poll may have changed it).
func (d *ContractDriver) Rows() int {
	var n int
	fyne.DoAndWait(func() { n = len(d.pane().rows) })
	return n
}

// OpenFirst opens the first listed contract's detail and returns its status in words.
func (d *ContractDriver) OpenFirst() string {
	p := d.pane()
	fyne.DoAndWait(func() { p.openDetail(p.rows[0].Summary.ID) })
	p.wg.Wait()
	var s string
	fyne.DoAndWait(func() {
		if p.detail != nil {
			s = tr("contracts.status." + p.detail.env.Status)
		}
	})
	return s
}

// SignFirst opens the first listed contract's signing view, goes to the first field
// (点击开始签署) and chooses the first signature.
func (d *ContractDriver) SignFirst() {
	p := d.pane()
	fyne.DoAndWait(func() { p.openSigning(p.rows[0].Summary.ID) })
	p.wg.Wait()
	v := p.signer
	v.sign.wg.Wait()
	v.sign.pv.Wait()
	fyne.DoAndWait(func() {
		test.Tap(v.startBtn)
		v.sign.image.SetSelectedIndex(0)
	})
}

// Submit is 立即提交 with the PIN; it returns the message shown after (the detail's on success,
// the signing view's otherwise).
func (d *ContractDriver) Submit(pin string) string {
	p := d.pane()
	v := p.signer
	fyne.DoAndWait(func() { v.Submit(pin) })
	v.sign.wg.Wait()
	var s string
	fyne.DoAndWait(func() {
		if p.detail != nil && p.body.Objects[0] == p.detail.root {
			s = p.detail.msg.Text
		} else {
			s = v.sign.status.Text
		}
	})
	return s
}

// ComposeCompany is Compose with one company recipient (企业): the company, its handler and the
// handler's phone.
func (d *ContractDriver) ComposeCompany(files []string, subject, company, name, phone string) {
	fyne.DoAndWait(func() {
		d.s.Show(NavSend)
		v := d.s.screens[NavSend].(*sendScreen)
		v.tabs.Select(v.composeTab)
		v.compose.onNewTapped()
		v.compose.AddFiles(files)
	})
	v := d.compose()
	v.wg.Wait()
	fyne.DoAndWait(func() {
		v.subject.SetText(subject)
		test.Tap(v.addCompany)
		c := v.cards[len(v.cards)-1]
		c.company.SetText(company)
		c.name.SetText(name)
		c.contact.SetText(phone)
	})
}

// PlaceSealBoxes goes to 指定签署位置 and puts a seal box and a date box for the first signer on
// the first page.
func (d *ContractDriver) PlaceSealBoxes() {
	d.placeBoxes(boxSeal, boxDate)
}

// SigningStatus is the signing view's message (a company recipient's: about the seals) and the
// seal box's choices.
func (d *ContractDriver) SigningStatus() (string, []string) {
	v := d.pane().signer
	var s string
	var opts []string
	fyne.DoAndWait(func() {
		s = v.sign.status.Text
		if v.sealNote.Visible() {
			s = v.sealNote.Text
		}
		opts = append(opts, v.sign.image.Options...)
	})
	return s, opts
}

// SubmitSeal is a company recipient's 立即提交: it asks the server for the code, types what
// code() returns (the code the server sent) and returns the message shown after.
func (d *ContractDriver) SubmitSeal(code func() string) string {
	p := d.pane()
	v := p.signer
	fyne.DoAndWait(func() { test.Tap(v.submitBtn) })
	v.sign.wg.Wait()
	var sess *entSealSession
	fyne.DoAndWait(func() {
		sess = v.codeSess
		if v.codeDlg != nil {
			v.codeDlg.d.Hide()
			v.codeDlg = nil
		}
	})
	if sess == nil {
		s, _ := d.SigningStatus()
		return s
	}
	c := code()
	fyne.DoAndWait(func() { v.SubmitSeal(sess, c) })
	v.sign.wg.Wait()
	var s string
	fyne.DoAndWait(func() {
		if p.detail != nil && p.body.Objects[0] == p.detail.root {
			s = p.detail.msg.Text
		} else {
			s = v.sign.status.Text
		}
	})
	return s
}

// SaveDraft is 保存至草稿 of what 发起签署 holds; it returns the message shown after the sync.
func (d *ContractDriver) SaveDraft() string {
	v := d.compose()
	fyne.DoAndWait(func() { test.Tap(v.saveBtn) })
	v.wg.Wait()
	var msg string
	fyne.DoAndWait(func() { msg = v.msg.Text })
	return msg
}

// SetAmount fills 合同金额 (as typed, in yuan) and 合同到期日 (none when zero) of 发起签署.
func (d *ContractDriver) SetAmount(amount string, validUntil time.Time) {
	v := d.compose()
	fyne.DoAndWait(func() {
		v.amount.SetText(amount)
		if validUntil.IsZero() {
			v.validUntil.SetDate(nil)
		} else {
			v.validUntil.SetDate(&validUntil)
		}
	})
}

// ShowQuick shows a quick list of 首页 in 文件 (api.FilterDueSoon, api.FilterExpiring) and
// returns the number of contracts listed.
func (d *ContractDriver) ShowQuick(filter string) int {
	fyne.DoAndWait(func() {
		d.s.Show(NavDocuments)
		d.pane().showQuick(filter)
	})
	d.pane().wg.Wait()
	return d.Rows()
}
