package ui

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"math"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sealdesk/core/pdf"
	"sealdesk/ui/widgets"
)

// pagesRenderer is a Renderer for tests: page geometry from core/pdf, pages drawn as blank paper
// (the real renderer is PDFium, which these tests do not need).
type pagesRenderer struct{}

func (pagesRenderer) Open(_ context.Context, path string) (OpenDocument, error) {
	f, err := pdf.OpenFile(path, nil)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pages, err := f.Pages()
	if err != nil {
		return nil, err
	}
	d := &blankDoc{name: filepath.Base(path)}
	for _, p := range pages {
		d.geoms = append(d.geoms, widgets.PageGeometry{Crop: widgets.Rect{LLX: p.CropBox.LLX, LLY: p.CropBox.LLY, URX: p.CropBox.URX, URY: p.CropBox.URY}, Rotate: p.Rotate})
	}
	return d, nil
}

func (r pagesRenderer) OpenBytes(ctx context.Context, name string, data []byte) (OpenDocument, error) {
	return nil, errNoRenderer
}

type blankDoc struct {
	name  string
	geoms []widgets.PageGeometry
}

func (d *blankDoc) Name() string   { return d.name }
func (d *blankDoc) PageCount() int { return len(d.geoms) }
func (d *blankDoc) Close() error   { return nil }
func (d *blankDoc) PageSize(i int) (float64, float64, error) {
	w, h := d.geoms[i].DisplaySize()
	return w, h, nil
}
func (d *blankDoc) PageGeometry(i int) (widgets.PageGeometry, error) {
	return d.geoms[i], nil
}
func (d *blankDoc) Render(_ context.Context, i, dpi int) (image.Image, error) {
	w, h := d.geoms[i].DisplaySize()
	img := image.NewNRGBA(image.Rect(0, 0, int(w*float64(dpi)/72), int(h*float64(dpi)/72)))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	return img, nil
}
func (d *blankDoc) Thumbnail(ctx context.Context, i, maxPx int) (image.Image, error) {
	return d.Render(ctx, i, 10)
}

func newSendTest(t *testing.T, local *LocalServices) (*sendScreen, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(NewTheme())
	if err := SetLanguage(LangChinese); err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, nil)
	s := NewShell(a, w, Services{Settings: &memSettings{lang: LangChinese, dir: t.TempDir()}, Renderer: pagesRenderer{}, Local: local})
	w.SetContent(s.Content())
	w.Resize(fyne.NewSize(1200, 900))
	s.Show(NavSend)
	v := s.Screen(NavSend).(*sendScreen)
	v.tabs.Select(v.placeTab) // these tests start on 指定签署位置 (发起签署's envelope editor: compose_test.go)
	// Page renders wait for pv.Wait on the test's goroutine instead of racing it (fyne.Do of the
	// test driver runs on the worker).
	v.place.pv.DeferUpdatesForTest()
	v.sign.pv.DeferUpdatesForTest()
	return v, w
}

// absOfDisplay is the absolute position of a point given in display points of page i.
func absOfDisplay(p *widgets.PageView, i int, dx, dy float64) fyne.Position {
	m, _ := p.PageMapper(i)
	base := fyne.CurrentApp().Driver().AbsolutePositionForObject(p.Scroll.Content)
	return base.Add(m.Origin).Add(fyne.NewPos(float32(dx*m.Zoom), float32(dy*m.Zoom)))
}

// dragPalette drags a palette tile the way the GL driver reports it: drag events with the
// pointer's absolute position, ending over abs.
func dragPalette(it *widgets.PaletteItem, abs fyne.Position) {
	start := fyne.CurrentApp().Driver().AbsolutePositionForObject(it)
	it.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: start.AddXY(5, 5)}, Dragged: fyne.Delta{DX: 5, DY: 5}})
	it.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{AbsolutePosition: abs}, Dragged: fyne.Delta{DX: abs.X - start.X, DY: abs.Y - start.Y}})
	it.DragEnd()
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.75 }

