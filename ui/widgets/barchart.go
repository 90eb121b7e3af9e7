package widgets

import (
	"image/color"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// BarGroup is one category of a grouped bar chart: a label under it and one value per series.
type BarGroup struct {
	Label  string
	Values []int
}

// BarChart draws grouped bars (one colour per series) with a legend, the value above every
// non-zero bar and the category labels below, in Fyne canvas objects, so the same drawing is on
// screen and in an exported PNG (software.Render). It scales to any size; an empty chart (all
// zeros) draws its axis only.
type BarChart struct {
	widget.BaseWidget
	Series []string      // legend names, one per value of a group
	Colors []color.Color // one per series
	Groups []BarGroup
}

// NewBarChart returns a chart of the series with the given colours.
func NewBarChart(series []string, colors []color.Color) *BarChart {
	c := &BarChart{Series: series, Colors: colors}
	c.ExtendBaseWidget(c)
	return c
}

// SetGroups replaces the data and redraws.
func (c *BarChart) SetGroups(g []BarGroup) {
	c.Groups = g
	c.Refresh()
}

// Max is the largest value in the chart (0 when empty).
func (c *BarChart) Max() int {
	m := 0
	for _, g := range c.Groups {
		for _, v := range g.Values {
			m = max(m, v)
		}
	}
	return m
}

// CreateRenderer implements fyne.Widget.
func (c *BarChart) CreateRenderer() fyne.WidgetRenderer {
	r := &barChartRenderer{c: c, bg: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground)),
		axis: canvas.NewLine(theme.Color(theme.ColorNameForeground))}
	r.rebuild()
	return r
}

// MinSize is small enough for a narrow window; the bars grow with the space given.
func (c *BarChart) MinSize() fyne.Size {
	c.ExtendBaseWidget(c)
	return fyne.NewSize(320, 180)
}

type barChartRenderer struct {
	c       *BarChart
	bg      *canvas.Rectangle
	axis    *canvas.Line
	bars    []*canvas.Rectangle
	values  []*canvas.Text
	labels  []*canvas.Text
	legend  []fyne.CanvasObject
	objects []fyne.CanvasObject
}

func (r *barChartRenderer) rebuild() {
	fg := theme.Color(theme.ColorNameForeground)
	size := theme.CaptionTextSize()
	r.bars, r.values, r.labels, r.legend = nil, nil, nil, nil
	for _, g := range r.c.Groups {
		for i, v := range g.Values {
			b := canvas.NewRectangle(r.color(i))
			r.bars = append(r.bars, b)
			t := canvas.NewText("", fg)
			if v > 0 {
				t.Text = strconv.Itoa(v)
			}
			t.TextSize = size
			t.Alignment = fyne.TextAlignCenter
			r.values = append(r.values, t)
		}
		l := canvas.NewText(g.Label, fg)
		l.TextSize = size
		l.Alignment = fyne.TextAlignCenter
		r.labels = append(r.labels, l)
	}
	for i, s := range r.c.Series {
		sw := canvas.NewRectangle(r.color(i))
		sw.SetMinSize(fyne.NewSize(12, 12))
		t := canvas.NewText(s, fg)
		t.TextSize = size
		r.legend = append(r.legend, sw, t)
	}
	r.objects = []fyne.CanvasObject{r.bg, r.axis}
	for _, b := range r.bars {
		r.objects = append(r.objects, b)
	}
	for _, t := range r.values {
		r.objects = append(r.objects, t)
	}
	for _, t := range r.labels {
		r.objects = append(r.objects, t)
	}
	r.objects = append(r.objects, r.legend...)
}

func (r *barChartRenderer) color(i int) color.Color {
	if i < len(r.c.Colors) {
		return r.c.Colors[i]
	}
	return theme.Color(theme.ColorNamePrimary)
}

func (r *barChartRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	pad := theme.Padding() * 2
	text := theme.CaptionTextSize() + 4
	// legend along the top
	x := pad
	for i := 0; i+1 < len(r.legend); i += 2 {
		sw, t := r.legend[i], r.legend[i+1].(*canvas.Text)
		sw.Move(fyne.NewPos(x, pad+2))
		sw.Resize(fyne.NewSize(12, 12))
		x += 16
		t.Move(fyne.NewPos(x, pad))
		tw := fyne.MeasureText(t.Text, t.TextSize, t.TextStyle).Width
		t.Resize(fyne.NewSize(tw, text))
		x += tw + 2*pad
	}
	top := pad + text + pad + text // legend, then room for the tallest bar's value
	bottom := size.Height - pad - text
	left, right := pad, size.Width-pad
	r.axis.Position1 = fyne.NewPos(left, bottom)
	r.axis.Position2 = fyne.NewPos(right, bottom)
	n := len(r.c.Groups)
	if n == 0 {
		return
	}
	series := max(1, len(r.c.Series))
	groupW := (right - left) / float32(n)
	barW := groupW * 0.8 / float32(series)
	m := float32(max(1, r.c.Max()))
	k := 0
	for gi, g := range r.c.Groups {
		gx := left + groupW*float32(gi) + groupW*0.1
		for i, v := range g.Values {
			h := (bottom - top) * float32(v) / m
			b := r.bars[k]
			b.Move(fyne.NewPos(gx+barW*float32(i), bottom-h))
			b.Resize(fyne.NewSize(max(1, barW-1), h))
			t := r.values[k]
			t.Move(fyne.NewPos(gx+barW*float32(i), bottom-h-text))
			t.Resize(fyne.NewSize(barW, text))
			k++
		}
		l := r.labels[gi]
		l.Move(fyne.NewPos(left+groupW*float32(gi), bottom+2))
		l.Resize(fyne.NewSize(groupW, text))
	}
}

func (r *barChartRenderer) MinSize() fyne.Size { return r.c.MinSize() }

func (r *barChartRenderer) Refresh() {
	r.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.axis.StrokeColor = theme.Color(theme.ColorNameForeground)
	r.rebuild()
	r.Layout(r.c.Size())
	canvas.Refresh(r.c)
}

func (r *barChartRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *barChartRenderer) Destroy() {}
