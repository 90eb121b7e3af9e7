package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/update"
	"sealdesk/ui/widgets"
)

// UpdateService is the desktop's self-update (core/update.Service over the configured server).
type UpdateService interface {
	// Check asks the configured server for a newer, correctly signed release; refusals are
	// *update.Error (ReasonUpToDate when there is nothing newer).
	Check(ctx context.Context) (*update.Release, error)
	// Download fetches the release's file and checks its size and SHA-256; it returns its path.
	Download(ctx context.Context, r *update.Release, progress update.Progress) (string, error)
	// Install starts the installer; quit says the app should exit now (update.ErrManualInstall:
	// the user installs the file).
	Install(path string) (quit bool, err error)
	AutoCheck() bool
	SetAutoCheck(on bool) error
	// StartCheckDue reports (and records) that the check at start should run now.
	StartCheckDue() bool
}

var _ UpdateService = (*update.Service)(nil)

// DiagnosticsService writes the diagnostics zip (core/diag.Export): logs and versions only.
type DiagnosticsService interface {
	Export(path string) error
}

// aboutPanel is 设置 › 关于: the version, 检查更新 with the daily check at start, 导出诊断信息
// and the licences.
type aboutPanel struct {
	shell *Shell

	Version     *widget.Label
	CheckUpdate *widget.Button
	AutoCheck   *widget.Check
	Export      *widget.Button
	Licences    *widget.Button
	// Status says what the last check or export did (an error in red).
	Status *widgets.CJKLabel

	// Offer is the 发现新版本 dialog while it is open; OfferInstall its 下载并安装 button,
	// Progress its bar (for tests).
	Offer        dialog.Dialog
	OfferText    *widgets.CJKLabel
	OfferInstall *widget.Button
	Progress     *widget.ProgressBar
	// LastSave is the save dialog of the last export (for tests).
	LastSave *saveAsDialog
	// Quit ends the app after the installer started (default: the app's Quit, after a moment to
	// read why; tests replace it).
	Quit func()

	mu      sync.Mutex
	busy    bool
	wg      sync.WaitGroup
	content fyne.CanvasObject
}

func newAboutPanel(s *Shell) *aboutPanel {
	p := &aboutPanel{shell: s}
	p.Quit = func() {
		time.AfterFunc(1500*time.Millisecond, func() { uiDo(s.App.Quit) })
	}
	p.Version = widget.NewLabel(tr("settings.about.version", map[string]any{"Version": s.Services.Version}))
	p.CheckUpdate = widget.NewButton(tr("update.check"), p.onCheckTapped)
	p.AutoCheck = widget.NewCheck(tr("update.auto"), nil)
	p.Export = widget.NewButton(tr("diag.export"), p.onExportTapped)
	p.Licences = widget.NewButton(tr("settings.about.licences"), nil)
	p.Status = widgets.NewCJKLabel("")
	p.Status.Hide()
	if u := s.Services.Updates; u != nil {
		p.AutoCheck.SetChecked(u.AutoCheck())
		p.AutoCheck.OnChanged = p.onAutoChanged
	} else {
		p.CheckUpdate.Disable()
		p.AutoCheck.Disable()
	}
	if s.Services.Diagnostics == nil {
		p.Export.Disable()
	}
	about := widget.NewLabel(tr("settings.about.text"))
	about.Wrapping = fyne.TextWrapWord
	p.content = container.NewVBox(p.Version, about,
		container.NewHBox(p.CheckUpdate, p.Export, p.Licences), p.AutoCheck, p.Status)
	return p
}

func (p *aboutPanel) say(text string, danger bool) {
	p.Status.SetText(text)
	if danger {
		p.Status.Importance = widget.DangerImportance
	} else {
		p.Status.Importance = widget.MediumImportance
	}
	p.Status.Show()
	p.Status.Refresh()
}

func (p *aboutPanel) onAutoChanged(on bool) {
	if err := p.shell.Services.Updates.SetAutoCheck(on); err != nil {
		p.say(errMessage(err), true)
	}
}

// onCheckTapped checks now and says what came of it.
func (p *aboutPanel) onCheckTapped() { p.check(false) }

// CheckAtStart runs the daily check at start (when on and due) in the background; only a new
// version is shown (in the 发现新版本 dialog), a refusal goes no further than the log.
func (s *Shell) CheckAtStart() {
	u := s.Services.Updates
	sc, ok := s.screens[NavSettings].(*SettingsScreen)
	if u == nil || !ok || !u.StartCheckDue() {
		return
	}
	sc.About.check(true)
}

func (p *aboutPanel) check(quiet bool) {
	u := p.shell.Services.Updates
	if u == nil {
		return
	}
	p.mu.Lock()
	if p.busy {
		p.mu.Unlock()
		return
	}
	p.busy = true
	p.mu.Unlock()
	p.CheckUpdate.Disable()
	if !quiet {
		p.say(tr("update.checking"), false)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r, err := u.Check(ctx)
		uiDo(func() {
			p.mu.Lock()
			p.busy = false
			p.mu.Unlock()
			p.CheckUpdate.Enable()
			var ue *update.Error
			switch {
			case err == nil:
				p.Status.Hide()
				p.showOffer(r)
			case quiet:
			case errors.As(err, &ue) && ue.Reason == update.ReasonUpToDate:
				p.say(updateMessage(ue), false)
			default:
				p.say(errMessage(err), true)
			}
		})
	}()
}

