//go:build !linux

package verify

// adviseHugePages does nothing here (see hugepages_linux.go).
func adviseHugePages([]byte) {}
