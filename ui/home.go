package ui

import (
	"context"
	"errors"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	stdsync "sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/api"
	"sealdesk/ui/widgets"
)

// homeMaxRecent caps the 最近文件 list on 首页 (the store keeps a few more).
const homeMaxRecent = 20

// Recent document kinds: what the document was last used for (the words store/desktop keeps).
const (
	RecentViewed   = "view"
	RecentSigned   = "sign"
	RecentVerified = "verify"
	RecentPlaced   = "place"
)

// RecentDocument is one entry of 最近文件.
type RecentDocument struct {
	Path string
	When time.Time
	Kind string // RecentViewed, RecentSigned, RecentVerified, RecentPlaced or "" (unknown)
}

// RecentBrowser is a RecentList that 首页 can also read and prune. LocalServices.Recent may
// implement it; without it 首页 shows no recent documents.
type RecentBrowser interface {
	RecentList
	// RecentDocuments returns the recent documents, newest first.
	RecentDocuments() ([]RecentDocument, error)
	// RemoveRecent forgets path; an unknown path is not an error.
	RemoveRecent(path string) error
}

// HomeScreen is 首页: a welcome, quick actions that lead to the other screens, and 最近文件 — the
// documents recently opened, signed or verified on this machine, newest first. Tapping one opens
// it where it belongs (a signed PDF in 文件验签, anything else in 文件); a file that no longer
// exists says so and can be removed from the list. The list is read again whenever 首页 is shown.
type HomeScreen struct {
	shell *Shell

	Welcome *canvas.Text
	Intro   *widgets.CJKLabel
	Actions []*widget.Button
	Status  *widget.Label
	Empty   *widget.Label
	List    *fyne.Container
	Rows    []*HomeRow

	// 签署统计 (with a server session)
	Counts    *fyne.Container
	CountBtns map[string]*widget.Button
	// Balance is the quota left (对私, and 对公 in an enterprise context); it opens 费用中心.
	Balance *widget.Button
	// Dash is the rest of what a signed-in person sees (home_dashboard.go).
	Dash *homeDash

	content fyne.CanvasObject
	wg      stdsync.WaitGroup // the workers in flight
}

// homeBoxes are the boxes 首页 counts, as the manual's 签署统计 (待我处理, 进行中, 已完成, 草稿).
var homeBoxes = []string{api.BoxToSign, api.BoxWaiting, api.BoxCompleted, api.BoxDraft}

// showCounts shows the boxes' counts (from 文件's listing or 首页's own reading).
func (sc *HomeScreen) showCounts(counts map[string]int) {
	for b, btn := range sc.CountBtns {
		btn.SetText(tr("home.count", map[string]any{"Box": tr("contracts.box." + b), "N": counts[b]}))
	}
	sc.Counts.Show()
}

// contractsChanged reads the counts again (or hides them without a session).
func (sc *HomeScreen) contractsChanged() {
	c := sc.shell.client()
	if c == nil {
		sc.Counts.Hide()
		return
	}
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		counts, err := c.EnvelopeCounts(ctx)
		if err != nil {
			return // 首页 keeps what it showed; 文件 says why
		}
		uiDo(func() { sc.showCounts(counts) })
	}()
	sc.readBalance(c)
	sc.Dash.refresh()
}

// Wait waits for the work in flight and applies its results (tests: the worker queue is in test
// mode there).
func (sc *HomeScreen) Wait() { workers.drain(&sc.wg) }

func (sc *HomeScreen) onCountTapped(box string) {
	if !sc.shell.Show(NavDocuments) {
		return
	}
	if d, ok := sc.shell.Screen(NavDocuments).(*DocumentsScreen); ok && d.signedIn {
		d.Contracts.showBox(box)
	}
}

// HomeRow is one recent document in the list.
type HomeRow struct {
	Doc     RecentDocument
	Missing bool

	Open   *widget.Button // the file name; tapping opens it
	Folder *widget.Label
	When   *widget.Label
	Kind   *widget.Label
	Remove *widget.Button
	Row    *tapRow // the whole row: tapping anywhere on it opens the file
}

