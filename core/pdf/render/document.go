package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"
	"math"
	"os"
	"path/filepath"
	"sealdesk/core/pdf/raster"
	"sync"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/responses"
)

// Rect, PageInfo and TextChar are core/pdf/raster's, so that a Document's answers are a
// raster.Document's without conversion.
type (
	Rect     = raster.Rect
	PageInfo = raster.PageInfo
	TextChar = raster.TextChar
)

// Document is an open document with its own PDFium instance. Safe for concurrent use; calls are
// serialised on the instance.
type Document struct {
	e    *Engine
	id   uint64
	name string
	kind string // "pdf", "jpeg", "png"
	size int64

	mu     sync.Mutex
	inst   pdfium.Pdfium
	doc    references.FPDF_DOCUMENT
	pages  int
	infos  []*PageInfo
	sizes  [][2]float64 // display sizes; zero until read
	closed bool
	killed bool // a render outlived its context and the instance was killed
}

// Open reads a PDF, JPEG or PNG file.
func (e *Engine) Open(ctx context.Context, path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	if fi.Size() > e.opts.MaxFileBytes {
		return nil, fmt.Errorf("%s is %d bytes, the limit is %d: %w", filepath.Base(path), fi.Size(), e.opts.MaxFileBytes, ErrTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, e.opts.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	return e.OpenBytes(ctx, filepath.Base(path), data)
}

// OpenBytes opens a document held in memory; name is for display. The data is copied into
// PDFium; the caller may reuse it afterwards.
func (e *Engine) OpenBytes(ctx context.Context, name string, data []byte) (*Document, error) {
	if int64(len(data)) > e.opts.MaxFileBytes {
		return nil, fmt.Errorf("%s is %d bytes, the limit is %d: %w", name, len(data), e.opts.MaxFileBytes, ErrTooLarge)
	}
	kind := sniff(data)
	switch kind {
	case "":
		return nil, fmt.Errorf("%s: %w", name, ErrUnsupported)
	case "jpeg", "png":
		pdf, err := imageToPDF(data, e.opts.MaxImagePixels)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		data = pdf
	}
	return e.open(ctx, name, kind, int64(len(data)), &requests.OpenDocument{File: &data})
}

// OpenPDFReader opens the PDF of size bytes that r holds without copying it into PDFium:
// PDFium reads through r what it needs (the cross-reference data and the objects of the pages
// it draws), so opening one revision of a large file costs what that needs, not the file's
// size. r must stay readable until the document is closed; name is for display.
func (e *Engine) OpenPDFReader(ctx context.Context, name string, r io.ReaderAt, size int64) (*Document, error) {
	if size > e.opts.MaxFileBytes {
		return nil, fmt.Errorf("%s is %d bytes, the limit is %d: %w", name, size, e.opts.MaxFileBytes, ErrTooLarge)
	}
	head := make([]byte, min(size, 1024))
	if n, _ := r.ReadAt(head, 0); sniff(head[:n]) != "pdf" {
		return nil, fmt.Errorf("%s: %w", name, ErrUnsupported)
	}
	return e.open(ctx, name, "pdf", size, &requests.OpenDocument{FileReader: io.NewSectionReader(r, 0, size), FileReaderSize: size})
}

func (e *Engine) open(ctx context.Context, name, kind string, size int64, req *requests.OpenDocument) (*Document, error) {
	if err := e.Ready(ctx); err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	e.nextID++
	id := e.nextID
	e.mu.Unlock()

	inst, err := e.pool.GetInstanceWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("failed to get a pdfium instance: %w", err)
	}
	res, err := inst.OpenDocument(req)
	if err != nil {
		inst.Close()
		switch {
		case errors.Is(err, pdfiumerrors.ErrPassword), errors.Is(err, pdfiumerrors.ErrSecurity):
			return nil, fmt.Errorf("%s: %w", name, ErrEncrypted)
		case errors.Is(err, pdfiumerrors.ErrFormat), errors.Is(err, pdfiumerrors.ErrFile):
			return nil, fmt.Errorf("%s: %w: %v", name, ErrCorrupt, err)
		}
		return nil, fmt.Errorf("failed to open %s: %w", name, err)
	}
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: res.Document})
	if err != nil || pc.PageCount < 1 {
		inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: res.Document})
		inst.Close()
		return nil, fmt.Errorf("%s has no readable pages: %w", name, ErrCorrupt)
	}
	return &Document{e: e, id: id, name: name, kind: kind, size: size, inst: inst,
		doc: res.Document, pages: pc.PageCount, infos: make([]*PageInfo, pc.PageCount),
		sizes: make([][2]float64, pc.PageCount)}, nil
}

