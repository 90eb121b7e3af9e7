package ui

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"os"
	"path/filepath"
	"slices"
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

	"sealdesk/core/ofd/render"
	pdfrender "sealdesk/core/pdf/render"
	"sealdesk/core/verify"
	"sealdesk/ui/widgets"
)

// Settings keys of the trust store (LocalPrefs).
const (
	prefTrustRoots  = "trust.roots"  // PEM of the roots the user imported
	prefTrustSystem = "trust.system" // "1": also trust the operating system's roots
)

// maxVerifySize is the largest file 文件验签 examines. SPEC §5 bounds documents to sign at
// 10 MB; a received signed document grows with every signature and its LTV data, and the
// verifier holds the file in memory plus a bounded working set, so verification accepts up to
// 256 MB (a larger file gets err.pdf.toolarge naming the limit).
const maxVerifySize = 256 << 20

// verifierScreen is 文件验签: drop or choose signed PDFs, one card per signature.
type verifierScreen struct {
	shell *Shell
	local *LocalServices

	chooseBtn  *widget.Button
	nextBtn    *widget.Button
	exportPDF  *widget.Button
	exportJSON *widget.Button
	trustBtn   *widget.Button
	cancelBtn  *widget.Button
	hint       *widgets.CJKLabel
	progress   *widget.ProgressBar
	status     *widget.Label
	results    *fyne.Container
	root       fyne.CanvasObject

	mu        sync.Mutex
	gen       int                // bumped by every new run; stale results are dropped
	cancelled int                // the gen of the run last cancelled
	stop      context.CancelFunc // cancels the running verification (nil when none)
	// verifyFile is verify.File (tests replace it, e.g. to prove that a panic in the worker
	// becomes the file's error).
	verifyFile func(ctx context.Context, path string, opts *verify.Options) (*verify.Report, error)
	files      []verifiedFile // shown now (UI goroutine only)
	cards      []*sigCard     // every card shown (UI goroutine only)
	wg         sync.WaitGroup // running verifications (tests wait on it)
	uiq        uiQueue        // worker results → UI goroutine, waited for (queued in test mode)

	shownPage *widgets.PageView // the page view of the last "show on page" (for tests)
	shownMark *canvas.Rectangle // its highlight
	shownDlg  dialog.Dialog     // its dialog
}

// verifiedFile is one verified file: its report or the reason it could not be examined.
type verifiedFile struct {
	Path   string
	Report *verify.Report
	Err    error
}

// sigCard is the card of one signature.
type sigCard struct {
	sig        verify.Signature
	path       string
	report     *verify.Report
	card       *widget.Card
	result     *widget.Label
	signer     *widget.Label
	signerID   *widget.Label
	time       *widget.Label
	tsUsed     *widget.Label
	alg        *widget.Label
	state      *widget.Label
	changes    *widget.Label
	viewBtn    *widget.Button
	showBtn    *widget.Button
	changesBtn *widget.Button // 查看改动位置, when later changes cover signed content
	mark       *canvas.Image  // what the signature shows on the page, cut from the page's render
}

