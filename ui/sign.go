package ui

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/ids"
	"sealdesk/core/keystore"
	"sealdesk/core/pdf"
	"sealdesk/core/pki"
	"sealdesk/core/seal"
	"sealdesk/core/sign"
	"sealdesk/core/tsa"
	"sealdesk/ui/widgets"
)

// sendScreen is 发起签署: the envelope editor that sends a contract to its recipients through the
// server (compose.go), and, on this machine alone, 指定签署位置 (placement.go: a PDF with empty
// fields saved to a file) and 本机签署 (signing with the personal key), one tab each.
type sendScreen struct {
	compose *composeScreen
	place   *placementScreen
	sign    *signScreen
	tabs    *container.AppTabs

	composeTab, placeTab, signTab *container.TabItem
}

func newSendScreen(s *Shell) Screen {
	v := &sendScreen{compose: newComposeScreen(s), place: newPlacementScreen(s), sign: newSignScreen(s)}
	v.composeTab = container.NewTabItem(tr("compose.tab"), v.compose.Content())
	v.placeTab = container.NewTabItem(tr("place.tab"), v.place.Content())
	v.signTab = container.NewTabItem(tr("sign.tab"), v.sign.Content())
	v.tabs = container.NewAppTabs(v.composeTab, v.placeTab, v.signTab)
	v.tabs.OnSelected = func(*container.TabItem) {
		// Seals and keys may have been made on other screens meanwhile.
		v.sign.refreshImages()
		v.sign.refreshKey()
		v.sign.updateSignable()
	}
	return v
}

func (v *sendScreen) Content() fyne.CanvasObject { return v.tabs }

// Handoff gives the open documents, their boxes, the chosen image and the tab to the screen
// that replaces this one when the language changes.
func (v *sendScreen) Handoff(next Screen) {
	n, ok := next.(*sendScreen)
	if !ok {
		for _, d := range []OpenDocument{v.place.doc, v.sign.doc} {
			if d != nil {
				go d.Close()
			}
		}
		return
	}
	v.compose.handoff(n.compose)
	v.place.handoff(n.place)
	v.sign.handoff(n.sign)
	n.tabs.SelectIndex(v.tabs.SelectedIndex())
}

// shown starts 发起签署 with the document open in 文件 when nothing is open here yet (work in
// progress here is never replaced).
func (v *sendScreen) shown() {
	v.compose.shown()
	if v.place.path != "" || v.sign.path != "" || v.place.doc != nil || v.sign.doc != nil {
		return
	}
	d, ok := v.sign.shell.Screen(NavDocuments).(*DocumentsScreen)
	if !ok || d.Path() == "" || !strings.EqualFold(filepath.Ext(d.Path()), ".pdf") {
		return
	}
	path := d.Path()
	v.place.OpenFiles([]string{path})
	v.sign.OpenFiles([]string{path})
}

// libraryChanged follows the seal library: a seal made in 签章管理 is offered at once.
func (v *sendScreen) libraryChanged() {
	v.sign.refreshImages()
	v.sign.onImageChanged()
}

// SignTo is the 签署 button after its PIN and save dialogs: it signs the open document into the
// selected field with the selected image and writes out, in the background. Real-window tests
// (ui/internal/responsive) call it, since they cannot answer Fyne's file dialog.
func (v *sendScreen) SignTo(pin, out string) { v.sign.signTo(pin, out) }

// PlaceFiles opens a document in 指定签署位置.
func (v *sendScreen) PlaceFiles(paths []string) {
	v.tabs.Select(v.placeTab)
	v.place.OpenFiles(paths)
}

// OpenFiles opens a document for signing.
func (v *sendScreen) OpenFiles(paths []string) {
	v.tabs.Select(v.signTab)
	v.sign.OpenFiles(paths)
}

// composing reports whether the envelope editor is the tab shown (the window's file drops go to
// it then).
func (v *sendScreen) composing() bool { return v.tabs.Selected() == v.composeTab }

// signingHere reports whether 本机签署 is the tab shown (a dropped PDF opens there to be signed).
func (v *sendScreen) signingHere() bool { return v.tabs.Selected() == v.signTab }

// signTarget is where the signature goes: an empty field of the document, or a new box.
type signTarget struct {
	field  string // an existing empty signature field
	page   int    // 0-based
	rect   widgets.Rect
	w      *widgets.DraggableBox
	isNew  bool
	signed bool // a signed field, shown but not selectable
	other  bool // another party's empty field (a contract): shown, not selectable
}

// signScreen is 本机签署: open a PDF, pick one of its empty fields (or tap a page to add one),
// pick my signature or seal, enter the signing PIN and save the signed copy.
type signScreen struct {
	shell *Shell
	local *LocalServices

	openBtn  *widget.Button
	keyLabel *widgets.CJKLabel
	keyBtn   *widget.Button
	image    *widget.Select
	imgView  *canvas.Image
	noImages *fyne.Container // the empty library's hint and the way to 签章管理
	signBtn  *widget.Button
	why      *widget.Label  // why 签署并保存 is disabled
	checkBtn *widget.Button // 验签: the signed copy in 文件验签
	signed   string         // the last signed copy
	progress *widgets.Activity
	status   *widget.Label
	pv       *widgets.PageView
	overlay  *fyne.Container
	addItem  *widgets.PaletteItem // 添加签署位置: drag onto a page, or tap for the current page
	root     fyne.CanvasObject

	path     string
	doc      OpenDocument
	targets  []*signTarget
	selected *signTarget
	items    []LibraryItem
	reveal   *signTarget // scrolled into view once its page's geometry is known
	relayout func()
	saveDlg  *saveAsDialog // the open save dialog (tests answer it)
	keyDlg   *keyDialog    // the last key dialog
	wg       sync.WaitGroup

	// mine, when set, says which empty fields are the signer's own (signing a contract,
	// contractsign.go): the others are another party's and cannot be chosen.
	mine func(field string) bool
	// onTargets runs after a box was added or removed.
	onTargets func()

	// Enterprise seals (signseal.go): offered after the libraryCount items of 我的印章.
	ent          []entChoice
	libraryCount int
	entSess      *entSealSession // the enterprise seal signature under way
	entGen       int             // the last loadEntSeals (an older one's answer is dropped)
	// entFor, when set, is the company a contract's company recipient signs for: the seal box
	// offers only the seals of that enterprise granted to the user; entNote says why none are.
	entFor    string
	entNote   string
	entLoaded func()
	keyBox    *fyne.Container // 个人签名密钥 (hidden when a company seals)
	codeDlg   *sealCodeDialog // the open code dialog (tests answer it)
	unsubConn func()
	drop      *dropZone       // the empty page area: drop a PDF here or open one
	dropBox   *fyne.Container // drop, centred; hidden once a document is open
}

