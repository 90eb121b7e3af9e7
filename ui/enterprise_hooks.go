package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/client"
	"sealdesk/core/webhook"
)

// HooksPanel is 对接集成 on the 企业 screen: the integrators' webhook endpoints of the current
// enterprise (the reseller cloud of manual 000 — 枢纽云 — gets enterprise.admin_changed with the new
// 主管理员's certificate instead of e-mailed screenshots). An admin adds an endpoint (address,
// events), sees its secret once, sends a test event, rotates the secret, switches it off or
// deletes it, and reads the delivery log (each attempt's status, response code and duration)
// and redelivers. Members without 对接集成 permission see the server's refusal.
type HooksPanel struct {
	entPanel

	URL         *widget.Entry
	Description *widget.Entry
	Events      *widget.CheckGroup    // labels of the enterprise's event types; none ticked (here and below): every event
	EnvEvents   [2]*widget.CheckGroup // labels of the contracts' event types (envelope.*), three a row
	Add         *widget.Button
	Secret      *widget.Label // the secret just created or rotated (shown once, selectable)
	SecretBox   *fyne.Container
	Endpoints   *fyne.Container
	Buttons     map[string]map[string]*widget.Button // endpoint id → "ping", "rotate", "toggle", "delete"
	Deliveries  *fyne.Container
	Redeliver   map[string]*widget.Button // delivery id → 重新投递
	DetailBtns  map[string]*widget.Button // delivery id → 详情
	Detail      *widget.Label             // the attempts of the delivery chosen last

	List []webhook.Endpoint
	Log  []webhook.Delivery

	content fyne.CanvasObject
}

func eventLabel(typ string) string { return tr("hooks.event." + typ) }

func newHooksPanel(s *Shell) *HooksPanel {
	p := &HooksPanel{entPanel: newEntPanel(s), Buttons: map[string]map[string]*widget.Button{}, Redeliver: map[string]*widget.Button{},
		DetailBtns: map[string]*widget.Button{}}
	p.URL = widget.NewEntry()
	p.URL.SetPlaceHolder("https://hub.example.com/sealdesk/webhook")
	p.Description = widget.NewEntry()
	p.Description.SetPlaceHolder(tr("hooks.description.hint"))
	// Rows of at most four (the enterprise's events, then the contracts' three by three): ten in
	// one row do not fit a 1024-pixel window.
	var labels, envLabels []string
	for _, t := range webhook.EventTypes {
		if strings.HasPrefix(t, "envelope.") {
			envLabels = append(envLabels, eventLabel(t))
		} else {
			labels = append(labels, eventLabel(t))
		}
	}
	p.Events = widget.NewCheckGroup(labels, nil)
	p.Events.Horizontal = true
	half := (len(envLabels) + 1) / 2
	for i, ls := range [][]string{envLabels[:half], envLabels[half:]} {
		p.EnvEvents[i] = widget.NewCheckGroup(ls, nil)
		p.EnvEvents[i].Horizontal = true
	}
	p.Add = widget.NewButton(tr("hooks.add"), p.onAddTapped)
	p.Add.Importance = widget.HighImportance
	p.Secret = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	p.Secret.Selectable = true
	p.Secret.Wrapping = fyne.TextWrapBreak
	p.SecretBox = container.NewVBox(widget.NewLabelWithStyle(tr("hooks.secret.once"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.Secret)
	p.SecretBox.Hide()
	p.Endpoints = container.NewVBox()
	p.Deliveries = container.NewVBox()
	p.Detail = widget.NewLabel("")
	p.Detail.Wrapping = fyne.TextWrapWord
	form := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel(tr("hooks.url")), nil, p.URL),
		container.NewBorder(nil, nil, widget.NewLabel(tr("hooks.description")), nil, p.Description),
		container.NewBorder(nil, nil, widget.NewLabel(tr("hooks.events")), nil, container.NewVBox(p.Events, p.EnvEvents[0], p.EnvEvents[1])),
		widget.NewLabel(tr("hooks.events.none")),
		container.NewHBox(p.Add), p.SecretBox)
	intro := widget.NewLabel(tr("hooks.intro"))
	intro.Wrapping = fyne.TextWrapWord
	top := container.NewVBox(intro, p.Status, card(tr("hooks.new"), form),
		card(tr("hooks.endpoints"), p.Endpoints))
	logCard := card(tr("hooks.log"), container.NewVBox(p.Deliveries, p.Detail))
	p.content = container.NewVScroll(container.NewVBox(top, logCard))
	return p
}

