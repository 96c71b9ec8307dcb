package httpapi

import (
	"math"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// entryOverhead is what one cache entry costs beyond its key and value
// bytes: the map slot, the list element and the entry struct (measured
// from golang-lru's layout, rounded up).
const entryOverhead = 160

// A byteLRU is a least-recently-used cache bounded by the bytes its entries
// weigh rather than by their count. golang-lru's simplelru keeps the
// recency order (it bounds by count only, so its count bound is set out of
// reach); this wrapper keeps the weights and evicts the oldest entries
// while the total is above the bound. An entry heavier than the bound on
// its own is not kept. Safe for concurrent use.
type byteLRU[V any] struct {
	mu        sync.Mutex
	lru       *simplelru.LRU[string, weighted[V]]
	max       int64
	bytes     int64
	evictions uint64 // entries pushed out by the byte bound
	rejected  uint64 // entries heavier than the bound, not kept
}

type weighted[V any] struct {
	v    V
	size int64
}

// newByteLRU returns a cache of at most max bytes (max <= 0: nothing is
// kept).
func newByteLRU[V any](max int64) *byteLRU[V] {
	c := &byteLRU[V]{max: max}
	l, err := simplelru.NewLRU[string, weighted[V]](math.MaxInt32, func(_ string, e weighted[V]) { c.bytes -= e.size })
	if err != nil {
		panic(err) // only for a size <= 0
	}
	c.lru = l
	return c
}

func weightOf(key string, size int) int64 { return int64(len(key)+size) + entryOverhead }

// Get returns the value under key and marks it recently used.
func (c *byteLRU[V]) Get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Get(key)
	return e.v, ok
}

// addLocked, with c.mu held, keeps v under key, weighing size bytes (plus
// key and overhead), and evicts the least recently used entries while the
// cache is above its bound. It reports whether v was kept: an entry
// heavier than the bound is not (and any older value under key is dropped).
func (c *byteLRU[V]) addLocked(key string, v V, size int) bool {
	w := weightOf(key, size)
	c.lru.Remove(key) // its weight leaves with it (the eviction callback)
	if w > c.max {
		c.rejected++
		return false
	}
	c.lru.Add(key, weighted[V]{v, w})
	c.bytes += w
	for c.bytes > c.max {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
		c.evictions++
	}
	return true
}

// Purge drops every entry (not counted as evictions).
func (c *byteLRU[V]) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Purge()
}

// cacheStats is what /metrics reports of a cache.
type cacheStats struct {
	Bytes, Max          int64
	Entries             int
	Evictions, Rejected uint64
}

// Stats returns the cache's accounting.
func (c *byteLRU[V]) Stats() cacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cacheStats{Bytes: c.bytes, Max: c.max, Entries: c.lru.Len(), Evictions: c.evictions, Rejected: c.rejected}
}
