package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/org"
)

// AdminPanel is 主管理员变更 on the 企业 screen — every path of manual 000:
//
//   - 更换主管理员 (原管理员能接收验证码): the 主管理员 gets a code on their own phone or e-mail, picks an
//     enabled member as the new 主管理员 and what to hand over to them, and confirms.
//   - 一键转交: an admin moves a member's contracts, templates, seals and archive to another member,
//     then disables or deletes the old member.
//   - 账号申诉 (原管理员不能接收验证码): the user names the company and proves authority by the legal
//     representative's identity, a corporate micro-deposit, or a stamped authorization letter
//     that the server's reviewers approve; it can start from a contract waiting for the user's
//     signature (合同编号), whose signing continues after approval. 我的申诉 shows each appeal's state.
type AdminPanel struct {
	shell      *Shell
	appealCard fyne.CanvasObject

	Status *widget.Label

	// 更换主管理员
	Owner        *widget.Label
	SendCode     *widget.Button
	CodeSent     *widget.Label
	Code         *widget.Entry
	NewAdmin     *widget.Select // enabled members other than the 主管理员
	Handover     *widget.CheckGroup
	Confirm      *widget.Button
	TransferDone *widget.Label

	// 一键转交
	From        *widget.Select
	To          *widget.Select
	Kinds       *widget.CheckGroup
	Then        *widget.RadioGroup
	HandOverBtn *widget.Button
	HandOverMsg *widget.Label
	NoKinds     *widget.Label // shown when no area registered anything to hand over
	noKinds2    *widget.Label // the same under 更换主管理员

	// 账号申诉
	Company    *widget.Entry
	Method     *widget.RadioGroup
	PersonName *widget.Entry
	PersonID   *widget.Entry
	ContractID *widget.Entry
	Start      *widget.Button
	LetterPath *widget.Entry
	Upload     *widget.Button
	Amount     *widget.Entry
	Deposit    *widget.Button
	AppealMsg  *widget.Label
	Appeals    *widget.Label // 我的申诉
	Current    org.Appeal    // the appeal being proved

	Members []org.Member
	kinds   []org.HandoverKind
	content fyne.CanvasObject
	wg      sync.WaitGroup
}

var methodKeys = []string{org.AppealLegalRep, org.AppealDeposit, org.AppealLetter}

// AppealOnly is the panel's 账号申诉 part alone, for 个人版 (enterprise screen › 账号申诉): a
// person who is not (or no longer) a member asks to become 主管理员 of a company.
func (p *AdminPanel) AppealOnly() fyne.CanvasObject {
	return container.NewVScroll(container.NewVBox(p.Status, p.appealCard))
}

