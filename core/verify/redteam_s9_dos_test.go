package verify

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"
	"time"

	"sealdesk/core/pdf"
	"sealdesk/core/pki"
)

// s9ZeroFlate is n zero bytes (spaces with space), flate-compressed: a flate bomb of n bytes.
func s9ZeroFlate(n int, space bool) []byte {
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	chunk := make([]byte, 1<<20)
	if space {
		for i := range chunk {
			chunk[i] = ' '
		}
	}
	for left := n; left > 0; left -= len(chunk) {
		zw.Write(chunk[:min(left, len(chunk))])
	}
	zw.Close()
	return z.Bytes()
}

// s9TooComplex reports whether a signature of rep has a too-complex change naming limit.
func s9TooComplex(rep *Report, limit string) bool {
	for _, sg := range rep.Signatures {
		for _, d := range sg.ChangeDetails {
			if d.Code == ChangeTooComplex && d.Key == limit {
				return true
			}
		}
	}
	return false
}

// TestRedTeamS9ResourceBombs (F7): a font program, an embedded CMap, a ToUnicode map that
// inflate to far more than any real one made PDFium hold them whole — 100 MiB of zeros in a
// 109 KB annotation verified valid after 3 s and 630 MB, 400 MiB killed the renderer at
// 1.5 GB. Every stream PDFium decodes to draw the page, in the revision as signed and as now,
// is counted before rendering (coverdecode.go): past MaxResourceStreamBytes the page is too
// complex to check, naming the limit; the twins (the same fonts at 1 MiB) stay valid. The
// count keeps nothing, so the refusal costs little heap.
func TestRedTeamS9ResourceBombs(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	const bomb = 40 << 20
	zeros := map[int][]byte{}
	spaces := map[int][]byte{}
	for _, n := range []int{bomb, 30 << 20, 1 << 20} {
		zeros[n], spaces[n] = s9ZeroFlate(n, false), s9ZeroFlate(n, true)
	}
	flateStream := func(d pdf.Dict, data []byte) *pdf.Stream {
		d["Filter"] = pdf.Name("FlateDecode")
		return &pdf.Stream{Dict: d, Data: data}
	}
	descriptor := func(extra pdf.Dict) pdf.Dict {
		d := pdf.Dict{"Type": pdf.Name("FontDescriptor"), "FontName": pdf.Name("Foo"), "Flags": pdf.Int(32),
			"FontBBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1000), pdf.Int(1000)}, "ItalicAngle": pdf.Int(0),
			"Ascent": pdf.Int(800), "Descent": pdf.Int(-200), "CapHeight": pdf.Int(700), "StemV": pdf.Int(80)}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	widths := make(pdf.Array, 95)
	for i := range widths {
		widths[i] = pdf.Int(500)
	}
	// simple is a font of subtype sub whose descriptor's key program is n bytes of zeros.
	simple := func(sub, key string, n int) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			prog := pdf.Dict{"Length1": pdf.Int(n)}
			if key == "FontFile3" {
				prog = pdf.Dict{"Subtype": pdf.Name("Type1C")}
			}
			fd := u.Add(descriptor(pdf.Dict{pdf.Name(key): u.Add(flateStream(prog, zeros[n]))}))
			return u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name(sub), "BaseFont": pdf.Name("Foo"),
				"FirstChar": pdf.Int(32), "LastChar": pdf.Int(126), "Widths": widths, "FontDescriptor": fd, "Encoding": pdf.Name("WinAnsiEncoding")})
		}
	}
	// cmap is a Type0 font whose /Encoding is an embedded CMap of n spaces.
	cmap := func(n int) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			info := pdf.Dict{"Registry": pdf.String{Bytes: []byte("Adobe")}, "Ordering": pdf.String{Bytes: []byte("Identity")}, "Supplement": pdf.Int(0)}
			enc := u.Add(flateStream(pdf.Dict{"Type": pdf.Name("CMap"), "CMapName": pdf.Name("Foo"), "CIDSystemInfo": info}, spaces[n]))
			cid := u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("CIDFontType2"), "BaseFont": pdf.Name("Foo"), "CIDSystemInfo": info,
				"FontDescriptor": u.Add(descriptor(nil))})
			return u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type0"), "BaseFont": pdf.Name("Foo"), "Encoding": enc, "DescendantFonts": pdf.Array{cid}})
		}
	}
	// toUnicode is Helvetica with a ToUnicode map of n spaces.
	toUnicode := func(n int) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			return u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type1"), "BaseFont": pdf.Name("Helvetica"),
				"ToUnicode": u.Add(flateStream(pdf.Dict{}, spaces[n]))})
		}
	}
	text := "BT /FB 12 Tf 330 120 Td (hello) Tj ET"
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	// added: the font is drawn by an annotation added after signing.
	added := func(font func(u *pdf.Update) pdf.Object, content string) []byte {
		signed := s.sign(t, plain, sigOpts{})
		return s4Annot(t, signed, "Square", away, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(away, []byte(content), pdf.Dict{"Font": pdf.Dict{"FB": font(u)}}))
		}, nil)
	}
	// signedPage: the font is drawn by the signed page itself; a harmless square is added.
	// signedPageWith: the signed page draws content with resources res[key][name]; a harmless
	// square is added after signing.
	signedPageWith := func(key pdf.Name, objs map[pdf.Name]func(u *pdf.Update) pdf.Object, content string) []byte {
		pre := update(t, plain, func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			pd := p.Dict.Clone()
			res, _ := v.Resolve(pd.Get("Resources"))
			rd, _ := res.(pdf.Dict)
			rd = rd.Clone()
			sub, _ := v.Resolve(rd.Get(key))
			sd, _ := sub.(pdf.Dict)
			sd = sd.Clone()
			if sd == nil {
				sd = pdf.Dict{}
			}
			for name, obj := range objs {
				sd[name] = obj(u)
			}
			rd[key] = sd
			pd["Resources"] = rd
			c, _ := v.Resolve(pd.Get("Contents"))
			old, _ := c.(*pdf.Stream)
			data, _ := v.File().StreamData(old)
			pd["Contents"] = u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: append(append([]byte{}, data...), "\n"+content...)})
			setObj(t, u, p.Ref, pd)
		})
		signed := s.sign(t, pre, sigOpts{})
		return s4Annot(t, signed, "Square", away, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(away, []byte("0 0 1 RG 520 105 20 20 re S"), nil))
		}, nil)
	}
	signedPage := func(font func(u *pdf.Update) pdf.Object) []byte {
		return signedPageWith("Font", map[pdf.Name]func(u *pdf.Update) pdf.Object{"FB": font}, text)
	}
	// icc is an ICCBased colour space whose profile is n zero bytes.
	icc := func(n int) func(u *pdf.Update) pdf.Object {
		return func(u *pdf.Update) pdf.Object {
			return pdf.Array{pdf.Name("ICCBased"), u.Add(flateStream(pdf.Dict{"N": pdf.Int(3), "Alternate": pdf.Name("DeviceRGB")}, zeros[n]))}
		}
	}
	// threeFonts: three TrueType fonts of n bytes each on the signed page.
	threeFonts := func(n int) []byte {
		fonts := map[pdf.Name]func(u *pdf.Update) pdf.Object{}
		var b strings.Builder
		for i, name := range []pdf.Name{"FA", "FB", "FC"} {
			fonts[name] = simple("TrueType", "FontFile2", n)
			fmt.Fprintf(&b, "BT /%s 12 Tf 330 %d Td (hello) Tj ET\n", name, 150-20*i)
		}
		return signedPageWith("Font", fonts, b.String())
	}
	for _, c := range []struct {
		name  string
		data  func() []byte
		limit string // "" for a twin
	}{
		{"FontFile2 bomb", func() []byte { return added(simple("TrueType", "FontFile2", bomb), text) }, "MaxResourceStreamBytes"},
		{"FontFile2 twin", func() []byte { return added(simple("TrueType", "FontFile2", 1<<20), text) }, ""},
		{"FontFile bomb", func() []byte { return added(simple("Type1", "FontFile", bomb), text) }, "MaxResourceStreamBytes"},
		{"FontFile3 bomb", func() []byte { return added(simple("Type1", "FontFile3", bomb), text) }, "MaxResourceStreamBytes"},
		{"FontFile3 twin", func() []byte { return added(simple("Type1", "FontFile3", 1<<20), text) }, ""},
		{"CMap bomb", func() []byte { return added(cmap(bomb), "BT /FB 12 Tf 330 120 Td <0001> Tj ET") }, "MaxResourceStreamBytes"},
		{"CMap twin", func() []byte { return added(cmap(1<<20), "BT /FB 12 Tf 330 120 Td <0001> Tj ET") }, ""},
		{"ToUnicode bomb", func() []byte { return added(toUnicode(bomb), text) }, "MaxResourceStreamBytes"},
		{"ToUnicode twin", func() []byte { return added(toUnicode(1<<20), text) }, ""},
		{"FontFile2 bomb on the signed page", func() []byte { return signedPage(simple("TrueType", "FontFile2", bomb)) }, "MaxResourceStreamBytes"},
		{"FontFile2 twin on the signed page", func() []byte { return signedPage(simple("TrueType", "FontFile2", 1<<20)) }, ""},
		{"ICC profile bomb on the signed page", func() []byte {
			return signedPageWith("ColorSpace", map[pdf.Name]func(u *pdf.Update) pdf.Object{"CS0": icc(bomb)}, "q /CS0 cs 1 0 0 scn 330 110 50 30 re f Q")
		}, "MaxResourceStreamBytes"},
		{"ICC profile twin on the signed page", func() []byte {
			return signedPageWith("ColorSpace", map[pdf.Name]func(u *pdf.Update) pdf.Object{"CS0": icc(1 << 20)}, "q /CS0 cs 1 0 0 scn 330 110 50 30 re f Q")
		}, ""},
		{"three fonts of 30 MiB on the signed page", func() []byte { return threeFonts(30 << 20) }, "MaxPageResourceBytes"},
		{"three fonts of 1 MiB on the signed page", func() []byte { return threeFonts(1 << 20) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.data()
			var rep *Report
			var used time.Duration
			heap := peakHeap(int64(len(data))+64<<20-16<<20, func() {
				cpu := cpuTime()
				rep = verifyBytes(t, data, s.store())
				used = cpuTime() - cpu
			})
			t.Logf("%d KB: %s, %v CPU, heap peak +%.1f MB", len(data)>>10, rep.Verdict, used.Round(time.Millisecond), float64(heap)/(1<<20))
			if c.limit == "" {
				if rep.Verdict != StatusValid {
					t.Fatalf("twin judged %s\n%s", rep.Verdict, dump(rep))
				}
				return
			}
			if !s9TooComplex(rep, c.limit) || rep.Verdict == StatusValid {
				t.Fatalf("want a too-complex change naming %s, got %s\n%s", c.limit, rep.Verdict, dump(rep))
			}
			if !strings.Contains(strings.Join(rep.Signatures[0].Changes, "\n"), "MiB") {
				t.Errorf("the change does not say the size\n%s", dump(rep))
			}
			if heap > uint64(len(data))+16<<20 {
				t.Errorf("heap peak +%d MB: the count kept what it counted", heap>>20)
			}
		})
	}
}

