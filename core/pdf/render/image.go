package render

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // DecodeConfig for JPEG
	_ "image/png"  // DecodeConfig for PNG
	"io"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pdfcpu's default configuration otherwise installs a config folder with fonts into the user's
// config directory on first use; we need none of it.
var disablePdfcpuConfigDir sync.Once

// a4Long is A4's long side in points (297 mm).
const a4Long = 841.89

// imageToPDF turns a JPEG or PNG into a one-page PDF with pdfcpu. The page keeps the image's
// aspect ratio with its longer side as long as A4's (a scanned or photographed A4 page becomes an
// A4 page, so seal sizes in millimetres stay true), and the image fills it.
func imageToPDF(data []byte, maxPixels int64) ([]byte, error) {
	disablePdfcpuConfigDir.Do(api.DisableConfigDir)
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
	w, h := float64(cfg.Width), float64(cfg.Height)
	scale := a4Long / max(w, h)
	imp := pdfcpu.DefaultImportConfig()
	imp.PageDim = &types.Dim{Width: w * scale, Height: h * scale}
	imp.UserDim = true
	imp.Pos = types.Center
	imp.Scale = 1
	imp.ScaleAbs = false
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	var out bytes.Buffer
	if err := api.ImportImages(nil, &out, []io.Reader{bytes.NewReader(data)}, imp, conf); err != nil {
		return nil, fmt.Errorf("failed to convert the image to a pdf: %w: %v", ErrCorrupt, err)
	}
	return out.Bytes(), nil
}
