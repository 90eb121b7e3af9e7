package journey

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/envelope"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/session"
	syncpkg "sealdesk/core/sync"
	desktopstore "sealdesk/store/desktop"
	"sealdesk/ui"
)

// homeConn is the Connection of the 首页 pictures, with the 快捷入口 counters read from a local
// projection (a desktop bbolt file the account's events are pulled into), as the desktop does.
type homeConn struct {
	billingConn
	st   *desktopstore.Store
	m    *session.Manager
	acct string
}

func (h *homeConn) ContractCounts(ctx context.Context) (session.ContractCounts, error) {
	if _, err := h.m.Puller(h.c.PullFunc(1000)).Sync(ctx, org.Scope(h.acct)); err != nil {
		return session.ContractCounts{}, err
	}
	var c session.ContractCounts
	err := h.st.Sync().View(ctx, func(tx syncpkg.Tx) (err error) {
		c, err = session.CountContracts(tx, h.acct, time.Now())
		return err
	})
	return c, err
}

func shotLogo(t *testing.T) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 300, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 300; x++ {
			c := color.NRGBA{255, 255, 255, 0}
			if (x-50)*(x-50)+(y-50)*(y-50) < 40*40 || (x > 110 && x < 290 && y > 35 && y < 65) {
				c = color.NRGBA{0xd1, 0x3b, 0x2f, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func register(t *testing.T, run *server.Running, phone, name string) *client.Client {
	ctx := context.Background()
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	var code string
	for _, m := range run.Server.Outbox().Messages() {
		if s := codeRE.FindStringSubmatch(m.Body); m.To == phone && s != nil {
			code = s[1]
		}
	}
	if _, err := c.Register(ctx, org.RegisterRequest{Login: phone, Code: code, Name: name, Password: "Passw0rdX",
		TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestShotsHome draws 首页 (快捷入口, quota, 最新签署文件, 签发量月度报表 with the enterprise LOGO),
// 设置 › 账户安全 and 企业 › 企业设置 in a real window against a real server, in Chinese and English
// at 1366×768 and 1024×640, into $SEALDESK_SHOTS. Without SEALDESK_SHOTS it skips.
func TestShotsHome(t *testing.T) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		t.Skip("set SEALDESK_SHOTS=DIR to write screen pictures")
	}
	ctx := context.Background()
	run, st := shotServer(t, server.Options{ContractsUnbilled: true}, false)
	c := register(t, run, "13912345678", "张三")
	other := register(t, run, "13987654321", "李四")
	e := shotEnterprise(t, c, "上海示例信息技术有限公司", "91310000MA1FL0007")
	if _, err := c.SetLogo(ctx, e.ID, shotLogo(t)); err != nil {
		t.Fatal(err)
	}
	mail := "legal@example.com"
	if _, err := c.UpdateConsoleSettings(ctx, e.ID, org.SettingsUpdate{NotifyEmail: &mail}); err != nil {
		t.Fatal(err)
	}
	// contracts in flight: three to 李四 (one due tomorrow), two from 李四 to 张三
	send := func(from *client.Client, ent, subject, phone, name string, deadline time.Time, more ...func(*api.EnvelopeRequest)) {
		refs, err := from.UploadFiles(ctx, []client.NamedFile{{Name: subject + ".png", Data: shotLogo(t)}}) // an image becomes a page
		if err != nil {
			t.Fatal(err)
		}
		req := api.EnvelopeRequest{Subject: subject, Files: refs, EnterpriseID: ent,
			Deadline: deadline, Recipients: []api.Recipient{{Kind: api.RecipientPerson, Name: name, Phone: phone}}}
		for _, f := range more {
			f(&req)
		}
		if _, err := from.SendEnvelope(ctx, client.NewIdempotencyKey(), req); err != nil {
			t.Fatal(err)
		}
	}
	send(c, e.ID, "年度采购合同", "13987654321", "李四", time.Now().Add(20*time.Hour))
	// valid for two more days (即将过期), with its 合同金额
	send(c, e.ID, "供应商框架协议", "13987654321", "李四", time.Time{}, func(r *api.EnvelopeRequest) {
		r.ValidUntil, r.Amount = time.Now().Add(50*time.Hour), 128_000_00
	})
	send(c, e.ID, "保密协议", "13987654321", "李四", time.Time{})
	send(other, "", "房屋租赁合同", "13912345678", "张三", time.Now().Add(30*time.Hour))
	send(other, "", "劳动合同（张三）", "13912345678", "张三", time.Time{})
	// earlier months of the report (the counters the send and completion transactions keep)
	now := time.Now()
	if err := st.Update(ctx, func(tx syncpkg.Tx) error {
		for m := 1; m <= 5; m++ {
			at := now.AddDate(0, -m, 0)
			for k := 0; k < 4+m*3%7; k++ {
				id := fmt.Sprintf("shot-%d-%d", m, k)
				if err := envelope.CountSent(tx, e.ID, id, at); err != nil {
					return err
				}
				if k%3 != 2 {
					if err := envelope.CountCompleted(tx, id, at.Add(48*time.Hour)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	ds, err := desktopstore.Open(filepath.Join(t.TempDir(), "desktop.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	m, err := session.New(session.Options{Store: ds.Sync()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	me, err := c.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn := &homeConn{billingConn: billingConn{c: c, ent: e.ID}, st: ds, m: m, acct: me.ID}

	a := fyne.CurrentApp()
	var w fyne.Window
	var sh *ui.Shell
	fyne.DoAndWait(func() {
		w = a.NewWindow("")
		sh = ui.NewShell(a, w, ui.Services{Settings: &memSettings{dir: t.TempDir(), lang: ui.LangChinese}, Version: "0.0.0", Local: local,
			Conn: conn})
		w.SetContent(sh.Content())
		w.Resize(fyne.NewSize(1366, 768))
		w.Show()
	})
	defer fyne.DoAndWait(func() { sh.StopWatching(); w.Close() })
	until := func(what string, cond func() bool) {
		t.Helper()
		for t0 := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			ok := false
			fyne.DoAndWait(func() { ok = cond() })
			if ok {
				return
			}
			if time.Since(t0) > 30*time.Second {
				t.Fatalf("waited for %s", what)
			}
		}
	}
	take := func(name string) {
		t.Helper()
		time.Sleep(400 * time.Millisecond)
		img, err := ui.CaptureWhenDrawn(w, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := ui.WritePNG(filepath.Join(dir, name+".png"), img); err != nil {
			t.Fatal(err)
		}
	}
	home := func() *ui.HomeScreen { return sh.Screen(ui.NavHome).(*ui.HomeScreen) }
	pngFile := filepath.Join(t.TempDir(), "设备清单.png")
	if err := os.WriteFile(pngFile, shotLogo(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{ui.LangChinese, ui.LangEnglish} {
		for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}} {
			suffix := "-" + lang + "-" + map[float32]string{1366: "1366x768", 1024: "1024x640"}[size.Width]
			fyne.DoAndWait(func() {
				ui.SetLanguage(lang)
				sh.Rebuild()
				w.Resize(size)
				sh.Show(ui.NavHome)
			})
			until("the home counters", func() bool {
				d := home().Dash
				return d.QuickCount(ui.QuickAll) == 5 && d.Logo.Visible() && len(d.Chart.Groups) == 6
			})
			take("home" + suffix)
			// 即将截止签约 and 即将过期 in 文件; the detail with 合同金额 and 合同到期日
			drv := sh.ContractDriver()
			if n := drv.ShowQuick(api.FilterDueSoon); n != 2 {
				t.Errorf("即将截止签约 lists %d", n)
			}
			take("quick-due" + suffix)
			if n := drv.ShowQuick(api.FilterExpiring); n != 1 {
				t.Errorf("即将过期 lists %d", n)
			}
			take("quick-expiring" + suffix)
			drv.OpenFirst()
			take("detail-amount" + suffix)
			// 发起签署 with 合同金额 and 合同到期日 filled in
			drv.Compose([]string{pngFile}, "设备采购合同", "李四", "13987654321")
			drv.SetAmount("12,345.6", time.Now().AddDate(1, 0, 0))
			take("compose-amount" + suffix)
			fyne.DoAndWait(func() { sh.Show(ui.NavSettings) })
			until("the account", func() bool {
				return len(sh.Screen(ui.NavSettings).(*ui.SettingsScreen).Account.Info.Text) > 20
			})
			take("account" + suffix)
			fyne.DoAndWait(func() { sh.Show(ui.NavEnterprise) })
			until("the enterprise tabs", func() bool {
				es := sh.Screen(ui.NavEnterprise).(*ui.EnterpriseScreen)
				return es.Tabs != nil && len(es.TabTitles()) > 6
			})
			until("the LOGO on 概况", func() bool {
				es := sh.Screen(ui.NavEnterprise).(*ui.EnterpriseScreen)
				return es.Logo.Visible()
			})
			take("enterprise-overview" + suffix)
			fyne.DoAndWait(func() {
				es := sh.Screen(ui.NavEnterprise).(*ui.EnterpriseScreen)
				es.Tabs.SelectIndex(len(es.Tabs.Items) - 1) // 企业设置 is the last tab
			})
			time.Sleep(time.Second)
			take("console" + suffix)
		}
	}
}
