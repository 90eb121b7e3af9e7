package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // uploaded photos
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/seal"
	"sealdesk/ui/widgets"
)

// Designer timing and resolutions.
const (
	previewDelay = 150 * time.Millisecond // debounce of the live preview
	previewDPI   = 150                    // Ø40 mm → 236 px
	signatureDPI = 300
	maxUpload    = 20 << 20 // bytes of an uploaded photo
)

// sealsScreen is 签章管理: 我的印章 (the library), 印章设计 (the designer with a live preview),
// 上传印章/签名 (photo → cleaned image) and 手写签名 (the signature pad).
type sealsScreen struct {
	ent   *entSealsView // 企业印章 (entseals.go)
	shell *Shell
	local *LocalServices
	tabs  *container.AppTabs
	root  fyne.CanvasObject

	// 我的印章
	list    *fyne.Container
	listMsg *widget.Label
	// listView is the library's list; emptyView replaces it while the library is empty.
	listView, emptyView fyne.CanvasObject

	// 印章设计
	style     *widget.Select
	size      *widget.Select
	name      *widget.Entry
	title     *widget.Entry
	code      *widget.Entry
	star      *widget.Check
	form      *widget.Form
	nameErr   *widget.Label
	titleErr  *widget.Label
	codeErr   *widget.Label
	formErr   *widget.Label
	preview   *canvas.Image
	saveBtn   *widget.Button
	exportBtn *widget.Button
	sizes     []seal.Size // the sizes offered for the chosen style

	mu       sync.Mutex
	seq      int         // bumped by every input change; older renders are dropped
	timer    *time.Timer // the debounce timer
	previews int         // renders applied (tests wait on it)
	applied  int         // the seq of the preview shown
	current  *seal.Spec  // the spec of the preview shown, nil while it has errors
	uiq      uiQueue     // worker results → UI goroutine (queued in test mode)

	// 上传
	uploadKind   *widget.RadioGroup
	uploadBtn    *widget.Button
	original     *canvas.Image
	cleaned      *canvas.Image
	uploadName   *widget.Entry
	uploadSize   *widget.Select
	acceptBtn    *widget.Button
	uploadMsg    *widget.Label
	uploadPNG    []byte // the cleaned image waiting to be accepted
	uploadSrc    []byte // the original file
	uploadAspect float64

	// 手写签名
	pad     *widgets.SignaturePad
	undoBtn *widget.Button
	clrBtn  *widget.Button
	padName *widget.Entry
	padSave *widget.Button
	padMsg  *widget.Label
	phone   *phonePad // 扫码生成 (seals_phone.go)

	// work counts the background work in flight: scheduled previews, saves and uploads.
	work sync.WaitGroup
}

func newSealsScreen(s *Shell) Screen {
	v := &sealsScreen{shell: s, local: s.Services.Local}
	v.tabs = container.NewAppTabs(
		container.NewTabItem(tr("seals.tab.library"), v.buildLibrary()),
		container.NewTabItem(tr("seals.tab.design"), v.buildDesigner()),
		container.NewTabItem(tr("seals.tab.upload"), v.buildUpload()),
		container.NewTabItem(tr("seals.tab.draw"), v.buildPad()),
	)
	v.ent = newEntSealsView(s, s.Services.Conn)
	v.tabs.Append(container.NewTabItem(tr("seals.tab.enterprise"), v.ent.Content()))
	v.root = v.tabs
	v.refreshLibrary()
	return v
}

func (v *sealsScreen) Content() fyne.CanvasObject { return v.root }

func (v *sealsScreen) library() SealLibrary {
	if v.local == nil {
		return nil
	}
	return v.local.Library
}

// ----- 我的印章 -----

