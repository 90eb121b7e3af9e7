package verify

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestNewFileBuffer: file buffers have exactly the file's length and capacity (an append
// cannot write into the memory around them), are zeroed and writable; on Linux a large one
// starts on a huge-page boundary.
func TestNewFileBuffer(t *testing.T) {
	for _, n := range []int64{0, 1, 4<<20 - 1, 4 << 20, 9<<20 + 3, 45 << 20} {
		b := newFileBuffer(n)
		if int64(len(b)) != n || int64(cap(b)) != n {
			t.Fatalf("size %d: len %d cap %d", n, len(b), cap(b))
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("size %d: byte %d is %d, not zero", n, i, b[i])
			}
			b[i] = byte(i)
		}
		if runtime.GOOS == "linux" && n >= 4<<20 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%(2<<20) != 0 {
			t.Fatalf("size %d: buffer not aligned to 2 MB", n)
		}
	}
}
