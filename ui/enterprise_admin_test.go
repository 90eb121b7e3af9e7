package ui

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"

	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/webhook"
)

// joinEnterprise makes p a member of ent through the invite link, approved by admin.
func joinEnterprise(t *testing.T, admin, p *testParty, ent string) string {
	t.Helper()
	ctx := context.Background()
	link, err := admin.c.InviteLink(ctx, ent)
	if err != nil {
		t.Fatal(err)
	}
	jr, err := p.c.Join(ctx, link.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.c.ApproveJoin(ctx, ent, jr.AccountID); err != nil {
		t.Fatal(err)
	}
	return jr.AccountID
}

func hooksOf(t *testing.T, p *testParty, ent string) (*HooksPanel, *Shell) {
	s, _ := billingShell(t, p, ent)
	hp := newHooksPanel(s)
	hp.Reload()
	hp.Wait()
	return hp, s
}

// 对接集成 against a real server: add an endpoint (secret shown once), a member joining reaches the
// receiver on 127.0.0.1 signed with that secret, the log shows it, 发送测试 / 详情 / 重新投递 /
// 停用 / 删除 work, and a plain member gets the server's refusal in Chinese.
func TestHooksPanel(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa := newTestParty(t, run, "张管理")
	pb := newTestParty(t, run, "李成员")
	ent := newEnterprise(t, pa, "杭州对接测试有限公司", "91330106MA2HKWK01")
	var mu stdsync.Mutex
	var got []*http.Request
	var bodies [][]byte
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
	}))
	defer rc.Close()
	received := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }

	hp, _ := hooksOf(t, pa, ent)
	if hp.Status.Visible() {
		t.Fatalf("status %q", hp.Status.Text)
	}
	test.Tap(hp.Add)
	if !strings.Contains(hp.Status.Text, "接收地址") {
		t.Fatalf("empty URL: %q", hp.Status.Text)
	}
	test.Type(hp.URL, "ftp://bad")
	test.Tap(hp.Add)
	hp.Wait()
	if !strings.Contains(hp.Status.Text, "http") {
		t.Fatalf("bad URL: %q", hp.Status.Text)
	}
	hp.URL.SetText(rc.URL + "/hub")
	hp.Description.SetText("枢纽云")
	hp.Events.SetSelected([]string{"成员加入"})
	test.Tap(hp.Add)
	hp.Wait()
	secret := hp.Secret.Text
	if !hp.SecretBox.Visible() || !strings.HasPrefix(secret, webhook.SecretPrefix) || len(hp.List) != 1 || hp.List[0].Events[0] != webhook.EventMemberJoined {
		t.Fatalf("after add: secret %q, list %+v, status %q", secret, hp.List, hp.Status.Text)
	}
	joinEnterprise(t, pa, pb, ent)
	waitFor(t, "member.joined at the receiver", func() bool { return received() >= 1 })
	mu.Lock()
	r0, b0 := got[0], bodies[0]
	mu.Unlock()
	m := hmac.New(sha256.New, []byte(secret))
	io.WriteString(m, r0.Header.Get(webhook.HeaderTimestamp)+".")
	m.Write(b0)
	if r0.Header.Get(webhook.HeaderSignature) != "v1="+hex.EncodeToString(m.Sum(nil)) || r0.Header.Get(webhook.HeaderEvent) != webhook.EventMemberJoined {
		t.Fatalf("delivery headers %v", r0.Header)
	}
	waitFor(t, "the log", func() bool {
		hp.Reload()
		hp.Wait()
		return len(hp.Log) == 1 && hp.Log[0].State == webhook.StateSucceeded
	})
	test.Tap(hp.DetailBtns[hp.Log[0].ID])
	hp.Wait()
	if !strings.Contains(hp.Detail.Text, "成员加入") || !strings.Contains(hp.Detail.Text, "HTTP 200") {
		t.Fatalf("detail %q", hp.Detail.Text)
	}
	test.Tap(hp.Redeliver[hp.Log[0].ID])
	test.Tap(hp.Buttons[hp.List[0].ID]["ping"])
	hp.Wait()
	waitFor(t, "redelivery and ping", func() bool { return received() >= 3 })
	test.Tap(hp.Buttons[hp.List[0].ID]["toggle"])
	hp.Wait()
	if !hp.List[0].Disabled {
		t.Fatal("not disabled")
	}
	test.Tap(hp.Buttons[hp.List[0].ID]["ping"])
	hp.Wait()
	if !strings.Contains(hp.Status.Text, "已停用") {
		t.Fatalf("ping of a disabled endpoint: %q", hp.Status.Text)
	}
	hp.DeleteEndpoint(hp.List[0].ID)
	hp.Wait()
	if len(hp.List) != 0 {
		t.Fatalf("after delete %+v", hp.List)
	}
	// A plain member is refused by the server, in Chinese.
	hb, _ := hooksOf(t, pb, ent)
	if !hb.Status.Visible() || !strings.Contains(hb.Status.Text, "权限") {
		t.Fatalf("member's panel: %q", hb.Status.Text)
	}
}

