package sign

import (
	"bytes"
	"compress/zlib"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"path/filepath"
	"testing"
)

func TestLoadImageModels(t *testing.T) {
	rgba := image.NewNRGBA(image.Rect(0, 0, 4, 3))
	rgba.Set(1, 1, color.NRGBA{255, 0, 0, 128})
	gray := image.NewGray(image.Rect(0, 0, 4, 3))
	gray16 := image.NewGray16(image.Rect(0, 0, 4, 3))
	rgb16 := image.NewNRGBA64(image.Rect(0, 0, 4, 3))
	for i := range rgb16.Pix {
		rgb16.Pix[i] = 0xff
	}
	var jp bytes.Buffer
	jpeg.Encode(&jp, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil)
	var jpGray bytes.Buffer
	jpeg.Encode(&jpGray, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	cases := []struct {
		name      string
		data      []byte
		cs        string
		filter    string
		smask     bool
		passthrou bool
	}{
		{"paletted+transparency", sealPNG(t), "DeviceRGB", "FlateDecode", true, false},
		{"rgba", encodePNG(t, rgba), "DeviceRGB", "FlateDecode", true, false},
		{"gray", encodePNG(t, gray), "DeviceGray", "FlateDecode", false, false},
		{"gray16", encodePNG(t, gray16), "DeviceGray", "FlateDecode", false, false},
		{"rgb16 opaque", encodePNG(t, rgb16), "DeviceRGB", "FlateDecode", false, false},
		{"jpeg", jp.Bytes(), "DeviceRGB", "DCTDecode", false, true},
		{"jpeg gray", jpGray.Bytes(), "DeviceGray", "DCTDecode", false, true},
	}
	for _, c := range cases {
		x, err := loadImage(c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if x.Dict["ColorSpace"] != c.cs || x.Dict["Filter"] != c.filter || (x.SMask != nil) != c.smask {
			t.Errorf("%s: %v smask=%v", c.name, x.Dict, x.SMask != nil)
		}
		if c.passthrou && !bytes.Equal(x.Data, c.data) {
			t.Errorf("%s: jpeg not passed through", c.name)
		}
		if !c.passthrou {
			zr, err := zlib.NewReader(bytes.NewReader(x.Data))
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(zr)
			comps := 3
			if c.cs == "DeviceGray" {
				comps = 1
			}
			if len(raw) != x.Width*x.Height*comps {
				t.Errorf("%s: %d bytes of pixels for %dx%d×%d", c.name, len(raw), x.Width, x.Height, comps)
			}
		}
	}
	if _, err := loadImage([]byte("GIF89a....")); err == nil {
		t.Error("gif accepted")
	}
	if _, err := loadImage(make([]byte, MaxImageBytes+1)); err == nil {
		t.Error("oversized image accepted")
	}
	// A PNG claiming 100000×100000 pixels is refused before decoding.
	var huge bytes.Buffer
	png.Encode(&huge, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := huge.Bytes()
	copy(b[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	if _, err := loadImage(b); err == nil {
		t.Error("image with too many pixels accepted")
	}
}

// TestJPEGAppearance signs with a JPEG seal (DCTDecode passthrough) and checks the result.
func TestJPEGAppearance(t *testing.T) {
	e := newEnv(t)
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 0xd0, 0xff
	}
	var jp bytes.Buffer
	jpeg.Encode(&jp, img, &jpeg.Options{Quality: 90})
	in := e.write("in.pdf", genPDF(genOpts{}))
	out := filepath.Join(e.dir, "out.pdf")
	o := e.opts("jpeg")
	o.Page, o.Rect, o.Image = 1, VisibleRect{300, 500, 400, 600}, jp.Bytes()
	if _, err := SignFile(context.Background(), in, out, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(out, 1)
	if _, err := lookTool("pdftoppm"); err == nil {
		r := render(t, out, 1)
		if !isRed(r, 350, r.Bounds().Dy()-550) {
			t.Error("jpeg seal not drawn")
		}
	}
}

func FuzzLoadImage(f *testing.F) {
	f.Add(sealPNG(f))
	var jp bytes.Buffer
	jpeg.Encode(&jp, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil)
	f.Add(jp.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := loadImage(b)
		if err != nil {
			return
		}
		if x.Width <= 0 || x.Height <= 0 || len(x.Data) == 0 {
			t.Fatalf("accepted image with no pixels: %dx%d", x.Width, x.Height)
		}
	})
}

// TestCaption draws a name and a date under the seal (CJK text through the embedded face) and
// checks, on a rotated page, that the dark caption pixels sit in the lower part of the box and
// the red seal above them.
func TestCaption(t *testing.T) {
	if _, err := lookTool("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed")
	}
	e := newEnv(t)
	in := e.write("in.pdf", genPDF(genOpts{rotate: 90}))
	out := filepath.Join(e.dir, "out.pdf")
	o := e.opts("caption")
	box := VisibleRect{100, 100, 260, 260}
	o.Page, o.Rect, o.Image, o.Caption = 1, box, sealPNG(t), []string{"张三", "2026-03-01"}
	if _, err := SignFile(context.Background(), in, out, o); err != nil {
		t.Fatal(err)
	}
	e.c.check(out, 1)
	img := render(t, out, 1)
	vh := img.Bounds().Dy()
	dark := func(x0, y0, x1, y1 float64) int { // visible coordinates
		n := 0
		for y := int(y0); y < int(y1); y++ {
			for x := int(x0); x < int(x1); x++ {
				r, g, b, _ := img.At(x, vh-1-y).RGBA()
				if r>>8 < 90 && g>>8 < 90 && b>>8 < 90 {
					n++
				}
			}
		}
		return n
	}
	capDark := dark(box.X1, box.Y1, box.X2, box.Y1+30)
	sealDark := dark(box.X1, box.Y1+40, box.X2, box.Y2)
	if capDark < 40 || sealDark > capDark/4 {
		t.Errorf("caption pixels: %d dark in the caption band, %d in the seal area", capDark, sealDark)
	}
	if !isRed(img, int((box.X1+box.X2)/2), vh-int(box.Y1+100)) {
		t.Error("seal not drawn above the caption")
	}
}
