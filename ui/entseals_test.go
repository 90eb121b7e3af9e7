package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/ids"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/sign"
	"sealdesk/core/sync"
	"sealdesk/core/verify"
	"sealdesk/store/bolt"
	"sealdesk/ui/internal/servertest"
)

// sealServer is testServer with its store at hand (the tests add members directly, as the
// enterprise domain's invitation flow would).
func sealServer(t *testing.T) (*server.Running, sync.Store) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return servertest.Start(t, st).Run, st
}

func sealImagePNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 120, 120))
	for x := 0; x < 120; x++ {
		for y := 0; y < 120; y++ {
			if d := (x-60)*(x-60) + (y-60)*(y-60); d < 3600 && d > 2800 {
				img.Set(x, y, color.NRGBA{220, 20, 20, 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// sealShell is newPartyShell working in enterprise eid.
func sealShell(t *testing.T, p *testParty, eid string) (*Shell, fyne.Window) {
	t.Helper()
	w := test.NewTempWindow(t, nil)
	s := NewShell(fyne.CurrentApp(), w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{},
		Local: p.local, Conn: &testConn{c: p.c, ctx: eid}})
	t.Cleanup(s.StopWatching)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1200, 860))
	return s, w
}

var uiSealCodeRE = regexp.MustCompile(`用印验证码是 ([0-9]{6})`)

func lastSealCode(t *testing.T, run *server.Running, login string) string {
	msgs := run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := uiSealCodeRE.FindStringSubmatch(msgs[i].Body); m != nil && msgs[i].To == login {
			return m[1]
		}
	}
	t.Fatalf("no seal code for %s", login)
	return ""
}

// TestEnterpriseSealsJourney: the admin creates an enterprise seal from 我的印章 in 签章管理 ›
// 企业印章 and grants it to B for an hour; in B's 本机签署 the seal box offers it, signing asks
// for the code the server sent, and the signed copy verifies (in core/verify and in 文件验签) as
// the enterprise's seal used by B; B's applications and the usage log follow.
func TestEnterpriseSealsJourney(t *testing.T) {
	newContractsApp(t)
	run, st := sealServer(t)
	admin := newTestParty(t, run, "王管理")
	b := newTestParty(t, run, "李乙")
	ctx := context.Background()
	cc, _ := ids.CreditCheck("91330106MA27XY012")
	ent, err := admin.c.CreateEnterprise(ctx, "杭州示例科技有限公司", "91330106MA27XY012"+string(cc))
	if err != nil {
		t.Fatal(err)
	}
	bMe, err := b.c.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx sync.Tx) error {
		return org.PutMember(tx, org.Member{EnterpriseID: ent.ID, AccountID: bMe.ID, Name: b.name, Phone: b.phone, Role: org.RoleMember, Joined: time.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	admin.local.Library.(*memLibrary).Save(LibraryItem{Kind: ItemUploadedSeal, Name: "合同专用章", PNG: sealImagePNG(t), WidthMM: 40, HeightMM: 40})

	// The admin: 签章管理 › 企业印章.
	sa, _ := sealShell(t, admin, ent.ID)
	sa.Show(NavSeals)
	v := sa.Screen(NavSeals).(*sealsScreen).ent
	workers.drain(&v.wg)
	if !v.newBtn.Visible() || !strings.Contains(v.msg.Text, "新建企业印章") {
		t.Fatalf("admin's empty list: new button %v, %q", v.newBtn.Visible(), v.msg.Text)
	}
	test.Tap(v.newBtn)
	f := v.form
	if f == nil || f.name.Text != "合同专用章" || f.width.Text != "40" {
		t.Fatalf("create form not filled from 我的印章: %+v", f)
	}
	f.kind.SetSelected(api.SealContract)
	v.dlg.Hide()
	f.submit()
	workers.drain(&v.wg)
	if len(v.data.Seals) != 1 || !strings.Contains(v.msg.Text, "已创建企业印章") || len(v.list.Objects) == 0 {
		t.Fatalf("after create: %+v %q", v.data.Seals, v.msg.Text)
	}
	seal := v.data.Seals[0]
	v.onGrantsTapped(seal)
	workers.drain(&v.wg)
	g := v.form
	if len(g.memberSel.Options) != 2 || !strings.Contains(strings.Join(g.memberSel.Options, "|"), "李乙") {
		t.Fatalf("members to grant to: %q", g.memberSel.Options)
	}
	for i, n := range g.memberSel.Options {
		if n == "李乙" {
			g.memberSel.SetSelectedIndex(i)
		}
	}
	g.period.SetSelectedIndex(0) // 1 hour
	g.submit()
	workers.drain(&v.wg)
	v.dlg.Hide()
	grants, err := admin.c.SealGrants(ctx, ent.ID, seal.ID)
	if err != nil || len(grants) != 1 || !grants[0].ValidNow || grants[0].NotAfter.Sub(time.Now()) > time.Hour {
		t.Fatalf("grants: %+v %v", grants, err)
	}

	// B: 本机签署 offers the seal; no personal key is needed for it.
	sb, wb := sealShell(t, b, ent.ID)
	sb.Show(NavSend)
	sg := sb.Screen(NavSend).(*sendScreen).sign
	workers.drain(&sg.wg)
	if len(sg.ent) != 1 || !strings.Contains(strings.Join(sg.image.Options, "|"), "企业印章：合同专用章") {
		t.Fatalf("seal box: %q", sg.image.Options)
	}
	dir := t.TempDir()
	placed := filepath.Join(dir, "合同-待签.pdf")
	if err := sign.AddFields(writeTestPDF(t, "contract.pdf", a4Pages(1)), placed, []sign.FieldSpec{
		{Name: "r1-seal-1", Page: 1, Rect: sign.VisibleRect{X1: 360, Y1: 100, X2: 480, Y2: 220}},
	}); err != nil {
		t.Fatal(err)
	}
	sg.OpenFiles([]string{placed})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	sg.image.SetSelectedIndex(sg.libraryCount) // the enterprise seal
	if why := sg.whyNotSignable(); why != "" {
		t.Fatalf("not signable with the enterprise seal: %s", why)
	}
	test.Tap(sg.signBtn)
	workers.drain(&sg.wg)
	if sg.codeDlg == nil {
		t.Fatalf("no code dialog: %q", sg.status.Text)
	}
	sg.codeDlg.code.SetText(lastSealCode(t, run, b.phone))
	test.Tap(overlayButton(t, wb, tr("sign.sign")))
	workers.drain(&sg.wg)
	d := sg.saveDlg
	if d == nil {
		t.Fatalf("no save dialog: %q", sg.status.Text)
	}
	test.Tap(d.save)
	workers.drain(&sg.wg)
	sg.pv.Wait()
	out := filepath.Join(dir, "合同-待签-已签.pdf")
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("no signed copy: %v (%q)", err, sg.status.Text)
	}
	rep, err := verify.File(ctx, out, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(run.Server.Root())})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != verify.StatusValid || rep.Signatures[0].Signer.Organization != "杭州示例科技有限公司" || rep.Signatures[0].Signer.Operator != "李乙" {
		t.Fatalf("signed copy: %s %+v", rep.Verdict, rep.Signatures)
	}
	// 文件验签 names the enterprise and the member who used its seal.
	sb.Show(NavVerify)
	sb.OpenFiles([]string{out})
	vs := sb.Screen(NavVerify).(*verifierScreen)
	workers.drain(&vs.wg)
	if len(vs.cards) != 1 || !strings.Contains(vs.cards[0].signer.Text, "杭州示例科技有限公司") || !strings.Contains(vs.cards[0].signer.Text, "用印人：李乙") {
		t.Fatalf("文件验签 signer: %+v", vs.cards)
	}

	// The admin revokes: B's seal box no longer offers it.
	if _, err := admin.c.RevokeSealGrant(ctx, ent.ID, grants[0].ID); err != nil {
		t.Fatal(err)
	}
	sg.loadEntSeals()
	workers.drain(&sg.wg)
	if len(sg.ent) != 0 {
		t.Fatalf("a revoked seal is still offered: %+v", sg.ent)
	}

	// B applies from 企业印章; the admin's inbox shows it and approves.
	sb.Show(NavSeals)
	bv := sb.Screen(NavSeals).(*sealsScreen).ent
	bv.reload()
	workers.drain(&bv.wg)
	if bv.newBtn.Visible() || len(bv.data.Seals) != 1 || bv.data.Seals[0].Usable {
		t.Fatalf("B's list: new %v, %+v", bv.newBtn.Visible(), bv.data.Seals)
	}
	bv.onApplyTapped(bv.data.Seals[0])
	af := bv.form
	af.reason.SetText("签署年度采购合同")
	bv.dlg.Hide()
	af.submit()
	workers.drain(&bv.wg)
	if !strings.Contains(bv.msg.Text, "已提交") {
		t.Fatalf("after applying: %q", bv.msg.Text)
	}
	v.reload()
	workers.drain(&v.wg)
	if !strings.Contains(v.appsTab.Text, "1 条待审批") {
		t.Fatalf("admin's inbox tab: %q", v.appsTab.Text)
	}
	v.decide(v.appsData[0], true)
	workers.drain(&v.wg)
	bv.reload()
	workers.drain(&bv.wg)
	if !bv.data.Seals[0].Usable {
		t.Fatal("approved application did not make the seal usable")
	}

	// The usage log: one use, by B; exported as CSV.
	v.onFindUsesTapped()
	workers.drain(&v.wg)
	if len(v.usesData) != 1 || v.usesData[0].MemberName != "李乙" || !strings.Contains(v.useMsg.Text, "共 1 条") {
		t.Fatalf("usage log: %+v %q", v.usesData, v.useMsg.Text)
	}
	csvPath := filepath.Join(t.TempDir(), "uses.csv")
	q, _ := v.useQuery()
	v.exportTo(admin.c, q, csvPath)
	workers.drain(&v.wg)
	raw, err := os.ReadFile(csvPath)
	if err != nil || !strings.Contains(string(raw), "李乙") || strings.Count(string(raw), "\n") != 2 {
		t.Fatalf("csv: %v %q", err, raw)
	}
	// A bad date is said, not sent.
	v.useFrom.SetText("2026-13-40")
	v.onFindUsesTapped()
	if !strings.Contains(v.useMsg.Text, "无效") {
		t.Fatalf("bad date: %q", v.useMsg.Text)
	}
}
