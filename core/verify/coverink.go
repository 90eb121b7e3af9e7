package verify

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/raster"
)

// Signed text is signed content for additions too (red team s7 G12). The cover check of
// cover.go asks whether signed ink was lost; it let additions anywhere that was paper, so a
// 1.8 pt dot between two digits ("1000000" → "1000.000"), a "1" or a minus in the word space
// before an amount, or a "0" after it changed the number in every reader and was judged valid,
// and a white line 1.2 pt thick through "100 USD" lost too little of each cell's ink to count.
// For text the unit of meaning is the line, so:
//
//   - The signed revision's page text is read with PDFium's text page (the fonts as the
//     renderer reads them): each character's loose box (advance width × the font's ascent and
//     descent), joined into runs along a line while the gap is under textRunGap em, each run
//     grown by textMarginX em along the line (across it the loose box already reaches above
//     the digits and below the baseline). The runs' areas are signed text: an added "1" (about
//     0.55 em wide) before the first digit or a "0" after the last lies inside them, and so
//     does every word space of the line.
//   - Inside those areas, paper (a signed pixel at least as light as inkPaper) that becomes
//     darker by markDarker or more is marked; so, in a second pass with the same rules, is paper
//     only tinted — a colour channel down by markChannel (a saturated yellow "1" is light to the
//     luminance yet plainly readable, red team s9 F2) — unless the tint lies over signed glyphs
//     or is shorter than tintMinSize em. Marked pixels are joined into marks (across gaps
//     of up to 7 pixels, so a stroke crossing a glyph's stem stays one), and a mark of at least
//     inkMinPixels pixels is a changed reading of the line, except:
//     a highlight — mostly inside a band of one even tint (within markBandTint) across the
//     middle of the line's height, at least markBandWidth em wide, its pixels no darker than
//     the band: what a highlight multiplied over the text draws, yellow, green or pink alike (a
//     mid-grey or pink "1" is a narrow stroke, not a band, and a black "1" inside a band is
//     darker than the band);
//     an underline or a strike-out — mostly in rows of marks and signed ink kept dark at least
//     ruleLength em long, or a thin stroke that long (a minus is 0.58 em, an em dash 1 em);
//     a frame or a circle drawn around the text — a thin stroke at least an em long that
//     leaves the line's area above or below and there turns along the line, at least frameTurn
//     em to one side within frameReach em of the line (a "1", a bar or a "7" taller than the
//     line goes straight on or turns less: it is a mark).
//   - Inside those areas, a pixel of a signed glyph's body (darker than glyphInk) that becomes
//     lighter by eraseLighter is erased, unless the paper around it was tinted (a translucent
//     highlight drawn without Multiply) and the glyph kept at least half of its contrast with
//     that paper. Two renderings of unchanged content by the same engine at the same DPI and
//     over the same region are identical pixel for pixel (every twin of TestCoverInkRows and
//     of the cover rows), so no tolerance for noise is needed; erased pixels, joined, are
//     reported when they number inkMinPixels (a white line 0.3 pt thick through "100.00"
//     is; the cover rules of cover.go let up to 45 % of a cell's ink go).
//   - Marks are reported with their regions as ChangeMarksText, erasures as
//     ChangeCoversContent.
//
// What is left: text set vertically gets its areas but no highlight bands or rules; a glyph
// taller than the line whose stroke turns at least an em along it outside the line (a frame's
// corner, or a "7" with a bar an em long) passes as a frame.
//
// Not judged by these two rules: areas where a signed annotation or field changed its own
// appearance (a field filled next to its label is what was signed for) and the masks. The widget
// of an intact later signature is judged by these rules too, except inside its own visible
// drawing when that drawing has a seal's or a signature's size (sealSize em both ways): there a
// mark that is strongly coloured (a seal's red), or joined by strongly drawn pixels to strokes an
// em beyond the line (a ring, a signature's loop), is part of the seal and not judged, and a glyph
// pixel it recolours in a strong colour stays inked, while white or grey over it is an erasure:
// a second party's seal over "乙方（盖章）：" is the product's own flow, and its signer is identified
// and listed. A later signature whose widget draws only a "1" in the gap before an amount (red
// team s8 F2), or a dark character inside the line within a seal-sized drawing (s9 F1: a ring
// below the amount and black strokes turning "3" into "8"), is a mark. A later signature drawn
// over an earlier signature's own appearance (iText signs twice in one box) is not judged, but
// the page's own text inside that box is (s9 F3). What is left: a seal may add strokes in its
// own strong colour inside the line (a red "1" within a red seal); its signer is named on the
// card.

