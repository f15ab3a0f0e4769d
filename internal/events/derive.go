package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// DeriveStore is what the Deriver needs of the store.
type DeriveStore interface {
	store.EventStore
	store.AccessDeriveStore
}

// TypeAccessChanged is the type of the derived events: the user named may
// have a different effective access since the event numbered cause_seq.
const TypeAccessChanged = "access.changed"

// Deriver appends an access.changed event for each user whose effective
// access a change may have changed, after the change commits. It reads
// the event log from a cursor the store keeps per organization, so the
// request that made the change never waits for it: a grant to a group of
// 100,000 members commits at once, and its 100,000 access.changed follow
// in batches.
//
// Each batch of events is appended in the transaction that moves the
// cursor, on the condition that the cursor is where the deriver read it:
// a user is named once per cause, across restarts and kill -9, and
// several deriving instances (on PostgreSQL, leased apart like the
// webhook dispatcher) never append the same batch twice.
//
// The users are read when the deriver gets to the event, not as they were
// when it was written; no one is missed, because every later change of
// the sets read (a member removed, a grant deleted) is an event of its own
// that names its users in turn, and the members of a deleted group are
// kept by the store until its deletion is derived.
type Deriver struct {
	Store DeriveStore
	// Owner names this deriver in leases; see Dispatcher.Owner.
	Owner string
	// Now is the clock of leases; time.Now when nil.
	Now func() time.Time
	// PollInterval is how often the store is asked for organizations with
	// events to derive; 200 ms when zero.
	PollInterval time.Duration
	// Lease is how long an organization stays claimed; 30 s when zero.
	Lease time.Duration
	// Batch is how many access.changed events one transaction appends;
	// 500 when zero.
	Batch int
	// Slice is how long one organization is served before the next, so a
	// 100,000-user cause delays no other organization for long; 1 s when
	// zero. Its cursor keeps its place meanwhile.
	Slice time.Duration
	// Logger receives failures; slog.Default when nil.
	Logger *slog.Logger
}

func (d *Deriver) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deriver) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.Default()
}

func (d *Deriver) batch() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return 500
}

