package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/ui/widgets"
)

// verifyPanel is 企业认证 (主管理员 and 子管理员): the latest attempt's state (未认证 → 认证中 → 已认证 /
// 已驳回 with the reason), and the three ways — 法定代表人核验 (name + resident ID), 对公打款 (bank
// and account; then the amount read on the statement, 3 tries, then start over) and 人工审核
// (the seven uploads, PNG/JPEG ≤ 5 MB each, decided in the server's review queue).
type verifyPanel struct {
	e *EnterpriseScreen

	State      *widgets.CJKLabel
	Method     *widget.RadioGroup
	LegalRep   *widget.Entry
	LegalRepID *widget.Entry
	Bank       *widget.Entry
	Account    *widget.Entry
	Start      *widget.Button
	Amount     *widget.Entry
	Confirm    *widget.Button
	Status     *widgets.CJKLabel
	uploads    *fyne.Container
	form       *fyne.Container
	deposit    *fyne.Container
	content    fyne.CanvasObject
	current    org.EntVerification
	has        bool
}

var verifyMethods = []string{org.MethodLegalRep, org.MethodDeposit, org.MethodManual}

func methodName(m string) string { return tr("ent.verify.method." + m) }

func newVerifyPanel(e *EnterpriseScreen) *verifyPanel {
	p := &verifyPanel{e: e}
	p.State = widgets.NewCJKLabel("")
	names := make([]string, len(verifyMethods))
	for i, m := range verifyMethods {
		names[i] = methodName(m)
	}
	p.Method = widget.NewRadioGroup(names, nil)
	p.Method.Horizontal = true
	p.Method.SetSelected(names[0])
	p.Method.OnChanged = func(string) { p.showFields() }
	entry := func(k string) *widget.Entry {
		w := widget.NewEntry()
		w.SetPlaceHolder(tr(k))
		return w
	}
	p.LegalRep = entry("ent.verify.legalrep")
	p.LegalRepID = entry("ent.verify.legalrepid")
	p.Bank = entry("ent.verify.bank")
	p.Account = entry("ent.verify.account")
	p.Start = widget.NewButton(tr("ent.verify.start"), p.onStartTapped)
	p.Start.Importance = widget.HighImportance
	p.Amount = entry("ent.verify.amount")
	p.Confirm = widget.NewButton(tr("ent.verify.confirm"), p.onConfirmTapped)
	p.Confirm.Importance = widget.HighImportance
	p.Status = widgets.NewCJKLabel("")
	p.uploads = container.NewVBox()
	p.form = container.NewVBox(p.Method, p.LegalRep, p.LegalRepID, p.Bank, p.Account, container.NewHBox(p.Start))
	p.deposit = container.NewVBox(widgets.NewCJKLabel(tr("ent.verify.deposit.hint")),
		container.NewBorder(nil, nil, nil, p.Confirm, p.Amount))
	p.content = container.NewVScroll(container.NewVBox(p.State, p.deposit, p.uploads, widget.NewSeparator(), p.form, p.Status))
	p.showFields()
	return p
}

// method is the way chosen in the form.
func (p *verifyPanel) method() string {
	for _, m := range verifyMethods {
		if methodName(m) == p.Method.Selected {
			return m
		}
	}
	return org.MethodLegalRep
}

func (p *verifyPanel) showFields() {
	m := p.method()
	show := func(w fyne.CanvasObject, on bool) {
		if on {
			w.Show()
		} else {
			w.Hide()
		}
	}
	show(p.LegalRepID, m == org.MethodLegalRep)
	show(p.Bank, m == org.MethodDeposit)
	show(p.Account, m == org.MethodDeposit)
}

func (p *verifyPanel) load() {
	id := p.e.Current.Enterprise.ID
	var v org.EntVerification
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		v, err = c.EnterpriseVerification(ctx, id)
		if client.IsCode(err, "not_found") {
			return nil
		}
		return err
	}, func(err error) {
		if err == nil && id == p.e.Current.Enterprise.ID {
			p.show(v, v.ID != "")
		}
	})
}

