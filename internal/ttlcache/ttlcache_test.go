package ttlcache

import (
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	var c Cache[string, int]
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Put("a", 1, t0.Add(time.Second))
	tests := []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{999 * time.Millisecond, true},
		{time.Second, false}, // expired at its expiry time
	}
	for _, tc := range tests {
		if v, ok := c.Get("a", t0.Add(tc.at)); ok != tc.want || (ok && v != 1) {
			t.Errorf("Get at +%s = %d, %v; want found=%v", tc.at, v, ok, tc.want)
		}
	}
	c.Delete("a")
	if _, ok := c.Get("a", t0); ok {
		t.Error("a deleted key was found")
	}
	for i := 0; i < MaxEntries+5; i++ {
		c.Put(string(rune('a'+i%26))+string(rune(i)), i, t0.Add(time.Hour))
	}
	if n := len(c.m); n > MaxEntries {
		t.Errorf("%d entries kept, over the bound of %d", n, MaxEntries)
	}
}
