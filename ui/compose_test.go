package ui

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// newComposeTest builds the shell with a data folder and shows 发起签署's envelope editor.
func newComposeTest(t *testing.T) (*composeScreen, *Shell, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = SetLanguage(LangChinese) })
	w := test.NewTempWindow(t, nil)
	s := NewShell(a, w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{}})
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1200, 900))
	s.Show(NavSend)
	v := s.Screen(NavSend).(*sendScreen)
	v.tabs.Select(v.composeTab)
	v.compose.place.pv.DeferUpdatesForTest()
	return v.compose, s, w
}

func testJPEG(t *testing.T, dir, name string) string {
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for x := 0; x < 300; x++ {
		img.Set(x, x, color.RGBA{10, 10, 10, 255})
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (v *composeScreen) addFilesAndWait(paths ...string) {
	v.AddFiles(paths)
	workers.drain(&v.wg)
}

// TestComposeFiles: PDFs and a JPEG (which becomes a one-page PDF) are added; a sixth file, an
// 11 MB file and a Word file are each refused with a message naming the file and the limit,
// and the files added before stay.
func TestComposeFiles(t *testing.T) {
	v, _, _ := newComposeTest(t)
	dir := t.TempDir()
	var paths []string
	for i := 0; i < 4; i++ {
		paths = append(paths, writeTestPDF(t, "合同"+string(rune('A'+i))+".pdf", a4Pages(i+1)))
	}
	jpg := testJPEG(t, dir, "扫描件.jpg")
	v.addFilesAndWait(append(paths, jpg)...)
	if len(v.draft.Files) != 5 {
		t.Fatalf("%d files, want 5: %q", len(v.draft.Files), v.msg.Text)
	}
	if f := v.draft.Files[4]; f.Name != "扫描件.jpg" || f.Pages != 1 {
		t.Errorf("the JPEG: %+v", f)
	}
	// the JPEG's page is a PDF in the draft folder
	b, err := os.ReadFile(filepath.Join(v.draftDir(), v.draft.Files[4].File))
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("the JPEG's PDF: %v", err)
	}
	if v.drop.Visible() {
		t.Error("the drop zone is still offered with 5 files")
	}
	if v.subject.Text != "合同A" {
		t.Errorf("subject suggested %q, want the first file's name", v.subject.Text)
	}

	sixth := writeTestPDF(t, "第六份.pdf", a4Pages(1))
	v.addFilesAndWait(sixth)
	if len(v.draft.Files) != 5 || strings.Contains(v.msg.Text, "操作失败") || !strings.Contains(v.msg.Text, "一次最多添加 5 个文档") || !strings.Contains(v.msg.Text, "第六份.pdf") {
		t.Errorf("a sixth file: %d files, %q", len(v.draft.Files), v.msg.Text)
	}

	v.removeFile(0)
	big := filepath.Join(dir, "大合同.pdf")
	if err := os.WriteFile(big, append([]byte("%PDF-1.7\n"), make([]byte, 11<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := filepath.Join(dir, "合同.docx")
	os.WriteFile(doc, []byte("PK\x03\x04"), 0o644)
	v.addFilesAndWait(big, doc)
	if len(v.draft.Files) != 4 {
		t.Fatalf("%d files after refusals, want 4", len(v.draft.Files))
	}
	for _, want := range []string{"“大合同.pdf”有 11.0 MB，单个文档不能超过 10M", "“合同.docx”不是 PDF、JPEG、JPG 或 PNG 文件"} {
		if !strings.Contains(v.msg.Text, want) {
			t.Errorf("message %q lacks %q", v.msg.Text, want)
		}
	}
	// the same file twice
	v.addFilesAndWait(jpg)
	if len(v.draft.Files) != 4 || !strings.Contains(v.msg.Text, "已经添加过了") {
		t.Errorf("a duplicate: %d files, %q", len(v.draft.Files), v.msg.Text)
	}
}

// TestComposeChecks: a 26-character subject, a malformed phone, an e-mail without a domain and
// no signer are each said in Chinese naming the limit; what was typed stays.
func TestComposeChecks(t *testing.T) {
	v, _, _ := newComposeTest(t)
	v.addFilesAndWait(writeTestPDF(t, "合同.pdf", a4Pages(1)))
	long := strings.Repeat("合", 26)
	test.Type(v.subject, "") // focus
	v.subject.SetText(long)
	if v.subjectCount.Text != "26/25" {
		t.Errorf("counter %q", v.subjectCount.Text)
	}
	test.Tap(v.sendNow)
	for _, want := range []string{"主题最多 25 字，现在是 26 字", "请至少添加一个签署方"} {
		if !strings.Contains(v.msg.Text, want) {
			t.Errorf("message %q lacks %q", v.msg.Text, want)
		}
	}
	if v.subject.Text != long || v.draft.Subject != long {
		t.Error("the subject typed was changed")
	}
	v.subject.SetText("采购合同")

	test.Tap(v.addCompany)
	c := v.cards[0]
	test.Type(c.company, "上海样例贸易有限公司")
	test.Type(c.name, "李四")
	test.Type(c.contact, "1381234567X")
	if !c.problem.Visible() || !strings.Contains(c.problem.Text, "“1381234567X”不是有效的手机号（11 位，以 1 开头）") {
		t.Errorf("card problem %q", c.problem.Text)
	}
	test.Tap(v.addPerson)
	p := v.cards[1]
	test.Type(p.name, "王五")
	test.Type(p.contact, "wangwu@")
	test.Tap(v.sendNow)
	for _, want := range []string{"接收方 1：“1381234567X”不是有效的手机号", "接收方 2：“wangwu@”不是有效的手机号（11 位，以 1 开头）或电子邮箱"} {
		if !strings.Contains(v.msg.Text, want) {
			t.Errorf("message %q lacks %q", v.msg.Text, want)
		}
	}
	if strings.Contains(v.msg.Text, "主题") {
		t.Errorf("the corrected subject is still reported: %q", v.msg.Text)
	}
	var sent *envelopeDraft
	v.sendHook = func(d *envelopeDraft) { sent = d }
	c.contact.SetText("13812345678")
	p.contact.SetText("wangwu@example.com")
	test.Tap(v.sendNow)
	if sent == nil {
		t.Fatalf("not sent: %q", v.msg.Text)
	}
	if sent.Recipients[0].Company != "上海样例贸易有限公司" || sent.Recipients[1].Contact != "wangwu@example.com" {
		t.Errorf("sent %+v", sent.Recipients)
	}
}

// TestComposeOrder: ↑ ↓ and dragging the handle reorder the recipients (their numbers follow,
// 抄送 has none, and their boxes go with them); 无序签署 shows no numbers.
func TestComposeOrder(t *testing.T) {
	v, _, _ := newComposeTest(t)
	v.addRecipient(draftRecipient{Kind: recipientPerson, Name: "甲"})
	v.addRecipient(draftRecipient{Kind: recipientCC, Name: "丙"})
	v.addRecipient(draftRecipient{Kind: recipientCompany, Name: "乙", Company: "乙公司"})
	v.draft.Boxes = []draftBox{{Recipient: 0, Kind: boxSign}, {Recipient: 2, Kind: boxSeal}}
	nums := func() string {
		var s []string
		for _, c := range v.cards {
			s = append(s, c.number.Text)
		}
		return strings.Join(s, ",")
	}
	if nums() != "1,—,2" {
		t.Fatalf("numbers %s", nums())
	}
	test.Tap(v.cards[2].up) // 乙 above 丙
	test.Tap(v.cards[1].up) // 乙 above 甲
	if v.draft.Recipients[0].Name != "乙" || v.draft.Recipients[1].Name != "甲" || nums() != "1,2,—" {
		t.Fatalf("after ↑↑: %v %s", v.draft.Recipients, nums())
	}
	if v.draft.Boxes[0].Recipient != 1 || v.draft.Boxes[1].Recipient != 0 {
		t.Errorf("boxes did not follow: %+v", v.draft.Boxes)
	}
	if !v.cards[0].up.Disabled() || !v.cards[2].down.Disabled() {
		t.Error("the first card can go up or the last down")
	}
	// drag 甲 (second) one card down by its handle
	h := v.cards[1].box.Size().Height
	if h <= 0 {
		t.Fatal("cards not laid out")
	}
	c := v.cards[1]
	c.handle.Dragged(&fyne.DragEvent{Dragged: fyne.Delta{DY: h * 0.7}})
	c.handle.DragEnd()
	if v.draft.Recipients[2].Name != "甲" {
		t.Errorf("drag did not move 甲 down: %v", v.draft.Recipients)
	}
	v.order.SetSelected(tr("compose.order.par"))
	if v.draft.Sequential || nums() != "·,—,·" {
		t.Errorf("all at once: sequential %v, numbers %s", v.draft.Sequential, nums())
	}
}

// TestComposeDraftsAndTemplates: every change is saved in the data folder; a draft reopens with
// everything; a template starts a new draft with copies of its files, recipients and boxes;
// switching the language keeps the work.
func TestComposeDraftsAndTemplates(t *testing.T) {
	v, s, _ := newComposeTest(t)
	v.addFilesAndWait(writeTestPDF(t, "合同.pdf", a4Pages(2)))
	v.subject.SetText("年度采购合同")
	v.remark.SetText("请于本周内签署")
	v.addRecipient(draftRecipient{Kind: recipientPerson, Name: "王五", Contact: "13900001111"})
	v.draft.Boxes = []draftBox{{File: 0, Recipient: 0, Kind: boxSign, Page: 1}}
	test.Tap(v.saveBtn)
	if !strings.Contains(v.msg.Text, "已保存至草稿") {
		t.Fatalf("save: %q", v.msg.Text)
	}
	list, err := v.store.List(false)
	if err != nil || len(list) != 1 || list[0].Subject != "年度采购合同" || len(list[0].Boxes) != 1 {
		t.Fatalf("drafts %v %v", list, err)
	}
	id := v.draft.ID

	// switching the language keeps the draft on the screen
	if err := SetLanguage(LangEnglish); err != nil {
		t.Fatal(err)
	}
	s.Rebuild()
	v = s.Screen(NavSend).(*sendScreen).compose
	if v.draft.ID != id || v.subject.Text != "年度采购合同" || len(v.cards) != 1 || v.sendNow.Text != "Send now" {
		t.Fatalf("after the language switch: %q %d cards %q", v.subject.Text, len(v.cards), v.sendNow.Text)
	}
	SetLanguage(LangChinese)
	s.Rebuild()
	v = s.Screen(NavSend).(*sendScreen).compose

	// a template from it, then a new contract from the template
	t0, err := v.store.Copy(v.draft, true)
	if err != nil {
		t.Fatal(err)
	}
	test.Tap(v.newBtn)
	if v.draft.ID == id || v.subject.Text != "" || len(v.cards) != 0 {
		t.Fatal("新建 did not start empty")
	}
	v.StartFromTemplate(t0)
	if len(v.draft.Files) != 1 || len(v.cards) != 1 || len(v.draft.Boxes) != 1 || v.draft.ID == t0.ID {
		t.Fatalf("from the template: %+v", v.draft)
	}
	if _, err := os.Stat(filepath.Join(v.draftDir(), v.draft.Files[0].File)); err != nil {
		t.Errorf("the template's file was not copied into the new draft: %v", err)
	}
	// reopening the first draft
	for _, d := range list {
		if d.ID == id {
			v.OpenDraft(d)
		}
	}
	if v.remark.Text != "请于本周内签署" || v.cards[0].name.Text != "王五" {
		t.Errorf("reopened draft: %q %q", v.remark.Text, v.cards[0].name.Text)
	}
}

// TestComposePlacement: 指定签署位置 shows the draft's files and its signers (not 抄送); boxes
// placed on each file are kept per file and recipient, and come back when the file is shown
// again.
func TestComposePlacement(t *testing.T) {
	v, _, _ := newComposeTest(t)
	v.addFilesAndWait(writeTestPDF(t, "甲.pdf", a4Pages(2)), writeTestPDF(t, "乙.pdf", a4Pages(1)))
	v.subject.SetText("两份合同")
	v.addRecipient(draftRecipient{Kind: recipientCC, Name: "抄送人", Contact: "13900000000"})
	v.addRecipient(draftRecipient{Kind: recipientPerson, Name: "王五", Contact: "13900001111"})
	v.addRecipient(draftRecipient{Kind: recipientCompany, Name: "李四", Company: "乙公司", Contact: "13900002222"})
	test.Tap(v.placeBtn)
	if !v.placing {
		t.Fatalf("not placing: %q", v.msg.Text)
	}
	p := v.place
	workers.drain(&p.wg)
	p.pv.Wait()
	if got := strings.Join(p.recipient.Options, "|"); got != "1 王五（个人）|2 乙公司（企业）" {
		t.Fatalf("recipients offered: %s", got)
	}
	p.addOnCurrentPage(boxSign)
	p.recipient.SetSelectedIndex(1)
	p.addOnCurrentPage(boxSeal)
	v.docSel.SetSelectedIndex(1)
	workers.drain(&p.wg)
	p.pv.Wait()
	if len(p.boxes) != 0 {
		t.Fatalf("the second file shows %d boxes", len(p.boxes))
	}
	p.addOnCurrentPage(boxDate)
	v.docSel.SetSelectedIndex(0)
	workers.drain(&p.wg)
	p.pv.Wait()
	if len(p.boxes) != 2 {
		t.Fatalf("the first file's boxes did not come back: %d", len(p.boxes))
	}
	test.Tap(v.backBtn)
	want := map[draftBox]bool{}
	for _, b := range v.draft.Boxes {
		want[draftBox{File: b.File, Recipient: b.Recipient, Kind: b.Kind}] = true
	}
	for _, b := range []draftBox{{File: 0, Recipient: 1, Kind: boxSign}, {File: 0, Recipient: 2, Kind: boxSeal}, {File: 1, Recipient: 2, Kind: boxDate}} {
		if !want[b] {
			t.Errorf("box %+v missing from %+v", b, v.draft.Boxes)
		}
	}
	if len(v.draft.Boxes) != 3 {
		t.Errorf("%d boxes, want 3", len(v.draft.Boxes))
	}
}