func newSignScreen(s *Shell) *signScreen {
	v := &signScreen{shell: s, local: s.Services.Local}
	v.openBtn = widget.NewButtonWithIcon(tr("sign.open"), theme.FolderOpenIcon(), v.onOpenTapped)
	v.keyLabel = widgets.NewCJKLabel("") // wraps without starting a line with "。"
	v.keyBtn = widget.NewButtonWithIcon(tr("sign.key.create"), theme.AccountIcon(), v.onCreateKeyTapped)
	v.image = newSelect(nil, func(string) { v.onImageChanged() })
	v.image.PlaceHolder = tr("sign.image.choose")
	v.imgView = canvas.NewImageFromImage(nil)
	v.imgView.FillMode = canvas.ImageFillContain
	v.imgView.SetMinSize(fyne.NewSize(180, 120))
	v.signBtn = widget.NewButtonWithIcon(tr("sign.sign"), theme.ConfirmIcon(), v.onSignTapped)
	v.signBtn.Importance = widget.HighImportance
	v.why = widget.NewLabel("")
	v.why.Wrapping = fyne.TextWrapWord
	v.why.Importance = widget.WarningImportance
	noneText := widget.NewLabel(tr("sign.image.none"))
	noneText.Wrapping = fyne.TextWrapWord
	v.noImages = container.NewVBox(noneText, widget.NewButtonWithIcon(tr("sign.image.make"), theme.ColorPaletteIcon(), func() { v.shell.Show(NavSeals) }))
	v.noImages.Hide()
	v.checkBtn = widget.NewButtonWithIcon(tr("sign.check"), theme.ConfirmIcon(), v.onCheckTapped)
	v.checkBtn.Hide()
	v.progress = widgets.NewActivity()
	v.status = widget.NewLabel(tr("sign.hint"))
	v.status.Wrapping = fyne.TextWrapWord

	v.pv = newPageView()
	v.overlay = container.New(&signOverlay{v: v})
	// A click on the page adds nothing: a box comes from dragging 添加签署位置 onto the page, or
	// tapping it (the middle of the current page).
	v.pv.Scroll.Content = container.NewStack(v.pv.Scroll.Content, v.overlay)
	v.addItem = widgets.NewPaletteItem(tr("sign.add"), recipientColors[0])
	v.addItem.OnDropped = v.onAddDropped
	v.addItem.OnTapped = v.onAddTapped
	addHint := widgets.NewCJKLabel(tr("sign.add.hint"))
	v.relayout = followPages(v.pv, v.overlay)

	paper := canvas.NewRectangle(color.White) // paper: a black signature stays visible in the dark theme
	// The panel scrolls (so the window fits 1024×640 in either language) while 签署并保存 and
	// why it is disabled stay in view below it.
	v.keyBox = container.NewVBox(widget.NewLabelWithStyle(tr("sign.key"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.keyLabel, v.keyBtn,
		widget.NewSeparator())
	panel := container.NewVBox(
		v.keyBox,
		widget.NewLabelWithStyle(tr("sign.target"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.addItem, addHint,
		widget.NewSeparator(),
		widget.NewLabelWithStyle(tr("sign.image"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), v.image, v.noImages,
		container.NewStack(paper, v.imgView))
	side := container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), v.signBtn, v.why, v.progress.Bar), nil, nil,
		container.NewVScroll(panel))
	top := container.NewVBox(container.NewHBox(v.openBtn, layout.NewSpacer(), v.checkBtn), v.status)
	// Until a document is open the page area is a drop zone with the one primary button.
	dropBtn := widget.NewButtonWithIcon(tr("sign.open"), theme.FolderOpenIcon(), v.onOpenTapped)
	dropBtn.Importance = widget.HighImportance
	v.drop = newDropZone(tr("sign.drop"), dropBtn, v.onOpenTapped)
	v.dropBox = container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 150), v.drop))
	v.root = container.NewBorder(top, nil, nil, container.NewPadded(container.New(widgets.MinWidth(260), side)),
		container.NewStack(v.pv, v.dropBox))
	v.refreshKey()
	v.refreshImages()
	v.updateSignable()
	if c := s.Services.Conn; c != nil {
		v.unsubConn = c.Subscribe(func() { uiDo(v.loadEntSeals) })
	}
	v.loadEntSeals()
	return v
}

func (v *signScreen) Content() fyne.CanvasObject { return v.root }

