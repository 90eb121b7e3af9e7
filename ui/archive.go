package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/archive"
	"sealdesk/core/client"
	"sealdesk/core/org"
)

// ArchiveScreen is 档案柜: the folder tree (with how many contracts each holds and how many are
// past the retention period), a search by subject, counterparty, signer and completion date,
// the results, 导出 ZIP of the selected folder, and — for members holding archive.manage only,
// as the server allows — 新建档案夹, 编辑 (rename, rule, retention, roles) and 删除 of the
// selected folder. Completed contracts arrive by themselves (filed by the server): those the
// enterprise sent and those it signed as a company recipient, each line saying 发出 or 收到.
type ArchiveScreen struct {
	shell *Shell

	split *container.Split
	// Personal replaces the screen outside an enterprise: a sentence and a button to 企业.
	Personal fyne.CanvasObject

	Tree    *widget.Tree
	Folders []api.ArchiveFolder
	Folder  string // the selected folder id ("" : all)

	Subject, Counterparty, Signer, From, To *widget.Entry
	Search                                  *widget.Button
	Export                                  *widget.Button
	NewFolder                               *widget.Button
	EditFolder                              *widget.Button // 编辑档案夹 (the selected one)
	DeleteFolder                            *widget.Button // 删除档案夹 (the selected one)
	// CanManage says whether the signed-in member holds archive.manage in the enterprise (the
	// folder buttons show only then; the server refuses the others with 403 anyway).
	CanManage bool
	// DeleteAsk is the open 删除 confirmation and DeleteConfirm its button (tests).
	DeleteAsk     *widget.PopUp
	DeleteConfirm *widget.Button
	Results       *widget.List
	Items         []api.ArchiveItem
	Status        *widget.Label
	Empty         *fyne.Container
	EmptyMsg      *widget.Label

	LastSave     *saveAsDialog
	FolderEditor *FolderDialog

	content fyne.CanvasObject
	wg      sync.WaitGroup
	gen     int // the newest search; older answers are dropped
}

