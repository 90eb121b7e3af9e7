package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/ui/widgets"
)

// EnterpriseScreen is 企业. Signed out it invites to sign in; in 个人版 it lists the user's
// enterprises (switch to one, create one, join one by invitation link); in an enterprise it shows
// the tabs of enterpriseTabs — 概况 (the LOGO, verification state), 成员 (add by name + phone, the invitation
// link and its QR code, 待审核成员, disable / re-enable), 角色 and 部门 — each only to members whose
// role holds its permission. The server checks every call anyway; hiding only spares the user a
// refusal.
type EnterpriseScreen struct {
	shell *Shell
	body  *fyne.Container

	// signed out / no session
	SignIn *widget.Button
	// 个人版
	Create    *widget.Button
	JoinLink  *widget.Entry
	Join      *widget.Button
	Appeal    *widget.Button          // 账号申诉: become 主管理员 of a company whose admin is unreachable
	AppealDlg *AdminPanel             // while its dialog is open (for tests)
	List      *fyne.Container         // one card per enterprise
	CreateDlg *createEnterpriseDialog // while open (for tests)
	// an enterprise
	Tabs    *container.AppTabs
	Current org.MyEnterprise // the active enterprise as last loaded
	// Logo is the enterprise LOGO on 概况 (hidden when it has none or it could not be read).
	Logo    *canvas.Image
	Members *membersPanel
	Roles   *rolesPanel
	Depts   *departmentsPanel
	Verify  *verifyPanel
	panels  []EnterprisePanel // the contributed tabs' panels (enterpriseTabs)

	Message *widgets.CJKLabel
	state   string // what body shows: "signedout", "personal", "enterprise"
	// offlineSince is when the copy on screen was synced (zero: it is the server's answer)
	offlineSince time.Time
	loading      int            // generation of the last load (a newer one wins)
	logoGen      int            // the latest LOGO load (an older answer is dropped)
	wg           sync.WaitGroup // the server calls in flight (run, the enterprise's load, its LOGO; Wait)
}

// ownTab is one of the screen's own tabs. perm "" means any member; adminOnly means 主管理员
// and 子管理员 only.
type ownTab struct {
	key       string // translation key of the title
	perm      org.Permission
	adminOnly bool
	build     func(*EnterpriseScreen) fyne.CanvasObject
}

// ownTabs lists the screen's own tabs in order; the tabs other areas contribute
// (enterpriseTabs in enterprise_tabs.go: 主管理员变更, 对接集成) follow them.
func ownTabs() []ownTab {
	return []ownTab{
		{"ent.tab.overview", "", false, (*EnterpriseScreen).buildOverview},
		{"ent.tab.verify", "", true, func(e *EnterpriseScreen) fyne.CanvasObject { return e.Verify.content }},
		{"ent.tab.members", "", false, func(e *EnterpriseScreen) fyne.CanvasObject { return e.Members.content }},
		{"ent.tab.roles", org.PermManageMembers, false, func(e *EnterpriseScreen) fyne.CanvasObject { return e.Roles.content }},
		{"ent.tab.departments", "", false, func(e *EnterpriseScreen) fyne.CanvasObject { return e.Depts.content }},
	}
}

func newEnterpriseScreen(s *Shell) Screen {
	e := &EnterpriseScreen{shell: s, body: container.NewStack()}
	e.Message = widgets.NewCJKLabel("")
	e.SignIn = widget.NewButton(tr("account.signin"), func() { s.ShowSignIn() })
	e.SignIn.Importance = widget.HighImportance
	e.Create = widget.NewButtonWithIcon(tr("ent.create"), theme.ContentAddIcon(), e.onCreateTapped)
	e.Create.Importance = widget.HighImportance
	e.JoinLink = widget.NewEntry()
	e.JoinLink.SetPlaceHolder(tr("ent.join.placeholder"))
	e.Join = widget.NewButton(tr("ent.join"), e.onJoinTapped)
	e.Appeal = widget.NewButton(tr("ent.appeal"), e.onAppealTapped)
	e.List = container.NewVBox()
	e.Members = newMembersPanel(e)
	e.Roles = newRolesPanel(e)
	e.Depts = newDepartmentsPanel(e)
	e.Verify = newVerifyPanel(e)
	e.Logo = canvas.NewImageFromResource(nil)
	e.Logo.FillMode = canvas.ImageFillContain
	e.Logo.SetMinSize(fyne.NewSize(180, 60))
	e.Logo.Hide()
	e.refresh()
	return e
}

func (e *EnterpriseScreen) Content() fyne.CanvasObject { return e.body }