// handoff gives the open document, its boxes (the selected one stays selected), the chosen
// image and the last signed copy to n, the same screen rebuilt in another language.
func (v *signScreen) handoff(n *signScreen) {
	if v.signed != "" {
		n.signed = v.signed
		n.checkBtn.Show()
	}
	if v.doc == nil {
		return
	}
	if v.pv.DeferringUpdates() {
		n.pv.DeferUpdatesForTest()
	}
	n.path, n.doc = v.path, v.doc
	n.pv.SetDocument(n.doc)
	var sel *signTarget
	for _, t := range v.targets {
		c := &signTarget{field: t.field, page: t.page, rect: t.rect, isNew: t.isNew, signed: t.signed}
		n.addTarget(c)
		if t == v.selected {
			sel = c
		}
	}
	n.overlay.Refresh()
	if i := v.image.SelectedIndex(); i >= 0 && i < len(n.image.Options) {
		n.image.SetSelectedIndex(i)
	}
	if sel != nil {
		n.selectTarget(sel)
		n.reveal = sel
	}
	n.updateSignable()
	n.status.SetText(tr("sign.opened.kept", map[string]any{"Name": filepath.Base(n.path)}))
	v.doc = nil
	v.pv.SetDocument(nil)
}

// ----- the personal key -----

// keyInfo returns the first personal key, if any.
func (v *signScreen) keyInfo() (keystore.Info, bool) {
	if v.local == nil || v.local.Keys == nil {
		return keystore.Info{}, false
	}
	list, err := v.local.Keys.List()
	if err != nil || len(list) == 0 {
		return keystore.Info{}, false
	}
	// The newest certified key, else the newest key.
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Certificate != nil {
			return list[i], true
		}
	}
	return list[len(list)-1], true
}

func (v *signScreen) refreshKey() {
	in, ok := v.keyInfo()
	switch {
	case v.local == nil || v.local.Keys == nil:
		v.keyLabel.SetText(tr("sign.key.nostore"))
		v.keyBtn.Disable()
	case !ok:
		v.keyLabel.SetText(tr("sign.key.none"))
		v.keyBtn.SetText(tr("sign.key.create"))
		v.keyBtn.Enable()
	case in.Certificate == nil:
		v.keyLabel.SetText(tr("sign.key.uncertified"))
		v.keyBtn.SetText(tr("sign.key.create"))
		v.keyBtn.Enable()
	default:
		c := in.Certificate
		v.keyLabel.SetText(tr("sign.key.ready", map[string]any{"Name": c.Subject.CommonName,
			"Issuer": c.Issuer.CommonName, "Until": c.NotAfter.Local().Format("2006-01-02")}))
		v.keyBtn.SetText(tr("sign.key.renew"))
		v.keyBtn.Enable()
	}
}

// keyDialog is the personal key's form: name, ID number and the new PIN (twice), and, when a
// certified key exists, its current PIN first. Each field is checked as it is typed, the PIN
// rule is stated before anything is typed, and the dialog stays open with everything typed in
// it until the key is made: a refusal (a wrong current PIN, the CA) is said inside it.
type keyDialog struct {
	cur, name, id, pin, pin2 *widget.Entry
	kind                     *widget.RadioGroup // the key type (设置 › 签名密钥's choice first)
	msg                      *widget.Label
	form                     *widget.Form
	dlg                      dialog.Dialog
}

// onCreateKeyTapped makes the personal key; replacing a certified key is confirmed first and
// needs its current PIN (so a new key cannot dodge the PIN lock-out).
func (v *signScreen) onCreateKeyTapped() {
	if in, ok := v.keyInfo(); ok && in.Certificate != nil {
		c := dialog.NewConfirm(tr("sign.key.renew.title"), tr("sign.key.renew.confirm"), func(ok bool) {
			if ok {
				v.showKeyDialog(true)
			}
		}, v.shell.Window)
		c.SetConfirmText(tr("sign.key.renew.ok"))
		c.SetDismissText(tr("common.cancel"))
		c.Show()
		return
	}
	v.showKeyDialog(false)
}

