package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PurgeEvents deletes old events organization by organization; see
// store.RetentionStore.
func (s *DB) PurgeEvents(ctx context.Context, before time.Time, limit int) (int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM orgs ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("purge events: list organizations: %w", err)
	}
	var orgs []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("purge events: %w", err)
		}
		orgs = append(orgs, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("purge events: %w", err)
	}
	var total int64
	for _, org := range orgs {
		n, err := s.purgeOrgEvents(ctx, org, before, limit)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// purgeOrgEvents deletes up to limit of one organization's events older
// than before. The events are read in seq order from the oldest kept (a
// range of the primary key, however large the log) and cut at the first
// newer one, so an event is never deleted while an older one stays; the
// cut never passes a webhook endpoint's cursor.
func (s *DB) purgeOrgEvents(ctx context.Context, orgID string, before time.Time, limit int) (int64, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("purge events of %s: %w", orgID, err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	rows, err := tx.QueryContext(ctx, `SELECT seq, created_at FROM events WHERE org_id = $1 ORDER BY seq LIMIT $2`, orgID, limit)
	if err != nil {
		return 0, fmt.Errorf("purge events of %s: %w", orgID, err)
	}
	var cut int64
	for rows.Next() {
		var seq int64
		var at time.Time
		if err := rows.Scan(&seq, &at); err != nil {
			rows.Close()
			return 0, fmt.Errorf("purge events of %s: %w", orgID, err)
		}
		if !at.Before(before) {
			break
		}
		cut = seq
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("purge events of %s: %w", orgID, err)
	}
	if cut == 0 {
		return 0, nil
	}
	var held *int64
	if err := tx.QueryRowContext(ctx, `SELECT MIN(cursor_seq) FROM webhook_endpoints WHERE org_id = $1`, orgID).Scan(&held); err != nil {
		return 0, fmt.Errorf("purge events of %s: read webhook cursors: %w", orgID, err)
	}
	if held != nil && *held < cut {
		cut = *held
	}
	// Nor the events the access deriver has yet to read.
	var derived *int64
	if err := tx.QueryRowContext(ctx, `SELECT CASE WHEN after_user = '' THEN seq ELSE seq - 1 END FROM access_cursors WHERE org_id = $1`, orgID).Scan(&derived); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("purge events of %s: read the access cursor: %w", orgID, err)
	}
	if derived != nil && *derived < cut {
		cut = *derived
	}
	if cut <= 0 {
		return 0, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE org_id = $1 AND seq <= $2`, orgID, cut)
	if err != nil {
		return 0, fmt.Errorf("purge events of %s: %w", orgID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge events of %s: %w", orgID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orgs SET events_purged_seq = $2 WHERE id = $1 AND events_purged_seq < $2`, orgID, cut); err != nil {
		return 0, fmt.Errorf("purge events of %s: record the horizon: %w", orgID, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("purge events of %s: %w", orgID, err)
	}
	return n, nil
}

// EventHorizon returns the last seq retention deleted in the organization.
func (s *DB) EventHorizon(ctx context.Context, orgID string) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT events_purged_seq FROM orgs WHERE id = $1`, orgID).Scan(&seq); err != nil {
		return 0, notFound(fmt.Errorf("event horizon of %s: %w", orgID, err))
	}
	return seq, nil
}

// PurgeDeliveries deletes old webhook delivery attempts, oldest first by
// their id (the order they were made in), so the scan starts where the old
// rows are.
func (s *DB) PurgeDeliveries(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN
		(SELECT id FROM webhook_deliveries WHERE at < $1 ORDER BY id LIMIT $2)`, s.t(before), limit)
	if err != nil {
		return 0, fmt.Errorf("purge webhook deliveries: %w", err)
	}
	return res.RowsAffected()
}
