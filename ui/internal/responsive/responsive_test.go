package responsive

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/keystore"
	"sealdesk/core/pdf/pdftest"
	"sealdesk/core/pdf/render"
	"sealdesk/core/pki"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sign"
	"sealdesk/ui"
	"sealdesk/ui/internal/windowtest"
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

// memLibrary is 我的印章 in memory, holding one signature image.
type memLibrary struct{ items []ui.LibraryItem }

func (l *memLibrary) Items() ([]ui.LibraryItem, error) { return l.items, nil }
func (l *memLibrary) Save(it ui.LibraryItem) (ui.LibraryItem, error) {
	return it, errors.New("read-only")
}
func (l *memLibrary) Delete(string) error        { return errors.New("read-only") }
func (l *memLibrary) Watch(func()) (stop func()) { return func() {} } // read-only: never changes

// TestMain runs the Fyne app on the main thread (GLFW needs it) and the tests beside it.
func TestMain(m *testing.M) {
	windowtest.RequireDisplay()
	// Mesa's llvmpipe (its default under Xvfb) paints a frame of these screens in 8–50 ms, like a
	// modest GPU; softpipe takes 75–500 ms on the 2-core machine, so under GALLIUM_DRIVER=softpipe
	// the painting alone exceeds 100 ms and the bounds below are relative to it (see paintFloor).
	if os.Getenv("GALLIUM_DRIVER") == "" {
		os.Setenv("GALLIUM_DRIVER", "llvmpipe")
	}
	cfg, err := os.MkdirTemp("", "sealdesk-responsive-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", cfg)

	a := app.NewWithID("com.sealdesk.test.responsive")
	a.Settings().SetTheme(ui.NewTheme())
	if err := ui.SetLanguage(ui.LangChinese); err != nil {
		panic(err)
	}
	win = a.NewWindow("")
	local = &ui.LocalServices{Prefs: windowtest.NewPrefs(),
		Keys:    keystore.New(windowtest.NewKeys(), &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}}),
		Library: &memLibrary{items: []ui.LibraryItem{{ID: "1", Kind: ui.ItemSignatureDraw, Name: "张三签名", PNG: windowtest.SignatureImage()}}}}
	// The page renderer, started from the compiled PDFium in the user cache folder (as the app does).
	engine := render.New(nil)
	shell = ui.NewShell(a, win, ui.Services{Settings: &memSettings{dir: cfg}, Version: "0.0.0", Local: local,
		Renderer: ui.PDFRenderer{Engine: engine}})
	win.SetContent(shell.Content())
	win.Resize(fyne.NewSize(1000, 700))
	win.Show()

	code := 1
	go func() {
		defer fyne.Do(a.Quit)
		code = m.Run()
	}()
	a.Run()
	// os.Exit skips deferred calls: close and remove explicitly
	engine.Close()
	os.RemoveAll(cfg)
	os.Exit(code)
}

// largePDF writes a one-page PDF of about n bytes (a random image, which nothing compresses).
func largePDF(t *testing.T, n int) string {
	side := 1
	for side*side*3 < n {
		side++
	}
	data := make([]byte, side*side*3)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "large.pdf")
	doc := pdftest.Classic(
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
		pdftest.Stream("q 400 0 0 400 97 300 cm /Im1 Do Q", ""),
		pdftest.Stream(string(data), fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8", side, side)),
	)
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// manySignedPDF writes a small PDF signed n times (incremental updates, one box each).
func manySignedPDF(t *testing.T, p *pkitest.PKI, n int) string {
	cert, key := p.Leaf(t, "张三", pki.ECDSAP256)
	in := largePDF(t, 10<<10)
	for i := range n {
		out := filepath.Join(t.TempDir(), fmt.Sprintf("signed-%d.pdf", i+1))
		x, y := float64(20+(i%5)*110), float64(20+(i/5)*50)
		if _, err := sign.SignFile(context.Background(), in, out, &sign.Options{Signer: key, Cert: cert, Chain: p.Chain, Page: 1,
			Rect: sign.VisibleRect{X1: x, Y1: y, X2: x + 100, Y2: y + 40}}); err != nil {
			t.Fatal(err)
		}
		in = out
	}
	return in
}

// largeSignedPDF writes a PDF of about n bytes signed by a test PKI leaf.
func largeSignedPDF(t *testing.T, p *pkitest.PKI, n int) string {
	cert, key := p.Leaf(t, "张三", pki.ECDSAP256)
	out := filepath.Join(t.TempDir(), "large-signed.pdf")
	if _, err := sign.SignFile(context.Background(), largePDF(t, n), out, &sign.Options{Signer: key, Cert: cert, Chain: p.Chain, Page: 1,
		Rect: sign.VisibleRect{X1: 100, Y1: 100, X2: 250, Y2: 160}}); err != nil {
		t.Fatal(err)
	}
	return out
}

// labels returns the text of every label in the window.
func labels(o fyne.CanvasObject) []string {
	var out []string
	walk(o, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	})
	return out
}

