package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/verify"
	"sealdesk/core/websign"
)

// A company handler with several seal boxes on the signing page asks for one seal code and
// seals them all with it (issue 21: each box needed its own code, the second box was refused
// with one_seal_per_code). The code is entseal's contract-bound code for as many signatures as
// the handler has seal boxes; each seal is one line of the usage log. Both stores, the page's
// calls made as its JavaScript makes them, real server on 127.0.0.1.
func TestWebSignOneSealCodeForAllBoxes(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), nil)
			admin, handler := e.person(t, "王管理"), e.person(t, "李经办")
			ent, err := admin.c.CreateEnterprise(ctx, "杭州示例科技有限公司", newCreditCode(t))
			if err != nil {
				t.Fatal(err)
			}
			e.join(t, ent.ID, handler, false)
			seal, err := admin.c.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: testImage(t, "png")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.c.GrantSeal(ctx, ent.ID, seal.ID, api.SealGrantRequest{MemberID: handler.id, NotAfter: e.clock.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			a := newParty(t, e, "王发起")
			files, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "采购合同.pdf", Data: pdfBytes(t, 2, "two seals")}})
			if err != nil {
				t.Fatal(err)
			}
			env, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "两处用印", Files: files,
				Recipients: []api.Recipient{{Kind: api.RecipientCompany, Company: ent.Name, Name: handler.name, Phone: handler.login}},
				Fields: []api.FieldPlacement{
					{Recipient: 0, Document: 0, Kind: api.FieldSeal, Page: 1, Rect: [4]float64{380, 100, 500, 220}},
					{Recipient: 0, Document: 0, Kind: api.FieldSeal, Page: 2, Rect: [4]float64{380, 100, 500, 220}},
				}})
			if err != nil {
				t.Fatal(err)
			}
			link, _ := outboxFind(t, e, handler.login, signLinkRE, 0)
			jar, _ := cookiejar.New(nil)
			hc := *e.run.HTTPClient()
			hc.Jar = jar
			call := func(method, path, body string) (int, string) {
				t.Helper()
				req, _ := http.NewRequest(method, link+path, strings.NewReader(body))
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			n := len(e.run.Server.Outbox().Messages())
			if code, body := call("POST", "/code", `{"purpose":"login"}`); code != 200 {
				t.Fatalf("login code: %d %s", code, body)
			}
			otp, _ := outboxFind(t, e, handler.login, webCodeRE, n)
			if code, body := call("POST", "/login", `{"code":"`+otp+`"}`); code != 200 {
				t.Fatalf("login: %d %s", code, body)
			}
			code, body := call("GET", "/state", "")
			var state websign.State
			if code != 200 || json.Unmarshal([]byte(body), &state) != nil || len(state.Fields) != 2 {
				t.Fatalf("state: %d %s", code, body)
			}
			n = len(e.run.Server.Outbox().Messages())
			code, body = call("POST", "/seal-code", fmt.Sprintf(`{"enterprise_id":%q,"seal_id":%q}`, ent.ID, seal.ID))
			var tk api.SealCodeTicket
			if code != 200 || json.Unmarshal([]byte(body), &tk) != nil || tk.CodeID == "" {
				t.Fatalf("seal code: %d %s", code, body)
			}
			sealCode, _ := outboxFind(t, e, handler.login, sealCodeRE, n)
			n = len(e.run.Server.Outbox().Messages())
			if code, body := call("POST", "/code", `{"purpose":"sign"}`); code != 200 {
				t.Fatalf("sign code: %d %s", code, body)
			}
			otp, _ = outboxFind(t, e, handler.login, webCodeRE, n)
			req, _ := json.Marshal(websign.SignRequest{Code: otp, SealEnterprise: ent.ID, SealID: seal.ID, SealCodeID: tk.CodeID, SealCode: sealCode})
			if code, body := call("POST", "/sign", string(req)); code != 200 || !strings.Contains(body, api.EnvelopeCompleted) {
				t.Fatalf("sign both seal boxes with one code: %d %s", code, body)
			}
			final, err := a.c.EnvelopeDocument(ctx, env.ID, 0, client.VersionFinal)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := verify.Verify(ctx, bytes.NewReader(final), int64(len(final)), "final.pdf", &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(e.run.Server.Root())})
			if err != nil {
				t.Fatal(err)
			}
			seals := 0
			for _, s := range rep.Signatures {
				if s.Status != verify.StatusValid {
					t.Errorf("signature %s: %s %v", s.Field, s.Status, s.Reasons)
				}
				if strings.HasPrefix(s.Field, "R1.") && s.Signer.Organization == ent.Name && !s.Signer.Event {
					seals++
				}
			}
			if seals != 2 || rep.Verdict != verify.StatusValid {
				t.Errorf("verdict %s with %d seal signatures, want valid with 2", rep.Verdict, seals)
			}
			l, err := admin.c.SealUses(ctx, ent.ID, client.SealUseQuery{})
			if err != nil || len(l.Uses) != 2 {
				t.Fatalf("usage log: %+v %v, want 2 uses", l, err)
			}
			for _, u := range l.Uses {
				if u.ContractID != env.ID || u.MemberID != handler.id {
					t.Errorf("use %+v: want contract %s by %s", u, env.ID, handler.id)
				}
			}
		})
	}
}