// Content implements EnterprisePanel.
func (p *HooksPanel) Content() fyne.CanvasObject { return p.content }

// Reload reads the endpoints and the delivery log.
func (p *HooksPanel) Reload() {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	var list []webhook.Endpoint
	var log []webhook.Delivery
	p.run(func(ctx context.Context) error {
		l, err := c.Webhooks(ctx, ent)
		if err != nil {
			return err
		}
		list = l.Endpoints
		log, err = c.WebhookDeliveries(ctx, ent, "", "", 30)
		return err
	}, func(err error) {
		if err != nil {
			p.fail(err)
			return
		}
		p.Status.Hide()
		p.List, p.Log = list, log
		p.showEndpoints()
		p.showLog()
	})
}

func (p *HooksPanel) input() webhook.EndpointInput {
	in := webhook.EndpointInput{URL: strings.TrimSpace(p.URL.Text), Description: strings.TrimSpace(p.Description.Text)}
	for _, t := range webhook.EventTypes {
		for _, sel := range slices.Concat(p.Events.Selected, p.EnvEvents[0].Selected, p.EnvEvents[1].Selected) {
			if sel == eventLabel(t) {
				in.Events = append(in.Events, t)
			}
		}
	}
	return in
}

func (p *HooksPanel) onAddTapped() {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	in := p.input()
	if in.URL == "" {
		p.fail(&inputError{msg: tr("hooks.url.required")})
		return
	}
	p.Add.Disable()
	var out string
	p.run(func(ctx context.Context) error {
		res, err := c.CreateWebhook(ctx, ent, in)
		out = res.Secret
		return err
	}, func(err error) {
		p.Add.Enable()
		if err != nil {
			p.fail(err)
			return
		}
		p.URL.SetText("")
		p.Description.SetText("")
		p.Events.SetSelected(nil)
		p.EnvEvents[0].SetSelected(nil)
		p.EnvEvents[1].SetSelected(nil)
		p.showSecret(out)
		p.Reload()
	})
}

func (p *HooksPanel) showSecret(secret string) {
	p.Secret.SetText(secret)
	p.SecretBox.Show()
}

func (p *HooksPanel) showEndpoints() {
	p.Endpoints.Objects = nil
	p.Buttons = map[string]map[string]*widget.Button{}
	if len(p.List) == 0 {
		p.Endpoints.Add(widget.NewLabel(tr("hooks.endpoints.none")))
	}
	for _, ep := range p.List {
		ep := ep
		events := tr("hooks.events.all")
		if len(ep.Events) > 0 {
			var ls []string
			for _, e := range ep.Events {
				ls = append(ls, eventLabel(e))
			}
			events = strings.Join(ls, "、")
		}
		state := tr("hooks.enabled")
		toggle := tr("hooks.disable")
		if ep.Disabled {
			state, toggle = tr("hooks.disabled"), tr("hooks.enable")
		}
		text := fmt.Sprintf("%s（%s）\n%s · %s · %s", ep.URL, state, events, tr("hooks.secret.hint", map[string]any{"Hint": ep.SecretHint}), ep.Description)
		l := widget.NewLabel(strings.TrimSuffix(text, " · "))
		l.Wrapping = fyne.TextWrapWord
		b := map[string]*widget.Button{
			"ping":   widget.NewButton(tr("hooks.ping"), func() { p.onPingTapped(ep) }),
			"rotate": widget.NewButton(tr("hooks.rotate"), func() { p.onRotateTapped(ep) }),
			"toggle": widget.NewButton(toggle, func() { p.onToggleTapped(ep) }),
			"delete": widget.NewButton(tr("hooks.delete"), func() { p.onDeleteTapped(ep) }),
		}
		b["delete"].Importance = widget.DangerImportance
		p.Buttons[ep.ID] = b
		p.Endpoints.Add(container.NewBorder(nil, nil, nil, container.NewHBox(b["ping"], b["rotate"], b["toggle"], b["delete"]), l))
	}
	p.Endpoints.Refresh()
}

func stateText(d webhook.Delivery) string {
	switch d.State {
	case webhook.StateSucceeded:
		return tr("hooks.state.succeeded")
	case webhook.StateFailed:
		return tr("hooks.state.failed")
	}
	if d.Attempts == 0 {
		return tr("hooks.state.queued")
	}
	return tr("hooks.state.retrying", map[string]any{"At": d.NextAt.Local().Format("15:04:05")})
}

