package seal

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"sealdesk/core/ids"
)

var update = flag.Bool("update", false, "rewrite the golden seal images in testdata/golden")

// goldenCase is one style at one size, with realistic inputs.
type goldenCase struct {
	file string
	spec Spec
}

func goldenCases() []goldenCase {
	names := map[Style]string{
		Official:   "北京云印科技发展有限公司",
		Contract:   "上海申江贸易有限公司",
		Special:    "广州南方物流股份有限公司",
		Department: "深圳前海数据服务有限公司",
		League:     "共青团杭州西湖区委员会",
		Union:      "天府软件有限公司工会委员会",
		Foreign:    "苏州博世（中国）投资有限公司",
		Invoice:    "北京云印科技发展有限公司",
		Finance:    "南京紫金电子有限公司",
	}
	var cs []goldenCase
	for _, st := range Styles {
		info := st.info()
		for _, z := range Sizes {
			if !slicesContains(info.shapes, z.Shape) || (st == Invoice && z != Oval40) {
				continue
			}
			s := Spec{Style: st, Size: z, Name: names[st]}
			switch st {
			case Official:
				s.Code = "91110108MA01A2B3C4"[:17] + "X" // check character fixed below
			case Special:
				s.Title = "人事专用章"
			case Department:
				s.Title = "人力资源部"
			case Invoice:
				s.Code = "91310110666007217T"
			}
			if st == Official {
				c, _ := ids.CreditCheck(s.Code[:17])
				s.Code = s.Code[:17] + string(c)
			}
			cs = append(cs, goldenCase{fmt.Sprintf("%s-%s.png", st, z.Flag()), s})
		}
	}
	return cs
}

func slicesContains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// alphaOf returns the alpha channel of img as a gray image (the goldens store only coverage;
// the colour is checked separately).
func alphaOf(img *image.NRGBA) *image.Gray {
	g := image.NewGray(img.Bounds())
	for i := range g.Pix {
		g.Pix[i] = img.Pix[4*i+3]
	}
	return g
}

func TestGolden(t *testing.T) {
	const dpi = 150
	for _, c := range goldenCases() {
		t.Run(c.file, func(t *testing.T) {
			img, warns, err := Render(c.spec, dpi)
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) > 0 {
				t.Errorf("warnings for a valid spec: %v", warns)
			}
			for i := 0; i < len(img.Pix); i += 4 {
				if p := img.Pix[i : i+4]; p[3] != 0 && (p[0] != SealRed.R || p[1] != SealRed.G || p[2] != SealRed.B) {
					t.Fatalf("pixel %d has colour %v, want seal red", i/4, p)
				}
			}
			got := alphaOf(img)
			path := filepath.Join("testdata", "golden", c.file)
			if *update {
				var b bytes.Buffer
				if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, got); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			defer f.Close()
			want, err := png.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if want.Bounds() != got.Bounds() {
				t.Fatalf("size %v, golden %v", got.Bounds(), want.Bounds())
			}
			// Exact on the machine that wrote the goldens; elsewhere float rounding in the
			// rasterizer (another CPU's SIMD or FMA) may move edge pixels by a few levels, so
			// allow up to 1% of pixels to differ by at most 12/255. Any real change (a glyph
			// moved, a line thicker) differs by far more.
			diff, maxDiff := 0, 0
			for y := 0; y < got.Rect.Dy(); y++ {
				for x := 0; x < got.Rect.Dx(); x++ {
					if w := color.GrayModel.Convert(want.At(x, y)).(color.Gray).Y; w != got.GrayAt(x, y).Y {
						diff++
						maxDiff = max(maxDiff, int(w)-int(got.GrayAt(x, y).Y), int(got.GrayAt(x, y).Y)-int(w))
					}
				}
			}
			if maxDiff > 12 || diff > len(got.Pix)/100 {
				out := filepath.Join(t.TempDir(), c.file)
				var b bytes.Buffer
				_ = png.Encode(&b, got)
				_ = os.WriteFile(out, b.Bytes(), 0o644)
				t.Errorf("%d pixels differ from %s (by up to %d/255); got written to %s", diff, path, maxDiff, out)
			} else if diff > 0 {
				t.Logf("%d pixels differ by at most %d/255 (rounding)", diff, maxDiff)
			}
		})
	}
}