func (e *EnterpriseScreen) shown()          { e.refresh() }
func (e *EnterpriseScreen) sessionChanged() { e.refresh() }

// client is the signed-in client, or nil.
func (e *EnterpriseScreen) client() *client.Client {
	if c := e.shell.Services.Conn; c != nil {
		return c.Client()
	}
	return nil
}

// refresh shows the state of the session and loads what it needs.
func (e *EnterpriseScreen) refresh() {
	c := e.client()
	conn := e.shell.Services.Conn
	switch {
	case c == nil:
		e.showSignedOut()
	case conn.Context() == "":
		e.showPersonal(c)
	default:
		e.showEnterprise(c, conn.Context())
	}
}

// emptyState is a sentence with one primary button under it (and optional extras).
func emptyState(text string, primary *widget.Button, extra ...fyne.CanvasObject) fyne.CanvasObject {
	l := widgets.NewCJKLabel(text)
	l.Alignment = fyne.TextAlignCenter
	objs := []fyne.CanvasObject{l, container.NewCenter(primary)}
	objs = append(objs, extra...)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(440, 0), container.NewVBox(objs...)))
}

func (e *EnterpriseScreen) setBody(state string, o fyne.CanvasObject) {
	e.state = state
	e.body.Objects = []fyne.CanvasObject{o}
	e.body.Refresh()
}

func (e *EnterpriseScreen) showSignedOut() {
	if e.state == "signedout" {
		return
	}
	text := tr("ent.signedout")
	if ss := e.shell.session(); ss != nil && ss.Status().Connecting {
		text = tr("sync.connecting")
	}
	e.setBody("signedout", emptyState(text, e.SignIn))
}

// ----- 个人版: my enterprises -----

func (e *EnterpriseScreen) showPersonal(c *client.Client) {
	joinRow := container.NewBorder(nil, nil, nil, e.Join, e.JoinLink)
	head := container.NewBorder(nil, nil, widget.NewLabelWithStyle(tr("ent.mine"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(e.Appeal, e.Create))
	e.setBody("personal", container.NewBorder(container.NewVBox(head, joinRow, e.Message), nil, nil, nil, container.NewVScroll(e.List)))
	e.loading++
	gen := e.loading
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		mine, err := c.MyEnterprises(ctx)
		uiDo(func() {
			if gen != e.loading {
				return
			}
			if err != nil {
				e.Message.SetText(errMessage(err))
				return
			}
			e.fillList(mine)
		})
	}()
}

func (e *EnterpriseScreen) fillList(mine []org.MyEnterprise) {
	e.List.Objects = nil
	if len(mine) == 0 {
		// nothing yet: the next step is creating one (joining needs a link from a colleague)
		create := widget.NewButtonWithIcon(tr("ent.create"), theme.ContentAddIcon(), e.onCreateTapped)
		create.Importance = widget.HighImportance
		e.setBody("personal", emptyState(tr("ent.none"), create,
			widgets.NewCJKLabel(tr("ent.none.join")), container.NewBorder(nil, nil, nil, e.Join, e.JoinLink), e.Message,
			container.NewCenter(e.Appeal)))
		return
	}
	for _, m := range mine {
		m := m
		sub := roleName(m.Member.Role, nil) + " · " + entStatusText(m.Enterprise.Status)
		if m.Member.Disabled {
			sub = tr("ent.member.disabled")
		}
		open := widget.NewButton(tr("ent.switch"), func() { e.onSwitchTapped(m.Enterprise.ID) })
		if m.Member.Disabled {
			open.Disable()
		}
		e.List.Add(widget.NewCard(m.Enterprise.Name, sub, container.NewBorder(nil, nil,
			widget.NewLabel(tr("ent.creditcode", map[string]any{"Code": m.Enterprise.CreditCode})), open)))
	}
	e.List.Refresh()
}

func (e *EnterpriseScreen) onSwitchTapped(id string) {
	ss := e.shell.session()
	if ss == nil {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ss.RefreshEnterprises(ctx)
		err := ss.SetContext(id)
		uiDo(func() {
			if err != nil {
				e.Message.SetText(errMessage(err))
			}
		})
	}()
}

func (e *EnterpriseScreen) onJoinTapped() {
	c := e.client()
	link := strings.TrimSpace(e.JoinLink.Text)
	if c == nil || link == "" {
		e.Message.SetText(tr("ent.join.empty"))
		return
	}
	e.Message.SetText(tr("account.working"))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		info, err := c.Invitation(ctx, link)
		if err == nil {
			_, err = c.Join(ctx, link)
		}
		uiDo(func() {
			if err != nil {
				e.Message.SetText(errMessage(err))
				return
			}
			e.JoinLink.SetText("")
			e.Message.SetText(tr("ent.join.sent", map[string]any{"Name": info.EnterpriseName}))
		})
	}()
}

