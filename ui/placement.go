package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sealdesk/core/pdf"
	"sealdesk/core/sign"
	"sealdesk/ui/widgets"
)

// Box kinds of the placement palette.
const (
	boxSign  = "sign"  // 签名框: a person signs
	boxSeal  = "seal"  // 盖章框: a company seals
	boxDate  = "date"  // 日期
	boxCross = "cross" // 骑缝章: against the right edge of the page
)

var boxKinds = []string{boxSign, boxSeal, boxDate, boxCross}

// boxSizes are the default sizes (visible width, height in points) of new boxes.
var boxSizes = map[string][2]float64{boxSign: {120, 48}, boxSeal: {119, 119}, boxDate: {110, 28}, boxCross: {60, 119}}

// recipientColors tell the recipients' boxes apart.
var recipientColors = []color.NRGBA{
	{0x1e, 0x88, 0xe5, 0xff}, {0xe5, 0x39, 0x35, 0xff}, {0x43, 0xa0, 0x47, 0xff}, {0x8e, 0x24, 0xaa, 0xff}, {0xfb, 0x8c, 0x00, 0xff},
}

// maxDocumentSize is the limit of SPEC §5 for a document to place fields on and send.
const maxDocumentSize = 10 << 20

// placedBox is one box: where it is in PDF user space and the widget that shows it.
type placedBox struct {
	kind      string
	recipient int // 0-based
	page      int // 0-based
	rect      widgets.Rect
	w         *widgets.DraggableBox
}

// placementScreen is 指定签署位置: open a PDF, drag boxes for each recipient onto its pages, and
// save them as empty signature fields.
type placementScreen struct {
	shell *Shell

	openBtn   *widget.Button
	saveBtn   *widget.Button
	saveWhy   *widget.Label // why 保存签署位置 is disabled
	recipient *widget.Select
	palette   []*widgets.PaletteItem
	pv        *widgets.PageView
	overlay   *fyne.Container
	status    *widget.Label
	root      fyne.CanvasObject

	path     string
	doc      OpenDocument
	boxes    []*placedBox
	relayout func()         // lays the boxes out again soon (a page's geometry arrives later)
	wg       sync.WaitGroup // opening and saving in the background (tests wait on it)

	// 发起签署's envelope editor uses this editor for its placement step: onOpened runs after a
	// document opened (to put its boxes back), onChanged after a box was added, moved, resized
	// or deleted.
	onOpened  func()
	onChanged func()
}

// recipientColor is recipient i's colour (the palette repeats after five).
func recipientColor(i int) color.NRGBA { return recipientColors[i%len(recipientColors)] }

func (p *placementScreen) boxesChanged() {
	if p.onChanged != nil {
		p.onChanged()
	}
}