// sniff names the file type from its first bytes: "pdf", "jpeg", "png" or "".
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	head := b
	if len(head) > 1024 {
		head = head[:1024]
	}
	if bytes.Contains(head, []byte("%PDF-")) {
		return "pdf"
	}
	return ""
}

// Name is the name given at Open.
func (d *Document) Name() string { return d.name }

// Kind is "pdf", "jpeg" or "png": what the file was before it became a document.
func (d *Document) Kind() string { return d.kind }

// PageCount is the number of pages (at least 1).
func (d *Document) PageCount() int { return d.pages }

func (d *Document) page(i int) requests.Page {
	return requests.Page{ByIndex: &requests.PageByIndex{Document: d.doc, Index: i}}
}

// PageSize returns page i's size as displayed (CropBox after /Rotate), in points. Unlike PageInfo
// it does not parse the page (about 50 µs against tens of milliseconds for a page with CJK
// text), so a viewer can lay out hundreds of pages at once.
func (d *Document) PageSize(i int) (w, h float64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, 0, ErrClosed
	}
	if i < 0 || i >= d.pages {
		return 0, 0, fmt.Errorf("page %d of %d: %w", i+1, d.pages, ErrPageRange)
	}
	if s := d.sizes[i]; s[0] > 0 {
		return s[0], s[1], nil
	}
	size, err := d.inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: d.doc, Index: i})
	if err != nil {
		return 0, 0, fmt.Errorf("failed to read page %d size: %w", i+1, err)
	}
	d.sizes[i] = [2]float64{float64(size.Size.Width), float64(size.Size.Height)}
	return d.sizes[i][0], d.sizes[i][1], nil
}

// PageInfo returns page i's boxes and rotation (0-based). It parses the page.
func (d *Document) PageInfo(i int) (PageInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pageInfoLocked(i)
}

func (d *Document) pageInfoLocked(i int) (PageInfo, error) {
	if d.closed {
		return PageInfo{}, ErrClosed
	}
	if i < 0 || i >= d.pages {
		return PageInfo{}, fmt.Errorf("page %d of %d: %w", i+1, d.pages, ErrPageRange)
	}
	if d.infos[i] != nil {
		return *d.infos[i], nil
	}
	var info PageInfo
	rot, err := d.inst.FPDFPage_GetRotation(&requests.FPDFPage_GetRotation{Page: d.page(i)})
	if err != nil {
		return PageInfo{}, fmt.Errorf("failed to read page %d: %w", i+1, err)
	}
	info.Rotate = int(rot.PageRotation) % 4 * 90
	size, err := d.inst.FPDF_GetPageSizeByIndexF(&requests.FPDF_GetPageSizeByIndexF{Document: d.doc, Index: i})
	if err != nil {
		return PageInfo{}, fmt.Errorf("failed to read page %d size: %w", i+1, err)
	}
	info.Width, info.Height = float64(size.Size.Width), float64(size.Size.Height)
	// PDFium's size is the CropBox as displayed; unrotate it for the fallback boxes
	w, h := info.Width, info.Height
	if info.Rotate == 90 || info.Rotate == 270 {
		w, h = h, w
	}
	if mb, err := d.inst.FPDFPage_GetMediaBox(&requests.FPDFPage_GetMediaBox{Page: d.page(i)}); err == nil {
		info.MediaBox = normRect(float64(mb.Left), float64(mb.Bottom), float64(mb.Right), float64(mb.Top))
	} else {
		info.MediaBox = Rect{LLX: 0, LLY: 0, URX: w, URY: h}
	}
	if cb, err := d.inst.FPDFPage_GetCropBox(&requests.FPDFPage_GetCropBox{Page: d.page(i)}); err == nil {
		info.CropBox = intersect(normRect(float64(cb.Left), float64(cb.Bottom), float64(cb.Right), float64(cb.Top)), info.MediaBox)
	} else {
		info.CropBox = info.MediaBox
	}
	d.infos[i] = &info
	return info, nil
}

func normRect(x1, y1, x2, y2 float64) Rect {
	return Rect{LLX: math.Min(x1, x2), LLY: math.Min(y1, y2), URX: math.Max(x1, x2), URY: math.Max(y1, y2)}
}

func intersect(a, b Rect) Rect {
	r := Rect{LLX: math.Max(a.LLX, b.LLX), LLY: math.Max(a.LLY, b.LLY), URX: math.Min(a.URX, b.URX), URY: math.Min(a.URY, b.URY)}
	if r.URX <= r.LLX || r.URY <= r.LLY {
		return b
	}
	return r
}

