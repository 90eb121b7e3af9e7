package verify

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"

	"sealdesk/core/pdf"
)

// Signed ink lines: signed text that is not text (red team s8 F3). The rule for signed text of
// coverink.go reads its lines from PDFium's text page, so a line that the signed page draws as
// an image (a scanned contract, a rasterised or 1-bit /ImageMask line) or as vector outlines
// of glyphs (text converted to paths) had no line: a Stamp drawing a "1" in the 4-pt gap
// before "1,250.00" was judged valid while every reader showed "USD11,250.00". So the lines of
// signed ink are also found in the signed rendering itself, whatever drew them:
//
//   - Ink is a pixel of the signed rendering darker than inkLineInk (coverInk). Its
//     8-connected parts that are glyph-sized — inkGlyphMinH to inkGlyphMaxH pixels high at
//     coverDPI (a 3 pt to a 60 pt font's digits), at most inkGlyphMaxAspect times as wide as
//     high (several glyphs that touch, as in a scan, are one part) — are glyphs; longer rules,
//     frames, table grids and pictures are not.
//   - Glyphs whose centre lies in the box of a PDFium text run are left out (that line is
//     already judged, and invisible OCR text over a scan gives the scan's lines their runs).
//   - The others, in order along the page's x axis, join a line when they overlap it across by
//     half the smaller height and lie at most inkLineGap times the line's tallest glyph away.
//     A line of at least inkLineMinGlyphs glyphs, or at least inkLineMinWidth times as wide as
//     its tallest glyph (digits that touch in a scan are one part), or a lone part at least
//     inkLoneMinH pixels high (a digit alone in a table cell, an empty check box drawn as
//     lines: red team s9 F12 ticked a box 16 pt from its label), is a run of signed text
//     for coverink.go: its box is the ink's extent along the line and, across it, at least an
//     em centred on the ink, the em being inkEmPerHeight times the tallest glyph (once glyphs
//     over twice the median height are left out): Helvetica's ascent plus descent over its
//     digits' height. The marks, erasure, highlight, underline and frame rules of coverink.go
//     then apply to it as to a text run.
//   - The signed rendering is the one the cover check compares: when it is rendered only
//     around the changes (coverregion.go), lines are found in that region, which reaches
//     coverRegionMargin beyond every change, so the glyphs next to a mark are in it.
//   - Budget: one pass over the rendered pixels to find the parts (about 5 ms of CPU for a
//     whole scanned page at coverDPI), and lines are built from at most maxInkGlyphs glyphs
//     (more is reported as too complex to check, MaxInkGlyphs); joining a line looks only at
//     the lines that end within reach of the glyph.
//
// What is left: lines are only found along the displayed page's rows (text set vertically in
// an image is not); a lone glyph under inkLoneMinH pixels (a 6 pt font's digit) is no line; text lighter
// than inkLineInk (a pale scan) has no glyphs; and, as for text runs, coverink.go sees marks
// only on paper as light as the line's own paper (paperLevel: a grey scan's paper counts, paper
// darker than paperDarkest does not). Glyph-sized ink that is not text (a barcode's
// bars, the characters of a seal image, a signed annotation's or field's text) makes lines
// too: an annotation drawn within an em of it is reported as a mark, which is stricter, never
// laxer (a later signature's widget and a field's own area are exempt, as in coverink.go).

const (
	inkLineInk        = coverInk // a signed pixel darker than this is ink
	inkGlyphMinH      = 3        // pixels: the shortest glyph (a 3 pt font's digits at coverDPI)
	inkGlyphMaxH      = 60       // pixels: the tallest glyph (a 60 pt font's digits)
	inkGlyphMaxAspect = 10       // a part wider than this times its height is a rule, not glyphs
	inkLineGap        = 2.0      // a glyph at most this times the line's glyph height away joins it
	inkLineMinGlyphs  = 2        // glyphs needed for a line, unless it is wide:
	inkLineMinWidth   = 1.5      // a part this many times as wide as high is glyphs that touch
	inkLoneMinH       = 8        // pixels: a lone glyph-sized part this high is a line of its own (a 6 pt box or digit)
	inkEmPerHeight    = 1.3      // em over the tallest glyph's height (Helvetica: 0.925 / 0.718)
	// maxInkGlyphs bounds the glyphs that lines are built from on one rendered page.
	maxInkGlyphs = 50000
)

// coverInkLines can be turned off by tests, to show the rows that need the ink lines.
var coverInkLines = true

