package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
)

// ApprovalsScreen is 审批管理: 需要我审批 (approve or reject with a comment), 我已审批, 我发起的 (submit
// a draft or a seal use for approval, withdraw a request) and 审批规则 (for members holding
// approvals.manage). The server decides everything; the screen shows its answers and refusals.
type ApprovalsScreen struct {
	shell *Shell

	Tabs   *container.AppTabs
	Status *widget.Label
	Boxes  map[string]*ApprovalBox
	Rules  *ApprovalRules

	// The dialogs shown last (tests).
	Decide     *DecideDialog
	Submit     *SubmitDialog
	RuleEditor *RuleDialog

	content fyne.CanvasObject
	wg      sync.WaitGroup
	gen     int // the newest reload; older answers are dropped
}

// ApprovalBox is one list of approvals with the detail of the selected one.
type ApprovalBox struct {
	box      string
	Items    []api.Approval
	List     *widget.List
	Empty    *fyne.Container
	EmptyMsg *widget.Label
	Detail   *widget.Label
	Approve  *widget.Button
	Reject   *widget.Button
	Withdraw *widget.Button
	New      *widget.Button // 提交审批 (mine)
	Selected int
	content  fyne.CanvasObject
	split    *container.Split
	top      *widget.Button // 提交审批 above the list (mine)
}

// setEmpty shows the invitation instead of the list and its detail, or the other way round.
func (b *ApprovalBox) setEmpty(empty bool) {
	if empty {
		b.split.Hide()
		b.Empty.Show()
		if b.top != nil {
			b.top.Hide()
		}
		return
	}
	b.Empty.Hide()
	b.split.Show()
	if b.top != nil {
		b.top.Show()
	}
}

func newApprovalsScreen(s *Shell) Screen {
	sc := &ApprovalsScreen{shell: s, Boxes: map[string]*ApprovalBox{}}
	sc.Status = widget.NewLabel("")
	sc.Status.Wrapping = fyne.TextWrapWord
	sc.Status.Hide()
	sc.Tabs = container.NewAppTabs()
	for _, b := range []string{api.ApprovalBoxTodo, api.ApprovalBoxDone, api.ApprovalBoxMine} {
		box := sc.newBox(b)
		sc.Boxes[b] = box
		sc.Tabs.Append(container.NewTabItem(tr("approvals.box."+b), box.content))
	}
	sc.Rules = sc.newRules()
	sc.Tabs.Append(container.NewTabItem(tr("approvals.rules"), sc.Rules.content))
	sc.Tabs.OnSelected = func(*container.TabItem) { sc.Reload() }
	sc.content = container.NewBorder(sc.Status, nil, nil, nil, sc.Tabs)
	return sc
}

// Content implements Screen.
func (sc *ApprovalsScreen) Content() fyne.CanvasObject { return sc.content }

func (sc *ApprovalsScreen) shown()          { sc.Reload() }
func (sc *ApprovalsScreen) sessionChanged() { sc.Reload() }

// Wait waits for the server calls in flight and applies their results (tests).
func (sc *ApprovalsScreen) Wait() { workers.drain(&sc.wg) }

// enterprise returns the client and the enterprise the user works in, or says why not.
func (sc *ApprovalsScreen) enterprise() (*client.Client, string, bool) {
	c := sc.shell.client()
	if c == nil || sc.shell.Services.Conn == nil || sc.shell.Services.Conn.Context() == "" {
		sc.Status.SetText(tr("approvals.need.enterprise"))
		sc.Status.Show()
		return nil, "", false
	}
	return c, sc.shell.Services.Conn.Context(), true
}

func (sc *ApprovalsScreen) fail(err error) {
	sc.Status.SetText(errMessage(err))
	sc.Status.Show()
}

