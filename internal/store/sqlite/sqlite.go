// Package sqlite opens roster's embedded store: SQLite through a pure-Go
// driver (modernc.org/sqlite), so roster builds with CGO_ENABLED=0.
//
// The database runs in WAL mode: readers never block the writer and the
// writer never blocks readers. SQLite allows one writer at a time, so writes
// go through a pool of exactly one connection whose transactions begin
// IMMEDIATE: writers queue in Go instead of failing with SQLITE_BUSY, and
// another process (the roster CLI next to a running server) waits up to
// the busy timeout.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// timeFormat has a fixed number of fraction digits, so stored times sort
// as text in time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// Dialect is SQLite's SQL.
var Dialect = sqlstore.Dialect{
	Name: "sqlite",
	Time: func(t time.Time) any { return t.UTC().Format(timeFormat) },
	IsUnique: func(err error) bool {
		return code(err) == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code(err) == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	IsForeignKey: func(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY },
	IsRetryable: func(err error) bool {
		c := code(err) & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	},
	Contains:    func(col, p string) string { return fmt.Sprintf("instr(%s, %s) > 0", col, p) },
	GroupCommit: true,
	// The primary key of a WITHOUT ROWID table is the index SQLite names
	// sqlite_autoindex_<table>_1.
	ValuesByUser: " INDEXED BY sqlite_autoindex_user_values_1",
	EndsWith:     func(col, p string) string { return fmt.Sprintf("substr(%s, -length(%s)) = %s", col, p, p) },
}

func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// Options tune the SQLite store.
type Options struct {
	// Readers is the size of the read pool; 4 when zero.
	Readers int
	// Synchronous is the PRAGMA synchronous level: "NORMAL" (the default:
	// durable across a crash of roster, the last commits may be lost on
	// power failure) or "FULL".
	Synchronous string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CheckpointInterval is how often the background checkpointer runs;
	// 500 ms when zero.
	CheckpointInterval time.Duration
	// StatsInterval is how often the background loop asks SQLite whether
	// the planner statistics need refreshing (see refreshStats); 10 s when
	// zero.
	StatsInterval time.Duration
}

// DSN returns the driver connection string for a database file.
func DSN(path, synchronous string, write bool) string {
	if synchronous == "" {
		synchronous = "NORMAL"
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	// Savepoint journals and sorts stay in memory instead of temp files.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-16384)") // 16 MiB per connection
	// No memory-mapped reads: each connection maps the file on its own, so
	// RSS counted the pages it touched once per connection (2.4 GB at a
	// million users with 1 GiB maps, 186 MB without), while lookups ran at
	// the same rate with and without (5,000/s either way, see
	// docs/operations.md). Pages come from the kernel's page cache through
	// read calls, into each connection's own 16 MiB cache.
	q.Add("_pragma", "mmap_size(0)")
	if write {
		q.Set("_txlock", "immediate")
		// Checkpoints run in the background (see Open), so no commit waits
		// for a checkpoint's fsync.
		q.Add("_pragma", "wal_autocheckpoint(0)")
		// After a checkpoint the WAL file is cut back to this size.
		q.Add("_pragma", "journal_size_limit(67108864)")
	}
	return "file:" + URIPath(path) + "?" + q.Encode()
}

// URIPath escapes what a SQLite URI filename would otherwise end at or
// decode: a data directory named "team#1" or "a?b" must open that
// directory, not "team" (SQLite decodes %XX in URI paths).
func URIPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Open opens (creating if needed) the SQLite database at path and applies
// pending migrations.
func Open(ctx context.Context, path string, o Options) (*sqlstore.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data directory %s: %w", dir, err)
		}
	}
	w, err := sql.Open("sqlite", DSN(path, o.Synchronous, true))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	if _, err := sqlstore.Migrate(ctx, w, Dialect); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	readers := o.Readers
	if readers <= 0 {
		readers = 4
	}
	r, err := sql.Open("sqlite", DSN(path, o.Synchronous, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	// Planner statistics: without them SQLite may scan a whole
	// organization in id order instead of using the index a filter names.
	// This analyzes what needs it now; the maintenance loop keeps them
	// current as the directory grows. A failure (another process holds the
	// write lock) leaves it to the loop.
	refreshStats(ctx, w)
	interval := o.CheckpointInterval
	if interval <= 0 {
		interval = checkpointInterval
	}
	statsEvery := o.StatsInterval
	if statsEvery <= 0 {
		statsEvery = statsInterval
	}
	k := &walKeeper{}
	stop := checkpointer(k, r, w, interval, statsEvery)
	return sqlstore.New(Dialect, sqlstore.Options{Writer: w, Reader: r, Now: o.Now, OnClose: stop,
		BetweenBatches: func() { k.betweenBatches(w) }}), nil
}

// checkpointInterval is how often, by default, the background
// checkpointer copies the WAL into the database file.
const checkpointInterval = 500 * time.Millisecond

// restartFrames is the WAL length, in frames (about 4 KiB each), from
// which the WAL is restarted from its beginning.
const restartFrames = 4096

// statsInterval is how often, by default, the maintenance loop checks
// whether the planner statistics still describe the directory. The check
// costs a few microseconds when they do.
const statsInterval = 10 * time.Second

// walKeeper keeps the WAL short.
//
// PASSIVE checkpoints, run in the background on a reader connection, copy
// committed pages into the database file and block nobody. But they alone
// let the WAL grow without bound under a steady stream of writes: SQLite
// starts the WAL over only when a checkpoint has caught up with the last
// commit and no reader still uses an older snapshot, which a busy server
// never offers on its own. Measured: 3.4 GB of WAL after 60,000 user
// creates, every commit extending the file, and a third of the write time
// spent in those writes. A RESTART checkpoint forces the start-over, but
// run from another connection it starves: it waits for the writer lock,
// which the group committer takes again as soon as it lets go. So the
// checkpointer only asks for it, and the committer runs it between
// batches, on the writer connection (Options.BetweenBatches): it waits
// only for readers on old snapshots, and copies the few frames committed
// since the last PASSIVE checkpoint.
type walKeeper struct {
	restart atomic.Bool
}

// passive runs a PASSIVE checkpoint on db and asks for a restart when the
// WAL has grown past restartFrames.
func (k *walKeeper) passive(db *sql.DB) error {
	var busy, frames, copied int
	if err := db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if frames >= restartFrames {
		k.restart.Store(true)
	}
	return nil
}

// betweenBatches restarts the WAL if asked; it runs on the committer
// goroutine with no transaction open.
func (k *walKeeper) betweenBatches(w *sql.DB) {
	if k.restart.Swap(false) {
		// A failure (busy readers) leaves the WAL as it is; the next
		// PASSIVE checkpoint asks again.
		w.Exec("PRAGMA wal_checkpoint(RESTART)")
	}
}

// checkpointer is the background maintenance loop, which returns a function
// that stops it: a checkpoint every interval (see walKeeper), and planner
// statistics refreshed every statsEvery on the writer (see refreshStats).
func checkpointer(k *walKeeper, db, w *sql.DB, interval, statsEvery time.Duration) func() {
	last := time.Now()
	return sqlstore.Every(interval, func() {
		// A failure (e.g. the database is busy) is retried next time.
		k.passive(db)
		if time.Since(last) >= statsEvery {
			refreshStats(context.Background(), w)
			last = time.Now()
		}
	})
}

// refreshStats refreshes the planner statistics where they no longer
// describe the tables, and makes every connection plan with the new ones.
//
// PRAGMA optimize analyzes a table that was never analyzed or whose size
// changed tenfold since, reading a bounded sample, so it costs little at
// any size. But a connection reads the statistics only when it loads the
// schema: a reader that opened on an empty directory kept planning for an
// empty directory while 20,000 users were imported (a sort took 24 s,
// 0.08 s after a restart), and its prepared statements kept their plans.
// So when the statistics changed, the schema version is bumped in the
// same transaction: every connection reloads the schema, statistics
// included, before its next statement, and SQLite prepares its statements
// again. Bumping it under the write lock, only ever upward, is safe: the
// version only tells connections that their copy of the schema is old.
func refreshStats(ctx context.Context, w *sql.DB) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("refresh statistics: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	before, err := statsSignature(ctx, tx)
	if err != nil {
		return err
	}
	// 0x10000: every table, not only those this connection used lately.
	if _, err := tx.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		return fmt.Errorf("refresh statistics: %w", err)
	}
	after, err := statsSignature(ctx, tx)
	if err != nil {
		return err
	}
	if after != before {
		var v int64
		if err := tx.QueryRowContext(ctx, "PRAGMA schema_version").Scan(&v); err != nil {
			return fmt.Errorf("refresh statistics: %w", err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA schema_version = %d", v+1)); err != nil {
			return fmt.Errorf("refresh statistics: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("refresh statistics: %w", err)
	}
	return nil
}

// statsSignature returns the planner statistics as one string ("" before
// the first ANALYZE), to tell whether PRAGMA optimize changed them.
func statsSignature(ctx context.Context, tx *sql.Tx) (string, error) {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'").Scan(&n); err != nil {
		return "", fmt.Errorf("read statistics: %w", err)
	}
	if n == 0 {
		return "", nil
	}
	var sig string
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(group_concat(tbl || ' ' || COALESCE(idx, '') || ' ' || stat, ';'), '')
		FROM (SELECT * FROM sqlite_stat1 ORDER BY tbl, idx)`).Scan(&sig)
	if err != nil {
		return "", fmt.Errorf("read statistics: %w", err)
	}
	return sig, nil
}

// Verify checks, without writing to it, that the file at path is a whole
// SQLite database holding roster's schema: what a restore must know of a
// backup before it becomes a database that serves.
func Verify(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+URIPath(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check(1)`).Scan(&result); err != nil {
		return fmt.Errorf("read it as SQLite: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("integrity check failed: %s", result)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		return fmt.Errorf("it holds no roster schema")
	}
	return nil
}
