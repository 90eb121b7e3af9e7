package widgets

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Document is what PageView shows. PageCount must not block; the other methods may (PageView
// calls them from worker goroutines) and must be safe for concurrent use.
type Document interface {
	Name() string
	PageCount() int
	// PageSize is the page as displayed (CropBox after /Rotate), in points. It is called for every
	// page to lay them out, so it must be cheap (PDFium answers it without parsing the page).
	PageSize(page int) (w, h float64, err error)
	// PageGeometry is the page's CropBox and /Rotate; it is asked only for pages being shown.
	PageGeometry(page int) (PageGeometry, error)
	// Render draws page (0-based) at dpi; implementations cache by (document, page, dpi).
	Render(ctx context.Context, page, dpi int) (image.Image, error)
	// Thumbnail draws page to fit in maxPx×maxPx pixels.
	Thumbnail(ctx context.Context, page, maxPx int) (image.Image, error)
}

const (
	minZoom     = 0.1
	maxZoom     = 5.0
	maxDPI      = 400
	pageGap     = 12 // widget units between pages
	thumbPx     = 120
	keepAround  = 3 // pages beyond the visible ones that keep their image
	renderAhead = 1 // pages beyond the visible ones rendered in advance
)

// zoomSteps are the zoom-in/zoom-out stops (1 = one widget unit per point).
var zoomSteps = []float64{0.25, 0.33, 0.5, 0.67, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5}

// PageView shows a document's pages one under the other, with zoom, thumbnails and the current
// page. Only pages in or near the viewport are rendered; the rest keep their size as blank
// paper. Use it on the UI goroutine only.
type PageView struct {
	widget.BaseWidget

	Prev, Next, ZoomIn, ZoomOut, FitWidth, ThumbsToggle *widget.Button
	PageLabel, ZoomLabel                                *widget.Label
	Thumbs                                              *widget.List
	Scroll                                              *container.Scroll

	// OnPageChanged is called when the current page (0-based) changes.
	OnPageChanged func(page, total int)

	doc     Document
	sizes   []size          // every page as displayed, in points (A4 until known)
	geoms   []*PageGeometry // per page; nil until the page has been shown once
	slots   []*pageSlot
	pages   *fyne.Container
	layout  *pagesLayout
	zoom    float64
	autoFit bool // the user has not chosen a zoom: a page too wide for the view is fitted
	current int
	gen     uint64 // bumps with every SetDocument: late results of an older document are dropped
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	deferred bool     // test mode: results wait in queue for Wait instead of going to fyne.Do
	queue    []func() // guarded by queueMu
	queueMu  sync.Mutex

	thumbs       map[int]image.Image
	thumbPending map[int]bool
	thumbPane    fyne.CanvasObject
	content      fyne.CanvasObject
}

type size struct{ w, h float64 }

var a4Size = size{595.28, 841.89}

// paper is shown, stretched, for a page whose image is not (yet) there: a 1×1 texture costs
// nothing, while a page-sized canvas.Rectangle is rasterised into a page-sized texture by
// Fyne's GL painter, which for hundreds of pages stalls the UI for seconds on software GL.
var paper = func() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, pageColor)
	return img
}()

type pageSlot struct {
	img     *canvas.Image
	msg     *widget.Label // made on the first error
	box     *fyne.Container
	dpi     int                // DPI of the image shown (0: none)
	pending int                // DPI being rendered (0: none)
	cancel  context.CancelFunc // cancels the pending render
}

