package server_test

import (
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/webhook"
)

// Manual 000 end to end with three people and a reviewer, on a real server: A transfers 主管理员 to
// B with a code; C appeals with an authorization letter, started from a contract that waits for
// C's signature as the company's handler, a reviewer approves, C is 主管理员; C's 一键转交 moves
// A's contracts (as sender, and as the company's handler still to sign), templates and seal
// grants to B and disables A; an integrator's receiver on 127.0.0.1 gets every event exactly once
// with a valid HMAC.
func TestAdminChangeE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) {
				o.Webhooks.AllowPrivate = true
				o.Webhooks.PollInterval = 20 * time.Millisecond
				o.Webhooks.Backoff = 100 * time.Millisecond
				o.ContractsUnbilled = true
			})
			a := newParty(t, e, "甲管理")
			b := newParty(t, e, "乙成员")
			c := newParty(t, e, "丙申诉")
			d := newParty(t, e, "丁客户")
			rv := e.register(t, newPhone())
			rvMe, _ := rv.Me(ctx)
			if _, err := e.run.Server.Org().SetAdmin(ctx, rvMe.Phone, true); err != nil {
				t.Fatal(err)
			}
			aMe, _ := a.c.Me(ctx)
			bMe, _ := b.c.Me(ctx)
			cMe, _ := c.c.Me(ctx)
			ent, err := a.c.CreateEnterprise(ctx, "杭州主管理员变更有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			rc := newHookReceiver(t)
			rc.fail = true // every first attempt fails: each event is retried once
			hook, err := a.c.CreateWebhook(ctx, ent.ID, webhook.EndpointInput{URL: rc.srv.URL + "/hubcloud"})
			if err != nil {
				t.Fatal(err)
			}
			// B joins through the invitation link; A approves.
			link, err := a.c.InviteLink(ctx, ent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.c.Join(ctx, link.URL); err != nil {
				t.Fatal(err)
			}
			if _, err := a.c.ApproveJoin(ctx, ent.ID, bMe.ID); err != nil {
				t.Fatal(err)
			}
			// A's items: a contract A sent for the enterprise, a contract a customer sent to the
			// enterprise with A as handler, an enterprise template, a seal granted to A.
			files := []client.NamedFile{{Name: "采购合同.pdf", Data: pdfBytes(t, 1, "contract")}}
			refs, err := a.c.UploadFiles(ctx, files)
			if err != nil {
				t.Fatal(err)
			}
			sent, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "年度采购", EnterpriseID: ent.ID,
				Files: refs, Recipients: []api.Recipient{person(d)}})
			if err != nil {
				t.Fatal(err)
			}
			toCompany := func(handler *party) api.Envelope {
				return sendTo(t, d, "服务协议", files, []api.Recipient{{Kind: api.RecipientCompany, Company: ent.Name, Name: handler.name, Phone: handler.phone}}, nil)
			}
			received := toCompany(a)
			if _, err := a.c.SaveTemplate(ctx, api.Template{Name: "采购模板", Files: refs, Enterprise: ent.ID,
				Roles: []api.Recipient{{Kind: api.RecipientPerson}}}); err != nil {
				t.Fatal(err)
			}
			seal, err := a.c.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: testImage(t, "png")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.c.GrantSeal(ctx, ent.ID, seal.ID, api.SealGrantRequest{MemberID: aMe.ID}); err != nil {
				t.Fatal(err)
			}

			// I. A transfers to B with a code.
			_, err = a.c.Transfer(ctx, ent.ID, org.TransferRequest{Code: "123456", To: bMe.ID})
			wantCode(t, err, "code_required")
			_, err = b.c.TransferCode(ctx, ent.ID)
			wantCode(t, err, "owner_only")
			if _, err := a.c.TransferCode(ctx, ent.ID); err != nil {
				t.Fatal(err)
			}
			code := e.lastCode(t, a.phone)
			_, err = a.c.Transfer(ctx, ent.ID, org.TransferRequest{Code: code, To: cMe.ID})
			wantCode(t, err, "member_not_found")
			res, err := a.c.Transfer(ctx, ent.ID, org.TransferRequest{Code: code, To: bMe.ID})
			if err != nil || res.Enterprise.Owner != bMe.ID {
				t.Fatalf("transfer %+v %v", res, err)
			}
			_, err = b.c.Transfer(ctx, ent.ID, org.TransferRequest{Code: code, To: aMe.ID}) // replayed by the new owner
			wantCode(t, err, "code_required")

			// II/III. C appeals with a letter, started from a contract that waits for C's signature
			// as the company's handler (one that does not, or an unknown one, is refused); a
			// reviewer approves.
			appeal := func(contract string) (org.Appeal, error) {
				return c.c.StartAppeal(ctx, org.AppealRequest{Enterprise: ent.Name, Method: org.AppealLetter, ContractID: contract,
					PersonName: "丙申诉", PersonIDNumber: "11010519491231002X"})
			}
			_, err = appeal("env_nothing")
			wantCode(t, err, "contract_not_found")
			_, err = appeal(received.ID) // waits for A, not C
			wantCode(t, err, "contract_not_found")
			forC := toCompany(c)
			personal := sendTo(t, d, "个人借款", files, []api.Recipient{person(c)}, nil)
			_, err = appeal(personal.ID) // C signs it for themselves, not for the company
			wantCode(t, err, "contract_not_for_company")
			ap, err := appeal(forC.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.c.UploadAppealLetter(ctx, ap.ID, []byte("not an image"))
			wantCode(t, err, "photo_type")
			if ap, err = c.c.UploadAppealLetter(ctx, ap.ID, testImage(t, "png")); err != nil || ap.State != org.AppealInReview {
				t.Fatalf("%+v %v", ap, err)
			}
			_, err = c.c.AppealReviews(ctx)
			wantCode(t, err, "forbidden")
			queue, err := rv.AppealReviews(ctx)
			if err != nil || len(queue) != 1 || queue[0].ID != ap.ID {
				t.Fatalf("queue %+v %v", queue, err)
			}
			if letter, err := rv.AppealLetter(ctx, ap.ID); err != nil || len(letter) < 100 {
				t.Fatalf("letter %d bytes %v", len(letter), err)
			}
			if ap, err = rv.DecideAppeal(ctx, ap.ID, true, ""); err != nil || ap.State != org.AppealApproved {
				t.Fatalf("%+v %v", ap, err)
			}
			if ap, _ = c.c.Appeal(ctx, ap.ID); ap.ContractID != forC.ID || ap.State != org.AppealApproved {
				t.Fatalf("appeal as the applicant sees it: %+v", ap)
			}
			me, err := c.c.Enterprise(ctx, ent.ID)
			if err != nil || me.Enterprise.Owner != cMe.ID {
				t.Fatalf("C's view %+v %v", me, err)
			}

			// 一键转交: C moves A's items to B and disables A.
			kinds, err := c.c.HandoverKinds(ctx, ent.ID)
			var names []string
			for _, k := range kinds {
				names = append(names, k.Kind+"="+k.Label)
			}
			if err != nil || !strings.HasPrefix(strings.Join(names, " "), "contracts=合同 templates=模板 seals=印章授权 approvals=审批") {
				t.Fatalf("kinds %v %v", names, err)
			}
			all := []string{"contracts", "templates", "seals"}
			_, err = b.c.HandOver(ctx, ent.ID, aMe.ID, org.HandoverRequest{Kinds: all, To: bMe.ID, Then: "disable"})
			wantCode(t, err, "permission_denied")
			ho, err := c.c.HandOver(ctx, ent.ID, aMe.ID, org.HandoverRequest{Kinds: all, To: bMe.ID, Then: "disable"})
			if err != nil || ho.Moved["contracts"] != 2 || ho.Moved["templates"] != 1 || ho.Moved["seals"] != 1 {
				t.Fatalf("handover %+v %v", ho, err)
			}
			_, err = a.c.Webhooks(ctx, ent.ID)
			wantCode(t, err, "member_disabled")
			// B is the sender of A's contract and the handler of the customer's; A sees neither.
			if got, err := b.c.Envelope(ctx, sent.ID); err != nil || got.SenderID != bMe.ID || !hasStep(got, envelope.StepHandedOver, "甲管理") {
				t.Fatalf("B's view of the sent contract: %+v %v", got.SenderID, err)
			}
			if got, err := b.c.Envelope(ctx, received.ID); err != nil || got.YourRecipient != 0 || got.Box != api.BoxToSign || got.Recipients[0].Name != "乙成员" {
				t.Fatalf("B's view of the received contract: %+v %v", got, err)
			}
			for _, id := range []string{sent.ID, received.ID} {
				_, err := a.c.Envelope(ctx, id)
				wantCode(t, err, "not_found")
			}
			if boxOf(t, d, received.ID) != api.BoxWaiting {
				t.Error("the customer's box changed")
			}
			if ts, err := b.c.Templates(ctx); err != nil || len(ts) != 1 || ts[0].Name != "采购模板" {
				t.Fatalf("B's templates %+v %v", ts, err)
			}
			if ts, _ := a.c.Templates(ctx); len(ts) != 0 {
				t.Fatalf("A still holds templates %+v", ts)
			}
			grants, err := c.c.SealGrants(ctx, ent.ID, seal.ID)
			if err != nil {
				t.Fatal(err)
			}
			live := map[string]bool{}
			for _, g := range grants {
				live[g.MemberID] = live[g.MemberID] || !g.Revoked
			}
			if live[aMe.ID] || !live[bMe.ID] {
				t.Fatalf("grants after 一键转交: %+v", grants)
			}

			// The integrator: every event once, each after one failed attempt, all signed.
			want := map[string]int{webhook.EventMemberJoined: 2, webhook.EventEnterpriseAdminChanged: 2, webhook.EventMemberDisabled: 1}
			accepted := func() map[string]map[string]bool {
				out := map[string]map[string]bool{}
				for _, r := range rc.requests() {
					if r.h.Get(webhook.HeaderAttempt) == "1" {
						continue
					}
					typ := r.h.Get(webhook.HeaderEvent)
					if out[typ] == nil {
						out[typ] = map[string]bool{}
					}
					id := r.h.Get(webhook.HeaderEventID)
					if out[typ][id] {
						t.Errorf("event %s %s accepted twice", typ, id)
					}
					out[typ][id] = true
				}
				return out
			}
			waitFor(t, "every event delivered", 20*time.Second, func() bool {
				got := accepted()
				for typ, n := range want {
					if len(got[typ]) != n {
						return false
					}
				}
				return true
			})
			time.Sleep(500 * time.Millisecond) // a repeated attempt would show up now
			got := accepted()
			for typ, n := range want {
				if len(got[typ]) != n {
					t.Errorf("%s: %d events, want %d", typ, len(got[typ]), n)
				}
			}
			attempts := map[string]int{}
			var changes []org.AdminChanged
			for _, r := range rc.requests() {
				if !validHMAC(hook.Secret, r) {
					t.Errorf("request without a valid HMAC: %v", r.h)
				}
				attempts[r.h.Get(webhook.HeaderDelivery)+"#"+r.h.Get(webhook.HeaderAttempt)]++
				if r.h.Get(webhook.HeaderEvent) == webhook.EventEnterpriseAdminChanged && r.h.Get(webhook.HeaderAttempt) == "2" {
					var ev struct {
						Data org.AdminChanged `json:"data"`
					}
					json.Unmarshal(r.body, &ev)
					changes = append(changes, ev.Data)
				}
			}
			for k, n := range attempts {
				if n != 1 {
					t.Errorf("attempt %s sent %d times", k, n)
				}
			}
			if len(changes) != 2 {
				t.Fatalf("admin_changed payloads %+v", changes)
			}
			for _, ch := range changes {
				if ch.CreditCode != ent.CreditCode || ch.EnterpriseName != ent.Name {
					t.Errorf("admin_changed without the company: %+v", ch)
				}
				var wantCert []byte
				switch ch.NewAdmin.AccountID {
				case bMe.ID:
					wantCert = b.cert.Raw
				case cMe.ID:
					wantCert = c.cert.Raw
				default:
					t.Errorf("admin_changed to %s", ch.NewAdmin.AccountID)
				}
				blk, _ := pem.Decode([]byte(ch.CertificatePEM))
				if blk == nil || string(blk.Bytes) != string(wantCert) {
					t.Errorf("admin_changed to %s does not carry their signing certificate", ch.NewAdmin.AccountID)
				}
			}
			t.Logf("%d requests to the receiver for %d events", len(rc.requests()), 5)
		})
	}
}
