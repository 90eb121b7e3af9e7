//go:build linux

package verify

import (
	"syscall"
	"unsafe"
)

// adviseHugePages asks Linux to back the 2 MB-aligned interior of b, a buffer about to receive a
// whole file, with transparent huge pages (where the system allows them on request, the common
// "madvise" setting). Each 4 KB page of fresh memory otherwise costs a fault at its first
// touch: in the virtual machines this is measured on, reading a 45 MB file into a new buffer
// and scanning it once took about 1 s; with huge pages about 0.1 s. Advice only: an error
// changes nothing but speed.
func adviseHugePages(b []byte) {
	const huge = 2 << 20
	if len(b) < 2*huge {
		return
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	start := (p + huge - 1) &^ (huge - 1)
	end := (p + uintptr(len(b))) &^ (huge - 1)
	if end > start {
		_ = syscall.Madvise(b[start-p:end-p], syscall.MADV_HUGEPAGE)
	}
}
