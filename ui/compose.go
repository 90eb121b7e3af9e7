package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/ui/widgets"
)

// composeScreen is 发起签署 as the manual has it (004 §6): 添加文件 (up to 5 PDF, JPEG, JPG or PNG
// files of ≤ 10 MB; an image becomes a page), 主题 (required, ≤ 25 characters), 备注 (≤ 300),
// 截止日期, 添加接收方 (企业内部成员, 个人, 企业, 抄送) in 顺序签署 (drag to reorder) or all at once,
// then 现在发送 (the recipients place their own signatures) or 指定签署位置 (the placement editor
// per recipient) and 发送.
//
// The draft is written to the data folder at every change (its files are copied there as they
// are added), so nothing typed is lost; 保存至草稿 also syncs it to the server. A bad input is
// said in Chinese naming the limit, beside the field and above the send buttons, and the input
// stays as typed.
type composeScreen struct {
	shell *Shell
	store *draftStore
	draft *envelopeDraft

	heading     *widget.Label
	newBtn      *widget.Button
	templateBtn *widget.Button // 从模板开始
	saveTplBtn  *widget.Button // 存为模板
	saveBtn     *widget.Button // 保存至草稿

	drop       *dropZone
	addFileBtn *widget.Button
	addMoreBtn *widget.Button // once a file is there, the drop zone gives way to this
	files      *fyne.Container

	subject      *widget.Entry
	subjectCount *widget.Label
	remark       *widget.Entry
	remarkCount  *widget.Label
	deadline     *dateEntry
	amount       *widget.Entry // 合同金额 (元)
	validUntil   *dateEntry    // 合同到期日

	order      *widget.RadioGroup
	recipients *fyne.Container
	cards      []*recipientCard
	addMember  *widget.Button
	addPerson  *widget.Button
	addCompany *widget.Button
	addCC      *widget.Button
	recentBtn  *widget.Button

	msg      *widget.Label
	progress *widget.ProgressBarInfinite
	sendNow  *widget.Button
	placeBtn *widget.Button

	// the placement step
	place     *placementScreen
	docSel    *widget.Select
	placeFile int
	backBtn   *widget.Button
	sendBtn   *widget.Button
	placing   bool

	form      fyne.CanvasObject
	placeView fyne.CanvasObject
	root      *fyne.Container

	members  []memberChoice // 企业内部成员 to pick from (enterprise context)
	loading  bool           // filling the form from a draft: no autosave
	busy     bool
	sendHook func(*envelopeDraft) // tests: replaces the server send
	wg       sync.WaitGroup

	// The draft is written draftSaveDelay after the last change (typing does not wait for the
	// disk), by a timer, from a snapshot taken on the UI goroutine; saveDelay 0 writes at once
	// (this package's tests, for determinism).
	saveDelay   time.Duration
	saveMu      sync.Mutex
	saveTimer   *time.Timer
	pendingDir  string
	pendingJSON []byte
	saves       int // drafts written (tests)
}

// draftSaveDelay is how long after the last change the draft is written.
const draftSaveDelay = 400 * time.Millisecond

// memberChoice is a member of the enterprise the user works for.
type memberChoice struct {
	AccountID, Name, Phone string
}

