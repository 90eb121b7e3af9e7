package ui

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/ui/widgets"
)

// entSealsView is 签章管理 › 企业印章: the seals of the enterprise the user works in (the
// Connection's Context), kept by the server. Every member sees the list and which seals they may
// use now and applies for the others; members with 管理印章 create and discard seals and read the
// usage log (用印记录, exported as CSV); with 授权印章 they grant, change and revoke; with
// 审批用印申请 they decide applications in the inbox (用印申请). The server checks every action;
// the view only hides what the server would refuse.
type entSealsView struct {
	shell *Shell
	conn  Connection

	msg      *widget.Label
	newBtn   *widget.Button
	refresh  *widget.Button
	tabs     *container.AppTabs
	list     *fyne.Container
	apps     *fyne.Container
	appsTab  *container.TabItem
	usesTab  *container.TabItem
	uses     *fyne.Container
	useSeal  *widget.Select
	useMem   *widget.Entry
	useFrom  *widget.Entry
	useTo    *widget.Entry
	useFind  *widget.Button
	useCSV   *widget.Button
	useMsg   *widget.Label
	root     fyne.CanvasObject
	eid      string
	data     api.SealList
	images   map[string]image.Image
	appsData []api.SealApplication
	usesData []api.SealUse
	dlg      dialog.Dialog // the open dialog (tests answer it)
	form     *entSealForm  // the open form's fields (tests fill them)
	wg       sync.WaitGroup
	unsub    func()
	notice   string // the result of the last action, shown until the next one
}

// entSealForm holds the fields of the open create, grant or apply dialog.
type entSealForm struct {
	name, width, height, member, dept, reason *widget.Entry
	kind, source, period                      *widget.Select
	memberSel, deptSel                        *widget.Select // the grantee, by name (member and department ids behind)
	memberIDs, deptIDs                        []string
	submit                                    func()
}

// grantPeriods are the periods offered for grants and applications ("" = without end).
var grantPeriods = []struct {
	key string
	d   time.Duration
}{{"entseal.period.hour", time.Hour}, {"entseal.period.day", 24 * time.Hour}, {"entseal.period.week", 7 * 24 * time.Hour},
	{"entseal.period.month", 30 * 24 * time.Hour}, {"entseal.period.forever", 0}}

func newEntSealsView(s *Shell, conn Connection) *entSealsView {
	v := &entSealsView{shell: s, conn: conn, images: map[string]image.Image{}}
	v.msg = widget.NewLabel("")
	v.msg.Wrapping = fyne.TextWrapWord
	v.newBtn = widget.NewButtonWithIcon(tr("entseal.new"), theme.ContentAddIcon(), v.onNewTapped)
	v.newBtn.Importance = widget.HighImportance
	v.newBtn.Hide()
	v.refresh = widget.NewButtonWithIcon(tr("entseal.refresh"), theme.ViewRefreshIcon(), v.reload)
	v.list = container.NewVBox()
	v.apps = container.NewVBox()
	v.uses = container.NewVBox()
	v.useSeal = newSelect(nil, nil)
	v.useSeal.PlaceHolder = tr("entseal.uses.allseals")
	v.useMem = widget.NewEntry()
	v.useMem.SetPlaceHolder(tr("entseal.uses.member"))
	v.useFrom = widget.NewEntry()
	v.useFrom.SetPlaceHolder(tr("entseal.uses.from"))
	v.useTo = widget.NewEntry()
	v.useTo.SetPlaceHolder(tr("entseal.uses.to"))
	v.useFind = widget.NewButtonWithIcon(tr("entseal.uses.find"), theme.SearchIcon(), v.onFindUsesTapped)
	v.useCSV = widget.NewButtonWithIcon(tr("entseal.uses.csv"), theme.DocumentSaveIcon(), v.onExportTapped)
	v.useMsg = widget.NewLabel("")
	v.useMsg.Wrapping = fyne.TextWrapWord
	filters := container.NewVBox(container.NewGridWithColumns(2, v.useSeal, v.useMem), container.NewGridWithColumns(2, v.useFrom, v.useTo))
	usesPane := container.NewBorder(container.NewVBox(filters, container.NewHBox(v.useFind, v.useCSV), v.useMsg), nil, nil, nil,
		container.NewVScroll(v.uses))
	v.appsTab = container.NewTabItem(tr("entseal.tab.apps"), container.NewVScroll(v.apps))
	v.usesTab = container.NewTabItem(tr("entseal.tab.uses"), usesPane)
	v.tabs = container.NewAppTabs(container.NewTabItem(tr("entseal.tab.list"), container.NewVScroll(v.list)), v.appsTab, v.usesTab)
	top := container.NewVBox(container.NewHBox(v.newBtn, layout.NewSpacer(), v.refresh), v.msg)
	v.root = container.NewBorder(top, nil, nil, nil, v.tabs)
	if conn != nil {
		v.unsub = conn.Subscribe(func() { uiDo(v.reload) })
	}
	v.reload()
	return v
}

