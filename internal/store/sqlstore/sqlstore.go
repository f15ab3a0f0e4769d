// Package sqlstore implements store.Store over database/sql for both SQLite
// and PostgreSQL. Most statements are one text for both engines ($N
// placeholders, RETURNING and ON CONFLICT work in both); what differs lives in
// a Dialect supplied by the engine package (store/sqlite, store/postgres).
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// Dialect is what differs between the engines.
type Dialect struct {
	// Name is "sqlite" or "postgres"; it picks the migrations folder.
	Name string
	// Time converts a time to the value stored for it.
	Time func(time.Time) any
	// IsUnique reports a unique-constraint violation.
	IsUnique func(error) bool
	// IsForeignKey reports a foreign-key violation.
	IsForeignKey func(error) bool
	// IsRetryable reports an error after which the whole transaction may be
	// run again (deadlock, serialization failure, busy database).
	IsRetryable func(error) bool
	// Contains and EndsWith return SQL that is true when column col contains
	// or ends with the string bound to placeholder p, comparing bytes.
	Contains func(col, p string) string
	EndsWith func(col, p string) string
	// LockMigrations, when set, is run on the migration connection before
	// migrating so concurrent start-ups of several instances take turns.
	LockMigrations string
	// UnlockMigrations undoes LockMigrations.
	UnlockMigrations string
	// ValuesByUser, when set, follows "user_values s" in the correlated
	// subquery that finds a user's sort key, to make the engine read it
	// through the primary key (org_id, user_id, …): one seek per user,
	// whatever the planner's statistics say. SQLite needs it: with
	// statistics from a smaller directory, or none, its planner reads the
	// key through the fold index instead, scanning every user's value for
	// each user (quadratic: 24 s for 20,000 users).
	ValuesByUser string
	// WritableCTE reports data-modifying WITH and unnest (PostgreSQL): a
	// group-commit batch then ends with one statement (see endBatch).
	WritableCTE bool
	// GroupCommit runs concurrent write transactions together in one
	// database transaction (see committer): one commit then serves many
	// writes. It suits engines where writers queue anyway: SQLite's single
	// writer, PostgreSQL's per-organization event counter.
	GroupCommit bool
	// Committers is how many group committers run at once (1 when 0).
	// SQLite has one writer, so one. On PostgreSQL a committer spends most
	// of a batch waiting on round trips and on its commit's WAL flush;
	// several overlap those waits, and batches of different organizations
	// run side by side instead of queueing behind each other. Batches of
	// one organization still number its events in commit order: each takes
	// the organization's counter row last and holds it to its commit.
	Committers int
	// NotifyRevoked, when set, runs in the transaction that revokes a token
	// or key, with its id as $1, to tell the other instances (see
	// Options.WatchRevoked).
	NotifyRevoked string
}

// DB is the SQL store.
type DB struct {
	w, r *pool
	d    Dialect
	now  func() time.Time

	// Group commit: writes queue here for the committers, one queue per
	// committer, an organization's writes always on the same one (see
	// queueFor).
	queues  []chan *job
	stop    chan struct{}
	stopped chan struct{}
	onClose func()
	between func()
	watch   func(ctx context.Context, fn func(tokenID string)) error
}

// Options configure a DB.
type Options struct {
	// Writer runs every transaction that writes. For SQLite it must have
	// one connection, so writers queue in Go instead of failing with
	// SQLITE_BUSY.
	Writer *sql.DB
	// Reader runs reads; it may be the same pool as Writer.
	Reader *sql.DB
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// OnClose, when set, runs first in Close; engines stop their background
	// work with it.
	OnClose func()
	// BetweenBatches, when set, runs on the group committer's goroutine
	// after each batch, with no transaction open: the writer connection is
	// free, and no write starts until it returns. SQLite restarts its WAL
	// there.
	BetweenBatches func()
	// WatchRevoked, when set, implements store.RevocationWatcher: it calls
	// fn with each revoked token id NotifyRevoked announced, "" after a gap.
	WatchRevoked func(ctx context.Context, fn func(tokenID string)) error
}

