package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// resolverStore is what the Resolver reads.
type resolverStore interface {
	EventSeq(ctx context.Context, orgID string) (int64, error)
	AccessSnapshot(ctx context.Context, orgID string) (store.AccessSnapshot, error)
	ListEvents(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error)
}

// namesReader is implemented by stores that can tell the resolver the
// names of users and groups (every store.Store can), so that its
// explanations name them; without it they carry ids only.
type namesReader interface {
	AccessNames(ctx context.Context, orgID string) (store.AccessNames, error)
}

// DefaultPollInterval is how often, at most, a Resolver asks the database
// whether an organization changed; it bounds how stale another instance's
// writes can be.
const DefaultPollInterval = 250 * time.Millisecond

// Resolver answers "what may this user do here" from an in-memory index of
// each organization it has been asked about: users' active flags, group
// memberships, grants, folders' team access, direct memberships and
// organization roles. A check touches no database, so it costs
// microseconds.
//
// The index is the state after some event of the organization's log, and
// it moves forward by applying the log's later events in order (rebuilding
// from a snapshot for the few events it does not apply incrementally). It
// moves forward
//
//   - before the next read, after Invalidate: every write made through
//     Service calls it, and so must other writers in the process (the SCIM
//     layer) after each write, so that a change — a deactivation above all —
//     holds for every check that starts after the write returned;
//   - at most PollInterval after a write by another process (another
//     instance on the same PostgreSQL, the roster CLI): a read that finds
//     the index older than PollInterval compares the organization's event
//     counter, one indexed row, and catches up when it moved. Reads never
//     wait for a poll another goroutine is doing, nor for a rebuild a
//     poll found needed (it runs on its own); they use the index as it
//     is, so staleness is bounded by PollInterval plus one catch-up.
//   - on a miss: a user or resource unknown to the index triggers one
//     immediate catch-up before "not found" is answered, so a record just
//     created on another instance is found.
//
// A Resolver is safe for concurrent use. Its memory grows with the
// organizations it has served (about 1 KB per user for typical group
// counts); it keeps them until the process ends.
type Resolver struct {
	Store resolverStore
	// PollInterval bounds staleness across processes;
	// DefaultPollInterval when 0, never polled when negative (a single
	// process whose every writer calls Invalidate).
	PollInterval time.Duration
	// Now is the clock; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger

	mu   sync.Mutex
	orgs map[string]*orgCache
}

// orgCache holds one organization's index.
type orgCache struct {
	refresh  sync.Mutex   // one refresher at a time
	dirty    atomic.Bool  // Invalidate was called since the last catch-up began
	loaded   atomic.Bool  // idx is set
	lastPoll atomic.Int64 // unix nanoseconds of the last catch-up
	mu       sync.RWMutex // guards idx's contents
	idx      *index

	loadMu  sync.Mutex // guards loading
	loading *load      // the first load in progress; nil when none runs
}

// A load is one run of an organization's first load.
type load struct {
	done chan struct{} // closed when it ends
	err  error         // set before done is closed
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Resolver) cache(orgID string) *orgCache {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.orgs == nil {
		r.orgs = map[string]*orgCache{}
	}
	c := r.orgs[orgID]
	if c == nil {
		c = &orgCache{}
		r.orgs[orgID] = c
	}
	return c
}

// Invalidate tells the resolver that the organization changed: the next
// read catches up with the event log first. Writers call it after their
// write committed; it is cheap (an atomic store) and never blocks.
func (r *Resolver) Invalidate(orgID string) {
	r.mu.Lock()
	c := r.orgs[orgID]
	r.mu.Unlock()
	if c != nil {
		c.dirty.Store(true)
	}
}

// Refresh catches the organization's index up with the event log now.
func (r *Resolver) Refresh(ctx context.Context, orgID string) error {
	return r.ensure(ctx, orgID, r.cache(orgID), true)
}

