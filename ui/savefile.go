package ui

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// saveAsDialog asks where to save a PDF (or a file of another kind: a CSV export): a folder (the document's own first) and a file name.
// Unlike Fyne's file-save dialog it opens, creates and truncates nothing — Fyne's truncates an
// existing file the moment "overwrite" is confirmed, before the writer could refuse, and leaves
// an empty file behind when the writing fails. Here the chosen path goes to a writer that writes
// through a temporary file and refuses to replace a file holding signatures (core/sign).
type saveAsDialog struct {
	shell  *Shell
	dir    string
	folder *widget.Label
	name   *widget.Entry
	msg    *widget.Label
	save   *widget.Button
	dlg    dialog.Dialog
	// check runs before a path is accepted (e.g. sign.CheckReplace); its error keeps the dialog
	// open with the message.
	check  func(path string) error
	onPath func(path string)
	// same is the document being saved: choosing it means "add to this file".
	same string
	// ext is the extension every chosen name gets (the suggested name's; ".pdf" if it has none).
	ext string
}

// chooseSave shows the save dialog with dir/name suggested. onPath gets the chosen path after
// check passed and, for an existing file, the user confirmed replacing it.
func (s *Shell) chooseSave(title, suggested, same string, check func(string) error, onPath func(string)) *saveAsDialog {
	d := &saveAsDialog{shell: s, dir: filepath.Dir(suggested), check: check, onPath: onPath, same: same, ext: filepath.Ext(suggested)}
	if d.ext == "" {
		d.ext = ".pdf"
	}
	d.folder = widget.NewLabel(d.dir)
	d.folder.Wrapping = fyne.TextWrapBreak
	change := widget.NewButtonWithIcon(tr("save.folder.change"), theme.FolderOpenIcon(), d.onFolderTapped)
	d.name = widget.NewEntry()
	d.name.SetText(filepath.Base(suggested))
	d.name.OnSubmitted = func(string) { d.onSaveTapped() }
	d.msg = widget.NewLabel("")
	d.msg.Wrapping = fyne.TextWrapWord
	d.msg.Importance = widget.DangerImportance
	d.msg.Hide()
	d.save = widget.NewButtonWithIcon(tr("save.save"), theme.DocumentSaveIcon(), d.onSaveTapped)
	d.save.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(tr("common.cancel"), theme.CancelIcon(), func() { d.dlg.Hide() })
	form := widget.NewForm(
		widget.NewFormItem(tr("save.folder"), container.NewBorder(nil, nil, nil, change, d.folder)),
		widget.NewFormItem(tr("save.name"), d.name))
	buttons := container.NewHBox(layout.NewSpacer(), cancel, d.save)
	d.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(form, d.msg, buttons), s.Window)
	d.dlg.Resize(fyne.NewSize(min(640, s.Window.Canvas().Size().Width-40), 260))
	d.dlg.Show()
	s.Window.Canvas().Focus(d.name)
	return d
}

func (d *saveAsDialog) onFolderTapped() {
	d.shell.chooseFolder(func(dir string) {
		d.dir = dir
		d.folder.SetText(d.dir)
	})
}

func (d *saveAsDialog) fail(text string) {
	d.msg.SetText(text)
	d.msg.Show()
}

// onSaveTapped checks the name and the target, confirms replacing an existing file, then hands
// the path on.
func (d *saveAsDialog) onSaveTapped() {
	name := strings.TrimSpace(d.name.Text)
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		d.fail(tr("save.err.name"))
		return
	}
	if !strings.EqualFold(filepath.Ext(name), d.ext) {
		name += d.ext
	}
	path := filepath.Join(d.dir, name)
	st, err := os.Stat(path)
	exists := err == nil
	if exists && st.IsDir() {
		d.fail(tr("save.err.dir"))
		return
	}
	if d.check != nil {
		if err := d.check(path); err != nil {
			d.fail(errMessage(err))
			return
		}
	}
	done := func() {
		d.dlg.Hide()
		d.onPath(path)
	}
	if !exists {
		done()
		return
	}
	text := tr("save.replace", map[string]any{"Name": name})
	if d.same != "" && sameFile(path, d.same) {
		text = tr("save.addto", map[string]any{"Name": name})
	}
	c := dialog.NewConfirm(tr("save.replace.title"), text, func(ok bool) {
		if ok {
			done()
		}
	}, d.shell.Window)
	c.SetConfirmText(tr("save.replace.ok"))
	c.SetDismissText(tr("common.cancel"))
	c.Show()
}

// sameFile reports whether two paths name the same existing file.
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// suggestOutput proposes a name for the signed copy of path that does not exist yet, in the
// document's folder: 合同-已签.pdf, then 合同-已签(2).pdf … A document that is already a signed
// copy keeps its name's stem (合同-已签.pdf → 合同-已签(2).pdf, not 合同-已签-已签.pdf).
func suggestOutput(path, suffix string) string {
	dir := filepath.Dir(path)
	stem := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if i := strings.LastIndex(stem, "("); i > 0 && strings.HasSuffix(stem, ")") {
		if _, err := strconv.Atoi(stem[i+1 : len(stem)-1]); err == nil {
			stem = stem[:i]
		}
	}
	stem = strings.TrimSuffix(stem, suffix)
	for n := 1; ; n++ {
		name := stem + suffix + ".pdf"
		if n > 1 {
			name = stem + suffix + "(" + strconv.Itoa(n) + ").pdf"
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) || n > 999 {
			return p
		}
	}
}
