package token_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/token"
)

func TestFormat(t *testing.T) {
	text, p, err := token.New(store.TokenSCIM)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "roster_scim_") {
		t.Errorf("token %q lacks its prefix", text)
	}
	got, err := token.Parse(store.TokenSCIM, text)
	if err != nil || got != p {
		t.Fatalf("Parse = %+v, %v; want %+v", got, err, p)
	}
	other, _, _ := token.New(store.TokenSCIM)
	if other == text {
		t.Fatal("two tokens are equal")
	}
	flip := []byte(text)
	flip[20] ^= 1
	for name, bad := range map[string]string{
		"empty":        "",
		"other kind":   strings.Replace(text, "roster_scim_", "roster_api_", 1),
		"truncated":    text[:len(text)-1],
		"extended":     text + "a",
		"typo":         string(flip),
		"bearer word":  "Bearer " + text,
		"no separator": strings.Replace(text, "_", "", 3),
	} {
		if _, err := token.Parse(store.TokenSCIM, bad); !errors.Is(err, token.ErrUnauthorized) {
			t.Errorf("Parse(%s) err = %v, want ErrUnauthorized", name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	text, _, _ := token.New(store.TokenSCIM)
	f.Add(text)
	f.Add("roster_scim_")
	f.Add("roster_scim_aaaaaaaaaaaaaaaa_")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := token.Parse(store.TokenSCIM, s)
		if err == nil && (p.ID == "" || p.Secret == "") {
			t.Fatalf("accepted %q with empty parts", s)
		}
	})
}

func newService(t *testing.T) (*token.Service, *sql.DB, store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &token.Service{Store: s}, s.Reader(), s
}

func TestService(t *testing.T) {
	ctx := context.Background()
	svc, db, st := newService(t)
	actor := store.Actor{Kind: "cli"}
	for _, id := range []string{"a", "b"} {
		if _, err := st.CreateOrg(ctx, actor, store.Org{ID: id, Name: id, Plan: store.PlanEnterprise, Settings: store.DefaultSettings()}); err != nil {
			t.Fatal(err)
		}
	}
	text, tk, err := svc.Create(ctx, actor, "a", store.TokenSCIM, "okta")
	if err != nil {
		t.Fatal(err)
	}
	text2, _, _ := svc.Create(ctx, actor, "a", store.TokenSCIM, "okta rotation")

	t.Run("hash only at rest", func(t *testing.T) {
		rows, err := db.Query(`SELECT * FROM tokens`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		p, _ := token.Parse(store.TokenSCIM, text)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for i, v := range vals {
				var b []byte
				switch v := v.(type) {
				case string:
					b = []byte(v)
				case []byte:
					b = v
				}
				if bytes.Contains(b, []byte(p.Secret)) || bytes.Contains(b, []byte(text)) {
					t.Errorf("column %s holds the token's secret", cols[i])
				}
			}
		}
	})
	t.Run("both tokens authenticate", func(t *testing.T) {
		for _, tx := range []string{text, text2} {
			got, err := svc.Authenticate(ctx, store.TokenSCIM, tx)
			if err != nil || got.OrgID != "a" {
				t.Errorf("Authenticate = %+v, %v", got, err)
			}
		}
		if got, _ := st.GetToken(ctx, tk.ID); got.LastUsedAt.IsZero() {
			t.Error("last use not recorded")
		}
	})
	t.Run("wrong kind", func(t *testing.T) {
		if _, err := svc.Authenticate(ctx, store.TokenAPI, text); !errors.Is(err, token.ErrUnauthorized) {
			t.Errorf("SCIM token as API key: %v", err)
		}
	})
	t.Run("forged secret for a real id", func(t *testing.T) {
		forged, p, _ := token.New(store.TokenSCIM)
		forged = strings.Replace(forged, p.ID, tk.ID, 1)
		// Recompute the checksum so only the secret is wrong.
		body := forged[:len(forged)-7]
		forged = body + checksumOf(t, body)
		if _, err := svc.Authenticate(ctx, store.TokenSCIM, forged); !errors.Is(err, token.ErrUnauthorized) {
			t.Errorf("forged secret: %v", err)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		unknown, _, _ := token.New(store.TokenSCIM)
		if _, err := svc.Authenticate(ctx, store.TokenSCIM, unknown); !errors.Is(err, token.ErrUnauthorized) {
			t.Errorf("unknown: %v", err)
		}
	})
	t.Run("revoked", func(t *testing.T) {
		if _, err := svc.Revoke(ctx, actor, "b", tk.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("org b revoking org a's token: %v", err)
		}
		if _, err := svc.Revoke(ctx, actor, "a", tk.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, store.TokenSCIM, text); !errors.Is(err, token.ErrUnauthorized) {
			t.Errorf("revoked token: %v", err)
		}
		if _, err := svc.Authenticate(ctx, store.TokenSCIM, text2); err != nil {
			t.Errorf("the other token stopped working: %v", err)
		}
	})
}

// checksumOf recomputes a token checksum the way the package does, by
// asking it for a token and splicing: the body's checksum is the only one
// Parse accepts.
func checksumOf(t *testing.T, body string) string {
	t.Helper()
	return token.Checksum(body)
}

func TestCacheRevocation(t *testing.T) {
	ctx := context.Background()
	_, _, st := newService(t)
	actor := store.Actor{Kind: "cli"}
	st.CreateOrg(ctx, actor, store.Org{ID: "a", Name: "a", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()})
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	server := &token.Service{Store: st, CacheTTL: time.Second, Now: clock}
	cli := &token.Service{Store: st} // another process: the CLI
	text, tk, _ := server.Create(ctx, actor, "a", store.TokenSCIM, "okta")
	if _, err := server.Authenticate(ctx, store.TokenSCIM, text); err != nil {
		t.Fatal(err)
	}
	// Revoked through the serving Service: refused at once.
	text2, tk2, _ := server.Create(ctx, actor, "a", store.TokenSCIM, "entra")
	server.Authenticate(ctx, store.TokenSCIM, text2)
	server.Revoke(ctx, actor, "a", tk2.ID)
	if _, err := server.Authenticate(ctx, store.TokenSCIM, text2); !errors.Is(err, token.ErrUnauthorized) {
		t.Errorf("token revoked in-process still authenticates: %v", err)
	}
	// Revoked by another process: refused once the cache entry expires.
	cli.Revoke(ctx, actor, "a", tk.ID)
	now = now.Add(1100 * time.Millisecond)
	if _, err := server.Authenticate(ctx, store.TokenSCIM, text); !errors.Is(err, token.ErrUnauthorized) {
		t.Errorf("token revoked elsewhere still authenticates after the cache TTL: %v", err)
	}
}
