package verify

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"math"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/seal"
)

// circlePath is a circle of radius r around (cx, cy) in four Bézier arcs.
func circlePath(cx, cy, r float64) string {
	k := 0.5523 * r
	return fmt.Sprintf("%.2f %.2f m %.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c %.2f %.2f %.2f %.2f %.2f %.2f c h ",
		cx+r, cy, cx+r, cy+k, cx+k, cy+r, cx, cy+r,
		cx-k, cy+r, cx-r, cy+k, cx-r, cy,
		cx-r, cy-k, cx-k, cy-r, cx, cy-r,
		cx+k, cy-r, cx+r, cy-k, cx+r, cy)
}

// starPath is a five-pointed star of outer radius r around (cx, cy).
func starPath(cx, cy, r float64) string {
	var b strings.Builder
	for i := 0; i < 10; i++ {
		rr := r
		if i%2 == 1 {
			rr = r * 0.4
		}
		a := math.Pi/2 + float64(i)*math.Pi/5
		op := "l"
		if i == 0 {
			op = "m"
		}
		fmt.Fprintf(&b, "%.2f %.2f %s ", cx+rr*math.Cos(a), cy+rr*math.Sin(a), op)
	}
	return b.String() + "h "
}

// TestUnsignedSeal (red team s10 WIN 9): an official seal — a red ring with a star and a name
// inside — added after signing by an annotation that is no signature is a disallowed change,
// drawn with vectors or as an image of our own seal designer; as a later signature's appearance
// it is a signed act and stays valid. A red circle around nothing, a filled red disc, a red
// rectangular "APPROVED" stamp and the same seal in blue are not seals to the rule.
func TestUnsignedSeal(t *testing.T) {
	s, f := newS9Fixture(t)
	rect := nums(380, 200, 520, 340)
	const cx, cy, r = 450.0, 270.0, 60.0
	vector := func(rg string, ring, inside bool, fill bool) string {
		c := rg + " rg " + rg + " RG 3 w "
		if fill {
			return c + circlePath(cx, cy, r) + "f"
		}
		if ring {
			c += circlePath(cx, cy, r) + "S "
		}
		if inside {
			c += starPath(cx, cy+5, 18) + "f BT /F1 9 Tf 420 235 Td (ACME LTD) Tj ET"
		}
		return c
	}
	stamp := func(content string) []byte { return f.square(rect, content, nil) }
	sealImage := func() []byte {
		img, _, err := seal.Render(seal.Spec{Style: seal.Contract, Name: "北京示例科技有限公司"}, 150)
		if err != nil {
			t.Fatal(err)
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		var rgb, alpha bytes.Buffer
		zr, za := zlib.NewWriter(&rgb), zlib.NewWriter(&alpha)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := img.NRGBAAt(x, y)
				zr.Write([]byte{c.R, c.G, c.B})
				za.Write([]byte{c.A})
			}
		}
		zr.Close()
		za.Close()
		return s4Annot(t, f.signed, "Stamp", rect, func(u *pdf.Update) pdf.Object {
			mask := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(w), "Height": pdf.Int(h),
				"ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("FlateDecode")}, Data: alpha.Bytes()})
			im := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(w), "Height": pdf.Int(h),
				"ColorSpace": pdf.Name("DeviceRGB"), "BitsPerComponent": pdf.Int(8), "Filter": pdf.Name("FlateDecode"), "SMask": mask}, Data: rgb.Bytes()})
			return u.Add(s4Form(rect, []byte("q 120 0 0 120 390 210 cm /Im Do Q"), pdf.Dict{"XObject": pdf.Dict{"Im": im}}))
		}, nil)
	}
	const seal = "official seal that no signature carries"
	const ok = "annotation added"
	runRows(t, s, []rtRow{
		{"a red seal drawn with vectors by a Square annotation", func() []byte {
			return stamp(vector("1 0 0", true, true, false))
		}, StatusModified, seal, nil},
		{"the seal designer's own seal as an image in a Stamp", sealImage, StatusModified, seal, nil},
		{"twin: the same seal as a later signature's appearance", func() []byte {
			return s.sign(t, f.signed, sigOpts{visible: true, visibleAt: rect, visibleAP: vector("1 0 0", true, true, false)})
		}, StatusValid, "", nil},
		{"twin: a red circle around nothing", func() []byte {
			return stamp(vector("1 0 0", true, false, false))
		}, StatusValid, ok, nil},
		{"twin: a filled red disc", func() []byte {
			return stamp(vector("1 0 0", false, false, true))
		}, StatusValid, ok, nil},
		{"twin: the seal drawn in blue", func() []byte {
			return stamp(vector("0 0 1", true, true, false))
		}, StatusValid, ok, nil},
		{"twin: a red rectangular APPROVED stamp", func() []byte {
			return stamp("1 0 0 RG 1 0 0 rg 3 w 385 240 130 60 re S BT /F1 20 Tf 395 262 Td (APPROVED) Tj ET")
		}, StatusValid, ok, nil},
	})
	// The rule on its own: the ring must close and hold red that does not fill it.
	blank := image.NewRGBA(image.Rect(0, 0, 200, 200))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	if got := unsignedSeals(blank, blank, nil, 96); len(got) != 0 {
		t.Errorf("a blank page has seals: %v", got)
	}
}
