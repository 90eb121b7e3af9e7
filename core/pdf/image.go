package pdf

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"runtime"
	"strings"
)

// Page size of a document made from an image: A4 in points, turned to landscape for a wide image.
const (
	a4Width  = 595.28
	a4Height = 841.89
)

// MaxImagePixels bounds the pixels of an image ImageDocument accepts (a 10 MB PNG can declare
// 2³¹ pixels; decoding it would take gigabytes).
const MaxImagePixels = 60_000_000

// imageSlots bounds the conversions that run at once: each holds its decoded image (up to 4
// bytes a pixel, 240 MB at MaxImagePixels); more wait their turn.
var imageSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// ErrNotImage is returned by ImageDocument for data that is not a JPEG or PNG image.
var ErrNotImage = errors.New("not a jpeg or png image")

// ImageDocument makes a one-page PDF showing a JPEG or PNG image (a scanned contract, a photo),
// so that an image can be sent, placed and signed like any document. The page is A4 (landscape
// for a wide image) and the image fills it as far as it can without being distorted, centred.
//
// A JPEG in grey or RGB is embedded as it is (DCTDecode, no loss); other JPEGs (CMYK, YCCK) and
// every PNG are decoded and embedded as 8-bit RGB (FlateDecode). Transparency is flattened onto
// white paper. An image beyond MaxImagePixels is a *LimitError.
func ImageDocument(data []byte) ([]byte, error) {
	imageSlots <- struct{}{}
	defer func() { <-imageSlots }()
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "jpeg" && format != "png") {
		return nil, ErrNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, ErrNotImage
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, &LimitError{Limit: "MaxImagePixels", Max: MaxImagePixels, Got: int64(cfg.Width) * int64(cfg.Height)}
	}
	var xobj string
	var stream []byte
	if format == "jpeg" && (cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.YCbCrModel) {
		cs := "/DeviceRGB"
		if cfg.ColorModel == color.GrayModel {
			cs = "/DeviceGray"
		}
		// Check that the whole image decodes: a truncated JPEG would make a page viewers refuse.
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotImage, err)
		}
		stream = data
		xobj = fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>",
			cfg.Width, cfg.Height, cs, len(stream))
	} else {
		var img image.Image
		if format == "png" {
			img, err = png.Decode(bytes.NewReader(data))
		} else {
			img, err = jpeg.Decode(bytes.NewReader(data))
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotImage, err)
		}
		b := img.Bounds()
		// Rows go to the compressor one at a time (no second copy of the image), with fast
		// paths for the decoders' usual types: a 60-million-pixel PNG cost 862 MB and 6–7 CPU
		// seconds per conversion through img.At and a whole-image RGB buffer (platform red team).
		var z bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
		row := make([]byte, b.Dx()*3)
		blend := func(v, a uint8) byte { return byte((uint32(v)*uint32(a) + 255*(255-uint32(a)) + 127) / 255) }
		for y := b.Min.Y; y < b.Max.Y; y++ {
			switch m := img.(type) {
			case *image.NRGBA:
				px := m.Pix[m.PixOffset(b.Min.X, y):]
				for i := 0; i < b.Dx(); i++ {
					a := px[4*i+3]
					row[3*i], row[3*i+1], row[3*i+2] = blend(px[4*i], a), blend(px[4*i+1], a), blend(px[4*i+2], a)
				}
			case *image.RGBA: // premultiplied: over white is c + (255 - a)
				px := m.Pix[m.PixOffset(b.Min.X, y):]
				for i := 0; i < b.Dx(); i++ {
					w := 255 - px[4*i+3]
					row[3*i], row[3*i+1], row[3*i+2] = px[4*i]+w, px[4*i+1]+w, px[4*i+2]+w
				}
			case *image.Gray:
				px := m.Pix[m.PixOffset(b.Min.X, y):]
				for i := 0; i < b.Dx(); i++ {
					row[3*i], row[3*i+1], row[3*i+2] = px[i], px[i], px[i]
				}
			default:
				for i := 0; i < b.Dx(); i++ {
					c := color.NRGBAModel.Convert(img.At(b.Min.X+i, y)).(color.NRGBA)
					row[3*i], row[3*i+1], row[3*i+2] = blend(c.R, c.A), blend(c.G, c.A), blend(c.B, c.A)
				}
			}
			if _, err := zw.Write(row); err != nil {
				return nil, err
			}
		}
		zw.Close()
		stream = z.Bytes()
		xobj = fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>",
			b.Dx(), b.Dy(), len(stream))
	}

	pw, ph := a4Width, a4Height
	if cfg.Width > cfg.Height {
		pw, ph = ph, pw
	}
	scale := min(pw/float64(cfg.Width), ph/float64(cfg.Height))
	w, h := float64(cfg.Width)*scale, float64(cfg.Height)*scale
	content := fmt.Sprintf("q %.2f 0 0 %.2f %.2f %.2f cm /Im1 Do Q\n", w, h, (pw-w)/2, (ph-h)/2)

	var out bytes.Buffer
	out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	var offsets []int
	obj := func(body string, data []byte) {
		offsets = append(offsets, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s", len(offsets), body)
		if data != nil {
			out.WriteString("\nstream\n")
			out.Write(data)
			out.WriteString("\nendstream")
		}
		out.WriteString("\nendobj\n")
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", nil)
	obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>", pw, ph), nil)
	obj(xobj, stream)
	obj(fmt.Sprintf("<< /Length %d >>", len(content)), []byte(content))
	xref := out.Len()
	var x strings.Builder
	fmt.Fprintf(&x, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&x, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&x, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	out.WriteString(x.String())
	return out.Bytes(), nil
}
