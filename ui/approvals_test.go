package ui

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

func testPDFBytes(t *testing.T) []byte {
	b, err := os.ReadFile(writeTestPDF(t, "c.pdf", a4Pages(1)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func isChinese(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff })
}

// enrolMember makes p a member of ent with role (written as the invitation flow does).
func enrolMember(t *testing.T, run *server.Running, ent string, p *testParty, role string, perms ...org.Permission) string {
	t.Helper()
	me, err := p.c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = run.Server.Billing().Store.Update(context.Background(), func(tx sync.Tx) error {
		if len(perms) > 0 {
			if err := org.PutRole(tx, ent, org.Role{ID: role, Name: "审批人", Permissions: perms, Created: time.Now()}); err != nil {
				return err
			}
		}
		return org.PutMember(tx, org.Member{EnterpriseID: ent, AccountID: me.ID, Name: p.name, Phone: p.phone, Role: role, Joined: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return me.ID
}

// TestApprovalsScreen drives 审批管理 against a real server: the admin makes a rule in 审批规则
// (name, amount, approver picked by name), submits a draft from 我发起的; the approver finds it in
// 需要我审批, a rejection without a comment is refused in Chinese inside the dialog, a rejection
// with one goes through and the admin sees it with the comment; outside an enterprise the screen
// says to switch.
func TestApprovalsScreen(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb := newTestParty(t, run, "王管理"), newTestParty(t, run, "周审批")
	ent := newEnterprise(t, pa, "苏州审批界面有限公司", "91320500MA1AP0002")
	enrolMember(t, run, ent, pb, "r_appr", org.PermApproveContracts)

	s, _ := billingShell(t, pa, ent)
	s.Show(NavApprovals)
	sc := s.Screen(NavApprovals).(*ApprovalsScreen)
	sc.Wait()
	if !sc.Boxes[api.ApprovalBoxTodo].Empty.Visible() || !strings.Contains(sc.Boxes[api.ApprovalBoxTodo].EmptyMsg.Text, "暂无需要您审批") {
		t.Fatalf("empty todo: %q", sc.Boxes[api.ApprovalBoxTodo].EmptyMsg.Text)
	}
	// 审批规则: empty, then a new rule.
	sc.Tabs.SelectIndex(3)
	sc.Wait()
	if !sc.Rules.Empty.Visible() {
		t.Fatal("the empty rules tab does not invite a first rule")
	}
	test.Tap(sc.Rules.New)
	sc.Wait()
	d := sc.RuleEditor
	if len(d.Approvers.Options) != 2 { // the owner and the approver (plain members cannot approve)
		t.Fatalf("approver options %v", d.Approvers.Options)
	}
	d.Name.SetText("大额合同审批")
	d.Amount.SetText("abc")
	test.Tap(d.Confirm)
	if !d.Err.Visible() || !isChinese(d.Err.Text) {
		t.Fatalf("bad amount: %q", d.Err.Text)
	}
	d.Amount.SetText("10000")
	test.Tap(d.Confirm)
	sc.Wait()
	if !d.Err.Visible() || !strings.Contains(d.Err.Text, "审批人") {
		t.Fatalf("no approver: %q", d.Err.Text)
	}
	d.Approvers.SetSelected([]string{pb.name})
	test.Tap(d.Confirm)
	sc.Wait()
	if len(sc.Rules.Items) != 1 || !strings.Contains(sc.Rules.line(sc.Rules.Items[0]), "10000.00") || !strings.Contains(sc.Rules.line(sc.Rules.Items[0]), pb.name) {
		t.Fatalf("rules %+v", sc.Rules.Items)
	}

	// A draft over the amount: sending is refused; 我发起的 › 提交审批.
	refs, err := pa.c.UploadFiles(ctx, []client.NamedFile{{Name: "采购合同.pdf", Data: testPDFBytes(t)}})
	if err != nil {
		t.Fatal(err)
	}
	req := api.EnvelopeRequest{Subject: "年度采购", EnterpriseID: ent, Files: refs, Amount: 2000000_00,
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: "钱客户", Phone: "13912345678"}}}
	if _, err := pa.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req); !client.IsCode(err, "approval_required") {
		t.Fatalf("send over the amount: %v", err)
	}
	req.Draft = true
	if _, err := pa.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req); err != nil {
		t.Fatal(err)
	}
	sc.Tabs.SelectIndex(2)
	sc.Wait()
	mine := sc.Boxes[api.ApprovalBoxMine]
	if !mine.Empty.Visible() {
		t.Fatal("empty 我发起的 not shown")
	}
	test.Tap(mine.New)
	sc.Wait()
	if sc.Submit.Contract.Selected == "" || !strings.Contains(sc.Submit.Contract.Selected, "年度采购") {
		t.Fatalf("draft not offered: %v", sc.Submit.Contract.Options)
	}
	sc.Submit.Note.SetText("年度框架")
	test.Tap(sc.Submit.Confirm)
	sc.Wait()
	if len(mine.Items) != 1 || mine.Items[0].Status != api.ApprovalPending || !mine.Withdraw.Visible() || !strings.Contains(sc.Status.Text, pb.name) {
		t.Fatalf("mine after submit: %+v, status %q", mine.Items, sc.Status.Text)
	}

	// The approver: 需要我审批 lists it; rejecting needs a comment.
	sb, _ := billingShell(t, pb, ent)
	sb.Show(NavApprovals)
	bs := sb.Screen(NavApprovals).(*ApprovalsScreen)
	bs.Wait()
	todo := bs.Boxes[api.ApprovalBoxTodo]
	if len(todo.Items) != 1 || !todo.Approve.Visible() || !strings.Contains(todo.Detail.Text, "2000000.00") || !strings.Contains(todo.Detail.Text, "年度框架") {
		t.Fatalf("todo %+v detail %q", todo.Items, todo.Detail.Text)
	}
	test.Tap(todo.Reject)
	test.Tap(bs.Decide.Confirm)
	bs.Wait()
	if !bs.Decide.Err.Visible() || !strings.Contains(bs.Decide.Err.Text, "审批意见") {
		t.Fatalf("reject without comment: %q", bs.Decide.Err.Text)
	}
	bs.Decide.Comment.SetText("金额过大，请拆分")
	test.Tap(bs.Decide.Confirm)
	bs.Wait()
	if len(todo.Items) != 0 || !todo.Empty.Visible() || !strings.Contains(bs.Status.Text, "已驳回") {
		t.Fatalf("after rejecting: %+v %q", todo.Items, bs.Status.Text)
	}
	bs.Tabs.SelectIndex(1)
	bs.Wait()
	if done := bs.Boxes[api.ApprovalBoxDone]; len(done.Items) != 1 || done.Approve.Visible() {
		t.Fatalf("done: %+v", done.Items)
	}
	// The admin sees the decision and its comment.
	sc.Reload()
	sc.Wait()
	if len(mine.Items) != 1 || mine.Items[0].Status != api.ApprovalRejected || !strings.Contains(mine.Detail.Text, "金额过大") || mine.Withdraw.Visible() {
		t.Fatalf("admin's view: %+v %q", mine.Items, mine.Detail.Text)
	}
	// 首页's 需要我审批 leads here.
	sb.Show(NavHome)
	OpenApprovals(sb)
	if sb.Current() != NavApprovals || bs.Tabs.SelectedIndex() != 0 {
		t.Fatalf("OpenApprovals shows %v, tab %d", sb.Current(), bs.Tabs.SelectedIndex())
	}
	// Outside an enterprise.
	sp, _ := billingShell(t, pa, "")
	sp.Show(NavApprovals)
	ps := sp.Screen(NavApprovals).(*ApprovalsScreen)
	ps.Wait()
	if !ps.Status.Visible() || !strings.Contains(ps.Status.Text, "切换到企业") {
		t.Fatalf("personal: %q", ps.Status.Text)
	}
}

// TestArchiveScreen drives 档案柜 against a real server: the empty archive invites the next step,
// a folder is made in the dialog (bad retention refused in Chinese), filed contracts show in the
// tree with counts, the search form filters, the selected folder is exported as a ZIP through the
// save dialog, and a plain member sees no folder that is not open to them.
func TestArchiveScreen(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb := newTestParty(t, run, "王管理"), newTestParty(t, run, "赵成员")
	ent := newEnterprise(t, pa, "杭州档案界面有限公司", "91330100MA2AR0002")
	enrolMember(t, run, ent, pb, org.RoleMember)

	s, _ := billingShell(t, pa, ent)
	s.Show(NavArchive)
	sc := s.Screen(NavArchive).(*ArchiveScreen)
	sc.Wait()
	if !sc.Empty.Visible() || !strings.Contains(sc.EmptyMsg.Text, "档案柜还是空的") {
		t.Fatalf("empty archive: %q", sc.EmptyMsg.Text)
	}
	test.Tap(sc.NewFolder)
	sc.Wait()
	d := sc.FolderEditor
	d.Name.SetText("华为合同")
	d.Counterparties.SetText("华为，海思")
	d.Retention.SetText("十年")
	test.Tap(d.Confirm)
	if !d.Err.Visible() || !isChinese(d.Err.Text) {
		t.Fatalf("bad retention: %q", d.Err.Text)
	}
	d.Retention.SetText("101")
	test.Tap(d.Confirm)
	sc.Wait()
	if !d.Err.Visible() || !strings.Contains(d.Err.Text, "0–100") {
		t.Fatalf("retention 101: %q", d.Err.Text)
	}
	d.Retention.SetText("10")
	test.Tap(d.Confirm)
	sc.Wait()
	var hw api.ArchiveFolder
	for _, f := range sc.Folders {
		if f.Name == "华为合同" {
			hw = f
		}
	}
	if hw.ID == "" || hw.RetentionYears != 10 || len(hw.Counterparties) != 2 {
		t.Fatalf("folders %+v", sc.Folders)
	}

	// Two contracts completed and filed (the filing itself is tested end to end in core/server).
	file := func(subject string, rc api.Recipient) {
		refs, err := pa.c.UploadFiles(ctx, []client.NamedFile{{Name: subject + ".pdf", Data: testPDFBytes(t)}})
		if err != nil {
			t.Fatal(err)
		}
		env, err := pa.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, EnterpriseID: ent, Files: refs,
			Recipients: []api.Recipient{rc}})
		if err != nil {
			t.Fatal(err)
		}
		env.Completed = time.Now()
		for i := range env.Documents {
			env.Documents[i].Final = env.Documents[i].Current
		}
		env.Recipients[0].State = api.RecipientSigned
		if err := run.Server.Billing().Store.Update(ctx, func(tx sync.Tx) error {
			return run.Server.Archive().File(tx, env, env.Documents[0].Current, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	file("华为框架协议", api.Recipient{Kind: api.RecipientCompany, Company: "华为技术有限公司", Name: "孙经办", Phone: "13912345670"})
	file("办公租赁", api.Recipient{Kind: api.RecipientPerson, Name: "钱房东", Phone: "13912345671"})
	sc.Reload()
	sc.Wait()
	if len(sc.Items) != 2 || sc.Empty.Visible() || sc.folderLabel(hw.ID) != "华为合同（1）" || sc.folderLabel("all") != "全部合同（2）" {
		t.Fatalf("after filing: %d items, %q %q", len(sc.Items), sc.folderLabel(hw.ID), sc.folderLabel("all"))
	}
	sc.Subject.SetText("框架")
	test.Tap(sc.Search)
	sc.Wait()
	if len(sc.Items) != 1 || !strings.Contains(archiveLine(sc.Items[0]), "华为技术有限公司") {
		t.Fatalf("search 框架: %+v", sc.Items)
	}
	sc.Subject.SetText("")
	sc.Signer.SetText("没有这个人")
	test.Tap(sc.Search)
	sc.Wait()
	if len(sc.Items) != 0 || !sc.Empty.Visible() || !strings.Contains(sc.EmptyMsg.Text, "没有符合条件") {
		t.Fatalf("search nobody: %+v %q", sc.Items, sc.EmptyMsg.Text)
	}
	sc.Signer.SetText("")
	sc.From.SetText("2026/01/01")
	test.Tap(sc.Search)
	if !strings.Contains(sc.Status.Text, "2026-01-31") {
		t.Fatalf("bad date: %q", sc.Status.Text)
	}
	sc.From.SetText("")

	// Export the selected folder through the save dialog.
	if !sc.Export.Disabled() {
		t.Fatal("export enabled without a folder")
	}
	sc.Tree.Select(hw.ID)
	sc.Wait()
	if sc.Export.Disabled() || len(sc.Items) != 1 {
		t.Fatalf("folder selected: export disabled %v, %d items", sc.Export.Disabled(), len(sc.Items))
	}
	test.Tap(sc.Export)
	dir := t.TempDir()
	sc.LastSave.dir = dir
	test.Tap(sc.LastSave.save)
	sc.Wait()
	zips, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	if len(zips) != 1 || !strings.Contains(sc.Status.Text, dir) {
		t.Fatalf("export: %v %q", zips, sc.Status.Text)
	}
	zr, err := zip.OpenReader(zips[0])
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if len(names) != 3 || !strings.Contains(strings.Join(names, "|"), "索引.csv") {
		t.Fatalf("zip %v", names)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Fatalf("left in the folder: %v", left)
	}

	// A plain member: no folder is open to them.
	sb, _ := billingShell(t, pb, ent)
	sb.Show(NavArchive)
	bs := sb.Screen(NavArchive).(*ArchiveScreen)
	bs.Wait()
	if len(bs.Folders) != 0 || len(bs.Items) != 0 || !bs.Export.Disabled() || !bs.Empty.Visible() || !strings.Contains(bs.EmptyMsg.Text, "档案柜还是空的") {
		t.Fatalf("member sees %+v / %d items", bs.Folders, len(bs.Items))
	}
}