func (v *sealsScreen) buildLibrary() fyne.CanvasObject {
	v.list = container.NewGridWrap(fyne.NewSize(230, 290))
	v.listMsg = widget.NewLabel("")
	v.listMsg.Wrapping = fyne.TextWrapWord
	v.listView = container.NewBorder(v.listMsg, nil, nil, nil, container.NewVScroll(v.list))
	// An empty library invites the next step: design a seal (primary), or upload one or draw a
	// signature — each opens its tab.
	design := widget.NewButtonWithIcon(tr("seals.empty.design"), theme.ColorPaletteIcon(), func() { v.tabs.SelectIndex(1) })
	design.Importance = widget.HighImportance
	upload := widget.NewButtonWithIcon(tr("seals.tab.upload"), theme.UploadIcon(), func() { v.tabs.SelectIndex(2) })
	draw := widget.NewButtonWithIcon(tr("seals.tab.draw"), theme.DocumentCreateIcon(), func() { v.tabs.SelectIndex(3) })
	v.emptyView = emptyState(tr("seals.library.empty"), design, container.NewCenter(container.NewHBox(upload, draw)))
	v.emptyView.Hide()
	return container.NewStack(v.listView, v.emptyView)
}

// showEmpty switches the library tab between the list and the empty state.
func (v *sealsScreen) showEmpty(empty bool) {
	if empty {
		v.listView.Hide()
		v.emptyView.Show()
	} else {
		v.emptyView.Hide()
		v.listView.Show()
	}
}

func kindText(kind string) string {
	switch kind {
	case ItemDesignedSeal, ItemUploadedSeal, ItemSignatureDraw, ItemSignatureScan:
		return tr("seals.kind." + kind)
	}
	return kind
}

// libraryChanged follows the store: items saved or deleted anywhere (another screen, sync) show
// at once.
func (v *sealsScreen) libraryChanged() { v.refreshLibrary() }

// refreshLibrary lists my seals and signatures.
func (v *sealsScreen) refreshLibrary() {
	v.list.Objects = nil
	lib := v.library()
	v.showEmpty(false)
	if lib == nil {
		v.listMsg.SetText(tr("seals.nostore"))
		v.list.Refresh()
		return
	}
	items, err := lib.Items()
	if err != nil {
		v.listMsg.SetText(errMessage(err))
		v.list.Refresh()
		return
	}
	if len(items) == 0 {
		v.listMsg.SetText(tr("seals.library.empty"))
		v.showEmpty(true)
	} else {
		v.listMsg.SetText(tr("seals.library.count", map[string]any{"Count": len(items)}))
	}
	for _, it := range items {
		it := it
		img := canvas.NewImageFromReader(bytes.NewReader(it.PNG), it.ID+".png")
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(150, 130))
		name := widget.NewLabelWithStyle(it.Name, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		name.Wrapping = fyne.TextWrapWord // long seal names wrap instead of being cut off
		kind := widget.NewLabelWithStyle(kindText(it.Kind), fyne.TextAlignCenter, fyne.TextStyle{})
		del := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.onDeleteTapped(it) })
		exp := widget.NewButtonWithIcon("", theme.DocumentSaveIcon(), func() { v.exportPNG(it.Name, it.PNG) })
		paper := canvas.NewRectangle(color.White)
		v.list.Add(widget.NewCard("", "", container.NewBorder(nil,
			container.NewVBox(name, kind, container.NewHBox(layout.NewSpacer(), exp, del, layout.NewSpacer())), nil, nil,
			container.NewStack(paper, img))))
	}
	v.list.Refresh()
}

func (v *sealsScreen) onDeleteTapped(it LibraryItem) {
	showConfirm(v.shell.Window, tr("common.delete"), tr("seals.delete.confirm", map[string]any{"Name": it.Name}), tr("common.delete"), true, func() {
		if err := v.library().Delete(it.ID); err != nil {
			v.listMsg.SetText(errMessage(err))
			return
		}
		v.refreshLibrary()
	})
}

// save stores an item and shows the library.
func (v *sealsScreen) save(it LibraryItem, msg *widget.Label) {
	lib := v.library()
	if lib == nil {
		msg.SetText(tr("seals.nostore"))
		return
	}
	saved, err := lib.Save(it)
	if err != nil {
		msg.SetText(errMessage(err))
		return
	}
	msg.SetText(tr("seals.saved", map[string]any{"Name": saved.Name}))
	v.refreshLibrary()
}

// exportPNG asks where to save a PNG.
func (v *sealsScreen) exportPNG(name string, data []byte) {
	v.shell.saveFile(safeFileName(name)+".png", []string{".png"}, func(out string) {
		if err := writeFileAtomic(out, data); err != nil {
			showError(v.shell.Window, errMessage(err))
		}
	})
}