func TestPixelSizeAndDeterminism(t *testing.T) {
	for _, dpi := range []float64{72, 150, 300, 600} {
		for _, c := range goldenCases() {
			if dpi == 600 && c.spec.Size != Round42 && c.spec.Size != Oval40 {
				continue // keep the test quick
			}
			img, _, err := Render(c.spec, dpi)
			if err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			w, h := int(math.Round(c.spec.Size.W*dpi/25.4)), int(math.Round(c.spec.Size.H*dpi/25.4))
			if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Errorf("%s at %g dpi: %v, want %d×%d", c.file, dpi, b, w, h)
			}
		}
	}
	// Ø42 at 600 dpi is 992×992, and renders to identical bytes every time, also concurrently.
	spec := goldenCases()[2].spec
	if spec.Size != Round42 {
		t.Fatalf("case 2 is %v", spec.Size)
	}
	first, _, err := Render(spec, 600)
	if err != nil {
		t.Fatal(err)
	}
	if first.Bounds().Dx() != 992 || first.Bounds().Dy() != 992 {
		t.Fatalf("Ø42 at 600 dpi is %v, want 992×992", first.Bounds())
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, _, err := Render(spec, 600)
			if err != nil || !bytes.Equal(img.Pix, first.Pix) {
				t.Errorf("render %d differs (err %v)", i, err)
			}
		}()
	}
	wg.Wait()
	// The same bytes on one CPU as on several (the bands are fixed strips).
	prev := runtime.GOMAXPROCS(1)
	one, _, err := Render(spec, 600)
	runtime.GOMAXPROCS(prev)
	if err != nil || !bytes.Equal(one.Pix, first.Pix) {
		t.Errorf("render with GOMAXPROCS=1 differs (err %v)", err)
	}
	// Transparent everywhere outside the ink: the corners of a round seal.
	if first.NRGBAAt(5, 5).A != 0 || first.NRGBAAt(986, 986).A != 0 {
		t.Error("corners are not transparent")
	}
}

func TestRefusals(t *testing.T) {
	long := strings.Repeat("长", 40)
	for _, tc := range []struct {
		name string
		spec Spec
		is   func(error) bool
	}{
		{"empty name", Spec{Style: Official, Name: "  "}, fieldIs("name")},
		{"control char", Spec{Style: Official, Name: "某某\x07公司"}, fieldIs("name")},
		{"special without title", Spec{Style: Special, Name: "某某公司"}, fieldIs("title")},
		{"department without title", Spec{Style: Department, Name: "某某公司"}, fieldIs("title")},
		{"invoice without code", Spec{Style: Invoice, Name: "某某公司"}, fieldIs("code")},
		{"invoice code with punctuation", Spec{Style: Invoice, Name: "某某公司", Code: "91310110-66007217T"}, fieldIs("code")},
		{"invoice 45x30", Spec{Style: Invoice, Name: "某某公司", Code: "91310110666007217T", Size: Oval45}, fieldIs("size")},
		{"round foreign", Spec{Style: Foreign, Name: "某某公司", Size: Round42}, fieldIs("size")},
		{"square official", Spec{Style: Official, Name: "某某公司", Size: Square25}, fieldIs("size")},
		{"odd size", Spec{Style: Official, Name: "某某公司", Size: Size{Round, 41, 41}}, fieldIs("size")},
		{"unknown style", Spec{Style: Style(42), Name: "某某公司"}, fieldIs("style")},
		{"too many bytes", Spec{Style: Official, Name: strings.Repeat("某", 200)}, fieldIs("name")},
		{"missing glyphs", Spec{Style: Official, Name: "某𠀀某公司𪚥"}, func(err error) bool {
			var m *MissingGlyphsError
			return errors.As(err, &m) && len(m.Runes) == 2 && m.Runes[0] == '𠀀' && m.Runes[1] == '𪚥' &&
				strings.Contains(err.Error(), "U+20000")
		}},
		{"name too long Ø42", Spec{Style: Official, Name: long, Size: Round42}, tooLong("name", 40)},
		{"name too long 40x30", Spec{Style: Invoice, Name: long, Code: "91310110666007217T"}, tooLong("name", 40)},
		{"title too long", Spec{Style: Special, Name: "某某公司", Title: strings.Repeat("专", 20)}, tooLong("title", 20)},
		{"square too long", Spec{Style: Finance, Name: long, Size: Square22}, tooLong("name", 40)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Layout(tc.spec)
			if err == nil || !errors.Is(err, ErrInvalidSpec) || !tc.is(err) {
				t.Fatalf("Layout = %v", err)
			}
			if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] {
				t.Errorf("error %q is not lowercase", msg)
			}
		})
	}
}

