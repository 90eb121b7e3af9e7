package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteJSONList writes several reports as one JSON array.
func WriteJSONList(w io.Writer, reps []*Report) error {
	if reps == nil {
		reps = []*Report{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(reps)
}

// ErrNoSignedRange means the signature has no well-formed ByteRange to extract.
var ErrNoSignedRange = errors.New("signature has no well-formed signed range")

// ExtractSigned writes exactly the bytes signature index (1-based, as in the report) covers —
// the revision it signed — to out (temp file + rename), from the very bytes that were verified:
// a file changed or replaced on disk since cannot slip another "signed version" under the
// verdict.
func (r *Report) ExtractSigned(index int, out string) error {
	if r == nil {
		return errors.New("no report")
	}
	n, err := r.signedRange(index)
	if err != nil {
		return err
	}
	if r.data == nil {
		return errors.New("the report does not hold the verified bytes")
	}
	if n > int64(len(r.data)) {
		return fmt.Errorf("signature %d: %w", index, ErrNoSignedRange)
	}
	return writeAtomic(out, func(w io.Writer) error {
		_, err := w.Write(r.data[:n])
		return err
	})
}

func (r *Report) signedRange(index int) (int64, error) {
	if index < 1 || index > len(r.Signatures) {
		return 0, fmt.Errorf("signature %d does not exist (the file has %d)", index, len(r.Signatures))
	}
	n := r.Signatures[index-1].SignedRange
	if n <= 0 {
		return 0, fmt.Errorf("signature %d: %w", index, ErrNoSignedRange)
	}
	return n, nil
}

// ExtractRevision is ExtractSigned for a report that no longer holds its bytes (a report read
// back from JSON): path is read again, and refused unless its SHA-256 is the report's.
func ExtractRevision(path string, rep *Report, index int, out string) error {
	if rep.data != nil {
		return rep.ExtractSigned(index, out)
	}
	n, err := rep.signedRange(index)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("failed to read %s: %w", path, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != rep.SHA256 {
		return fmt.Errorf("%s changed since it was verified (SHA-256 differs)", path)
	}
	if n > int64(len(data)) {
		return fmt.Errorf("signature %d: %w", index, ErrNoSignedRange)
	}
	return writeAtomic(out, func(w io.Writer) error {
		_, err := w.Write(data[:n])
		return err
	})
}

// writeAtomic writes through a temporary file in the target directory, fsyncs and renames it, so
// a failure leaves no half-written output.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("failed to create output: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("failed to sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to close %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("failed to rename output into place: %w", err)
	}
	ok = true
	return nil
}

// WriteReportPDF writes the verification report as a PDF with the text form in lang.
func WriteReportPDF(path string, rep *Report, lang string) error {
	data, err := ReportPDF(rep, lang)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