// TestRedTeamS9FunctionShadings (F6): PDFium evaluates a function-based (type 1) shading's
// function once per pixel; a type 4 program of 9,000 operators over 200 × 200 pt held it for
// 23 s, priced as a plain fill. The raster model prices a function by its work
// (coverfunc.go): the shading, a shading pattern filling a path with it, and a tint transform
// evaluated per pixel are too complex to check past the page's bounds, in an added appearance
// (MaxAppearancePaintedPixels) and in the signed page (MaxPageRasterWork); a program beyond
// maxCalculatorOps is too complex whatever its area. The twins (the same shading, a program of
// four operators) stay valid.
func TestRedTeamS9FunctionShadings(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	away := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	program := func(reps int) []byte {
		return []byte("{ " + strings.Repeat("dup mul sqrt ", reps) + "pop }")
	}
	calc := func(u *pdf.Update, reps, nin int) pdf.Ref {
		dom := pdf.Array{pdf.Int(0), pdf.Int(1)}
		if nin == 2 {
			dom = pdf.Array{pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(1)}
		}
		p := program(reps)
		if nin == 1 {
			p = []byte("{ dup " + strings.Repeat("dup mul sqrt ", reps) + "pop }")
		}
		return u.Add(&pdf.Stream{Dict: pdf.Dict{"FunctionType": pdf.Int(4), "Domain": dom, "Range": pdf.Array{pdf.Int(0), pdf.Int(1)}}, Data: p})
	}
	// shading is a type 1 shading over the square's area whose function runs reps× "dup mul
	// sqrt"; with tint, its colour space is a Separation whose tint transform does instead.
	shading := func(u *pdf.Update, reps int, tint bool) pdf.Dict {
		sh := pdf.Dict{"ShadingType": pdf.Int(1), "ColorSpace": pdf.Name("DeviceGray"), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(1)},
			"Matrix": pdf.Array{pdf.Int(240), pdf.Int(0), pdf.Int(0), pdf.Int(60), pdf.Int(320), pdf.Int(100)}, "Function": calc(u, reps, 2)}
		if tint {
			sh["Function"] = calc(u, 1, 2)
			sh["ColorSpace"] = pdf.Array{pdf.Name("Separation"), pdf.Name("Spot"), pdf.Name("DeviceGray"), calc(u, reps, 1)}
		}
		return sh
	}
	added := func(content string, res func(u *pdf.Update) pdf.Dict) []byte {
		signed := s.sign(t, plain, sigOpts{})
		return s4Annot(t, signed, "Square", away, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(away, []byte(content), res(u)))
		}, nil)
	}
	sh := func(reps int, tint bool) []byte {
		return added("/Sh0 sh", func(u *pdf.Update) pdf.Dict { return pdf.Dict{"Shading": pdf.Dict{"Sh0": shading(u, reps, tint)}} })
	}
	pattern := func(reps int) []byte {
		return added("/Pattern cs /P0 scn 320 100 240 60 re f", func(u *pdf.Update) pdf.Dict {
			return pdf.Dict{"Pattern": pdf.Dict{"P0": pdf.Dict{"PatternType": pdf.Int(2), "Shading": shading(u, reps, false)}}}
		})
	}
	// signedPage: the signed page draws the shading; a harmless square is added.
	signedPage := func(reps int) []byte {
		pre := update(t, plain, func(u *pdf.Update, v *pdf.View) {
			p := pageOf(t, v)
			pd := p.Dict.Clone()
			res, _ := v.Resolve(pd.Get("Resources"))
			rd, _ := res.(pdf.Dict)
			rd = rd.Clone()
			rd["Shading"] = pdf.Dict{"Sh0": shading(u, reps, false)}
			pd["Resources"] = rd
			content, _ := v.Resolve(pd.Get("Contents"))
			old, _ := content.(*pdf.Stream)
			data, _ := v.File().StreamData(old)
			pd["Contents"] = u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: append(append([]byte{}, data...), "\nq 320 100 240 60 re W n /Sh0 sh Q"...)})
			setObj(t, u, p.Ref, pd)
		})
		signed := s.sign(t, pre, sigOpts{})
		return s4Annot(t, signed, "Square", pdf.Array{pdf.Int(500), pdf.Int(740), pdf.Int(540), pdf.Int(760)}, nil, pdf.Dict{"C": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1)}})
	}
	for _, c := range []struct {
		name  string
		data  func() []byte
		limit string
	}{
		{"type 4 shading, 9,000 operators", func() []byte { return sh(3000, false) }, "MaxAppearancePaintedPixels"},
		{"type 4 shading twin", func() []byte { return sh(1, false) }, ""},
		{"type 4 program over maxCalculatorOps", func() []byte { return sh(maxCalculatorOps/3+1, false) }, "MaxAppearancePaintedPixels"},
		{"tint transform per pixel, 9,000 operators", func() []byte { return sh(3000, true) }, "MaxAppearancePaintedPixels"},
		{"tint transform twin", func() []byte { return sh(1, true) }, ""},
		{"shading pattern fill, 9,000 operators", func() []byte { return pattern(3000) }, "MaxAppearancePaintedPixels"},
		{"shading pattern fill twin", func() []byte { return pattern(1) }, ""},
		{"signed page's shading, 9,000 operators", func() []byte { return signedPage(3000) }, "MaxPageRasterWork"},
		{"signed page's shading twin", func() []byte { return signedPage(1) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.data()
			cpu := cpuTime()
			rep := verifyBytes(t, data, s.store())
			used := cpuTime() - cpu
			t.Logf("%d KB: %s, %v CPU", len(data)>>10, rep.Verdict, used.Round(time.Millisecond))
			if c.limit == "" {
				if rep.Verdict != StatusValid {
					t.Fatalf("twin judged %s\n%s", rep.Verdict, dump(rep))
				}
				return
			}
			if !s9TooComplex(rep, c.limit) || rep.Verdict == StatusValid {
				t.Fatalf("want a too-complex change naming %s, got %s\n%s", c.limit, rep.Verdict, dump(rep))
			}
		})
	}
}

