package verify

import (
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

// ExtractRevision writes exactly the bytes signature index (1-based, as in the report) covers —
// the document as it was signed — to out (temp file, fsync, rename).
func ExtractRevision(path string, rep *Report, index int, out string) error {
	if index < 1 || index > len(rep.Signatures) {
		return fmt.Errorf("signature %d does not exist (the file has %d)", index, len(rep.Signatures))
	}
	n := rep.Signatures[index-1].SignedRange
	if n <= 0 {
		return fmt.Errorf("signature %d: %w", index, ErrNoSignedRange)
	}
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("failed to open %s: %w", path, err)
	}
	defer in.Close()
	return writeAtomic(out, func(w io.Writer) error {
		_, err := io.Copy(w, io.NewSectionReader(in, 0, n))
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
