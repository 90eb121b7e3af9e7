package ui

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// pickerHome makes a home folder with 文档 (named as the XDG config says) holding 合同.pdf,
// 照片.PNG, 说明.txt and a folder 归档 with 旧合同.pdf; HOME and XDG_CONFIG_HOME point at it.
func pickerHome(t *testing.T) (home, docs string) {
	t.Helper()
	home = t.TempDir()
	docs = filepath.Join(home, "文档")
	for _, d := range []string{docs, filepath.Join(docs, "归档"), filepath.Join(home, ".config"), filepath.Join(home, "下载")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"合同.pdf", "照片.PNG", "说明.txt", ".隐藏.pdf", "归档/旧合同.pdf"} {
		if err := os.WriteFile(filepath.Join(docs, f), []byte("%PDF-1.7\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := "XDG_DOCUMENTS_DIR=\"$HOME/文档\"\nXDG_DOWNLOAD_DIR=\"$HOME/下载\"\n"
	if err := os.WriteFile(filepath.Join(home, ".config", "user-dirs.dirs"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	return home, docs
}

func (fp *filePicker) names() []string {
	var out []string
	for _, e := range fp.entries {
		out = append(out, e.name)
	}
	return out
}

func (fp *filePicker) tapName(t *testing.T, name string) {
	t.Helper()
	for i, e := range fp.entries {
		if e.name == name {
			fp.onRowTapped(i)
			return
		}
	}
	t.Fatalf("no %q in %v", name, fp.names())
}

// The picker starts in Documents (not the working folder), shows folders then the files of its
// filter (PDF only, or PDF and images where the screen takes images; case-insensitive; no hidden
// files), fills the window rather than a few rows, and remembers the folder for next time.
func TestFilePickerStartsInDocumentsAndFilters(t *testing.T) {
	_, docs := pickerHome(t)
	s, _, w := newTestShell(t)
	w.Resize(fyne.NewSize(1024, 640))
	var got string
	fp := s.chooseFile(pdfExts, func(p string) { got = p })
	if fp.dir != docs {
		t.Fatalf("starts in %q, want Documents %q", fp.dir, docs)
	}
	if want := []string{"归档", "合同.pdf"}; !slices.Equal(fp.names(), want) {
		t.Errorf("PDF filter shows %v, want %v", fp.names(), want)
	}
	if sz := fp.dlg.MinSize(); sz.Height > 640 {
		t.Errorf("dialog min size %v does not fit a 1024×640 window", sz)
	}
	if top := w.Canvas().Overlays().Top(); top == nil || top.Size().Height < 500 || top.Size().Width < 900 {
		t.Errorf("dialog is %v in a 1024×640 window; want it sized to the window", top.Size())
	}
	if !fp.okBtn.Disabled() {
		t.Error("打开 enabled with nothing selected")
	}
	fp.tapName(t, "归档") // a folder opens on a tap
	if fp.dir != filepath.Join(docs, "归档") {
		t.Fatalf("in %q after tapping 归档", fp.dir)
	}
	fp.tapName(t, "旧合同.pdf")
	test.Tap(fp.okBtn)
	if got != filepath.Join(docs, "归档", "旧合同.pdf") || w.Canvas().Overlays().Top() != nil {
		t.Fatalf("chose %q (dialog still open: %v)", got, w.Canvas().Overlays().Top() != nil)
	}

	// the next dialog starts where the last one ended; the images filter includes .PNG
	fp = s.chooseFile(pdfImageExts, func(string) {})
	if fp.dir != filepath.Join(docs, "归档") {
		t.Errorf("second dialog starts in %q, want the last folder", fp.dir)
	}
	test.Tap(fp.upBtn)
	if want := []string{"归档", "合同.pdf", "照片.PNG"}; !slices.Equal(fp.names(), want) {
		t.Errorf("PDF and image filter shows %v, want %v", fp.names(), want)
	}
	if fp.filter.Text != "显示：PDF 文件和图片（*.pdf、*.png、*.jpg、*.jpeg）" {
		t.Errorf("filter label %q", fp.filter.Text)
	}
	test.Tap(fp.cancelBtn)
}

// 文件验签 chooses several files, from more than one folder; tapping a chosen file again takes it
// off the list.
func TestFilePickerChoosesSeveralFiles(t *testing.T) {
	_, docs := pickerHome(t)
	s, _, _ := newTestShell(t)
	var got []string
	fp := s.chooseFiles(pdfExts, func(p []string) { got = p })
	fp.tapName(t, "合同.pdf")
	fp.tapName(t, "归档")
	fp.tapName(t, "旧合同.pdf")
	if fp.chosenLbl.Text != "已选 2 份：合同.pdf、旧合同.pdf" || fp.okBtn.Text != "验签所选的 2 份文件" {
		t.Errorf("chosen %q, button %q", fp.chosenLbl.Text, fp.okBtn.Text)
	}
	fp.tapName(t, "旧合同.pdf")
	fp.tapName(t, "旧合同.pdf")
	test.Tap(fp.okBtn)
	want := []string{filepath.Join(docs, "合同.pdf"), filepath.Join(docs, "归档", "旧合同.pdf")}
	if !slices.Equal(got, want) {
		t.Errorf("chose %v, want %v", got, want)
	}
}

// Saving hands back a path without creating the file (a failed signing leaves nothing behind),
// adds the filter's extension, and asks in Chinese before replacing a file.
func TestFilePickerSave(t *testing.T) {
	_, docs := pickerHome(t)
	s, _, w := newTestShell(t)
	var got string
	fp := s.saveFile("合同-已签.pdf", pdfExts, func(p string) { got = p })
	test.Tap(fp.okBtn)
	if got != filepath.Join(docs, "合同-已签.pdf") {
		t.Fatalf("save path %q", got)
	}
	if _, err := os.Stat(got); !os.IsNotExist(err) {
		t.Errorf("the dialog created %s", got)
	}

	got = ""
	fp = s.saveFile("报告", pdfExts, func(p string) { got = p })
	fp.tapName(t, "合同.pdf") // a tap on a file takes its name
	if fp.name.Text != "合同.pdf" {
		t.Errorf("name %q after tapping 合同.pdf", fp.name.Text)
	}
	test.Tap(fp.okBtn)
	if got != "" {
		t.Fatal("replaced an existing file without asking")
	}
	words := dialogTexts(w.Canvas().Overlays().Top())
	if !slices.Contains(words, "替换文件？") || !slices.Contains(words, "替换") {
		t.Fatalf("replace question: %v", words)
	}
	test.Tap(findButton(t, w.Canvas().Overlays().Top(), "替换"))
	if got != filepath.Join(docs, "合同.pdf") {
		t.Errorf("after 替换: %q", got)
	}

	fp = s.saveFile("", pdfExts, func(p string) { got = p })
	fp.name.SetText("无扩展名")
	test.Tap(fp.okBtn)
	if got != filepath.Join(docs, "无扩展名.pdf") {
		t.Errorf("extension not added: %q", got)
	}
	fp = s.saveFile("", pdfExts, func(p string) { got = p })
	fp.name.SetText("a/b")
	test.Tap(fp.okBtn)
	if !fp.msg.Visible() || fp.msg.Text != "文件名不能为空，也不能包含 / 或 \\。" {
		t.Errorf("bad name message %q", fp.msg.Text)
	}
}

// The folder picker lists folders only and returns the folder shown (or the one selected).
func TestFilePickerFolder(t *testing.T) {
	_, docs := pickerHome(t)
	s, _, _ := newTestShell(t)
	var got string
	fp := s.chooseFolder(func(p string) { got = p })
	if want := []string{"归档"}; !slices.Equal(fp.names(), want) {
		t.Errorf("folder picker shows %v", fp.names())
	}
	test.Tap(fp.okBtn)
	if got != docs {
		t.Errorf("chose %q, want %q", got, docs)
	}
	fp = s.chooseFolder(func(p string) { got = p })
	fp.tapName(t, "归档") // first tap selects
	test.Tap(fp.okBtn)
	if got != filepath.Join(docs, "归档") {
		t.Errorf("chose %q", got)
	}
}