func (v *signScreen) showKeyDialog(renew bool) {
	k := &keyDialog{name: widget.NewEntry(), id: widget.NewEntry(), pin: widget.NewPasswordEntry(), pin2: widget.NewPasswordEntry()}
	k.name.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New(tr("sign.key.err.name"))
		}
		return nil
	}
	k.id.Validator = func(s string) error {
		if _, err := ids.ParseResidentID(strings.TrimSpace(s), time.Now()); err != nil {
			return errors.New(tr("sign.key.err.id"))
		}
		return nil
	}
	k.pin.Validator = func(s string) error {
		if _, err := keystore.CheckSecret(s); err != nil {
			return errors.New(errMessage(err))
		}
		return nil
	}
	k.pin2.Validator = func(s string) error {
		if s != k.pin.Text {
			return errors.New(tr("sign.key.err.pinmismatch"))
		}
		return nil
	}
	k.pin.OnChanged = func(string) {
		if k.pin2.Text != "" {
			k.pin2.Validate()
		}
	}
	k.msg = widget.NewLabel(tr("sign.key.local"))
	k.msg.Wrapping = fyne.TextWrapWord
	var items []*widget.FormItem
	if renew && v.needsCurrent() {
		k.cur = widget.NewPasswordEntry()
		if in, ok := v.keyInfo(); ok {
			k.cur.Validator = secretValidator(in)
		}
		items = append(items, &widget.FormItem{Text: tr("sign.key.pin.current"), Widget: k.cur, HintText: tr("sign.key.pin.current.hint")})
	}
	k.kind = newKeyTypeChoice(keyTypePref(v.local), nil)
	k.kind.Horizontal = true // one line: the dialog must fit a 640-pixel window
	items = append(items,
		&widget.FormItem{Text: tr("keys.type"), Widget: k.kind},
		&widget.FormItem{Text: tr("sign.key.name"), Widget: k.name},
		&widget.FormItem{Text: tr("sign.key.id"), Widget: k.id, HintText: tr("sign.key.id.hint")},
		&widget.FormItem{Text: tr("sign.key.pin"), Widget: k.pin, HintText: newSecretRule(v.local)},
		&widget.FormItem{Text: tr("sign.key.pin2"), Widget: k.pin2})
	k.form = widget.NewForm(items...)
	k.form.SubmitText, k.form.CancelText = tr("common.ok"), tr("common.cancel")
	k.form.OnCancel = func() { k.dlg.Hide() }
	k.form.OnSubmit = func() {
		cur := ""
		if k.cur != nil {
			cur = k.cur.Text
		}
		k.msg.Importance = widget.MediumImportance
		k.msg.SetText(tr("sign.key.creating"))
		k.form.Disable()
		err := v.makeKeyType(cur, strings.TrimSpace(k.name.Text), strings.TrimSpace(k.id.Text), k.pin.Text, k.pin2.Text, chosenKeyType(k.kind), func(err error) {
			k.form.Enable()
			if err != nil {
				k.msg.Importance = widget.DangerImportance
				k.msg.SetText(tr("sign.key.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			k.dlg.Hide()
		})
		if err != nil {
			k.form.Enable()
			k.msg.Importance = widget.DangerImportance
			k.msg.SetText(err.Error())
		}
	}
	title := strings.TrimSuffix(tr("sign.key.create"), "…")
	if renew {
		title = tr("sign.key.renew.title")
	}
	k.dlg = dialog.NewCustomWithoutButtons(title, container.NewVBox(k.form, k.msg), v.shell.Window)
	k.dlg.Resize(fyne.NewSize(min(560, v.shell.Window.Canvas().Size().Width-40), 460))
	k.dlg.Show()
	v.keyDlg = k
	if k.cur != nil {
		v.shell.Window.Canvas().Focus(k.cur)
	} else {
		v.shell.Window.Canvas().Focus(k.name)
	}
}

// createKey makes the first personal key (no key to replace). The returned error is a sentence
// for the user.
func (v *signScreen) createKey(name, idNumber, pin, pin2 string) error {
	return v.makeKey("", name, idNumber, pin, pin2, nil)
}

// makeKey checks the inputs, then — in the background — opens the certified key being replaced
// with cur (a wrong PIN is counted, a locked key refused: nothing changes), generates the new
// key, has the CA certify it, stores it and deletes the keys it replaces. done, if set, gets the
// outcome on the UI goroutine. The returned error is a sentence for the user.
func (v *signScreen) makeKey(cur, name, idNumber, pin, pin2 string, done func(error)) error {
	return v.makeKeyType(cur, name, idNumber, pin, pin2, keyTypePref(v.local), done)
}

// makeKeyType is makeKey with the key type (pki.ECDSAP256 or pki.SM2).
func (v *signScreen) makeKeyType(cur, name, idNumber, pin, pin2 string, kt pki.KeyType, done func(error)) error {
	if name == "" {
		return errors.New(tr("sign.key.err.name"))
	}
	if _, err := ids.ParseResidentID(idNumber, time.Now()); err != nil {
		return errors.New(tr("sign.key.err.id"))
	}
	if pin != pin2 {
		return errors.New(tr("sign.key.err.pinmismatch"))
	}
	if _, err := keystore.CheckSecret(pin); err != nil {
		return errors.New(errMessage(err))
	}
	if v.local == nil || v.local.CA == nil || v.local.Keys == nil {
		return errors.New(tr("sign.key.err.noca"))
	}
	if v.needsCurrent() && cur == "" {
		return errors.New(tr("sign.key.err.needcurrent"))
	}
	v.busy(true, tr("sign.key.creating"))
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		err := enrolKey(v.local, cur, name, idNumber, pin, func(ks *keystore.Keystore) (keystore.Info, error) {
			return ks.GenerateType(pin, kt)
		}, nil)
		uiDoWait(func() {
			v.busy(false, "")
			if err != nil {
				v.status.SetText(tr("sign.key.failed", map[string]any{"Reason": errMessage(err)}))
			} else {
				v.status.SetText(tr("sign.key.created"))
			}
			v.refreshKey()
			v.updateSignable()
			if done != nil {
				done(err)
			}
		})
	}()
	return nil
}

// ----- images -----

func (v *signScreen) refreshImages() {
	v.items = nil
	var names []string
	if v.local != nil && v.local.Library != nil && v.entFor == "" {
		items, _ := v.local.Library.Items()
		for _, it := range items {
			v.items = append(v.items, it)
			names = append(names, it.Name+"（"+kindText(it.Kind)+"）")
		}
	}
	v.libraryCount = len(v.items)
	for _, ch := range v.ent {
		v.items = append(v.items, ch.item)
		names = append(names, entOptionName(ch))
	}
	if len(names) == 0 && v.local != nil && v.local.Library != nil && v.entFor == "" {
		v.noImages.Show()
	} else {
		v.noImages.Hide()
	}
	sel := v.image.Selected
	v.image.Options = names
	v.image.Refresh()
	for _, n := range names {
		if n == sel {
			return
		}
	}
	v.image.ClearSelected()
}

func (v *signScreen) selectedImage() *LibraryItem {
	i := v.image.SelectedIndex()
	if i < 0 || i >= len(v.items) {
		return nil
	}
	return &v.items[i]
}

func (v *signScreen) onImageChanged() {
	if it := v.selectedImage(); it == nil {
		v.imgView.Image = nil
		v.imgView.Refresh()
	} else {
		v.imgView.Resource = nil
		v.imgView.File = ""
		img, err := decodePNG(it.PNG)
		if err == nil {
			v.imgView.Image = img
		}
		v.imgView.Refresh()
	}
	v.updateSignable()
}

// ----- the document -----

func (v *signScreen) onOpenTapped() {
	v.shell.chooseFile(pdfExts, func(path string) { v.OpenFiles([]string{path}) })
}

// OpenFiles opens the first file for signing.
func (v *signScreen) OpenFiles(paths []string) {
	if len(paths) == 0 {
		return
	}
	v.refreshImages()
	v.status.SetText(tr("place.opening", map[string]any{"Name": filepath.Base(paths[0])}))
	v.open(paths[0], nil)
}

// open reads the document's signature fields and opens it in the background, then shows it
// with its empty fields as targets (the first selected) and its signed fields marked. done, if
// set, runs after it is shown (instead of the "opened" status).
func (v *signScreen) open(path string, done func()) {
	r := v.shell.Services.Renderer
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		var doc OpenDocument
		fields, err := documentFields(path)
		if err == nil {
			if r == nil {
				err = errNoRenderer
			} else {
				doc, err = r.Open(context.Background(), path)
			}
		}
		uiDoWait(func() {
			if err != nil {
				v.status.SetText(fileErrMessage(path, err))
				return
			}
			if v.doc != nil {
				v.doc.Close()
			}
			v.path, v.doc = path, doc
			v.dropBox.Hide()
			v.setTargets(fields)
			v.pv.SetDocument(doc)
			empty := 0
			for _, t := range fields {
				if !t.signed {
					empty++
				}
			}
			switch {
			case done != nil:
				done()
			case empty > 0:
				v.status.SetText(tr("sign.opened.fields", map[string]any{"Count": empty}))
			default:
				v.status.SetText(tr("sign.opened.nofields"))
			}
		})
	}()
}

