package postgres_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return pgtest.Open(t, now)
	})
}

// TestStaleStatisticsAreRefreshed fills a table from empty, as a first
// import does, and expects roster itself to gather its statistics: the
// test server, like some managed ones, runs without autovacuum.
func TestStaleStatisticsAreRefreshed(t *testing.T) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.URL(t), postgres.Options{MaxConns: 4, AnalyzeInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	actor := store.Actor{Kind: "cli"}
	org, err := s.CreateOrg(ctx, actor, store.Org{ID: "org-stats", Name: "stats", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1200; i++ {
		if _, err := s.CreateUser(ctx, actor, store.User{OrgID: org.ID, ID: fmt.Sprintf("u%05d", i), UserName: fmt.Sprintf("user%d", i),
			Attributes: json.RawMessage(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var analyzed sql.NullTime
		var rows float64
		err := s.Reader().QueryRowContext(ctx, `SELECT GREATEST(last_analyze, last_autoanalyze), c.reltuples
			FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
			WHERE s.schemaname = current_schema() AND s.relname = 'users'`).Scan(&analyzed, &rows)
		if err != nil {
			t.Fatal(err)
		}
		// Statistics are refreshed once a table changed by 500 rows (or a
		// tenth) since they were gathered: they may lag by that much.
		if analyzed.Valid && rows >= 1200-500 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 1,200 inserts the users table's statistics say %v rows (analyzed: %v); want them gathered", rows, analyzed.Valid)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
