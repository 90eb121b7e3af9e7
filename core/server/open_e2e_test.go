package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sealdesk/core/pdf/render"
	"slices"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/server"
	"sealdesk/core/sync"
	"sealdesk/core/verify"
	"sealdesk/core/webhook"
)

// openEnv is a server with an enterprise whose admin made API keys, and a signer.
type openEnv struct {
	e      *env
	admin  *party
	signer *party
	ent    string
	full   *integrator // send, read, download
	hooks  *hookReceiver
}

func newOpenEnv(t *testing.T, st sync.Store) *openEnv { return newOpenEnvWith(t, st, nil) }

// newOpenEnvWith is newOpenEnv with the server's options tuned.
func newOpenEnvWith(t *testing.T, st sync.Store, tune func(*server.Options)) *openEnv {
	e := startContracts(t, st, func(o *server.Options) {
		o.Webhooks.PollInterval = 20 * time.Millisecond
		if tune != nil {
			tune(o)
		}
	})
	oe := &openEnv{e: e, admin: newParty(t, e, "王菲菲"), signer: newParty(t, e, "李四")}
	ent, err := oe.admin.c.CreateEnterprise(ctx, "杭州开放接口科技有限公司", newCreditCode(t))
	if err != nil {
		t.Fatal(err)
	}
	oe.ent = ent.ID
	if err := e.store.Update(ctx, func(tx sync.Tx) error {
		return billing.Credit(tx, billing.Enterprise(ent.ID), "test-order-"+ent.ID, 20, 365*24*time.Hour, e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	oe.hooks = newHookReceiver(t)
	if _, err := oe.admin.c.CreateWebhook(ctx, ent.ID, webhook.EndpointInput{URL: oe.hooks.srv.URL + "/hook"}); err != nil {
		t.Fatal(err)
	}
	oe.full = oe.integrator(t, oe.admin, ent.ID, "ERP 正式", api.ScopeSend, api.ScopeRead, api.ScopeDownload)
	return oe
}

// integrator creates a key as p in ent and returns a client signing with it.
func (oe *openEnv) integrator(t *testing.T, p *party, ent, name string, scopes ...string) *integrator {
	t.Helper()
	k, err := p.c.CreateAPIKey(ctx, ent, api.APIKeyRequest{Name: name, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.Secret, "sk_") || k.Key.ID == "" || !strings.HasSuffix(k.Secret, strings.TrimPrefix(k.Key.SecretHint, "…")) {
		t.Fatalf("created key: %+v", k)
	}
	return newIntegrator(oe.e.run.URL, oe.e.run.Server.RootPEM(), k.Key.ID, k.Secret)
}

func wantAPICode(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != status || ae.Code != code {
		t.Errorf("%s: %v, want %d %s", what, err, status, code)
		return
	}
	if !strings.ContainsFunc(ae.Message, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Errorf("%s: message %q is not Chinese", what, ae.Message)
	}
}

func (oe *openEnv) signerFields() []api.FieldPlacement {
	return []api.FieldPlacement{{Recipient: 0, Document: 0, Kind: api.FieldSignature, Page: 1, Rect: [4]float64{72, 500, 222, 560}}}
}

// waitHooks waits until the receiver got every event type of want for envelope id.
func (oe *openEnv) waitHooks(t *testing.T, id string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := map[string]bool{}
		for _, r := range oe.hooks.requests() {
			var ev webhook.Event
			if json.Unmarshal(r.body, &ev) != nil {
				continue
			}
			var d struct {
				EnvelopeID string `json:"envelope_id"`
			}
			json.Unmarshal(ev.Data, &d)
			if d.EnvelopeID == id {
				got[ev.Type] = true
			}
		}
		missing := []string{}
		for _, w := range want {
			if !got[w] {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks of %s: missing %v", id, missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A business system creates an envelope from a file, sends it, polls until the signer (on a
// desktop) has signed and the server completed it, lists its events and downloads the final PDF
// (valid in core/verify) and the 签署报告; the same from a template, by multipart and withdrawn;
// every state change reached the enterprise's webhook; the sends are the 接口 channel.
func TestOpenAPIEndToEnd(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			oe := newOpenEnv(t, open(t))
			in := oe.full
			doc := pdfBytes(t, 1, "api contract")
			req := map[string]any{"subject": "接口采购合同", "recipients": []api.Recipient{person(oe.signer)},
				"fields": oe.signerFields(), "files": []map[string]string{{"name": "采购合同.pdf", "content_base64": base64.StdEncoding.EncodeToString(doc)}}}
			key := newIdem()
			var draft, again api.OpenEnvelope
			if err := in.call("POST", "/api/v1/open/envelopes", key, req, &draft); err != nil {
				t.Fatal(err)
			}
			if draft.Status != api.EnvelopeDraft || draft.EnterpriseID != oe.ent || len(draft.Documents) != 1 {
				t.Fatalf("created: %+v", draft)
			}
			// The same Idempotency-Key answers the first result; another request under it is refused.
			if err := in.call("POST", "/api/v1/open/envelopes", key, req, &again); err != nil || again.ID != draft.ID {
				t.Fatalf("retry: %+v %v", again.ID, err)
			}
			req["subject"] = "另一份"
			wantAPICode(t, "key reused", in.call("POST", "/api/v1/open/envelopes", key, req, nil), 422, "idempotency_key_reused")
			wantAPICode(t, "no key", in.call("POST", "/api/v1/open/envelopes", "", req, nil), 400, "bad_idempotency_key")

			var sent api.OpenEnvelope
			sendKey := newIdem()
			if err := in.call("POST", "/api/v1/open/envelopes/"+draft.ID+"/send", sendKey, nil, &sent); err != nil {
				t.Fatal(err)
			}
			if sent.Status != api.EnvelopeInProgress || sent.Recipients[0].State != api.RecipientToSign {
				t.Fatalf("sent: %+v", sent)
			}
			if err := in.call("POST", "/api/v1/open/envelopes/"+draft.ID+"/send", sendKey, nil, &again); err != nil || again.Status != api.EnvelopeInProgress {
				t.Fatalf("send retried: %+v %v", again.Status, err)
			}
			// Nothing final yet.
			_, err := in.download("/api/v1/open/envelopes/" + draft.ID + "/documents/0")
			wantAPICode(t, "final before completion", err, 404, "not_ready")

			// The signer signs on the desktop.
			full, err := oe.signer.c.Envelope(ctx, draft.ID)
			if err != nil {
				t.Fatal(err)
			}
			signAll(t, oe.e, oe.signer, full)
			// Poll as an integrator does.
			var st api.OpenEnvelope
			deadline := time.Now().Add(60 * time.Second)
			for {
				if err := in.call("GET", "/api/v1/open/envelopes/"+draft.ID, "", nil, &st); err != nil {
					t.Fatal(err)
				}
				if st.Status == api.EnvelopeCompleted || time.Now().After(deadline) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if st.Status != api.EnvelopeCompleted || st.Documents[0].Final == "" || st.Recipients[0].State != api.RecipientSigned {
				t.Fatalf("polled: %+v", st)
			}
			var evs api.OpenEvents
			if err := in.call("GET", "/api/v1/open/envelopes/"+draft.ID+"/events", "", nil, &evs); err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, s := range evs.Events {
				actions = append(actions, s.Action)
			}
			for _, a := range []string{"sent", "signed", "completed"} {
				if !slices.Contains(actions, a) {
					t.Errorf("events %v lack %s", actions, a)
				}
			}
			final, err := in.download("/api/v1/open/envelopes/" + draft.ID + "/documents/0")
			if err != nil {
				t.Fatal(err)
			}
			trust := verify.NewTrustStore(oe.e.run.Server.Root())
			rep, err := verify.Verify(ctx, bytes.NewReader(final), int64(len(final)), "final.pdf", &verify.Options{Renderer: render.Shared(), Trust: trust})
			if err != nil || rep.Verdict != verify.StatusValid {
				t.Fatalf("final PDF: %v %+v", err, rep)
			}
			signers := map[string]bool{}
			for _, s := range rep.Signatures {
				signers[s.Signer.Name] = true
			}
			if !signers["李四"] {
				t.Errorf("final PDF signers: %v", signers)
			}
			report, err := in.download("/api/v1/open/envelopes/" + draft.ID + "/report")
			if err != nil || !bytes.HasPrefix(report, []byte("%PDF-")) {
				t.Fatalf("report: %d bytes, %v", len(report), err)
			}
			rrep, err := verify.Verify(ctx, bytes.NewReader(report), int64(len(report)), "report.pdf", &verify.Options{Renderer: render.Shared(), Trust: trust})
			if err != nil || rrep.Verdict != verify.StatusValid {
				t.Errorf("report: %v %+v", err, rrep)
			}
			oe.waitHooks(t, draft.ID, webhook.EventEnvelopeSent, webhook.EventEnvelopeSigned, webhook.EventEnvelopeCompleted)

			// From a template of the key's creator, multipart, sent at once, then withdrawn.
			refs, err := oe.admin.c.UploadFiles(ctx, []client.NamedFile{{Name: "劳动合同.pdf", Data: pdfBytes(t, 2, "template")}})
			if err != nil {
				t.Fatal(err)
			}
			tpl, err := oe.admin.c.SaveTemplate(ctx, api.Template{Name: "劳动合同模板", Files: refs, Roles: []api.Recipient{{Kind: api.RecipientPerson}},
				Fields: oe.signerFields(), Subject: "劳动合同"})
			if err != nil {
				t.Fatal(err)
			}
			var fromTpl api.OpenEnvelope
			if err := in.call("POST", "/api/v1/open/envelopes", newIdem(), map[string]any{"template_id": tpl.ID,
				"recipients": []api.Recipient{{Name: oe.signer.name, Phone: oe.signer.phone}}, "send": true}, &fromTpl); err != nil {
				t.Fatal(err)
			}
			if fromTpl.Status != api.EnvelopeInProgress || fromTpl.Subject != "劳动合同" || fromTpl.Documents[0].Pages != 2 || fromTpl.Recipients[0].Name != oe.signer.name {
				t.Fatalf("from template: %+v", fromTpl)
			}
			ct, body, err := multipartCreate(map[string]any{"subject": "多部分上传", "recipients": []api.Recipient{person(oe.signer)}, "send": true},
				[]string{"附件.pdf"}, [][]byte{pdfBytes(t, 1, "multipart")})
			if err != nil {
				t.Fatal(err)
			}
			b, _, err := in.send(in.sign("POST", "/api/v1/open/envelopes", ct, newIdem(), body))
			if err != nil {
				t.Fatal(err)
			}
			var mp api.OpenEnvelope
			json.Unmarshal(b, &mp)
			if mp.Status != api.EnvelopeInProgress || len(mp.Documents) != 1 || mp.Documents[0].Name != "附件.pdf" {
				t.Fatalf("multipart: %s", b)
			}
			var wd api.OpenEnvelope
			if err := in.call("POST", "/api/v1/open/envelopes/"+mp.ID+"/withdraw", newIdem(), api.ReasonRequest{Reason: "订单取消"}, &wd); err != nil || wd.Status != api.EnvelopeWithdrawn {
				t.Fatalf("withdraw: %+v %v", wd.Status, err)
			}
			oe.waitHooks(t, mp.ID, webhook.EventEnvelopeSent, webhook.EventEnvelopeWithdrawn)
			// The desktop's declines reach the webhook too.
			if _, err := oe.signer.c.Decline(ctx, client.NewIdempotencyKey(), fromTpl.ID, "条款不同意"); err != nil {
				t.Fatal(err)
			}
			oe.waitHooks(t, fromTpl.ID, webhook.EventEnvelopeDeclined)

			// 费用明细: the completed API send is charged to the 接口 channel.
			var entries []billing.Entry
			oe.e.store.View(ctx, func(tx sync.Tx) error {
				entries, err = billing.Ledger(tx, billing.Enterprise(oe.ent), billing.LedgerFilter{})
				return err
			})
			found := false
			for _, en := range entries {
				if en.Envelope == draft.ID {
					found = en.Channel == billing.ChannelAPI
				}
			}
			if !found {
				t.Errorf("ledger: %+v, want the envelope on the 接口 channel", entries)
			}
			// The admin's list shows the key as used.
			list, err := oe.admin.c.APIKeys(ctx, oe.ent)
			if err != nil || len(list.Keys) != 1 || list.Keys[0].LastUsed.IsZero() || list.Keys[0].Name != "ERP 正式" {
				t.Errorf("keys: %+v %v", list, err)
			}
		})
	}
}

// Every refusal of a signed request has its own code, and a refused request changes nothing.
func TestOpenAPIRefusals(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			oe := newOpenEnv(t, open(t))
			in := oe.full
			var env1 api.OpenEnvelope
			if err := in.call("POST", "/api/v1/open/envelopes", newIdem(), map[string]any{"subject": "拒绝测试", "recipients": []api.Recipient{person(oe.signer)},
				"files": []map[string]string{{"name": "a.pdf", "content_base64": base64.StdEncoding.EncodeToString(pdfBytes(t, 1, "x"))}}}, &env1); err != nil {
				t.Fatal(err)
			}
			get := "/api/v1/open/envelopes/" + env1.ID

			// Unsigned.
			resp, err := in.http.Get(in.base + get)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Errorf("unsigned: %d", resp.StatusCode)
			}
			_, _, err = in.send(signedRequest{method: "GET", uri: get, header: http.Header{}})
			wantAPICode(t, "unsigned", err, 401, "signature_missing")
			// Wrong signature: a wrong secret, and a body changed after signing.
			bad := *in
			bad.secret = in.secret + "x"
			wantAPICode(t, "wrong secret", bad.call("GET", get, "", nil, nil), 401, "bad_signature")
			sr := in.sign("POST", get+"/withdraw", "application/json", newIdem(), []byte(`{"reason":"a"}`))
			sr.body = []byte(`{"reason":"b"}`)
			_, _, err = in.send(sr)
			wantAPICode(t, "body changed", err, 401, "bad_signature")
			sr = in.sign("GET", get, "", "", nil)
			sr.uri = get + "/events"
			_, _, err = in.send(sr)
			wantAPICode(t, "path changed", err, 401, "bad_signature")
			// Replayed nonce: the same signed request twice.
			sr = in.sign("GET", get, "", "", nil)
			if _, _, err := in.send(sr); err != nil {
				t.Fatal(err)
			}
			_, _, err = in.send(sr)
			wantAPICode(t, "replay", err, 401, "nonce_replayed")
			// Expired timestamp, both ways.
			for _, d := range []time.Duration{-6 * time.Minute, 6 * time.Minute} {
				old := *in
				old.now = func() time.Time { return time.Now().Add(d) }
				wantAPICode(t, "timestamp "+d.String(), old.call("GET", get, "", nil, nil), 401, "timestamp_expired")
			}
			// Unknown key.
			ghost := *in
			ghost.keyID = "ak_00000000000000000000"
			wantAPICode(t, "unknown key", ghost.call("GET", get, "", nil, nil), 401, "unknown_key")
			// Revoked key.
			spare := oe.integrator(t, oe.admin, oe.ent, "旧系统", api.ScopeRead)
			if err := spare.call("GET", get, "", nil, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := oe.admin.c.RevokeAPIKey(ctx, oe.ent, spare.keyID); err != nil {
				t.Fatal(err)
			}
			wantAPICode(t, "revoked", spare.call("GET", get, "", nil, nil), 401, "key_revoked")
			_, err = oe.admin.c.RevokeAPIKey(ctx, oe.ent, spare.keyID)
			wantCode(t, err, "key_already_revoked")
			// Missing scope: a read-only key may not create, withdraw or download.
			reader := oe.integrator(t, oe.admin, oe.ent, "报表系统", api.ScopeRead)
			wantAPICode(t, "create without send", reader.call("POST", "/api/v1/open/envelopes", newIdem(), map[string]any{"subject": "x"}, nil), 403, "missing_scope")
			wantAPICode(t, "withdraw without send", reader.call("POST", get+"/withdraw", newIdem(), api.ReasonRequest{Reason: "x"}, nil), 403, "missing_scope")
			_, err = reader.download(get + "/report")
			wantAPICode(t, "download without download", err, 403, "missing_scope")
			if err := reader.call("GET", get+"/events", "", nil, nil); err != nil {
				t.Errorf("read with read: %v", err)
			}
			// A key of another enterprise: the other admin's key, on this enterprise's envelope —
			// also when that admin is a party of it.
			other := newParty(t, oe.e, "孟良华")
			ent2, err := other.c.CreateEnterprise(ctx, "深圳另一家科技有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			foreign := oe.integrator(t, other, ent2.ID, "别家 ERP", api.ScopeSend, api.ScopeRead, api.ScopeDownload)
			wantAPICode(t, "other enterprise", foreign.call("GET", get, "", nil, nil), 403, "other_enterprise")
			wantAPICode(t, "other enterprise withdraw", foreign.call("POST", get+"/withdraw", newIdem(), api.ReasonRequest{Reason: "x"}, nil), 403, "other_enterprise")
			wantAPICode(t, "not found", foreign.call("GET", "/api/v1/open/envelopes/env_nope", "", nil, nil), 404, "not_found")
			// A member without api.manage cannot manage keys.
			_, err = oe.signer.c.CreateAPIKey(ctx, oe.ent, api.APIKeyRequest{Name: "x", Scopes: []string{api.ScopeRead}})
			wantCode(t, err, "not_member")
			_, err = oe.admin.c.CreateAPIKey(ctx, oe.ent, api.APIKeyRequest{Name: "x", Scopes: []string{"admin"}})
			wantCode(t, err, "bad_scope")
			_, err = oe.admin.c.CreateAPIKey(ctx, oe.ent, api.APIKeyRequest{Name: " ", Scopes: []string{api.ScopeRead}})
			wantCode(t, err, "bad_key_name")

			// Nothing changed: the envelope is still a draft, and no second one exists.
			var st api.OpenEnvelope
			if err := in.call("GET", get, "", nil, &st); err != nil || st.Status != api.EnvelopeDraft {
				t.Errorf("after refusals: %+v %v", st.Status, err)
			}
			l, err := oe.admin.c.Envelopes(ctx, client.ListOptions{Box: api.BoxDraft})
			if err != nil || len(l.Items) != 1 {
				t.Errorf("drafts after refusals: %+v %v", l.Items, err)
			}
			// The janitor's purge keeps nonces inside the window and drops the rest.
			if n, err := oe.e.run.Server.APIKeys().Purge(ctx); err != nil || n != 0 {
				t.Errorf("purge now: %d %v", n, err)
			}
			oe.e.clock.Advance(11 * time.Minute)
			if n, err := oe.e.run.Server.APIKeys().Purge(ctx); err != nil || n < 3 {
				t.Errorf("purge later: %d %v", n, err)
			}
		})
	}
}
