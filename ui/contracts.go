package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/ui/widgets"
)

// contractsPane is 文件 with a server session: the boxes 待我签 / 待他人签 / 已完成 / 草稿 /
// 已撤回 / 已拒签 / 已逾期 with their counts, a search by subject or person, pages of 20, a
// contract's detail (every recipient's state, the timeline, the files) with the actions the
// caller may take (签署, 拒签, 撤回, 催办, downloads), and the signing view (contractsign.go).
type contractsPane struct {
	shell *Shell
	docs  *DocumentsScreen

	nav      *fyne.Container
	boxBtns  map[string]*widget.Button
	localBtn *widget.Button // 本机文件: the local viewer
	// allCheck is 全部合同: every contract the enterprise sent instead of the caller's own,
	// shown only to members whose role holds org.PermViewAllContracts.
	allCheck *widget.Check
	all      bool   // 全部合同 is on
	allFor   string // the enterprise whose permission was read ("" : none yet)
	canAll   bool   // the member may see all of allFor's contracts

	search    *widget.Entry
	searchBtn *widget.Button
	quick     *widget.Label // what the quick list shows (即将截止签约 / 即将过期)
	status    *widget.Label
	list      *fyne.Container
	rows      []*contractRow
	empty     *fyne.Container
	emptyText *widget.Label
	emptyBtn  *widget.Button
	prev      *widget.Button
	next      *widget.Button
	page      *widget.Label
	listView  fyne.CanvasObject

	detail *contractDetail
	signer *contractSigner
	body   *fyne.Container // the list, a detail or the signing view

	box     string
	filter  string // a quick list (api.FilterDueSoon, api.FilterExpiring) instead of box
	query   string
	afters  []string // the cursor of each page shown so far (afters[0] == "")
	nextTok string
	counts  map[string]int
	gen     int    // answers of older requests are dropped
	notice  string // said once the next list arrives (after 删除 of a draft)
	wg      sync.WaitGroup

	reasonEntry *widget.Entry // the reason dialog's entry shown last (tests)
}

// contractRow is one contract of a box.
type contractRow struct {
	Summary api.EnvelopeSummary
	Row     *tapRow
	Subject *widget.Label
	Parties *widget.Label
	State   *widget.Label
	Sign    *widget.Button // 签署 (待我签 only)
	Resume  *widget.Button // 继续编辑 (草稿 only)
	Delete  *widget.Button // 删除 (草稿 only)
}

// contractPageSize is the number of contracts on a page.
const contractPageSize = 20

func newContractsPane(s *Shell, docs *DocumentsScreen) *contractsPane {
	p := &contractsPane{shell: s, docs: docs, box: api.BoxToSign, boxBtns: map[string]*widget.Button{}, afters: []string{""}}
	p.allCheck = widget.NewCheck(tr("contracts.all"), p.onAllToggled)
	p.allCheck.Hide()
	navItems := []fyne.CanvasObject{p.allCheck}
	for _, b := range api.Boxes {
		b := b
		btn := widget.NewButton(tr("contracts.box."+b), func() { p.showBox(b) })
		btn.Alignment = widget.ButtonAlignLeading
		btn.Importance = widget.LowImportance
		p.boxBtns[b] = btn
		navItems = append(navItems, btn)
	}
	p.localBtn = widget.NewButtonWithIcon(tr("contracts.local"), theme.FolderOpenIcon(), p.onLocalTapped)
	p.localBtn.Alignment = widget.ButtonAlignLeading
	p.localBtn.Importance = widget.LowImportance
	navItems = append(navItems, widget.NewSeparator(), p.localBtn)
	p.nav = container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.NewVBox(navItems...))

	p.search = widget.NewEntry()
	p.search.SetPlaceHolder(tr("contracts.search.placeholder"))
	p.search.OnSubmitted = func(string) { p.onSearch() }
	p.searchBtn = widget.NewButtonWithIcon(tr("contracts.search"), theme.SearchIcon(), p.onSearch)
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.status.Hide()
	p.quick = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.quick.Wrapping = fyne.TextWrapWord
	p.quick.Hide()
	p.list = container.NewVBox()
	p.emptyText = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	p.emptyText.Wrapping = fyne.TextWrapWord
	p.emptyBtn = widget.NewButtonWithIcon(tr("contracts.empty.send"), theme.MailSendIcon(), func() { s.Show(NavSend) })
	p.emptyBtn.Importance = widget.HighImportance
	p.empty = container.NewCenter(container.NewVBox(container.New(widgets.MinWidth(400), p.emptyText), container.NewCenter(p.emptyBtn)))
	p.empty.Hide()
	p.prev = widget.NewButtonWithIcon(tr("contracts.prev"), theme.NavigateBackIcon(), p.onPrev)
	p.next = widget.NewButtonWithIcon(tr("contracts.next"), theme.NavigateNextIcon(), p.onNext)
	p.page = widget.NewLabel("")
	top := container.NewVBox(p.quick, container.NewBorder(nil, nil, nil, p.searchBtn, p.search), p.status)
	bottom := container.NewHBox(layout.NewSpacer(), p.prev, p.page, p.next)
	p.listView = container.NewBorder(top, bottom, nil, nil, container.NewStack(container.NewVScroll(p.list), p.empty))
	p.body = container.NewStack(p.listView)
	p.markBox()
	return p
}

