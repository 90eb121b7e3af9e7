package server_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"sealdesk/core/api"
	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sync"
)

// decodeQR reads a QR code from an image with an independent decoder (gozxing).
func decodeQR(t *testing.T, payload string) string {
	t.Helper()
	img, err := billing.QRImage(payload, 256)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the payment qr code: %v", err)
	}
	return res.GetText()
}

// TestBillingE2E is issue 18's end-to-end run on both stores: buy a package with the dev
// provider, reserve three envelopes as the contract domain does, charge one, release one
// (withdrawn) and one (expired), and check the balance, 费用明细, a duplicated notification,
// permissions, the refusal without quota and the invoice with its receipt.
func TestBillingE2E(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := start(t, open(t), true)
			admin := e.register(t, newPhone()) // 主管理员: every permission
			member := e.register(t, newPhone())
			outsider := e.register(t, newPhone())
			adminMe, _ := admin.Me(ctx)
			memberMe, _ := member.Me(ctx)
			company, err := admin.CreateEnterprise(ctx, "上海计费测试有限公司", creditCode(t, "91310000MA1FL0002"))
			if err != nil {
				t.Fatal(err)
			}
			st := e.store
			if err := st.Update(ctx, func(tx sync.Tx) error { // 普通成员 (no billing permission)
				return org.PutMember(tx, org.Member{EnterpriseID: company.ID, AccountID: memberMe.ID, Name: "李四", Role: org.RoleMember, Joined: time.Now()})
			}); err != nil {
				t.Fatal(err)
			}
			ent := billing.Enterprise(company.ID)
			if string(ent) != org.EnterpriseScope(company.ID) {
				t.Fatalf("billing owner %s is not the enterprise's sync scope", ent)
			}
			svc := e.run.Server.Billing()

			// Zero quota: the send is refused with the Chinese message.
			err = st.Update(ctx, func(tx sync.Tx) error {
				return billing.Reserve(tx, ent, "env-0", billing.ChannelPortal, "零额度合同", e.clock.Now())
			})
			var ref *sync.Refusal
			if !errors.As(err, &ref) || ref.Status != 402 || ref.Code != "quota_exhausted" || ref.Message != "余额不足，请先联系企业管理员进行充值" {
				t.Fatalf("reserve with zero quota: %v", err)
			}

			cat, err := admin.BillingPackages(ctx)
			if err != nil || len(cat.Packages) != 4 || len(cat.Providers) != 1 || cat.Providers[0].Name != "dev" {
				t.Fatalf("catalog %+v %v", cat, err)
			}
			// Only roles with the billing permission buy for the enterprise.
			buy := billing.OrderRequest{Owner: ent, Package: "ent-10", Provider: "dev"}
			_, err = member.Buy(ctx, "m-1", buy)
			wantCode(t, err, "permission_denied")
			_, err = outsider.Buy(ctx, "o-1", buy)
			wantCode(t, err, "not_member")
			_, err = outsider.Buy(ctx, "o-2", billing.OrderRequest{Owner: billing.Personal(adminMe.ID), Package: "per-10", Provider: "dev"})
			wantCode(t, err, "forbidden_owner")
			_, err = admin.Buy(ctx, "a-0", billing.OrderRequest{Owner: ent, Package: "per-10", Provider: "dev"})
			wantCode(t, err, "package_kind")

			order, err := admin.Buy(ctx, "a-1", buy)
			if err != nil {
				t.Fatal(err)
			}
			if order.State != billing.OrderPaid || order.AmountFen != 100_00 || order.Package.Documents != 10 {
				t.Fatalf("order %+v", order)
			}
			if got, want := decodeQR(t, order.QR), e.run.URL+"/dev/pay/"+order.ID+"?amount_fen=10000"; got != want {
				t.Fatalf("qr decodes to %q, want the provider's payload %q", got, want)
			}
			again, err := admin.Buy(ctx, "a-1", buy) // a retry
			if err != nil || again.ID != order.ID {
				t.Fatalf("retried buy: %+v %v", again, err)
			}
			// A duplicated payment notification credits nothing; a forged one is refused.
			dev := svc.Providers["dev"].(*billing.DevProvider)
			h, body := dev.Notify(order)
			anon := e.client(t)
			for range 2 {
				if credited, err := anon.PaymentNotify(ctx, "dev", h, body); err != nil || credited {
					t.Fatalf("duplicated notification: credited=%v %v", credited, err)
				}
			}
			forged := bytes.Replace(body, []byte(`"amount_fen":10000`), []byte(`"amount_fen":1`), 1)
			_, err = anon.PaymentNotify(ctx, "dev", h, forged)
			wantCode(t, err, "bad_signature")

			bal, err := member.Balance(ctx, ent) // any member sees the balance
			if err != nil || bal.Available != 10 || bal.Purchased != 10 || bal.Kind != billing.KindEnterprise {
				t.Fatalf("balance after buying: %+v %v", bal, err)
			}
			_, err = outsider.Balance(ctx, ent)
			wantCode(t, err, "not_member")

			// Three contracts sent (reserved), as the contract domain does in its transactions.
			t0 := e.clock.Now()
			sends := []struct {
				env, subject string
				ch           billing.Channel
			}{{"env-1", "劳动合同", billing.ChannelPortal}, {"env-2", "采购合同", billing.ChannelAPI}, {"env-3", "保密协议", billing.ChannelPortal}}
			for _, s := range sends {
				for range 2 { // a retried send reserves once
					if err := st.Update(ctx, func(tx sync.Tx) error { return billing.Reserve(tx, ent, s.env, s.ch, s.subject, t0) }); err != nil {
						t.Fatal(err)
					}
				}
			}
			if bal, _ := admin.Balance(ctx, ent); bal.Available != 7 || bal.Reserved != 3 || bal.Used != 0 {
				t.Fatalf("after 3 sends: %+v", bal)
			}
			e.clock.Advance(time.Hour)
			t1 := e.clock.Now()
			settle := func(fn func(sync.Tx, string, time.Time) error, env string, at time.Time) {
				t.Helper()
				if err := st.Update(ctx, func(tx sync.Tx) error { return fn(tx, env, at) }); err != nil {
					t.Fatal(err)
				}
			}
			settle(billing.Charge, "env-1", t1)  // completed
			settle(billing.Charge, "env-1", t1)  // a retried completion
			settle(billing.Release, "env-2", t1) // withdrawn
			settle(billing.Release, "env-1", t1) // release after charge: nothing
			e.clock.Advance(24 * time.Hour)
			settle(billing.Release, "env-3", e.clock.Now()) // expired
			bal, _ = admin.Balance(ctx, ent)
			if bal.Available != 9 || bal.Reserved != 0 || bal.Used != 1 || bal.Purchased != 10 {
				t.Fatalf("after charge and releases: %+v", bal)
			}
			lines, err := admin.Ledger(ctx, client.LedgerQuery{Owner: ent})
			if err != nil || len(lines) != 1 || lines[0].Envelope != "env-1" || lines[0].Count != 1 || lines[0].Subject != "劳动合同" ||
				lines[0].Channel != billing.ChannelPortal || !lines[0].Time.Equal(t1.UTC()) {
				t.Fatalf("费用明细 %+v %v", lines, err)
			}
			for _, q := range []client.LedgerQuery{
				{Owner: ent, Channel: billing.ChannelAPI},
				{Owner: ent, From: t1.Add(time.Second)},
				{Owner: ent, To: t1},
			} {
				if l, err := admin.Ledger(ctx, q); err != nil || len(l) != 0 {
					t.Errorf("filter %+v: %+v %v", q, l, err)
				}
			}
			if l, err := admin.Ledger(ctx, client.LedgerQuery{Owner: ent, From: t1, To: t1.Add(time.Second), Channel: billing.ChannelPortal}); err != nil || len(l) != 1 {
				t.Errorf("filter around the charge: %+v %v", l, err)
			}
			_, err = member.Ledger(ctx, client.LedgerQuery{Owner: ent})
			wantCode(t, err, "permission_denied")
			csv, err := admin.LedgerCSV(ctx, client.LedgerQuery{Owner: ent})
			want := "\ufeff消费日期,消费份数,消费信封,业务系统,信封编号\r\n" + t1.In(billing.CST).Format("2006-01-02 15:04:05") + ",1,劳动合同,门户调用,env-1\r\n"
			if err != nil || string(csv) != want {
				t.Fatalf("csv %q %v, want %q", csv, err, want)
			}

			// Invoice: the credit-code check, the amount from the paid order, the receipt.
			req := billing.InvoiceRequest{Owner: ent, TitleKind: billing.TitleEnterprise, Title: "上海测试科技有限公司", TaxNumber: "91350100M000100Y44"}
			_, err = admin.RequestInvoice(ctx, "i-0", req)
			wantCode(t, err, "bad_tax_number")
			req.TaxNumber = "91350100M000100Y43"
			_, err = member.RequestInvoice(ctx, "i-m", req)
			wantCode(t, err, "permission_denied")
			inv, err := admin.RequestInvoice(ctx, "i-1", req)
			if err != nil || inv.AmountFen != 100_00 || len(inv.Orders) != 1 || inv.Orders[0] != order.ID {
				t.Fatalf("invoice %+v %v", inv, err)
			}
			pdf, err := admin.Receipt(ctx, inv.ID)
			if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("receipt: %d bytes %v", len(pdf), err)
			}
			if _, err := member.Receipt(ctx, inv.ID); !client.IsCode(err, "not_found") {
				t.Errorf("receipt for a member without the billing permission: %v", err)
			}
			if path, err := exec.LookPath("pdftotext"); err == nil {
				f := filepath.Join(t.TempDir(), "r.pdf")
				os.WriteFile(f, pdf, 0o600)
				out, err := exec.Command(path, f, "-").Output()
				if err != nil || !strings.Contains(string(out), "上海测试科技有限公司") || !strings.Contains(string(out), "¥100.00") {
					t.Errorf("receipt text %q %v", out, err)
				}
			}
			orders, err := admin.Orders(ctx, ent)
			if err != nil || len(orders) != 1 || orders[0].Invoice != inv.ID {
				t.Fatalf("orders %+v %v", orders, err)
			}
		})
	}
}

