package websign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"

	"sealdesk/core/api"
	"sealdesk/core/pdf"
)

func encodeB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// Seals lets a company handler use their enterprise's seals here (core/server wires core/entseal:
// grants, one-time codes and the usage log stay entseal's).
type Seals interface {
	// Usable lists the seals accountID may use now in the enterprise named company.
	Usable(ctx context.Context, accountID, company string) ([]SealOption, error)
	// SendCode sends the seal's one-time code to accountID, good for up to signatures
	// signatures (≤ api.MaxCodeSignatures) on contractID.
	SendCode(ctx context.Context, eid, sid, accountID, contractID string, signatures int) (api.SealCodeTicket, error)
	// Open checks that accountID may use the seal for company now and returns it.
	Open(ctx context.Context, eid, sid, accountID, company string) (SealHandle, error)
}

// SealHandle is a seal opened for one signing.
type SealHandle interface {
	Cert() *x509.Certificate
	Chain() []*x509.Certificate
	Image() []byte // PNG
	// Signer signs one digest with the one-time code, logging the use on contractID and the
	// document (its SHA-256 before signing).
	Signer(ctx context.Context, codeID, code, contractID, documentSHA256 string) (crypto.Signer, error)
}

// lastPageSize is the visible size of the last page of a PDF, in points.
func lastPageSize(b []byte) (w, h float64, err error) {
	f, err := pdf.Open(bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		return 0, 0, err
	}
	n, err := f.Latest().NumPages()
	if err != nil {
		return 0, 0, err
	}
	pg, err := f.Page(n)
	if err != nil {
		return 0, 0, err
	}
	w, h = pg.CropBox.URX-pg.CropBox.LLX, pg.CropBox.URY-pg.CropBox.LLY
	if pg.Rotate%180 != 0 {
		w, h = h, w
	}
	return w, h, nil
}
