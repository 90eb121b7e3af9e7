package verify

import (
	"bytes"
	"fmt"
	"image"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// mupdfRendersDifferently asserts that MuPDF draws page 1 of the attack visibly differently from
// the signed document (more than 200 pixels at 72 dpi changed).
func mupdfRendersDifferently(signed []byte) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		a, b := mupdfPage(t, signed, 72), mupdfPage(t, d, 72)
		if n := changedPixels(a, b); n < 200 {
			t.Fatalf("the attack has no visible effect in MuPDF: %d pixels differ", n)
		}
	}
}

// TestRedTeamS7Paint (red team s7 G6, coverpaint.go): an added Square annotation whose
// appearance paints with resources PDFium — the cover check's renderer — rejects while poppler
// or MuPDF paint: a white shading clipped over the signed amount whose function is a type 0
// function without samples, a type 2 function with three outputs in DeviceGray or two inputs in
// a function-based shading, a shading with /Background, an Indexed colour space with a short
// lookup, a soft mask with a transfer function or a backdrop without a group colour space, an
// opacity that is a name, a Type 3 font with a named encoding. Each was valid while poppler or
// MuPDF showed the amount erased (the effect is asserted in that reader); now each is reported,
// naming the reason. The twins paint the same way with well-formed resources (in a blank area:
// valid; over the amount: covering, so the rendering judged them).
func TestRedTeamS7Paint(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	const overBox, awayBox = "60 690 240 40 re", "320 100 240 60 re"
	n := func(v ...float64) pdf.Array {
		a := make(pdf.Array, len(v))
		for i, x := range v {
			if x == float64(int64(x)) {
				a[i] = pdf.Int(int64(x))
			} else {
				a[i] = pdf.Real{Value: x}
			}
		}
		return a
	}
	// square: a Square annotation at rect whose appearance is content with resources made by res.
	square := func(rect pdf.Array, content string, res func(u *pdf.Update) pdf.Dict) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(rect, []byte(content), res(u)))
		}, nil)
	}
	// shade: the appearance paints shading sh clipped to the box (over or away).
	shade := func(rect pdf.Array, box string, sh func(u *pdf.Update) pdf.Object) []byte {
		return square(rect, "q "+box+" W n /S sh Q", func(u *pdf.Update) pdf.Dict {
			return pdf.Dict{"Shading": pdf.Dict{"S": sh(u)}}
		})
	}
	white2 := pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1), "C0": n(1), "C1": n(1), "N": pdf.Int(1)}
	axial := func(fn pdf.Object, cs pdf.Object, extra pdf.Dict) pdf.Dict {
		d := pdf.Dict{"ShadingType": pdf.Int(2), "ColorSpace": cs, "Coords": n(0, 0, 612, 0),
			"Extend": pdf.Array{pdf.Bool(true), pdf.Bool(true)}, "Function": fn}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	sampled := func(u *pdf.Update, size pdf.Array, rng pdf.Array, bps int, data []byte) pdf.Ref {
		dom := n(0, 1)
		if len(size) == 2 {
			dom = n(0, 1, 0, 1)
		}
		return u.Add(&pdf.Stream{Dict: pdf.Dict{"FunctionType": pdf.Int(0), "Domain": dom, "Range": rng,
			"Size": size, "BitsPerSample": pdf.Int(int64(bps))}, Data: data})
	}
	funcShading := func(fn pdf.Object) pdf.Dict {
		return pdf.Dict{"ShadingType": pdf.Int(1), "ColorSpace": pdf.Name("DeviceGray"), "Domain": n(0, 1, 0, 1),
			"Matrix": n(1000, 0, 0, 1000, 0, 0), "Function": fn}
	}
	// fill: the appearance fills the box in colour space cs (a /ColorSpace entry) with colour c.
	fill := func(rect pdf.Array, box string, cs pdf.Object, c string) []byte {
		return square(rect, "/CS cs "+c+" sc "+box+" f", func(u *pdf.Update) pdf.Dict {
			return pdf.Dict{"ColorSpace": pdf.Dict{"CS": cs}}
		})
	}
	// softMask: the appearance fills the box white through a luminosity soft mask sm whose
	// group form paints black (so the mask hides everything unless a reader reads sm otherwise).
	softMask := func(rect pdf.Array, box string, sm func(u *pdf.Update, g pdf.Ref) pdf.Dict, groupCS pdf.Object) []byte {
		return square(rect, "/G gs 1 g "+box+" f", func(u *pdf.Update) pdf.Dict {
			gf := s4Form(n(0, 0, 612, 792), []byte("0 g 0 0 612 792 re f"), pdf.Dict{})
			grp := pdf.Dict{"S": pdf.Name("Transparency")}
			if groupCS != nil {
				grp["CS"] = groupCS
			}
			gf.Dict["Group"] = grp
			g := u.Add(gf)
			return pdf.Dict{"ExtGState": pdf.Dict{"G": pdf.Dict{"Type": pdf.Name("ExtGState"), "SMask": sm(u, g)}}}
		})
	}
	gstate := func(rect pdf.Array, box string, gs pdf.Dict) []byte {
		return square(rect, "/G gs 1 g "+box+" f", func(u *pdf.Update) pdf.Dict {
			return pdf.Dict{"ExtGState": pdf.Dict{"G": gs}}
		})
	}
	// type3: the appearance shows four white 1000-unit squares of a Type 3 font over the box.
	type3 := func(rect pdf.Array, x, y int, enc pdf.Object) []byte {
		return square(rect, "BT /T 40 Tf "+itoa(x)+" "+itoa(y)+" Td (aaaaaa) Tj ET", func(u *pdf.Update) pdf.Dict {
			proc := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("1000 0 d0 1 g 0 0 1000 1000 re f")})
			font := u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
				"FontBBox": n(0, 0, 1000, 1000), "FontMatrix": n(0.001, 0, 0, 0.001, 0, 0),
				"CharProcs": pdf.Dict{"a": proc}, "Encoding": enc, "FirstChar": pdf.Int(97), "LastChar": pdf.Int(97),
				"Widths": n(1000), "Resources": pdf.Dict{}})
			return pdf.Dict{"Font": pdf.Dict{"T": font}}
		})
	}
	t3enc := pdf.Dict{"Type": pdf.Name("Encoding"), "Differences": pdf.Array{pdf.Int(97), pdf.Name("a")}}
	gray := pdf.Name("DeviceGray")
	const why = "readers draw differently"
	const ok = "Square annotation added"
	const covers = "cover(s) signed content"
	popErased, muErased := rendersDifferently(signed), mupdfRendersDifferently(signed)
	runRows(t, s, []rtRow{
		// Shadings and their functions.
		{"sh-type0-function-without-samples", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object { return axial(sampled(u, n(2), n(1, 1), 8, nil), gray, nil) })
		}, StatusModified, "type 0 function with 0 of the 2 bytes", popErased},
		{"sh-type0-function-3-bits", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object {
				return axial(sampled(u, n(2), n(0, 1), 3, []byte{0xff}), gray, nil)
			})
		}, StatusModified, "3 bits per sample", popErased},
		{"sh-type0-function-twin", func() []byte {
			return shade(away, awayBox, func(u *pdf.Update) pdf.Object {
				return axial(sampled(u, n(2), n(0, 1), 8, []byte{0x00, 0xff}), gray, nil)
			})
		}, StatusValid, ok, nil},
		{"sh-type2-function-3-outputs-in-gray", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object {
				return axial(pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1), "C0": n(1, 1, 1), "C1": n(1, 1, 1), "N": pdf.Int(1)}, gray, nil)
			})
		}, StatusModified, "3 outputs where its colour space takes 1", muErased},
		{"sh-background", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object {
				return axial(white2, gray, pdf.Dict{"Coords": n(0, 0, 1, 0), "Extend": pdf.Array{pdf.Bool(false), pdf.Bool(false)}, "Background": n(1)})
			})
		}, StatusModified, "/Background", muErased},
		{"sh-function-based-two-input-type2", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object {
				return funcShading(pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1, 0, 1), "C0": n(1), "C1": n(1), "N": pdf.Int(1)})
			})
		}, StatusModified, "type 2 function with one input where 2 are given", muErased},
		{"sh-function-based-twin", func() []byte {
			return shade(away, awayBox, func(u *pdf.Update) pdf.Object {
				return funcShading(sampled(u, n(2, 2), n(0, 1), 8, []byte{0, 0x80, 0x80, 0xff}))
			})
		}, StatusValid, ok, nil},
		{"sh-function-based-over-text", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object {
				return funcShading(sampled(u, n(2, 2), n(1, 1), 8, []byte{0xff, 0xff, 0xff, 0xff}))
			})
		}, StatusModified, covers, popErased},
		{"sh-indexed-short-lookup", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object {
				fn := pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1), "C0": n(5), "C1": n(5), "N": pdf.Int(1)}
				return axial(fn, pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceRGB"), pdf.Int(255), pdf.String{Bytes: []byte{0xff, 0xff, 0xff}}}, nil)
			})
		}, StatusModified, "Indexed colour space", muErased},
		{"sh-calculator-function-underflow", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object {
				fn := u.Add(&pdf.Stream{Dict: pdf.Dict{"FunctionType": pdf.Int(4), "Domain": n(0, 1), "Range": n(0, 1)}, Data: []byte("{ pop pop 1 }")})
				return axial(fn, gray, nil)
			})
		}, StatusModified, "stack underflow", nil},
		{"sh-calculator-function-twin", func() []byte {
			return shade(away, awayBox, func(u *pdf.Update) pdf.Object {
				fn := u.Add(&pdf.Stream{Dict: pdf.Dict{"FunctionType": pdf.Int(4), "Domain": n(0, 1), "Range": n(0, 1)},
					Data: []byte("{ dup 0.5 gt { 1 exch sub } { 0.5 mul } ifelse dup 1 copy pop exch pop }")})
				return axial(fn, gray, nil)
			})
		}, StatusValid, ok, nil},
		{"sh-well-formed-twin", func() []byte {
			return shade(away, awayBox, func(u *pdf.Update) pdf.Object { return axial(white2, gray, nil) })
		}, StatusValid, ok, nil},
		{"sh-well-formed-over-text", func() []byte {
			return shade(over, overBox, func(u *pdf.Update) pdf.Object { return axial(white2, gray, nil) })
		}, StatusModified, covers, popErased},
		// A shading pattern as fill colour writes text PDFium does not draw.
		{"pattern-fill-with-sampleless-shading", func() []byte {
			return square(over, "q /Pattern cs /P scn 60 690 240 40 re f Q", func(u *pdf.Update) pdf.Dict {
				sh := axial(sampled(u, n(2), n(1, 1), 8, nil), gray, nil)
				return pdf.Dict{"Pattern": pdf.Dict{"P": pdf.Dict{"Type": pdf.Name("Pattern"), "PatternType": pdf.Int(2), "Shading": sh}}}
			})
		}, StatusModified, "pattern /P: a type 2 shading with a type 0 function", popErased},
		{"pattern-text-twin", func() []byte {
			return square(away, "q /Pattern cs /P scn BT /F 30 Tf 330 120 Td (999999) Tj ET Q", func(u *pdf.Update) pdf.Dict {
				sh := axial(pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1), "C0": n(0), "C1": n(0.5), "N": pdf.Int(1)}, gray, nil)
				return pdf.Dict{"Pattern": pdf.Dict{"P": pdf.Dict{"Type": pdf.Name("Pattern"), "PatternType": pdf.Int(2), "Shading": sh}},
					"Font": pdf.Dict{"F": pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica")}}}
			})
		}, StatusValid, ok, nil},
		// Fill colour spaces.
		{"fill-indexed-short-lookup", func() []byte {
			return fill(over, overBox, pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceCMYK"), pdf.Int(255), pdf.String{Bytes: []byte{0, 0, 0, 0}}}, "5")
		}, StatusModified, "lookup table has 4 of its 1024 bytes", popErased},
		{"fill-indexed-in-line-short-lookup", func() []byte {
			return square(over, "[/Indexed /DeviceCMYK 255 <00000000>] cs 5 sc "+overBox+" f", func(u *pdf.Update) pdf.Dict { return pdf.Dict{} })
		}, StatusModified, "written in line", nil},
		{"fill-indexed-twin", func() []byte {
			lut := make([]byte, 256*4)
			return fill(away, awayBox, pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceCMYK"), pdf.Int(255), pdf.String{Bytes: lut}}, "5")
		}, StatusValid, ok, nil},
		{"fill-separation-tint-3-outputs", func() []byte {
			tint := pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1), "C0": n(1, 1, 1), "C1": n(1, 1, 1), "N": pdf.Int(1)}
			return fill(over, overBox, pdf.Array{pdf.Name("Separation"), pdf.Name("Spot"), gray, tint}, "1")
		}, StatusModified, "tint transform is a type 2 function with 3 outputs", nil},
		{"fill-separation-twin", func() []byte {
			tint := pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1), "C0": n(1), "C1": n(0), "N": pdf.Int(1)}
			return fill(away, awayBox, pdf.Array{pdf.Name("Separation"), pdf.Name("Spot"), gray, tint}, "0.5")
		}, StatusValid, ok, nil},
		{"fill-icc-without-profile", func() []byte {
			return square(over, "/CS cs 1 1 1 sc "+overBox+" f", func(u *pdf.Update) pdf.Dict {
				icc := u.Add(&pdf.Stream{Dict: pdf.Dict{"N": pdf.Int(3)}, Data: []byte("garbage")})
				return pdf.Dict{"ColorSpace": pdf.Dict{"CS": pdf.Array{pdf.Name("ICCBased"), icc}}}
			})
		}, StatusModified, "no ICC header", nil},
		// Graphics states: soft masks, transfer functions, opacities.
		{"smask-transfer-function", func() []byte {
			return softMask(over, overBox, func(u *pdf.Update, g pdf.Ref) pdf.Dict {
				return pdf.Dict{"S": pdf.Name("Luminosity"), "G": g, "TR": sampled(u, n(2), n(1, 1), 8, nil)}
			}, nil)
		}, StatusModified, why, popErased},
		{"smask-backdrop-of-a-form-without-group", func() []byte {
			return square(over, "/G gs 1 g "+overBox+" f", func(u *pdf.Update) pdf.Dict {
				sm := pdf.Dict{"S": pdf.Name("Luminosity"), "G": u.Add(s4Form(n(0, 0, 1, 1), nil, pdf.Dict{})), "BC": n(1)}
				return pdf.Dict{"ExtGState": pdf.Dict{"G": pdf.Dict{"SMask": sm}}}
			})
		}, StatusModified, why, popErased},
		{"smask-backdrop-without-group-space", func() []byte {
			return square(over, "/G gs 1 g "+overBox+" f", func(u *pdf.Update) pdf.Dict {
				gf := s4Form(n(0, 0, 1, 1), nil, pdf.Dict{})
				gf.Dict["Group"] = pdf.Dict{"S": pdf.Name("Transparency")}
				sm := pdf.Dict{"S": pdf.Name("Luminosity"), "G": u.Add(gf), "BC": n(1)}
				return pdf.Dict{"ExtGState": pdf.Dict{"G": pdf.Dict{"SMask": sm}}}
			})
		}, StatusModified, why, nil},
		{"smask-twin", func() []byte {
			return softMask(away, awayBox, func(u *pdf.Update, g pdf.Ref) pdf.Dict {
				return pdf.Dict{"S": pdf.Name("Luminosity"), "G": g, "BC": n(0)}
			}, gray)
		}, StatusValid, ok, nil},
		{"gs-transfer-function", func() []byte {
			return gstate(over, overBox, pdf.Dict{"TR": pdf.Dict{"FunctionType": pdf.Int(2), "Domain": n(0, 1), "C0": n(1), "C1": n(1), "N": pdf.Int(1)}})
		}, StatusModified, why, nil},
		{"gs-opacity-a-name", func() []byte {
			return gstate(over, overBox, pdf.Dict{"ca": pdf.Name("Foo")})
		}, StatusModified, why, popErased},
		{"gs-twin", func() []byte {
			return gstate(away, awayBox, pdf.Dict{"ca": pdf.Real{Value: 0.5}, "BM": pdf.Name("Multiply"), "LW": pdf.Int(2)})
		}, StatusValid, ok, nil},
		// Type 3 fonts.
		{"type3-named-encoding", func() []byte { return type3(over, 72, 695, pdf.Name("StandardEncoding")) }, StatusModified, why, popErased},
		{"type3-twin", func() []byte { return type3(away, 330, 110, t3enc) }, StatusValid, ok, nil},
		{"type3-over-text", func() []byte { return type3(over, 72, 695, t3enc) }, StatusModified, covers, popErased},
	})
}

