package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// This file implements store.AdminTokenStore: instance-level admin keys.

const adminTokenColumns = `id, name, secret_hash, hint, created_at, last_used_at, revoked_at`

func scanAdminToken(row scanner) (store.Token, error) {
	t := store.Token{Kind: store.TokenAdmin}
	var used, revoked sql.NullTime
	err := row.Scan(&t.ID, &t.Name, &t.SecretHash, &t.Hint, &t.CreatedAt, &used, &revoked)
	t.CreatedAt = t.CreatedAt.UTC()
	if used.Valid {
		t.LastUsedAt = used.Time.UTC()
	}
	if revoked.Valid {
		t.RevokedAt = revoked.Time.UTC()
	}
	return t, err
}

// CreateAdminToken stores an admin key.
func (s *DB) CreateAdminToken(ctx context.Context, tk store.Token) (store.Token, error) {
	if tk.ID == "" || len(tk.SecretHash) == 0 || tk.Kind != store.TokenAdmin || tk.OrgID != "" {
		return store.Token{}, fmt.Errorf("create admin key: id, secret hash and kind %q without organization are required: %w",
			store.TokenAdmin, store.ErrInvalid)
	}
	tk.CreatedAt = s.clock()
	_, err := s.w.ExecContext(ctx, `INSERT INTO admin_tokens (id, name, secret_hash, hint, created_at) VALUES ($1, $2, $3, $4, $5)`,
		tk.ID, tk.Name, tk.SecretHash, tk.Hint, s.t(tk.CreatedAt))
	if s.d.IsUnique(err) {
		return store.Token{}, &store.ConflictError{Field: "token id", Value: tk.ID}
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("create admin key: %w", err)
	}
	return tk, nil
}

// GetAdminToken returns an admin key by id.
func (s *DB) GetAdminToken(ctx context.Context, id string) (store.Token, error) {
	t, err := scanAdminToken(s.r.QueryRowContext(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens WHERE id = $1`, id))
	if err != nil {
		return store.Token{}, fmt.Errorf("get admin key %s: %w", id, notFound(err))
	}
	return t, nil
}

// ListAdminTokens lists admin keys, newest first.
func (s *DB) ListAdminTokens(ctx context.Context) ([]store.Token, error) {
	out, err := queryAll(ctx, s.r, scanAdminToken, `SELECT `+adminTokenColumns+` FROM admin_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list admin keys: %w", err)
	}
	return out, nil
}

// RevokeAdminToken revokes an admin key. Like a token's revocation, it is
// announced to the other instances (Dialect.NotifyRevoked) in its
// transaction, so it reaches them only if it commits. Admin keys belong to
// no organization, so there is no event log to record it in: the token
// service logs who revoked it.
func (s *DB) RevokeAdminToken(ctx context.Context, id string) (store.Token, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return store.Token{}, fmt.Errorf("revoke admin key %s: %w", id, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE admin_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, id, s.t(s.clock()))
	if err != nil {
		return store.Token{}, fmt.Errorf("revoke admin key %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 && s.d.NotifyRevoked != "" {
		if _, err := tx.ExecContext(ctx, s.d.NotifyRevoked, id); err != nil {
			return store.Token{}, fmt.Errorf("announce revocation of admin key %s: %w", id, err)
		}
	}
	t, err := scanAdminToken(tx.QueryRowContext(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens WHERE id = $1`, id))
	if err != nil {
		return store.Token{}, fmt.Errorf("revoke admin key %s: %w", id, notFound(err))
	}
	if err := tx.Commit(); err != nil {
		return store.Token{}, fmt.Errorf("revoke admin key %s: %w", id, err)
	}
	return t, nil
}

// TouchAdminToken records a use of an admin key.
func (s *DB) TouchAdminToken(ctx context.Context, id string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `UPDATE admin_tokens SET last_used_at = $2 WHERE id = $1`, id, s.t(at)); err != nil {
		return fmt.Errorf("touch admin key %s: %w", id, err)
	}
	return nil
}
