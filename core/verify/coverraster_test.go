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

// Red team s7 G13: an appearance of a few hundred kilobytes whose operators each paint a
// large area (20,000 full-area fills; 200,000 segments stroked 50 pt wide) kept PDFium busy
// until the 60 s render limit, or for 32 s and 456 MB. What the appearances paint is now
// measured before rendering (coverraster.go): over MaxAppearancePaintedPixels the page's changes
// are too complex to check, naming the limit; the twins — the same constructions at an honest
// size — are rendered and judged as usual, well under two seconds.
func TestAppearancePaintBudget(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	blank := pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(612), pdf.Int(500)}
	small := pdf.Array{pdf.Int(320), pdf.Int(100), pdf.Int(560), pdf.Int(160)}
	repeat := func(n int, op func(i int) string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(op(i))
		}
		return b.String()
	}
	fills := func(n int) string { return "0 0 1 rg " + repeat(n, func(int) string { return "0 0 612 500 re f\n" }) }
	strokes := func(n int) string {
		return "0 0 1 RG 50 w 1 J 1 j 0 250 m " + repeat(n, func(i int) string { return fmt.Sprintf("%d %d l\n", 612*(1-i%2), 100+i%300) }) + "S"
	}
	ink := func(n int) string {
		return "0 0 1 RG 1.5 w 1 J 1 j " + repeat(n, func(i int) string {
			x, y := 330+i%200, 110+i%40
			return fmt.Sprintf("%d %d m %d %d l %d %d l S\n", x, y, x+3, y+2, x+5, y)
		})
	}
	square := func(rect pdf.Array, content string) []byte {
		return s4Annot(t, signed, "Square", rect, func(u *pdf.Update) pdf.Object {
			return u.Add(s4Form(rect, []byte(content), nil))
		}, nil)
	}
	for _, c := range []struct {
		name    string
		data    []byte
		refused bool
	}{
		{"fills-20000", square(blank, fills(20000)), true},
		{"fills-2000", square(blank, fills(2000)), true},
		{"strokes-200000", square(blank, strokes(200000)), true},
		{"strokes-2000", square(blank, strokes(2000)), true},
		{"fills-160", square(blank, fills(160)), true},
		{"fills-120-twin", square(blank, fills(120)), false},
		{"strokes-40-twin", square(blank, strokes(40)), false},
		{"ink-5000-twin", square(small, ink(5000)), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			cpu := cpuTime()
			rep := verifyBytes(t, c.data, s.store())
			used := cpuTime() - cpu
			t.Logf("%d KB: %s, %v wall, %v CPU", len(c.data)>>10, rep.Verdict, time.Since(start).Round(time.Millisecond), used.Round(time.Millisecond))
			tooComplex := false
			for _, d := range rep.Signatures[0].ChangeDetails {
				if d.Code == ChangeTooComplex && d.Key == "MaxAppearancePaintedPixels" {
					tooComplex = true
				}
			}
			if tooComplex != c.refused {
				t.Fatalf("too complex %v, want %v\n%s", tooComplex, c.refused, dump(rep))
			}
			if c.refused && rep.Verdict == StatusValid {
				t.Fatal("refused but valid")
			}
			if !c.refused && rep.Verdict != StatusValid {
				t.Fatalf("twin judged %s\n%s", rep.Verdict, dump(rep))
			}
			if used > 2*time.Second {
				t.Errorf("%v of CPU (limit 2 s)", used)
			}
		})
	}
}