func (v *entSealsView) Content() fyne.CanvasObject { return v.root }

func (v *entSealsView) client() *client.Client {
	if v.conn == nil {
		return nil
	}
	return v.conn.Client()
}

// background runs work off the UI goroutine and then done on it.
func (v *entSealsView) background(work func(ctx context.Context) error, done func(error)) {
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := work(ctx)
		cancel()
		uiDoWait(func() { done(err) })
	}()
}

// reload reads the seals (and, for those allowed, applications) of the current enterprise.
func (v *entSealsView) reload() {
	c := v.client()
	v.eid = ""
	if v.conn != nil {
		v.eid = v.conn.Context()
	}
	switch {
	case c == nil:
		v.showEmpty(tr("entseal.signin"))
		return
	case v.eid == "":
		v.showEmpty(tr("entseal.noenterprise"))
		return
	}
	eid := v.eid
	var list api.SealList
	var apps []api.SealApplication
	imgs := map[string]image.Image{}
	v.background(func(ctx context.Context) error {
		var err error
		if list, err = c.Seals(ctx, eid); err != nil {
			return err
		}
		for _, s := range list.Seals {
			if _, ok := v.images[s.ID+s.ImageSHA256]; ok {
				continue
			}
			if b, err := c.SealImage(ctx, eid, s.ID); err == nil {
				if img, err := decodePNG(b); err == nil {
					imgs[s.ID+s.ImageSHA256] = img
				}
			}
		}
		apps, err = c.SealApplications(ctx, eid, "")
		return err
	}, func(err error) {
		if err != nil {
			v.showEmpty(errMessage(err))
			return
		}
		for k, img := range imgs {
			v.images[k] = img
		}
		v.data, v.appsData = list, apps
		v.render()
	})
}

func (v *entSealsView) showEmpty(text string) {
	v.msg.SetText(text)
	v.msg.Show()
	v.newBtn.Hide()
	v.data = api.SealList{}
	v.list.Objects = nil
	v.list.Refresh()
	v.apps.Objects = nil
	v.apps.Refresh()
}

func (v *entSealsView) render() {
	if v.data.CanManage {
		v.newBtn.Show()
	} else {
		v.newBtn.Hide()
	}
	switch {
	case v.notice != "":
		v.msg.SetText(v.notice)
		v.msg.Show()
	case len(v.data.Seals) == 0:
		key := "entseal.empty"
		if v.data.CanManage {
			key = "entseal.empty.manager"
		}
		v.msg.SetText(tr(key))
		v.msg.Show()
	default:
		v.msg.Hide()
	}
	v.list.Objects = nil
	var names []string
	for _, s := range v.data.Seals {
		v.list.Add(v.sealRow(s))
		v.list.Add(widget.NewSeparator())
		names = append(names, s.Name)
	}
	v.list.Refresh()
	v.useSeal.Options = append([]string{tr("entseal.uses.allseals")}, names...)
	v.useSeal.Refresh()
	v.renderApps()
	if !v.data.CanManage {
		v.useMsg.SetText(tr("entseal.uses.forbidden"))
		v.useFind.Disable()
		v.useCSV.Disable()
	} else {
		v.useFind.Enable()
		v.useCSV.Enable()
		if v.useMsg.Text == tr("entseal.uses.forbidden") {
			v.useMsg.SetText("")
		}
	}
}