func (p *HooksPanel) showLog() {
	p.Deliveries.Objects = nil
	p.Redeliver, p.DetailBtns = map[string]*widget.Button{}, map[string]*widget.Button{}
	if len(p.Log) == 0 {
		p.Deliveries.Add(widget.NewLabel(tr("hooks.log.none")))
	}
	for _, d := range p.Log {
		d := d
		code := "—"
		if d.LastStatus != 0 {
			code = fmt.Sprint(d.LastStatus)
		}
		l := widget.NewLabel(fmt.Sprintf("%s  %s  %s  %s", d.Created.Local().Format("01-02 15:04:05"), eventLabel(d.EventType),
			stateText(d), tr("hooks.attempts", map[string]any{"N": d.Attempts, "Code": code})))
		det := widget.NewButton(tr("hooks.detail"), func() { p.onDetailTapped(d) })
		re := widget.NewButton(tr("hooks.redeliver"), func() { p.onRedeliverTapped(d) })
		p.DetailBtns[d.ID], p.Redeliver[d.ID] = det, re
		p.Deliveries.Add(container.NewBorder(nil, nil, nil, container.NewHBox(det, re), l))
	}
	p.Deliveries.Refresh()
}

func (p *HooksPanel) onPingTapped(ep webhook.Endpoint) {
	p.act(func(ctx context.Context, c *client.Client, ent string) error {
		_, err := c.PingWebhook(ctx, ent, ep.ID)
		return err
	})
}

func (p *HooksPanel) onRotateTapped(ep webhook.Endpoint) {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	var secret string
	p.run(func(ctx context.Context) error {
		res, err := c.RotateWebhookSecret(ctx, ent, ep.ID)
		secret = res.Secret
		return err
	}, func(err error) {
		if err != nil {
			p.fail(err)
			return
		}
		p.showSecret(secret)
		p.Reload()
	})
}

func (p *HooksPanel) onToggleTapped(ep webhook.Endpoint) {
	in := webhook.EndpointInput{URL: ep.URL, Description: ep.Description, Events: ep.Events, Disabled: !ep.Disabled}
	p.act(func(ctx context.Context, c *client.Client, ent string) error {
		_, err := c.UpdateWebhook(ctx, ent, ep.ID, in)
		return err
	})
}

func (p *HooksPanel) onDeleteTapped(ep webhook.Endpoint) {
	dialog.ShowConfirm(tr("hooks.delete"), tr("hooks.delete.confirm", map[string]any{"URL": ep.URL}), func(ok bool) {
		if ok {
			p.DeleteEndpoint(ep.ID)
		}
	}, p.shell.Window)
}

// DeleteEndpoint deletes an endpoint (after the confirmation dialog).
func (p *HooksPanel) DeleteEndpoint(id string) {
	p.act(func(ctx context.Context, c *client.Client, ent string) error { return c.DeleteWebhook(ctx, ent, id) })
}

func (p *HooksPanel) onRedeliverTapped(d webhook.Delivery) {
	p.act(func(ctx context.Context, c *client.Client, ent string) error {
		_, err := c.RedeliverWebhook(ctx, ent, d.ID)
		return err
	})
}

func (p *HooksPanel) onDetailTapped(d webhook.Delivery) {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	var dd webhook.DeliveryDetail
	p.run(func(ctx context.Context) error {
		var err error
		dd, err = c.WebhookDelivery(ctx, ent, d.ID)
		return err
	}, func(err error) {
		if err != nil {
			p.fail(err)
			return
		}
		lines := []string{tr("hooks.detail.head", map[string]any{"Event": eventLabel(dd.Event.Type), "ID": dd.Event.ID, "URL": dd.Delivery.EndpointURL})}
		for _, a := range dd.Attempts {
			status := "—"
			if a.Status != 0 {
				status = fmt.Sprintf("HTTP %d", a.Status)
			}
			lines = append(lines, tr("hooks.detail.attempt", map[string]any{"N": a.N, "Time": a.Started.Local().Format("15:04:05"),
				"Outcome": tr("hooks.outcome." + a.Outcome), "Status": status, "MS": a.DurationMS, "Error": a.Error}))
		}
		p.Detail.SetText(strings.Join(lines, "\n"))
	})
}

// act runs one change, then reads everything again.
func (p *HooksPanel) act(fn func(ctx context.Context, c *client.Client, ent string) error) {
	c, ent, ok := p.ent()
	if !ok {
		return
	}
	p.run(func(ctx context.Context) error { return fn(ctx, c, ent) }, func(err error) {
		if err != nil {
			p.fail(err)
			return
		}
		p.Reload()
	})
}
