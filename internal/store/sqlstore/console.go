package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// This file implements store.ConsoleStore: setup links and console
// sessions.

const consoleLinkColumns = `id, org_id, secret_hash, hint, created_by_kind, created_by_id, created_by_name,
	created_at, expires_at, used_at, revoked_at`

func scanConsoleLink(row scanner) (store.ConsoleLink, error) {
	var l store.ConsoleLink
	var used, revoked sql.NullTime
	err := row.Scan(&l.ID, &l.OrgID, &l.SecretHash, &l.Hint, &l.CreatedBy.Kind, &l.CreatedBy.ID, &l.CreatedBy.Name,
		&l.CreatedAt, &l.ExpiresAt, &used, &revoked)
	l.CreatedAt, l.ExpiresAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC()
	if used.Valid {
		l.UsedAt = used.Time.UTC()
	}
	if revoked.Valid {
		l.RevokedAt = revoked.Time.UTC()
	}
	return l, err
}

// CreateConsoleLink stores a setup link.
func (s *DB) CreateConsoleLink(ctx context.Context, actor store.Actor, l store.ConsoleLink) (store.ConsoleLink, error) {
	if l.ID == "" || l.OrgID == "" || len(l.SecretHash) == 0 || l.ExpiresAt.IsZero() {
		return store.ConsoleLink{}, fmt.Errorf("create setup link: id, organization, secret hash and expiry are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, actor, l.OrgID, func(t *tx) error {
		var n int
		if err := t.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs WHERE id = $1`, l.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("organization %s: %w", l.OrgID, store.ErrNotFound)
		}
		l.CreatedAt, l.CreatedBy = t.now, actor
		_, err := t.ExecContext(ctx, `INSERT INTO console_links (`+consoleLinkColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)`,
			l.ID, l.OrgID, l.SecretHash, l.Hint, actor.Kind, actor.ID, actor.Name, s.t(t.now), s.t(l.ExpiresAt))
		if s.d.IsUnique(err) {
			return &store.ConflictError{Field: "setup link id", Value: l.ID}
		}
		if err != nil {
			return err
		}
		t.emit("console_link.created", "console_link", l.ID, map[string]any{"hint": l.Hint, "expires_at": l.ExpiresAt.UTC()})
		return nil
	})
	if err != nil {
		return store.ConsoleLink{}, fmt.Errorf("create setup link for %s: %w", l.OrgID, err)
	}
	return l, nil
}

// GetConsoleLink returns a setup link by id.
func (s *DB) GetConsoleLink(ctx context.Context, id string) (store.ConsoleLink, error) {
	l, err := scanConsoleLink(s.r.QueryRowContext(ctx, `SELECT `+consoleLinkColumns+` FROM console_links WHERE id = $1`, id))
	if err != nil {
		return store.ConsoleLink{}, fmt.Errorf("get setup link %s: %w", id, notFound(err))
	}
	return l, nil
}

