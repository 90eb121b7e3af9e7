package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestRebuildHeaders: every spelling of a header that poppler's chunked line scan, MuPDF's
// repair lexer or qpdf's tokenizer takes is found, with the number that reader computes; text
// that no reader takes is not (red team s7 G4/G5).
func TestRebuildHeaders(t *testing.T) {
	long := func(n int, c string) string { return strings.Repeat(c, n) }
	cases := []struct {
		name string
		in   string
		want []string // "num@offset"
	}{
		{"plain", "x\n4 0 obj <<>>", []string{"4@2"}},
		{"comment-before-obj", "4 0 % c\nobj", []string{"4@0"}},
		{"comment-before-gen", "4 % c\n0 obj", []string{"4@0"}},
		{"comment-glued", "4%c\n0%c\nobj", []string{"4@0"}},
		{"two-comments", "4 %a\n %b\n\n0 %c\r\nobj", []string{"4@0"}},
		{"formfeed", "4\f0\fobj", []string{"4@0"}},
		{"nul", "4\x000\x00obj", []string{"4@0"}},
		{"vt-poppler", "4\v0\vobj", []string{"4@0"}},
		{"gen00", "4 00 obj", []string{"4@0"}},
		{"newlines", "4\r\n0\r\nobj", []string{"4@0"}},
		{"after-string", "(s) 4 0 obj", []string{"4@4"}},
		{"in-string", "(s 4 0 obj)", []string{"4@3"}},
		{"plus-num", " +4 0 obj", []string{"4@2"}},
		{"lone-minus-gen", " 4 - obj", []string{"4@1"}},
		{"minus-zero-gen", " 4 -0 obj", []string{"4@1"}},
		{"wrapped-number", " 4294967300 0 obj", []string{"4@1"}},
		{"after-endstream", "endstream4 0 obj", []string{"4@9"}},
		{"after-endobj", "q xendobj4 0 obj", []string{"4@9"}},
		{"three-ints", " 1 2 3 obj", []string{"2@3"}},
		{"poppler-chunk-255", "%" + long(254, "x") + "4 0 obj", []string{"4@255"}},
		{"poppler-chunk-mid-digits", "%" + long(253, "x") + "14 0 obj", []string{"4@255"}},
		{"poppler-chunk-after-crlf", "a\r\n%" + long(254, "x") + "4 0 obj", []string{"4@258"}},
		{"poppler-second-chunk", "%" + long(509, "x") + "4 0 obj", []string{"4@510"}},
		{"poppler-continuation", long(254, " ") + "40 obj", []string{"4@254"}},
		{"poppler-obj-suffix", "4 0 objx", []string{"4@0"}},
		// No reader takes these.
		{"no-space-before-obj", "4 0obj", nil},
		{"glued-to-word", "q x4 0 obj", nil},
		{"real", " 4.0 0 obj", nil},
		{"reference", " 4 0 R", nil},
		{"negative", " -4 0 obj", nil},
		{"objx-mid-line", "q 4 0 objx", nil},
		{"sign-inside", " 4+0 obj", nil},
		{"chunk-254", "%" + long(253, "x") + "4 0 obj", nil},
		{"zero", " 0 0 obj", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := NewHeaderScanner([]byte(c.in)).RebuildHeaders(0, int64(len(c.in)))
			var got []string
			for _, h := range hs {
				got = append(got, fmt.Sprintf("%d@%d", h.Ref.Num, h.Offset))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%q: got %v, want %v", c.in, got, c.want)
			}
		})
	}
}

// TestRebuildHeadersSpan: a span scan aligns poppler's chunks from the start of the file and
// reports only headers starting inside the span.
func TestRebuildHeadersSpan(t *testing.T) {
	in := []byte("%" + strings.Repeat("x", 509) + "4 0 obj\n5 0 obj\n")
	s := NewHeaderScanner(in)
	if hs := s.RebuildHeaders(300, 515); len(hs) != 1 || hs[0].Ref.Num != 4 || hs[0].Offset != 510 {
		t.Fatalf("span 300–515: %v", hs)
	}
	if hs := s.RebuildHeaders(515, int64(len(in))); len(hs) != 1 || hs[0].Ref.Num != 5 {
		t.Fatalf("span 515–end: %v", hs)
	}
	if hs := s.RebuildHeaders(0, 100); len(hs) != 0 {
		t.Fatalf("span 0–100: %v", hs)
	}
	// Each in windows finds what one scan finds, across window boundaries too.
	var big bytes.Buffer
	for big.Len() < 3*eachWindow {
		fmt.Fprintf(&big, "%%%s%d 0 obj\n%d 0 %% c\nobj endobj%d 0 obj ", strings.Repeat("x", 254), big.Len()%97+1, big.Len()%89+1, big.Len()%83+1)
	}
	all := NewHeaderScanner(big.Bytes()).RebuildHeaders(0, int64(big.Len()))
	var got []ObjectHeader
	NewHeaderScanner(big.Bytes()).Each(0, int64(big.Len()), func(h ObjectHeader) { got = append(got, h) })
	if len(all) < 1000 || fmt.Sprint(all) != fmt.Sprint(got) {
		t.Fatalf("Each found %d headers, one scan %d", len(got), len(all))
	}
}

// TestRebuildHeadersLinear: shapes that would make a naive scan quadratic (numbers inside
// long comment runs, long lines of digits, many endobj per chunk) scan in linear time.
func TestRebuildHeadersLinear(t *testing.T) {
	const size = 4 << 20
	shapes := map[string]func(*bytes.Buffer){
		"numbers-in-one-comment": func(b *bytes.Buffer) {
			for b.Len() < size {
				b.WriteString("1 %2 %3 %4 %5 %6 %7 %8 %9 ")
			}
		},
		"comment-lines-after-numbers": func(b *bytes.Buffer) {
			for i := 0; b.Len() < size/2; i++ {
				fmt.Fprintf(b, "%d %%", i)
			}
			for b.Len() < size {
				b.WriteString("\n%\n%")
			}
		},
		"digits": func(b *bytes.Buffer) {
			for b.Len() < size {
				b.WriteString("1111111111")
			}
		},
		"endobj": func(b *bytes.Buffer) {
			for b.Len() < size {
				b.WriteString("endobj1 ")
			}
		},
		"blanks": func(b *bytes.Buffer) {
			b.WriteString("1 ")
			for b.Len() < size {
				b.WriteString("          ")
			}
		},
	}
	for name, mk := range shapes {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			mk(&b)
			start := time.Now()
			s := NewHeaderScanner(b.Bytes())
			s.RebuildHeaders(0, int64(b.Len()))
			// Spans in ascending order, as the verifier scans revisions.
			for lo := int64(0); lo < int64(b.Len()); lo += 64 << 10 {
				s.RebuildHeaders(lo, lo+64<<10)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("%s: %d bytes took %v (not linear)", name, b.Len(), d)
			}
		})
	}
}

func BenchmarkRebuildHeaders(b *testing.B) {
	data := make([]byte, 16<<20)
	x := uint64(1)
	for i := range data {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		data[i] = byte(x)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		NewHeaderScanner(data).RebuildHeaders(0, int64(len(data)))
	}
}

func BenchmarkRebuildHeadersDense(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; buf.Len() < 24<<20; i++ {
		fmt.Fprintf(&buf, "%d 0 obj\n", 1000+i%1000000)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		NewHeaderScanner(data).Each(0, int64(len(data)), func(ObjectHeader) { n++ })
	}
}
