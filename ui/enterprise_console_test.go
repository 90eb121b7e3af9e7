package ui

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"golang.org/x/image/bmp"
)

func writeLogo(t *testing.T, name string, w, h int, noise bool) string {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(3, 4))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{200, uint8(x), 40, 255}
			if noise {
				c = color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	var err error
	if strings.HasSuffix(name, ".bmp") {
		err = bmp.Encode(&b, img)
	} else {
		err = png.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func consoleShell(t *testing.T, p *testParty, ent string) *ConsolePanel {
	w := test.NewTempWindow(t, nil)
	s := NewShell(fyne.CurrentApp(), w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{},
		Local: p.local, Conn: &testConn{c: p.c, ctx: ent}})
	t.Cleanup(s.StopWatching)
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1366, 768))
	cp := newConsolePanel(s).(*ConsolePanel)
	cp.Reload()
	cp.Wait()
	return cp
}

// Test-driver run of 企业 › 企业设置 against a real server: 主管理员 and member count, a 2 MB LOGO
// refused in Chinese before anything is sent (the server keeps none), a BMP LOGO accepted and
// shown, 企业通知邮箱 refused when malformed and saved when good, and a plain member refused.
func TestConsolePanel(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	a, b := newTestParty(t, run, "王菲菲"), newTestParty(t, run, "李四")
	ent := newEnterprise(t, a, "上海控制台测试有限公司", "91310000MA1FL0C01")
	ctx := context.Background()
	p := consoleShell(t, a, ent)
	if !strings.Contains(p.Admin.Text, "王菲菲") || !strings.Contains(p.Admin.Text, "****") || p.Members.Text != "企业成员人数 1" {
		t.Errorf("admin %q, members %q", p.Admin.Text, p.Members.Text)
	}
	if !p.LogoNone.Visible() || p.Logo.Visible() {
		t.Error("a logo shown before any was set")
	}
	big := writeLogo(t, "big.png", 900, 800, true)
	p.UploadLogoFile(big)
	p.Wait()
	if !strings.Contains(p.Msg.Text, "须小于 1 MB") || !strings.Contains(p.Msg.Text, "未改变") {
		t.Errorf("2 MB logo says %q", p.Msg.Text)
	}
	if con, _ := a.c.Console(ctx, ent); con.Settings.Logo != "" {
		t.Fatal("a refused logo reached the server")
	}
	p.UploadLogoFile(writeLogo(t, "logo.bmp", 300, 100, false))
	p.Wait()
	if p.Msg.Text != "LOGO 已更新。" || !p.Logo.Visible() {
		t.Fatalf("bmp logo: %q", p.Msg.Text)
	}
	if con, _ := a.c.Console(ctx, ent); con.Settings.LogoWidth != 300 {
		t.Errorf("server logo %+v", con.Settings)
	}
	p.Email.SetText("not-an-email")
	test.Tap(p.SaveEmail)
	p.Wait()
	if p.Msg.Text != "请输入正确的电子邮箱地址作为企业通知邮箱" {
		t.Errorf("bad e-mail says %q", p.Msg.Text)
	}
	p.Email.SetText("legal@example.com")
	test.Tap(p.SaveEmail)
	p.Wait()
	if con, _ := a.c.Console(ctx, ent); con.Settings.NotifyEmail != "legal@example.com" || p.Msg.Text != "企业通知邮箱已保存。" {
		t.Errorf("e-mail: %+v %q", con.Settings, p.Msg.Text)
	}
	test.Tap(p.SecondCheck)
	p.Wait()
	if con, _ := a.c.Console(ctx, ent); !con.Settings.SecondCheck {
		t.Error("second check for members not saved")
	}

	// a plain member reads, and is refused a change in Chinese
	link, err := a.c.InviteLink(ctx, ent)
	if err != nil {
		t.Fatal(err)
	}
	jr, err := b.c.Join(ctx, link.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.ApproveJoin(ctx, ent, jr.AccountID); err != nil {
		t.Fatal(err)
	}
	pb := consoleShell(t, b, ent)
	if pb.Members.Text != "企业成员人数 2" || !pb.Logo.Visible() || pb.Email.Text != "legal@example.com" {
		t.Errorf("member's view: %q logo %v %q", pb.Members.Text, pb.Logo.Visible(), pb.Email.Text)
	}
	pb.UploadLogoFile(writeLogo(t, "other.png", 60, 20, false))
	pb.Wait()
	if !strings.Contains(pb.Msg.Text, "管理员") {
		t.Errorf("member's upload says %q", pb.Msg.Text)
	}
}
