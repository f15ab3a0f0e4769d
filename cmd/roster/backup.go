package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// runBackup writes a consistent copy of the SQLite database while roster
// serves.
func runBackup(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "backup", "backup --out FILE",
		"Writes a consistent copy of the SQLite database to FILE while roster serves (one snapshot; writers\n"+
			"are not stopped). Restore it with \"roster restore\". For PostgreSQL use pg_dump (docs/operations.md).")
	var db dbFlags
	db.register(f)
	var out string
	f.StringVar(&out, "out", "", "file to write the backup to (must not exist)")
	if err := f.parse(args); err != nil {
		return err
	}
	if out == "" {
		return fmt.Errorf("backup: --out FILE is required: the file to write the copy to")
	}
	if kind, _ := db.target(); kind == "postgres" {
		return fmt.Errorf("backup copies the embedded SQLite database; for PostgreSQL run pg_dump --format=custom (see docs/operations.md)")
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Backup(ctx, out); err != nil {
		return err
	}
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "backed up %s to %s (%d bytes)\n", db.describe(), out, st.Size())
	return nil
}

// runRestore makes a new SQLite database from a backup.
func runRestore(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "restore", "restore --from FILE --database sqlite:PATH",
		"Makes a new SQLite database at PATH from a backup written by \"roster backup\": checks the backup's\n"+
			"integrity, copies it, and applies any migrations newer than the backup. PATH must not exist.")
	var from, database string
	f.StringVar(&from, "from", "", "backup file written by roster backup")
	f.StringVar(&database, "database", "", `the new database, "sqlite:PATH"`)
	if err := f.parse(args); err != nil {
		return err
	}
	if from == "" || database == "" {
		return fmt.Errorf("restore: --from FILE and --database sqlite:PATH are both required")
	}
	target, ok := strings.CutPrefix(database, "sqlite:")
	if !ok || target == "" {
		return fmt.Errorf("restore: --database %q: restore makes a SQLite database, \"sqlite:PATH\"; to move into PostgreSQL, restore and then run migrate-store", database)
	}
	if _, err := os.Stat(target); err == nil {
		return fmt.Errorf("restore: %s exists; restore makes a new database and never overwrites one", target)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := sqlite.Verify(ctx, from); err != nil {
		return fmt.Errorf("restore: %s is not a usable roster backup: %w", from, err)
	}
	if dir := filepath.Dir(target); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	if err := copyNew(from, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	s, err := sqlite.Open(ctx, target, sqlite.Options{}) // applies newer migrations
	if err != nil {
		os.Remove(target)
		return fmt.Errorf("restore: open the restored database: %w", err)
	}
	defer s.Close()
	fmt.Fprintf(env.stdout, "restored %s into SQLite %s\n", from, target)
	return nil
}

// copyNew copies a file to a path that must not exist, syncing it before
// it counts as written.
func copyNew(from, to string) (err error) {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(to)
		}
	}()
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	return out.Sync()
}

// runMigrateStore moves a SQLite database into an empty PostgreSQL one.
func runMigrateStore(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "migrate-store", "migrate-store --from sqlite:PATH --to postgres://…",
		"Moves everything — organizations, tokens, users, groups, memberships, access, SSO configuration,\n"+
			"webhooks, events with their seqs — from a SQLite database into an empty PostgreSQL database, in one\n"+
			"transaction, then verifies every table's row count and checksum on both sides. Stop roster serve\n"+
			"first (or copy from a fresh \"roster backup\"), so no write lands in SQLite after the copy.")
	var from, to string
	f.StringVar(&from, "from", "", `the SQLite database, "sqlite:PATH"`)
	f.StringVar(&to, "to", "", `the PostgreSQL database, "postgres://user@host:5432/db" (empty or new)`)
	if err := f.parse(args); err != nil {
		return err
	}
	if from == "" || to == "" {
		return fmt.Errorf("migrate-store: --from sqlite:PATH and --to postgres://… are both required")
	}
	src := dbFlags{database: from, env: env}
	dst := dbFlags{database: to, env: env}
	if k, _ := src.target(); k != "sqlite" {
		return fmt.Errorf("migrate-store: --from %q must be a SQLite database, \"sqlite:PATH\"", from)
	}
	if k, _ := dst.target(); k != "postgres" {
		return fmt.Errorf("migrate-store: --to must be a PostgreSQL URL, postgres://…")
	}
	s, err := src.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := dst.create(ctx) // migrates the empty database to this binary's schema
	if err != nil {
		return fmt.Errorf("migrate-store: open PostgreSQL: %w", err)
	}
	defer p.Close()
	sums, err := sqlstore.Transfer(ctx, s, p, func(table string, rows int64) {
		fmt.Fprintf(env.stderr, "copied %-24s %d rows\n", table, rows)
	})
	if err != nil {
		return fmt.Errorf("migrate-store: %w", err)
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tSHA-256 (BOTH)")
	var total int64
	for _, t := range sums {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", t.Table, t.Rows, t.Sum[:16])
		total += t.Rows
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "moved %d rows in %d tables from %s to PostgreSQL; counts and checksums agree\n", total, len(sums), src.describe())
	return nil
}
