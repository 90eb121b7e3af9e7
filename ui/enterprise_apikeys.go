package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
)

// APIKeysPanel is 开放接口 on the 企业 screen: the API keys business systems (ERP, HR, OA) sign
// their requests to /api/v1/open with (issue 21). An admin with 管理 API 密钥 names a key, ticks
// what it may do (发起、查询、下载), sees its secret once — with a button that copies it — and
// revokes a key after confirming; the list shows each key's id, name, scopes, creation, last use
// and whether it is revoked. Members without the permission see the server's refusal.
type APIKeysPanel struct {
	entPanel

	Name      *widget.Entry
	Scopes    *widget.CheckGroup // labels of api.APIScopes
	Create    *widget.Button
	SecretBox *fyne.Container
	KeyID     *widget.Label // the id of the key just created
	Secret    *widget.Label // its secret (shown once, selectable)
	Copy      *widget.Button
	Done      *widget.Button // 我已保存: hides the secret
	Keys      *fyne.Container
	Revoke    map[string]*widget.Button // key id → 吊销
	Rows      map[string]*widget.Label  // key id → its line

	List []api.APIKey

	content fyne.CanvasObject
}

func scopeLabel(s string) string { return tr("apikeys.scope." + s) }

func newAPIKeysPanel(s *Shell) *APIKeysPanel {
	p := &APIKeysPanel{entPanel: newEntPanel(s), Revoke: map[string]*widget.Button{}, Rows: map[string]*widget.Label{}}
	p.Name = widget.NewEntry()
	p.Name.SetPlaceHolder(tr("apikeys.name.hint"))
	var labels []string
	for _, sc := range api.APIScopes {
		labels = append(labels, scopeLabel(sc))
	}
	p.Scopes = widget.NewCheckGroup(labels, nil)
	p.Scopes.Horizontal = true
	p.Scopes.SetSelected(labels)
	p.Create = widget.NewButton(tr("apikeys.create"), p.onCreateTapped)
	p.Create.Importance = widget.HighImportance
	p.KeyID = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	p.KeyID.Selectable = true
	p.Secret = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	p.Secret.Selectable = true
	p.Secret.Wrapping = fyne.TextWrapBreak
	p.Copy = widget.NewButton(tr("apikeys.copy"), p.onCopyTapped)
	p.Done = widget.NewButton(tr("apikeys.saved"), func() { p.SecretBox.Hide(); p.Secret.SetText("") })
	p.SecretBox = container.NewVBox(
		widget.NewLabelWithStyle(tr("apikeys.secret.once"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, widget.NewLabel(tr("apikeys.id")), nil, p.KeyID),
		container.NewBorder(nil, nil, widget.NewLabel(tr("apikeys.secret")), nil, p.Secret),
		container.NewHBox(p.Copy, p.Done))
	p.SecretBox.Hide()
	p.Keys = container.NewVBox()
	form := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(tr("apikeys.name")), nil, p.Name),
		container.NewBorder(nil, nil, widget.NewLabel(tr("apikeys.scopes")), nil, p.Scopes),
		container.NewHBox(p.Create), p.SecretBox)
	intro := widget.NewLabel(tr("apikeys.intro"))
	intro.Wrapping = fyne.TextWrapWord
	p.content = container.NewVScroll(container.NewVBox(intro, p.Status, card(tr("apikeys.new"), form), card(tr("apikeys.list"), p.Keys)))
	return p
}

// Content implements EnterprisePanel.
func (p *APIKeysPanel) Content() fyne.CanvasObject { return p.content }

// Reload reads the keys again.
func (p *APIKeysPanel) Reload() {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	var list []api.APIKey
	p.run(func(ctx context.Context) error {
		l, err := c.APIKeys(ctx, ent)
		list = l.Keys
		return err
	}, func(err error) {
		if err != nil {
			p.fail(err)
			return
		}
		p.Status.Hide()
		p.List = list
		p.showKeys()
	})
}