func newComposeScreen(s *Shell) *composeScreen {
	v := &composeScreen{shell: s}
	// bound to the profile of now: after a switch of account the shell builds a new screen
	v.store = newDraftStore(s.profileDir())
	v.heading = widget.NewLabelWithStyle(tr("compose.title.new"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.newBtn = widget.NewButtonWithIcon(tr("compose.new"), theme.ContentAddIcon(), v.onNewTapped)
	v.newBtn.Importance = widget.LowImportance
	v.templateBtn = widget.NewButtonWithIcon(tr("compose.template.use"), theme.ContentCopyIcon(), v.onTemplateTapped)
	v.saveTplBtn = widget.NewButtonWithIcon(tr("compose.template.save"), theme.DocumentSaveIcon(), v.onSaveTemplateTapped)
	v.saveBtn = widget.NewButtonWithIcon(tr("compose.save"), theme.DocumentSaveIcon(), v.onSaveTapped)

	v.addFileBtn = widget.NewButtonWithIcon(tr("compose.files.add"), theme.ContentAddIcon(), v.onAddFileTapped)
	v.addFileBtn.Importance = widget.HighImportance
	v.drop = newDropZone(tr("compose.files.drop"), v.addFileBtn, v.onAddFileTapped)
	v.files = container.NewVBox()
	v.addMoreBtn = widget.NewButtonWithIcon(tr("compose.files.more"), theme.ContentAddIcon(), v.onAddFileTapped)

	v.subject = widget.NewEntry()
	v.subject.SetPlaceHolder(tr("compose.subject.placeholder", map[string]any{"Max": maxSubjectRunes}))
	v.subject.Validator = checkSubject
	v.subjectCount = widget.NewLabel("")
	v.subject.OnChanged = func(s string) { v.draft.Subject = s; v.countRunes(v.subjectCount, s, maxSubjectRunes); v.changed() }
	v.remark = widget.NewMultiLineEntry()
	v.remark.Wrapping = fyne.TextWrapWord
	v.remark.SetMinRowsVisible(2)
	v.remark.SetPlaceHolder(tr("compose.remark.placeholder", map[string]any{"Max": maxRemarkRunes}))
	v.remark.Validator = checkRemark
	v.remarkCount = widget.NewLabel("")
	v.remark.OnChanged = func(s string) { v.draft.Remark = s; v.countRunes(v.remarkCount, s, maxRemarkRunes); v.changed() }
	v.deadline = newDateEntry()
	v.deadline.OnChanged = func(t *time.Time) {
		if t == nil {
			v.draft.Deadline = ""
		} else {
			v.draft.Deadline = t.Format(time.DateOnly)
		}
		v.changed()
	}

	v.amount = widget.NewEntry()
	v.amount.SetPlaceHolder(tr("compose.amount.placeholder"))
	v.amount.Validator = checkAmount
	v.amount.OnChanged = func(s string) { v.draft.Amount = s; v.changed() }
	v.validUntil = newDateEntry()
	v.validUntil.OnChanged = func(t *time.Time) {
		if t == nil {
			v.draft.ValidUntil = ""
		} else {
			v.draft.ValidUntil = t.Format(time.DateOnly)
		}
		v.changed()
	}

	v.order = widget.NewRadioGroup([]string{tr("compose.order.seq"), tr("compose.order.par")}, func(s string) {
		v.draft.Sequential = s != tr("compose.order.par")
		v.renumber()
		v.changed()
	})
	v.order.Horizontal = true
	v.order.Required = true
	v.recipients = container.NewVBox()
	v.addMember = widget.NewButtonWithIcon(tr("compose.add.member"), theme.AccountIcon(), func() { v.addRecipient(draftRecipient{Kind: recipientMember}) })
	v.addPerson = widget.NewButtonWithIcon(tr("compose.add.person"), theme.AccountIcon(), func() { v.addRecipient(draftRecipient{Kind: recipientPerson}) })
	v.addCompany = widget.NewButtonWithIcon(tr("compose.add.company"), theme.HomeIcon(), func() { v.addRecipient(draftRecipient{Kind: recipientCompany}) })
	v.addCC = widget.NewButtonWithIcon(tr("compose.add.cc"), theme.MailForwardIcon(), func() { v.addRecipient(draftRecipient{Kind: recipientCC}) })
	v.recentBtn = widget.NewButtonWithIcon(tr("compose.recent"), theme.HistoryIcon(), v.onRecentTapped)

	v.msg = widget.NewLabel("")
	v.msg.Wrapping = fyne.TextWrapWord
	v.msg.Hide()
	v.progress = widget.NewProgressBarInfinite()
	v.progress.Stop()
	v.progress.Hide()
	v.sendNow = widget.NewButtonWithIcon(tr("compose.send.now"), theme.MailSendIcon(), v.onSendNowTapped)
	v.placeBtn = widget.NewButtonWithIcon(tr("compose.place"), theme.DocumentIcon(), v.onPlaceTapped)
	v.placeBtn.Importance = widget.HighImportance

	bold := func(key string, data ...any) *widget.Label {
		return widget.NewLabelWithStyle(tr(key, data...), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	hint := func(key string, data ...any) *widgets.CJKLabel { return widgets.NewCJKLabel(tr(key, data...)) }
	formBody := container.NewVBox(
		bold("compose.files"), hint("compose.files.hint", map[string]any{"Max": maxEnvelopeFiles, "MB": maxDocumentSize >> 20}),
		v.drop, v.files, container.NewHBox(v.addMoreBtn),
		widget.NewSeparator(),
		widget.NewForm(
			&widget.FormItem{Text: tr("compose.subject"), Widget: container.NewBorder(nil, nil, nil, v.subjectCount, v.subject)},
			&widget.FormItem{Text: tr("compose.remark"), Widget: container.NewBorder(nil, nil, nil, v.remarkCount, v.remark)},
			&widget.FormItem{Text: tr("compose.deadline"), Widget: container.NewBorder(nil, nil, nil, nil, v.deadline), HintText: tr("compose.deadline.hint")},
			&widget.FormItem{Text: tr("compose.amount"), Widget: v.amount, HintText: tr("compose.amount.hint")},
			&widget.FormItem{Text: tr("compose.valid"), Widget: container.NewBorder(nil, nil, nil, nil, v.validUntil), HintText: tr("compose.valid.hint", map[string]any{"Days": api.DefaultDueDays})},
		),
		widget.NewSeparator(),
		bold("compose.recipients"), v.order,
		v.recipients,
		container.NewHBox(v.addMember, v.addPerson, v.addCompany, v.addCC, v.recentBtn),
	)
	top := container.NewBorder(nil, widget.NewSeparator(), v.heading, container.NewHBox(v.newBtn, v.templateBtn, v.saveTplBtn, v.saveBtn))
	bottom := container.NewVBox(widget.NewSeparator(), v.msg, v.progress,
		container.NewHBox(layout.NewSpacer(), v.sendNow, v.placeBtn))
	v.form = container.NewBorder(top, bottom, nil, nil, container.NewVScroll(container.NewPadded(formBody)))

	// the placement step: the existing editor, its recipients the draft's signers
	v.place = newPlacementScreen(s)
	v.place.openBtn.Hide()
	v.place.saveBtn.Hide()
	v.place.saveWhy.Hide()
	v.place.onChanged = v.onBoxesChanged
	v.docSel = newSelect(nil, v.onDocSelected)
	v.backBtn = widget.NewButtonWithIcon(tr("compose.back"), theme.NavigateBackIcon(), v.onBackTapped)
	v.sendBtn = widget.NewButtonWithIcon(tr("compose.send"), theme.MailSendIcon(), v.onSendPlacedTapped)
	v.sendBtn.Importance = widget.HighImportance
	placeTop := container.NewBorder(nil, nil, container.NewHBox(v.backBtn, v.docSel), container.NewHBox(v.saveBtn2(), v.sendBtn))
	v.placeView = container.NewBorder(container.NewVBox(placeTop, widget.NewSeparator()), nil, nil, nil, v.place.Content())

	v.root = container.NewStack(v.form)
	v.saveDelay = draftSaveDelay
	if workers.testMode() {
		v.saveDelay = 0
	}
	// The draft being edited when the app last stopped (or crashed) comes back.
	if d := v.currentDraft(); d != nil {
		v.start(d)
		v.say(tr("compose.draft.restored"), false)
	} else {
		v.start(&envelopeDraft{ID: newDraftID(), Sequential: true})
	}
	return v
}

// currentDraft is the draft the data folder says was being edited, if any.
func (v *composeScreen) currentDraft() *envelopeDraft {
	if v.store == nil {
		return nil
	}
	return v.store.Current()
}

// saveBtn2 is 保存至草稿 on the placement step.
func (v *composeScreen) saveBtn2() *widget.Button {
	return widget.NewButtonWithIcon(tr("compose.save"), theme.DocumentSaveIcon(), v.onSaveTapped)
}

func (v *composeScreen) Content() fyne.CanvasObject { return v.root }

// countRunes shows "n/max" beside a field, in the warning colour beyond max.
func (v *composeScreen) countRunes(l *widget.Label, s string, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	l.SetText(fmt.Sprintf("%d/%d", n, max))
	if n > max {
		l.Importance = widget.DangerImportance
	} else {
		l.Importance = widget.LowImportance
	}
	l.Refresh()
}

// start fills the form from d (a new draft, a saved one, a template's copy); what waits to be
// written of the draft before is written first, and d becomes the draft restored after a restart.
func (v *composeScreen) start(d *envelopeDraft) {
	v.flushDraft()
	if v.store != nil {
		if err := v.store.SetCurrent(d.ID); err != nil {
			defer v.say(tr("compose.err.save", map[string]any{"Reason": errMessage(err)}), true)
		}
	}
	v.loading = true
	defer func() { v.loading = false }()
	v.draft = d
	v.cards = nil // the cards of the draft before (setting the order below renumbers the cards)
	v.showForm()
	if d.Template || d.Subject == "" && len(d.Files) == 0 {
		v.heading.SetText(tr("compose.title.new"))
	} else {
		v.heading.SetText(tr("compose.title.draft", map[string]any{"Subject": d.Subject}))
	}
	v.subject.SetText(d.Subject)
	v.countRunes(v.subjectCount, d.Subject, maxSubjectRunes)
	v.remark.SetText(d.Remark)
	v.countRunes(v.remarkCount, d.Remark, maxRemarkRunes)
	if t, err := time.ParseInLocation(time.DateOnly, d.Deadline, time.Local); err == nil {
		v.deadline.SetDate(&t)
	} else {
		v.deadline.SetDate(nil)
	}
	v.amount.SetText(d.Amount)
	if t, err := time.ParseInLocation(time.DateOnly, d.ValidUntil, time.Local); err == nil {
		v.validUntil.SetDate(&t)
	} else {
		v.validUntil.SetDate(nil)
	}
	if d.Sequential {
		v.order.SetSelected(tr("compose.order.seq"))
	} else {
		v.order.SetSelected(tr("compose.order.par"))
	}
	v.showFiles()
	v.cards = nil
	v.recipients.Objects = nil
	for i := range d.Recipients {
		v.cards = append(v.cards, v.newRecipientCard(i))
	}
	v.relayoutRecipients()
	v.updateButtons()
	v.say("", false)
}

// changed: the draft changed; it is written locally (nothing typed is lost) once it holds
// anything.
func (v *composeScreen) changed() {
	if v.loading || v.draft == nil {
		return
	}
	v.updateButtons()
	if v.store != nil && (len(v.draft.Files) > 0 || strings.TrimSpace(v.draft.Subject) != "" || len(v.draft.Recipients) > 0) {
		dir, b, err := v.store.encode(v.draft)
		if err == nil {
			err = v.scheduleSave(dir, b)
		}
		if err != nil {
			v.say(tr("compose.err.save", map[string]any{"Reason": errMessage(err)}), true)
		}
	}
}

// scheduleSave writes the encoded draft saveDelay from now (a later change replaces it), or at
// once when saveDelay is 0.
func (v *composeScreen) scheduleSave(dir string, b []byte) error {
	v.saveMu.Lock()
	v.pendingDir, v.pendingJSON = dir, b
	if v.saveDelay <= 0 {
		v.saveMu.Unlock()
		return v.flushDraft()
	}
	if v.saveTimer == nil {
		v.saveTimer = time.AfterFunc(v.saveDelay, func() {
			if err := v.flushDraft(); err != nil {
				uiDo(func() { v.say(tr("compose.err.save", map[string]any{"Reason": errMessage(err)}), true) })
			}
		})
	}
	v.saveMu.Unlock()
	return nil
}

// flushDraft writes the draft waiting to be written, now (temporary file, then rename). Any
// goroutine may call it.
func (v *composeScreen) flushDraft() error {
	v.saveMu.Lock()
	defer v.saveMu.Unlock()
	if v.saveTimer != nil {
		v.saveTimer.Stop()
		v.saveTimer = nil
	}
	dir, b := v.pendingDir, v.pendingJSON
	v.pendingDir, v.pendingJSON = "", nil
	if b == nil || v.store == nil {
		return nil
	}
	v.saves++
	return v.store.write(dir, b)
}

// cancelSave forgets what waits to be written (the draft was sent or deleted).
func (v *composeScreen) cancelSave() {
	v.saveMu.Lock()
	defer v.saveMu.Unlock()
	if v.saveTimer != nil {
		v.saveTimer.Stop()
		v.saveTimer = nil
	}
	v.pendingDir, v.pendingJSON = "", nil
}

// say shows a message above the send buttons (danger: in red).
func (v *composeScreen) say(text string, danger bool) {
	v.msg.SetText(text)
	v.msg.Importance = widget.MediumImportance
	if danger {
		v.msg.Importance = widget.DangerImportance
	}
	if text == "" {
		v.msg.Hide()
	} else {
		v.msg.Show()
	}
	v.msg.Refresh()
}

func (v *composeScreen) updateButtons() {
	ent := v.shell.Services.Conn != nil && v.shell.Services.Conn.Context() != ""
	if ent {
		v.addMember.Show()
	} else {
		v.addMember.Hide()
	}
	// an empty envelope invites files with the drop zone; then a small button adds more
	switch n := len(v.draft.Files); {
	case n == 0:
		v.drop.Show()
		v.addMoreBtn.Hide()
	case n >= maxEnvelopeFiles:
		v.drop.Hide()
		v.addMoreBtn.Hide()
	default:
		v.drop.Hide()
		v.addMoreBtn.Show()
	}
	if v.busy {
		v.sendNow.Disable()
		v.placeBtn.Disable()
		v.sendBtn.Disable()
		return
	}
	v.sendNow.Enable()
	v.placeBtn.Enable()
	v.sendBtn.Enable()
}

// ----- files -----

func (v *composeScreen) draftDir() string {
	if v.store != nil {
		return v.store.dir(v.draft)
	}
	dir := filepath.Join(os.TempDir(), "sealdesk-drafts", v.draft.ID)
	return dir
}

func (v *composeScreen) onAddFileTapped() {
	v.shell.chooseFiles(envelopeFileKinds, v.AddFiles)
}

// AddFiles adds files to the envelope in the background, in order; each refusal (a sixth file, a
// file over 10 MB, a kind not accepted) is said naming the file and the limit, and the files
// before it stay added.
func (v *composeScreen) AddFiles(paths []string) {
	if len(paths) == 0 || v.busy {
		return
	}
	dir, have := v.draftDir(), len(v.draft.Files)
	d := v.draft
	v.setBusy(true, tr("compose.files.adding"))
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		var added []draftFile
		var problems []string
		for _, p := range paths {
			f, err := prepareEnvelopeFile(dir, p, have+len(added))
			if err != nil {
				problems = append(problems, errMessage(err))
				continue
			}
			dup := false
			for _, o := range append(append([]draftFile(nil), d.Files...), added...) {
				dup = dup || o.SHA256 == f.SHA256
			}
			if dup {
				problems = append(problems, tr("compose.err.files.dup", map[string]any{"Name": f.Name}))
				continue
			}
			added = append(added, f)
		}
		uiDoWait(func() {
			v.setBusy(false, "")
			if v.draft != d {
				return
			}
			d.Files = append(d.Files, added...)
			if strings.TrimSpace(d.Subject) == "" && len(d.Files) > 0 {
				// the manual's form suggests the first file's name as the subject
				s := strings.TrimSuffix(d.Files[0].Name, filepath.Ext(d.Files[0].Name))
				if utf8.RuneCountInString(s) <= maxSubjectRunes {
					v.subject.SetText(s)
				}
			}
			v.showFiles()
			v.changed()
			if len(problems) > 0 {
				v.say(strings.Join(problems, "\n"), true)
			} else {
				v.say(tr("compose.files.added", map[string]any{"Count": len(added)}), false)
			}
		})
	}()
}

func (v *composeScreen) showFiles() {
	v.files.Objects = nil
	for i, f := range v.draft.Files {
		i := i
		rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { v.removeFile(i) })
		rm.Importance = widget.LowImportance
		info := widget.NewLabel(tr("compose.files.info", map[string]any{"Pages": f.Pages, "Size": byteSize(f.Size)}))
		name := widget.NewLabelWithStyle(fmt.Sprintf("%d. %s", i+1, f.Name), fyne.TextAlignLeading, fyne.TextStyle{})
		name.Truncation = fyne.TextTruncateEllipsis
		v.files.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.FileIcon()), container.NewHBox(info, rm), name))
	}
	v.files.Refresh()
	v.updateButtons()
}

