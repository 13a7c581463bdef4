package topdown

import (
	"container/list"
	"sync"
)

// imageCache keeps recently decoded images up to a byte budget, least recently used out first.
// It belongs to one Loader; its methods are safe for concurrent use.
type imageCache struct {
	mu     sync.Mutex
	budget int64
	used   int64
	order  *list.List // front = most recent; values are *cacheEntry
	byPath map[string]*list.Element
	hits   int64
	misses int64
}

type cacheEntry struct {
	path string
	img  *RGB
}

func newImageCache(budget int64) *imageCache {
	return &imageCache{budget: budget, order: list.New(), byPath: map[string]*list.Element{}}
}

// get returns the cached image of path, if any. Cached images are shared: callers only read them.
func (c *imageCache) get(path string) (*RGB, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byPath[path]; ok {
		c.order.MoveToFront(e)
		c.hits++
		return e.Value.(*cacheEntry).img, true
	}
	c.misses++
	return nil, false
}

// put stores img under path, evicting the least recently used images beyond the budget. An image
// larger than the whole budget is not stored.
func (c *imageCache) put(path string, img *RGB) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if img.Bytes() > c.budget {
		return
	}
	if e, ok := c.byPath[path]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.byPath[path] = c.order.PushFront(&cacheEntry{path: path, img: img})
	c.used += img.Bytes()
	for c.used > c.budget {
		e := c.order.Back()
		ent := e.Value.(*cacheEntry)
		c.order.Remove(e)
		delete(c.byPath, ent.path)
		c.used -= ent.img.Bytes()
	}
}

// stats returns the hit and miss counts.
func (c *imageCache) stats() (hits, misses int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}
