package ui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/server"
	"sealdesk/store/bolt"
	"sealdesk/ui/internal/servertest"
)

// The contract screens against a real server (ui/internal/servertest): server.Start on a
// temporary bolt file with --dev providers on loopback, and logged-in core/client clients as each
// desktop's Connection.

// testParty is one person with an account on the server and the desktop's local services with
// the device key (PIN servertest.PIN) the server certified.
type testParty struct {
	*servertest.Party
	name, phone string
	c           *client.Client
	local       *LocalServices
}

const testPIN = servertest.PIN

// contractsServer runs a --dev server on a temporary bolt file.
func contractsServer(t *testing.T) *server.Running {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Start(t, st).Run
}

// billedServer is contractsServer billing contracts (a send needs quota).
func billedServer(t *testing.T) *server.Running {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.StartBilled(t, st).Run
}

func newTestParty(t *testing.T, run *server.Running, name string) *testParty {
	p := (&servertest.Server{Run: run}).Party(t, name)
	lib := &memLibrary{items: []LibraryItem{{ID: "1", Kind: ItemSignatureDraw, Name: name + "的签名", PNG: drawnSignature(t).PNG}}}
	return &testParty{Party: p, name: name, phone: p.Phone, c: p.Client,
		local: &LocalServices{Prefs: &memPrefs{}, Keys: p.Keys, Library: lib}}
}

// testConn is a Connection to a test server as one party, in a context (billing_test.go).
type testConn struct {
	mu  stdsync.Mutex
	c   *client.Client
	ctx string
	fns map[int]func()
	n   int
}

func (c *testConn) Client() *client.Client {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.c
}
func (c *testConn) Context() string { return c.ctx }
func (c *testConn) Subscribe(fn func()) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fns == nil {
		c.fns = map[int]func(){}
	}
	c.n++
	id := c.n
	c.fns[id] = fn
	return func() {
		c.mu.Lock()
		delete(c.fns, id)
		c.mu.Unlock()
	}
}

// newPartyShell builds a desktop of p on the test driver: its own data folder, its own
// Connection.
func newPartyShell(t *testing.T, p *testParty) (*Shell, fyne.Window) {
	t.Helper()
	a := fyne.CurrentApp()
	if a == nil || a.Driver() == nil {
		t.Fatal("no test app")
	}
	w := test.NewTempWindow(t, nil)
	s := NewShell(a, w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{},
		Local: p.local, Conn: p.Conn})
	t.Cleanup(s.StopWatching)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1200, 860))
	return s, w
}