func safeFileName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 32 {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		s = "seal"
	}
	return s
}

// ----- 印章设计 -----

func (v *sealsScreen) buildDesigner() fyne.CanvasObject {
	var styles []string
	for _, st := range seal.Styles {
		styles = append(styles, st.Chinese())
	}
	v.style = newSelect(styles, func(string) { v.onStyleChanged() })
	v.size = newSelect(nil, func(string) { v.onInputChanged() })
	v.name = widget.NewEntry()
	v.name.SetPlaceHolder(tr("seals.name.placeholder"))
	v.title = widget.NewEntry()
	v.title.SetPlaceHolder(tr("seals.title.placeholder"))
	v.code = widget.NewEntry()
	v.code.SetPlaceHolder(tr("seals.code.placeholder"))
	v.star = widget.NewCheck(tr("seals.star"), func(bool) { v.onInputChanged() })
	v.star.SetChecked(true)
	for _, e := range []*widget.Entry{v.name, v.title, v.code} {
		e.OnChanged = func(string) { v.onInputChanged() }
	}
	errLabel := func() *widget.Label {
		l := widget.NewLabel("")
		l.Importance = widget.DangerImportance
		l.Wrapping = fyne.TextWrapWord
		l.Hide()
		return l
	}
	v.nameErr, v.titleErr, v.codeErr, v.formErr = errLabel(), errLabel(), errLabel(), errLabel()
	v.preview = canvas.NewImageFromImage(nil)
	v.preview.FillMode = canvas.ImageFillContain
	v.preview.SetMinSize(fyne.NewSize(300, 300))
	v.saveBtn = widget.NewButtonWithIcon(tr("seals.save"), theme.DocumentSaveIcon(), v.onSaveDesignTapped)
	v.saveBtn.Importance = widget.HighImportance
	v.exportBtn = widget.NewButtonWithIcon(tr("seals.export"), theme.DownloadIcon(), v.onExportDesignTapped)
	v.saveBtn.Disable()
	v.exportBtn.Disable()

	v.form = widget.NewForm(
		widget.NewFormItem(tr("seals.style"), v.style),
		widget.NewFormItem(tr("seals.size"), v.size),
		widget.NewFormItem(tr("seals.field.name"), container.NewVBox(v.name, v.nameErr)),
		widget.NewFormItem(tr("seals.field.title"), container.NewVBox(v.title, v.titleErr)),
		widget.NewFormItem(tr("seals.field.code"), container.NewVBox(v.code, v.codeErr)),
		widget.NewFormItem("", v.star),
	)
	paper := framedPaper()
	right := container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), v.exportBtn, v.saveBtn), nil, nil,
		container.NewStack(paper, container.NewPadded(v.preview)))
	left := container.NewVBox(v.form, v.formErr)
	v.style.SetSelectedIndex(0) // fills the sizes and schedules the first preview
	// form and preview side by side, without a split's handle between them
	return container.NewGridWithColumns(2, container.NewVScroll(left), right)
}

// allowedSizes are the presets the style accepts (core/seal refuses the others with a size
// FieldError before looking at any text).
func allowedSizes(st seal.Style) []seal.Size {
	var out []seal.Size
	for _, z := range seal.Sizes {
		_, err := seal.Layout(seal.Spec{Style: st, Size: z})
		var fe *seal.FieldError
		if errors.As(err, &fe) && fe.Field == "size" {
			continue
		}
		out = append(out, z)
	}
	return out
}

func sizeText(z seal.Size) string {
	switch z.Shape {
	case seal.Round:
		return tr("seals.size.round", map[string]any{"D": z.W})
	case seal.Oval:
		return tr("seals.size.oval", map[string]any{"W": z.W, "H": z.H})
	}
	return tr("seals.size.square", map[string]any{"W": z.W, "H": z.H})
}

func (v *sealsScreen) selectedStyle() seal.Style {
	i := v.style.SelectedIndex()
	if i < 0 {
		return seal.Official
	}
	return seal.Styles[i]
}