func (v *composeScreen) removeFile(i int) {
	if i < 0 || i >= len(v.draft.Files) {
		return
	}
	f := v.draft.Files[i]
	v.draft.Files = append(v.draft.Files[:i], v.draft.Files[i+1:]...)
	// boxes on the file go with it; boxes of later files move up
	var boxes []draftBox
	for _, b := range v.draft.Boxes {
		switch {
		case b.File == i:
			continue
		case b.File > i:
			b.File--
		}
		boxes = append(boxes, b)
	}
	v.draft.Boxes = boxes
	os.Remove(filepath.Join(v.draftDir(), f.File))
	v.showFiles()
	v.changed()
	v.say(tr("compose.files.removed", map[string]any{"Name": f.Name}), false)
}

func (v *composeScreen) setBusy(on bool, text string) {
	v.busy = on
	if on {
		v.progress.Show()
		v.progress.Start()
		v.say(text, false)
	} else {
		v.progress.Stop()
		v.progress.Hide()
	}
	v.updateButtons()
}

// ----- recipients -----

// recipientCard is one recipient of 添加接收方: its number, kind, fields, and the ways to move
// (drag the handle, or ↑ ↓) and delete it.
type recipientCard struct {
	v     *composeScreen
	index int

	number  *widget.Label
	kind    *widget.Label
	handle  *dragHandle
	up      *widget.Button
	down    *widget.Button
	remove  *widget.Button
	name    *widget.Entry
	contact *widget.Entry
	company *widget.Entry
	member  *widget.Select
	problem *widget.Label
	box     fyne.CanvasObject
}