// Render draws page i (0-based) at dpi, with annotations (signature appearances, stamps) and form
// fields. The image is shared through the cache: do not modify it.
func (d *Document) Render(ctx context.Context, i, dpi int) (*image.RGBA, error) {
	return d.render(ctx, i, dpi, false)
}

// RenderContent draws page i (0-based) at dpi without its annotations and form fields: only the
// page's own content (what change analysis calls the signed page content).
func (d *Document) RenderContent(ctx context.Context, i, dpi int) (*image.RGBA, error) {
	return d.render(ctx, i, dpi, true)
}

// RenderRegion draws only the pixels r of page i (0-based) as Render (or, with contentOnly,
// RenderContent) draws them at dpi: the same page-to-pixel transform, the page placed so that
// only r lands in the bitmap (PDFium clips to it), so each pixel is the one the whole page's
// image has at that place — except that anti-aliased edges may round two levels apart (PDFium
// rasterizes the page moved by the region's offset) and a glyph that the region's edge cuts
// is drawn differently (PDFium clips it there). The image's Bounds are r (r is clipped to the page's pixels;
// empty when it misses the page). Do not modify it.
func (d *Document) RenderRegion(ctx context.Context, i, dpi int, r image.Rectangle, contentOnly bool) (*image.RGBA, error) {
	return d.renderRegion(ctx, i, dpi, contentOnly, &r)
}

func (d *Document) render(ctx context.Context, i, dpi int, contentOnly bool) (*image.RGBA, error) {
	return d.renderRegion(ctx, i, dpi, contentOnly, nil)
}