// New returns a store over the given pools. It does not migrate; call
// Migrate first.
func New(d Dialect, o Options) *DB {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	s := &DB{w: newPool(o.Writer), d: d, now: now, onClose: o.OnClose, between: o.BetweenBatches, watch: o.WatchRevoked}
	s.r = s.w
	if o.Reader != nil && o.Reader != o.Writer {
		s.r = newPool(o.Reader)
	}
	if d.GroupCommit {
		s.stop = make(chan struct{})
		s.stopped = make(chan struct{})
		n := max(d.Committers, 1)
		var wg sync.WaitGroup
		wg.Add(n)
		for range n {
			q := make(chan *job, 256)
			s.queues = append(s.queues, q)
			go func() {
				defer wg.Done()
				s.committer(q)
			}()
		}
		go func() {
			wg.Wait()
			close(s.stopped)
		}()
	}
	return s
}

var _ store.Store = (*DB)(nil)

// WatchRevocations implements store.RevocationWatcher.
func (s *DB) WatchRevocations(ctx context.Context, fn func(tokenID string)) (bool, error) {
	if s.watch == nil {
		return false, nil
	}
	if err := s.watch(ctx, fn); err != nil {
		return false, fmt.Errorf("watch revocations: %w", err)
	}
	return true, nil
}

// Ping checks both pools.
func (s *DB) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("ping database: %w", err)
		}
	}
	return nil
}

