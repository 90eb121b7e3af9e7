package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
)

// TestContractsDrafts: 文件 › 草稿 lists the draft saved in 发起签署 (synced to the server) and,
// after it, one kept only on this computer; 继续编辑 opens a draft in 发起签署 with its subject and
// files; 删除 removes it from this computer and the server.
func TestContractsDrafts(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	sa, _ := newPartyShell(t, pa)
	sa.Show(NavSend)
	v := composeOf(sa)
	fillEnvelope(t, v, "设备采购草稿", pb)
	test.Tap(v.saveBtn)
	workers.drain(&v.wg)
	if v.draft.ServerID == "" {
		t.Fatalf("the draft was not synced: %q", v.msg.Text)
	}
	synced := v.draft.ID
	// A second draft saved while the server was away: only on this computer.
	local := &envelopeDraft{ID: newDraftID(), Subject: "离线草稿", Sequential: true, Updated: time.Now(),
		Recipients: []draftRecipient{{Kind: recipientPerson, Name: "王五", Contact: "13900001111"}}}
	if err := v.store.Save(local); err != nil {
		t.Fatal(err)
	}

	sa.Show(NavDocuments)
	p := documentsOf(sa).Contracts
	workers.drain(&p.wg) // the list 文件 loads when shown (one worker at a time hands results to the UI)
	p.showBox(api.BoxDraft)
	workers.drain(&p.wg)
	if len(p.rows) != 2 || p.rows[0].Summary.Subject != "设备采购草稿" || p.rows[1].Summary.Subject != "离线草稿" {
		var got []string
		for _, r := range p.rows {
			got = append(got, r.Summary.Subject)
		}
		t.Fatalf("草稿 lists %q", got)
	}
	if p.rows[0].Resume == nil || p.rows[0].Delete == nil || !strings.Contains(p.rows[1].State.Text, "仅在本机") {
		t.Fatalf("draft rows: resume %v delete %v, local %q", p.rows[0].Resume, p.rows[0].Delete, p.rows[1].State.Text)
	}
	// 继续编辑 the local one, then the synced one.
	test.Tap(p.rows[1].Resume)
	if v.draft.ID != local.ID || v.subject.Text != "离线草稿" || len(v.cards) != 1 {
		t.Fatalf("继续编辑 opened %q (%s)", v.subject.Text, v.draft.ID)
	}
	sa.Show(NavDocuments)
	workers.drain(&p.wg)
	test.Tap(p.rows[0].Resume)
	workers.drain(&v.wg)
	if v.draft.ID != synced || v.subject.Text != "设备采购草稿" || len(v.draft.Files) != 1 {
		t.Fatalf("继续编辑 opened %q (%s, %d files)", v.subject.Text, v.draft.ID, len(v.draft.Files))
	}
	// 删除 the synced one: gone here and on the server.
	sa.Show(NavDocuments)
	workers.drain(&p.wg)
	p.DeleteDraft(p.rows[0].Summary)
	workers.drain(&p.wg)
	if len(p.rows) != 1 || p.rows[0].Summary.Subject != "离线草稿" || !strings.Contains(p.status.Text, "已删除草稿") {
		t.Fatalf("after 删除: %d rows, %q", len(p.rows), p.status.Text)
	}
	l, err := pa.c.Envelopes(context.Background(), client.ListOptions{Box: api.BoxDraft})
	if err != nil || len(l.Items) != 0 {
		t.Fatalf("the server still holds %d drafts (%v)", len(l.Items), err)
	}
	if list, _ := v.store.List(false); len(list) != 1 || list[0].ID != local.ID {
		t.Fatalf("local drafts after 删除: %d", len(list))
	}
	p.DeleteDraft(p.rows[0].Summary)
	workers.drain(&p.wg)
	if len(p.rows) != 0 || !p.empty.Visible() {
		t.Fatalf("after deleting the local one: %d rows", len(p.rows))
	}
}