// onAppealTapped opens 账号申诉 (manual 000 §二): the person names the company and proves their
// authority (legal representative, a deposit, or a stamped letter a reviewer checks), from
// 个人版, since they are not — or no longer — able to open that enterprise.
func (e *EnterpriseScreen) onAppealTapped() {
	p := newAdminPanel(e.shell)
	e.AppealDlg = p
	p.Reload()
	d := dialog.NewCustom(tr("ent.appeal.title"), tr("common.close"), p.AppealOnly(), e.shell.Window)
	d.SetOnClosed(func() { e.AppealDlg = nil })
	cs := e.shell.Window.Canvas().Size()
	d.Resize(fyne.NewSize(min(760, cs.Width-40), min(600, cs.Height-40)))
	d.Show()
}

// ----- 创建企业 -----

// createEnterpriseDialog asks for the name and the 18-character unified social credit code; the
// code's GB 32100 check character is checked here first.
type createEnterpriseDialog struct {
	dlg    dialog.Dialog
	Name   *widget.Entry
	Code   *widget.Entry
	Submit *widget.Button
	Status *widgets.CJKLabel
}

func (e *EnterpriseScreen) onCreateTapped() {
	d := &createEnterpriseDialog{}
	d.Name = widget.NewEntry()
	d.Name.SetPlaceHolder(tr("ent.create.name"))
	d.Code = widget.NewEntry()
	d.Code.SetPlaceHolder(tr("ent.create.code"))
	d.Status = widgets.NewCJKLabel(tr("ent.create.hint"))
	d.Submit = widget.NewButton(tr("ent.create.submit"), func() { e.onCreateSubmitted(d) })
	d.Submit.Importance = widget.HighImportance
	content := container.NewVBox(d.Name, d.Code, d.Status, d.Submit)
	d.dlg = dialog.NewCustom(tr("ent.create"), tr("common.cancel"), content, e.shell.Window)
	d.dlg.Resize(fyne.NewSize(min(480, e.shell.Window.Canvas().Size().Width-40), 320))
	e.CreateDlg = d
	d.dlg.Show()
	e.shell.Window.Canvas().Focus(d.Name)
}

func (e *EnterpriseScreen) onCreateSubmitted(d *createEnterpriseDialog) {
	name := strings.TrimSpace(d.Name.Text)
	if name == "" {
		d.Status.SetText(tr("ent.create.err.name"))
		return
	}
	code := strings.ToUpper(strings.TrimSpace(d.Code.Text))
	if len(code) != 18 {
		d.Status.SetText(tr("ent.create.err.codelen"))
		return
	}
	// The GB 32100 check character is the server's to judge: a known legacy code that fails it
	// is accepted with a warning, any other is refused with a sentence naming the problem.
	c := e.client()
	if c == nil {
		d.Status.SetText(tr("account.err.signedout"))
		return
	}
	d.Submit.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		ent, err := c.CreateEnterprise(ctx, name, code)
		ss := e.shell.session()
		if err == nil && ss != nil {
			ss.RefreshEnterprises(ctx)
		}
		uiDo(func() {
			d.Submit.Enable()
			if err != nil {
				d.Status.SetText(errMessage(err))
				return
			}
			d.dlg.Hide()
			e.CreateDlg = nil
			if ent.CreditCodeWarning != "" {
				showInfo(e.shell.Window, tr("ent.create"), ent.CreditCodeWarning)
			}
			if ss != nil {
				if err := ss.SetContext(ent.ID); err != nil {
					e.Message.SetText(errMessage(err))
				}
			}
			e.refresh()
		})
	}()
}

// ----- an enterprise -----

func (e *EnterpriseScreen) showEnterprise(c *client.Client, id string) {
	e.loading++
	gen := e.loading
	if e.state != "enterprise" || e.Current.Enterprise.ID != id {
		e.setBody("enterprise", emptyState(tr("ent.loading"), widget.NewButton(tr("ent.back.personal"), e.onPersonalTapped)))
	}
	k := e.keeper()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var me org.MyEnterprise
		err := keptFetch(ctx, k, "ent/"+id, &me, func(ctx context.Context) (err error) {
			me, err = c.Enterprise(ctx, id)
			return err
		})
		uiDo(func() {
			if gen != e.loading {
				return
			}
			var oc *offlineCopy
			offline := errors.As(err, &oc)
			if err != nil && !offline {
				e.setBody("enterprise", emptyState(errMessage(err), widget.NewButton(tr("ent.back.personal"), e.onPersonalTapped)))
				return
			}
			e.Current = me
			e.offlineSince = time.Time{}
			if offline {
				e.offlineSince = oc.since
			}
			e.buildTabs()
			if offline {
				e.showOffline(oc.since)
			}
			e.Members.load()
			e.Roles.load()
			e.Depts.load()
			if e.isAdmin() {
				e.Verify.load()
			}
			e.loadLogo(c, id)
		})
	}()
}

