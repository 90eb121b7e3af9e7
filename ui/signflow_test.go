package ui

import (
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/render"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/keystore"
	"sealdesk/core/pki/pkitest"
	"sealdesk/core/sign"
	"sealdesk/core/verify"
)

// signFlow is 本机签署 with a certified personal key (PIN 135790), one signature image and a
// document with two empty signature boxes (r1-sign-1, r2-sign-1).
type signFlow struct {
	v      *sendScreen
	w      fyne.Window
	p      *pkitest.PKI
	local  *LocalServices
	lib    *memLibrary
	placed string
	dir    string
}

const flowPIN = "135790"

func newSignFlow(t *testing.T) *signFlow {
	t.Helper()
	now := time.Now()
	p := pkitest.New(t, &pkitest.Options{Now: func() time.Time { return now }, NoServer: true})
	lib := &memLibrary{}
	lib.Save(drawnSignature(t))
	local := &LocalServices{Prefs: &memPrefs{}, Library: lib, PlatformRoots: []*x509.Certificate{p.Root},
		Keys: keystore.New(&memKeys{}, &keystore.Options{Params: keystore.Params{Time: 1, Memory: 8 << 10, Threads: 1}}),
		CA:   newTestCA(t, p)}
	v, w := newSendTest(t, local)
	dir := t.TempDir()
	placed := filepath.Join(dir, "contract-待签.pdf")
	if err := sign.AddFields(writeTestPDF(t, "contract.pdf", a4Pages(1)), placed, []sign.FieldSpec{
		{Name: "r1-sign-1", Page: 1, Rect: sign.VisibleRect{X1: 80, Y1: 200, X2: 200, Y2: 248}},
		{Name: "r2-sign-1", Page: 1, Rect: sign.VisibleRect{X1: 320, Y1: 200, X2: 440, Y2: 248}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := v.sign.createKey("张三", "11010519491231002X", flowPIN, flowPIN); err != nil {
		t.Fatal(err)
	}
	workers.drain(&v.sign.wg)
	return &signFlow{v: v, w: w, p: p, local: local, lib: lib, placed: placed, dir: dir}
}

func (f *signFlow) open(t *testing.T, path string) {
	t.Helper()
	sg := f.v.sign
	sg.OpenFiles([]string{path})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if sg.path != path {
		t.Fatalf("did not open %s: %q", path, sg.status.Text)
	}
	sg.image.SetSelectedIndex(0)
}

// verified returns the signatures of path with our verifier, trusting the test root.
func (f *signFlow) verified(t *testing.T, path string) []string {
	t.Helper()
	rep, err := verify.File(context.Background(), path, &verify.Options{Renderer: render.Shared(), Trust: verify.NewTrustStore(f.p.Root)})
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, s := range rep.Signatures {
		if s.Status != verify.StatusValid {
			t.Errorf("%s: signature %s is %v", filepath.Base(path), s.Field, s.Status)
		}
		fields = append(fields, s.Field)
	}
	return fields
}

// TestSignTwiceKeepsBothSignatures is the journey of issue 11: sign box 1, then box 2 with the
// name the screen offers. The view must move to the signed output after the first signature (its
// box shown as signed, the next empty box selected), so that the second signature builds on the
// file holding the first; the result holds both.
func TestSignTwiceKeepsBothSignatures(t *testing.T) {
	f := newSignFlow(t)
	sg := f.v.sign
	f.open(t, f.placed)
	if sg.selected == nil || sg.selected.field != "r1-sign-1" {
		t.Fatalf("first box not selected: %+v", sg.selected)
	}
	out := filepath.Join(f.dir, "contract-待签-已签.pdf")
	sg.signTo(flowPIN, out)
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if !strings.Contains(sg.status.Text, "已签署") {
		t.Fatalf("sign 1: %q", sg.status.Text)
	}
	// The view is on the signed output, box 1 shown as signed, box 2 selected.
	if sg.path != out {
		t.Fatalf("after signing the view shows %s, want the signed output %s", filepath.Base(sg.path), filepath.Base(out))
	}
	var signedBoxes []string
	for _, tg := range sg.targets {
		if tg.signed {
			signedBoxes = append(signedBoxes, tg.field)
		}
	}
	if len(signedBoxes) != 1 || signedBoxes[0] != "r1-sign-1" {
		t.Fatalf("boxes shown as signed: %v", signedBoxes)
	}
	if sg.selected == nil || sg.selected.field != "r2-sign-1" || sg.signBtn.Disabled() {
		t.Fatalf("next empty box not selected: %+v (sign disabled %v)", sg.selected, sg.signBtn.Disabled())
	}
	// Box 2, written to the file the user just made (the name the old screen offered).
	sg.signTo(flowPIN, out)
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if got := f.verified(t, out); len(got) != 2 || got[0] != "r1-sign-1" || got[1] != "r2-sign-1" {
		t.Fatalf("the result holds %v (%q), want both signatures", got, sg.status.Text)
	}
	if f.placed == sg.path {
		t.Fatal("the view went back to the original")
	}
	for _, tg := range sg.targets {
		if !tg.signed {
			t.Errorf("box %s not shown as signed", tg.field)
		}
	}
	if sg.selected != nil || !sg.signBtn.Disabled() {
		t.Error("nothing is left to sign, yet a box is selected")
	}
}

// TestSignNeverOverwritesSignatures: signing the unsigned original into the file that holds
// signature 1 is refused with a Chinese message, and that file stays as it was.
func TestSignNeverOverwritesSignatures(t *testing.T) {
	f := newSignFlow(t)
	sg := f.v.sign
	f.open(t, f.placed)
	out := filepath.Join(f.dir, "signed.pdf")
	sg.signTo(flowPIN, out)
	workers.drain(&sg.wg)
	sg.pv.Wait()
	before := fileSum(t, out)

	f.open(t, f.placed) // back on the unsigned original
	for _, tg := range sg.targets {
		if tg.field == "r2-sign-1" {
			sg.selectTarget(tg)
		}
	}
	sg.signTo(flowPIN, out)
	workers.drain(&sg.wg)
	if !strings.Contains(sg.status.Text, "已有 1 个签名") || !strings.Contains(sg.status.Text, "没有覆盖") {
		t.Fatalf("status %q, want the refusal", sg.status.Text)
	}
	if fileSum(t, out) != before {
		t.Fatal("the signed file was overwritten")
	}
	if got := f.verified(t, out); len(got) != 1 {
		t.Fatalf("signatures now %v", got)
	}
}

// overlayObjects lists every object of the window's top overlay (a dialog), or nil.
func overlayObjects(t *testing.T, w fyne.Window) []fyne.CanvasObject {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		out = append(out, o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case fyne.Widget:
			r := test.TempWidgetRenderer(t, x)
			for _, c := range r.Objects() {
				walk(c)
			}
		}
	}
	walk(top)
	return out
}

// overlayButton finds a button by its text in the top overlay.
func overlayButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	for _, o := range overlayObjects(t, w) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

// TestWrongPINAsksNothingAndLeavesNothing: a wrong PIN is found before the save dialog, which
// then never shows, and no file appears beside the document.
func TestWrongPINAsksNothingAndLeavesNothing(t *testing.T) {
	f := newSignFlow(t)
	sg := f.v.sign
	f.open(t, f.placed)
	before, _ := os.ReadDir(f.dir)
	test.Tap(sg.signBtn)
	var pin *widget.Entry
	for _, o := range overlayObjects(t, f.w) {
		if e, ok := o.(*widget.Entry); ok && e.Password {
			pin = e
		}
	}
	if pin == nil {
		t.Fatal("no PIN dialog")
	}
	test.Type(pin, "000000")
	b := overlayButton(t, f.w, tr("sign.sign"))
	if b == nil {
		t.Fatal("no confirm button in the PIN dialog")
	}
	test.Tap(b)
	workers.drain(&sg.wg)
	for _, o := range overlayObjects(t, f.w) {
		if e, ok := o.(*widget.Entry); ok && strings.HasSuffix(e.Text, ".pdf") {
			t.Fatalf("a save dialog was shown after a wrong PIN (%q)", e.Text)
		}
	}
	if !strings.Contains(sg.status.Text, "签约密码错误，还可以再试 4 次") {
		t.Fatalf("status %q", sg.status.Text)
	}
	after, _ := os.ReadDir(f.dir)
	if len(after) != len(before) {
		t.Fatalf("files beside the document: %d before, %d after", len(before), len(after))
	}
}

// tapSign answers the PIN dialog of 签署并保存 with pin and waits for the key check.
func (f *signFlow) tapSign(t *testing.T, pin string) {
	t.Helper()
	test.Tap(f.v.sign.signBtn)
	var e *widget.Entry
	for _, o := range overlayObjects(t, f.w) {
		if x, ok := o.(*widget.Entry); ok && x.Password {
			e = x
		}
	}
	if e == nil {
		t.Fatal("no PIN dialog")
	}
	test.Type(e, pin)
	test.Tap(overlayButton(t, f.w, tr("sign.sign")))
	workers.drain(&f.v.sign.wg)
}

// TestSaveDialogSuggestsNewNamesAndRefusesSignedFiles: the save dialog offers a name that does
// not exist, and choosing a file whose signature the result would lose is refused inside the
// dialog in Chinese, before anything is written.
func TestSaveDialogSuggestsNewNamesAndRefusesSignedFiles(t *testing.T) {
	f := newSignFlow(t)
	sg := f.v.sign
	f.open(t, f.placed)
	f.tapSign(t, flowPIN)
	d := sg.saveDlg
	if d == nil || d.name.Text != "contract-待签-已签.pdf" || d.dir != f.dir {
		t.Fatalf("save dialog %+v", d)
	}
	test.Tap(d.save)
	workers.drain(&sg.wg)
	sg.pv.Wait()
	out := filepath.Join(f.dir, "contract-待签-已签.pdf")
	if sg.path != out || len(f.verified(t, out)) != 1 {
		t.Fatalf("after saving: %s (%q)", sg.path, sg.status.Text)
	}
	before := fileSum(t, out)

	// Back on the unsigned original: the suggestion is a new name, and the signed copy refused.
	f.open(t, f.placed)
	f.tapSign(t, flowPIN)
	d = sg.saveDlg
	if d == nil || d.name.Text != "contract-待签-已签(2).pdf" {
		t.Fatalf("suggested %q, want a name that does not exist", d.name.Text)
	}
	d.name.SetText("contract-待签-已签.pdf")
	test.Tap(d.save)
	workers.drain(&sg.wg)
	if !d.msg.Visible() || !strings.Contains(d.msg.Text, "已有 1 个签名") || sg.saveDlg != d {
		t.Fatalf("refusal %q (shown %v)", d.msg.Text, d.msg.Visible())
	}
	if fileSum(t, out) != before {
		t.Fatal("the signed copy changed")
	}
	// On the signed copy itself the screen adds to it: a confirmation that says so.
	f.open(t, out)
	f.tapSign(t, flowPIN)
	d = sg.saveDlg
	d.name.SetText("contract-待签-已签.pdf")
	test.Tap(d.save)
	if b := overlayButton(t, f.w, tr("save.replace.ok")); b == nil {
		t.Fatal("no confirmation to add to the open file")
	} else {
		test.Tap(b)
	}
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if got := f.verified(t, out); len(got) != 2 {
		t.Fatalf("signatures %v (%q)", got, sg.status.Text)
	}
	entries, _ := os.ReadDir(f.dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left %s", e.Name())
		}
	}
}

// TestLockedKeyAsksNothing: after five wrong PINs the key is locked: even the right PIN is
// refused before any save dialog, and 重新生成密钥 cannot be used to get round the lock.
func TestLockedKeyAsksNothing(t *testing.T) {
	f := newSignFlow(t)
	sg := f.v.sign
	f.open(t, f.placed)
	for i := 0; i < keystore.MaxAttempts; i++ {
		sg.signTo("000000", filepath.Join(f.dir, "never.pdf"))
		workers.drain(&sg.wg)
	}
	if !strings.Contains(sg.status.Text, "锁定") {
		t.Fatalf("after %d wrong PINs: %q", keystore.MaxAttempts, sg.status.Text)
	}
	f.tapSign(t, flowPIN)
	if sg.saveDlg != nil || !strings.Contains(sg.status.Text, "密钥已锁定") {
		t.Fatalf("a locked key went on to the save dialog (%q)", sg.status.Text)
	}
	before, _ := f.local.Keys.List()
	err := sg.makeKey(flowPIN, "张三", "11010519491231002X", "246801", "246801", nil)
	workers.drain(&sg.wg)
	after, _ := f.local.Keys.List()
	if err != nil || len(after) != 1 || after[0].ID != before[0].ID || !strings.Contains(sg.status.Text, "密钥已锁定") {
		t.Fatalf("renewing a locked key: %v, %d keys, %q", err, len(after), sg.status.Text)
	}
	if entries, _ := os.ReadDir(f.dir); len(entries) != 1 {
		t.Fatalf("files beside the document: %d", len(entries))
	}
}
