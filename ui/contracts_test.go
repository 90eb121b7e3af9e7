package ui

import (
	"context"
	"fmt"
	"os"
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

// waitFor polls cond (on the test goroutine) until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for t0 := time.Now(); time.Since(t0) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		if cond() {
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
	run := contractsServer(t)
	pa, pb := newTestParty(t, run, "张三"), newTestParty(t, run, "李四")
	sa, _ := newPartyShell(t, pa)
	sb, _ := newPartyShell(t, pb)
	sb.Show(NavDocuments)
	db := documentsOf(sb)
	db.Contracts.wg.Wait()
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
	v.place.wg.Wait()
	v.place.pv.Wait()
	v.place.addOnCurrentPage(boxSign)
	v.place.addOnCurrentPage(boxDate)
	start := time.Now()
	test.Tap(v.sendBtn)
	v.wg.Wait()
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
	db.Contracts.wg.Wait()
	row := db.Contracts.rows[0]
	if row.Summary.Subject != "年度采购合同" || row.Sign == nil || db.Contracts.counts[api.BoxToSign] != 1 {
		t.Fatalf("B's row %+v counts %v", row.Summary, db.Contracts.counts)
	}
	if got := db.Contracts.boxBtns[api.BoxToSign].Text; got != "待我签 (1)" {
		t.Errorf("box button %q", got)
	}
	test.Tap(row.Row)
	db.Contracts.wg.Wait()
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
	da.Contracts.wg.Wait()
	if len(da.Contracts.rows) != 1 || da.Contracts.counts[api.BoxWaiting] != 1 || da.Contracts.rows[0].Sign != nil {
		t.Fatalf("A's 待他人签: %d rows, counts %v", len(da.Contracts.rows), da.Contracts.counts)
	}
	for q, want := range map[string]int{"李四": 1, "采购": 1, "王五": 0} {
		da.Contracts.search.SetText(q)
		test.Tap(da.Contracts.searchBtn)
		da.Contracts.wg.Wait()
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
	p.wg.Wait()
	var sizes []int
	for {
		sizes = append(sizes, len(p.rows))
		if p.next.Disabled() {
			break
		}
		test.Tap(p.next)
		p.wg.Wait()
	}
	if fmt.Sprint(sizes) != "[20 20 5]" || p.page.Text != "第 3 页" || p.counts[api.BoxToSign] != 45 {
		t.Fatalf("pages %v, %q, counts %v", sizes, p.page.Text, p.counts)
	}
	test.Tap(p.prev)
	p.wg.Wait()
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