// ensure brings the index as far forward as the rules in the type's
// comment require.
func (r *Resolver) ensure(ctx context.Context, orgID string, c *orgCache, force bool) error {
	if !c.loaded.Load() {
		// The first load of a large organization can take longer than a
		// client waits. It runs on its own, so a client that hangs up
		// does not throw it away (every retry would start over, and none
		// would finish); the request waits for it or for its own end.
		l := r.firstLoad(ctx, orgID, c)
		select {
		case <-l.done:
			if l.err != nil && !c.loaded.Load() {
				return l.err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if force || !c.loaded.Load() || c.dirty.Load() {
		c.refresh.Lock()
		defer c.refresh.Unlock()
		if force || !c.loaded.Load() || c.dirty.Load() {
			return r.catchUp(ctx, orgID, c)
		}
		return nil
	}
	interval := r.PollInterval
	if interval < 0 {
		return nil
	}
	if interval == 0 {
		interval = DefaultPollInterval
	}
	if r.now().UnixNano()-c.lastPoll.Load() < int64(interval) || !c.refresh.TryLock() {
		return nil
	}
	pctx, cancel := detach(ctx)
	rebuild, err := r.advance(pctx, orgID, c)
	if err == nil && rebuild {
		// Rebuilding a large organization takes seconds, and another
		// instance's writes may show up to one catch-up late: this
		// request serves the index as it is, as every read does while a
		// poll runs, and the rebuild ends on its own.
		go func() {
			defer cancel()
			defer c.refresh.Unlock()
			if err := r.reload(pctx, orgID, c); err != nil {
				c.dirty.Store(true)
				r.logger().WarnContext(pctx, "access index rebuild after a poll failed; serving the previous state", "org", orgID, "err", err)
			}
		}()
		return nil
	}
	cancel()
	c.refresh.Unlock()
	if err != nil {
		c.dirty.Store(true)
		// A failed poll leaves a working index; serve it and say so.
		r.logger().WarnContext(ctx, "access index poll failed; serving the previous state", "org", orgID, "err", err)
	}
	return nil
}

// firstLoad joins the load of an organization not yet in memory, or
// starts it. Writes that commit while it runs set dirty, so the caller's
// next step catches up with them.
func (r *Resolver) firstLoad(ctx context.Context, orgID string, c *orgCache) *load {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	if c.loading != nil {
		return c.loading
	}
	l := &load{done: make(chan struct{})}
	c.loading = l
	go func() { // catchUp detaches from ctx's cancellation
		c.refresh.Lock()
		if !c.loaded.Load() {
			l.err = r.catchUp(ctx, orgID, c)
		}
		c.refresh.Unlock()
		c.loadMu.Lock()
		c.loading = nil
		c.loadMu.Unlock()
		close(l.done)
	}()
	return l
}

func (r *Resolver) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// maxCatchUp is the number of pending events beyond which a snapshot is
// cheaper than replaying them.
const maxCatchUp = 20000

// catchUpTimeout bounds one catch-up, which no longer ends with the request
// that started it.
const catchUpTimeout = 2 * time.Minute

// detach returns a context for work that outlives the request that
// triggered it: loading a large organization can take longer than a
// client waits, and if a client that hangs up cancelled it, every retry
// would start the load over and none would finish while the others queued
// behind the lock.
func detach(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), catchUpTimeout)
}

// catchUp moves the index to the log's end; the caller holds c.refresh.
func (r *Resolver) catchUp(ctx context.Context, orgID string, c *orgCache) error {
	ctx, cancel := detach(ctx)
	defer cancel()
	rebuild, err := r.advance(ctx, orgID, c)
	if err == nil && rebuild {
		err = r.reload(ctx, orgID, c)
	}
	if err != nil {
		c.dirty.Store(true)
	}
	return err
}

// advance applies the log's new events to the index; the caller holds
// c.refresh. It reports rebuild, leaving the index as far as it got, when
// only a snapshot can bring it to the end: no index yet, more than
// maxCatchUp events behind, a log that went back, or an event the index
// cannot apply.
func (r *Resolver) advance(ctx context.Context, orgID string, c *orgCache) (rebuild bool, err error) {
	c.dirty.Store(false) // an Invalidate from now on asks for another catch-up
	c.lastPoll.Store(r.now().UnixNano())
	if !c.loaded.Load() {
		return true, nil
	}
	seq, err := r.Store.EventSeq(ctx, orgID)
	if err != nil {
		return false, fmt.Errorf("access index of %s: %w", orgID, err)
	}
	cur := c.idx.seq // only refreshers write it, and we are the one
	if seq == cur {
		return false, nil
	}
	if seq-cur > maxCatchUp || seq < cur {
		return true, nil
	}
	for cur < seq {
		evs, err := r.Store.ListEvents(ctx, orgID, cur, 1000)
		if err != nil {
			return false, fmt.Errorf("access index of %s: %w", orgID, err)
		}
		if len(evs) == 0 {
			break
		}
		c.mu.Lock()
		var applyErr error
		for _, e := range evs {
			if applyErr = c.idx.apply(e); applyErr != nil {
				break
			}
		}
		cur = c.idx.seq
		c.mu.Unlock()
		var re errReload
		if errors.As(applyErr, &re) {
			r.logger().DebugContext(ctx, "access index rebuilt", "org", orgID, "reason", re.reason)
			return true, nil
		}
	}
	return false, nil
}

func (r *Resolver) reload(ctx context.Context, orgID string, c *orgCache) error {
	snap, err := r.Store.AccessSnapshot(ctx, orgID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("organization", orgID)
		}
		return fmt.Errorf("access index of %s: %w", orgID, err)
	}
	x := buildIndex(snap)
	if nr, ok := r.Store.(namesReader); ok {
		names, err := nr.AccessNames(ctx, orgID)
		if err != nil {
			return fmt.Errorf("access index of %s: names: %w", orgID, err)
		}
		x.setNames(names)
	}
	c.mu.Lock()
	c.idx = x
	c.mu.Unlock()
	c.loaded.Store(true)
	return nil
}

