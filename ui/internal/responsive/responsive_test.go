package responsive

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sign"
	"sealdesk/ui"
)

var (
	win   fyne.Window
	shell *ui.Shell
	local *ui.LocalServices
)

type memSettings struct{ dir string }

func (m *memSettings) Language() string          { return ui.LangChinese }
func (m *memSettings) SetLanguage(string)        {}
func (m *memSettings) DataDir() string           { return m.dir }
func (m *memSettings) SetDataDir(d string) error { m.dir = d; return nil }

type memPrefs struct {
	mu sync.Mutex
	m  map[string]string
}

func (p *memPrefs) Setting(k string) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.m[k]
	return v, ok, nil
}
func (p *memPrefs) SetSetting(k, v string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.m[k] = v
	return nil
}

// TestMain runs the Fyne app on the main thread (GLFW needs it) and the tests beside it.
func TestMain(m *testing.M) {
	if os.Getenv("DISPLAY") == "" {
		if os.Getenv("SEALDESK_CI") != "" {
			fmt.Println("FAIL: real-window tests need a display; run under xvfb-run")
			os.Exit(1)
		}
		fmt.Println("skipping real-window tests: no DISPLAY (make test runs them under xvfb-run)")
		os.Exit(0)
	}
	if os.Getenv("GALLIUM_DRIVER") == "" {
		os.Setenv("GALLIUM_DRIVER", "softpipe")
	}
	cfg, err := os.MkdirTemp("", "sealdesk-responsive-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(cfg)
	os.Setenv("XDG_CONFIG_HOME", cfg)

	a := app.NewWithID("com.sealdesk.test.responsive")
	a.Settings().SetTheme(ui.NewTheme())
	if err := ui.SetLanguage(ui.LangChinese); err != nil {
		panic(err)
	}
	win = a.NewWindow("")
	local = &ui.LocalServices{Prefs: &memPrefs{m: map[string]string{}}}
	shell = ui.NewShell(a, win, ui.Services{Settings: &memSettings{dir: cfg}, Version: "0.0.0", Local: local})
	win.SetContent(shell.Content())
	win.Resize(fyne.NewSize(1000, 700))
	win.Show()

	code := 1
	go func() {
		defer fyne.Do(a.Quit)
		code = m.Run()
	}()
	a.Run()
	os.Exit(code)
}

// largeSignedPDF writes a PDF of about n bytes (a random image) signed by a test PKI leaf.
func largeSignedPDF(t *testing.T, p *pkitest.PKI, n int) string {
	var b bytes.Buffer
	var offs []int
	obj := func(body string, stream []byte) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s", len(offs), body)
		if stream != nil {
			b.WriteString("\nstream\n")
			b.Write(stream)
			b.WriteString("\nendstream")
		}
		b.WriteString("\nendobj\n")
	}
	side := 1
	for side*side*3 < n {
		side++
	}
	data := make([]byte, side*side*3)
	rand.Read(data)
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>", nil)
	content := []byte("q 400 0 0 400 97 300 cm /Im1 Do Q")
	obj(fmt.Sprintf("<< /Length %d >>", len(content)), content)
	obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length %d >>", side, side, len(data)), data)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	dir := t.TempDir()
	in := filepath.Join(dir, "large.pdf")
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, key := p.Leaf(t, "张三", pki.ECDSAP256)
	out := filepath.Join(dir, "large-signed.pdf")
	if _, err := sign.SignFile(in, out, &sign.Options{Signer: key, Cert: cert, Chain: p.Chain, Page: 1,
		Rect: sign.VisibleRect{X1: 100, Y1: 100, X2: 250, Y2: 160}}); err != nil {
		t.Fatal(err)
	}
	return out
}

// labels returns the text of every label in the window.
func labels(o fyne.CanvasObject) []string {
	var out []string
	switch w := o.(type) {
	case *fyne.Container:
		for _, c := range w.Objects {
			out = append(out, labels(c)...)
		}
	case *container.Scroll:
		out = append(out, labels(w.Content)...)
	case *widget.Label:
		out = append(out, w.Text)
	case *widget.Card:
		if w.Content != nil {
			out = append(out, labels(w.Content)...)
		}
	}
	return out
}

// verifyAndWatch drops path on the window and, until the verifier says it is done, measures how
// long functions handed to the UI goroutine wait. It returns the worst wait, the time taken and
// the verdict shown.
func verifyAndWatch(t *testing.T, path string) (worst, took time.Duration, verdict string) {
	start := time.Now()
	fyne.DoAndWait(func() { shell.OpenFiles([]string{path}) })
	done := false
	for !done && time.Since(start) < 2*time.Minute {
		s := time.Now()
		var texts []string
		fyne.DoAndWait(func() { texts = labels(win.Content()) })
		worst = max(worst, time.Since(s))
		for _, l := range texts {
			if strings.HasPrefix(l, "已完成") {
				done = true
			}
			if strings.HasPrefix(l, "验签结论") {
				verdict = l
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !done {
		t.Fatal("verification did not finish")
	}
	return worst, time.Since(start), verdict
}

// TestUIFreeWhileVerifying45MB drops a 45 MB signed PDF on 文件验签 and measures how long a
// function handed to the UI goroutine waits meanwhile, against the same drop of a small signed
// PDF (which shows the same cards: what remains is painting, not verification). Verification
// must not add more than 100 ms.
func TestUIFreeWhileVerifying45MB(t *testing.T) {
	if os.Getenv("SEALDESK_LONG") == "" {
		t.Skip("a performance run: set SEALDESK_LONG=1 (and a DISPLAY, e.g. xvfb-run)")
	}
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	local.PlatformRoots = append(local.PlatformRoots, p.Root)
	large := largeSignedPDF(t, p, 45<<20)
	small := largeSignedPDF(t, p, 10<<10)

	// Warm up (first paint of the screen, fonts), then the small file, then the large one.
	verifyAndWatch(t, small)
	smallWorst, smallTook, _ := verifyAndWatch(t, small)
	worst, took, verdict := verifyAndWatch(t, large)
	t.Logf("45 MB verified in %v, UI goroutine worst wait %v; same screen with a 10 KB file: %v in %v", took, worst, smallWorst, smallTook)
	if verdict != "验签结论：有效且可信" {
		t.Errorf("verdict %q", verdict)
	}
	if worst-smallWorst > 100*time.Millisecond {
		t.Errorf("verifying 45 MB held the UI goroutine %v longer than a small file (limit 100 ms)", worst-smallWorst)
	}
}
