package ui

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/session"
	"sealdesk/core/sync"
	"sealdesk/store/desktop"
)

// projConn is a Connection whose 快捷入口 counters come from a real local projection: the
// party's events pulled from the server into a desktop bbolt file and counted there, as
// core/session.Manager does for the desktop.
type projConn struct {
	*testConn
	st   *desktop.Store
	m    *session.Manager
	acct string
}

func newProjConn(t *testing.T, p *testParty, ent string) *projConn {
	st, err := desktop.Open(filepath.Join(t.TempDir(), "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := session.New(session.Options{Store: st.Sync()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	me, err := p.c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &projConn{testConn: &testConn{c: p.c, ctx: ent}, st: st, m: m, acct: me.ID}
}

func (pc *projConn) ContractCounts(ctx context.Context) (session.ContractCounts, error) {
	if _, err := pc.m.Puller(pc.c.PullFunc(1000)).Sync(ctx, org.Scope(pc.acct)); err != nil {
		return session.ContractCounts{}, err
	}
	var c session.ContractCounts
	err := pc.st.Sync().View(ctx, func(tx sync.Tx) (err error) {
		c, err = session.CountContracts(tx, pc.acct, time.Now())
		return err
	})
	return c, err
}

func homeShell(t *testing.T, p *testParty, conn Connection) (*Shell, *HomeScreen) {
	t.Helper()
	w := test.NewTempWindow(t, nil)
	s := NewShell(fyne.CurrentApp(), w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{},
		Local: p.local, Conn: conn})
	t.Cleanup(s.StopWatching)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1366, 768))
	h := s.Screen(NavHome).(*HomeScreen)
	h.Wait()
	return s, h
}

// TestHomeDashboard: 首页 against a real server — the 快捷入口 counters from the local projection
// (即将截止 / 即将过期 from the deadlines), the member count, the monthly report's bars for this
// month, its CSV and PNG exports written through the save dialog, and a counter that opens 文件 on
// its box; an account without contracts sees one sentence and one primary button.
func TestHomeDashboard(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	a, b := newTestParty(t, run, "王菲菲"), newTestParty(t, run, "李四")
	ent := newEnterprise(t, a, "上海首页测试有限公司", "91310000MA1FL0H01")
	ctx := context.Background()

	// B has nothing yet: the invitation and its one primary button.
	_, hb := homeShell(t, b, newProjConn(t, b, ""))
	d := hb.Dash
	if !d.Box.Visible() || !d.EmptyInvite.Visible() || !d.empty.Visible() || d.filled.Visible() || d.Send.Visible() {
		t.Fatalf("empty home: invite %v filled %v send %v", d.EmptyInvite.Visible(), d.filled.Visible(), d.Send.Visible())
	}

	refs, err := a.c.UploadFiles(ctx, []client.NamedFile{{Name: "a.pdf", Data: pdfFileBytes(t)}})
	if err != nil {
		t.Fatal(err)
	}
	// A: no dates; B: signing deadline tomorrow (即将截止签约); C: deadline in 30 days, valid for
	// 40 (neither); D: valid until the day after tomorrow (即将过期).
	day := 24 * time.Hour
	for i, dates := range [][2]time.Duration{{0, 0}, {day, 0}, {30 * day, 40 * day}, {0, 2 * day}} {
		req := api.EnvelopeRequest{Subject: "首页合同" + string(rune('A'+i)), Files: refs, EnterpriseID: ent,
			Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: b.name, Phone: b.phone}}}
		if dates[0] > 0 {
			req.Deadline = time.Now().Add(dates[0])
		}
		if dates[1] > 0 {
			req.ValidUntil = time.Now().Add(dates[1])
		}
		if _, err := a.c.SendEnvelope(ctx, client.NewIdempotencyKey(), req); err != nil {
			t.Fatal(err)
		}
	}

	s, h := homeShell(t, a, newProjConn(t, a, ent))
	d = h.Dash
	want := map[string]int{QuickAll: 4, QuickToSign: 0, QuickDueSoon: 1, QuickWaiting: 4, QuickExpiring: 1, QuickApprovals: 0}
	for k, n := range want {
		if got := d.QuickCount(k); got != n {
			t.Errorf("%s: %d, want %d (%q)", k, got, n, d.Quick[k].Text)
		}
	}
	if !d.filled.Visible() || d.empty.Visible() || !d.Send.Visible() {
		t.Error("a home with contracts shows the invitation")
	}
	if d.Members.Text != "企业成员人数 1" {
		t.Errorf("members: %q", d.Members.Text)
	}
	last := d.Chart.Groups[len(d.Chart.Groups)-1]
	if len(d.Chart.Groups) != reportMonths || last.Values[0] != 4 || last.Values[1] != 0 {
		t.Errorf("chart: %+v", d.Chart.Groups)
	}
	// CSV through the save dialog (temporary file + rename).
	dir := t.TempDir()
	test.Tap(d.ExportCSV)
	d.LastSave.dir = dir
	d.LastSave.name.SetText("月报")
	test.Tap(d.LastSave.save)
	h.Wait()
	data, err := os.ReadFile(filepath.Join(dir, "月报.csv"))
	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	if err != nil || !bytes.HasPrefix(data, []byte("\ufeff月份,合同发送量,合同完成量\n")) || !strings.Contains(string(data), month+",4,0") {
		t.Errorf("csv %q %v", data, err)
	}
	if !strings.Contains(d.Msg.Text, "月报.csv") {
		t.Errorf("saved message %q", d.Msg.Text)
	}
	test.Tap(d.ExportPNG)
	d.LastSave.dir = dir
	d.LastSave.name.SetText("月报")
	test.Tap(d.LastSave.save)
	h.Wait()
	pngData, err := os.ReadFile(filepath.Join(dir, "月报.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil || img.Bounds().Dx() < 640 {
		t.Fatalf("png: %v %v", err, img.Bounds())
	}
	if !hasColor(img, 0x1f, 0x6f, 0xd1) {
		t.Error("the exported chart has no 发送量 bar")
	}
	// 需要他人签署 opens 文件 on 待他人签.
	test.Tap(d.Quick[QuickWaiting])
	if s.Current() != NavDocuments {
		t.Errorf("the counter showed %v", s.Current())
	}
	// 即将截止签约 and 即将过期 open the server's lists of the window, not a whole box.
	pane := documentsOf(s).Contracts
	subjects := func() string {
		var out []string
		for _, r := range pane.rows {
			out = append(out, r.Summary.Subject)
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct{ quick, want, when string }{
		{QuickDueSoon, "首页合同B", "截止 "}, {QuickExpiring, "首页合同D", "到期 "}, {QuickWaiting, "首页合同D,首页合同C,首页合同B,首页合同A", ""},
	} {
		s.Show(NavHome)
		test.Tap(d.Quick[tc.quick])
		waitFor(t, tc.quick+" list", func() bool { return s.Current() == NavDocuments && subjects() == tc.want })
		lookLocked(func() bool {
			if tc.when != "" && (!pane.quick.Visible() || !strings.Contains(pane.rows[0].State.Text, tc.when)) {
				t.Errorf("%s: heading shown %v %q, row %q", tc.quick, pane.quick.Visible(), pane.quick.Text, pane.rows[0].State.Text)
			}
			if tc.when == "" && pane.quick.Visible() {
				t.Errorf("%s: the quick heading stays over a box", tc.quick)
			}
			return true
		})
	}
}

func hasColor(img image.Image, r, g, b uint8) bool {
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == r && uint8(cg>>8) == g && uint8(cb>>8) == b {
				return true
			}
		}
	}
	return false
}
