package ui

import (
	"context"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/ui/widgets"
)

// rolesPanel is 角色: 主管理员 and 子管理员 (all rights) and the custom roles, each a name and a set
// of permissions ticked from org.AllPermissions. Creating and changing roles is for 主管理员 and
// 子管理员; other managers see them.
type rolesPanel struct {
	e *EnterpriseScreen

	List    *fyne.Container
	Name    *widget.Entry
	Perms   *widget.CheckGroup
	Save    *widget.Button
	New     *widget.Button
	Status  *widgets.CJKLabel
	editor  *fyne.Container
	content fyne.CanvasObject
	roles   []org.Role
	editing string // id of the role in the editor ("" : a new one)
	gen     int    // the latest load; an older one's answer arriving later is dropped
}

// permName is a permission in words.
func permName(p org.Permission) string { return tr("perm." + string(p)) }

func newRolesPanel(e *EnterpriseScreen) *rolesPanel {
	p := &rolesPanel{e: e}
	p.List = container.NewVBox()
	p.Name = widget.NewEntry()
	p.Name.SetPlaceHolder(tr("ent.role.name"))
	names := make([]string, len(org.AllPermissions))
	for i, q := range org.AllPermissions {
		names[i] = permName(q)
	}
	p.Perms = widget.NewCheckGroup(names, nil)
	p.Save = widget.NewButton(tr("ent.role.save"), p.onSaveTapped)
	p.Save.Importance = widget.HighImportance
	p.New = widget.NewButtonWithIcon(tr("ent.role.new"), theme.ContentAddIcon(), func() { p.edit(org.Role{}) })
	p.Status = widgets.NewCJKLabel("")
	p.editor = container.NewVBox(widget.NewLabelWithStyle(tr("ent.role.editor"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.Name, p.Perms, container.NewHBox(p.Save), p.Status)
	builtin := widgets.NewCJKLabel(tr("ent.role.builtin"))
	p.content = container.NewVScroll(container.NewVBox(builtin, widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, p.New, widget.NewLabelWithStyle(tr("ent.role.custom"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})),
		p.List, widget.NewSeparator(), p.editor))
	return p
}

func (p *rolesPanel) load() {
	id := p.e.Current.Enterprise.ID
	var roles []org.Role
	p.gen++
	gen := p.gen
	p.e.runKept("ent/"+id+"/roles", &roles, func(ctx context.Context, c *client.Client) error {
		var err error
		roles, err = c.Roles(ctx, id)
		return err
	}, func(err error) {
		if err != nil || id != p.e.Current.Enterprise.ID || gen != p.gen {
			return
		}
		p.roles = roles
		p.fill()
		p.e.Members.fillMembers() // custom role names in the member list
	})
}

func (p *rolesPanel) admin() bool { return p.e.isAdmin() }

func (p *rolesPanel) fill() {
	p.List.Objects = nil
	if len(p.roles) == 0 {
		p.List.Add(widget.NewLabel(tr("ent.role.none")))
	}
	for _, r := range p.roles {
		r := r
		var perms []string
		for _, q := range r.Permissions {
			perms = append(perms, permName(q))
		}
		text := r.Name + "：" + strings.Join(perms, "、")
		var actions fyne.CanvasObject
		if p.admin() {
			edit := widget.NewButton(tr("ent.role.edit"), func() { p.edit(r) })
			del := widget.NewButton(tr("ent.role.delete"), func() {
				showConfirm(p.e.shell.Window, tr("ent.role.delete"), tr("ent.role.delete.confirm", map[string]any{"Name": r.Name}),
					tr("ent.role.delete"), true, func() { p.delete(r) })
			})
			del.Importance = widget.DangerImportance
			actions = container.NewHBox(edit, del)
		}
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		p.List.Add(container.NewBorder(nil, nil, nil, actions, l))
	}
	p.List.Refresh()
	if p.admin() {
		p.editor.Show()
		p.New.Show()
	} else {
		p.editor.Hide()
		p.New.Hide()
	}
}

// edit loads r into the editor (a zero Role: a new one).
func (p *rolesPanel) edit(r org.Role) {
	p.editing = r.ID
	p.Name.SetText(r.Name)
	var sel []string
	for _, q := range r.Permissions {
		sel = append(sel, permName(q))
	}
	p.Perms.SetSelected(sel)
	p.Status.SetText("")
}

// selected are the permissions ticked, in the order of org.AllPermissions.
func (p *rolesPanel) selected() []org.Permission {
	var out []org.Permission
	for _, q := range org.AllPermissions {
		for _, s := range p.Perms.Selected {
			if s == permName(q) {
				out = append(out, q)
			}
		}
	}
	return out
}

func (p *rolesPanel) onSaveTapped() {
	name := strings.TrimSpace(p.Name.Text)
	if name == "" {
		p.Status.SetText(tr("ent.role.err.name"))
		return
	}
	perms := p.selected()
	if len(perms) == 0 {
		p.Status.SetText(tr("ent.role.err.perms"))
		return
	}
	id, editing := p.e.Current.Enterprise.ID, p.editing
	p.e.run(func(ctx context.Context, c *client.Client) error {
		var err error
		if editing == "" {
			_, err = c.CreateRole(ctx, id, name, perms)
		} else {
			_, err = c.UpdateRole(ctx, id, editing, name, perms)
		}
		return err
	}, func(err error) {
		if err != nil {
			p.Status.SetText(errMessage(err))
			return
		}
		p.edit(org.Role{})
		p.Status.SetText(tr("ent.role.saved", map[string]any{"Name": name}))
		p.load()
	})
}

func (p *rolesPanel) delete(r org.Role) {
	id := p.e.Current.Enterprise.ID
	p.e.run(func(ctx context.Context, c *client.Client) error { return c.DeleteRole(ctx, id, r.ID) },
		func(err error) {
			if err == nil {
				p.load()
			}
		})
}

// departmentsPanel is 部门: the department tree, adding a department under another, deleting
// an empty one.
type departmentsPanel struct {
	e *EnterpriseScreen

	Tree    *widget.Tree
	Name    *widget.Entry
	Parent  *widget.Select
	Add     *widget.Button
	Delete  *widget.Button
	content fyne.CanvasObject
	depts   []org.Department
	byID    map[string]org.Department
	kids    map[string][]string
	picked  string
	manage  *fyne.Container
	gen     int // the latest load; an older one's answer arriving later is dropped
}

func newDepartmentsPanel(e *EnterpriseScreen) *departmentsPanel {
	p := &departmentsPanel{e: e, byID: map[string]org.Department{}, kids: map[string][]string{}}
	p.Tree = widget.NewTree(
		func(id widget.TreeNodeID) []widget.TreeNodeID { return p.kids[id] },
		func(id widget.TreeNodeID) bool { return id == "" || len(p.kids[id]) > 0 },
		func(bool) fyne.CanvasObject { return widget.NewLabel("") },
		func(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.byID[id].Name) })
	p.Tree.OnSelected = func(id widget.TreeNodeID) { p.picked = id; p.Delete.Enable() }
	p.Name = widget.NewEntry()
	p.Name.SetPlaceHolder(tr("ent.dept.name"))
	p.Parent = newSelect(nil, nil)
	p.Parent.PlaceHolder = tr("ent.dept.top")
	p.Add = widget.NewButtonWithIcon(tr("ent.dept.add"), theme.ContentAddIcon(), p.onAddTapped)
	p.Add.Importance = widget.HighImportance
	p.Delete = widget.NewButton(tr("ent.dept.delete"), p.onDeleteTapped)
	p.Delete.Disable()
	p.manage = container.NewVBox(container.NewGridWithColumns(2, p.Name, p.Parent), container.NewHBox(p.Add, p.Delete))
	p.content = container.NewBorder(p.manage, nil, nil, nil, p.Tree)
	return p
}

