package ui

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
)

// CaptureWhenDrawn waits until the window shows drawn content (not one flat colour) and returns
// its image. Call it from a goroutine, never the UI goroutine: it hands the capture to the UI loop.
func CaptureWhenDrawn(w fyne.Window, timeout time.Duration) (image.Image, error) {
	deadline := time.Now().Add(timeout)
	for {
		var img image.Image
		fyne.DoAndWait(func() { img = w.Canvas().Capture() })
		img = opaque(img)
		if img != nil && !flat(img) {
			return img, nil
		}
		if time.Now().After(deadline) {
			return nil, errors.New("window drew nothing before the timeout")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// opaque copies img with every pixel made fully opaque. The GL driver reads the window's frame
// buffer, whose alpha channel is not meaningful (Mesa's software renderers leave it 0), while the
// window on screen is opaque.
func opaque(img image.Image) image.Image {
	if img == nil {
		return nil
	}
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			i := out.PixOffset(x-b.Min.X, y-b.Min.Y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r>>8), uint8(g>>8), uint8(bb>>8), 0xFF
		}
	}
	return out
}

// flat reports whether img is empty or a single colour (sampled on a grid).
func flat(img image.Image) bool {
	b := img.Bounds()
	if b.Dx() < 2 || b.Dy() < 2 {
		return true
	}
	r0, g0, b0, a0 := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, a := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 || a != a0 {
				return false
			}
		}
	}
	return true
}

// WritePNG writes img to path through a temporary file in the same folder, synced and renamed.
func WritePNG(path string, img image.Image) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".shot-*.png")
	if err != nil {
		return fmt.Errorf("failed to create screenshot: %w", err)
	}
	tmp := f.Name()
	err = png.Encode(f, img)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failed to write screenshot %s: %w", path, err)
	}
	return nil
}

// CaptureScreens shows every place of the shell in turn and writes dir/<place>.png for each
// (e.g. settings.png); used by `make screenshots`. Call it from a goroutine.
func CaptureScreens(s *Shell, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	var written []string
	for _, n := range s.Places() {
		fyne.DoAndWait(func() { s.Show(n) })
		time.Sleep(300 * time.Millisecond) // let the frame after the switch be drawn
		img, err := CaptureWhenDrawn(s.Window, 5*time.Second)
		if err != nil {
			return written, err
		}
		name := filepath.Join(dir, n.Slug()+".png")
		if err := WritePNG(name, img); err != nil {
			return written, err
		}
		written = append(written, name)
	}
	return written, nil
}
