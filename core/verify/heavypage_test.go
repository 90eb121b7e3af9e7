package verify

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"sealdesk/core/pdf"
	"sealdesk/core/pdf/raster"
)

// heavyPageTimestamps builds red team s8b F9's class of file: a page whose content paints rects
// one-point rectangles (flate-compressed, as the red team's), signed, then n document
// timestamps, each adding a small visible widget in the page's blank upper right (an inline
// image, which the shortcut of coverbound.go does not bound: the page is rendered). Every
// signature's cover check then judges the same heavy page.
func heavyPageTimestamps(t testing.TB, s *signer, n, rects int) []byte {
	plain, _ := makeDoc(docOpts{})
	var content bytes.Buffer
	for i := 0; i < rects; i++ {
		fmt.Fprintf(&content, "%d %d 1 1 re f\n", i%290, 200+(i/290)%190)
	}
	content.WriteString("BT /F1 18 Tf 20 100 Td (Pay Alice 100 EUR) Tj ET\n")
	heavy := update(t, plain, func(u *pdf.Update, v *pdf.View) {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(content.Bytes())
		zw.Close()
		setObj(t, u, pdf.Ref{Num: 4}, &pdf.Stream{Dict: pdf.Dict{"Filter": pdf.Name("FlateDecode")}, Data: z.Bytes()})
	})
	doc := s.sign(t, heavy, sigOpts{})
	for k := 0; k < n; k++ {
		at := pdf.Array{pdf.Int(500), pdf.Int(700), pdf.Int(520), pdf.Int(720)}
		doc = s.sign(t, doc, sigOpts{docTS: true, visible: true, visibleAt: at,
			visibleAP: "q 20 0 0 20 500 700 cm BI /W 2 /H 2 /BPC 8 /CS /G ID \x20\x40\x60\x80 EI Q"})
	}
	return doc
}

// drawCounter is a renderer that counts the documents it draws (opened, or replaced in an
// open one): the cover check draws each signed revision once, and the current revision once
// for all signatures.
type drawCounter struct {
	inner raster.Renderer
	docs  atomic.Int32
}

func (c *drawCounter) OpenRaster(ctx context.Context, name string, r io.ReaderAt, size int64) (raster.Document, error) {
	c.docs.Add(1)
	d, err := c.inner.OpenRaster(ctx, name, r, size)
	if err != nil {
		return nil, err
	}
	return &countedDoc{d, c}, nil
}

type countedDoc struct {
	raster.Document
	c *drawCounter
}

func (d *countedDoc) ReplacePDF(ctx context.Context, name string, r io.ReaderAt, size int64) error {
	d.c.docs.Add(1)
	return d.Document.ReplacePDF(ctx, name, r, size)
}
