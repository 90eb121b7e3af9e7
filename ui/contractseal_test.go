package ui

import (
	"context"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/ids"
	"sealdesk/core/verify"
)

const testCompany = "深圳市波克科技有限公司"

// sendToCompany sends, from A's 发起签署, a one-page contract to handler as the company
// recipient testCompany, with a seal box and a date box for them, and returns the message shown.
func sendToCompany(t *testing.T, sa *Shell, subject string, handler *testParty) string {
	t.Helper()
	sa.Show(NavSend)
	v := composeOf(sa)
	v.onNewTapped() // a refused send keeps its form: start afresh
	v.addFilesAndWait(writeTestPDF(t, "采购合同.pdf", a4Pages(1)))
	v.subject.SetText(subject)
	test.Tap(v.addCompany)
	c := v.cards[len(v.cards)-1]
	test.Type(c.company, testCompany)
	test.Type(c.name, handler.name)
	test.Type(c.contact, handler.phone)
	test.Tap(v.placeBtn)
	workers.drain(&v.place.wg)
	v.place.pv.Wait()
	v.place.addOnCurrentPage(boxSeal)
	v.place.addOnCurrentPage(boxDate)
	test.Tap(v.sendBtn)
	workers.drain(&v.wg)
	return v.msg.Text
}