func (v *sealsScreen) onStyleChanged() {
	st := v.selectedStyle()
	v.sizes = allowedSizes(st)
	var opts []string
	def := 0
	for i, z := range v.sizes {
		opts = append(opts, sizeText(z))
		if z == seal.Round40 {
			def = i
		}
	}
	v.size.Options = opts
	v.size.SetSelectedIndex(def) // also schedules a preview
}

// spec reads the form.
func (v *sealsScreen) spec() seal.Spec {
	sp := seal.Spec{Style: v.selectedStyle(), Name: v.name.Text, Title: v.title.Text, Code: v.code.Text, NoStar: !v.star.Checked}
	if i := v.size.SelectedIndex(); i >= 0 && i < len(v.sizes) {
		sp.Size = v.sizes[i]
	}
	return sp
}

// onInputChanged schedules a preview of the form as it is now, after a short pause in typing.
// Rendering runs off the UI goroutine; only the newest result is shown. A form without a name has
// nothing to draw: its message is shown at once, with no background work.
func (v *sealsScreen) onInputChanged() {
	if v.name == nil || v.size == nil || v.preview == nil {
		return // still building the form
	}
	sp := v.spec()
	v.mu.Lock()
	v.seq++
	seq := v.seq
	if v.timer != nil && v.timer.Stop() {
		v.work.Done() // the stopped render never runs
	}
	v.timer = nil
	if strings.TrimSpace(sp.Name) == "" {
		v.mu.Unlock()
		v.applyPreview(seq, sp, nil, nil, nil)
		return
	}
	v.work.Add(1)
	v.timer = time.AfterFunc(previewDelay, func() {
		defer v.work.Done()
		if v.stalePreview(seq) {
			return
		}
		img, warns, err := seal.Render(sp, previewDPI)
		v.toUI(func() {
			if v.stalePreview(seq) {
				return
			}
			v.applyPreview(seq, sp, img, warns, err)
		})
	})
	v.mu.Unlock()
}

// toUI hands a worker's result to the UI goroutine (queued for wait in test mode).
func (v *sealsScreen) toUI(f func()) { v.uiq.run(f) }

// deferUpdatesForTest makes workers queue their results for wait instead of using fyne.Do. Call
// it before any input that starts background work (building the screen starts none).
func (v *sealsScreen) deferUpdatesForTest() { v.uiq.deferForTest() }

// wait blocks until all background work started so far (pending previews included) has finished
// and, in test mode, applies the queued results on the calling goroutine (tests only).
func (v *sealsScreen) wait() { v.uiq.drain(&v.work) }

func (v *sealsScreen) stalePreview(seq int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return seq != v.seq
}

// applyPreview shows a render and its problems next to the fields they concern.
func (v *sealsScreen) applyPreview(seq int, sp seal.Spec, img *image.NRGBA, warns []seal.Warning, err error) {
	for _, l := range []*widget.Label{v.nameErr, v.titleErr, v.codeErr, v.formErr} {
		l.SetText("")
		l.Hide()
	}
	show := func(l *widget.Label, text string, imp widget.Importance) {
		l.Importance = imp
		l.SetText(text)
		l.Show()
	}
	ok := err == nil && img != nil
	switch {
	case strings.TrimSpace(sp.Name) == "":
		show(v.nameErr, tr("seals.err.name.empty"), widget.MediumImportance)
	case err != nil:
		field, text := designError(err)
		switch field {
		case "name":
			show(v.nameErr, text, widget.DangerImportance)
		case "title":
			show(v.titleErr, text, widget.DangerImportance)
		case "code":
			show(v.codeErr, text, widget.DangerImportance)
		default:
			show(v.formErr, text, widget.DangerImportance)
		}
	}
	for _, w := range warns {
		show(v.codeErr, warningText(w), widget.WarningImportance)
	}
	v.form.Refresh() // rows grow and shrink with their messages
	v.mu.Lock()
	v.previews++
	v.applied = seq
	if ok {
		c := sp
		v.current = &c
	} else {
		v.current = nil
	}
	v.mu.Unlock()
	if ok {
		v.preview.Image = img
		v.saveBtn.Enable()
		v.exportBtn.Enable()
	} else {
		v.preview.Image = nil
		v.saveBtn.Disable()
		v.exportBtn.Disable()
	}
	v.preview.Refresh()
}