// Red team s8 F4: the raster work was priced for the appearances added after signing only, not
// for the signed page's own content, which the cover check renders twice (as signed and as
// now). A signed page holding one path of 300,000 zig-zag segments used as a clip (or filled),
// 30 such clips of 20,000 segments, 20 nested clips or a long stroke finely dashed, followed by
// a harmless square added in the margin, held PDFium for 16–18 s of CPU and up to 610 MB until
// the 60 s render limit, or was called valid after 25 s. Everything both renders draw is now
// priced before rendering (coverraster.go, MaxPageRasterWork): these pages are too complex to
// check, in well under 2 s and within the file's size + 64 MB of heap; an ordinary signed page
// (text, a table, an image) and the attacks' constructions at an honest size, with the same
// square, are rendered and valid. With the pricing switched off (rasterPricing) every attack
// row fails: rendered until the time limit or called valid.
func TestPageRasterBudget(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	zig := func(n int, x0, y0, size float64) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%g %g m ", x0, y0)
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%.2f %g l ", x0+size*float64(i)/float64(n), y0+size*float64(i%2))
		}
		b.WriteString("h ")
		return b.String()
	}
	zigzag := func(n int) string { return zig(n, 300, 100, 200) }
	// type3 is a Type 3 font whose one glyph, a, fills a zig-zag of n segments (d0: PDFium
	// draws it at every use).
	type3 := func(n int) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict {
			proc := u.Add(&pdf.Stream{Dict: pdf.Dict{}, Data: []byte("1000 0 d0 " + zig(n, 0, 0, 1000) + "f")})
			font := u.Add(pdf.Dict{"Type": pdf.Name("Font"), "Subtype": pdf.Name("Type3"),
				"FontBBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1000), pdf.Int(1000)}, "FontMatrix": pdf.Array{pdf.Real{Value: 0.001}, pdf.Int(0), pdf.Int(0), pdf.Real{Value: 0.001}, pdf.Int(0), pdf.Int(0)},
				"CharProcs": pdf.Dict{"a": proc}, "Encoding": pdf.Dict{"Type": pdf.Name("Encoding"), "Differences": pdf.Array{pdf.Int(97), pdf.Name("a")}},
				"FirstChar": pdf.Int(97), "LastChar": pdf.Int(97), "Widths": pdf.Array{pdf.Int(1000)}})
			return pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}, "T3": font}}
		}
	}
	// tiling is a coloured tiling pattern whose cell of step × step points holds a small square.
	tiling := func(step float64) func(u *pdf.Update) pdf.Dict {
		return func(u *pdf.Update) pdf.Dict {
			pat := u.Add(&pdf.Stream{Dict: pdf.Dict{"Type": pdf.Name("Pattern"), "PatternType": pdf.Int(1), "PaintType": pdf.Int(1), "TilingType": pdf.Int(1),
				"BBox": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Real{Value: step}, pdf.Real{Value: step}}, "XStep": pdf.Real{Value: step}, "YStep": pdf.Real{Value: step}, "Resources": pdf.Dict{}},
				Data: []byte(fmt.Sprintf("0 0 1 rg 0 0 %g %g re f", step/2, step/2))})
			return pdf.Dict{"Font": pdf.Dict{"F1": pdf.Ref{Num: 5}}, "Pattern": pdf.Dict{"P1": pat}}
		}
	}
	// An ordinary page: text, a ruled table with shaded header cells, an inline image.
	var ordinary strings.Builder
	ordinary.WriteString("BT /F1 24 Tf 72 700 Td (Pay 1000000 yuan) Tj ET\n0.5 w 0 G\n")
	for r := 0; r < 12; r++ {
		y := 600 - 20*r
		if r == 0 {
			fmt.Fprintf(&ordinary, "0.9 g 72 %d 468 20 re f 0 g\n", y)
		}
		for c := 0; c < 6; c++ {
			fmt.Fprintf(&ordinary, "%d %d 78 20 re S BT /F1 9 Tf %d %d Td (Item %d.%d) Tj ET\n", 72+78*c, y, 76+78*c, y+6, r, c)
		}
	}
	ordinary.WriteString("q 64 0 0 64 72 200 cm BI /W 8 /H 8 /BPC 8 /CS /G ID " + strings.Repeat("\x80", 64) + " EI Q\n")
	dashed := func(lines int, dash string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "q 0.5 w [%s] 0 d 0 0 1 RG 0 300 m ", dash)
		for i := 0; i < lines; i++ {
			fmt.Fprintf(&b, "%d %d l ", 612*((i+1)%2), 300+i%200)
		}
		b.WriteString("S Q\n")
		return b.String()
	}
	page := func(extra string, res func(u *pdf.Update) pdf.Dict) []byte {
		pre := update(t, plain, func(u *pdf.Update, v *pdf.View) {
			// Compressed, as the red team's files are (300,000 segments are 91 KB).
			var z bytes.Buffer
			zw := zlib.NewWriter(&z)
			zw.Write([]byte(ordinary.String() + extra))
			zw.Close()
			setObj(t, u, pdf.Ref{Num: 4}, &pdf.Stream{Dict: pdf.Dict{"Filter": pdf.Name("FlateDecode")}, Data: z.Bytes()})
			if res != nil {
				p := pageOf(t, v)
				pd := p.Dict.Clone()
				pd["Resources"] = res(u)
				setObj(t, u, p.Ref, pd)
			}
		})
		signed := s.sign(t, pre, sigOpts{})
		margin := pdf.Array{pdf.Int(500), pdf.Int(740), pdf.Int(540), pdf.Int(760)}
		// No appearance stream, as in the red team's files: the whole page is rendered (with
		// one, only the region around it would be, and PDFium skips what lies outside).
		return s4Annot(t, signed, "Square", margin, nil, pdf.Dict{"C": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1)}})
	}
	for _, c := range []struct {
		name    string
		extra   string
		refused bool
		res     func(u *pdf.Update) pdf.Dict
	}{
		{"clip-zigzag-300k", "q " + zigzag(300_000) + "W n 0.99 g 300 100 200 200 re f Q\n", true, nil},
		{"fill-zigzag-300k", "q 0.99 g " + zigzag(300_000) + "f Q\n", true, nil},
		// 19 MB of content, past the 16 MiB a stream may decode to here; PDFium draws it all.
		{"fill-zigzag-1.2M-19MB", "q 0.99 g " + zigzag(1_200_000) + "f Q\n", true, nil},
		{"clips-30x20k", strings.Repeat("q "+zigzag(20_000)+"W n 0.99 g 300 100 200 200 re f Q\n", 30), true, nil},
		{"clips-nested-20x2000", strings.Repeat("q "+zigzag(2000)+"W n 0.99 g 300 100 1 1 re f\n", 20) + strings.Repeat("Q ", 20), true, nil},
		{"dashes-2.4M", dashed(4000, "0.5"), true, nil},
		{"ordinary-twin", "", false, nil},
		{"clip-zigzag-200-twin", "q " + zigzag(200) + "W n 0.99 g 300 100 200 200 re f Q\n", false, nil},
		{"fill-zigzag-2000-twin", "q 0.99 g " + zigzag(2000) + "f Q\n", false, nil},
		{"dashes-twin", dashed(20, "3 2"), false, nil},
		{"type3-glyphs-100x20k", "BT /T3 24 Tf 72 400 Td (" + strings.Repeat("a", 100) + ") Tj ET\n", true, type3(20_000)},
		{"type3-twin", "BT /T3 24 Tf 72 400 Td (aaaa) Tj ET\n", false, type3(50)},
		{"tiling-twin", "q /Pattern cs /P1 scn 100 100 400 400 re f Q\n", false, tiling(20)},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := page(c.extra, c.res)
			var rep *Report
			var used, wall time.Duration
			heap := peakHeap(int64(len(data))+64<<20-16<<20, func() {
				start, cpu := time.Now(), cpuTime()
				rep = verifyBytes(t, data, s.store())
				used, wall = cpuTime()-cpu, time.Since(start)
			})
			t.Logf("%d KB: %s, %v wall, %v CPU, heap peak +%.1f MB", len(data)>>10, rep.Verdict, wall.Round(time.Millisecond), used.Round(time.Millisecond), float64(heap)/(1<<20))
			tooComplex := false
			for _, d := range rep.Signatures[0].ChangeDetails {
				if d.Code == ChangeTooComplex && d.Key == "MaxPageRasterWork" {
					tooComplex = true
				}
			}
			if tooComplex != c.refused {
				t.Fatalf("too complex %v, want %v\n%s", tooComplex, c.refused, dump(rep))
			}
			if c.refused && rep.Verdict == StatusValid {
				t.Fatal("refused but valid")
			}
			if !c.refused && rep.Verdict != StatusValid {
				t.Fatalf("twin judged %s\n%s", rep.Verdict, dump(rep))
			}
			if c.refused && used > 2*time.Second {
				t.Errorf("%v of CPU (limit 2 s)", used)
			}
			if c.refused && heap > uint64(len(data))+64<<20 {
				t.Errorf("heap peak +%d MB over the file's %d KB (limit + 64 MB)", heap>>20, len(data)>>10)
			}
		})
	}
}

