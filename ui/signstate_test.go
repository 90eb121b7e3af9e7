package ui

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/keystore"
	"sealdesk/core/pki/pkitest"
)

// newKeyless is 发起签署 on a machine without a personal key, with lib as 我的印章.
func newKeyless(t *testing.T, lib SealLibrary) (*sendScreen, fyne.Window) {
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	return newSendTest(t, &LocalServices{Prefs: &memPrefs{}, Library: lib, PlatformRoots: []*x509.Certificate{p.Root},
		Keys: keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}}),
		CA:   newTestCA(t, p)})
}

// visibleObjects lists every visible object under o (containers, tabs, widgets' renderers).
func visibleObjects(t *testing.T, o fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *container.AppTabs:
			if sel := x.Selected(); sel != nil {
				walk(sel.Content)
			}
		case fyne.Widget:
			for _, c := range test.TempWidgetRenderer(t, x).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// texts lists the texts of the visible labels, buttons and canvas texts under o.
func texts(t *testing.T, o fyne.CanvasObject) string {
	var b strings.Builder
	for _, x := range visibleObjects(t, o) {
		switch x := x.(type) {
		case *widget.Label:
			b.WriteString(x.Text + "\n")
		case *widget.Button:
			b.WriteString("[" + x.Text + "]\n")
		case *widget.RichText:
			b.WriteString(x.String() + "\n")
		case *canvas.Text:
			b.WriteString(x.Text + "\n")
		}
	}
	return b.String()
}

// overlayEntries are the entries of the top overlay in order.
func overlayEntries(t *testing.T, w fyne.Window) []*widget.Entry {
	var out []*widget.Entry
	for _, o := range overlayObjects(t, w) {
		if e, ok := o.(*widget.Entry); ok {
			out = append(out, e)
		}
	}
	return out
}

// TestKeyDialogStatesRuleAndKeepsInput: the key dialog says the PIN rule before anything is
// typed, and a wrong ID number keeps the dialog open with everything typed in it.
func TestKeyDialogStatesRuleAndKeepsInput(t *testing.T) {
	v, w := newKeyless(t, &memLibrary{})
	test.Tap(v.sign.keyBtn)
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("no key dialog")
	}
	if s := texts(t, w.Canvas().Overlays().Top()); !strings.Contains(s, "6 位数字") {
		t.Fatalf("the rule is not stated up front:\n%s", s)
	}
	es := overlayEntries(t, w)
	if len(es) != 4 {
		t.Fatalf("%d entries", len(es))
	}
	for i, s := range []string{"张三", "110105194912310021", "135790", "135790"} {
		w.Canvas().Focus(es[i]) // as a person clicks into each field in turn
		test.Type(es[i], s)
	}
	if b := overlayButton(t, w, tr("common.ok")); b != nil {
		test.Tap(b)
	}
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("the dialog closed on a wrong ID number")
	}
	es = overlayEntries(t, w)
	if len(es) != 4 || es[0].Text != "张三" || es[1].Text != "110105194912310021" || es[2].Text != "135790" {
		t.Fatalf("input lost: %d entries", len(es))
	}
	if s := texts(t, w.Canvas().Overlays().Top()); !strings.Contains(s, "身份证号码无效") {
		t.Fatalf("no inline message about the ID number:\n%s", s)
	}
	if list, _ := v.sign.local.Keys.List(); len(list) != 0 {
		t.Fatal("a key was made")
	}
}

// TestRenewKeyConfirmsAndNeedsCurrentPIN: 重新生成密钥 asks for confirmation, then for the
// current PIN; a wrong one is counted (the lock-out stays in force) and changes nothing.
func TestRenewKeyConfirmsAndNeedsCurrentPIN(t *testing.T) {
	f := newSignFlow(t)
	sg, w := f.v.sign, f.w
	before, _ := f.local.Keys.List()
	test.Tap(sg.keyBtn)
	if top := w.Canvas().Overlays().Top(); top == nil || !strings.Contains(texts(t, top), "替换") {
		t.Fatal("重新生成密钥 did not ask for confirmation")
	}
	b := overlayButton(t, w, tr("sign.key.renew.ok"))
	if b == nil {
		t.Fatal("no button to go on")
	}
	test.Tap(b)
	es := overlayEntries(t, w)
	if len(es) != 5 || !es[0].Password {
		t.Fatalf("the renewal form has %d entries, want the current PIN first", len(es))
	}
	for i, s := range []string{"000000", "张三", "11010519491231002X", "246801", "246801"} {
		w.Canvas().Focus(es[i])
		test.Type(es[i], s)
	}
	test.Tap(overlayButton(t, w, tr("common.ok")))
	workers.drain(&sg.wg)
	if top := w.Canvas().Overlays().Top(); top == nil || !strings.Contains(texts(t, top), "签约密码错误，还可以再试 4 次") {
		t.Fatal("a wrong current PIN was not refused in the dialog")
	}
	if after, _ := f.local.Keys.List(); len(after) != 1 || after[0].ID != before[0].ID {
		t.Fatal("the key changed after a wrong current PIN")
	}
	if es = overlayEntries(t, w); es[1].Text != "张三" || es[3].Text != "246801" {
		t.Fatal("input lost after a wrong current PIN")
	}
	es[0].SetText("")
	test.Type(es[0], flowPIN)
	test.Tap(overlayButton(t, w, tr("common.ok")))
	workers.drain(&sg.wg)
	after, _ := f.local.Keys.List()
	if len(after) != 1 || after[0].ID == before[0].ID || after[0].Certificate == nil {
		t.Fatalf("renewal: %d keys (%q)", len(after), sg.status.Text)
	}
	if _, err := f.local.Keys.Unlock(after[0].ID, "246801"); err != nil {
		t.Fatalf("the new PIN does not open the new key: %v", err)
	}
}