func (sc *ApprovalsScreen) newBox(box string) *ApprovalBox {
	b := &ApprovalBox{box: box, Selected: -1}
	b.Detail = widget.NewLabel("")
	b.Detail.Wrapping = fyne.TextWrapWord
	b.Approve = widget.NewButtonWithIcon(tr("approvals.approve"), theme.ConfirmIcon(), func() { sc.openDecide(b, true) })
	b.Approve.Importance = widget.HighImportance
	b.Reject = widget.NewButtonWithIcon(tr("approvals.reject"), theme.CancelIcon(), func() { sc.openDecide(b, false) })
	b.Withdraw = widget.NewButton(tr("approvals.withdraw"), func() { sc.onWithdraw(b) })
	b.Approve.Hide()
	b.Reject.Hide()
	b.Withdraw.Hide()
	b.List = widget.NewList(func() int { return len(b.Items) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(b.Items) {
				o.(*widget.Label).SetText(approvalLine(b.Items[i]))
			}
		})
	b.List.OnSelected = func(i widget.ListItemID) { b.Selected = i; b.showDetail() }
	b.EmptyMsg = widget.NewLabel(tr("approvals.empty." + box))
	b.EmptyMsg.Wrapping = fyne.TextWrapWord
	b.EmptyMsg.Alignment = fyne.TextAlignCenter
	var next fyne.CanvasObject = widget.NewLabel("")
	switch box {
	case api.ApprovalBoxMine:
		b.New = widget.NewButtonWithIcon(tr("approvals.submit"), theme.ContentAddIcon(), sc.openSubmit)
		b.New.Importance = widget.HighImportance
		next = container.NewCenter(b.New)
	case api.ApprovalBoxTodo:
		rules := widget.NewButton(tr("approvals.rules.open"), func() { sc.Tabs.SelectIndex(3) })
		next = container.NewCenter(rules)
	}
	b.Empty = container.NewVBox(layoutSpacer(), b.EmptyMsg, next)
	actions := container.NewHBox(b.Approve, b.Reject, b.Withdraw)
	detail := container.NewBorder(nil, actions, nil, nil, container.NewVScroll(b.Detail))
	b.split = container.NewHSplit(b.List, detail)
	b.split.Offset = 0.45
	var top fyne.CanvasObject
	if b.New != nil {
		b.top = widget.NewButtonWithIcon(tr("approvals.submit"), theme.ContentAddIcon(), sc.openSubmit)
		top = container.NewBorder(nil, nil, nil, b.top)
	}
	b.content = container.NewBorder(top, nil, nil, nil, container.NewStack(b.split, b.Empty))
	b.setEmpty(true)
	return b
}

func layoutSpacer() fyne.CanvasObject {
	r := widget.NewLabel("")
	return r
}

func kindLabel(kind string) string { return tr("approvals.kind." + kind) }

func statusLabel(st string) string { return tr("approvals.status." + st) }

func approvalLine(a api.Approval) string {
	line := fmt.Sprintf("%s  %s · %s · %s", a.Created.Local().Format("01-02 15:04"), statusLabel(a.Status), kindLabel(a.Kind), a.Subject)
	if a.SealName != "" {
		line += " · " + a.SealName
	}
	return line
}

func yuan(fen int64) string {
	return strconv.FormatFloat(float64(fen)/100, 'f', 2, 64)
}

