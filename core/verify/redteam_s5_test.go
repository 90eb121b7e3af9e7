package verify

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strconv"
	"strings"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// Red team s5. Each generator appends one update to a document signed in the test (test PKI made
// here) and has a harmless twin that must stay valid.

// s5Shadow is a stream whose data hides a second definition of object num: the text
// "num 0 obj … endobj" that a viewer rebuilding its cross-reference table by scanning finds last.
func s5Shadow(num int, content string) *pdf.Stream {
	return &pdf.Stream{Dict: pdf.Dict{}, Data: []byte(fmt.Sprintf("\n%d 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", num, len(content), content))}
}

// TestRedTeamRebuildTriggers (s5 F1): poppler rebuilds its cross-reference table by scanning the
// file whenever it fetches an object no section holds — not only on a generation mismatch. An
// update whose trailer /Info names a missing, free or out-of-range object (or a new annotation
// whose /Contents does) and that carries "4 0 obj …" inside a stream made poppler show a new page
// content while the verdict was valid. Any reference to a missing object now makes the verifier
// compare the rebuilt view; the twins hide a copy of the signed content and stay valid.
func TestRedTeamRebuildTriggers(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	const signedContent = "BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET"
	const forged = "BT /F1 24 Tf 72 700 Td (Pay 9999999 yuan) Tj ET"
	// trailer: /Info names target (a free entry, or a number beyond /Size that no section lists).
	trailer := func(content string, target func(u *pdf.Update, v *pdf.View) pdf.Ref) []byte {
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			u.Add(s5Shadow(4, content))
			u.SetTrailer("Info", target(u, v))
		})
	}
	free := func(_ *pdf.Update, v *pdf.View) pdf.Ref {
		if e, _, ok := v.Entry(7); !ok || e.Type != pdf.EntryFree {
			t.Fatalf("object 7 of the test document is not free: %+v", e)
		}
		return pdf.Ref{Num: 7}
	}
	beyond := func(_ *pdf.Update, _ *pdf.View) pdf.Ref { return pdf.Ref{Num: 900} }
	// unreadable: written by hand, the update lists /Info's object at an offset past the end of
	// the file (the verifier once held such an entry in use and did not look further).
	unreadable := func(content string) []byte {
		f, err := pdf.Open(bytesReader(signed), int64(len(signed)), nil)
		if err != nil {
			t.Fatal(err)
		}
		tr := f.Latest().Trailer()
		size, _ := pdf.IntOf(tr.Get("Size"))
		root, ok := rootRef(f.Latest())
		if !ok {
			t.Fatal("the signed test document has no /Root")
		}
		prev := bytes.LastIndex(signed, []byte("startxref"))
		startxref, err := strconv.Atoi(strings.Fields(string(signed[prev+len("startxref"):]))[0])
		if err != nil {
			t.Fatal(err)
		}
		out := append([]byte{}, signed...)
		sh := s5Shadow(4, content).Data
		off := len(out)
		out = append(out, fmt.Sprintf("%d 0 obj\n<</Length %d>>stream\n%s\nendstream\nendobj\n", size+1, len(sh), sh)...)
		xref := len(out)
		out = append(out, fmt.Sprintf("xref\n%d 2\n%010d 00000 n \n%010d 00000 n \ntrailer\n<</Size %d/Root %d %d R/Prev %d/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n",
			size, xref+100000, off, size+2, root.Num, root.Gen, startxref, size, xref)...)
		return out
	}
	// annotation: a new note away from the text whose /Contents names a missing object.
	annot := func(content string) []byte {
		away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(340), pdf.Int(120)}
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			u.Add(s5Shadow(4, content))
			p := pageOf(t, v)
			ap := u.Add(s4Form(away, []byte("0 0 1 RG 320 100 20 20 re S"), nil))
			a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": away, "F": pdf.Int(4),
				"AP": pdf.Dict{"N": ap}, "Contents": pdf.Ref{Num: 900}})
			pd := p.Dict.Clone()
			arr, _ := resolvedArray(v, pd.Get("Annots"))
			pd["Annots"] = append(append(pdf.Array{}, arr...), a)
			setObj(t, u, p.Ref, pd)
		})
	}
	shows := func(want string) func(t *testing.T, d []byte) {
		return func(t *testing.T, d []byte) {
			if got := popplerText(t, d); !strings.Contains(got, want) {
				t.Fatalf("poppler does not show %q: %q", want, got)
			}
		}
	}
	const why = "reads differently for a viewer that rebuilds"
	runRows(t, s, []rtRow{
		{"info-free", func() []byte { return trailer(forged, free) }, StatusModified, why, shows("9999999")},
		{"info-free-twin", func() []byte { return trailer(signedContent, free) }, StatusValid, "", nil},
		{"info-beyond-size", func() []byte { return trailer(forged, beyond) }, StatusModified, why, shows("9999999")},
		{"info-beyond-size-twin", func() []byte { return trailer(signedContent, beyond) }, StatusValid, "", shows("1000000")},
		{"info-unreadable-entry", func() []byte { return unreadable(forged) }, StatusModified, why, shows("9999999")},
		{"info-unreadable-entry-twin", func() []byte { return unreadable(signedContent) }, StatusModified, quirkReason, quirkTwin(s.store(), why, shows("1000000"))},
		// One page: poppler rebuilds only after drawing it, so the effect shows on later pages
		// (the red team's two-page file); the verdict must not depend on the page order.
		{"annot-contents-missing", func() []byte { return annot(forged) }, StatusModified, why, nil},
		{"annot-contents-missing-twin", func() []byte { return annot(signedContent) }, StatusValid, "Square annotation added", nil},
	})
}