const (
	textRunGap    = 2.0  // em: a wider gap between two characters of a line starts a new run
	textMarginX   = 1.0  // em grown along the line at each end of a run
	textMarginY   = 0    // em grown across the line: the loose box already reaches the font's ascent and descent
	inkPaper      = 235  // a signed pixel at least this light is paper (on white; see paperLevel)
	paperMargin   = 8    // a pixel this much darker than its area's paper is still paper
	paperDarkest  = 176  // the darkest paper a line's area can have
	markDarker    = 32   // paper darker by this much is a mark
	markChannel   = 64   // paper whose red, green or blue drops by this much is a mark (a yellow "1")
	tintMinSize   = 0.4  // em: the least length of such a light mark (a yellow "1" is 0.7 em tall)
	markBandTint  = 24   // the spread of a highlight band's tint
	markBandWidth = 0.5  // em: the narrowest highlight band
	eraseLighter  = 48   // a glyph pixel lighter by this much is erased (unless tinted)
	inkMinPixels  = 2    // connected pixels needed to report a mark or an erasure
	ruleLength    = 1.25 // em: the shortest underline or strike-out (an em dash is 1 em, a minus 0.58)
	sealStrong    = 96   // a widget pixel changed by this much is part of what it visibly draws
	sealSize      = 2.5  // em: the least width and height of a seal's or signature's drawing
	uprightHeight = 0.5  // em: the least height of a stroke standing on a band or a rule
	sealChroma    = 96   // a pixel whose channels spread this much is coloured ink
	frameTurn     = 1.0  // em: how far a frame's or circle's stroke turns along the line beyond its edge
	frameReach    = 3.0  // em beyond the line's area where that turn is looked for
	// maxTextChars bounds the characters read from one signed page's text.
	maxTextChars = 40000
)

// coverInkRules can be turned off by tests, to show the rows that need these rules.
var coverInkRules = true

// textRun is a run of signed text: the union of its characters' loose boxes, the em (the
// boxes' height across the line) and whether it is set vertically.
type textRun struct {
	box      pdf.Rect
	em       float64
	vertical bool
	content  bool // read from the page's own text (PDFium's text page), not found in its ink
}

// area is the run's signed-text area (see the top of this file).
func (r textRun) area() pdf.Rect {
	mx, my := textMarginX*r.em, textMarginY*r.em
	if r.vertical {
		mx, my = my, mx
	}
	return pdf.Rect{LLX: r.box.LLX - mx, LLY: r.box.LLY - my, URX: r.box.URX + mx, URY: r.box.URY + my}
}

// signedTextRuns reads the runs of signed text on page p (1-based) of the signed revision od.
func signedTextRuns(ctx context.Context, od raster.Document, p int) ([]textRun, error) {
	chars, err := od.Text(ctx, p-1, maxTextChars)
	if errors.Is(err, raster.ErrTooManyChars) {
		return nil, &appearanceBudgetError{"MaxTextChars", fmt.Sprintf("the signed page has more than %d characters", maxTextChars)}
	}
	if err != nil {
		return nil, err
	}
	var runs []textRun
	for _, c := range chars {
		if c.Rune == ' ' || c.Rune == 0xa0 || c.Rune == '\r' || c.Rune == '\n' {
			continue // spaces join by the gap rule; a space's own box can be odd
		}
		vertical := math.Abs(math.Sin(c.Angle)) > math.Sqrt2/2
		em := c.Box.Height()
		if vertical {
			em = c.Box.Width()
		}
		if !(em > 0) {
			continue
		}
		if k := len(runs) - 1; k >= 0 && runs[k].vertical == vertical && sameLine(runs[k], c.Box, em) {
			b := runs[k].box
			runs[k].box = pdf.Rect{LLX: min(b.LLX, c.Box.LLX), LLY: min(b.LLY, c.Box.LLY), URX: max(b.URX, c.Box.URX), URY: max(b.URY, c.Box.URY)}
			runs[k].em = max(runs[k].em, em)
			continue
		}
		runs = append(runs, textRun{box: pdf.Rect{LLX: c.Box.LLX, LLY: c.Box.LLY, URX: c.Box.URX, URY: c.Box.URY}, em: em, vertical: vertical, content: true})
	}
	return runs, nil
}

