// Package updatewin shows 设置 › 关于 and the self-update dialogs in a real window (GL under Xvfb)
// against a real server on loopback serving an updates folder, in Chinese and English at
// 1366×768 and 1024×640, and writes the pictures to $SEALDESK_SHOTS (or a temporary folder) for a
// reviewer to look at: a refused manifest (signed by another key), 发现新版本 with the release
// notes, and the offer after the download was checked and the installer started.
package updatewin

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sealdesk/ui/internal/servertest"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"sealdesk/core/client"
	"sealdesk/core/server"
	"sealdesk/core/update"
	"sealdesk/store/bolt"
	"sealdesk/ui"
	"sealdesk/ui/internal/windowtest"
)

var (
	fyneApp fyne.App
	win     fyne.Window
)

func TestMain(m *testing.M) {
	windowtest.Main(m, windowtest.Options{Name: "updatewin", Size: fyne.NewSize(1366, 768),
		Setup: func(a fyne.App, w fyne.Window, cfg string) { fyneApp, win = a, w }})
}

func TestAboutAndUpdateInRealWindow(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	updates := t.TempDir()
	run := servertest.Run(t, st, server.Options{UpdatesDir: updates})
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	payload := make([]byte, 23<<20+345<<10) // an installer of about 23 MB
	rand.Read(payload)
	sum := sha256.Sum256(payload)
	seq := uint64(0)
	publish := func(k ed25519.PrivateKey) {
		seq++
		m := update.Manifest{Product: update.Product, Version: "0.2.0", Platform: "windows-amd64", Sequence: seq,
			IssuedAt: time.Now().UTC(), File: "SealDesk-0.2.0-x64.msi", Size: int64(len(payload)), SHA256: hex.EncodeToString(sum[:]),
			Notes: map[string]string{
				"zh": "新增\n• 设置 › 关于：检查更新、导出诊断信息\n• 文件验签：拖入 OFD 电子发票即可验证\n\n修复\n• 签署后预览偶尔空白\n• 较长的企业名称在印章上换行",
				"en": "New\n• Settings › About: check for updates, export diagnostics\n• Verify: drop an OFD e-invoice to check it\n\nFixed\n• The preview was sometimes blank after signing\n• Long company names wrapped on seals"}}
		b, err := update.Sign(m, k)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(updates, "windows-amd64.json"), b, 0o644)
		os.WriteFile(filepath.Join(updates, m.File), payload, 0o644)
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
		var ran []string
		svc := &update.Service{
			Checker: update.Checker{Key: pub, Current: "0.1.0", Platform: "windows-amd64", State: windowtest.NewPrefs(),
				Dir: filepath.Join(t.TempDir(), "updates")},
			SourceFor: func() (update.Source, error) { return client.Updates{C: c}, nil },
			Installer: update.Installer{GOOS: "windows", Start: func(name string, args ...string) error {
				ran = append([]string{name}, args...)
				return nil
			}},
		}
		var sc *ui.SettingsScreen
		fyne.DoAndWait(func() {
			s := ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: lang, Dir: t.TempDir()}, Version: "0.1.0",
				Updates: svc, Diagnostics: diagStub{}})
			win.SetContent(s.Content())
			s.Show(ui.NavSettings)
			sc = s.Screen(ui.NavSettings).(*ui.SettingsScreen)
			sc.About.Quit = func() {}
		})
		p := sc.About
		shoot := func(name string) {
			t.Helper()
			for _, size := range sizes {
				var img image.Image
				// Under Xvfb without a window manager the first shrink of the X window can lag
				// behind the canvas: the frame is then drawn shifted down (the title bar's strip
				// blank). Resize again until the title is where it belongs.
				for try := 0; try < 4; try++ {
					fyne.DoAndWait(func() {
						win.Resize(size)
						if s, ok := sc.Content().(*container.Scroll); ok {
							s.ScrollToBottom()
						}
					})
					time.Sleep(800 * time.Millisecond)
					img, err = ui.CaptureWhenDrawn(win, 30*time.Second)
					if err != nil {
						t.Fatal(err)
					}
					if colours(img, image.Rect(5, 5, 170, 40)) >= 3 {
						break
					}
				}
				if b := img.Bounds(); b.Dx() < int(size.Width)*9/10 {
					t.Errorf("%s %s: captured %v for a %v window", lang, name, b, size)
				}
				path := filepath.Join(dir, fmt.Sprintf("update-%s-%s-%dx%d.png", name, lang, int(size.Width), int(size.Height)))
				if err := ui.WritePNG(path, img); err != nil {
					t.Fatal(err)
				}
				windowtest.CheckNotBlank(t, path, img)
				if colours(img, image.Rect(5, 5, 170, 40)) < 3 {
					t.Errorf("%s: the title strip is blank (the frame is drawn shifted)", path)
				}
			}
		}

		publish(other)
		fyne.DoAndWait(func() { p.CheckUpdate.OnTapped() })
		p.Wait()
		var status string
		refused := map[string]string{"zh": "发布密钥", "en": "release key"}[lang]
		// The check's result reaches the window through fyne.Do after Wait returns.
		settle(func() bool {
			fyne.DoAndWait(func() { status = p.Status.Text })
			return strings.Contains(status, refused)
		})
		if !strings.Contains(status, refused) {
			t.Fatalf("%s: status %q after a manifest signed by another key", lang, status)
		}
		shoot("refused")

		publish(priv)
		fyne.DoAndWait(func() { p.CheckUpdate.OnTapped() })
		p.Wait()
		settle(func() bool {
			var shown bool
			fyne.DoAndWait(func() { shown = p.Offer != nil })
			return shown
		})
		if p.Offer == nil {
			t.Fatalf("%s: no offer", lang)
		}
		shoot("offer")

		fyne.DoAndWait(func() { p.OfferInstall.OnTapped() })
		p.Wait()
		settle(func() bool {
			var n int
			fyne.DoAndWait(func() { n = len(ran) })
			return n == 3
		})
		if len(ran) != 3 || ran[0] != "msiexec" {
			t.Fatalf("%s: installer %q", lang, ran)
		}
		shoot("installing")
		fyne.DoAndWait(func() { p.Offer.Hide() })
	}
}

// settle polls done every 50 ms for up to 20 s (the window's work lands through fyne.Do, later
// under load).
func settle(done func() bool) {
	for end := time.Now().Add(20 * time.Second); !done() && time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
	}
}

type diagStub struct{}

func (diagStub) Export(string) error { return nil }

// colours counts the distinct (coarse) colours in r of img.
func colours(img image.Image, r image.Rectangle) int {
	seen := map[uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[(cr>>12)<<8|(cg>>12)<<4|cb>>12] = true
		}
	}
	return len(seen)
}

// checkNotBlank fails if the picture is (nearly) one colour: the window drew nothing.
