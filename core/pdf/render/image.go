package render

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig for JPEG
	_ "image/png"  // DecodeConfig for PNG

	"sealdesk/core/pdf"
)

// imageToPDF turns a JPEG or PNG into a one-page PDF with pdf.ImageDocument — the same page a
// contract sent with this image gets on the server, so boxes placed on the image in the editor
// land where the recipient sees them: an A4 page (landscape for a wide image) that the image
// fills as far as it can undistorted, centred (a scanned A4 page fills it exactly, so seal sizes
// in millimetres stay true).
func imageToPDF(data []byte, maxPixels int64) ([]byte, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("image has no pixels: %w", ErrCorrupt)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, fmt.Errorf("image is %d×%d pixels, the limit is %d: %w", cfg.Width, cfg.Height, maxPixels, ErrTooLarge)
	}
	out, err := pdf.ImageDocument(data)
	var le *pdf.LimitError
	switch {
	case errors.As(err, &le):
		return nil, fmt.Errorf("%v: %w", err, ErrTooLarge)
	case err != nil:
		return nil, fmt.Errorf("failed to convert the image to a pdf: %w: %v", ErrCorrupt, err)
	}
	return out, nil
}
