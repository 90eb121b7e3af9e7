package ui

import (
	"context"
	"errors"
	"fmt"
	"image"

	"sealdesk/core/pdf/render"
	"sealdesk/ui/widgets"
)

// PDFRenderer adapts core/pdf/render's Engine to the Renderer service.
type PDFRenderer struct{ Engine *render.Engine }

var _ Renderer = PDFRenderer{}

// Started reports whether PDFium has finished starting (the first start after installing
// compiles it, ~2 s; the documents screen says so meanwhile).
func (r PDFRenderer) Started() bool { return r.Engine.Started() }

// Open implements Renderer.
func (r PDFRenderer) Open(ctx context.Context, path string) (OpenDocument, error) {
	d, err := r.Engine.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return pdfDocument{d}, nil
}

// OpenBytes implements Renderer.
func (r PDFRenderer) OpenBytes(ctx context.Context, name string, data []byte) (OpenDocument, error) {
	d, err := r.Engine.OpenBytes(ctx, name, data)
	if err != nil {
		return nil, err
	}
	return pdfDocument{d}, nil
}

// pdfDocument is a render.Document seen as a widgets.Document.
type pdfDocument struct{ d *render.Document }

func (p pdfDocument) Name() string   { return p.d.Name() }
func (p pdfDocument) PageCount() int { return p.d.PageCount() }
func (p pdfDocument) Close() error   { return p.d.Close() }

func (p pdfDocument) PageSize(i int) (float64, float64, error) { return p.d.PageSize(i) }

func (p pdfDocument) PageGeometry(i int) (widgets.PageGeometry, error) {
	info, err := p.d.PageInfo(i)
	if err != nil {
		return widgets.PageGeometry{}, err
	}
	c := info.CropBox
	return widgets.PageGeometry{Crop: widgets.Rect{LLX: c.LLX, LLY: c.LLY, URX: c.URX, URY: c.URY}, Rotate: info.Rotate}, nil
}

func (p pdfDocument) Render(ctx context.Context, i, dpi int) (image.Image, error) {
	img, err := p.d.Render(ctx, i, dpi)
	if err != nil {
		return nil, err
	}
	return img, nil
}

func (p pdfDocument) Thumbnail(ctx context.Context, i, maxPx int) (image.Image, error) {
	img, err := p.d.Thumbnail(ctx, i, maxPx)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// openErrorText turns an error from opening a document into a sentence for the user.
func openErrorText(err error) string {
	switch {
	case errors.Is(err, render.ErrTooLarge):
		return tr("documents.error.toolarge.generic", map[string]any{"Reason": err.Error()})
	case errors.Is(err, render.ErrEncrypted):
		return tr("documents.error.encrypted")
	case errors.Is(err, render.ErrUnsupported):
		return tr("documents.error.unsupported")
	case errors.Is(err, render.ErrCorrupt):
		return tr("documents.error.corrupt")
	}
	return tr("documents.error.open", map[string]any{"Reason": fmt.Sprint(err)})
}
