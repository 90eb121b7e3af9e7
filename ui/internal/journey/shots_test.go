package journey

import (
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/pki/pkitest"
	"sealdesk/ui"
	"sealdesk/ui/widgets"
)

// visiblePageView is the page view of the tab shown.
func visiblePageView(t *testing.T) *widgets.PageView {
	t.Helper()
	pv, _ := find(false, func(o fyne.CanvasObject) bool { _, ok := o.(*widgets.PageView); return ok }).(*widgets.PageView)
	if pv == nil {
		t.Fatal("no page view shown")
	}
	return pv
}

// dropTile drags a palette tile (found by its label) onto page 1 at (dx, dy) display points.
func dropTile(t *testing.T, label string, dx, dy float64) {
	t.Helper()
	pv := visiblePageView(t)
	it, _ := find(false, func(o fyne.CanvasObject) bool {
		p, ok := o.(*widgets.PaletteItem)
		return ok && p.Label == label
	}).(*widgets.PaletteItem)
	if it == nil {
		t.Fatalf("no tile %q", label)
	}
	fyne.DoAndWait(func() {
		m, _ := pv.PageMapper(0)
		d := fyne.CurrentApp().Driver()
		abs := d.AbsolutePositionForObject(pv.Scroll.Content).Add(m.Origin).Add(fyne.NewPos(float32(dx*m.Zoom), float32(dy*m.Zoom)))
		start := d.AbsolutePositionForObject(it)
		it.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: start.AddXY(5, 5)}, Dragged: fyne.Delta{DX: 5, DY: 5}})
		it.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: abs}, Dragged: fyne.Delta{DX: abs.X - start.X, DY: abs.Y - start.Y}})
		it.DragEnd()
	})
}

// selectTab shows 指定签署位置 (0) or 本机签署 (1): 发起签署's tabs after its envelope editor.
func selectTab(i int) {
	fyne.DoAndWait(func() {
		walk(win.Content(), func(o fyne.CanvasObject) {
			if tabs, ok := o.(*container.AppTabs); ok && len(tabs.Items) == 3 {
				tabs.SelectIndex(i + 1)
			}
		})
	})
}

// TestShotsSendScreens writes 发起签署 (指定签署位置 with boxes placed, 本机签署 with a document
// open) in Chinese and English at 1366×768 and 1024×640 into $SEALDESK_SHOTS, switching the
// language with the work open (it must stay). Without SEALDESK_SHOTS it skips.
func TestShotsSendScreens(t *testing.T) {
	dir := os.Getenv("SEALDESK_SHOTS")
	if dir == "" {
		t.Skip("set SEALDESK_SHOTS=DIR to write screen pictures")
	}
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	certifiedKey(t, p)
	work := t.TempDir()
	plain, placed := contractPDF(t, work)
	fyne.DoAndWait(func() {
		win.Resize(fyne.NewSize(1366, 768))
		shell.Show(ui.NavSend)
	})
	// A fresh 发起签署 (the journey may have left a document open): rebuild in Chinese.
	fyne.DoAndWait(func() {
		ui.SetLanguage(ui.LangChinese)
		shell.Rebuild()
	})
	selectTab(1)
	// What the journey left open was handed over by the rebuild: its boxes are all signed.
	shot(t, "send-sign-allsigned-zh-1366")
	// 重新生成密钥: confirmation first, then the form with the current PIN and the rules.
	tap(waitFor(t, "重新生成密钥", false, button("重新生成密钥…")))
	waitFor(t, "the confirmation", true, button("继续"))
	shot(t, "sign-renew-confirm-zh-1366")
	tap(waitFor(t, "继续", true, button("继续")))
	cur := waitFor(t, "the key form", true, func(o fyne.CanvasObject) bool {
		e, ok := o.(*widget.Entry)
		return ok && e.Password
	}).(*widget.Entry)
	fyne.DoAndWait(func() { win.Canvas().Focus(cur); cur.SetText("12") })
	fyne.DoAndWait(func() {
		walk(win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
			if e, ok := o.(*widget.Entry); ok && !e.Password && e.Text == "" {
				win.Canvas().Focus(e) // leave the PIN field: its message shows
			}
		})
	})
	shot(t, "sign-key-dialog-zh-1366")
	tap(waitFor(t, "取消", true, button("取消")))
	selectTab(0)
	// 指定签署位置: the contract with boxes for two signers.
	send := shell.Screen(ui.NavSend)
	fyne.DoAndWait(func() { send.(interface{ PlaceFiles([]string) }).PlaceFiles([]string{plain}) })
	waitFor(t, "the placement document", false, labelPrefix("合同.pdf：共 1 页"))
	time.Sleep(time.Second)
	dropTile(t, "签名框", 150, 520)
	dropTile(t, "日期", 150, 580)
	fyne.DoAndWait(func() {
		walk(win.Content(), func(o fyne.CanvasObject) {
			if s, ok := o.(*widget.Select); ok && len(s.Options) == 5 {
				s.SetSelectedIndex(1)
			}
		})
	})
	dropTile(t, "盖章框", 420, 540)
	dropTile(t, "骑缝章", 560, 300)
	selectTab(1)
	fyne.DoAndWait(func() { send.(ui.FileOpener).OpenFiles([]string{placed}) })
	waitFor(t, "the document to sign", false, labelPrefix("文件中有 2 个待签位置"))
	fyne.DoAndWait(func() {
		walk(win.Content(), func(o fyne.CanvasObject) {
			if s, ok := o.(*widget.Select); ok && len(s.Options) > 0 && s.SelectedIndex() < 0 {
				s.SetSelectedIndex(0)
			}
		})
	})
	for _, lang := range []string{ui.LangChinese, ui.LangEnglish} {
		if lang == ui.LangEnglish {
			fyne.DoAndWait(func() {
				ui.SetLanguage(ui.LangEnglish)
				shell.Rebuild()
			})
		}
		for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1024, Height: 640}} {
			fyne.DoAndWait(func() { win.Resize(size) })
			tag := lang[:2] + "-" + map[float32]string{1366: "1366", 1024: "1024"}[size.Width]
			selectTab(0)
			shot(t, "send-place-"+tag)
			selectTab(1)
			shot(t, "send-sign-"+tag)
		}
	}
	fyne.DoAndWait(func() {
		ui.SetLanguage(ui.LangChinese)
		shell.Rebuild()
		win.Resize(fyne.NewSize(1366, 768))
	})
}