func (v *composeScreen) addRecipient(r draftRecipient) {
	if len(v.draft.Recipients) >= maxRecipients {
		v.say(tr("compose.err.recipients.many", map[string]any{"Max": maxRecipients}), true)
		return
	}
	v.draft.Recipients = append(v.draft.Recipients, r)
	c := v.newRecipientCard(len(v.draft.Recipients) - 1)
	v.cards = append(v.cards, c)
	v.relayoutRecipients()
	v.changed()
	if c.company != nil {
		v.shell.Window.Canvas().Focus(c.company)
	} else if c.name != nil && c.member == nil {
		v.shell.Window.Canvas().Focus(c.name)
	}
}

func (v *composeScreen) newRecipientCard(i int) *recipientCard {
	r := v.draft.Recipients[i]
	c := &recipientCard{v: v, index: i}
	c.number = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.kind = widget.NewLabel(tr("compose.kind." + r.Kind))
	c.handle = newDragHandle(func(dy float32) { v.onCardDragged(c, dy) })
	c.up = widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { v.moveRecipient(c.index, c.index-1) })
	c.down = widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { v.moveRecipient(c.index, c.index+1) })
	c.remove = widget.NewButtonWithIcon(tr("compose.recipient.delete"), theme.DeleteIcon(), func() { v.removeRecipient(c.index) })
	for _, b := range []*widget.Button{c.up, c.down, c.remove} {
		b.Importance = widget.LowImportance
	}
	c.problem = widget.NewLabel("")
	c.problem.Importance = widget.DangerImportance
	c.problem.Wrapping = fyne.TextWrapWord
	c.problem.Hide()
	set := func(f func(*draftRecipient, string)) func(string) {
		return func(s string) {
			if c.index < len(v.draft.Recipients) {
				f(&v.draft.Recipients[c.index], s)
				c.check(false)
				v.changed()
			}
		}
	}
	entry := func(text, placeholder string, f func(*draftRecipient, string)) *widget.Entry {
		e := widget.NewEntry()
		e.SetText(text)
		e.SetPlaceHolder(placeholder)
		e.OnChanged = set(f)
		return e
	}
	var rows []*widget.FormItem
	switch r.Kind {
	case recipientMember:
		var names []string
		sel := -1
		for j, m := range v.members {
			names = append(names, memberText(m))
			if m.AccountID == r.AccountID && r.AccountID != "" {
				sel = j
			}
		}
		c.member = newSelect(names, func(string) {
			j := c.member.SelectedIndex()
			if j < 0 || j >= len(v.members) || c.index >= len(v.draft.Recipients) {
				return
			}
			m := v.members[j]
			rr := &v.draft.Recipients[c.index]
			rr.AccountID, rr.Name, rr.Contact = m.AccountID, m.Name, m.Phone
			c.check(false)
			v.changed()
		})
		c.member.PlaceHolder = tr("compose.member.choose")
		if sel >= 0 {
			c.member.SetSelectedIndex(sel)
		}
		if len(v.members) == 0 {
			c.member.PlaceHolder = tr("compose.member.loading")
		}
		rows = append(rows, &widget.FormItem{Text: tr("compose.member"), Widget: c.member})
	case recipientCompany:
		c.company = entry(r.Company, tr("compose.company.placeholder"), func(r *draftRecipient, s string) { r.Company = s })
		c.name = entry(r.Name, tr("compose.handler.placeholder"), func(r *draftRecipient, s string) { r.Name = s })
		c.contact = entry(r.Contact, tr("compose.phone.placeholder"), func(r *draftRecipient, s string) { r.Contact = s })
		rows = append(rows, &widget.FormItem{Text: tr("compose.company"), Widget: c.company},
			&widget.FormItem{Text: tr("compose.handler"), Widget: c.name},
			&widget.FormItem{Text: tr("compose.phone"), Widget: c.contact})
	default: // person, cc
		c.name = entry(r.Name, tr("compose.name.placeholder"), func(r *draftRecipient, s string) { r.Name = s })
		c.contact = entry(r.Contact, tr("compose.contact.placeholder"), func(r *draftRecipient, s string) { r.Contact = s })
		rows = append(rows, &widget.FormItem{Text: tr("compose.name"), Widget: c.name},
			&widget.FormItem{Text: tr("compose.contact"), Widget: c.contact})
	}
	head := container.NewBorder(nil, nil, container.NewHBox(c.handle, c.number, c.kind), container.NewHBox(c.up, c.down, c.remove))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	c.box = container.NewStack(bg, container.NewPadded(container.NewVBox(head, widget.NewForm(rows...), c.problem)))
	return c
}

