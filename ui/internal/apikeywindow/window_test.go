// Package apikeywindow shows the 企业 screen's 开放接口 tab (API keys) in a real window (GL under
// Xvfb) against a real server on loopback, in Chinese and English at 1366×768 and 1024×640 —
// the secret shown once after 创建密钥, and the confirmation of 吊销 — and writes the pictures to
// $SEALDESK_SHOTS (or a temporary folder) for a reviewer to look at.
package apikeywindow

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sealdesk/ui/internal/servertest"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/api"
	"sealdesk/core/ids"
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
	windowtest.Main(m, windowtest.Options{Name: "apikeywindow", Size: fyne.NewSize(1366, 768),
		Setup: func(a fyne.App, w fyne.Window, cfg string) { fyneApp, win = a, w }})
}

func TestAPIKeysInRealWindow(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := servertest.Run(t, st, server.Options{Dev: true, Hashes: servertest.Hashes()})
	a := windowtest.Register(t, run, "13912340011", "张管理", "")
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
			shell = ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: lang, Dir: t.TempDir()}, Conn: &windowtest.Conn{C: a, Ent: ent.ID}})
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
				windowtest.CheckNotBlank(t, path, img)
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