// TestSealsAppearLive: a seal made in 签章管理 is offered in 本机签署 at once, without switching
// tabs; an empty list says so with a way to make one; a disabled 签署并保存 says why.
func TestSealsAppearLive(t *testing.T) {
	lib := &memLibrary{}
	v, _ := newKeyless(t, lib)
	sg := v.sign
	v.tabs.Select(v.signTab)
	got := texts(t, sg.root)
	if !strings.Contains(got, "还没有签名或印章") || !strings.Contains(got, "[去制作签名或印章…]") {
		t.Fatalf("no hint for an empty list:\n%s", got)
	}
	if !sg.signBtn.Disabled() || !strings.Contains(got, "请先生成个人密钥") {
		t.Fatalf("the disabled button does not say why:\n%s", got)
	}
	ss := v.place.shell.Screen(NavSeals).(*sealsScreen)
	sig := drawnSignature(t)
	ss.save(sig, widget.NewLabel(""))
	waitUntil(t, "本机签署 follows the library", func() bool { return len(sg.image.Options) == 1 })
	if len(sg.image.Options) != 1 || !strings.HasPrefix(sg.image.Options[0], sig.Name) {
		t.Fatalf("本机签署 offers %q after a signature was made", sg.image.Options)
	}
	if strings.Contains(texts(t, sg.root), "还没有签名或印章") {
		t.Fatal("the empty-list hint stays")
	}
}

// TestLanguageSwitchKeepsWork: switching language keeps the open documents, the placed boxes
// and the selected box on both tabs.
func TestLanguageSwitchKeepsWork(t *testing.T) {
	f := newSignFlow(t)
	v := f.v
	s := v.place.shell
	in := writeTestPDF(t, "plain.pdf", a4Pages(2))
	v.place.OpenFiles([]string{in})
	workers.drain(&v.place.wg)
	v.place.pv.Wait()
	dragPalette(v.place.palette[0], absOfDisplay(v.place.pv, 0, 150, 600))
	dragPalette(v.place.palette[1], absOfDisplay(v.place.pv, 0, 400, 600))
	f.open(t, f.placed)
	v.sign.selectTarget(v.sign.targets[1])
	v.tabs.Select(v.signTab)
	t.Cleanup(func() { SetLanguage(LangChinese) })
	if err := SetLanguage(LangEnglish); err != nil {
		t.Fatal(err)
	}
	s.Rebuild()
	n := s.Screen(NavSend).(*sendScreen)
	if n == v {
		t.Fatal("not rebuilt")
	}
	if n.place.path != in || len(n.place.boxes) != 2 || n.place.doc == nil {
		t.Fatalf("指定签署位置 lost its work: %q, %d boxes", n.place.path, len(n.place.boxes))
	}
	if n.sign.path != f.placed || n.sign.doc == nil || n.sign.selected == nil || n.sign.selected.field != "r2-sign-1" {
		t.Fatalf("本机签署 lost its work: %q", n.sign.path)
	}
	if n.tabs.Selected() != n.signTab || n.sign.image.SelectedIndex() != 0 {
		t.Fatal("the tab or the image choice was lost")
	}
}

