package token_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
	"github.com/rosterhq/roster/internal/token"
)

// engines opens an empty store on each engine; PostgreSQL is skipped
// without ROSTER_TEST_POSTGRES.
var engines = map[string]func(t *testing.T) *sqlstore.DB{
	"sqlite": func(t *testing.T) *sqlstore.DB {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "r.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	},
	"postgres": func(t *testing.T) *sqlstore.DB { return pgtest.Open(t, nil) },
}

func TestAdminKeys(t *testing.T) {
	ctx := context.Background()
	ops := store.Actor{Kind: "cli", Name: "ops at the terminal"}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			var log bytes.Buffer
			svc := &token.Service{Store: st, Logger: slog.New(slog.NewTextHandler(&log, nil))}
			text, k, err := svc.CreateAdmin(ctx, ops, "provisioning")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, "roster_admin_") || k.Kind != store.TokenAdmin || k.OrgID != "" || k.Name != "provisioning" {
				t.Fatalf("CreateAdmin = %q, %+v", text, k)
			}
			text2, k2, err := svc.CreateAdmin(ctx, ops, "")
			if err != nil || k2.Name != "admin key" {
				t.Fatalf("CreateAdmin without a name = %+v, %v; want the default name", k2, err)
			}

			got, err := svc.Authenticate(ctx, store.TokenAdmin, text)
			if err != nil || got.ID != k.ID || got.OrgID != "" {
				t.Fatalf("Authenticate(admin) = %+v, %v", got, err)
			}
			if rec, _ := st.GetAdminToken(ctx, k.ID); rec.LastUsedAt.IsZero() {
				t.Error("the admin key's last use is not recorded")
			}
			// The same refusals as every other kind.
			forged, p, _ := token.New(store.TokenAdmin)
			forged = strings.Replace(forged, p.ID, k.ID, 1)
			forged = forged[:len(forged)-7] + token.Checksum(forged[:len(forged)-7])
			unknown, _, _ := token.New(store.TokenAdmin)
			for what, bad := range map[string]struct {
				kind store.TokenKind
				text string
			}{
				"forged secret of a real id": {store.TokenAdmin, forged},
				"unknown id":                 {store.TokenAdmin, unknown},
				"admin key as an API key":    {store.TokenAPI, text},
				"admin key as a SCIM token":  {store.TokenSCIM, text},
			} {
				if _, err := svc.Authenticate(ctx, bad.kind, bad.text); !errors.Is(err, token.ErrUnauthorized) {
					t.Errorf("%s: err = %v, want ErrUnauthorized", what, err)
				}
			}

			list, err := svc.ListAdmin(ctx)
			if err != nil || len(list) != 2 || list[0].ID != k2.ID || list[1].ID != k.ID {
				t.Fatalf("ListAdmin = %+v, %v; want both keys, newest first", list, err)
			}
			for _, l := range list {
				if want := map[string]string{k.ID: token.Hint(text), k2.ID: token.Hint(text2)}[l.ID]; l.Hint != want {
					t.Errorf("listed key %s has hint %q, want %q", l.ID, l.Hint, want)
				}
			}

			r, err := svc.RevokeAdmin(ctx, ops, k.ID)
			if err != nil || !r.Revoked() {
				t.Fatalf("RevokeAdmin = %+v, %v", r, err)
			}
			if _, err := svc.Authenticate(ctx, store.TokenAdmin, text); !errors.Is(err, token.ErrUnauthorized) {
				t.Errorf("revoked admin key still authenticates: %v", err)
			}
			if _, err := svc.Authenticate(ctx, store.TokenAdmin, text2); err != nil {
				t.Errorf("the other admin key stopped working: %v", err)
			}
			if again, err := svc.RevokeAdmin(ctx, ops, k.ID); err != nil || !again.RevokedAt.Equal(r.RevokedAt) {
				t.Errorf("second RevokeAdmin = %+v, %v; want it unchanged", again, err)
			}
			_, err = svc.RevokeAdmin(ctx, ops, "nosuchkey")
			if kind, msg, _ := fault.As(err); kind != fault.NotFound || !strings.Contains(msg, `"nosuchkey"`) {
				t.Errorf("RevokeAdmin(unknown) = %v; want a not-found fault naming the id", err)
			}
			for _, want := range []string{"admin_key.created", "admin_key.revoked", k.ID, `actor_name="ops at the terminal"`} {
				if !strings.Contains(log.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, log.String())
				}
			}
		})
	}
}

// TestAdminKeyCacheRevocation: a serving Service caches admin keys like any
// token; revoking through it takes effect at once, through another process
// (the CLI) within CacheTTL.
func TestAdminKeyCacheRevocation(t *testing.T) {
	ctx := context.Background()
	_, _, st := newService(t)
	actor := store.Actor{Kind: "cli"}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	server := &token.Service{Store: st, CacheTTL: time.Second, Now: func() time.Time { return now }}
	cli := &token.Service{Store: st}
	a, ka, _ := cli.CreateAdmin(ctx, actor, "a")
	b, kb, _ := cli.CreateAdmin(ctx, actor, "b")
	for _, text := range []string{a, b} {
		if _, err := server.Authenticate(ctx, store.TokenAdmin, text); err != nil {
			t.Fatal(err)
		}
	}
	server.RevokeAdmin(ctx, actor, ka.ID)
	if _, err := server.Authenticate(ctx, store.TokenAdmin, a); !errors.Is(err, token.ErrUnauthorized) {
		t.Errorf("admin key revoked in-process still authenticates: %v", err)
	}
	cli.RevokeAdmin(ctx, actor, kb.ID)
	now = now.Add(1100 * time.Millisecond)
	if _, err := server.Authenticate(ctx, store.TokenAdmin, b); !errors.Is(err, token.ErrUnauthorized) {
		t.Errorf("admin key revoked elsewhere still authenticates after the cache TTL: %v", err)
	}
}
