package ui

import (
	"bytes"
	"context"
	"image/png"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/ui/widgets"
)

// membersPanel is 成员: the members (a page at a time) with disable / re-enable and their role,
// 添加成员 by name + mobile number, the invitation link with its QR code (switch off, rotate)
// and 待审核成员 (approve / reject). Managing needs members.manage; other members see the list.
type membersPanel struct {
	e *EnterpriseScreen

	List     *fyne.Container
	More     *widget.Button
	AddName  *widget.Entry
	AddPhone *widget.Entry
	Add      *widget.Button
	Added    *widgets.CJKLabel

	QR        *canvas.Image
	Link      *widget.Entry // read-only, selectable
	LinkOn    *widget.Check
	Rotate    *widget.Button
	Pending   *fyne.Container
	manage    *fyne.Container // what members.manage shows
	content   fyne.CanvasObject
	members   []org.Member
	requests  []org.JoinRequest
	invite    api.InviteLink
	settingOn bool
	// pageGen and manageGen number the latest member page and invitation/待审核成员 loads; an
	// older load's answer arriving after a newer one was asked is dropped (it would show an
	// older list over the newer).
	pageGen, manageGen int
}

// membersPage is how many members one page shows.
const membersPage = 100

func newMembersPanel(e *EnterpriseScreen) *membersPanel {
	p := &membersPanel{e: e}
	p.List = container.NewVBox()
	p.More = widget.NewButton(tr("ent.members.more"), func() { p.loadPage(true) })
	p.More.Hide()
	p.AddName = widget.NewEntry()
	p.AddName.SetPlaceHolder(tr("ent.add.name"))
	p.AddPhone = widget.NewEntry()
	p.AddPhone.SetPlaceHolder(tr("ent.add.phone"))
	p.Add = widget.NewButtonWithIcon(tr("ent.add"), theme.ContentAddIcon(), p.onAddTapped)
	p.Add.Importance = widget.HighImportance
	p.Added = widgets.NewCJKLabel("")
	p.QR = canvas.NewImageFromImage(nil)
	p.QR.FillMode = canvas.ImageFillContain
	p.QR.ScaleMode = canvas.ImageScalePixels
	p.QR.SetMinSize(fyne.NewSize(160, 160))
	p.Link = widget.NewEntry()
	p.Link.Disable()
	p.LinkOn = widget.NewCheck(tr("ent.invite.on"), p.onLinkSwitched)
	p.Rotate = widget.NewButtonWithIcon(tr("ent.invite.rotate"), theme.ViewRefreshIcon(), p.onRotateTapped)
	p.Pending = container.NewVBox()

	bold := func(k string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(tr(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	add := container.NewVBox(bold("ent.add.title"), container.NewGridWithColumns(2, p.AddName, p.AddPhone),
		container.NewHBox(p.Add), p.Added)
	invite := container.NewVBox(bold("ent.invite.title"), widgets.NewCJKLabel(tr("ent.invite.hint")),
		container.NewBorder(nil, nil, p.QR, nil, container.NewVBox(p.Link, p.LinkOn, container.NewHBox(p.Rotate))))
	pending := container.NewVBox(bold("ent.pending.title"), p.Pending)
	p.manage = container.NewVBox(pending, widget.NewSeparator(), add, widget.NewSeparator(), invite)
	list := container.NewVBox(bold("ent.members.title"), p.List, container.NewHBox(p.More))
	p.content = container.NewVScroll(container.NewVBox(p.manage, widget.NewSeparator(), list))
	return p
}

// load reads the first page of members and, for managers, the invitation and 待审核成员.
func (p *membersPanel) load() {
	if p.e.can(org.PermManageMembers) {
		p.manage.Show()
		p.loadManage()
	} else {
		p.manage.Hide()
	}
	p.loadPage(false)
}

func (p *membersPanel) loadPage(more bool) {
	id := p.e.Current.Enterprise.ID
	after := ""
	if more && len(p.members) > 0 {
		after = p.members[len(p.members)-1].AccountID
	}
	var page []org.Member
	fetch := func(ctx context.Context, c *client.Client) error {
		var err error
		page, err = c.Members(ctx, id, after, membersPage)
		return err
	}
	p.pageGen++
	gen := p.pageGen
	run := p.e.run
	if after == "" { // the first page is kept for offline use
		run = func(f func(context.Context, *client.Client) error, done func(error)) {
			p.e.runKept("ent/"+id+"/members", &page, f, done)
		}
	}
	run(fetch, func(err error) {
		if err != nil || id != p.e.Current.Enterprise.ID || gen != p.pageGen {
			return
		}
		if !more {
			p.members = nil
		}
		p.members = append(p.members, page...)
		p.More.Hidden = len(page) < membersPage
		p.fillMembers()
	})
}

func (p *membersPanel) loadManage() {
	id := p.e.Current.Enterprise.ID
	var link api.InviteLink
	var qr []byte
	var reqs []org.JoinRequest
	p.manageGen++
	gen := p.manageGen
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		if link, err = c.InviteLink(ctx, id); err != nil {
			return err
		}
		if qr, err = c.InviteQR(ctx, id); err != nil {
			return err
		}
		reqs, err = c.JoinRequests(ctx, id)
		return err
	}, func(err error) {
		if err != nil || id != p.e.Current.Enterprise.ID || gen != p.manageGen {
			return
		}
		p.showInvite(link, qr)
		p.requests = reqs
		p.fillPending()
	})
}

// showInvite shows the link, its switch and its QR code (grey text instead when switched off).
func (p *membersPanel) showInvite(link api.InviteLink, qr []byte) {
	p.invite = link
	p.settingOn = true
	p.LinkOn.SetChecked(link.Enabled)
	p.settingOn = false
	if link.Enabled {
		p.Link.SetText(link.URL)
		if img, err := png.Decode(bytes.NewReader(qr)); err == nil {
			p.QR.Image = img
		}
		p.QR.Show()
		p.Rotate.Enable()
	} else {
		p.Link.SetText(tr("ent.invite.off"))
		p.QR.Image = nil
		p.QR.Hide()
		p.Rotate.Disable()
	}
	p.QR.Refresh()
}

func (p *membersPanel) onLinkSwitched(on bool) {
	if p.settingOn {
		return
	}
	id := p.e.Current.Enterprise.ID
	var link api.InviteLink
	var qr []byte
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		if link, err = c.SetInviteEnabled(ctx, id, on); err != nil {
			return err
		}
		if on {
			qr, err = c.InviteQR(ctx, id)
		}
		return err
	}, func(err error) {
		if err != nil {
			p.showInvite(p.invite, nil)
			return
		}
		p.showInvite(link, qr)
	})
}