// NewPageView returns an empty page view.
func NewPageView() *PageView {
	v := &PageView{zoom: 1, thumbs: map[int]image.Image{}, thumbPending: map[int]bool{}}
	v.ExtendBaseWidget(v)
	v.ctx, v.cancel = context.WithCancel(context.Background())

	v.Prev = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { v.ShowPage(v.current - 1) })
	v.Next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.ShowPage(v.current + 1) })
	v.ZoomOut = widget.NewButtonWithIcon("", theme.ZoomOutIcon(), v.onZoomOutTapped)
	v.ZoomIn = widget.NewButtonWithIcon("", theme.ZoomInIcon(), v.onZoomInTapped)
	v.FitWidth = widget.NewButtonWithIcon(tr("pageview.zoom.fit"), theme.ViewFullScreenIcon(), v.onFitWidthTapped)
	v.ThumbsToggle = widget.NewButtonWithIcon(tr("pageview.thumbnails"), theme.ListIcon(), v.onThumbsToggleTapped)
	v.PageLabel = widget.NewLabel("")
	v.ZoomLabel = widget.NewLabel("100%")

	v.layout = &pagesLayout{v: v}
	v.pages = container.New(v.layout)
	v.Scroll = container.NewScroll(v.pages)
	v.Scroll.OnScrolled = func(fyne.Position) { v.updateVisible() }

	v.Thumbs = widget.NewList(
		func() int { return len(v.sizes) },
		func() fyne.CanvasObject {
			img := canvas.NewImageFromImage(nil)
			img.FillMode = canvas.ImageFillContain
			img.SetMinSize(fyne.NewSize(thumbPx, thumbPx))
			return container.NewBorder(nil, widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{}), nil, nil, img)
		},
		v.updateThumb,
	)
	v.Thumbs.OnSelected = func(id widget.ListItemID) {
		if id != v.current {
			v.ShowPage(id)
		}
	}

	toolbar := container.NewHBox(v.ThumbsToggle, widget.NewSeparator(), v.Prev, v.PageLabel, v.Next,
		widget.NewSeparator(), v.ZoomOut, v.ZoomLabel, v.ZoomIn, v.FitWidth)
	// a fixed thumbnail column (a split's handle looked like a stray bar between the panes)
	v.thumbPane = container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.New(minWidth{thumbPx + 24}, v.Thumbs))
	v.content = container.NewBorder(toolbar, nil, v.thumbPane, nil, v.Scroll)
	v.refreshControls()
	return v
}

// CreateRenderer implements fyne.Widget.
func (v *PageView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(v.content)
}

// Document is the document shown (nil if none).
func (v *PageView) Document() Document { return v.doc }

// CurrentPage is the page (0-based) at the top third of the viewport.
func (v *PageView) CurrentPage() int { return v.current }

// Zoom is widget units per PDF point.
func (v *PageView) Zoom() float64 { return v.zoom }

// SetDocument shows doc from its first page (nil clears the view). Work for the previous
// document is cancelled; closing it is the caller's business.
func (v *PageView) SetDocument(doc Document) {
	v.cancel()
	v.ctx, v.cancel = context.WithCancel(context.Background())
	v.gen++
	v.doc = doc
	v.current = 0
	v.autoFit = true
	v.thumbs = map[int]image.Image{}
	v.thumbPending = map[int]bool{}
	n := 0
	if doc != nil {
		n = doc.PageCount()
	}
	// until the real sizes arrive every page is assumed to be A4 portrait
	v.sizes = make([]size, n)
	for i := range v.sizes {
		v.sizes[i] = a4Size
	}
	v.geoms = make([]*PageGeometry, n)
	v.slots = make([]*pageSlot, n)
	objs := make([]fyne.CanvasObject, n)
	for i := range v.slots {
		s := &pageSlot{img: canvas.NewImageFromImage(paper)}
		s.img.FillMode = canvas.ImageFillStretch
		s.img.ScaleMode = canvas.ImageScaleSmooth
		s.box = container.NewStack(s.img) // plain canvas objects: hundreds of pages stay cheap
		if i > keepAround {
			s.box.Hide() // until updateVisible finds it near the viewport
		}
		v.slots[i] = s
		objs[i] = s.box
	}
	v.pages.Objects = objs
	v.pages.Refresh()
	v.Scroll.ScrollToOffset(fyne.NewPos(0, 0))
	v.Thumbs.UnselectAll()
	v.Thumbs.Refresh()
	v.refreshControls()
	if doc == nil {
		return
	}
	v.loadSizes(doc)
}