// TestBillingPersonalAndNoDev: a person buys their own 对私 quota; without --dev there is no
// payment provider at all (the dev one never appears) and notifications to it are refused.
func TestBillingPersonalAndNoDev(t *testing.T) {
	e := start(t, openBolt(t), true)
	c := e.register(t, newPhone())
	o, err := c.Buy(ctx, "p-1", billing.OrderRequest{Owner: "", Package: "per-10", Provider: "dev"})
	wantCode(t, err, "bad_owner")
	me, _ := c.Me(ctx)
	o, err = c.Buy(ctx, "p-1", billing.OrderRequest{Owner: billing.Personal(me.ID), Package: "per-10", Provider: "dev"})
	if err != nil || o.State != billing.OrderPaid {
		t.Fatalf("%+v %v", o, err)
	}
	if b, err := c.Balance(ctx, ""); err != nil || b.Available != 10 || b.Kind != billing.KindPersonal {
		t.Fatalf("personal balance %+v %v", b, err)
	}
	_, err = c.Balance(ctx, billing.Enterprise("e1"))
	wantCode(t, err, "not_member")

	prod := start(t, openBolt(t), false)
	pc := prod.client(t)
	if _, err := pc.PaymentNotify(ctx, "dev", http.Header{}, []byte(`{}`)); !client.IsCode(err, "unknown_provider") {
		t.Fatalf("dev notification on a production server: %v", err)
	}
}