// TestPlacementOnRotatedCroppedPage drops a signature box on a page with a CropBox and /Rotate 90,
// moves and resizes it, and checks the saved field's page and rectangle in PDF points.
func TestPlacementOnRotatedCroppedPage(t *testing.T) {
	crop := [4]float64{50, 100, 450, 700}
	in := writeTestPDF(t, "rotated.pdf", []testPage{
		{Media: [4]float64{0, 0, 595, 842}},
		{Media: [4]float64{0, 0, 600, 800}, Crop: &crop, Rotate: 90},
	})
	v, w := newSendTest(t, &LocalServices{Prefs: &memPrefs{}})
	p := v.place
	p.OpenFiles([]string{in})
	workers.drain(&p.wg)
	p.pv.Wait()
	if p.doc == nil {
		t.Fatalf("document not open: %q", p.status.Text)
	}
	p.pv.SetZoom(0.8)
	p.pv.ShowPage(1)
	p.pv.Wait()

	// Drop a 签名框 (120×48 as shown) centred at display point (200, 150) of page 2.
	dragPalette(p.palette[0], absOfDisplay(p.pv, 1, 200, 150))
	if len(p.boxes) != 1 || p.boxes[0].page != 1 {
		t.Fatalf("boxes %d (%q)", len(p.boxes), p.status.Text)
	}
	b := p.boxes[0]
	// Rotate 90: display (dx, dy) is user (LLX + dy, LLY + dx); the box is 48 wide and 120 high
	// in user space.
	want := widgets.Rect{LLX: 50 + 150 - 24, LLY: 100 + 200 - 60, URX: 50 + 150 + 24, URY: 100 + 200 + 60}
	if !near(b.rect.LLX, want.LLX) || !near(b.rect.LLY, want.LLY) || !near(b.rect.URX, want.URX) || !near(b.rect.URY, want.URY) {
		t.Fatalf("dropped box at %+v, want %+v", b.rect, want)
	}

	// Drag the box by (40, 20) display points (= widget units / zoom) with the test driver.
	p.overlay.Refresh()
	z := float32(p.pv.Zoom())
	center := fyne.CurrentApp().Driver().AbsolutePositionForObject(b.w).Add(fyne.NewPos(b.w.Size().Width/2, b.w.Size().Height/2))
	test.Drag(w.Canvas(), center, 40*z, 20*z)
	want = widgets.Rect{LLX: want.LLX + 20, LLY: want.LLY + 40, URX: want.URX + 20, URY: want.URY + 40}
	if !near(b.rect.LLX, want.LLX) || !near(b.rect.LLY, want.LLY) || !near(b.rect.URX, want.URX) || !near(b.rect.URY, want.URY) {
		t.Fatalf("moved box at %+v, want %+v", b.rect, want)
	}
	// Resize with the corner handle: 30 wider and 10 taller as shown.
	corner := fyne.CurrentApp().Driver().AbsolutePositionForObject(b.w.Handle).Add(fyne.NewPos(3, 3))
	test.Drag(w.Canvas(), corner, 30*z, 10*z)
	// Shown wider = user taller (y up to URY grows? display x is user y): URY + 30; shown taller =
	// user x grows to the right: URX + 10.
	want.URY += 30
	want.URX += 10
	if !near(b.rect.LLX, want.LLX) || !near(b.rect.LLY, want.LLY) || !near(b.rect.URX, want.URX) || !near(b.rect.URY, want.URY) {
		t.Fatalf("resized box at %+v, want %+v", b.rect, want)
	}

	// A box dropped at the page's corner stays inside the CropBox.
	p.recipient.SetSelectedIndex(1)
	dragPalette(p.palette[1], absOfDisplay(p.pv, 1, 5, 5))
	seal := p.boxes[1]
	if seal.rect.LLX < crop[0]-0.01 || seal.rect.LLY < crop[1]-0.01 || seal.rect.URX > crop[2]+0.01 || seal.rect.URY > crop[3]+0.01 {
		t.Fatalf("box outside the page: %+v", seal.rect)
	}
	// A drop outside every page adds nothing.
	dragPalette(p.palette[2], fyne.NewPos(-500, -500))
	// A box dragged far away stays on its page.
	test.Drag(w.Canvas(), fyne.CurrentApp().Driver().AbsolutePositionForObject(seal.w).Add(fyne.NewPos(20, 20)), -3000, -3000)
	if seal.rect.LLX < crop[0]-0.01 || seal.rect.LLY < crop[1]-0.01 {
		t.Fatalf("box dragged off the page: %+v", seal.rect)
	}
	// A third box, deleted again with its ×.
	test.Tap(p.palette[2])
	if len(p.boxes) != 3 {
		t.Fatalf("%d boxes after a tap on 日期", len(p.boxes))
	}
	test.Tap(p.boxes[2].w.Delete)
	if len(p.boxes) != 2 {
		t.Fatalf("%d boxes after delete", len(p.boxes))
	}

	// Zooming keeps every box over its place on the page.
	p.pv.SetZoom(1.3)
	p.pv.Wait()
	for _, bx := range p.boxes {
		m, _ := p.pv.PageMapper(bx.page)
		pos, size := m.UserRectToWidget(bx.rect)
		if bx.w.Position() != pos || bx.w.Size() != size {
			t.Fatalf("after zoom the box is at %v %v, its place at %v %v", bx.w.Position(), bx.w.Size(), pos, size)
		}
	}

	out := filepath.Join(t.TempDir(), "placed.pdf")
	p.saveTo(out)
	workers.drain(&p.wg)
	f, err := pdf.OpenFile(out, nil)
	if err != nil {
		t.Fatalf("%v (%s)", err, p.status.Text)
	}
	defer f.Close()
	fields, err := f.Fields()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]pdf.Field{}
	for _, fd := range fields {
		got[fd.Name] = fd
	}
	sig, ok := got["r1-sign-1"]
	if !ok || !sig.IsSignature() || sig.Value != nil || len(sig.Widgets) != 1 {
		t.Fatalf("fields %v", pdf.FieldNames(fields))
	}
	wr := sig.Widgets[0]
	if wr.Page != 2 || !near(wr.Rect.LLX, want.LLX) || !near(wr.Rect.LLY, want.LLY) || !near(wr.Rect.URX, want.URX) || !near(wr.Rect.URY, want.URY) {
		t.Fatalf("saved field on page %d at %+v, want page 2 at %+v", wr.Page, wr.Rect, want)
	}
	if _, ok := got["r2-seal-1"]; !ok || len(fields) != 2 {
		t.Fatalf("fields %v", pdf.FieldNames(fields))
	}
}
