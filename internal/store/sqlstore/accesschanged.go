package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// deriverActor writes the access.changed events.
var deriverActor = store.Actor{Kind: "system", Name: "access deriver"}

// ClaimAccessDerivations leases organizations with events to derive.
// Organizations made after migration 0016 get their cursor here, at 0:
// their whole log is derived.
func (s *DB) ClaimAccessDerivations(ctx context.Context, owner string, now, until time.Time, limit int) ([]store.AccessDerivation, error) {
	lock := ""
	if s.d.Name == "postgres" {
		lock = " FOR UPDATE OF c SKIP LOCKED"
	}
	var out []store.AccessDerivation
	err := s.write(ctx, deriverActor, "", func(t *tx) error {
		out = out[:0]
		if _, err := t.ExecContext(ctx, `INSERT INTO access_cursors (org_id, seq, after_user, lease_owner)
			SELECT o.id, 0, '', '' FROM orgs o WHERE NOT EXISTS (SELECT 1 FROM access_cursors c WHERE c.org_id = o.id)
			ON CONFLICT DO NOTHING`); err != nil {
			return fmt.Errorf("start cursors: %w", err)
		}
		rows, err := t.QueryContext(ctx, `UPDATE access_cursors SET lease_owner = $1, lease_until = $2
			WHERE org_id IN (SELECT c.org_id FROM access_cursors c JOIN orgs o ON o.id = c.org_id
				WHERE (o.event_seq > c.seq OR c.after_user <> '')
				AND (c.lease_until IS NULL OR c.lease_until <= $3 OR c.lease_owner = $1)
				ORDER BY c.org_id LIMIT $4`+lock+`)
			RETURNING org_id, seq, after_user`, owner, s.t(until), s.t(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d store.AccessDerivation
			if err := rows.Scan(&d.Cursor.OrgID, &d.Cursor.Seq, &d.Cursor.After); err != nil {
				return err
			}
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			if err := t.QueryRowContext(ctx, `SELECT event_seq FROM orgs WHERE id = $1`, out[i].Cursor.OrgID).Scan(&out[i].Last); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim access derivations: %w", err)
	}
	return out, nil
}

// AccessAudienceUsers asks each set of a for its first limit ids above
// after, each query on an index in id order, and merges them: a batch
// costs limit rows a set however large the sets are.
func (s *DB) AccessAudienceUsers(ctx context.Context, orgID string, a store.AccessAudience, after string, limit int) ([]string, error) {
	type query struct {
		q    string
		args []any
	}
	page := ` AND user_id > $2 ORDER BY user_id LIMIT $3`
	var qs []query
	add := func(q string, args ...any) {
		qs = append(qs, query{q + page, append([]any{orgID, after, limit}, args...)})
	}
	groups := slices.Clone(a.Groups)
	for _, r := range a.Resources {
		add(`SELECT DISTINCT user_id FROM resource_members WHERE org_id = $1 AND resource_type = $4 AND resource_id = $5`, r.Type, r.ID)
		granted, err := queryAll(ctx, s.r, func(r scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, `SELECT group_id FROM grants WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 ORDER BY group_id`, orgID, r.Type, r.ID)
		if err != nil {
			return nil, fmt.Errorf("access audience of %s %s: %w", r.Type, r.ID, err)
		}
		groups = append(groups, granted...)
	}
	slices.Sort(groups)
	for _, g := range slices.Compact(groups) {
		add(`SELECT user_id FROM group_members WHERE org_id = $1 AND group_id = $4`, g)
		add(`SELECT user_id FROM access_deleted_members WHERE org_id = $1 AND group_id = $4`, g)
	}
	if a.DeletedGroup != "" {
		add(`SELECT user_id FROM access_deleted_members WHERE org_id = $1 AND group_id = $4 AND granted`, a.DeletedGroup)
	}
	if a.Joined {
		add(`SELECT DISTINCT user_id FROM resource_members WHERE org_id = $1 AND origin LIKE 'group:%'`)
	}
	var ids []string
	for _, u := range a.Users {
		if u > after {
			ids = append(ids, u)
		}
	}
	for _, q := range qs {
		got, err := queryAll(ctx, s.r, func(r scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		}, q.q, q.args...)
		if err != nil {
			return nil, fmt.Errorf("access audience of %s: %w", orgID, err)
		}
		ids = append(ids, got...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}

// RecordAccessDerivation appends the changes and moves the cursor, if it
// is still where the deriver read it.
func (s *DB) RecordAccessDerivation(ctx context.Context, from, to store.AccessCursor, changes []store.AccessChange, purgeGroup string) error {
	err := s.write(ctx, deriverActor, from.OrgID, func(t *tx) error {
		res, err := t.ExecContext(ctx, `UPDATE access_cursors SET seq = $4, after_user = $5
			WHERE org_id = $1 AND seq = $2 AND after_user = $3`, from.OrgID, from.Seq, from.After, to.Seq, to.After)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("the access cursor of %s moved on from %d/%q: %w", from.OrgID, from.Seq, from.After, store.ErrVersionMismatch)
		}
		if purgeGroup != "" {
			if _, err := t.ExecContext(ctx, `DELETE FROM access_deleted_members WHERE org_id = $1 AND group_id = $2`, from.OrgID, purgeGroup); err != nil {
				return fmt.Errorf("forget the members of deleted group %s: %w", purgeGroup, err)
			}
		}
		for _, c := range changes {
			t.emit("access.changed", "user", c.UserID, map[string]any{"user_id": c.UserID, "cause_seq": c.CauseSeq, "cause_type": c.CauseType})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record access derivation of %s: %w", from.OrgID, err)
	}
	return nil
}
