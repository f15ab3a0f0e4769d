// Package ttlcache remembers values until a time. roster keeps with it
// what every request would otherwise read from the database: token
// records, organizations, verified API keys.
package ttlcache

import (
	"sync"
	"time"
)

// MaxEntries bounds a cache: putting past it starts the cache over, so
// requests with ever new keys cannot grow it without end.
const MaxEntries = 10_000

// Cache maps keys to values that expire. The zero value is ready to use
// and safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// Get returns the value of k if one was put and has not expired at now.
func (c *Cache[K, V]) Get(k K, now time.Time) (V, bool) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Put keeps v for k until expires.
func (c *Cache[K, V]) Put(k K, v V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= MaxEntries {
		c.m = map[K]entry[V]{}
	}
	c.m[k] = entry[V]{v: v, expires: expires}
}

// Delete forgets k.
func (c *Cache[K, V]) Delete(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// Clear forgets every value.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
