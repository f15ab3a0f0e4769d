package ratelimit_test

import (
	"strconv"
	"testing"

	"github.com/rosterhq/roster/internal/ratelimit"
)

// BenchmarkAllow is the cost the limiter adds to each request: many
// credentials at once, from every core.
func BenchmarkAllow(b *testing.B) {
	l := ratelimit.New(0, nil)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "scim_token:" + strconv.Itoa(i)
	}
	rate := ratelimit.PerSecond(1_000_000)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i%len(keys)], rate)
			i++
		}
	})
}
