package verify

import (
	"bytes"
	"compress/zlib"
	"context"
	"image"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s9 (black box, /work/redteam-s9 in the session that wrote this): constructs PDFium —
// the cover check's renderer — rejects, skips or cuts short while poppler or MuPDF draw them.
// Each class is rebuilt here by our own generator, the attack next to its harmless twin: the
// attack draws a white box and a new amount over the signed one, which poppler or MuPDF show
// (asserted where the reader is installed) while PDFium drew nothing; the twins use the same
// drawing within the rules PDFium keeps, so the rendering judges them (over the amount: covering;
// in blank space: valid).

// s9Fixture is the signed document and the builders the s9 rows share.
type s9Fixture struct {
	t      *testing.T
	signed []byte
	over   pdf.Array // the signed amount's line
	away   pdf.Array // blank space
}

func newS9Fixture(t *testing.T) (*signer, *s9Fixture) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	return s, &s9Fixture{t: t, signed: s.sign(t, plain, sigOpts{}),
		over: pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)},
		away: pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}}
}

// square adds a Square annotation at rect whose appearance is content with the resources res
// makes (the font F1 of the document is added to them).
func (f *s9Fixture) square(rect pdf.Array, content string, res func(u *pdf.Update) pdf.Dict) []byte {
	return s4Annot(f.t, f.signed, "Square", rect, func(u *pdf.Update) pdf.Object {
		r := pdf.Dict{}
		if res != nil {
			r = res(u)
		}
		fonts, _ := r["Font"].(pdf.Dict)
		if fonts == nil {
			fonts = pdf.Dict{}
		}
		fonts["F1"] = pdf.Ref{Num: 5}
		r["Font"] = fonts
		return u.Add(s4Form(rect, []byte(content), r))
	}, nil)
}

