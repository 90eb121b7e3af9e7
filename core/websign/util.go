package websign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	stdsync "sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"sealdesk/assets"
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

var (
	dateFontOnce stdsync.Once
	dateFont     *opentype.Font
	dateFontErr  error
)

// dateImagePNG draws text centred on a transparent image for a box of w×h points (the desktop's
// 日期 box drawing, ui/datefield.go).
func dateImagePNG(text string, w, h float64) ([]byte, error) {
	dateFontOnce.Do(func() { dateFont, dateFontErr = opentype.Parse(assets.SansRegular) })
	if dateFontErr != nil {
		return nil, fmt.Errorf("failed to load the font: %w", dateFontErr)
	}
	const scale = 4
	pw, ph := max(8, int(w*scale)), max(8, int(h*scale))
	img := image.NewNRGBA(image.Rect(0, 0, pw, ph))
	size := float64(ph) * 0.7
	var face font.Face
	var adv fixed.Int26_6
	for {
		f, err := opentype.NewFace(dateFont, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
		if err != nil {
			return nil, err
		}
		adv = font.MeasureString(f, text)
		if adv.Ceil() <= pw*95/100 || size < 4 {
			face = f
			break
		}
		f.Close()
		size *= 0.9
	}
	defer face.Close()
	m := face.Metrics()
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.NRGBA{0x10, 0x18, 0x30, 0xff}), Face: face}
	d.Dot = fixed.Point26_6{X: (fixed.I(pw) - adv) / 2, Y: fixed.I((ph + m.Ascent.Ceil() - m.Descent.Ceil()) / 2)}
	d.DrawString(text)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
