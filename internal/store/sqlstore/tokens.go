package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

const tokenColumns = `id, org_id, kind, name, secret_hash, hint, created_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var used, revoked sql.NullTime
	err := row.Scan(&t.ID, &t.OrgID, &t.Kind, &t.Name, &t.SecretHash, &t.Hint, &t.CreatedAt, &used, &revoked)
	t.CreatedAt = t.CreatedAt.UTC()
	if used.Valid {
		t.LastUsedAt = used.Time.UTC()
	}
	if revoked.Valid {
		t.RevokedAt = revoked.Time.UTC()
	}
	return t, err
}

// CreateToken stores a token.
func (s *DB) CreateToken(ctx context.Context, actor store.Actor, tk store.Token) (store.Token, error) {
	if tk.ID == "" || len(tk.SecretHash) == 0 || (tk.Kind != store.TokenSCIM && tk.Kind != store.TokenAPI) {
		return store.Token{}, fmt.Errorf("create token: id, kind and secret hash are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, actor, tk.OrgID, func(t *tx) error {
		tk.CreatedAt = t.now
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs WHERE id = $1`, tk.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("organization %s: %w", tk.OrgID, store.ErrNotFound)
		}
		_, err := t.ExecContext(ctx, `INSERT INTO tokens (id, org_id, kind, name, secret_hash, hint, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			tk.ID, tk.OrgID, tk.Kind, tk.Name, tk.SecretHash, tk.Hint, s.t(t.now))
		if s.d.IsUnique(err) {
			return &store.ConflictError{Field: "token id", Value: tk.ID}
		}
		if err != nil {
			return err
		}
		t.emit("token.created", "token", tk.ID, map[string]any{"kind": tk.Kind, "name": tk.Name, "hint": tk.Hint})
		return nil
	})
	if err != nil {
		return store.Token{}, fmt.Errorf("create token for %s: %w", tk.OrgID, err)
	}
	return tk, nil
}

// GetToken returns a token by id.
func (s *DB) GetToken(ctx context.Context, id string) (store.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = $1`, id))
	if err != nil {
		return store.Token{}, fmt.Errorf("get token %s: %w", id, notFound(err))
	}
	return t, nil
}

// ListTokens lists an organization's tokens of one kind, newest first.
func (s *DB) ListTokens(ctx context.Context, orgID string, kind store.TokenKind) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE org_id = $1 AND kind = $2
		ORDER BY created_at DESC, id`, orgID, kind)
	if err != nil {
		return nil, fmt.Errorf("list tokens of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens of %s: %w", orgID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token of an organization.
func (s *DB) RevokeToken(ctx context.Context, actor store.Actor, orgID, id string) (store.Token, error) {
	var tk store.Token
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var err error
		tk, err = scanToken(t.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE id = $1 AND org_id = $2`, id, orgID))
		if err != nil {
			return notFound(err)
		}
		if tk.Revoked() {
			return nil
		}
		tk.RevokedAt = t.now
		if _, err := t.ExecContext(ctx, `UPDATE tokens SET revoked_at = $3 WHERE id = $1 AND org_id = $2`, id, orgID, s.t(t.now)); err != nil {
			return err
		}
		t.emit("token.revoked", "token", id, map[string]any{"kind": tk.Kind, "name": tk.Name, "hint": tk.Hint})
		return s.notifyRevoked(ctx, t, id)
	})
	if err != nil {
		return store.Token{}, fmt.Errorf("revoke token %s of %s: %w", id, orgID, err)
	}
	return tk, nil
}

// TouchToken records a use of a token.
func (s *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, id, s.t(at)); err != nil {
		return fmt.Errorf("touch token %s: %w", id, err)
	}
	return nil
}

// notifyRevoked tells the other instances, on commit, that token id was
// revoked; see Dialect.NotifyRevoked.
func (s *DB) notifyRevoked(ctx context.Context, t *tx, id string) error {
	if s.d.NotifyRevoked == "" {
		return nil
	}
	if _, err := t.ExecContext(ctx, s.d.NotifyRevoked, id); err != nil {
		return fmt.Errorf("announce revocation of %s: %w", id, err)
	}
	return nil
}