// markBox shows each box's count and which box is open.
func (p *contractsPane) markBox() {
	for b, btn := range p.boxBtns {
		text := tr("contracts.box." + b)
		if p.all {
			if b == api.BoxToSign || b == api.BoxDraft {
				btn.Hide() // the enterprise signs nothing and keeps no drafts
				continue
			}
			if b == api.BoxWaiting {
				text = tr("contracts.box.all.waiting")
			}
		}
		btn.Show()
		if n, ok := p.counts[b]; ok {
			text = fmt.Sprintf("%s (%d)", text, n)
		}
		btn.SetText(text)
		if b == p.box && p.filter == "" && p.body.Objects[0] == p.listView && !p.docs.localShown {
			btn.Importance = widget.HighImportance
		} else {
			btn.Importance = widget.LowImportance
		}
		btn.Refresh()
	}
	if p.docs.localShown {
		p.localBtn.Importance = widget.HighImportance
	} else {
		p.localBtn.Importance = widget.LowImportance
	}
	p.localBtn.Refresh()
}

// onAllToggled switches between the caller's contracts and 全部合同 of the enterprise.
func (p *contractsPane) onAllToggled(on bool) {
	if on == p.all {
		return
	}
	p.all = on
	p.counts = nil
	box := api.BoxToSign
	if on {
		box = api.BoxWaiting
	}
	p.showBox(box)
}

// setCanAll shows 全部合同 when the member may see every contract of enterprise eid (and turns
// it off otherwise).
func (p *contractsPane) setCanAll(eid string, can bool) {
	p.allFor, p.canAll = eid, can
	if can {
		p.allCheck.Show()
		return
	}
	p.allCheck.Hide()
	if p.all {
		p.allCheck.SetChecked(false) // back to the member's own contracts
	}
}

func (p *contractsPane) onLocalTapped() {
	p.docs.showLocal(true)
	p.markBox()
}

// refresh reads the list shown again (the detail and the signing view stay as they are).
func (p *contractsPane) refresh() {
	if p.body.Objects[0] == p.listView {
		p.reload()
	}
}

// showBox shows the first page of a box.
func (p *contractsPane) showBox(box string) {
	p.box, p.filter = box, ""
	p.quick.Hide()
	p.afters = []string{""}
	p.showList()
	p.reload()
}

// showQuick shows the first page of a quick list of 首页 (api.FilterDueSoon: 即将截止签约,
// api.FilterExpiring: 即将过期), soonest first.
func (p *contractsPane) showQuick(filter string) {
	if p.all {
		p.allCheck.SetChecked(false) // the quick lists are the member's own contracts
	}
	p.filter = filter
	p.quick.SetText(tr("contracts.quick."+filter, map[string]any{"Days": api.DefaultDueDays}))
	p.quick.Show()
	p.afters = []string{""}
	p.showList()
	p.reload()
}