// check says what is wrong with the recipient under its card (quiet: only when something was
// typed, so a new card is not red at once).
func (c *recipientCard) check(always bool) bool {
	r := c.v.draft.Recipients[c.index]
	err := checkRecipient(c.index+1, r)
	typed := strings.TrimSpace(r.Name+r.Contact+r.Company) != ""
	if err == nil || (!always && !typed) {
		c.problem.Hide()
		return err == nil
	}
	// a phone or e-mail being typed is judged once it could be complete
	if !always && c.contact != nil && c.contact.Text != "" && len([]rune(strings.TrimSpace(c.contact.Text))) < 11 && !strings.Contains(c.contact.Text, "@") {
		if _, cerr := checkContact(c.contact.Text, false); cerr != nil {
			c.problem.Hide()
			return false
		}
	}
	c.problem.SetText(err.Error())
	c.problem.Show()
	return false
}

func memberText(m memberChoice) string {
	if m.Phone != "" {
		return m.Name + "  " + m.Phone
	}
	return m.Name
}

// renumber shows each card's number (its place in 顺序签署; 抄送 has none) and which may move.
func (v *composeScreen) renumber() {
	for i, c := range v.cards {
		c.index = i
		r := v.draft.Recipients[i]
		switch {
		case !r.signs():
			c.number.SetText("—")
		case v.draft.Sequential:
			c.number.SetText(fmt.Sprint(v.draft.signerNumber(i)))
		default:
			c.number.SetText("·")
		}
		if i == 0 {
			c.up.Disable()
		} else {
			c.up.Enable()
		}
		if i == len(v.cards)-1 {
			c.down.Disable()
		} else {
			c.down.Enable()
		}
	}
}

