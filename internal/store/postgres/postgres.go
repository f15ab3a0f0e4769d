// Package postgres opens roster's PostgreSQL store, for several roster
// instances behind a load balancer. It uses pgx through database/sql so
// that it shares its statements with the SQLite store.
//
// Writers rely on row locks and constraints, not on SERIALIZABLE: each write
// transaction takes its organization's event counter last, which orders
// events without gaps in commit order; deadlocks and serialization failures
// are retried. Within one instance, concurrent writes share transactions
// (group commit, see sqlstore.Dialect.GroupCommit).
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// Dialect is PostgreSQL's SQL.
var Dialect = sqlstore.Dialect{
	Name:         "postgres",
	Time:         func(t time.Time) any { return t.UTC() },
	IsUnique:     func(err error) bool { return pgCode(err) == "23505" },
	IsForeignKey: func(err error) bool { return pgCode(err) == "23503" },
	IsRetryable: func(err error) bool {
		c := pgCode(err)
		return c == "40001" || c == "40P01"
	},
	Contains: func(col, p string) string { return fmt.Sprintf("strpos(%s, %s::text) > 0", col, p) },
	EndsWith: func(col, p string) string {
		return fmt.Sprintf("right(%s, length(%s::text)) = %s::text", col, p, p)
	},
	// Each write holds its organization's event counter until commit, WAL
	// flush included, so one organization's writes commit one flush at a
	// time: running concurrent writes in one transaction makes one flush
	// serve them all.
	GroupCommit:   true,
	WritableCTE:   true,
	NotifyRevoked: notifyRevoked,
	// An arbitrary constant shared by every roster instance.
	LockMigrations:   "SELECT pg_advisory_lock(7265737465)",
	UnlockMigrations: "SELECT pg_advisory_unlock(7265737465)",
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Options tune the PostgreSQL store.
type Options struct {
	// MaxConns caps the connection pool; 20 when zero.
	MaxConns int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// AnalyzeInterval is how often roster looks for tables whose planner
	// statistics describe a near-empty table (see analyzer); 1 s when
	// zero. Other stale statistics are looked for every tenth time.
	AnalyzeInterval time.Duration
	// Committers is how many group-commit transactions run at once
	// (sqlstore.Dialect.Committers); DefaultCommitters when zero.
	Committers int
}

// DefaultCommitters overlaps four batches' round trips and WAL flushes
// (docs/benchmarks.md has what it measured).
const DefaultCommitters = 4

// Open connects to PostgreSQL at url (postgres://…) and applies pending
// migrations.
func Open(ctx context.Context, url string, o Options) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	n := o.MaxConns
	if n <= 0 {
		n = 20
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if _, err := sqlstore.Migrate(ctx, db, Dialect); err != nil {
		db.Close()
		return nil, err
	}
	interval := o.AnalyzeInterval
	if interval <= 0 {
		interval = time.Second
	}
	stop := analyzer(db, interval)
	d := Dialect
	d.Committers = o.Committers
	if d.Committers <= 0 {
		d.Committers = DefaultCommitters
	}
	return sqlstore.New(d, sqlstore.Options{Writer: db, Reader: db, Now: o.Now, OnClose: stop, WatchRevoked: watchRevoked(url)}), nil
}

// staleTables lists roster's tables changed by more than a tenth since
// their statistics were last gathered (at least 500 rows), or never
// analyzed and holding rows: autovacuum's own threshold. Unless $1 is true,
// only those whose statistics describe fewer than 1,000 rows.
const staleTables = `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables
	WHERE schemaname = current_schema()
	AND n_mod_since_analyze > GREATEST(500, 0.1 * GREATEST(n_live_tup, 0))
	AND ($1 OR n_live_tup - n_mod_since_analyze < 1000)`

// analyzer keeps planner statistics current, returning a function that
// stops it. Autovacuum does this, but it may be off (it is on some managed
// and test servers), and then a first import is pathological: the plans
// PostgreSQL caches for foreign-key checks are made while the tables are
// empty and stay as they are until statistics change. Measured with
// autovacuum off: the check of each user_values row walked every user of
// the organization through an index on (org_id, display_name_key), and
// user creates fell under 100/s by 20,000 users. ANALYZE invalidates those
// plans. With autovacuum on this mostly finds nothing to do.
//
// Near-empty tables are looked at every interval (a second): until their
// first statistics each check reads more of the organization, and looking
// every 10 s let the first 10 s of an initial sync slow down as the users
// table grew. The 10% rule runs every tenth interval: run every second it
// re-analyzed a growing table every two seconds, a tenth of the machine
// during a sync.
func analyzer(db *sql.DB, interval time.Duration) func() {
	n := 0
	return sqlstore.Every(interval, func() {
		n++
		// Failures are retried next time.
		analyzeStale(context.Background(), db, n%10 == 0)
	})
}

// analyzeStale runs ANALYZE on each table staleTables names; all says
// whether tables with statistics of 1,000 rows or more are included.
func analyzeStale(ctx context.Context, db *sql.DB, all bool) error {
	rows, err := db.QueryContext(ctx, staleTables, all)
	if err != nil {
		return fmt.Errorf("find stale statistics: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("find stale statistics: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		// t is quoted by quote_ident and comes from the catalog.
		if _, err := db.ExecContext(ctx, "ANALYZE "+t); err != nil {
			return fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return rows.Err()
}