// TestRedTeamUndecodableImages (s5 F2): PDFium, which renders for the cover check, leaves out an
// image whose samples are missing or do not decode, while poppler and MuPDF pad them and paint
// the image's whole area. A Square annotation drawing an empty 8×8 image over the signed amount
// blacked it out in poppler (whited it out in MuPDF with /Decode [1 0]) while the verdict was
// valid. Every image an added appearance draws must now decode completely; the twins draw
// complete images (raw, JPEG, inline) away from the text and stay valid.
func TestRedTeamUndecodableImages(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(140)}
	var jb bytes.Buffer
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0xc0
	}
	img.SetGray(0, 0, color.Gray{Y: 0})
	if err := jpeg.Encode(&jb, img, nil); err != nil {
		t.Fatal(err)
	}
	gray := func(extra pdf.Dict, data []byte) *pdf.Stream {
		d := pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Image"), "Width": pdf.Int(8), "Height": pdf.Int(8),
			"ColorSpace": pdf.Name("DeviceGray"), "BitsPerComponent": pdf.Int(8), "Decode": pdf.Array{pdf.Int(1), pdf.Int(0)}}
		for k, v := range extra {
			d[k] = v
		}
		return &pdf.Stream{Dict: d, Data: data}
	}
	// xobject: a Square at rect whose appearance scales image st over the whole rectangle.
	xobject := func(rect pdf.Array, st *pdf.Stream) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			if sm, ok := st.Dict["SMask"].(*pdf.Stream); ok {
				st.Dict["SMask"] = u.Add(sm)
			}
			im := u.Add(st)
			return u.Add(s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}, []byte("/I Do"), pdf.Dict{"XObject": pdf.Dict{"I": im}}))
		}, nil)
	}
	inline := func(rect pdf.Array, data []byte) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			c := append([]byte("BI /W 8 /H 8 /CS /G /BPC 8 /D [1 0] ID "), data...)
			return u.Add(s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}, append(c, " EI"...), nil))
		}, nil)
	}
	// glyph: the image is drawn by the one glyph of a Type 3 font the appearance shows.
	glyph := func(rect pdf.Array, st *pdf.Stream) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			im := u.Add(st)
			proc := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("1 0 d0 /I Do")})
			font := u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
				"FontBBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}, "FontMatrix": pdf.Array{pdf.Int(1), pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(0)},
				"CharProcs": pdf.Dict{"a": proc}, "Encoding": pdf.Dict{"Differences": pdf.Array{pdf.Int(97), pdf.Name("a")}},
				"FirstChar": pdf.Int(97), "LastChar": pdf.Int(97), "Widths": pdf.Array{pdf.Int(1)}, "Resources": pdf.Dict{"XObject": pdf.Dict{"I": im}}})
			return u.Add(s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}, []byte("BT /T3 1 Tf (a) Tj ET"), pdf.Dict{"Font": pdf.Dict{"T3": font}}))
		}, nil)
	}
	full := bytes.Repeat([]byte{0x40}, 64)
	const why = "readers draw differently"
	runRows(t, s, []rtRow{
		{"empty-image-in-type3-glyph", func() []byte { return glyph(over, gray(nil, nil)) }, StatusModified, why, rendersDifferently(signed)},
		{"complete-image-in-type3-glyph-twin", func() []byte { return glyph(away, gray(nil, full)) }, StatusValid, "Square annotation added", nil},
		{"empty-image", func() []byte { return xobject(over, gray(nil, nil)) }, StatusModified, why, rendersDifferently(signed)},
		{"short-image", func() []byte { return xobject(over, gray(nil, full[:10])) }, StatusModified, why, nil},
		{"broken-jpeg", func() []byte {
			return xobject(over, gray(pdf.Dict{"Filter": pdf.Name("DCTDecode")}, []byte{0xff, 0xd8, 0xff, 0xd9}))
		}, StatusModified, why, rendersDifferently(signed)},
		{"jpx", func() []byte {
			return xobject(over, gray(pdf.Dict{"Filter": pdf.Name("JPXDecode")}, []byte("\x00\x00\x00\x0cjP  ")))
		}, StatusModified, why, nil},
		{"empty-smask", func() []byte {
			return xobject(over, gray(pdf.Dict{"SMask": gray(nil, nil)}, full))
		}, StatusModified, why, nil},
		{"empty-inline-image", func() []byte { return inline(over, nil) }, StatusModified, why, rendersDifferently(signed)},
		{"complete-image-twin", func() []byte { return xobject(away, gray(nil, full)) }, StatusValid, "Square annotation added", nil},
		{"grey-jpeg-declared-rgb", func() []byte {
			return xobject(over, gray(pdf.Dict{"Filter": pdf.Name("DCTDecode"), "ColorSpace": pdf.Name("DeviceRGB"), "Decode": nil}, jb.Bytes()))
		}, StatusModified, why, nil},
		{"3-bit-image", func() []byte {
			return xobject(over, gray(pdf.Dict{"BitsPerComponent": pdf.Int(3), "Decode": nil}, bytes.Repeat([]byte{0xff}, 24)))
		}, StatusModified, why, rendersDifferently(signed)},
		{"calgray-without-whitepoint", func() []byte {
			return xobject(over, gray(pdf.Dict{"ColorSpace": pdf.Array{pdf.Name("CalGray"), pdf.Dict{}}, "Decode": nil}, bytes.Repeat([]byte{0xff}, 64)))
		}, StatusModified, why, rendersDifferently(signed)},
		{"icc-of-5-components", func() []byte {
			return s4Annot(t, signed, "Square", over, func(u *pdf.Update) pdf.Object {
				icc := u.Add(&pdf.Stream{Dict: pdf.Dict{"N": pdf.Int(5)}, Data: []byte("not a profile")})
				im := u.Add(gray(pdf.Dict{"ColorSpace": pdf.Array{pdf.Name("ICCBased"), icc}}, bytes.Repeat([]byte{0xff}, 320)))
				return u.Add(s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}, []byte("/I Do"), pdf.Dict{"XObject": pdf.Dict{"I": im}}))
			}, nil)
		}, StatusModified, why, nil},
		{"calgray-with-whitepoint-twin", func() []byte {
			wp := pdf.Dict{"WhitePoint": pdf.Array{pdf.Real{Value: 0.9505}, pdf.Int(1), pdf.Real{Value: 1.089}}}
			return xobject(away, gray(pdf.Dict{"ColorSpace": pdf.Array{pdf.Name("CalGray"), wp}}, full))
		}, StatusValid, "Square annotation added", nil},
		{"complete-jpeg-twin", func() []byte {
			return xobject(away, gray(pdf.Dict{"Filter": pdf.Name("DCTDecode")}, jb.Bytes()))
		}, StatusValid, "Square annotation added", nil},
		{"complete-inline-twin", func() []byte { return inline(away, full) }, StatusValid, "Square annotation added", nil},
	})
}