// sameLine reports whether a character box b (em high across its line) continues run r: on the
// same line (across it, the boxes overlap by half an em) and at most textRunGap em away along it.
func sameLine(r textRun, b raster.Rect, em float64) bool {
	e := max(r.em, em)
	if r.vertical {
		over := min(r.box.URX, b.URX) - max(r.box.LLX, b.LLX)
		gap := max(b.LLY-r.box.URY, r.box.LLY-b.URY)
		return over >= 0.5*min(r.em, em) && gap <= textRunGap*e
	}
	over := min(r.box.URY, b.URY) - max(r.box.LLY, b.LLY)
	gap := max(b.LLX-r.box.URX, r.box.LLX-b.URX)
	return over >= 0.5*min(r.em, em) && gap <= textRunGap*e
}

// inkChanges compares the signed rendering o with the new one n (same bounds) over the signed
// text runs and returns the regions (in pixels) of marks and of erased glyph pixels, outside
// the exempt pixel rectangles. seals are the widgets of intact later signatures: a mark inside
// one is no change of reading when it lies inside that widget's drawing and the drawing is a
// seal's or a signature's size (see sealDrawing).
func inkChanges(o, n *image.RGBA, runs []textRun, toUser func(px, py float64) (float64, float64), exempt, seals, signedBoxes []image.Rectangle) (marks, erased []image.Rectangle) {
	b := o.Bounds()
	w, h := b.Dx(), b.Dy()
	d := diffBounds(o, n)
	if d.Empty() || len(runs) == 0 {
		return nil, nil
	}
	scale := 1 / (72.0 / coverDPI) // pixels per point
	const (
		inText = 1 << iota
		isMark
		isErased
		isBand
	)
	flag := make([]uint8, w*h)
	emAt := make([]float32, w*h)  // the largest em (pixels) of the runs whose areas hold a pixel
	paperAt := make([]uint8, w*h) // the least paper level of those runs (see paperLevel)
	for i := range paperAt {
		paperAt[i] = inkPaper
	}
	var pr []pixelRun
	var areas []image.Rectangle
	for _, r := range runs {
		area := userToPixels(toUser, r.area(), b).Intersect(d.Inset(-4))
		if area.Empty() {
			continue
		}
		pr = append(pr, pixelRun{box: userToPixels(toUser, r.box, b), area: area, em: r.em * scale, vertical: r.vertical, content: r.content})
		areas = append(areas, area)
		level := uint8(paperLevel(o, area))
		for y := area.Min.Y; y < area.Max.Y; y++ {
			for x := area.Min.X; x < area.Max.X; x++ {
				i := (y-b.Min.Y)*w + x - b.Min.X
				flag[i] |= inText
				emAt[i] = max(emAt[i], float32(r.em*scale))
				paperAt[i] = min(paperAt[i], level)
			}
		}
	}
	// paper reports whether the signed pixel (x, y) is paper: as light as its line's paper.
	paper := func(x, y int) bool { return lum(o, x, y) >= int(paperAt[(y-b.Min.Y)*w+x-b.Min.X]) }
	for _, e := range exempt {
		e = e.Intersect(b)
		for y := e.Min.Y; y < e.Max.Y; y++ {
			for x := e.Min.X; x < e.Max.X; x++ {
				flag[(y-b.Min.Y)*w+x-b.Min.X] &^= inText
			}
		}
	}
	at := func(x, y int) int { return (y-b.Min.Y)*w + x - b.Min.X }
	drawings := make([]image.Rectangle, len(seals))
	for i, r := range seals {
		drawings[i] = sealDrawing(o, n, r)
	}
	// Marks are found in two passes that share the rules below: paper darkened (the luminance
	// drops by markDarker), then paper only tinted (a colour channel drops by markChannel while
	// the luminance drops less: a saturated yellow "1", red team s9 F2). Apart, a highlight
	// stays one even band in the second pass while a dark "1" drawn inside it is a mark of the
	// first.
	tintOnly := func(x, y int) bool {
		return lum(o, x, y)-lum(n, x, y) < markDarker && channelDrop(o, n, x, y) >= markChannel
	}
	anyMark := false
	for y := d.Min.Y; y < d.Max.Y; y++ {
		for x := d.Min.X; x < d.Max.X; x++ {
			i := at(x, y)
			if flag[i]&inText == 0 {
				continue
			}
			lo, ln := lum(o, x, y), lum(n, x, y)
			switch {
			case paper(x, y) && lo-ln >= markDarker:
				flag[i] |= isMark
				anyMark = true
			case lo < glyphInk && ln-lo >= eraseLighter && !tintKeepsContrast(o, n, x, y, lo, ln) &&
				!(inkColoured(n, x, y) && inSealDrawing(image.Rect(x, y, x+1, y+1), drawings, float64(emAt[i]))):
				// (a seal's red drawn over a glyph leaves it inked; white or grey over it erases it)
				flag[i] |= isErased
			}
		}
	}
	overlapsContent := func(m image.Rectangle) bool {
		for _, r := range pr {
			if r.content && r.area.Overlaps(m) {
				return true
			}
		}
		return false
	}
	// Marks are joined across gaps of up to 7 pixels (a stroke crossing a glyph's stem).
	tintPass := false      // comps runs on the second pass's marks
	var rest []image.Point // a mark's pixels outside bands and rules
	var all []image.Point  // all of a mark's pixels
	comps := func(want uint8, reach int) []image.Rectangle {
		var out []image.Rectangle
		seen := make([]bool, w*h)
		var stack []image.Point
		for y := d.Min.Y; y < d.Max.Y; y++ {
			for x := d.Min.X; x < d.Max.X; x++ {
				i := at(x, y)
				if seen[i] || flag[i]&want == 0 {
					continue
				}
				seen[i] = true
				stack = append(stack[:0], image.Pt(x, y))
				size, band := 0, 0
				var em float32
				box := image.Rectangle{Min: image.Pt(x, y), Max: image.Pt(x+1, y+1)}
				rest, all = rest[:0], all[:0]
				for len(stack) > 0 {
					p := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					all = append(all, p)
					size++
					if flag[at(p.X, p.Y)]&isBand != 0 {
						band++
					} else {
						rest = append(rest, p)
					}
					em = max(em, emAt[at(p.X, p.Y)])
					box = box.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
					for dy := -reach; dy <= reach; dy++ {
						for dx := -reach; dx <= reach; dx++ {
							q := p.Add(image.Pt(dx, dy))
							if !q.In(b) {
								continue
							}
							j := at(q.X, q.Y)
							if !seen[j] && flag[j]&want != 0 {
								seen[j] = true
								stack = append(stack, q)
							}
						}
					}
				}
				if size < inkMinPixels {
					continue
				}
				if want == isMark && tintPass && (overGlyphs(box, paper) || float32(max(box.Dx(), box.Dy())) < tintMinSize*em) {
					// Tint laid over signed glyphs themselves (a small highlight on a minus),
					// or too small to read in a light colour, changes no reading; a yellow
					// "1" beside them does.
					continue
				}
				if want == isMark {
					// Part of the drawing of a later signature's seal or signature: strongly
					// coloured (a seal's red) or joined to strokes that leave the line (a
					// ring, a signature's loop). A dark mark inside the line alone is a
					// character, however large the drawing around it (red team s9 F1: a
					// seal's ring below the amount and black strokes turning its "3" into
					// an "8").
					if d, ok := sealDrawingOf(box, drawings, float64(em)); ok && (mostlyColoured(n, all) || drawnBeyondLine(o, n, all, d, box, pr, float64(em))) {
						continue
					}
					// A later signature's widget drawn over an earlier signature's own
					// appearance — not over the page's text that box happens to overlap
					// (red team s9 F3: a tiny widget inside an earlier seal's box that
					// covered the amount).
					if inAnyRect(box, seals) && inAnyRect(box, signedBoxes) && !overlapsContent(box) {
						continue
					}
					// Mostly a highlight band or an underline row: no character, unless what
					// the band leaves holds an upright stroke inside the line (a "1" standing
					// on an underline; an arc's rest stays flat or leaves the line).
					if 2*band >= size {
						if r, ok := uprightRest(rest, areas, float64(em)); ok {
							out = append(out, r.Inset(-2).Intersect(b))
						}
						continue
					}
					// A long thin stroke (an underline, a strike-out) is no character, nor is
					// one at least an em long that leaves the line's box above or below (the
					// edge of a frame or a circle drawn around the text).
					long := float32(max(box.Dx(), box.Dy()))
					thin := float32(size) <= long*max(3, 0.15*em)
					if thin && (long >= ruleLength*em || (long >= em && leavesLine(o, n, areas, box, float64(em)))) {
						continue
					}
				}
				out = append(out, box.Inset(-2).Intersect(b))
			}
		}
		return out
	}
	bandsAndRules := func() {
		if anyMark {
			// Highlight bands: runs of columns whose paper across the middle of the line's height
			// is all tinted alike.
			for _, r := range pr {
				if r.vertical {
					continue
				}
				y0 := r.box.Min.Y + r.box.Dy()/5
				y1 := r.box.Max.Y - r.box.Dy()/5
				if y1 <= y0 {
					continue
				}
				tinted := func(x int) (lo, hi int, ok bool) {
					lo, hi = 255, 0
					for y := max(y0, b.Min.Y); y < min(y1, b.Max.Y); y++ {
						if !paper(x, y) {
							continue
						}
						if flag[at(x, y)]&isMark == 0 {
							return 0, 0, false
						}
						ln := lum(n, x, y)
						lo, hi = min(lo, ln), max(hi, ln)
						ok = true
					}
					return lo, hi, ok
				}
				x := r.area.Min.X
				for x < r.area.Max.X {
					if _, _, ok := tinted(x); !ok {
						x++
						continue
					}
					x0 := x
					for x < r.area.Max.X {
						if _, _, ok := tinted(x); !ok {
							break
						}
						x++
					}
					x1 := x
					// The band's tint, from its inner columns (the outer ones are anti-aliased).
					lo, hi := 255, 0
					for c := x0 + 1; c < x1-1; c++ {
						l, h, _ := tinted(c)
						lo, hi = min(lo, l), max(hi, h)
					}
					if float64(x1-x0) < markBandWidth*r.em || hi < lo || hi-lo > markBandTint {
						continue
					}
					for c := max(x0-1, b.Min.X); c < min(x1+1, b.Max.X); c++ {
						for y := r.area.Min.Y; y < r.area.Max.Y; y++ {
							if i := at(c, y); flag[i]&isMark != 0 && lum(n, c, y) >= lo-8 {
								flag[i] |= isBand
							}
						}
					}
				}
			}
		}
		if anyMark {
			// Rules: a row of marks and of signed ink kept dark, at least ruleLength em long and
			// mostly marks, is an underline or a strike-out, not a character.
			for y := d.Min.Y; y < d.Max.Y; y++ {
				x := d.Min.X
				for x < d.Max.X {
					// A mark within 2 rows counts, so that a sloped stroke (a circle's arc) is
					// followed too.
					dark := func(x int) bool {
						for yy := max(y-2, b.Min.Y); yy < min(y+3, b.Max.Y); yy++ {
							if flag[at(x, yy)]&isMark != 0 {
								return true
							}
						}
						i := at(x, y)
						return flag[i]&inText != 0 && !paper(x, y) && lum(n, x, y) < int(paperAt[i])
					}
					if !dark(x) {
						x++
						continue
					}
					x0, nm := x, 0
					var em float32
					for x < d.Max.X && dark(x) {
						i := at(x, y)
						if dark(x) && !(flag[i]&inText != 0 && !paper(x, y)) {
							nm++
						}
						em = max(em, emAt[i])
						x++
					}
					if float32(x-x0) >= ruleLength*em && nm*5 >= 2*(x-x0) {
						for c := x0; c < x; c++ {
							if i := at(c, y); flag[i]&isMark != 0 {
								flag[i] |= isBand
							}
						}
					}
				}
			}
		}
	}
	bandsAndRules()
	marks = comps(isMark, 4)
	erased = comps(isErased, 1)
	// The second pass: the tinted paper alone.
	anyMark = false
	for y := d.Min.Y; y < d.Max.Y; y++ {
		for x := d.Min.X; x < d.Max.X; x++ {
			i := at(x, y)
			flag[i] &^= isMark | isBand
			if flag[i]&inText != 0 && paper(x, y) && tintOnly(x, y) {
				flag[i] |= isMark
				anyMark = true
			}
		}
	}
	if anyMark {
		bandsAndRules()
		tintPass = true
		marks = append(marks, comps(isMark, 4)...)
	}
	return marks, erased
}

