package seal

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// withEXIF inserts an APP1 EXIF segment carrying orientation o right after the SOI marker.
func withEXIF(jpg []byte, o int, bo binary.ByteOrder) []byte {
	tiff := make([]byte, 8+2+12+4)
	if bo == binary.LittleEndian {
		copy(tiff, "II")
	} else {
		copy(tiff, "MM")
	}
	bo.PutUint16(tiff[2:], 42)
	bo.PutUint32(tiff[4:], 8)
	bo.PutUint16(tiff[8:], 1)
	bo.PutUint16(tiff[10:], 0x0112)
	bo.PutUint16(tiff[12:], 3)
	bo.PutUint32(tiff[14:], 1)
	bo.PutUint16(tiff[18:], uint16(o))
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(seg)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func smallJPEG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 8))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestJPEGOrientation(t *testing.T) {
	jpg := smallJPEG(t)
	if o := JPEGOrientation(jpg); o != 1 {
		t.Errorf("no EXIF: %d", o)
	}
	for o := 1; o <= 8; o++ {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			data := withEXIF(jpg, o, bo)
			if got := JPEGOrientation(data); got != o {
				t.Errorf("orientation %d (%v): read %d", o, bo, got)
			}
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				t.Fatalf("test JPEG with EXIF does not decode: %v", err)
			}
		}
	}
	for _, bad := range [][]byte{nil, {0xFF}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, withEXIF(jpg, 9, binary.BigEndian), withEXIF(jpg, 6, binary.BigEndian)[:30]} {
		if o := JPEGOrientation(bad); o != 1 {
			t.Errorf("malformed %x: %d", bad, o)
		}
	}
}

func TestOrient(t *testing.T) {
	// A 3×2 image whose pixels are numbered 0..5 row by row.
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := 0; i < 6; i++ {
		img.Pix[4*i] = uint8(i)
	}
	at := func(m *image.NRGBA, x, y int) int { return int(m.Pix[y*m.Stride+4*x]) }
	for _, tc := range []struct {
		o    int
		w, h int
		rows [][]int
	}{
		{1, 3, 2, [][]int{{0, 1, 2}, {3, 4, 5}}},
		{2, 3, 2, [][]int{{2, 1, 0}, {5, 4, 3}}},
		{3, 3, 2, [][]int{{5, 4, 3}, {2, 1, 0}}},
		{4, 3, 2, [][]int{{3, 4, 5}, {0, 1, 2}}},
		{5, 2, 3, [][]int{{0, 3}, {1, 4}, {2, 5}}},
		{6, 2, 3, [][]int{{3, 0}, {4, 1}, {5, 2}}}, // a quarter turn clockwise
		{7, 2, 3, [][]int{{5, 2}, {4, 1}, {3, 0}}},
		{8, 2, 3, [][]int{{2, 5}, {1, 4}, {0, 3}}}, // a quarter turn anticlockwise
	} {
		m := orient(img, tc.o)
		if m.Rect.Dx() != tc.w || m.Rect.Dy() != tc.h {
			t.Fatalf("orientation %d: %v", tc.o, m.Rect)
		}
		for y, row := range tc.rows {
			for x, v := range row {
				if at(m, x, y) != v {
					t.Errorf("orientation %d: (%d,%d) = %d, want %d", tc.o, x, y, at(m, x, y), v)
				}
			}
		}
	}
}

func TestCleanOrientation(t *testing.T) {
	ink, _, err := Render(Spec{Style: Invoice, Name: "北京云印科技发展有限公司", Code: "91310110666007217T"}, 150)
	if err != nil {
		t.Fatal(err)
	}
	photo := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			c := color.RGBA{236, 232, 222, 255}
			if p := image.Pt(x-80, y-60); p.In(ink.Rect) && ink.NRGBAAt(p.X, p.Y).A > 0 {
				a := float64(ink.NRGBAAt(p.X, p.Y).A) / 255
				c = color.RGBA{uint8(236 - a*40), uint8(232 - a*200), uint8(222 - a*180), 255}
			}
			photo.SetRGBA(x, y, c)
		}
	}
	up, crop, err := Clean(photo, InkSeal, nil)
	if err != nil {
		t.Fatal(err)
	}
	turned, crop2, err := Clean(photo, InkSeal, &CleanOptions{Orientation: 6})
	if err != nil || crop2 != crop {
		t.Fatal(err, crop, crop2)
	}
	if turned.Rect.Dx() != up.Rect.Dy() || turned.Rect.Dy() != up.Rect.Dx() || up.Rect.Dx() <= up.Rect.Dy() {
		t.Errorf("upright %v, turned %v: want the oval standing up", up.Rect, turned.Rect)
	}
}

func FuzzJPEGOrientation(f *testing.F) {
	jpg := smallJPEG(f)
	f.Add(jpg)
	f.Add(withEXIF(jpg, 6, binary.LittleEndian))
	f.Add(withEXIF(jpg, 8, binary.BigEndian))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x08, 'E', 'x', 'i', 'f', 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if o := JPEGOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}
