package widgets

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/test"
)

// Bars are as tall as their values say (the largest fills the plot), the values and labels are
// drawn, and the software renderer draws the series colours (the PNG export path).
func TestBarChartGeometry(t *testing.T) {
	test.NewTempApp(t)
	red, blue := color.NRGBA{200, 30, 30, 255}, color.NRGBA{30, 60, 200, 255}
	c := NewBarChart([]string{"发送", "完成"}, []color.Color{red, blue})
	c.SetGroups([]BarGroup{{Label: "2026-10", Values: []int{4, 2}}, {Label: "2026-11", Values: []int{0, 0}}, {Label: "2026-12", Values: []int{8, 1}}})
	w := test.NewTempWindow(t, c)
	w.Resize(fyne.NewSize(600, 300))
	r := test.TempWidgetRenderer(t, c).(*barChartRenderer)
	r.Layout(fyne.NewSize(600, 300))
	if len(r.bars) != 6 || len(r.labels) != 3 {
		t.Fatalf("%d bars, %d labels", len(r.bars), len(r.labels))
	}
	h := func(i int) float32 { return r.bars[i].Size().Height }
	if h(4) <= h(0) || h(0) <= h(1) || h(2) != 0 || h(4) < 2*h(0)-1 || h(4) > 2*h(0)+1 {
		t.Errorf("bar heights %v %v %v %v", h(0), h(1), h(2), h(4))
	}
	if r.values[4].Text != "8" || r.values[2].Text != "" || r.labels[2].Text != "2026-12" {
		t.Errorf("texts: %q %q %q", r.values[4].Text, r.values[2].Text, r.labels[2].Text)
	}
	img := software.Render(c, test.Theme())
	found := map[color.NRGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bb, _ := img.At(x, y).RGBA()
			found[color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8), 255}] = true
		}
	}
	if !found[red] || !found[blue] {
		t.Error("the rendered chart lacks a series colour")
	}
}