func fieldIs(field string) func(error) bool {
	return func(err error) bool {
		var f *FieldError
		return errors.As(err, &f) && f.Field == field
	}
}

func tooLong(field string, n int) func(error) bool {
	return func(err error) bool {
		var e *TooLongError
		return errors.As(err, &e) && e.Field == field && e.Len == n && e.Max > 0 && e.Max < n &&
			strings.Contains(err.Error(), fmt.Sprintf("at most %d", e.Max))
	}
}

// TestMaxLength: a name of exactly Max characters fits (compressed), Max+1 is refused.
func TestMaxLength(t *testing.T) {
	for _, z := range []Size{Round38, Round42, Round45, Oval40, Oval45} {
		st := Official
		code := ""
		if z.Shape == Oval {
			st, code = Invoice, "91310110666007217T"
			if z == Oval45 {
				st, code = Foreign, ""
			}
		}
		_, err := Layout(Spec{Style: st, Size: z, Name: strings.Repeat("国", 60), Code: code})
		var e *TooLongError
		if !errors.As(err, &e) {
			t.Fatalf("%v: %v", z, err)
		}
		d, err := Layout(Spec{Style: st, Size: z, Name: strings.Repeat("国", e.Max), Code: code})
		if err != nil {
			t.Errorf("%v: a name of the reported maximum %d is refused: %v", z, e.Max, err)
			continue
		}
		if d.NameXScale < nameXSMin-1e-9 || d.NameXScale > 0.8 {
			t.Errorf("%v: %d characters drawn at width %.2f, want compressed to ≥ %.1f", z, e.Max, d.NameXScale, nameXSMin)
		}
		if _, err := Layout(Spec{Style: st, Size: z, Name: strings.Repeat("国", e.Max+1), Code: code}); err == nil {
			t.Errorf("%v: %d characters accepted, more than the reported maximum", z, e.Max+1)
		}
		t.Logf("%v holds %d characters", z, e.Max)
	}
	// A short name keeps full-width glyphs and the arc stays within the national span.
	d, err := Layout(Spec{Style: Official, Size: Round42, Name: "北京云印科技有限公司"})
	if err != nil {
		t.Fatal(err)
	}
	if d.NameXScale != 1 || d.NameSpan < 200 || d.NameSpan > 270 {
		t.Errorf("10 characters on Ø42: width %.2f, span %.1f°", d.NameXScale, d.NameSpan)
	}
}