// Close stops background work and closes both pools.
func (s *DB) Close() error {
	if s.onClose != nil {
		s.onClose()
	}
	if s.stop != nil {
		close(s.stop)
		<-s.stopped
	}
	s.w.closeStmts()
	if s.r != s.w {
		s.r.closeStmts()
	}
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Every runs fn every interval on a goroutine of its own, until the
// returned function is called; it returns once fn has finished. The
// engines run their background maintenance with it.
func Every(interval time.Duration, fn func()) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn()
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// Writer returns the pool that writes; tests and metrics use it.
func (s *DB) Writer() *sql.DB { return s.w.DB }

// Reader returns the pool that reads.
func (s *DB) Reader() *sql.DB { return s.r.DB }

// clock returns the current time as stored: UTC, microsecond precision
// (PostgreSQL keeps microseconds, so both engines round-trip alike).
func (s *DB) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// t converts a time for binding.
func (s *DB) t(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.Time(t.UTC().Truncate(time.Microsecond))
}

// event is an event collected during a write transaction.
type event struct {
	typ, subjectType, subjectID string
	data                        any
}

// tx is a write transaction that collects the events of its change.
type tx struct {
	*sql.Tx
	s      *DB
	now    time.Time
	events []event
	// counts is how many users and groups the transaction added to its
	// organization (negative: removed); appendStamped applies it to the
	// organization's row with the event counter.
	counts counts
	// rows, in an optimistic batch, holds the inserts its writes defer
	// (see rowBuffer); nil sends every statement at once.
	rows *rowBuffer
	// lazy, in an optimistic batch, begins the transaction at the first
	// statement; Tx is nil until then.
	lazy *lazyTx
}

// counts are changes to an organization's numbers of users and groups.
type counts struct{ users, groups int64 }

func (c counts) add(d counts) counts { return counts{c.users + d.users, c.groups + d.groups} }

// changed reports whether fn's transaction has anything to record on the
// organization's row: events to number, or counts to change.
func (t *tx) changed() bool { return len(t.events) > 0 || t.counts != (counts{}) }

func (t *tx) emit(typ, subjectType, subjectID string, data any) {
	t.events = append(t.events, event{typ, subjectType, subjectID, data})
}

// write runs fn in a write transaction for one organization and appends the
// events fn emitted before committing. The organization's event counter is
// bumped last, so its row lock is held only for the end of the transaction
// and always taken after every other lock (no lock-order deadlocks).
func (s *DB) write(ctx context.Context, actor store.Actor, orgID string, fn func(*tx) error) error {
	if s.queues != nil {
		return s.groupWrite(ctx, actor, orgID, fn)
	}
	defer s.w.prepareWanted(context.WithoutCancel(ctx))
	const attempts = 4
	var err error
	for i := 0; i < attempts; i++ {
		err = s.writeOnce(ctx, actor, orgID, fn)
		if err == nil || !s.d.IsRetryable(err) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
	}
	return err
}

func (s *DB) writeOnce(ctx context.Context, actor store.Actor, orgID string, fn func(*tx) error) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{Tx: sqlTx, s: s, now: s.clock()}
	defer sqlTx.Rollback() //nolint:errcheck // no-op after Commit
	if err := fn(t); err != nil {
		return err
	}
	if t.changed() {
		if err := t.appendEvents(ctx, actor, orgID); err != nil {
			return err
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (t *tx) appendEvents(ctx context.Context, actor store.Actor, orgID string) error {
	evs := make([]stamped, len(t.events))
	for i, e := range t.events {
		evs[i] = stamped{event: e, actor: actor, orgID: orgID}
	}
	return appendStamped(ctx, t, evs, map[string]counts{orgID: t.counts})
}

// stamped is an event with the write it came from.
type stamped struct {
	event
	actor store.Actor
	orgID string
}

// appendStamped numbers and stores events, in order within each
// organization, and applies the organizations' count changes: one update
// of each organization's row, then the rows in multi-row statements. The
// row is updated last in the transaction, so its lock is held only for the
// end of it and always taken after every other lock: the counts, like the
// event numbers, cost no deadlock and no longer hold on the row.
func appendStamped(ctx context.Context, t *tx, evs []stamped, deltas map[string]counts) error {
	// Organizations in the order of their first event, then those that
	// only changed counts.
	var orgs []string
	mine := map[string][]stamped{}
	for _, e := range evs {
		if _, ok := mine[e.orgID]; !ok {
			orgs = append(orgs, e.orgID)
		}
		mine[e.orgID] = append(mine[e.orgID], e)
	}
	var countOnly []string
	for orgID, d := range deltas {
		if _, ok := mine[orgID]; !ok && d != (counts{}) {
			countOnly = append(countOnly, orgID)
		}
	}
	slices.Sort(countOnly)
	for _, orgID := range append(orgs, countOnly...) {
		es, d := mine[orgID], deltas[orgID]
		var last int64
		err := t.QueryRowContext(ctx,
			`UPDATE orgs SET event_seq = event_seq + $2, user_count = user_count + $3, group_count = group_count + $4
			WHERE id = $1 RETURNING event_seq`,
			orgID, len(es), d.users, d.groups).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("organization %s: %w", orgID, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("number events: %w", err)
		}
		if len(es) > 0 {
			if err := t.insertEvents(ctx, orgID, last-int64(len(es))+1, es); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertEvents stores events numbered from first. Statements carry at most
// eventsPerStmt rows, so the texts the statement cache sees stay few.
func (t *tx) insertEvents(ctx context.Context, orgID string, first int64, evs []stamped) error {
	const eventsPerStmt = 16
	const cols = 8
	for len(evs) > 0 {
		n := min(len(evs), eventsPerStmt)
		var b strings.Builder
		b.WriteString(`INSERT INTO events (org_id, seq, type, actor_kind, actor_id, actor_name, subject_type, subject_id, data, created_at) VALUES `)
		args := make([]any, 0, 2+n*cols)
		args = append(args, orgID, t.s.t(t.now))
		for i, e := range evs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&b, "($1, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $2)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8)
			var data any
			if e.data != nil {
				j, err := json.Marshal(e.data)
				if err != nil {
					return fmt.Errorf("encode event %s: %w", e.typ, err)
				}
				data = string(j)
			}
			args = append(args, first+int64(i), e.typ, e.actor.Kind, e.actor.ID, e.actor.Name, e.subjectType, e.subjectID, data)
		}
		if _, err := t.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("append events: %w", err)
		}
		first += int64(n)
		evs = evs[n:]
	}
	return nil
}

// Migrations returns the embedded migrations of the dialect.
func (d Dialect) migrations() (fs.FS, error) {
	return fs.Sub(migrationFS, "migrations/"+d.Name)
}

// ListEvents returns events of an organization after a sequence number.
func (s *DB) ListEvents(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, type, actor_kind, actor_id, actor_name,
		subject_type, subject_id, data, created_at
		FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, orgID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list events of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		e := store.Event{OrgID: orgID}
		var data sql.NullString
		if err := rows.Scan(&e.Seq, &e.Type, &e.Actor.Kind, &e.Actor.ID, &e.Actor.Name,
			&e.SubjectType, &e.SubjectID, &data, &e.At); err != nil {
			return nil, fmt.Errorf("list events of %s: %w", orgID, err)
		}
		if data.Valid {
			e.Data = json.RawMessage(data.String)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events of %s: %w", orgID, err)
	}
	return out, nil
}

// nullStr maps "" to NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
