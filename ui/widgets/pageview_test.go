package widgets

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"os"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
)

// fakeDoc draws each page as a flat colour whose red channel is the page index, at the exact
// pixel size the geometry and dpi give.
type fakeDoc struct {
	name  string
	geoms []PageGeometry
	green uint8 // tells documents apart
	fail  map[int]bool

	mu      sync.Mutex
	renders map[[2]int]int // (page, dpi) → calls
}

func newFakeDoc(n int, green uint8) *fakeDoc {
	d := &fakeDoc{name: fmt.Sprintf("fake-%d", n), green: green, renders: map[[2]int]int{}, fail: map[int]bool{}}
	for i := 0; i < n; i++ {
		d.geoms = append(d.geoms, PageGeometry{Crop: Rect{0, 0, 595, 842}})
	}
	return d
}

func (d *fakeDoc) Name() string   { return d.name }
func (d *fakeDoc) PageCount() int { return len(d.geoms) }
func (d *fakeDoc) PageSize(i int) (float64, float64, error) {
	g, err := d.PageGeometry(i)
	w, h := g.DisplaySize()
	return w, h, err
}
func (d *fakeDoc) PageGeometry(i int) (PageGeometry, error) {
	if i < 0 || i >= len(d.geoms) {
		return PageGeometry{}, errors.New("range")
	}
	return d.geoms[i], nil
}
func (d *fakeDoc) Render(ctx context.Context, i, dpi int) (image.Image, error) {
	d.mu.Lock()
	d.renders[[2]int{i, dpi}]++
	d.mu.Unlock()
	if d.fail[i] {
		return nil, errors.New("broken content stream")
	}
	w, h := d.geoms[i].DisplaySize()
	img := image.NewRGBA(image.Rect(0, 0, int(math.Ceil(w*float64(dpi)/72)), int(math.Ceil(h*float64(dpi)/72))))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{uint8(i), d.green, 0, 255}), image.Point{}, draw.Src)
	return img, nil
}
func (d *fakeDoc) Thumbnail(ctx context.Context, i, maxPx int) (image.Image, error) {
	w, h := d.geoms[i].DisplaySize()
	return d.Render(ctx, i, max(1, int(float64(maxPx)*72/math.Max(w, h))))
}
func (d *fakeDoc) calls(i, dpi int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.renders[[2]int{i, dpi}]
}