func (b *ApprovalBox) showDetail() {
	b.Approve.Hide()
	b.Reject.Hide()
	b.Withdraw.Hide()
	if b.Selected < 0 || b.Selected >= len(b.Items) {
		b.Detail.SetText(tr("approvals.pick"))
		return
	}
	a := b.Items[b.Selected]
	lines := []string{
		tr("approvals.d.subject", map[string]any{"V": a.Subject}),
		tr("approvals.d.kind", map[string]any{"V": kindLabel(a.Kind), "Rule": a.RuleName}),
		tr("approvals.d.status", map[string]any{"V": statusLabel(a.Status)}),
		tr("approvals.d.requester", map[string]any{"V": a.RequesterName, "Time": a.Created.Local().Format("2006-01-02 15:04")}),
	}
	if a.Amount > 0 {
		lines = append(lines, tr("approvals.d.amount", map[string]any{"V": yuan(a.Amount)}))
	}
	if len(a.Parties) > 0 {
		lines = append(lines, tr("approvals.d.parties", map[string]any{"V": strings.Join(a.Parties, "、")}))
	}
	if a.SealName != "" {
		lines = append(lines, tr("approvals.d.seal", map[string]any{"V": a.SealName}))
	}
	if a.Note != "" {
		lines = append(lines, tr("approvals.d.note", map[string]any{"V": a.Note}))
	}
	lines = append(lines, tr("approvals.d.approvers", map[string]any{"V": strings.Join(a.ApproverNames, "、")}))
	if !a.Decided.IsZero() {
		who := a.DeciderName
		if who == "" {
			who = a.RequesterName
		}
		lines = append(lines, tr("approvals.d.decided", map[string]any{"V": who, "Time": a.Decided.Local().Format("2006-01-02 15:04"), "Status": statusLabel(a.Status)}))
	}
	if a.Comment != "" {
		lines = append(lines, tr("approvals.d.comment", map[string]any{"V": a.Comment}))
	}
	b.Detail.SetText(strings.Join(lines, "\n"))
	if a.CanDecide {
		b.Approve.Show()
		b.Reject.Show()
	}
	if b.box == api.ApprovalBoxMine && a.Status == api.ApprovalPending {
		b.Withdraw.Show()
	}
}

// Reload reads the selected tab from the server.
func (sc *ApprovalsScreen) Reload() {
	c, ent, ok := sc.enterprise()
	if !ok {
		return
	}
	sc.Status.Hide()
	if sc.Tabs.SelectedIndex() == 3 {
		sc.reloadRules(c, ent)
		return
	}
	box := []string{api.ApprovalBoxTodo, api.ApprovalBoxDone, api.ApprovalBoxMine}[max(0, sc.Tabs.SelectedIndex())]
	b := sc.Boxes[box]
	sc.gen++
	gen := sc.gen
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		items, err := c.Approvals(ctx, ent, box)
		uiDo(func() {
			if gen != sc.gen {
				return
			}
			if err != nil {
				sc.fail(err)
				return
			}
			b.Items = items
			b.Selected = -1
			b.List.UnselectAll()
			b.List.Refresh()
			b.setEmpty(len(items) == 0)
			if len(items) > 0 {
				b.List.Select(0)
			}
			b.showDetail()
		})
	}()
}

// --- approve / reject ---------------------------------------------------------------------------

// DecideDialog asks for the comment (审批意见) of an approval or a rejection.
type DecideDialog struct {
	Approve bool
	Comment *widget.Entry
	Err     *widget.Label
	Confirm *widget.Button
	Cancel  *widget.Button
	pop     *widget.PopUp
}

func (sc *ApprovalsScreen) openDecide(b *ApprovalBox, approve bool) {
	if b.Selected < 0 || b.Selected >= len(b.Items) {
		return
	}
	a := b.Items[b.Selected]
	d := &DecideDialog{Approve: approve}
	d.Comment = widget.NewMultiLineEntry()
	d.Comment.SetPlaceHolder(tr(map[bool]string{true: "approvals.comment.optional", false: "approvals.comment.required"}[approve]))
	d.Comment.SetMinRowsVisible(3)
	d.Err = widget.NewLabel("")
	d.Err.Wrapping = fyne.TextWrapWord
	d.Err.Importance = widget.DangerImportance
	d.Err.Hide()
	title := tr(map[bool]string{true: "approvals.approve.title", false: "approvals.reject.title"}[approve], map[string]any{"V": a.Subject})
	d.Cancel = widget.NewButton(tr("common.cancel"), func() { d.pop.Hide() })
	d.Confirm = widget.NewButton(tr(map[bool]string{true: "approvals.approve", false: "approvals.reject"}[approve]), func() {
		c, ent, ok := sc.enterprise()
		if !ok {
			return
		}
		comment := d.Comment.Text
		d.Confirm.Disable()
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := c.DecideApproval(ctx, ent, a.ID, approve, comment)
			uiDo(func() {
				d.Confirm.Enable()
				if err != nil {
					d.Err.SetText(errMessage(err))
					d.Err.Show()
					return
				}
				d.pop.Hide()
				sc.Status.SetText(tr(map[bool]string{true: "approvals.approved", false: "approvals.rejected"}[approve], map[string]any{"V": a.Subject}))
				sc.Status.Show()
				sc.Reload()
			})
		}()
	})
	d.Confirm.Importance = widget.HighImportance
	if !approve {
		d.Confirm.Importance = widget.DangerImportance
	}
	body := container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel(tr("approvals.comment")), d.Comment, d.Err, container.NewHBox(layoutSpacer(), d.Cancel, d.Confirm))
	d.pop = widget.NewModalPopUp(container.NewPadded(container.NewGridWrap(fyne.NewSize(460, body.MinSize().Height), body)), sc.shell.Window.Canvas())
	sc.Decide = d
	d.pop.Show()
}

