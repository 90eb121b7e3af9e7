package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
)

// TestSealUseBoundToContract is the attack the bound seal protocol closes, with its honest twin,
// on a real server (bolt and PostgreSQL): a member holds an approved use (用印审批) of the
// contract seal on contract A and a code bound to A. Sealing another document B under A —
// an old client's digest, the new request declaring B, the new request carrying B, B without a
// contract — is refused, nothing is signed, the code stays good and each attempt is a refused
// line in 用印记录. The same member then seals A itself: the server prepares the signature on
// A's current version, and our verifier and poppler's pdfsig judge the sealed PDF valid.
func TestSealUseBoundToContract(t *testing.T) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			e := startContracts(t, open(t), func(o *server.Options) { o.ContractsUnbilled = true })
			admin, appr, m, signer := newParty(t, e, "王管理"), newParty(t, e, "周审批"), newParty(t, e, "李用印"), newParty(t, e, "赵签署")
			const entName = "杭州用印绑定测试有限公司"
			credit := creditCode(t, "91330106MA27XY014")
			ent, err := admin.c.CreateEnterprise(ctx, entName, credit)
			if err != nil {
				t.Fatal(err)
			}
			eid := ent.ID
			putRole(t, e, eid, "r_appr", "审批人", org.PermApproveContracts)
			putRole(t, e, eid, "r_send", "业务员", org.PermSendContracts)
			apprID := e.enrol(t, eid, appr, "r_appr")
			mID := e.enrol(t, eid, m, "r_send")
			seal, err := admin.c.CreateSeal(ctx, eid, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: testImage(t, "png")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.c.GrantSeal(ctx, eid, seal.ID, api.SealGrantRequest{MemberID: mID}); err != nil {
				t.Fatal(err)
			}
			if _, err := admin.c.SaveApprovalRule(ctx, eid, api.ApprovalRule{Name: "用印审批", Kind: api.ApprovalSeal, Seals: []string{seal.ID}, Approvers: []string{apprID}}); err != nil {
				t.Fatal(err)
			}
			refs, err := m.c.UploadFiles(ctx, []client.NamedFile{{Name: "采购合同A.pdf", Data: pdfBytes(t, 1, "contract A: 100 yuan")}})
			if err != nil {
				t.Fatal(err)
			}
			envA, err := m.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "合同A", EnterpriseID: eid, Files: refs,
				Recipients: []api.Recipient{person(signer)}})
			if err != nil {
				t.Fatal(err)
			}
			sa, err := m.c.SubmitApproval(ctx, eid, api.ApprovalSubmit{Kind: api.ApprovalSeal, EnvelopeID: envA.ID, SealID: seal.ID})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := appr.c.DecideApproval(ctx, eid, sa.ID, true, "准予用印"); err != nil {
				t.Fatal(err)
			}
			// One code bound to A for one signature: the honest use after the attacks proves that
			// no refusal spent it.
			tk, err := m.c.SealCodeFor(ctx, eid, seal.ID, api.SealCodeRequest{ContractID: envA.ID, Signatures: 1})
			if err != nil {
				t.Fatal(err)
			}
			code := ""
			msgs := e.run.Server.Outbox().Messages()
			for i := len(msgs) - 1; i >= 0 && code == ""; i-- {
				if mm := sealCodeRE.FindStringSubmatch(msgs[i].Body); mm != nil && msgs[i].To == m.phone {
					code = mm[1]
				}
			}
			curA, err := m.c.EnvelopeDocument(ctx, envA.ID, 0, "")
			if err != nil {
				t.Fatal(err)
			}
			docB := pdfBytes(t, 1, "contract B: 1000000 yuan")
			sumB := sha256.Sum256(docB)
			hashB := hex.EncodeToString(sumB[:])
			sumA := sha256.Sum256(curA)
			hashA := hex.EncodeToString(sumA[:])
			marks := []api.SealMark{{Page: 1, Rect: [4]float64{360, 80, 480, 200}}}

			// 1. An old client: the digest of B's signed attributes, declared as a use on A.
			digest := sha256.Sum256(append([]byte("signed attributes of B "), docB...))
			_, _, err = m.c.SealSign(ctx, eid, seal.ID, client.NewIdempotencyKey(), api.SealSignRequest{Digest: digest[:], CodeID: tk.CodeID, Code: code,
				ContractID: envA.ID, DocumentSHA256: hashB, Device: "old desktop"})
			wantCode(t, err, "unbound_digest")
			if ce := (*client.Error)(nil); !errors.As(err, &ce) || !strings.Contains(ce.Message, "客户端版本过旧") {
				t.Fatalf("old client's refusal does not say why in Chinese: %v", err)
			}
			// 2. The bound protocol declaring B as the document of A.
			_, _, err = m.c.SealDocument(ctx, eid, seal.ID, docB, api.SealSignRequest{CodeID: tk.CodeID, Code: code, ContractID: envA.ID, Marks: marks}, 0)
			wantCode(t, err, "document_mismatch")
			// 3. The bound protocol with A's hash but B in the body.
			_, _, err = m.c.SealSign(ctx, eid, seal.ID, client.NewIdempotencyKey(), api.SealSignRequest{CodeID: tk.CodeID, Code: code, ContractID: envA.ID,
				DocumentSHA256: hashA, PDF: docB, Marks: marks})
			wantCode(t, err, "document_mismatch")
			// 4. B as a local file, without a contract: the approval is of A only.
			_, _, err = m.c.SealDocument(ctx, eid, seal.ID, docB, api.SealSignRequest{CodeID: tk.CodeID, Code: code, Marks: marks}, 0)
			wantCode(t, err, "approval_required")

			log, err := admin.c.SealUses(ctx, eid, client.SealUseQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(log.Uses) != 3 {
				t.Fatalf("用印记录 after the attacks has %d lines, want 3 refusals: %+v", len(log.Uses), log.Uses)
			}
			for i, u := range log.Uses {
				if !strings.HasPrefix(u.Refused, "拒绝") || u.MemberID != mID || u.ContractID != envA.ID {
					t.Fatalf("line %d is not a refusal of %s on contract A: %+v", i, m.name, u)
				}
			}
			if log.Uses[0].DocumentSHA256 != hashB || !strings.Contains(log.Uses[0].Refused, "摘要未经服务器核对") ||
				log.Uses[1].DocumentSHA256 != hashB || !strings.Contains(log.Uses[1].Refused, "不是合同的当前版本") ||
				!strings.Contains(log.Uses[2].Refused, "另一个文件") {
				t.Fatalf("refusals do not say what was refused: %+v", log.Uses)
			}
			csvRaw, err := admin.c.SealUsesCSV(ctx, eid, client.SealUseQuery{})
			if err != nil || !strings.Contains(string(csvRaw), "不是合同的当前版本") {
				t.Fatalf("CSV lacks the refusal: %v\n%s", err, csvRaw)
			}

			// The honest twin: the same member, approval and code seal A's current version.
			sealed, resp, err := m.c.SealDocument(ctx, eid, seal.ID, curA, api.SealSignRequest{CodeID: tk.CodeID, Code: code, ContractID: envA.ID,
				Marks: marks, Device: "e2e"}, 0)
			if err != nil {
				t.Fatalf("sealing contract A: %v", err)
			}
			if len(resp.UseIDs) != 1 || !strings.HasPrefix(string(sealed), string(curA)) {
				t.Fatalf("answer: %d uses, extends A: %v", len(resp.UseIDs), strings.HasPrefix(string(sealed), string(curA)))
			}
			path := filepath.Join(t.TempDir(), "A-sealed.pdf")
			if err := os.WriteFile(path, sealed, 0o600); err != nil {
				t.Fatal(err)
			}
			// The platform's signature of the sent document, then the seal.
			checkSealedPDFN(t, e, path, entName, credit, m.name, 2)
			log, err = admin.c.SealUses(ctx, eid, client.SealUseQuery{})
			if err != nil || len(log.Uses) != 4 {
				t.Fatalf("log after the honest use: %+v %v", log, err)
			}
			if u := log.Uses[3]; u.Refused != "" || u.ID != resp.UseIDs[0] || u.ContractID != envA.ID || u.DocumentSHA256 != hashA {
				t.Fatalf("honest use line: %+v", u)
			}
		})
	}
}
