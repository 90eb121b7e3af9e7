package seal

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"math"
)

// EncodePNG writes img as a PNG that records its resolution (a pHYs chunk, dpi converted to
// pixels per metre), so viewers and printers show a seal at its true size in millimetres.
// The output is deterministic: the same image and dpi give the same bytes. It uses the default
// compression: BestCompression took about 370 of the 500 ms a 600 dpi seal took, for files a
// few per cent smaller (BenchmarkEncodePNG).
func EncodePNG(w io.Writer, img image.Image, dpi float64) error {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img); err != nil {
		return fmt.Errorf("failed to encode png: %w", err)
	}
	b := buf.Bytes()
	const afterIHDR = 8 + 4 + 4 + 13 + 4 // signature, IHDR length, type, data, CRC
	if len(b) < afterIHDR || string(b[12:16]) != "IHDR" {
		return fmt.Errorf("unexpected png layout from the encoder")
	}
	if dpi <= 0 || dpi > 1e6 {
		_, err := w.Write(b)
		return err
	}
	ppm := uint32(math.Round(dpi / 0.0254))
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	for _, part := range [][]byte{b[:afterIHDR], chunk, b[afterIHDR:]} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}