// loadSizes reads page 1's size first (so page 1 shows at once), then all the others.
func (v *PageView) loadSizes(doc Document) {
	gen, ctx, n := v.gen, v.ctx, doc.PageCount()
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		first := a4Size
		if w, h, err := doc.PageSize(0); err == nil && w > 0 && h > 0 {
			first = size{w, h}
		}
		v.toUI(func() {
			if v.gen != gen {
				return
			}
			for i := range v.sizes {
				v.sizes[i] = first
			}
			v.relayout()
			v.fitIfTooWide()
		})
		all := make([]size, n)
		for i := range all {
			if ctx.Err() != nil {
				return
			}
			all[i] = first
			if w, h, err := doc.PageSize(i); err == nil && w > 0 && h > 0 {
				all[i] = size{w, h}
			}
		}
		v.toUI(func() {
			if v.gen != gen {
				return
			}
			v.sizes = all
			v.relayout()
		})
	}()
}

// toUI hands a worker's result to the UI goroutine: fyne.Do, or in test mode the queue that
// Wait drains on the test's goroutine.
func (v *PageView) toUI(f func()) {
	if !v.deferred {
		fyne.Do(f)
		return
	}
	v.queueMu.Lock()
	v.queue = append(v.queue, f)
	v.queueMu.Unlock()
}

// Do runs f on the UI goroutine from background work (timers of overlays that follow the pages):
// fyne.Do, or after DeferUpdatesForTest the queue that Wait drains.
func (v *PageView) Do(f func()) { v.toUI(f) }

// DeferUpdatesForTest makes workers queue their results for Wait instead of using fyne.Do. Fyne's
// test driver runs fyne.Do on the calling worker goroutine, concurrently with the test; with the
// queue every widget change happens on the test's goroutine, as it does on the UI goroutine of a
// running app. Call it right after NewPageView.
func (v *PageView) DeferUpdatesForTest() {
	v.deferred = true
}

// DeferringUpdates reports whether DeferUpdatesForTest was called.
func (v *PageView) DeferringUpdates() bool { return v.deferred }

// Wait blocks until all background work started so far has finished and delivered its result,
// including work that results start in turn (for tests; never on the UI goroutine of an app).
func (v *PageView) Wait() {
	for {
		v.wg.Wait()
		if !v.deferred || !v.applyBatch() {
			return
		}
	}
}

// ApplyQueued applies, on the calling goroutine, the results queued so far in test mode, without
// waiting for work still running (for tests; see DeferUpdatesForTest).
func (v *PageView) ApplyQueued() {
	for v.applyBatch() {
	}
}

// applyBatch applies the results queued so far and reports whether there were any.
func (v *PageView) applyBatch() bool {
	v.queueMu.Lock()
	q := v.queue
	v.queue = nil
	v.queueMu.Unlock()
	for _, f := range q {
		f()
	}
	return len(q) > 0
}

// ShowPage scrolls so that page i (0-based) starts at the top of the viewport.
func (v *PageView) ShowPage(i int) {
	if len(v.sizes) == 0 {
		return
	}
	i = max(0, min(i, len(v.sizes)-1))
	tops := v.layout.tops()
	v.Scroll.ScrollToOffset(fyne.NewPos(v.Scroll.Offset.X, max(0, tops[i]-pageGap/2)))
	v.setCurrent(i)
	v.updateVisible()
}

// Resize lays the view out at size; while the user has not chosen a zoom, a page wider than the
// view is fitted to its width (at 1024×640 the page was cut until 适合宽度 was tapped).
func (v *PageView) Resize(s fyne.Size) {
	v.BaseWidget.Resize(s)
	v.fitIfTooWide()
}

// fitIfTooWide zooms out to the view's width when the current page is wider than the view at the
// current zoom, unless the user chose a zoom; it never zooms in.
func (v *PageView) fitIfTooWide() {
	if !v.autoFit || len(v.sizes) == 0 {
		return
	}
	w := v.sizes[v.current].w
	avail := float64(v.Scroll.Size().Width) - 2*pageGap - float64(theme.ScrollBarSize())
	if w <= 0 || avail < 50 { // not laid out yet
		return
	}
	z := math.Min(1, avail/w)
	if math.Abs(z-v.zoom) > 1e-3 && (w*v.zoom > avail || v.zoom < 1) {
		v.setZoom(z)
	}
}

// SetZoom sets widget units per point (clamped to 0.1–5), keeping the current page in view. The
// zoom is then the user's: the view no longer fits wide pages by itself.
func (v *PageView) SetZoom(z float64) {
	v.autoFit = false
	v.setZoom(z)
}

