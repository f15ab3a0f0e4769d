// Package ratelimit owns roster's token buckets: one per credential (SCIM
// token, API key, console session) and one per client address on the
// anonymous endpoints. A Limiter holds a bounded number of buckets, so a
// caller spraying new keys (addresses, garbage) cannot grow its memory
// without end: a bucket that has refilled is forgotten, since a fresh one
// behaves the same, and past the bound the least recently used bucket goes.
//
// Limits are per process: each roster instance behind a load balancer
// keeps its own buckets.
package ratelimit

import (
	"container/list"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Rate is a token bucket's refill rate and size.
type Rate struct {
	// PerSecond is the sustained rate; 0 or less means no limit.
	PerSecond float64
	// Burst is how many requests may come at once after a quiet spell;
	// at least 1 when PerSecond is set.
	Burst int
}

// PerSecond returns a rate of n requests per second with a burst of twice
// that, the ratio roster uses throughout: an identity provider's batch
// after a pause is taken in full, its sustained rate is held to n. n <= 0
// is no limit.
func PerSecond(n int) Rate {
	if n <= 0 {
		return Rate{}
	}
	return Rate{PerSecond: float64(n), Burst: 2 * n}
}

// Unlimited reports whether r sets no limit.
func (r Rate) Unlimited() bool { return r.PerSecond <= 0 }

// full is how long an empty bucket takes to refill completely; a bucket
// untouched that long is the same as a new one.
func (r Rate) full() time.Duration {
	return time.Duration(float64(r.burst()) / r.PerSecond * float64(time.Second))
}

func (r Rate) burst() int {
	if r.Burst < 1 {
		return 1
	}
	return r.Burst
}

// DefaultMaxKeys bounds the buckets a Limiter keeps: at about 150 bytes a
// bucket, 100,000 is some 15 MB, far more than the credentials and client
// addresses active within one refill period.
const DefaultMaxKeys = 100_000

const shards = 32

// Limiter keeps token buckets by key. It is safe for concurrent use.
type Limiter struct {
	now    func() time.Time
	seed   maphash.Seed
	perMax int
	// next is the shard the next call sweeps besides its own, so that
	// buckets expire in shards no current key falls in.
	next   atomic.Uint32
	shards [shards]shard
}

type shard struct {
	mu sync.Mutex
	// byKey finds a key's element in lru, whose front is the most
	// recently used bucket.
	byKey map[string]*list.Element
	lru   list.List
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
	// rate is the rate the bucket was last used with, so the sweep knows
	// when it has refilled.
	rate Rate
}

// New returns a limiter keeping at most maxKeys buckets (DefaultMaxKeys
// when 0) that reads the time from now (time.Now when nil), so tests can
// move the clock.
func New(maxKeys int, now func() time.Time) *Limiter {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now, seed: maphash.MakeSeed(), perMax: max(1, maxKeys/shards)}
	for i := range l.shards {
		l.shards[i].byKey = map[string]*list.Element{}
	}
	return l
}

// Allow takes one token from key's bucket at rate r. When the bucket is
// empty it reports false and how long until a token is there, the
// Retry-After a client should honour. An unlimited rate always allows.
func (l *Limiter) Allow(key string, r Rate) (retryAfter time.Duration, ok bool) {
	if r.Unlimited() {
		return 0, true
	}
	now := l.now()
	if other := &l.shards[l.next.Add(1)%shards]; other.mu.TryLock() {
		// Never waits: a busy shard is swept by its own callers.
		other.sweep(now, 2)
		other.mu.Unlock()
	}
	sh := &l.shards[maphash.String(l.seed, key)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.sweep(now, 2)
	var b *bucket
	if e, found := sh.byKey[key]; found {
		sh.lru.MoveToFront(e)
		b = e.Value.(*bucket)
		b.tokens = math.Min(float64(r.burst()), b.tokens+now.Sub(b.last).Seconds()*r.PerSecond)
	} else {
		if sh.lru.Len() >= l.perMax {
			// Full of buckets still refilling: the least recently used
			// goes. Its owner starts over with a full bucket, which
			// costs at most one burst; the memory stays bounded.
			sh.remove(sh.lru.Back())
		}
		b = &bucket{key: key, tokens: float64(r.burst())}
		sh.byKey[key] = sh.lru.PushFront(b)
	}
	b.last, b.rate = now, r
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / r.PerSecond * float64(time.Second)), false
}

// sweep forgets up to n least recently used buckets that have refilled:
// a little work on every call keeps expired buckets from piling up
// without a goroutine of its own.
func (sh *shard) sweep(now time.Time, n int) {
	for ; n > 0; n-- {
		e := sh.lru.Back()
		if e == nil {
			return
		}
		b := e.Value.(*bucket)
		if now.Sub(b.last) < b.rate.full() {
			return
		}
		sh.remove(e)
	}
}

func (sh *shard) remove(e *list.Element) {
	delete(sh.byKey, e.Value.(*bucket).key)
	sh.lru.Remove(e)
}

// Len returns how many buckets the limiter keeps.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += sh.lru.Len()
		sh.mu.Unlock()
	}
	return n
}

// RetryAfterSeconds is the Retry-After header value for a wait: whole
// seconds, rounded up, at least 1 (0 would invite an immediate retry).
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