func (sc *ApprovalsScreen) onWithdraw(b *ApprovalBox) {
	c, ent, ok := sc.enterprise()
	if !ok || b.Selected < 0 || b.Selected >= len(b.Items) {
		return
	}
	a := b.Items[b.Selected]
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := c.WithdrawApproval(ctx, ent, a.ID)
		uiDo(func() {
			if err != nil {
				sc.fail(err)
				return
			}
			sc.Reload()
		})
	}()
}

// --- submit --------------------------------------------------------------------------------------

// SubmitDialog submits a draft (发送审批) or the use of a seal on a contract (用印审批).
type SubmitDialog struct {
	Kind     *widget.RadioGroup
	Contract *widget.Select
	Seal     *widget.Select
	Note     *widget.Entry
	Err      *widget.Label
	Confirm  *widget.Button
	drafts   []api.EnvelopeSummary
	open     []api.EnvelopeSummary
	seals    []api.SealView
	pop      *widget.PopUp
}

func (d *SubmitDialog) kind() string {
	if d.Kind.Selected == tr("approvals.kind.seal") {
		return api.ApprovalSeal
	}
	return api.ApprovalSend
}

func (d *SubmitDialog) fill() {
	list := d.drafts
	if d.kind() == api.ApprovalSeal {
		list = d.open
		d.Seal.Show()
	} else {
		d.Seal.Hide()
	}
	var opts []string
	for _, e := range list {
		opts = append(opts, e.Subject+"（"+e.ID[max(0, len(e.ID)-6):]+"）")
	}
	d.Contract.SetOptions(opts)
	d.Contract.ClearSelected()
	if len(opts) > 0 {
		d.Contract.SetSelectedIndex(0)
	}
}

