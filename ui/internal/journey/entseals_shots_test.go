package journey

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"regexp"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/entseal"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/ui"
)

// shotConn is a ui.Connection to the test server as one person, working in one enterprise.
type shotConn struct {
	c   *client.Client
	ent string
	mu  stdsync.Mutex
}

func (c *shotConn) Client() *client.Client { return c.c }
func (c *shotConn) Context() string        { return c.ent }
func (c *shotConn) Subscribe(func()) func() {
	return func() {}
}

var shotCodeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

func shotPerson(t *testing.T, run *server.Running, name string) (*client.Client, string, string) {
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	login := fmt.Sprintf("136%08d", time.Now().UnixNano()%1e8)
	if err := c.SendCode(context.Background(), login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	code := ""
	for _, m := range run.Server.Outbox().Messages() {
		if s := shotCodeRE.FindStringSubmatch(m.Body); s != nil && m.To == login {
			code = s[1]
		}
	}
	if _, err := c.Register(context.Background(), org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: code, Name: name, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c, me.ID, login
}

func ringPNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 240, 240))
	for x := 0; x < 240; x++ {
		for y := 0; y < 240; y++ {
			d := (x-120)*(x-120) + (y-120)*(y-120)
			if (d < 14400 && d > 12100) || (d < 900) {
				img.Set(x, y, color.NRGBA{210, 20, 20, 255})
			}
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// selectTabText selects, in every AppTabs shown, the tab whose text is text.
func selectTabText(text string) {
	fyne.DoAndWait(func() {
		walk(win.Content(), func(o fyne.CanvasObject) {
			if tabs, ok := o.(*container.AppTabs); ok {
				for i, it := range tabs.Items {
					if it.Text == text || strings.HasPrefix(it.Text, text+"（") || strings.HasPrefix(it.Text, text+" (") {
						tabs.SelectIndex(i)
					}
				}
			}
		})
	})
}

// TestShotsEnterpriseSeals writes 签章管理 › 企业印章 (the list, the application inbox, the usage
// log, the grants dialog) as an admin sees them, against a real server on loopback, in Chinese and
// English at 1366×768 and 1024×640, into $SEALDESK_SHOTS. Without it the test skips.
func TestShotsEnterpriseSeals(t *testing.T) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		t.Skip("set SEALDESK_SHOTS=DIR to write screen pictures")
	}
	ctx := context.Background()
	run, st := shotServer(t, server.Options{}, true)
	admin, _, _ := shotPerson(t, run, "王管理")
	bc, bID, bLogin := shotPerson(t, run, "李乙")
	ent := shotEnterprise(t, admin, "杭州示例科技有限公司", "91330106MA27XY012")
	shotMember(t, st, ent.ID, bID, "李乙", bLogin, org.RoleMember)
	var seals []api.Seal
	for _, s := range []struct{ name, kind string }{{"合同专用章", api.SealContract}, {"财务专用章", api.SealFinance}, {"公章", api.SealOfficial}} {
		seal, err := admin.CreateSeal(ctx, ent.ID, api.SealCreateRequest{Name: s.name, Kind: s.kind, WidthMM: 42, HeightMM: 42, Image: ringPNG()})
		if err != nil {
			t.Fatal(err)
		}
		seals = append(seals, seal)
	}
	adminMe, _ := admin.Me(ctx)
	if _, err := admin.GrantSeal(ctx, ent.ID, seals[0].ID, api.SealGrantRequest{MemberID: adminMe.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.GrantSeal(ctx, ent.ID, seals[0].ID, api.SealGrantRequest{MemberID: bID, NotAfter: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.ApplySeal(ctx, ent.ID, seals[1].ID, api.SealApplyRequest{Reason: "支付供应商货款", NotAfter: time.Now().Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DiscardSeal(ctx, ent.ID, seals[2].ID); err != nil {
		t.Fatal(err)
	}
	// Two uses for the log.
	for i := 0; i < 2; i++ {
		tk, err := bc.SealCode(ctx, ent.ID, seals[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		code := ""
		for _, m := range run.Server.Outbox().Messages() {
			if s := regexp.MustCompile(`用印验证码是 ([0-9]{6})`).FindStringSubmatch(m.Body); s != nil && m.To == bLogin {
				code = s[1]
			}
		}
		d := make([]byte, 32)
		rand.Read(d)
		// The server's own signing (as on a contract it prepared) makes the log's lines: the
		// picture needs contract numbers, not real contracts.
		if _, _, err := run.Server.Seals().Sign(ctx, entseal.SignInput{EnterpriseID: ent.ID, SealID: seals[0].ID, Actor: bID,
			IdempotencyKey: client.NewIdempotencyKey(), ServerPrepared: true, Request: api.SealSignRequest{Digest: d, CodeID: tk.CodeID, Code: code,
				DocumentSHA256: fmt.Sprintf("%x", d), ContractID: fmt.Sprintf("HT-2026-%03d", i+7), Device: "SealDesk@财务部-PC"}}); err != nil {
			t.Fatal(err)
		}
	}

	// An old desktop's digest, declared for a contract: refused, and a line of the log says so.
	{
		tk, err := bc.SealCode(ctx, ent.ID, seals[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		d := make([]byte, 32)
		rand.Read(d)
		_, _, err = bc.SealSign(ctx, ent.ID, seals[0].ID, client.NewIdempotencyKey(), api.SealSignRequest{Digest: d, CodeID: tk.CodeID, Code: "000000",
			DocumentSHA256: fmt.Sprintf("%x", d), ContractID: "HT-2026-009", Device: "SealDesk@销售部-PC"})
		if !client.IsCode(err, "unbound_digest") {
			t.Fatalf("an old client's digest: %v", err)
		}
	}

	conn := &shotConn{c: admin, ent: ent.ID}
	var s2 *ui.Shell
	build := func(lang string) {
		fyne.DoAndWait(func() {
			ui.SetLanguage(lang)
			s2 = ui.NewShell(fyne.CurrentApp(), win, ui.Services{Settings: &memSettings{dir: t.TempDir(), lang: lang}, Local: local, Conn: conn})
			win.SetContent(s2.Content())
			s2.Show(ui.NavSeals)
		})
	}
	defer fyne.DoAndWait(func() {
		ui.SetLanguage(ui.LangChinese)
		shell.Rebuild()
		win.SetContent(shell.Content())
		win.Resize(fyne.NewSize(1200, 720))
	})
	for _, lang := range []string{ui.LangChinese, ui.LangEnglish} {
		build(lang)
		selectTabText(tabText(lang, "企业印章", "Enterprise seals"))
		// Wait for the list from the server.
		for t0 := time.Now(); time.Since(t0) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
			if find(false, labelPrefix("合同专用章")) != nil {
				break
			}
		}
		for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}} {
			fyne.DoAndWait(func() { win.Resize(size) })
			sfx := fmt.Sprintf("-%s-%dx%d", lang, int(size.Width), int(size.Height))
			selectTabText(tabText(lang, "印章列表", "Seals"))
			shot(t, "entseals-list"+sfx)
			selectTabText(tabText(lang, "用印申请", "Applications"))
			shot(t, "entseals-apps"+sfx)
			selectTabText(tabText(lang, "用印记录", "Usage log"))
			if b, ok := find(false, button(tabText(lang, "查询", "Search"))).(*widget.Button); ok {
				fyne.DoAndWait(b.OnTapped)
				time.Sleep(time.Second)
			}
			shot(t, "entseals-uses"+sfx)
			selectTabText(tabText(lang, "印章列表", "Seals"))
			if b, ok := find(false, button(tabText(lang, "授权管理", "Grants"))).(*widget.Button); ok {
				fyne.DoAndWait(b.OnTapped)
				for t0 := time.Now(); time.Since(t0) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
					if find(true, labelPrefix("王管理")) != nil {
						break
					}
				}
				shot(t, "entseals-grants"+sfx)
				fyne.DoAndWait(func() {
					if o := win.Canvas().Overlays().Top(); o != nil {
						win.Canvas().Overlays().Remove(o)
					}
				})
			}
			// 本机签署: the seal box offers the enterprise seal the admin may use.
			fyne.DoAndWait(func() { s2.Show(ui.NavSend) })
			selectTabText(tabText(lang, "本机签署", "Sign on this computer"))
			for t0 := time.Now(); time.Since(t0) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
				sel, _ := find(false, func(o fyne.CanvasObject) bool {
					x, ok := o.(*widget.Select)
					return ok && strings.Contains(strings.Join(x.Options, "|"), "合同专用章")
				}).(*widget.Select)
				if sel != nil {
					fyne.DoAndWait(func() {
						for i, o := range sel.Options {
							if strings.Contains(o, "合同专用章") {
								sel.SetSelectedIndex(i)
							}
						}
					})
					break
				}
			}
			shot(t, "entseals-signhere"+sfx)
			fyne.DoAndWait(func() { s2.Show(ui.NavSeals) })
		}
	}
}

func tabText(lang, zh, en string) string {
	if lang == ui.LangEnglish {
		return en
	}
	return zh
}
