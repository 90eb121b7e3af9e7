// Package adminwindow shows the 企业 screen's 主管理员变更 and 对接集成 tabs in a real window (GL under
// Xvfb) against a real server on loopback, in Chinese and English at 1366×768 and 1024×640, and
// writes the pictures to $SEALDESK_SHOTS (or a temporary folder) for a reviewer to look at.
package adminwindow

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sealdesk/ui/internal/servertest"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"sealdesk/core/ids"
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
	windowtest.Main(m, windowtest.Options{Name: "adminwindow", Size: fyne.NewSize(1366, 768),
		Setup: func(a fyne.App, w fyne.Window, cfg string) { fyneApp, win = a, w }})
}

func TestAdminTabsInRealWindow(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := servertest.Run(t, st, server.Options{Dev: true, Hashes: servertest.Hashes(),
		Webhooks: webhook.Options{PollInterval: 50 * time.Millisecond, Backoff: time.Hour}})
	a := windowtest.Register(t, run, "13912340001", "张管理", "")
	b := windowtest.Register(t, run, "13912340002", "李成员", "")
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
			s := ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: lang, Dir: t.TempDir()}, Conn: &windowtest.Conn{C: a, Ent: ent.ID}})
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
				windowtest.CheckNotBlank(t, path, img)
			}
		}
	}
}

// checkNotBlank fails if the picture is (nearly) one colour: the window drew nothing.