func (v *PageView) setZoom(z float64) {
	z = math.Max(minZoom, math.Min(maxZoom, z))
	if z == v.zoom {
		return
	}
	cur := v.current
	var frac float32
	if len(v.sizes) > 0 {
		tops := v.layout.tops()
		if h := v.sizes[cur].h; h > 0 {
			frac = (v.Scroll.Offset.Y - tops[cur]) / float32(h*v.zoom)
		}
	}
	v.zoom = z
	v.relayout()
	if len(v.sizes) > 0 {
		tops := v.layout.tops()
		v.Scroll.ScrollToOffset(fyne.NewPos(v.Scroll.Offset.X, max(0, tops[cur]+frac*float32(v.sizes[cur].h*v.zoom))))
	}
	v.refreshControls()
	v.updateVisible()
}

func (v *PageView) onZoomInTapped() {
	for _, s := range zoomSteps {
		if s > v.zoom+1e-6 {
			v.SetZoom(s)
			return
		}
	}
	v.SetZoom(maxZoom)
}

func (v *PageView) onZoomOutTapped() {
	for i := len(zoomSteps) - 1; i >= 0; i-- {
		if zoomSteps[i] < v.zoom-1e-6 {
			v.SetZoom(zoomSteps[i])
			return
		}
	}
	v.SetZoom(minZoom)
}

func (v *PageView) onFitWidthTapped() {
	if len(v.sizes) == 0 {
		return
	}
	w := v.sizes[v.current].w
	avail := float64(v.Scroll.Size().Width) - 2*pageGap - float64(theme.ScrollBarSize())
	if w > 0 && avail > 0 {
		v.SetZoom(avail / w)
	}
}

func (v *PageView) onThumbsToggleTapped() {
	if v.thumbPane.Visible() {
		v.thumbPane.Hide()
	} else {
		v.thumbPane.Show()
	}
	v.Refresh()
}

// PageMapper returns the mapping for page i, with Origin in the coordinates of the scrolled
// content (v.Scroll.Content): what a placement overlay on the pages needs. It reports false
// until the page has been shown once (its boxes are read when it is first rendered).
func (v *PageView) PageMapper(i int) (PageMapper, bool) {
	if i < 0 || i >= len(v.geoms) || v.geoms[i] == nil {
		return PageMapper{}, false
	}
	return PageMapper{Geometry: *v.geoms[i], Zoom: v.zoom, Origin: v.layout.origin(i)}, true
}

// PageAt returns the page under a position in content coordinates, or -1.
func (v *PageView) PageAt(p fyne.Position) int {
	for i := range v.sizes {
		o := v.layout.origin(i)
		w, h := v.sizes[i].w, v.sizes[i].h
		if p.X >= o.X && p.Y >= o.Y && p.X < o.X+float32(w*v.zoom) && p.Y < o.Y+float32(h*v.zoom) {
			return i
		}
	}
	return -1
}

func (v *PageView) relayout() {
	v.layout.invalidate()
	v.pages.Refresh()
	v.Scroll.Refresh()
	v.updateVisible()
}

func (v *PageView) setCurrent(i int) {
	if i == v.current && v.PageLabel.Text != "" {
		return
	}
	v.current = i
	v.refreshControls()
	if len(v.sizes) > 0 {
		v.Thumbs.Select(i)
		v.Thumbs.ScrollTo(i)
	}
	if v.OnPageChanged != nil {
		v.OnPageChanged(i, len(v.sizes))
	}
}

func (v *PageView) refreshControls() {
	n := len(v.sizes)
	if n == 0 {
		v.PageLabel.SetText("")
	} else {
		v.PageLabel.SetText(tr("pageview.page", map[string]any{"Page": v.current + 1, "Total": n}))
	}
	v.ZoomLabel.SetText(fmt.Sprintf("%.0f%%", v.zoom*100))
	setEnabled(v.Prev, n > 0 && v.current > 0)
	setEnabled(v.Next, n > 0 && v.current < n-1)
	setEnabled(v.ZoomIn, n > 0 && v.zoom < maxZoom)
	setEnabled(v.ZoomOut, n > 0 && v.zoom > minZoom)
	setEnabled(v.FitWidth, n > 0)
}