// TestRedTeamPatternBombs (s5 F3): 7 KB updates whose appearance fills with a tiling pattern of a
// 0.001 pt cell, or a pattern or soft-mask group that draws itself, held PDFium for the whole
// render limit (60 s of CPU per file). They are now measured with the forms before rendering
// and refused at once, naming the limit; the twins (a 10 pt hatching, a plain soft mask)
// render and stay valid.
func TestRedTeamPatternBombs(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(340), pdf.Int(120)}
	cellBox := pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}
	// tiling: the appearance fills its box with a pattern of the given step; self makes the
	// cell paint with the pattern itself.
	tiling := func(step pdf.Object, self bool) []byte {
		return s4Annot(t, signed, "Square", away, func(u *pdf.Update) pdf.Object {
			pat := u.Reserve()
			res := pdf.Dict{}
			cell := "0 0 1 rg 0 0 1 1 re f"
			if self {
				res = pdf.Dict{"Pattern": pdf.Dict{"P": pat}}
				cell = "/Pattern cs /P scn 0 0 1 1 re f"
			}
			u.Set(pat, &pdf.Stream{Dict: pdf.Dict{"PatternType": pdf.Int(1), "PaintType": pdf.Int(1), "TilingType": pdf.Int(1),
				"BBox": cellBox, "XStep": step, "YStep": step, "Resources": res}, Data: []byte(cell)})
			return u.Add(s4Form(away, []byte("/Pattern cs /P scn 320 100 20 20 re f"), pdf.Dict{"Pattern": pdf.Dict{"P": pat}}))
		}, nil)
	}
	// smask: the appearance paints through a luminosity soft mask whose group draws itself
	// (self) or a plain fill.
	smask := func(self bool) []byte {
		return s4Annot(t, signed, "Square", away, func(u *pdf.Update) pdf.Object {
			grp, gs := u.Reserve(), u.Reserve()
			res := pdf.Dict{}
			data := "1 g 320 100 20 20 re f"
			if self {
				res = pdf.Dict{"ExtGState": pdf.Dict{"G": gs}}
				data = "/G gs " + data
			}
			g := s4Form(away, []byte(data), res)
			g.Dict["Group"] = pdf.Dict{"S": pdf.Name("Transparency")}
			u.Set(grp, g)
			u.Set(gs, pdf.Dict{"SMask": pdf.Dict{"S": pdf.Name("Luminosity"), "G": grp}})
			return u.Add(s4Form(away, []byte("/G gs 0 0 1 rg 320 100 20 20 re f"), pdf.Dict{"ExtGState": pdf.Dict{"G": gs}}))
		}, nil)
	}
	runRows(t, s, []rtRow{
		{"pattern-tiny-step", func() []byte { return tiling(pdf.Real{Value: 0.001}, false) }, StatusModified, "MaxPatternCells", nil},
		{"pattern-draws-itself", func() []byte { return tiling(pdf.Int(10), true) }, StatusModified, "draws itself", nil},
		{"smask-draws-itself", func() []byte { return smask(true) }, StatusModified, "draws itself", nil},
		{"pattern-hatching-twin", func() []byte { return tiling(pdf.Int(10), false) }, StatusValid, "Square annotation added", nil},
		{"smask-twin", func() []byte { return smask(false) }, StatusValid, "Square annotation added", nil},
	})
}

