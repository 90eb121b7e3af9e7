package widgets

import (
	"fmt"
	"math"
	"testing"

	"fyne.io/fyne/v2"
)

func close(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// The corners of a cropped page land where a viewer shows them, for every rotation.
func TestDisplayCornersPerRotation(t *testing.T) {
	crop := Rect{50, 100, 450, 700} // 400 wide, 600 high
	type pt struct{ x, y float64 }
	// user-space corner → display position (top-left origin, y down)
	cases := []struct {
		rot     int
		w, h    float64
		corners map[pt]pt
	}{
		{0, 400, 600, map[pt]pt{{50, 700}: {0, 0}, {450, 700}: {400, 0}, {50, 100}: {0, 600}, {450, 100}: {400, 600}}},
		// turned clockwise: the bottom-left corner comes to the top-left
		{90, 600, 400, map[pt]pt{{50, 100}: {0, 0}, {50, 700}: {600, 0}, {450, 100}: {0, 400}, {450, 700}: {600, 400}}},
		{180, 400, 600, map[pt]pt{{450, 100}: {0, 0}, {50, 100}: {400, 0}, {450, 700}: {0, 600}, {50, 700}: {400, 600}}},
		{270, 600, 400, map[pt]pt{{450, 700}: {0, 0}, {450, 100}: {600, 0}, {50, 700}: {0, 400}, {50, 100}: {600, 400}}},
		{-90, 600, 400, map[pt]pt{{450, 700}: {0, 0}, {50, 100}: {600, 400}}},
		{450, 600, 400, map[pt]pt{{50, 100}: {0, 0}}},
	}
	for _, c := range cases {
		g := PageGeometry{Crop: crop, Rotate: c.rot}
		if w, h := g.DisplaySize(); w != c.w || h != c.h {
			t.Errorf("rotate %d: display %v×%v, want %v×%v", c.rot, w, h, c.w, c.h)
		}
		for u, d := range c.corners {
			dx, dy := g.UserToDisplay(u.x, u.y)
			if !close(dx, d.x, 1e-9) || !close(dy, d.y, 1e-9) {
				t.Errorf("rotate %d: user (%v,%v) → display (%v,%v), want (%v,%v)", c.rot, u.x, u.y, dx, dy, d.x, d.y)
			}
			ux, uy := g.DisplayToUser(d.x, d.y)
			if !close(ux, u.x, 1e-9) || !close(uy, u.y, 1e-9) {
				t.Errorf("rotate %d: display (%v,%v) → user (%v,%v), want (%v,%v)", c.rot, d.x, d.y, ux, uy, u.x, u.y)
			}
		}
	}
}

// Round trips widget ↔ user ↔ image at several zooms, DPIs, rotations and origins.
func TestMapperRoundTripsAtScales(t *testing.T) {
	crops := []Rect{{0, 0, 595.28, 841.89}, {50, 100, 450, 700}, {-20, -30, 280, 170}}
	for _, crop := range crops {
		for _, rot := range []int{0, 90, 180, 270} {
			for _, zoom := range []float64{0.25, 0.5, 1, 1.5, 2, 3.3} {
				for _, dpi := range []float64{72, 96, 150, 300} {
					name := fmt.Sprintf("crop%v/rot%d/zoom%v/dpi%v", crop, rot, zoom, dpi)
					m := PageMapper{Geometry: PageGeometry{Crop: crop, Rotate: rot}, Zoom: zoom, Origin: fyne.NewPos(13, 250)}
					// a user point → widget → user
					ux, uy := crop.LLX+0.3*crop.Width(), crop.LLY+0.8*crop.Height()
					p := m.UserToWidget(ux, uy)
					bx, by := m.WidgetToUser(p)
					tol := 0.01 + 1/zoom*0.001 // float32 positions
					if !close(bx, ux, tol) || !close(by, uy, tol) {
						t.Errorf("%s: user (%v,%v) → %v → (%v,%v)", name, ux, uy, p, bx, by)
					}
					// widget → image → user agrees with widget → user
					ix, iy := m.WidgetToImage(p, dpi)
					cx, cy := m.Geometry.ImageToUser(ix, iy, dpi)
					if !close(cx, ux, tol) || !close(cy, uy, tol) {
						t.Errorf("%s: via image (%v,%v) → user (%v,%v), want (%v,%v)", name, ix, iy, cx, cy, ux, uy)
					}
					q := m.ImageToWidget(ix, iy, dpi)
					if !close(float64(q.X), float64(p.X), 0.01) || !close(float64(q.Y), float64(p.Y), 0.01) {
						t.Errorf("%s: image → widget %v, want %v", name, q, p)
					}
					// the page's display size scales with zoom and dpi
					w, h := m.Geometry.DisplaySize()
					iw, ih := m.Geometry.UserToImage(crop.URX, crop.LLY, dpi)
					jw, jh := m.Geometry.UserToImage(crop.LLX, crop.URY, dpi)
					if !close(math.Abs(iw-jw), w*dpi/72, 1e-6) || !close(math.Abs(ih-jh), h*dpi/72, 1e-6) {
						t.Errorf("%s: image extent %v×%v, want %v×%v", name, math.Abs(iw-jw), math.Abs(ih-jh), w*dpi/72, h*dpi/72)
					}
				}
			}
		}
	}
}

// A box drawn in the widget becomes the user-space rectangle under it, and back.
func TestWidgetRectToUser(t *testing.T) {
	crop := Rect{50, 100, 450, 700}
	cases := []struct {
		rot  int
		zoom float64
		pos  fyne.Position
		size fyne.Size
		want Rect
	}{
		// unrotated, zoom 1, origin 0: 10pt from the left, 20pt from the top, 100×50
		{0, 1, fyne.NewPos(10, 20), fyne.NewSize(100, 50), Rect{60, 630, 160, 680}},
		{0, 2, fyne.NewPos(20, 40), fyne.NewSize(200, 100), Rect{60, 630, 160, 680}},
		// rotated 90: display x is user y (from the bottom), display y is user x
		{90, 1, fyne.NewPos(10, 20), fyne.NewSize(100, 50), Rect{70, 110, 120, 210}},
		{90, 0.5, fyne.NewPos(5, 10), fyne.NewSize(50, 25), Rect{70, 110, 120, 210}},
		{180, 1, fyne.NewPos(10, 20), fyne.NewSize(100, 50), Rect{340, 120, 440, 170}},
		{270, 1.5, fyne.NewPos(15, 30), fyne.NewSize(150, 75), Rect{380, 590, 430, 690}},
	}
	for _, c := range cases {
		m := PageMapper{Geometry: PageGeometry{Crop: crop, Rotate: c.rot}, Zoom: c.zoom}
		got := m.WidgetRectToUser(c.pos, c.size)
		if !close(got.LLX, c.want.LLX, 0.01) || !close(got.LLY, c.want.LLY, 0.01) ||
			!close(got.URX, c.want.URX, 0.01) || !close(got.URY, c.want.URY, 0.01) {
			t.Errorf("rot %d zoom %v: %v %v → %+v, want %+v", c.rot, c.zoom, c.pos, c.size, got, c.want)
		}
		p, s := m.UserRectToWidget(got)
		if !close(float64(p.X), float64(c.pos.X), 0.01) || !close(float64(p.Y), float64(c.pos.Y), 0.01) ||
			!close(float64(s.Width), float64(c.size.Width), 0.01) || !close(float64(s.Height), float64(c.size.Height), 0.01) {
			t.Errorf("rot %d zoom %v: back to %v %v, want %v %v", c.rot, c.zoom, p, s, c.pos, c.size)
		}
	}
}

func TestClampToPage(t *testing.T) {
	g := PageGeometry{Crop: Rect{50, 100, 450, 700}}
	cases := []struct{ in, want Rect }{
		{Rect{60, 110, 160, 210}, Rect{60, 110, 160, 210}},   // inside: unchanged
		{Rect{0, 0, 100, 100}, Rect{50, 100, 150, 200}},      // off the bottom-left: moved in
		{Rect{420, 650, 520, 750}, Rect{350, 600, 450, 700}}, // off the top-right: moved in
		{Rect{0, 0, 1000, 50}, Rect{50, 100, 450, 150}},      // wider than the page: shrunk
		{Rect{160, 210, 60, 110}, Rect{60, 110, 160, 210}},   // reversed corners: normalised
	}
	for _, c := range cases {
		if got := g.ClampToPage(c.in); got != c.want {
			t.Errorf("clamp %+v = %+v, want %+v", c.in, got, c.want)
		}
	}
}
