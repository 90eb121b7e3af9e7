package sign

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"hash"
	"os"

	"sealdesk/core/pdf"
	"sealdesk/core/tsa"
)

// AddFields adds empty signature fields (named per recipient, at a page and a rectangle in the
// page's visible coordinates) to the PDF at in and writes the result to out, as one
// incremental update. Names must be new.
func AddFields(in, out string, fields []FieldSpec) error {
	if len(fields) == 0 {
		return errors.New("no fields to add")
	}
	src, f, size, err := openInput(in)
	if err != nil {
		return err
	}
	defer src.Close()
	ed, err := newEditor(f)
	if err != nil {
		return err
	}
	if _, err := checkMDP(f, 0); err != nil {
		return err
	}
	for _, fs := range fields {
		if err := ed.addEmptyField(fs); err != nil {
			return err
		}
	}
	if err := ed.commit(); err != nil {
		return err
	}
	section, _, err := ed.u.Bytes()
	if err != nil {
		return fmt.Errorf("failed to lay out the update: %w", err)
	}
	w, err := newOutput(out)
	if err != nil {
		return err
	}
	defer w.abort()
	if err := w.copyFrom(src, size, nil, nil); err != nil {
		return err
	}
	src.Close() // see SignFile
	if err := w.append(section); err != nil {
		return err
	}
	_, err = w.commit()
	return err
}

// UpgradeOptions describe Upgrade.
type UpgradeOptions struct {
	// Level is B-LT (add a DSS) or B-LTA (DSS, then a document timestamp).
	Level       Level
	Timestamper tsa.Timestamper
	Revocation  RevocationSource
	// Extra certificates (issuers missing from the signatures) to build chains with.
	Extra []*x509.Certificate
}

// Upgrade adds long-term validation data for every signature and document timestamp of an
// already signed PDF (B-LT), and for B-LTA a document timestamp over it all — for signatures
// made offline. Revocation data that cannot be fetched is left out rather than failing.
func Upgrade(ctx context.Context, in, out string, opts *UpgradeOptions) (revisions int, err error) {
	if opts == nil || (opts.Level != LevelBLT && opts.Level != LevelBLTA) {
		return 0, errors.New("upgrade level must be B-LT or B-LTA")
	}
	if opts.Level == LevelBLTA && opts.Timestamper == nil {
		return 0, ErrNeedTimestamper
	}
	src, f, size, err := openInput(in)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	sigs, err := existingSignatures(f)
	if err != nil {
		return 0, err
	}
	if len(sigs) == 0 {
		return 0, errors.New("document has no signature to upgrade")
	}
	w, err := newOutput(out)
	if err != nil {
		return 0, err
	}
	defer w.abort()
	w.ctx = ctx
	var whole hash.Hash // for the document timestamp, hashed as the input is copied
	if opts.Level == LevelBLTA {
		whole = crypto.SHA256.New()
	}
	if err := w.copyFrom(src, size, nil, whole); err != nil {
		return 0, err
	}
	if whole != nil {
		w.whole, w.wholeAlg = whole, crypto.SHA256
	}
	src.Close() // see SignFile
	n, err := w.addLTV(opts.Revocation, sigs, opts.Extra, false)
	if err != nil {
		return 0, err
	}
	if opts.Level == LevelBLTA {
		if err := w.addDocTimestamp(opts.Timestamper, crypto.SHA256, opts.Revocation); err != nil {
			return 0, err
		}
		n++
	}
	if _, err := w.commit(); err != nil {
		return 0, err
	}
	return n, nil
}

// existingSignatures returns the /Contents of every signature field's value in the latest
// revision.
func existingSignatures(f *pdf.File) ([]sigContents, error) {
	v := f.Latest()
	fields, err := v.Fields()
	if err != nil {
		return nil, fmt.Errorf("failed to read form fields: %w", err)
	}
	var out []sigContents
	for _, fl := range fields {
		if !fl.IsSignature() || fl.Value == nil {
			continue
		}
		d := v.Dict(fl.Value)
		if d == nil {
			continue
		}
		c, err := v.Resolve(d.Get("Contents"))
		if err != nil {
			continue
		}
		if s, ok := c.(pdf.String); ok && len(s.Bytes) > 0 {
			out = append(out, sigContents{contents: s.Bytes})
		}
	}
	return out, nil
}

// openInput opens a PDF file for reading; the caller closes src.
func openInput(path string) (*os.File, *pdf.File, int64, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("failed to open input: %w", err)
	}
	st, err := src.Stat()
	if err != nil {
		src.Close()
		return nil, nil, 0, fmt.Errorf("failed to stat input: %w", err)
	}
	f, err := pdf.Open(src, st.Size(), nil)
	if err != nil {
		src.Close()
		return nil, nil, 0, fmt.Errorf("failed to read pdf: %w", err)
	}
	return src, f, st.Size(), nil
}