// emptySignatureFields lists the document's empty signature fields with a visible widget, after
// checking the document can be signed here.
func emptySignatureFields(path string) ([]*signTarget, error) {
	all, err := documentFields(path)
	var out []*signTarget
	for _, t := range all {
		if !t.signed {
			out = append(out, t)
		}
	}
	return out, err
}

// documentFields lists the document's signature fields with a visible widget, empty and signed
// (in the file's order), after checking the document can be signed here.
func documentFields(path string) ([]*signTarget, error) {
	if err := checkDocument(path); err != nil {
		return nil, err
	}
	f, err := pdf.OpenFile(path, nil)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fields, err := f.Fields()
	if err != nil {
		return nil, err
	}
	var out []*signTarget
	for _, fd := range fields {
		if !fd.IsSignature() || len(fd.Widgets) == 0 {
			continue
		}
		w := fd.Widgets[0]
		if w.Page < 1 || w.Rect.Width() <= 0 || w.Rect.Height() <= 0 {
			continue
		}
		out = append(out, &signTarget{field: fd.Name, page: w.Page - 1, signed: fd.Value != nil,
			rect: widgets.Rect{LLX: w.Rect.LLX, LLY: w.Rect.LLY, URX: w.Rect.URX, URY: w.Rect.URY}})
	}
	return out, nil
}

func (v *signScreen) setTargets(ts []*signTarget) {
	v.targets, v.selected = nil, nil
	v.overlay.Objects = nil
	for _, t := range ts {
		t.other = v.mine != nil && !t.signed && !t.isNew && !v.mine(t.field)
		v.addTarget(t)
	}
	for _, t := range v.targets {
		if !t.signed && !t.other {
			v.selectTarget(t) // the first empty box, brought into view
			v.reveal = t
			break
		}
	}
	v.overlay.Refresh()
	v.updateSignable()
}

func (v *signScreen) addTarget(t *signTarget) {
	label := fieldLabel(t.field)
	if t.isNew {
		label = tr("sign.newfield")
	}
	if t.signed {
		t.w = widgets.NewDraggableBox(tr("sign.target.signed", map[string]any{"Name": label}), signedColor)
		t.w.OnTapped = func() { v.status.SetText(tr("sign.target.issigned")) }
		v.targets = append(v.targets, t)
		v.overlay.Add(t.w)
		return
	}
	if t.other {
		t.w = widgets.NewDraggableBox(tr("sign.target.other", map[string]any{"Name": label}), signedColor)
		t.w.OnTapped = func() { v.status.SetText(tr("sign.target.isother")) }
		v.targets = append(v.targets, t)
		v.overlay.Add(t.w)
		return
	}
	t.w = widgets.NewDraggableBox(label, recipientColors[0])
	t.w.OnTapped = func() { v.selectTarget(t) }
	if t.isNew {
		t.w.OnDeleted = func() { v.removeTarget(t) }
		t.w.OnDragged = func(d fyne.Delta) { v.moveTarget(t, d) }
	}
	v.targets = append(v.targets, t)
	v.overlay.Add(t.w)
}

// moveTarget moves a new box by d (it stays on its page).
func (v *signScreen) moveTarget(t *signTarget, d fyne.Delta) {
	m, ok := v.pv.PageMapper(t.page)
	if !ok {
		return
	}
	pos, size := m.UserRectToWidget(t.rect)
	t.rect = m.Geometry.ClampToPage(m.WidgetRectToUser(pos.AddXY(d.DX, d.DY), size))
	v.overlay.Refresh()
}

func (v *signScreen) removeTarget(t *signTarget) {
	for i, x := range v.targets {
		if x == t {
			v.targets = append(v.targets[:i], v.targets[i+1:]...)
		}
	}
	v.overlay.Remove(t.w)
	if v.selected == t {
		v.selected = nil
	}
	v.updateSignable()
	if v.onTargets != nil {
		v.onTargets()
	}
}

// signedColor marks boxes that hold a signature already.
var signedColor = color.NRGBA{0x75, 0x75, 0x75, 0xff}