// TestBillingContractsWired is issue 18's contract cycle through the real contract routes with
// BillingQuota wired (as cmd/sealdesk-server does), on both stores: a send without quota is
// refused with the Chinese message and leaves nothing behind; after buying, three contracts are
// sent (one document each, two for the second; a retried send reserves once), one is signed to
// completion (charged), one withdrawn and one left to expire (released); the balance and
// 费用明细 match exactly.
func TestBillingContractsWired(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) { o.ContractQuota = server.BillingQuota() })
			a, b := newPartyWith(t, e, "王菲菲", 0), newParty(t, e, "李四") // a starts without quota
			files := []client.NamedFile{{Name: "采购合同.pdf", Data: pdfBytes(t, 1, "contract")}}
			refs, err := a.c.UploadFiles(ctx, files)
			if err != nil {
				t.Fatal(err)
			}
			req := api.EnvelopeRequest{Subject: "采购合同", Files: refs, Recipients: []api.Recipient{person(b)}}
			_, err = a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req)
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != 402 || ce.Code != "quota_exhausted" || ce.Message != "余额不足，请先联系企业管理员进行充值" {
				t.Fatalf("send with zero quota: %v", err)
			}
			if l, _ := a.c.Envelopes(ctx, client.ListOptions{Box: api.BoxWaiting}); len(l.Items) != 0 {
				t.Fatalf("a refused send left an envelope: %+v", l.Items)
			}
			me, _ := a.c.Me(ctx)
			if _, err := a.c.Buy(ctx, "buy-1", billing.OrderRequest{Owner: billing.Personal(me.ID), Package: "per-10", Provider: "dev"}); err != nil {
				t.Fatal(err)
			}
			key := client.NewIdempotencyKey()
			req.Fields = []api.FieldPlacement{{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: 1, Rect: [4]float64{72, 500, 222, 560}}}
			one, err := a.c.SendEnvelope(ctx, key, req)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := a.c.SendEnvelope(ctx, key, req); err != nil || again.ID != one.ID {
				t.Fatalf("retried send: %v", err)
			}
			two := sendTo(t, a, "两份文件", append(files, client.NamedFile{Name: "附件.pdf", Data: pdfBytes(t, 1, "annex")}), []api.Recipient{person(b)}, nil)
			three, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "逾期合同", Files: refs,
				Recipients: []api.Recipient{person(b)}, Deadline: e.clock.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if bal, _ := a.c.Balance(ctx, ""); bal.Reserved != 4 || bal.Available != 6 {
				t.Fatalf("after sending 1 + 2 + 1 documents: %+v", bal)
			}
			// Completed: charged.
			if done := signAll(t, e, b, one); done.Status != api.EnvelopeCompleted {
				t.Fatalf("the first contract is %s, not completed", done.Status)
			}
			// Withdrawn and expired: released.
			if _, err := a.c.Withdraw(ctx, client.NewIdempotencyKey(), two.ID, "发错了"); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(2 * time.Hour)
			if n, _, err := e.run.Server.Envelopes().Janitor(ctx); err != nil || n != 1 {
				t.Fatalf("janitor: %d expired, %v", n, err)
			}
			if env, _ := a.c.Envelope(ctx, three.ID); env.Status != api.EnvelopeExpired {
				t.Fatalf("the third contract is %s", env.Status)
			}
			if bal, _ := a.c.Balance(ctx, ""); bal.Reserved != 0 || bal.Available != 9 || bal.Used != 1 || bal.Purchased != 10 {
				t.Fatalf("after completion, withdrawal and expiry: %+v", bal)
			}
			l, err := a.c.Ledger(ctx, client.LedgerQuery{})
			if err != nil || len(l) != 1 || l[0].Envelope != one.ID || l[0].Subject != "采购合同" || l[0].Count != 1 || l[0].Channel != billing.ChannelPortal {
				t.Fatalf("费用明细 %+v %v", l, err)
			}
		})
	}
}
