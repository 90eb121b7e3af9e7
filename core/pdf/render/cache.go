package render

import (
	"container/list"
	"image"
	"sync"
)

type cacheKey struct {
	doc         uint64
	page, dpi   int
	contentOnly bool
	region      image.Rectangle // RenderRegion's pixels; zero for the whole page
}

type cacheEntry struct {
	key cacheKey
	img *image.RGBA
}

// imageCache is an LRU of rendered pages bounded by the bytes of their pixels.
type imageCache struct {
	mu    sync.Mutex
	limit int64
	used  int64
	order *list.List // front = most recent
	items map[cacheKey]*list.Element
}

func newImageCache(limit int64) *imageCache {
	return &imageCache{limit: limit, order: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *imageCache) get(k cacheKey) *image.RGBA {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cacheEntry).img
	}
	return nil
}

func (c *imageCache) put(k cacheKey, img *image.RGBA) {
	size := int64(len(img.Pix))
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.limit {
		return
	}
	if el, ok := c.items[k]; ok {
		c.removeLocked(el)
	}
	c.items[k] = c.order.PushFront(&cacheEntry{k, img})
	c.used += size
	for c.used > c.limit {
		c.removeLocked(c.order.Back())
	}
}

func (c *imageCache) removeLocked(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.order.Remove(el)
	delete(c.items, e.key)
	c.used -= int64(len(e.img.Pix))
}

func (c *imageCache) dropDoc(doc uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.items {
		if k.doc == doc {
			c.removeLocked(el)
		}
	}
}

func (c *imageCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	c.items = map[cacheKey]*list.Element{}
	c.used = 0
}

// stats returns the number of cached images and their bytes (for tests).
func (c *imageCache) stats() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.used
}
