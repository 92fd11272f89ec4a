package payment

import "container/list"

// lru is a bounded least-recently-used map, as the node's lru::LruCache.
// A nil *lru is a disabled cache: it holds nothing. It is not safe for
// concurrent use.
type lru[K comparable, V any] struct {
	capacity int
	order    *list.List // front is most recent; values are *lruEntry
	items    map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

// newLRU returns a cache of at most capacity entries, or nil (disabled)
// when capacity ≤ 0. Its map grows with use rather than up front.
func newLRU[K comparable, V any](capacity int) *lru[K, V] {
	if capacity <= 0 {
		return nil
	}
	return &lru[K, V]{capacity: capacity, order: list.New(), items: make(map[K]*list.Element)}
}

// get returns k's value and marks it most recent.
func (c *lru[K, V]) get(k K) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	e, ok := c.items[k]
	if !ok {
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[K, V]).val, true
}

// put stores k, evicting the least recent entry when full.
func (c *lru[K, V]) put(k K, v V) {
	if c == nil {
		return
	}
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry[K, V]).val = v
		c.order.MoveToFront(e)
		return
	}
	if c.order.Len() >= c.capacity {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry[K, V]).key)
	}
	c.items[k] = c.order.PushFront(&lruEntry[K, V]{key: k, val: v})
}

// len returns the number of entries.
func (c *lru[K, V]) len() int {
	if c == nil {
		return 0
	}
	return c.order.Len()
}