// TestFunctionWork: the work the raster model gives a function grows with what PDFium runs
// per evaluation — a type 4 program's operators, a type 3 function's dearest part, a type 0
// function's interpolation — and a program past maxCalculatorOps is more than it reads.
func TestFunctionWork(t *testing.T) {
	calc := func(reps int) *pdf.Stream {
		return &pdf.Stream{Dict: pdf.Dict{"FunctionType": pdf.Int(4), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1)}, "Range": pdf.Array{pdf.Int(0), pdf.Int(1)}},
			Data: []byte("{ dup " + strings.Repeat("dup mul sqrt ", reps) + "pop }")}
	}
	plain, _ := makeDoc(docOpts{})
	f, err := pdf.OpenBytes(plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		fn   pdf.Object
		want float64
		over bool
	}{
		{"type 4, 3 operators", calc(1), functionCost + 5*calcOpCost, false},
		{"type 4, 3,000 operators", calc(1000), functionCost + 3002*calcOpCost, false},
		{"type 4 over the bound", calc(maxCalculatorOps / 3), 0, true},
		{"type 3 of two", pdf.Dict{"FunctionType": pdf.Int(3), "Functions": pdf.Array{calc(1), calc(10)}}, functionCost + (functionCost + 32*calcOpCost) + 2, false},
		{"type 0, 2 inputs, 3 outputs", pdf.Dict{"FunctionType": pdf.Int(0), "Domain": pdf.Array{pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(1)},
			"Range": pdf.Array{pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(1), pdf.Int(0), pdf.Int(1)}}, functionCost + 3*4*sampledCornerPx, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newPaintWalk(f, f.Latest())
			got := w.functionWork(c.fn, 0)
			if w.over != c.over || (!c.over && got != c.want) {
				t.Fatalf("work %v over %v, want %v over %v", got, w.over, c.want, c.over)
			}
		})
	}
}