// sealStatusText says whether the member may use the seal now.
func sealStatusText(s api.SealView) string {
	switch {
	case s.Status == api.SealDiscarded:
		return tr("entseal.status.discarded", map[string]any{"When": s.DiscardedAt.Local().Format("2006-01-02")})
	case s.Usable && s.UsableUntil.IsZero():
		return tr("entseal.status.usable.forever")
	case s.Usable:
		return tr("entseal.status.usable", map[string]any{"Until": s.UsableUntil.Local().Format("2006-01-02 15:04")})
	}
	return tr("entseal.status.nogrant")
}

func (v *entSealsView) sealRow(s api.SealView) fyne.CanvasObject {
	img := canvas.NewImageFromImage(v.images[s.ID+s.ImageSHA256])
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(64, 64))
	title := widget.NewLabelWithStyle(s.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	info := widget.NewLabel(tr("entseal.info", map[string]any{"Kind": s.Kind, "W": mm(s.WidthMM), "H": mm(s.HeightMM)}))
	state := widget.NewLabel(sealStatusText(s))
	state.Wrapping = fyne.TextWrapWord
	switch {
	case s.Status == api.SealDiscarded:
		state.Importance = widget.DangerImportance
	case s.Usable:
		state.Importance = widget.SuccessImportance
	}
	buttons := container.NewHBox()
	if s.Status == api.SealActive {
		if v.data.CanGrant {
			buttons.Add(widget.NewButtonWithIcon(tr("entseal.grants"), theme.AccountIcon(), func() { v.onGrantsTapped(s) }))
		}
		if !s.Usable {
			buttons.Add(widget.NewButtonWithIcon(tr("entseal.apply"), theme.MailSendIcon(), func() { v.onApplyTapped(s) }))
		}
		if v.data.CanManage {
			b := widget.NewButtonWithIcon(tr("entseal.discard"), theme.DeleteIcon(), func() { v.onDiscardTapped(s) })
			b.Importance = widget.DangerImportance
			buttons.Add(b)
		}
	}
	text := container.NewVBox(title, info, state, buttons)
	return container.NewBorder(nil, nil, container.NewPadded(img), nil, text)
}