func letterImage(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for x := 50; x < 350; x++ {
		img.Set(x, 150, color.RGBA{200, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// 主管理员变更 against a real server: A transfers to B with the code sent to A (a wrong code and no
// choice are refused in Chinese); C appeals with a letter, a reviewer approves, C sees it and
// hands A's items over to B, disabling A.
func TestAdminPanel(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	ctx := context.Background()
	pa := newTestParty(t, run, "张管理")
	pb := newTestParty(t, run, "李成员")
	pc := newTestParty(t, run, "王申诉")
	ent := newEnterprise(t, pa, "杭州变更界面有限公司", "91330106MA2ADMN01")
	joinEnterprise(t, pa, pb, ent)

	sa, _ := billingShell(t, pa, ent)
	ap := newAdminPanel(sa)
	ap.Reload()
	ap.Wait()
	if !strings.Contains(ap.Owner.Text, "张管理") || len(ap.NewAdmin.Options) != 1 {
		t.Fatalf("owner %q, choices %v, status %q", ap.Owner.Text, ap.NewAdmin.Options, ap.Status.Text)
	}
	test.Tap(ap.Confirm)
	if !strings.Contains(ap.TransferDone.Text, "选择成员") {
		t.Fatalf("no member: %q", ap.TransferDone.Text)
	}
	test.Tap(ap.SendCode)
	ap.Wait()
	if !strings.Contains(ap.CodeSent.Text, pa.phone[:3]+"****") {
		t.Fatalf("code sent: %q", ap.CodeSent.Text)
	}
	code := ""
	msgs := run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0 && code == ""; i-- {
		if k := strings.Index(msgs[i].Body, "验证码是 "); msgs[i].To == pa.phone && k >= 0 {
			code = msgs[i].Body[k+len("验证码是 ") : k+len("验证码是 ")+6]
		}
	}
	ap.NewAdmin.SetSelected(ap.NewAdmin.Options[0])
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	ap.Code.SetText(wrong)
	test.Tap(ap.Confirm)
	ap.Wait()
	if !strings.Contains(ap.TransferDone.Text, "验证码错误") {
		t.Fatalf("wrong code: %q", ap.TransferDone.Text)
	}
	ap.Code.SetText(code)
	test.Tap(ap.Confirm)
	ap.Wait()
	if !strings.Contains(ap.TransferDone.Text, "更换成功") || !strings.Contains(ap.Owner.Text, "李成员") {
		t.Fatalf("transfer: %q, owner %q", ap.TransferDone.Text, ap.Owner.Text)
	}

	// 审计日志: A (now 子管理员) reads the log, newest first, and exports it as CSV.
	au := newAuditPanel(sa)
	au.Reload()
	au.Wait()
	if au.Status.Visible() || !strings.Contains(au.Lines.Text, "enterprise.admin_changed") ||
		strings.Index(au.Lines.Text, "enterprise.admin_changed") > strings.Index(au.Lines.Text, "enterprise.created") {
		t.Fatalf("audit %q / %q", au.Status.Text, au.Lines.Text)
	}
	test.Tap(au.Export)
	dir := t.TempDir()
	au.LastSave.dir = dir
	test.Tap(au.LastSave.save)
	au.Wait()
	if !strings.Contains(au.Status.Text, dir) {
		t.Fatalf("export: %q", au.Status.Text)
	}
	csvFiles, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	if len(csvFiles) != 1 {
		t.Fatalf("exported %v", csvFiles)
	}
	if b, _ := os.ReadFile(csvFiles[0]); !strings.Contains(string(b), "enterprise.admin_changed") {
		t.Fatalf("csv %q", b)
	}
	// B, a plain member before the transfer, was refused; C (a stranger) is refused too.
	sx, _ := billingShell(t, pc, ent)
	ax := newAuditPanel(sx)
	ax.Reload()
	ax.Wait()
	if !ax.Status.Visible() || !strings.ContainsFunc(ax.Status.Text, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
		t.Fatalf("stranger's audit: %q", ax.Status.Text)
	}

	// C appeals from their own desktop (个人版: no enterprise yet).
	sc, _ := billingShell(t, pc, "")
	cp := newAdminPanel(sc)
	cp.Reload()
	cp.Wait()
	cp.Company.SetText("杭州变更界面有限公司")
	cp.PersonName.SetText("王申诉")
	cp.PersonID.SetText("11010519491231002X")
	// a customer's contract waits for C's signature as the company's handler
	cust := newTestParty(t, run, "客户")
	refs, err := cust.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: pdfFileBytes(t)}})
	if err != nil {
		t.Fatal(err)
	}
	waiting, err := cust.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: "服务协议", Files: refs,
		Recipients: []api.Recipient{{Kind: api.RecipientCompany, Company: "杭州变更界面有限公司", Name: pc.name, Phone: pc.phone}}})
	if err != nil {
		t.Fatal(err)
	}
	cp.ContractID.SetText("env_nothing")
	test.Tap(cp.Start)
	cp.Wait()
	if cp.Current.ID != "" || !strings.Contains(cp.AppealMsg.Text, "合同不存在") {
		t.Fatalf("appeal from an unknown contract: %q", cp.AppealMsg.Text)
	}
	cp.ContractID.SetText(waiting.ID)
	test.Tap(cp.Start)
	cp.Wait()
	if cp.Current.ID == "" || !strings.Contains(cp.AppealMsg.Text, "待提交材料") {
		t.Fatalf("appeal: %q", cp.AppealMsg.Text)
	}
	cp.UploadLetter([]byte("not an image"))
	cp.Wait()
	if !strings.Contains(cp.AppealMsg.Text, "PNG") {
		t.Fatalf("bad letter: %q", cp.AppealMsg.Text)
	}
	cp.UploadLetter(letterImage(t))
	cp.Wait()
	if !strings.Contains(cp.AppealMsg.Text, "审核中") {
		t.Fatalf("letter: %q", cp.AppealMsg.Text)
	}
	rv := newTestParty(t, run, "审核员")
	if _, err := run.Server.Org().SetAdmin(ctx, rv.phone, true); err != nil {
		t.Fatal(err)
	}
	if _, err := rv.c.DecideAppeal(ctx, cp.Current.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	cp.Reload()
	cp.Wait()
	if !strings.Contains(cp.Appeals.Text, "已通过") || !strings.Contains(cp.Appeals.Text, "继续签署") {
		t.Fatalf("my appeals: %q", cp.Appeals.Text)
	}
	// C, now 主管理员, hands A's items to B and disables A.
	sc2, _ := billingShell(t, pc, ent)
	hp := newAdminPanel(sc2)
	hp.Reload()
	hp.Wait()
	if !strings.Contains(hp.Owner.Text, "王申诉") {
		t.Fatalf("owner %q", hp.Owner.Text)
	}
	for _, o := range hp.From.Options {
		if strings.HasPrefix(o, "张管理") {
			hp.From.SetSelected(o)
		}
	}
	for _, o := range hp.To.Options {
		if strings.HasPrefix(o, "李成员") {
			hp.To.SetSelected(o)
		}
	}
	test.Tap(hp.HandOverBtn)
	hp.Wait()
	if !strings.Contains(hp.HandOverMsg.Text, "转交给") {
		t.Fatalf("handover: %q", hp.HandOverMsg.Text)
	}
	ms, _ := pc.c.Members(ctx, ent, "", 100)
	for _, m := range ms {
		if m.Name == "张管理" && !m.Disabled {
			t.Fatal("A not disabled")
		}
	}
}
