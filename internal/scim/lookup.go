package scim

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
	"github.com/rosterhq/roster/internal/store"
)

// The lookup cache answers the request every identity provider sends
// before it writes a user, GET /Users?filter=userName eq "…", from memory.
//
// An entry is the user's default representation, as the list response
// carries it, found under the folded userName and stamped with the
// organization's event number (directory.Service.Seq) read before the
// store was. Every change to an organization's directory appends an event,
// so an entry is served only while that number is unchanged: the answer is
// exactly what the store would give, whichever instance made the change.
// A change drops the organization's entries at the next lookup. Only
// answers of one user are kept; "no such user" always goes to the store.
//
// What it saves is the store query, the query for the user's groups, and
// decoding and encoding the document: about half of the CPU of a lookup.
type lookupCache struct {
	mu    sync.Mutex
	limit int // bytes of representations kept across organizations
	size  int
	orgs  map[string]*orgLookups
}

// orgLookups are one organization's entries, all valid at seq.
type orgLookups struct {
	seq   int64
	size  int
	users map[string][]byte // folded userName → representation
}

// DefaultLookupCacheBytes bounds the lookup cache when
// Handler.LookupCacheBytes is zero: about 100,000 typical users.
const DefaultLookupCacheBytes = 128 << 20

func newLookupCache(limit int) *lookupCache {
	return &lookupCache{limit: limit, orgs: map[string]*orgLookups{}}
}

// get returns the representation of the user with folded userName key,
// if one is kept for the organization at seq.
func (c *lookupCache) get(orgID string, seq int64, key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[orgID]
	if o == nil {
		return nil, false
	}
	if o.seq != seq {
		if o.seq < seq {
			c.reset(o, seq)
		}
		return nil, false
	}
	b, ok := o.users[key]
	return b, ok
}

// put keeps a representation read at seq, unless the organization has
// moved past seq meanwhile.
func (c *lookupCache) put(orgID string, seq int64, key string, body []byte) {
	if len(body) > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[orgID]
	switch {
	case o == nil:
		o = &orgLookups{seq: seq, users: map[string][]byte{}}
		c.orgs[orgID] = o
	case seq < o.seq:
		return
	case seq > o.seq:
		c.reset(o, seq)
	}
	if old, ok := o.users[key]; ok {
		o.size -= len(old)
		c.size -= len(old)
	}
	if c.size+len(body) > c.limit {
		// Full: start over rather than track recency on every hit. The
		// organizations being looked up fill it again in one sync pass.
		for _, other := range c.orgs {
			c.reset(other, other.seq)
		}
	}
	o.users[key] = body
	o.size += len(body)
	c.size += len(body)
}

func (c *lookupCache) reset(o *orgLookups, seq int64) {
	c.size -= o.size
	o.seq, o.size = seq, 0
	clear(o.users)
}

// lookupKey reports whether the list request is the lookup the cache
// answers, and the folded userName it looks up: a filter of exactly
// userName eq "…", the first page, the default attributes and order.
func (h *Handler) lookupKey(rts []*schema.ResourceType, p listParams) (string, bool) {
	if h.lookups == nil || len(rts) != 1 || rts[0] != h.user || p.filter == "" ||
		p.attributes != nil || p.excluded != nil || p.sortBy != "" || p.cursor != nil ||
		p.startIndex != 1 || p.count < 1 {
		return "", false
	}
	// Cheap refusal before parsing: every such filter names userName.
	if !strings.Contains(strings.ToLower(p.filter), "username") {
		return "", false
	}
	expr, err := filter.Parse(p.filter)
	if err != nil {
		return "", false
	}
	c, ok := expr.(*filter.Compare)
	if !ok || c.Op != filter.OpEq || c.Value.Kind != filter.KindString || c.Path.Sub != "" ||
		!strings.EqualFold(c.Path.Name, "userName") ||
		(c.Path.URN != "" && !strings.EqualFold(c.Path.URN, h.user.Schema)) {
		return "", false
	}
	return store.Fold(c.Value.Str), true
}

// lookupSlot is where respondList keeps what it rendered for a lookup.
type lookupSlot struct {
	seq int64
	key string
}

// cachedLookup answers a lookup from the cache. On a miss it returns the
// slot under which the store's answer is to be kept.
func (h *Handler) cachedLookup(ctx context.Context, w http.ResponseWriter, c *caller, key string) (bool, *lookupSlot, error) {
	seq, err := h.Directory.Seq(ctx, c.org.ID)
	if err != nil {
		return false, nil, err
	}
	body, ok := h.lookups.get(c.org.ID, seq, key)
	if !ok {
		return false, &lookupSlot{seq: seq, key: key}, nil
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, len(h.oneUserHead)+len(body)+3)
	buf = append(buf, h.oneUserHead...)
	buf = append(buf, body...)
	buf = append(buf, "]}\n"...)
	_, err = w.Write(buf)
	return true, nil, err
}