// nums makes an array of numbers.
func nums(v ...float64) pdf.Array {
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

// forged is what the attacks draw over the signed amount: a box in the current colour, then
// the new amount.
const (
	s9Box    = "60 690 240 40 re f"
	s9Amount = "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
	s9Away   = "320 100 240 60 re f"
)

// TestRedTeamS9ColourSpaces (F4, F9, F10): colour spaces PDFium rejects or paints as nothing.
// /Separation /None paints nothing in PDFium and poppler and paints in MuPDF; a CIE space
// (CalGray, CalRGB, Lab) whose /WhitePoint is not X > 0, Y = 1, Z > 0 is rejected by PDFium
// (an image in it is skipped, a cs selecting it is ignored and the previous colour — an empty
// pattern — kept), drawn by poppler and MuPDF. Siblings: a DeviceN space with a /None colorant
// and a Separation space whose alternate is Indexed (PDFium's IsSpecial rejects it).
func TestRedTeamS9ColourSpaces(t *testing.T) {
	s, f := newS9Fixture(t)
	tint := pdf.Dict{"FunctionType": pdf.Int(2), "Domain": nums(0, 1), "C0": nums(1), "C1": nums(0), "N": pdf.Int(1)}
	sep := func(colorant pdf.Name) pdf.Array {
		return pdf.Array{pdf.Name("Separation"), colorant, pdf.Name("DeviceGray"), tint}
	}
	// paint: white box then the amount, both in colour space cs (tint 0 white, 1 black for
	// Separation; L* 100 and 0 for Lab).
	paint := func(rect pdf.Array, box string, cs pdf.Object, white, black string) []byte {
		return f.square(rect, "/CS cs "+white+" sc "+box+" /CS cs "+black+" sc "+s9Amount, func(u *pdf.Update) pdf.Dict {
			return pdf.Dict{"ColorSpace": pdf.Dict{"CS": cs}}
		})
	}
	cie := func(fam pdf.Name, wp pdf.Array) pdf.Array {
		d := pdf.Dict{"WhitePoint": wp}
		if fam == "Lab" {
			d["Range"] = nums(-100, 100, -100, 100)
		}
		return pdf.Array{fam, d}
	}
	badWP, goodWP := nums(0.9505, 2, 1.089), nums(0.9505, 1, 1.089)
	// image: a 1×1 opaque white image in colour space cs over the box.
	image := func(rect pdf.Array, at string, cs pdf.Object, sample []byte) []byte {
		return f.square(rect, "q "+at+" cm /Im Do Q", func(u *pdf.Update) pdf.Dict {
			im := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
				"Width": pdf.Int(1), "Height": pdf.Int(1), "BitsPerComponent": pdf.Int(8), "ColorSpace": cs}, Data: sample})
			return pdf.Dict{"XObject": pdf.Dict{"Im": im}}
		})
	}
	const overAt, awayAt = "240 0 0 40 60 690", "240 0 0 60 320 100"
	labWhite := []byte{255, 128, 128}
	// patternThenLab: an empty tiling pattern as fill colour, then the Lab space for the box and
	// the amount (PDFium ignores the cs and keeps the pattern: it draws nothing).
	patternThenLab := func(rect pdf.Array, box string, wp pdf.Array) []byte {
		return f.square(rect, "/Pattern cs /P0 scn /L cs 100 0 0 sc "+box+" /L cs 0 0 0 sc "+s9Amount, func(u *pdf.Update) pdf.Dict {
			cell := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("Pattern"), "PatternType": pdf.Int(1), "PaintType": pdf.Int(1),
				"TilingType": pdf.Int(1), "BBox": nums(0, 0, 10, 10), "XStep": pdf.Int(10), "YStep": pdf.Int(10), "Resources": pdf.Dict{}}, Data: []byte("")})
			return pdf.Dict{"Pattern": pdf.Dict{"P0": cell}, "ColorSpace": pdf.Dict{"L": cie("Lab", wp)}}
		})
	}
	const ok = "Square annotation added"
	const covers = "cover(s) signed content"
	popShows, muShows := readersShow(f.signed, 200, "poppler"), readersShow(f.signed, 200, "mupdf")
	runRows(t, s, []rtRow{
		{"F4 Separation /None: MuPDF paints the box and the amount", func() []byte {
			return paint(f.over, s9Box, sep("None"), "0", "1")
		}, StatusModified, "colorant /None", muShows},
		{"F4 twin: a named colorant in blank space", func() []byte {
			return paint(f.away, s9Away, sep("Spot"), "1", "1")
		}, StatusValid, ok, nil},
		{"F4 twin: a named colorant over the amount: the rendering judges it", func() []byte {
			return paint(f.over, s9Box, sep("Spot"), "0", "1")
		}, StatusModified, covers, nil},
		{"F4 sibling: DeviceN with a /None colorant", func() []byte {
			dn := pdf.Array{pdf.Name("DeviceN"), pdf.Array{pdf.Name("None")}, pdf.Name("DeviceGray"), tint}
			return paint(f.over, s9Box, dn, "0", "1")
		}, StatusModified, "DeviceN colour space with a /None colorant", nil},
		{"F4 sibling: Separation over an Indexed alternate", func() []byte {
			ix := pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceGray"), pdf.Int(1), pdf.String{Bytes: []byte{0xff, 0x00}}}
			return paint(f.over, s9Box, pdf.Array{pdf.Name("Separation"), pdf.Name("Spot"), ix, tint}, "0", "1")
		}, StatusModified, "alternate is /Indexed, which PDFium rejects", nil},
		{"F9 Lab image with /WhitePoint Y 2: poppler draws it", func() []byte {
			return image(f.over, overAt, cie("Lab", badWP), labWhite)
		}, StatusModified, "/WhitePoint [0.9505 2 1.089]", popShows},
		{"F9 CalGray image with /WhitePoint Y 2", func() []byte {
			return image(f.over, overAt, cie("CalGray", badWP), []byte{255})
		}, StatusModified, "CalGray colour space whose /WhitePoint", popShows},
		{"F9 CalRGB image with a negative /WhitePoint X", func() []byte {
			return image(f.over, overAt, cie("CalRGB", nums(-0.9505, 1, 1.089)), []byte{255, 255, 255})
		}, StatusModified, "CalRGB colour space whose /WhitePoint", nil},
		{"F9 Lab image with /WhitePoint Z 0", func() []byte {
			return image(f.over, overAt, cie("Lab", nums(0.9505, 1, 0)), labWhite)
		}, StatusModified, "is not X > 0, Y = 1, Z > 0", nil},
		{"F9 twin: Lab image with /WhitePoint Y 1 over the amount: the rendering judges it", func() []byte {
			return image(f.over, overAt, cie("Lab", goodWP), labWhite)
		}, StatusModified, covers, nil},
		{"sibling: Indexed image samples beyond /hival: PDFium paints black, poppler white", func() []byte {
			return image(f.over, overAt, pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceGray"), pdf.Int(0), pdf.String{Bytes: []byte{0xff}}}, []byte{0xff})
		}, StatusModified, "sample 255 beyond its /hival 0", func(t *testing.T, d []byte) {
			if pd, pp := darkIn(pdfiumPage(t, d)), darkIn(popplerPage(t, d, 72)); pd < 5000 || pp > 1000 {
				t.Fatalf("PDFium and poppler paint the box alike: %d and %d dark pixels", pd, pp)
			}
		}},
		{"sibling twin: Indexed image samples within /hival in blank space", func() []byte {
			return image(f.away, awayAt, pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceGray"), pdf.Int(1), pdf.String{Bytes: []byte{0x00, 0xff}}}, []byte{0x01})
		}, StatusValid, ok, nil},
		{"sibling: Indexed image with an inverting /Decode", func() []byte {
			return f.square(f.over, "q "+overAt+" cm /Im Do Q", func(u *pdf.Update) pdf.Dict {
				im := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
					"Width": pdf.Int(1), "Height": pdf.Int(1), "BitsPerComponent": pdf.Int(8), "Decode": nums(255, 0),
					"ColorSpace": pdf.Array{pdf.Name("Indexed"), pdf.Name("DeviceGray"), pdf.Int(0), pdf.String{Bytes: []byte{0xff}}}}, Data: []byte{0xff}})
				return pdf.Dict{"XObject": pdf.Dict{"Im": im}}
			})
		}, StatusModified, "/Decode other than the default", nil},
		{"F9 twin: CalGray image with /WhitePoint Y 1 in blank space", func() []byte {
			return image(f.away, awayAt, cie("CalGray", goodWP), []byte{0})
		}, StatusValid, ok, nil},
		{"F10 Lab fill after an empty pattern: poppler draws the box and the amount", func() []byte {
			return patternThenLab(f.over, s9Box, badWP)
		}, StatusModified, "/Lab colour space whose /WhitePoint", popShows},
		{"F10 twin: the same with /WhitePoint Y 1: the rendering judges it", func() []byte {
			return patternThenLab(f.over, s9Box, goodWP)
		}, StatusModified, covers, nil},
	})
}

