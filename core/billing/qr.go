package billing

import (
	"fmt"
	"image"

	qrcode "github.com/skip2/go-qrcode"
)

// MaxQRPayload bounds the payload of a payment QR code (a provider's URL).
const MaxQRPayload = 1024

// QRImage draws the payment QR code of payload (error correction level M), size pixels square,
// black on white with the quiet zone the standard asks for.
func QRImage(payload string, size int) (image.Image, error) {
	if payload == "" || len(payload) > MaxQRPayload {
		return nil, fmt.Errorf("qr payload of %d bytes: 1–%d", len(payload), MaxQRPayload)
	}
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the payment qr code: %w", err)
	}
	return q.Image(size), nil
}