func (p *contractsPane) showList() {
	p.docs.showLocal(false)
	p.body.Objects = []fyne.CanvasObject{p.listView}
	p.body.Refresh()
	p.markBox()
}

func (p *contractsPane) onSearch() {
	p.query = strings.TrimSpace(p.search.Text)
	p.afters = []string{""}
	p.reload()
}

func (p *contractsPane) onNext() {
	if p.nextTok == "" {
		return
	}
	p.afters = append(p.afters, p.nextTok)
	p.reload()
}

func (p *contractsPane) onPrev() {
	if len(p.afters) <= 1 {
		return
	}
	p.afters = p.afters[:len(p.afters)-1]
	p.reload()
}

func (p *contractsPane) say(text string, danger bool) {
	p.status.SetText(text)
	p.status.Importance = widget.MediumImportance
	if danger {
		p.status.Importance = widget.DangerImportance
	}
	if text == "" {
		p.status.Hide()
	} else {
		p.status.Show()
	}
	p.status.Refresh()
}

// reload reads the page shown (and every box's count) in the background; in an enterprise
// context it also reads whether the member may see 全部合同.
func (p *contractsPane) reload() {
	c := p.shell.client()
	if c == nil {
		return
	}
	eid := ""
	if p.shell.Services.Conn != nil {
		eid = p.shell.Services.Conn.Context()
	}
	if p.all && (eid == "" || eid != p.allFor) {
		p.setCanAll(eid, false) // the context changed: the member's own contracts again
	}
	p.gen++
	gen, box, filter, q, after, all, askPerm := p.gen, p.box, p.filter, p.query, p.afters[len(p.afters)-1], p.all, eid != p.allFor
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		can, permErr := false, error(nil)
		if askPerm && eid != "" {
			var me org.MyEnterprise
			if me, permErr = c.Enterprise(ctx, eid); permErr == nil {
				can = slices.Contains(me.Permissions, org.PermViewAllContracts)
			}
		}
		opts := client.ListOptions{Box: box, Filter: filter, Query: q, After: after, Limit: contractPageSize}
		var l api.EnvelopeList
		var err error
		if all && filter == "" {
			l, err = c.EnterpriseEnvelopes(ctx, eid, opts)
		} else {
			l, err = c.Envelopes(ctx, opts)
		}
		if err == nil && p.shell.accountID() == "" {
			if me, merr := c.Me(ctx); merr == nil {
				p.shell.setAccount(c, me.ID)
			}
		}
		uiDoWait(func() {
			if askPerm && permErr == nil {
				p.setCanAll(eid, can)
			}
			if gen != p.gen {
				return
			}
			if err != nil {
				p.say(tr("contracts.err.list", map[string]any{"Reason": errMessage(err)}), true)
				return
			}
			p.say(p.notice, false)
			p.notice = ""
			p.counts = l.Counts
			p.nextTok = l.Next
			p.showRows(l.Items)
			p.markBox()
			if !all {
				p.shell.countsChanged(l.Counts)
			}
		})
	}()
}

func (p *contractsPane) showRows(items []api.EnvelopeSummary) {
	if p.box == api.BoxDraft && p.filter == "" {
		items = append(items, p.localDraftRows(items)...)
	}
	p.rows = nil
	p.list.Objects = nil
	for _, it := range items {
		r := p.newRow(it)
		p.rows = append(p.rows, r)
		p.list.Add(r.Row)
		p.list.Add(widget.NewSeparator())
	}
	p.list.Refresh()
	if len(items) == 0 {
		switch {
		case p.query != "":
			p.emptyText.SetText(tr("contracts.empty.search", map[string]any{"Query": p.query}))
		case p.filter != "":
			p.emptyText.SetText(tr("contracts.empty."+p.filter, map[string]any{"Days": api.DefaultDueDays}))
		case p.all:
			p.emptyText.SetText(tr("contracts.empty.all"))
		default:
			p.emptyText.SetText(tr("contracts.empty." + p.box))
		}
		p.empty.Show()
	} else {
		p.empty.Hide()
	}
	p.page.SetText(tr("contracts.page", map[string]any{"N": len(p.afters)}))
	if len(p.afters) > 1 {
		p.prev.Enable()
	} else {
		p.prev.Disable()
	}
	if p.nextTok != "" {
		p.next.Enable()
	} else {
		p.next.Disable()
	}
}