func newArchiveScreen(s *Shell) Screen {
	sc := &ArchiveScreen{shell: s}
	sc.Status = widget.NewLabel("")
	sc.Status.Wrapping = fyne.TextWrapWord
	sc.Status.Hide()
	sc.Tree = widget.NewTree(sc.childUIDs, sc.isBranch,
		func(bool) fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) { o.(*widget.Label).SetText(sc.folderLabel(id)) })
	sc.Tree.OnSelected = func(id widget.TreeNodeID) {
		sc.Folder = id
		if id == "all" {
			sc.Folder = ""
		}
		sc.updateExport()
		sc.RunSearch()
	}
	entry := func(key string) *widget.Entry {
		e := widget.NewEntry()
		e.SetPlaceHolder(tr(key))
		e.OnSubmitted = func(string) { sc.RunSearch() }
		return e
	}
	sc.Subject, sc.Counterparty, sc.Signer = entry("archive.subject"), entry("archive.counterparty"), entry("archive.signer")
	sc.From, sc.To = entry("archive.from"), entry("archive.to")
	sc.Search = widget.NewButtonWithIcon(tr("archive.search"), theme.SearchIcon(), sc.RunSearch)
	sc.Search.Importance = widget.HighImportance
	sc.Export = widget.NewButtonWithIcon(tr("archive.export"), theme.DownloadIcon(), sc.onExport)
	sc.Export.Disable()
	sc.NewFolder = widget.NewButtonWithIcon(tr("archive.folder.new"), theme.FolderNewIcon(), func() { sc.openFolder(nil) })
	sc.EditFolder = widget.NewButtonWithIcon(tr("archive.folder.edit"), theme.DocumentCreateIcon(), sc.onEditFolder)
	sc.DeleteFolder = widget.NewButtonWithIcon(tr("archive.folder.delete"), theme.DeleteIcon(), sc.onDeleteFolder)
	sc.NewFolder.Hide()
	sc.EditFolder.Hide()
	sc.DeleteFolder.Hide()
	sc.Results = widget.NewList(func() int { return len(sc.Items) },
		func() fyne.CanvasObject { return widget.NewLabel("") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i < len(sc.Items) {
				o.(*widget.Label).SetText(archiveLine(sc.Items[i]))
			}
		})
	sc.EmptyMsg = widget.NewLabel(tr("archive.empty"))
	sc.EmptyMsg.Wrapping = fyne.TextWrapWord
	sc.EmptyMsg.Alignment = fyne.TextAlignCenter
	toSend := widget.NewButtonWithIcon(tr("archive.empty.send"), theme.MailSendIcon(), func() { s.Show(NavSend) })
	sc.Empty = container.NewVBox(widget.NewLabel(""), sc.EmptyMsg, container.NewCenter(container.NewHBox(toSend)))
	sc.Empty.Hide()
	form := container.NewGridWithColumns(3, sc.Subject, sc.Counterparty, sc.Signer, sc.From, sc.To, sc.Search)
	top := container.NewVBox(form, container.NewHBox(sc.Export, sc.NewFolder, sc.EditFolder, sc.DeleteFolder), sc.Status)
	right := container.NewBorder(top, nil, nil, nil, container.NewStack(sc.Results, sc.Empty))
	split := container.NewHSplit(container.NewBorder(widget.NewLabelWithStyle(tr("archive.folders"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		nil, nil, nil, sc.Tree), right)
	split.Offset = 0.26
	sc.split = split
	// Outside an enterprise the archive has nothing to show: one button leads to 企业 (switch,
	// create or join one) instead of a search form that cannot work.
	toEnt := widget.NewButtonWithIcon(tr("archive.personal.go"), theme.AccountIcon(), func() { s.Show(NavEnterprise) })
	toEnt.Importance = widget.HighImportance
	sc.Personal = emptyState(tr("archive.need.enterprise"), toEnt)
	sc.Personal.Hide()
	sc.content = container.NewStack(split, sc.Personal)
	return sc
}

// Content implements Screen.
func (sc *ArchiveScreen) Content() fyne.CanvasObject { return sc.content }

func (sc *ArchiveScreen) shown()          { sc.Reload() }
func (sc *ArchiveScreen) sessionChanged() { sc.Reload() }

// Wait waits for the server calls in flight and applies their results (tests).
func (sc *ArchiveScreen) Wait() { workers.drain(&sc.wg) }

func (sc *ArchiveScreen) enterprise() (*client.Client, string, bool) {
	c := sc.shell.client()
	if c == nil || sc.shell.Services.Conn == nil || sc.shell.Services.Conn.Context() == "" {
		sc.Status.SetText(tr("archive.need.enterprise"))
		sc.Status.Show()
		sc.split.Hide()
		sc.Personal.Show()
		return nil, "", false
	}
	sc.Personal.Hide()
	sc.split.Show()
	return c, sc.shell.Services.Conn.Context(), true
}

func (sc *ArchiveScreen) fail(err error) {
	sc.Status.SetText(errMessage(err))
	sc.Status.Show()
}

// The tree: "all" at the root, folders under their parents.
func (sc *ArchiveScreen) childUIDs(id widget.TreeNodeID) []widget.TreeNodeID {
	if id == "" {
		return []widget.TreeNodeID{"all"}
	}
	parent := id
	if id == "all" {
		parent = ""
	}
	known := map[string]bool{}
	for _, f := range sc.Folders {
		known[f.ID] = true
	}
	var out []widget.TreeNodeID
	for _, f := range sc.Folders {
		p := f.Parent
		if !known[p] {
			p = "" // a parent the member may not see: shown at the top
		}
		if p == parent {
			out = append(out, f.ID)
		}
	}
	return out
}

func (sc *ArchiveScreen) isBranch(id widget.TreeNodeID) bool {
	return id == "" || id == "all" || len(sc.childUIDs(id)) > 0
}

func (sc *ArchiveScreen) folderLabel(id string) string {
	if id == "all" {
		n := 0
		for _, f := range sc.Folders {
			n += f.Count
		}
		return tr("archive.all", map[string]any{"N": n})
	}
	for _, f := range sc.Folders {
		if f.ID == id {
			l := tr("archive.folder.line", map[string]any{"Name": f.Name, "N": f.Count})
			if f.Due > 0 {
				l += " · " + tr("archive.folder.due", map[string]any{"N": f.Due})
			}
			return l
		}
	}
	return id
}

func (sc *ArchiveScreen) folder(id string) (api.ArchiveFolder, bool) {
	for _, f := range sc.Folders {
		if f.ID == id {
			return f, true
		}
	}
	return api.ArchiveFolder{}, false
}

// updateExport enables 导出 and shows 编辑/删除 (archive.manage) for a selected folder.
func (sc *ArchiveScreen) updateExport() {
	f, ok := sc.folder(sc.Folder)
	if ok {
		sc.Export.Enable()
	} else {
		sc.Export.Disable()
	}
	if ok && sc.CanManage {
		sc.EditFolder.Show()
		sc.DeleteFolder.Show()
		if f.ID == archive.DefaultFolder {
			sc.DeleteFolder.Disable() // the server keeps it
		} else {
			sc.DeleteFolder.Enable()
		}
	} else {
		sc.EditFolder.Hide()
		sc.DeleteFolder.Hide()
	}
}

func (sc *ArchiveScreen) onEditFolder() {
	if f, ok := sc.folder(sc.Folder); ok && sc.CanManage {
		sc.openFolder(&f)
	}
}

// onDeleteFolder asks before deleting the selected folder; the server refuses a folder that
// still holds contracts or folders, and the reason is shown.
func (sc *ArchiveScreen) onDeleteFolder() {
	f, ok := sc.folder(sc.Folder)
	if !ok || !sc.CanManage {
		return
	}
	c, ent, ok := sc.enterprise()
	if !ok {
		return
	}
	msg := widget.NewLabel(tr("archive.folder.delete.ask", map[string]any{"Name": f.Name}))
	msg.Wrapping = fyne.TextWrapWord
	var pop *widget.PopUp
	cancelB := widget.NewButton(tr("common.cancel"), func() { pop.Hide() })
	sc.DeleteConfirm = widget.NewButtonWithIcon(tr("archive.folder.delete"), theme.DeleteIcon(), func() {
		pop.Hide()
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := c.DeleteArchiveFolder(ctx, ent, f.ID)
			uiDo(func() {
				if err != nil {
					sc.fail(err)
					return
				}
				sc.Folder = ""
				sc.Tree.UnselectAll()
				sc.Reload()
				sc.Status.SetText(tr("archive.folder.deleted", map[string]any{"Name": f.Name}))
				sc.Status.Show()
			})
		}()
	})
	sc.DeleteConfirm.Importance = widget.DangerImportance
	body := container.NewVBox(msg, container.NewHBox(layout.NewSpacer(), cancelB, sc.DeleteConfirm))
	pop = widget.NewModalPopUp(container.NewGridWrap(fyne.NewSize(420, body.MinSize().Height+40), body), sc.shell.Window.Canvas())
	sc.DeleteAsk = pop
	pop.Show()
}

