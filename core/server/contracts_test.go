package server_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/envelope"
	"sealdesk/core/sync"
)

// sendTo sends files to recipients from p (sequential, no placed fields unless given).
func sendTo(t testing.TB, p *party, subject string, files []client.NamedFile, rcpts []api.Recipient, fields []api.FieldPlacement) api.Envelope {
	t.Helper()
	refs, err := p.c.UploadFiles(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: subject, Files: refs, Recipients: rcpts, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func person(p *party) api.Recipient {
	return api.Recipient{Kind: api.RecipientPerson, Name: p.name, Phone: p.phone}
}

// The thin slice: send a PDF and a JPEG to two persons, each party finds it in its box, the
// detail and the documents are there, strangers see nothing, and bad input is refused in
// Chinese without changing anything.
func TestContractsSendListDetail(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			a, b, c := newParty(t, e, "王菲菲"), newParty(t, e, "李四"), newParty(t, e, "孟良华")
			files := []client.NamedFile{{Name: "采购合同.pdf", Data: pdfBytes(t, 2, "contract")}, {Name: "附件.jpg", Data: jpegBytes(t, 400, 300)}}
			env := sendTo(t, a, "采购合同", files, []api.Recipient{person(b), person(c)}, nil)
			if env.Status != api.EnvelopeInProgress || env.Box != api.BoxWaiting || len(env.Documents) != 2 || env.Documents[1].Pages != 1 {
				t.Fatalf("sent: %+v", env)
			}
			if env.Recipients[0].State != api.RecipientToSign || env.Recipients[1].State != api.RecipientWaiting {
				t.Errorf("states: %+v", env.Recipients)
			}
			lb, err := b.c.Envelopes(ctx, client.ListOptions{Box: api.BoxToSign})
			if err != nil || len(lb.Items) != 1 || lb.Items[0].ID != env.ID || lb.Counts[api.BoxToSign] != 1 {
				t.Fatalf("B's 待我签: %+v %v", lb, err)
			}
			lc, err := c.c.Envelopes(ctx, client.ListOptions{Box: api.BoxWaiting})
			if err != nil || len(lc.Items) != 1 || lc.Counts[api.BoxToSign] != 0 {
				t.Fatalf("C's 待他人签: %+v %v", lc, err)
			}
			la, err := a.c.Envelopes(ctx, client.ListOptions{Box: api.BoxWaiting, Query: "李四"})
			if err != nil || len(la.Items) != 1 || la.Items[0].Signers != 2 {
				t.Fatalf("A's search by person: %+v %v", la, err)
			}
			if la, _ := a.c.Envelopes(ctx, client.ListOptions{Box: api.BoxWaiting, Query: "没有这个"}); len(la.Items) != 0 {
				t.Errorf("search for nothing found %d", len(la.Items))
			}
			d, err := b.c.Envelope(ctx, env.ID)
			if err != nil || d.YourRecipient != 0 || d.Box != api.BoxToSign {
				t.Fatalf("B's detail: %+v %v", d, err)
			}
			for i := range files {
				pdf, err := b.c.EnvelopeDocument(ctx, env.ID, i, "")
				if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
					t.Fatalf("document %d: %v", i, err)
				}
			}
			// Strangers see nothing.
			x := newParty(t, e, "路人")
			if _, err := x.c.Envelope(ctx, env.ID); !client.IsCode(err, "not_found") {
				t.Errorf("stranger's detail: %v", err)
			}
			if _, err := x.c.EnvelopeDocument(ctx, env.ID, 0, ""); !client.IsCode(err, "not_found") {
				t.Errorf("stranger's document: %v", err)
			}
			// The public verification page names the signers, not the content.
			vp, err := x.c.VerifyInfo(ctx, env.VerifyURL)
			if err != nil || vp.Subject != "采购合同" || len(vp.Signers) != 2 || vp.Signers[0].Name != "李四" {
				t.Fatalf("verify page: %+v %v", vp, err)
			}
			// Bad input.
			refs, err := a.c.UploadFiles(ctx, files)
			if err != nil {
				t.Fatal(err)
			}
			six := append(append(append([]api.FileRef{}, refs...), refs...), refs...)[:6]
			good := api.EnvelopeRequest{Subject: "采购合同", Files: refs, Recipients: []api.Recipient{person(b)}}
			for _, tc := range []struct {
				name, code string
				change     func(r *api.EnvelopeRequest)
			}{
				{"6th file", "too_many_files", func(r *api.EnvelopeRequest) { r.Files = six }},
				{"26-character subject", "subject_too_long", func(r *api.EnvelopeRequest) { r.Subject = strings.Repeat("合", 26) }},
				{"no subject", "subject_required", func(r *api.EnvelopeRequest) { r.Subject = " " }},
				{"malformed phone", "bad_phone", func(r *api.EnvelopeRequest) {
					r.Recipients = []api.Recipient{{Kind: api.RecipientPerson, Name: "李四", Phone: "1381234567"}}
				}},
				{"301-character remark", "remark_too_long", func(r *api.EnvelopeRequest) { r.Remark = strings.Repeat("备", 301) }},
				{"no signer", "no_signers", func(r *api.EnvelopeRequest) {
					r.Recipients = []api.Recipient{{Kind: api.RecipientCC, Name: "李四", Phone: b.phone}}
				}},
				{"field on a missing page", "bad_field", func(r *api.EnvelopeRequest) {
					r.Fields = []api.FieldPlacement{{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: 9, Rect: [4]float64{100, 100, 200, 150}}}
				}},
			} {
				r := good
				tc.change(&r)
				_, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), r)
				wantCode(t, err, tc.code)
			}
			// pages too large to draw (the red team's render bomb): refused at send, not sent
			// to someone who can never open them; a large but drawable page goes
			for _, page := range []string{"/MediaBox [0 0 14400 14400]", "/MediaBox [0 0 595 842] /UserUnit 75000"} {
				huge, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "巨幅.pdf", Data: pdfBytesPage(t, 1, "huge", page)}})
				if err != nil {
					t.Fatal(err)
				}
				r := good
				r.Files = huge
				_, err = a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), r)
				if !client.IsCode(err, "page_too_large") && !client.IsCode(err, "bad_page_size") {
					t.Errorf("page %s: %v", page, err)
				}
			}
			a0, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "A0.pdf", Data: pdfBytesPage(t, 1, "a0", "/MediaBox [0 0 2384 3370]")}})
			if err != nil {
				t.Fatal(err)
			}
			r := good
			r.Files = a0
			if _, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), r); err != nil {
				t.Errorf("an A0 page: %v", err)
			}
			big := bigPDF(t, 11<<20)
			if _, err := a.c.UploadBlob(ctx, big); !client.IsCode(err, "file_too_large") || !strings.Contains(err.Error(), "10M") {
				t.Errorf("11 MB file: %v", err)
			}
			after, err := a.c.Envelopes(ctx, client.ListOptions{Box: api.BoxWaiting})
			if err != nil || len(after.Items) != 2 { // the first and the A0 one
				t.Errorf("refusals changed A's boxes: %+v", after.Counts)
			}
			if lb, _ := b.c.Envelopes(ctx, client.ListOptions{}); lb.Counts[api.BoxToSign] != 2 {
				t.Errorf("refusals changed B's boxes: %+v", lb.Counts)
			}
		})
	}
}