// uprightRest looks in pts (a mark's pixels that no band or rule explains) for a connected part
// at least uprightHeight em tall (em in pixels), twice as tall as wide, inside a line's area
// without reaching its top or bottom edge: a character standing on an underline or in a
// highlight. It returns that part's box.
func uprightRest(pts []image.Point, areas []image.Rectangle, em float64) (image.Rectangle, bool) {
	if len(pts) == 0 || float64(len(pts)) < uprightHeight*em {
		return image.Rectangle{}, false
	}
	in := make(map[image.Point]bool, len(pts))
	for _, p := range pts {
		in[p] = true
	}
	seen := make(map[image.Point]bool, len(pts))
	for _, p0 := range pts {
		if seen[p0] {
			continue
		}
		seen[p0] = true
		box := image.Rectangle{Min: p0, Max: p0.Add(image.Pt(1, 1))}
		stack := []image.Point{p0}
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			box = box.Union(image.Rectangle{Min: p, Max: p.Add(image.Pt(1, 1))})
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					q := p.Add(image.Pt(dx, dy))
					if in[q] && !seen[q] {
						seen[q] = true
						stack = append(stack, q)
					}
				}
			}
		}
		if float64(box.Dy()) < uprightHeight*em || box.Dy() < 2*box.Dx() {
			continue
		}
		for _, a := range areas {
			if box.In(a) && box.Min.Y > a.Min.Y && box.Max.Y < a.Max.Y {
				return box, true
			}
		}
	}
	return image.Rectangle{}, false
}

