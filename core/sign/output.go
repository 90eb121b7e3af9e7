package sign

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sealdesk/core/pdf"
)

// output is the temporary file a signed document is assembled in. Nothing appears at path
// until commit renames it; abort removes it.
type output struct {
	ctx      context.Context
	progress func(done, total int64)
	path     string
	mode     os.FileMode // permission bits for the output (the input's)
	tmp      *os.File
	size     int64
	done     bool
	// whole, when set, is a running hash (algorithm wholeAlg) of every byte of the output so
	// far, kept for a document timestamp so that it need not read the whole file again.
	whole    hash.Hash
	wholeAlg crypto.Hash
	// copied is the input file as it was before copyFrom copied all of it; nil when the input
	// is not a file.
	copied os.FileInfo
	// buf is the buffer copyFrom copied the input through; appendSigned lays updates out in
	// it (memory already touched: no page faults in a fresh process).
	buf []byte
}

// context returns the signing's context (never nil).
func (w *output) context() context.Context {
	if w.ctx != nil {
		return w.ctx
	}
	return context.Background()
}

func newOutput(path string) (*output, error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return nil, fmt.Errorf("failed to create a temporary file beside the output: %w", err)
	}
	return &output{path: path, tmp: tmp}, nil
}

// copyBufSize is the buffer the input is copied and hashed through. Larger buffers are no
// faster once warm (10 MB: 8.3 ms with 128 KB, 8.2 ms with 1 MB), but a signing often runs in a
// fresh process or after the runtime returned its memory, and then every 4 KB page of a new
// buffer costs a page fault at first touch — about 20 µs each in the virtual machines measured,
// 5 ms for 1 MB, more than copying a 1 MB document takes. Inputs up to smallCopyMax go through
// smallCopyBuf instead (copyBufLen): at 1 MB the 24 faults a 128 KB buffer costs more were a
// fifth of the whole signing, and 32 chunks cost little in system calls.
const (
	copyBufSize  = 128 << 10
	smallCopyBuf = 32 << 10
	smallCopyMax = 4 << 20
)

// copyBufLen is the length of the buffer a file of size bytes is copied through.
func copyBufLen(size int64) int {
	if size <= smallCopyMax {
		return smallCopyBuf
	}
	return copyBufSize
}

// copyFrom copies size bytes of src into the temporary file while hashing them (h may be
// nil), reporting progress and stopping when ctx is done. st, when not nil, is src's file as
// the caller found it when it opened it (SignFile): copyFrom then does not stat it again.
func (w *output) copyFrom(src io.ReaderAt, size int64, st os.FileInfo, h hash.Hash) error {
	f, isFile := src.(*os.File)
	if isFile && st == nil {
		st, _ = f.Stat()
	}
	var before os.FileInfo
	if isFile && st != nil && st.Size() == size {
		before = st
	}
	buf := make([]byte, copyBufLen(size))
	var off int64
	for off < size {
		if w.ctx != nil {
			if err := w.ctx.Err(); err != nil {
				return fmt.Errorf("signing cancelled: %w", err)
			}
		}
		n := int64(len(buf))
		if size-off < n {
			n = size - off
		}
		k, err := src.ReadAt(buf[:n], off)
		if int64(k) != n {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("failed to read the input at %d: %w", off, err)
		}
		if h != nil {
			h.Write(buf[:n])
		}
		if _, err := w.tmp.Write(buf[:n]); err != nil {
			return fmt.Errorf("failed to copy the input: %w", err)
		}
		off += n
		if w.progress != nil {
			w.progress(off, size)
		}
	}
	if isFile && st != nil {
		w.mode = st.Mode().Perm()
	}
	w.copied = before
	w.size = size
	w.buf = buf
	return nil
}

// keepWholeHash starts w's running hash of the whole output from a clone of h, which must hold
// the hash (algorithm alg) of every byte written so far. Without a clonable h a document
// timestamp re-reads the file instead (hashAll).
func (w *output) keepWholeHash(h hash.Hash, alg crypto.Hash) {
	if c, ok := h.(hash.Cloner); ok {
		if x, err := c.Clone(); err == nil {
			w.whole, w.wholeAlg = x, alg
		}
	}
}