// TestRedTeamS9SoftMaskGroups (F14): each transparency group — a soft mask's group too — is
// drawn into a bitmap of its own, cleared and composited; 500 soft-masked groups of 200 pt in
// an annotation held PDFium 4 s a page (16.7 s over four pages), priced at a sixth of that as
// two fills. A group's box now costs rasterGroupCost a pixel: the 500 are too complex to check
// (MaxAppearancePaintedPixels), the twin's 5 stay valid.
func TestRedTeamS9SoftMaskGroups(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	away := pdf.Array{pdf.Int(300), pdf.Int(100), pdf.Int(500), pdf.Int(300)}
	groups := func(n int) []byte {
		return s4Annot(t, signed, "Square", away, func(u *pdf.Update) pdf.Object {
			mask := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": away,
				"Group": pdf.Dict{"S": pdf.Name("Transparency"), "CS": pdf.Name("DeviceGray")}}, Data: []byte("0.5 g 300 100 200 200 re f")})
			group := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("XObject"), "Subtype": pdf.Name("Form"), "BBox": away,
				"Group":     pdf.Dict{"S": pdf.Name("Transparency"), "I": pdf.Bool(true)},
				"Resources": pdf.Dict{"ExtGState": pdf.Dict{"G": pdf.Dict{"SMask": pdf.Dict{"S": pdf.Name("Luminosity"), "G": mask}}}}},
				Data: []byte("/G gs 0.9 g 300 100 200 200 re f")})
			return u.Add(s4Form(away, []byte(strings.Repeat("/X Do ", n)), pdf.Dict{"XObject": pdf.Dict{"X": group}}))
		}, nil)
	}
	for _, c := range []struct {
		name  string
		n     int
		limit string
	}{{"500 soft-masked groups", 500, "MaxAppearancePaintedPixels"}, {"twin: 5 of them", 5, ""}} {
		t.Run(c.name, func(t *testing.T) {
			rep := verifyBytes(t, groups(c.n), s.store())
			if c.limit == "" {
				if rep.Verdict != StatusValid {
					t.Fatalf("twin judged %s\n%s", rep.Verdict, dump(rep))
				}
				return
			}
			if !s9TooComplex(rep, c.limit) || rep.Verdict == StatusValid {
				t.Fatalf("want a too-complex change naming %s, got %s\n%s", c.limit, rep.Verdict, dump(rep))
			}
		})
	}
}
