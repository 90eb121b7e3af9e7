package server_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/sync"
)

// 查看企业全部合同 (bolt and PostgreSQL): a member whose role holds org.PermViewAllContracts (here
// a 子管理员) lists every contract the enterprise sent — a colleague's too — by box with counts,
// and opens one view only; a member who may only send gets 403 and cannot open a colleague's
// contract; drafts and personal sends are never listed.
func TestContractsViewAll(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			a, b, c, x := newParty(t, e, "王菲菲"), newParty(t, e, "李四"), newParty(t, e, "张管理"), newParty(t, e, "外人")
			ent, err := a.c.CreateEnterprise(ctx, "杭州示例科技有限公司", creditCode(t, "91330106MA27XY012"))
			if err != nil {
				t.Fatal(err)
			}
			sender, err := a.c.CreateRole(ctx, ent.ID, "经办", []org.Permission{org.PermSendContracts})
			if err != nil {
				t.Fatal(err)
			}
			id := func(p *party) string {
				me, err := p.c.Me(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return me.ID
			}
			if err := e.store.Update(ctx, func(tx sync.Tx) error {
				for _, m := range []struct {
					p    *party
					role string
				}{{b, sender.ID}, {c, org.RoleAdmin}} {
					if err := org.PutMember(tx, org.Member{EnterpriseID: ent.ID, AccountID: id(m.p), Name: m.p.name, Phone: m.p.phone,
						Role: m.role, Joined: time.Now().UTC()}); err != nil {
						return err
					}
				}
				return billing.Credit(tx, billing.Enterprise(ent.ID), "test-order-"+ent.ID, 20, 365*24*time.Hour, e.clock.Now())
			}); err != nil {
				t.Fatal(err)
			}
			send := func(p *party, subject, eid string, draft bool) api.Envelope {
				t.Helper()
				refs, err := p.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: pdfBytes(t, 1, subject)}})
				if err != nil {
					t.Fatal(err)
				}
				env, err := p.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, EnterpriseID: eid, Files: refs, Draft: draft,
					Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: x.name, Phone: x.phone}}})
				if err != nil {
					t.Fatalf("send %s: %v", subject, err)
				}
				return env
			}
			byB := send(b, "李四的采购合同", ent.ID, false)
			byA := send(a, "王菲菲的服务合同", ent.ID, false)
			send(b, "李四的草稿", ent.ID, true)
			send(b, "李四的个人合同", "", false)

			// B may send but not see everything: 403, and A's contract stays unknown to him.
			if _, err := b.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{}); !isStatus(err, http.StatusForbidden) {
				t.Fatalf("B (send only) listed all contracts: %v, want 403", err)
			}
			if _, err := b.c.Envelope(ctx, byA.ID); !isStatus(err, http.StatusNotFound) {
				t.Errorf("B opened A's contract: %v, want 404", err)
			}
			if _, err := x.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{}); !isStatus(err, http.StatusForbidden) {
				t.Errorf("a stranger listed the enterprise's contracts: %v, want 403", err)
			}

			// C (子管理员) sees both, newest first, and none of the draft or the personal send.
			l, err := c.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if l.Box != api.BoxWaiting || len(l.Items) != 2 || l.Items[0].ID != byA.ID || l.Items[1].ID != byB.ID {
				t.Fatalf("C's 全部合同: box %s %+v", l.Box, l.Items)
			}
			if l.Counts[api.BoxWaiting] != 2 || l.Counts[api.BoxDraft] != 0 || l.Counts[api.BoxToSign] != 0 {
				t.Errorf("counts %v", l.Counts)
			}
			if s, err := c.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{Query: "采购"}); err != nil || len(s.Items) != 1 || s.Items[0].ID != byB.ID {
				t.Errorf("search 采购: %+v %v", s.Items, err)
			}
			if p1, err := c.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{Limit: 1}); err != nil || len(p1.Items) != 1 || p1.Next == "" {
				t.Errorf("page 1: %+v %v", p1, err)
			} else if p2, err := c.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{Limit: 1, After: p1.Next}); err != nil || len(p2.Items) != 1 || p2.Items[0].ID != byB.ID {
				t.Errorf("page 2: %+v %v", p2, err)
			}
			// C opens B's contract: view only, and reads its document, but takes no action.
			got, err := c.c.Envelope(ctx, byB.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.ViewOnly || got.YourRecipient != -1 || got.Subject != "李四的采购合同" {
				t.Errorf("C's view of B's contract: view_only %v recipient %d %q", got.ViewOnly, got.YourRecipient, got.Subject)
			}
			if doc, err := c.c.EnvelopeDocument(ctx, byB.ID, 0, "current"); err != nil || len(doc) == 0 {
				t.Errorf("C's download of B's document: %d bytes %v", len(doc), err)
			}
			if _, err := c.c.Withdraw(ctx, client.NewIdempotencyKey(), byB.ID, "管理员撤回"); !isStatus(err, http.StatusNotFound) {
				t.Errorf("C withdrew B's contract: %v, want 404", err)
			}
			// B withdraws: it moves to C's 已撤回.
			if _, err := b.c.Withdraw(ctx, client.NewIdempotencyKey(), byB.ID, "条款有误"); err != nil {
				t.Fatal(err)
			}
			w, err := c.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{Box: api.BoxWithdrawn})
			if err != nil || len(w.Items) != 1 || w.Items[0].ID != byB.ID || w.Counts[api.BoxWaiting] != 1 || w.Counts[api.BoxWithdrawn] != 1 {
				t.Errorf("after B withdrew: %+v %v", w, err)
			}
			// The owner holds every permission; a bad box is a 400 naming the boxes.
			if l, err := a.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{Box: api.BoxWithdrawn}); err != nil || len(l.Items) != 1 {
				t.Errorf("owner: %+v %v", l, err)
			}
			if _, err := c.c.EnterpriseEnvelopes(ctx, ent.ID, client.ListOptions{Box: "all"}); !client.IsCode(err, "bad_box") {
				t.Errorf("box all: %v, want bad_box", err)
			}
		})
	}
}

