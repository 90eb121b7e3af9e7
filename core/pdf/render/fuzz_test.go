package render

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"
	"time"
)

// FuzzOpenBytes feeds arbitrary bytes to OpenBytes and renders what opens: PDFium runs inside
// WebAssembly, so a crash in it must come back as an error, never take the process down.
func FuzzOpenBytes(f *testing.F) {
	f.Add(buildPDF([]testPage{cjkPage()}))
	f.Add(buildPDF([]testPage{{media: a4, crop: &Rect{LLX: 10, LLY: 10, URX: 100, URY: 100}, rotate: 90}}))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"))
	var p bytes.Buffer
	png.Encode(&p, image.NewGray(image.Rect(0, 0, 8, 8)))
	f.Add(p.Bytes())
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d, err := testEngine.OpenBytes(c, "fuzz", data)
		if err != nil {
			return
		}
		defer d.Close()
		if d.PageCount() < 1 {
			t.Fatalf("opened with %d pages", d.PageCount())
		}
		info, err := d.PageInfo(0)
		if err != nil {
			return
		}
		if info.Width <= 0 || info.Height <= 0 {
			return
		}
		d.Thumbnail(c, 0, 64)
	})
}