// A retried send (same idempotency key) sends once; drafts are saved, listed, sent.
func TestContractsIdempotentSendAndDrafts(t *testing.T) {
	e := startContracts(t, openBolt(t), nil)
	a, b := newParty(t, e, "王菲菲"), newParty(t, e, "李四")
	refs, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "a.pdf", Data: pdfBytes(t, 1, "x")}})
	if err != nil {
		t.Fatal(err)
	}
	req := api.EnvelopeRequest{Subject: "重试", Files: refs, Recipients: []api.Recipient{person(b)}}
	key := client.NewIdempotencyKey()
	e1, err := a.c.SendEnvelope(ctx, key, req)
	if err != nil {
		t.Fatal(err)
	}
	e2, err := a.c.SendEnvelope(ctx, key, req)
	if err != nil || e2.ID != e1.ID {
		t.Fatalf("retry: %v %v", e2.ID, err)
	}
	if l, _ := b.c.Envelopes(ctx, client.ListOptions{}); len(l.Items) != 1 || l.Counts[api.BoxToSign] != 1 {
		t.Errorf("a retried send delivered %d", len(l.Items))
	}
	req.Subject = "另一个"
	if _, err := a.c.SendEnvelope(ctx, key, req); !client.IsCode(err, "idempotency_key_reused") {
		t.Errorf("key reused for another send: %v", err)
	}
	// Drafts.
	dr := api.EnvelopeRequest{Subject: "草稿合同", Files: refs, Recipients: []api.Recipient{person(b)}, Draft: true}
	d, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), dr)
	if err != nil || d.Status != api.EnvelopeDraft || d.Box != api.BoxDraft {
		t.Fatalf("draft: %+v %v", d, err)
	}
	if l, _ := b.c.Envelopes(ctx, client.ListOptions{}); l.Counts[api.BoxToSign] != 1 {
		t.Error("a draft reached the recipient")
	}
	dr.Subject = "草稿合同二"
	if d, err = a.c.UpdateDraft(ctx, d.ID, dr); err != nil || d.Subject != "草稿合同二" {
		t.Fatalf("update draft: %v", err)
	}
	if l, _ := a.c.Envelopes(ctx, client.ListOptions{Box: api.BoxDraft}); len(l.Items) != 1 || l.Items[0].Subject != "草稿合同二" {
		t.Fatalf("drafts: %+v", l)
	}
	s, err := a.c.SendDraft(ctx, client.NewIdempotencyKey(), d.ID)
	if err != nil || s.Status != api.EnvelopeInProgress || s.ID != d.ID {
		t.Fatalf("send draft: %+v %v", s, err)
	}
	l, _ := a.c.Envelopes(ctx, client.ListOptions{Box: api.BoxDraft})
	if len(l.Items) != 0 || l.Counts[api.BoxDraft] != 0 || l.Counts[api.BoxWaiting] != 2 {
		t.Errorf("after sending the draft: %+v", l.Counts)
	}
	if l, _ := b.c.Envelopes(ctx, client.ListOptions{}); l.Counts[api.BoxToSign] != 2 {
		t.Errorf("B's 待我签 after the draft was sent: %+v", l.Counts)
	}
	cs, err := a.c.Contacts(ctx)
	if err != nil || len(cs) != 1 || cs[0].Phone != b.phone {
		t.Errorf("contacts: %+v %v", cs, err)
	}
	_ = time.Second
	_ = envelope.MaxFiles
}

