// Package raster is what a PDF page renderer gives its users, without the renderer: page
// geometry (Rect, PageInfo), the characters of a page's text (TextChar), and the Renderer and
// Document interfaces that core/verify's cover check draws through. core/pdf/render (PDFium on
// wazero) implements them in process; Process implements them by talking to a renderer in
// another process (cmd/sealctl-render), which Serve answers.
//
// It exists so that a program that only verifies (sealctl) does not link PDFium: go-pdfium,
// wazero and encoding/gob cost about 2 ms of package initialisation and page faults at every
// start, while rendering is needed only for a page whose annotations changed after signing.
//
// It does not draw anything itself and imports nothing of PDFium.
package raster

import (
	"context"
	"errors"
	"image"
	"io"
)

// Rect is a rectangle in PDF user-space points.
type Rect struct{ LLX, LLY, URX, URY float64 }

func (r Rect) Width() float64  { return r.URX - r.LLX }
func (r Rect) Height() float64 { return r.URY - r.LLY }

// PageInfo is one page's geometry.
type PageInfo struct {
	MediaBox Rect
	CropBox  Rect // the visible area; equals MediaBox when the page has none
	Rotate   int  // /Rotate normalised to 0, 90, 180 or 270 (clockwise)
	// Width and Height are the page as displayed, in points: the CropBox after rotation.
	Width, Height float64
}

// TextChar is one character of a page's text as the renderer's text page reads it (the page's
// own content: annotations are not part of it).
type TextChar struct {
	Rune rune
	// Box is the character's loose box in PDF user space (unrotated): its advance width by the
	// font's ascent and descent, as placed by the text matrix; the axis-aligned bounds when the
	// text is turned.
	Box Rect
	// Angle is the text's angle in radians, counter-clockwise (0 for horizontal text).
	Angle float64
}

// ErrTooManyChars: a page holds more characters than the caller's limit.
var ErrTooManyChars = errors.New("too many characters on the page")

// Renderer opens PDFs for drawing. core/pdf/render's *Engine is one; Process is another.
type Renderer interface {
	// OpenRaster opens the PDF of size bytes that r holds. r must stay readable until the
	// Document is closed or replaced.
	OpenRaster(ctx context.Context, name string, r io.ReaderAt, size int64) (Document, error)
}

// Document is an open PDF; page indexes are 0-based. The methods are those of
// core/pdf/render's *Document, which documents them.
type Document interface {
	PageInfo(i int) (PageInfo, error)
	Render(ctx context.Context, i, dpi int) (*image.RGBA, error)
	RenderContent(ctx context.Context, i, dpi int) (*image.RGBA, error)
	RenderRegion(ctx context.Context, i, dpi int, r image.Rectangle, contentOnly bool) (*image.RGBA, error)
	Text(ctx context.Context, i, maxChars int) ([]TextChar, error)
	ReplacePDF(ctx context.Context, name string, r io.ReaderAt, size int64) error
	Close() error
}