// ListConsoleLinks returns an organization's setup links, newest first.
func (s *DB) ListConsoleLinks(ctx context.Context, orgID string, limit int) ([]store.ConsoleLink, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+consoleLinkColumns+` FROM console_links
		WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, orgID, limit)
	if err != nil {
		return nil, fmt.Errorf("list setup links of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []store.ConsoleLink
	for rows.Next() {
		l, err := scanConsoleLink(rows)
		if err != nil {
			return nil, fmt.Errorf("list setup links of %s: %w", orgID, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// StartConsoleSession stores a session signed in without a setup link.
func (s *DB) StartConsoleSession(ctx context.Context, sess store.ConsoleSession, method string) error {
	if len(sess.IDHash) == 0 || sess.OrgID == "" || sess.ExpiresAt.IsZero() || sess.IdleExpiresAt.IsZero() || sess.Actor.ID == "" {
		return fmt.Errorf("start console session: session id hash, organization, actor and expiry are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, sess.Actor, sess.OrgID, func(t *tx) error {
		var one int
		if err := t.QueryRowContext(ctx, `SELECT 1 FROM orgs WHERE id = $1`, sess.OrgID).Scan(&one); err != nil {
			return notFound(err)
		}
		_, err := t.ExecContext(ctx, `INSERT INTO console_sessions
			(id_hash, org_id, actor_kind, actor_id, actor_name, created_at, last_seen_at, idle_expires_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`,
			sess.IDHash, sess.OrgID, sess.Actor.Kind, sess.Actor.ID, sess.Actor.Name, s.t(t.now), s.t(sess.IdleExpiresAt), s.t(sess.ExpiresAt))
		if err != nil {
			return err
		}
		t.emit("console.signed_in", "user", sess.Actor.ID, map[string]any{"method": method})
		return nil
	})
	if err != nil {
		return fmt.Errorf("start console session in %s: %w", sess.OrgID, err)
	}
	return nil
}

// UseConsoleLink spends a link on a new session.
func (s *DB) UseConsoleLink(ctx context.Context, id string, sess store.ConsoleSession) error {
	if len(sess.IDHash) == 0 || sess.OrgID == "" || sess.ExpiresAt.IsZero() || sess.IdleExpiresAt.IsZero() {
		return fmt.Errorf("use setup link: session id hash, organization and expiry are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, sess.Actor, sess.OrgID, func(t *tx) error {
		res, err := t.ExecContext(ctx, `UPDATE console_links SET used_at = $3
			WHERE id = $1 AND org_id = $2 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3`,
			id, sess.OrgID, s.t(t.now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return &store.ConflictError{Field: "setup link", Value: id}
		}
		sess.CreatedAt, sess.LastSeenAt = t.now, t.now
		_, err = t.ExecContext(ctx, `INSERT INTO console_sessions
			(id_hash, org_id, actor_kind, actor_id, actor_name, created_at, last_seen_at, idle_expires_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)`,
			sess.IDHash, sess.OrgID, sess.Actor.Kind, sess.Actor.ID, sess.Actor.Name, s.t(t.now), s.t(sess.IdleExpiresAt), s.t(sess.ExpiresAt))
		if err != nil {
			return err
		}
		t.emit("console_link.used", "console_link", id, nil)
		return nil
	})
	if err != nil {
		return fmt.Errorf("use setup link %s: %w", id, err)
	}
	return nil
}

// RevokeConsoleLink revokes an unused setup link.
func (s *DB) RevokeConsoleLink(ctx context.Context, actor store.Actor, orgID, id string) (store.ConsoleLink, error) {
	var l store.ConsoleLink
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var err error
		l, err = scanConsoleLink(t.QueryRowContext(ctx, `SELECT `+consoleLinkColumns+` FROM console_links WHERE id = $1 AND org_id = $2`, id, orgID))
		if err != nil {
			return notFound(err)
		}
		if !l.RevokedAt.IsZero() || !l.UsedAt.IsZero() {
			return nil
		}
		l.RevokedAt = t.now
		if _, err := t.ExecContext(ctx, `UPDATE console_links SET revoked_at = $3 WHERE id = $1 AND org_id = $2`, id, orgID, s.t(t.now)); err != nil {
			return err
		}
		t.emit("console_link.revoked", "console_link", id, map[string]any{"hint": l.Hint})
		return nil
	})
	if err != nil {
		return store.ConsoleLink{}, fmt.Errorf("revoke setup link %s of %s: %w", id, orgID, err)
	}
	return l, nil
}

// GetConsoleSession returns a console session.
func (s *DB) GetConsoleSession(ctx context.Context, idHash []byte) (store.ConsoleSession, error) {
	ss := store.ConsoleSession{IDHash: idHash}
	err := s.r.QueryRowContext(ctx, `SELECT org_id, actor_kind, actor_id, actor_name, created_at, last_seen_at,
		idle_expires_at, expires_at FROM console_sessions WHERE id_hash = $1`, idHash).
		Scan(&ss.OrgID, &ss.Actor.Kind, &ss.Actor.ID, &ss.Actor.Name, &ss.CreatedAt, &ss.LastSeenAt, &ss.IdleExpiresAt, &ss.ExpiresAt)
	if err != nil {
		return store.ConsoleSession{}, fmt.Errorf("get console session: %w", notFound(err))
	}
	ss.CreatedAt, ss.LastSeenAt = ss.CreatedAt.UTC(), ss.LastSeenAt.UTC()
	ss.IdleExpiresAt, ss.ExpiresAt = ss.IdleExpiresAt.UTC(), ss.ExpiresAt.UTC()
	return ss, nil
}

// TouchConsoleSession records a use of a console session.
func (s *DB) TouchConsoleSession(ctx context.Context, idHash []byte, at, idleUntil time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE console_sessions SET last_seen_at = $2,
		idle_expires_at = CASE WHEN $3 < expires_at THEN $3 ELSE expires_at END
		WHERE id_hash = $1`, idHash, s.t(at), s.t(idleUntil))
	if err != nil {
		return fmt.Errorf("touch console session: %w", err)
	}
	return nil
}

// DeleteConsoleSession ends a console session.
func (s *DB) DeleteConsoleSession(ctx context.Context, actor store.Actor, orgID string, idHash []byte, reason string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		res, err := t.ExecContext(ctx, `DELETE FROM console_sessions WHERE id_hash = $1 AND org_id = $2`, idHash, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		if reason == "logout" {
			t.emit("console.signed_out", "console_session", actor.ID, nil)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete console session of %s: %w", orgID, err)
	}
	return nil
}

// PurgeConsole deletes expired console sessions, and setup links a day
// past their expiry (kept that long so a late click says "expired").
func (s *DB) PurgeConsole(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []struct {
		sql string
		at  time.Time
	}{
		{`DELETE FROM console_sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`, now},
		{`DELETE FROM console_links WHERE expires_at <= $1`, now.Add(-24 * time.Hour)},
	} {
		res, err := s.w.ExecContext(ctx, q.sql, s.t(q.at))
		if err != nil {
			return total, fmt.Errorf("purge expired console records: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge expired console records: %w", err)
		}
		total += n
	}
	return total, nil
}