// sealDrawing is the bounding box of what the widget at r (pixels) visibly draws: the pixels whose
// luminance changed by sealStrong or more.
func sealDrawing(o, n *image.RGBA, r image.Rectangle) image.Rectangle {
	r = r.Intersect(o.Bounds())
	var box image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if d := lum(o, x, y) - lum(n, x, y); d >= sealStrong || -d >= sealStrong {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// inAnyRect reports whether m lies inside one of rs.
func inAnyRect(m image.Rectangle, rs []image.Rectangle) bool {
	for _, r := range rs {
		if m.In(r) {
			return true
		}
	}
	return false
}

// inSealDrawing reports whether mark m (pixels) lies inside one of the drawings, and that drawing
// is at least sealSize em (em in pixels) both wide and high: part of a seal or a signature drawn
// over the line, not a character added to it (red team s8 F2: a later signature whose widget was
// a "1" in the gap before an amount was exempt from these rules as a whole).
func inSealDrawing(m image.Rectangle, drawings []image.Rectangle, em float64) bool {
	_, ok := sealDrawingOf(m, drawings, em)
	return ok
}

// pixelRun is a textRun in pixels: its box, its signed-text area, its em.
type pixelRun struct {
	box, area image.Rectangle
	em        float64
	vertical  bool
	content   bool
}

// sealDrawingOf returns the drawing of a seal's or a signature's size (see inSealDrawing) that
// holds mark m.
func sealDrawingOf(m image.Rectangle, drawings []image.Rectangle, em float64) (image.Rectangle, bool) {
	for _, d := range drawings {
		if float64(d.Dx()) >= sealSize*em && float64(d.Dy()) >= sealSize*em && m.In(d) {
			return d, true
		}
	}
	return image.Rectangle{}, false
}

// overGlyphs reports whether a third or more of the pixels of m are signed ink (not paper:
// glyphs with their anti-aliased edges).
func overGlyphs(m image.Rectangle, paper func(x, y int) bool) bool {
	k := 0
	for y := m.Min.Y; y < m.Max.Y; y++ {
		for x := m.Min.X; x < m.Max.X; x++ {
			if !paper(x, y) {
				k++
			}
		}
	}
	return 3*k >= m.Dx()*m.Dy() && k > 0
}

// paperLevel is the least luminance of paper in the signed area a of o: inkPaper on white, or
// paperMargin below the area's commonest light luminance when that is darker — a grey page or a
// grey scan (red team s9 F15: on paper at 0.9 grey no pixel was paper, so no mark was seen).
// Paper darker than paperDarkest is not paper to this rule (white text on a dark band).
func paperLevel(o *image.RGBA, a image.Rectangle) int {
	var hist [256]int
	a = a.Intersect(o.Bounds())
	for y := a.Min.Y; y < a.Max.Y; y++ {
		for x := a.Min.X; x < a.Max.X; x++ {
			hist[lum(o, x, y)]++
		}
	}
	mode := 255
	for v := 255; v >= paperDarkest; v-- {
		if hist[v] > hist[mode] {
			mode = v
		}
	}
	if hist[mode] == 0 {
		return inkPaper
	}
	return min(inkPaper, mode-paperMargin)
}

// mostlyColoured reports whether at least half of pts are strongly coloured in img.
func mostlyColoured(img *image.RGBA, pts []image.Point) bool {
	k := 0
	for _, p := range pts {
		if inkColoured(img, p.X, p.Y) {
			k++
		}
	}
	return 2*k >= len(pts)
}

// channelDrop is the largest drop of a colour channel from o to n at (x, y): a saturated yellow
// or green is light to the luminance yet plainly readable on white.
func channelDrop(o, n *image.RGBA, x, y int) int {
	i := o.PixOffset(x, y)
	a, b := o.Pix[i:i+3:i+3], n.Pix[i:i+3:i+3]
	return max(int(a[0])-int(b[0]), int(a[1])-int(b[1]), int(a[2])-int(b[2]))
}

// drawnBeyondLine reports whether the mark pts (bounding box m), inside drawing d, is joined by
// strongly drawn pixels (darker by sealStrong, or newly coloured) to pixels at least an em
// beyond the lines whose areas it lies in, across them: a stroke of a ring or of a signature
// passing through the line, not a character drawn into it.
func drawnBeyondLine(o, n *image.RGBA, pts []image.Point, d, m image.Rectangle, runs []pixelRun, em float64) bool {
	var u image.Rectangle
	vertical := false
	for _, r := range runs {
		if r.area.Overlaps(m) {
			u = u.Union(r.area)
			vertical = vertical || r.vertical
		}
	}
	if u.Empty() {
		return true
	}
	reach := int(math.Ceil(em))
	d = d.Intersect(o.Bounds())
	strong := func(x, y int) bool {
		return lum(o, x, y)-lum(n, x, y) >= sealStrong || (inkColoured(n, x, y) && !inkColoured(o, x, y))
	}
	seen := make(map[image.Point]bool, len(pts))
	stack := make([]image.Point, 0, len(pts))
	for _, p := range pts {
		seen[p] = true
		stack = append(stack, p)
	}
	for len(stack) > 0 && len(seen) < 1<<20 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if vertical {
			if p.X <= u.Min.X-reach || p.X >= u.Max.X+reach {
				return true
			}
		} else if p.Y <= u.Min.Y-reach || p.Y >= u.Max.Y+reach {
			return true
		}
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				q := p.Add(image.Pt(dx, dy))
				if q.In(d) && !seen[q] && strong(q.X, q.Y) {
					seen[q] = true
					stack = append(stack, q)
				}
			}
		}
	}
	return false
}