// TestDocumentsCarryToSend: the document open in 文件 is the one 发起签署 starts with.
func TestDocumentsCarryToSend(t *testing.T) {
	v, _ := newKeyless(t, &memLibrary{})
	s := v.place.shell
	in := writeTestPDF(t, "contract.pdf", a4Pages(1))
	s.Show(NavDocuments)
	ds := s.Screen(NavDocuments).(*DocumentsScreen)
	ds.OpenFile(in)
	ds.Wait()
	test.Tap(s.NavButton(NavSend))
	workers.drain(&v.place.wg)
	workers.drain(&v.sign.wg)
	if v.place.path != in || v.sign.path != in {
		t.Fatalf("发起签署 opened %q / %q, want %s", v.place.path, v.sign.path, in)
	}
}

// TestPageTapAddsNoBox: a single click on the page adds nothing.
func TestPageTapAddsNoBox(t *testing.T) {
	f := newSignFlow(t)
	sg := f.v.sign
	f.v.tabs.Select(f.v.signTab)
	f.open(t, f.placed)
	n := len(sg.targets)
	test.TapCanvas(f.w.Canvas(), absOfDisplay(sg.pv, 0, 300, 300))
	if len(sg.targets) != n {
		t.Fatalf("a click on the page added a box (%d → %d)", n, len(sg.targets))
	}
}

// TestAddBoxExplicitly: 添加签署位置 dragged onto the page adds a box there (selected); tapped,
// it adds one on the current page; the new box can be dragged and signed.
func TestAddBoxExplicitly(t *testing.T) {
	f := newSignFlow(t)
	sg := f.v.sign
	f.v.tabs.Select(f.v.signTab)
	in := writeTestPDF(t, "plain.pdf", a4Pages(1))
	f.open(t, in)
	if len(sg.targets) != 0 || !strings.Contains(sg.why.Text, "请点击一个签署位置，或添加一个") {
		t.Fatalf("targets %d, why %q", len(sg.targets), sg.why.Text)
	}
	dragPalette(sg.addItem, absOfDisplay(sg.pv, 0, 300, 200))
	if len(sg.targets) != 1 || sg.selected != sg.targets[0] || sg.signBtn.Disabled() {
		t.Fatalf("drag: %d targets", len(sg.targets))
	}
	r := sg.targets[0].rect
	if cx, cy := (r.LLX+r.URX)/2, 842-(r.LLY+r.URY)/2; !near(cx, 300) || !near(cy, 200) {
		t.Fatalf("box centred at %.1f,%.1f, want 300,200", cx, cy)
	}
	test.Drag(f.w.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(sg.targets[0].w).AddXY(20, 20), 20, 0)
	if sg.targets[0].rect.LLX <= r.LLX {
		t.Fatal("the new box did not move")
	}
	test.Tap(sg.addItem)
	if len(sg.targets) != 2 || sg.selected != sg.targets[1] {
		t.Fatalf("tap: %d targets", len(sg.targets))
	}
	out := filepath.Join(f.dir, "plain-signed.pdf")
	sg.signTo(flowPIN, out)
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if got := f.verified(t, out); len(got) != 1 {
		t.Fatalf("signatures %v (%q)", got, sg.status.Text)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatal(err)
	}
}

// TestPlacementSaveSaysWhy: a disabled 保存签署位置 says what is missing.
func TestPlacementSaveSaysWhy(t *testing.T) {
	v, _ := newKeyless(t, &memLibrary{})
	p := v.place
	if !p.saveBtn.Disabled() || !p.saveWhy.Visible() || p.saveWhy.Text != "请先打开文件" {
		t.Fatalf("no document: %q", p.saveWhy.Text)
	}
	p.OpenFiles([]string{writeTestPDF(t, "plain.pdf", a4Pages(1))})
	workers.drain(&p.wg)
	p.pv.Wait()
	if !p.saveBtn.Disabled() || p.saveWhy.Text != "请先把方框拖到页面上" {
		t.Fatalf("no boxes: %q", p.saveWhy.Text)
	}
	dragPalette(p.palette[0], absOfDisplay(p.pv, 0, 150, 600))
	if p.saveBtn.Disabled() || p.saveWhy.Visible() {
		t.Fatal("a box placed, yet save is disabled")
	}
	test.Tap(p.boxes[0].w.Delete)
	if !p.saveBtn.Disabled() || !p.saveWhy.Visible() {
		t.Fatal("the last box deleted, yet save is enabled")
	}
}

// TestSealsListFollowsStore: an item saved into the library by anyone (here: straight into
// the store, as sync would) shows in 我的印章 without touching the screen.
func TestSealsListFollowsStore(t *testing.T) {
	v, lib, _ := newSealsTest(t)
	n := len(v.list.Objects)
	if _, err := lib.Save(drawnSignature(t)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "我的印章 follows the store", func() bool { return len(v.list.Objects) == n+1 })
	if len(v.list.Objects) != n+1 {
		t.Fatalf("我的印章 shows %d items, want %d", len(v.list.Objects), n+1)
	}
}