func mm(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ----- create -----

// librarySeals are the seals of 我的印章 (designed or uploaded) that can become enterprise seals.
func (v *entSealsView) librarySeals() []LibraryItem {
	var out []LibraryItem
	if l := v.shell.Services.Local; l != nil && l.Library != nil {
		items, _ := l.Library.Items()
		for _, it := range items {
			if it.IsSeal() {
				out = append(out, it)
			}
		}
	}
	return out
}

func (v *entSealsView) onNewTapped() {
	items := v.librarySeals()
	if len(items) == 0 {
		v.dlg = dialog.NewInformation(tr("entseal.new"), tr("entseal.new.nolibrary"), v.shell.Window)
		v.dlg.Show()
		return
	}
	f := &entSealForm{name: widget.NewEntry(), width: widget.NewEntry(), height: widget.NewEntry()}
	var names []string
	for _, it := range items {
		names = append(names, it.Name+"（"+kindText(it.Kind)+"）")
	}
	f.source = newSelect(names, func(string) {
		if i := f.source.SelectedIndex(); i >= 0 {
			it := items[i]
			if f.name.Text == "" {
				f.name.SetText(it.Name)
			}
			if it.WidthMM > 0 {
				f.width.SetText(mm(it.WidthMM))
				f.height.SetText(mm(it.HeightMM))
			}
		}
	})
	f.kind = newSelect(api.SealKinds, nil)
	f.kind.SetSelected(api.SealContract)
	f.width.SetText("42")
	f.height.SetText("42")
	f.source.SetSelectedIndex(0)
	f.submit = func() {
		i := f.source.SelectedIndex()
		w, errW := strconv.ParseFloat(strings.TrimSpace(f.width.Text), 64)
		h, errH := strconv.ParseFloat(strings.TrimSpace(f.height.Text), 64)
		if i < 0 || errW != nil || errH != nil {
			v.msg.SetText(tr("entseal.new.bad"))
			v.msg.Show()
			return
		}
		req := api.SealCreateRequest{Name: f.name.Text, Kind: f.kind.Selected, WidthMM: w, HeightMM: h, Image: items[i].PNG}
		v.act(tr("entseal.new.working"), func(ctx context.Context, c *client.Client) error {
			_, err := c.CreateSeal(ctx, v.eid, req)
			return err
		}, tr("entseal.new.done", map[string]any{"Name": req.Name}))
	}
	v.form = f
	d := dialog.NewForm(tr("entseal.new"), tr("entseal.new.create"), tr("common.cancel"), []*widget.FormItem{
		widget.NewFormItem(tr("entseal.field.source"), f.source),
		widget.NewFormItem(tr("entseal.field.name"), f.name),
		widget.NewFormItem(tr("entseal.field.kind"), f.kind),
		widget.NewFormItem(tr("entseal.field.width"), f.width),
		widget.NewFormItem(tr("entseal.field.height"), f.height),
	}, func(ok bool) {
		v.form = nil
		if ok {
			f.submit()
		}
	}, v.shell.Window)
	d.Resize(fyne.NewSize(480, 360))
	v.dlg = d
	d.Show()
}

// act runs a server action with its progress in the message line, then reloads.
func (v *entSealsView) act(working string, work func(ctx context.Context, c *client.Client) error, done string) {
	c := v.client()
	if c == nil {
		return
	}
	v.notice = ""
	v.msg.SetText(working)
	v.msg.Show()
	v.background(func(ctx context.Context) error { return work(ctx, c) }, func(err error) {
		if err != nil {
			v.msg.SetText(tr("entseal.failed", map[string]any{"Reason": errMessage(err)}))
			v.msg.Show()
			return
		}
		v.notice = done
		v.reload()
	})
}

// ----- discard -----

func (v *entSealsView) onDiscardTapped(s api.SealView) {
	v.dlg = dialog.NewConfirm(tr("entseal.discard"), tr("entseal.discard.confirm", map[string]any{"Name": s.Name}), func(ok bool) {
		if ok {
			v.act(tr("entseal.working"), func(ctx context.Context, c *client.Client) error {
				_, err := c.DiscardSeal(ctx, v.eid, s.ID)
				return err
			}, tr("entseal.discard.done", map[string]any{"Name": s.Name}))
		}
	}, v.shell.Window)
	v.dlg.Show()
}

// ----- apply -----

func periodEnd(sel *widget.Select, from time.Time) time.Time {
	i := sel.SelectedIndex()
	if i < 0 || grantPeriods[i].d == 0 {
		return time.Time{}
	}
	return from.Add(grantPeriods[i].d)
}

func periodNames(withForever bool) []string {
	var out []string
	for _, p := range grantPeriods {
		if p.d == 0 && !withForever {
			continue
		}
		out = append(out, tr(p.key))
	}
	return out
}

func (v *entSealsView) onApplyTapped(s api.SealView) {
	f := &entSealForm{reason: widget.NewMultiLineEntry(), period: newSelect(periodNames(false), nil)}
	f.reason.SetMinRowsVisible(3)
	f.reason.Wrapping = fyne.TextWrapWord
	f.period.SetSelectedIndex(1)
	f.submit = func() {
		req := api.SealApplyRequest{Reason: f.reason.Text, NotAfter: periodEnd(f.period, time.Now())}
		v.act(tr("entseal.working"), func(ctx context.Context, c *client.Client) error {
			_, err := c.ApplySeal(ctx, v.eid, s.ID, req)
			return err
		}, tr("entseal.apply.done", map[string]any{"Name": s.Name}))
	}
	v.form = f
	d := dialog.NewForm(tr("entseal.apply.title", map[string]any{"Name": s.Name}), tr("entseal.apply.send"), tr("common.cancel"),
		[]*widget.FormItem{widget.NewFormItem(tr("entseal.field.reason"), f.reason), widget.NewFormItem(tr("entseal.field.period"), f.period)},
		func(ok bool) {
			v.form = nil
			if ok {
				f.submit()
			}
		}, v.shell.Window)
	d.Resize(fyne.NewSize(480, 300))
	v.dlg = d
	d.Show()
}

// ----- grants -----

func (v *entSealsView) onGrantsTapped(s api.SealView) {
	c := v.client()
	if c == nil {
		return
	}
	box := container.NewVBox()
	f := &entSealForm{member: widget.NewEntry(), dept: widget.NewEntry(), period: newSelect(periodNames(true), nil)}
	f.member.SetPlaceHolder(tr("entseal.grant.member"))
	f.dept.SetPlaceHolder(tr("entseal.grant.dept"))
	f.memberSel = newSelect(nil, func(sel string) {
		if sel != "" {
			f.deptSel.ClearSelected()
		}
	})
	f.memberSel.PlaceHolder = tr("entseal.grant.pickmember")
	f.deptSel = newSelect(nil, func(sel string) {
		if sel != "" {
			f.memberSel.ClearSelected()
		}
	})
	f.deptSel.PlaceHolder = tr("entseal.grant.pickdept")
	f.member.Hide()
	f.dept.Hide()
	// The members and departments to choose from; typing ids is the fallback when they cannot be
	// listed (an older server).
	var members []org.Member
	var depts []org.Department
	v.background(func(ctx context.Context) error {
		var err error
		if members, err = c.Members(ctx, v.eid, "", 500); err != nil {
			return err
		}
		depts, err = c.Departments(ctx, v.eid)
		return err
	}, func(err error) {
		if err != nil && len(members) == 0 {
			f.memberSel.Hide()
			f.deptSel.Hide()
			f.member.Show()
			f.dept.Show()
			return
		}
		f.memberIDs, f.deptIDs = nil, nil
		var mn, dn []string
		for _, m := range members {
			if m.Disabled {
				continue
			}
			f.memberIDs = append(f.memberIDs, m.AccountID)
			mn = append(mn, m.Name)
		}
		for _, d := range depts {
			f.deptIDs = append(f.deptIDs, d.ID)
			dn = append(dn, d.Name)
		}
		f.memberSel.SetOptions(mn)
		f.deptSel.SetOptions(dn)
	})
	f.period.SetSelectedIndex(0)
	status := widget.NewLabel("")
	status.Wrapping = fyne.TextWrapWord
	var load func()
	load = func() {
		var gs []api.SealGrant
		v.background(func(ctx context.Context) error {
			var err error
			gs, err = c.SealGrants(ctx, v.eid, s.ID)
			return err
		}, func(err error) {
			box.Objects = nil
			if err != nil {
				status.SetText(errMessage(err))
				return
			}
			if len(gs) == 0 {
				box.Add(widget.NewLabel(tr("entseal.grant.none")))
			}
			for _, g := range gs {
				box.Add(v.grantRow(g, status, load))
			}
			box.Refresh()
		})
	}
	f.submit = func() {
		req := api.SealGrantRequest{MemberID: strings.TrimSpace(f.member.Text), DepartmentID: strings.TrimSpace(f.dept.Text),
			NotAfter: periodEnd(f.period, time.Now())}
		if i := f.memberSel.SelectedIndex(); i >= 0 && i < len(f.memberIDs) {
			req.MemberID, req.DepartmentID = f.memberIDs[i], ""
		} else if i := f.deptSel.SelectedIndex(); i >= 0 && i < len(f.deptIDs) {
			req.MemberID, req.DepartmentID = "", f.deptIDs[i]
		}
		v.background(func(ctx context.Context) error {
			_, err := c.GrantSeal(ctx, v.eid, s.ID, req)
			return err
		}, func(err error) {
			if err != nil {
				status.SetText(tr("entseal.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			status.SetText(tr("entseal.grant.done"))
			f.member.SetText("")
			f.dept.SetText("")
			f.memberSel.ClearSelected()
			f.deptSel.ClearSelected()
			load()
			v.reload()
		})
	}
	add := widget.NewButtonWithIcon(tr("entseal.grant.add"), theme.ContentAddIcon(), f.submit)
	add.Importance = widget.HighImportance
	form := container.NewVBox(widget.NewLabelWithStyle(tr("entseal.grant.new"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2, container.NewStack(f.memberSel, f.member), container.NewStack(f.deptSel, f.dept)),
		container.NewBorder(nil, nil, nil, add, f.period), status)
	content := container.NewBorder(nil, form, nil, nil, container.NewVScroll(box))
	v.form = f
	d := dialog.NewCustom(tr("entseal.grants.title", map[string]any{"Name": s.Name}), tr("common.close"), content, v.shell.Window)
	d.SetOnClosed(func() { v.form = nil })
	d.Resize(fyne.NewSize(min(640, v.shell.Window.Canvas().Size().Width-40), min(460, v.shell.Window.Canvas().Size().Height-40)))
	v.dlg = d
	d.Show()
	load()
}

func grantText(g api.SealGrant) string {
	until := tr("entseal.period.forever")
	if !g.NotAfter.IsZero() {
		until = g.NotAfter.Local().Format("2006-01-02 15:04")
	}
	state := tr("entseal.grant.valid")
	switch {
	case g.Revoked:
		state = tr("entseal.grant.revoked")
	case g.Ended:
		state = tr("entseal.grant.ended")
	case !g.ValidNow:
		state = tr("entseal.grant.notyet")
	}
	who := g.GranteeName
	if g.DepartmentID != "" {
		who = tr("entseal.grant.deptname", map[string]any{"Name": g.GranteeName})
	}
	return tr("entseal.grant.line", map[string]any{"Who": who, "From": g.NotBefore.Local().Format("2006-01-02 15:04"), "Until": until, "State": state})
}

func (v *entSealsView) grantRow(g api.SealGrant, status *widget.Label, reload func()) fyne.CanvasObject {
	l := widget.NewLabel(grantText(g))
	l.Wrapping = fyne.TextWrapWord
	if g.Revoked || g.Ended {
		return l
	}
	c := v.client()
	period := newSelect(periodNames(true), nil)
	period.PlaceHolder = tr("entseal.grant.change")
	period.OnChanged = func(string) {
		req := api.SealGrantRequest{NotAfter: periodEnd(period, time.Now())}
		v.background(func(ctx context.Context) error {
			_, err := c.ChangeSealGrant(ctx, v.eid, g.ID, req)
			return err
		}, func(err error) {
			if err != nil {
				status.SetText(tr("entseal.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			status.SetText(tr("entseal.grant.changed"))
			reload()
		})
	}
	revoke := widget.NewButtonWithIcon(tr("entseal.grant.revoke"), theme.CancelIcon(), func() {
		v.background(func(ctx context.Context) error {
			_, err := c.RevokeSealGrant(ctx, v.eid, g.ID)
			return err
		}, func(err error) {
			if err != nil {
				status.SetText(tr("entseal.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			status.SetText(tr("entseal.grant.revokeddone"))
			reload()
			v.reload()
		})
	})
	revoke.Importance = widget.DangerImportance
	return container.NewBorder(nil, nil, nil, container.NewHBox(container.New(widgets.MinWidth(150), period), revoke), l)
}

// ----- applications -----

func (v *entSealsView) renderApps() {
	v.apps.Objects = nil
	pending := 0
	if len(v.appsData) == 0 {
		v.apps.Add(widget.NewLabel(tr("entseal.apps.none")))
	}
	for _, a := range v.appsData {
		line := widget.NewLabel(tr("entseal.apps.line", map[string]any{"Who": a.ApplicantName, "Seal": a.SealName,
			"From": a.NotBefore.Local().Format("2006-01-02 15:04"), "Until": a.NotAfter.Local().Format("2006-01-02 15:04"),
			"Reason": a.Reason, "State": tr("entseal.apps.state." + a.Status)}))
		line.Wrapping = fyne.TextWrapWord
		var row fyne.CanvasObject = line
		if a.Status == api.ApplicationPending && v.data.CanApprove {
			pending++
			a := a
			ok := widget.NewButtonWithIcon(tr("entseal.apps.approve"), theme.ConfirmIcon(), func() { v.decide(a, true) })
			ok.Importance = widget.HighImportance
			no := widget.NewButtonWithIcon(tr("entseal.apps.reject"), theme.CancelIcon(), func() { v.decide(a, false) })
			row = container.NewBorder(nil, nil, nil, container.NewHBox(ok, no), line)
		}
		v.apps.Add(row)
		v.apps.Add(widget.NewSeparator())
	}
	v.apps.Refresh()
	v.appsTab.Text = tr("entseal.tab.apps")
	if pending > 0 {
		v.appsTab.Text = tr("entseal.tab.apps.pending", map[string]any{"N": pending})
	}
	v.tabs.Refresh()
}

func (v *entSealsView) decide(a api.SealApplication, approve bool) {
	done := tr("entseal.apps.approved", map[string]any{"Who": a.ApplicantName})
	if !approve {
		done = tr("entseal.apps.rejected", map[string]any{"Who": a.ApplicantName})
	}
	v.act(tr("entseal.working"), func(ctx context.Context, c *client.Client) error {
		_, err := c.DecideSealApplication(ctx, v.eid, a.ID, approve, "")
		return err
	}, done)
}

// ----- usage log -----

func (v *entSealsView) useQuery() (client.SealUseQuery, error) {
	var q client.SealUseQuery
	if i := v.useSeal.SelectedIndex(); i > 0 && i-1 < len(v.data.Seals) {
		q.SealID = v.data.Seals[i-1].ID
	}
	q.MemberID = strings.TrimSpace(v.useMem.Text)
	for _, p := range []struct {
		e   *widget.Entry
		dst *time.Time
		add int
	}{{v.useFrom, &q.From, 0}, {v.useTo, &q.To, 1}} {
		if t := strings.TrimSpace(p.e.Text); t != "" {
			d, err := time.ParseInLocation("2006-01-02", t, time.Local)
			if err != nil {
				return q, fmt.Errorf("%s", tr("entseal.uses.baddate", map[string]any{"Text": t}))
			}
			*p.dst = d.AddDate(0, 0, p.add) // "to" includes its whole day
		}
	}
	return q, nil
}

func (v *entSealsView) onFindUsesTapped() {
	c := v.client()
	q, err := v.useQuery()
	if err != nil || c == nil {
		v.useMsg.SetText(errMessage(err))
		return
	}
	var list api.SealUseList
	v.useMsg.SetText(tr("entseal.working"))
	v.background(func(ctx context.Context) error {
		var err error
		list, err = c.SealUses(ctx, v.eid, q)
		return err
	}, func(err error) {
		v.uses.Objects = nil
		if err != nil {
			v.useMsg.SetText(errMessage(err))
			v.uses.Refresh()
			return
		}
		v.usesData = list.Uses
		v.useMsg.SetText(tr("entseal.uses.count", map[string]any{"N": len(list.Uses)}))
		for _, u := range list.Uses {
			l := widget.NewLabel(tr("entseal.uses.line", map[string]any{"Time": u.Time.Local().Format("2006-01-02 15:04:05"),
				"Seal": u.SealName, "Who": u.MemberName, "Contract": orDash(u.ContractID), "Doc": shortHash(u.DocumentSHA256), "Device": orDash(u.Device)}))
			if u.Refused != "" {
				// A use the server refused (nothing signed): say so, and why.
				l.SetText(l.Text + "\n" + tr("entseal.uses.refused", map[string]any{"Why": strings.TrimSuffix(strings.TrimPrefix(u.Refused, "拒绝："), "，未用印")}))
				l.Importance = widget.DangerImportance
			}
			l.Wrapping = fyne.TextWrapWord
			v.uses.Add(l)
		}
		v.uses.Refresh()
	})
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

func (v *entSealsView) onExportTapped() {
	c := v.client()
	q, err := v.useQuery()
	if err != nil || c == nil {
		v.useMsg.SetText(errMessage(err))
		return
	}
	home, _ := os.UserHomeDir()
	if v.shell.Services.Settings != nil && v.shell.Services.Settings.DataDir() != "" {
		home = v.shell.Services.Settings.DataDir()
	}
	name := tr("entseal.uses.csvname", map[string]any{"Date": time.Now().Format("20060102")})
	v.shell.chooseSave(tr("entseal.uses.csv"), filepath.Join(home, name), "", nil, func(out string) { v.exportTo(c, q, out) })
}

// exportTo writes the CSV through a temporary file and a rename: a failed export leaves nothing.
func (v *entSealsView) exportTo(c *client.Client, q client.SealUseQuery, out string) {
	v.useMsg.SetText(tr("entseal.working"))
	v.background(func(ctx context.Context) error {
		b, err := c.SealUsesCSV(ctx, v.eid, q)
		if err != nil {
			return err
		}
		return writeFileAtomic(out, b)
	}, func(err error) {
		if err != nil {
			v.useMsg.SetText(errMessage(err))
			return
		}
		v.useMsg.SetText(tr("entseal.uses.exported", map[string]any{"Path": out}))
	})
}