func (p *membersPanel) onRotateTapped() {
	showConfirm(p.e.shell.Window, tr("ent.invite.rotate"), tr("ent.invite.rotate.confirm"), tr("ent.invite.rotate"), false, p.rotate)
}

func (p *membersPanel) rotate() {
	id := p.e.Current.Enterprise.ID
	var link api.InviteLink
	var qr []byte
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		if link, err = c.RotateInvite(ctx, id); err != nil {
			return err
		}
		qr, err = c.InviteQR(ctx, id)
		return err
	}, func(err error) {
		if err == nil {
			p.showInvite(link, qr)
		}
	})
}

func (p *membersPanel) fillPending() {
	p.Pending.Objects = nil
	if len(p.requests) == 0 {
		p.Pending.Add(widget.NewLabel(tr("ent.pending.none")))
	}
	for _, r := range p.requests {
		r := r
		approve := widget.NewButton(tr("ent.pending.approve"), func() { p.decide(r, true) })
		approve.Importance = widget.HighImportance
		reject := widget.NewButton(tr("ent.pending.reject"), func() { p.decide(r, false) })
		who := r.Name
		if r.Phone != "" {
			who += "（" + r.Phone + "）"
		}
		p.Pending.Add(container.NewBorder(nil, nil, nil, container.NewHBox(approve, reject),
			widget.NewLabel(who+" · "+r.Requested.Local().Format("01-02 15:04"))))
	}
	p.Pending.Refresh()
}

// PendingNames are the names waiting in 待审核成员 (for tests).
func (p *membersPanel) PendingNames() []string {
	var out []string
	for _, r := range p.requests {
		out = append(out, r.Name)
	}
	return out
}

// Decide approves or rejects the request of the person named name (for tests and the buttons).
func (p *membersPanel) Decide(name string, approve bool) bool {
	for _, r := range p.requests {
		if r.Name == name {
			p.decide(r, approve)
			return true
		}
	}
	return false
}

