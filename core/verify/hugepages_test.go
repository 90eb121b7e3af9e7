package verify

import (
	"bytes"
	"testing"
)

// TestAdviseHugePages: the advice leaves buffers of any size and alignment usable and their
// bytes as written (it only changes how memory is paged).
func TestAdviseHugePages(t *testing.T) {
	for _, n := range []int{0, 1, 4<<20 - 1, 4 << 20, 9<<20 + 3} {
		big := make([]byte, n+17)
		for _, off := range []int{0, 1, 17} {
			b := big[off : off+n]
			adviseHugePages(b)
			for i := range b {
				b[i] = byte(i * 7)
			}
			want := make([]byte, n)
			for i := range want {
				want[i] = byte(i * 7)
			}
			if !bytes.Equal(b, want) {
				t.Fatalf("size %d offset %d: bytes changed", n, off)
			}
		}
	}
}