// takeWholeHash returns a hash (algorithm alg) holding every byte of the output so far: the
// running one when w kept it with that algorithm (w stops feeding it), else a new one fed by
// reading the file.
func (w *output) takeWholeHash(alg crypto.Hash) (hash.Hash, error) {
	hh, kept := w.whole, w.wholeAlg
	w.whole = nil
	if hh != nil && kept == alg {
		return hh, nil
	}
	hh = alg.New()
	if err := w.hashAll(hh); err != nil {
		return nil, err
	}
	return hh, nil
}

// hashAll hashes the whole temporary file as it is now.
func (w *output) hashAll(h hash.Hash) error {
	buf := make([]byte, copyBufLen(w.size))
	if _, err := io.CopyBuffer(h, io.NewSectionReader(w.tmp, 0, w.size), buf); err != nil {
		return fmt.Errorf("failed to hash the document: %w", err)
	}
	return nil
}

// open reads the temporary file as a PDF (for a further revision).
func (w *output) open() (*pdf.File, error) {
	f, err := pdf.Open(w.tmp, w.size, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to re-read the signed document: %w", err)
	}
	return f, nil
}

type signedLayout struct {
	byteRange [4]int64
	der       []byte // what makeCMS returned
	room      int    // bytes /Contents holds
}

// contents returns the full /Contents bytes: the DER and its zero padding.
func (l *signedLayout) contents() []byte {
	padded := make([]byte, l.room)
	copy(padded, l.der)
	return padded
}