func (p *contractsPane) newRow(it api.EnvelopeSummary) *contractRow {
	r := &contractRow{Summary: it}
	r.Subject = widget.NewLabelWithStyle(it.Subject, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.Subject.Truncation = fyne.TextTruncateEllipsis
	r.Parties = widget.NewLabel(tr("contracts.row.parties", map[string]any{"Sender": it.SenderName, "Parties": strings.Join(it.Parties, "、")}))
	r.Parties.Truncation = fyne.TextTruncateEllipsis
	state := tr("contracts.status."+it.Status) + " · " + tr("contracts.row.progress", map[string]any{"Signed": it.Signed, "Signers": it.Signers})
	when := it.Updated.Local().Format("2006-01-02 15:04")
	switch p.filter {
	case api.FilterDueSoon:
		when = tr("contracts.row.deadline", map[string]any{"Date": it.Deadline.Local().Format("2006-01-02 15:04")})
	case api.FilterExpiring:
		when = tr("contracts.row.valid", map[string]any{"Date": it.ValidUntil.Local().Format("2006-01-02")})
	}
	r.State = widget.NewLabel(state + "  " + when)
	var right fyne.CanvasObject = r.State
	if it.Box == api.BoxToSign {
		r.Sign = widget.NewButtonWithIcon(tr("contracts.sign"), theme.DocumentCreateIcon(), func() { p.openSigning(it.ID) })
		r.Sign.Importance = widget.HighImportance
		right = container.NewHBox(container.NewCenter(r.State), container.NewCenter(r.Sign))
	}
	if it.Box == api.BoxDraft || it.Status == api.EnvelopeDraft {
		right = p.draftButtons(r)
	}
	open := func() { p.openDetail(it.ID) }
	if it.Status == api.EnvelopeDraft {
		open = func() { p.onDraftResume(it) }
	}
	r.Row = newTapRow(container.NewBorder(nil, nil, nil, right, container.NewVBox(r.Subject, r.Parties)), open)
	return r
}

// openDetail reads a contract and shows its detail.
func (p *contractsPane) openDetail(id string) {
	c := p.shell.client()
	if c == nil {
		return
	}
	p.say(tr("contracts.loading"), false)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		env, err := c.Envelope(ctx, id)
		uiDoWait(func() {
			if err != nil {
				p.say(tr("contracts.err.open", map[string]any{"Reason": errMessage(err)}), true)
				return
			}
			p.say("", false)
			p.showDetail(env, "")
		})
	}()
}

func (p *contractsPane) showDetail(env api.Envelope, msg string) {
	p.docs.showLocal(false)
	p.detail = newContractDetail(p, env)
	if msg != "" {
		p.detail.say(msg, false)
	}
	p.body.Objects = []fyne.CanvasObject{p.detail.root}
	p.body.Refresh()
	p.markBox()
}

// openSigning reads a contract and opens the signing view on it.
func (p *contractsPane) openSigning(id string) {
	c := p.shell.client()
	if c == nil {
		return
	}
	p.say(tr("contracts.loading"), false)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		env, err := c.Envelope(ctx, id)
		uiDoWait(func() {
			if err != nil {
				p.say(tr("contracts.err.open", map[string]any{"Reason": errMessage(err)}), true)
				return
			}
			p.say("", false)
			p.showSigning(env)
		})
	}()
}

func (p *contractsPane) showSigning(env api.Envelope) {
	p.docs.showLocal(false)
	p.signer = newContractSigner(p, env)
	p.body.Objects = []fyne.CanvasObject{p.signer.root}
	p.body.Refresh()
	p.markBox()
	p.signer.start()
}

// ----- the detail -----

