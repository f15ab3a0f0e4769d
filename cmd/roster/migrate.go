package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"text/tabwriter"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for status
	_ "modernc.org/sqlite"             // "sqlite" driver for status

	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "migrate", "migrate [up|status]",
		"up (the default) applies pending migrations; status lists them with the time each was applied.\n"+
			"\"roster serve\" migrates at start, so this is for operators who migrate before a rollout.")
	var db dbFlags
	db.register(f)
	if err := f.parse(args); err != nil {
		return err
	}
	action := "up"
	if f.NArg() > 0 {
		action = f.Arg(0)
	}
	switch action {
	case "up":
		s, err := db.create(ctx) // opening migrates
		if err != nil {
			return err
		}
		defer s.Close()
		fmt.Fprintf(env.stdout, "%s is up to date\n", db.describe())
		return nil
	case "status":
		d, err := db.dialect()
		if err != nil {
			return err
		}
		kind, target := db.target()
		driver, dsn := "pgx", target
		if kind == "sqlite" {
			// Status reads; it must not leave an empty file behind.
			if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
				return db.missing(false)
			}
			driver, dsn = "sqlite", sqlite.DSN(target, "", false)
		}
		conn, err := sql.Open(driver, dsn)
		if err != nil {
			return err
		}
		defer conn.Close()
		st, err := sqlstore.Status(ctx, conn, d)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
		for _, m := range st {
			applied := "pending"
			if !m.AppliedAt.IsZero() {
				applied = m.AppliedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.Name, applied)
		}
		return tw.Flush()
	}
	return fmt.Errorf("migrate: unknown action %q; use up or status", action)
}
