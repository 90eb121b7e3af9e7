package verify

import (
	"image"
	"math"
)

// Official seals without a signature (red team s10 WIN 9). In the contracts this product signs
// a red seal is the company's consent, and a signature's seal is the picture of a signed act.
// A plain Stamp annotation showing a company's seal — added after signing, where annotations are
// allowed — was judged valid: every viewer showed the seal on the "valid" contract, and no
// signature stood behind it. So the rendering comparison looks, in what the changes drew, for the
// drawing of a seal: a closed ring of seal red (round or oval, at least sealMinMM across) with
// red marks inside it (the star, the name) that do not fill it; outside the widgets of intact
// later signatures, whose seals are signed acts, such a drawing is a disallowed change.
//
// Not a seal to this rule: a red circle drawn around text (nothing red inside it), a filled red
// disc, a rectangular "APPROVED" stamp (its border leaves the ring's band at the corners), and a
// ring in any colour but red.

const (
	sealMinMM      = 12   // the least width and height of a seal's ring (a personal seal is 15–20 mm)
	sealMaxAspect  = 1.45 // the largest ratio of a ring's width and height (oval seals are 40 × 30 mm)
	sealRingCover  = 0.85 // the share of directions in which the ring's band holds the ring
	sealInsideMin  = 0.02 // the least share of red inside the ring (star, name)
	sealInsideMax  = 0.6  // more is a filled disc
	sealCell       = 3    // pixels per grid cell of the search
	sealDirections = 72
)

// sealRed reports whether the pixel at (x, y) is seal red (vermilion to crimson).
func sealRed(img *image.RGBA, x, y int) bool {
	i := img.PixOffset(x, y)
	r, g, b := int(img.Pix[i]), int(img.Pix[i+1]), int(img.Pix[i+2])
	return r >= 150 && r-max(g, b) >= 70
}

// unsignedSeals returns the boxes (pixels) of seal drawings that n shows and o does not, outside
// exempt (the widgets of intact later signatures). dpi is the rendering's resolution.
func unsignedSeals(o, n *image.RGBA, exempt []image.Rectangle, dpi float64) []image.Rectangle {
	b := o.Bounds().Intersect(n.Bounds())
	gw, gh := (b.Dx()+sealCell-1)/sealCell, (b.Dy()+sealCell-1)/sealCell
	if gw <= 0 || gh <= 0 {
		return nil
	}
	red := make([]bool, gw*gh)
	any := false
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !sealRed(n, x, y) || sealRed(o, x, y) {
				continue
			}
			p := image.Pt(x, y)
			skip := false
			for _, e := range exempt {
				if p.In(e) {
					skip = true
					break
				}
			}
			if !skip {
				red[(y-b.Min.Y)/sealCell*gw+(x-b.Min.X)/sealCell] = true
				any = true
			}
		}
	}
	if !any {
		return nil
	}
	minCells := int(sealMinMM / 25.4 * dpi / sealCell)
	comp := make([]int32, gw*gh) // component index + 1
	var out []image.Rectangle
	var stack []int
	var next int32
	for start := range red {
		if !red[start] || comp[start] != 0 {
			continue
		}
		next++
		id := next
		x0, y0, x1, y1 := gw, gh, -1, -1
		stack = append(stack[:0], start)
		comp[start] = id
		for len(stack) > 0 {
			c := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			cx, cy := c%gw, c/gw
			x0, y0, x1, y1 = min(x0, cx), min(y0, cy), max(x1, cx), max(y1, cy)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					nx, ny := cx+dx, cy+dy
					if nx < 0 || ny < 0 || nx >= gw || ny >= gh {
						continue
					}
					if k := ny*gw + nx; red[k] && comp[k] == 0 {
						comp[k] = id
						stack = append(stack, k)
					}
				}
			}
		}
		w, h := x1-x0+1, y1-y0+1
		if w < minCells || h < minCells || float64(max(w, h)) > sealMaxAspect*float64(min(w, h)) {
			continue
		}
		if isSealRing(red, comp, id, gw, x0, y0, w, h) {
			out = append(out, image.Rect(b.Min.X+x0*sealCell, b.Min.Y+y0*sealCell, b.Min.X+(x1+1)*sealCell, b.Min.Y+(y1+1)*sealCell))
		}
	}
	return out
}

// isSealRing reports whether component id, in the box (x0, y0, w, h) of the grid, is a closed
// ring in the box's inscribed ellipse with red inside it that does not fill it.
func isSealRing(red []bool, comp []int32, id int32, gw, x0, y0, w, h int) bool {
	cx, cy := float64(x0)+float64(w-1)/2, float64(y0)+float64(h-1)/2
	rx, ry := float64(w)/2, float64(h)/2
	hits := 0
	for i := 0; i < sealDirections; i++ {
		a := 2 * math.Pi * float64(i) / sealDirections
		for f := 0.78; f <= 1.02; f += 0.04 {
			x := int(math.Round(cx + f*rx*math.Cos(a)))
			y := int(math.Round(cy + f*ry*math.Sin(a)))
			if x >= x0 && y >= y0 && x < x0+w && y < y0+h && comp[y*gw+x] == id {
				hits++
				break
			}
		}
	}
	if float64(hits) < sealRingCover*sealDirections {
		return false
	}
	inside, redInside := 0, 0
	for y := y0; y < y0+h; y++ {
		for x := x0; x < x0+w; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			if dx*dx+dy*dy > 0.6*0.6 {
				continue
			}
			inside++
			if red[y*gw+x] {
				redInside++
			}
		}
	}
	if inside == 0 {
		return false
	}
	share := float64(redInside) / float64(inside)
	return share >= sealInsideMin && share <= sealInsideMax
}