// TestContractsCompanySeal: a company recipient signs with the company's seal. D, named as
// the handler but no member of the company, and C before the seal is granted to him, are told
// in Chinese why they cannot seal, and 立即提交 signs nothing; once granted, C's seal box offers
// only the company's seal (not his personal signatures), 立即提交 asks for one code for both
// boxes, the digests are signed by the server with the seal's key, the contract completes, and
// the final PDF verifies with the seal certificate naming the company, C as its operator.
func TestContractsCompanySeal(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa, pc, pd := newTestParty(t, run, "王菲菲"), newTestParty(t, run, "孟良华"), newTestParty(t, run, "周无关")
	check, err := ids.CreditCheck("91440300MA5F12345")
	if err != nil {
		t.Fatal(err)
	}
	credit := "91440300MA5F12345" + string(check)
	ent, err := pc.c.CreateEnterprise(ctx, testCompany, credit)
	if err != nil {
		t.Fatal(err)
	}
	seal, err := pc.c.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: "合同专用章", Kind: api.SealContract, WidthMM: 42, HeightMM: 42, Image: sealImagePNG(t)})
	if err != nil {
		t.Fatal(err)
	}
	sa, _ := newPartyShell(t, pa)

	// D is no member of the company: the contract reaches him (he may be invited, or claim the
	// company by an appeal), and his desktop says why he cannot seal; 立即提交 asks for no code.
	if msg := sendToCompany(t, sa, "不是成员", pd); !strings.Contains(msg, "已发送") {
		t.Fatalf("sending to a handler who is no member: %q", msg)
	}
	sd, _ := newPartyShell(t, pd)
	vd := openToSign(t, sd)
	if !strings.Contains(vd.sealNote.Text, "您不是“"+testCompany+"”的成员") || len(vd.sign.image.Options) != 0 {
		t.Fatalf("D: %q, seal box %q", vd.sealNote.Text, vd.sign.image.Options)
	}
	test.Tap(vd.submitBtn)
	workers.drain(&vd.sign.wg)
	if vd.codeDlg != nil || !strings.Contains(vd.sign.status.Text, "您不是") {
		t.Fatalf("D's 立即提交: %q", vd.sign.status.Text)
	}
	// D joins and is disabled: his desktop says so, and a new contract naming him is refused.
	dMe, _ := pd.c.Me(ctx)
	inv, err := pc.c.AddMember(ctx, ent.ID, pd.name, pd.phone)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pd.c.Join(ctx, inv.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.c.ApproveJoin(ctx, ent.ID, dMe.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.c.DisableMember(ctx, ent.ID, dMe.ID); err != nil {
		t.Fatal(err)
	}
	test.Tap(vd.backBtn)
	vd = openToSign(t, sd)
	if !strings.Contains(vd.sealNote.Text, "您在“"+testCompany+"”的账号已被停用") {
		t.Fatalf("D disabled: %q", vd.sealNote.Text)
	}
	if msg := sendToCompany(t, sa, "停用成员", pd); !strings.Contains(msg, "经办人周无关在“"+testCompany+"”的账号已停用") {
		t.Fatalf("sending to a disabled handler: %q", msg)
	}

	// C is the 主管理员 but holds no grant yet.
	if msg := sendToCompany(t, sa, "企业盖章合同", pc); !strings.Contains(msg, "已发送") {
		t.Fatalf("send: %q", msg)
	}
	sc, wc := newPartyShell(t, pc)
	v := openToSign(t, sc)
	if !strings.Contains(v.sealNote.Text, "没有“"+testCompany+"”任何印章当前有效的用印授权") || len(v.sign.image.Options) != 0 {
		t.Fatalf("C without a grant: %q, seal box %q", v.sealNote.Text, v.sign.image.Options)
	}
	test.Tap(v.submitBtn)
	workers.drain(&v.sign.wg)
	if v.codeDlg != nil || !strings.Contains(v.sign.status.Text, "用印授权") {
		t.Fatalf("C's 立即提交 without a grant: %q", v.sign.status.Text)
	}
	me, _ := pc.c.Me(ctx)
	if _, err := pc.c.GrantSeal(ctx, ent.ID, seal.ID, api.SealGrantRequest{MemberID: me.ID}); err != nil {
		t.Fatal(err)
	}
	test.Tap(v.backBtn)
	v = openToSign(t, sc)
	if got := strings.Join(v.sign.image.Options, "|"); got != "企业印章：合同专用章" || v.sign.image.SelectedIndex() != 0 {
		t.Fatalf("C's seal box: %q (selected %d)", got, v.sign.image.SelectedIndex())
	}
	if !strings.Contains(v.sealNote.Text, "获授权的 1 枚企业印章") || v.counter.Text != "签章 0/2" {
		t.Fatalf("C: %q, counter %q", v.sealNote.Text, v.counter.Text)
	}
	// A's detail says which seal C's company must apply.
	sa.Show(NavDocuments)
	pav := documentsOf(sa).Contracts
	pav.showBox(api.BoxWaiting)
	workers.drain(&pav.wg)
	if len(pav.rows) == 0 || pav.rows[0].Summary.Subject != "企业盖章合同" {
		t.Fatalf("A's 待他人签: %d rows", len(pav.rows))
	}
	test.Tap(pav.rows[0].Row)
	workers.drain(&pav.wg)
	if pav.detail == nil || !strings.Contains(texts(t, pav.detail.root), "需加盖“"+testCompany+"”的印章") {
		t.Fatalf("A's detail before C sealed does not name the seal required: %q", pav.status.Text)
	}
	test.Tap(v.submitBtn)
	workers.drain(&v.sign.wg)
	if v.codeDlg == nil || v.codeSess.ticket.Signatures != 2 {
		t.Fatalf("no code dialog for 2 signatures: %q", v.sign.status.Text)
	}
	// A wrong code: refused, nothing uploaded, the contract still waits for C.
	code := lastSealCode(t, run, pc.phone)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	v.codeDlg.code.SetText(wrong)
	test.Tap(overlayButton(t, wc, tr("csign.submit")))
	workers.drain(&v.sign.wg)
	if !strings.Contains(v.sign.status.Text, "签署没有完成") {
		t.Fatalf("wrong code: %q", v.sign.status.Text)
	}
	test.Tap(v.submitBtn)
	workers.drain(&v.sign.wg)
	v.codeDlg.code.SetText(lastSealCode(t, run, pc.phone))
	test.Tap(overlayButton(t, wc, tr("csign.submit")))
	workers.drain(&v.sign.wg)
	p := documentsOf(sc).Contracts
	d := p.detail
	if d == nil || d.env.Status != api.EnvelopeCompleted || d.msg.Text != "签署成功。" {
		t.Fatalf("after 立即提交: %q", v.sign.status.Text)
	}
	// The step of C's signature names the seal; 签署记录 and C's line say 盖章：合同专用章.
	sealSteps := 0
	for _, st := range d.env.Steps {
		if st.Action == "signed" && st.Seal == "合同专用章" {
			sealSteps++
		}
	}
	inSteps := 0
	for _, l := range d.Steps {
		inSteps += strings.Count(l.Text, "盖章：合同专用章")
	}
	if sealSteps != 1 || inSteps != 1 || !strings.Contains(d.Recipients[0].Text, "盖章：合同专用章") {
		t.Fatalf("the seal is not named: %d steps with it, %d lines of 签署记录, recipient %q", sealSteps, inSteps, d.Recipients[0].Text)
	}
	final, err := pc.c.EnvelopeDocument(ctx, d.env.ID, 0, client.VersionFinal)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "final.pdf")
	os.WriteFile(out, final, 0o600)
	rep, err := verify.File(ctx, out, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(run.Server.Root())})
	if err != nil {
		t.Fatal(err)
	}
	sealed := 0
	for _, s := range rep.Signatures {
		if s.Signer.Organization == testCompany {
			sealed++
			if s.Signer.Operator != "孟良华" || s.Signer.OrganizationID != credit || s.Status != verify.StatusValid {
				t.Errorf("seal signature: %+v %s", s.Signer, s.Status)
			}
		}
	}
	if rep.Verdict != verify.StatusValid || sealed != 2 {
		t.Fatalf("final PDF: %s, %d seal signatures", rep.Verdict, sealed)
	}
	uses, err := pc.c.SealUses(ctx, ent.ID, client.SealUseQuery{})
	if err != nil || len(uses.Uses) != 2 || uses.Uses[0].ContractID != d.env.ID {
		t.Fatalf("usage log: %+v %v", uses, err)
	}
	pdfsigCheck(t, out, 3)
}