// TestRasterWorkPerFile: the raster work of every rendering of one verification is added up;
// past maxRasterWorkPerFile the next page is too complex to check, naming the limit (pages each
// under MaxPageRasterWork, 24 per signature and 128 per file, could otherwise add up to minutes).
func TestRasterWorkPerFile(t *testing.T) {
	s := newSigner(t, pki.ECDSAP256)
	plain, _ := makeDoc(docOpts{})
	signed := s.sign(t, plain, sigOpts{})
	margin := pdf.Array{pdf.Int(500), pdf.Int(740), pdf.Int(540), pdf.Int(760)}
	data := s4Annot(t, signed, "Square", margin, nil, pdf.Dict{"C": pdf.Array{pdf.Int(0), pdf.Int(0), pdf.Int(1)}})
	f, err := pdf.Open(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	one, over := pageRasterWork(f, []*pdf.View{f.Latest(), f.Latest()}, 1)
	if over || one <= 0 || one > MaxPageRasterWork {
		t.Fatalf("the page costs %.0f (over %v)", one, over)
	}
	for _, c := range []struct {
		bound   float64
		refused bool
	}{{one / 2, true}, {one * 4, false}} {
		old := maxRasterWorkPerFile
		maxRasterWorkPerFile = c.bound
		rep := verifyBytes(t, data, s.store())
		maxRasterWorkPerFile = old
		refused := false
		for _, d := range rep.Signatures[0].ChangeDetails {
			if d.Code == ChangeTooComplex && d.Key == "MaxRasterWorkPerFile" {
				refused = true
			}
		}
		if refused != c.refused || refused == (rep.Verdict == StatusValid) {
			t.Errorf("bound %.0f for a page of %.0f: refused %v, verdict %s\n%s", c.bound, one, refused, rep.Verdict, dump(rep))
		}
	}
}
