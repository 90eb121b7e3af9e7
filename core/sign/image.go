package sign

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
)

// Limits on appearance images.
const (
	MaxImageBytes  = 20 << 20 // encoded file
	MaxImagePixels = 16e6     // decoded width × height (4000×4000)
)

// imageXObject is an image ready to become a PDF image XObject: the stream dictionary (without
// /SMask, which the caller links) and encoded data, plus an optional soft mask.
type imageXObject struct {
	Width, Height int
	Dict          map[string]any // keys: ColorSpace, BitsPerComponent, Filter, Decode
	Data          []byte
	SMask         []byte // flate-compressed 8-bit alpha, nil when opaque
}

// loadImage turns PNG (any colour model, palettes, transparency, 16-bit) or JPEG bytes into an
// image XObject. JPEG data is passed through as DCTDecode; PNG pixels are re-encoded as
// Flate-compressed 8-bit RGB or gray with an SMask when any pixel is not opaque.
func loadImage(data []byte) (*imageXObject, error) {
	if len(data) > MaxImageBytes {
		return nil, fmt.Errorf("image is %d bytes, more than the %d limit", len(data), MaxImageBytes)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("failed to read image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || float64(cfg.Width)*float64(cfg.Height) > MaxImagePixels {
		return nil, fmt.Errorf("image is %d×%d pixels, outside the limit of %g", cfg.Width, cfg.Height, float64(MaxImagePixels))
	}
	switch format {
	case "jpeg":
		return jpegXObject(data, cfg)
	case "png":
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("failed to decode png: %w", err)
		}
		return rasterXObject(img)
	}
	return nil, fmt.Errorf("image format %q is not supported (PNG or JPEG)", format)
}

func jpegXObject(data []byte, cfg image.Config) (*imageXObject, error) {
	// Decode once to be sure the data is a JPEG a viewer can read.
	if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("failed to decode jpeg: %w", err)
	}
	x := &imageXObject{Width: cfg.Width, Height: cfg.Height, Data: data,
		Dict: map[string]any{"BitsPerComponent": 8, "Filter": "DCTDecode"}}
	switch cfg.ColorModel {
	case color.GrayModel:
		x.Dict["ColorSpace"] = "DeviceGray"
	case color.CMYKModel:
		x.Dict["ColorSpace"] = "DeviceCMYK"
		if bytes.Contains(data[:min(len(data), 4096)], []byte("Adobe")) {
			// Adobe APP14 CMYK JPEGs store inverted values.
			x.Dict["Decode"] = []float64{1, 0, 1, 0, 1, 0, 1, 0}
		}
	default:
		x.Dict["ColorSpace"] = "DeviceRGB"
	}
	return x, nil
}

func rasterXObject(img image.Image) (*imageXObject, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	gray := isGray(img)
	comps := 3
	if gray {
		comps = 1
	}
	pix := make([]byte, 0, w*h*comps)
	alpha := make([]byte, 0, w*h)
	opaque := true
	// Non-premultiplied 8-bit pixels, converted once with the standard library's fast paths.
	nrgba, ok := img.(*image.NRGBA)
	if !ok {
		nrgba = image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(nrgba, nrgba.Bounds(), img, b.Min, draw.Src)
		b = nrgba.Bounds()
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			i := nrgba.PixOffset(x, y)
			c := color.NRGBA{nrgba.Pix[i], nrgba.Pix[i+1], nrgba.Pix[i+2], nrgba.Pix[i+3]}
			if gray {
				pix = append(pix, c.R)
			} else {
				pix = append(pix, c.R, c.G, c.B)
			}
			alpha = append(alpha, c.A)
			if c.A != 0xff {
				opaque = false
			}
		}
	}
	data, err := deflate(pix)
	if err != nil {
		return nil, err
	}
	x := &imageXObject{Width: w, Height: h, Data: data, Dict: map[string]any{"BitsPerComponent": 8, "Filter": "FlateDecode"}}
	if gray {
		x.Dict["ColorSpace"] = "DeviceGray"
	} else {
		x.Dict["ColorSpace"] = "DeviceRGB"
	}
	if !opaque {
		if x.SMask, err = deflate(alpha); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// isGray reports whether the image's colour model carries no colour.
func isGray(img image.Image) bool {
	switch img.ColorModel() {
	case color.GrayModel, color.Gray16Model:
		return true
	}
	return false
}

func deflate(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestSpeed)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// cropStrip returns the i-th of n vertical strips of img (left to right) as a new image, for
// the cross-page seal.
func cropStrip(img image.Image, i, n int) image.Image {
	b := img.Bounds()
	x0 := b.Min.X + b.Dx()*i/n
	x1 := b.Min.X + b.Dx()*(i+1)/n
	out := image.NewNRGBA(image.Rect(0, 0, x1-x0, b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < x1-x0; x++ {
			out.Set(x, y, img.At(x0+x, b.Min.Y+y))
		}
	}
	return out
}

// decodeAny decodes PNG or JPEG pixels (for cutting strips).
func decodeAny(data []byte) (image.Image, error) {
	if len(data) > MaxImageBytes {
		return nil, fmt.Errorf("image is %d bytes, more than the %d limit", len(data), MaxImageBytes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("failed to read image: %w", err)
	}
	if float64(cfg.Width)*float64(cfg.Height) > MaxImagePixels {
		return nil, errors.New("image has too many pixels")
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("failed to decode image: %w", err)
	}
	return img, nil
}
