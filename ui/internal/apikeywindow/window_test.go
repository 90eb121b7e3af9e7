// Package apikeywindow shows the 企业 screen's 开放接口 tab (API keys) in a real window (GL under
// Xvfb) against a real server on loopback, in Chinese and English at 1366×768 and 1024×640 —
// the secret shown once after 创建密钥, and the confirmation of 吊销 — and writes the pictures to
// $SEALDESK_SHOTS (or a temporary folder) for a reviewer to look at.
package apikeywindow

import (
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"sealdesk/core/api"
	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/ids"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/store/bolt"
	"sealdesk/ui"
	"sealdesk/ui/internal/windowtest"
)

var (
	fyneApp fyne.App
	win     fyne.Window
)

func TestMain(m *testing.M) {
	windowtest.RequireDisplay()
	if os.Getenv("GALLIUM_DRIVER") == "" {
		os.Setenv("GALLIUM_DRIVER", "softpipe")
	}
	cfg, err := os.MkdirTemp("", "sealdesk-apikeywindow-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", cfg)
	fyneApp = app.NewWithID("com.sealdesk.test.apikeywindow")
	fyneApp.Settings().SetTheme(ui.NewTheme())
	win = fyneApp.NewWindow("SealDesk")
	win.Resize(fyne.NewSize(1366, 768))
	win.Show()
	code := 1
	go func() {
		defer fyne.Do(fyneApp.Quit)
		code = m.Run()
	}()
	fyneApp.Run()
	os.RemoveAll(cfg)
	os.Exit(code)
}

type conn struct {
	c   *client.Client
	ent string
}

func (c *conn) Client() *client.Client           { return c.c }
func (c *conn) Context() string                  { return c.ent }
func (c *conn) Subscribe(func()) (cancel func()) { return func() {} }

type memSettings struct{ lang, dir string }

func (m *memSettings) Language() string          { return m.lang }
func (m *memSettings) SetLanguage(l string)      { m.lang = l }
func (m *memSettings) DataDir() string           { return m.dir }
func (m *memSettings) SetDataDir(d string) error { m.dir = d; return nil }

func register(t *testing.T, run *server.Running, phone, name string) *client.Client {
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.SendCode(ctx, phone, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	code := ""
	msgs := run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0 && code == ""; i-- {
		if k := strings.Index(msgs[i].Body, "验证码是 "); msgs[i].To == phone && k >= 0 {
			code = msgs[i].Body[k+len("验证码是 ") : k+len("验证码是 ")+6]
		}
	}
	if _, err := c.Register(ctx, org.RegisterRequest{Login: phone, Code: code, Name: name, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAPIKeysInRealWindow(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := make([]byte, 32)
	rand.Read(key)
	run, err := server.Start(ctx, server.Options{Store: st, MasterKey: key, Dev: true,
		Hashes: gate.New(&gate.Options{Slots: 2, Queue: 64, Wait: time.Minute})}, server.ListenOptions{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(ctx)
	a := register(t, run, "13912340011", "张管理")
	body := "91330106MA2HTWNK2"
	chk, _ := ids.CreditCheck(body)
	ent, err := a.CreateEnterprise(ctx, "杭州示例科技有限公司", body+string(chk))
	if err != nil {
		t.Fatal(err)
	}
	old, err := a.CreateAPIKey(ctx, ent.ID, api.APIKeyRequest{Name: "旧 OA 系统", Scopes: []string{api.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.RevokeAPIKey(ctx, ent.ID, old.Key.ID); err != nil {
		t.Fatal(err)
	}
	hr, err := a.CreateAPIKey(ctx, ent.ID, api.APIKeyRequest{Name: "人事系统", Scopes: []string{api.ScopeSend, api.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}

	dir := os.Getenv("SEALDESK_SHOTS")
	langs, sizes := []string{ui.LangChinese, ui.LangEnglish}, []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}}
	if dir == "" {
		dir = t.TempDir()
		langs, sizes = langs[:1], sizes[:1]
	}
	os.MkdirAll(dir, 0o755)
	for _, lang := range langs {
		if err := ui.SetLanguage(lang); err != nil {
			t.Fatal(err)
		}
		var panels []ui.EnterprisePanel
		var tabs fyne.CanvasObject
		var shell *ui.Shell
		fyne.DoAndWait(func() {
			shell = ui.NewShell(fyneApp, win, ui.Services{Settings: &memSettings{lang: lang, dir: t.TempDir()}, Conn: &conn{c: a, ent: ent.ID}})
			at, ps := ui.NewEnterpriseTabs(shell)
			tabs, panels = at, ps
			win.SetContent(at)
		})
		var kp *ui.APIKeysPanel
		idx := 0
		for i, p := range panels {
			p.Wait()
			if k, ok := p.(*ui.APIKeysPanel); ok {
				kp, idx = k, i
			}
		}
		if kp == nil {
			t.Fatal("no 开放接口 tab among the 企业 screen's contributed tabs")
		}
		fyne.DoAndWait(func() {
			kp.Name.SetText("ERP 正式环境")
			kp.Create.OnTapped()
		})
		for t0 := time.Now(); time.Since(t0) < 15*time.Second; time.Sleep(100 * time.Millisecond) {
			kp.Wait()
			done := false
			fyne.DoAndWait(func() { done = kp.SecretBox.Visible() && len(kp.List) == 3 })
			if done {
				break
			}
		}
		if !kp.SecretBox.Visible() || len(kp.List) != 3 {
			t.Fatalf("after 创建密钥: secret shown %v, %d keys, status %q", kp.SecretBox.Visible(), len(kp.List), kp.Status.Text)
		}
		for _, size := range sizes {
			for _, name := range []string{"secret", "revoke"} {
				fyne.DoAndWait(func() {
					tabs.(interface{ SelectIndex(int) }).SelectIndex(idx)
					win.Resize(size)
					if name == "revoke" {
						kp.Revoke[hr.Key.ID].OnTapped()
					}
				})
				time.Sleep(800 * time.Millisecond)
				img, err := ui.CaptureWhenDrawn(win, 30*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if b := img.Bounds(); b.Dx() < int(size.Width)*9/10 {
					t.Errorf("%s %s: captured %v for a %v window", lang, name, b, size)
				}
				path := filepath.Join(dir, fmt.Sprintf("enterprise-apikeys-%s-%s-%dx%d.png", name, lang, int(size.Width), int(size.Height)))
				if err := ui.WritePNG(path, img); err != nil {
					t.Fatal(err)
				}
				checkNotBlank(t, path, img)
				if name == "revoke" {
					fyne.DoAndWait(func() {
						for _, o := range win.Canvas().Overlays().List() {
							win.Canvas().Overlays().Remove(o)
						}
					})
				}
			}
		}
	}
}

// checkNotBlank fails if the picture is (nearly) one colour: the window drew nothing.
func checkNotBlank(t *testing.T, path string, img image.Image) {
	b := img.Bounds()
	seen := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
		}
	}
	if len(seen) < 4 {
		t.Errorf("%s looks blank (%d colours)", path, len(seen))
	}
}
