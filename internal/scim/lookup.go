package scim

import (
	"bytes"
	"context"
	"encoding/json"
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
// carries it, found under the folded userName. Each organization's entries
// are valid at one point of its event log: every change to a directory
// appends an event, so a lookup reads the organization's last event number
// (directory.Service.Seq, one row) and, if it moved, reads the events since
// and drops the entries they touch (see apply) before answering. The
// answer is thus exactly what the store would give, whichever instance made
// the change, and one user's change leaves the other entries in place, so
// the cache keeps working while an identity provider writes. An answer
// shows the user's manager's current name, so a change to a manager drops
// the answers of the users they manage too. Only answers
// of one user are kept; "no such user" always goes to the store.
//
// What it saves is the store query, the query for the user's groups, and
// decoding and encoding the document: most of the CPU of a lookup.
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
	users map[string]lookupEntry // folded userName → entry
	names map[string]string      // user id → folded userName
	// reports finds the entries that show a manager's name: manager id →
	// ids of the kept users they manage.
	reports map[string]map[string]struct{}
}

type lookupEntry struct {
	id      string
	manager string // the manager's id the body shows, "" for none
	body    []byte
}

// DefaultLookupCacheBytes bounds the lookup cache when
// Handler.LookupCacheBytes is zero: a user in ten groups takes about
// 2.5 KB, so about 100,000 such users.
const DefaultLookupCacheBytes = 256 << 20

// maxCatchUp is the most events read to bring an organization's entries
// forward; past it they are dropped instead.
const maxCatchUp = 256

func newLookupCache(limit int) *lookupCache {
	return &lookupCache{limit: limit, orgs: map[string]*orgLookups{}}
}

// at returns the event number the organization's entries are valid at, and
// whether it has any.
func (c *lookupCache) at(orgID string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[orgID]
	if o == nil {
		return 0, false
	}
	return o.seq, true
}

// advance brings the organization's entries from seq from to seq to by
// applying evs, the events in between; with evs incomplete or nil it drops
// them all. Another request may have moved them meanwhile; then it does
// nothing.
func (c *lookupCache) advance(orgID string, from, to int64, evs []store.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[orgID]
	if o == nil || o.seq != from || to <= from {
		return
	}
	if int64(len(evs)) != to-from {
		c.reset(o, to)
		return
	}
	for _, e := range evs {
		if !c.apply(o, e) {
			c.reset(o, to)
			return
		}
	}
	o.seq = to
}