func (sc *ApprovalsScreen) openSubmit() {
	c, ent, ok := sc.enterprise()
	if !ok {
		return
	}
	d := &SubmitDialog{}
	d.Contract = newSelect(nil, nil)
	d.Contract.PlaceHolder = tr("approvals.submit.contract")
	d.Seal = newSelect(nil, nil)
	d.Seal.PlaceHolder = tr("approvals.submit.seal")
	d.Kind = widget.NewRadioGroup([]string{tr("approvals.kind.send"), tr("approvals.kind.seal")}, func(string) { d.fill() })
	d.Kind.Horizontal = true
	d.Note = widget.NewEntry()
	d.Note.SetPlaceHolder(tr("approvals.submit.note"))
	d.Err = widget.NewLabel("")
	d.Err.Wrapping = fyne.TextWrapWord
	d.Err.Importance = widget.DangerImportance
	d.Err.Hide()
	cancelB := widget.NewButton(tr("common.cancel"), func() { d.pop.Hide() })
	d.Confirm = widget.NewButton(tr("approvals.submit"), func() {
		list := d.drafts
		if d.kind() == api.ApprovalSeal {
			list = d.open
		}
		i := d.Contract.SelectedIndex()
		if i < 0 || i >= len(list) {
			d.Err.SetText(tr("approvals.submit.pick"))
			d.Err.Show()
			return
		}
		req := api.ApprovalSubmit{Kind: d.kind(), EnvelopeID: list[i].ID, Note: d.Note.Text}
		if req.Kind == api.ApprovalSeal {
			j := d.Seal.SelectedIndex()
			if j < 0 || j >= len(d.seals) {
				d.Err.SetText(tr("approvals.submit.pickseal"))
				d.Err.Show()
				return
			}
			req.SealID = d.seals[j].ID
		}
		d.Confirm.Disable()
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			a, err := c.SubmitApproval(ctx, ent, req)
			uiDo(func() {
				d.Confirm.Enable()
				if err != nil {
					d.Err.SetText(errMessage(err))
					d.Err.Show()
					return
				}
				d.pop.Hide()
				sc.Status.SetText(tr("approvals.submitted", map[string]any{"V": a.Subject, "Who": strings.Join(a.ApproverNames, "、")}))
				sc.Status.Show()
				sc.Tabs.SelectIndex(2)
				sc.Reload()
			})
		}()
	})
	d.Confirm.Importance = widget.HighImportance
	body := container.NewVBox(widget.NewLabelWithStyle(tr("approvals.submit"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		d.Kind, d.Contract, d.Seal, d.Note, d.Err, container.NewHBox(layoutSpacer(), cancelB, d.Confirm))
	d.pop = widget.NewModalPopUp(container.NewGridWrap(fyne.NewSize(480, body.MinSize().Height+40), body), sc.shell.Window.Canvas())
	sc.Submit = d
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		drafts, err := c.Envelopes(ctx, client.ListOptions{Box: api.BoxDraft, Limit: 100})
		var open []api.EnvelopeSummary
		var seals api.SealList
		if err == nil {
			for _, box := range []string{api.BoxToSign, api.BoxWaiting} {
				l, e := c.Envelopes(ctx, client.ListOptions{Box: box, Limit: 100})
				if e != nil {
					err = e
					break
				}
				open = append(open, l.Items...)
			}
		}
		if err == nil {
			seals, err = c.Seals(ctx, ent)
		}
		uiDo(func() {
			if err != nil {
				d.Err.SetText(errMessage(err))
				d.Err.Show()
			}
			d.drafts, d.open, d.seals = drafts.Items, open, seals.Seals
			var names []string
			for _, s := range d.seals {
				names = append(names, s.Name)
			}
			d.Seal.SetOptions(names)
			d.Kind.SetSelected(tr("approvals.kind.send"))
			d.fill()
		})
	}()
	d.pop.Show()
}

// --- rules ---------------------------------------------------------------------------------------

// ApprovalRules is the 审批规则 tab: the rules with 新建规则, 编辑 and 删除 (after a
// confirmation) of the selected one — for members holding approvals.manage; the others see the
// server's refusal and no buttons.
type ApprovalRules struct {
	Items  []api.ApprovalRule
	List   *widget.List
	New    *widget.Button
	Edit   *widget.Button
	Delete *widget.Button
	// DeleteAsk is the open 删除 confirmation and DeleteConfirm its button (tests).
	DeleteAsk     *widget.PopUp
	DeleteConfirm *widget.Button
	Empty         *widget.Label
	Status        *widget.Label
	members       map[string]string
	content       fyne.CanvasObject
	sel           int
}

