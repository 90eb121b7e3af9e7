package server_test

import (
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// Recipients are checked against memberships on send (bolt and PostgreSQL): a 企业内部成员 must
// be an enabled member of the enterprise sending; a company recipient's handler may not be a
// disabled member of an enterprise of that name (one who is no member yet is accepted: invited,
// or claiming the enterprise by an appeal from the contract); each refusal is Chinese and sends
// nothing. A recipient given by a login
// of an account is that account: an e-mail address of an account registered by phone reaches
// its 待我签, and the account signs.
func TestContractsRecipientMembership(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			a, b, d, x := newParty(t, e, "王菲菲"), newParty(t, e, "李四"), newParty(t, e, "赵停用"), newParty(t, e, "外人")
			ent, err := a.c.CreateEnterprise(ctx, "杭州示例科技有限公司", creditCode(t, "91330106MA27XY012"))
			if err != nil {
				t.Fatal(err)
			}
			ids := map[*party]string{}
			for _, p := range []*party{b, d, x} {
				me, _ := p.c.Me(ctx)
				ids[p] = me.ID
			}
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				for _, m := range []struct {
					p        *party
					disabled bool
				}{{b, false}, {d, true}} {
					if err := org.PutMember(tx, org.Member{EnterpriseID: ent.ID, AccountID: ids[m.p], Name: m.p.name, Phone: m.p.phone, Role: org.RoleMember,
						Disabled: m.disabled, Joined: time.Now().UTC()}); err != nil {
						return err
					}
				}
				return billing.Credit(tx, billing.Enterprise(ent.ID), "test-order-"+ent.ID, 20, 365*24*time.Hour, e.clock.Now())
			}); err != nil {
				t.Fatal(err)
			}
			refs, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: pdfBytes(t, 1, "contract")}})
			if err != nil {
				t.Fatal(err)
			}
			send := func(eid string, rc ...api.Recipient) (api.Envelope, error) {
				return a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "成员校验", EnterpriseID: eid, Files: refs, Recipients: rc})
			}
			member := func(p *party) api.Recipient { return api.Recipient{Kind: api.RecipientMember, AccountID: ids[p]} }
			company := func(co string, p *party) api.Recipient {
				return api.Recipient{Kind: api.RecipientCompany, Company: co, Name: p.name, Phone: p.phone}
			}
			for _, tc := range []struct {
				eid  string
				rc   api.Recipient
				code string
				says string
			}{
				{ent.ID, member(x), "recipient_not_member", "不是本企业的成员"},
				{ent.ID, member(d), "recipient_disabled", "已停用"},
				{"", member(b), "member_needs_enterprise", "以个人身份发起时不能添加企业内部成员"},
				{"", company("杭州示例科技有限公司", d), "handler_disabled", "经办人赵停用在“杭州示例科技有限公司”的账号已停用"},
			} {
				_, err := send(tc.eid, tc.rc)
				if !client.IsCode(err, tc.code) || !strings.Contains(err.Error(), tc.says) {
					t.Errorf("%+v: %v, want %s saying %q", tc.rc, err, tc.code, tc.says)
				}
			}
			if l, _ := a.c.Envelopes(ctx, client.ListOptions{Box: api.BoxWaiting}); len(l.Items) != 0 {
				t.Fatalf("a refused send left %d envelopes", len(l.Items))
			}
			// Accepted: an enabled member, a member handler, a handler without an account, a
			// handler who is no member (yet), a disabled member as handler of another company.
			env, err := send(ent.ID, member(b), api.Recipient{Kind: api.RecipientCompany, Company: "未注册公司", Name: "钱经办", Phone: "13912345678"})
			if err != nil {
				t.Fatalf("send to members: %v", err)
			}
			if env.Recipients[0].AccountID != ids[b] || env.Recipients[0].Name != "李四" {
				t.Errorf("member recipient: %+v", env.Recipients[0])
			}
			for _, rc := range []api.Recipient{company("杭州示例科技有限公司", b), company("杭州示例科技有限公司", x), company("另一家有限公司", d)} {
				if _, err := send(ent.ID, rc); err != nil {
					t.Errorf("handler %s of %s: %v", rc.Name, rc.Company, err)
				}
			}

			// An account with a phone and an e-mail, sent to by its e-mail: its 待我签 has it.
			mail := "li.si." + strings.TrimPrefix(b.phone, "1") + "@example.com"
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				var acct org.Account
				if err := sync.GetJSON(tx, org.BucketAccounts, ids[b], &acct); err != nil {
					return err
				}
				acct.Email = mail
				if err := org.PutAccount(tx, acct); err != nil {
					return err
				}
				return tx.Put(org.BucketLogins, "email:"+mail, []byte(acct.ID))
			}); err != nil {
				t.Fatal(err)
			}
			byMail, err := send("", api.Recipient{Kind: api.RecipientPerson, Name: "李四", Email: mail})
			if err != nil {
				t.Fatal(err)
			}
			if byMail.Recipients[0].AccountID != ids[b] {
				t.Errorf("the e-mail recipient was not matched to the account: %+v", byMail.Recipients[0])
			}
			l, err := b.c.Envelopes(ctx, client.ListOptions{Box: api.BoxToSign})
			found := false
			for _, it := range l.Items {
				found = found || it.ID == byMail.ID
			}
			if err != nil || !found {
				t.Fatalf("B's 待我签 lacks the contract sent to his e-mail: %+v %v", l.Items, err)
			}
			got, err := b.c.Envelope(ctx, byMail.ID)
			if err != nil || got.YourRecipient != 0 || got.Box != api.BoxToSign {
				t.Fatalf("B's view: recipient %d box %s %v", got.YourRecipient, got.Box, err)
			}
			signed := signAll(t, e, b, got)
			if signed.Status != api.EnvelopeCompleted {
				t.Errorf("after B signed: %s", signed.Status)
			}
		})
	}
}
