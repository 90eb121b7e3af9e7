// Package adminwindow shows the 企业 screen's 主管理员变更 and 对接集成 tabs in a real window (GL under
// Xvfb) against a real server on loopback, in Chinese and English at 1366×768 and 1024×640, and
// writes the pictures to $SEALDESK_SHOTS (or a temporary folder) for a reviewer to look at.
package adminwindow

import (
	"context"
	"crypto/rand"
	"fmt"
	"image"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"

	"sealdesk/core/client"
	"sealdesk/core/gate"
	"sealdesk/core/ids"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/core/webhook"
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
	cfg, err := os.MkdirTemp("", "sealdesk-adminwindow-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", cfg)
	fyneApp = app.NewWithID("com.sealdesk.test.adminwindow")
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
func (m *memSettings) Language() string          { return m.lang }
func (m *memSettings) SetLanguage(l string)      { m.lang = l }
func (m *memSettings) DataDir() string           { return m.dir }
func (m *memSettings) SetDataDir(d string) error { m.dir = d; return nil }

type memSettings struct{ lang, dir string }

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

func TestAdminTabsInRealWindow(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := make([]byte, 32)
	rand.Read(key)
	run, err := server.Start(ctx, server.Options{Store: st, MasterKey: key, Dev: true,
		Hashes:   gate.New(&gate.Options{Slots: 2, Queue: 64, Wait: time.Minute}),
		Webhooks: webhook.Options{PollInterval: 50 * time.Millisecond, Backoff: time.Hour}}, server.ListenOptions{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(ctx)
	a := register(t, run, "13912340001", "张管理")
	b := register(t, run, "13912340002", "李成员")
	body := "91330106MA2HTWNK1"
	chk, _ := ids.CreditCheck(body)
	ent, err := a.CreateEnterprise(ctx, "杭州示例科技有限公司", body+string(chk))
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer rc.Close()
	ep, err := a.CreateWebhook(ctx, ent.ID, webhook.EndpointInput{URL: rc.URL + "/hubcloud/webhook", Description: "枢纽云"})
	if err != nil {
		t.Fatal(err)
	}
	link, _ := a.InviteLink(ctx, ent.ID)
	jr, err := b.Join(ctx, link.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ApproveJoin(ctx, ent.ID, jr.AccountID); err != nil {
		t.Fatal(err)
	}
	a.PingWebhook(ctx, ent.ID, ep.Endpoint.ID)
	time.Sleep(500 * time.Millisecond) // the dispatcher sends both

	// The full set (both languages, both sizes) when pictures are asked for; otherwise Chinese at
	// 1366×768 only (softpipe draws slowly: the full set takes about two minutes).
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
		fyne.DoAndWait(func() {
			s := ui.NewShell(fyneApp, win, ui.Services{Settings: &memSettings{lang: lang, dir: t.TempDir()}, Conn: &conn{c: a, ent: ent.ID}})
			at, ps := ui.NewEnterpriseTabs(s)
			tabs, panels = at, ps
			win.SetContent(at)
		})
		for _, p := range panels {
			p.Wait()
		}
		// The secret shown once: add a second endpoint through the form.
		hp := panels[1].(*ui.HooksPanel)
		fyne.DoAndWait(func() {
			hp.URL.SetText("https://hub.example.com/sealdesk")
			hp.Add.OnTapped()
		})
		hp.Wait()
		hp.Wait()
		for _, size := range sizes {
			for i, name := range []string{"admin", "appeal", "hooks"} {
				fyne.DoAndWait(func() {
					tabs.(interface{ SelectIndex(int) }).SelectIndex(map[int]int{0: 0, 1: 0, 2: 1}[i])
					win.Resize(size)
					if sc, ok := panels[0].Content().(*container.Scroll); ok {
						if name == "appeal" {
							sc.ScrollToBottom()
						} else {
							sc.ScrollToTop()
						}
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
				path := filepath.Join(dir, fmt.Sprintf("enterprise-%s-%s-%dx%d.png", name, lang, int(size.Width), int(size.Height)))
				if err := ui.WritePNG(path, img); err != nil {
					t.Fatal(err)
				}
				checkNotBlank(t, path, img)
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