// TestRedTeamS9Nesting (F5): PDFium draws an appearance's forms down to the 40th nested one
// (kMaxFormLevel) and nothing below; poppler and MuPDF go on. A white box and a new amount at
// the bottom of a chain of 41 forms was valid. The twin at 40 forms is drawn by PDFium, so the
// rendering judges it — the limit is PDFium's, not lower. Siblings: the 41st level a tiling
// pattern instead of a form (every kind of nested content counts); a Type 3 glyph showing text
// in its own font, which PDFium leaves out at any depth (measured here) while poppler and MuPDF
// draw it.
func TestRedTeamS9Nesting(t *testing.T) {
	s, f := newS9Fixture(t)
	// chain: the appearance draws depth nested forms (via /X Do), the last draws payload; with
	// pattern, the last is a tiling pattern that the form above it fills the box with.
	prefix := "" // content the appearance draws before /X Do
	chain := func(rect pdf.Array, depth int, payload string, pattern bool) []byte {
		return s4Annot(t, f.signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			font := pdf.Dict{"F1": pdf.Ref{Num: 5}}
			var next pdf.Ref
			first := 1
			if pattern {
				cell := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("Pattern"), "PatternType": pdf.Int(1), "PaintType": pdf.Int(1),
					"TilingType": pdf.Int(1), "BBox": nums(0, 0, 612, 792), "XStep": pdf.Int(612), "YStep": pdf.Int(792),
					"Resources": pdf.Dict{"Font": font}}, Data: []byte(payload)})
				next = u.Add(s4Form(rect, []byte("/Pattern cs /P scn "+s9Box), pdf.Dict{"Pattern": pdf.Dict{"P": cell}}))
				first = 2
			} else {
				next = u.Add(s4Form(rect, []byte(payload), pdf.Dict{"Font": font}))
			}
			for i := first; i < depth; i++ {
				next = u.Add(s4Form(rect, []byte("/X Do"), pdf.Dict{"XObject": pdf.Dict{"X": next}}))
			}
			return u.Add(s4Form(rect, []byte(prefix+"/X Do"), pdf.Dict{"XObject": pdf.Dict{"X": next}}))
		}, nil)
	}
	forged := "1 g " + s9Box + " 0 g " + s9Amount
	// glyphs: the appearance shows glyph a of Type 3 font 1, whose procedure shows glyph a of
	// font 2, … down to font levels, whose glyph fills a white square; with self, font 1's
	// glyph shows itself.
	glyphs := func(levels int, self bool) []byte {
		return f.square(f.over, "BT /T 40 Tf 60 690 Td (a) Tj ET", func(u *pdf.Update) pdf.Dict {
			font := func(proc string, res pdf.Dict) (pdf.Ref, pdf.Ref) {
				ref := u.Reserve()
				p := u.Add(&pdf.Stream{Dict: pdf.Dict{"Resources": res}, Data: []byte(proc)})
				u.Set(ref, pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
					"FontBBox": nums(0, 0, 1000, 1000), "FontMatrix": nums(0.001, 0, 0, 0.001, 0, 0),
					"CharProcs": pdf.Dict{"a": p}, "Encoding": pdf.Dict{"Type": pdf.Name("Encoding"), "Differences": pdf.Array{pdf.Int(97), pdf.Name("a")}},
					"FirstChar": pdf.Int(97), "LastChar": pdf.Int(97), "Widths": nums(1000), "Resources": res})
				return ref, p
			}
			if self {
				res := pdf.Dict{}
				ref, _ := font("1000 0 d0 1 g 0 0 1000 1000 re f BT /T 1000 Tf 0 0 Td (a) Tj ET", res)
				res["Font"] = pdf.Dict{"T": ref}
				return pdf.Dict{"Font": pdf.Dict{"T": ref}}
			}
			next, _ := font("1000 0 d0 1 g 0 0 1000 1000 re f", pdf.Dict{})
			for i := 1; i < levels; i++ {
				next, _ = font("1000 0 d0 BT /T 1000 Tf 0 0 Td (a) Tj ET", pdf.Dict{"Font": pdf.Dict{"T": next}})
			}
			return pdf.Dict{"Font": pdf.Dict{"T": next}}
		})
	}
	// sameFont: one Type 3 font whose glyph a shows b, b shows c, …, the levels-th paints.
	sameFont := func(levels int) []byte {
		return f.square(f.over, "BT /T 40 Tf 60 690 Td (a) Tj ET", func(u *pdf.Update) pdf.Dict {
			ref := u.Reserve()
			res := pdf.Dict{"Font": pdf.Dict{"T": ref}}
			procs, diff, widths := pdf.Dict{}, pdf.Array{pdf.Int(97)}, pdf.Array{}
			for i := 0; i < levels; i++ {
				widths = append(widths, pdf.Int(1000))
				c := string(rune('a' + i))
				proc := "1000 0 d0 1 g 0 0 1000 1000 re f"
				if i < levels-1 {
					proc = "1000 0 d0 BT /T 1000 Tf 0 0 Td (" + string(rune('a'+i+1)) + ") Tj ET"
				}
				procs[pdf.Name(c)] = u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte(proc)})
				diff = append(diff, pdf.Name(c))
			}
			u.Set(ref, pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
				"FontBBox": nums(0, 0, 1000, 1000), "FontMatrix": nums(0.001, 0, 0, 0.001, 0, 0),
				"CharProcs": procs, "Encoding": pdf.Dict{"Type": pdf.Name("Encoding"), "Differences": diff},
				"FirstChar": pdf.Int(97), "LastChar": pdf.Int(int64(96 + levels)), "Widths": widths, "Resources": res})
			return res
		})
	}
	runRows(t, s, []rtRow{
		{"a Type 3 glyph showing a glyph of its own font: poppler and MuPDF draw it", func() []byte {
			return sameFont(2)
		}, StatusModified, "inside one of its own glyphs", readersShow(f.signed, 100, "poppler", "mupdf")},
		{"a Type 3 glyph that shows itself", func() []byte {
			return glyphs(1, true)
		}, StatusModified, "inside one of its own glyphs", nil},
		{"twin: glyphs of five fonts nested: PDFium draws them too, the rendering judges", func() []byte {
			return glyphs(5, false)
		}, StatusModified, "cover(s) signed content", func(t *testing.T, d []byte) {
			if n := changedPixels(pdfiumPage(t, f.signed), pdfiumPage(t, d)); n < 100 {
				t.Fatalf("PDFium does not draw glyphs of five nested fonts (%d pixels differ)", n)
			}
		}},
		{"twin: one Type 3 glyph level", func() []byte {
			return sameFont(1)
		}, StatusModified, "cover(s) signed content", nil},
		{"41 nested forms: poppler and MuPDF draw the amount", func() []byte {
			return chain(f.over, 41, forged, false)
		}, StatusModified, "content nested 41 streams deep", readersShow(f.signed, 200, "poppler", "mupdf")},
		{"64 nested forms (our old limit)", func() []byte {
			return chain(f.over, 64, forged, false)
		}, StatusModified, "content nested 64 streams deep", nil},
		{"40 forms and a tiling pattern", func() []byte {
			return chain(f.over, 41, forged, true)
		}, StatusModified, "content nested 41 streams deep", nil},
		{"41 nested forms after an inline image whose data holds a (", func() []byte {
			prefix = "q 1 0 0 1 320 100 cm BI /W 2 /H 1 /BPC 8 /CS /G ID (\xff EI Q "
			defer func() { prefix = "" }()
			return chain(f.over, 41, forged, false)
		}, StatusModified, "content nested 41 streams deep", nil},
		{"twin: 40 nested forms over the amount (PDFium draws them: below)", func() []byte {
			return chain(f.over, 40, forged, false)
		}, StatusModified, "", nil},
		{"twin: 20 nested forms in blank space", func() []byte {
			return chain(f.away, 20, "0 0 1 RG 2 w 322 102 236 56 re S", false)
		}, StatusValid, "Square annotation added", nil},
	})
	// The limit is PDFium's, not lower: it draws the payload of 40 nested forms and not of 41.
	if n := changedPixels(pdfiumPage(t, f.signed), pdfiumPage(t, chain(f.over, 40, forged, false))); n < 200 {
		t.Errorf("PDFium does not draw the payload of 40 nested forms (%d pixels differ)", n)
	}
	if n := changedPixels(pdfiumPage(t, f.signed), pdfiumPage(t, chain(f.over, 41, forged, false))); n != 0 {
		t.Errorf("PDFium draws the payload of 41 nested forms (%d pixels differ): its limit is not kMaxFormLevel 40", n)
	}
}

