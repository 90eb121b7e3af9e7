package ui

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/ids"
	"sealdesk/core/org"
)

// newEnterpriseShell is newPartyShell working for enterprise eid (the 企业 context).
func newEnterpriseShell(t *testing.T, p *testParty, eid string) *Shell {
	t.Helper()
	w := test.NewTempWindow(t, nil)
	s := NewShell(fyne.CurrentApp(), w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{},
		Local: p.local, Conn: &testConn{c: p.c, ctx: eid}})
	t.Cleanup(s.StopWatching)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1200, 860))
	return s
}

// TestContractsViewAll: 文件's 全部合同 switch. B, a member whose role may send contracts but not
// see all of them, has no switch and the server answers him 403; A, the 主管理员, has it, and with
// it on sees B's contract (签署中, without 待我签 and 草稿), opens it view only — no 撤回 or 催办 —
// and switching it off shows A's own contracts again.
func TestContractsViewAll(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb, px := newTestParty(t, run, "王菲菲"), newTestParty(t, run, "李四"), newTestParty(t, run, "赵客户")
	check, err := ids.CreditCheck("91440300MA5F12345")
	if err != nil {
		t.Fatal(err)
	}
	ent, err := pa.c.CreateEnterprise(ctx, testCompany, "91440300MA5F12345"+string(check))
	if err != nil {
		t.Fatal(err)
	}
	role, err := pa.c.CreateRole(ctx, ent.ID, "经办", []org.Permission{org.PermSendContracts})
	if err != nil {
		t.Fatal(err)
	}
	bMe, err := pb.c.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := pa.c.AddMember(ctx, ent.ID, pb.name, pb.phone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pb.c.Join(ctx, inv.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := pa.c.ApproveJoin(ctx, ent.ID, bMe.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pa.c.SetMemberRole(ctx, ent.ID, bMe.ID, role.ID); err != nil {
		t.Fatal(err)
	}
	pdfData, err := os.ReadFile(writeTestPDF(t, "采购合同.pdf", a4Pages(1)))
	if err != nil {
		t.Fatal(err)
	}
	refs, err := pb.c.UploadFiles(ctx, []client.NamedFile{{Name: "采购合同.pdf", Data: pdfData}})
	if err != nil {
		t.Fatal(err)
	}
	byB, err := pb.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "李四的采购合同", EnterpriseID: ent.ID, Files: refs,
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: px.name, Phone: px.phone}}})
	if err != nil {
		t.Fatal(err)
	}

	// B: no switch, and the server refuses him the list.
	sb := newEnterpriseShell(t, pb, ent.ID)
	sb.Show(NavDocuments)
	pbv := documentsOf(sb).Contracts
	pbv.showBox(api.BoxWaiting)
	workers.drain(&pbv.wg)
	if pbv.allFor != ent.ID || pbv.canAll || pbv.allCheck.Visible() {
		t.Fatalf("B (send only): permission read for %q, can %v, switch shown %v", pbv.allFor, pbv.canAll, pbv.allCheck.Visible())
	}
	if len(pbv.rows) != 1 || pbv.rows[0].Summary.ID != byB.ID {
		t.Fatalf("B's 待他人签: %d rows", len(pbv.rows))
	}
	var apiErr *client.Error
	if _, err := pb.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Fatalf("B's 全部合同 from the server: %v, want 403", err)
	}

	// A: the switch is there; A's own 待他人签 is empty, 全部合同 has B's contract.
	sa := newEnterpriseShell(t, pa, ent.ID)
	sa.Show(NavDocuments)
	pav := documentsOf(sa).Contracts
	pav.showBox(api.BoxWaiting)
	workers.drain(&pav.wg)
	if !pav.canAll || !pav.allCheck.Visible() {
		t.Fatalf("A (主管理员): switch shown %v", pav.allCheck.Visible())
	}
	if len(pav.rows) != 0 {
		t.Fatalf("A's own 待他人签 has %d rows", len(pav.rows))
	}
	pav.allCheck.SetChecked(true)
	workers.drain(&pav.wg)
	if !pav.all || pav.box != api.BoxWaiting || len(pav.rows) != 1 || pav.rows[0].Summary.ID != byB.ID {
		t.Fatalf("A's 全部合同: all %v box %s, %d rows %q", pav.all, pav.box, len(pav.rows), pav.status.Text)
	}
	if pav.boxBtns[api.BoxToSign].Visible() || pav.boxBtns[api.BoxDraft].Visible() || pav.boxBtns[api.BoxWaiting].Text != "签署中 (1)" {
		t.Errorf("全部合同's boxes: 待我签 %v 草稿 %v, %q", pav.boxBtns[api.BoxToSign].Visible(), pav.boxBtns[api.BoxDraft].Visible(), pav.boxBtns[api.BoxWaiting].Text)
	}
	if pav.rows[0].Sign != nil {
		t.Error("a contract of 全部合同 offers 签署")
	}
	test.Tap(pav.rows[0].Row)
	workers.drain(&pav.wg)
	if pav.detail == nil || !pav.detail.env.ViewOnly {
		t.Fatalf("A's detail of B's contract: %q", pav.status.Text)
	}
	shown := visibleObjects(t, pav.detail.root)
	if slices.Contains(shown, fyne.CanvasObject(pav.detail.withdrawBtn)) || slices.Contains(shown, fyne.CanvasObject(pav.detail.remindBtn)) {
		t.Error("the view-only detail offers 撤回 or 催办")
	}
	if txt := texts(t, pav.detail.root); !strings.Contains(txt, "李四的采购合同") || !strings.Contains(txt, px.name) {
		t.Errorf("detail: %s", txt)
	}
	test.Tap(pav.detail.backBtn)
	workers.drain(&pav.wg)
	pav.allCheck.SetChecked(false)
	workers.drain(&pav.wg)
	if pav.all || pav.box != api.BoxToSign || !pav.boxBtns[api.BoxToSign].Visible() {
		t.Errorf("after 全部合同 off: all %v box %s", pav.all, pav.box)
	}
}
