package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"sealdesk/core/ofd"
	"sealdesk/core/ofd/render"
	"sealdesk/core/verify"
	"sealdesk/ui/widgets"
)

// verifyExts are the files 文件验签 takes: PDF and OFD.
var verifyExts = []string{".pdf", ".ofd"}

// isOFD says whether path names an OFD file (by extension or by its ZIP signature).
func isOFD(path string) bool {
	if strings.EqualFold(filepath.Ext(path), ".ofd") {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [4]byte
	n, _ := f.Read(head[:])
	return n == 4 && string(head[:]) == "PK\x03\x04"
}

// ofdRenderer opens OFD files with SealDesk's own OFD page renderer (core/ofd/render, with the
// seal pictures in place) and hands everything else to the PDF renderer.
type ofdRenderer struct{ pdf Renderer }

func (r ofdRenderer) Open(ctx context.Context, path string) (OpenDocument, error) {
	if isOFD(path) {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return openOFD(ctx, filepath.Base(path), b)
	}
	if r.pdf == nil {
		return nil, fmt.Errorf("no renderer for %s", filepath.Base(path))
	}
	return r.pdf.Open(ctx, path)
}

func (r ofdRenderer) OpenBytes(ctx context.Context, name string, data []byte) (OpenDocument, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return openOFD(ctx, name, data)
	}
	if r.pdf == nil {
		return nil, fmt.Errorf("no renderer for %s", name)
	}
	return r.pdf.OpenBytes(ctx, name, data)
}

// ofdDocument is the first document of an OFD package as a widgets.Document: pages in points
// (the page view's unit, so a signature's Rect from core/verify places the highlight), no
// rotation, the seal pictures drawn at their StampAnnot boundaries.
type ofdDocument struct {
	name   string
	doc    *render.Document
	stamps []render.Stamp

	mu    sync.Mutex
	cache map[[2]int]image.Image
}

const mmToPt = 72 / 25.4

func openOFD(ctx context.Context, name string, data []byte) (*ofdDocument, error) {
	pkg, err := ofd.Open(ctx, bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return nil, err
	}
	d, err := render.NewDocument(pkg, 0)
	if err != nil {
		return nil, err
	}
	o := &ofdDocument{name: name, doc: d, cache: map[[2]int]image.Image{}}
	for _, s := range verify.OFDSeals(pkg) {
		if s.Doc != 0 {
			continue
		}
		pic, err := render.SealPicture(ctx, s.PictureType, s.Picture, 300)
		if err != nil {
			continue // not an image: the card says so; nothing is drawn
		}
		for _, st := range s.Stamps {
			if st.Page > 0 {
				o.stamps = append(o.stamps, render.Stamp{Page: st.Page - 1, Picture: pic, Box: st.Box, Clip: st.Clip, HasClip: st.HasClip})
			}
		}
	}
	return o, nil
}

func (o *ofdDocument) Name() string   { return o.name }
func (o *ofdDocument) PageCount() int { return o.doc.PageCount() }
func (o *ofdDocument) Close() error   { return nil }

func (o *ofdDocument) PageSize(page int) (float64, float64, error) {
	w, h, err := o.doc.PageSize(page)
	return w * mmToPt, h * mmToPt, err
}

func (o *ofdDocument) PageGeometry(page int) (widgets.PageGeometry, error) {
	w, h, err := o.PageSize(page)
	return widgets.PageGeometry{Crop: widgets.Rect{URX: w, URY: h}}, err
}

func (o *ofdDocument) Render(ctx context.Context, page, dpi int) (image.Image, error) {
	key := [2]int{page, dpi}
	o.mu.Lock()
	if im, ok := o.cache[key]; ok {
		o.mu.Unlock()
		return im, nil
	}
	o.mu.Unlock()
	im, _, err := o.doc.Render(ctx, page, float64(dpi), o.stamps)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	if len(o.cache) > 8 {
		clear(o.cache)
	}
	o.cache[key] = im
	o.mu.Unlock()
	return im, nil
}

func (o *ofdDocument) Thumbnail(ctx context.Context, page, maxPx int) (image.Image, error) {
	w, h, err := o.PageSize(page)
	if err != nil {
		return nil, err
	}
	dpi := int(float64(maxPx) / max(w, h) * 72)
	return o.Render(ctx, page, max(dpi, 8))
}

var (
	_ OpenDocument = (*ofdDocument)(nil)
	_ Renderer     = ofdRenderer{}
)