func itoa(i int) string {
	return strconv.Itoa(i)
}

// lostInk counts the pixels dark (grey < 96) in a and light (grey > 200) in b.
func lostInk(a, b image.Image) int {
	n := 0
	r := a.Bounds().Intersect(b.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if int(ar+ag+ab)/3>>8 < 96 && int(br+bg+bb)/3>>8 > 200 {
				n++
			}
		}
	}
	return n
}

// TestRedTeamS7Markup (red team s7 G1, synthmarkup.go): an Underline, StrikeOut or Squiggly
// without an appearance stream, white, over a quad a few hundred points tall: MuPDF draws its
// line 1/16 of the quad's height thick (a 24 pt white bar across the signed amount), PDFium —
// the cover check's renderer — a thin one, and the change was valid. Each reader's synthesized
// bands are now painted before the comparison. The twins: the same annotations over blank paper,
// honest coloured markup over the signed text (quads as tall as the line), a yellow highlight
// without /AP over the text — which MuPDF and poppler multiply (the text keeps its ink: shown
// here in both) — stay valid.
func TestRedTeamS7Markup(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	n := func(v ...float64) pdf.Array {
		a := make(pdf.Array, len(v))
		for i, x := range v {
			a[i] = pdf.Real{Value: x}
		}
		return a
	}
	// markup adds a st annotation over the quad x0..x1, y0..y1 (corners in ISO order, or
	// upside down with rev), colour c (nil: none), /Rect rect (nil: the quad).
	markup := func(st string, x0, y0, x1, y1 float64, c pdf.Array, rev bool, rect pdf.Array) []byte {
		q := n(x0, y1, x1, y1, x0, y0, x1, y0)
		if rev {
			q = n(x0, y0, x1, y0, x0, y1, x1, y1)
		}
		if rect == nil {
			rect = n(x0, y0, x1, y1)
		}
		extra := pdf.Dict{"QuadPoints": q}
		if c != nil {
			extra["C"] = c
		}
		return s4Annot(t, signed, st, rect, nil, extra)
	}
	white, red, yellow := n(1, 1, 1), n(1, 0, 0), n(1, 1, 0)
	// A 384 pt quad: MuPDF's line is 24 pt thick, at 1/7 (Underline) or 3/7 (StrikeOut) of the
	// height: centred on the signed line (y 695…717) with these bottoms.
	const h = 384.0
	ulBottom, soBottom := 706-h/7, 706-3*h/7
	muErased := func(t *testing.T, d []byte) {
		t.Helper()
		if k := lostInk(mupdfPage(t, signed, 72), mupdfPage(t, d, 72)); k < 100 {
			t.Fatalf("the attack erases nothing in MuPDF: %d ink pixels lost", k)
		}
	}
	keepsInk := func(t *testing.T, d []byte) {
		t.Helper()
		if k := lostInk(mupdfPage(t, signed, 72), mupdfPage(t, d, 72)); k > 10 {
			t.Fatalf("MuPDF draws the highlight opaque: %d ink pixels lost", k)
		}
		if k := lostInk(popplerPage(t, signed, 72), popplerPage(t, d, 72)); k > 10 {
			t.Fatalf("poppler draws the highlight opaque: %d ink pixels lost", k)
		}
	}
	const covers = "cover(s) signed content"
	runRows(t, s, []rtRow{
		{"underline-white-tall-quad", func() []byte { return markup("Underline", 60, ulBottom, 320, ulBottom+h, white, false, nil) }, StatusModified, covers, muErased},
		{"strikeout-white-tall-quad", func() []byte { return markup("StrikeOut", 60, soBottom, 320, soBottom+h, white, false, nil) }, StatusModified, covers, muErased},
		{"squiggly-white-tall-quad", func() []byte { return markup("Squiggly", 60, 690-h/14, 320, 690-h/14+h, white, false, nil) }, StatusModified, covers, muErased},
		{"underline-white-cmyk", func() []byte {
			return markup("Underline", 60, ulBottom, 320, ulBottom+h, n(0, 0, 0, 0), false, nil)
		}, StatusModified, covers, muErased},
		{"strikeout-white-small-rect", func() []byte {
			return markup("StrikeOut", 60, soBottom, 320, soBottom+h, white, false, n(60, 100, 61, 101))
		}, StatusModified, covers, muErased},
		{"strikeout-white-upside-down-quad", func() []byte {
			// MuPDF offsets from the corner the order calls lower-left: here the top one.
			top := 706 + 3*h/7
			return markup("StrikeOut", 60, top-h, 320, top, white, true, nil)
		}, StatusModified, covers, muErased},
		{"underline-no-colour-tall-quad", func() []byte { return markup("Underline", 60, ulBottom, 320, ulBottom+h, nil, false, nil) }, StatusModified, covers, nil},
		// Twins.
		{"underline-white-tall-quad-blank-twin", func() []byte {
			return markup("Underline", 320, 300-h/7, 560, 300-h/7+h, white, false, nil)
		}, StatusValid, "Underline annotation added", nil},
		{"underline-red-honest-twin", func() []byte { return markup("Underline", 122, 693, 212, 720, red, false, nil) }, StatusValid, "Underline annotation added", nil},
		{"strikeout-red-honest-twin", func() []byte { return markup("StrikeOut", 122, 693, 212, 720, red, false, nil) }, StatusValid, "StrikeOut annotation added", nil},
		{"squiggly-red-honest-twin", func() []byte { return markup("Squiggly", 122, 693, 212, 720, red, false, nil) }, StatusValid, "Squiggly annotation added", nil},
		{"highlight-yellow-no-ap-twin", func() []byte { return markup("Highlight", 70, 693, 290, 720, yellow, false, nil) }, StatusValid, "Highlight annotation added", keepsInk},
		{"highlight-white-tall-no-ap-twin", func() []byte { return markup("Highlight", 60, 600, 320, 900, white, false, nil) }, StatusValid, "Highlight annotation added", keepsInk},
	})
}