func TestWarnings(t *testing.T) {
	// A mis-checked 18-character code is drawn with a warning.
	_, warns, err := Render(Spec{Style: Official, Name: "某某有限公司", Code: "91350211M0000RUF46"}, 72)
	if err != nil || len(warns) != 1 || warns[0].Code != WarnCodeCheck {
		t.Fatalf("mis-checked code: %v, %v", warns, err)
	}
	// A 15-digit legacy taxpayer number on an invoice seal.
	_, warns, err = Render(Spec{Style: Invoice, Name: "某某有限公司", Code: "110108123456789"}, 72)
	if err != nil || len(warns) != 1 || warns[0].Code != WarnCodeLegacy {
		t.Fatalf("legacy taxpayer number: %v, %v", warns, err)
	}
	// A valid code: no warning.
	_, warns, err = Render(Spec{Style: Official, Name: "某某有限公司", Code: "91350100M000100Y43"}, 72)
	if err != nil || len(warns) != 0 {
		t.Fatalf("valid code: %v, %v", warns, err)
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]Size{"42": Round42, "40x30": Oval40, "45×30": Oval45, "22": Square22, "25x25": Square25, "38mm": Round38} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "41", "30x40", "42x42", "x", "1e9"} {
		if _, err := ParseSize(in); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("ParseSize(%q) = %v, want refusal", in, err)
		}
	}
	for _, st := range Styles {
		if got, err := ParseStyle(st.String()); err != nil || got != st {
			t.Errorf("ParseStyle(%s) = %v, %v", st, got, err)
		}
	}
	if _, err := ParseStyle("emblem"); !errors.Is(err, ErrInvalidSpec) {
		t.Error("unknown style accepted")
	}
}

func TestPDFContent(t *testing.T) {
	d, err := Layout(goldenCases()[0].spec)
	if err != nil {
		t.Fatal(err)
	}
	c := string(d.PDFContent())
	if !strings.HasPrefix(c, "q\n0.902 0.000 0.071 rg\n") || !strings.HasSuffix(c, "f\nQ\n") {
		t.Fatalf("content stream frame: %.40q … %.20q", c, c[len(c)-20:])
	}
	if n := strings.Count(c, "\nf\n"); n != len(d.Parts) {
		t.Errorf("%d fills for %d parts", n, len(d.Parts))
	}
	// Every coordinate lies inside the BBox (38 mm = 107.7 pt).
	for _, f := range strings.Fields(c) {
		var v float64
		if _, err := fmt.Sscanf(f, "%g", &v); err == nil && (v < -0.01 || v > 38*72/25.4+0.01) {
			t.Fatalf("coordinate %v outside the box", v)
		}
	}
}

func FuzzSpec(f *testing.F) {
	f.Add(uint8(0), uint8(2), "北京云印科技发展有限公司", "", "91350100M000100Y43", false)
	f.Add(uint8(7), uint8(4), "某某", "发票专用章", "91310110666007217T", true)
	f.Add(uint8(8), uint8(7), strings.Repeat("财", 30), "", "", false)
	f.Add(uint8(2), uint8(0), "A(B)c 1", "\u200b", "x", false)
	f.Add(uint8(3), uint8(1), "\xff\xfe", "人力资源部", "110108123456789", false)
	f.Fuzz(func(t *testing.T, style, size uint8, name, title, code string, noStar bool) {
		s := Spec{Style: Style(style % 10), Name: name, Title: title, Code: code, NoStar: noStar, Font: Font(size / 32)}
		if int(size%9) < len(Sizes) {
			s.Size = Sizes[size%9]
		}
		d, err := Layout(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("error does not wrap ErrInvalidSpec: %v", err)
			}
			return
		}
		if _, err := d.Rasterize(36); err != nil {
			t.Fatal(err)
		}
	})
}