func (v *signScreen) selectTarget(t *signTarget) {
	if t != nil && (t.signed || t.other) {
		return
	}
	v.selected = t
	for _, x := range v.targets {
		if x.signed || x.other {
			continue
		}
		if x == t {
			x.w.Color = recipientColors[2]
		} else {
			x.w.Color = recipientColors[0]
		}
		x.w.Refresh()
	}
	v.updateSignable()
}

// onAddDropped adds a new box where 添加签署位置 was dropped (absolute position).
func (v *signScreen) onAddDropped(abs fyne.Position) {
	pos := abs.Subtract(fyne.CurrentApp().Driver().AbsolutePositionForObject(v.pv.Scroll.Content))
	page := v.pv.PageAt(pos)
	if page < 0 {
		if v.path == "" {
			v.status.SetText(tr("place.nodocument"))
		} else {
			v.status.SetText(tr("place.dropoutside"))
		}
		return
	}
	v.addBoxAt(page, pos)
}

// onAddTapped adds a new box in the middle of the current page.
func (v *signScreen) onAddTapped() {
	page := v.pv.CurrentPage()
	m, ok := v.pv.PageMapper(page)
	if v.path == "" || !ok {
		v.status.SetText(tr("place.nodocument"))
		return
	}
	w, h := m.Geometry.DisplaySize()
	v.addBoxAt(page, m.Origin.Add(fyne.NewPos(float32(w*m.Zoom/2), float32(h*m.Zoom/3))))
}

// addBoxAt adds a new signature box on page centred at pos (content coordinates) and selects it.
func (v *signScreen) addBoxAt(page int, pos fyne.Position) {
	m, ok := v.pv.PageMapper(page)
	if page < 0 || !ok {
		return
	}
	sz := boxSizes[boxSign]
	size := fyne.NewSize(float32(sz[0]*m.Zoom), float32(sz[1]*m.Zoom))
	r := m.Geometry.ClampToPage(m.WidgetRectToUser(pos.Subtract(fyne.NewPos(size.Width/2, size.Height/2)), size))
	t := &signTarget{page: page, rect: r, isNew: true}
	v.addTarget(t)
	v.selectTarget(t)
	v.overlay.Refresh()
	v.status.SetText(tr("sign.added"))
	if v.onTargets != nil {
		v.onTargets()
	}
}

// fieldLabel names a field placed by 指定签署位置 ("r2-seal-1") as the user knows it
// ("2·盖章框"); other names are shown as they are.
func fieldLabel(name string) string {
	if r, kind, ok := placedField(name); ok {
		return fmt.Sprintf("%d·%s", r, tr("place.kind."+kind))
	}
	return name
}

// signOverlay lays the targets over their pages.
type signOverlay struct{ v *signScreen }

func (l *signOverlay) Layout(_ []fyne.CanvasObject, _ fyne.Size) {
	for _, t := range l.v.targets {
		m, ok := l.v.pv.PageMapper(t.page)
		if !ok {
			t.w.Hide()
			l.v.relayout()
			continue
		}
		pos, size := m.UserRectToWidget(t.rect)
		t.w.Move(pos)
		t.w.Resize(size)
		t.w.Show()
		if t == l.v.reveal {
			l.v.reveal = nil
			l.v.pv.Do(func() { l.v.scrollTo(pos, size) })
		}
	}
}

// scrollTo scrolls the pages so that the box at pos (content coordinates) is in view, centred
// when it was not.
func (v *signScreen) scrollTo(pos fyne.Position, size fyne.Size) {
	sc := v.pv.Scroll
	view := sc.Size()
	off := sc.Offset
	if pos.Y >= off.Y && pos.Y+size.Height <= off.Y+view.Height && pos.X >= off.X && pos.X+size.Width <= off.X+view.Width {
		return
	}
	content := sc.Content.MinSize()
	clamp := func(x, limit float32) float32 { return max(0, min(x, limit)) }
	to := fyne.NewPos(clamp(pos.X+size.Width/2-view.Width/2, content.Width-view.Width),
		clamp(pos.Y+size.Height/2-view.Height/2, content.Height-view.Height))
	sc.ScrollToOffset(to)
	if sc.OnScrolled != nil {
		sc.OnScrolled(to) // the page view renders what came into view; the overlay follows
	}
}

func (l *signOverlay) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// ----- signing -----

// isCrossField reports whether a field was placed as a 骑缝章 box ("r1-cross-1", "R1.cross1").
func isCrossField(name string) bool { return fieldKind(name) == boxCross }

// fieldKind is the box kind a field was placed as: "r2-seal-1" (指定签署位置 on this machine) or
// "R2.seal1" (a contract sent through the server); "" for other fields.
func fieldKind(name string) string {
	if _, kind, ok := placedField(name); ok {
		return kind
	}
	return ""
}

// placedField splits a placed field's name into its recipient number (from 1) and box kind.
func placedField(name string) (int, string, bool) {
	var r, n int
	if parts := strings.Split(name, "-"); len(parts) == 3 && strings.HasPrefix(parts[0], "r") {
		if _, err := fmt.Sscanf(parts[0]+" "+parts[2], "r%d %d", &r, &n); err == nil {
			for _, k := range boxKinds {
				if k == parts[1] {
					return r, k, true
				}
			}
		}
	}
	if strings.HasPrefix(name, "R") {
		if dot := strings.IndexByte(name, '.'); dot > 1 {
			if _, err := fmt.Sscanf(name[1:dot], "%d", &r); err == nil && r > 0 {
				rest := strings.TrimRight(name[dot+1:], "0123456789")
				if k, ok := map[string]string{"sig": boxSign, "seal": boxSeal, "date": boxDate, "cross": boxCross}[rest]; ok && len(rest) < len(name[dot+1:]) {
					return r, k, true
				}
			}
		}
	}
	return 0, "", false
}

