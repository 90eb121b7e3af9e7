package render

import (
	"context"
	"io"
	"sync"

	"sealdesk/core/pdf/raster"
)

// OpenRaster is OpenPDFReader for users of core/pdf/raster's Renderer (core/verify): the
// Document's geometry and text in raster's types.
func (e *Engine) OpenRaster(ctx context.Context, name string, r io.ReaderAt, size int64) (raster.Document, error) {
	d, err := e.OpenPDFReader(ctx, name, r, size)
	if err != nil {
		return nil, err
	}
	return rasterDoc{d}, nil
}

var _ raster.Renderer = (*Engine)(nil)

// rasterDoc is a Document as a raster.Document (its geometry and text are raster's types).
type rasterDoc struct{ *Document }

// Render, RenderContent, RenderRegion, ReplacePDF and Close are the Document's own.
var _ raster.Document = rasterDoc{}

var (
	sharedOnce   sync.Once
	sharedEngine *Engine
)

// Shared is a Renderer (core/pdf/raster) drawing with an Engine shared by the process, started
// on its first OpenRaster with 512 MB of WebAssembly memory per instance (ample for pages at
// the cover check's DPI, and a bound for a hostile one): what a caller of core/verify that has
// no engine of its own (the server, a helper process) passes as verify.Options.Renderer.
func Shared() raster.Renderer { return sharedRenderer{} }

type sharedRenderer struct{}

func (sharedRenderer) OpenRaster(ctx context.Context, name string, r io.ReaderAt, size int64) (raster.Document, error) {
	sharedOnce.Do(func() { sharedEngine = New(&Options{MaxMemoryBytes: 512 << 20}) })
	return sharedEngine.OpenRaster(ctx, name, r, size)
}
