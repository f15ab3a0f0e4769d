package scim

import (
	"fmt"
	"testing"
)

func TestLookupCacheBounds(t *testing.T) {
	c := newLookupCache(10_000)
	body := make([]byte, 100)
	for i := 0; i < 1000; i++ {
		c.put(fmt.Sprintf("org%d", i%3), 1, fmt.Sprintf("user%d", i), body)
		if c.size > c.limit {
			t.Fatalf("after %d entries the cache holds %d bytes, over its %d-byte limit", i+1, c.size, c.limit)
		}
	}
	total := 0
	for _, o := range c.orgs {
		total += o.size
		if o.size != len(o.users)*len(body) {
			t.Errorf("organization size %d for %d entries", o.size, len(o.users))
		}
	}
	if total != c.size {
		t.Errorf("organizations hold %d bytes, the cache counts %d", total, c.size)
	}
	if _, ok := c.get("org0", 1, "user999"); !ok {
		t.Error("the last entry put is not kept")
	}

	// Entries are served only at the sequence they were read at.
	c.put("a", 5, "x", body)
	if _, ok := c.get("a", 6, "x"); ok {
		t.Error("an entry read at seq 5 was served at seq 6")
	}
	if _, ok := c.get("a", 5, "x"); ok {
		t.Error("an entry survived its organization moving on")
	}
	c.put("a", 4, "y", body) // read before the change: must not be kept
	if _, ok := c.get("a", 6, "y"); ok {
		t.Error("an entry read at an older seq was kept")
	}
	if c.put("a", 6, "big", make([]byte, c.limit+1)); c.size > c.limit {
		t.Error("an entry larger than the whole cache was kept")
	}
}
