package verify

import (
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
