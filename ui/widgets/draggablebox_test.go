package widgets

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

func TestDraggableBoxMovesResizesDeletes(t *testing.T) {
	test.NewTempApp(t)
	b := NewDraggableBox("签名框", color.NRGBA{0x1e, 0x88, 0xe5, 0xff})
	var moved, resized fyne.Delta
	ends, deleted, tapped := 0, 0, 0
	b.OnDragged = func(d fyne.Delta) { moved.DX += d.DX; moved.DY += d.DY }
	b.OnResized = func(d fyne.Delta) { resized.DX += d.DX; resized.DY += d.DY }
	b.OnDragEnd = func() { ends++ }
	b.OnDeleted = func() { deleted++ }
	b.OnTapped = func() { tapped++ }
	layer := container.NewWithoutLayout(b)
	w := test.NewTempWindow(t, layer)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(400, 300))
	b.Move(fyne.NewPos(100, 100))
	b.Resize(fyne.NewSize(120, 60))
	b.Refresh()

	test.Drag(w.Canvas(), fyne.NewPos(130, 120), 15, -5) // the body
	if moved != (fyne.Delta{DX: 15, DY: -5}) || resized != (fyne.Delta{}) || ends != 1 {
		t.Fatalf("body drag: moved %v resized %v ends %d", moved, resized, ends)
	}
	test.Drag(w.Canvas(), fyne.NewPos(100+120-4, 100+60-4), 30, 10) // the corner handle
	if resized != (fyne.Delta{DX: 30, DY: 10}) || moved != (fyne.Delta{DX: 15, DY: -5}) || ends != 2 {
		t.Fatalf("handle drag: moved %v resized %v", moved, resized)
	}
	test.Tap(b.Delete)
	test.Tap(b)
	if deleted != 1 || tapped != 1 {
		t.Fatalf("deleted %d tapped %d", deleted, tapped)
	}
}

func TestPaletteItemDrops(t *testing.T) {
	test.NewTempApp(t)
	p := NewPaletteItem("盖章框", color.NRGBA{0xe5, 0x39, 0x35, 0xff})
	var got []fyne.Position
	p.OnDropped = func(abs fyne.Position) { got = append(got, abs) }
	w := test.NewTempWindow(t, p)
	w.Resize(fyne.NewSize(200, 100))
	test.Drag(w.Canvas(), fyne.NewPos(20, 20), 50, 30)
	test.Tap(p) // a tap is not a drop
	if len(got) != 1 {
		t.Fatalf("drops %v", got)
	}
}
