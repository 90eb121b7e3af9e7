package windowtest

import (
	"context"
	"image"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"sealdesk/core/client"
	"sealdesk/core/org"
	"sealdesk/core/server"
	"sealdesk/ui"
)

// Options describe a real-window test binary.
type Options struct {
	Name string    // the package's name: the app ID and the temporary config folder carry it
	Size fyne.Size // the window's size at start
	// Gallium is the Mesa driver unless GALLIUM_DRIVER is set: "softpipe" when empty (llvmpipe
	// returns an empty front buffer to glReadPixels under Xvfb; softpipe reads it).
	Gallium string
	// Setup runs before the app starts, with the app, its window (shown after Setup) and the
	// temporary folder given to Fyne as XDG_CONFIG_HOME.
	Setup func(a fyne.App, w fyne.Window, cfg string)
	// Cleanup runs after the tests (os.Exit skips deferred calls).
	Cleanup func()
}

// Main is a real-window package's TestMain: the Fyne app runs on the main goroutine (GLFW needs
// it) in Chinese with the SealDesk theme, the tests beside it; it exits with their status.
func Main(m *testing.M, o Options) {
	RequireDisplay()
	if o.Gallium == "" {
		o.Gallium = "softpipe"
	}
	if os.Getenv("GALLIUM_DRIVER") == "" {
		os.Setenv("GALLIUM_DRIVER", o.Gallium)
	}
	cfg, err := os.MkdirTemp("", "sealdesk-"+o.Name+"-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", cfg) // Fyne's preferences go here, not into the user's folder
	a := app.NewWithID("com.sealdesk.test." + o.Name)
	a.Settings().SetTheme(ui.NewTheme())
	if err := ui.SetLanguage(ui.LangChinese); err != nil {
		panic(err)
	}
	w := a.NewWindow("SealDesk")
	if o.Setup != nil {
		o.Setup(a, w, cfg)
	}
	w.Resize(o.Size)
	w.Show()
	// The tests' goroutine ends the process itself: quitting the app first made Fyne wait, after
	// its loop had stopped, for lifecycle events that only that loop runs, with workers still
	// blocked in fyne.DoAndWait — the binary then hung until the package timeout (CI: 21 minutes
	// after every test had finished).
	go func() {
		code := 1
		defer func() {
			if o.Cleanup != nil {
				o.Cleanup()
			}
			os.RemoveAll(cfg)
			os.Exit(code)
		}()
		code = m.Run()
	}()
	a.Run()
	os.Exit(1) // the app quit before the tests ended
}

// Do runs f on the UI goroutine and waits. f must not call t.Fatal or t.FailNow: runtime.Goexit
// on the UI goroutine would stop the app and leave the test binary hanging until its timeout.
func Do(f func()) { fyne.DoAndWait(f) }

// WaitUI polls cond on the UI goroutine until it holds, or fails the test after limit. cond
// follows Do's rule: no t.Fatal inside.
func WaitUI(t testing.TB, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	t0 := time.Now()
	for ; time.Since(t0) < limit; time.Sleep(30 * time.Millisecond) {
		ok := false
		Do(func() { ok = cond() })
		if ok {
			t.Logf("%s: %.1f s", what, time.Since(t0).Seconds())
			return
		}
	}
	t.Fatalf("timed out after %v waiting for %s", limit, what)
}

// Settings is an in-memory ui.Settings.
type Settings struct{ Lang, Dir string }

func (m *Settings) Language() string          { return m.Lang }
func (m *Settings) SetLanguage(l string)      { m.Lang = l }
func (m *Settings) DataDir() string           { return m.Dir }
func (m *Settings) SetDataDir(d string) error { m.Dir = d; return nil }

// Conn is a ui.Connection that stays signed in as C, working in enterprise Ent ("" for 个人).
type Conn struct {
	C   *client.Client
	Ent string
}

func (c *Conn) Client() *client.Client           { return c.C }
func (c *Conn) Context() string                  { return c.Ent }
func (c *Conn) Subscribe(func()) (cancel func()) { return func() {} }

var codeRE = regexp.MustCompile(`验证码是 ([0-9]{6})`)

// Code is the last verification code the --dev server's outbox holds for login.
func Code(t testing.TB, run *server.Running, login string) string {
	t.Helper()
	msgs := run.Server.Outbox().Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == login {
			if m := codeRE.FindStringSubmatch(msgs[i].Body); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no code for %s in the outbox", login)
	return ""
}

// Register makes an account on the --dev server (password Passw0rdX) and returns its client.
// device names the client's device when not empty.
func Register(t testing.TB, run *server.Running, login, name, device string) *client.Client {
	t.Helper()
	c, err := client.New(run.URL, run.Server.RootPEM())
	if err != nil {
		t.Fatal(err)
	}
	if device != "" {
		c.DeviceName = device
	}
	ctx := context.Background()
	if err := c.SendCode(ctx, login, org.PurposeRegister); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, org.RegisterRequest{TermsVersion: org.DefaultTerms.Terms, PrivacyVersion: org.DefaultTerms.Privacy, Login: login, Code: Code(t, run, login), Name: name, Password: "Passw0rdX"}); err != nil {
		t.Fatal(err)
	}
	return c
}

// CheckNotBlank fails the test when a screen picture has fewer than 4 colours (a blank or
// unpainted window).
func CheckNotBlank(t testing.TB, path string, img image.Image) {
	t.Helper()
	b := img.Bounds()
	seen := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>12)<<8|(g>>12)<<4|bl>>12] = true
		}
	}
	if len(seen) < 4 {
		t.Errorf("%s looks blank (%d colours)", strings.TrimSpace(path), len(seen))
	}
}
