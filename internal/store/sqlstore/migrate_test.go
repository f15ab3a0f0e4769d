package sqlstore_test

import (
	"testing"

	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// TestMigrationsAgree: both engines have the same versions, each once, so
// a schema change cannot reach one engine only, and two branches that
// picked one number are caught before either runs.
func TestMigrationsAgree(t *testing.T) {
	lite, err := sqlite.Dialect.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := postgres.Dialect.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("SQLite has %d migrations, PostgreSQL %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: SQLite %s, PostgreSQL %s", i, lite[i].Name, pg[i].Name)
		}
	}
}