// errMiss asks read to catch up once and retry.
var errMiss = errors.New("not in the index")

// read runs fn on a current index under a read lock. When fn reports
// errMiss it catches up once and runs fn again.
func (r *Resolver) read(ctx context.Context, orgID string, fn func(x *index) error) error {
	c := r.cache(orgID)
	if err := r.ensure(ctx, orgID, c, false); err != nil {
		return err
	}
	c.mu.RLock()
	err := fn(c.idx)
	c.mu.RUnlock()
	if !errors.Is(err, errMiss) {
		return err
	}
	if err := r.ensure(ctx, orgID, c, true); err != nil {
		return err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	err = fn(c.idx)
	if errors.Is(err, errMiss) {
		var me missError
		errors.As(err, &me)
		return notFound(me.what, me.id)
	}
	return err
}

type missError struct{ what, id string }

func (e missError) Error() string   { return e.what + " " + e.id + " not in the index" }
func (e missError) Is(t error) bool { return t == errMiss }

func (x *index) need(k resKey) error {
	if !k.t.Valid() {
		return errorf(ErrInvalid, "resource type must be %q or %q, not %q", store.ResourceWorkspace, store.ResourceFolder, k.t)
	}
	if !x.exists(k) {
		return missError{string(k.t), k.id}
	}
	return nil
}

// Decision is the answer to a check.
type Decision struct {
	// Allowed reports whether the effective role reaches the role asked.
	Allowed bool `json:"allowed"`
	// Role is the effective role: "owner", "admin", "editor", "checker",
	// "viewer", or "" for none.
	Role string `json:"role"`
	// UserName is the user's userName.
	UserName string `json:"user_name,omitempty"`
	// Reasons lists every grant, membership and organization role that
	// gives the user a role here, the effective one and the lesser ones.
	Reasons []Reason `json:"reasons"`
	// Denial says why the check is not allowed: why the user has no role
	// at all, or which role they have, through what, and which was needed.
	// "" when allowed.
	Denial string `json:"denial,omitempty"`
}

// Check returns the user's effective role on a workspace or folder and
// whether it reaches want (a resource role). It explains the answer.
func (r *Resolver) Check(ctx context.Context, orgID, userID string, rt store.ResourceType, resourceID string, want store.Role) (Decision, error) {
	if !want.Valid() {
		return Decision{}, errorf(ErrInvalid, "role must be %q, %q or %q, not %q", store.RoleEditor, store.RoleChecker, store.RoleViewer, want)
	}
	var d Decision
	err := r.read(ctx, orgID, func(x *index) error {
		k := resKey{rt, resourceID}
		if err := x.need(k); err != nil {
			return err
		}
		res := x.resolve(userID, k, true)
		if res.denial == DenyNoUser {
			return missError{"user", userID}
		}
		d = Decision{Allowed: res.level >= LevelOf(want), Role: res.level.String(), UserName: x.userNames[userID], Reasons: res.reasons, Denial: res.denial}
		if !d.Allowed && d.Denial == "" {
			d.Denial = x.shortfall(userID, k, res, want)
		}
		if d.Reasons == nil {
			d.Reasons = []Reason{}
		}
		return nil
	})
	return d, err
}

// Level returns the user's effective level without explaining it: the
// fastest question the resolver answers.
func (r *Resolver) Level(ctx context.Context, orgID, userID string, rt store.ResourceType, resourceID string) (Level, error) {
	var lv Level
	err := r.read(ctx, orgID, func(x *index) error {
		k := resKey{rt, resourceID}
		if err := x.need(k); err != nil {
			return err
		}
		lv = x.resolve(userID, k, false).level
		return nil
	})
	return lv, err
}

// Reach is one resource a user can reach.
type Reach struct {
	ResourceType store.ResourceType `json:"resource_type"`
	ResourceID   string             `json:"resource_id"`
	Name         string             `json:"name"`
	// WorkspaceID is the folder's workspace; "" for workspaces.
	WorkspaceID string   `json:"workspace_id,omitempty"`
	Role        string   `json:"role"`
	Reasons     []Reason `json:"reasons"`
}

// Cursor returns the position after r for UserAccess.
func (r Reach) Cursor() string { return string(r.ResourceType) + "\x1f" + r.ResourceID }

// UserAccess lists the workspaces and folders a user can reach, with roles
// and reasons, ordered by type then id, after the cursor given ("" for the
// first page; see Reach.Cursor). more reports further pages.
func (r *Resolver) UserAccess(ctx context.Context, orgID, userID, after string, limit int) (out []Reach, more bool, err error) {
	var from resKey
	if after != "" {
		p, ok := store.SplitCursor(after, 2)
		if !ok {
			return nil, false, errorf(ErrInvalid, "malformed cursor %q: pass the next value of the previous page", after)
		}
		from = resKey{store.ResourceType(p[0]), p[1]}
	}
	err = r.read(ctx, orgID, func(x *index) error {
		if x.users[userID] == nil {
			return missError{"user", userID}
		}
		out = out[:0]
		keys := x.sortedResources()
		i := 0
		if after != "" {
			i, _ = slices.BinarySearchFunc(keys, from, compareKeys)
			if i < len(keys) && keys[i] == from {
				i++
			}
		}
		for ; i < len(keys); i++ {
			res := x.resolve(userID, keys[i], true)
			if res.level == LevelNone {
				continue
			}
			if len(out) == limit {
				more = true
				break
			}
			out = append(out, x.reach(keys[i], res))
		}
		return nil
	})
	return out, more, err
}

func (x *index) reach(k resKey, res result) Reach {
	re := Reach{ResourceType: k.t, ResourceID: k.id, Role: res.level.String(), Reasons: res.reasons}
	if k.t == store.ResourceWorkspace {
		re.Name = x.workspaces[k.id].name
	} else {
		f := x.folders[k.id]
		re.Name, re.WorkspaceID = f.name, f.ws
	}
	return re
}

// Reacher is one user who can reach a resource.
type Reacher struct {
	UserID string `json:"user_id"`
	// UserName is the user's userName.
	UserName string   `json:"user_name,omitempty"`
	Role     string   `json:"role"`
	Reasons  []Reason `json:"reasons"`
}

// ResourceAccess lists everyone who can reach a workspace or folder, with
// roles and the grants, memberships (and their origins) and organization
// roles behind them, ordered by user id after the one given.
func (r *Resolver) ResourceAccess(ctx context.Context, orgID string, rt store.ResourceType, resourceID, after string, limit int) (out []Reacher, more bool, err error) {
	err = r.read(ctx, orgID, func(x *index) error {
		k := resKey{rt, resourceID}
		if err := x.need(k); err != nil {
			return err
		}
		// The candidates are the members of every group granted here,
		// the direct members and the owners and admins: for a resource
		// granted to a large group, most of the organization. A page
		// needs only the first of them in id order, so each round keeps
		// the smallest n ids past the cursor (one pass over the sets,
		// no copy of them) and resolves those; n doubles when deactivated
		// users thin a round out, so even a page past many of them costs
		// a few passes.
		var sets []map[string]struct{}
		var memberSets []map[string][]memberRow
		add := func(k resKey) {
			e := x.on(k)
			if e == nil {
				return
			}
			for g := range e.grants {
				sets = append(sets, x.groups[g])
			}
			memberSets = append(memberSets, e.members)
		}
		add(k)
		if rt == store.ResourceFolder {
			if f := x.folders[resourceID]; f.access == store.TeamAccessWorkspace {
				add(resKey{store.ResourceWorkspace, f.ws})
			}
		}
		out = out[:0]
		cursor := after
		for n := 2 * (limit + 1); ; n *= 2 {
			var low smallest
			low.reset(n, cursor)
			for _, set := range sets {
				for u := range set {
					low.offer(u)
				}
			}
			for _, set := range memberSets {
				for u := range set {
					low.offer(u)
				}
			}
			for u := range x.orgRoles {
				low.offer(u)
			}
			ids := low.sorted()
			for _, u := range ids {
				res := x.resolve(u, k, true)
				if res.level == LevelNone {
					continue
				}
				if len(out) == limit {
					more = true
					return nil
				}
				out = append(out, Reacher{UserID: u, UserName: x.userNames[u], Role: res.level.String(), Reasons: res.reasons})
			}
			if len(ids) < n {
				return nil
			}
			cursor = ids[len(ids)-1]
		}
	})
	return out, more, err
}

// smallest keeps the n smallest distinct ids greater than a cursor among
// those offered: a max-heap of them, so an id that cannot be among them
// costs one comparison.
type smallest struct {
	n     int
	after string
	heap  []string
	in    map[string]struct{}
}

func (s *smallest) reset(n int, after string) {
	s.n, s.after, s.heap, s.in = n, after, s.heap[:0], make(map[string]struct{}, n)
}

func (s *smallest) offer(id string) {
	if id <= s.after || len(s.heap) == s.n && id >= s.heap[0] {
		return
	}
	if _, dup := s.in[id]; dup {
		return
	}
	if len(s.heap) == s.n {
		delete(s.in, s.heap[0])
		s.heap[0] = id
		s.down(0)
	} else {
		s.heap = append(s.heap, id)
		s.up(len(s.heap) - 1)
	}
	s.in[id] = struct{}{}
}

func (s *smallest) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if s.heap[p] >= s.heap[i] {
			return
		}
		s.heap[p], s.heap[i] = s.heap[i], s.heap[p]
		i = p
	}
}

