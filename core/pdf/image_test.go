package pdf_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sealdesk/core/pdf"
)

func testPicture(w, h int, alpha bool) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			a := uint8(255)
			if alpha && x < w/2 {
				a = 0 // transparent: must come out white
			}
			img.SetNRGBA(x, y, color.NRGBA{200, 20, 20, a})
		}
	}
	return img
}

// TestImageDocument: a JPEG (embedded as is) and a PNG (decoded, flattened on white) each become
// a one-page A4 document that core/pdf reads and poppler renders with the image's colours.
func TestImageDocument(t *testing.T) {
	var jp, pn, gray bytes.Buffer
	if err := jpeg.Encode(&jp, testPicture(400, 300, false), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pn, testPicture(300, 400, true)); err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(image.Rect(0, 0, 50, 80))
	if err := jpeg.Encode(&gray, g, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		data      []byte
		landscape bool
		embedded  bool // the JPEG bytes are in the file as they are
	}{
		{"jpeg", jp.Bytes(), true, true},
		{"png", pn.Bytes(), false, false},
		{"gray-jpeg", gray.Bytes(), false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := pdf.ImageDocument(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(out, tc.data); got != tc.embedded {
				t.Errorf("image bytes embedded as they are: %v, want %v", got, tc.embedded)
			}
			f, err := pdf.Open(bytes.NewReader(out), int64(len(out)), nil)
			if err != nil {
				t.Fatal(err)
			}
			pages, err := f.Pages()
			if err != nil || len(pages) != 1 {
				t.Fatalf("pages %d, %v", len(pages), err)
			}
			w, h := pages[0].MediaBox.Width(), pages[0].MediaBox.Height()
			if (w > h) != tc.landscape || min(w, h) < 595 || max(w, h) > 842 {
				t.Errorf("page %.0f×%.0f, landscape %v", w, h, tc.landscape)
			}
			if _, err := exec.LookPath("pdftoppm"); err != nil {
				if os.Getenv("SEALDESK_CI") != "" {
					t.Fatal("pdftoppm is required in CI")
				}
				t.Skip("pdftoppm not installed: rendering not checked")
			}
			dir := t.TempDir()
			in := filepath.Join(dir, "in.pdf")
			os.WriteFile(in, out, 0o644)
			if msg, err := exec.Command("pdftoppm", "-r", "20", "-png", "-singlefile", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, msg)
			}
			pf, err := os.Open(filepath.Join(dir, "p.png"))
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			img, err := png.Decode(pf)
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			r, gg, bb, _ := img.At(b.Dx()*3/4, b.Dy()/2).RGBA()
			if tc.name == "gray-jpeg" {
				if r>>8 > 40 || gg>>8 > 40 {
					t.Errorf("centre of the black picture rendered as %d,%d,%d", r>>8, gg>>8, bb>>8)
				}
				return
			}
			if r>>8 < 150 || gg>>8 > 80 || bb>>8 > 80 {
				t.Errorf("right half rendered as %d,%d,%d, want red", r>>8, gg>>8, bb>>8)
			}
			if tc.name == "png" {
				r, gg, bb, _ := img.At(b.Dx()/4, b.Dy()/2).RGBA()
				if r>>8 < 240 || gg>>8 < 240 || bb>>8 < 240 {
					t.Errorf("transparent half rendered as %d,%d,%d, want white paper", r>>8, gg>>8, bb>>8)
				}
			}
		})
	}
}

func TestImageDocumentRefuses(t *testing.T) {
	if _, err := pdf.ImageDocument([]byte("%PDF-1.7 not an image")); !errors.Is(err, pdf.ErrNotImage) {
		t.Errorf("pdf bytes: %v, want ErrNotImage", err)
	}
	var jp bytes.Buffer
	jpeg.Encode(&jp, testPicture(64, 64, false), nil)
	cut := jp.Bytes()[:jp.Len()/2]
	if _, err := pdf.ImageDocument(cut); !errors.Is(err, pdf.ErrNotImage) {
		t.Errorf("truncated jpeg: %v, want ErrNotImage", err)
	}
	// A PNG header that declares 100000×100000 pixels is refused before decoding.
	var pn bytes.Buffer
	png.Encode(&pn, testPicture(2, 2, false))
	b := pn.Bytes()
	copy(b[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29])) // IHDR's CRC
	var le *pdf.LimitError
	if _, err := pdf.ImageDocument(b); !errors.As(err, &le) || le.Limit != "MaxImagePixels" {
		t.Errorf("huge png: %v, want a LimitError naming MaxImagePixels", err)
	}
	if le != nil && !strings.Contains(le.Error(), "MaxImagePixels") {
		t.Error(le.Error())
	}
}