func newHomeScreen(s *Shell) Screen {
	sc := &HomeScreen{shell: s}
	sc.Welcome = canvas.NewText(tr("home.welcome"), theme.Color(theme.ColorNameForeground))
	sc.Welcome.TextStyle = fyne.TextStyle{Bold: true}
	sc.Welcome.TextSize = theme.TextHeadingSize()
	sc.Intro = widgets.NewCJKLabel(tr("home.intro"))

	actions := []struct {
		key  string
		icon fyne.Resource
		to   NavID
		do   func()
	}{
		{"home.action.open", theme.FolderOpenIcon(), NavDocuments, sc.onOpenFileTapped},
		{"home.action.verify", theme.ConfirmIcon(), NavVerify, func() { s.Show(NavVerify) }},
		{"home.action.seals", theme.ColorPaletteIcon(), NavSeals, func() { s.Show(NavSeals) }},
		{"home.action.sign", theme.MailSendIcon(), NavSend, sc.onSignTapped},
	}
	var buttons []fyne.CanvasObject
	for _, a := range actions {
		if !registered(a.to) {
			continue // the place does not exist in this build
		}
		b := widget.NewButtonWithIcon(tr(a.key), a.icon, a.do)
		sc.Actions = append(sc.Actions, b)
		buttons = append(buttons, b)
	}
	if len(sc.Actions) > 0 {
		sc.Actions[0].Importance = widget.HighImportance
	}

	heading := widget.NewLabelWithStyle(tr("home.recent"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	sc.Status = widget.NewLabel("")
	sc.Status.Wrapping = fyne.TextWrapWord
	sc.Status.Hide()
	sc.Empty = widget.NewLabel(tr("home.recent.empty"))
	sc.Empty.Wrapping = fyne.TextWrapWord
	sc.List = container.NewVBox()

	// 签署统计: the boxes' counts with a server session (each opens its box in 文件)
	sc.CountBtns = map[string]*widget.Button{}
	var countBtns []fyne.CanvasObject
	for _, b := range homeBoxes {
		b := b
		btn := widget.NewButton(tr("contracts.box."+b), func() { sc.onCountTapped(b) })
		sc.CountBtns[b] = btn
		countBtns = append(countBtns, btn)
	}
	sc.Balance = widget.NewButtonWithIcon("", theme.StorageIcon(), func() { s.Show(NavBilling) })
	sc.Balance.Alignment = widget.ButtonAlignLeading
	sc.Balance.Hide()
	sc.Counts = container.NewVBox(widget.NewLabelWithStyle(tr("home.counts"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWithColumns(2, countBtns...))
	sc.Counts.Hide()
	sc.Dash = newHomeDash(sc)
	top := container.NewVBox(container.NewPadded(sc.Welcome), sc.Intro, sc.Dash.Box,
		container.NewGridWithColumns(max(1, len(buttons)), buttons...),
		widget.NewSeparator(), heading, sc.Status)
	sc.content = container.NewPadded(container.NewVScroll(container.NewVBox(top, sc.Empty, sc.List)))
	sc.Reload()
	return sc
}

// registered reports whether the registry has a screen for n (the shell may still be building).
func registered(n NavID) bool {
	for _, e := range registry() {
		if e.nav == n {
			return true
		}
	}
	return false
}

// Content implements Screen; the shell calls it whenever 首页 is shown, so the list is read again
// (documents opened on other screens meanwhile appear).
func (sc *HomeScreen) Content() fyne.CanvasObject {
	sc.Reload()
	sc.contractsChanged()
	return sc.content
}

// Reload reads 最近文件 from the local store and rebuilds the list. Call on the UI goroutine.
func (sc *HomeScreen) Reload() {
	sc.Rows = nil
	sc.List.Objects = nil
	defer sc.List.Refresh()
	rb := sc.recent()
	if rb == nil {
		sc.Empty.SetText(tr("home.recent.unavailable"))
		sc.Empty.Show()
		return
	}
	docs, err := rb.RecentDocuments()
	if err != nil {
		sc.Empty.SetText(tr("home.recent.readError"))
		sc.Empty.Show()
		return
	}
	if len(docs) > homeMaxRecent {
		docs = docs[:homeMaxRecent]
	}
	if len(docs) == 0 {
		sc.Empty.SetText(tr("home.recent.empty"))
		sc.Empty.Show()
		return
	}
	sc.Empty.Hide()
	for _, d := range docs {
		r := sc.newRow(d)
		sc.Rows = append(sc.Rows, r)
		line := container.NewBorder(nil, nil, nil, container.NewHBox(r.When, r.Kind), r.Folder)
		// the whole row opens the document (移除 keeps its own tap)
		r.Row = newTapRow(container.NewBorder(nil, nil, nil, r.Remove,
			container.NewVBox(container.NewBorder(nil, nil, nil, nil, r.Open), line)), func() { sc.onRecentTapped(r) })
		sc.List.Add(r.Row)
		sc.List.Add(widget.NewSeparator())
	}
}

func (sc *HomeScreen) newRow(d RecentDocument) *HomeRow {
	r := &HomeRow{Doc: d}
	_, err := os.Stat(d.Path)
	r.Missing = errors.Is(err, fs.ErrNotExist)
	r.Open = widget.NewButtonWithIcon(filepath.Base(d.Path), theme.FileIcon(), func() { sc.onRecentTapped(r) })
	r.Open.Alignment = widget.ButtonAlignLeading
	r.Open.Importance = widget.LowImportance
	r.Folder = widget.NewLabel(filepath.Dir(d.Path))
	r.Folder.Truncation = fyne.TextTruncateEllipsis
	r.When = widget.NewLabel(d.When.Local().Format("2006-01-02 15:04"))
	r.Kind = widget.NewLabel(recentKindText(d.Kind))
	if r.Missing {
		r.Kind.SetText(tr("home.recent.missing"))
		r.Kind.Importance = widget.DangerImportance
	}
	r.Remove = widget.NewButtonWithIcon(tr("home.recent.remove"), theme.DeleteIcon(), func() { sc.onRemoveTapped(r) })
	r.Remove.Importance = widget.LowImportance
	return r
}

// recentKindText is what a recent document was used for, in the current language.
func recentKindText(kind string) string {
	switch kind {
	case RecentViewed:
		return tr("home.kind.view")
	case RecentSigned:
		return tr("home.kind.sign")
	case RecentVerified:
		return tr("home.kind.verify")
	case RecentPlaced:
		return tr("home.kind.place")
	}
	return ""
}

func (sc *HomeScreen) recent() RecentBrowser {
	if l := sc.shell.Services.Local; l != nil {
		if rb, ok := l.Recent.(RecentBrowser); ok {
			return rb
		}
	}
	return nil
}

// onRecentTapped opens a recent document: the shell routes it (a signed PDF to 文件验签, anything
// else to 文件). A file that is gone only says so.
func (sc *HomeScreen) onRecentTapped(r *HomeRow) {
	if _, err := os.Stat(r.Doc.Path); errors.Is(err, fs.ErrNotExist) {
		r.Missing = true
		r.Kind.SetText(tr("home.recent.missing"))
		r.Kind.Importance = widget.DangerImportance
		r.Kind.Refresh()
		sc.showError(tr("home.recent.missingNamed", map[string]any{"Path": r.Doc.Path}))
		return
	}
	sc.Status.Hide()
	sc.shell.OpenFiles([]string{r.Doc.Path})
}

func (sc *HomeScreen) onRemoveTapped(r *HomeRow) {
	rb := sc.recent()
	if rb == nil {
		return
	}
	if err := rb.RemoveRecent(r.Doc.Path); err != nil {
		sc.showError(tr("home.recent.removeError"))
		return
	}
	sc.Status.Hide()
	sc.Reload()
}

func (sc *HomeScreen) onOpenFileTapped() {
	if !sc.shell.Show(NavDocuments) {
		return
	}
	if d, ok := sc.shell.Screen(NavDocuments).(*DocumentsScreen); ok && !d.Open.Disabled() {
		d.onOpenTapped()
	}
}

// onSignTapped shows 发起签署 on its 本机签署 tab.
func (sc *HomeScreen) onSignTapped() {
	if !sc.shell.Show(NavSend) {
		return
	}
	if v, ok := sc.shell.Screen(NavSend).(*sendScreen); ok && v.tabs != nil {
		for _, it := range v.tabs.Items {
			if it.Text == tr("sign.tab") {
				v.tabs.Select(it)
			}
		}
	}
}

func (sc *HomeScreen) showError(text string) {
	sc.Status.SetText(text)
	sc.Status.Importance = widget.DangerImportance
	sc.Status.Show()
	sc.Status.Refresh()
}

// recordRecent adds path to 最近文件 when the local store is available; a failure to remember is
// not the user's problem and is ignored. It writes to disk: call it off the UI goroutine.
func recordRecent(s *Shell, path, kind string) {
	if l := s.Services.Local; l != nil && l.Recent != nil {
		_ = l.Recent.AddRecent(path, kind)
	}
}

// tapRow is a list row that acts on a tap anywhere on it and shows the hover colour under the
// pointer; buttons inside it keep their own taps.
type tapRow struct {
	widget.BaseWidget
	content fyne.CanvasObject
	bg      *canvas.Rectangle
	onTap   func()
}

func newTapRow(content fyne.CanvasObject, onTap func()) *tapRow {
	r := &tapRow{content: content, bg: canvas.NewRectangle(color.Transparent), onTap: onTap}
	r.ExtendBaseWidget(r)
	return r
}

func (r *tapRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, r.content))
}

func (r *tapRow) Tapped(*fyne.PointEvent) { r.onTap() }

func (r *tapRow) MouseIn(*desktop.MouseEvent) {
	r.bg.FillColor = theme.Color(theme.ColorNameHover)
	r.bg.Refresh()
}

func (r *tapRow) MouseMoved(*desktop.MouseEvent) {}

func (r *tapRow) MouseOut() {
	r.bg.FillColor = color.Transparent
	r.bg.Refresh()
}

// Cursor shows the pointing hand over a row that opens something.
func (r *tapRow) Cursor() desktop.Cursor { return desktop.PointerCursor }
