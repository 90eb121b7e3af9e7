package seal

import (
	"encoding/json"
	"errors"
	"image/color"
	"math"
	"strings"
	"testing"
)

func TestSignatureRoundTripAndRender(t *testing.T) {
	s := testSignature()
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSignature(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := back.Marshal()
	if string(b) != string(b2) {
		t.Fatal("JSON round trip changed the strokes")
	}
	// Redrawn at two resolutions: exact pad size in pixels, same ink coverage in mm².
	ink := func(dpi float64) float64 {
		img, err := back.Render(dpi, color.NRGBA{})
		if err != nil {
			t.Fatal(err)
		}
		w, h := PixelSize(60, 25, dpi)
		if img.Rect.Dx() != w || img.Rect.Dy() != h {
			t.Fatalf("%g dpi: %v, want %d×%d", dpi, img.Rect, w, h)
		}
		sum := 0.0
		for i := 3; i < len(img.Pix); i += 4 {
			sum += float64(img.Pix[i]) / 255
		}
		k := dpi / 25.4
		return sum / (k * k)
	}
	// (Overlapping anti-aliased samples add up at the edges, a little more at low resolution.)
	a300, a600 := ink(300), ink(600)
	t.Logf("ink area %.1f mm² at 300 dpi, %.1f mm² at 600 dpi", a300, a600)
	if a600 < 20 || math.Abs(a300-a600)/a600 > 0.05 {
		t.Errorf("ink area %.1f mm² at 300 dpi, %.1f mm² at 600 dpi", a300, a600)
	}
	// Pressure widens the line: the pressured stroke at p=0.9 is wider than at p=0.3.
	d, _ := back.Drawing(color.NRGBA{})
	if d.Parts[0].Kind != PartStroke || len(d.Parts) != 3 {
		t.Fatalf("parts %v", len(d.Parts))
	}
	ws := strokeWidths(back.Strokes[2], DefaultPen)
	if ws[15] <= ws[1] {
		t.Errorf("pressure did not widen the stroke: %v … %v", ws[1], ws[15])
	}
	// Speed thins it: the fast flourish is thinner than the slow loops.
	if slow, fast := strokeWidths(back.Strokes[0], DefaultPen), strokeWidths(back.Strokes[1], DefaultPen); fast[30] >= slow[60] {
		t.Errorf("fast stroke %.3f mm not thinner than slow %.3f mm", fast[30], slow[60])
	}
	// Cropped to the ink.
	c := d.Crop(1)
	if c.Width >= 60 || c.Height >= 25 || c.Width < 40 {
		t.Errorf("cropped to %.1f×%.1f mm", c.Width, c.Height)
	}
}

func TestSignatureRefusals(t *testing.T) {
	ok := `{"v":1,"w":60,"h":25,"strokes":[[{"x":1,"y":1,"t":0},{"x":2,"y":2,"t":5}]]}`
	if _, err := ParseSignature([]byte(ok)); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	for name, in := range map[string]string{
		"not json":        `{"v":1`,
		"version":         strings.Replace(ok, `"v":1`, `"v":2`, 1),
		"no strokes":      `{"v":1,"w":60,"h":25,"strokes":[]}`,
		"empty stroke":    `{"v":1,"w":60,"h":25,"strokes":[[]]}`,
		"off the pad":     strings.Replace(ok, `"x":2`, `"x":99`, 1),
		"time backwards":  strings.Replace(ok, `"t":5`, `"t":-1`, 1),
		"pressure":        strings.Replace(ok, `"t":5`, `"t":5,"p":1.5`, 1),
		"huge pad":        strings.Replace(ok, `"w":60`, `"w":1e9`, 1),
		"negative pen":    strings.Replace(ok, `"h":25`, `"h":25,"pen":-1`, 1),
		"too big":         ok + strings.Repeat(" ", MaxSignatureJSON),
		"wrong type":      `{"v":1,"w":"60","h":25,"strokes":[]}`,
		"too many points": tooManyPoints(),
	} {
		if _, err := ParseSignature([]byte(in)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
}

func tooManyPoints() string {
	s := Signature{Version: 1, Width: 60, Height: 25}
	st := make(Stroke, MaxStrokePoints+1)
	s.Strokes = []Stroke{st}
	b, _ := json.Marshal(s)
	return string(b)
}

func FuzzParseSignature(f *testing.F) {
	b, _ := testSignature().Marshal()
	f.Add(b)
	f.Add([]byte(`{"v":1,"w":60,"h":25,"strokes":[[{"x":1,"y":1,"t":0}]]}`))
	f.Add([]byte(`{"v":1,"w":1000,"h":1000,"pen":10,"strokes":[[{"x":0,"y":0,"t":0},{"x":1000,"y":1000,"t":0,"p":1}]]}`))
	f.Add([]byte(`{"v":1,"w":0.001,"h":0.001,"strokes":[[{"x":0,"y":0,"t":0}]]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSignature(data)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("error does not wrap ErrBadSignature: %v", err)
			}
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseSignature(out); err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		// Low resolution keeps huge pads cheap; a refusal to rasterize must be an ErrInvalidSpec.
		if _, err := s.Render(2, color.NRGBA{}); err != nil && !errors.Is(err, ErrInvalidSpec) {
			t.Fatal(err)
		}
	})
}

// TestSignatureWorstCase: the most points allowed, zig-zagging across a big pad, still draws
// quickly (the sample budget caps the outline's size).
func TestSignatureWorstCase(t *testing.T) {
	s := &Signature{Version: 1, Width: 300, Height: 300}
	st := make(Stroke, MaxStrokePoints)
	for i := range st {
		st[i] = Point{X: float64(i%2) * 300, Y: float64(i%300) + 0.5, T: int64(i)}
	}
	s.Strokes = []Stroke{st}
	d, err := s.Drawing(color.NRGBA{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.Parts[0].Path); n > 12*(maxStrokeSamples+2*MaxStrokePoints) {
		t.Fatalf("outline has %d segments", n)
	}
	if _, err := d.Rasterize(50); err != nil {
		t.Fatal(err)
	}
}
