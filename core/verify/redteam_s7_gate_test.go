package verify

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s7 G7–G10 (coverstate.go, coverimages.go): an added appearance whose graphics
// state, font, image dictionary or path PDFium — the cover check's renderer — reads as "draw
// nothing" while poppler or MuPDF paint it. A white box over the signed amount with /ca /Foo,
// a soft mask whose group has no /Group, a Type 3 font with /Encoding /StandardEncoding, an
// image without /BitsPerComponent, a zero-length curve stroked with round caps, a negative
// line width or dash entry: each was valid while poppler or MuPDF showed the amount erased.
// Each is now an evil annotation naming the reason; the twins (the same drawing well formed,
// in a blank area) stay valid.

// mupdfPage renders page 1 with mutool draw at dpi; without mutool the effect check is skipped
// with a message (required under SEALDESK_CI).
func mupdfPage(t *testing.T, d []byte, dpi int) image.Image {
	t.Helper()
	tool, err := exec.LookPath("mutool")
	if err != nil {
		if os.Getenv("SEALDESK_CI") != "" {
			t.Fatal("mutool (MuPDF) missing")
		}
		t.Skip("mutool (MuPDF) not installed: the attack's effect in MuPDF cannot be shown")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "in.pdf")
	if err := os.WriteFile(f, d, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "p.png")
	if msg, err := exec.Command(tool, "draw", "-q", "-r", fmt.Sprint(dpi), "-o", out, f, "1").CombinedOutput(); err != nil {
		t.Fatalf("mutool draw: %v %s", err, msg)
	}
	fh, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// readersShow asserts that each named reader ("poppler", "mupdf") draws page 1 of the attack
// visibly differently from the signed document (more than min pixels at 72 dpi changed).
func readersShow(signed []byte, min int, readers ...string) func(t *testing.T, d []byte) {
	return func(t *testing.T, d []byte) {
		t.Helper()
		for _, r := range readers {
			page := popplerPage
			if r == "mupdf" {
				page = mupdfPage
			}
			if n := changedPixels(page(t, signed, 72), page(t, d, 72)); n < min {
				t.Fatalf("the attack has no visible effect in %s: %d pixels differ", r, n)
			}
		}
	}
}

func TestRedTeamS7WellFormed(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	const box = "60 690 240 40 re f"
	const awayBox = "320 100 240 60 re f"
	num := func(v float64) pdf.Object { return pdf.Real{Value: v} }
	// square: a Square annotation at rect whose appearance (BBox = rect) is content with the
	// resources res makes (u adds indirect objects).
	square := func(rect pdf.Array, content string, res func(u *pdf.Update) pdf.Dict) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			var r pdf.Dict
			if res != nil {
				r = res(u)
			}
			return u.Add(s4Form(rect, []byte(content), r))
		}, nil)
	}
	// withGS: resources holding ExtGState /G = gs.
	withGS := func(gs pdf.Dict) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict {
			return pdf.Dict{"ExtGState": pdf.Dict{"G": u.Add(gs)}}
		}
	}
	// group: a soft-mask group form over the page drawing content; transparency adds /Group.
	group := func(u *pdf.Update, content string, transparency bool, extra pdf.Dict) pdf.Ref {
		f := s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(792)}, []byte(content), extra)
		if transparency {
			f.Dict["Group"] = pdf.Dict{"S": pdf.Name("Transparency"), "CS": pdf.Name("DeviceGray")}
		}
		return u.Add(f)
	}
	// type3: resources with font /T, a Type 3 font whose glyph a paints a white 1000-unit box
	// (1 unit = 0.001 text space); enc is its /Encoding (nil: none).
	type3 := func(enc pdf.Object, glyph string, noRes ...bool) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict {
			proc := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte(glyph)})
			font := pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
				"FontBBox":   pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1000), pdf.Int(1000)},
				"FontMatrix": pdf.Array{num(0.001), pdf.Int(0), pdf.Int(0), num(0.001), pdf.Int(0), pdf.Int(0)},
				"CharProcs":  pdf.Dict{"a": proc}, "Resources": pdf.Dict{},
				"FirstChar": pdf.Int(97), "LastChar": pdf.Int(97), "Widths": pdf.Array{pdf.Int(1000)}}
			if enc != nil {
				font["Encoding"] = enc
			}
			if len(noRes) > 0 {
				delete(font, "Resources")
			}
			return pdf.Dict{"Font": pdf.Dict{"T": u.Add(font)}}
		}
	}
	diffs := pdf.Dict{"Type": pdf.Name("Encoding"), "Differences": pdf.Array{pdf.Int(97), pdf.Name("a")}}
	const whiteGlyph = "1000 0 d0 1 g 0 0 1000 1000 re f"
	// the glyph at 240 pt: one "a" covers the signed amount line
	const showOver = "BT /T 240 Tf 60 690 Td (a) Tj ET"
	const showAway = "BT /T 60 Tf 320 100 Td (a) Tj ET"
	// image: resources with image /I, 4×4 white samples, dictionary d plus Width/Height.
	image := func(d pdf.Dict) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict {
			dict := pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(4), "Height": pdf.Int(4)}
			for k, v := range d {
				dict[k] = v
			}
			data := make([]byte, 48)
			for i := range data {
				data[i] = 0xff
			}
			return pdf.Dict{"XObject": pdf.Dict{"I": u.Add(&pdf.Stream{Dict: dict, Data: data})}}
		}
	}
	rgb8 := pdf.Dict{"BitsPerComponent": pdf.Int(8), "ColorSpace": pdf.Name("DeviceRGB")}
	const drawOver = "q 240 0 0 40 60 690 cm /I Do Q"
	const drawAway = "q 240 0 0 60 320 100 cm /I Do Q"
	drop := func(d pdf.Dict, k pdf.Name) pdf.Dict {
		c := d.Clone()
		delete(c, k)
		return c
	}
	set := func(d pdf.Dict, k pdf.Name, v pdf.Object) pdf.Dict {
		c := d.Clone()
		c[k] = v
		return c
	}
	const ok = "Square annotation added"
	both := func(min int) func(t *testing.T, d []byte) { return readersShow(signed, min, "poppler", "mupdf") }
	pop := func(min int) func(t *testing.T, d []byte) { return readersShow(signed, min, "poppler") }
	mu := func(min int) func(t *testing.T, d []byte) { return readersShow(signed, min, "mupdf") }
	runRows(t, s, []rtRow{
		// G7: graphics states PDFium reads as invisible or ignores.
		{"gs-ca-name", func() []byte {
			return square(over, "/G gs 1 g "+box, withGS(pdf.Dict{"ca": pdf.Name("Foo")}))
		}, StatusModified, "/ca that is not a number in 0–1", both(200)},
		{"gs-CA-out-of-range", func() []byte {
			return square(over, "/G gs 1 G 20 w 60 710 m 300 710 l S", withGS(pdf.Dict{"CA": pdf.Int(2)}))
		}, StatusModified, "/CA that is not a number in 0–1", nil},
		{"smask-group-without-group", func() []byte {
			return square(over, "/G gs 1 g "+box, func(u *pdf.Update) pdf.Dict {
				return withGS(pdf.Dict{"SMask": pdf.Dict{"S": pdf.Name("Luminosity"), "G": group(u, "", false, pdf.Dict{}), "BC": pdf.Array{pdf.Int(1)}}})(u)
			})
		}, StatusModified, "no transparency /Group", both(200)},
		{"smask-tr-function-without-samples", func() []byte {
			return square(over, "/G gs 1 g "+box, func(u *pdf.Update) pdf.Dict {
				tr := u.Add(&pdf.Stream{Dict: pdf.Dict{"FunctionType": pdf.Int(0), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1)},
					"Range": pdf.Array{pdf.Int(1), pdf.Int(1)}, "Size": pdf.Array{pdf.Int(2)}, "BitsPerSample": pdf.Int(8)}})
				return withGS(pdf.Dict{"SMask": pdf.Dict{"S": pdf.Name("Luminosity"), "G": group(u, "0 g 0 0 612 792 re f", true, nil), "TR": tr}})(u)
			})
		}, StatusModified, "transfer function other than /Identity", pop(200)},
		{"gs-tr-multiply", func() []byte {
			return square(over, "/G gs 0 g "+box, func(u *pdf.Update) pdf.Dict {
				tr := u.Add(&pdf.Stream{Dict: pdf.Dict{"FunctionType": pdf.Int(4), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1)},
					"Range": pdf.Array{pdf.Int(0), pdf.Int(1)}}, Data: []byte("{ pop 1 }")})
				return withGS(pdf.Dict{"TR": tr, "BM": pdf.Name("Multiply")})(u)
			})
		}, StatusModified, "/TR other than /Identity", nil},
		{"gs-bm-unknown", func() []byte {
			return square(over, "/G gs 1 g "+box, withGS(pdf.Dict{"BM": pdf.Array{pdf.Name("Foo"), pdf.Name("Normal")}}))
		}, StatusModified, "blend mode ISO 32000 does not name", nil},
		{"gs-numbers-twin", func() []byte {
			return square(away, "/G gs 0 0 1 rg "+awayBox, withGS(pdf.Dict{"ca": num(0.5), "CA": pdf.Int(1), "BM": pdf.Name("Multiply"),
				"LW": num(2.5), "LC": pdf.Int(1), "D": pdf.Array{pdf.Array{pdf.Int(3), pdf.Int(2)}, pdf.Int(0)}, "TR2": pdf.Name("Default"),
				"SA": pdf.Bool(true), "OPM": pdf.Int(1), "SMask": pdf.Name("None")}))
		}, StatusValid, ok, nil},
		{"smask-twin", func() []byte {
			return square(away, "/G gs 0 0 1 rg "+awayBox, func(u *pdf.Update) pdf.Dict {
				return withGS(pdf.Dict{"SMask": pdf.Dict{"S": pdf.Name("Luminosity"), "G": group(u, "0.5 g 0 0 612 792 re f", true, nil),
					"BC": pdf.Array{pdf.Int(0)}, "TR": pdf.Name("Identity")}})(u)
			})
		}, StatusValid, ok, nil},
		// G8: fonts PDFium refuses to draw.
		{"type3-encoding-name", func() []byte {
			return square(over, showOver, type3(pdf.Name("StandardEncoding"), whiteGlyph))
		}, StatusModified, "/Encoding is not a dictionary", both(200)},
		{"type3-without-encoding", func() []byte {
			return square(over, showOver, type3(nil, whiteGlyph))
		}, StatusModified, "/Encoding is not a dictionary", pop(200)},
		{"type3-without-differences", func() []byte {
			return square(over, showOver, type3(pdf.Dict{"BaseEncoding": pdf.Name("StandardEncoding")}, whiteGlyph))
		}, StatusModified, "has no /Differences", nil},
		{"type3-glyph-names-resource-without-resources", func() []byte {
			return square(over, showOver, type3(diffs, "1000 0 d0 /X Do", true))
		}, StatusModified, "without /Resources", nil},
		{"type0-without-descendants", func() []byte {
			return square(over, "BT /F 24 Tf 200 700 Td <00410042> Tj ET", func(u *pdf.Update) pdf.Dict {
				return pdf.Dict{"Font": pdf.Dict{"F": u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type0"),
					"BaseFont": pdf.Name("Helvetica"), "Encoding": pdf.Name("Identity-H")})}}
			})
		}, StatusModified, "without exactly one descendant font", both(20)},
		{"font-unknown-encoding-name", func() []byte {
			return square(over, "BT /F 24 Tf 72 660 Td (AB) Tj ET", func(u *pdf.Update) pdf.Dict {
				return pdf.Dict{"Font": pdf.Dict{"F": u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"),
					"BaseFont": pdf.Name("Helvetica"), "Encoding": pdf.Name("FooEncoding")})}}
			})
		}, StatusModified, "does not name", nil},
		{"type3-differences-twin", func() []byte {
			return square(away, showAway, type3(diffs, "1000 0 d0 0 0 1 rg 0 0 1000 1000 re f"))
		}, StatusValid, ok, nil},
		{"standard-font-twin", func() []byte {
			return square(away, "BT /F 24 Tf 330 120 Td (Note) Tj ET", func(u *pdf.Update) pdf.Dict {
				return pdf.Dict{"Font": pdf.Dict{"F": u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"),
					"BaseFont": pdf.Name("Helvetica"), "Encoding": pdf.Name("WinAnsiEncoding")})}}
			})
		}, StatusValid, ok, nil},
		// G9: image dictionaries PDFium does not draw.
		{"image-without-bpc", func() []byte { return square(over, drawOver, image(drop(rgb8, "BitsPerComponent"))) }, StatusModified, "no /BitsPerComponent", mu(100)},
		{"image-bpc-0", func() []byte {
			return square(over, drawOver, image(set(rgb8, "BitsPerComponent", pdf.Int(0))))
		}, StatusModified, "/BitsPerComponent other than 1, 2, 4, 8 or 16", mu(100)},
		{"image-without-colorspace", func() []byte { return square(over, drawOver, image(drop(rgb8, "ColorSpace"))) }, StatusModified, "no /ColorSpace", mu(100)},
		{"image-mask-bpc-8", func() []byte {
			return square(over, "1 g "+drawOver, image(pdf.Dict{"ImageMask": pdf.Bool(true), "BitsPerComponent": pdf.Int(8)}))
		}, StatusModified, "image mask with /BitsPerComponent other than 1", nil},
		{"inline-image-without-bpc", func() []byte {
			return square(over, "q 240 0 0 40 60 690 cm BI /W 1 /H 1 /CS /G ID \xff EI Q", nil)
		}, StatusModified, "no /BitsPerComponent", nil},
		{"image-twin", func() []byte { return square(away, drawAway, image(rgb8)) }, StatusValid, ok, nil},
		{"image-mask-twin", func() []byte {
			return square(away, "0 0 1 rg "+drawAway, image(pdf.Dict{"ImageMask": pdf.Bool(true)}))
		}, StatusValid, ok, nil},
		// G10: degenerate geometry.
		{"zero-length-curve-round-cap", func() []byte {
			return square(over, "1 G 40 w 1 J 100 710 m 100 710 100 710 100 710 c S 160 710 m 160 710 160 710 160 710 c S 220 710 m 220 710 220 710 220 710 c S", nil)
		}, StatusModified, "zero length stroked with round caps", both(200)},
		{"zero-length-line-round-cap", func() []byte { return square(over, "1 G 40 w 1 J 100 710 m 100 710 l S", nil) }, StatusModified, "zero length stroked with round caps", nil},
		{"closepath-point-square-cap", func() []byte { return square(over, "1 G 40 w 2 J 100 710 m h S", nil) }, StatusModified, "zero length stroked", nil},
		{"point-rectangle-round-cap-gs", func() []byte {
			return square(over, "1 G 40 w /G gs 100 710 0 0 re S", withGS(pdf.Dict{"LC": pdf.Int(1)}))
		}, StatusModified, "zero length stroked", nil},
		{"negative-line-width", func() []byte { return square(over, "1 G -20 w 60 710 m 300 710 l S", nil) }, StatusModified, "negative line width", pop(100)},
		{"negative-dash", func() []byte { return square(over, "1 G 20 w [-1 2] 0 d 60 710 m 300 710 l S", nil) }, StatusModified, "dash array with a negative entry", mu(100)},
		{"gs-negative-line-width", func() []byte {
			return square(over, "1 G /G gs 60 710 m 300 710 l S", withGS(pdf.Dict{"LW": pdf.Int(-20)}))
		}, StatusModified, "/LW that is not a number ≥ 0", nil},
		{"gs-negative-dash", func() []byte {
			return square(over, "1 G 20 w /G gs 60 710 m 300 710 l S", withGS(pdf.Dict{"D": pdf.Array{pdf.Array{pdf.Int(-1), pdf.Int(2)}, pdf.Int(0)}}))
		}, StatusModified, "negative entry", nil},
		{"tiny-dash", func() []byte { return square(over, "1 G 20 w [0.000001 0.000001] 0 d 60 710 m 300 710 l S", nil) }, StatusModified, "period below", nil},
		{"huge-miter-limit", func() []byte { return square(over, "1 G 20 w 100000 M 60 710 m 300 710 l S", nil) }, StatusModified, "miter limit", nil},
		{"round-line-twin", func() []byte { return square(away, "0 0 1 RG 10 w 1 J 1 j 340 130 m 540 130 l S", nil) }, StatusValid, ok, nil},
		{"round-dots-twin", func() []byte {
			return square(away, "0 0 1 RG 6 w 1 J [0 12] 0 d 340 130 m 540 130 l S 340 110 m 340 110.5 l 300 115 l S", nil)
		}, StatusValid, ok, nil},
		{"tiny-closed-rect-round-join", func() []byte {
			return square(over, "1 G 40 w 1 j 100 710 0.01 0.01 re S 160 710 0.01 0.01 re S 220 710 0.01 0.01 re S", nil)
		}, StatusModified, "smaller than its line width", both(200)},
		{"small-closed-rect-bevel-join", func() []byte {
			return square(over, "1 G 40 w 2 j 100 710 0.3 0.3 re S 160 710 0.3 0.3 re S 220 710 0.3 0.3 re S", nil)
		}, StatusModified, "smaller than its line width", both(200)},
		{"closed-point-miter-join", func() []byte { return square(over, "1 G 40 w 100 710 m h S", nil) }, StatusModified, "closed subpath of zero length", nil},
		{"butt-cap-point-twin", func() []byte { return square(away, "0 0 1 RG 10 w 0 J 340 130 m 340 130 l S", nil) }, StatusValid, ok, nil},
		{"small-circle-hairline-twin", func() []byte {
			return square(away, "0 0 1 RG 0.5 w 1 J 1 j 340 130 m 340 132 341 133 343 133 c 345 133 346 132 346 130 c h S", nil)
		}, StatusValid, ok, nil},
	})
}