// updateSignable enables 签署并保存 when everything is there, and otherwise says beside it what
// is missing, first things first.
func (v *signScreen) updateSignable() {
	if v.mine != nil {
		// signing a contract: 立即提交 (contractsign.go) says what is missing, not 签署并保存
		v.why.Hide()
		return
	}
	why := v.whyNotSignable()
	if why == "" {
		v.signBtn.Enable()
		v.why.Hide()
		return
	}
	v.signBtn.Disable()
	v.why.SetText(why)
	v.why.Show()
}

func (v *signScreen) whyNotSignable() string {
	in, keyOK := v.keyInfo()
	empty := 0
	for _, t := range v.targets {
		if !t.signed {
			empty++
		}
	}
	ent := v.selectedEnt() != nil // an enterprise seal signs with the server's key, not the personal one
	switch {
	case !ent && (v.local == nil || v.local.Keys == nil):
		return tr("sign.why.nostore")
	case !ent && !keyOK:
		return tr("sign.why.nokey")
	case !ent && in.Certificate == nil:
		return tr("sign.why.uncertified")
	case v.path == "":
		return tr("sign.why.nodocument")
	case v.selected == nil && len(v.targets) > 0 && empty == 0:
		return tr("sign.why.allsigned")
	case v.selected == nil:
		return tr("sign.why.notarget")
	case v.selectedImage() == nil && !isDateField(v.selected.field) && len(v.items) == 0:
		return tr("sign.why.noimages")
	case v.selectedImage() == nil && !isDateField(v.selected.field):
		return tr("sign.why.noimage")
	case ent && v.selected != nil && isDateField(v.selected.field):
		return tr("sign.why.entdate")
	}
	return ""
}

func (v *signScreen) busy(on bool, text string) {
	if on {
		if v.pv.DeferringUpdates() {
			v.progress.Bar.Show() // test mode: no steps from a ticker goroutine racing the test
		} else {
			v.progress.Start()
		}
		v.signBtn.Disable()
		v.openBtn.Disable()
		v.keyBtn.Disable()
		v.status.SetText(text)
		return
	}
	v.progress.Stop()
	v.openBtn.Enable()
	v.keyBtn.Enable()
	v.updateSignable()
}

// onSignTapped asks for the signing PIN and checks it (and the key's lock-out) first; only a
// key that opened leads to the question where to save, so a wrong PIN leaves nothing behind.
func (v *signScreen) onSignTapped() {
	if ch := v.selectedEnt(); ch != nil {
		v.onEntSignTapped(*ch)
		return
	}
	in, _ := v.keyInfo()
	pin, item := secretItem(in)
	d := dialog.NewForm(tr("sign.pin.title"), tr("sign.sign"), tr("common.cancel"),
		[]*widget.FormItem{item}, func(ok bool) {
			if ok {
				v.unlockThen(pin.Text, v.askOutput)
			}
		}, v.shell.Window)
	d.Resize(fyne.NewSize(420, 200))
	d.Show()
	v.shell.Window.Canvas().Focus(pin)
}

// unlockThen opens the personal key with the PIN in the background (Argon2id takes a moment),
// then calls next with it on the UI goroutine; a wrong PIN or a locked key is said in the status.
func (v *signScreen) unlockThen(pin string, next func(crypto.Signer)) {
	in, ok := v.keyInfo()
	if !ok || in.Certificate == nil {
		return
	}
	ks := v.local.Keys
	v.busy(true, tr("sign.pin.checking"))
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		signer, err := ks.Unlock(in.ID, pin)
		uiDoWait(func() {
			v.busy(false, "")
			v.refreshKey()
			if err != nil {
				v.status.SetText(tr("sign.failed", map[string]any{"Reason": errMessage(err)}))
				if errors.Is(err, keystore.ErrNotHere) {
					v.shell.showNotHere(err, v.onCreateKeyTapped)
				}
				return
			}
			next(signer)
		})
	}()
}

// askOutput asks where to save the signed copy: a name that does not exist yet is suggested,
// a file whose signatures the result would lose is refused in the dialog (sign.CheckReplace; the
// writer checks again before its rename).
func (v *signScreen) askOutput(signer crypto.Signer) {
	in := v.path
	v.saveDlg = v.shell.chooseSave(tr("sign.save.title"), suggestOutput(in, tr("sign.save.suffix")), in,
		func(out string) error { return sign.CheckReplace(in, out) },
		func(out string) {
			v.saveDlg = nil
			if v.path == in {
				v.signWith(signer, out)
			}
		})
}

// signTo signs the document into the selected target with the PIN and writes out, in the
// background: the key is opened first, and nothing is written when anything fails (core/sign
// writes through a temp file, and never replaces a file whose signatures the result lacks).
func (v *signScreen) signTo(pin, out string) {
	v.unlockThen(pin, func(signer crypto.Signer) { v.signWith(signer, out) })
}

// signWith signs with an opened key into out; on success the view moves to out, with the box
// just signed shown as signed and the next empty box selected.
func (v *signScreen) signWith(signer crypto.Signer, out string) {
	cert, chain, name, ok := v.signIdentity(signer)
	t, img := v.selected, v.selectedImage()
	if !ok || t == nil || t.signed || v.path == "" || (img == nil && !isDateField(t.field)) {
		return
	}
	opts, err := markOptions(v.path, t, img, keystore.Info{Certificate: cert, Chain: chain})
	if err != nil {
		v.status.SetText(fileErrMessage(v.path, err))
		return
	}
	opts.Name = name
	path := v.path
	var ts tsa.Timestamper
	if v.local != nil && v.local.CA != nil {
		ts = v.local.CA.Timestamper()
	}
	working := tr("sign.signing")
	if _, isSeal := signer.(*serverSeal); isSeal {
		working = tr("sign.ent.signing")
	}
	v.busy(true, working)
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		stamped, err := signWithSigner(context.Background(), signer, path, out, opts, ts)
		uiDoWait(func() {
			v.busy(false, "")
			v.refreshKey()
			if err != nil {
				v.status.SetText(tr("sign.failed", map[string]any{"Reason": errMessage(err)}))
				return
			}
			v.remember(out)
			done := tr("sign.done.nots", map[string]any{"Path": out})
			if stamped {
				done = tr("sign.done.ts", map[string]any{"Path": out})
			}
			v.status.SetText(done)
			// Go on from the signed copy: its boxes shown as signed, the next empty one selected.
			v.open(out, func() {
				if v.selected != nil {
					done += " " + tr("sign.done.next")
				}
				v.status.SetText(done)
			})
		})
	}()
}

