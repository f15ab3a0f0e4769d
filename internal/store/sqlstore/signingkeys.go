package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

const signingKeyColumns = `kid, alg, private_key, created_at, retired_at, published_until`

// EnsureSigningKey stores k as the current key unless there is one. The
// unique index on the current key settles a race between instances
// starting together: the loser's insert does nothing, and both then read
// the winner's key.
func (s *DB) EnsureSigningKey(ctx context.Context, k store.SigningKey) (store.SigningKey, error) {
	if k.ID == "" || k.Algorithm == "" || len(k.PrivateKey) == 0 {
		return store.SigningKey{}, fmt.Errorf("ensure signing key: kid, alg and key are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, dispatcherActor, "", func(t *tx) error {
		_, err := t.ExecContext(ctx, `INSERT INTO webhook_signing_keys (`+signingKeyColumns+`)
			VALUES ($1, $2, $3, $4, NULL, NULL) ON CONFLICT DO NOTHING`,
			k.ID, k.Algorithm, base64.StdEncoding.EncodeToString(k.PrivateKey), s.t(t.now))
		return err
	})
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("ensure signing key: %w", err)
	}
	// Read after the commit, so the row another instance committed first
	// is seen whatever the isolation level.
	cur, err := scanSigningKey(s.r.QueryRowContext(ctx, `SELECT `+signingKeyColumns+`
		FROM webhook_signing_keys WHERE retired_at IS NULL`))
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("read current signing key: %w", notFound(err))
	}
	return cur, nil
}

// RotateSigningKey retires the current key and makes k current.
func (s *DB) RotateSigningKey(ctx context.Context, k store.SigningKey, publishedUntil time.Time) error {
	if k.ID == "" || k.Algorithm == "" || len(k.PrivateKey) == 0 {
		return fmt.Errorf("rotate signing key: kid, alg and key are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, dispatcherActor, "", func(t *tx) error {
		if _, err := t.ExecContext(ctx, `UPDATE webhook_signing_keys SET retired_at = $1, published_until = $2
			WHERE retired_at IS NULL`, s.t(t.now), s.t(publishedUntil)); err != nil {
			return err
		}
		_, err := t.ExecContext(ctx, `INSERT INTO webhook_signing_keys (`+signingKeyColumns+`)
			VALUES ($1, $2, $3, $4, NULL, NULL)`,
			k.ID, k.Algorithm, base64.StdEncoding.EncodeToString(k.PrivateKey), s.t(t.now))
		if s.d.IsUnique(err) {
			return &store.ConflictError{Field: "signing key id", Value: k.ID}
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("rotate signing key: %w", err)
	}
	return nil
}

// ListSigningKeys returns the current key and the published retired ones.
func (s *DB) ListSigningKeys(ctx context.Context, now time.Time) ([]store.SigningKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+signingKeyColumns+` FROM webhook_signing_keys
		WHERE retired_at IS NULL OR published_until > $1
		ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, kid`, s.t(now))
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	defer rows.Close()
	var out []store.SigningKey
	for rows.Next() {
		k, err := scanSigningKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list signing keys: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	return out, nil
}

func scanSigningKey(row interface{ Scan(...any) error }) (store.SigningKey, error) {
	var k store.SigningKey
	var der string
	var retired, until sql.NullTime
	if err := row.Scan(&k.ID, &k.Algorithm, &der, &k.CreatedAt, &retired, &until); err != nil {
		return k, err
	}
	b, err := base64.StdEncoding.DecodeString(der)
	if err != nil {
		return k, fmt.Errorf("decode signing key %s: %w", k.ID, err)
	}
	k.PrivateKey, k.CreatedAt = b, k.CreatedAt.UTC()
	k.RetiredAt, k.PublishedUntil = utcOrZero(retired), utcOrZero(until)
	return k, nil
}