func (p *APIKeysPanel) request() api.APIKeyRequest {
	req := api.APIKeyRequest{Name: strings.TrimSpace(p.Name.Text)}
	for _, sc := range api.APIScopes {
		for _, sel := range p.Scopes.Selected {
			if sel == scopeLabel(sc) {
				req.Scopes = append(req.Scopes, sc)
			}
		}
	}
	return req
}

func (p *APIKeysPanel) onCreateTapped() {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	req := p.request()
	if req.Name == "" {
		p.fail(&inputError{msg: tr("apikeys.name.required")})
		return
	}
	if len(req.Scopes) == 0 {
		p.fail(&inputError{msg: tr("apikeys.scopes.required")})
		return
	}
	p.Create.Disable()
	var out api.APIKeyCreated
	p.run(func(ctx context.Context) error {
		var err error
		out, err = c.CreateAPIKey(ctx, ent, req)
		return err
	}, func(err error) {
		p.Create.Enable()
		if err != nil {
			p.fail(err)
			return
		}
		p.Name.SetText("")
		p.KeyID.SetText(out.Key.ID)
		p.Secret.SetText(out.Secret)
		p.SecretBox.Show()
		p.Reload()
	})
}

func (p *APIKeysPanel) onCopyTapped() {
	if p.Secret.Text == "" {
		return
	}
	fyne.CurrentApp().Clipboard().SetContent(p.Secret.Text)
	p.Copy.SetText(tr("apikeys.copied"))
}

func (p *APIKeysPanel) keyLine(k api.APIKey) string {
	var scopes []string
	for _, sc := range k.Scopes {
		scopes = append(scopes, scopeLabel(sc))
	}
	used := tr("apikeys.never")
	if !k.LastUsed.IsZero() {
		used = k.LastUsed.Local().Format("2006-01-02 15:04")
	}
	state := tr("apikeys.active")
	if !k.Revoked.IsZero() {
		state = tr("apikeys.revoked", map[string]any{"Time": k.Revoked.Local().Format("2006-01-02 15:04")})
	}
	return tr("apikeys.line", map[string]any{"Name": k.Name, "ID": k.ID, "Hint": k.SecretHint, "State": state,
		"Scopes": strings.Join(scopes, tr("apikeys.sep")), "Creator": k.CreatorName, "Created": k.Created.Local().Format("2006-01-02 15:04"), "Used": used})
}

func (p *APIKeysPanel) showKeys() {
	p.Keys.Objects = nil
	p.Revoke, p.Rows = map[string]*widget.Button{}, map[string]*widget.Label{}
	if len(p.List) == 0 {
		p.Keys.Add(widget.NewLabel(tr("apikeys.none")))
	}
	for _, k := range p.List {
		k := k
		l := widget.NewLabel(p.keyLine(k))
		l.Wrapping = fyne.TextWrapWord
		p.Rows[k.ID] = l
		var right fyne.CanvasObject
		if k.Revoked.IsZero() {
			b := widget.NewButton(tr("apikeys.revoke"), func() { p.onRevokeTapped(k) })
			b.Importance = widget.DangerImportance
			p.Revoke[k.ID] = b
			right = container.NewVBox(b) // its own height, not the row's
		}
		p.Keys.Add(container.NewBorder(nil, nil, nil, right, l))
	}
	p.Keys.Refresh()
}

func (p *APIKeysPanel) onRevokeTapped(k api.APIKey) {
	d := dialog.NewConfirm(tr("apikeys.revoke"), tr("apikeys.revoke.confirm", map[string]any{"Name": k.Name, "ID": k.ID}), func(ok bool) {
		if ok {
			p.RevokeKey(k.ID)
		}
	}, p.shell.Window)
	d.SetConfirmText(tr("apikeys.revoke"))
	d.SetDismissText(tr("apikeys.cancel"))
	d.SetConfirmImportance(widget.DangerImportance)
	d.Show()
}

// RevokeKey revokes a key (after the confirmation dialog).
func (p *APIKeysPanel) RevokeKey(id string) {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	p.run(func(ctx context.Context) error {
		_, err := c.RevokeAPIKey(ctx, ent, id)
		return err
	}, func(err error) {
		if err != nil {
			p.fail(err)
			return
		}
		p.Reload()
	})
}