// appendSigned lays out u, fills its /ByteRange, finishes h over the update's bytes outside
// /Contents, asks makeCMS for the signature over the digest and writes it into /Contents. h
// must already hold the hash of every byte before the update.
func (w *output) appendSigned(u *pdf.Update, h hash.Hash, makeCMS func(digest []byte) ([]byte, error)) (*signedLayout, error) {
	section, lay, err := u.AppendTo(w.buf)
	if err != nil {
		return nil, fmt.Errorf("failed to lay out the update: %w", err)
	}
	if lay.Start != w.size {
		return nil, fmt.Errorf("update starts at %d, file is %d bytes", lay.Start, w.size)
	}
	cs, ok := lay.Placeholders[contentsName]
	if !ok {
		return nil, errors.New("update has no /Contents placeholder")
	}
	br := [4]int64{0, cs.Start, cs.End, lay.End - cs.End}
	brText, err := pdf.FormatByteRange(br, pdf.ByteRangeWidth)
	if err != nil {
		return nil, err
	}
	if err := lay.Patch(section, byteRangeName, brText); err != nil {
		return nil, err
	}
	h.Write(section[:cs.Start-lay.Start])
	h.Write(section[cs.End-lay.Start:])
	der, err := makeCMS(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	room := int(cs.Len()-2) / 2
	if len(der) > room {
		return nil, fmt.Errorf("%w: %d bytes, %d reserved", ErrContentsTooSmall, len(der), room)
	}
	// The placeholder in section is "<", 2·room zeros and ">": the DER's digits go over the
	// first zeros, in upper case as most producers write them, and the rest stays zero padding.
	lo, hi := cs.Start-lay.Start, cs.End-lay.Start
	if lo < 0 || hi > int64(len(section)) || section[lo] != '<' || section[hi-1] != '>' {
		return nil, errors.New("update has no /Contents placeholder where its layout says")
	}
	digits := section[lo+1 : hi-1]
	for i, c := range der {
		digits[2*i], digits[2*i+1] = upperHex[c>>4], upperHex[c&15]
	}
	if err := w.append(section); err != nil {
		return nil, err
	}
	return &signedLayout{byteRange: br, der: der, room: room}, nil
}

const upperHex = "0123456789ABCDEF"

// append writes bytes at the end of the temporary file.
func (w *output) append(b []byte) error {
	if _, err := w.tmp.WriteAt(b, w.size); err != nil {
		return fmt.Errorf("failed to write the update: %w", err)
	}
	if w.whole != nil {
		w.whole.Write(b)
	}
	w.size += int64(len(b))
	return nil
}

// commit fsyncs and renames the temporary file over the output. An existing output that holds
// signatures is replaced only when the new file holds every one of them (ErrDropsSignatures).
func (w *output) commit() (int64, error) {
	if err := w.keepsSignatures(); err != nil {
		return 0, err
	}
	if w.mode != 0 {
		// CreateTemp makes 0600 files; the output keeps the input's permissions.
		if err := w.tmp.Chmod(w.mode); err != nil {
			return 0, fmt.Errorf("failed to set the output's permissions: %w", err)
		}
	}
	if err := w.tmp.Sync(); err != nil {
		return 0, fmt.Errorf("failed to sync the output: %w", err)
	}
	if err := w.tmp.Close(); err != nil {
		return 0, fmt.Errorf("failed to close the output: %w", err)
	}
	if err := rename(w.tmp.Name(), w.path); err != nil {
		if _, serr := os.Lstat(w.path); serr == nil {
			// Windows refuses to replace a file another program holds open (a PDF reader):
			// the result is kept under a new name beside it rather than lost.
			if kept, kerr := keepBeside(w.tmp.Name(), w.path); kerr == nil {
				w.done = true
				return w.size, &ReplaceRefusedError{Path: w.path, Kept: kept, Err: err}
			}
		}
		return 0, fmt.Errorf("failed to move the output into place: %w", err)
	}
	w.done = true
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return w.size, nil
}

// rename moves the finished output into place; tests stand in for Windows' refusal to replace
// an open file, which no Linux file system reproduces.
var rename = os.Rename

// ErrReplaceRefused: the operating system refused to replace an existing output (on Windows:
// another program holds it open). The result was kept beside it (*ReplaceRefusedError).
var ErrReplaceRefused = errors.New("the existing file could not be replaced")

// ReplaceRefusedError says which file could not be replaced and where the finished result is
// instead. It wraps ErrReplaceRefused and the operating system's error.
type ReplaceRefusedError struct {
	Path string // the file left as it was
	Kept string // the complete result, in the same folder
	Err  error
}

func (e *ReplaceRefusedError) Error() string {
	return fmt.Sprintf("could not replace %s (%v); the result was saved as %s", e.Path, e.Err, e.Kept)
}

func (e *ReplaceRefusedError) Unwrap() []error { return []error{ErrReplaceRefused, e.Err} }

// keptSuffix marks the name of a result kept beside a file that could not be replaced.
const keptSuffix = "-已签"

// keepBeside moves tmp to a free name beside path: 合同.pdf → 合同-已签.pdf, 合同-已签(2).pdf …
// (合同-已签.pdf → 合同-已签(2).pdf).
func keepBeside(tmp, path string) (string, error) {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(strings.TrimSuffix(path, ext), keptSuffix)
	for n := 1; n < 1000; n++ {
		p := stem + keptSuffix + ext
		if n > 1 {
			p = fmt.Sprintf("%s%s(%d)%s", stem, keptSuffix, n, ext)
		}
		if p == path {
			continue
		}
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := rename(tmp, p); err != nil {
			return "", err
		}
		return p, nil
	}
	return "", errors.New("no free name beside the output")
}

// abort removes the temporary file unless commit succeeded.
func (w *output) abort() {
	if w.done {
		return
	}
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}

// keepsSignatures checks that the temporary file holds every signature of the file it is about
// to replace (nothing to check when there is none).
func (w *output) keepsSignatures() error {
	st, err := os.Stat(w.path)
	if os.IsNotExist(err) {
		// Nothing is replaced. (Not errors.Is: its interface assertions on *fs.PathError
		// make the runtime build two interface tables, a page fault in a fresh process.)
		return nil
	}
	if w.copied != nil && err == nil && os.SameFile(st, w.copied) &&
		st.Size() == w.copied.Size() && st.ModTime().Equal(w.copied.ModTime()) {
		// The output is the input (signing in place, or the desktop signing its next box
		// into the file it just wrote), unchanged since all of it was copied: the result
		// starts with every byte of it, so it holds every signature. Checking by reading
		// both files hashed each signature's range twice (45 MB, one signature: ~90 ms).
		return nil
	}
	held, err := heldSignatures(w.path)
	if err != nil || len(held) == 0 {
		return err
	}
	have, err := signatureKeys(w.tmp, w.size)
	if err != nil {
		return fmt.Errorf("failed to re-read the signed document: %w", err)
	}
	return missingFrom(w.path, held, have)
}
