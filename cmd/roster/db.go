package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// dbFlags are the flags every command that opens the database takes.
type dbFlags struct {
	database string
	dataDir  string
}

func (d *dbFlags) register(f *flags) {
	f.StringVar(&d.database, "database", "", `database: "sqlite:PATH" or "postgres://user@host:5432/db" (default: SQLite in --data-dir)`)
	f.StringVar(&d.dataDir, "data-dir", "roster-data", "directory of the embedded SQLite database")
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

// open opens and migrates the database.
func (d *dbFlags) open(ctx context.Context) (*sqlstore.DB, error) {
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
