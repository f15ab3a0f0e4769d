package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

const requestColumns = `id, org_id, at, token_id, token_name, method, path, resource, status, scim_type, detail,
	latency_us, request, response, client`

// AppendRequests stores a batch of provisioning log rows in one
// transaction of its own: the log is not part of any directory write, so
// it neither numbers events nor waits for the group committers' batches.
func (s *DB) AppendRequests(ctx context.Context, rs []store.Request) error {
	if len(rs) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("append %d requests to the provisioning log: %w", len(rs), err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	// The organization may have been deleted since the request: its row
	// is dropped by the WHERE instead of failing the batch on the foreign
	// key.
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO request_log (org_id, at, token_id, token_name, method, path,
		resource, status, scim_type, detail, latency_us, request, response, client)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 WHERE EXISTS (SELECT 1 FROM orgs WHERE id = $1)`)
	if err != nil {
		return fmt.Errorf("append requests to the provisioning log: %w", err)
	}
	defer stmt.Close()
	for _, r := range rs {
		if _, err := stmt.ExecContext(ctx, r.OrgID, s.t(r.At), r.TokenID, r.TokenName, r.Method, r.Path, r.Resource,
			r.Status, r.SCIMType, r.Detail, r.Latency.Microseconds(), r.Request, r.Response, r.Client); err != nil {
			return fmt.Errorf("append request of %s to the provisioning log: %w", r.OrgID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("append %d requests to the provisioning log: %w", len(rs), err)
	}
	return nil
}

// ListRequests lists an organization's requests, newest first.
func (s *DB) ListRequests(ctx context.Context, orgID string, f store.RequestFilter, before int64, limit int) ([]store.Request, error) {
	var q strings.Builder
	q.WriteString(`SELECT ` + requestColumns + ` FROM request_log WHERE org_id = $1`)
	args := []any{orgID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if before > 0 {
		q.WriteString(` AND id < ` + arg(before))
	}
	if f.Failed {
		// Written as in the partial index's predicate, so the planner uses it.
		q.WriteString(` AND status >= 400`)
	}
	if f.Resource != "" {
		q.WriteString(` AND resource = ` + arg(f.Resource))
	}
	if !f.Since.IsZero() {
		q.WriteString(` AND at >= ` + arg(s.t(f.Since)))
	}
	if !f.Until.IsZero() {
		q.WriteString(` AND at < ` + arg(s.t(f.Until)))
	}
	q.WriteString(` ORDER BY id DESC LIMIT ` + arg(limit))
	rows, err := s.r.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("list provisioning log of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []store.Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("list provisioning log of %s: %w", orgID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list provisioning log of %s: %w", orgID, err)
	}
	return out, nil
}

// GetRequest returns one of an organization's requests.
func (s *DB) GetRequest(ctx context.Context, orgID string, id int64) (store.Request, error) {
	r, err := scanRequest(s.r.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM request_log WHERE org_id = $1 AND id = $2`, orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Request{}, fmt.Errorf("get request %d of %s: %w", id, orgID, err)
	}
	return r, nil
}

func scanRequest(row scanner) (store.Request, error) {
	var r store.Request
	var us int64
	err := row.Scan(&r.ID, &r.OrgID, &r.At, &r.TokenID, &r.TokenName, &r.Method, &r.Path, &r.Resource, &r.Status,
		&r.SCIMType, &r.Detail, &us, &r.Request, &r.Response, &r.Client)
	r.At, r.Latency = r.At.UTC(), time.Duration(us)*time.Microsecond
	return r, err
}

// PurgeRequests deletes old provisioning log rows, oldest first by id (the
// order they were written in), so the scan starts where the old rows are.
func (s *DB) PurgeRequests(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM request_log WHERE id IN
		(SELECT id FROM request_log WHERE at < $1 ORDER BY id LIMIT $2)`, s.t(before), limit)
	if err != nil {
		return 0, fmt.Errorf("purge provisioning log: %w", err)
	}
	return res.RowsAffected()
}
