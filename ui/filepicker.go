package ui

import (
	"bufio"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/ui/widgets"
)

// SealDesk's own file dialog. Fyne's (v2.7) has English it does not translate ("Overwrite?",
// "Home", "Computer"), a fixed small size, starts in the working folder, creates the file when a
// save is confirmed (so a failed signing left an empty file behind) and cannot choose several
// files. This one is in the interface language, sized to the window, starts in the folder last
// used (else Documents), shows only the files of the filter it names, chooses one or several
// files, a save name (asking before replacing a file) or a folder, and hands back paths only:
// nothing is created or opened by the dialog itself.

// pickMode is what the picker chooses.
type pickMode int

const (
	pickOpen     pickMode = iota // one existing file
	pickOpenMany                 // one or more existing files
	pickSave                     // a file name to write (existing: confirmed)
	pickFolder                   // a folder
)

// File filters: the extensions (lower case) the picker shows for each kind of input.
var (
	pdfExts      = []string{".pdf"}
	imageExts    = []string{".png", ".jpg", ".jpeg"}
	pdfImageExts = []string{".pdf", ".png", ".jpg", ".jpeg"}
	certExts     = []string{".pem", ".crt", ".cer", ".der"}
	jsonExts     = []string{".json"}
)

// prefPickerDir is the App preference holding the folder the picker was last used in.
const prefPickerDir = "picker.dir"

// pickEntry is one row: a folder or a file of the filter.
type pickEntry struct {
	name, path string
	dir        bool
	size       int64
	mod        time.Time
}

// filePicker is one open file dialog; its widgets are fields so tests can drive it.
type filePicker struct {
	shell  *Shell
	mode   pickMode
	exts   []string
	onDone func(paths []string)

	dir      string
	entries  []pickEntry
	selected int      // the selected row (pickOpen, pickSave, pickFolder); -1 none
	chosen   []string // pickOpenMany: chosen files, in the order chosen (any folder)

	dlg       *dialog.CustomDialog
	places    *fyne.Container
	pathLabel *widget.Label
	upBtn     *widget.Button
	newDirBtn *widget.Button
	list      *widget.List
	empty     *widget.Label
	filter    *widget.Label
	name      *widget.Entry     // pickSave
	chosenLbl *widgets.CJKLabel // pickOpenMany
	clearBtn  *widget.Button
	msg       *widget.Label
	okBtn     *widget.Button
	cancelBtn *widget.Button
}

// chooseFile shows the picker for one existing file of exts and hands its path to onPath
// (nothing on cancel).
func (s *Shell) chooseFile(exts []string, onPath func(path string)) *filePicker {
	return s.showPicker(pickOpen, exts, "", func(p []string) { onPath(p[0]) })
}

// chooseFiles shows the picker for one or more files of exts.
func (s *Shell) chooseFiles(exts []string, onPaths func(paths []string)) *filePicker {
	return s.showPicker(pickOpenMany, exts, "", onPaths)
}

// saveFile asks where to save a file of exts, suggesting name; a name without one of exts gets
// the first; replacing an existing file is confirmed first. The file is not created.
func (s *Shell) saveFile(name string, exts []string, onPath func(path string)) *filePicker {
	return s.showPicker(pickSave, exts, name, func(p []string) { onPath(p[0]) })
}

// chooseFolder shows the picker for a folder.
func (s *Shell) chooseFolder(onPath func(path string)) *filePicker {
	return s.showPicker(pickFolder, nil, "", func(p []string) { onPath(p[0]) })
}

func (s *Shell) showPicker(mode pickMode, exts []string, name string, done func([]string)) *filePicker {
	fp := &filePicker{shell: s, mode: mode, exts: exts, onDone: done, selected: -1}
	fp.build(name)
	fp.setDir(fp.startDir())
	fp.dlg.Show()
	fp.resize()
	s.picker = fp
	return fp
}

func (fp *filePicker) title() string {
	switch fp.mode {
	case pickOpenMany:
		return tr("picker.title.openmany")
	case pickSave:
		return tr("picker.title.save")
	case pickFolder:
		return tr("picker.title.folder")
	}
	return tr("picker.title.open")
}

