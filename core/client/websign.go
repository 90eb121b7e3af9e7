package client

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"

	"sealdesk/core/api"
)

// EventSignatureDrawn is the type of the sync event (in the account's own scope) that carries
// the strokes a phone drew on a pad (payload: {"strokes": core/seal.Signature, "time": …}).
const EventSignatureDrawn = "signature.drawn"

// NewSignaturePad asks the server for a one-time phone pad (扫码生成): the URL and its QR code
// (PNG). Asking again (重新获取二维码) voids the previous pad.
func (c *Client) NewSignaturePad(ctx context.Context) (api.SignaturePad, []byte, error) {
	var out api.SignaturePad
	if _, _, err := c.do(ctx, http.MethodPost, "/api/v1/signature-pads", c.contractHeader("", "application/json"), []byte("{}"), &out); err != nil {
		return api.SignaturePad{}, nil, err
	}
	png, err := base64.StdEncoding.DecodeString(out.QRPNG)
	if err != nil {
		return api.SignaturePad{}, nil, fmt.Errorf("bad qr code from the server: %w", err)
	}
	return out, png, nil
}
