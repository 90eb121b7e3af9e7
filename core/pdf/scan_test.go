package pdf

import (
	"bytes"
	"math/rand"
	"testing"
)

// TestIndexScans compares Lexer.IndexFrom and LastIndexBefore, which read growing windows,
// with bytes.Index and bytes.LastIndex on the whole input, for patterns placed across every
// window boundary and at random.
func TestIndexScans(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	pat := []byte("startxref")
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = "abcdefgh \n"[rng.Intn(10)]
	}
	var at []int
	// Window edges of the forward scan from 0: windows of 4, 8, 16, 32, 64, 64 … KB (less the
	// overlap), each reaching len(pat) bytes into the next; the first one is the lexer's buffer.
	chunk := int64(scanFirst - len(pat))
	for off := int64(0); off < int64(len(data)); off += chunk {
		for _, edge := range []int64{off, off + chunk + int64(len(pat))} {
			for _, d := range []int64{-int64(len(pat)), -int64(len(pat)) + 1, -1, 0, 1} {
				at = append(at, int(edge+d))
			}
		}
		chunk = min(2*chunk, scanMax)
	}
	// Window starts of the backward scan over the whole input.
	window := int64(scanFirst)
	for hi := int64(len(data)); hi > 0; {
		lo := max(hi-window, 0)
		for d := int64(-len(pat)); d <= 1; d++ {
			at = append(at, int(lo+d))
		}
		if lo == 0 {
			break
		}
		hi = lo + int64(len(pat)) - 1
		window = min(2*window, scanMax+int64(len(pat)))
	}
	for i := 0; i < 40; i++ {
		at = append(at, rng.Intn(len(data)-len(pat)))
	}
	for _, a := range at {
		if a < 0 || a+len(pat) > len(data) {
			continue
		}
		b := bytes.Clone(data)
		copy(b[a:], pat)
		lx := NewLexer(bytes.NewReader(b), int64(len(b)), 0, 0)
		whole := NewBytesLexer(b, 0, 0)
		for _, r := range [][2]int64{{0, int64(len(b))}, {int64(a), int64(a + len(pat))}, {int64(a) + 1, int64(len(b))},
			{0, int64(a + len(pat) - 1)}, {int64(max(0, a-5000)), int64(min(len(b), a+70000))}, {int64(a) / 2, int64(a) + 9}} {
			from, end := r[0], r[1]
			want := int64(bytes.Index(b[from:end], pat))
			if want >= 0 {
				want += from
			}
			if got := lx.IndexFrom(pat, from, end); got != want {
				t.Fatalf("IndexFrom(pattern at %d, %d, %d) = %d, want %d", a, from, end, got, want)
			} else if got >= 0 && !bytes.Equal(lx.ReadRaw(got, int64(len(pat))), pat) {
				// The scan leaves its first window in the lexer's buffer: reads go on from it.
				t.Fatalf("after IndexFrom(%d, %d) the lexer reads %q at %d", from, end, lx.ReadRaw(got, int64(len(pat))), got)
			}
			if got := whole.IndexFrom(pat, from, end); got != want {
				t.Fatalf("in memory: IndexFrom(pattern at %d, %d, %d) = %d, want %d", a, from, end, got, want)
			}
			want = int64(bytes.LastIndex(b[from:end], pat))
			if want >= 0 {
				want += from
			}
			if got := lx.LastIndexBefore(pat, from, end); got != want {
				t.Fatalf("LastIndexBefore(pattern at %d, %d, %d) = %d, want %d", a, from, end, got, want)
			} else if got >= 0 && !bytes.Equal(lx.ReadRaw(got, int64(len(pat))), pat) {
				t.Fatalf("after LastIndexBefore(%d, %d) the lexer reads %q at %d", from, end, lx.ReadRaw(got, int64(len(pat))), got)
			}
			if got := whole.LastIndexBefore(pat, from, end); got != want {
				t.Fatalf("in memory: LastIndexBefore(pattern at %d, %d, %d) = %d, want %d", a, from, end, got, want)
			}
		}
	}
	// Two occurrences: the first and the last are told apart.
	b := bytes.Clone(data)
	copy(b[1000:], pat)
	copy(b[200000:], pat)
	lx := NewLexer(bytes.NewReader(b), int64(len(b)), 0, 0)
	if got := lx.IndexFrom(pat, 0, int64(len(b))); got != 1000 {
		t.Errorf("IndexFrom = %d, want 1000", got)
	}
	if got := lx.LastIndexBefore(pat, 0, int64(len(b))); got != 200000 {
		t.Errorf("LastIndexBefore = %d, want 200000", got)
	}
}