// archiveLine is a result's line: date, 收到 or 发出, subject, counterparties (for a received
// contract the sender first), signers.
func archiveLine(it api.ArchiveItem) string {
	dir := tr("archive.item.sent")
	if it.Received {
		dir = tr("archive.item.received")
	}
	line := fmt.Sprintf("%s  [%s] %s  ·  %s  ·  %s", it.Completed.Local().Format("2006-01-02"), dir, it.Subject,
		strings.Join(it.Counterparties, "、"), strings.Join(it.Signers, "、"))
	if it.Due {
		line += "  · " + tr("archive.item.due")
	}
	return line
}

// Reload reads the folders, then searches.
func (sc *ArchiveScreen) Reload() {
	c, ent, ok := sc.enterprise()
	if !ok {
		return
	}
	sc.Status.Hide()
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fs, err := c.ArchiveFolders(ctx, ent)
		manage := false
		if mine, merr := c.MyEnterprises(ctx); merr == nil {
			for _, m := range mine {
				if m.Enterprise.ID == ent && !m.Member.Disabled && slices.Contains(m.Permissions, org.PermManageArchive) {
					manage = true
				}
			}
		}
		uiDo(func() {
			sc.CanManage = manage
			if manage {
				sc.NewFolder.Show()
			} else {
				sc.NewFolder.Hide()
			}
			if err != nil {
				sc.updateExport()
				sc.fail(err)
				return
			}
			sc.Folders = fs
			sc.Tree.Refresh()
			sc.Tree.OpenAllBranches()
			sc.updateExport()
			sc.RunSearch()
		})
	}()
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation("2006-01-02", s, time.Local)
}