func newAdminPanel(s *Shell) *AdminPanel {
	p := &AdminPanel{shell: s}
	p.Status = widget.NewLabel("")
	p.Status.Wrapping = fyne.TextWrapWord
	p.Status.Hide()
	wrapLabel := func() *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		return l
	}

	p.Owner = wrapLabel()
	p.SendCode = widget.NewButton(tr("admin.code.send"), p.onSendCodeTapped)
	p.CodeSent = wrapLabel()
	p.CodeSent.Hide()
	p.Code = widget.NewEntry()
	p.Code.SetPlaceHolder(tr("admin.code.hint"))
	p.NewAdmin = newSelect(nil, nil)
	p.NewAdmin.PlaceHolder = tr("admin.pick.member")
	p.Handover = widget.NewCheckGroup(nil, nil)
	p.Handover.Horizontal = true
	p.noKinds2 = widget.NewLabel(tr("admin.handover.nokinds"))
	p.noKinds2.Hide()
	p.Confirm = widget.NewButton(tr("admin.transfer.confirm"), p.onConfirmTapped)
	p.Confirm.Importance = widget.HighImportance
	p.TransferDone = wrapLabel()
	transfer := container.NewVBox(p.Owner,
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.code")), p.SendCode, p.Code), p.CodeSent,
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.new.admin")), nil, p.NewAdmin),
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.handover.what")), nil, container.NewHBox(p.Handover, p.noKinds2)),
		container.NewHBox(p.Confirm), p.TransferDone)

	p.From = newSelect(nil, nil)
	p.From.PlaceHolder = tr("admin.pick.member")
	p.To = newSelect(nil, nil)
	p.To.PlaceHolder = tr("admin.pick.member")
	p.Kinds = widget.NewCheckGroup(nil, nil)
	p.Kinds.Horizontal = true
	p.Then = widget.NewRadioGroup([]string{tr("admin.then.keep"), tr("admin.then.disable"), tr("admin.then.delete")}, nil)
	p.Then.Horizontal = true
	p.Then.SetSelected(tr("admin.then.disable"))
	p.HandOverBtn = widget.NewButton(tr("admin.handover"), p.onHandOverTapped)
	p.HandOverMsg = wrapLabel()
	p.NoKinds = widget.NewLabel(tr("admin.handover.nokinds"))
	p.NoKinds.Hide()
	handover := container.NewVBox(
		container.NewGridWithColumns(2, container.NewBorder(nil, nil, widget.NewLabel(tr("admin.handover.from")), nil, p.From),
			container.NewBorder(nil, nil, widget.NewLabel(tr("admin.handover.to")), nil, p.To)),
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.handover.what")), nil, container.NewHBox(p.Kinds, p.NoKinds)),
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.handover.then")), nil, p.Then),
		container.NewHBox(p.HandOverBtn), p.HandOverMsg)

	p.Company = widget.NewEntry()
	p.Company.SetPlaceHolder(tr("admin.appeal.company.hint"))
	var methods []string
	for _, m := range methodKeys {
		methods = append(methods, tr("admin.method."+m))
	}
	p.Method = widget.NewRadioGroup(methods, nil)
	p.Method.Horizontal = true
	p.Method.SetSelected(tr("admin.method." + org.AppealLetter))
	p.PersonName = widget.NewEntry()
	p.PersonName.SetPlaceHolder(tr("admin.appeal.person.hint"))
	p.PersonID = widget.NewEntry()
	p.PersonID.SetPlaceHolder(tr("admin.appeal.id.hint"))
	p.ContractID = widget.NewEntry()
	p.ContractID.SetPlaceHolder(tr("admin.appeal.contract.hint"))
	p.Start = widget.NewButton(tr("admin.appeal.start"), p.onStartAppealTapped)
	p.Start.Importance = widget.HighImportance
	p.LetterPath = widget.NewEntry()
	p.LetterPath.SetPlaceHolder(tr("admin.appeal.letter.hint"))
	p.Upload = widget.NewButton(tr("admin.appeal.upload"), p.onUploadTapped)
	p.Amount = widget.NewEntry()
	p.Amount.SetPlaceHolder("0.37")
	p.Deposit = widget.NewButton(tr("admin.appeal.deposit"), p.onDepositTapped)
	p.AppealMsg = wrapLabel()
	p.Appeals = wrapLabel()
	intro := wrapLabel()
	intro.SetText(tr("admin.appeal.intro"))
	appeal := container.NewVBox(intro,
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.appeal.company")), nil, p.Company),
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.appeal.method")), nil, p.Method),
		container.NewGridWithColumns(2, container.NewBorder(nil, nil, widget.NewLabel(tr("admin.appeal.person")), nil, p.PersonName),
			container.NewBorder(nil, nil, widget.NewLabel(tr("admin.appeal.id")), nil, p.PersonID)),
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.appeal.contract")), nil, p.ContractID),
		container.NewHBox(p.Start),
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.appeal.letter")), p.Upload, p.LetterPath),
		container.NewBorder(nil, nil, widget.NewLabel(tr("admin.appeal.amount")), p.Deposit, p.Amount),
		p.AppealMsg, widget.NewLabelWithStyle(tr("admin.appeal.mine"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.Appeals)

	p.appealCard = card(tr("admin.appeal"), appeal)
	p.content = container.NewVScroll(container.NewVBox(p.Status,
		card(tr("admin.transfer"), transfer), card(tr("admin.handover.title"), handover), p.appealCard))
	return p
}

// Content implements EnterprisePanel.
func (p *AdminPanel) Content() fyne.CanvasObject { return p.content }

// Wait waits for the server calls in flight (tests).
func (p *AdminPanel) Wait() { workers.drain(&p.wg) }

func (p *AdminPanel) fail(l *widget.Label, err error) {
	l.SetText(errMessage(err))
	l.Show()
}

func (p *AdminPanel) run(fn func(ctx context.Context) error, done func(err error)) {
	runOff(&p.wg, fn, done)
}

func (p *AdminPanel) session() (*client.Client, string) {
	c := p.shell.client()
	ent := ""
	if p.shell.Services.Conn != nil {
		ent = p.shell.Services.Conn.Context()
	}
	return c, ent
}

func adminMemberText(m org.Member) string {
	if m.Phone != "" {
		return m.Name + "（" + m.Phone + "）"
	}
	return m.Name
}

// Reload reads the members, the hand-over kinds and the user's appeals.
func (p *AdminPanel) Reload() {
	c, ent := p.session()
	if c == nil {
		p.Status.SetText(tr("admin.need.signin"))
		p.Status.Show()
		return
	}
	var members []org.Member
	var kinds []org.HandoverKind
	var owner string
	var appeals []org.Appeal
	var entErr error
	p.run(func(ctx context.Context) error {
		var err error
		if appeals, err = c.Appeals(ctx); err != nil {
			return err
		}
		if ent == "" {
			return nil
		}
		me, err := c.Enterprise(ctx, ent)
		if err != nil {
			entErr = err
			return nil
		}
		owner = me.Enterprise.Owner
		if members, err = c.Members(ctx, ent, "", 500); err != nil {
			entErr = err
			return nil
		}
		kinds, _ = c.HandoverKinds(ctx, ent) // refused to members who are not admins: no kinds
		return nil
	}, func(err error) {
		if err != nil {
			p.fail(p.Status, err)
			return
		}
		p.Status.Hide()
		p.showAppeals(appeals)
		if ent == "" {
			p.Owner.SetText(tr("admin.need.enterprise"))
			return
		}
		if entErr != nil {
			p.fail(p.Status, entErr)
			return
		}
		p.Members, p.kinds = members, kinds
		var ownerName string
		var enabled, others []string
		for _, m := range members {
			if m.AccountID == owner {
				ownerName = adminMemberText(m)
				continue
			}
			others = append(others, adminMemberText(m))
			if !m.Disabled {
				enabled = append(enabled, adminMemberText(m))
			}
		}
		p.Owner.SetText(tr("admin.owner.now", map[string]any{"Name": ownerName}))
		p.NewAdmin.SetOptions(enabled)
		p.From.SetOptions(others)
		p.To.SetOptions(enabled)
		var labels []string
		for _, k := range kinds {
			labels = append(labels, k.Label)
		}
		p.Handover.Options, p.Kinds.Options = labels, labels
		p.Handover.Refresh()
		p.Kinds.Refresh()
		for _, l := range []*widget.Label{p.NoKinds, p.noKinds2} {
			if len(labels) == 0 {
				l.Show()
			} else {
				l.Hide()
			}
		}
	})
}

func (p *AdminPanel) memberBy(text string) (org.Member, bool) {
	for _, m := range p.Members {
		if adminMemberText(m) == text {
			return m, true
		}
	}
	return org.Member{}, false
}

func (p *AdminPanel) kindsOf(labels []string) []string {
	var out []string
	for _, k := range p.kinds {
		for _, l := range labels {
			if l == k.Label {
				out = append(out, k.Kind)
			}
		}
	}
	return out
}

func (p *AdminPanel) onSendCodeTapped() {
	c, ent := p.session()
	if c == nil || ent == "" {
		p.fail(p.CodeSent, &inputError{msg: tr("admin.need.enterprise")})
		return
	}
	p.SendCode.Disable()
	var ch org.TransferChallenge
	p.run(func(ctx context.Context) error {
		var err error
		ch, err = c.TransferCode(ctx, ent)
		return err
	}, func(err error) {
		p.SendCode.Enable()
		if err != nil {
			p.fail(p.CodeSent, err)
			return
		}
		p.CodeSent.SetText(tr("admin.code.sent", map[string]any{"To": ch.SentTo, "Until": ch.Expires.Local().Format("15:04")}))
		p.CodeSent.Show()
	})
}

func (p *AdminPanel) onConfirmTapped() {
	c, ent := p.session()
	m, ok := p.memberBy(p.NewAdmin.Selected)
	switch {
	case c == nil || ent == "":
		p.fail(p.TransferDone, &inputError{msg: tr("admin.need.enterprise")})
		return
	case !ok:
		p.fail(p.TransferDone, &inputError{msg: tr("admin.pick.member.first")})
		return
	case len(strings.TrimSpace(p.Code.Text)) != 6:
		p.fail(p.TransferDone, &inputError{msg: tr("admin.code.six")})
		return
	}
	req := org.TransferRequest{Code: strings.TrimSpace(p.Code.Text), To: m.AccountID, Handover: p.kindsOf(p.Handover.Selected)}
	p.Confirm.Disable()
	var res org.AdminChangeResult
	p.run(func(ctx context.Context) error {
		var err error
		res, err = c.Transfer(ctx, ent, req)
		return err
	}, func(err error) {
		p.Confirm.Enable()
		if err != nil {
			p.fail(p.TransferDone, err)
			return
		}
		p.Code.SetText("")
		p.TransferDone.SetText(tr("admin.transfer.done", map[string]any{"Name": adminMemberText(m)}) + movedText(res.Moved, p.kinds))
		p.Reload()
	})
}

func movedText(moved map[string]int, kinds []org.HandoverKind) string {
	var parts []string
	for _, k := range kinds {
		if n, ok := moved[k.Kind]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", k.Label, n))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n" + tr("admin.moved", map[string]any{"List": strings.Join(parts, "、")})
}

func (p *AdminPanel) onHandOverTapped() {
	c, ent := p.session()
	from, ok1 := p.memberBy(p.From.Selected)
	to, ok2 := p.memberBy(p.To.Selected)
	if c == nil || ent == "" || !ok1 || !ok2 {
		p.fail(p.HandOverMsg, &inputError{msg: tr("admin.pick.member.first")})
		return
	}
	then := map[string]string{tr("admin.then.keep"): "", tr("admin.then.disable"): "disable", tr("admin.then.delete"): "delete"}[p.Then.Selected]
	req := org.HandoverRequest{Kinds: p.kindsOf(p.Kinds.Selected), To: to.AccountID, Then: then}
	var res org.AdminChangeResult
	p.run(func(ctx context.Context) error {
		var err error
		res, err = c.HandOver(ctx, ent, from.AccountID, req)
		return err
	}, func(err error) {
		if err != nil {
			p.fail(p.HandOverMsg, err)
			return
		}
		p.HandOverMsg.SetText(tr("admin.handover.done", map[string]any{"From": adminMemberText(from), "To": adminMemberText(to)}) + movedText(res.Moved, p.kinds))
		p.Reload()
	})
}

func (p *AdminPanel) method() string {
	for _, m := range methodKeys {
		if p.Method.Selected == tr("admin.method."+m) {
			return m
		}
	}
	return ""
}

func (p *AdminPanel) onStartAppealTapped() {
	c, _ := p.session()
	if c == nil {
		p.fail(p.AppealMsg, &inputError{msg: tr("admin.need.signin")})
		return
	}
	req := org.AppealRequest{Enterprise: strings.TrimSpace(p.Company.Text), Method: p.method(), ContractID: strings.TrimSpace(p.ContractID.Text),
		PersonName: strings.TrimSpace(p.PersonName.Text), PersonIDNumber: strings.TrimSpace(p.PersonID.Text)}
	if req.Enterprise == "" {
		p.fail(p.AppealMsg, &inputError{msg: tr("admin.appeal.company.required")})
		return
	}
	p.Start.Disable()
	var ap org.Appeal
	p.run(func(ctx context.Context) error {
		var err error
		ap, err = c.StartAppeal(ctx, req)
		return err
	}, func(err error) {
		p.Start.Enable()
		if err != nil {
			p.fail(p.AppealMsg, err)
			return
		}
		p.Current = ap
		p.AppealMsg.SetText(appealText(ap))
		p.Reload()
	})
}

// UploadLetter sends the letter's bytes for the current appeal (the 上传 button reads the file
// named in LetterPath).
func (p *AdminPanel) UploadLetter(data []byte) {
	c, _ := p.session()
	if c == nil || p.Current.ID == "" {
		p.fail(p.AppealMsg, &inputError{msg: tr("admin.appeal.first")})
		return
	}
	id := p.Current.ID
	var ap org.Appeal
	p.run(func(ctx context.Context) error {
		var err error
		ap, err = c.UploadAppealLetter(ctx, id, data)
		return err
	}, func(err error) {
		if err != nil {
			p.fail(p.AppealMsg, err)
			return
		}
		p.Current = ap
		p.AppealMsg.SetText(appealText(ap))
		p.Reload()
	})
}

func (p *AdminPanel) onUploadTapped() {
	path := strings.TrimSpace(p.LetterPath.Text)
	if path == "" {
		p.fail(p.AppealMsg, &inputError{msg: tr("admin.appeal.letter.hint")})
		return
	}
	st, err := os.Stat(path)
	if err == nil && st.Size() > org.MaxPhotoBytes {
		p.fail(p.AppealMsg, &inputError{msg: tr("admin.appeal.letter.large")})
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		p.fail(p.AppealMsg, err)
		return
	}
	p.UploadLetter(data)
}

func (p *AdminPanel) onDepositTapped() {
	c, _ := p.session()
	if c == nil || p.Current.ID == "" {
		p.fail(p.AppealMsg, &inputError{msg: tr("admin.appeal.first")})
		return
	}
	id, amount := p.Current.ID, strings.TrimSpace(p.Amount.Text)
	var ap org.Appeal
	p.run(func(ctx context.Context) error {
		var err error
		ap, err = c.ConfirmDeposit(ctx, id, amount)
		return err
	}, func(err error) {
		if err != nil {
			p.fail(p.AppealMsg, err)
			p.Reload()
			return
		}
		p.Current = ap
		p.AppealMsg.SetText(appealText(ap))
		p.Reload()
	})
}

func appealText(ap org.Appeal) string {
	s := tr("admin.appeal.line", map[string]any{"Company": ap.EnterpriseName, "Method": tr("admin.method." + ap.Method),
		"State": tr("admin.appeal.state." + ap.State)})
	if ap.ContractID != "" {
		s += " · " + tr("admin.appeal.from.contract", map[string]any{"ID": ap.ContractID})
		if ap.State == org.AppealApproved {
			s += " · " + tr("admin.appeal.continue")
		}
	}
	if ap.Reason != "" {
		s += " · " + ap.Reason
	}
	return s
}

func (p *AdminPanel) showAppeals(aps []org.Appeal) {
	if len(aps) == 0 {
		p.Appeals.SetText(tr("admin.appeal.none"))
		return
	}
	var lines []string
	for i := len(aps) - 1; i >= 0; i-- {
		lines = append(lines, aps[i].Created.Local().Format("01-02 15:04")+"  "+appealText(aps[i]))
	}
	p.Appeals.SetText(strings.Join(lines, "\n"))
}