// inkColoured reports whether pixel (x, y) of img is strongly coloured (a seal's red, a pen's
// blue): still ink to a reader, where white or grey over a glyph is not.
func inkColoured(img *image.RGBA, x, y int) bool {
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+3 : i+3]
	return int(max(p[0], p[1], p[2]))-int(min(p[0], p[1], p[2])) >= sealChroma
}

// tintKeepsContrast reports whether the glyph pixel (x, y), lighter in n, lies on paper that n
// tinted (darker by at least 10 around it) and kept at least half of its contrast with it: a
// translucent highlight, not an eraser.
func tintKeepsContrast(o, n *image.RGBA, x, y, lo, ln int) bool {
	b := o.Bounds()
	sumO, sumN, k := 0, 0, 0
	for yy := max(y-4, b.Min.Y); yy < min(y+5, b.Max.Y); yy++ {
		for xx := max(x-4, b.Min.X); xx < min(x+5, b.Max.X); xx++ {
			if po := lum(o, xx, yy); po >= inkPaper {
				sumO += po
				sumN += lum(n, xx, yy)
				k++
			}
		}
	}
	if k == 0 {
		return false
	}
	po, pn := sumO/k, sumN/k
	return po-pn >= 10 && 2*(pn-ln) >= po-lo
}

// leavesLine reports whether the mark with bounding box m is the edge of a frame or a circle
// drawn around the text: it reaches the top or bottom edge of a line area it lies in, and the
// changed pixels joined to it beyond that edge turn along the line, reaching at least
// frameTurn em (em in pixels) to the left or right of the mark within frameReach em of the
// edge. A "1" or a bar taller than the line (with a flag or a serif) does not turn that far.
func leavesLine(o, n *image.RGBA, areas []image.Rectangle, m image.Rectangle, em float64) bool {
	b := o.Bounds()
	changed := func(x, y int) bool {
		d := lum(o, x, y) - lum(n, x, y)
		return d >= markDarker || -d >= markDarker
	}
	turn := int(math.Ceil(frameTurn * em))
	reach := int(math.Ceil(frameReach * em))
	// turns follows the changed pixels from row y0 (just beyond the area's edge) away from the
	// line (dir -1 up, +1 down), inside a window of reach rows and the mark's columns widened by
	// turn+1 on each side.
	turns := func(y0, dir int) bool {
		win := image.Rect(m.Min.X-turn-1, min(y0, y0+dir*reach), m.Max.X+turn+1, max(y0, y0+dir*reach)+1).Intersect(b)
		if win.Empty() {
			return false
		}
		seen := make([]bool, win.Dx()*win.Dy())
		at := func(p image.Point) int { return (p.Y-win.Min.Y)*win.Dx() + p.X - win.Min.X }
		var stack []image.Point
		for x := max(m.Min.X-1, win.Min.X); x < min(m.Max.X+1, win.Max.X); x++ {
			if p := image.Pt(x, y0); p.In(win) && changed(x, y0) {
				seen[at(p)] = true
				stack = append(stack, p)
			}
		}
		lo, hi := m.Min.X, m.Max.X
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			lo, hi = min(lo, p.X), max(hi, p.X+1)
			if m.Min.X-lo >= turn || hi-m.Max.X >= turn {
				return true
			}
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					q := p.Add(image.Pt(dx, dy))
					if q.In(win) && !seen[at(q)] && changed(q.X, q.Y) {
						seen[at(q)] = true
						stack = append(stack, q)
					}
				}
			}
		}
		return false
	}
	for _, a := range areas {
		if !a.Overlaps(m) {
			continue
		}
		if (m.Min.Y <= a.Min.Y && turns(a.Min.Y-1, -1)) || (m.Max.Y >= a.Max.Y && turns(a.Max.Y, 1)) {
			return true
		}
	}
	return false
}