func (v *composeScreen) relayoutRecipients() {
	v.recipients.Objects = nil
	for _, c := range v.cards {
		v.recipients.Add(c.box)
	}
	v.renumber()
	v.recipients.Refresh()
}

// moveRecipient moves recipient i to place j (their boxes go with them).
func (v *composeScreen) moveRecipient(i, j int) {
	n := len(v.draft.Recipients)
	if i < 0 || j < 0 || i >= n || j >= n || i == j {
		return
	}
	rs := v.draft.Recipients
	r := rs[i]
	c := v.cards[i]
	rs = append(rs[:i], rs[i+1:]...)
	rs = append(rs[:j], append([]draftRecipient{r}, rs[j:]...)...)
	v.draft.Recipients = rs
	cs := append(v.cards[:i], v.cards[i+1:]...)
	v.cards = append(cs[:j], append([]*recipientCard{c}, cs[j:]...)...)
	for k := range v.draft.Boxes {
		b := &v.draft.Boxes[k]
		switch {
		case b.Recipient == i:
			b.Recipient = j
		case i < j && b.Recipient > i && b.Recipient <= j:
			b.Recipient--
		case j < i && b.Recipient >= j && b.Recipient < i:
			b.Recipient++
		}
	}
	v.relayoutRecipients()
	v.changed()
}

func (v *composeScreen) removeRecipient(i int) {
	if i < 0 || i >= len(v.draft.Recipients) {
		return
	}
	v.draft.Recipients = append(v.draft.Recipients[:i], v.draft.Recipients[i+1:]...)
	v.cards = append(v.cards[:i], v.cards[i+1:]...)
	var boxes []draftBox
	for _, b := range v.draft.Boxes {
		if b.Recipient == i {
			continue
		}
		if b.Recipient > i {
			b.Recipient--
		}
		boxes = append(boxes, b)
	}
	v.draft.Boxes = boxes
	v.relayoutRecipients()
	v.changed()
}

// onCardDragged moves a card up or down once the handle was dragged past half a card.
func (v *composeScreen) onCardDragged(c *recipientCard, dy float32) {
	h := c.box.Size().Height + theme.Padding()
	if h <= 0 {
		return
	}
	c.handle.acc += dy
	for c.handle.acc > h/2 && c.index < len(v.cards)-1 {
		c.handle.acc -= h
		v.moveRecipient(c.index, c.index+1)
	}
	for c.handle.acc < -h/2 && c.index > 0 {
		c.handle.acc += h
		v.moveRecipient(c.index, c.index-1)
	}
}

// onRecentTapped offers 最近联系人 (people and companies sent to before).
func (v *composeScreen) onRecentTapped() {
	var recent []draftRecipient
	if v.store != nil {
		recent = v.store.RecentContacts()
	}
	if len(recent) == 0 {
		v.say(tr("compose.recent.none"), false)
		return
	}
	var items []*fyne.MenuItem
	for _, r := range recent {
		r := r
		label := recipientLabel(r) + "  " + r.Contact
		items = append(items, fyne.NewMenuItem(label, func() { v.addRecipient(r) }))
	}
	c := v.shell.Window.Canvas()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.recentBtn).Add(fyne.NewPos(0, v.recentBtn.Size().Height))
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", items...), c, pos)
}

// ----- drafts and templates -----

func (v *composeScreen) onNewTapped() {
	if v.busy {
		return
	}
	v.start(&envelopeDraft{ID: newDraftID(), Sequential: true})
}

// OpenDraft continues a saved draft.
func (v *composeScreen) OpenDraft(d *envelopeDraft) {
	if v.busy {
		return
	}
	v.start(d)
	v.say(tr("compose.draft.opened"), false)
}

// onSaveTapped is 保存至草稿: written locally now and, when signed in, synced to the server.
func (v *composeScreen) onSaveTapped() {
	v.collectBoxes()
	if v.store == nil {
		v.say(tr("compose.err.nostore"), true)
		return
	}
	if err := v.store.Save(v.draft); err != nil {
		v.say(tr("compose.err.save", map[string]any{"Reason": errMessage(err)}), true)
		return
	}
	v.say(tr("compose.saved"), false)
	v.syncDraft()
}