// name is a department's name ("" ids and unknown ones as they are).
func (p *departmentsPanel) name(id string) string {
	if d, ok := p.byID[id]; ok {
		return d.Name
	}
	return id
}

func (p *departmentsPanel) load() {
	id := p.e.Current.Enterprise.ID
	var ds []org.Department
	p.gen++
	gen := p.gen
	p.e.runKept("ent/"+id+"/departments", &ds, func(ctx context.Context, c *client.Client) error {
		var err error
		ds, err = c.Departments(ctx, id)
		return err
	}, func(err error) {
		if err != nil || id != p.e.Current.Enterprise.ID || gen != p.gen {
			return
		}
		p.fill(ds)
	})
}

func (p *departmentsPanel) fill(ds []org.Department) {
	p.depts = ds
	p.byID = map[string]org.Department{}
	p.kids = map[string][]string{}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Name < ds[j].Name })
	names := []string{tr("ent.dept.top")}
	for _, d := range ds {
		p.byID[d.ID] = d
		p.kids[d.Parent] = append(p.kids[d.Parent], d.ID)
		names = append(names, d.Name)
	}
	p.Parent.Options = names
	p.Parent.Refresh()
	p.Tree.Refresh()
	p.Tree.OpenAllBranches()
	if p.e.can(org.PermManageMembers) {
		p.manage.Show()
	} else {
		p.manage.Hide()
	}
}

// DepartmentNames are the departments shown (for tests).
func (p *departmentsPanel) DepartmentNames() []string {
	var out []string
	for _, d := range p.depts {
		out = append(out, d.Name)
	}
	return out
}

func (p *departmentsPanel) onAddTapped() {
	name := strings.TrimSpace(p.Name.Text)
	if name == "" {
		p.e.Message.SetText(tr("ent.dept.err.name"))
		return
	}
	parent := ""
	for _, d := range p.depts {
		if d.Name == p.Parent.Selected {
			parent = d.ID
		}
	}
	id := p.e.Current.Enterprise.ID
	p.e.run(func(ctx context.Context, c *client.Client) error {
		_, err := c.CreateDepartment(ctx, id, name, parent)
		return err
	}, func(err error) {
		if err == nil {
			p.Name.SetText("")
			p.load()
		}
	})
}

func (p *departmentsPanel) onDeleteTapped() {
	d, ok := p.byID[p.picked]
	if !ok {
		return
	}
	id := p.e.Current.Enterprise.ID
	showConfirm(p.e.shell.Window, tr("ent.dept.delete"), tr("ent.dept.delete.confirm", map[string]any{"Name": d.Name}), tr("ent.dept.delete"), true, func() {
		p.e.run(func(ctx context.Context, c *client.Client) error { return c.DeleteDepartment(ctx, id, d.ID) },
			func(err error) {
				if err == nil {
					p.picked = ""
					p.Delete.Disable()
					p.load()
				}
			})
	})
}
