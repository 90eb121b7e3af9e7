//go:build cgo

// Package keyswindow shows 设置 › 签名密钥 in a real window (GL under Xvfb), in Chinese and
// English at 1366×768 and 1024×640: without an OS key store (the passphrase advice), a SoftHSM2
// token listed as a UKey, the account's certificates by device with one reported lost against a
// real server on loopback, and the dialog shown when the key belongs to another OS account. The
// pictures go to $SEALDESK_SHOTS (or a temporary folder) for a reviewer to look at.
package keyswindow

import (
	"context"
	"crypto/x509/pkix"
	"fmt"
	"os"
	"path/filepath"
	"sealdesk/ui/internal/servertest"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/client"
	"sealdesk/core/keyguard"
	"sealdesk/core/keystore"
	"sealdesk/core/org"
	"sealdesk/core/pki"
	"sealdesk/core/sealkey/pkcs11key"
	"sealdesk/core/sealkey/pkcs11key/softhsmtest"
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
	windowtest.Main(m, windowtest.Options{Name: "keyswindow", Size: fyne.NewSize(1366, 768),
		Setup: func(a fyne.App, w fyne.Window, cfg string) { fyneApp, win = a, w }})
}

type mapKeyring map[string]string

func (k mapKeyring) Get(service, user string) (string, error) {
	if s, ok := k[service+"/"+user]; ok {
		return s, nil
	}
	return "", keyguard.ErrItemNotFound
}
func (k mapKeyring) Set(service, user, s string) error { k[service+"/"+user] = s; return nil }
func (k mapKeyring) Delete(service, user string) error { delete(k, service+"/"+user); return nil }

