package server_test

import (
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/core/webhook"
)

// testItems is a kind of item for 一键转交 kept in a bucket of its own ("<ent>/<owner>/<n>"), so
// the test sees exactly what moved.
const testItems = "test_handover_items"

func moveTestItems(tx sync.Tx, ent, from, to string, _ time.Time) (int, error) {
	var keys []string
	if err := tx.Scan(testItems, ent+"/"+from+"/", "", 0, func(k string, _ []byte) error { keys = append(keys, k); return nil }); err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := tx.Delete(testItems, k); err != nil {
			return 0, err
		}
		if err := tx.Put(testItems, ent+"/"+to+"/"+k[strings.LastIndexByte(k, '/')+1:], []byte("1")); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// Manual 000 end to end with three people and a reviewer, on a real server: A transfers 主管理员 to
// B with a code; C appeals with an authorization letter (from a contract), a reviewer approves,
// C is 主管理员; C's 一键转交 moves A's items to B and disables A; an integrator's receiver on
// 127.0.0.1 gets every event exactly once with a valid HMAC.
func TestAdminChangeE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) {
				o.Webhooks.AllowPrivate = true
				o.Webhooks.PollInterval = 20 * time.Millisecond
				o.Webhooks.Backoff = 100 * time.Millisecond
				o.Handovers = []org.HandoverKind{{Kind: "contracts", Label: "合同", Fn: moveTestItems}}
			})
			a := newParty(t, e, "甲管理")
			b := newParty(t, e, "乙成员")
			c := newParty(t, e, "丙申诉")
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
			// A's items of the test kind (contracts, templates, seals and archive register their own).
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				for i := 0; i < 3; i++ {
					if err := tx.Put(testItems, ent.ID+"/"+aMe.ID+"/"+string(rune('a'+i)), []byte("1")); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
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

			// II/III. C appeals with a letter, started from a contract; a reviewer approves.
			ap, err := c.c.StartAppeal(ctx, org.AppealRequest{Enterprise: ent.Name, Method: org.AppealLetter, ContractID: "env_waiting_for_c",
				PersonName: "丙申诉", PersonIDNumber: "11010519491231002X"})
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
			if ap, _ = c.c.Appeal(ctx, ap.ID); ap.ContractID != "env_waiting_for_c" || ap.State != org.AppealApproved {
				t.Fatalf("appeal as the applicant sees it: %+v", ap)
			}
			me, err := c.c.Enterprise(ctx, ent.ID)
			if err != nil || me.Enterprise.Owner != cMe.ID {
				t.Fatalf("C's view %+v %v", me, err)
			}

			// 一键转交: C moves A's items to B and disables A.
			kinds, err := c.c.HandoverKinds(ctx, ent.ID)
			// The test's kind first, then the server's own areas (审批, 档案柜).
			if err != nil || len(kinds) < 2 || kinds[0].Label != "合同" || kinds[1].Kind != "approvals" {
				t.Fatalf("kinds %+v %v", kinds, err)
			}
			_, err = b.c.HandOver(ctx, ent.ID, aMe.ID, org.HandoverRequest{Kinds: []string{"contracts"}, To: bMe.ID, Then: "disable"})
			wantCode(t, err, "permission_denied")
			ho, err := c.c.HandOver(ctx, ent.ID, aMe.ID, org.HandoverRequest{Kinds: []string{"contracts"}, To: bMe.ID, Then: "disable"})
			if err != nil || ho.Moved["contracts"] != 3 {
				t.Fatalf("handover %+v %v", ho, err)
			}
			_, err = a.c.Webhooks(ctx, ent.ID)
			wantCode(t, err, "member_disabled")
			e.store.View(ctx, func(tx sync.Tx) error {
				n := 0
				tx.Scan(testItems, ent.ID+"/"+bMe.ID+"/", "", 0, func(string, []byte) error { n++; return nil })
				if n != 3 {
					t.Errorf("B holds %d items, want 3", n)
				}
				return nil
			})

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