// TestRedTeamMeshShadings (s5 F4): a Square annotation whose appearance paints a white type 4
// (triangle mesh) shading over the signed amount, with its first vertex flag 7 or 17-bit
// coordinates: PDFium, which renders the cover check, draws nothing for such data, poppler
// draws the mesh and the amount is gone — the verdict was valid. Mesh data must now follow
// ISO 32000's rules; the twin, a well-formed mesh away from the text, stays valid.
func TestRedTeamMeshShadings(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(140)}
	// two white triangles over the unit square, 16-bit coordinates, 8-bit flags and grey.
	vertex := func(flag byte, x, y uint16) []byte {
		return []byte{flag, byte(x >> 8), byte(x), byte(y >> 8), byte(y), 0xff}
	}
	var good []byte
	for _, v := range [][2]uint16{{0, 0}, {0xffff, 0}, {0, 0xffff}, {0xffff, 0}, {0xffff, 0xffff}, {0, 0xffff}} {
		good = append(good, vertex(0, v[0], v[1])...)
	}
	mesh := func(rect pdf.Array, coordBits int, data []byte) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			sh := u.Add(&pdf.Stream{Dict: pdf.Dict{"ShadingType": pdf.Int(4), "ColorSpace": pdf.Name("DeviceGray"),
				"BitsPerCoordinate": pdf.Int(coordBits), "BitsPerComponent": pdf.Int(8), "BitsPerFlag": pdf.Int(8),
				"Decode": pdf.Array{pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(1)}}, Data: data})
			return u.Add(s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}, []byte("/S sh"), pdf.Dict{"Shading": pdf.Dict{"S": sh}}))
		}, nil)
	}
	badFlag := append([]byte{7}, good[1:]...)
	const why = "readers draw differently"
	runRows(t, s, []rtRow{
		{"mesh-flag-7", func() []byte { return mesh(over, 16, badFlag) }, StatusModified, why, rendersDifferently(signed)},
		{"mesh-17-bit-coordinates", func() []byte { return mesh(over, 17, good) }, StatusModified, why, nil},
		{"mesh-well-formed-twin", func() []byte { return mesh(away, 16, good) }, StatusValid, "Square annotation added", nil},
		{"mesh-well-formed-over-text", func() []byte { return mesh(over, 16, good) }, StatusModified, "cover(s) signed content", nil},
	})
}

