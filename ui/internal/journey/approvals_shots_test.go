package journey

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/ui"
)

// TestShotsApprovalsArchive writes 审批管理 (需要我审批 with a contract waiting, the 驳回 dialog, 审批
// 规则, an empty 我发起的) and 档案柜 (folders with counts and a due folder, a search result, the
// new-folder dialog, a member's empty archive, a received contract marked 收到) against a real server on loopback, in Chinese and
// English at 1366×768 and 1024×640, into $SEALDESK_SHOTS. Without it the test skips.
func TestShotsApprovalsArchive(t *testing.T) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		t.Skip("set SEALDESK_SHOTS=DIR to write screen pictures")
	}
	ctx := context.Background()
	run, st := shotServer(t, server.Options{ContractsUnbilled: true}, true)
	admin, adminID, _ := shotPerson(t, run, "王管理")
	appr, apprID, apprLogin := shotPerson(t, run, "周审批")
	plain, plainID, plainLogin := shotPerson(t, run, "孙成员")
	ent := shotEnterprise(t, admin, "苏州示例科技有限公司", "91320500MA1AP0003")
	if err := st.Update(ctx, func(tx sync.Tx) error {
		if err := org.PutRole(tx, ent.ID, org.Role{ID: "r_appr", Name: "财务审批", Permissions: []org.Permission{org.PermApproveContracts}, Created: time.Now()}); err != nil {
			return err
		}
		if err := org.PutMember(tx, org.Member{EnterpriseID: ent.ID, AccountID: apprID, Name: "周审批", Phone: apprLogin, Role: "r_appr", Joined: time.Now()}); err != nil {
			return err
		}
		return org.PutMember(tx, org.Member{EnterpriseID: ent.ID, AccountID: plainID, Name: "孙成员", Phone: plainLogin, Role: org.RoleMember, Joined: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	_ = adminID
	if _, err := admin.SaveApprovalRule(ctx, ent.ID, api.ApprovalRule{Name: "大额合同审批", Kind: api.ApprovalSend, MinAmount: 100000_00, Approvers: []string{apprID}}); err != nil {
		t.Fatal(err)
	}
	seal, err := admin.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: ringPNG()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SaveApprovalRule(ctx, ent.ID, api.ApprovalRule{Name: "合同章用印审批", Kind: api.ApprovalSeal, Seals: []string{seal.ID}, Approvers: []string{apprID}}); err != nil {
		t.Fatal(err)
	}
	plainPDF, _ := contractPDF(t, t.TempDir())
	data, err := os.ReadFile(plainPDF)
	if err != nil {
		t.Fatal(err)
	}
	send := func(subject, company string, amount int64, draft bool) api.Envelope {
		refs, err := admin.UploadFiles(ctx, []client.NamedFile{{Name: subject + ".pdf", Data: data}})
		if err != nil {
			t.Fatal(err)
		}
		rc := api.Recipient{Kind: api.RecipientPerson, Name: "钱客户", Phone: "13912345678"}
		if company != "" {
			rc = api.Recipient{Kind: api.RecipientCompany, Company: company, Name: "赵经办", Phone: "13912345679"}
		}
		env, err := admin.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, EnterpriseID: ent.ID, Files: refs,
			Recipients: []api.Recipient{rc}, Amount: amount, Draft: draft})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	for _, x := range []struct {
		subject string
		amount  int64
		note    string
	}{{"年度设备采购合同", 2860000_00, "年度框架协议，已与财务确认预算"}, {"华东区代理协议", 150000_00, ""}} {
		d := send(x.subject, "", x.amount, true)
		if _, err := admin.SubmitApproval(ctx, ent.ID, api.ApprovalSubmit{Kind: api.ApprovalSend, EnvelopeID: d.ID, Note: x.note}); err != nil {
			t.Fatal(err)
		}
	}
	// 档案柜: two folders (one kept one year), four filed contracts, one of them two years old.
	hw, err := admin.SaveArchiveFolder(ctx, ent.ID, api.ArchiveFolder{Name: "华为合同", Counterparties: []string{"华为"}, RetentionYears: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SaveArchiveFolder(ctx, ent.ID, api.ArchiveFolder{Name: "租赁合同", Counterparties: []string{"物业"}, RetentionYears: 1}); err != nil {
		t.Fatal(err)
	}
	for i, x := range []struct{ subject, company string }{{"华为框架协议", "华为技术有限公司"}, {"华为云服务订购", "华为云计算技术有限公司"},
		{"办公楼租赁合同", "苏州某某物业管理有限公司"}, {"软件许可协议", "杭州某某软件有限公司"}} {
		env := send(x.subject, x.company, 0, false)
		env.Completed = time.Now().Add(-time.Duration(i) * 200 * 24 * time.Hour)
		for k := range env.Documents {
			env.Documents[k].Final = env.Documents[k].Current
		}
		env.Recipients[0].State = api.RecipientSigned
		if err := st.Update(ctx, func(tx sync.Tx) error {
			return run.Server.Archive().File(tx, env, env.Documents[0].Current, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	// One received: a supplier's contract that 孙成员 signed for the enterprise (收到).
	supplier, _, _ := shotPerson(t, run, "吴供应")
	sup := shotEnterprise(t, supplier, "无锡供应商有限公司", "91320200MA1AP0004")
	refs, err := supplier.UploadFiles(ctx, []client.NamedFile{{Name: "原材料供货合同.pdf", Data: data}})
	if err != nil {
		t.Fatal(err)
	}
	recv, err := supplier.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "原材料供货合同", EnterpriseID: sup.ID, Files: refs,
		Recipients: []api.Recipient{{Kind: api.RecipientCompany, Company: "苏州示例科技有限公司", Name: "孙成员", Phone: plainLogin}}})
	if err != nil {
		t.Fatal(err)
	}
	recv.Completed = time.Now().Add(-time.Hour)
	for k := range recv.Documents {
		recv.Documents[k].Final = recv.Documents[k].Current
	}
	recv.Recipients[0].State = api.RecipientSigned
	if err := st.Update(ctx, func(tx sync.Tx) error {
		return run.Server.Archive().File(tx, recv, recv.Documents[0].Current, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := run.Server.Archive().Sweep(ctx); err != nil {
		t.Fatal(err)
	}

	var s2 *ui.Shell
	build := func(lang string, c *client.Client, nav ui.NavID) {
		fyne.DoAndWait(func() {
			ui.SetLanguage(lang)
			s2 = ui.NewShell(fyne.CurrentApp(), win, ui.Services{Settings: &memSettings{dir: t.TempDir(), lang: lang}, Local: local,
				Conn: &shotConn{c: c, ent: ent.ID}})
			win.SetContent(s2.Content())
			s2.Show(nav)
		})
		time.Sleep(1500 * time.Millisecond) // the lists from the server
	}
	closeOverlay := func() {
		fyne.DoAndWait(func() {
			if o := win.Canvas().Overlays().Top(); o != nil {
				win.Canvas().Overlays().Remove(o)
			}
		})
	}
	defer fyne.DoAndWait(func() {
		ui.SetLanguage(ui.LangChinese)
		shell.Rebuild()
		win.SetContent(shell.Content())
		win.Resize(fyne.NewSize(1200, 720))
	})
	for _, lang := range []string{ui.LangChinese, ui.LangEnglish} {
		for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}} {
			fyne.DoAndWait(func() { win.Resize(size) })
			sfx := fmt.Sprintf("-%s-%dx%d", lang, int(size.Width), int(size.Height))
			// The approver's 需要我审批, then the 驳回 dialog.
			build(lang, appr, ui.NavApprovals)
			waitFor(t, "the approval's detail", false, labelPrefix(tabText(lang, "合同主题：", "Contract: ")))
			shot(t, "approvals-todo"+sfx)
			if b, ok := find(false, button(tabText(lang, "驳回", "Reject"))).(*widget.Button); ok {
				fyne.DoAndWait(b.OnTapped)
				shot(t, "approvals-reject"+sfx)
				closeOverlay()
			}
			selectTabText(tabText(lang, "我发起的", "My requests"))
			time.Sleep(time.Second)
			shot(t, "approvals-mine-empty"+sfx)
			// The admin's rules.
			build(lang, admin, ui.NavApprovals)
			selectTabText(tabText(lang, "审批规则", "Rules"))
			time.Sleep(time.Second)
			shot(t, "approvals-rules"+sfx)
			// 编辑 of the first rule: the dialog filled in.
			fyne.DoAndWait(func() { s2.Screen(ui.NavApprovals).(*ui.ApprovalsScreen).Rules.List.Select(0) })
			if b, ok := find(false, button(tabText(lang, "编辑", "Edit"))).(*widget.Button); ok {
				fyne.DoAndWait(b.OnTapped)
				time.Sleep(time.Second)
				shot(t, "approvals-rule-edit"+sfx)
				closeOverlay()
			} else {
				t.Errorf("no 编辑 on the rules tab (%s)", sfx)
			}
			// 档案柜.
			build(lang, admin, ui.NavArchive)
			waitFor(t, "the filed contracts", false, labelHas("办公楼租赁合同"))
			waitFor(t, "the received contract", false, labelHas(tabText(lang, "[收到] 原材料供货合同", "[Received] 原材料供货合同")))
			shot(t, "archive-all"+sfx)
			fyne.DoAndWait(func() {
				sc := s2.Screen(ui.NavArchive).(*ui.ArchiveScreen)
				sc.Tree.Select(hw.ID)
			})
			for t0 := time.Now(); time.Since(t0) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
				if find(false, labelHas("办公楼租赁合同")) == nil && find(false, labelHas("华为云服务订购")) != nil {
					break
				}
			}
			shot(t, "archive-folder"+sfx)
			if b, ok := find(false, button(tabText(lang, "编辑档案夹", "Edit folder"))).(*widget.Button); ok {
				fyne.DoAndWait(b.OnTapped)
				time.Sleep(time.Second)
				shot(t, "archive-editfolder"+sfx)
				closeOverlay()
			} else {
				t.Errorf("no 编辑档案夹 for the admin's selected folder (%s)", sfx)
			}
			if b, ok := find(false, button(tabText(lang, "新建档案夹", "New folder"))).(*widget.Button); ok {
				fyne.DoAndWait(b.OnTapped)
				time.Sleep(500 * time.Millisecond)
				shot(t, "archive-newfolder"+sfx)
				closeOverlay()
			}
			build(lang, plain, ui.NavArchive)
			for t0 := time.Now(); time.Since(t0) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
				shown := false
				fyne.DoAndWait(func() { shown = s2.Screen(ui.NavArchive).(*ui.ArchiveScreen).Empty.Visible() })
				if shown {
					break
				}
			}
			shot(t, "archive-member-empty"+sfx)
		}
	}
}

func labelHas(text string) func(fyne.CanvasObject) bool {
	return func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && strings.Contains(l.Text, text)
	}
}