func (v *composeScreen) onSaveTemplateTapped() {
	v.collectBoxes()
	if v.store == nil {
		v.say(tr("compose.err.nostore"), true)
		return
	}
	if len(v.draft.Files) == 0 {
		v.say(tr("compose.err.files.none"), true)
		return
	}
	name := widget.NewEntry()
	name.SetText(strings.TrimSpace(v.draft.Subject))
	name.Validator = checkSubject
	d := dialog.NewForm(tr("compose.template.save"), tr("common.ok"), tr("common.cancel"),
		[]*widget.FormItem{{Text: tr("compose.template.name"), Widget: name}}, func(ok bool) {
			if !ok {
				return
			}
			v.saveTemplate(name.Text)
		}, v.shell.Window)
	d.Resize(fyne.NewSize(420, 200))
	d.Show()
}

// onTemplateTapped lists the templates; choosing one starts a new draft from a copy of it.
// saveTemplate keeps a copy of the draft as template name here and, when signed in, on the
// server (in the background), where every computer of the account finds it.
func (v *composeScreen) saveTemplate(name string) {
	v.collectBoxes()
	t, err := v.store.Copy(v.draft, true)
	if err == nil {
		t.Subject = strings.TrimSpace(name)
		err = v.store.Save(t)
	}
	if err != nil {
		v.say(tr("compose.err.save", map[string]any{"Reason": errMessage(err)}), true)
		return
	}
	v.say(tr("compose.template.saved", map[string]any{"Name": t.Subject}), false)
	if c := v.shell.client(); c != nil {
		dir, store := v.store.dir(t), v.store
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
			defer cancel()
			if err := syncTemplate(ctx, c, store, dir, t); err != nil {
				uiDo(func() { v.say(tr("compose.template.nosync", map[string]any{"Reason": errMessage(err)}), true) })
			}
		}()
	}
}

func (v *composeScreen) onTemplateTapped() {
	if v.store == nil {
		v.say(tr("compose.err.nostore"), true)
		return
	}
	if c := v.shell.client(); c != nil {
		// the templates saved on the account's other computers come first
		store := v.store
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
			defer cancel()
			_, err := pullTemplates(ctx, c, store)
			uiDo(func() {
				if err != nil {
					v.say(tr("compose.template.nosync", map[string]any{"Reason": errMessage(err)}), true)
				}
				v.showTemplates()
			})
		}()
		return
	}
	v.showTemplates()
}

// showTemplates lists the templates kept here; choosing one starts a new draft from a copy.
func (v *composeScreen) showTemplates() {
	list, err := v.store.List(true)
	if err != nil {
		v.say(errMessage(err), true)
		return
	}
	if len(list) == 0 {
		v.say(tr("compose.template.none"), false)
		return
	}
	var items []*fyne.MenuItem
	for _, t := range list {
		t := t
		items = append(items, fyne.NewMenuItem(tr("compose.template.item", map[string]any{"Name": t.Subject, "Files": len(t.Files), "Recipients": len(t.Recipients)}),
			func() { v.StartFromTemplate(t) }))
	}
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(v.templateBtn).Add(fyne.NewPos(0, v.templateBtn.Size().Height))
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", items...), v.shell.Window.Canvas(), pos)
}

// StartFromTemplate starts a new draft from a copy of template t (files, boxes, recipients).
func (v *composeScreen) StartFromTemplate(t *envelopeDraft) {
	d, err := v.store.Copy(t, false)
	if err != nil {
		v.say(tr("compose.err.save", map[string]any{"Reason": errMessage(err)}), true)
		return
	}
	v.start(d)
	v.say(tr("compose.template.started", map[string]any{"Name": t.Subject}), false)
}

// ----- the placement step -----

// signerNames are the labels of the recipients who sign, in order, and their draft indices.
func (v *composeScreen) signers() (names []string, idx []int) {
	for i, r := range v.draft.Recipients {
		if r.signs() {
			names = append(names, fmt.Sprintf("%d %s", len(names)+1, recipientLabel(r)))
			idx = append(idx, i)
		}
	}
	return names, idx
}

// checkBeforeSend says everything that keeps the draft from being sent (and marks the cards).
func (v *composeScreen) checkBeforeSend() bool {
	errs := v.draft.checkSendable(time.Now())
	for _, c := range v.cards {
		c.check(true)
	}
	v.subject.Validate()
	v.remark.Validate()
	v.amount.Validate()
	if len(errs) == 0 {
		return true
	}
	var lines []string
	for _, e := range errs {
		lines = append(lines, e.Error())
	}
	v.say(strings.Join(lines, "\n"), true)
	return false
}

func (v *composeScreen) onPlaceTapped() {
	if v.busy || !v.checkBeforeSend() {
		return
	}
	names, _ := v.signers()
	v.place.recipient.Options = names
	v.place.recipient.SetSelectedIndex(0)
	var docs []string
	for i, f := range v.draft.Files {
		docs = append(docs, fmt.Sprintf("%d. %s", i+1, f.Name))
	}
	v.docSel.Options = docs
	v.placing = true
	v.root.Objects = []fyne.CanvasObject{v.placeView}
	v.root.Refresh()
	v.placeFile = -1
	v.docSel.SetSelectedIndex(0) // opens the first file
}

func (v *composeScreen) showForm() {
	v.placing = false
	v.root.Objects = []fyne.CanvasObject{v.form}
	v.root.Refresh()
}

func (v *composeScreen) onBackTapped() {
	v.collectBoxes()
	v.changed()
	v.showForm()
}