func newContractsApp(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond (on the test goroutine) until it holds or 30 s pass (a loaded CI machine
// takes seconds for a server round trip).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for t0 := time.Now(); time.Since(t0) < 30*time.Second; time.Sleep(20 * time.Millisecond) {
		if lookLocked(cond) {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func documentsOf(s *Shell) *DocumentsScreen { return s.Screen(NavDocuments).(*DocumentsScreen) }
func composeOf(s *Shell) *composeScreen     { return s.Screen(NavSend).(*sendScreen).compose }

// fillEnvelope prepares a contract to B in A's editor: a 2-page PDF, subject, B as a person.
func fillEnvelope(t *testing.T, v *composeScreen, subject string, to *testParty) {
	t.Helper()
	v.addFilesAndWait(writeTestPDF(t, "采购合同.pdf", a4Pages(2)))
	v.subject.SetText(subject)
	test.Tap(v.addPerson)
	c := v.cards[len(v.cards)-1]
	test.Type(c.name, to.name)
	test.Type(c.contact, to.phone)
}

// TestContractsSendAndList: A sends a contract with a signature box for B from 发起签署; A's
// 文件 shows it under 待他人签 with its count, B's under 待我签 (long-poll: no reload asked);
// B's detail shows both parties' states, the timeline, and 签署 for B; search finds it by
// subject and by B's name; 首页 shows the counts.
func TestContractsSendAndList(t *testing.T) {
	newContractsApp(t)
	run := billedServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	sa, _ := newPartyShell(t, pa)
	sb, _ := newPartyShell(t, pb)
	sb.Show(NavDocuments)
	db := documentsOf(sb)
	workers.drain(&db.Contracts.wg)
	if !db.signedIn || db.Contracts.counts[api.BoxToSign] != 0 || !db.Contracts.empty.Visible() {
		t.Fatalf("B's 文件 before: signed in %v, counts %v", db.signedIn, db.Contracts.counts)
	}
	if !strings.Contains(db.Contracts.emptyText.Text, "没有待您签署的文件") {
		t.Errorf("empty 待我签 says %q", db.Contracts.emptyText.Text)
	}

	sa.Show(NavSend)
	v := composeOf(sa)
	fillEnvelope(t, v, "年度采购合同", pb)
	test.Tap(v.placeBtn)
	workers.drain(&v.place.wg)
	v.place.pv.Wait()
	v.place.addOnCurrentPage(boxSign)
	v.place.addOnCurrentPage(boxDate)
	// no quota yet: the manual's words, the draft kept
	test.Tap(v.sendBtn)
	workers.drain(&v.wg)
	if v.msg.Text != "没有发送：余额不足，请先联系企业管理员进行充值（草稿仍在，可以修改后再发送）" || len(v.draft.Files) != 1 {
		t.Fatalf("without quota: %q, %d files", v.msg.Text, len(v.draft.Files))
	}
	pa.Fund(t, 1)
	start := time.Now()
	test.Tap(v.sendBtn)
	workers.drain(&v.wg)
	if !strings.Contains(v.msg.Text, "“年度采购合同”已发送") {
		t.Fatalf("send: %q", v.msg.Text)
	}
	if len(v.draft.Files) != 0 || v.subject.Text != "" {
		t.Error("the editor did not start afresh after sending")
	}
	if rc := v.store.RecentContacts(); len(rc) != 1 || rc[0].Contact != pb.phone {
		t.Errorf("recent contacts %+v", rc)
	}

	// B's 待我签 follows by itself (long poll on the account's scope)
	waitFor(t, "B's 待我签", func() bool {
		var n int
		fyne.DoAndWait(func() { n = len(db.Contracts.rows) })
		return n == 1
	})
	t.Logf("B's 待我签 showed it %v after 发送 was tapped", time.Since(start))
	workers.drain(&db.Contracts.wg)
	row := db.Contracts.rows[0]
	if row.Summary.Subject != "年度采购合同" || row.Sign == nil || db.Contracts.counts[api.BoxToSign] != 1 {
		t.Fatalf("B's row %+v counts %v", row.Summary, db.Contracts.counts)
	}
	if got := db.Contracts.boxBtns[api.BoxToSign].Text; got != "待我签 (1)" {
		t.Errorf("box button %q", got)
	}
	test.Tap(row.Row)
	workers.drain(&db.Contracts.wg)
	d := db.Contracts.detail
	if d == nil {
		t.Fatalf("no detail: %q", db.Contracts.status.Text)
	}
	var people []string
	for _, l := range d.Recipients {
		people = append(people, l.Text)
	}
	if len(people) != 1 || !strings.Contains(people[0], "李四（个人）（我）") || !strings.Contains(people[0], "待签署") {
		t.Errorf("recipients %q", people)
	}
	if len(d.Steps) == 0 || !strings.Contains(d.Steps[0].Text, "发送了合同") {
		t.Errorf("timeline %v", d.Steps)
	}
	if !d.signBtn.Visible() {
		t.Error("no 签署 for B")
	}

	// A: 待他人签 with its count; search by B's name and by subject; nothing for a stranger
	sa.Show(NavDocuments)
	da := documentsOf(sa)
	da.Contracts.showBox(api.BoxWaiting)
	workers.drain(&da.Contracts.wg)
	if len(da.Contracts.rows) != 1 || da.Contracts.counts[api.BoxWaiting] != 1 || da.Contracts.rows[0].Sign != nil {
		t.Fatalf("A's 待他人签: %d rows, counts %v", len(da.Contracts.rows), da.Contracts.counts)
	}
	for q, want := range map[string]int{"李四": 1, "采购": 1, "王五": 0} {
		da.Contracts.search.SetText(q)
		test.Tap(da.Contracts.searchBtn)
		workers.drain(&da.Contracts.wg)
		if len(da.Contracts.rows) != want {
			t.Errorf("search %q: %d rows, want %d", q, len(da.Contracts.rows), want)
		}
	}
	if !strings.Contains(da.Contracts.emptyText.Text, "没有找到与“王五”相符的文件") {
		t.Errorf("empty search says %q", da.Contracts.emptyText.Text)
	}
	// 首页's 签署统计
	sb.Show(NavHome)
	h := sb.Screen(NavHome).(*HomeScreen)
	waitFor(t, "B's home counts", func() bool {
		var s string
		fyne.DoAndWait(func() { s = h.CountBtns[api.BoxToSign].Text })
		return s == "待我签  1"
	})
	if !h.Counts.Visible() {
		t.Error("counts hidden")
	}
}

// TestContractsPaging: 45 contracts make three pages of 20, 20 and 5 with 上一页/下一页.
func TestContractsPaging(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	ctx := context.Background()
	refs, err := pa.c.UploadFiles(ctx, []client.NamedFile{{Name: "合同.pdf", Data: pdfFileBytes(t)}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 45; i++ {
		_, err := pa.c.SendEnvelope(ctx, client.NewIdempotencyKey(), api.EnvelopeRequest{Subject: fmt.Sprintf("合同%02d", i),
			Order: api.OrderSequential, Files: refs, Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: pb.name, Phone: pb.phone}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	sb, _ := newPartyShell(t, pb)
	sb.Show(NavDocuments)
	p := documentsOf(sb).Contracts
	workers.drain(&p.wg)
	var sizes []int
	for {
		sizes = append(sizes, len(p.rows))
		if p.next.Disabled() {
			break
		}
		test.Tap(p.next)
		workers.drain(&p.wg)
	}
	if fmt.Sprint(sizes) != "[20 20 5]" || p.page.Text != "第 3 页" || p.counts[api.BoxToSign] != 45 {
		t.Fatalf("pages %v, %q, counts %v", sizes, p.page.Text, p.counts)
	}
	test.Tap(p.prev)
	workers.drain(&p.wg)
	if len(p.rows) != 20 || p.page.Text != "第 2 页" || p.rows[0].Summary.Subject != "合同24" {
		t.Errorf("back: %d rows, %q, first %q", len(p.rows), p.page.Text, p.rows[0].Summary.Subject)
	}
}

func pdfFileBytes(t *testing.T) []byte {
	b, err := os.ReadFile(writeTestPDF(t, "p.pdf", a4Pages(1)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sendTo sends a contract from a's editor to b with a signature box and a date box for b on the
// first page; it returns a's shell.
func sendTo(t *testing.T, sa *Shell, subject string, b *testParty) {
	t.Helper()
	sa.Show(NavSend)
	v := composeOf(sa)
	fillEnvelope(t, v, subject, b)
	test.Tap(v.placeBtn)
	workers.drain(&v.place.wg)
	v.place.pv.Wait()
	v.place.addOnCurrentPage(boxSign)
	v.place.addOnCurrentPage(boxDate)
	test.Tap(v.sendBtn)
	workers.drain(&v.wg)
	if !strings.Contains(v.msg.Text, "已发送") {
		t.Fatalf("send: %q", v.msg.Text)
	}
}

// openToSign shows b's 待我签 and opens the signing view of its first contract.
func openToSign(t *testing.T, sb *Shell) *contractSigner {
	t.Helper()
	sb.Show(NavDocuments)
	p := documentsOf(sb).Contracts
	p.showBox(api.BoxToSign)
	workers.drain(&p.wg)
	if len(p.rows) == 0 || p.rows[0].Sign == nil {
		t.Fatalf("nothing to sign: %q", p.status.Text)
	}
	test.Tap(p.rows[0].Sign)
	workers.drain(&p.wg)
	v := p.signer
	if v == nil {
		t.Fatalf("no signing view: %q", p.status.Text)
	}
	workers.drain(&v.sign.wg)
	v.sign.pv.Wait()
	workers.drain(&v.sign.wg)
	return v
}

// TestContractsSignAndComplete: B opens the contract from 待我签; the counter says 0/2; 点击开始签署
// selects B's own box (A's boxes cannot be chosen); 立即提交 signs both boxes with the device key
// and uploads; the server completes the contract; B's detail says 签署成功 and 已完成, A's 文件
// follows to 已完成 by itself, and the final PDF A downloads holds B's signatures and the
// document timestamp (pdfsig).
func TestContractsSignAndComplete(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	sa, _ := newPartyShell(t, pa)
	sb, _ := newPartyShell(t, pb)
	sendTo(t, sa, "设备采购合同", pb)

	v := openToSign(t, sb)
	if v.counter.Text != "签章 0/2" {
		t.Errorf("counter %q", v.counter.Text)
	}
	test.Tap(v.startBtn)
	if v.sign.selected == nil || !strings.HasPrefix(v.sign.selected.field, "R1.") {
		t.Fatalf("点击开始签署 selected %+v", v.sign.selected)
	}
	first := v.sign.selected
	test.Tap(v.startBtn)
	if v.sign.selected == first {
		t.Error("点击开始签署 did not move on to the next field")
	}
	// 立即提交 without an image says so and signs nothing
	v.sign.image.ClearSelected()
	test.Tap(v.submitBtn)
	if !strings.Contains(v.sign.status.Text, "请先在右边选择您的签名或印章") {
		t.Errorf("no image: %q", v.sign.status.Text)
	}
	v.sign.image.SetSelectedIndex(0)
	// a wrong PIN: refused, nothing uploaded
	v.Submit("000000")
	workers.drain(&v.sign.wg)
	if !strings.Contains(v.sign.status.Text, "签署没有完成") {
		t.Fatalf("wrong PIN: %q", v.sign.status.Text)
	}
	v.Submit(testPIN)
	workers.drain(&v.sign.wg)
	p := documentsOf(sb).Contracts
	d := p.detail
	if d == nil || p.body.Objects[0] != d.root {
		t.Fatalf("after 立即提交: %q", v.sign.status.Text)
	}
	if !d.msg.Visible() || d.msg.Text != "签署成功。" || d.env.Status != api.EnvelopeCompleted {
		t.Fatalf("detail says %q, status %s", d.msg.Text, d.env.Status)
	}
	if !strings.Contains(d.Recipients[0].Text, "已签署") {
		t.Errorf("B's state %q", d.Recipients[0].Text)
	}

	// A's 文件 follows (long poll) to 已完成
	sa.Show(NavDocuments)
	da := documentsOf(sa).Contracts
	waitFor(t, "A's 已完成", func() bool {
		var n int
		fyne.DoAndWait(func() { n = da.counts[api.BoxCompleted] })
		return n == 1
	})
	da.showBox(api.BoxCompleted)
	workers.drain(&da.wg)
	test.Tap(da.rows[0].Row)
	workers.drain(&da.wg)
	ad := da.detail
	if !ad.reportBtn.Visible() || ad.Downloads[0].Text != "下载最终文件…" {
		t.Fatalf("A's completed detail: report %v, download %q", ad.reportBtn.Visible(), ad.Downloads[0].Text)
	}
	out := filepath.Join(t.TempDir(), "final.pdf")
	ad.fetchTo(out, func(ctx context.Context, c *client.Client) ([]byte, error) {
		return c.EnvelopeDocument(ctx, ad.env.ID, 0, client.VersionFinal)
	})
	workers.drain(&da.wg)
	if !strings.Contains(ad.msg.Text, "已保存") {
		t.Fatalf("download: %q", ad.msg.Text)
	}
	report := filepath.Join(t.TempDir(), "report.pdf")
	ad.fetchTo(report, func(ctx context.Context, c *client.Client) ([]byte, error) { return c.EnvelopeReport(ctx, ad.env.ID) })
	workers.drain(&da.wg)
	if b, err := os.ReadFile(report); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("签署报告: %v %q", err, ad.msg.Text)
	}
	// the server's, B's signature and date box valid; the document timestamp last (pdfsig lists
	// it without validating it)
	if pout := pdfsigCheck(t, out, 3); !strings.Contains(pout, "DocTimestamp") {
		t.Errorf("no document timestamp in the final PDF:\n%s", pout)
	}
}

// pdfsigCheck runs poppler's pdfsig on path, wants at least n signatures it says are valid and
// returns its output.
func pdfsigCheck(t *testing.T, path string, n int) string {
	t.Helper()
	if _, err := exec.LookPath("pdfsig"); err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("pdfsig is required in CI")
		}
		t.Skip("pdfsig not installed: the final PDF was not checked")
		return ""
	}
	out, _ := exec.Command("pdfsig", path).CombinedOutput()
	got := strings.Count(string(out), "Signature Validation: Signature is Valid.")
	if got < n {
		t.Fatalf("pdfsig: %d valid signatures, want %d:\n%s", got, n, out)
	}
	return string(out)
}

// TestContractsDeclineAndWithdraw: B declines with a reason (the contract is 已拒签 for both);
// A withdraws a second contract with a reason, and B, who had it open, is refused in Chinese
// when submitting; an empty reason is refused naming the field.
func TestContractsDeclineAndWithdraw(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	sa, wa := newPartyShell(t, pa)
	sb, wb := newPartyShell(t, pb)
	sendTo(t, sa, "租赁合同", pb)

	v := openToSign(t, sb)
	test.Tap(v.declineBtn)
	p := documentsOf(sb).Contracts
	e := p.reasonEntry
	if e == nil {
		t.Fatal("no reason dialog")
	}
	if err := e.Validator(""); err == nil || err.Error() != "请填写原因。" {
		t.Errorf("empty reason: %v", err)
	}
	test.Type(e, "价格条款需要重新商定")
	test.Tap(overlayButton(t, wb, "拒签"))
	waitFor(t, "the decline", func() bool {
		var ok bool
		fyne.DoAndWait(func() { ok = p.detail != nil && p.detail.env.Status == api.EnvelopeDeclined })
		return ok
	})
	if !strings.Contains(p.detail.Recipients[0].Text, "价格条款需要重新商定") {
		t.Errorf("B's state %q", p.detail.Recipients[0].Text)
	}
	sa.Show(NavDocuments)
	da := documentsOf(sa).Contracts
	waitFor(t, "A's 已拒签", func() bool {
		var n int
		fyne.DoAndWait(func() { n = da.counts[api.BoxDeclined] })
		return n == 1
	})

	// a second contract: B opens it, A withdraws it, B's 立即提交 is refused
	sendTo(t, sa, "补充协议", pb)
	v = openToSign(t, sb)
	v.sign.image.SetSelectedIndex(0)
	sa.Show(NavDocuments)
	da.showBox(api.BoxWaiting)
	workers.drain(&da.wg)
	test.Tap(da.rows[0].Row)
	workers.drain(&da.wg)
	test.Tap(da.detail.withdrawBtn)
	test.Type(da.reasonEntry, "合同金额有误")
	test.Tap(overlayButton(t, wa, "撤回"))
	waitFor(t, "the withdrawal", func() bool {
		var ok bool
		fyne.DoAndWait(func() { ok = da.detail != nil && da.detail.env.Status == api.EnvelopeWithdrawn })
		return ok
	})
	v.Submit(testPIN)
	workers.drain(&v.sign.wg)
	if !strings.Contains(v.sign.status.Text, "签署没有完成") || p.body.Objects[0] != v.root {
		t.Fatalf("signing a withdrawn contract: %q", v.sign.status.Text)
	}
	t.Logf("signing a withdrawn contract says: %s", v.sign.status.Text)
	if v.counter.Text != "签章 0/2" {
		t.Errorf("counter after the refusal %q", v.counter.Text)
	}
}