// RunSearch searches with the form's fields in the selected folder.
func (sc *ArchiveScreen) RunSearch() {
	c, ent, ok := sc.enterprise()
	if !ok {
		return
	}
	from, err1 := parseDate(sc.From.Text)
	to, err2 := parseDate(sc.To.Text)
	if err1 != nil || err2 != nil {
		sc.Status.SetText(tr("archive.date.bad"))
		sc.Status.Show()
		return
	}
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1) // the whole last day
	}
	q := api.ArchiveQuery{Folder: sc.Folder, Subject: sc.Subject.Text, Counterparty: sc.Counterparty.Text, Signer: sc.Signer.Text,
		From: from, To: to, Limit: 200}
	sc.gen++
	gen := sc.gen
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, err := c.SearchArchive(ctx, ent, q)
		uiDo(func() {
			if gen != sc.gen {
				return // a newer search (another folder, other fields) answers instead
			}
			if err != nil {
				sc.fail(err)
				return
			}
			sc.Status.Hide()
			sc.Items = r.Items
			sc.Results.Refresh()
			filtered := q.Subject != "" || q.Counterparty != "" || q.Signer != "" || !q.From.IsZero() || !q.To.IsZero()
			total := 0
			for _, f := range sc.Folders {
				total += f.Count
			}
			sc.Results.Hidden = len(r.Items) == 0
			sc.Results.Refresh()
			switch {
			case len(r.Items) > 0:
				sc.Empty.Hide()
			case filtered:
				sc.EmptyMsg.SetText(tr("archive.none"))
				sc.Empty.Show()
			case total == 0:
				sc.EmptyMsg.SetText(tr("archive.empty"))
				sc.Empty.Show()
			default:
				sc.EmptyMsg.SetText(tr("archive.folder.empty"))
				sc.Empty.Show()
			}
		})
	}()
}

func (sc *ArchiveScreen) onExport() {
	c, ent, ok := sc.enterprise()
	f, found := sc.folder(sc.Folder)
	if !ok || !found {
		return
	}
	name := safeFileName(f.Name) + "-" + time.Now().Format("20060102") + ".zip"
	sc.LastSave = sc.shell.chooseSave(tr("archive.export"), filepath.Join(documentsDir(), name), "", nil, func(path string) {
		sc.Status.SetText(tr("archive.exporting"))
		sc.Status.Show()
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			err := c.ExportArchiveFolder(ctx, ent, f.ID, path)
			uiDo(func() {
				if err != nil {
					sc.fail(err)
					return
				}
				sc.Status.SetText(tr("archive.exported", map[string]any{"Path": path, "N": f.Count}))
				sc.Status.Show()
			})
		}()
	})
}

// FolderDialog makes a folder: its name, the filing rule (counterparty names, departments), the
// retention period and the roles that may see it.
type FolderDialog struct {
	Name           *widget.Entry
	Counterparties *widget.Entry // separated by commas
	Departments    *widget.CheckGroup
	Retention      *widget.Entry // years; empty: 永久
	Roles          *widget.CheckGroup
	Err            *widget.Label
	Confirm        *widget.Button
	depIDs         map[string]string
	roleIDs        map[string]string
	pop            *widget.PopUp
}

