package ui

import (
	"context"
	"path/filepath"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/ui/widgets"
)

// DocumentsScreen is 文件. With a server session it shows the contracts by box (contracts.go:
// 待我签, 待他人签, 已完成 … with counts) and, under 本机文件, the local viewer; without one only
// the viewer: open a PDF (or a JPEG/PNG as a one-page document) and read it in the page view.
// Opening runs on a worker; a file that cannot be opened leaves the shown document as it was and
// says why.
type DocumentsScreen struct {
	shell *Shell

	Open     *widget.Button
	Name     *widget.Label
	Status   *widget.Label
	Progress *widget.ProgressBarInfinite
	View     *widgets.PageView
	Empty    *fyne.Container

	doc     OpenDocument
	path    string // the file shown (发起签署 starts with it)
	opening context.CancelFunc
	wg      sync.WaitGroup
	content *fyne.Container
	viewer  fyne.CanvasObject

	// with a server session
	Contracts  *contractsPane
	Back       *widget.Button // back from a contract's document to its detail
	back       func()
	localShown bool // the viewer is shown rather than a box
	signedIn   bool
}

var _ FileOpener = (*DocumentsScreen)(nil)

func newDocumentsScreen(s *Shell) Screen {
	sc := &DocumentsScreen{shell: s}
	sc.Open = widget.NewButtonWithIcon(tr("documents.open"), theme.FolderOpenIcon(), sc.onOpenTapped)
	sc.Open.Importance = widget.HighImportance
	sc.Name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	sc.Name.Truncation = fyne.TextTruncateEllipsis
	sc.Status = widget.NewLabel("")
	sc.Status.Wrapping = fyne.TextWrapWord
	sc.Status.Hide()
	sc.Progress = widget.NewProgressBarInfinite()
	sc.Progress.Stop()
	sc.Progress.Hide()
	sc.View = newPageView()
	sc.View.Hide()
	hint := widget.NewLabelWithStyle(tr("documents.empty"), fyne.TextAlignCenter, fyne.TextStyle{})
	sc.Empty = container.NewCenter(container.NewVBox(hint, container.NewCenter(sc.Open)))

	sc.Back = widget.NewButtonWithIcon(tr("contracts.back.detail"), theme.NavigateBackIcon(), func() {
		if sc.back != nil {
			sc.back()
		}
	})
	sc.Back.Hide()
	top := container.NewVBox(container.NewBorder(nil, nil, sc.Back, nil, sc.Name), sc.Progress, sc.Status)
	sc.viewer = container.NewBorder(top, nil, nil, nil, container.NewStack(sc.Empty, sc.View))
	sc.content = container.NewStack(sc.viewer)
	sc.Contracts = newContractsPane(s, sc)
	sc.arrange()
	if s.Services.Renderer == nil {
		sc.showError(tr("documents.error.norenderer"))
		sc.Open.Disable()
	}
	return sc
}

// Content implements Screen.
func (sc *DocumentsScreen) Content() fyne.CanvasObject { return sc.content }

// arrange shows the boxes beside the viewer with a server session, the viewer alone without.
func (sc *DocumentsScreen) arrange() {
	signedIn := sc.shell.client() != nil
	if signedIn == sc.signedIn && len(sc.content.Objects) > 0 && (signedIn || sc.content.Objects[0] == sc.viewer) {
		return
	}
	sc.signedIn = signedIn
	if !signedIn {
		sc.content.Objects = []fyne.CanvasObject{sc.viewer}
	} else {
		center := container.NewStack(sc.Contracts.body, sc.viewer)
		sc.content.Objects = []fyne.CanvasObject{container.NewBorder(nil, nil, container.NewPadded(sc.Contracts.nav), nil, center)}
		sc.showLocal(sc.localShown)
		sc.Contracts.reload()
	}
	sc.content.Refresh()
}

// showLocal shows the local viewer (true) or the contracts (false).
func (sc *DocumentsScreen) showLocal(on bool) {
	sc.localShown = on
	if on || !sc.signedIn {
		sc.viewer.Show()
		sc.Contracts.body.Hide()
	} else {
		sc.viewer.Hide()
		sc.Contracts.body.Show()
		sc.Back.Hide()
		sc.back = nil
	}
}

