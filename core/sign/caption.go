package sign

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"sealdesk/assets"
	"sealdesk/core/pdf"
)

// captionScale is the caption raster's resolution in pixels per point (288 dpi).
const captionScale = 4

var (
	captionFontOnce sync.Once
	captionFont     *opentype.Font
	captionFontErr  error
)

func loadCaptionFont() (*opentype.Font, error) {
	captionFontOnce.Do(func() {
		captionFont, captionFontErr = opentype.Parse(assets.SansRegular)
	})
	return captionFont, captionFontErr
}

// renderCaption draws lines centred, dark gray, on a transparent bw×ch-point raster.
func renderCaption(lines []string, bw, ch float64) (*image.NRGBA, error) {
	f, err := loadCaptionFont()
	if err != nil {
		return nil, fmt.Errorf("failed to load the caption font: %w", err)
	}
	w, h := int(math.Ceil(bw*captionScale)), int(math.Ceil(ch*captionScale))
	if w <= 0 || h <= 0 || w*h > MaxImagePixels {
		return nil, fmt.Errorf("caption area %gx%g is not drawable", bw, ch)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	lineH := float64(h) / float64(len(lines))
	size := lineH * 0.75
	for i, line := range lines {
		// Shrink long lines to the box width.
		s := size
		var face font.Face
		for {
			face, err = opentype.NewFace(f, &opentype.FaceOptions{Size: s, DPI: 72, Hinting: font.HintingNone})
			if err != nil {
				return nil, err
			}
			adv := font.MeasureString(face, line)
			if float64(adv.Ceil()) <= float64(w)*0.96 || s < 4 {
				break
			}
			face.Close()
			s *= float64(w) * 0.96 / float64(adv.Ceil())
		}
		d := &font.Drawer{Dst: img, Src: image.NewUniform(color.NRGBA{0x20, 0x20, 0x20, 0xff}), Face: face}
		adv := d.MeasureString(line)
		x := (fixed.I(w) - adv) / 2
		m := face.Metrics()
		base := lineH*float64(i) + (lineH+float64(m.Ascent.Ceil())-float64(m.Descent.Ceil()))/2
		d.Dot = fixed.Point26_6{X: x, Y: fixed.I(int(base))}
		d.DrawString(line)
		face.Close()
	}
	return img, nil
}

// captionedAppearance draws image (optional) in the upper part of a bw×bh box and the caption
// lines below it, upright on a page with the given rotation.
func (e *editor) captionedAppearance(rotate int, bw, bh float64, imgData []byte, fit FitMode, lines []string) (pdf.Ref, error) {
	lineH := math.Max(6, math.Min(14, bh*0.15))
	ch := math.Min(bh, lineH*1.25*float64(len(lines)))
	capImg, err := renderCaption(lines, bw, ch)
	if err != nil {
		return pdf.Ref{}, err
	}
	capX, err := rasterXObject(capImg)
	if err != nil {
		return pdf.Ref{}, err
	}
	res := pdf.Dict{}
	xo := pdf.Dict{"Cap": e.imageRef(capX)}
	content := fmt.Sprintf("q %s 0 0 %s 0 0 cm /Cap Do Q\n", num(bw), num(ch))
	if imgData != nil && bh-ch > 1 {
		x, err := loadImage(imgData)
		if err != nil {
			return pdf.Ref{}, err
		}
		xo["Img0"] = e.imageRef(x)
		ix, iy, iw, ih := placeImage(fit, bw, bh-ch, x.Width, x.Height)
		content = fmt.Sprintf("q %s 0 0 %s %s %s cm /Img0 Do Q\n", num(iw), num(ih), num(ix), num(iy+ch)) + content
	}
	res["XObject"] = xo
	return e.formXObject(rotate, bw, bh, []byte(content), res), nil
}