// contractDetail is one contract: its subject and state, every recipient's state, the files with
// their downloads, the timeline, and the caller's actions.
type contractDetail struct {
	p   *contractsPane
	env api.Envelope

	backBtn     *widget.Button
	signBtn     *widget.Button
	declineBtn  *widget.Button
	withdrawBtn *widget.Button
	remindBtn   *widget.Button
	reportBtn   *widget.Button
	msg         *widget.Label
	Amount      *widget.Label // 合同金额 (when named)
	Recipients  []*widget.Label
	Steps       []*widget.Label
	Downloads   []*widget.Button
	root        fyne.CanvasObject
}

func newContractDetail(p *contractsPane, env api.Envelope) *contractDetail {
	d := &contractDetail{p: p, env: env}
	d.backBtn = widget.NewButtonWithIcon(tr("contracts.back"), theme.NavigateBackIcon(), func() { p.showList(); p.reload() })
	title := widget.NewLabelWithStyle(env.Subject, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	status := widget.NewLabel(tr("contracts.status." + env.Status))
	status.Importance = statusImportance(env.Status)
	d.msg = widget.NewLabel("")
	d.msg.Wrapping = fyne.TextWrapWord
	d.msg.Hide()

	me := env.YourRecipient
	open := env.Status == api.EnvelopeInProgress
	mine := me >= 0 && me < len(env.Recipients) && env.Recipients[me].State == api.RecipientToSign
	isSender := !env.ViewOnly && (env.Box != api.BoxToSign && me < 0 || p.isSender(env))
	d.signBtn = widget.NewButtonWithIcon(tr("contracts.sign"), theme.DocumentCreateIcon(), func() { p.showSigning(d.env) })
	d.signBtn.Importance = widget.HighImportance
	d.declineBtn = widget.NewButtonWithIcon(tr("contracts.decline"), theme.CancelIcon(), d.onDeclineTapped)
	d.withdrawBtn = widget.NewButtonWithIcon(tr("contracts.withdraw"), theme.ContentUndoIcon(), d.onWithdrawTapped)
	d.remindBtn = widget.NewButtonWithIcon(tr("contracts.remind"), theme.MailSendIcon(), d.onRemindTapped)
	d.reportBtn = widget.NewButtonWithIcon(tr("contracts.report"), theme.DownloadIcon(), d.onReportTapped)
	var actions []fyne.CanvasObject
	if open && mine {
		actions = append(actions, d.signBtn, d.declineBtn)
	}
	if open && isSender {
		actions = append(actions, d.remindBtn, d.withdrawBtn)
	}
	if env.Status == api.EnvelopeCompleted {
		actions = append(actions, d.reportBtn)
	}

	info := widget.NewForm(
		widget.NewFormItem(tr("contracts.sender"), widget.NewLabel(env.SenderName)),
		widget.NewFormItem(tr("contracts.sent"), widget.NewLabel(timeText(env.Sent))),
	)
	if !env.Deadline.IsZero() {
		info.Append(tr("contracts.deadline"), widget.NewLabel(env.Deadline.Local().Format("2006-01-02")))
	}
	if !env.ValidUntil.IsZero() {
		info.Append(tr("contracts.valid"), widget.NewLabel(env.ValidUntil.Local().Format("2006-01-02")))
	}
	if env.Amount > 0 {
		d.Amount = widget.NewLabel(tr("contracts.amount.value", map[string]any{"V": envelope.FormatAmount(env.Amount)}))
		info.Append(tr("contracts.amount"), d.Amount)
	}
	if env.Remark != "" {
		l := widget.NewLabel(env.Remark)
		l.Wrapping = fyne.TextWrapWord
		info.Append(tr("contracts.remark"), l)
	}
	if env.Reason != "" {
		l := widget.NewLabel(env.Reason)
		l.Wrapping = fyne.TextWrapWord
		info.Append(tr("contracts.reason"), l)
	}
	order := tr("contracts.order." + env.Order)

	files := container.NewVBox()
	for _, doc := range env.Documents {
		doc := doc
		version, label := client.VersionCurrent, tr("contracts.download")
		if env.Status == api.EnvelopeCompleted && doc.Final != "" {
			version, label = client.VersionFinal, tr("contracts.download.final")
		}
		dl := widget.NewButtonWithIcon(label, theme.DownloadIcon(), func() { d.download(doc, version) })
		view := widget.NewButtonWithIcon(tr("contracts.preview"), theme.VisibilityIcon(), func() { d.preview(doc, version) })
		d.Downloads = append(d.Downloads, dl)
		name := widget.NewLabel(tr("contracts.doc", map[string]any{"Name": doc.Name, "Pages": doc.Pages}))
		name.Truncation = fyne.TextTruncateEllipsis
		files.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), container.NewHBox(view, dl), name))
	}

	people := container.NewVBox()
	signers := 0
	for i, r := range env.Recipients {
		num := "—"
		if r.Kind != api.RecipientCC {
			signers++
			num = fmt.Sprint(signers)
		}
		who := recipientLabel(draftRecipient{Kind: r.Kind, Name: r.Name, Company: r.Company})
		if i == me {
			who += tr("contracts.you")
		}
		state := tr("contracts.rstate." + r.State)
		if !r.SignedAt.IsZero() {
			state += " " + r.SignedAt.Local().Format("2006-01-02 15:04")
		}
		if r.Reason != "" {
			state += "：" + r.Reason
		}
		if r.Kind == api.RecipientCompany {
			state += "  " + sealNote(env, i)
		}
		l := widget.NewLabel(fmt.Sprintf("%s  %s  %s", num, who, state))
		l.Wrapping = fyne.TextWrapWord
		l.Importance = rstateImportance(r.State)
		d.Recipients = append(d.Recipients, l)
		people.Add(l)
	}

	steps := container.NewVBox()
	for _, st := range env.Steps {
		text := st.Time.Local().Format("2006-01-02 15:04:05") + "  " + stepText(env, st)
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		d.Steps = append(d.Steps, l)
		steps.Add(l)
	}
	if len(env.Steps) == 0 {
		steps.Add(widget.NewLabel(tr("contracts.steps.none")))
	}

	bold := func(key string) *widget.Label {
		return widget.NewLabelWithStyle(tr(key), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	body := container.NewVBox(info, widget.NewSeparator(),
		bold("contracts.files"), files, widget.NewSeparator(),
		container.NewHBox(bold("contracts.recipients"), widget.NewLabel(order)), people, widget.NewSeparator(),
		bold("contracts.timeline"), steps)
	top := container.NewVBox(container.NewBorder(nil, nil, d.backBtn, status, title), d.msg, widget.NewSeparator())
	bottom := container.NewVBox(widget.NewSeparator(), container.NewHBox(append([]fyne.CanvasObject{layout.NewSpacer()}, actions...)...))
	d.root = container.NewBorder(top, bottom, nil, nil, container.NewVScroll(container.NewPadded(body)))
	return d
}

// isSender reports whether the signed-in account sent env.
func (p *contractsPane) isSender(env api.Envelope) bool {
	return p.shell.accountID() != "" && p.shell.accountID() == env.SenderID
}

func (d *contractDetail) say(text string, danger bool) {
	d.msg.SetText(text)
	d.msg.Importance = widget.MediumImportance
	if danger {
		d.msg.Importance = widget.DangerImportance
	}
	d.msg.Show()
	d.msg.Refresh()
}

func statusImportance(s string) widget.Importance {
	switch s {
	case api.EnvelopeCompleted:
		return widget.SuccessImportance
	case api.EnvelopeDeclined, api.EnvelopeExpired, api.EnvelopeWithdrawn:
		return widget.DangerImportance
	}
	return widget.MediumImportance
}

func rstateImportance(s string) widget.Importance {
	switch s {
	case api.RecipientSigned:
		return widget.SuccessImportance
	case api.RecipientDeclined:
		return widget.DangerImportance
	case api.RecipientToSign:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// stepNote translates the server's notes on a step (written in Chinese into the audit trail,
// core/envelope) that the desktop knows; other notes are shown as written.
func stepNote(note string) string {
	for _, n := range []struct{ prefix, key, name string }{
		{"二维码、签署位置与平台签名", "contracts.note.prepared", ""},
		{"文档时间戳（B-LTA）与验证数据", "contracts.note.timestamped", ""},
		{"超过签署截止时间 ", "contracts.note.deadline", "Time"},
		{"发起方由 ", "contracts.note.handover.sender", "Name"},
		{"经办人由 ", "contracts.note.handover.handler", "Name"},
	} {
		rest, ok := strings.CutPrefix(note, n.prefix)
		if !ok || (n.name == "" && rest != "") {
			continue
		}
		if n.name == "" {
			return tr(n.key)
		}
		rest = strings.TrimSuffix(rest, " 转交")
		if n.name == "Time" {
			if t, err := time.Parse(time.RFC3339, rest); err == nil {
				rest = t.Local().Format("2006-01-02 15:04")
			}
		}
		return tr(n.key, map[string]any{n.name: rest})
	}
	return note
}

// stepText is a timeline line in words: 张三 签署了 采购合同.pdf.
func stepText(env api.Envelope, st api.Step) string {
	who := st.Name
	if who == "" && st.Recipient >= 0 && st.Recipient < len(env.Recipients) {
		r := env.Recipients[st.Recipient]
		who = recipientLabel(draftRecipient{Kind: r.Kind, Name: r.Name, Company: r.Company})
	}
	if who == "" {
		who = tr("contracts.step.server")
	}
	doc := ""
	if st.Document >= 0 && st.Document < len(env.Documents) {
		doc = env.Documents[st.Document].Name
	}
	action := tr("contracts.step." + st.Action)
	if action == "contracts.step."+st.Action {
		action = st.Action
	}
	out := who + " " + action
	if doc != "" {
		out += " " + doc
	}
	if st.Note != "" {
		out += "（" + stepNote(st.Note) + "）"
	}
	if st.Seal != "" {
		out += "  " + tr("contracts.step.seal", map[string]any{"Seal": st.Seal})
	}
	if st.Device != "" {
		out += " · " + st.Device
	}
	return out
}

// sealNote says which seal company recipient k used (盖章：合同专用章, from the steps of their
// signatures) or, before they signed, that their company's seal is required.
func sealNote(env api.Envelope, k int) string {
	var seals []string
	for _, st := range env.Steps {
		if st.Recipient == k && st.Action == "signed" && st.Seal != "" && !slices.Contains(seals, st.Seal) {
			seals = append(seals, st.Seal)
		}
	}
	if len(seals) > 0 {
		return tr("contracts.step.seal", map[string]any{"Seal": strings.Join(seals, "、")})
	}
	return tr("contracts.seal.required", map[string]any{"Company": strings.TrimSpace(env.Recipients[k].Company)})
}

// askReason asks for the reason of 拒签 or 撤回 (required, ≤ 200 characters) and runs do with it.
func (p *contractsPane) askReason(title, confirm string, do func(reason string)) {
	e := widget.NewMultiLineEntry()
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(3)
	e.Validator = func(s string) error {
		n := len([]rune(strings.TrimSpace(s)))
		if n == 0 {
			return inputErr("contracts.err.reason.empty")
		}
		if n > 200 {
			return inputErr("contracts.err.reason.long", map[string]any{"Max": 200, "Len": n})
		}
		return nil
	}
	dlg := dialog.NewForm(title, confirm, tr("common.cancel"), []*widget.FormItem{{Text: tr("contracts.reason"), Widget: e}}, func(ok bool) {
		if ok {
			do(strings.TrimSpace(e.Text))
		}
	}, p.shell.Window)
	dlg.Resize(fyne.NewSize(min(520, p.shell.Window.Canvas().Size().Width-40), 280))
	dlg.Show()
	p.shell.Window.Canvas().Focus(e)
	p.reasonEntry = e
}

// act runs an action on the contract in the background and shows the detail again with its
// answer.
func (d *contractDetail) act(done string, f func(ctx context.Context, c *client.Client) (api.Envelope, error)) {
	c := d.p.shell.client()
	if c == nil {
		return
	}
	d.say(tr("contracts.working"), false)
	d.p.wg.Add(1)
	go func() {
		defer d.p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		env, err := f(ctx, c)
		uiDoWait(func() {
			if err != nil {
				d.say(errMessage(err), true)
				return
			}
			d.p.showDetail(env, done)
			d.p.shell.contractsChanged()
		})
	}()
}

func (d *contractDetail) onDeclineTapped() {
	d.p.askReason(tr("contracts.decline.title"), tr("contracts.decline"), func(reason string) {
		key := client.NewIdempotencyKey()
		d.act(tr("contracts.declined"), func(ctx context.Context, c *client.Client) (api.Envelope, error) {
			return c.Decline(ctx, key, d.env.ID, reason)
		})
	})
}

func (d *contractDetail) onWithdrawTapped() {
	d.p.askReason(tr("contracts.withdraw.title"), tr("contracts.withdraw"), func(reason string) {
		key := client.NewIdempotencyKey()
		d.act(tr("contracts.withdrawn"), func(ctx context.Context, c *client.Client) (api.Envelope, error) {
			return c.Withdraw(ctx, key, d.env.ID, reason)
		})
	})
}

func (d *contractDetail) onRemindTapped() {
	d.act(tr("contracts.reminded"), func(ctx context.Context, c *client.Client) (api.Envelope, error) {
		return c.Remind(ctx, d.env.ID)
	})
}

// download asks where to save a document (the final PDF once completed) and writes it there.
func (d *contractDetail) download(doc api.Document, version string) {
	name := strings.TrimSuffix(doc.Name, filepath.Ext(doc.Name))
	suffix := tr("contracts.suffix." + version)
	d.p.shell.chooseSave(tr("contracts.download"), filepath.Join(documentsDir(), name+suffix+".pdf"), "", nil, func(out string) {
		d.fetchTo(out, func(ctx context.Context, c *client.Client) ([]byte, error) {
			return c.EnvelopeDocument(ctx, d.env.ID, doc.Index, version)
		})
	})
}

func (d *contractDetail) onReportTapped() {
	d.p.shell.chooseSave(tr("contracts.report"), filepath.Join(documentsDir(), d.env.Subject+tr("contracts.suffix.report")+".pdf"), "", nil, func(out string) {
		d.fetchTo(out, func(ctx context.Context, c *client.Client) ([]byte, error) {
			return c.EnvelopeReport(ctx, d.env.ID)
		})
	})
}

// fetchTo downloads in the background and writes out through a temporary file.
func (d *contractDetail) fetchTo(out string, get func(ctx context.Context, c *client.Client) ([]byte, error)) {
	c := d.p.shell.client()
	if c == nil {
		return
	}
	d.say(tr("contracts.downloading"), false)
	d.p.wg.Add(1)
	go func() {
		defer d.p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		b, err := get(ctx, c)
		if err == nil {
			err = writeFileAtomic(out, b)
		}
		uiDoWait(func() {
			if err != nil {
				d.say(tr("contracts.err.download", map[string]any{"Reason": errMessage(err)}), true)
				return
			}
			recordRecent(d.p.shell, out, RecentViewed)
			d.say(tr("contracts.downloaded", map[string]any{"Path": out}), false)
		})
	}()
}

// preview downloads a document into the contracts cache and shows it in the viewer.
func (d *contractDetail) preview(doc api.Document, version string) {
	dir := d.p.cacheDir(d.env.ID)
	out := filepath.Join(dir, fmt.Sprintf("%d-%s.pdf", doc.Index, version))
	c := d.p.shell.client()
	if c == nil {
		return
	}
	env := d.env
	d.say(tr("contracts.downloading"), false)
	d.p.wg.Add(1)
	go func() {
		defer d.p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		b, err := c.EnvelopeDocument(ctx, env.ID, doc.Index, version)
		if err == nil {
			if err = os.MkdirAll(dir, 0o700); err == nil {
				err = writeFileAtomic(out, b)
			}
		}
		uiDoWait(func() {
			if err != nil {
				d.say(tr("contracts.err.download", map[string]any{"Reason": errMessage(err)}), true)
				return
			}
			d.p.docs.openFromContract(out, func() { d.p.showDetail(env, "") })
		})
	}()
}

// cacheDir is where a contract's downloaded documents are kept (the data folder's contracts/).
func (p *contractsPane) cacheDir(id string) string {
	base := os.TempDir()
	if d := p.shell.profileDir(); d != "" {
		base = d
	}
	return filepath.Join(base, "contracts", id)
}
