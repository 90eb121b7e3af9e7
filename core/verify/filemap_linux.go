//go:build linux

package verify

import (
	"os"
	"syscall"
)

// mapFile maps size bytes of f read-only, populating the page tables in the same call (one
// system call instead of a fault per 64 KB). nil, nil for an empty file.
func mapFile(f *os.File, size int64) (*fileMap, error) {
	if size <= 0 || size != int64(int(size)) {
		return nil, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return nil, err
	}
	return &fileMap{data: b}, nil
}

func unmap(b []byte) { _ = syscall.Munmap(b) }

// changeTime is the file's inode change time (ns).
func changeTime(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ctim.Sec*1e9 + st.Ctim.Nsec
	}
	return 0
}