func balance(t testing.TB, e *env, p *party) billing.Balance {
	t.Helper()
	me, err := p.c.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b billing.Balance
	if err := e.store.View(ctx, func(tx sync.Tx) error {
		var err error
		b, err = billing.GetBalance(tx, billing.Personal(me.ID), e.clock.Now())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// Quota: sending without enough is refused with the manual's words; a send reserves one document
// per file, completion charges them exactly once (a retried upload included), a withdrawal gives
// them back.
func TestContractsQuota(t *testing.T) {
	e := startContracts(t, openBolt(t), nil)
	poor, b := newPartyWith(t, e, "穷人", 1), newParty(t, e, "李四")
	two := []client.NamedFile{{Name: "a.pdf", Data: pdfBytes(t, 1, "a")}, {Name: "b.pdf", Data: pdfBytes(t, 1, "b")}}
	refs, err := poor.c.UploadFiles(ctx, two)
	if err != nil {
		t.Fatal(err)
	}
	_, err = poor.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "两份", Files: refs, Recipients: []api.Recipient{person(b)}})
	wantCode(t, err, "quota_exhausted")
	if !strings.Contains(err.Error(), "余额不足，请先联系企业管理员进行充值") {
		t.Errorf("refusal: %v", err)
	}
	if bal := balance(t, e, poor); bal.Available != 1 || bal.Reserved != 0 {
		t.Errorf("a refused send changed the balance: %+v", bal)
	}
	if l, _ := b.c.Envelopes(ctx, client.ListOptions{}); len(l.Items) != 0 {
		t.Error("a refused send reached the recipient")
	}
	// One file: reserved, then charged once.
	a := newPartyWith(t, e, "王菲菲", 3)
	env := sendTo(t, a, "一份", two[:1], []api.Recipient{person(b)}, nil)
	if bal := balance(t, e, a); bal.Available != 2 || bal.Reserved != 1 {
		t.Errorf("after send: %+v", bal)
	}
	signed := signDocument(t, e, b, env.ID, 0, nil)
	key := client.NewIdempotencyKey()
	done, err := b.c.UploadRevision(ctx, key, env.ID, 0, signed)
	if err != nil || done.Status != api.EnvelopeCompleted {
		t.Fatalf("sign: %v %v", done.Status, err)
	}
	again, err := b.c.UploadRevision(ctx, key, env.ID, 0, signed)
	if err != nil || again.Status != api.EnvelopeCompleted || len(again.Steps) != len(done.Steps) {
		t.Fatalf("retried upload: %v %v", again.Status, err)
	}
	if bal := balance(t, e, a); bal.Available != 2 || bal.Reserved != 0 || bal.Used != 1 {
		t.Errorf("after completion: %+v", bal)
	}
	// Withdrawn: released.
	env2 := sendTo(t, a, "撤回", two[:1], []api.Recipient{person(b)}, nil)
	if _, err := a.c.Withdraw(ctx, client.NewIdempotencyKey(), env2.ID, "不发了"); err != nil {
		t.Fatal(err)
	}
	if bal := balance(t, e, a); bal.Available != 2 || bal.Reserved != 0 || bal.Used != 1 {
		t.Errorf("after withdrawal: %+v", bal)
	}
}

// Templates: files (the caller's uploads), boxes and roles are kept per account, listed,
// replaced and deleted; another account sees none of them.
func TestContractsTemplates(t *testing.T) {
	e := startContracts(t, openBolt(t), nil)
	a, b := newParty(t, e, "王菲菲"), newParty(t, e, "李四")
	refs, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "劳动合同.pdf", Data: pdfBytes(t, 1, "tpl")}})
	if err != nil {
		t.Fatal(err)
	}
	tpl := api.Template{Name: "劳动合同模板", Files: refs, Roles: []api.Recipient{{Kind: api.RecipientPerson}, {Kind: api.RecipientCompany}},
		Fields: []api.FieldPlacement{{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: 1, Rect: [4]float64{72, 100, 200, 150}}}}
	saved, err := a.c.SaveTemplate(ctx, tpl)
	if err != nil || saved.ID == "" || saved.Order != api.OrderSequential {
		t.Fatalf("save: %+v %v", saved, err)
	}
	saved.Name = "劳动合同模板（新）"
	if _, err := a.c.SaveTemplate(ctx, saved); err != nil {
		t.Fatal(err)
	}
	ts, err := a.c.Templates(ctx)
	if err != nil || len(ts) != 1 || ts[0].Name != "劳动合同模板（新）" {
		t.Fatalf("list: %+v %v", ts, err)
	}
	if ts, _ := b.c.Templates(ctx); len(ts) != 0 {
		t.Error("another account sees the template")
	}
	if _, err := b.c.SaveTemplate(ctx, tpl); !client.IsCode(err, "bad_file") {
		t.Errorf("a template of someone else's upload: %v", err)
	}
	if err := b.c.DeleteTemplate(ctx, saved.ID); !client.IsCode(err, "not_found") {
		t.Errorf("deleting someone else's template: %v", err)
	}
	if err := a.c.DeleteTemplate(ctx, saved.ID); err != nil {
		t.Fatal(err)
	}
	if ts, _ := a.c.Templates(ctx); len(ts) != 0 {
		t.Error("deleted template still listed")
	}
}