func (sc *ApprovalsScreen) newRules() *ApprovalRules {
	r := &ApprovalRules{sel: -1, members: map[string]string{}}
	r.Status = widget.NewLabel("")
	r.Status.Wrapping = fyne.TextWrapWord
	r.Status.Hide()
	r.Empty = widget.NewLabel(tr("approvals.rules.empty"))
	r.Empty.Wrapping = fyne.TextWrapWord
	r.List = widget.NewList(func() int { return len(r.Items) },
		func() fyne.CanvasObject { l := widget.NewLabel(""); l.Wrapping = fyne.TextWrapWord; return l },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(r.Items) {
				o.(*widget.Label).SetText(r.line(r.Items[i]))
				r.List.SetItemHeight(i, o.(*widget.Label).MinSize().Height)
			}
		})
	r.List.OnSelected = func(i widget.ListItemID) { r.sel = i; r.Delete.Enable(); r.Edit.Enable() }
	r.New = widget.NewButtonWithIcon(tr("approvals.rules.new"), theme.ContentAddIcon(), func() { sc.openRule(nil) })
	r.New.Importance = widget.HighImportance
	r.Edit = widget.NewButtonWithIcon(tr("approvals.rules.edit"), theme.DocumentCreateIcon(), sc.onEditRule)
	r.Edit.Disable()
	r.Delete = widget.NewButtonWithIcon(tr("approvals.rules.delete"), theme.DeleteIcon(), sc.onDeleteRule)
	r.Delete.Disable()
	r.content = container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel(tr("approvals.rules.intro")),
		container.NewHBox(r.Delete, r.Edit, r.New)), r.Status, r.Empty), nil, nil, nil, r.List)
	return r
}

func (r *ApprovalRules) line(x api.ApprovalRule) string {
	var cond []string
	if x.MinAmount > 0 {
		cond = append(cond, tr("approvals.cond.amount", map[string]any{"V": yuan(x.MinAmount)}))
	}
	if len(x.Seals) > 0 {
		cond = append(cond, tr("approvals.cond.seals", map[string]any{"N": len(x.Seals)}))
	}
	if len(x.Departments) > 0 {
		cond = append(cond, tr("approvals.cond.departments", map[string]any{"N": len(x.Departments)}))
	}
	if len(x.Templates) > 0 {
		cond = append(cond, tr("approvals.cond.templates", map[string]any{"N": len(x.Templates)}))
	}
	if len(cond) == 0 {
		cond = append(cond, tr("approvals.cond.all"))
	}
	var who []string
	for _, a := range x.Approvers {
		if n := r.members[a]; n != "" {
			who = append(who, n)
		} else {
			who = append(who, a)
		}
	}
	return fmt.Sprintf("%s · %s\n%s · %s", x.Name, kindLabel(x.Kind), strings.Join(cond, "，"), tr("approvals.d.approvers", map[string]any{"V": strings.Join(who, "、")}))
}

func (sc *ApprovalsScreen) reloadRules(c *client.Client, ent string) {
	r := sc.Rules
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rules, err := c.ApprovalRules(ctx, ent)
		members, _ := c.Members(ctx, ent, "", 500)
		uiDo(func() {
			for _, m := range members {
				r.members[m.AccountID] = m.Name
			}
			r.sel = -1
			r.Delete.Disable()
			r.Edit.Disable()
			r.List.UnselectAll()
			if err != nil {
				r.Items = nil
				r.Status.SetText(errMessage(err))
				r.Status.Show()
				r.New.Disable()
			} else {
				r.Items = rules
				r.Status.Hide()
				r.New.Enable()
			}
			// Without approvals.manage the server refuses the rules: no buttons for what it
			// would refuse too.
			for _, b := range []*widget.Button{r.New, r.Edit, r.Delete} {
				b.Hidden = client.IsCode(err, "permission_denied")
				b.Refresh()
			}
			r.Empty.Hidden = err != nil || len(rules) > 0
			r.Empty.Refresh()
			r.List.Refresh()
		})
	}()
}

func (sc *ApprovalsScreen) onEditRule() {
	r := sc.Rules
	if r.sel >= 0 && r.sel < len(r.Items) {
		x := r.Items[r.sel]
		sc.openRule(&x)
	}
}

