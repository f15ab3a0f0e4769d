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
	// time: running concurrent writes as savepoints of one transaction
	// makes one flush serve them all.
	GroupCommit: true,
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
}

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
	return sqlstore.New(Dialect, sqlstore.Options{Writer: db, Reader: db, Now: o.Now}), nil
}