// openFolder opens the folder dialog: a new folder under the selected one (edit nil), or the
// selected folder to change.
func (sc *ArchiveScreen) openFolder(edit *api.ArchiveFolder) {
	c, ent, ok := sc.enterprise()
	if !ok {
		return
	}
	d := &FolderDialog{depIDs: map[string]string{}, roleIDs: map[string]string{}}
	d.Name = widget.NewEntry()
	d.Name.SetPlaceHolder(tr("archive.folder.name"))
	d.Counterparties = widget.NewEntry()
	d.Counterparties.SetPlaceHolder(tr("archive.folder.counterparties"))
	d.Retention = widget.NewEntry()
	d.Retention.SetPlaceHolder(tr("archive.folder.retention"))
	d.Departments = widget.NewCheckGroup(nil, nil)
	d.Departments.Horizontal = true
	d.Roles = widget.NewCheckGroup(nil, nil)
	d.Roles.Horizontal = true
	d.Err = widget.NewLabel("")
	d.Err.Wrapping = fyne.TextWrapWord
	d.Err.Importance = widget.DangerImportance
	d.Err.Hide()
	cancelB := widget.NewButton(tr("common.cancel"), func() { d.pop.Hide() })
	title := tr("archive.folder.new")
	if edit != nil {
		title = tr("archive.folder.edit.title", map[string]any{"Name": edit.Name})
		d.Name.SetText(edit.Name)
		d.Counterparties.SetText(strings.Join(edit.Counterparties, "，"))
		if edit.RetentionYears > 0 {
			d.Retention.SetText(strconv.Itoa(edit.RetentionYears))
		}
	}
	d.Confirm = widget.NewButton(tr("archive.folder.save"), func() {
		f := api.ArchiveFolder{Name: d.Name.Text}
		if edit != nil {
			// the same folder: its place, owner and template rule stay
			f.ID, f.Parent, f.Owner, f.Templates = edit.ID, edit.Parent, edit.Owner, edit.Templates
		} else if sel, ok := sc.folder(sc.Folder); ok {
			f.Parent = sel.ID
		}
		for _, x := range strings.FieldsFunc(d.Counterparties.Text, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
			f.Counterparties = append(f.Counterparties, strings.TrimSpace(x))
		}
		if t := strings.TrimSpace(d.Retention.Text); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil {
				d.Err.SetText(tr("archive.folder.retention.bad"))
				d.Err.Show()
				return
			}
			f.RetentionYears = n
		}
		for _, x := range d.Departments.Selected {
			f.Departments = append(f.Departments, d.depIDs[x])
		}
		for _, x := range d.Roles.Selected {
			f.Roles = append(f.Roles, d.roleIDs[x])
		}
		d.Confirm.Disable()
		sc.wg.Add(1)
		go func() {
			defer sc.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := c.SaveArchiveFolder(ctx, ent, f)
			uiDo(func() {
				d.Confirm.Enable()
				if err != nil {
					d.Err.SetText(errMessage(err))
					d.Err.Show()
					return
				}
				d.pop.Hide()
				sc.Reload()
			})
		}()
	})
	d.Confirm.Importance = widget.HighImportance
	body := container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		d.Name, widget.NewLabel(tr("archive.folder.rule")), d.Counterparties, widget.NewLabel(tr("archive.folder.departments")), d.Departments,
		widget.NewLabel(tr("archive.folder.retention")), d.Retention, widget.NewLabel(tr("archive.folder.roles")), d.Roles, d.Err, container.NewHBox(widget.NewLabel(""), cancelB, d.Confirm))
	d.pop = widget.NewModalPopUp(container.NewGridWrap(fyne.NewSize(540, body.MinSize().Height+100), container.NewVScroll(body)), sc.shell.Window.Canvas())
	sc.FolderEditor = d
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		deps, err := c.Departments(ctx, ent)
		roles, _ := c.Roles(ctx, ent)
		uiDo(func() {
			if err != nil {
				d.Err.SetText(errMessage(err))
				d.Err.Show()
			}
			var dn []string
			for _, x := range deps {
				d.depIDs[x.Name] = x.ID
				dn = append(dn, x.Name)
			}
			d.Departments.Options = dn
			if edit != nil {
				for name, id := range d.depIDs {
					if slices.Contains(edit.Departments, id) {
						d.Departments.Selected = append(d.Departments.Selected, name)
					}
				}
			}
			d.Departments.Refresh()
			all := tr("archive.folder.roles.all")
			d.roleIDs[all] = org.RoleMember
			rn := []string{all}
			for _, r := range roles {
				d.roleIDs[r.Name] = r.ID
				rn = append(rn, r.Name)
			}
			d.Roles.Options = rn
			if edit != nil {
				for name, id := range d.roleIDs {
					if slices.Contains(edit.Roles, id) {
						d.Roles.Selected = append(d.Roles.Selected, name)
					}
				}
			}
			d.Roles.Refresh()
		})
	}()
	d.pop.Show()
}
