package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/org"
)

// TestApprovalRulesEdit: 审批规则 are changed and deleted on the desktop against a real server —
// 编辑 opens the selected rule filled in (name, amount, approver), a bad amount is refused in
// Chinese inside the dialog, the saved change is the same rule on the server; 删除 asks first;
// a member without approvals.manage sees the server's refusal and none of the buttons.
func TestApprovalRulesEdit(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pb, pc := newTestParty(t, run, "王管理"), newTestParty(t, run, "周审批"), newTestParty(t, run, "吴成员")
	ent := newEnterprise(t, pa, "苏州规则编辑有限公司", "91320500MA1AP0003")
	apprID := enrolMember(t, run, ent, pb, "r_appr", org.PermApproveContracts)
	enrolMember(t, run, ent, pc, org.RoleMember)
	rule, err := pa.c.SaveApprovalRule(ctx, ent, api.ApprovalRule{Name: "大额合同审批", Kind: api.ApprovalSend, MinAmount: 10000_00, Approvers: []string{apprID}})
	if err != nil {
		t.Fatal(err)
	}

	s, _ := billingShell(t, pa, ent)
	s.Show(NavApprovals)
	sc := s.Screen(NavApprovals).(*ApprovalsScreen)
	sc.Wait()
	sc.Tabs.SelectIndex(3)
	sc.Wait()
	r := sc.Rules
	if len(r.Items) != 1 || !r.Edit.Visible() || !r.Edit.Disabled() {
		t.Fatalf("rules %+v, 编辑 shown %v disabled %v", r.Items, r.Edit.Visible(), r.Edit.Disabled())
	}
	r.List.Select(0)
	test.Tap(r.Edit)
	sc.Wait()
	d := sc.RuleEditor
	if d.Name.Text != "大额合同审批" || d.Amount.Text != "10000.00" || strings.Join(d.Approvers.Selected, ",") != pb.name {
		t.Fatalf("edit dialog: %q %q %v", d.Name.Text, d.Amount.Text, d.Approvers.Selected)
	}
	d.Amount.SetText("1.234")
	test.Tap(d.Confirm)
	if !d.Err.Visible() || !strings.Contains(d.Err.Text, "两位小数") {
		t.Fatalf("bad amount: %q", d.Err.Text)
	}
	d.Name.SetText("大额合同审批（两万起）")
	d.Amount.SetText("20,000.5")
	test.Tap(d.Confirm)
	sc.Wait()
	rs, err := pa.c.ApprovalRules(ctx, ent)
	if err != nil || len(rs) != 1 || rs[0].ID != rule.ID || rs[0].Name != "大额合同审批（两万起）" || rs[0].MinAmount != 2000050 || len(rs[0].Approvers) != 1 {
		t.Fatalf("after 编辑 the server has %+v %v (%q)", rs, err, d.Err.Text)
	}
	if len(r.Items) != 1 || !strings.Contains(r.line(r.Items[0]), "两万起") {
		t.Fatalf("the list after 编辑: %+v", r.Items)
	}
	// 删除 asks first.
	r.List.Select(0)
	test.Tap(r.Delete)
	if r.DeleteAsk == nil || !r.DeleteAsk.Visible() {
		t.Fatal("删除 does not ask")
	}
	if rs, _ := pa.c.ApprovalRules(ctx, ent); len(rs) != 1 {
		t.Fatal("deleted before the confirmation")
	}
	test.Tap(r.DeleteConfirm)
	sc.Wait()
	if rs, _ := pa.c.ApprovalRules(ctx, ent); len(rs) != 0 || len(r.Items) != 0 || !r.Empty.Visible() {
		t.Fatalf("after 删除: server %d, list %d", len(rs), len(r.Items))
	}

	// A plain member: the server's refusal, and no buttons.
	sp, _ := billingShell(t, pc, ent)
	sp.Show(NavApprovals)
	ps := sp.Screen(NavApprovals).(*ApprovalsScreen)
	ps.Wait()
	ps.Tabs.SelectIndex(3)
	ps.Wait()
	pr := ps.Rules
	if pr.New.Visible() || pr.Edit.Visible() || pr.Delete.Visible() || !pr.Status.Visible() || !strings.Contains(pr.Status.Text, "权限") {
		t.Fatalf("plain member: 新建 %v 编辑 %v 删除 %v, status %q", pr.New.Visible(), pr.Edit.Visible(), pr.Delete.Visible(), pr.Status.Text)
	}
}
