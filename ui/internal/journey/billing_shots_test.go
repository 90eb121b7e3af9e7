package journey

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/billing"
	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	syncpkg "sealdesk/core/sync"
	"sealdesk/ui"
)

// billingConn is the Connection of the 费用中心 pictures: one signed-in client in an enterprise.
type billingConn struct {
	c   *client.Client
	ent string
}

func (b *billingConn) Client() *client.Client           { return b.c }
func (b *billingConn) Context() string                  { return b.ent }
func (b *billingConn) Subscribe(func()) (cancel func()) { return func() {} }

var codeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

// TestShotsBilling draws 费用中心 in a real window against a real server on loopback: 套餐购买
// right after a dev-provider payment (the QR code and 支付成功), 费用明细 with lines of both
// channels, and 开票, in Chinese and English at 1366×768 and 1024×640, into $SEALDESK_SHOTS.
// Without SEALDESK_SHOTS it skips.
func TestShotsBilling(t *testing.T) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		t.Skip("set SEALDESK_SHOTS=DIR to write screen pictures")
	}
	ctx := context.Background()
	run, st := shotServer(t, server.Options{}, false)
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	phone := "13912345678"
	if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	var code string
	for _, m := range run.Server.Outbox().Messages() {
		if s := codeRE.FindStringSubmatch(m.Body); m.To == phone && s != nil {
			code = s[1]
		}
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: phone, Code: code, Name: "张三", Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	e := shotEnterprise(t, c, "上海示例信息技术有限公司", "91310000MA1FL0005")
	// A paid package, a few contracts charged (both channels), one open, and one invoice.
	if _, err := c.Buy(ctx, "shots-1", billing.OrderRequest{Owner: billing.Enterprise(e.ID), Package: "ent-100", Provider: "dev"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i, x := range []struct {
		subject string
		ch      billing.Channel
		docs    int
		charge  bool
	}{{"年度采购合同", billing.ChannelPortal, 2, true}, {"劳动合同（张三）", billing.ChannelPortal, 1, true}, {"供应商框架协议", billing.ChannelAPI, 3, true},
		{"保密协议", billing.ChannelAPI, 1, true}, {"房屋租赁合同", billing.ChannelPortal, 1, false}} {
		env := "shot-env-" + string(rune('a'+i))
		at := now.Add(time.Duration(i-5) * 26 * time.Hour)
		if err := st.Update(ctx, func(tx syncpkg.Tx) error {
			if err := billing.ReserveDocs(tx, billing.Enterprise(e.ID), env, x.docs, x.ch, x.subject, at); err != nil {
				return err
			}
			if x.charge {
				return billing.Charge(tx, env, at.Add(time.Hour))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	a := fyne.CurrentApp()
	var w fyne.Window
	var sh *ui.Shell
	fyne.DoAndWait(func() {
		w = a.NewWindow("")
		sh = ui.NewShell(a, w, ui.Services{Settings: &memSettings{dir: t.TempDir(), lang: ui.LangChinese}, Version: "0.0.0", Local: local,
			Conn: &billingConn{c: c, ent: e.ID}})
		w.SetContent(sh.Content())
		w.Resize(fyne.NewSize(1366, 768))
		w.Show()
	})
	defer fyne.DoAndWait(func() { sh.StopWatching(); w.Close() })
	// screen is the 费用中心 screen; call it on the UI goroutine (inside fyne.DoAndWait).
	screen := func() *ui.BillingScreen { return sh.Screen(ui.NavBilling).(*ui.BillingScreen) }
	until := func(what string, cond func(*ui.BillingScreen) bool) {
		t.Helper()
		for t0 := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			ok := false
			fyne.DoAndWait(func() { ok = cond(screen()) })
			if ok {
				return
			}
			if time.Since(t0) > 30*time.Second {
				t.Fatalf("waited for %s", what)
			}
		}
	}
	var mu sync.Mutex
	take := func(name string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		time.Sleep(400 * time.Millisecond)
		img, err := ui.CaptureWhenDrawn(w, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := ui.WritePNG(filepath.Join(dir, name+".png"), img); err != nil {
			t.Fatal(err)
		}
	}
	for _, lang := range []string{ui.LangChinese, ui.LangEnglish} {
		for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}} {
			fyne.DoAndWait(func() {
				ui.SetLanguage(lang)
				sh.Rebuild()
				w.Resize(size)
				sh.Show(ui.NavBilling)
			})
			until("the balances", func(sc *ui.BillingScreen) bool { return strings.Contains(sc.Company.Text, "9") && len(sc.BuyBtns) == 3 })
			fyne.DoAndWait(func() { screen().BuyBtns["ent-100"].OnTapped() })
			until("the payment", func(sc *ui.BillingScreen) bool { return sc.Order.State == billing.OrderPaid && sc.QR.Image != nil })
			suffix := "-" + lang + "-" + map[float32]string{1366: "1366x768", 1024: "1024x640"}[size.Width]
			take("billing-buy" + suffix)
			fyne.DoAndWait(func() { screen().Tabs.SelectIndex(1) })
			until("the ledger", func(sc *ui.BillingScreen) bool { return len(sc.Lines) == 4 })
			take("billing-ledger" + suffix)
			fyne.DoAndWait(func() { screen().Tabs.SelectIndex(2) })
			until("the invoice form", func(sc *ui.BillingScreen) bool { return strings.Contains(sc.Amount.Text, "¥") })
			fyne.DoAndWait(func() {
				sc := screen()
				sc.Title.SetText("上海示例信息技术有限公司")
				sc.TaxNumber.SetText(e.CreditCode)
				sc.Phone.SetText("13912345678")
			})
			take("billing-invoice" + suffix)
			if lang == ui.LangChinese && size.Width == 1366 {
				fyne.DoAndWait(func() { sh.Show(ui.NavHome) })
				time.Sleep(time.Second)
				take("billing-home" + suffix)
			}
		}
	}
}