// show lays the panel out for the attempt v.
func (p *verifyPanel) show(v org.EntVerification, ok bool) {
	p.current, p.has = v, ok
	ent := p.e.Current.Enterprise
	p.deposit.Hide()
	p.uploads.Hide()
	p.form.Show()
	state := tr("ent.verify.state", map[string]any{"State": entStatusText(ent.Status)})
	if ok {
		state += "\n" + tr("ent.verify.attempt", map[string]any{"Method": methodName(v.Method), "Status": tr("ent.verify.status." + v.Status)})
		if v.Reason != "" {
			state += tr("ent.reason", map[string]any{"Reason": v.Reason})
		}
		switch v.Status {
		case org.EVPending:
			if v.Method == org.MethodDeposit {
				p.deposit.Show()
				state += "\n" + tr("ent.verify.deposit.left", map[string]any{"N": org.MaxDepositAttempts - v.Attempts})
			}
			p.form.Hide()
		case org.EVAwaitingUploads:
			p.fillUploads(v)
			p.uploads.Show()
			p.form.Hide()
		case org.EVApproved:
			p.form.Hide()
		}
	}
	if ent.Status == org.EntVerified {
		p.form.Hide()
	}
	p.State.SetText(state)
}

func (p *verifyPanel) fillUploads(v org.EntVerification) {
	p.uploads.Objects = []fyne.CanvasObject{widgets.NewCJKLabel(tr("ent.verify.uploads.hint"))}
	for _, kind := range org.EntUploadKinds {
		kind := kind
		mark := "—"
		if _, ok := v.Uploads[kind]; ok {
			mark = "✓"
		}
		b := widget.NewButton(tr("ent.verify.upload"), func() {
			p.e.shell.chooseFile([]string{".png", ".jpg", ".jpeg"}, func(path string) {
				data, err := readLimited(path, maxPhotoBytes)
				if err != nil {
					p.Status.SetText(errMessage(err))
					return
				}
				p.Upload(kind, data)
			})
		})
		p.uploads.Add(container.NewBorder(nil, nil, nil, b, widget.NewLabel(fmt.Sprintf("%s  %s", mark, uploadLabel(kind)))))
	}
	p.uploads.Refresh()
}

// uploadLabel names an upload kind in the interface language.
func uploadLabel(kind string) string {
	if activeLanguage == LangChinese {
		return org.EntUploadLabel(kind)
	}
	return tr("ent.verify.kind." + kind)
}

// Upload sends one image of the manual review.
func (p *verifyPanel) Upload(kind string, data []byte) {
	id := p.e.Current.Enterprise.ID
	var v org.EntVerification
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		v, err = c.UploadVerification(ctx, id, kind, data)
		return err
	}, func(err error) {
		if err != nil {
			p.Status.SetText(errMessage(err))
			return
		}
		p.Status.SetText("")
		p.show(v, true)
	})
}

func (p *verifyPanel) onStartTapped() {
	r := org.VerificationRequest{Method: p.method(), LegalRep: strings.TrimSpace(p.LegalRep.Text),
		LegalRepID: strings.ToUpper(strings.TrimSpace(p.LegalRepID.Text)), Bank: strings.TrimSpace(p.Bank.Text),
		Account: strings.TrimSpace(p.Account.Text)}
	if r.LegalRep == "" {
		p.Status.SetText(tr("ent.verify.err.legalrep"))
		return
	}
	id := p.e.Current.Enterprise.ID
	var v org.EntVerification
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		v, err = c.StartVerification(ctx, id, r)
		return err
	}, func(err error) {
		if err != nil {
			p.Status.SetText(errMessage(err))
			return
		}
		p.Status.SetText("")
		p.e.refresh() // the enterprise's state moved (认证中 or 已认证)
		p.show(v, true)
	})
}

func (p *verifyPanel) onConfirmTapped() {
	amount := strings.TrimSpace(p.Amount.Text)
	if amount == "" {
		p.Status.SetText(tr("ent.verify.err.amount"))
		return
	}
	id := p.e.Current.Enterprise.ID
	var v org.EntVerification
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		v, err = c.ConfirmEnterpriseDeposit(ctx, id, amount)
		return err
	}, func(err error) {
		p.Amount.SetText("")
		if err != nil {
			p.Status.SetText(errMessage(err))
			p.load()
			return
		}
		p.Status.SetText("")
		p.e.refresh()
		p.show(v, true)
	})
}