// contractsChanged: the session or a contract changed: the boxes are read again.
func (sc *DocumentsScreen) contractsChanged() {
	was := sc.signedIn
	sc.arrange()
	if was && sc.signedIn {
		sc.Contracts.refresh()
	}
}

// shown: 文件 is shown: the boxes are read again.
func (sc *DocumentsScreen) shown() {
	sc.arrange()
	if sc.signedIn && !sc.localShown {
		sc.Contracts.refresh()
	}
}

// openFromContract shows a contract's document in the viewer with a way back.
func (sc *DocumentsScreen) openFromContract(path string, back func()) {
	sc.showLocal(true)
	sc.Contracts.markBox()
	sc.back = func() {
		sc.Back.Hide()
		sc.back = nil
		back()
	}
	sc.Back.Show()
	sc.OpenFile(path)
}

// OpenFiles implements FileOpener: the first file is opened.
func (sc *DocumentsScreen) OpenFiles(paths []string) {
	if len(paths) > 0 {
		sc.OpenFile(paths[0])
	}
}

// Document is the document shown, or nil.
func (sc *DocumentsScreen) Document() OpenDocument { return sc.doc }

// Wait blocks until opening and the page view's rendering have finished (for tests).
func (sc *DocumentsScreen) Wait() {
	workers.drain(&sc.wg)
	sc.View.Wait()
}

func (sc *DocumentsScreen) onOpenTapped() {
	sc.shell.chooseFile(pdfImageExts, sc.OpenFile)
}

// OpenFile opens path on a worker and shows it when ready. Call on the UI goroutine.
func (sc *DocumentsScreen) OpenFile(path string) {
	r := sc.shell.Services.Renderer
	if r == nil {
		return
	}
	if !sc.localShown {
		sc.showLocal(true)
		sc.Contracts.markBox()
	}
	if sc.opening != nil {
		sc.opening()
	}
	ctx, cancel := context.WithCancel(context.Background())
	sc.opening = cancel
	if st, ok := r.(interface{ Started() bool }); ok && !st.Started() {
		sc.Status.SetText(tr("documents.renderer.starting"))
	} else {
		sc.Status.SetText(tr("documents.loading", map[string]any{"Name": filepath.Base(path)}))
	}
	sc.Status.Importance = widget.MediumImportance
	sc.Status.Show()
	sc.Progress.Show()
	sc.Progress.Start()
	sc.wg.Add(1)
	go func() {
		defer sc.wg.Done()
		doc, err := r.Open(ctx, path)
		if err == nil && ctx.Err() == nil {
			recordRecent(sc.shell, path, RecentViewed) // for 首页 › 最近文件
		}
		uiDo(func() {
			if ctx.Err() != nil { // a newer open replaced this one
				if doc != nil {
					go doc.Close()
				}
				return
			}
			sc.opening = nil
			sc.Progress.Stop()
			sc.Progress.Hide()
			if err != nil {
				sc.showError(openErrorText(err))
				return
			}
			sc.show(doc)
			sc.path = path
		})
	}()
}

// Path is the file shown, or "".
func (sc *DocumentsScreen) Path() string {
	if sc.doc == nil {
		return ""
	}
	return sc.path
}

// Handoff gives the open document to the screen that replaces this one (the shell rebuilds its
// screens when the language changes), so switching language keeps the document open.
func (sc *DocumentsScreen) Handoff(next Screen) {
	n, ok := next.(*DocumentsScreen)
	if sc.opening != nil {
		sc.opening()
		sc.opening = nil
	}
	if sc.doc == nil {
		return
	}
	if !ok {
		go sc.doc.Close()
	} else {
		if sc.View.DeferringUpdates() {
			n.View.DeferUpdatesForTest()
		}
		n.show(sc.doc)
		n.path = sc.path
	}
	sc.doc = nil
	sc.View.SetDocument(nil)
}

func (sc *DocumentsScreen) show(doc OpenDocument) {
	if old := sc.doc; old != nil {
		go old.Close()
	}
	sc.doc = doc
	sc.Status.Hide()
	sc.Name.SetText(doc.Name())
	sc.Empty.Hide()
	sc.View.Show()
	sc.View.SetDocument(doc)
}

func (sc *DocumentsScreen) showError(text string) {
	sc.Status.SetText(text)
	sc.Status.Importance = widget.DangerImportance
	sc.Status.Show()
	sc.Status.Refresh()
}