// loadLogo reads the enterprise's LOGO for 概况 (any enabled member may). It is decoration:
// when it cannot be read (offline, refused) the picture stays hidden and nothing is said.
func (e *EnterpriseScreen) loadLogo(c *client.Client, id string) {
	e.logoGen++
	gen := e.logoGen
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		var logo []byte
		if con, err := c.Console(ctx, id); err == nil && con.Settings.Logo != "" {
			logo, _ = c.Logo(ctx, id)
		}
		uiDo(func() {
			if gen != e.logoGen || id != e.Current.Enterprise.ID {
				return
			}
			if len(logo) == 0 {
				e.Logo.Hide()
				return
			}
			e.Logo.Resource = fyne.NewStaticResource("logo.png", logo)
			e.Logo.Show()
			e.Logo.Refresh()
		})
	}()
}

func (e *EnterpriseScreen) onPersonalTapped() {
	if ss := e.shell.session(); ss != nil {
		ss.SetContext("")
	}
}

// isAdmin reports whether the current member is 主管理员 or 子管理员.
func (e *EnterpriseScreen) isAdmin() bool {
	r := e.Current.Member.Role
	return r == org.RoleOwner || r == org.RoleAdmin
}

// can reports whether the current member holds p ("" : any member).
func (e *EnterpriseScreen) can(p org.Permission) bool {
	if p == "" || e.isAdmin() {
		return true
	}
	for _, q := range e.Current.Permissions {
		if q == p {
			return true
		}
	}
	return false
}

func (e *EnterpriseScreen) buildTabs() {
	selected := -1
	if e.Tabs != nil {
		selected = e.Tabs.SelectedIndex()
	}
	e.Tabs = container.NewAppTabs()
	for _, t := range ownTabs() {
		if (t.adminOnly && !e.isAdmin()) || !e.can(t.perm) {
			continue // the member's role lacks it: not shown
		}
		e.Tabs.Append(container.NewTabItem(tr(t.key), t.build(e)))
	}
	e.panels = nil
	for _, t := range enterpriseTabs() {
		if p, ok := contributedTabPerm[t.key]; ok && !e.can(p) {
			continue
		}
		if contributedTabAdminOnly[t.key] && !e.isAdmin() {
			continue // the server answers 主管理员 and 子管理员 only
		}
		panel := t.build(e.shell)
		e.panels = append(e.panels, panel)
		e.Tabs.Append(container.NewTabItem(tr(t.key), panel.Content()))
		panel.Reload()
	}
	if selected >= 0 && selected < len(e.Tabs.Items) {
		e.Tabs.SelectIndex(selected)
	}
	e.setBody("enterprise", container.NewBorder(nil, e.Message, nil, nil, e.Tabs))
}

// TabTitles are the titles of the tabs shown (for tests).
func (e *EnterpriseScreen) TabTitles() []string {
	if e.Tabs == nil || e.state != "enterprise" {
		return nil
	}
	var out []string
	for _, it := range e.Tabs.Items {
		out = append(out, it.Text)
	}
	return out
}

