package sign

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"

	"sealdesk/core/pdf"
)

// ErrDropsSignatures: a save would replace a file that holds signatures with one that lacks
// some of them. Every writer of this package checks it before renaming over an existing file.
var ErrDropsSignatures = errors.New("refusing to replace a file that holds signatures the result lacks")

// DropsSignaturesError says which save was refused and why. It wraps ErrDropsSignatures.
type DropsSignaturesError struct {
	Path string // the existing file that was kept as it is
	// Held is how many signatures (and document timestamps) the existing file holds, Missing
	// how many of them the result lacks. Unreadable means the existing file mentions /ByteRange
	// but could not be read as a PDF, so nothing could prove its signatures are kept.
	Held, Missing int
	Unreadable    bool
}

func (e *DropsSignaturesError) Error() string {
	if e.Unreadable {
		return fmt.Sprintf("refusing to replace %s: it looks signed but cannot be read, so its signatures cannot be kept", e.Path)
	}
	return fmt.Sprintf("refusing to replace %s: %d of its %d signatures would be lost", e.Path, e.Missing, e.Held)
}

func (e *DropsSignaturesError) Unwrap() error { return ErrDropsSignatures }

// CheckReplace reports whether writing a signed (or field-added) copy of in to target keeps
// every signature target holds now: nil when target does not exist, holds no signature, or every
// one of its signatures is also in in (a result built on in keeps in's signatures, since this
// package only appends). Otherwise it returns a *DropsSignaturesError. Callers use it to warn
// before asking for a PIN or a confirmation; the writers check again just before the rename.
func CheckReplace(in, target string) error {
	if si, err := os.Stat(in); err == nil {
		if st, err := os.Stat(target); err == nil && os.SameFile(si, st) {
			// Saving over the input itself: the result appends to it, so it keeps everything.
			return nil
		}
	}
	held, err := heldSignatures(target)
	if err != nil || len(held) == 0 {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("failed to open input: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("failed to stat input: %w", err)
	}
	have, err := signatureKeys(f, st.Size())
	if err != nil {
		return fmt.Errorf("failed to read the input's signatures: %w", err)
	}
	return missingFrom(target, held, have)
}

// heldSignatures returns the signature keys of the file at path: none when it does not exist or
// is not a regular file (a directory makes the rename fail on its own). A file that cannot be
// read as a PDF but mentions /ByteRange is refused as Unreadable.
func heldSignatures(path string) (map[[2][32]byte]bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to stat the existing output: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read the existing output: %w", err)
	}
	defer f.Close()
	keys, err := signatureKeys(f, st.Size())
	if err != nil || len(keys) == 0 {
		// Not a PDF we can read, or one without signature dictionaries: fine unless its bytes
		// mention /ByteRange, when a reader might find signatures we did not.
		if mentionsByteRange(f) {
			return nil, &DropsSignaturesError{Path: path, Unreadable: true}
		}
		return nil, nil
	}
	return keys, nil
}

// missingFrom returns a *DropsSignaturesError when some of held is not in have.
func missingFrom(path string, held, have map[[2][32]byte]bool) error {
	missing := 0
	for k := range held {
		if !have[k] {
			missing++
		}
	}
	if missing == 0 {
		return nil
	}
	return &DropsSignaturesError{Path: path, Held: len(held), Missing: missing}
}

// signatureKeys identifies each signature dictionary of a PDF by the hash of its /Contents and
// the hash of the bytes its /ByteRange covers: the same signature over the same bytes has the
// same key wherever it sits, and a result that appends to a file keeps the file's keys.
func signatureKeys(r io.ReaderAt, size int64) (map[[2][32]byte]bool, error) {
	f, err := pdf.Open(r, size, nil)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sigs, _, err := f.FindSigDicts()
	if err != nil && len(sigs) == 0 {
		return nil, err
	}
	keys := map[[2][32]byte]bool{}
	for _, sd := range sigs {
		var k [2][32]byte
		if s, ok := sd.Dict.Get("Contents").(pdf.String); ok {
			k[0] = sha256.Sum256(s.Bytes)
		} else {
			k[0] = sha256.Sum256([]byte(fmt.Sprint(sd.Dict.Get("Contents"))))
		}
		k[1] = coveredHash(r, size, sd.Dict.Get("ByteRange"))
		keys[k] = true
	}
	return keys, nil
}

// coveredHash hashes the bytes a /ByteRange covers; a range that is not four in-file integers
// hashes its own text instead (the same broken range still matches itself).
func coveredHash(r io.ReaderAt, size int64, o pdf.Object) [32]byte {
	arr, ok := o.(pdf.Array)
	bad := func() [32]byte { return sha256.Sum256([]byte("bad byterange " + fmt.Sprint(o))) }
	if !ok || len(arr)%2 != 0 || len(arr) == 0 {
		return bad()
	}
	h := sha256.New()
	buf := make([]byte, 1<<16)
	for i := 0; i < len(arr); i += 2 {
		off, ok1 := arr[i].(pdf.Int)
		n, ok2 := arr[i+1].(pdf.Int)
		if !ok1 || !ok2 || off < 0 || n < 0 || int64(off)+int64(n) > size {
			return bad()
		}
		if _, err := io.CopyBuffer(h, io.NewSectionReader(r, int64(off), int64(n)), buf); err != nil {
			return bad()
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// mentionsByteRange scans a file for "/ByteRange".
func mentionsByteRange(f *os.File) bool {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return true // cannot tell: be careful
	}
	needle := []byte("/ByteRange")
	br := bufio.NewReaderSize(f, 1<<16)
	var tail []byte
	buf := make([]byte, 1<<16)
	for {
		n, err := br.Read(buf)
		chunk := append(tail, buf[:n]...)
		if bytes.Contains(chunk, needle) {
			return true
		}
		if len(chunk) >= len(needle) {
			tail = append([]byte(nil), chunk[len(chunk)-len(needle)+1:]...)
		} else {
			tail = chunk
		}
		if err != nil {
			return false
		}
	}
}
