package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
)

// fileMap is a read-only memory map of the file being verified (Options.MapFile). The page
// cache's pages are mapped, not copied: no fresh memory is touched for the file's bytes.
//
// A map reflects the file as it is now: if another process truncates the file while it is
// verified, touching a page past the new end raises SIGBUS, which Go turns into a panic only in
// a goroutine that asked for it (guard) — every goroutine that reads the bytes does, and their
// recovers turn it into an error. A file written to while it is verified could show the
// verifier two versions; File compares the file's size and times before and after and then
// reports the change instead of a verdict.
type fileMap struct {
	mu     sync.RWMutex
	data   []byte
	closed bool
}

// errFileChanged is File's error for a file that changed while it was being verified.
var errFileChanged = errors.New("the file changed while it was being verified")

// guard makes a fault on the map in the calling goroutine a panic (which the goroutine
// recovers) rather than the end of the process. A nil map needs no guard.
func (m *fileMap) guard() {
	if m != nil {
		debug.SetPanicOnFault(true)
	}
}

// readerAt returns a reader of the map's first end bytes for readers that run in other
// goroutines (PDFium's calls): each read is guarded, and after the map is released reads fail
// instead of touching unmapped memory.
func (m *fileMap) readerAt(end int64) io.ReaderAt { return &mapReader{m: m, end: end} }

type mapReader struct {
	m   *fileMap
	end int64
}

func (r *mapReader) ReadAt(p []byte, off int64) (n int, err error) {
	r.m.mu.RLock()
	defer r.m.mu.RUnlock()
	if r.m.closed {
		return 0, fmt.Errorf("reading the verified file after its verification: %w", os.ErrClosed)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			n, err = 0, errFileChanged
		}
	}()
	if off < 0 || off >= r.end {
		return 0, io.EOF
	}
	n = copy(p, r.m.data[off:r.end])
	if n < len(p) {
		err = io.EOF
	}
	return n, err
}

// sameFile reports whether b describes the file a described: same size, modification and
// change times (a write, a truncation or a rename over it changes one of them).
func sameFile(a, b os.FileInfo) bool {
	return a.Size() == b.Size() && a.ModTime().Equal(b.ModTime()) && changeTime(a) == changeTime(b) && os.SameFile(a, b)
}

// verifyMappedFile verifies fh (described by st) through a memory map of it. ok is false when
// the file cannot be mapped (the caller then reads it).
func verifyMappedFile(ctx context.Context, fh *os.File, st os.FileInfo, name string, opts *Options) (rep *Report, err error, ok bool) {
	m, err := mapFile(fh, st.Size())
	if err != nil || m == nil {
		return nil, nil, false
	}
	defer m.release()
	rep, err = verifyMappedBytes(ctx, m, name, opts)
	if st2, err2 := fh.Stat(); err2 != nil || !sameFile(st, st2) {
		return nil, fmt.Errorf("%s: %w", name, errFileChanged), true
	}
	return rep, err, true
}

// verifyMappedBytes runs the verification in this goroutine with faults on the map guarded.
func verifyMappedBytes(ctx context.Context, m *fileMap, name string, opts *Options) (rep *Report, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverInto(&err, name)
	if ctx == nil {
		ctx = context.Background()
	}
	return verifyData(ctx, m.data, name, opts, m)
}

// release unmaps the file once no guarded reader is reading it.
func (m *fileMap) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		unmap(m.data)
		m.data = nil
	}
}