// walk calls f for o and every object inside containers, scrolls, cards and tabs below it.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch w := o.(type) {
	case *fyne.Container:
		for _, c := range w.Objects {
			walk(c, f)
		}
	case *container.Scroll:
		walk(w.Content, f)
	case *widget.Card:
		if w.Content != nil {
			walk(w.Content, f)
		}
	case *container.AppTabs:
		if sel := w.Selected(); sel != nil {
			walk(sel.Content, f)
		}
	}
}

// hasLabel reports whether a label of the window starts with prefix.
func hasLabel(texts []string, prefix string) bool {
	for _, l := range texts {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// stalls is what watch saw: the longest a function handed to the UI goroutine waited, and the
// time the work took.
type stalls struct {
	worst, took time.Duration
	texts       []string // the window's labels at the end
}

// watch runs start on the UI goroutine and then, until done says the window shows the end of
// the work, hands the UI goroutine a function every 5 ms and measures how long it waits: the
// longest wait is the longest the UI goroutine was blocked (by our callbacks or by painting).
func watch(t *testing.T, start func(), done func(labels []string) bool) stalls {
	t.Helper()
	var st stalls
	t0 := time.Now()
	fyne.DoAndWait(start)
	var texts []string
	for time.Since(t0) < 2*time.Minute {
		s := time.Now()
		fyne.DoAndWait(func() { texts = labels(win.Content()) })
		st.worst = max(st.worst, time.Since(s))
		if done(texts) {
			st.took, st.texts = time.Since(t0), texts
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the work did not finish in 2 minutes; the window says %q", texts)
	return st
}

// paintFloor is the stall of merely painting the window as it is now: for d it asks for a new
// frame every poll (Canvas.Refresh of one small object makes Fyne repaint the whole window) and
// measures how long a function handed to the UI goroutine waits meanwhile. No code of ours runs.
func paintFloor(d time.Duration) time.Duration {
	var worst time.Duration
	tick := widget.NewLabel("")
	t0 := time.Now()
	for time.Since(t0) < d {
		fyne.Do(func() { win.Canvas().Refresh(tick) })
		time.Sleep(5 * time.Millisecond)
		s := time.Now()
		fyne.DoAndWait(func() {})
		worst = max(worst, time.Since(s))
	}
	return worst
}

// checkStall fails the test when work held the UI goroutine more than 100 ms beyond painting: a
// function queued while a frame paints waits for it, and Fyne's loop picks at random between a
// pending frame tick and the queue, so two frames back to back are normal; anything more is ours.
func checkStall(t *testing.T, what string, worst, floor time.Duration) {
	t.Helper()
	if limit := 2*floor + 100*time.Millisecond; worst > limit {
		t.Errorf("%s held the UI goroutine %v; two frames of repainting the screen (%v each) and 100 ms allow %v", what, worst, floor, limit)
	}
}

// verifyAndWatch drops path on 文件验签 and watches until it says it is done; it returns the
// stalls and the verdict shown.
func verifyAndWatch(t *testing.T, path string) (stalls, string) {
	st := watch(t, func() { shell.OpenFiles([]string{path}) },
		func(texts []string) bool { return hasLabel(texts, "已完成") })
	verdict := ""
	for _, l := range st.texts {
		if strings.HasPrefix(l, "验签结论") {
			verdict = l
		}
	}
	return st, verdict
}

// TestUIFreeWhileVerifying45MB drops a 45 MB signed PDF on 文件验签 and measures how long a
// function handed to the UI goroutine waits meanwhile, against the same drop of a small signed
// PDF (which shows the same cards: what remains is painting, not verification), against merely
// repainting the finished screen, and for a file with 20 signatures (20 cards).
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
	sm, _ := verifyAndWatch(t, small)
	lg, verdict := verifyAndWatch(t, large)
	floor := paintFloor(2 * time.Second)
	many, _ := verifyAndWatch(t, manySignedPDF(t, p, 20))
	manyFloor := paintFloor(2 * time.Second)
	t.Logf("verify 45 MB: %v, UI goroutine worst wait %v; same screen with a 10 KB file: %v (in %v); repainting the finished screen: %v; "+
		"a file with 20 signatures: worst wait %v (in %v), repainting it: %v",
		lg.took, lg.worst, sm.worst, sm.took, floor, many.worst, many.took, manyFloor)
	if verdict != "验签结论：有效且可信" {
		t.Errorf("verdict %q", verdict)
	}
	checkStall(t, "verifying 45 MB", lg.worst, floor)
	checkStall(t, "showing 20 signatures", many.worst, manyFloor)
}

// TestUIFreeWhileSigning opens documents on 本机签署 and measures the UI goroutine's longest
// wait against merely repainting the screen. A 45 MB file is refused (SPEC §5: documents to sign
// are at most 10 MB), so that case measures the refusal; the signing run uses a 9.5 MB file with
// an empty signature field: open it, pick the signature image, sign with the personal key.
func TestUIFreeWhileSigning(t *testing.T) {
	if os.Getenv("SEALDESK_LONG") == "" {
		t.Skip("a performance run: set SEALDESK_LONG=1 (and a DISPLAY, e.g. xvfb-run)")
	}
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	const pin = "135790"
	in, err := local.Keys.Generate(pin)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := local.Keys.CSR(in.ID, pin, pkix.Name{CommonName: "张三"})
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(csr)
	cert, err := pki.IssueFromCSR(p.Issuer(), blk.Bytes, pki.Request{Profile: pki.ProfilePerson,
		Subject: pkix.Name{CommonName: "张三"}, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := local.Keys.SetCertificate(in.ID, append([]*x509.Certificate{cert}, p.Chain...)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	withField := func(n int, name string) string {
		doc := filepath.Join(dir, name)
		if err := sign.AddFields(largePDF(t, n), doc, []sign.FieldSpec{{Name: "r1-sign-1", Page: 1,
			Rect: sign.VisibleRect{X1: 100, Y1: 100, X2: 250, Y2: 160}}}); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	send := shell.Screen(ui.NavSend)
	signer, ok := send.(interface{ SignTo(pin, out string) })
	if !ok {
		t.Fatal("本机签署 has no SignTo")
	}
	// open watches until the screen says want and 1.5 s more: the page is rendered in the
	// background and its image handed to the UI goroutine after the status says the file is open.
	open := func(doc string, want string) stalls {
		var seen time.Time
		return watch(t, func() {
			shell.Show(ui.NavSend)
			send.(ui.FileOpener).OpenFiles([]string{doc})
		}, func(texts []string) bool {
			if seen.IsZero() && hasLabel(texts, want) {
				seen = time.Now()
			}
			return !seen.IsZero() && time.Since(seen) > 1500*time.Millisecond
		})
	}

	refused := open(withField(45<<20, "large-待签.pdf"), "文件超过 10 MB")
	opened := open(withField(19<<19, "big-待签.pdf"), "文件中有 1 个待签位置")
	fyne.DoAndWait(func() {
		walk(win.Content(), func(o fyne.CanvasObject) {
			if s, ok := o.(*widget.Select); ok && len(s.Options) > 0 {
				s.SetSelectedIndex(0)
			}
		})
	})
	out := filepath.Join(dir, "big-已签.pdf")
	signed := watch(t, func() { signer.SignTo(pin, out) },
		func(texts []string) bool { return hasLabel(texts, "已签署") || hasLabel(texts, "签署失败") })
	if !hasLabel(signed.texts, "已签署") {
		t.Fatalf("not signed: %q", signed.texts)
	}
	floor := paintFloor(2 * time.Second)
	t.Logf("45 MB refused in %v (UI goroutine worst wait %v); 9.5 MB opened in %v (worst wait %v), signed in %v (worst wait %v); repainting the screen: %v",
		refused.took, refused.worst, opened.took, opened.worst, signed.took, signed.worst, floor)
	checkStall(t, "refusing 45 MB", refused.worst, floor)
	checkStall(t, "opening 9.5 MB", opened.worst, floor)
	checkStall(t, "signing 9.5 MB", signed.worst, floor)
}