// TestRedTeamS7Geometry (red team s7 G7–G10, G1b; coverpaint.go, coversyntax.go,
// coverimages.go, synthmarkup.go): more of what PDFium drops while poppler or MuPDF paint — a
// zero-length curve stroked with round caps (a dot in poppler and MuPDF), a negative dash
// length or line width, an ExtGState /D with a negative dash, an image without
// /BitsPerComponent or /ColorSpace, text in a Type0 font without its descendant — and a
// Polygon without /AP whose /Rect is a blank corner while its /Vertices frame the amount
// (poppler and MuPDF draw at the vertices). Each erased the amount in that reader (asserted)
// and was valid; now each is reported. The twins draw the same in strict form or in blank
// space.
func TestRedTeamS7Geometry(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	square := func(rect pdf.Array, content string, res pdf.Dict) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(rect, []byte(content), res))
		}, nil)
	}
	// dots: white round-capped zero-length curves along the line at y (the forgery's eraser).
	dots := func(x0, y int) string {
		c := "1 G 30 w 1 J"
		for x := x0; x < x0+240; x += 20 {
			c += fmt.Sprintf(" %d %d m %d %d %d %d %d %d c S", x, y, x, y, x, y, x, y)
		}
		return c
	}
	img := func(rect pdf.Array, dict pdf.Dict) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			d := pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(4), "Height": pdf.Int(4),
				"ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8)}
			for k, v := range dict {
				if v == nil {
					delete(d, k)
				} else {
					d[k] = v
				}
			}
			im := u.Add(&pdf.Stream{Dict: d, Data: bytes.Repeat([]byte{0xff}, 48)})
			x, y := rect[0].(pdf.Int), rect[1].(pdf.Int)
			return u.Add(s4Form(rect, []byte(fmt.Sprintf("q 240 0 0 40 %d %d cm /I Do Q", x, y)), pdf.Dict{"XObject": pdf.Dict{"I": im}}))
		}, nil)
	}
	type0 := func(rect pdf.Array, x, y int, desc bool) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			f := pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type0"), "BaseFont": pdf.Name("Helvetica"), "Encoding": pdf.Name("Identity-H")}
			if desc {
				f["DescendantFonts"] = pdf.Array{u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("CIDFontType2"), "BaseFont": pdf.Name("Helvetica"),
					"CIDSystemInfo": pdf.Dict{"Registry": pdf.String{Bytes: []byte("Adobe")}, "Ordering": pdf.String{Bytes: []byte("Identity")}, "Supplement": pdf.Int(0)},
					"DW":            pdf.Int(1000)})}
			}
			return u.Add(s4Form(rect, []byte(fmt.Sprintf("1 g BT /F 60 Tf %d %d Td <0041004100410041> Tj ET", x, y)), pdf.Dict{"Font": pdf.Dict{"F": u.Add(f)}}))
		}, nil)
	}
	// polygon: a white-filled Polygon without /AP at /Rect rect with the given vertices.
	polygon := func(rect, vertices pdf.Array) []byte {
		return s4Annot(t, signed, "Polygon", rect, nil, pdf.Dict{"Vertices": vertices,
			"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "IC": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "BS": pdf.Dict{"W": pdf.Int(0)}})
	}
	const why = "readers draw differently"
	const ok = "Square annotation added"
	popErased, muErased := rendersDifferently(signed), mupdfRendersDifferently(signed)
	both := func(t *testing.T, d []byte) { popErased(t, d); muErased(t, d) }
	runRows(t, s, []rtRow{
		{"zero-length-curves-round-caps", func() []byte { return square(over, dots(75, 708), nil) }, StatusModified, why, both},
		{"zero-length-curves-butt-caps-twin", func() []byte { return square(over, strings.Replace(dots(75, 708), "1 J", "0 J", 1), nil) }, StatusValid, ok, nil},
		{"round-capped-lines-twin", func() []byte {
			return square(away, "0 0 1 RG 10 w 1 J 330 120 m 350 120 l S", nil)
		}, StatusValid, ok, nil},
		{"negative-line-width", func() []byte { return square(over, "1 G -40 w 60 710 m 300 710 l S", nil) }, StatusModified, "negative line width", popErased},
		{"negative-dash", func() []byte { return square(over, "1 G 40 w [-1 2] 0 d 60 710 m 300 710 l S", nil) }, StatusModified, why, muErased},
		{"extgstate-negative-dash", func() []byte {
			return square(over, "/G gs 1 G 40 w 60 710 m 300 710 l S", pdf.Dict{"ExtGState": pdf.Dict{"G": pdf.Dict{"D": pdf.Array{pdf.Array{pdf.Int(-1), pdf.Int(2)}, pdf.Int(0)}}}})
		}, StatusModified, why, muErased},
		{"dash-twin", func() []byte {
			return square(away, "/G gs 0 0 1 RG 4 w 330 120 m 550 120 l S [3 2] 1 d 330 140 m 550 140 l S",
				pdf.Dict{"ExtGState": pdf.Dict{"G": pdf.Dict{"D": pdf.Array{pdf.Array{pdf.Int(1), pdf.Int(2)}, pdf.Int(0)}, "LC": pdf.Int(1)}}})
		}, StatusValid, ok, nil},
		{"image-without-bits", func() []byte { return img(over, pdf.Dict{"BitsPerComponent": nil}) }, StatusModified, "no /BitsPerComponent", muErased},
		{"image-without-colour-space", func() []byte { return img(over, pdf.Dict{"ColorSpace": nil}) }, StatusModified, "no /ColorSpace", muErased},
		{"image-twin", func() []byte { return img(away, nil) }, StatusValid, ok, nil},
		{"type0-without-descendant", func() []byte { return type0(over, 62, 692, false) }, StatusModified, why, nil},
		{"type0-twin", func() []byte { return type0(away, 330, 110, true) }, StatusValid, ok, nil},
		{"polygon-vertices-over-text-rect-blank", func() []byte {
			return polygon(pdf.Array{pdf.Int(450), pdf.Int(100), pdf.Int(530), pdf.Int(140)},
				pdf.Array{pdf.Int(65), pdf.Int(692), pdf.Int(300), pdf.Int(692), pdf.Int(300), pdf.Int(724), pdf.Int(65), pdf.Int(724)})
		}, StatusModified, "cover(s) signed content", both},
		{"note-icon-with-tiny-rect-over-digits", func() []byte {
			return s4Annot(t, signed, "Text", pdf.Array{pdf.Int(130), pdf.Int(719), pdf.Int(131), pdf.Int(720)}, nil,
				pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "Name": pdf.Name("Comment")})
		}, StatusModified, "cover(s) signed content", func(t *testing.T, d []byte) {
			if k := lostInk(popplerPage(t, signed, 72), popplerPage(t, d, 72)); k < 15 {
				t.Fatalf("poppler's icon erases nothing: %d ink pixels lost", k)
			}
		}},
		{"note-icon-twin", func() []byte {
			return s4Annot(t, signed, "Text", pdf.Array{pdf.Int(400), pdf.Int(139), pdf.Int(401), pdf.Int(140)}, nil,
				pdf.Dict{"C": pdf.Array{pdf.Int(1), pdf.Int(1), pdf.Int(1)}, "Name": pdf.Name("Comment")})
		}, StatusValid, "Text annotation added", nil},
		{"polygon-twin", func() []byte {
			return polygon(pdf.Array{pdf.Int(450), pdf.Int(100), pdf.Int(530), pdf.Int(140)},
				pdf.Array{pdf.Int(330), pdf.Int(110), pdf.Int(550), pdf.Int(110), pdf.Int(550), pdf.Int(150), pdf.Int(330), pdf.Int(150)})
		}, StatusValid, "Polygon annotation added", nil},
	})
}