// isStatus reports whether err is an API error with HTTP status code.
func isStatus(err error, code int) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Status == code
}

// Templates follow the account (bolt and PostgreSQL): one saved on one computer is listed on a
// second computer of the same account, which fetches its files by digest
// (GET /api/v1/blobs/{sha256}); another account gets 404 for those files, as for an unknown
// digest.
func TestTemplatesOnSecondComputer(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			a, b := newParty(t, e, "王菲菲"), newParty(t, e, "李四")
			data := pdfBytes(t, 2, "template")
			refs, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "劳动合同.pdf", Data: data}})
			if err != nil {
				t.Fatal(err)
			}
			saved, err := a.c.SaveTemplate(ctx, api.Template{Name: "劳动合同模板", Files: refs, Subject: "劳动合同",
				Roles:  []api.Recipient{{Kind: api.RecipientPerson}},
				Fields: []api.FieldPlacement{{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: 2, Rect: [4]float64{100, 100, 250, 160}}}})
			if err != nil {
				t.Fatal(err)
			}
			second := e.client(t)
			if _, err := second.Login(ctx, org.LoginRequest{Login: a.phone, Password: testPassword}); err != nil {
				t.Fatal(err)
			}
			ts, err := second.Templates(ctx)
			if err != nil || len(ts) != 1 || ts[0].ID != saved.ID || ts[0].Fields[0].Page != 2 || ts[0].Files[0].SHA256 != refs[0].SHA256 {
				t.Fatalf("the second computer's templates: %+v %v", ts, err)
			}
			got, err := second.DownloadBlob(ctx, ts[0].Files[0].SHA256)
			if err != nil || string(got) != string(data) {
				t.Fatalf("the template's file on the second computer: %d bytes %v", len(got), err)
			}
			if _, err := b.c.DownloadBlob(ctx, refs[0].SHA256); !isStatus(err, http.StatusNotFound) {
				t.Errorf("another account fetched the file: %v, want 404", err)
			}
			if _, err := second.DownloadBlob(ctx, strings.Repeat("0", 64)); !isStatus(err, http.StatusNotFound) {
				t.Errorf("an unknown digest: %v, want 404", err)
			}
			if _, err := second.DownloadBlob(ctx, "../x"); !isStatus(err, http.StatusNotFound) {
				t.Errorf("a malformed digest: %v, want 404", err)
			}
			if ts, err := b.c.Templates(ctx); err != nil || len(ts) != 0 {
				t.Errorf("another account lists %+v %v", ts, err)
			}
		})
	}
}
