package websign

import (
	"bytes"
	"container/list"
	"context"
	"fmt"
	"image/png"
	"net/http"
	stdsync "sync"

	"sealdesk/core/pdf/render"
)

// PageDPI is the resolution of the pages the signing page shows (A4: 794 × 1123 pixels).
const PageDPI = 96

// Pages renders document pages for the signing page with PDFium (core/pdf/render, the desktop's
// renderer), lazily per page, and caches the PNGs per (document SHA-256, page) in an LRU bounded
// in bytes; the engine's own image cache and open documents are bounded too. A cache is only a
// cache: several server processes each keep their own.
type Pages struct {
	// CacheBytes bounds the PNG cache (default 32 MB); EngineBytes the engine's image cache
	// (default 48 MB); Documents the documents kept open (default 4).
	CacheBytes, EngineBytes int64
	Documents               int

	once   stdsync.Once
	engine *render.Engine

	mu    stdsync.Mutex
	lru   *list.List // of *pageEntry, most recent first
	index map[string]*list.Element
	size  int64
	docs  map[string]*openDoc
	order *list.List // of sha, most recent first
}

type pageEntry struct {
	key string
	png []byte
}

type openDoc struct {
	mu  stdsync.Mutex
	doc *render.Document
	err error
	el  *list.Element
}

func (p *Pages) init() {
	p.once.Do(func() {
		if p.CacheBytes <= 0 {
			p.CacheBytes = 32 << 20
		}
		if p.EngineBytes <= 0 {
			p.EngineBytes = 48 << 20
		}
		if p.Documents <= 0 {
			p.Documents = 4
		}
		p.engine = render.New(&render.Options{ImageCacheBytes: p.EngineBytes, MaxDocuments: p.Documents + 1})
		p.lru, p.index, p.docs, p.order = list.New(), map[string]*list.Element{}, map[string]*openDoc{}, list.New()
	})
}

// Warm starts the engine in the background (the first start compiles PDFium).
func (p *Pages) Warm() { p.init() }

// Close stops the engine.
func (p *Pages) Close() error {
	if p.engine == nil {
		return nil
	}
	return p.engine.Close()
}

// Page returns page (1-based) of the document whose bytes load returns, as a PNG. pages is the
// document's page count as the envelope knows it; a page outside 1..pages is refused before
// anything is rendered.
func (p *Pages) Page(ctx context.Context, sha string, pages, page int, load func() ([]byte, error)) ([]byte, error) {
	if page < 1 || page > pages {
		return nil, refuse(http.StatusNotFound, "page_out_of_range", fmt.Sprintf("页码超出范围：该文件共 %d 页，没有第 %d 页", pages, page))
	}
	p.init()
	key := fmt.Sprintf("%s/%d/%d", sha, page, PageDPI)
	p.mu.Lock()
	if el, ok := p.index[key]; ok {
		p.lru.MoveToFront(el)
		b := el.Value.(*pageEntry).png
		p.mu.Unlock()
		return b, nil
	}
	p.mu.Unlock()
	if err := p.engine.Ready(ctx); err != nil {
		return nil, fmt.Errorf("page renderer: %w", err)
	}
	d, err := p.open(ctx, sha, load)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	img, err := d.doc.Render(ctx, page-1, PageDPI)
	d.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("failed to render page %d: %w", page, err)
	}
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, img); err != nil {
		return nil, err
	}
	out := b.Bytes()
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.index[key]; !ok && int64(len(out)) <= p.CacheBytes/4 {
		p.index[key] = p.lru.PushFront(&pageEntry{key: key, png: out})
		p.size += int64(len(out))
		for p.size > p.CacheBytes && p.lru.Len() > 0 {
			el := p.lru.Back()
			e := el.Value.(*pageEntry)
			p.lru.Remove(el)
			delete(p.index, e.key)
			p.size -= int64(len(e.png))
		}
	}
	return out, nil
}

// open returns the open document of sha, opening it (and closing the least recently used one
// over the budget) when needed.
func (p *Pages) open(ctx context.Context, sha string, load func() ([]byte, error)) (*openDoc, error) {
	p.mu.Lock()
	d, ok := p.docs[sha]
	if ok {
		p.order.MoveToFront(d.el)
	} else {
		d = &openDoc{}
		d.el = p.order.PushFront(sha)
		p.docs[sha] = d
		d.mu.Lock() // held until opened: others wait for it
		for p.order.Len() > p.Documents {
			el := p.order.Back()
			old := el.Value.(string)
			p.order.Remove(el)
			od := p.docs[old]
			delete(p.docs, old)
			go func() {
				od.mu.Lock()
				defer od.mu.Unlock()
				if od.doc != nil {
					od.doc.Close()
				}
			}()
		}
	}
	p.mu.Unlock()
	if !ok {
		data, err := load()
		if err == nil {
			d.doc, err = p.engine.OpenBytes(ctx, sha+".pdf", data)
		}
		d.err = err
		d.mu.Unlock()
		if err != nil {
			p.mu.Lock()
			if p.docs[sha] == d {
				delete(p.docs, sha)
				p.order.Remove(d.el)
			}
			p.mu.Unlock()
			return nil, err
		}
		return d, nil
	}
	d.mu.Lock()
	err := d.err
	d.mu.Unlock()
	if err != nil || d.doc == nil {
		return nil, fmt.Errorf("document %s could not be opened: %v", sha, err)
	}
	return d, nil
}