// pdfiumPage renders page 1 of d at 72 dpi with the cover check's renderer.
func pdfiumPage(t *testing.T, d []byte) image.Image {
	t.Helper()
	ctx := context.Background()
	doc, err := defaultRenderer.OpenRaster(ctx, "in.pdf", bytes.NewReader(d), int64(len(d)))
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	img, err := doc.Render(ctx, 0, 72)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestRedTeamS9Limits (F8): PDFium draws no image wider or taller than 131071 samples
// (CPDF_DIB's kMaxImageDimension); poppler does. A white image 131072 samples wide scaled onto
// the amount erased it for poppler only. The twin one sample narrower is drawn by PDFium, so
// the rendering judges it. Siblings: the height limit, and a string operand longer than PDFium
// keeps (kMaxStringLength: it cuts the glyphs past 32767 bytes).
func TestRedTeamS9Limits(t *testing.T) {
	s, f := newS9Fixture(t)
	wide := func(rect pdf.Array, at string, w, h int) []byte {
		return f.square(rect, "q "+at+" cm /Im Do Q", func(u *pdf.Update) pdf.Dict {
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write(bytes.Repeat([]byte{0xff}, w*h))
			zw.Close()
			im := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"),
				"Width": pdf.Int(int64(w)), "Height": pdf.Int(int64(h)), "BitsPerComponent": pdf.Int(8),
				"ColorSpace": pdf.Name("DeviceGray"), "Filter": pdf.Name("FlateDecode")}, Data: z.Bytes()})
			return pdf.Dict{"XObject": pdf.Dict{"Im": im}}
		})
	}
	const overAt = "240 0 0 40 60 690"
	runRows(t, s, []rtRow{
		{"F8 image 131072 samples wide: poppler draws it", func() []byte {
			return wide(f.over, overAt, 131072, 2)
		}, StatusModified, "/Width of 131072, beyond PDFium's 131071", readersShow(f.signed, 200, "poppler")},
		{"F8 sibling: image 131072 samples tall", func() []byte {
			return wide(f.over, overAt, 2, 131072)
		}, StatusModified, "/Height of 131072", nil},
		{"F8 twin: 131071 samples wide: PDFium draws it, the rendering judges", func() []byte {
			return wide(f.over, overAt, 131071, 2)
		}, StatusModified, "cover(s) signed content", nil},
		{"F8 twin: 131071 samples wide in blank space", func() []byte {
			return wide(f.away, "240 0 0 60 320 100", 131071, 1)
		}, StatusValid, "Square annotation added", nil},
		{"sibling: bytes after an unfiltered inline image's data: poppler reads them as content from a stray EI", func() []byte {
			return f.square(f.over, "BI /W 1 /H 1 /BPC 8 /CS /G ID \xff(xEI 1 g "+s9Box+" 0 g "+s9Amount+") EI", nil)
		}, StatusModified, "bytes of data where it declares 1", readersShow(f.signed, 200, "poppler")},
		{"twin: an unfiltered inline image of its declared length", func() []byte {
			return f.square(f.away, "q 240 0 0 60 320 100 cm BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI Q", nil)
		}, StatusValid, "Square annotation added", nil},
		{"sibling: bytes after a Flate inline image's data", func() []byte {
			return f.square(f.over, "BI /W 1 /H 1 /BPC 8 /CS /G /F /Fl ID "+string(flate1(0xff))+"(xEI 1 g "+s9Box+" 0 g "+s9Amount+") EI", nil)
		}, StatusModified, "bytes after its FlateDecode data", readersShow(f.signed, 200, "poppler")},
		{"twin: a Flate inline image ending at its data", func() []byte {
			return f.square(f.away, "q 240 0 0 60 320 100 cm BI /W 1 /H 1 /BPC 8 /CS /G /F /Fl ID "+string(flate1(0x00))+" EI Q", nil)
		}, StatusValid, "Square annotation added", nil},
		{"sibling: a string PDFium cuts at 32767 bytes", func() []byte {
			return f.square(f.over, "BT /F1 24 Tf 72 700 Td ("+strings.Repeat(" ", 32767)+"Pay 9999999 yuan) Tj ET", nil)
		}, StatusModified, "which PDFium cuts at 32767", nil},
	})
}

// darkIn counts the pixels darker than mid-grey in the signed amount's box (60 690 240 40 in PDF
// space) of a 72 dpi rendering of a US Letter page.
func darkIn(img image.Image) int {
	n := 0
	for y := 792 - 730 + 4; y < 792-690-4; y++ {
		for x := 64; x < 296; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if (r+g+b)/3 < 0x8000 {
				n++
			}
		}
	}
	return n
}

// flate1 is one byte compressed with zlib.
func flate1(b byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte{b})
	zw.Close()
	return z.Bytes()
}

// TestContentUsesStepOverInlineImages: the walks that follow Do (the appearance budget's and
// the nesting walk) read past an inline image whose samples do not lex as content.
func TestContentUsesStepOverInlineImages(t *testing.T) {
	data := []byte("BI /W 2 /H 1 /BPC 8 /CS /G ID (\xff EI /X Do /P scn")
	if got := doNames(data); len(got) != 1 || got[0] != "X" {
		t.Errorf("doNames = %v, want [X]", got)
	}
	if got := contentUses(data); len(got) != 2 || got[0] != (contentUse{"Do", "X"}) || got[1] != (contentUse{"scn", "P"}) {
		t.Errorf("contentUses = %v, want Do X and scn P", got)
	}
}