func setEnabled(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// dpi is the render resolution for the current zoom on this canvas (pixels per inch of paper).
func (v *PageView) dpi() int {
	scale := float32(1)
	if c := fyne.CurrentApp().Driver().CanvasForObject(v); c != nil {
		scale = c.Scale()
	}
	return max(1, min(maxDPI, int(math.Round(72*v.zoom*float64(scale)))))
}

// visibleRange is the first and last page that intersect the viewport.
func (v *PageView) visibleRange() (first, last int) {
	n := len(v.sizes)
	if n == 0 {
		return 0, -1
	}
	tops := v.layout.tops()
	top := v.Scroll.Offset.Y
	h := v.Scroll.Size().Height
	if h <= 0 {
		h = 800
	}
	bottom := top + h
	first = sort.Search(n, func(i int) bool { return tops[i]+v.pageHeight(i) >= top }) // first page ending below top
	last = sort.Search(n, func(i int) bool { return tops[i] > bottom }) - 1
	first = max(0, min(first, n-1))
	last = max(first, min(last, n-1))
	return first, last
}

func (v *PageView) pageHeight(i int) float32 {
	return float32(v.sizes[i].h * v.zoom)
}

// updateVisible renders what is (about to be) visible, drops images far away and updates the
// current page.
func (v *PageView) updateVisible() {
	if v.doc == nil || len(v.sizes) == 0 {
		return
	}
	first, last := v.visibleRange()
	// the current page is the one under the upper third of the viewport
	mark := v.Scroll.Offset.Y + v.Scroll.Size().Height/3
	tops := v.layout.tops()
	cur := first
	for i := first; i <= last; i++ {
		if tops[i] <= mark {
			cur = i
		}
	}
	v.setCurrent(cur)

	dpi := v.dpi()
	for i, s := range v.slots {
		// pages far from the viewport are hidden: the painter then skips them entirely
		if near := i >= first-keepAround && i <= last+keepAround; near != s.box.Visible() {
			if near {
				s.box.Show()
			} else {
				s.box.Hide()
			}
		}
		switch {
		case i >= first-renderAhead && i <= last+renderAhead:
			if s.dpi != dpi && s.pending != dpi {
				v.requestRender(i, dpi)
			}
		case i < first-keepAround || i > last+keepAround:
			if s.cancel != nil {
				s.cancel()
				s.cancel, s.pending = nil, 0
			}
			if s.dpi != 0 {
				s.img.Image, s.dpi = paper, 0
				s.img.Refresh()
			}
		}
	}
}

func (v *PageView) requestRender(i, dpi int) {
	s := v.slots[i]
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithCancel(v.ctx)
	s.cancel, s.pending = cancel, dpi
	gen, doc, needGeom := v.gen, v.doc, v.geoms[i] == nil
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		var geom PageGeometry
		var gerr error
		if needGeom {
			geom, gerr = doc.PageGeometry(i)
		}
		img, err := doc.Render(ctx, i, dpi)
		if ctx.Err() != nil {
			return
		}
		v.toUI(func() {
			if v.gen != gen {
				return
			}
			if needGeom && gerr == nil && v.geoms[i] == nil {
				v.geoms[i] = &geom
			}
			if s.pending != dpi || ctx.Err() != nil {
				return
			}
			s.pending, s.cancel = 0, nil
			if err != nil {
				s.showMessage(tr("documents.error.render", map[string]any{"Page": i + 1, "Reason": err.Error()}))
				return
			}
			if s.msg != nil {
				s.msg.Hide()
			}
			s.img.Image, s.dpi = img, dpi
			s.img.Refresh()
		})
	}()
}

// SlotImage returns the image shown for page i and its DPI (nil, 0 if none); for tests.
func (v *PageView) SlotImage(i int) (image.Image, int) {
	if i < 0 || i >= len(v.slots) || v.slots[i].dpi == 0 {
		return nil, 0
	}
	return v.slots[i].img.Image, v.slots[i].dpi
}