// designError says which field an error of core/seal concerns and what to tell the user.
func designError(err error) (field, text string) {
	var tooLong *seal.TooLongError
	var glyphs *seal.MissingGlyphsError
	var fe *seal.FieldError
	switch {
	case errors.As(err, &tooLong):
		return tooLong.Field, errMessage(err)
	case errors.As(err, &glyphs):
		return glyphs.Field, errMessage(err)
	case errors.As(err, &fe):
		r := fe.Reason
		key := "seals.err.field"
		switch {
		case fe.Field == "name" && r == "empty":
			key = "seals.err.name.empty"
		case fe.Field == "title" && strings.HasPrefix(r, "required"):
			key = "seals.err.title.required"
		case fe.Field == "code" && strings.Contains(r, "needs the taxpayer number"):
			key = "seals.err.code.required"
		case fe.Field == "code" && strings.Contains(r, "not a digit or capital letter"):
			key = "seals.err.code.chars"
		case fe.Field == "code" && strings.Contains(r, "square seal"):
			key = "seals.err.code.square"
		case fe.Field == "code" && strings.Contains(r, "taxpayer number has"):
			key = "seals.err.code.length"
		case strings.Contains(r, "cannot be engraved"):
			key = "seals.err.char"
		case fe.Field == "size":
			key = "seals.err.size"
		}
		return fe.Field, tr(key, map[string]any{"Reason": r})
	}
	return "", errMessage(err)
}

func warningText(w seal.Warning) string {
	switch w.Code {
	case seal.WarnCodeCheck:
		return tr("seals.warn.check")
	case seal.WarnCodeLegacy:
		return tr("seals.warn.legacy")
	}
	return w.Message
}

// designed returns the spec of the preview shown (nil while the form has errors).
func (v *sealsScreen) designed() *seal.Spec {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.current
}

func (v *sealsScreen) onSaveDesignTapped() {
	sp := v.designed()
	if sp == nil {
		return
	}
	v.saveBtn.Disable()
	v.work.Add(1)
	go func() {
		defer v.work.Done()
		data, err := renderSealPNG(*sp)
		specJSON, jerr := json.Marshal(sp)
		if err == nil {
			err = jerr
		}
		v.toUI(func() {
			v.saveBtn.Enable()
			if err != nil {
				show := v.formErr
				show.SetText(errMessage(err))
				show.Show()
				return
			}
			name := strings.TrimSpace(sp.Name) + " " + sealTitle(*sp)
			v.save(LibraryItem{Kind: ItemDesignedSeal, Name: strings.TrimSpace(name), WidthMM: sp.Size.W, HeightMM: sp.Size.H,
				PNG: data, Spec: specJSON}, v.formErr)
			v.formErr.Importance = widget.SuccessImportance
			v.formErr.Show()
		})
	}()
}

func sealTitle(sp seal.Spec) string {
	if t := strings.TrimSpace(sp.Title); t != "" {
		return t
	}
	return sp.Style.Chinese()
}

// renderSealPNG draws a seal at the default 600 DPI as a transparent PNG.
func renderSealPNG(sp seal.Spec) ([]byte, error) {
	img, _, err := seal.Render(sp, seal.DefaultDPI)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("failed to encode png: %w", err)
	}
	return b.Bytes(), nil
}

func (v *sealsScreen) onExportDesignTapped() {
	sp := v.designed()
	if sp == nil {
		return
	}
	data, err := renderSealPNG(*sp)
	if err != nil {
		showError(v.shell.Window, errMessage(err))
		return
	}
	v.exportPNG(strings.TrimSpace(sp.Name)+"-"+sealTitle(*sp), data)
}

// ----- 上传印章/签名 -----

