package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// TestMigration0005Upgrade upgrades a database written before migration
// 0005 — groups sharing a name in different cases, managers stored
// unchecked in the document — and checks that no group is lost, names
// become unique, and only managers naming a user of the same organization
// survive, as references.
func TestMigration0005Upgrade(t *testing.T) {
	ctx := context.Background()
	engines := []struct {
		name string
		d    sqlstore.Dialect
		// open returns the raw database and a function opening the store.
		open func(t *testing.T) (*sql.DB, func() store.Store)
	}{
		{"sqlite", sqlite.Dialect, func(t *testing.T) (*sql.DB, func() store.Store) {
			path := filepath.Join(t.TempDir(), "r.db")
			db, err := sql.Open("sqlite", sqlite.DSN(path, "NORMAL", true))
			if err != nil {
				t.Fatal(err)
			}
			return db, func() store.Store {
				s, err := sqlite.Open(ctx, path, sqlite.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		}},
		{"postgres", postgres.Dialect, func(t *testing.T) (*sql.DB, func() store.Store) {
			url := pgtest.URL(t)
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			return db, func() store.Store {
				s, err := postgres.Open(ctx, url, postgres.Options{MaxConns: 4})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		}},
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			db, openStore := eng.open(t)
			defer db.Close()
			all, err := eng.d.Migrations()
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`)
			for _, m := range all {
				if m.Version >= 5 {
					break
				}
				exec(m.SQL)
				exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, m.Version, m.Name, "2026-11-01T00:00:00Z")
			}

			now := eng.d.Time(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC))
			for _, o := range []string{"org-a", "org-b"} {
				exec(`INSERT INTO orgs (id, name, plan, created_at, updated_at) VALUES ($1, 'Acme', 'enterprise', $2, $2)`, o, now)
			}
			const ext = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
			user := func(org, id, manager string) {
				attrs := `{"userName":"` + id + `"}`
				if manager != "" {
					attrs = `{` + ext + `:{"department":"Sales","manager":{"value":"` + manager + `"}},"userName":"` + id + `"}`
				}
				exec(`INSERT INTO users (org_id, id, user_name, user_name_key, active, attributes, version, created_at, updated_at)
					VALUES ($1, $2, $2, $2, true, $3, 1, $4, $4)`, org, id, attrs, now)
				if manager != "" {
					exec(`INSERT INTO user_values (org_id, user_id, attr, elem, sub, str, fold) VALUES ($1, $2, $3, 0, 'value', $4, $4)`,
						org, id, store.ManagerAttr, manager)
				}
			}
			user("org-a", "boss", "")
			user("org-b", "stranger", "")
			user("org-a", "emp", "boss")         // a valid reference
			user("org-a", "spy", "stranger")     // another organization's user
			user("org-a", "orphan", "gone-user") // a manager deleted long ago
			group := func(org, id, name string) {
				exec(`INSERT INTO groups (org_id, id, display_name, display_name_key, version, created_at, updated_at)
					VALUES ($1, $2, $3, $4, 1, $5, $5)`, org, id, name, store.Fold(name), now)
			}
			group("org-a", "g1", "Sales")
			group("org-a", "g2", "SALES")
			group("org-a", "g3", "sales")
			group("org-a", "g4", "Support")
			group("org-b", "g5", "Sales")

			s := openStore() // applies 0005 and anything after it
			defer s.Close()

			page, err := s.QueryGroups(ctx, "org-a", store.Query{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range page.Items {
				names = append(names, g.ID+"="+g.DisplayName)
			}
			sort.Strings(names)
			want := []string{"g1=Sales", "g2=SALES (g2)", "g3=sales (g3)", "g4=Support"}
			if len(names) != len(want) {
				t.Fatalf("groups after the upgrade = %v, want %v", names, want)
			}
			for i := range want {
				if names[i] != want[i] {
					t.Errorf("groups after the upgrade = %v, want %v", names, want)
					break
				}
			}
			if g, err := s.GetGroup(ctx, "org-a", "g2"); err != nil || g.Version != 2 {
				t.Errorf("renamed group = %+v, %v; want version 2", g, err)
			}
			if g, err := s.GetGroup(ctx, "org-b", "g5"); err != nil || g.DisplayName != "Sales" {
				t.Errorf("another organization's group = %+v, %v", g, err)
			}
			if _, err := s.CreateGroup(ctx, store.Actor{Kind: "cli"}, store.Group{OrgID: "org-a", ID: "g6", DisplayName: "sAlEs"}, nil); !isConflict(err) {
				t.Errorf("create of a taken name after the upgrade: %v, want a conflict", err)
			}

			for _, tc := range []struct{ id, manager string }{{"emp", "boss"}, {"spy", ""}, {"orphan", ""}, {"boss", ""}} {
				u, err := s.GetUser(ctx, "org-a", tc.id)
				if err != nil || u.ManagerID != tc.manager {
					t.Errorf("user %s: manager %q, %v; want %q", tc.id, u.ManagerID, err, tc.manager)
				}
				byManager := store.Query{Filter: store.Cmp{Field: store.Field{Attr: store.ManagerAttr, Sub: "value"}, Op: store.OpEq,
					Value: map[string]string{"emp": "boss", "spy": "stranger", "orphan": "gone-user"}[tc.id]}, Limit: 10}
				if tc.id == "boss" {
					continue
				}
				p, err := s.QueryUsers(ctx, "org-a", byManager)
				if found := err == nil && len(p.Items) == 1; found != (tc.manager != "") {
					t.Errorf("filter on %s's old manager: %+v, %v", tc.id, p.Items, err)
				}
			}
		})
	}
}

func isConflict(err error) bool {
	var ce *store.ConflictError
	return err != nil && errors.As(err, &ce) && ce.Field == "displayName"
}
