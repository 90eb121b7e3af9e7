package journey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sealdesk/core/api"
	"sealdesk/core/pdf/render"
	"sealdesk/store/bolt"
	"sealdesk/ui"
	"sealdesk/ui/internal/servertest"
	"sealdesk/ui/internal/windowtest"
)

// desktop is one SealDesk window of the two-desktop run: its own data folder, its own
// Connection (a different account), its own key store.
type desktop struct {
	w     fyne.Window
	shell *ui.Shell
	drive *ui.ContractDriver
	other *desktop // hidden while this one is pictured (Xvfb reads the screen: overlaps show)
}

func newDesktop(t *testing.T, p *servertest.Party, engine *render.Engine, title string) *desktop {
	dir := t.TempDir()
	lib := &memLibrary{items: []ui.LibraryItem{{ID: "1", Kind: ui.ItemSignatureDraw, Name: p.Name + "的签名", PNG: windowtest.SignatureImage()}}}
	local := &ui.LocalServices{Prefs: windowtest.NewPrefs(), Keys: p.Keys, Library: lib}
	d := &desktop{}
	fyne.DoAndWait(func() {
		d.w = fyne.CurrentApp().NewWindow(title)
		d.shell = ui.NewShell(fyne.CurrentApp(), d.w, ui.Services{Settings: &memSettings{dir: dir, lang: ui.LangChinese}, Version: "0.0.0",
			Local: local, Renderer: ui.PDFRenderer{Engine: engine}, Conn: p.Conn})
		d.w.SetContent(d.shell.Content())
		// inside the 1280×800 screen `make test` gives Xvfb; the pictures resize (doc.go)
		d.w.Resize(fyne.NewSize(1200, 720))
		d.w.Show()
	})
	d.drive = d.shell.ContractDriver()
	t.Cleanup(func() {
		d.shell.StopWatching()
		fyne.DoAndWait(d.w.Close)
	})
	return d
}

// resize sizes the window for a picture (only when pictures are written: a window beyond the
// screen makes Mesa's software renderer fail).
func (d *desktop) resize(sz fyne.Size) {
	if os.Getenv("SEALDESK_SHOTS") != "" {
		fyne.DoAndWait(func() { d.w.Resize(sz) })
	}
}

func (d *desktop) shot(t *testing.T, name string) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		return
	}
	if d.other != nil {
		fyne.DoAndWait(d.other.w.Hide)
		defer fyne.DoAndWait(d.other.w.Show)
	}
	fyne.DoAndWait(func() { d.w.Show(); d.w.RequestFocus() })
	time.Sleep(800 * time.Millisecond) // page images arrive after the layout
	img, err := ui.CaptureWhenDrawn(d.w, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := ui.WritePNG(filepath.Join(dir, name+".png"), img); err != nil {
		t.Fatal(err)
	}
}

// TestTwoDesktops is the whole contract flow with two desktop windows against one server: A
// (张三) prepares a contract in 发起签署, places B's signature and date boxes and sends; B's 文件
// shows it under 待我签 by itself; B signs with the device key and the PIN; A's 文件 shows it
// 已完成. With SEALDESK_SHOTS=DIR it also writes the screens on the way, in Chinese and English,
// at 1366×768 and 1024×640.
func TestTwoDesktops(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "server.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, st)
	pa, pb := srv.Party(t, "张三"), srv.Party(t, "李四")
	engine := render.New(nil)
	defer engine.Close()
	// the journey's own window steps aside for the two desktops
	fyne.DoAndWait(win.Hide)
	defer fyne.DoAndWait(win.Show)
	a := newDesktop(t, pa, engine, "SealDesk — 张三")
	b := newDesktop(t, pb, engine, "SealDesk — 李四")
	a.other, b.other = b, a
	work := t.TempDir()
	plain, _ := contractPDF(t, work)

	// B waits on an empty 待我签: the drop-in invitation to send one
	if n := b.drive.ShowBox(api.BoxToSign); n != 0 {
		t.Fatalf("B's 待我签 has %d before anything was sent", n)
	}
	sizes := []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}}
	b.shot(t, "contracts-empty-zh-1366")

	a.drive.Compose([]string{plain}, "办公设备采购合同", pb.Name, pb.Phone)
	for _, sz := range sizes {
		a.resize(sz)
		a.shot(t, "compose-zh-"+sizeName(sz))
	}
	a.resize(sizes[0])
	a.drive.PlaceBoxes()
	a.shot(t, "compose-place-zh-1366")
	start := time.Now()
	if msg := a.drive.Send(); !strings.Contains(msg, "已发送") {
		t.Fatalf("A's send: %q", msg)
	}
	a.shot(t, "compose-sent-zh-1366")

	// B's 待我签 follows by itself
	deadline := time.Now().Add(10 * time.Second)
	for b.drive.Rows() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("B's 待我签 did not show the contract")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("B's 待我签 showed the contract %v after A's 发送", time.Since(start))
	for _, sz := range sizes {
		b.resize(sz)
		b.shot(t, "contracts-tosign-zh-"+sizeName(sz))
	}
	b.resize(sizes[0])
	b.drive.SignFirst()
	b.shot(t, "contract-sign-zh-1366")
	if msg := b.drive.Submit(servertest.PIN); msg != "签署成功。" {
		t.Fatalf("B's 立即提交: %q", msg)
	}
	b.shot(t, "contract-signed-zh-1366")

	// A's 文件: 已完成
	deadline = time.Now().Add(15 * time.Second)
	for a.drive.ShowBox(api.BoxCompleted) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("A's 已完成 stays empty")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if s := a.drive.OpenFirst(); s != "已完成" {
		t.Fatalf("A's detail says %q", s)
	}
	a.shot(t, "contract-completed-zh-1366")

	if os.Getenv("SEALDESK_SHOTS") == "" {
		return
	}
	// the same screens in English, and the Chinese ones at 1024×640
	for _, lang := range []string{ui.LangEnglish, ui.LangChinese} {
		for _, sz := range sizes {
			if lang == ui.LangChinese && sz.Width == 1366 {
				continue
			}
			suffix := "-" + lang + "-" + sizeName(sz)
			fyne.DoAndWait(func() {
				ui.SetLanguage(lang)
				a.shell.Rebuild()
				b.shell.Rebuild()
				a.w.Resize(sz)
				b.w.Resize(sz)
			})
			a.drive.ShowBox(api.BoxCompleted)
			a.drive.OpenFirst()
			a.shot(t, "contract-completed"+suffix)
			b.drive.ShowBox(api.BoxCompleted)
			b.shot(t, "contracts-completed"+suffix)
			a.drive.Compose([]string{plain}, "Supply agreement", pb.Name, pb.Phone)
			a.shot(t, "compose"+suffix)
		}
	}
	fyne.DoAndWait(func() { ui.SetLanguage(ui.LangChinese) })
}

func sizeName(s fyne.Size) string {
	if s.Width >= 1366 {
		return "1366"
	}
	return "1024"
}