// buildOverview is 概况: the enterprise, its verification state (and the reason of a
// rejection), the member's role.
func (e *EnterpriseScreen) buildOverview() fyne.CanvasObject {
	ent := e.Current.Enterprise
	state := entStatusText(ent.Status)
	if ent.Status == org.EntRejected && ent.Reason != "" {
		state += tr("ent.reason", map[string]any{"Reason": ent.Reason})
	}
	rows := []fyne.CanvasObject{
		container.NewHBox(e.Logo),
		widget.NewLabelWithStyle(ent.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel(tr("ent.creditcode", map[string]any{"Code": ent.CreditCode})),
		widget.NewLabel(tr("ent.status", map[string]any{"State": state})),
		widget.NewLabel(tr("ent.myrole", map[string]any{"Role": roleName(e.Current.Member.Role, e.Roles.roles)})),
	}
	if ent.CreditCodeWarning != "" {
		rows = append(rows, widgets.NewCJKLabel(ent.CreditCodeWarning))
	}
	back := widget.NewButton(tr("ent.back.personal"), e.onPersonalTapped)
	return container.NewVScroll(container.NewVBox(append(rows, container.NewHBox(back))...))
}

// contributedTabPerm is the permission a contributed tab needs to be shown (tabs not named here
// are for every member: 主管理员变更 holds 账号申诉, which any member may start).
var contributedTabPerm = map[string]org.Permission{"hooks.tab": org.PermManageIntegrations, "apikeys.tab": org.PermManageAPIKeys}

// contributedTabAdminOnly names the contributed tabs only 主管理员 and 子管理员 see (审计日志, 企业设置).
var contributedTabAdminOnly = map[string]bool{"audit.tab": true, "console.tab": true}

// entStatusText is the verification state in words.
func entStatusText(s string) string {
	switch s {
	case org.EntVerified:
		return tr("ent.state.verified")
	case org.EntPending:
		return tr("ent.state.pending")
	case org.EntRejected:
		return tr("ent.state.rejected")
	}
	return tr("ent.state.unverified")
}

// roleName names a role: the built-in ones in words, a custom one by its name.
func roleName(role string, custom []org.Role) string {
	switch role {
	case org.RoleOwner:
		return tr("role.owner")
	case org.RoleAdmin:
		return tr("role.admin")
	case org.RoleMember:
		return tr("role.member")
	}
	for _, r := range custom {
		if r.ID == role {
			return r.Name
		}
	}
	return tr("role.custom")
}

// run does f with the signed-in client off the UI goroutine and then done (on the UI goroutine)
// with its error; errors are shown in the screen's message line.
func (e *EnterpriseScreen) run(f func(ctx context.Context, c *client.Client) error, done func(error)) {
	c := e.client()
	if c == nil {
		e.Message.SetText(tr("account.err.signedout"))
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		err := f(ctx, c)
		uiDo(func() {
			var oc *offlineCopy
			switch {
			case errors.As(err, &oc):
				e.showOffline(oc.since)
				err = nil // what was kept is shown
			case err != nil && isOffline(err) && !e.offlineSince.IsZero():
				e.showOffline(e.offlineSince) // a copy is on screen: say so, not "cannot connect"
			case err != nil:
				e.Message.SetText(errMessage(err))
			default:
				e.Message.SetText("")
			}
			if done != nil {
				done(err)
			}
		})
	}()
}

// Wait waits for the server calls in flight (run's, the enterprise's load, the LOGO) and applies
// their results, and what those start (tests).
func (e *EnterpriseScreen) Wait() { workers.drain(&e.wg) }

// showOffline says that the screen shows what was synced at since.
func (e *EnterpriseScreen) showOffline(since time.Time) {
	e.Message.SetText(tr("ent.offline", map[string]any{"Time": since.Local().Format("2006-01-02 15:04")}))
}

// keeper is the part of the session that keeps what screens read from the server, so that
// they can show it offline (core/session.Manager's Keep and Kept).
type keeper interface {
	Keep(ctx context.Context, key string, v any) error
	Kept(ctx context.Context, key string, v any) (time.Time, error)
}

func (e *EnterpriseScreen) keeper() keeper {
	k, _ := e.shell.Services.Session.(keeper)
	return k
}

// offlineCopy is the answer of runKept when the server could not be reached and what was kept
// from the last time was read instead.
type offlineCopy struct{ since time.Time }

func (o *offlineCopy) Error() string { return "offline copy of " + o.since.String() }

// runKept is run for a read whose answer v is kept for offline use under key: when fetch
// succeeds v is kept; when the server cannot be reached v is read back from what was kept,
// done gets nil and the message says since when the screen shows a copy.
func (e *EnterpriseScreen) runKept(key string, v any, fetch func(ctx context.Context, c *client.Client) error, done func(error)) {
	k := e.keeper()
	e.run(func(ctx context.Context, c *client.Client) error {
		return keptFetch(ctx, k, key, v, func(ctx context.Context) error { return fetch(ctx, c) })
	}, done)
}

// keptFetch runs fetch and keeps v under key, or reads v back when the server is unreachable
// (an *offlineCopy error then).
func keptFetch(ctx context.Context, k keeper, key string, v any, fetch func(ctx context.Context) error) error {
	err := fetch(ctx)
	if k == nil {
		return err
	}
	if err == nil {
		k.Keep(ctx, key, v) // a copy that cannot be written is only a worse offline view
		return nil
	}
	if isOffline(err) {
		if t, kerr := k.Kept(ctx, key, v); kerr == nil && !t.IsZero() {
			return &offlineCopy{since: t}
		}
	}
	return err
}

// State is what the screen shows: "signedout", "personal" or "enterprise" (for tests).
func (e *EnterpriseScreen) State() string { return e.state }
