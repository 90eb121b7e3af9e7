package seal

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"sealdesk/assets"
)

var (
	dateFontOnce sync.Once
	dateFont     *opentype.Font
	dateFontErr  error
)

// DateImagePNG draws text centred in dark blue-black on a transparent image for a box of w×h
// points (at 4 pixels per point), as large as fits: the 日期 box's picture, drawn by the desktop
// (ui) and by the browser signing page (core/websign) alike.
func DateImagePNG(text string, w, h float64) ([]byte, error) {
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