// apply drops the entries an event may have changed. It reports false for
// an event whose reach it does not know, after which all must go.
func (c *lookupCache) apply(o *orgLookups, e store.Event) bool {
	switch e.Type {
	case "user.created":
		// A new user is no answer kept: only found users are.
	case "user.updated", "user.deactivated", "user.reactivated", "user.deleted":
		// The users they manage show their name: those answers go too.
		for id := range o.reports[e.SubjectID] {
			c.drop(o, id)
		}
		c.drop(o, e.SubjectID)
	case "group.members_added", "group.members_removed":
		var d struct {
			Users []string `json:"users"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return false
		}
		for _, id := range d.Users {
			c.drop(o, id)
		}
	case "group.created":
		// Members come in their own group.members_added event.
	case "group.updated", "group.deleted":
		// Renamed or gone: every member's groups show it.
		return false
	default:
		// Workspaces, folders, grants, tokens, sign-ins and organization
		// settings are not part of a SCIM user; anything else is unknown.
		p, _, _ := strings.Cut(e.Type, ".")
		switch p {
		case "workspace", "folder", "grant", "member", "token", "sso", "org":
		default:
			return false
		}
	}
	return true
}

func (c *lookupCache) drop(o *orgLookups, id string) {
	key, ok := o.names[id]
	if !ok {
		return
	}
	e := o.users[key]
	n := entrySize(key, id, e.body)
	if r := o.reports[e.manager]; r != nil {
		delete(r, id)
		if len(r) == 0 {
			delete(o.reports, e.manager)
		}
	}
	delete(o.users, key)
	delete(o.names, id)
	o.size -= n
	c.size -= n
}

// get returns the representation of the user with folded userName key,
// if one is kept for the organization at seq.
func (c *lookupCache) get(orgID string, seq int64, key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[orgID]
	if o == nil || o.seq != seq {
		return nil, false
	}
	e, ok := o.users[key]
	return e.body, ok
}

// put keeps the representation of user id, read at seq, if the
// organization's entries are at seq too.
func (c *lookupCache) put(orgID string, seq int64, key, id string, body []byte) {
	if entrySize(key, id, body) > c.limit/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o := c.orgs[orgID]
	if o == nil {
		o = &orgLookups{seq: seq, users: map[string]lookupEntry{}, names: map[string]string{}, reports: map[string]map[string]struct{}{}}
		c.orgs[orgID] = o
	}
	if seq != o.seq {
		return
	}
	if old, ok := o.users[key]; ok {
		c.drop(o, old.id)
	}
	c.drop(o, id) // the same user under another name
	n := entrySize(key, id, body)
	if c.size+n > c.limit {
		c.evict(c.limit * 3 / 4)
	}
	// A copy: body may share a larger buffer the accounting would miss.
	mgr := managerOf(body)
	o.users[key] = lookupEntry{id: id, manager: mgr, body: bytes.Clone(body)}
	o.names[id] = key
	if mgr != "" {
		r := o.reports[mgr]
		if r == nil {
			r = map[string]struct{}{}
			o.reports[mgr] = r
		}
		r[id] = struct{}{}
	}
	o.size += n
	c.size += n
}

// managerOf returns the manager id a rendered user shows, "" for none.
// Only bodies that name the enterprise extension's manager are decoded.
func managerOf(body []byte) string {
	if !bytes.Contains(body, []byte(`"manager"`)) {
		return ""
	}
	var u struct {
		Ext struct {
			Manager struct {
				Value string `json:"value"`
			} `json:"manager"`
		} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	}
	if json.Unmarshal(body, &u) != nil {
		return ""
	}
	return u.Ext.Manager.Value
}

// entrySize is what an entry costs: its representation, its two keys, and
// about as much again for the maps holding them.
func entrySize(key, id string, body []byte) int { return len(body) + 2*len(key) + 2*len(id) + 96 }

// evict drops entries in map order until the cache holds at most size
// bytes. Go randomizes map order and entries sit in buckets by the hash of
// their userName, so what goes is close to a random sample: random
// eviction needs no bookkeeping on hits, and for lookups spread over a
// directory it keeps about as many hits as least-recently-used would.
func (c *lookupCache) evict(size int) {
	for _, o := range c.orgs {
		for _, e := range o.users {
			if c.size <= size {
				return
			}
			c.drop(o, e.id)
		}
	}
}

func (c *lookupCache) reset(o *orgLookups, seq int64) {
	c.size -= o.size
	o.seq, o.size = seq, 0
	clear(o.users)
	clear(o.names)
	clear(o.reports)
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

// cachedLookup answers a lookup from the cache, bringing the
// organization's entries up to date first. On a miss it returns the slot
// under which the store's answer is to be kept.
func (h *Handler) cachedLookup(ctx context.Context, w http.ResponseWriter, c *caller, key string) (bool, *lookupSlot, error) {
	seq, err := h.Directory.Seq(ctx, c.org.ID)
	if err != nil {
		return false, nil, err
	}
	if at, ok := h.lookups.at(c.org.ID); ok && at < seq {
		var evs []store.Event
		if seq-at <= maxCatchUp {
			// On failure evs stays short of seq-at and the entries go.
			evs, _ = h.Directory.Changes(ctx, c.org.ID, at, int(seq-at))
		}
		h.lookups.advance(c.org.ID, at, seq, evs)
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