// TestRedTeamOptionalContent (s5 F5): on a signed document with an optional-content group that
// is off, a Square annotation paints a white box over the signed amount inside marked content
// /OC whose membership dictionary has /VE [/Xor …], an operator ISO 32000 does not define.
// PDFium, which renders the cover check, hides it; poppler shows it and the amount is gone — the
// verdict was valid. Optional content in an added appearance must now be plain (a listed OCG,
// or an OCMD over listed OCGs without /VE); the twins (the listed OCG that is off, over the
// amount; an OCMD /AllOff away from it) stay valid.
func TestRedTeamOptionalContent(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	withOC := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		ocg := u.Add(pdf.Dict{"Type": pdf.Name("OCG"), "Name": pdf.String{Bytes: []byte("Secret")}})
		root, _ := rootRef(v)
		cat := v.Dict(root).Clone()
		cat["OCProperties"] = pdf.Dict{"OCGs": pdf.Array{ocg}, "D": pdf.Dict{"OFF": pdf.Array{ocg}, "Order": pdf.Array{ocg}}}
		setObj(t, u, root, cat)
	})
	signed := s.sign(t, withOC, sigOpts{})
	f, err := pdf.Open(bytesReader(signed), int64(len(signed)), nil)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := f.Latest().Catalog()
	if err != nil {
		t.Fatal(err)
	}
	ocgs, _ := resolvedArray(f.Latest(), f.Latest().Dict(cat.Get("OCProperties")).Get("OCGs"))
	if len(ocgs) != 1 {
		t.Fatalf("the signed test document lists %d OCGs", len(ocgs))
	}
	ocg := ocgs[0]
	over := pdf.Array{pdf.Int(60), pdf.Int(690), pdf.Int(300), pdf.Int(730)}
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(140)}
	// marked: a Square at rect painting a white box inside /OC /m BDC … EMC, /m being props
	// (made in the update, so that it may refer to new objects).
	marked := func(rect pdf.Array, props func(u *pdf.Update) pdf.Object) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1), pdf.Int(1)}, []byte("/OC /m BDC 1 g 0 0 1 1 re f EMC"),
				pdf.Dict{"Properties": pdf.Dict{"m": props(u)}}))
		}, nil)
	}
	ocmd := func(extra pdf.Dict) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			d := pdf.Dict{"Type": pdf.Name("OCMD")}
			for k, v := range extra {
				d[k] = v
			}
			return u.Add(d)
		}
	}
	const why = "readers draw differently"
	runRows(t, s, []rtRow{
		{"ve-undefined-operator", func() []byte {
			return marked(over, ocmd(pdf.Dict{"VE": pdf.Array{pdf.Name("Xor"), ocg}}))
		}, StatusModified, why, rendersDifferently(signed)},
		{"ve-defined-operator", func() []byte {
			return marked(over, ocmd(pdf.Dict{"VE": pdf.Array{pdf.Name("And"), ocg}}))
		}, StatusModified, why, nil},
		{"unlisted-ocg", func() []byte {
			return marked(over, func(u *pdf.Update) pdf.Object {
				return u.Add(pdf.Dict{"Type": pdf.Name("OCG"), "Name": pdf.String{Bytes: []byte("new")}})
			})
		}, StatusModified, why, nil},
		{"odd-policy", func() []byte {
			return marked(over, ocmd(pdf.Dict{"OCGs": pdf.Array{ocg}, "P": pdf.Name("Most")}))
		}, StatusModified, why, nil},
		{"listed-ocg-off-twin", func() []byte { return marked(over, func(*pdf.Update) pdf.Object { return ocg }) }, StatusValid, "Square annotation added", nil},
		{"ocmd-alloff-away-twin", func() []byte {
			return marked(away, ocmd(pdf.Dict{"OCGs": pdf.Array{ocg}, "P": pdf.Name("AllOff")}))
		}, StatusValid, "Square annotation added", nil},
	})
}