func (fp *filePicker) build(name string) {
	fp.pathLabel = widget.NewLabel("")
	fp.pathLabel.Truncation = fyne.TextTruncateEllipsis
	fp.upBtn = widget.NewButtonWithIcon(tr("picker.up"), theme.MoveUpIcon(), fp.onUpTapped)
	fp.newDirBtn = widget.NewButtonWithIcon(tr("picker.newfolder"), theme.FolderNewIcon(), fp.onNewFolderTapped)
	if fp.mode != pickSave && fp.mode != pickFolder {
		fp.newDirBtn.Hide()
	}
	fp.list = widget.NewList(func() int { return len(fp.entries) }, fp.newRow, fp.updateRow)
	fp.empty = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	fp.empty.Hide()
	fp.filter = widget.NewLabel(fp.filterText())
	fp.filter.Wrapping = fyne.TextWrapWord
	fp.msg = widget.NewLabel("")
	fp.msg.Wrapping = fyne.TextWrapWord
	fp.msg.Importance = widget.DangerImportance
	fp.msg.Hide()

	fp.places = container.NewVBox()
	for _, pl := range pickerPlaces() {
		b := widget.NewButtonWithIcon(pl.name, pl.icon, func() { fp.setDir(pl.path) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		fp.places.Add(b)
	}

	okText := tr("common.open")
	switch fp.mode {
	case pickSave:
		okText = tr("common.save")
	case pickFolder:
		okText = tr("picker.folder.choose")
	}
	fp.okBtn = widget.NewButtonWithIcon(okText, theme.ConfirmIcon(), fp.onOKTapped)
	fp.okBtn.Importance = widget.HighImportance
	fp.cancelBtn = widget.NewButtonWithIcon(tr("common.cancel"), theme.CancelIcon(), func() { fp.dlg.Hide() })

	bottom := container.NewVBox(fp.filter)
	switch fp.mode {
	case pickSave:
		fp.name = widget.NewEntry()
		fp.name.SetText(name)
		fp.name.OnSubmitted = func(string) { fp.onOKTapped() }
		fp.name.OnChanged = func(string) { fp.updateOK() }
		bottom.Add(widget.NewForm(widget.NewFormItem(tr("picker.filename"), fp.name)))
	case pickOpenMany:
		fp.chosenLbl = widgets.NewCJKLabel("")
		fp.clearBtn = widget.NewButtonWithIcon(tr("picker.clear"), theme.ContentClearIcon(), func() {
			fp.chosen = nil
			fp.list.Refresh()
			fp.updateOK()
		})
		bottom.Add(container.NewBorder(nil, nil, nil, fp.clearBtn, fp.chosenLbl))
	}
	bottom.Add(fp.msg)

	top := container.NewBorder(nil, nil, fp.upBtn, fp.newDirBtn, fp.pathLabel)
	placesBox := container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.NewVScroll(fp.places))
	center := container.NewBorder(top, bottom, placesBox, nil, container.NewStack(fp.list, container.NewCenter(fp.empty)))
	fp.dlg = dialog.NewCustomWithoutButtons(fp.title(), center, fp.shell.Window)
	fp.dlg.SetButtons([]fyne.CanvasObject{fp.cancelBtn, fp.okBtn})
	fp.updateOK()
}

// resize makes the dialog as large as the window allows (Fyne's is about four rows high).
func (fp *filePicker) resize() {
	size := fp.shell.Window.Canvas().Size()
	w, h := size.Width-80, size.Height-60
	fp.dlg.Resize(fyne.NewSize(max(w, 560), max(h, 420)))
}

// filterText names the files shown: "显示：PDF 文件（*.pdf）".
func (fp *filePicker) filterText() string {
	if fp.mode == pickFolder {
		return tr("picker.filter.folders")
	}
	var pats []string
	for _, e := range fp.exts {
		pats = append(pats, "*"+e)
	}
	return tr("picker.filter", map[string]any{"Kind": tr(filterKindKey(fp.exts)), "Patterns": strings.Join(pats, tr("picker.listsep"))})
}

func filterKindKey(exts []string) string {
	switch strings.Join(exts, " ") {
	case strings.Join(pdfExts, " "):
		return "picker.kind.pdf"
	case strings.Join(pdfImageExts, " "):
		return "picker.kind.pdfimage"
	case strings.Join(verifyExts, " "):
		return "picker.kind.pdfofd"
	case strings.Join(certExts, " "):
		return "picker.kind.cert"
	case strings.Join(jsonExts, " "):
		return "picker.kind.json"
	}
	for _, e := range exts {
		if !slices.Contains(imageExts, e) {
			return "picker.kind.other"
		}
	}
	return "picker.kind.image"
}

// startDir is the folder used last, else Documents, else the home folder.
func (fp *filePicker) startDir() string {
	if d := fp.shell.App.Preferences().String(prefPickerDir); d != "" && isDir(d) {
		return d
	}
	if d := documentsDir(); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return home
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// documentsDir is the user's documents folder: XDG_DOCUMENTS_DIR of user-dirs.dirs on Linux,
// else ~/Documents or ~/文档 when it exists; "" when none does.
func documentsDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	if d := xdgUserDir(home, "XDG_DOCUMENTS_DIR"); d != "" && isDir(d) {
		return d
	}
	for _, n := range []string{"Documents", "文档", "My Documents"} {
		if d := filepath.Join(home, n); isDir(d) {
			return d
		}
	}
	return ""
}

// xdgUserDir reads one entry of $XDG_CONFIG_HOME/user-dirs.dirs ("$HOME/文档").
func xdgUserDir(home, key string) string {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return ""
	}
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		cfg = filepath.Join(home, ".config")
	}
	f, err := os.Open(filepath.Join(cfg, "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok || k != key {
			continue
		}
		v = strings.Trim(v, `"`)
		v = strings.Replace(v, "$HOME", home, 1)
		if filepath.Clean(v) == filepath.Clean(home) {
			return "" // "disabled" in the XDG sense
		}
		return v
	}
	return ""
}

