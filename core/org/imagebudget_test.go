package org

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// jpegHeader is the start of a JPEG (a JFIF APP0 segment, then a frame header of the given marker,
// 3 components) declaring w×h pixels: enough for DecodeConfig.
func jpegHeader(sof byte, w, h int) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	b = append(b, 0xff, sof, 0, 17, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3)
	for i := byte(1); i <= 3; i++ {
		b = append(b, i, 0x11, 0)
	}
	return b
}

func TestDecodedBytes(t *testing.T) {
	rgba := func(w, h int) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	gray16 := func(w, h int) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewGray16(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	baseline := func(w, h int) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	interlaced := rgba(10, 10)
	interlaced[28] = 1 // the IHDR's interlace method, and its CRC
	binary.BigEndian.PutUint32(interlaced[29:], crc32.ChecksumIEEE(interlaced[12:29]))
	for _, c := range []struct {
		name string
		data []byte
		want int64
	}{
		{"png rgba", rgba(10, 10), 400},
		{"png gray16", gray16(10, 10), 200},
		{"png interlaced", interlaced, 800},
		{"jpeg baseline", baseline(16, 16), 256 * 3},
		{"jpeg progressive", jpegHeader(0xc2, 16, 16), 256 * (3 + 12)},
		{"jpeg extended sequential", jpegHeader(0xc1, 16, 16), 256 * 3},
	} {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(c.data))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := DecodedBytes(cfg, c.data); got != c.want {
			t.Errorf("%s: %d bytes, want %d", c.name, got, c.want)
		}
	}
	// The limit: 25 MP of 8-bit RGBA pass (an ID photo), the same in 16 bits does not.
	if err := CheckDecodedSize(image.Config{ColorModel: color.NRGBAModel, Width: 5000, Height: 5000}, nil); err != nil {
		t.Errorf("25 MP RGBA refused: %v", err)
	}
	if err := CheckDecodedSize(image.Config{ColorModel: color.NRGBA64Model, Width: 5000, Height: 5000}, nil); err == nil {
		t.Error("25 MP of 16-bit RGBA accepted")
	}
}
