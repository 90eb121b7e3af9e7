package ui

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// buttonsIn returns the buttons under o (visible or not).
func buttonsIn(o fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Button:
			out = append(out, x)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

// An empty 我的印章 invites the next step: a primary 设计印章 button (and upload/draw) that open
// their tabs, not a sentence in an empty pane; the first saved item replaces it with the list.
func TestSealsEmptyInvites(t *testing.T) {
	v, lib, _ := newSealsTest(t)
	v.refreshLibrary()
	if !v.emptyView.Visible() || v.listView.Visible() {
		t.Fatalf("empty library: empty state %v, list %v", v.emptyView.Visible(), v.listView.Visible())
	}
	bs := buttonsIn(v.emptyView)
	if len(bs) != 3 || bs[0].Importance != widget.HighImportance || bs[0].Text != tr("seals.empty.design") {
		t.Fatalf("empty state buttons: %d, first %q", len(bs), bs[0].Text)
	}
	for i, want := range []int{1, 2, 3} {
		test.Tap(bs[i])
		if got := v.tabs.SelectedIndex(); got != want {
			t.Fatalf("button %q opened tab %d, want %d", bs[i].Text, got, want)
		}
	}
	if _, err := lib.Save(LibraryItem{Name: "合同专用章", Kind: ItemDesignedSeal, PNG: tinyPNG(t)}); err != nil {
		t.Fatal(err)
	}
	v.refreshLibrary()
	if v.emptyView.Visible() || !v.listView.Visible() || len(v.list.Objects) != 1 {
		t.Fatalf("one item: empty state %v, list %v with %d", v.emptyView.Visible(), v.listView.Visible(), len(v.list.Objects))
	}
}

// 档案柜 outside an enterprise shows one button to 企业 instead of a search form that cannot work.
func TestArchivePersonalInvites(t *testing.T) {
	newContractsApp(t)
	run := contractsServer(t)
	p := newTestParty(t, run, "孙个人")
	s, _ := billingShell(t, p, "")
	s.Show(NavArchive)
	sc := s.Screen(NavArchive).(*ArchiveScreen)
	sc.Wait()
	if !sc.Personal.Visible() || sc.split.Visible() {
		t.Fatalf("personal: empty state %v, search %v", sc.Personal.Visible(), sc.split.Visible())
	}
	bs := buttonsIn(sc.Personal)
	if len(bs) != 1 || bs[0].Importance != widget.HighImportance {
		t.Fatalf("personal archive buttons: %d", len(bs))
	}
	test.Tap(bs[0])
	if s.Current() != NavEnterprise {
		t.Fatalf("the button opened %v, want 企业", s.Current())
	}
}

// 本机签署 without a document shows a drop zone with the one primary button; a PDF dropped on the
// window while 本机签署 is shown opens there — a signed one too (it is signed again, not sent to
// 文件验签) — and the drop zone gives way to the pages.
func TestSignDropZone(t *testing.T) {
	v, _ := newSendTest(t, &LocalServices{Prefs: &memPrefs{}, Library: &memLibrary{}})
	v.tabs.Select(v.signTab)
	sg := v.sign
	if !sg.dropBox.Visible() {
		t.Fatal("no drop zone without a document")
	}
	if b := sg.drop.button; b.Importance != widget.HighImportance || b.Text != tr("sign.open") {
		t.Fatalf("drop zone button %q", b.Text)
	}
	in := writeTestPDF(t, "已签合同.pdf", a4Pages(1))
	// looksSigned routes a file with /ByteRange to 文件验签 anywhere else.
	signed := filepath.Join(t.TempDir(), "已签合同.pdf")
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(signed, append(data, []byte("\n% /ByteRange\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	if !looksSigned(signed) {
		t.Fatal("the test file does not look signed")
	}
	sg.shell.OpenFiles([]string{signed})
	workers.drain(&sg.wg)
	sg.pv.Wait()
	if sg.shell.Current() != NavSend || v.tabs.Selected() != v.signTab || sg.path != signed {
		t.Fatalf("dropped on 本机签署: screen %v, path %q (%q)", sg.shell.Current(), sg.path, sg.status.Text)
	}
	if sg.dropBox.Visible() {
		t.Fatal("the drop zone stays over an open document")
	}
}

// The server's notes on timeline steps are Chinese (the audit trail's language); the desktop shows
// the ones it knows in the interface's language, and any other as written.
func TestStepNoteTranslated(t *testing.T) {
	newContractsApp(t)
	defer SetLanguage(LangChinese)
	when := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ note, zh, en string }{
		{"二维码、签署位置与平台签名", "二维码、签署位置与平台签名", "QR code, signature fields and platform signature"},
		{"超过签署截止时间 " + when.Format(time.RFC3339), "超过签署截止时间 " + when.Local().Format("2006-01-02 15:04"), "signing deadline " + when.Local().Format("2006-01-02 15:04") + " passed"},
		{"经办人由 张三 转交", "经办人由 张三 转交", "handler role handed over by 张三"},
		{"二维码、签署位置与平台签名以及别的", "二维码、签署位置与平台签名以及别的", "二维码、签署位置与平台签名以及别的"},
		{"其他说明", "其他说明", "其他说明"},
	} {
		for _, l := range []struct{ code, want string }{{LangChinese, tc.zh}, {LangEnglish, tc.en}} {
			if err := SetLanguage(l.code); err != nil {
				t.Fatal(err)
			}
			if got := stepNote(tc.note); got != l.want {
				t.Errorf("%s %q: %q, want %q", l.code, tc.note, got, l.want)
			}
		}
	}
}