// signedInkLines returns the lines of glyph-sized signed ink in o, the signed rendering (toUser
// maps its pixels to user space), that no text run of runs covers, as text runs (see the top
// of this file).
func signedInkLines(ctx context.Context, o *image.RGBA, runs []textRun, toUser func(px, py float64) (float64, float64)) ([]textRun, error) {
	b := o.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, nil
	}
	ink := make([]bool, w*h)
	for y := 0; y < h; y++ {
		if y%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pix := o.Pix[o.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := 0; x < w; x++ {
			p := pix[4*x : 4*x+3 : 4*x+3]
			ink[y*w+x] = (2126*int(p[0])+7152*int(p[1])+722*int(p[2]))/10000 < inkLineInk // lum
		}
	}
	// The text runs' boxes, as a count per pixel through a 2D prefix sum (O(runs + pixels)).
	var covered []int32
	if len(runs) > 0 {
		covered = make([]int32, (w+1)*(h+1))
		for _, r := range runs {
			p := userToPixels(toUser, r.box, b).Sub(b.Min)
			if p.Empty() {
				continue
			}
			covered[p.Min.Y*(w+1)+p.Min.X]++
			covered[p.Min.Y*(w+1)+p.Max.X]--
			covered[p.Max.Y*(w+1)+p.Min.X]--
			covered[p.Max.Y*(w+1)+p.Max.X]++
		}
		for y := 0; y < h; y++ {
			row := covered[y*(w+1) : y*(w+1)+w]
			var above []int32
			if y > 0 {
				above = covered[(y-1)*(w+1) : (y-1)*(w+1)+w]
			}
			var sum int32
			for x := range row {
				sum += row[x]
				row[x] = sum
				if above != nil {
					row[x] += above[x]
				}
			}
		}
	}
	// Glyphs: the 8-connected parts of the ink that are glyph-sized and not in a text run.
	var glyphs []image.Rectangle
	var stack []int32
	for s := range ink {
		if !ink[s] {
			continue
		}
		if len(glyphs) > maxInkGlyphs {
			return nil, &appearanceBudgetError{"MaxInkGlyphs", fmt.Sprintf("the signed page has more than %d glyph-sized parts of ink", maxInkGlyphs)}
		}
		ink[s] = false
		stack = append(stack[:0], int32(s))
		box := image.Rect(s%w, s/w, s%w+1, s/w+1)
		for len(stack) > 0 {
			i := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			x, y := i%w, i/w
			box = box.Union(image.Rect(x, y, x+1, y+1))
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := x+dx, y+dy
					if xx < 0 || yy < 0 || xx >= w || yy >= h {
						continue
					}
					if j := yy*w + xx; ink[j] {
						ink[j] = false
						stack = append(stack, int32(j))
					}
				}
			}
		}
		gh, gw := box.Dy(), box.Dx()
		if gh < inkGlyphMinH || gh > inkGlyphMaxH || gw > inkGlyphMaxAspect*gh {
			continue
		}
		if covered != nil {
			c := image.Pt((box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2)
			if covered[c.Y*(w+1)+c.X] > 0 {
				continue
			}
		}
		glyphs = append(glyphs, box.Add(b.Min))
	}
	// Lines, along x.
	sort.Slice(glyphs, func(i, j int) bool {
		if glyphs[i].Min.X != glyphs[j].Min.X {
			return glyphs[i].Min.X < glyphs[j].Min.X
		}
		return glyphs[i].Min.Y < glyphs[j].Min.Y
	})
	type line struct {
		box     image.Rectangle
		gh      int   // the tallest glyph's height
		heights []int // every glyph's height
	}
	var lines []*line
	var active []*line
	for _, g := range glyphs {
		// Lines that end beyond reach of g (and of every later glyph) are done.
		k := 0
		for _, l := range active {
			if float64(g.Min.X-l.box.Max.X) <= inkLineGap*float64(l.gh) {
				active[k] = l
				k++
			}
		}
		active = active[:k]
		var best *line
		bestOver := 0
		for _, l := range active {
			over := min(l.box.Max.Y, g.Max.Y) - max(l.box.Min.Y, g.Min.Y)
			gap := g.Min.X - l.box.Max.X
			if 2*over < min(l.gh, g.Dy()) || float64(gap) > inkLineGap*float64(l.gh) {
				continue
			}
			if best == nil || over > bestOver {
				best, bestOver = l, over
			}
		}
		if best == nil {
			best = &line{box: g}
			lines = append(lines, best)
			active = append(active, best)
		} else {
			best.box = best.box.Union(g)
		}
		best.gh = max(best.gh, g.Dy())
		best.heights = append(best.heights, g.Dy())
	}
	px := 72.0 / coverDPI // points per pixel
	ux0, uy0 := toUser(0, 0)
	ux1, uy1 := toUser(1, 0)
	vertical := math.Abs(uy1-uy0) > math.Abs(ux1-ux0) // the page's rows run along user y
	var out []textRun
	for _, l := range lines {
		if len(l.heights) < inkLineMinGlyphs && float64(l.box.Dx()) < inkLineMinWidth*float64(l.gh) && l.gh < inkLoneMinH {
			continue
		}
		hs := append([]int(nil), l.heights...)
		sort.Ints(hs)
		med := hs[len(hs)/2]
		gh := 0
		for _, v := range hs {
			if v <= 2*med {
				gh = v
			}
		}
		em := inkEmPerHeight * float64(gh)
		y0, y1 := float64(l.box.Min.Y), float64(l.box.Max.Y)
		if y1-y0 < em {
			c := (y0 + y1) / 2
			y0, y1 = c-em/2, c+em/2
		}
		ax, ay := toUser(float64(l.box.Min.X), y0)
		bx, by := toUser(float64(l.box.Max.X), y1)
		out = append(out, textRun{
			box:      pdf.Rect{LLX: min(ax, bx), LLY: min(ay, by), URX: max(ax, bx), URY: max(ay, by)},
			em:       em * px,
			vertical: vertical,
		})
	}
	return out, nil
}