// showMessage shows text (an error) on the page; the label is made only when needed.
func (s *pageSlot) showMessage(text string) {
	if s.msg == nil {
		s.msg = widget.NewLabel("")
		s.msg.Wrapping = fyne.TextWrapWord
		s.box.Add(container.NewCenter(s.msg))
	}
	s.msg.SetText(text)
	s.msg.Show()
}

// SlotMessage returns the error shown on page i, if any; for tests.
func (v *PageView) SlotMessage(i int) string {
	if i < 0 || i >= len(v.slots) || v.slots[i].msg == nil || !v.slots[i].msg.Visible() {
		return ""
	}
	return v.slots[i].msg.Text
}

func (v *PageView) updateThumb(id widget.ListItemID, o fyne.CanvasObject) {
	c := o.(*fyne.Container)
	img := c.Objects[0].(*canvas.Image)
	label := c.Objects[1].(*widget.Label)
	label.SetText(fmt.Sprint(id + 1))
	if t, ok := v.thumbs[id]; ok {
		img.Image = t
		img.Refresh()
		return
	}
	img.Image = nil
	img.Refresh()
	if v.doc == nil || v.thumbPending[id] {
		return
	}
	v.thumbPending[id] = true
	gen, doc, ctx := v.gen, v.doc, v.ctx
	px := int(math.Round(thumbPx * float64(v.canvasScale())))
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		t, err := doc.Thumbnail(ctx, id, px)
		v.toUI(func() {
			if v.gen != gen {
				return
			}
			delete(v.thumbPending, id)
			if err != nil {
				return
			}
			v.thumbs[id] = t
			v.Thumbs.RefreshItem(id)
		})
	}()
}

func (v *PageView) canvasScale() float32 {
	if c := fyne.CurrentApp().Driver().CanvasForObject(v); c != nil {
		return c.Scale()
	}
	return 1
}

// ThumbnailImage returns the loaded thumbnail of page i (nil if not loaded); for tests.
func (v *PageView) ThumbnailImage(i int) image.Image { return v.thumbs[i] }

// pagesLayout stacks the pages vertically, centred, pageGap apart.
type pagesLayout struct {
	v      *PageView
	cached []float32 // top of each page; nil when stale
	width  float32   // widest page
	height float32
}

func (l *pagesLayout) invalidate() { l.cached = nil }

func (l *pagesLayout) tops() []float32 {
	if l.cached != nil && len(l.cached) == len(l.v.sizes) {
		return l.cached
	}
	l.cached = make([]float32, len(l.v.sizes))
	y := float32(pageGap)
	l.width = 0
	for i, sz := range l.v.sizes {
		w, h := sz.w, sz.h
		l.cached[i] = y
		y += float32(h*l.v.zoom) + pageGap
		l.width = max(l.width, float32(w*l.v.zoom))
	}
	l.height = y
	return l.cached
}

// origin is the top-left corner of page i in the pages container.
func (l *pagesLayout) origin(i int) fyne.Position {
	tops := l.tops()
	w := l.v.sizes[i].w
	total := max(l.width+2*pageGap, l.containerWidth())
	return fyne.NewPos((total-float32(w*l.v.zoom))/2, tops[i])
}

func (l *pagesLayout) containerWidth() float32 {
	if l.v.pages == nil {
		return 0
	}
	return l.v.pages.Size().Width
}

func (l *pagesLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.tops()
	for i, o := range objs {
		if i >= len(l.v.sizes) {
			break
		}
		w, h := l.v.sizes[i].w, l.v.sizes[i].h
		o.Move(l.origin(i))
		o.Resize(fyne.NewSize(float32(w*l.v.zoom), float32(h*l.v.zoom)))
	}
}

func (l *pagesLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	l.tops()
	return fyne.NewSize(l.width+2*pageGap, l.height)
}

// MinWidth is a layout that stretches its objects over its size and asks for at least w wide:
// a fixed side column without a split's handle.
func MinWidth(w float32) fyne.Layout { return minWidth{w} }

type minWidth struct{ w float32 }

func (l minWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.Position{})
		o.Resize(s)
	}
}

func (l minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.w, h)
}

func tr(key string, data ...any) string { return lang.L(key, data...) }