// Wait waits for the background work the panel started (tests).
func (p *aboutPanel) Wait() { p.wg.Wait() }

// notesFor picks the release notes in the interface language, else any.
func notesFor(notes map[string]string) string {
	lang := "zh"
	if activeLanguage == LangEnglish {
		lang = "en"
	}
	if n := notes[lang]; n != "" {
		return n
	}
	for _, n := range notes {
		return n
	}
	return ""
}

// showOffer is the 发现新版本 dialog: the release notes, the size, 下载并安装 and 以后再说.
func (p *aboutPanel) showOffer(r *update.Release) {
	head := widgets.NewCJKLabel(tr("update.offer.size", map[string]any{"Current": p.shell.Services.Version,
		"Version": r.Version, "Size": byteSize(r.Size)}))
	p.OfferText = widgets.NewCJKLabel(notesFor(r.Notes))
	notes := container.NewVScroll(p.OfferText)
	notes.SetMinSize(fyne.NewSize(420, 140))
	p.Progress = widget.NewProgressBar()
	p.Progress.Hide()
	msg := widgets.NewCJKLabel("")
	msg.Hide()
	later := widget.NewButton(tr("update.later"), nil)
	p.OfferInstall = widget.NewButton(tr("update.install"), nil)
	p.OfferInstall.Importance = widget.HighImportance
	body := container.NewBorder(container.NewVBox(head, widget.NewSeparator()),
		container.NewVBox(p.Progress, msg, container.NewHBox(layout.NewSpacer(), later, p.OfferInstall)), nil, nil, notes)
	d := dialog.NewCustomWithoutButtons(tr("update.offer.title", map[string]any{"Version": r.Version}), body, p.shell.Window)
	ctx, cancel := context.WithCancel(context.Background())
	later.OnTapped = func() {
		cancel()
		d.Hide()
	}
	p.OfferInstall.OnTapped = func() {
		p.OfferInstall.Disable()
		p.Progress.SetValue(0)
		p.Progress.Show()
		msg.Hide()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			path, err := p.shell.Services.Updates.Download(ctx, r, func(done, total int64) {
				uiDo(func() { p.Progress.SetValue(float64(done) / float64(max(total, 1))) })
			})
			var quit bool
			if err == nil {
				quit, err = p.shell.Services.Updates.Install(path)
			}
			uiDo(func() {
				switch {
				case err == nil && quit:
					msg.SetText(tr("update.installing"))
					later.SetText(tr("common.close"))
				case errors.Is(err, update.ErrManualInstall):
					msg.SetText(tr("update.manual", map[string]any{"Path": path, "Folder": filepath.Dir(path)}))
					later.SetText(tr("common.close"))
				default:
					msg.SetText(errMessage(err))
					msg.Importance = widget.DangerImportance
					p.OfferInstall.Enable()
					p.Progress.Hide()
				}
				msg.Show()
				msg.Refresh()
				if err == nil && quit {
					p.Quit()
				}
			})
		}()
	}
	d.Resize(fyne.NewSize(min(560, p.shell.Window.Canvas().Size().Width-40), 400))
	p.Offer = d
	d.Show()
}

// updateMessage says in words why an update was refused.
func updateMessage(e *update.Error) string {
	have, want := e.Have, e.Want
	switch e.Reason {
	case update.ReasonTooLarge, update.ReasonSizeMismatch:
		have, want = sizeWords(have), sizeWords(want)
	}
	key := "update.err." + string(e.Reason)
	text := tr(key, map[string]any{"Have": have, "Want": want})
	if text == key {
		return tr("update.err.other", map[string]any{"Detail": firstLine(e.Error())})
	}
	return text
}

func sizeWords(s string) string {
	prefix := ""
	if len(s) > 2 && s[:2] == "> " {
		prefix, s = "> ", s[2:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return s
	}
	return prefix + byteSize(n)
}

// onExportTapped asks where to save the diagnostics zip and writes it.
func (p *aboutPanel) onExportTapped() {
	dg := p.shell.Services.Diagnostics
	if dg == nil {
		return
	}
	name := tr("diag.file", map[string]any{"Date": time.Now().Format("20060102-150405")}) + ".zip"
	p.LastSave = p.shell.chooseSave(tr("diag.export"), filepath.Join(documentsDir(), name), "", nil, func(path string) {
		p.Export.Disable()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			err := dg.Export(path)
			uiDo(func() {
				p.Export.Enable()
				if err != nil {
					p.say(tr("diag.export.error", map[string]any{"Reason": errMessage(err)}), true)
					return
				}
				p.say(tr("diag.export.done", map[string]any{"Path": path}), false)
			})
		}()
	})
}