func login(t *testing.T, run *server.Running, phone, device string, register bool) *client.Client {
	if register {
		c := windowtest.Register(t, run, phone, "张三", device)
		if _, err := c.SubmitRealName(context.Background(), "张三", "11010519491231002X", "dev"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	c.DeviceName = device
	if _, err := c.Login(context.Background(), org.LoginRequest{Login: phone, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	return c
}

func certify(t *testing.T, c *client.Client, ks *keystore.Keystore, pin string) string {
	in, err := ks.Generate(pin)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := ks.CSR(in.ID, pin, pkix.Name{CommonName: "张三"})
	resp, err := c.RequestCertificate(context.Background(), csr)
	if err != nil {
		t.Fatal(err)
	}
	chain, _ := pki.ParseCertsPEM([]byte(resp.Certificate + "\n" + resp.Chain))
	ks.SetCertificate(in.ID, chain)
	return resp.Serial
}

func TestKeysInRealWindow(t *testing.T) {
	tok := softhsmtest.Token(t)
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	run := servertest.Run(t, st, server.Options{Dev: true, Hashes: servertest.Hashes()})
	fast := keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}
	a := login(t, run, "13912340021", "SealDesk 桌面版（财务部-PC01，windows）", true)
	lost := certify(t, a, keystore.New(windowtest.NewKeys(), &keystore.Options{Params: fast}), "135790")
	old := login(t, run, "13912340021", "SealDesk 桌面版（旧笔记本，darwin）", false)
	gone := certify(t, old, keystore.New(windowtest.NewKeys(), &keystore.Options{Params: fast}), "135790")
	if _, err := old.RevokeCertificate(ctx, gone, 4); err != nil {
		t.Fatal(err)
	}
	b := login(t, run, "13912340021", "SealDesk 桌面版（家里的电脑，linux）", false)
	keys := windowtest.NewKeys()
	// This computer has no OS key store (the passphrase advice shows).
	ksB := keystore.New(keys, &keystore.Options{Params: fast})
	certify(t, b, ksB, "correct horse battery")
	personal := pkcs11key.NewPersonal()
	defer personal.Close()

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
		for _, size := range sizes {
			var shell *ui.Shell
			var sc *ui.SettingsScreen
			fyne.DoAndWait(func() {
				shell = ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: lang, Dir: t.TempDir()}, Conn: &windowtest.Conn{C: b},
					Local: &ui.LocalServices{Prefs: windowtest.NewPrefs(), Keys: ksB, Tokens: personal}})
				win.SetContent(shell.Content())
				win.Resize(size)
				shell.Show(ui.NavSettings)
				sc = shell.Screen(ui.NavSettings).(*ui.SettingsScreen)
				sc.FindTokens(tok.Module)
			})
			for t0 := time.Now(); time.Since(t0) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
				ok := false
				fyne.DoAndWait(func() { ok = len(sc.Keys.RevokeButtons) == 2 && sc.Keys.Pick.Visible() })
				if ok {
					break
				}
			}
			fyne.DoAndWait(func() {
				if len(sc.Keys.RevokeButtons) != 2 || !sc.Keys.Pick.Visible() {
					t.Errorf("%s: devices %d, tokens shown %v (%q %q)", lang, len(sc.Keys.RevokeButtons), sc.Keys.Pick.Visible(),
						sc.Keys.DevicesStatus.Text, sc.Keys.UKeyStatus.Text)
				}
			})
			for _, name := range []string{"top", "devices", "revoke"} {
				fyne.DoAndWait(func() {
					switch name {
					case "top":
						sc.ShowKeys()
					case "devices":
						if s, ok := sc.Content().(interface{ ScrollToBottom() }); ok {
							s.ScrollToBottom()
						}
					case "revoke":
						sc.Keys.RevokeButtons[lost].OnTapped()
					}
				})
				shot(t, filepath.Join(dir, fmt.Sprintf("settings-keys-%s-%s-%dx%d.png", name, lang, int(size.Width), int(size.Height))), size)
				fyne.DoAndWait(func() {
					for _, o := range win.Canvas().Overlays().List() {
						win.Canvas().Overlays().Remove(o)
					}
				})
			}
		}
	}
	// The key of another OS account (a copied data folder): the dialog on 签署.
	other := keystore.New(keys, &keystore.Options{Params: fast, Guard: keyguard.NewKeyringGuard("secret-service", "test", mapKeyring{})})
	mine := keystore.New(windowtest.NewKeys(), &keystore.Options{Params: fast, Guard: keyguard.NewKeyringGuard("secret-service", "test", mapKeyring{})})
	_ = mine
	for _, lang := range langs {
		ui.SetLanguage(lang)
		for _, size := range sizes {
			fyne.DoAndWait(func() {
				shell := ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: lang, Dir: t.TempDir()}, Conn: &windowtest.Conn{C: b},
					Local: &ui.LocalServices{Prefs: windowtest.NewPrefs(), Keys: other}})
				win.SetContent(shell.Content())
				win.Resize(size)
				shell.Show(ui.NavDocuments)
				shell.ShowNotHere(&keystore.NotHereError{Guard: "secret-service", Reason: "the os-held secret of this key is not here"})
			})
			shot(t, filepath.Join(dir, fmt.Sprintf("sign-key-nothere-%s-%dx%d.png", lang, int(size.Width), int(size.Height))), size)
			fyne.DoAndWait(func() {
				for _, o := range win.Canvas().Overlays().List() {
					win.Canvas().Overlays().Remove(o)
				}
			})
			// 签署's dialog that makes the key, with SM2 chosen in 设置 › 签名密钥.
			fyne.DoAndWait(func() {
				prefs := windowtest.NewPrefs()
				prefs.SetSetting("key.type", "sm2")
				shell := ui.NewShell(fyneApp, win, ui.Services{Settings: &windowtest.Settings{Lang: lang, Dir: t.TempDir()}, Conn: &windowtest.Conn{C: b},
					Local: &ui.LocalServices{Prefs: prefs, Keys: keystore.New(windowtest.NewKeys(), &keystore.Options{Params: fast})}})
				win.SetContent(shell.Content())
				win.Resize(size)
				shell.Show(ui.NavSend)
				shell.ShowCreateKey()
			})
			shot(t, filepath.Join(dir, fmt.Sprintf("sign-key-create-sm2-%s-%dx%d.png", lang, int(size.Width), int(size.Height))), size)
			fyne.DoAndWait(func() {
				for _, o := range win.Canvas().Overlays().List() {
					win.Canvas().Overlays().Remove(o)
				}
			})
		}
	}
}

func shot(t *testing.T, path string, size fyne.Size) {
	t.Helper()
	time.Sleep(800 * time.Millisecond)
	img, err := ui.CaptureWhenDrawn(win, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < int(size.Width)*9/10 {
		t.Errorf("%s: captured %v for a %v window", path, b, size)
	}
	if err := ui.WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	windowtest.CheckNotBlank(t, path, img)
}