func (v *sealsScreen) buildUpload() fyne.CanvasObject {
	v.uploadKind = widget.NewRadioGroup([]string{tr("seals.upload.seal"), tr("seals.upload.signature")}, nil)
	v.uploadKind.Horizontal = true
	v.uploadKind.SetSelected(tr("seals.upload.seal"))
	v.uploadBtn = widget.NewButtonWithIcon(tr("seals.upload.choose"), theme.FolderOpenIcon(), v.onUploadTapped)
	v.original = canvas.NewImageFromImage(nil)
	v.original.FillMode = canvas.ImageFillContain
	v.original.SetMinSize(fyne.NewSize(260, 260))
	v.cleaned = canvas.NewImageFromImage(nil)
	v.cleaned.FillMode = canvas.ImageFillContain
	v.cleaned.SetMinSize(fyne.NewSize(260, 260))
	v.uploadName = widget.NewEntry()
	v.uploadName.SetPlaceHolder(tr("seals.upload.name"))
	v.uploadSize = newSelect([]string{"38", "40", "42", "45"}, nil)
	v.uploadSize.SetSelected("40")
	v.acceptBtn = widget.NewButtonWithIcon(tr("seals.upload.accept"), theme.ConfirmIcon(), v.onAcceptTapped)
	v.acceptBtn.Importance = widget.HighImportance
	v.acceptBtn.Disable()
	v.uploadMsg = widget.NewLabel(tr("seals.upload.hint"))
	v.uploadMsg.Wrapping = fyne.TextWrapWord
	pane := func(title string, img *canvas.Image, bg color.Color) fyne.CanvasObject {
		r := framedPaper()
		r.FillColor = bg
		return container.NewBorder(widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true}), nil, nil, nil,
			container.NewStack(r, img))
	}
	side := container.NewGridWithColumns(2,
		pane(tr("seals.upload.original"), v.original, color.NRGBA{0x30, 0x30, 0x30, 0xff}),
		pane(tr("seals.upload.cleaned"), v.cleaned, color.White))
	bottom := container.NewVBox(
		widget.NewForm(widget.NewFormItem(tr("seals.upload.namelabel"), v.uploadName),
			widget.NewFormItem(tr("seals.upload.sizelabel"), v.uploadSize)),
		container.NewHBox(layout.NewSpacer(), v.acceptBtn))
	top := container.NewVBox(container.NewHBox(v.uploadKind, v.uploadBtn), v.uploadMsg)
	return container.NewBorder(top, bottom, nil, nil, side)
}

func (v *sealsScreen) uploadInk() seal.InkKind {
	if v.uploadKind.Selected == tr("seals.upload.signature") {
		return seal.InkSignature
	}
	return seal.InkSeal
}

func (v *sealsScreen) onUploadTapped() {
	v.shell.chooseFile(imageExts, v.uploadFile)
}

