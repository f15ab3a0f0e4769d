package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/token"
)

// dbFlags are the flags every command that opens the database takes.
type dbFlags struct {
	database string
	dataDir  string
	env      *environment
}

// defaultDataDir is --data-dir's default, relative to the directory roster
// runs in.
const defaultDataDir = "roster-data"

func (d *dbFlags) register(f *flags) {
	d.env = f.env
	f.StringVar(&d.database, "database", "", `database: "sqlite:PATH" or "postgres://user@host:5432/db" (default: SQLite in --data-dir)`)
	f.StringVar(&d.dataDir, "data-dir", defaultDataDir, "directory of the embedded SQLite database, relative to the directory roster runs in")
}

// describe names the database for people.
func (d *dbFlags) describe() string {
	kind, target := d.target()
	if kind == "postgres" {
		return "PostgreSQL"
	}
	return "SQLite " + target
}

func (d *dbFlags) target() (kind, target string) {
	switch {
	case d.database == "":
		return "sqlite", filepath.Join(d.dataDir, "roster.db")
	case strings.HasPrefix(d.database, "sqlite:"):
		return "sqlite", strings.TrimPrefix(d.database, "sqlite:")
	case strings.HasPrefix(d.database, "postgres://"), strings.HasPrefix(d.database, "postgresql://"):
		return "postgres", d.database
	}
	return "", d.database
}

// create opens the database, creating it when it does not exist, and
// applies pending migrations. Only serve and migrate create a database.
func (d *dbFlags) create(ctx context.Context) (*sqlstore.DB, error) {
	kind, target := d.target()
	switch kind {
	case "sqlite":
		if target == "" {
			return nil, fmt.Errorf(`--database "sqlite:" needs a file path, e.g. sqlite:roster-data/roster.db`)
		}
		return sqlite.Open(ctx, target, sqlite.Options{})
	case "postgres":
		return postgres.Open(ctx, target, postgres.Options{})
	}
	return nil, fmt.Errorf(`--database %q: use "sqlite:PATH" or a "postgres://…" URL`, d.database)
}

// open opens an existing roster database and applies pending migrations.
// It refuses a database that does not exist or holds no roster schema: a
// command run from another directory, or with another --database than
// roster serve's, would otherwise work on a new, empty database and then
// report that the organization it was given does not exist.
func (d *dbFlags) open(ctx context.Context) (*sqlstore.DB, error) {
	if err := d.mustExist(ctx); err != nil {
		return nil, err
	}
	return d.create(ctx)
}

// mustExist returns a fault saying where roster looked when the database
// is missing or holds no roster schema.
func (d *dbFlags) mustExist(ctx context.Context) error {
	kind, target := d.target()
	var driver, dsn string
	switch kind {
	case "sqlite":
		if target == "" {
			return nil // create explains
		}
		_, err := os.Stat(target)
		if errors.Is(err, fs.ErrNotExist) {
			return d.missing(false)
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", target, err)
		}
		// mode=rw: open, never create; no pragmas, which would write.
		driver, dsn = "sqlite", "file:"+sqlite.URIPath(target)+"?mode=rw"
	case "postgres":
		driver, dsn = "pgx", target
	default:
		return nil // create explains
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return fmt.Errorf("open %s: %w", d.where(), err)
	}
	defer db.Close()
	dialect, err := d.dialect()
	if err != nil {
		return err
	}
	st, err := sqlstore.Status(ctx, db, dialect)
	if err != nil {
		return fmt.Errorf("open %s: %w", d.where(), err)
	}
	for _, m := range st {
		if !m.AppliedAt.IsZero() {
			return nil
		}
	}
	return d.missing(true)
}

// missing is the fault for a database that does not exist, or exists
// without roster's tables (empty).
func (d *dbFlags) missing(empty bool) error {
	if kind, _ := d.target(); kind == "postgres" {
		// Not d.args(): the URL may hold a password.
		return fault.NotFoundf("no roster database at %s: it holds no roster tables; pass the --database roster serve uses "+
			"(or set ROSTER_DATABASE), or create the tables there with \"%s migrate\" and this --database", d.where(), d.env.command())
	}
	migrate := d.env.command() + " migrate" + d.args()
	what := ""
	if empty {
		what = " (the file holds no roster tables)"
	}
	return fault.NotFoundf("no roster database at %s%s: pass --database or --data-dir (roster serve uses ./%s in the directory "+
		"it starts in, unless given --database or --data-dir; \"%s\" creates a new, empty one)", d.where(), what, defaultDataDir, migrate)
}

// args returns the database flags to repeat in a command roster suggests,
// so that it opens the same database: none for the defaults or for values
// the environment gives every command anyway.
func (d *dbFlags) args() string {
	switch {
	case d.database != "" && d.database != d.env.getenv(envName("database")):
		return " --database " + shellQuote(d.database)
	case d.database == "" && d.dataDir != defaultDataDir && d.dataDir != d.env.getenv(envName("data-dir")):
		return " --data-dir " + shellQuote(d.dataDir)
	}
	return ""
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// where names the database's location for people: the SQLite file as
// given, or the PostgreSQL URL without its password.
func (d *dbFlags) where() string {
	kind, target := d.target()
	switch {
	case kind == "postgres":
		if u, err := url.Parse(target); err == nil {
			return u.Redacted()
		}
		return "the PostgreSQL database given"
	case filepath.IsAbs(target), strings.HasPrefix(target, "."):
		return target
	}
	return "./" + target
}

func (d *dbFlags) dialect() (sqlstore.Dialect, error) {
	kind, _ := d.target()
	switch kind {
	case "sqlite":
		return sqlite.Dialect, nil
	case "postgres":
		return postgres.Dialect, nil
	}
	return sqlstore.Dialect{}, fmt.Errorf(`--database %q: use "sqlite:PATH" or a "postgres://…" URL`, d.database)
}

// services are the domain services the commands call; the commands never
// call the store.
type services struct {
	db     *sqlstore.DB
	orgs   *access.Service
	tokens *token.Service
}

// newServices builds the domain services over an open database.
func newServices(s *sqlstore.DB) *services {
	return &services{db: s, orgs: &access.Service{Store: s}, tokens: &token.Service{Store: s}}
}

// services opens the existing database (see open) and builds the domain
// services over it; Close closes the database.
func (d *dbFlags) services(ctx context.Context) (*services, error) {
	s, err := d.open(ctx)
	if err != nil {
		return nil, err
	}
	return newServices(s), nil
}

// Close closes the database.
func (s *services) Close() error { return s.db.Close() }