// onDeleteRule asks, then deletes the selected rule (approvals it started stay as they are).
func (sc *ApprovalsScreen) onDeleteRule() {
	r := sc.Rules
	if r.sel < 0 || r.sel >= len(r.Items) {
		return
	}
	x := r.Items[r.sel]
	msg := widget.NewLabel(tr("approvals.rules.delete.ask", map[string]any{"Name": x.Name}))
	msg.Wrapping = fyne.TextWrapWord
	var pop *widget.PopUp
	cancelB := widget.NewButton(tr("common.cancel"), func() { pop.Hide() })
	r.DeleteConfirm = widget.NewButtonWithIcon(tr("approvals.rules.delete"), theme.DeleteIcon(), func() {
		pop.Hide()
		sc.deleteRule(x.ID)
	})
	r.DeleteConfirm.Importance = widget.DangerImportance
	body := container.NewVBox(msg, container.NewHBox(layoutSpacer(), cancelB, r.DeleteConfirm))
	pop = widget.NewModalPopUp(container.NewGridWrap(fyne.NewSize(420, body.MinSize().Height+40), body), sc.shell.Window.Canvas())
	r.DeleteAsk = pop
	pop.Show()
}

func (sc *ApprovalsScreen) deleteRule(id string) {
	c, ent, ok := sc.enterprise()
	r := sc.Rules
	if !ok {
		return
	}
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := c.DeleteApprovalRule(ctx, ent, id)
		uiDo(func() {
			if err != nil {
				r.Status.SetText(errMessage(err))
				r.Status.Show()
				return
			}
			sc.reloadRules(c, ent)
		})
	}()
}

// RuleDialog makes a rule, or changes one: name, kind, amount from which it applies, seals,
// departments and the approvers (members of the enterprise).
type RuleDialog struct {
	Name        *widget.Entry
	Kind        *widget.RadioGroup
	Amount      *widget.Entry
	Seals       *widget.CheckGroup
	Departments *widget.CheckGroup
	Approvers   *widget.CheckGroup
	Err         *widget.Label
	Confirm     *widget.Button
	sealIDs     map[string]string
	depIDs      map[string]string
	memberIDs   map[string]string
	pop         *widget.PopUp
}

