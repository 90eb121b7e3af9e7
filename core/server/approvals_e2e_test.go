package server_test

import (
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// enterpriseParty is a party that is also a member of the test enterprise with a role.
func (e *env) enrol(t testing.TB, eid string, p *party, role string) string {
	t.Helper()
	me, err := p.c.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.Update(ctx, func(tx sync.Tx) error {
		return org.PutMember(tx, org.Member{EnterpriseID: eid, AccountID: me.ID, Name: p.name, Phone: p.phone, Role: role, Joined: time.Now().UTC()})
	}); err != nil {
		t.Fatal(err)
	}
	return me.ID
}

func putRole(t testing.TB, e *env, eid, id, name string, perms ...org.Permission) {
	t.Helper()
	if err := e.store.Update(ctx, func(tx sync.Tx) error {
		return org.PutRole(tx, eid, org.Role{ID: id, Name: name, Permissions: perms, Created: time.Now().UTC()})
	}); err != nil {
		t.Fatal(err)
	}
}

func hasStep(env api.Envelope, action, note string) bool {
	for _, s := range env.Steps {
		if s.Action == action && strings.Contains(s.Note, note) {
			return true
		}
	}
	return false
}

// TestApprovalsEndToEnd is 审批管理 on a real server, bolt and PostgreSQL, through the desktop's
// client: a send rule from an amount on, a seal-use rule; the contract waits (sending refused
// until approved), rejection with a comment, approval, the 需要我审批 counter, every decision in
// the contract's timeline and its 签署报告 PDF, and the refusals (an approver without the
// permission, someone the rule does not name, approving twice, a deleted draft, a withdrawn
// contract, rules by members without approvals.manage).
func TestApprovalsEndToEnd(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) { o.ContractsUnbilled = true })
			admin, appr, sender, signer := newParty(t, e, "王管理"), newParty(t, e, "周审批"), newParty(t, e, "李发起"), newParty(t, e, "赵签署")
			ent, err := admin.c.CreateEnterprise(ctx, "苏州审批测试有限公司", creditCode(t, "91320500MA1AP0001"))
			if err != nil {
				t.Fatal(err)
			}
			eid := ent.ID
			entMail := "approvals@example.com"
			if _, err := admin.c.UpdateConsoleSettings(ctx, eid, org.SettingsUpdate{NotifyEmail: &entMail}); err != nil {
				t.Fatal(err)
			}
			// notices counts the outbox's messages to someone whose subject and body say all of want.
			notices := func(to string, want ...string) int {
				n := 0
				for _, m := range e.run.Server.Outbox().Messages() {
					text := m.Subject + "\n" + m.Body
					ok := m.To == to
					for _, w := range want {
						ok = ok && strings.Contains(text, w)
					}
					if ok {
						n++
					}
				}
				return n
			}
			putRole(t, e, eid, "r_appr", "审批人", org.PermApproveContracts)
			putRole(t, e, eid, "r_send", "业务员", org.PermSendContracts)
			apprID := e.enrol(t, eid, appr, "r_appr")
			senderID := e.enrol(t, eid, sender, "r_send")

			// Rules: only approvals.manage; approvers must hold approvals.approve.
			rule := api.ApprovalRule{Name: "大额合同审批", Kind: api.ApprovalSend, MinAmount: 100000_00, Approvers: []string{apprID}}
			_, err = sender.c.SaveApprovalRule(ctx, eid, rule)
			wantCode(t, err, "permission_denied")
			_, err = admin.c.SaveApprovalRule(ctx, eid, api.ApprovalRule{Name: "x", Kind: api.ApprovalSend, Approvers: []string{senderID}})
			wantCode(t, err, "bad_approver")
			_, err = admin.c.SaveApprovalRule(ctx, eid, api.ApprovalRule{Name: "x", Kind: api.ApprovalSend})
			wantCode(t, err, "no_approvers")
			rule, err = admin.c.SaveApprovalRule(ctx, eid, rule)
			if err != nil {
				t.Fatal(err)
			}
			if rs, err := admin.c.ApprovalRules(ctx, eid); err != nil || len(rs) != 1 || rs[0].ID != rule.ID {
				t.Fatalf("rules: %+v %v", rs, err)
			}

			files := []client.NamedFile{{Name: "采购合同.pdf", Data: pdfBytes(t, 1, "contract")}}
			refs, err := sender.c.UploadFiles(ctx, files)
			if err != nil {
				t.Fatal(err)
			}
			req := api.EnvelopeRequest{Subject: "小额采购", EnterpriseID: eid, Files: refs, Recipients: []api.Recipient{person(signer)}, Amount: 5000_00}
			// Below the amount: sent at once.
			if env, err := sender.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req); err != nil || env.Status != api.EnvelopeInProgress {
				t.Fatalf("small contract: %v %v", env.Status, err)
			}
			// From the amount on: refused until approved; the draft is submitted.
			req.Subject, req.Amount = "年度大额采购", 250000_00
			_, err = sender.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
			wantCode(t, err, "approval_required")
			dreq := req
			dreq.Draft = true
			draft, err := sender.c.SendEnvelope(ctx, client.NewIdempotencyKey(), dreq)
			if err != nil {
				t.Fatal(err)
			}
			_, err = sender.c.SendDraft(ctx, client.NewIdempotencyKey(), draft.ID)
			wantCode(t, err, "approval_required")
			ap, err := sender.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSend, EnvelopeID: draft.ID, Note: "年度框架协议"})
			if err != nil || ap.Status != api.ApprovalPending || ap.RuleName != rule.Name || ap.Amount != 250000_00 {
				t.Fatalf("submit: %+v %v", ap, err)
			}
			// The approver hears of it (by text message: the account has a phone only), and so does the
			// 企业通知邮箱; the requester does not.
			if n := notices(appr.phone, "待您审批", "年度大额采购", sender.name, "250,000.00", "年度框架协议", "需要我审批"); n != 1 {
				t.Errorf("approver's request notices: %d of %+v", n, e.run.Server.Outbox().Messages())
			}
			if n := notices(entMail, "新的发送审批", "年度大额采购"); n != 1 {
				t.Errorf("企业通知邮箱 request notices: %d", n)
			}
			if n := notices(sender.phone, "待您审批"); n != 0 {
				t.Errorf("the requester was asked to approve: %d", n)
			}
			_, err = sender.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSend, EnvelopeID: draft.ID})
			wantCode(t, err, "approval_pending")
			if n := notices(appr.phone, "待您审批"); n != 1 {
				t.Errorf("a refused resubmission notified again: %d", n)
			}
			_, err = sender.c.SendDraft(ctx, client.NewIdempotencyKey(), draft.ID)
			wantCode(t, err, "approval_pending")
			if n, err := appr.c.PendingApprovalCount(ctx); err != nil || n != 1 {
				t.Fatalf("approver's 需要我审批: %d %v", n, err)
			}
			if n, err := sender.c.PendingApprovalCount(ctx); err != nil || n != 0 {
				t.Fatalf("sender's 需要我审批: %d %v", n, err)
			}
			todo, err := appr.c.Approvals(ctx, eid, api.ApprovalBoxTodo)
			if err != nil || len(todo) != 1 || todo[0].ID != ap.ID || !todo[0].CanDecide || todo[0].RequesterName != sender.name {
				t.Fatalf("todo: %+v %v", todo, err)
			}
			if mine, err := sender.c.Approvals(ctx, eid, api.ApprovalBoxMine); err != nil || len(mine) != 1 {
				t.Fatalf("mine: %+v %v", mine, err)
			}

			// Refusals: no permission, not named, no comment on a rejection.
			_, err = sender.c.DecideApproval(ctx, eid, ap.ID, true, "")
			wantCode(t, err, "permission_denied")
			_, err = admin.c.DecideApproval(ctx, eid, ap.ID, true, "")
			wantCode(t, err, "not_approver")
			_, err = appr.c.DecideApproval(ctx, eid, ap.ID, false, "")
			wantCode(t, err, "comment_required")

			// Rejected, resubmitted, approved; approving twice is refused.
			if d, err := appr.c.DecideApproval(ctx, eid, ap.ID, false, "金额需财务复核"); err != nil || d.Status != api.ApprovalRejected {
				t.Fatalf("reject: %+v %v", d, err)
			}
			_, err = sender.c.SendDraft(ctx, client.NewIdempotencyKey(), draft.ID)
			wantCode(t, err, "approval_rejected")
			if n := notices(sender.phone, "已驳回", "年度大额采购", appr.name, "金额需财务复核"); n != 1 {
				t.Errorf("requester's rejection notices: %d", n)
			}
			ap2, err := sender.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSend, EnvelopeID: draft.ID, Note: "已复核"})
			if err != nil {
				t.Fatal(err)
			}
			if d, err := appr.c.DecideApproval(ctx, eid, ap2.ID, true, "同意发送"); err != nil || d.Status != api.ApprovalApproved || d.DeciderName != appr.name {
				t.Fatalf("approve: %+v %v", d, err)
			}
			_, err = appr.c.DecideApproval(ctx, eid, ap2.ID, true, "")
			wantCode(t, err, "already_decided")
			if n := notices(sender.phone, "已通过", "同意发送", "现在可以发送"); n != 1 {
				t.Errorf("requester's approval notices: %d", n)
			}
			if n := notices(entMail, "已通过", sender.name); n != 1 {
				t.Errorf("企业通知邮箱 decision notices: %d", n)
			}
			if n, _ := appr.c.PendingApprovalCount(ctx); n != 0 {
				t.Fatalf("counter after the decision: %d", n)
			}
			sent, err := sender.c.SendDraft(ctx, client.NewIdempotencyKey(), draft.ID)
			if err != nil || sent.Status != api.EnvelopeInProgress {
				t.Fatalf("send after approval: %v %v", sent.Status, err)
			}
			for _, want := range [][2]string{{"approval_requested", "年度框架协议"}, {"rejected", "金额需财务复核"}, {"approved", "同意发送"}} {
				if !hasStep(sent, want[0], want[1]) {
					t.Errorf("timeline lacks %v: %+v", want, sent.Steps)
				}
			}
			done := signAll(t, e, signer, sent)
			if done.Status != api.EnvelopeCompleted {
				t.Fatalf("after signing: %s", done.Status)
			}
			rp, err := sender.c.EnvelopeReport(ctx, done.ID)
			if err != nil {
				t.Fatal(err)
			}
			text := pdfText(t, rp)
			for _, want := range []string{"提交审批", "审批驳回", "金额需财务复核", "审批通过", "同意发送", appr.name} {
				if !strings.Contains(text, want) {
					t.Errorf("签署报告 lacks %q:\n%s", want, text)
				}
			}

			// A request withdrawn by its requester, and a deleted draft, cannot be approved.
			draft2, err := sender.c.SendEnvelope(ctx, client.NewIdempotencyKey(), dreq)
			if err != nil {
				t.Fatal(err)
			}
			ap3, err := sender.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSend, EnvelopeID: draft2.ID})
			if err != nil {
				t.Fatal(err)
			}
			if w, err := sender.c.WithdrawApproval(ctx, eid, ap3.ID); err != nil || w.Status != api.ApprovalWithdrawn {
				t.Fatalf("withdraw: %+v %v", w, err)
			}
			if n := notices(appr.phone, "撤回", sender.name); n != 1 {
				t.Errorf("approver's withdrawal notices: %d", n)
			}
			_, err = appr.c.DecideApproval(ctx, eid, ap3.ID, false, "不同意")
			wantCode(t, err, "approval_withdrawn")
			ap4, err := sender.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSend, EnvelopeID: draft2.ID})
			if err != nil {
				t.Fatal(err)
			}
			if err := sender.c.DeleteDraft(ctx, draft2.ID); err != nil {
				t.Fatal(err)
			}
			_, err = appr.c.DecideApproval(ctx, eid, ap4.ID, true, "")
			wantCode(t, err, "contract_closed")
			if n, _ := appr.c.PendingApprovalCount(ctx); n != 0 {
				t.Fatalf("counter after the deleted draft: %d", n)
			}

			// Seal use: a rule on the contract seal; the use waits for approval on that contract.
			seal, err := admin.c.CreateSeal(ctx, eid, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: testImage(t, "png")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.c.GrantSeal(ctx, eid, seal.ID, api.SealGrantRequest{MemberID: senderID}); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.c.SaveApprovalRule(ctx, eid, api.ApprovalRule{Name: "用印审批", Kind: api.ApprovalSeal, Seals: []string{seal.ID}, Approvers: []string{apprID}}); err != nil {
				t.Fatal(err)
			}
			req.Subject, req.Amount = "用印合同", 0
			use, err := sender.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
			if err != nil {
				t.Fatal(err)
			}
			signWith := func() error {
				tk, err := sender.c.SealCode(ctx, eid, seal.ID)
				if err != nil {
					t.Fatal(err)
				}
				code := ""
				msgs := e.run.Server.Outbox().Messages()
				for i := len(msgs) - 1; i >= 0 && code == ""; i-- {
					if m := sealCodeRE.FindStringSubmatch(msgs[i].Body); m != nil && msgs[i].To == sender.phone {
						code = m[1]
					}
				}
				cur, err := sender.c.EnvelopeDocument(ctx, use.ID, 0, "")
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = sender.c.SealDocument(ctx, eid, seal.ID, cur, api.SealSignRequest{CodeID: tk.CodeID, Code: code, ContractID: use.ID,
					Marks: []api.SealMark{{Page: 1, Rect: [4]float64{300, 60, 420, 180}}}, Device: "e2e"}, 0)
				return err
			}
			wantCode(t, signWith(), "approval_required")
			sa, err := sender.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSeal, EnvelopeID: use.ID, SealID: seal.ID})
			if err != nil || sa.SealName != "合同专用章" {
				t.Fatalf("seal approval: %+v %v", sa, err)
			}
			wantCode(t, signWith(), "approval_pending")
			if _, err := appr.c.DecideApproval(ctx, eid, sa.ID, true, "准予用印"); err != nil {
				t.Fatal(err)
			}
			if err := signWith(); err != nil {
				t.Fatalf("seal use after approval: %v", err)
			}
			got, err := sender.c.Envelope(ctx, use.ID)
			if err != nil || !hasStep(got, "approved", "准予用印") || !hasStep(got, "approval_requested", "合同专用章") {
				t.Fatalf("seal approval steps: %+v %v", got.Steps, err)
			}

			// A withdrawn contract: its pending seal approval cannot be approved, and leaves the inbox.
			use2, err := sender.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
			if err != nil {
				t.Fatal(err)
			}
			sa2, err := sender.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSeal, EnvelopeID: use2.ID, SealID: seal.ID})
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := appr.c.PendingApprovalCount(ctx); n != 1 {
				t.Fatalf("counter with one seal request: %d", n)
			}
			if _, err := sender.c.Withdraw(ctx, client.NewIdempotencyKey(), use2.ID, "条款变更"); err != nil {
				t.Fatal(err)
			}
			_, err = appr.c.DecideApproval(ctx, eid, sa2.ID, true, "")
			wantCode(t, err, "contract_withdrawn")
			_, err = appr.c.DecideApproval(ctx, eid, sa2.ID, true, "")
			wantCode(t, err, "approval_withdrawn")
			if n, _ := appr.c.PendingApprovalCount(ctx); n != 0 {
				t.Fatalf("counter after the withdrawn contract: %d", n)
			}

			// A stranger sees nothing.
			stranger := newPartyWith(t, e, "陌生人", 0)
			_, err = stranger.c.Approval(ctx, eid, ap.ID)
			wantCode(t, err, "not_member")
		})
	}
}