// onDocSelected keeps the boxes of the file shown and opens the chosen one with its boxes.
func (v *composeScreen) onDocSelected(string) {
	i := v.docSel.SelectedIndex()
	if i < 0 || i >= len(v.draft.Files) || i == v.placeFile {
		return
	}
	v.collectBoxes()
	v.placeFile = i
	d := v.draft
	v.place.onOpened = func() {
		if v.draft != d || v.placeFile != i {
			return
		}
		_, idx := v.signers()
		for _, b := range d.Boxes {
			if b.File != i {
				continue
			}
			for k, ri := range idx {
				if ri == b.Recipient {
					v.place.showBox(&placedBox{kind: b.Kind, recipient: k, page: b.Page, rect: b.Rect})
				}
			}
		}
		v.place.updateSave()
	}
	v.place.open(filepath.Join(v.draftDir(), d.Files[i].File))
}

// collectBoxes takes the placement editor's boxes of the file shown into the draft.
func (v *composeScreen) collectBoxes() {
	if !v.placing || v.placeFile < 0 || v.place.doc == nil {
		return
	}
	_, idx := v.signers()
	var boxes []draftBox
	for _, b := range v.draft.Boxes {
		if b.File != v.placeFile {
			boxes = append(boxes, b)
		}
	}
	for _, b := range v.place.boxes {
		if b.recipient < len(idx) {
			boxes = append(boxes, draftBox{File: v.placeFile, Recipient: idx[b.recipient], Kind: b.kind, Page: b.page, Rect: b.rect})
		}
	}
	v.draft.Boxes = boxes
}

func (v *composeScreen) onBoxesChanged() {
	v.collectBoxes()
	v.changed()
}

// onSendPlacedTapped sends with the boxes placed; a signer without a box of their own is asked
// about first (they would place their own).
func (v *composeScreen) onSendPlacedTapped() {
	v.collectBoxes()
	if !v.checkBeforeSend() {
		return
	}
	names, idx := v.signers()
	var without []string
	for k, ri := range idx {
		has := false
		for _, b := range v.draft.Boxes {
			has = has || b.Recipient == ri
		}
		if !has {
			without = append(without, names[k])
		}
	}
	if len(without) > 0 {
		showConfirm(v.shell.Window, tr("compose.send"), tr("compose.send.noboxes", map[string]any{"Names": strings.Join(without, "、")}),
			tr("compose.send"), false, func() { v.send(true) })
		return
	}
	v.send(true)
}

func (v *composeScreen) onSendNowTapped() {
	if v.busy || !v.checkBeforeSend() {
		return
	}
	v.send(false)
}

// send sends the draft (withBoxes: with its placed boxes; otherwise 现在发送, the recipients
// place their own).
func (v *composeScreen) send(withBoxes bool) {
	d := v.draft
	if !withBoxes {
		d.Boxes = nil
	}
	if v.sendHook != nil {
		v.sendHook(d)
		return
	}
	v.sendToServer(d)
}

// sent: the envelope is on its way; the draft is gone and 最近联系人 remembers its recipients.
func (v *composeScreen) sent(d *envelopeDraft, subject string) {
	v.cancelSave()
	if v.store != nil {
		v.store.RememberContacts(d.Recipients)
		v.store.Delete(d)
	}
	v.start(&envelopeDraft{ID: newDraftID(), Sequential: true})
	v.say(tr("compose.sent", map[string]any{"Subject": subject}), false)
}

// ----- small widgets -----

// dropZone is the empty files area: a dashed frame that says files can be dropped here (on the
// window) with the 添加文件 button in it; tapping it is the button.
type dropZone struct {
	widget.BaseWidget
	text   string
	button *widget.Button
	onTap  func()
}

func newDropZone(text string, b *widget.Button, onTap func()) *dropZone {
	z := &dropZone{text: text, button: b, onTap: onTap}
	z.ExtendBaseWidget(z)
	return z
}

func (z *dropZone) Tapped(*fyne.PointEvent) {
	if z.onTap != nil {
		z.onTap()
	}
}

func (z *dropZone) CreateRenderer() fyne.WidgetRenderer {
	frame := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	frame.StrokeColor = theme.Color(theme.ColorNamePrimary)
	frame.StrokeWidth = 1.5
	frame.CornerRadius = theme.InputRadiusSize()
	label := widgets.NewCJKLabel(z.text)
	label.Alignment = fyne.TextAlignCenter
	icon := widget.NewIcon(theme.UploadIcon())
	content := container.NewPadded(container.NewVBox(container.NewCenter(icon), label, container.NewCenter(z.button)))
	return widget.NewSimpleRenderer(container.NewStack(frame, content))
}

// dragHandle is the ≡ grip of a recipient card: dragging it up or down reorders the recipients.
type dragHandle struct {
	widget.Icon
	onDrag func(dy float32)
	acc    float32
}

func newDragHandle(onDrag func(dy float32)) *dragHandle {
	h := &dragHandle{onDrag: onDrag}
	h.Resource = theme.MenuIcon()
	h.ExtendBaseWidget(h)
	return h
}

func (h *dragHandle) Dragged(e *fyne.DragEvent) { h.onDrag(e.Dragged.DY) }
func (h *dragHandle) DragEnd()                  { h.acc = 0 }

// handoff gives the draft to n, the same screen rebuilt in another language.
func (v *composeScreen) handoff(n *composeScreen) {
	v.collectBoxes()
	v.flushDraft()
	n.members = v.members
	n.start(v.draft)
	if v.msg.Visible() {
		n.say(v.msg.Text, v.msg.Importance == widget.DangerImportance)
	}
}

// shown: 发起签署 is shown; the members to pick from are read again in an enterprise context.
func (v *composeScreen) shown() {
	v.updateButtons()
	v.loadMembers()
}