func (s *smallest) down(i int) {
	for {
		big, l, r := i, 2*i+1, 2*i+2
		if l < len(s.heap) && s.heap[l] > s.heap[big] {
			big = l
		}
		if r < len(s.heap) && s.heap[r] > s.heap[big] {
			big = r
		}
		if big == i {
			return
		}
		s.heap[i], s.heap[big] = s.heap[big], s.heap[i]
		i = big
	}
}

// sorted returns the ids kept, in order.
func (s *smallest) sorted() []string {
	out := slices.Clone(s.heap)
	slices.Sort(out)
	return out
}

// CanCreateWorkspace reports whether a user may create a workspace: owners
// and admins always, members when the organization's setting
// allow_members_create_workspaces is on. The message says why not.
func (r *Resolver) CanCreateWorkspace(ctx context.Context, orgID, userID string) (ok bool, why string, err error) {
	err = r.read(ctx, orgID, func(x *index) error {
		u := x.users[userID]
		switch {
		case u == nil:
			return missError{"user", userID}
		case !u.active:
			why = "user " + userID + " is deactivated"
		case u.orgRole != "":
			ok = true
		case x.org.Settings.AllowMembersCreateWorkspaces:
			ok = true
		default:
			why = "only owners and admins may create workspaces in this organization: its setting allow_members_create_workspaces is off"
		}
		return nil
	})
	return ok, why, err
}

// OrgRole returns the user's organization role (owner or admin), "" for a
// member, a deactivated user or one the organization does not have: only
// an active owner or admin may run the organization's console.
func (r *Resolver) OrgRole(ctx context.Context, orgID, userID string) (store.OrgRole, error) {
	var role store.OrgRole
	err := r.read(ctx, orgID, func(x *index) error {
		if u := x.users[userID]; u != nil && u.active {
			role = u.orgRole
		}
		return nil
	})
	return role, err
}

// Org returns the organization as the index knows it.
func (r *Resolver) Org(ctx context.Context, orgID string) (store.Org, error) {
	var o store.Org
	err := r.read(ctx, orgID, func(x *index) error {
		o = x.org
		return nil
	})
	return o, err
}
