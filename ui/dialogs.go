package ui

import (
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// The app's small dialogs, with every word in the interface language. Fyne's stock ones take
// their buttons from its own translations ("OK" is 好, "No" is 不 in its Chinese), so the app
// names its buttons itself; Fyne's remaining stock words (the error title, the text-field
// menu) come from the "fyne.*"-free keys of our translation files (see stockWords).

// showError shows text under the title 出错了 with a 确定 button.
func showError(w fyne.Window, text string) {
	d := dialog.NewError(errors.New(text), w)
	d.SetDismissText(tr("common.ok"))
	d.Show()
}

// showInfo shows an information dialog with a 确定 button.
func showInfo(w fyne.Window, title, text string) {
	d := dialog.NewInformation(title, text, w)
	d.SetDismissText(tr("common.ok"))
	d.Show()
}

// showConfirm asks a question with the given confirm button (删除, 替换…) and 取消; danger marks a
// confirm that destroys something.
func showConfirm(w fyne.Window, title, text, confirm string, danger bool, onOK func()) *dialog.ConfirmDialog {
	d := dialog.NewConfirm(title, text, func(ok bool) {
		if ok {
			onOK()
		}
	}, w)
	d.SetConfirmText(confirm)
	d.SetDismissText(tr("common.cancel"))
	if danger {
		d.SetConfirmImportance(widget.DangerImportance)
	}
	d.Show()
	return d
}

// stockWords are the English source strings Fyne v2.7 passes to lang.L in the widgets and
// dialogs the app shows (dialog.NewError's title, an entry's context menu, a form dialog's
// defaults). Our translation files carry each of them, so SetLanguage, which registers our
// strings for every locale, overrides Fyne's own translations (its Chinese has 好 for OK and 不
// for No) and its English fallback alike. A test checks both files have them.
var stockWords = []string{"Error", "OK", "Cancel", "Yes", "No", "Confirm", "Open", "Save", "File", "Folder",
	"Copy", "Cut", "Paste", "Select all", "Undo", "Redo", "Quit", "Advanced", "Enter filename", "New Folder",
	"Create Folder", "Show Hidden Files", "Favourites"}