type pickerPlace struct {
	name, path string
	icon       fyne.Resource
}

// pickerPlaces are the shortcuts on the left: home, documents, desktop, downloads, the disk.
func pickerPlaces() []pickerPlace {
	home, err := os.UserHomeDir()
	var out []pickerPlace
	if err == nil {
		out = append(out, pickerPlace{tr("picker.place.home"), home, theme.HomeIcon()})
		if d := documentsDir(); d != "" {
			out = append(out, pickerPlace{tr("picker.place.documents"), d, theme.DocumentIcon()})
		}
		for _, p := range []struct {
			key, xdg string
			names    []string
		}{
			{"picker.place.desktop", "XDG_DESKTOP_DIR", []string{"Desktop", "桌面"}},
			{"picker.place.downloads", "XDG_DOWNLOAD_DIR", []string{"Downloads", "下载"}},
		} {
			d := xdgUserDir(home, p.xdg)
			if d == "" || !isDir(d) {
				d = ""
				for _, n := range p.names {
					if c := filepath.Join(home, n); isDir(c) {
						d = c
						break
					}
				}
			}
			if d != "" {
				out = append(out, pickerPlace{tr(p.key), d, theme.FolderIcon()})
			}
		}
	}
	root := "/"
	if runtime.GOOS == "windows" {
		root = filepath.VolumeName(home) + `\`
	}
	out = append(out, pickerPlace{tr("picker.place.computer"), root, theme.ComputerIcon()})
	return out
}

// setDir shows the folder dir: its subfolders, then its files of the filter, by name. A folder
// that cannot be read says so and keeps the current one.
func (fp *filePicker) setDir(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		fp.showMsg(tr("picker.error.read", map[string]any{"Name": dir}))
		return
	}
	fp.hideMsg()
	var dirs, files []pickEntry
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(dir, name)
		info, err := os.Stat(p) // follows links
		if err != nil {
			continue
		}
		if info.IsDir() {
			dirs = append(dirs, pickEntry{name: name, path: p, dir: true, mod: info.ModTime()})
		} else if fp.mode != pickFolder && fp.accepts(name) {
			files = append(files, pickEntry{name: name, path: p, size: info.Size(), mod: info.ModTime()})
		}
	}
	byName := func(es []pickEntry) {
		sort.Slice(es, func(i, j int) bool { return strings.ToLower(es[i].name) < strings.ToLower(es[j].name) })
	}
	byName(dirs)
	byName(files)
	fp.dir = dir
	fp.entries = append(dirs, files...)
	fp.selected = -1
	fp.pathLabel.SetText(dir)
	if parent := filepath.Dir(dir); parent == dir {
		fp.upBtn.Disable()
	} else {
		fp.upBtn.Enable()
	}
	if len(fp.entries) == 0 {
		fp.empty.SetText(tr("picker.empty"))
		fp.empty.Show()
	} else {
		fp.empty.Hide()
	}
	fp.list.UnselectAll()
	fp.list.Refresh()
	fp.list.ScrollToTop()
	fp.updateOK()
}

func (fp *filePicker) accepts(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range fp.exts {
		if e == ext {
			return true
		}
	}
	return len(fp.exts) == 0
}

func (fp *filePicker) onUpTapped() { fp.setDir(filepath.Dir(fp.dir)) }

// pickRow is one row of the list: tapping selects (or, for a folder, opens); double-tapping a
// file chooses it at once.
type pickRow struct {
	widget.BaseWidget
	fp    *filePicker
	index int
	bg    *canvas.Rectangle
	icon  *widget.Icon
	name  *widget.Label
	info  *widget.Label
}

func (fp *filePicker) newRow() fyne.CanvasObject {
	r := &pickRow{fp: fp, index: -1, bg: canvas.NewRectangle(color.Transparent), icon: widget.NewIcon(theme.FileIcon()),
		name: widget.NewLabel(""), info: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.ExtendBaseWidget(r)
	return r
}

func (r *pickRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, container.NewBorder(nil, nil, r.icon, r.info, r.name)))
}

func (r *pickRow) Tapped(*fyne.PointEvent)       { r.fp.onRowTapped(r.index) }
func (r *pickRow) DoubleTapped(*fyne.PointEvent) { r.fp.onRowDoubleTapped(r.index) }

func (fp *filePicker) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*pickRow)
	r.index = id
	if id < 0 || id >= len(fp.entries) {
		return
	}
	e := fp.entries[id]
	r.name.SetText(e.name)
	switch {
	case e.dir:
		r.icon.SetResource(theme.FolderIcon())
		r.info.SetText(tr("picker.folder"))
	case fp.mode == pickOpenMany && fp.isChosen(e.path):
		r.icon.SetResource(theme.CheckButtonCheckedIcon())
		r.info.SetText(byteSize(e.size) + "  " + e.mod.Format("2006-01-02 15:04"))
	case fp.mode == pickOpenMany:
		r.icon.SetResource(theme.CheckButtonIcon())
		r.info.SetText(byteSize(e.size) + "  " + e.mod.Format("2006-01-02 15:04"))
	default:
		r.icon.SetResource(theme.FileIcon())
		r.info.SetText(byteSize(e.size) + "  " + e.mod.Format("2006-01-02 15:04"))
	}
	if id == fp.selected || (fp.mode == pickOpenMany && !e.dir && fp.isChosen(e.path)) {
		r.bg.FillColor = theme.Color(theme.ColorNameSelection)
	} else {
		r.bg.FillColor = color.Transparent
	}
	r.bg.Refresh()
}

// byteSize is a file size in the units people read: 12 KB, 3.4 MB.
func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

func (fp *filePicker) isChosen(p string) bool {
	for _, c := range fp.chosen {
		if c == p {
			return true
		}
	}
	return false
}

// onRowTapped opens a folder (except in pickFolder, where the first tap selects it), selects a
// file, or in pickOpenMany adds it to the chosen files or takes it off.
func (fp *filePicker) onRowTapped(i int) {
	if i < 0 || i >= len(fp.entries) {
		return
	}
	e := fp.entries[i]
	switch {
	case e.dir && (fp.mode != pickFolder || fp.selected == i):
		fp.setDir(e.path)
		return
	case fp.mode == pickOpenMany:
		if fp.isChosen(e.path) {
			for j, c := range fp.chosen {
				if c == e.path {
					fp.chosen = append(fp.chosen[:j], fp.chosen[j+1:]...)
					break
				}
			}
		} else {
			fp.chosen = append(fp.chosen, e.path)
		}
	case fp.mode == pickSave:
		fp.selected = i
		fp.name.SetText(e.name)
	default:
		fp.selected = i
	}
	fp.hideMsg()
	fp.list.Refresh()
	fp.updateOK()
}

// onRowDoubleTapped opens a folder, or chooses a file at once (as a desktop's dialog does).
func (fp *filePicker) onRowDoubleTapped(i int) {
	if i < 0 || i >= len(fp.entries) {
		return
	}
	e := fp.entries[i]
	if e.dir {
		fp.setDir(e.path)
		return
	}
	switch fp.mode {
	case pickOpen:
		fp.selected = i
	case pickOpenMany:
		if !fp.isChosen(e.path) {
			fp.chosen = append(fp.chosen, e.path)
		}
	case pickSave:
		fp.name.SetText(e.name)
	}
	fp.onOKTapped()
}

func (fp *filePicker) updateOK() {
	ok := false
	switch fp.mode {
	case pickOpen:
		ok = fp.selected >= 0 && !fp.entries[fp.selected].dir
	case pickOpenMany:
		ok = len(fp.chosen) > 0
		names := make([]string, len(fp.chosen))
		for i, c := range fp.chosen {
			names[i] = filepath.Base(c)
		}
		if len(names) == 0 {
			fp.chosenLbl.SetText(tr("picker.chosen.none"))
			fp.clearBtn.Disable()
		} else {
			fp.chosenLbl.SetText(tr("picker.chosen", map[string]any{"Count": len(names), "Names": strings.Join(names, tr("picker.listsep"))}))
			fp.clearBtn.Enable()
		}
		if ok {
			fp.okBtn.SetText(tr("picker.openmany.ok", map[string]any{"Count": len(fp.chosen)}))
		} else {
			fp.okBtn.SetText(tr("common.open"))
		}
	case pickSave:
		ok = strings.TrimSpace(fp.name.Text) != ""
	case pickFolder:
		ok = fp.dir != ""
	}
	if ok {
		fp.okBtn.Enable()
	} else {
		fp.okBtn.Disable()
	}
}

func (fp *filePicker) showMsg(text string) {
	fp.msg.SetText(text)
	fp.msg.Show()
}

func (fp *filePicker) hideMsg() { fp.msg.Hide() }

// onOKTapped hands the choice over: it remembers the folder and closes, except when a save
// would replace a file (asked first) or the name is not usable (said under the list).
func (fp *filePicker) onOKTapped() {
	var paths []string
	switch fp.mode {
	case pickOpen:
		if fp.selected < 0 || fp.entries[fp.selected].dir {
			return
		}
		paths = []string{fp.entries[fp.selected].path}
	case pickOpenMany:
		if len(fp.chosen) == 0 {
			return
		}
		paths = append(paths, fp.chosen...)
	case pickFolder:
		d := fp.dir
		if fp.selected >= 0 && fp.entries[fp.selected].dir {
			d = fp.entries[fp.selected].path
		}
		paths = []string{d}
	case pickSave:
		p, err := fp.savePath()
		if err != nil {
			fp.showMsg(err.Error())
			return
		}
		if _, err := os.Stat(p); err == nil {
			fp.confirmReplace(p)
			return
		}
		paths = []string{p}
	}
	fp.finish(paths)
}

func (fp *filePicker) finish(paths []string) {
	fp.shell.App.Preferences().SetString(prefPickerDir, fp.dir)
	fp.dlg.Hide()
	fp.onDone(paths)
}

// savePath is the chosen save name in the current folder, with the filter's extension added
// when it has none of them.
func (fp *filePicker) savePath() (string, error) {
	name := strings.TrimSpace(fp.name.Text)
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) || strings.ContainsRune(name, 0) {
		return "", errors.New(tr("picker.error.name"))
	}
	if len(fp.exts) > 0 && !fp.accepts(name) {
		name += fp.exts[0]
	}
	p := filepath.Join(fp.dir, name)
	if isDir(p) {
		return "", errors.New(tr("picker.error.isdir", map[string]any{"Name": name}))
	}
	return p, nil
}

// confirmReplace asks before a save replaces an existing file.
func (fp *filePicker) confirmReplace(p string) {
	c := dialog.NewConfirm(tr("picker.replace.title"), tr("picker.replace.text", map[string]any{"Name": filepath.Base(p)}),
		func(ok bool) {
			if ok {
				fp.finish([]string{p})
			}
		}, fp.shell.Window)
	c.SetConfirmText(tr("picker.replace.ok"))
	c.SetDismissText(tr("common.cancel"))
	c.SetConfirmImportance(widget.DangerImportance)
	c.Show()
}

// onNewFolderTapped asks for a name and creates the folder inside the current one.
func (fp *filePicker) onNewFolderTapped() {
	name := widget.NewEntry()
	name.SetPlaceHolder(tr("picker.newfolder.placeholder"))
	d := dialog.NewForm(tr("picker.newfolder"), tr("picker.newfolder.create"), tr("common.cancel"),
		[]*widget.FormItem{widget.NewFormItem(tr("picker.newfolder.name"), name)}, func(ok bool) {
			n := strings.TrimSpace(name.Text)
			if !ok || n == "" {
				return
			}
			p := filepath.Join(fp.dir, n)
			if strings.ContainsAny(n, `/\`) || n == "." || n == ".." {
				fp.showMsg(tr("picker.error.name"))
				return
			}
			if err := os.Mkdir(p, 0o755); err != nil {
				fp.showMsg(tr("picker.error.mkdir", map[string]any{"Name": n}))
				return
			}
			fp.setDir(p)
		}, fp.shell.Window)
	d.Resize(fyne.NewSize(420, 160))
	d.Show()
}