// s5Pages writes an n-page PDF whose pages each draw the one side×side grey image /I and a line
// of text.
func s5Pages(n, side int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := map[int]int{}
	obj := func(num int, body string) {
		offs[num] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", num, body)
	}
	var kids []string
	for i := 0; i < n; i++ {
		kids = append(kids, fmt.Sprintf("%d 0 R", 10+2*i))
	}
	obj(1, "<</Type/Catalog/Pages 2 0 R>>")
	obj(2, fmt.Sprintf("<</Type/Pages/Kids[%s]/Count %d>>", strings.Join(kids, " "), n))
	obj(5, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>")
	obj(6, streamObj(fmt.Sprintf("/Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 8", side, side), strings.Repeat("\x80", side*side)))
	for i := 0; i < n; i++ {
		obj(10+2*i, fmt.Sprintf("<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>/XObject<</I 6 0 R>>>>/Contents %d 0 R>>", 11+2*i))
		obj(11+2*i, streamObj("", fmt.Sprintf("q 100 0 0 100 400 600 cm /I Do Q BT /F1 16 Tf 72 660 Td (Page %d: 1000000 yuan) Tj ET", i+1)))
	}
	size := 11 + 2*n
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", size)
	for k := 1; k < size; k++ {
		if off, ok := offs[k]; ok {
			fmt.Fprintf(&b, "%010d 00000 n \n", off)
		} else {
			b.WriteString("0000000000 00000 f \n")
		}
	}
	fmt.Fprintf(&b, "trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n", size, xref)
	return b.Bytes()
}

// TestRedTeamRenderedPixelsPerFile (s5 F6): a 360 KB file of 24 pages that each draw one shared
// 19000×19000 image (under the per-page pixel budget), with a small Square added on each page
// after signing, made the cover check decode that image twice per page: about 9 s of PDFium per
// page. The pixels all renderings of one verification decode are now bounded
// (maxDrawnImagePixelsPerFile, lowered here so that small images show it); past the bound the
// remaining pages are reported unchecked, naming the limit. The twin (fewer pages) stays valid.
func TestRedTeamRenderedPixelsPerFile(t *testing.T) {
	saved := maxDrawnImagePixelsPerFile
	maxDrawnImagePixelsPerFile = 200_000 // each page rendered costs 2 × 40 000 pixels here
	defer func() { maxDrawnImagePixelsPerFile = saved }()
	s := newSigner(t, pki.ECDSAP256)
	annotated := func(pages int) []byte {
		signed := s.sign(t, s5Pages(pages, 200), sigOpts{})
		return update(t, signed, func(u *pdf.Update, v *pdf.View) {
			all, err := v.Pages()
			if err != nil {
				t.Fatal(err)
			}
			away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(340), pdf.Int(120)}
			ap := u.Add(s4Form(away, []byte("0 0 1 RG 320 100 20 20 re S"), nil))
			for _, p := range all {
				a := u.Add(pdf.Dict{"Type": pdf.Name("Annot"), "Subtype": pdf.Name("Square"), "Rect": away, "F": pdf.Int(4), "AP": pdf.Dict{"N": ap}})
				pd := p.Dict.Clone()
				arr, _ := resolvedArray(v, pd.Get("Annots"))
				pd["Annots"] = append(append(pdf.Array{}, arr...), a)
				setObj(t, u, p.Ref, pd)
			}
		})
	}
	runRows(t, s, []rtRow{
		{"five-pages-over-the-file-budget", func() []byte { return annotated(5) }, StatusModified, "MaxDrawnImagePixelsPerFile", nil},
		{"two-pages-twin", func() []byte { return annotated(2) }, StatusValid, "Square annotation added", nil},
	})
}