func TestEncodePNGRecordsDPI(t *testing.T) {
	img, _, err := Render(Spec{Style: Official, Name: "某某有限公司"}, 300)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := EncodePNG(&b, img, 300); err != nil {
		t.Fatal(err)
	}
	back, err := png.Decode(bytes.NewReader(b.Bytes())) // the CRC and layout are right
	if err != nil {
		t.Fatal(err)
	}
	if back.Bounds() != img.Bounds() {
		t.Fatalf("decoded %v", back.Bounds())
	}
	// Lossless and deterministic: the same pixels back, the same bytes every time.
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y += 7 {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x += 5 {
			if r1, g1, b1, a1 := img.At(x, y).RGBA(); true {
				if r2, g2, b2, a2 := back.At(x, y).RGBA(); r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
					t.Fatalf("pixel %d,%d changed", x, y)
				}
			}
		}
	}
	var again bytes.Buffer
	if err := EncodePNG(&again, img, 300); err != nil || !bytes.Equal(again.Bytes(), b.Bytes()) {
		t.Fatalf("a second encoding differs (%v)", err)
	}
	i := bytes.Index(b.Bytes(), []byte("pHYs"))
	if i < 0 || i > 40 {
		t.Fatalf("pHYs chunk at %d", i)
	}
	p := b.Bytes()[i+4:]
	if ppm := uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3]); ppm != 11811 || p[8] != 1 {
		t.Errorf("pHYs %d px/m unit %d, want 11811 px/m (300 dpi)", ppm, p[8])
	}
}

func TestFontChoice(t *testing.T) {
	song, _, err := Render(Spec{Style: Official, Name: "北京云印科技有限公司"}, 150)
	if err != nil {
		t.Fatal(err)
	}
	hei, _, err := Render(Spec{Style: Official, Name: "北京云印科技有限公司", Font: FontHei}, 150)
	if err != nil {
		t.Fatal(err)
	}
	explicit, _, _ := Render(Spec{Style: Official, Name: "北京云印科技有限公司", Font: FontSong}, 150)
	if bytes.Equal(song.Pix, hei.Pix) || !bytes.Equal(song.Pix, explicit.Pix) {
		t.Error("FontHei should change the glyphs and FontSong should be the round seal's default")
	}
	if _, err := Layout(Spec{Style: Official, Name: "某某", Font: Font(9)}); !fieldIs("font")(err) {
		t.Errorf("unknown font: %v", err)
	}
}

func TestSpecJSON(t *testing.T) {
	for _, s := range []Spec{
		{Style: Invoice, Size: Oval40, Name: "某某有限公司", Code: "91310110666007217T"},
		{Style: Finance, Size: Square22, Name: "某某有限公司", Font: FontHei},
		{Style: Union, Name: "某某工会", NoStar: true, Color: color.NRGBA{200, 0, 0, 255}},
	} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back Spec
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s → %+v, %v", b, back, err)
		}
		if !strings.Contains(string(b), `"Style":"`+s.Style.String()+`"`) {
			t.Errorf("style not written as its word: %s", b)
		}
	}
	var s Spec
	if err := json.Unmarshal([]byte(`{"Style":"official","Size":"41"}`), &s); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("bad size in JSON: %v", err)
	}
}

func TestStyleSizes(t *testing.T) {
	for _, st := range Styles {
		zs := st.Sizes()
		if len(zs) == 0 || zs[0] != st.info().def {
			t.Fatalf("%s: sizes %v", st, zs)
		}
		for _, z := range zs {
			spec := Spec{Style: st, Size: z, Name: "某某有限公司", Title: "人事专用章", Code: "91310110666007217T"}
			if z.Shape == Square {
				spec.Code = "" // no room for a code
			}
			if _, err := Layout(spec); err != nil {
				t.Errorf("%s at %v (listed): %v", st, z, err)
			}
		}
		for _, z := range Sizes {
			if !slicesContains(zs, z) {
				if _, err := Layout(Spec{Style: st, Size: z, Name: "某某有限公司", Title: "人事专用章", Code: "91310110666007217T"}); !fieldIs("size")(err) {
					t.Errorf("%s at %v (not listed): %v", st, z, err)
				}
			}
		}
	}
	if title, req, star := Invoice.Defaults(); title != "发票专用章" || req || star {
		t.Errorf("invoice defaults %q %v %v", title, req, star)
	}
}