// Run derives until ctx ends.
func (d *Deriver) Run(ctx context.Context) error {
	poll := d.PollInterval
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		busy, err := d.Derive(ctx)
		if err != nil && ctx.Err() == nil {
			d.log().ErrorContext(ctx, "access.changed derivation failed; retrying", "err", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Derive claims the organizations with events to derive and serves each
// for a time slice; it reports whether work is left that could not wait for
// the next poll: an organization whose slice ended before its events did.
// One that was caught up waits for the poll even if events arrived since:
// during an initial sync a deriver that went straight back to it would
// claim and move its cursor after every commit, a write each time through
// the organization's committer, which then could not batch the sync's
// creates into one statement.
func (d *Deriver) Derive(ctx context.Context) (bool, error) {
	lease := d.Lease
	if lease == 0 {
		lease = 30 * time.Second
	}
	now := d.now()
	claims, err := d.Store.ClaimAccessDerivations(ctx, d.Owner, now, now.Add(lease), 64)
	if err != nil {
		return false, err
	}
	slice := d.Slice
	if slice == 0 {
		slice = time.Second
	}
	var errs []error
	start := time.Now()
	busy := false
	for i, c := range claims {
		if i > 0 && time.Since(start) > lease/2 {
			// The leases left would run out before their turn; the next
			// claim renews them.
			busy = true
			break
		}
		more, err := d.deriveOrg(ctx, c.Cursor, time.Now().Add(slice))
		if err != nil && !errors.Is(err, errMoved) {
			errs = append(errs, err)
		}
		busy = busy || more
	}
	return busy, errors.Join(errs...)
}

// deriveOrg reads the organization's events after cur until deadline and
// appends what they cause; more reports that the deadline came first.
func (d *Deriver) deriveOrg(ctx context.Context, cur store.AccessCursor, deadline time.Time) (more bool, err error) {
	org := cur.OrgID
	// At least one round, however short the slice: every turn moves on.
	for first := true; first || time.Now().Before(deadline) && ctx.Err() == nil; first = false {
		base := cur.Seq
		if cur.After != "" {
			base = cur.Seq - 1 // the cause being derived comes first
		}
		evs, err := d.Store.ListEvents(ctx, org, base, 256)
		if err != nil {
			return false, fmt.Errorf("derive access of %s: %w", org, err)
		}
		if len(evs) == 0 {
			if cur.After != "" {
				// The cause was purged by retention midway: nothing is left
				// to read it by.
				return false, d.record(ctx, &cur, store.AccessCursor{OrgID: org, Seq: cur.Seq}, nil, "")
			}
			return false, nil
		}
		skipTo := cur
		caused := false
		for _, ev := range evs {
			a, purge, ok := audience(ev)
			if !ok {
				skipTo = store.AccessCursor{OrgID: org, Seq: ev.Seq}
				continue
			}
			if skipTo != cur {
				if err := d.record(ctx, &cur, skipTo, nil, ""); err != nil {
					return false, err
				}
			}
			done, err := d.cause(ctx, &cur, ev, a, purge, deadline)
			if err != nil || !done {
				return err == nil, err
			}
			skipTo, caused = cur, true
		}
		if skipTo != cur {
			if err := d.record(ctx, &cur, skipTo, nil, ""); err != nil {
				return false, err
			}
		}
		if !caused && len(evs) < 256 {
			// Caught up. (A cause appended access.changed events after
			// these: the next round reads past them.)
			return false, nil
		}
	}
	return true, nil
}

// cause appends the access.changed of one event, a batch a transaction,
// resuming after the users cur says are done. It reports whether the
// event is done (false when the deadline came first).
func (d *Deriver) cause(ctx context.Context, cur *store.AccessCursor, ev store.Event, a store.AccessAudience, purge string, deadline time.Time) (bool, error) {
	n := d.batch()
	for {
		after := ""
		if cur.Seq == ev.Seq {
			after = cur.After
		}
		users, err := d.Store.AccessAudienceUsers(ctx, ev.OrgID, a, after, n)
		if err != nil {
			return false, fmt.Errorf("derive access of %s from event %d: %w", ev.OrgID, ev.Seq, err)
		}
		next := store.AccessCursor{OrgID: ev.OrgID, Seq: ev.Seq}
		done := len(users) < n
		p := ""
		if done {
			p = purge
		} else {
			next.After = users[len(users)-1]
		}
		changes := make([]store.AccessChange, len(users))
		for i, u := range users {
			changes[i] = store.AccessChange{UserID: u, CauseSeq: ev.Seq, CauseType: ev.Type}
		}
		if err := d.record(ctx, cur, next, changes, p); err != nil {
			return false, err
		}
		if done {
			return true, nil
		}
		if !time.Now().Before(deadline) || ctx.Err() != nil {
			return false, nil
		}
	}
}

// errMoved stops the derivation of an organization whose cursor another
// deriver moved; the next claim reads it afresh.
var errMoved = errors.New("the access cursor moved on")

func (d *Deriver) record(ctx context.Context, cur *store.AccessCursor, to store.AccessCursor, changes []store.AccessChange, purge string) error {
	err := d.Store.RecordAccessDerivation(ctx, *cur, to, changes, purge)
	if errors.Is(err, store.ErrVersionMismatch) {
		d.log().DebugContext(ctx, "access cursor moved by another deriver", "org", cur.OrgID, "err", err)
		return errMoved
	}
	if err != nil {
		return err
	}
	*cur = to
	return nil
}

// audience says whose access ev may have changed, and which deleted
// group's kept members to forget once it is derived; ok is false for the
// events that change no one's access.
func audience(ev store.Event) (a store.AccessAudience, purge string, ok bool) {
	var data struct {
		Users          []string          `json:"users"`
		UserID         string            `json:"user_id"`
		GroupID        string            `json:"group_id"`
		WorkspaceID    string            `json:"workspace_id"`
		FromTeamAccess *store.TeamAccess `json:"from_team_access"`
		From           *store.Settings   `json:"from"`
		To             *store.Settings   `json:"to"`
	}
	if len(ev.Data) > 0 {
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			// Every event roster writes decodes; one that does not names
			// no one this function could find.
			return a, "", false
		}
	}
	switch ev.Type {
	case "group.members_added", "group.members_removed":
		a.Users = data.Users
	case "grant.created", "grant.updated", "grant.deleted":
		a.Groups = []string{data.GroupID}
	case "folder.updated":
		if data.FromTeamAccess == nil {
			return a, "", false // a rename
		}
		a.Resources = []store.ResourceRef{{Type: store.ResourceWorkspace, ID: data.WorkspaceID}, {Type: store.ResourceFolder, ID: ev.SubjectID}}
	case "user.deactivated", "user.reactivated", "user.deleted":
		a.Users = []string{ev.SubjectID}
	case "group.deleted":
		a.DeletedGroup = ev.SubjectID
		return a, ev.SubjectID, true
	case "member.added", "member.removed", "member.role_changed", "member.origin_removed", "org.role_set", "org.role_removed":
		a.Users = []string{data.UserID}
	case "org.settings_changed":
		if data.From == nil || data.To == nil || data.From.GroupRemoval == data.To.GroupRemoval {
			return a, "", false
		}
		a.Joined = true
	default:
		return a, "", false
	}
	return a, "", true
}