// uploadFile reads a photo, cleans it in the background and shows both side by side.
func (v *sealsScreen) uploadFile(path string) {
	ink := v.uploadInk()
	v.acceptBtn.Disable()
	v.uploadPNG = nil
	v.uploadMsg.SetText(tr("seals.upload.cleaning"))
	v.work.Add(1)
	go func() {
		defer v.work.Done()
		src, orig, cleaned, err := cleanPhoto(path, ink)
		var out []byte
		if err == nil {
			var b bytes.Buffer
			if err = png.Encode(&b, cleaned); err == nil {
				out = b.Bytes()
			}
		}
		v.toUI(func() {
			if err != nil {
				v.uploadMsg.SetText(errMessage(err))
				v.original.Image, v.cleaned.Image = nil, nil
				v.original.Refresh()
				v.cleaned.Refresh()
				return
			}
			v.uploadSrc, v.uploadPNG = src, out
			v.uploadAspect = float64(cleaned.Bounds().Dy()) / float64(cleaned.Bounds().Dx())
			v.original.Image, v.cleaned.Image = orig, cleaned
			v.original.Refresh()
			v.cleaned.Refresh()
			if v.uploadName.Text == "" {
				v.uploadName.SetText(strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
			}
			v.uploadMsg.SetText(tr("seals.upload.ready"))
			v.acceptBtn.Enable()
		})
	}()
}

// cleanPhoto reads and decodes a photo within limits and runs core/seal's Clean on it.
func cleanPhoto(path string, ink seal.InkKind) ([]byte, image.Image, *image.NRGBA, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, nil, err
	}
	if st.Size() > maxUpload {
		return nil, nil, nil, errUploadTooBig
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	img, err := decodeUpload(data)
	if err != nil {
		return nil, nil, nil, err
	}
	cleaned, _, err := seal.Clean(img, ink, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	return data, img, cleaned, nil
}

// decodeUpload decodes an uploaded PNG or JPEG within the limits: the size is checked from the
// header before any pixel is decoded.
func decodeUpload(data []byte) (image.Image, error) {
	if len(data) > maxUpload {
		return nil, errUploadTooBig
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotAnImage, err)
	}
	if format != "png" && format != "jpeg" {
		return nil, fmt.Errorf("%w: %s", errNotAnImage, format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 1<<15 || cfg.Height > 1<<15 || cfg.Width*cfg.Height > seal.MaxCleanPixels {
		return nil, errUploadTooBig
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotAnImage, err)
	}
	return img, nil
}

var (
	errNotAnImage   = errors.New("file is not a png or jpeg image")
	errUploadTooBig = errors.New("image is too large")
)

func (v *sealsScreen) onAcceptTapped() {
	if v.uploadPNG == nil {
		return
	}
	it := LibraryItem{Name: strings.TrimSpace(v.uploadName.Text), PNG: v.uploadPNG}
	if len(v.uploadSrc) <= 4<<20 {
		it.Original = v.uploadSrc
	}
	if v.uploadInk() == seal.InkSeal {
		it.Kind = ItemUploadedSeal
		var w float64
		fmt.Sscan(v.uploadSize.Selected, &w)
		it.WidthMM, it.HeightMM = w, w*v.uploadAspect
	} else {
		it.Kind = ItemSignatureScan
	}
	if it.Name == "" {
		it.Name = kindText(it.Kind)
	}
	v.save(it, v.uploadMsg)
}

// ----- 手写签名 -----

func (v *sealsScreen) buildPad() fyne.CanvasObject {
	v.pad = widgets.NewSignaturePad(80, 30, tr("seals.pad.hint"))
	v.padMsg = widget.NewLabel(tr("seals.pad.intro"))
	v.padMsg.Wrapping = fyne.TextWrapWord
	v.padName = widget.NewEntry()
	v.padName.SetPlaceHolder(tr("seals.pad.name"))
	v.undoBtn = widget.NewButtonWithIcon(tr("seals.pad.undo"), theme.ContentUndoIcon(), v.pad.Undo)
	v.clrBtn = widget.NewButtonWithIcon(tr("seals.pad.clear"), theme.ContentClearIcon(), v.pad.Clear)
	v.padSave = widget.NewButtonWithIcon(tr("seals.pad.save"), theme.DocumentSaveIcon(), v.onPadSaveTapped)
	v.padSave.Importance = widget.HighImportance
	v.padSave.Disable()
	v.pad.OnChanged = func() {
		if v.pad.Strokes() > 0 {
			v.padSave.Enable()
		} else {
			v.padSave.Disable()
		}
	}
	// the name field takes the room between the buttons (it was two characters wide)
	name := container.NewBorder(nil, nil, widget.NewLabel(tr("seals.pad.namelabel")), nil, v.padName)
	bar := container.NewBorder(nil, nil, container.NewHBox(v.undoBtn, v.clrBtn), v.padSave, name)
	return container.NewBorder(v.padMsg, bar, nil, v.buildPhonePad(), container.NewPadded(v.pad))
}

func (v *sealsScreen) onPadSaveTapped() {
	sig := v.pad.Signature()
	strokes, err := sig.Marshal()
	if err != nil {
		v.padMsg.SetText(errMessage(err))
		return
	}
	img, err := sig.Render(signatureDPI, color.NRGBA{0x10, 0x10, 0x10, 0xff})
	if err != nil {
		v.padMsg.SetText(errMessage(err))
		return
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		v.padMsg.SetText(errMessage(err))
		return
	}
	name := strings.TrimSpace(v.padName.Text)
	if name == "" {
		name = tr("seals.kind." + ItemSignatureDraw)
	}
	v.save(LibraryItem{Kind: ItemSignatureDraw, Name: name, WidthMM: sig.Width, HeightMM: sig.Height, PNG: b.Bytes(), Strokes: strokes}, v.padMsg)
}

// framedPaper is white paper with a thin frame, so that it shows against the light theme's white
// background as well as against the dark one.
func framedPaper() *canvas.Rectangle {
	r := canvas.NewRectangle(color.White)
	r.StrokeColor = color.NRGBA{0xb0, 0xb0, 0xb0, 0xff}
	r.StrokeWidth = 1
	return r
}