func (d *Document) renderRegion(ctx context.Context, i, dpi int, contentOnly bool, region *image.Rectangle) (*image.RGBA, error) {
	if dpi < 1 {
		return nil, fmt.Errorf("dpi %d must be positive", dpi)
	}
	key := cacheKey{doc: d.id, page: i, dpi: dpi, contentOnly: contentOnly}
	if region != nil {
		key.region = *region
	}
	if img := d.e.cache.get(key); img != nil {
		return img, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if img := d.e.cache.get(key); img != nil { // rendered while we waited
		return img, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Loading the page parses its content (form XObjects included): as bounded as drawing it.
	info, err := guarded(ctx, d, func() (PageInfo, error) { return d.pageInfoLocked(i) })
	if err != nil {
		return nil, err
	}
	pw, ph := math.Ceil(info.Width*float64(dpi)/72), math.Ceil(info.Height*float64(dpi)/72)
	var crop image.Rectangle
	if region != nil {
		crop = region.Intersect(image.Rect(0, 0, int(pw), int(ph)))
		if crop.Empty() {
			return image.NewRGBA(crop), nil
		}
		pw, ph = float64(crop.Dx()), float64(crop.Dy())
	}
	if pw*ph > float64(d.e.opts.MaxRenderPixels) {
		return nil, fmt.Errorf("page %d at %d dpi is %.0f×%.0f pixels, the limit is %d: %w", i+1, dpi, pw, ph, d.e.opts.MaxRenderPixels, ErrTooLarge)
	}
	req := &requests.RenderPageInDPI{
		Page:        d.page(i),
		DPI:         dpi,
		RenderFlags: enums.FPDF_RENDER_FLAG_ANNOT,
		RenderForm:  true,
		Document:    &d.doc,
	}
	if contentOnly {
		req.RenderFlags, req.RenderForm, req.Document = 0, false, nil
	}
	if region != nil {
		// go-pdfium rounds the crop's points times dpi/72 to pixels: whole pixels come back.
		s := 72 / float64(dpi)
		req.Crop = &requests.RenderPageCrop{X: float64(crop.Min.X) * s, Y: float64(crop.Min.Y) * s, Width: float64(crop.Dx()) * s, Height: float64(crop.Dy()) * s}
	}
	res, err := guarded(ctx, d, func() (*responses.RenderPageInDPI, error) { return d.inst.RenderPageInDPI(req) })
	if err != nil {
		return nil, fmt.Errorf("failed to render page %d: %w", i+1, err)
	}
	src := res.Result.RenderedImage
	b := src.Bounds()
	if region != nil {
		if b.Size() != crop.Size() {
			if res.CleanupFunc != nil {
				res.CleanupFunc()
			}
			return nil, fmt.Errorf("page %d: the region %v came back as %v", i+1, crop, b)
		}
		b = crop
	}
	img := image.NewRGBA(b)
	draw.Draw(img, img.Bounds(), src, src.Bounds().Min, draw.Src)
	if res.CleanupFunc != nil {
		res.CleanupFunc()
	}
	d.e.cache.put(key, img)
	return img, nil
}

// Thumbnail renders page i to fit in maxPx×maxPx pixels.
func (d *Document) Thumbnail(ctx context.Context, i, maxPx int) (*image.RGBA, error) {
	info, err := d.PageInfo(i)
	if err != nil {
		return nil, err
	}
	return d.Render(ctx, i, ThumbnailDPI(info, maxPx))
}

// ThumbnailDPI is the largest DPI at which the page fits in maxPx×maxPx (at least 1).
func ThumbnailDPI(info PageInfo, maxPx int) int {
	long := math.Max(info.Width, info.Height)
	if long <= 0 {
		return 1
	}
	return max(1, int(math.Floor(float64(maxPx)*72/long)))
}

// ReplacePDF closes the document and opens, in the same PDFium instance, the PDF of size bytes
// that r holds (as OpenPDFReader): for a caller that renders many versions of one file in turn
// (the verifier renders each signed revision), without starting an instance per version. The
// images cached for the old document are dropped. On error the Document is closed.
func (d *Document) ReplacePDF(ctx context.Context, name string, r io.ReaderAt, size int64) error {
	if size > d.e.opts.MaxFileBytes {
		return fmt.Errorf("%s is %d bytes, the limit is %d: %w", name, size, d.e.opts.MaxFileBytes, ErrTooLarge)
	}
	head := make([]byte, min(size, 1024))
	if n, _ := r.ReadAt(head, 0); sniff(head[:n]) != "pdf" {
		return fmt.Errorf("%s: %w", name, ErrUnsupported)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	d.e.cache.dropDoc(d.id)
	d.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.doc})
	fail := func(err error) error {
		d.closed = true
		d.inst.Close()
		return err
	}
	res, err := d.inst.OpenDocument(&requests.OpenDocument{FileReader: io.NewSectionReader(r, 0, size), FileReaderSize: size})
	if err != nil {
		switch {
		case errors.Is(err, pdfiumerrors.ErrPassword), errors.Is(err, pdfiumerrors.ErrSecurity):
			return fail(fmt.Errorf("%s: %w", name, ErrEncrypted))
		case errors.Is(err, pdfiumerrors.ErrFormat), errors.Is(err, pdfiumerrors.ErrFile):
			return fail(fmt.Errorf("%s: %w: %v", name, ErrCorrupt, err))
		}
		return fail(fmt.Errorf("failed to open %s: %w", name, err))
	}
	pc, err := d.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: res.Document})
	if err != nil || pc.PageCount < 1 {
		d.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: res.Document})
		return fail(fmt.Errorf("%s has no readable pages: %w", name, ErrCorrupt))
	}
	d.e.mu.Lock()
	d.e.nextID++
	d.id = d.e.nextID
	d.e.mu.Unlock()
	d.name, d.kind, d.size, d.doc, d.pages = name, "pdf", size, res.Document, pc.PageCount
	d.infos, d.sizes = make([]*PageInfo, pc.PageCount), make([][2]float64, pc.PageCount)
	return nil
}

// Close releases the PDFium instance and the document's cached images.
func (d *Document) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.e.cache.dropDoc(d.id)
	if d.killed {
		return nil // its instance was killed when a render outlived its context
	}
	_, err := d.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.doc})
	if cerr := d.inst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("failed to close %s: %w", d.name, err)
	}
	return nil
}

// guarded runs a PDFium call f in the document's instance and returns when it ends or ctx is
// done, whichever is first. PDFium cannot be asked to stop, so when ctx ends first the instance
// is killed (its WebAssembly module is closed, which ends the call: the runtime is configured to
// close on context done) and the document stops working; the caller gets ctx's error wrapped in
// ErrKilled. d.mu is held.
func guarded[T any](ctx context.Context, d *Document, f func() (T, error)) (T, error) {
	var zero T
	if d.killed {
		return zero, fmt.Errorf("%s: %w", d.name, ErrKilled)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- result{zero, fmt.Errorf("pdfium failed: %v", p)}
			}
		}()
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		d.killed = true
		_ = d.inst.Kill()
		select {
		case <-done: // the closed module ends the call
		case <-time.After(5 * time.Second):
		}
		return zero, fmt.Errorf("rendering %s stopped: %w (%w)", d.name, ctx.Err(), ErrKilled)
	}
}
