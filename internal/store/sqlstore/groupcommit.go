package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// job is one write waiting for the group committer.
type job struct {
	ctx   context.Context
	actor store.Actor
	orgID string
	fn    func(*tx) error
	done  chan error
}

// maxBatch bounds how many writes share one commit, so one batch cannot
// hold the writer, and its latency, for long.
const maxBatch = 64

var errClosed = errors.New("store is closed")

// groupWrite hands a write to the committer and waits for its outcome.
func (s *DB) groupWrite(ctx context.Context, actor store.Actor, orgID string, fn func(*tx) error) error {
	j := &job{ctx: ctx, actor: actor, orgID: orgID, fn: fn, done: make(chan error, 1)}
	select {
	case s.queueFor(orgID) <- j:
	case <-s.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write runs to its end, even if ctx ends meanwhile:
	// waiting for the outcome keeps "returned error" and "applied" equal.
	return <-j.done
}

// queueFor returns the queue of the committer that runs an
// organization's writes. Each write numbers its organization's events by
// updating the organization's row, which it holds until commit: two
// committers writing for one organization would take turns on that row,
// each with a small batch, while one committer puts all of the
// organization's concurrent writes in one batch and one counter update.
// Organizations hashed to different committers commit in parallel, so one
// organization's initial sync does not queue another's writes behind it.
func (s *DB) queueFor(orgID string) chan *job {
	if len(s.queues) == 1 {
		return s.queues[0]
	}
	h := fnv.New32a()
	h.Write([]byte(orgID))
	return s.queues[h.Sum32()%uint32(len(s.queues))]
}

// committer runs queued writes in batches of one transaction each (see
// tryBatch and tryIsolated): a write that fails is rolled back alone and
// the others commit together. Statements run with a context of their own,
// never a caller's, because interrupting SQLite mid-statement can roll back
// the whole transaction, and with it other callers' writes.
func (s *DB) committer(queue chan *job) {
	for {
		var first *job
		select {
		case first = <-queue:
		case <-s.stop:
			for {
				select {
				case j := <-queue:
					j.done <- errClosed
				default:
					return
				}
			}
		}
		batch := []*job{first}
	fill:
		for len(batch) < maxBatch {
			select {
			case j := <-queue:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.runBatch(batch)
		s.w.prepareWanted(context.Background())
		if s.between != nil {
			s.between()
		}
	}
}

func (s *DB) runBatch(batch []*job) {
	var live []*job
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	results := make([]error, len(live))
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		err = s.tryBatch(live, results)
		if err == errWriteFailed {
			err = s.tryIsolated(live, results)
		}
		if err == nil || !s.d.IsRetryable(err) {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	for i, j := range live {
		if err != nil && results[i] == nil {
			results[i] = err
		}
		j.done <- results[i]
	}
}

// errWriteFailed tells runBatch that a write of an optimistic batch failed
// and the batch must run again with each write isolated.
var errWriteFailed = errors.New("a write of the batch failed")

// tryBatch runs the batch optimistically: one transaction with no
// savepoints, the writes' deferred rows sent together (rowBuffer), and
// each organization's events numbered with one counter update at the end.
// Writes almost never fail (a failure is a 4xx the caller sees), and
// savepoints are not free: SQLite copies every page a savepoint first
// touches into its journal, which cost about a tenth of a user create. So a failed write rolls the whole batch back
// (errWriteFailed), and tryIsolated runs it again. A batch of one needs no
// isolation when its write fails by itself: that error is the result.
func (s *DB) tryBatch(batch []*job, results []error) error {
	ctx := context.Background()
	clear(results)
	now := s.clock()
	lt := &lazyTx{w: s.w}
	defer lt.rollback()
	rows := &rowBuffer{}
	// failed decides what a failure means for the batch: own says that a
	// write failed by itself. A batch of one has that write's result; a
	// failure of deferred rows, which the end sends, is named only when
	// the writes run isolated.
	failed := func(err error, own bool) error {
		switch {
		case lt.err != nil:
			return fmt.Errorf("begin: %w", lt.err)
		case s.d.IsRetryable(err):
			return err
		case own && len(batch) == 1 && rows.err == nil:
			results[0] = err
			return nil
		}
		return errWriteFailed
	}
	var pending []stamped
	deltas := map[string]counts{}
	for _, j := range batch {
		t := &tx{s: s, now: now, rows: rows, lazy: lt}
		if err := j.fn(t); err != nil {
			return failed(err, true)
		}
		for _, e := range t.events {
			pending = append(pending, stamped{event: e, actor: j.actor, orgID: j.orgID})
		}
		deltas[j.orgID] = deltas[j.orgID].add(t.counts)
	}
	end := &tx{s: s, now: now, rows: rows, lazy: lt}
	committed, err := end.endBatch(ctx, pending, deltas)
	if err != nil {
		return failed(err, false)
	}
	if committed || lt.tx == nil {
		return nil // the end statement was the transaction, or nothing was written
	}
	if err := lt.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// beginBatch starts a batch's transaction, with the time its writes
// record, and clears the results of an earlier attempt.
func (s *DB) beginBatch(ctx context.Context, results []error) (*sql.Tx, time.Time, error) {
	clear(results)
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("begin: %w", err)
	}
	return sqlTx, s.clock(), nil
}

// tryIsolated runs the batch in one transaction, one savepoint per write: a
// write that fails is rolled back to its savepoint alone and the others
// commit together. Each write's own error goes to results; the return is the
// error of the transaction itself.
func (s *DB) tryIsolated(batch []*job, results []error) error {
	ctx := context.Background()
	sqlTx, now, err := s.beginBatch(ctx, results)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback() //nolint:errcheck // no-op after Commit
	for i, j := range batch {
		t := &tx{Tx: sqlTx, s: s, now: now}
		if _, err := t.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		werr := j.fn(t)
		if werr == nil && t.changed() {
			werr = t.appendEvents(ctx, j.actor, j.orgID)
		}
		if werr != nil {
			if s.d.IsRetryable(werr) {
				return werr
			}
			if _, err := t.ExecContext(ctx, "ROLLBACK TO w"); err != nil {
				return fmt.Errorf("roll back to savepoint: %w", err)
			}
			results[i] = werr
		}
		if _, err := t.ExecContext(ctx, "RELEASE w"); err != nil {
			return fmt.Errorf("release savepoint: %w", err)
		}
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
