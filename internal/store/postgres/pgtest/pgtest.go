// Package pgtest gives tests a fresh PostgreSQL store of their own.
//
// Tests use the server named by ROSTER_TEST_POSTGRES (a postgres:// URL).
// Each call creates a new schema, so runs and tests never see each other's
// data, and drops it when the test ends. Without the variable the test is
// skipped with a message saying how to run it.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// EnvVar names the variable holding the test server's URL.
const EnvVar = "ROSTER_TEST_POSTGRES"

// URL returns a connection URL to a new, empty schema, dropped at the end
// of the test.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a server URL, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvVar)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "roster_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", EnvVar, err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated store in a new schema.
func Open(t testing.TB, now func() time.Time) *sqlstore.DB {
	t.Helper()
	s, err := postgres.Open(context.Background(), URL(t), postgres.Options{MaxConns: 8, Now: now})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	return s
}