func newVerifierScreen(s *Shell) Screen {
	v := &verifierScreen{shell: s, local: s.Services.Local, uiq: uiQueue{andWait: true}}
	v.chooseBtn = widget.NewButtonWithIcon(tr("verify.choose"), theme.FolderOpenIcon(), v.onChooseTapped)
	v.chooseBtn.Importance = widget.HighImportance
	v.nextBtn = widget.NewButtonWithIcon(tr("verify.next"), theme.NavigateNextIcon(), v.onNextTapped)
	v.exportPDF = widget.NewButtonWithIcon(tr("verify.export.pdf"), theme.DocumentSaveIcon(), func() { v.onExportTapped("pdf") })
	v.exportJSON = widget.NewButtonWithIcon(tr("verify.export.json"), theme.DocumentSaveIcon(), func() { v.onExportTapped("json") })
	v.trustBtn = widget.NewButtonWithIcon(tr("verify.trust"), theme.SettingsIcon(), v.onTrustTapped)
	v.cancelBtn = widget.NewButtonWithIcon(tr("common.cancel"), theme.CancelIcon(), v.onCancelTapped)
	v.cancelBtn.Hide()
	v.hint = widgets.NewCJKLabel(tr("verify.hint"))
	v.progress = widget.NewProgressBar()
	v.progress.Hide()
	v.status = widget.NewLabel("")
	v.status.Wrapping = fyne.TextWrapWord
	v.results = container.NewVBox()
	v.setExportable(false)

	title := widget.NewLabelWithStyle(tr("nav.verify"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	bar := container.NewHBox(v.chooseBtn, v.nextBtn, layout.NewSpacer(), v.exportPDF, v.exportJSON, v.trustBtn)
	top := container.NewVBox(title, bar, v.hint, container.NewBorder(nil, nil, nil, v.cancelBtn, v.progress), v.status)
	v.root = container.NewBorder(top, nil, nil, nil, container.NewVScroll(v.results))
	return v
}

func (v *verifierScreen) Content() fyne.CanvasObject { return v.root }

// OpenFiles verifies paths (dropped on the window or handed over by the OS).
func (v *verifierScreen) OpenFiles(paths []string) { v.verifyFiles(paths) }

func (v *verifierScreen) setExportable(ok bool) {
	for _, b := range []*widget.Button{v.exportPDF, v.exportJSON} {
		if ok {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

func (v *verifierScreen) onChooseTapped() {
	v.shell.chooseFiles(verifyExts, v.verifyFiles)
}

// onNextTapped is 验签下一份文件: clear the results and choose the next file.
func (v *verifierScreen) onNextTapped() {
	v.clear()
	v.onChooseTapped()
}

func (v *verifierScreen) clear() {
	v.mu.Lock()
	v.gen++
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
	v.mu.Unlock()
	v.files, v.cards = nil, nil
	v.results.Objects = nil
	v.results.Refresh()
	v.status.SetText("")
	v.progress.Hide()
	v.hint.Show()
	v.setExportable(false)
}

// trustStore builds the trust anchors from the platform roots and the user's settings.
func (v *verifierScreen) trustStore() *verify.TrustStore {
	ts := verify.NewTrustStore()
	if v.local != nil {
		for _, c := range v.local.PlatformRoots {
			ts.Add(c)
		}
		// The embedded backend's root: only this machine trusts it, and core/verify reports
		// what it vouches for accordingly (self-declared signers untrusted, local timestamps).
		if v.local.CA != nil {
			for _, c := range v.local.CA.Roots() {
				ts.AddLocal(c)
			}
		}
	}
	if v.local == nil || v.local.Prefs == nil {
		return ts
	}
	if pemData, ok, _ := v.local.Prefs.Setting(prefTrustRoots); ok && pemData != "" {
		ts.AddPEM([]byte(pemData))
	}
	if sys, _, _ := v.local.Prefs.Setting(prefTrustSystem); sys == "1" {
		ts.UseSystemRoots()
	}
	return ts
}

// verifyFiles verifies paths one after the other in the background, adding each file's cards as
// it finishes. The UI goroutine only ever builds widgets.
func (v *verifierScreen) verifyFiles(paths []string) {
	if len(paths) == 0 {
		return
	}
	v.clear()
	ctx, stop := context.WithCancel(context.Background())
	v.mu.Lock()
	gen := v.gen
	v.stop = stop
	v.mu.Unlock()
	v.hint.Hide()
	v.progress.Max = float64(len(paths))
	v.progress.SetValue(0)
	v.progress.Show()
	v.status.SetText(tr("verify.running", map[string]any{"Name": filepath.Base(paths[0])}))
	v.chooseBtn.Disable()
	v.nextBtn.Disable()
	v.cancelBtn.Show()
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		defer stop()
		opts := &verify.Options{Trust: v.trustStore(), MaxFileSize: maxVerifySize, // may wait for the backend's root
			Renderer: pdfrender.Shared()}
		if pr, ok := v.shell.Services.Renderer.(PDFRenderer); ok && pr.Engine != nil {
			// The cover check renders with the window's engine, already started (or starting)
			// beside the window, instead of starting a second PDFium (about a second).
			opts.Renderer = pr.Engine
		}
		for i, p := range paths {
			if v.stale(gen) {
				break // cancelled or replaced by a newer run
			}
			rep, err := v.verifyOne(ctx, p, opts)
			if err == nil && v.local != nil && v.local.Recent != nil {
				v.local.Recent.AddRecent(p, "verify")
			}
			f := verifiedFile{Path: p, Report: rep, Err: err}
			i := i
			var box *fyne.Container
			v.toUI(func() {
				if v.stale(gen) {
					return
				}
				box = v.addFile(f)
				v.progress.SetValue(float64(i + 1))
				if i+1 < len(paths) {
					v.status.SetText(tr("verify.running", map[string]any{"Name": filepath.Base(paths[i+1])}))
				}
			})
			// The cards follow, cardsPerCallback per callback, so that a file with many signatures
			// never holds the UI goroutine (measured in ui/internal/responsive).
			if rep == nil {
				continue
			}
			for from := 0; from < len(rep.Signatures); from += cardsPerCallback {
				sigs := rep.Signatures[from:min(from+cardsPerCallback, len(rep.Signatures))]
				v.toUI(func() {
					if !v.stale(gen) && box != nil {
						v.addCards(box, f, sigs)
					}
				})
			}
			if r := v.renderer(p); r != nil && !v.stale(gen) {
				imgs := markImages(ctx, r, p, rep.Signatures)
				v.toUI(func() {
					if v.stale(gen) {
						return
					}
					i := 0
					for _, c := range v.cards {
						if c.report != rep || i >= len(imgs) {
							continue
						}
						if img := imgs[i]; img != nil && c.mark != nil && (c.sig.Seal == nil || c.mark.Image == nil) {
							c.mark.Image = img
							c.mark.Refresh()
						}
						i++
					}
				})
			}
		}
		v.toUI(func() {
			v.chooseBtn.Enable()
			v.nextBtn.Enable()
			v.cancelBtn.Hide()
			if v.stale(gen) {
				v.mu.Lock()
				cancelled := v.cancelled == gen
				v.mu.Unlock()
				if cancelled { // say so last, after any progress text of the file in flight
					v.progress.Hide()
					v.status.SetText(tr("verify.cancelled", map[string]any{"Count": len(v.files)}))
				}
				return
			}
			v.progress.Hide()
			v.status.SetText(v.doneText())
			v.status.Importance = widget.MediumImportance
			if len(v.reports()) < len(v.files) {
				v.status.Importance = widget.DangerImportance
			}
			v.status.Refresh()
			v.setExportable(len(v.reports()) > 0)
		})
	}()
}

// doneText sums up a finished run: how many files were verified and, when some could not be
// read, that (and why, for a single file) instead of claiming they were verified.
func (v *verifierScreen) doneText() string {
	ok := len(v.reports())
	failed := len(v.files) - ok
	switch {
	case failed == 0:
		return tr("verify.done", map[string]any{"Count": ok})
	case ok == 0 && failed == 1:
		return tr("verify.cannot", map[string]any{"Reason": fileErrMessage(v.files[0].Path, v.files[0].Err)})
	case ok == 0:
		return tr("verify.done.nonereadable", map[string]any{"Count": failed})
	}
	return tr("verify.done.somefailed", map[string]any{"Count": ok, "Failed": failed})
}

// verifyOne verifies one file; a panic inside the verifier becomes this file's error (shown
// on its card), never the end of the application.
func (v *verifierScreen) verifyOne(ctx context.Context, path string, opts *verify.Options) (rep *verify.Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			rep, err = nil, fmt.Errorf("%s: %w: %v", path, verify.ErrInternal, r)
		}
	}()
	vf := v.verifyFile
	if vf == nil {
		vf = verify.File
	}
	return vf(ctx, path, opts)
}

// onCancelTapped stops the file being verified (its loops check the context); the results so
// far stay.
func (v *verifierScreen) onCancelTapped() {
	v.mu.Lock()
	v.cancelled = v.gen
	v.gen++
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
	v.mu.Unlock()
	v.cancelBtn.Hide()
	v.progress.Hide()
	v.status.SetText(tr("verify.cancelled", map[string]any{"Count": len(v.files)}))
	v.setExportable(len(v.reports()) > 0)
}

// toUI runs a worker's result on the UI goroutine and waits for it (queued for wait in test mode).
func (v *verifierScreen) toUI(f func()) { v.uiq.run(f) }

// deferUpdatesForTest makes workers (and the page views of "show on page") queue their results
// for wait, like widgets.PageView.DeferUpdatesForTest.
func (v *verifierScreen) deferUpdatesForTest() { v.uiq.deferForTest() }

// wait blocks until the running verifications have finished and, in test mode, applies their
// queued results on the calling goroutine (tests only).
func (v *verifierScreen) wait() { v.uiq.drain(&v.wg) }

func (v *verifierScreen) stale(gen int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return gen != v.gen
}

func (v *verifierScreen) reports() []*verify.Report {
	var out []*verify.Report
	for _, f := range v.files {
		if f.Report != nil {
			out = append(out, f.Report)
		}
	}
	return out
}

// verdictText is the sentence of a verdict or status.
func verdictText(status verify.Verdict) string {
	switch status {
	case verify.StatusValid, verify.StatusUntrusted, verify.StatusModified, verify.StatusInvalid, verify.StatusUnsigned,
		"valid-revocation-unknown", "untrusted-expired", "untrusted-integrity-only":
		return tr("verify.status." + string(status))
	}
	return string(status)
}

func verdictImportance(status verify.Verdict) widget.Importance {
	switch status {
	case verify.StatusValid:
		return widget.SuccessImportance
	case verify.StatusUntrusted, verify.StatusUnsigned:
		return widget.WarningImportance
	}
	return widget.DangerImportance
}

// cardsPerCallback is how many signature cards one UI callback adds: building and laying out a
// card takes 4–5 ms of the UI goroutine, so a callback stays near 10 ms.
const cardsPerCallback = 2

// addFile shows one file's result: a header now, its cards by addCards. It returns the file's
// box for them.
func (v *verifierScreen) addFile(f verifiedFile) *fyne.Container {
	v.files = append(v.files, f)
	name := widget.NewLabelWithStyle(filepath.Base(f.Path), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	box := container.NewVBox(widget.NewSeparator(), name)
	if f.Err != nil {
		msg := widget.NewLabel(tr("verify.cannot", map[string]any{"Reason": fileErrMessage(f.Path, f.Err)}))
		msg.Importance = widget.DangerImportance
		msg.Wrapping = fyne.TextWrapWord
		box.Add(msg)
	} else {
		verdict := widget.NewLabel(tr("verify.verdict", map[string]any{"Verdict": verdictText(f.Report.Verdict)}))
		verdict.Importance = verdictImportance(f.Report.Verdict)
		verdict.TextStyle.Bold = true
		sum := widget.NewLabel("SHA-256 " + f.Report.SHA256)
		sum.Truncation = fyne.TextTruncateEllipsis
		box.Add(verdict)
		box.Add(sum)
		if len(f.Report.Signatures) == 0 {
			key := "verify.nosignatures"
			if f.Report.OFD != nil {
				key = "verify.nosignatures.ofd" // a seal picture on the page is not a seal
			}
			l := widget.NewLabel(tr(key))
			l.Wrapping = fyne.TextWrapWord
			box.Add(l)
		}
	}
	v.results.Add(box)
	return box
}

// addCards adds the cards of sigs (signatures of f) to the file's box. Only that box is laid out
// again, not the whole results list.
func (v *verifierScreen) addCards(box *fyne.Container, f verifiedFile, sigs []verify.Signature) {
	for _, s := range sigs {
		c := v.newCard(f.Path, f.Report, s)
		v.cards = append(v.cards, c)
		box.Add(c.card)
	}
}

func (v *verifierScreen) newCard(path string, rep *verify.Report, s verify.Signature) *sigCard {
	c := &sigCard{sig: s, path: path, report: rep}
	lbl := func(text string) *widget.Label {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		return l
	}
	c.result = lbl(verdictText(s.ResultKey()))
	c.result.Importance = verdictImportance(s.Status)
	c.result.TextStyle.Bold = true
	signer := s.Signer.Name
	if s.Signer.Organization != "" {
		signer += tr("verify.paren", map[string]any{"Text": s.Signer.Organization})
	}
	if signer == "" {
		signer = tr("verify.unknown")
	}
	if slices.Contains(s.Reasons, verify.ReasonSelfDeclared) {
		signer += tr("verify.selfDeclared")
	}
	if s.Signer.Event {
		signer += tr("verify.eventCert")
	}
	if s.Signer.Operator != "" {
		signer += tr("verify.operator", map[string]any{"Name": s.Signer.Operator})
	}
	c.signer = lbl(signer)
	id := s.Signer.ID
	if id == "" && s.Signer.OrganizationID != "" {
		id = tr("verify.orgID", map[string]any{"ID": s.Signer.OrganizationID})
	}
	c.signerID = lbl(orDash(id))
	when := orDash(s.SigningTime)
	if t, err := time.Parse(time.RFC3339, s.SigningTime); err == nil {
		when = t.Local().Format("2006-01-02 15:04:05 MST")
	}
	if s.SigningTime != "" {
		when += tr("verify.paren", map[string]any{"Text": tr("verify.source." + sourceKey(s.TimeSourceKind()))})
	}
	c.time = lbl(when)
	ts := tr("common.no")
	if s.Timestamp.Present {
		if s.Timestamp.Valid && s.Timestamp.Local {
			ts = tr("verify.ts.local", map[string]any{"Authority": orDash(s.Timestamp.Authority)})
		} else if s.Timestamp.Valid {
			ts = tr("verify.ts.valid", map[string]any{"Authority": orDash(s.Timestamp.Authority)})
		} else {
			ts = tr("verify.ts.invalid")
		}
	}
	c.tsUsed = lbl(ts)
	c.alg = lbl(orDash(s.Algorithm))
	state := tr("verify.integrity." + integrityKey(s.Integrity))
	if s.Revocation != "" {
		state += tr("verify.sep") + revocationText(s)
	}
	c.state = lbl(state)
	changes := tr("verify.changes." + changesKey(s.ChangesAfter))
	if cs := changeSentences(s); len(cs) > 0 {
		changes += "\n· " + strings.Join(cs, "\n· ")
	}
	c.changes = lbl(changes)
	c.viewBtn = widget.NewButtonWithIcon(tr("verify.viewsigned"), theme.VisibilityIcon(), func() { v.onViewSignedTapped(c) })
	if s.SignedRange <= 0 {
		c.viewBtn.Disable()
	}
	items := []fyne.CanvasObject{
		formKey("verify.f.result"), c.result,
		formKey("verify.f.signer"), c.signer,
		formKey("verify.f.signerid"), c.signerID,
		formKey("verify.f.issuer"), lbl(orDash(s.Signer.Issuer)),
		formKey("verify.f.time"), c.time,
		formKey("verify.f.tsused"), c.tsUsed,
		formKey("verify.f.alg"), c.alg,
		formKey("verify.f.state"), c.state,
		formKey("verify.f.changes"), c.changes,
	}
	mark, markName := s.Mark()
	if r := s.Recipient(); r > 0 {
		items = append(items, formKey("verify.f.recipient"), lbl(tr("verify.recipient", map[string]any{"N": r})))
	}
	if markName != "" {
		key := "verify.f.sealname"
		if mark == verify.MarkSignature {
			key = "verify.f.signame"
		}
		items = append(items, formKey(key), lbl(markName))
	}
	if se := s.Seal; se != nil {
		items = append(items, ofdRows(se, lbl)...)
	}
	items = append(items, formKey("verify.f.where"), lbl(whereText(s)))
	if s.Seal != nil && len(s.Reasons) > 0 {
		var rs []string
		for _, r := range s.Reasons {
			rs = append(rs, verify.ReasonText(r, uiLang()))
		}
		items = append(items, formKey("verify.f.reasons"), lbl("· "+strings.Join(rs, "\n· ")))
	}
	items = append(items, formKey("verify.f.revision"), widgets.NewCJKLabel(s.RevisionText(uiLang())))
	buttons := container.NewHBox(c.viewBtn)
	if v.renderer(path) != nil && s.Page > 0 && len(s.Rect) == 4 {
		c.showBtn = widget.NewButtonWithIcon(tr("verify.showonpage"), theme.SearchIcon(), func() { v.onShowOnPageTapped(c) })
		buttons.Add(c.showBtn)
	}
	if v.renderer(path) != nil && len(changeMarks(s)) > 0 {
		c.changesBtn = widget.NewButtonWithIcon(tr("verify.showchanges"), theme.WarningIcon(), func() { v.onShowChangesTapped(c) })
		c.changesBtn.Importance = widget.DangerImportance
		buttons.Add(c.changesBtn)
	}
	bar := canvas.NewRectangle(statusColor(s.Status))
	bar.SetMinSize(fyne.NewSize(4, 4))
	var side fyne.CanvasObject
	if s.Page > 0 && len(s.Rect) == 4 && v.renderer(path) != nil || s.Seal != nil && len(s.Seal.Picture) > 0 {
		// the seal or signature as the page shows it, filled in by loadMarks; an OFD seal's
		// own picture at once
		c.mark = canvas.NewImageFromImage(sealPicture(s))
		c.mark.FillMode = canvas.ImageFillContain
		c.mark.SetMinSize(fyne.NewSize(120, 120))
		side = container.NewVBox(c.mark)
	}
	body := container.NewBorder(nil, buttons, nil, side, container.New(layout.NewFormLayout(), items...))
	kind := tr("verify.kind." + kindKey(s.Kind))
	if s.Kind == verify.KindApproval && mark != "" {
		kind = tr("verify.mark." + mark)
	}
	if s.Seal != nil {
		kind = tr("verify.ofd.type." + known(s.Seal.Type, "Seal", "Sign", "Integrity"))
	}
	c.card = widget.NewCard(tr("verify.card.title", map[string]any{"Index": s.Index, "Kind": kind}), "",
		container.NewBorder(nil, nil, bar, nil, body))
	return c
}

// whereText says where a signature sits: the page and the box SealDesk placed for a signing
// party, or the field's name in quotes for other producers' fields; invisible signatures say so.
func whereText(s verify.Signature) string {
	if s.Page <= 0 {
		return tr("verify.where.invisible")
	}
	if s.Seal != nil {
		return tr("verify.where.ofd", map[string]any{"Page": s.Page, "N": len(s.Seal.Stamps)})
	}
	if r := s.Recipient(); r > 0 {
		mark, _ := s.Mark() // a SealDesk field name always names its box
		return tr("verify.where.box", map[string]any{"Page": s.Page, "N": r, "Box": tr("verify.mark." + mark)})
	}
	return tr("verify.where", map[string]any{"Page": s.Page, "Field": s.Field})
}

// markReason is the /Reason of a signature into field with img: what it puts on the page and
// the seal's or signature's name ("盖章：合同专用章"), which the verifier card and other viewers show.
func markReason(field string, img *LibraryItem) string {
	switch {
	case isDateField(field):
		return verify.MarkReason(verify.MarkDate, "")
	case img == nil:
		return ""
	case isCrossField(field):
		return verify.MarkReason(verify.MarkCross, img.Name)
	case img.IsSeal():
		return verify.MarkReason(verify.MarkSeal, img.Name)
	}
	return verify.MarkReason(verify.MarkSignature, img.Name)
}

// uiLang is the interface language as core/verify's report texts take it.
func uiLang() string {
	if activeLanguage == LangEnglish {
		return "en"
	}
	return "zh"
}

// markImages cuts what each card's signature shows out of its page, rendered once per page (on
// the calling worker); it returns the images by card index (nil where it failed).
func markImages(ctx context.Context, r Renderer, path string, sigs []verify.Signature) []image.Image {
	out := make([]image.Image, len(sigs))
	if r == nil {
		return out
	}
	doc, err := r.Open(ctx, path)
	if err != nil {
		return out
	}
	defer doc.Close()
	const dpi = 100
	pages := map[int]image.Image{}
	for i, s := range sigs {
		if s.Page <= 0 || len(s.Rect) != 4 || s.Page > doc.PageCount() {
			continue
		}
		pg, ok := pages[s.Page]
		if !ok {
			pg, _ = doc.Render(ctx, s.Page-1, dpi)
			pages[s.Page] = pg
		}
		g, err := doc.PageGeometry(s.Page - 1)
		if pg == nil || err != nil {
			continue
		}
		x0, y0 := g.UserToImage(s.Rect[0], s.Rect[1], dpi)
		x1, y1 := g.UserToImage(s.Rect[2], s.Rect[3], dpi)
		rect := image.Rect(int(min(x0, x1)), int(min(y0, y1)), int(max(x0, x1)+0.5), int(max(y0, y1)+0.5)).Intersect(pg.Bounds())
		if rect.Dx() < 2 || rect.Dy() < 2 {
			continue
		}
		crop := image.NewNRGBA(image.Rect(0, 0, rect.Dx(), rect.Dy()))
		draw.Draw(crop, crop.Bounds(), pg, rect.Min, draw.Src)
		out[i] = crop
	}
	return out
}

// onShowOnPageTapped shows the signed file at the signature's page with its box highlighted.
func (v *verifierScreen) onShowOnPageTapped(c *sigCard) {
	rect := widgets.Rect{LLX: c.sig.Rect[0], LLY: c.sig.Rect[1], URX: c.sig.Rect[2], URY: c.sig.Rect[3]}
	v.showMarks(c, tr("verify.showonpage.title", map[string]any{"Index": c.sig.Index, "Page": c.sig.Page}),
		[]pageMark{{page: c.sig.Page - 1, rect: rect}}, color.NRGBA{0xff, 0xc1, 0x07, 0x50}, color.NRGBA{0xff, 0x8f, 0x00, 0xff})
}

// changeMarks are the places on the pages where changes after signature s cover what it signed
// (verify.ChangeDetail.Regions).
func changeMarks(s verify.Signature) []pageMark {
	var out []pageMark
	for _, d := range s.ChangeDetails {
		for _, r := range d.Regions {
			out = append(out, pageMark{page: r.Page - 1, rect: widgets.Rect{LLX: r.Rect.LLX, LLY: r.Rect.LLY, URX: r.Rect.URX, URY: r.Rect.URY}})
		}
	}
	return out
}

// onShowChangesTapped is 查看改动位置: the final file with every place where a later change
// covers signed content outlined in red, at the first of them.
func (v *verifierScreen) onShowChangesTapped(c *sigCard) {
	marks := changeMarks(c.sig)
	if len(marks) == 0 {
		return
	}
	v.showMarks(c, tr("verify.showchanges.title", map[string]any{"Index": c.sig.Index, "Page": marks[0].page + 1, "N": len(marks)}),
		marks, color.NRGBA{0xe5, 0x39, 0x35, 0x40}, color.NRGBA{0xc6, 0x28, 0x28, 0xff})
}

// showMarks opens the file of card c in a dialog titled title with marks outlined, scrolled to
// the first.
func (v *verifierScreen) showMarks(c *sigCard, title string, marks []pageMark, fill, stroke color.Color) {
	r := v.renderer(c.path)
	pv := widgets.NewPageView()
	if v.uiq.testMode() {
		pv.DeferUpdatesForTest()
	}
	ml := &markLayout{pv: pv, marks: marks, relayout: func() {}}
	var objs []fyne.CanvasObject
	for range marks {
		m := canvas.NewRectangle(fill)
		m.StrokeColor = stroke
		m.StrokeWidth = 3
		objs = append(objs, m)
	}
	first := objs[0].(*canvas.Rectangle)
	layer := container.New(ml, objs...)
	pv.Scroll.Content = container.NewStack(pv.Scroll.Content, layer)
	ml.relayout = followPages(pv, layer)
	dlg := dialog.NewCustom(title, tr("common.close"), pv, v.shell.Window)
	dlg.Resize(fyne.NewSize(900, 700))
	var doc OpenDocument
	dlg.SetOnClosed(func() {
		pv.SetDocument(nil)
		if doc != nil {
			doc.Close()
		}
	})
	dlg.Show()
	v.shownPage, v.shownMark, v.shownDlg = pv, first, dlg
	path, page := c.path, marks[0].page
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		d, err := r.Open(context.Background(), path)
		v.toUI(func() {
			if err != nil {
				v.status.SetText(fileErrMessage(path, err))
				dlg.Hide()
				return
			}
			doc = d
			pv.SetDocument(d)
			pv.ShowPage(page)
		})
	}()
}

// pageMark is a user-space rectangle of one page (0-based).
type pageMark struct {
	page int
	rect widgets.Rect
}

// markLayout puts each highlight (one object a mark) over its rectangle of its page.
type markLayout struct {
	pv       *widgets.PageView
	marks    []pageMark
	relayout func()
	scrolled bool // the view was scrolled to the first mark once (then the user scrolls)
}

func (l *markLayout) Layout(objs []fyne.CanvasObject, _ fyne.Size) {
	for i, o := range objs {
		if i >= len(l.marks) {
			o.Hide()
			continue
		}
		m, ok := l.pv.PageMapper(l.marks[i].page)
		if !ok {
			o.Hide()
			l.relayout()
			continue
		}
		pos, size := m.UserRectToWidget(l.marks[i].rect)
		o.Move(pos)
		o.Resize(size)
		o.Show()
		if i == 0 && !l.scrolled {
			// bring the box to the middle of the view, not just its page to the top
			l.scrolled = true
			view := l.pv.Scroll.Size()
			l.pv.Scroll.ScrollToOffset(fyne.NewPos(max(0, pos.X+size.Width/2-view.Width/2), max(0, pos.Y+size.Height/2-view.Height/2)))
		}
	}
}

func (l *markLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

func formKey(key string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(tr(key), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	return l
}

func statusColor(status verify.Verdict) color.Color {
	switch status {
	case verify.StatusValid:
		return theme.Color(theme.ColorNameSuccess)
	case verify.StatusUntrusted, verify.StatusUnsigned:
		return theme.Color(theme.ColorNameWarning)
	}
	return theme.Color(theme.ColorNameError)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func known(v string, allowed ...string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	return "unknown"
}

func sourceKey(v string) string { return known(v, "timestamp", "local", "signer") }
func integrityKey(v string) string {
	return known(v, "valid", "invalid")
}
func revocationKey(v string) string {
	return known(v, verify.RevocationGood, verify.RevocationRevoked)
}
func changesKey(v string) string { return known(v, "none", "allowed", "disallowed") }
func kindKey(v string) string {
	return known(v, verify.KindApproval, verify.KindCertification, verify.KindDocTimestamp)
}

// onViewSignedTapped is 查看签名时版本: the bytes the signature covers, opened in the document
// view when there is one, else saved where the user says — taken from the bytes that were
// verified (Report.ExtractSigned), never by reading the path again.
func (v *verifierScreen) onViewSignedTapped(c *sigCard) {
	base := strings.TrimSuffix(filepath.Base(c.path), filepath.Ext(c.path))
	name := fmt.Sprintf("%s-签名%d时版本.pdf", base, c.sig.Index)
	if o, ok := v.shell.screens[NavDocuments].(FileOpener); ok {
		dir, err := os.MkdirTemp("", "sealdesk-revision-")
		if err == nil {
			out := filepath.Join(dir, name)
			if err = c.report.ExtractSigned(c.sig.Index, out); err == nil {
				v.shell.Show(NavDocuments)
				o.OpenFiles([]string{out})
				return
			}
		}
		showError(v.shell.Window, errMessage(err))
		return
	}
	v.shell.saveFile(name, pdfExts, func(out string) {
		if err := c.report.ExtractSigned(c.sig.Index, out); err != nil {
			showError(v.shell.Window, errMessage(err))
			return
		}
		v.status.SetText(tr("verify.saved", map[string]any{"Path": out}))
	})
}

// onExportTapped saves the report of every verified file as PDF (one file per report, the first
// where the user says, others beside it) or JSON (one array).
func (v *verifierScreen) onExportTapped(format string) {
	reps := v.reports()
	if len(reps) == 0 {
		return
	}
	base := strings.TrimSuffix(filepath.Base(reps[0].File), filepath.Ext(reps[0].File))
	exts := pdfExts
	if format == "json" {
		exts = jsonExts
	}
	v.shell.saveFile(base+"-验签报告."+format, exts, func(out string) {
		if err := v.exportTo(format, out, reps); err != nil {
			showError(v.shell.Window, errMessage(err))
			return
		}
		v.status.SetText(tr("verify.saved", map[string]any{"Path": out}))
	})
}

// exportTo writes the reports to out: JSON as one array; PDF as out for the first report and
// out-2.pdf, out-3.pdf… for the others.
func (v *verifierScreen) exportTo(format, out string, reps []*verify.Report) error {
	lang := "zh"
	if v.shell.Services.Settings != nil && v.shell.Services.Settings.Language() == LangEnglish {
		lang = "en"
	}
	if format == "json" {
		var b strings.Builder
		if err := verify.WriteJSONList(&b, reps); err != nil {
			return err
		}
		return writeFileAtomic(out, []byte(b.String()))
	}
	for i, r := range reps {
		p := out
		if i > 0 {
			p = strings.TrimSuffix(out, filepath.Ext(out)) + fmt.Sprintf("-%d.pdf", i+1)
		}
		if err := verify.WriteReportPDF(p, r, lang); err != nil {
			return err
		}
	}
	return nil
}

// onTrustTapped shows the trust settings: imported roots, import another, system roots on/off.
func (v *verifierScreen) onTrustTapped() {
	if v.local == nil || v.local.Prefs == nil {
		showInfo(v.shell.Window, tr("verify.trust"), tr("verify.trust.unavailable"))
		return
	}
	list := container.NewVBox()
	platform := v.local.PlatformRoots
	var localRoots []*x509.Certificate
	var refresh func()
	if ca := v.local.CA; ca != nil {
		go func() { // the backend may still be starting: never wait on the UI goroutine
			roots := ca.Roots()
			uiDo(func() {
				localRoots = roots
				refresh()
			})
		}()
	}
	refresh = func() {
		list.Objects = nil
		for _, c := range platform {
			list.Add(wrapped(tr("verify.trust.platform", map[string]any{"Name": c.Subject.CommonName})))
		}
		for _, c := range localRoots {
			list.Add(wrapped(tr("verify.trust.local", map[string]any{"Name": c.Subject.CommonName})))
		}
		for _, c := range importedRoots(v.local.Prefs) {
			list.Add(wrapped(tr("verify.trust.imported", map[string]any{"Name": certName(c)})))
		}
		list.Refresh()
	}
	refresh()
	sys := widget.NewCheck(tr("verify.trust.system"), func(on bool) {
		val := ""
		if on {
			val = "1"
		}
		v.local.Prefs.SetSetting(prefTrustSystem, val)
	})
	cur, _, _ := v.local.Prefs.Setting(prefTrustSystem)
	sys.SetChecked(cur == "1")
	warn := widget.NewLabel(tr("verify.trust.system.warning"))
	warn.Wrapping = fyne.TextWrapWord
	msg := widget.NewLabel("")
	msg.Wrapping = fyne.TextWrapWord
	imp := widget.NewButtonWithIcon(tr("verify.trust.import"), theme.ContentAddIcon(), func() {
		v.shell.chooseFile(certExts, func(path string) {
			n, err := importRoot(v.local.Prefs, path)
			if err != nil {
				msg.SetText(tr("verify.trust.importfailed"))
				return
			}
			msg.SetText(tr("verify.trust.added", map[string]any{"Count": n}))
			refresh()
		})
	})
	content := container.NewVBox(list, imp, msg, widget.NewSeparator(), sys, warn)
	dlg := dialog.NewCustom(tr("verify.trust"), tr("common.close"), container.NewVScroll(content), v.shell.Window)
	dlg.SetOnClosed(func() {
		if len(v.files) > 0 {
			var paths []string
			for _, f := range v.files {
				paths = append(paths, f.Path)
			}
			v.verifyFiles(paths)
		}
	})
	dlg.Resize(fyne.NewSize(520, 420))
	dlg.Show()
}

// wrapped is a label that wraps by the rules of Chinese typesetting (widgets.CJKLabel).
func wrapped(text string) *widgets.CJKLabel { return widgets.NewCJKLabel(text) }

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

// importedRoots returns the roots the user imported.
func importedRoots(p LocalPrefs) []*x509.Certificate {
	data, ok, _ := p.Setting(prefTrustRoots)
	if !ok {
		return nil
	}
	var out []*x509.Certificate
	rest := []byte(data)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out
		}
		if cs, err := verify.ParseCertificates(b.Bytes); err == nil { // SM2 roots too
			out = append(out, cs...)
		}
	}
}

// importRoot adds the certificates of a PEM or DER file to the imported roots (CA certificates
// only) and returns how many were new.
func importRoot(p LocalPrefs, path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(data) > 1<<20 {
		return 0, errFileTooBig
	}
	ts := verify.NewTrustStore()
	if _, err := ts.AddPEM(data); err != nil {
		return 0, err
	}
	have := importedRoots(p)
	var b strings.Builder
	for _, c := range have {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	}
	n := 0
next:
	for _, c := range ts.Roots() {
		if !c.IsCA {
			continue
		}
		for _, h := range have {
			if h.Equal(c) {
				continue next
			}
		}
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("no new ca certificate in %s", filepath.Base(path))
	}
	return n, p.SetSetting(prefTrustRoots, b.String())
}

// writeFileAtomic writes data to a temp file beside path, fsyncs and renames it.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to create output: %w", err)
	}
	name := tmp.Name()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

// renderer draws the pages of path: SealDesk's OFD renderer for an OFD file, the PDF renderer
// (nil without one) otherwise.
func (v *verifierScreen) renderer(path string) Renderer {
	if isOFD(path) {
		return ofdRenderer{pdf: v.shell.Services.Renderer}
	}
	if v.shell.Services.Renderer == nil {
		return nil
	}
	return v.shell.Services.Renderer
}

// ofdRows are the card's lines for an OFD seal or signature: seal name, code (esID), maker,
// validity, SES version.
func ofdRows(se *verify.SealInfo, lbl func(string) *widget.Label) []fyne.CanvasObject {
	if se.Type != "Seal" {
		return nil
	}
	maker := se.Maker.Name
	if se.Maker.Organization != "" && se.Maker.Organization != maker {
		maker += tr("verify.paren", map[string]any{"Text": se.Maker.Organization})
	}
	valid := "—"
	if !se.ValidFrom.IsZero() {
		valid = se.ValidFrom.Local().Format("2006-01-02") + " – " + se.ValidTo.Local().Format("2006-01-02")
	}
	version := map[int]string{1: "GM/T 0031-2014 (v1)", 4: "GB/T 38540-2020 (v4)"}[se.SESVersion]
	if se.HeaderVersion != 0 && se.HeaderVersion != se.SESVersion {
		version += fmt.Sprintf(" · header %d", se.HeaderVersion)
	}
	return []fyne.CanvasObject{
		formKey("verify.f.sealname"), lbl(orDash(se.Name)),
		formKey("verify.f.esid"), lbl(orDash(se.ESID)),
		formKey("verify.f.maker"), lbl(orDash(maker)),
		formKey("verify.f.sealvalid"), lbl(valid),
		formKey("verify.f.sesversion"), lbl(orDash(version)),
	}
}

// sealPicture decodes an OFD seal's picture for the card (nil for a PDF signature or a picture
// that is not an image; the page crop fills it in then).
func sealPicture(s verify.Signature) image.Image {
	if s.Seal == nil || len(s.Seal.Picture) == 0 {
		return nil
	}
	img, err := render.SealPicture(context.Background(), s.Seal.PictureType, s.Seal.Picture, 200)
	if err != nil {
		return nil
	}
	return img
}

// revocationText says the signer certificate's revocation status, with the time of a revocation
// when the evidence gives it (挂失: revoked before the signature, or only after it).
func revocationText(s verify.Signature) string {
	key := revocationKey(s.Revocation)
	at, err := time.Parse(time.RFC3339, s.RevokedAt)
	if s.RevokedAt == "" || err != nil {
		return tr("verify.revocation." + key)
	}
	when := at.Local().Format(time.DateTime)
	switch s.Revocation {
	case verify.RevocationRevoked:
		return tr("verify.revocation.revoked.at", map[string]any{"At": when})
	case verify.RevocationGood:
		return tr("verify.revocation.good.later", map[string]any{"At": when})
	}
	return tr("verify.revocation." + key)
}
