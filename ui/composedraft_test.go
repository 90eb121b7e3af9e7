package ui

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// composeOn builds a shell on the data folder dir (as the app does at start) and returns its
// 发起签署.
func composeOn(t *testing.T, dir string) *composeScreen {
	t.Helper()
	w := test.NewTempWindow(t, nil)
	s := NewShell(fyne.CurrentApp(), w, Services{Settings: &memSettings{lang: LangChinese, dir: dir}, Renderer: pagesRenderer{}})
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1200, 900))
	s.Show(NavSend)
	v := s.Screen(NavSend).(*sendScreen).compose
	v.place.pv.DeferUpdatesForTest()
	return v
}

// TestComposeDraftSurvivesRestart: every change of 发起签署 is written to the data folder — one
// write for a burst of changes, a moment after the last (here: when the timer is made to fire),
// by temporary file and rename — and a new window on the same folder (a restart, or the app
// killed) comes back with the draft: files, subject, remark, order and recipients, saying so. A
// sent draft is gone: the next start is an empty form.
func TestComposeDraftSurvivesRestart(t *testing.T) {
	v, _, _ := newComposeTest(t)
	dir := v.shell.Services.Settings.DataDir()
	v.saveDelay = time.Hour // the test says when the timer fires
	t.Cleanup(v.cancelSave)

	v.addFilesAndWait(writeTestPDF(t, "采购合同.pdf", a4Pages(2)))
	v.subject.SetText("设备采购合同") // (adding the file suggested 采购合同)
	test.Type(v.remark, "请在周五前签署")
	v.order.SetSelected(tr("compose.order.par"))
	test.Tap(v.addPerson)
	c := v.cards[len(v.cards)-1]
	test.Type(c.name, "李四")
	test.Type(c.contact, "13812345678")
	onDisk := func() *envelopeDraft {
		b, err := os.ReadFile(filepath.Join(dir, "drafts", v.draft.ID, "draft.json"))
		if err != nil {
			return nil
		}
		var d envelopeDraft
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("draft.json: %v", err)
		}
		return &d
	}
	if d := onDisk(); v.saves != 0 || d != nil && d.Subject == "设备采购合同" {
		t.Fatalf("written before the timer fired: %d writes", v.saves)
	}
	if err := v.flushDraft(); err != nil {
		t.Fatal(err)
	}
	d := onDisk()
	if v.saves != 1 || d == nil || d.Subject != "设备采购合同" || d.Remark != "请在周五前签署" || d.Sequential ||
		len(d.Files) != 1 || len(d.Recipients) != 1 || d.Recipients[0].Contact != "13812345678" {
		t.Fatalf("after the timer: %d writes, %+v", v.saves, d)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "drafts", v.draft.ID, "*.tmp*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	// A restart on the same folder (nothing was flushed at exit: as after a crash).
	v2 := composeOn(t, dir)
	if v2.draft.ID != v.draft.ID || v2.subject.Text != "设备采购合同" || v2.remark.Text != "请在周五前签署" ||
		v2.order.Selected != tr("compose.order.par") || len(v2.cards) != 1 || v2.cards[0].name.Text != "李四" ||
		v2.cards[0].contact.Text != "13812345678" || len(v2.draft.Files) != 1 {
		t.Fatalf("restored: %+v", v2.draft)
	}
	if !v2.msg.Visible() || !strings.Contains(v2.msg.Text, "已恢复") {
		t.Errorf("the restore is not said: %q", v2.msg.Text)
	}
	if _, err := os.Stat(filepath.Join(v2.draftDir(), v2.draft.Files[0].File)); err != nil {
		t.Errorf("the restored draft's file: %v", err)
	}
	// Going on in the new window: a change is written at once in this package's tests.
	v2.subject.SetText(v2.subject.Text + "（二）")
	if d := onDisk(); d == nil || d.Subject != "设备采购合同（二）" {
		t.Fatalf("the restored draft's change: %+v", d)
	}

	// Sent: the draft is deleted, and the next start is an empty form.
	var sent *envelopeDraft
	v2.sendHook = func(d *envelopeDraft) { sent = d; v2.sent(d, d.Subject) }
	test.Tap(v2.sendNow)
	if sent == nil {
		t.Fatalf("not sent: %q", v2.msg.Text)
	}
	if d := onDisk(); d != nil {
		t.Errorf("the sent draft is still on disk: %+v", d)
	}
	v3 := composeOn(t, dir)
	if v3.subject.Text != "" || len(v3.draft.Files) != 0 || len(v3.cards) != 0 || strings.Contains(v3.msg.Text, "已恢复") {
		t.Errorf("after sending, a restart shows %+v (%q)", v3.draft, v3.msg.Text)
	}
}
