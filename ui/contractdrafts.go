package ui

import (
	"context"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
)

// 文件 › 草稿: the drafts the server keeps (synced from 发起签署's 保存至草稿) and, after them,
// the drafts kept only on this computer (saved offline, or without files yet). Each row offers
// 继续编辑 (the draft opens in 发起签署) and 删除 (here and on the server, after a question).

// localDraftPrefix marks the id of a row that is a draft kept only on this computer.
const localDraftPrefix = "local:"

// draftStore is 发起签署's local store of drafts, or nil.
func (p *contractsPane) draftStore() *draftStore {
	if v, ok := p.shell.screens[NavSend].(*sendScreen); ok && v.compose != nil {
		return v.compose.store
	}
	return nil
}

// localDraftRows lists the local drafts the server's list lacks, newest first.
func (p *contractsPane) localDraftRows(server []api.EnvelopeSummary) []api.EnvelopeSummary {
	st := p.draftStore()
	if st == nil || p.query != "" || len(p.afters) > 1 {
		return nil
	}
	known := map[string]bool{}
	for _, it := range server {
		known[it.ID] = true
	}
	list, err := st.List(false)
	if err != nil {
		return nil
	}
	var out []api.EnvelopeSummary
	for _, d := range list {
		if d.ServerID != "" && known[d.ServerID] {
			continue
		}
		subject := strings.TrimSpace(d.Subject)
		if subject == "" && len(d.Files) > 0 {
			subject = d.Files[0].Name
		}
		if subject == "" {
			subject = tr("contracts.draft.untitled")
		}
		var parties []string
		for _, r := range d.Recipients {
			parties = append(parties, recipientLabel(r))
		}
		out = append(out, api.EnvelopeSummary{ID: localDraftPrefix + d.ID, Subject: subject, Status: api.EnvelopeDraft, Box: api.BoxDraft,
			Parties: parties, Updated: d.Updated})
	}
	return out
}

// localDraftFor finds the local draft of a row: a local-only one by its id, a server one by the
// server id it was synced to.
func (p *contractsPane) localDraftFor(id string) *envelopeDraft {
	st := p.draftStore()
	if st == nil {
		return nil
	}
	list, _ := st.List(false)
	for _, d := range list {
		if localDraftPrefix+d.ID == id || (d.ServerID != "" && d.ServerID == id) {
			return d
		}
	}
	return nil
}

// draftButtons are a draft row's 继续编辑 and 删除.
func (p *contractsPane) draftButtons(r *contractRow) fyne.CanvasObject {
	it := r.Summary
	r.Resume = widget.NewButtonWithIcon(tr("contracts.draft.resume"), theme.DocumentCreateIcon(), func() { p.onDraftResume(it) })
	r.Resume.Importance = widget.HighImportance
	r.Delete = widget.NewButtonWithIcon(tr("contracts.draft.delete"), theme.DeleteIcon(), func() {
		dialog.ShowConfirm(tr("contracts.draft.delete.title"), tr("contracts.draft.delete.ask", map[string]any{"Subject": it.Subject}),
			func(ok bool) {
				if ok {
					p.DeleteDraft(it)
				}
			}, p.shell.Window)
	})
	if strings.HasPrefix(it.ID, localDraftPrefix) {
		r.State.SetText(tr("contracts.draft.local") + "  " + it.Updated.Local().Format("2006-01-02 15:04"))
	}
	return container.NewHBox(container.NewCenter(r.State), container.NewCenter(r.Resume), container.NewCenter(r.Delete))
}

// onDraftResume (继续编辑) opens the draft in 发起签署.
func (p *contractsPane) onDraftResume(it api.EnvelopeSummary) {
	d := p.localDraftFor(it.ID)
	if d == nil {
		p.say(tr("contracts.draft.elsewhere"), true)
		return
	}
	v, ok := p.shell.screens[NavSend].(*sendScreen)
	if !ok {
		return
	}
	p.shell.Show(NavSend)
	v.tabs.Select(v.composeTab)
	v.compose.OpenDraft(d)
}

// DeleteDraft (删除 after its question) removes the draft from this computer and the server.
func (p *contractsPane) DeleteDraft(it api.EnvelopeSummary) {
	local := p.localDraftFor(it.ID)
	serverID := ""
	if !strings.HasPrefix(it.ID, localDraftPrefix) {
		serverID = it.ID
	}
	c := p.shell.client()
	st := p.draftStore()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var err error
		if serverID != "" && c != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err = c.DeleteDraft(ctx, serverID)
			cancel()
		}
		if err == nil && local != nil && st != nil {
			err = st.Delete(local)
		}
		uiDoWait(func() {
			if err != nil {
				p.say(tr("contracts.draft.delete.failed", map[string]any{"Reason": errMessage(err)}), true)
				return
			}
			p.notice = tr("contracts.draft.deleted", map[string]any{"Subject": it.Subject})
			p.reload()
		})
	}()
}