// TestMain loads the UI's Chinese strings, as the app does, so labels read as a user sees them.
func TestMain(m *testing.M) {
	data, err := os.ReadFile("../translations/sealdesk.zh_Hans.json")
	if err != nil {
		panic(err)
	}
	for _, l := range []fyne.Locale{"en", "zh-Hans"} {
		if err := lang.AddTranslationsForLocale(data, l); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

func newTestView(t *testing.T) (*PageView, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	v := NewPageView()
	v.DeferUpdatesForTest()
	w := test.NewTempWindow(t, v)
	w.Resize(fyne.NewSize(900, 700))
	return v, w
}

func pageOf(img image.Image) int {
	r, _, _, _ := img.At(0, 0).RGBA()
	return int(r >> 8)
}

func TestPageViewShowsFirstPageAndOnlyNearbyPages(t *testing.T) {
	v, _ := newTestView(t)
	doc := newFakeDoc(200, 7)
	v.SetDocument(doc)
	v.Wait()
	img, dpi := v.SlotImage(0)
	if img == nil || pageOf(img) != 0 || dpi != 72 {
		t.Fatalf("page 1: image %v dpi %d", img != nil, dpi)
	}
	if b := img.Bounds(); b.Dx() != 595 || b.Dy() != 842 {
		t.Errorf("page 1 rendered %v at zoom 1", b)
	}
	if v.PageLabel.Text != "第 1 / 200 页" {
		t.Errorf("label %q", v.PageLabel.Text)
	}
	if !v.Prev.Disabled() || v.Next.Disabled() {
		t.Error("on page 1 prev must be disabled and next enabled")
	}
	rendered := 0
	for i := 0; i < 200; i++ {
		if img, _ := v.SlotImage(i); img != nil {
			rendered++
		}
	}
	if rendered == 0 || rendered > 4 {
		t.Errorf("%d pages rendered for a viewport showing page 1", rendered)
	}

	v.ShowPage(100)
	v.Wait()
	if v.CurrentPage() != 100 || v.PageLabel.Text != "第 101 / 200 页" {
		t.Errorf("after ShowPage(100): current %d label %q", v.CurrentPage(), v.PageLabel.Text)
	}
	if img, _ := v.SlotImage(100); img == nil || pageOf(img) != 100 {
		t.Error("page 101 not rendered")
	}
	if img, _ := v.SlotImage(0); img != nil {
		t.Error("page 1 kept its image far out of view")
	}
	test.Tap(v.Next)
	v.Wait()
	if v.CurrentPage() != 101 {
		t.Errorf("next: current %d", v.CurrentPage())
	}
	test.Tap(v.Prev)
	test.Tap(v.Prev)
	v.Wait()
	if v.CurrentPage() != 99 {
		t.Errorf("prev twice: current %d", v.CurrentPage())
	}
	// rendering is cached by the document; the view asks once per (page, dpi)
	if c := doc.calls(100, 72); c != 1 {
		t.Errorf("page 101 at 72 dpi rendered %d times", c)
	}
}

func TestPageViewZoom(t *testing.T) {
	v, _ := newTestView(t)
	doc := newFakeDoc(5, 1)
	v.SetDocument(doc)
	v.Wait()
	test.Tap(v.ZoomIn)
	v.Wait()
	if v.Zoom() != 1.1 || v.ZoomLabel.Text != "110%" {
		t.Errorf("zoom in: %v %q", v.Zoom(), v.ZoomLabel.Text)
	}
	if _, dpi := v.SlotImage(0); dpi != 79 {
		t.Errorf("page 1 at zoom 1.1 shown at %d dpi, want 79", dpi)
	}
	test.Tap(v.ZoomOut)
	test.Tap(v.ZoomOut)
	v.Wait()
	if v.Zoom() != 0.9 {
		t.Errorf("zoom out twice: %v", v.Zoom())
	}
	v.SetZoom(100)
	if v.Zoom() != maxZoom || !v.ZoomIn.Disabled() {
		t.Errorf("zoom clamps at %v (got %v), zoom-in disabled %v", maxZoom, v.Zoom(), v.ZoomIn.Disabled())
	}
	v.Wait()
	if _, dpi := v.SlotImage(v.CurrentPage()); dpi != 360 {
		t.Errorf("dpi at zoom 5 is %d, want 360", dpi)
	}
	test.Tap(v.FitWidth)
	v.Wait()
	m, _ := v.PageMapper(0)
	pw := float32(595 * m.Zoom)
	if avail := v.Scroll.Size().Width; pw > avail || pw < avail*0.8 {
		t.Errorf("fit width: page %v wide in a %v viewport", pw, avail)
	}
}

func TestPageViewGeometryLayoutAndHitTest(t *testing.T) {
	v, _ := newTestView(t)
	doc := newFakeDoc(3, 2)
	doc.geoms[1] = PageGeometry{Crop: Rect{50, 100, 450, 700}, Rotate: 90} // shown 600×400
	v.SetDocument(doc)
	v.Wait()
	v.SetZoom(0.5)
	v.Wait()
	m1, ok := v.PageMapper(1)
	if !ok {
		t.Fatal("no mapper for page 2")
	}
	img, dpi := v.SlotImage(1)
	if img == nil || dpi != 36 || img.Bounds().Dx() != 300 || img.Bounds().Dy() != 200 {
		t.Fatalf("rotated page: image %v at %d dpi", img.Bounds(), dpi)
	}
	box := v.pages.Objects[1]
	if box.Position() != m1.Origin || box.Size() != fyne.NewSize(300, 200) {
		t.Errorf("slot at %v %v, mapper origin %v", box.Position(), box.Size(), m1.Origin)
	}
	m0, _ := v.PageMapper(0)
	if m1.Origin.Y < m0.Origin.Y+float32(842*0.5) {
		t.Errorf("page 2 (y %v) overlaps page 1 (y %v)", m1.Origin.Y, m0.Origin.Y)
	}
	// a click 10 units right and 20 down from page 2's corner is user (50+20/0.5, 100+10/0.5)
	p := m1.Origin.Add(fyne.NewPos(10, 20))
	if got := v.PageAt(p); got != 1 {
		t.Errorf("PageAt = %d", got)
	}
	x, y := m1.WidgetToUser(p)
	if math.Abs(x-90) > 0.01 || math.Abs(y-120) > 0.01 {
		t.Errorf("user point (%v,%v), want (90,120)", x, y)
	}
	if v.PageAt(fyne.NewPos(1, 1)) != -1 {
		t.Error("the gap above page 1 hit a page")
	}
}

func TestPageViewErrorsThumbnailsAndStaleResults(t *testing.T) {
	v, w := newTestView(t)
	a := newFakeDoc(4, 10)
	a.fail[0] = true
	v.SetDocument(a)
	b := newFakeDoc(4, 20)
	v.SetDocument(b) // a's work is cancelled and its late results dropped
	v.Wait()
	img, _ := v.SlotImage(0)
	if img == nil {
		t.Fatal("page 1 of the second document not shown")
	}
	if _, g, _, _ := img.At(0, 0).RGBA(); g>>8 != 20 {
		t.Errorf("page 1 shows document with green %d, want the second (20)", g>>8)
	}
	if v.SlotMessage(0) != "" {
		t.Errorf("error of the first document shown: %q", v.SlotMessage(0))
	}

	c := newFakeDoc(4, 30)
	c.fail[1] = true
	v.SetDocument(c)
	v.Wait()
	if msg := v.SlotMessage(1); msg != "第 2 页无法显示：broken content stream" {
		t.Errorf("page 2 error message %q", msg)
	}
	w.Canvas().Refresh(v) // let the list create its rows
	v.Thumbs.Refresh()
	v.Wait()
	th := v.ThumbnailImage(0)
	if th == nil {
		t.Fatal("no thumbnail for page 1")
	}
	if b := th.Bounds(); max(b.Dx(), b.Dy()) > thumbPx || max(b.Dx(), b.Dy()) < thumbPx*9/10 {
		t.Errorf("thumbnail %v for %d px", b, thumbPx)
	}
	v.Thumbs.Select(3)
	v.Wait()
	if v.CurrentPage() != 3 {
		t.Errorf("selecting thumbnail 4 shows page %d", v.CurrentPage()+1)
	}
	v.SetDocument(nil)
	if v.PageLabel.Text != "" || !v.Next.Disabled() {
		t.Error("empty view still shows pages")
	}
}

// A page wider than the view is fitted to its width when shown (at 1024×640 the page was cut
// until 适合宽度 was tapped); a narrow window after the user chose a zoom keeps that zoom, and a
// page that fits stays at 100%.
func TestPageViewFitsWidePageByDefault(t *testing.T) {
	v, w := newTestView(t)
	w.Resize(fyne.NewSize(500, 600))
	v.SetDocument(newFakeDoc(3, 1))
	v.Wait()
	m, _ := v.PageMapper(0)
	if pw, avail := float32(595*m.Zoom), v.Scroll.Size().Width; v.Zoom() >= 1 || pw > avail || pw < avail*0.8 {
		t.Errorf("A4 in a %v-wide view: zoom %v, page %v wide", avail, v.Zoom(), pw)
	}
	w.Resize(fyne.NewSize(900, 1000))
	v.Wait()
	if v.Zoom() != 1 {
		t.Errorf("after widening the window the page stays at zoom %v, want 1 (it fits)", v.Zoom())
	}
	test.Tap(v.ZoomIn)
	w.Resize(fyne.NewSize(500, 600))
	v.Wait()
	if v.Zoom() != 1.1 {
		t.Errorf("the user's zoom 1.1 became %v on resize", v.Zoom())
	}
}
