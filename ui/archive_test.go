package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/archive"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// TestArchiveFoldersManage: 档案柜's folder buttons follow archive.manage as the server does — a
// plain member sees no 新建档案夹 and the server answers 403 to the same request; a member whose
// custom role holds archive.manage creates, renames (编辑) and deletes a folder; 未分类合同 cannot
// be deleted, and a folder holding a contract is refused with the server's reason, kept.
func TestArchiveFoldersManage(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb, pc := newTestParty(t, run, "王管理"), newTestParty(t, run, "赵成员"), newTestParty(t, run, "钱档案")
	ent := newEnterprise(t, pa, "杭州档案权限有限公司", "91330100MA2AR0003")
	enrolMember(t, run, ent, pb, org.RoleMember)
	enrolMember(t, run, ent, pc, "archivist", org.PermManageArchive)

	// The plain member: no folder buttons, and the server refuses what the button would do.
	sb, _ := billingShell(t, pb, ent)
	sb.Show(NavArchive)
	bs := sb.Screen(NavArchive).(*ArchiveScreen)
	bs.Wait()
	if bs.CanManage || bs.NewFolder.Visible() || bs.EditFolder.Visible() || bs.DeleteFolder.Visible() {
		t.Fatalf("plain member: can manage %v, 新建 %v 编辑 %v 删除 %v", bs.CanManage, bs.NewFolder.Visible(), bs.EditFolder.Visible(), bs.DeleteFolder.Visible())
	}
	_, err := pb.c.SaveArchiveFolder(ctx, ent, api.ArchiveFolder{Name: "偷建的档案夹"})
	var ce *client.Error
	if !client.IsCode(err, "permission_denied") || !errors.As(err, &ce) || ce.Status != 403 || !strings.Contains(ce.Message, "档案") {
		t.Fatalf("plain member creates a folder: %v", err)
	}
	if err := pb.c.DeleteArchiveFolder(ctx, ent, archive.DefaultFolder); !client.IsCode(err, "permission_denied") {
		t.Fatalf("plain member deletes a folder: %v", err)
	}

	// The archivist (custom role with archive.manage).
	sc, _ := billingShell(t, pc, ent)
	sc.Show(NavArchive)
	cs := sc.Screen(NavArchive).(*ArchiveScreen)
	cs.Wait()
	if !cs.CanManage || !cs.NewFolder.Visible() || cs.EditFolder.Visible() {
		t.Fatalf("archivist: can manage %v, 新建 %v, 编辑 without a folder %v", cs.CanManage, cs.NewFolder.Visible(), cs.EditFolder.Visible())
	}
	test.Tap(cs.NewFolder)
	cs.Wait()
	d := cs.FolderEditor
	d.Name.SetText("华东销售")
	d.Counterparties.SetText("华为")
	test.Tap(d.Confirm)
	cs.Wait()
	var f api.ArchiveFolder
	for _, x := range cs.Folders {
		if x.Name == "华东销售" {
			f = x
		}
	}
	if f.ID == "" {
		t.Fatalf("folders after 新建: %+v (%q)", cs.Folders, d.Err.Text)
	}
	cs.Tree.Select(f.ID)
	cs.Wait()
	if !cs.EditFolder.Visible() || !cs.DeleteFolder.Visible() || cs.DeleteFolder.Disabled() {
		t.Fatalf("folder selected: 编辑 %v 删除 %v", cs.EditFolder.Visible(), cs.DeleteFolder.Visible())
	}
	// 编辑: the dialog opens filled; rename and keep ten years.
	test.Tap(cs.EditFolder)
	cs.Wait()
	d = cs.FolderEditor
	if d.Name.Text != "华东销售" || d.Counterparties.Text != "华为" {
		t.Fatalf("edit dialog: %q %q", d.Name.Text, d.Counterparties.Text)
	}
	d.Name.SetText("华东销售（2027）")
	d.Retention.SetText("10")
	test.Tap(d.Confirm)
	cs.Wait()
	fs, err := pa.c.ArchiveFolders(ctx, ent)
	if err != nil {
		t.Fatal(err)
	}
	var renamed api.ArchiveFolder
	for _, x := range fs {
		if x.ID == f.ID {
			renamed = x
		}
	}
	if renamed.Name != "华东销售（2027）" || renamed.RetentionYears != 10 || len(renamed.Counterparties) != 1 || len(fs) != 2 {
		t.Fatalf("after 编辑 the server has %+v (%d folders)", renamed, len(fs))
	}
	// 未分类合同 stays.
	cs.Tree.Select(archive.DefaultFolder)
	cs.Wait()
	if !cs.DeleteFolder.Disabled() {
		t.Error("删除 is offered for 未分类合同")
	}
	// A contract filed in the folder: 删除 is refused with the reason and the folder stays.
	refs, err := pa.c.UploadFiles(ctx, []client.NamedFile{{Name: "框架协议.pdf", Data: testPDFBytes(t)}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := pa.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "华为框架协议", EnterpriseID: ent, Files: refs,
		Recipients: []api.Recipient{{Kind: api.RecipientCompany, Company: "华为技术有限公司", Name: "孙经办", Phone: "13912345670"}}})
	if err != nil {
		t.Fatal(err)
	}
	env.Completed = time.Now()
	env.Recipients[0].State = api.RecipientSigned
	if err := run.Server.Billing().Store.Update(ctx, func(tx sync.Tx) error {
		return run.Server.Archive().File(tx, env, env.Documents[0].Current, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	cs.Reload()
	cs.Wait()
	cs.Tree.Select(f.ID)
	cs.Wait()
	test.Tap(cs.DeleteFolder)
	test.Tap(cs.DeleteConfirm)
	cs.Wait()
	if !strings.Contains(cs.Status.Text, "还有 1 份合同") {
		t.Fatalf("deleting a folder with a contract: %q", cs.Status.Text)
	}
	if _, ok := cs.folder(f.ID); !ok {
		t.Fatal("the refused folder left the tree")
	}
	// An empty one goes.
	empty, err := pc.c.SaveArchiveFolder(ctx, ent, api.ArchiveFolder{Name: "临时"})
	if err != nil {
		t.Fatal(err)
	}
	cs.Reload()
	cs.Wait()
	cs.Tree.Select(empty.ID)
	cs.Wait()
	test.Tap(cs.DeleteFolder)
	if cs.DeleteAsk == nil || !cs.DeleteAsk.Visible() {
		t.Fatal("删除 does not ask first")
	}
	test.Tap(cs.DeleteConfirm)
	cs.Wait()
	if _, ok := cs.folder(empty.ID); ok || !strings.Contains(cs.Status.Text, "临时") || cs.EditFolder.Visible() {
		t.Fatalf("after 删除: %+v %q", cs.Folders, cs.Status.Text)
	}
	if fs, _ := pa.c.ArchiveFolders(ctx, ent); len(fs) != 2 {
		t.Errorf("the server has %d folders", len(fs))
	}
}

// TestArchiveReceivedScreen: a contract enterprise A sent to enterprise B as a company recipient,
// signed by B's member (经办人), shows in B's 档案柜 as 收到 with A as its counterparty, in the
// folder B's rule picks and in a counterparty search; A's 档案柜 shows its copy as 发出; B's
// member without the folder's role sees none of it.
func TestArchiveReceivedScreen(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb, ph := newTestParty(t, run, "王发起"), newTestParty(t, run, "陈收方"), newTestParty(t, run, "赵经办")
	entA := newEnterprise(t, pa, "杭州发出界面有限公司", "91330100MA2AR0004")
	entB := newEnterprise(t, pb, "宁波收到界面有限公司", "91330200MA2AR0005")
	enrolMember(t, run, entB, ph, org.RoleMember)
	folder, err := pb.c.SaveArchiveFolder(ctx, entB, api.ArchiveFolder{Name: "杭州往来", Counterparties: []string{"杭州发出"}})
	if err != nil {
		t.Fatal(err)
	}

	// A sends to B; B's member signs for B; the contract completes and is filed (the filing
	// itself is tested end to end, both stores, in core/server).
	refs, err := pa.c.UploadFiles(ctx, []client.NamedFile{{Name: "钢材采购.pdf", Data: testPDFBytes(t)}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := pa.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "钢材采购合同", EnterpriseID: entA, Files: refs,
		Recipients: []api.Recipient{{Kind: api.RecipientCompany, Company: "宁波收到界面有限公司", Name: ph.name, Phone: ph.phone}}})
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

	// B's admin.
	sb, _ := billingShell(t, pb, entB)
	sb.Show(NavArchive)
	bs := sb.Screen(NavArchive).(*ArchiveScreen)
	bs.Wait()
	if len(bs.Items) != 1 || !bs.Items[0].Received || bs.folderLabel(folder.ID) != "杭州往来（1）" {
		t.Fatalf("B's archive: %+v, folder %q", bs.Items, bs.folderLabel(folder.ID))
	}
	if line := archiveLine(bs.Items[0]); !strings.Contains(line, "[收到] 钢材采购合同") || !strings.Contains(line, "杭州发出界面有限公司") ||
		strings.Contains(line, "宁波收到界面有限公司") {
		t.Errorf("B's line: %q", line)
	}
	bs.Counterparty.SetText("杭州发出")
	test.Tap(bs.Search)
	bs.Wait()
	if len(bs.Items) != 1 {
		t.Errorf("B searches 杭州发出: %d items", len(bs.Items))
	}
	bs.Counterparty.SetText("宁波收到")
	test.Tap(bs.Search)
	bs.Wait()
	if len(bs.Items) != 0 || !bs.Empty.Visible() {
		t.Errorf("B searches itself: %d items", len(bs.Items))
	}

	// A's admin: the same contract, sent.
	sa, _ := billingShell(t, pa, entA)
	sa.Show(NavArchive)
	as := sa.Screen(NavArchive).(*ArchiveScreen)
	as.Wait()
	if len(as.Items) != 1 || as.Items[0].Received || !strings.Contains(archiveLine(as.Items[0]), "[发出] 钢材采购合同") ||
		!strings.Contains(archiveLine(as.Items[0]), "宁波收到界面有限公司") {
		t.Fatalf("A's archive: %+v", as.Items)
	}

	// B's member who signed holds no role the folder opens to: nothing to see.
	sh, _ := billingShell(t, ph, entB)
	sh.Show(NavArchive)
	hs := sh.Screen(NavArchive).(*ArchiveScreen)
	hs.Wait()
	if len(hs.Items) != 0 || len(hs.Folders) != 0 {
		t.Fatalf("B's plain member sees %+v / %d items", hs.Folders, len(hs.Items))
	}
}