func (p *membersPanel) decide(r org.JoinRequest, approve bool) {
	id := p.e.Current.Enterprise.ID
	p.e.run(func(ctx context.Context, c *client.Client) error {
		if approve {
			_, err := c.ApproveJoin(ctx, id, r.AccountID)
			return err
		}
		return c.RejectJoin(ctx, id, r.AccountID)
	}, func(err error) {
		if err == nil {
			p.load()
		}
	})
}

func (p *membersPanel) fillMembers() {
	p.List.Objects = nil
	manage := p.e.can(org.PermManageMembers)
	me := ""
	if ss := p.e.shell.session(); ss != nil {
		if a, ok := ss.Account(); ok {
			me = a.ID
		}
	}
	for _, m := range p.members {
		m := m
		text := m.Name
		if m.Phone != "" {
			text += "（" + m.Phone + "）"
		}
		text += " · " + roleName(m.Role, p.e.Roles.roles)
		if m.Department != "" {
			text += " · " + p.e.Depts.name(m.Department)
		}
		if m.Disabled {
			text += " · " + tr("ent.member.disabled.short")
		}
		var actions fyne.CanvasObject
		if manage && m.Role != org.RoleOwner && m.AccountID != me {
			if m.Disabled {
				actions = widget.NewButton(tr("ent.member.enable"), func() { p.setDisabled(m, false) })
			} else {
				b := widget.NewButton(tr("ent.member.disable"), func() {
					showConfirm(p.e.shell.Window, tr("ent.member.disable"), tr("ent.member.disable.confirm", map[string]any{"Name": m.Name}),
						tr("ent.member.disable"), true, func() { p.setDisabled(m, true) })
				})
				b.Importance = widget.DangerImportance
				actions = container.NewHBox(p.roleSelect(m), b)
			}
		}
		p.List.Add(container.NewBorder(nil, nil, nil, actions, widget.NewLabel(text)))
	}
	p.List.Refresh()
}

// roleSelect gives a member another role (子管理员, 普通成员 or a custom role).
func (p *membersPanel) roleSelect(m org.Member) *widget.Select {
	type choice struct{ id, name string }
	choices := []choice{{org.RoleAdmin, tr("role.admin")}, {org.RoleMember, tr("role.member")}}
	for _, r := range p.e.Roles.roles {
		choices = append(choices, choice{r.ID, r.Name})
	}
	var names []string
	cur := ""
	for _, c := range choices {
		names = append(names, c.name)
		if c.id == m.Role {
			cur = c.name
		}
	}
	sel := newSelect(names, nil)
	sel.SetSelected(cur)
	sel.OnChanged = func(name string) {
		for _, c := range choices {
			if c.name == name && c.id != m.Role {
				id := p.e.Current.Enterprise.ID
				p.e.run(func(ctx context.Context, cl *client.Client) error {
					_, err := cl.SetMemberRole(ctx, id, m.AccountID, c.id)
					return err
				}, func(error) { p.loadPage(false) })
			}
		}
	}
	return sel
}

func (p *membersPanel) setDisabled(m org.Member, disable bool) {
	id := p.e.Current.Enterprise.ID
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		if disable {
			_, err = c.DisableMember(ctx, id, m.AccountID)
		} else {
			_, err = c.EnableMember(ctx, id, m.AccountID)
		}
		return err
	}, func(error) { p.loadPage(false) })
}

// MemberNames are the members shown (for tests).
func (p *membersPanel) MemberNames() []string {
	var out []string
	for _, m := range p.members {
		out = append(out, m.Name)
	}
	return out
}

func (p *membersPanel) onAddTapped() {
	name, err := org.CheckName(p.AddName.Text)
	if err != nil {
		p.Added.SetText(errMessage(err))
		return
	}
	phone := strings.TrimSpace(p.AddPhone.Text)
	if l, _, err := org.NormalizeLogin(phone); err != nil || strings.Contains(l, "@") {
		p.Added.SetText(tr("ent.add.err.phone"))
		return
	}
	id := p.e.Current.Enterprise.ID
	var inv api.Invitation
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		inv, err = c.AddMember(ctx, id, name, phone)
		return err
	}, func(err error) {
		if err != nil {
			p.Added.SetText(errMessage(err))
			return
		}
		p.AddName.SetText("")
		p.AddPhone.SetText("")
		p.Added.SetText(tr("ent.add.sent", map[string]any{"Name": name, "URL": inv.URL}))
	})
}