// openRule opens the rule dialog: a new rule (edit nil) or edit, filled in, to change.
func (sc *ApprovalsScreen) openRule(edit *api.ApprovalRule) {
	c, ent, ok := sc.enterprise()
	if !ok {
		return
	}
	d := &RuleDialog{sealIDs: map[string]string{}, depIDs: map[string]string{}, memberIDs: map[string]string{}}
	d.Name = widget.NewEntry()
	d.Name.SetPlaceHolder(tr("approvals.rule.name"))
	d.Amount = widget.NewEntry()
	d.Amount.SetPlaceHolder(tr("approvals.rule.amount"))
	d.Seals = widget.NewCheckGroup(nil, nil)
	d.Seals.Horizontal = true
	d.Departments = widget.NewCheckGroup(nil, nil)
	d.Departments.Horizontal = true
	d.Approvers = widget.NewCheckGroup(nil, nil)
	d.Approvers.Horizontal = true
	sealRow := container.NewVBox(widget.NewLabel(tr("approvals.rule.seals")), d.Seals)
	d.Kind = widget.NewRadioGroup([]string{tr("approvals.kind.send"), tr("approvals.kind.seal")}, func(v string) {
		if v == tr("approvals.kind.seal") {
			sealRow.Show()
		} else {
			sealRow.Hide()
		}
	})
	d.Kind.Horizontal = true
	d.Kind.SetSelected(tr("approvals.kind.send"))
	title := tr("approvals.rules.new")
	if edit != nil {
		title = tr("approvals.rules.edit.title", map[string]any{"Name": edit.Name})
		d.Name.SetText(edit.Name)
		if edit.MinAmount > 0 {
			d.Amount.SetText(fmt.Sprintf("%d.%02d", edit.MinAmount/100, edit.MinAmount%100))
		}
	}
	d.Err = widget.NewLabel("")
	d.Err.Wrapping = fyne.TextWrapWord
	d.Err.Importance = widget.DangerImportance
	d.Err.Hide()
	cancelB := widget.NewButton(tr("common.cancel"), func() { d.pop.Hide() })
	d.Confirm = widget.NewButton(tr("approvals.rules.save"), func() {
		rule := api.ApprovalRule{Name: d.Name.Text, Kind: api.ApprovalSend}
		if edit != nil {
			rule.ID, rule.Templates = edit.ID, edit.Templates // the same rule; its template condition stays
		}
		if d.Kind.Selected == tr("approvals.kind.seal") {
			rule.Kind = api.ApprovalSeal
			for _, s := range d.Seals.Selected {
				rule.Seals = append(rule.Seals, d.sealIDs[s])
			}
		}
		if err := checkAmount(d.Amount.Text); err != nil {
			d.Err.SetText(err.Error())
			d.Err.Show()
			return
		}
		rule.MinAmount, _ = envelope.ParseAmount(d.Amount.Text) // exact to the fen
		for _, s := range d.Departments.Selected {
			rule.Departments = append(rule.Departments, d.depIDs[s])
		}
		for _, s := range d.Approvers.Selected {
			rule.Approvers = append(rule.Approvers, d.memberIDs[s])
		}
		d.Confirm.Disable()
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := c.SaveApprovalRule(ctx, ent, rule)
			uiDo(func() {
				d.Confirm.Enable()
				if err != nil {
					d.Err.SetText(errMessage(err))
					d.Err.Show()
					return
				}
				d.pop.Hide()
				sc.reloadRules(c, ent)
			})
		}()
	})
	d.Confirm.Importance = widget.HighImportance
	body := container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		d.Name, d.Kind, d.Amount, sealRow, widget.NewLabel(tr("approvals.rule.departments")), d.Departments,
		widget.NewLabel(tr("approvals.rule.approvers")), d.Approvers, d.Err, container.NewHBox(layoutSpacer(), cancelB, d.Confirm))
	sealRow.Hide()
	if edit != nil && edit.Kind == api.ApprovalSeal {
		d.Kind.SetSelected(tr("approvals.kind.seal"))
	}
	d.pop = widget.NewModalPopUp(container.NewGridWrap(fyne.NewSize(560, body.MinSize().Height+120), container.NewVScroll(body)), sc.shell.Window.Canvas())
	sc.RuleEditor = d
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		members, err := c.Members(ctx, ent, "", 500)
		deps, _ := c.Departments(ctx, ent)
		seals, _ := c.Seals(ctx, ent)
		roles, _ := c.Roles(ctx, ent)
		uiDo(func() {
			if err != nil {
				d.Err.SetText(errMessage(err))
				d.Err.Show()
			}
			approves := map[string]bool{org.RoleOwner: true, org.RoleAdmin: true}
			for _, r := range roles {
				for _, p := range r.Permissions {
					if p == org.PermApproveContracts {
						approves[r.ID] = true
					}
				}
			}
			var names []string
			for _, m := range members {
				if m.Disabled || !approves[m.Role] {
					continue // only members who may approve can be named
				}
				d.memberIDs[m.Name] = m.AccountID
				names = append(names, m.Name)
			}
			d.Approvers.Options = names
			if edit != nil {
				d.Approvers.Selected = namesOf(d.memberIDs, edit.Approvers)
			}
			d.Approvers.Refresh()
			var dn []string
			for _, x := range deps {
				d.depIDs[x.Name] = x.ID
				dn = append(dn, x.Name)
			}
			d.Departments.Options = dn
			if edit != nil {
				d.Departments.Selected = namesOf(d.depIDs, edit.Departments)
			}
			d.Departments.Refresh()
			var sn []string
			for _, x := range seals.Seals {
				d.sealIDs[x.Name] = x.ID
				sn = append(sn, x.Name)
			}
			d.Seals.Options = sn
			if edit != nil {
				d.Seals.Selected = namesOf(d.sealIDs, edit.Seals)
			}
			d.Seals.Refresh()
		})
	}()
	d.pop.Show()
}

// namesOf returns the names (keys of byName) of the ids, in the order of ids.
func namesOf(byName map[string]string, ids []string) []string {
	var out []string
	for _, id := range ids {
		for name, x := range byName {
			if x == id {
				out = append(out, name)
			}
		}
	}
	return out
}