func newPlacementScreen(s *Shell) *placementScreen {
	p := &placementScreen{shell: s}
	p.openBtn = widget.NewButtonWithIcon(tr("place.open"), theme.FolderOpenIcon(), p.onOpenTapped)
	p.saveBtn = widget.NewButtonWithIcon(tr("place.save"), theme.DocumentSaveIcon(), p.onSaveTapped)
	p.saveBtn.Importance = widget.HighImportance
	p.saveWhy = widget.NewLabel("")
	p.saveWhy.Importance = widget.WarningImportance
	p.saveWhy.Truncation = fyne.TextTruncateEllipsis
	var names []string
	for i := range recipientColors {
		names = append(names, recipientName(i))
	}
	p.recipient = newSelect(names, func(string) { p.recolorPalette() })
	p.status = widget.NewLabel(tr("place.hint"))
	p.status.Wrapping = fyne.TextWrapWord
	for _, k := range boxKinds {
		k := k
		item := widgets.NewPaletteItem(tr("place.kind."+k), recipientColors[0])
		item.OnDropped = func(abs fyne.Position) { p.dropAt(k, abs) }
		item.OnTapped = func() { p.addOnCurrentPage(k) }
		p.palette = append(p.palette, item)
	}
	p.recipient.SetSelectedIndex(0)

	p.pv = newPageView()
	p.overlay = container.New(&overlayLayout{p: p})
	p.pv.Scroll.Content = container.NewStack(p.pv.Scroll.Content, p.overlay)
	p.relayout = followPages(p.pv, p.overlay)

	tiles := []fyne.CanvasObject{widget.NewLabelWithStyle(tr("place.palette"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.recipient}
	for _, it := range p.palette {
		tiles = append(tiles, it)
	}
	hint := widgets.NewCJKLabel(tr("place.palette.hint"))
	tiles = append(tiles, hint)
	// a fixed palette column with a thin rule (a split's handle looked like a stray bar)
	palette := container.NewBorder(nil, nil, nil, widget.NewSeparator(),
		container.New(widgets.MinWidth(190), container.NewVScroll(container.NewVBox(tiles...))))
	top := container.NewVBox(container.NewBorder(nil, nil, p.openBtn, p.saveBtn, container.NewHBox(layout.NewSpacer(), p.saveWhy)), p.status)
	p.root = container.NewBorder(top, nil, palette, nil, p.pv)
	p.updateSave()
	return p
}

func recipientName(i int) string { return tr("place.recipient", map[string]any{"N": i + 1}) }

func (p *placementScreen) Content() fyne.CanvasObject { return p.root }

func (p *placementScreen) selectedRecipient() int {
	if i := p.recipient.SelectedIndex(); i >= 0 {
		return i
	}
	return 0
}

func (p *placementScreen) recolorPalette() {
	c := recipientColor(p.selectedRecipient())
	for _, it := range p.palette {
		it.Color = c
		it.Refresh()
	}
}

func (p *placementScreen) onOpenTapped() {
	p.shell.chooseFile(pdfExts, func(path string) { p.OpenFiles([]string{path}) })
}

// OpenFiles opens the first file for placing boxes.
func (p *placementScreen) OpenFiles(paths []string) {
	if len(paths) > 0 {
		p.open(paths[0])
	}
}

// checkDocument refuses what cannot get fields: not a PDF, above 10 MB, encrypted or unreadable.
func checkDocument(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() > maxDocumentSize {
		return errFileTooBig
	}
	f, err := pdf.OpenFile(path, nil)
	if err != nil {
		if errors.Is(err, pdf.ErrNotPDF) && !hasPDFHeader(path) {
			return fmt.Errorf("%w: %w", errNotADocument, err)
		}
		return err
	}
	defer f.Close()
	if _, err := f.Pages(); err != nil {
		return err
	}
	return nil
}

// open checks and opens a document in the background and shows it.
func (p *placementScreen) open(path string) {
	r := p.shell.Services.Renderer
	p.status.SetText(tr("place.opening", map[string]any{"Name": filepath.Base(path)}))
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		err := checkDocument(path)
		var doc OpenDocument
		if err == nil {
			if r == nil {
				err = errNoRenderer
			} else {
				doc, err = r.Open(context.Background(), path)
			}
		}
		uiDoWait(func() {
			if err != nil {
				p.status.SetText(fileErrMessage(path, err))
				return
			}
			if p.doc != nil {
				p.doc.Close()
			}
			p.path, p.doc = path, doc
			p.clearBoxes()
			p.pv.SetDocument(doc)
			p.status.SetText(tr("place.opened", map[string]any{"Name": filepath.Base(path), "Pages": doc.PageCount()}))
			if p.onOpened != nil {
				p.onOpened()
			}
		})
	}()
}

var errNoRenderer = errors.New("page renderer is not available")

func (p *placementScreen) clearBoxes() {
	p.boxes = nil
	p.overlay.Objects = nil
	p.overlay.Refresh()
	p.updateSave()
}

// updateSave enables 保存签署位置 when there is something to save, and otherwise says beside it
// what is missing.
func (p *placementScreen) updateSave() {
	if p.onChanged != nil {
		return // 发起签署's placement step: its own 发送 and 保存至草稿 are the buttons
	}
	switch {
	case p.doc == nil:
		p.saveWhy.SetText(tr("place.why.nodocument"))
	case len(p.boxes) == 0:
		p.saveWhy.SetText(tr("place.why.noboxes"))
	default:
		p.saveWhy.Hide()
		p.saveBtn.Enable()
		return
	}
	p.saveWhy.Show()
	p.saveBtn.Disable()
}

// contentPos maps an absolute position to the coordinates of the pages' content.
func (p *placementScreen) contentPos(abs fyne.Position) fyne.Position {
	d := fyne.CurrentApp().Driver()
	return abs.Subtract(d.AbsolutePositionForObject(p.pv.Scroll.Content))
}

// dropAt adds a box of kind centred where a palette tile was dropped (absolute position).
func (p *placementScreen) dropAt(kind string, abs fyne.Position) {
	pos := p.contentPos(abs)
	page := p.pv.PageAt(pos)
	if page < 0 {
		p.status.SetText(tr("place.dropoutside"))
		return
	}
	p.addBox(kind, page, pos)
}

// addOnCurrentPage adds a box in the middle of the current page (a tap on a palette tile).
func (p *placementScreen) addOnCurrentPage(kind string) {
	page := p.pv.CurrentPage()
	m, ok := p.pv.PageMapper(page)
	if !ok {
		p.status.SetText(tr("place.nodocument"))
		return
	}
	w, h := m.Geometry.DisplaySize()
	p.addBox(kind, page, m.Origin.Add(fyne.NewPos(float32(w*m.Zoom/2), float32(h*m.Zoom/3))))
}

// addBox adds a box of kind on page centred at pos (content coordinates).
func (p *placementScreen) addBox(kind string, page int, pos fyne.Position) *placedBox {
	m, ok := p.pv.PageMapper(page)
	if !ok {
		return nil
	}
	sz := boxSizes[kind]
	size := fyne.NewSize(float32(sz[0]*m.Zoom), float32(sz[1]*m.Zoom))
	topLeft := pos.Subtract(fyne.NewPos(size.Width/2, size.Height/2))
	b := &placedBox{kind: kind, recipient: p.selectedRecipient(), page: page}
	b.rect = m.Geometry.ClampToPage(m.WidgetRectToUser(topLeft, size))
	if kind == boxCross {
		b.rect = p.snapRight(m, b.rect)
	}
	p.showBox(b)
	p.status.SetText(tr("place.count", map[string]any{"Count": len(p.boxes)}))
	p.boxesChanged()
	return b
}

// showBox adds b with its widget (labelled in the current language) to the boxes shown.
func (p *placementScreen) showBox(b *placedBox) {
	b.w = widgets.NewDraggableBox(fmt.Sprintf("%d·%s", b.recipient+1, tr("place.kind."+b.kind)), recipientColor(b.recipient))
	b.w.OnDragged = func(d fyne.Delta) { p.moveBox(b, d) }
	b.w.OnDragEnd = p.boxesChanged
	b.w.OnResized = func(d fyne.Delta) { p.resizeBox(b, d) }
	b.w.OnDeleted = func() { p.deleteBox(b) }
	p.boxes = append(p.boxes, b)
	p.overlay.Add(b.w)
	p.overlay.Refresh()
	p.updateSave()
}

// handoff gives the open document and its boxes to n, the same screen rebuilt in another
// language.
func (p *placementScreen) handoff(n *placementScreen) {
	if p.doc == nil {
		return
	}
	if p.pv.DeferringUpdates() {
		n.pv.DeferUpdatesForTest()
	}
	n.path, n.doc = p.path, p.doc
	n.pv.SetDocument(n.doc)
	n.updateSave()
	n.recipient.SetSelectedIndex(p.selectedRecipient())
	for _, b := range p.boxes {
		n.showBox(&placedBox{kind: b.kind, recipient: b.recipient, page: b.page, rect: b.rect})
	}
	if len(n.boxes) > 0 {
		n.status.SetText(tr("place.count", map[string]any{"Count": len(n.boxes)}))
	} else {
		n.status.SetText(tr("place.opened", map[string]any{"Name": filepath.Base(n.path), "Pages": n.doc.PageCount()}))
	}
	p.doc = nil
	p.pv.SetDocument(nil)
}

// snapRight moves a cross-page seal box against the right edge of the page as shown.
func (p *placementScreen) snapRight(m widgets.PageMapper, r widgets.Rect) widgets.Rect {
	pos, size := m.UserRectToWidget(r)
	w, _ := m.Geometry.DisplaySize()
	pos.X = m.Origin.X + float32(w*m.Zoom) - size.Width
	return m.Geometry.ClampToPage(m.WidgetRectToUser(pos, size))
}

func (p *placementScreen) moveBox(b *placedBox, d fyne.Delta) {
	m, ok := p.pv.PageMapper(b.page)
	if !ok {
		return
	}
	pos, size := m.UserRectToWidget(b.rect)
	r := m.Geometry.ClampToPage(m.WidgetRectToUser(pos.AddXY(d.DX, d.DY), size))
	if b.kind == boxCross {
		r = p.snapRight(m, r)
	}
	b.rect = r
	p.overlay.Refresh()
}

// minBox is the smallest box side in points.
const minBox = 16

func (p *placementScreen) resizeBox(b *placedBox, d fyne.Delta) {
	m, ok := p.pv.PageMapper(b.page)
	if !ok {
		return
	}
	pos, size := m.UserRectToWidget(b.rect)
	minW := float32(minBox * m.Zoom)
	size = fyne.NewSize(max(minW, size.Width+d.DX), max(minW, size.Height+d.DY))
	// Keep the top-left corner where it is and cut the box at the page's edges.
	w, h := m.Geometry.DisplaySize()
	right, bottom := m.Origin.X+float32(w*m.Zoom), m.Origin.Y+float32(h*m.Zoom)
	size.Width = min(size.Width, right-pos.X)
	size.Height = min(size.Height, bottom-pos.Y)
	b.rect = m.Geometry.ClampToPage(m.WidgetRectToUser(pos, size))
	if b.kind == boxCross {
		b.rect = p.snapRight(m, b.rect)
	}
	p.overlay.Refresh()
}

func (p *placementScreen) deleteBox(b *placedBox) {
	for i, x := range p.boxes {
		if x == b {
			p.boxes = append(p.boxes[:i], p.boxes[i+1:]...)
			break
		}
	}
	p.overlay.Remove(b.w)
	p.updateSave()
	p.status.SetText(tr("place.count", map[string]any{"Count": len(p.boxes)}))
	p.boxesChanged()
}

// followPages keeps an overlay over a PageView's pages laid out: after scrolling, page changes and
// zoom (which resize the content), and again shortly after a layout that found a page's geometry
// not loaded yet. It returns the "lay out again soon" function for the overlay's layout.
func followPages(pv *widgets.PageView, overlay *fyne.Container) func() {
	var mu sync.Mutex
	pending, tries := false, 0
	reset := func() {
		mu.Lock()
		tries = 0
		mu.Unlock()
		overlay.Refresh()
	}
	scrolled := pv.Scroll.OnScrolled
	pv.Scroll.OnScrolled = func(pos fyne.Position) {
		if scrolled != nil {
			scrolled(pos)
		}
		reset()
	}
	pv.OnPageChanged = func(int, int) { reset() }
	// Pages far from the viewport never get their geometry: give up after a few seconds until
	// the next scroll.
	const maxTries = 30
	return func() {
		mu.Lock()
		defer mu.Unlock()
		if pending || tries >= maxTries {
			return
		}
		pending = true
		tries++
		time.AfterFunc(100*time.Millisecond, func() {
			mu.Lock()
			pending = false
			mu.Unlock()
			pv.Do(overlay.Refresh) // fyne.Do; in tests queued for pv.Wait
		})
	}
}

// overlayLayout puts each box where its user-space rectangle is shown at the current zoom.
type overlayLayout struct{ p *placementScreen }

func (l *overlayLayout) Layout(_ []fyne.CanvasObject, _ fyne.Size) {
	for _, b := range l.p.boxes {
		m, ok := l.p.pv.PageMapper(b.page)
		if !ok {
			b.w.Hide()
			l.p.relayout()
			continue
		}
		pos, size := m.UserRectToWidget(b.rect)
		b.w.Move(pos)
		b.w.Resize(size)
		b.w.Show()
	}
}

func (l *overlayLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// fieldName names a box's field per recipient: r1-sign-1, r2-seal-1 …
func (p *placementScreen) fieldSpecs() ([]sign.FieldSpec, error) {
	f, err := pdf.OpenFile(p.path, nil)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pages, err := f.Pages()
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	var specs []sign.FieldSpec
	for _, b := range p.boxes {
		if b.page >= len(pages) {
			return nil, fmt.Errorf("page %d is gone", b.page+1)
		}
		pg := pages[b.page]
		key := fmt.Sprintf("r%d-%s", b.recipient+1, b.kind)
		count[key]++
		vr, err := sign.UserToVisible(pg.CropBox, pg.Rotate, pdf.Rect{LLX: b.rect.LLX, LLY: b.rect.LLY, URX: b.rect.URX, URY: b.rect.URY})
		if err != nil {
			return nil, err
		}
		specs = append(specs, sign.FieldSpec{Name: fmt.Sprintf("%s-%d", key, count[key]), Page: b.page + 1, Rect: vr})
	}
	return specs, nil
}

func (p *placementScreen) onSaveTapped() {
	if len(p.boxes) == 0 {
		return
	}
	in := p.path
	p.shell.chooseSave(tr("place.save.title"), suggestOutput(in, tr("place.save.suffix")), in,
		func(out string) error { return sign.CheckReplace(in, out) },
		func(out string) {
			if p.path == in {
				p.saveTo(out)
			}
		})
}

// saveTo writes the document with the boxes as empty signature fields to out (the input is
// never changed; a failure leaves no output).
func (p *placementScreen) saveTo(out string) {
	specs, err := p.fieldSpecs()
	if err != nil {
		p.status.SetText(fileErrMessage(p.path, err))
		return
	}
	in := p.path
	p.saveBtn.Disable()
	p.status.SetText(tr("place.saving"))
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		err := sign.AddFields(in, out, specs)
		uiDoWait(func() {
			p.updateSave()
			if err != nil {
				p.status.SetText(fileErrMessage(in, err))
				return
			}
			if l := p.shell.Services.Local; l != nil && l.Recent != nil {
				l.Recent.AddRecent(out, "place")
			}
			p.status.SetText(tr("place.saved", map[string]any{"Count": len(specs), "Path": out}))
		})
	}()
}
