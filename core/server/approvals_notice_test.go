package server_test

import (
	"strings"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/notify"
	"sealdesk/core/org"
	"sealdesk/core/server"
)

// An approver who signs in with an e-mail address hears of a request by e-mail (the channel the
// codes take), not by text message; the e-mail names the contract and where to decide.
func TestApprovalNoticeByEmail(t *testing.T) {
	e := startContracts(t, openBolt(t), func(o *server.Options) { o.ContractsUnbilled = true })
	admin, sender := newParty(t, e, "王管理"), newParty(t, e, "李发起")
	mail := "approver@example.com"
	ac := e.register(t, mail)
	me, err := ac.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ent, err := admin.c.CreateEnterprise(ctx, "苏州邮件审批有限公司", creditCode(t, "91320500MA1AP0009"))
	if err != nil {
		t.Fatal(err)
	}
	putRole(t, e, ent.ID, "r_appr", "审批人", org.PermApproveContracts)
	putRole(t, e, ent.ID, "r_send", "业务员", org.PermSendContracts)
	e.enrol(t, ent.ID, &party{c: ac, name: "张三"}, "r_appr")
	e.enrol(t, ent.ID, sender, "r_send")
	if _, err := admin.c.SaveApprovalRule(ctx, ent.ID, api.ApprovalRule{Name: "全部审批", Kind: api.ApprovalSend, Approvers: []string{me.ID}}); err != nil {
		t.Fatal(err)
	}
	refs, err := sender.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: pdfBytes(t, 1, "contract")}})
	if err != nil {
		t.Fatal(err)
	}
	draft, err := sender.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "邮件通知合同", EnterpriseID: ent.ID, Files: refs,
		Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: "钱客户", Phone: "13912345678"}}, Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.c.SubmitApproval(ctx, ent.ID, api.ApprovalSubmit{Kind: api.ApprovalSend, EnvelopeID: draft.ID}); err != nil {
		t.Fatal(err)
	}
	var got []notify.Message
	for _, m := range e.run.Server.Outbox().Messages() {
		if m.To == mail && strings.Contains(m.Body, "邮件通知合同") {
			got = append(got, m)
		}
	}
	if len(got) != 1 || got[0].Channel != notify.Email || !strings.Contains(got[0].Subject, "待您审批") || !strings.Contains(got[0].Body, "需要我审批") {
		t.Fatalf("the approver's e-mail: %+v", got)
	}
}