// markOptions are the signing options for mark t of the document at path with image img (nil
// for a date box) and the key in: a 骑缝章 box becomes a cross-page seal, a date box the date of
// signing, a new box a new field on its page, an existing field is filled.
func markOptions(path string, t *signTarget, img *LibraryItem, in keystore.Info) (*sign.Options, error) {
	opts := &sign.Options{Cert: in.Certificate, Chain: in.Chain, Name: in.Certificate.Subject.CommonName, Reason: markReason(t.field, img)}
	var pg pdf.Page
	f, err := pdf.OpenFile(path, nil)
	if err != nil {
		return nil, err
	}
	pg, err = f.Page(t.page + 1)
	f.Close()
	if err != nil {
		return nil, err
	}
	switch {
	case isCrossField(t.field):
		// A 骑缝章 box: the seal cut into strips along the right edge of every page, at the box's
		// height, signed into the placed field itself: its widget takes its page's strip and the
		// other pages get new widgets of the same field (opts.Field is set below).
		if img == nil {
			return nil, errNoImage
		}
		cp, err := crossPageFor(path, t, img)
		if err != nil {
			return nil, err
		}
		opts.CrossPage = cp
	case isDateField(t.field):
		// A 日期 box shows the date of signing.
		w, h := t.rect.Width(), t.rect.Height()
		if pg.Rotate%180 != 0 {
			w, h = h, w // the box as the reader sees it
		}
		data, err := seal.DateImagePNG(time.Now().Format("2006年1月2日"), w, h)
		if err != nil {
			return nil, err
		}
		opts.Image = data
	default:
		if img == nil {
			return nil, errNoImage
		}
		opts.Image = img.PNG
	}
	if t.isNew {
		vr, err := sign.UserToVisible(pg.CropBox, pg.Rotate, pdf.Rect{LLX: t.rect.LLX, LLY: t.rect.LLY, URX: t.rect.URX, URY: t.rect.URY})
		if err != nil {
			return nil, err
		}
		opts.Page, opts.Rect = t.page+1, vr
	} else {
		opts.Field = t.field
	}
	return opts, nil
}

var errNoImage = errors.New("no signature or seal chosen")

// crossPageFor describes the cross-page seal for a 骑缝章 box: the seal's real width when known,
// centred at the box's height as the reader sees the page.
func crossPageFor(path string, t *signTarget, img *LibraryItem) (*sign.CrossPage, error) {
	f, err := pdf.OpenFile(path, nil)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pg, err := f.Page(t.page + 1)
	if err != nil {
		return nil, err
	}
	vr, err := sign.UserToVisible(pg.CropBox, pg.Rotate, pdf.Rect{LLX: t.rect.LLX, LLY: t.rect.LLY, URX: t.rect.URX, URY: t.rect.URY})
	if err != nil {
		return nil, err
	}
	cp := &sign.CrossPage{Image: img.PNG, CenterY: (vr.Y1 + vr.Y2) / 2}
	if img.WidthMM > 0 {
		cp.Width = img.WidthMM * 72 / 25.4
	}
	return cp, nil
}

// onCheckTapped verifies the signed copy in 文件验签.
func (v *signScreen) onCheckTapped() {
	if v.signed != "" {
		v.shell.Show(NavVerify)
		v.shell.OpenFiles([]string{v.signed})
	}
}

// remember adds a signed file to the recent documents and offers to verify it.
func (v *signScreen) remember(path string) {
	v.signed = path
	v.checkBtn.Show()
	if v.local != nil && v.local.Recent != nil {
		v.local.Recent.AddRecent(path, "sign")
	}
}

// signWithSigner signs in → out with an opened key; with a reachable TSA the signature gets a
// timestamp (PAdES B-T), otherwise it is B-B. It reports whether a timestamp was added.
func signWithSigner(ctx context.Context, signer crypto.Signer, in, out string, opts *sign.Options, ts tsa.Timestamper) (bool, error) {
	if ss, isSeal := signer.(*serverSeal); isSeal {
		// The server seals (and timestamps) the document itself.
		if err := sealWithServer(ctx, ss, in, out, 0, []*sign.Options{opts}); err != nil {
			return false, fmt.Errorf("failed to seal %s: %w", filepath.Base(in), err)
		}
		return true, nil
	}
	o := *opts
	o.Signer = signer
	o.Level = sign.LevelBB
	{
		if ts != nil {
			probe := sha256.Sum256([]byte("sealdesk tsa probe"))
			pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			_, err := ts.Timestamp(pctx, crypto.SHA256, probe[:])
			cancel()
			if err == nil {
				o.Level, o.Timestamper = sign.LevelBT, ts
			}
		}
	}
	if _, err := sign.SignFile(ctx, in, out, &o); err != nil {
		return false, fmt.Errorf("failed to sign %s: %w", filepath.Base(in), err)
	}
	return o.Level == sign.LevelBT, nil
}

func decodePNG(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
