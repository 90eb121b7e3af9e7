package sign

import (
	"math"
	"testing"

	"sealdesk/core/pdf"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestVisibleToUser(t *testing.T) {
	// A 600×800 MediaBox with a CropBox [50 100 550 700] (500 wide, 600 high).
	crop := pdf.Rect{LLX: 50, LLY: 100, URX: 550, URY: 700}
	cases := []struct {
		rotate int
		in     VisibleRect
		want   pdf.Rect
	}{
		// Unrotated: shift by the CropBox origin.
		{0, VisibleRect{10, 20, 110, 70}, pdf.Rect{LLX: 60, LLY: 120, URX: 160, URY: 170}},
		// 90° clockwise: the visible page is 600 wide, 500 high. The visible lower-left corner is
		// the crop's lower-right... visible (0,0) is user (550,100) and visible x runs up user y.
		{90, VisibleRect{0, 0, 100, 50}, pdf.Rect{LLX: 500, LLY: 100, URX: 550, URY: 200}},
		// Visible top-right corner region of a 90° page maps to the user lower-left region.
		{90, VisibleRect{500, 400, 600, 500}, pdf.Rect{LLX: 50, LLY: 600, URX: 150, URY: 700}},
		{180, VisibleRect{0, 0, 100, 50}, pdf.Rect{LLX: 450, LLY: 650, URX: 550, URY: 700}},
		{270, VisibleRect{0, 0, 100, 50}, pdf.Rect{LLX: 50, LLY: 600, URX: 100, URY: 700}},
		// Corners given in any order.
		{0, VisibleRect{110, 70, 10, 20}, pdf.Rect{LLX: 60, LLY: 120, URX: 160, URY: 170}},
	}
	for _, c := range cases {
		got, err := VisibleToUser(crop, c.rotate, c.in)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.LLX, c.want.LLX) || !near(got.LLY, c.want.LLY) || !near(got.URX, c.want.URX) || !near(got.URY, c.want.URY) {
			t.Errorf("rotate %d %v: got %v want %v", c.rotate, c.in, got, c.want)
		}
		// Sizes: a box w×h as seen is h×w in user space on 90/270 pages.
		if c.rotate%180 == 90 {
			if !near(got.Width(), c.in.Height()) || !near(got.Height(), c.in.Width()) {
				t.Errorf("rotate %d: size not swapped", c.rotate)
			}
		}
		back, err := UserToVisible(crop, c.rotate, got)
		if err != nil {
			t.Fatal(err)
		}
		n := c.in.norm()
		if !near(back.X1, n.X1) || !near(back.Y1, n.Y1) || !near(back.X2, n.X2) || !near(back.Y2, n.Y2) {
			t.Errorf("rotate %d: round trip %v → %v → %v", c.rotate, n, got, back)
		}
	}
	if _, err := VisibleToUser(crop, 45, VisibleRect{}); err == nil {
		t.Error("rotation 45 accepted")
	}
}

// TestAppearanceMatrixUpright checks that the form's "up" (0,1 in form space) points, after
// the form matrix and the viewer's clockwise page rotation, up on screen, and that the bbox
// lands at the origin.
func TestAppearanceMatrixUpright(t *testing.T) {
	for _, rot := range []int{0, 90, 180, 270} {
		m := appearanceMatrix(rot, 30, 20)
		apply := func(x, y float64) (float64, float64) { return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5] }
		// Page display rotates user space clockwise by rot: (x,y) → (x cos + y sin, -x sin + y cos).
		rad := float64(rot) * math.Pi / 180
		disp := func(x, y float64) (float64, float64) {
			return x*math.Cos(rad) + y*math.Sin(rad), -x*math.Sin(rad) + y*math.Cos(rad)
		}
		x0, y0 := disp(apply(0, 0))
		x1, y1 := disp(apply(0, 1))
		if !near(x1-x0, 0) || !near(y1-y0, 1) {
			t.Errorf("rotate %d: form up maps to screen (%v,%v)", rot, x1-x0, y1-y0)
		}
		// The transformed bbox starts at 0,0.
		minX, minY := math.Inf(1), math.Inf(1)
		for _, p := range [][2]float64{{0, 0}, {30, 0}, {0, 20}, {30, 20}} {
			x, y := apply(p[0], p[1])
			minX, minY = math.Min(minX, x), math.Min(minY, y)
		}
		if !near(minX, 0) || !near(minY, 0) {
			t.Errorf("rotate %d: bbox origin (%v,%v)", rot, minX, minY)
		}
	}
}

func TestPlaceImage(t *testing.T) {
	x, y, w, h := placeImage(Fit, 200, 100, 50, 50)
	if !near(x, 50) || !near(y, 0) || !near(w, 100) || !near(h, 100) {
		t.Errorf("fit: %v %v %v %v", x, y, w, h)
	}
	x, y, w, h = placeImage(Stretch, 200, 100, 50, 50)
	if x != 0 || y != 0 || w != 200 || h != 100 {
		t.Errorf("stretch: %v %v %v %v", x, y, w, h)
	}
}
