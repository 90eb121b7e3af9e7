//go:build !linux

package verify

// newFileBuffer returns a zeroed buffer of size bytes for a whole file (see hugepages_linux.go).
func newFileBuffer(size int64) []byte { return make([]byte, size) }
