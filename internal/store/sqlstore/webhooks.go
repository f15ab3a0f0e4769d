package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

const webhookColumns = `org_id, id, url, description, event_types, enabled, disabled_reason, secret,
	previous_secret, previous_secret_until, cursor_seq, attempts, next_attempt_at, failing_since,
	version, created_at, updated_at, format, audience`

// dispatcherActor is who the events of the dispatcher's own decisions
// (disabling a failing endpoint) are recorded as.
var dispatcherActor = store.Actor{Kind: "system", Name: "webhook dispatcher"}

func scanWebhook(row interface{ Scan(...any) error }) (store.WebhookEndpoint, error) {
	var e store.WebhookEndpoint
	var types string
	var prevUntil, next, failing sql.NullTime
	err := row.Scan(&e.OrgID, &e.ID, &e.URL, &e.Description, &types, &e.Enabled, &e.DisabledReason, &e.Secret,
		&e.PreviousSecret, &prevUntil, &e.Cursor, &e.Attempts, &next, &failing,
		&e.Version, &e.CreatedAt, &e.UpdatedAt, &e.Format, &e.Audience)
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(types), &e.EventTypes); err != nil {
		return e, fmt.Errorf("decode event types of webhook %s: %w", e.ID, err)
	}
	e.PreviousSecretUntil = utcOrZero(prevUntil)
	e.NextAttemptAt = utcOrZero(next)
	e.FailingSince = utcOrZero(failing)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

func utcOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func encodeTypes(types []string) (string, error) {
	if types == nil {
		types = []string{}
	}
	b, err := json.Marshal(types)
	return string(b), err
}

// webhookData is what the events about an endpoint say: its settings,
// never a secret.
func webhookData(e store.WebhookEndpoint) map[string]any {
	types := e.EventTypes
	if types == nil {
		types = []string{}
	}
	return map[string]any{"url": e.URL, "description": e.Description, "event_types": types, "enabled": e.Enabled,
		"format": formatOf(e), "audience": e.Audience}
}

// formatOf is the endpoint's format, FormatStandardWebhooks when unset.
func formatOf(e store.WebhookEndpoint) string {
	if e.Format == "" {
		return store.FormatStandardWebhooks
	}
	return e.Format
}

// CreateWebhook stores a new endpoint.
func (s *DB) CreateWebhook(ctx context.Context, actor store.Actor, ep store.WebhookEndpoint) (store.WebhookEndpoint, error) {
	if ep.ID == "" || ep.OrgID == "" || ep.URL == "" || ep.Secret == "" {
		return store.WebhookEndpoint{}, fmt.Errorf("create webhook: id, organization, url and secret are required: %w", store.ErrInvalid)
	}
	types, err := encodeTypes(ep.EventTypes)
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("create webhook: %w", err)
	}
	out := ep
	err = s.write(ctx, actor, ep.OrgID, func(t *tx) error {
		out = ep
		// The cursor starts at the last event committed: the endpoint gets
		// what happens from now on, its own webhook.created first.
		if err := t.QueryRowContext(ctx, `SELECT event_seq FROM orgs WHERE id = $1`, ep.OrgID).Scan(&out.Cursor); err != nil {
			return fmt.Errorf("organization %s: %w", ep.OrgID, notFound(err))
		}
		out.Version, out.CreatedAt, out.UpdatedAt = 1, t.now, t.now
		out.PreviousSecret, out.PreviousSecretUntil = "", time.Time{}
		out.Attempts, out.NextAttemptAt, out.FailingSince = 0, time.Time{}, time.Time{}
		out.Format = formatOf(out)
		_, err := t.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+webhookColumns+`, lease_owner)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', NULL, $9, 0, NULL, NULL, 1, $10, $10, $11, $12, '')`,
			out.OrgID, out.ID, out.URL, out.Description, types, out.Enabled, out.DisabledReason, out.Secret,
			out.Cursor, s.t(t.now), out.Format, out.Audience)
		if s.d.IsUnique(err) {
			return &store.ConflictError{Field: "webhook id", Value: out.ID}
		}
		if err != nil {
			return err
		}
		t.emit("webhook.created", "webhook", out.ID, webhookData(out))
		return nil
	})
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("create webhook for %s: %w", ep.OrgID, err)
	}
	return out, nil
}

// GetWebhook returns an endpoint of an organization.
func (s *DB) GetWebhook(ctx context.Context, orgID, id string) (store.WebhookEndpoint, error) {
	e, err := scanWebhook(s.r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints
		WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("get webhook %s of %s: %w", id, orgID, notFound(err))
	}
	return e, nil
}

// ListWebhooks lists an organization's endpoints in creation order.
func (s *DB) ListWebhooks(ctx context.Context, orgID string) ([]store.WebhookEndpoint, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints
		WHERE org_id = $1 ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []store.WebhookEndpoint
	for rows.Next() {
		e, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("list webhooks of %s: %w", orgID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list webhooks of %s: %w", orgID, err)
	}
	return out, nil
}

// getWebhookTx reads an endpoint inside a write transaction.
func getWebhookTx(ctx context.Context, t *tx, orgID, id string) (store.WebhookEndpoint, error) {
	e, err := scanWebhook(t.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhook_endpoints
		WHERE org_id = $1 AND id = $2`, orgID, id))
	return e, notFound(err)
}

// UpdateWebhook changes an endpoint's settings.
func (s *DB) UpdateWebhook(ctx context.Context, actor store.Actor, orgID, id string, version int64, p store.WebhookPatch) (store.WebhookEndpoint, error) {
	var out store.WebhookEndpoint
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		e, err := getWebhookTx(ctx, t, orgID, id)
		if err != nil {
			return err
		}
		if version != 0 && e.Version != version {
			return store.ErrVersionMismatch
		}
		changed := map[string]any{}
		if p.URL != nil && *p.URL != e.URL {
			e.URL, changed["url"] = *p.URL, *p.URL
		}
		if p.Description != nil && *p.Description != e.Description {
			e.Description, changed["description"] = *p.Description, *p.Description
		}
		if p.EventTypes != nil && !slicesEqual(*p.EventTypes, e.EventTypes) {
			e.EventTypes = append([]string{}, *p.EventTypes...)
			changed["event_types"] = e.EventTypes
		}
		if p.Format != nil && *p.Format != e.Format {
			e.Format, changed["format"] = *p.Format, *p.Format
		}
		if p.Audience != nil && *p.Audience != e.Audience {
			e.Audience, changed["audience"] = *p.Audience, *p.Audience
		}
		out = e
		if len(changed) == 0 {
			return nil
		}
		types, err := encodeTypes(e.EventTypes)
		if err != nil {
			return err
		}
		out.Version, out.UpdatedAt = e.Version+1, t.now
		if _, err := t.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $3, description = $4, event_types = $5,
			version = $6, updated_at = $7, format = $8, audience = $9 WHERE org_id = $1 AND id = $2`,
			orgID, id, e.URL, e.Description, types, out.Version, s.t(t.now), e.Format, e.Audience); err != nil {
			return err
		}
		t.emit("webhook.updated", "webhook", id, map[string]any{"changed": changed})
		return nil
	})
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("update webhook %s of %s: %w", id, orgID, err)
	}
	return out, nil
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// RotateWebhookSecret replaces the signing secret, keeping the old one for
// a grace period.
func (s *DB) RotateWebhookSecret(ctx context.Context, actor store.Actor, orgID, id, secret string, previousUntil time.Time) (store.WebhookEndpoint, error) {
	if secret == "" {
		return store.WebhookEndpoint{}, fmt.Errorf("rotate secret of webhook %s: a secret is required: %w", id, store.ErrInvalid)
	}
	var out store.WebhookEndpoint
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		e, err := getWebhookTx(ctx, t, orgID, id)
		if err != nil {
			return err
		}
		e.PreviousSecret, e.PreviousSecretUntil = e.Secret, previousUntil.UTC().Truncate(time.Microsecond)
		e.Secret = secret
		e.Version, e.UpdatedAt = e.Version+1, t.now
		if _, err := t.ExecContext(ctx, `UPDATE webhook_endpoints SET secret = $3, previous_secret = $4,
			previous_secret_until = $5, version = $6, updated_at = $7 WHERE org_id = $1 AND id = $2`,
			orgID, id, e.Secret, e.PreviousSecret, s.t(e.PreviousSecretUntil), e.Version, s.t(t.now)); err != nil {
			return err
		}
		out = e
		t.emit("webhook.secret_rotated", "webhook", id, map[string]any{"previous_secret_until": e.PreviousSecretUntil})
		return nil
	})
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("rotate secret of webhook %s of %s: %w", id, orgID, err)
	}
	return out, nil
}

// SetWebhookEnabled enables or disables an endpoint.
func (s *DB) SetWebhookEnabled(ctx context.Context, actor store.Actor, orgID, id string, enabled bool, reason string) (store.WebhookEndpoint, error) {
	var out store.WebhookEndpoint
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		e, err := getWebhookTx(ctx, t, orgID, id)
		if err != nil {
			return err
		}
		out = e
		if e.Enabled == enabled {
			return nil
		}
		return setEnabledTx(ctx, t, &out, enabled, reason)
	})
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("set webhook %s of %s enabled=%t: %w", id, orgID, enabled, err)
	}
	return out, nil
}

// setEnabledTx enables or disables e, which is enabled the other way.
// Enabling forgets past failures, so delivery resumes at once from the
// cursor: nothing was skipped while the endpoint was off.
func setEnabledTx(ctx context.Context, t *tx, e *store.WebhookEndpoint, enabled bool, reason string) error {
	e.Enabled, e.Version, e.UpdatedAt = enabled, e.Version+1, t.now
	if enabled {
		e.DisabledReason, e.Attempts, e.NextAttemptAt, e.FailingSince = "", 0, time.Time{}, time.Time{}
		if _, err := t.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = $3, disabled_reason = '', attempts = 0,
			next_attempt_at = NULL, failing_since = NULL, version = $4, updated_at = $5 WHERE org_id = $1 AND id = $2`,
			e.OrgID, e.ID, true, e.Version, t.s.t(t.now)); err != nil {
			return err
		}
		t.emit("webhook.enabled", "webhook", e.ID, nil)
		return nil
	}
	e.DisabledReason = reason
	if _, err := t.ExecContext(ctx, `UPDATE webhook_endpoints SET enabled = $3, disabled_reason = $4,
		version = $5, updated_at = $6 WHERE org_id = $1 AND id = $2`,
		e.OrgID, e.ID, false, reason, e.Version, t.s.t(t.now)); err != nil {
		return err
	}
	t.emit("webhook.disabled", "webhook", e.ID, map[string]any{"reason": reason})
	return nil
}

// DeleteWebhook removes an endpoint and its delivery log.
func (s *DB) DeleteWebhook(ctx context.Context, actor store.Actor, orgID, id string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		e, err := getWebhookTx(ctx, t, orgID, id)
		if err != nil {
			return err
		}
		if _, err := t.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2`, orgID, id); err != nil {
			return err
		}
		t.emit("webhook.deleted", "webhook", id, webhookData(e))
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete webhook %s of %s: %w", id, orgID, err)
	}
	return nil
}

const deliveryColumns = `id, org_id, endpoint_id, seq, event_type, attempt, redelivery, at, status, error, latency_us, response`

// ListWebhookDeliveries lists an endpoint's attempts, newest first.
func (s *DB) ListWebhookDeliveries(ctx context.Context, orgID, id string, before int64, limit int) ([]store.WebhookDelivery, error) {
	if _, err := s.GetWebhook(ctx, orgID, id); err != nil {
		return nil, err
	}
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2`
	args := []any{orgID, id}
	if before > 0 {
		q += ` AND id < $4`
		args = append(args, limit, before)
	} else {
		args = append(args, limit)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %s: %w", id, err)
	}
	defer rows.Close()
	var out []store.WebhookDelivery
	for rows.Next() {
		var d store.WebhookDelivery
		var us int64
		if err := rows.Scan(&d.ID, &d.OrgID, &d.EndpointID, &d.Seq, &d.EventType, &d.Attempt, &d.Redelivery,
			&d.At, &d.Status, &d.Error, &us, &d.Response); err != nil {
			return nil, fmt.Errorf("list deliveries of webhook %s: %w", id, err)
		}
		d.At, d.Latency = d.At.UTC(), time.Duration(us)*time.Microsecond
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %s: %w", id, err)
	}
	return out, nil
}

// LogWebhookDelivery logs an attempt made outside a lease.
func (s *DB) LogWebhookDelivery(ctx context.Context, d store.WebhookDelivery) (store.WebhookDelivery, error) {
	err := s.write(ctx, dispatcherActor, d.OrgID, func(t *tx) error {
		if _, err := getWebhookTx(ctx, t, d.OrgID, d.EndpointID); err != nil {
			return err
		}
		var err error
		d.ID, err = insertDelivery(ctx, t, d)
		return err
	})
	if err != nil {
		return store.WebhookDelivery{}, fmt.Errorf("log delivery to webhook %s: %w", d.EndpointID, err)
	}
	return d, nil
}

func insertDelivery(ctx context.Context, t *tx, d store.WebhookDelivery) (int64, error) {
	var id int64
	err := t.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (org_id, endpoint_id, seq, event_type, attempt,
		redelivery, at, status, error, latency_us, response) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		RETURNING id`,
		d.OrgID, d.EndpointID, d.Seq, d.EventType, d.Attempt, d.Redelivery, t.s.t(d.At), d.Status, d.Error,
		d.Latency.Microseconds(), d.Response).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("log delivery: %w", err)
	}
	return id, nil
}

// ClaimWebhooks leases due endpoints with pending events. On PostgreSQL the
// candidates are locked with SKIP LOCKED, so concurrent claims by other
// instances pass over each other's rows instead of queueing behind them;
// the lease condition is checked again on the locked row, so an endpoint
// is never leased twice. SQLite has one writer, which orders claims.
func (s *DB) ClaimWebhooks(ctx context.Context, owner string, now, until time.Time, limit int) ([]store.WebhookLease, error) {
	lock := ""
	if s.d.Name == "postgres" {
		lock = " FOR UPDATE OF e SKIP LOCKED"
	}
	q := `UPDATE webhook_endpoints SET lease_owner = $1, lease_until = $2
		WHERE (org_id, id) IN (SELECT e.org_id, e.id FROM webhook_endpoints e JOIN orgs o ON o.id = e.org_id
			WHERE e.enabled AND o.event_seq > e.cursor_seq
			AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= $3)
			AND (e.lease_until IS NULL OR e.lease_until <= $3 OR e.lease_owner = $1)
			ORDER BY e.next_attempt_at, e.org_id, e.id LIMIT $4` + lock + `)
		RETURNING ` + webhookColumns
	var out []store.WebhookLease
	// Claiming is bookkeeping of no organization in particular: it runs
	// in a transaction of its own, with no events.
	err := s.write(ctx, dispatcherActor, "", func(t *tx) error {
		out = out[:0]
		rows, err := t.QueryContext(ctx, q, owner, s.t(until), s.t(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanWebhook(rows)
			if err != nil {
				return err
			}
			out = append(out, store.WebhookLease{Endpoint: e, Owner: owner, Until: until.UTC().Truncate(time.Microsecond)})
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim webhooks: %w", err)
	}
	return out, nil
}

// RecordWebhookAttempt logs attempts and moves the endpoint on.
func (s *DB) RecordWebhookAttempt(ctx context.Context, owner, orgID, id string, o store.WebhookOutcome) (store.WebhookEndpoint, error) {
	var out store.WebhookEndpoint
	err := s.write(ctx, dispatcherActor, orgID, func(t *tx) error {
		var leaseOwner string
		err := t.QueryRowContext(ctx, `SELECT lease_owner FROM webhook_endpoints WHERE org_id = $1 AND id = $2`,
			orgID, id).Scan(&leaseOwner)
		if err != nil {
			return notFound(err)
		}
		if leaseOwner != owner {
			return fmt.Errorf("lease of %s is held by %q, not %q: %w", id, leaseOwner, owner, store.ErrVersionMismatch)
		}
		e, err := getWebhookTx(ctx, t, orgID, id)
		if err != nil {
			return err
		}
		for _, d := range o.Deliveries {
			d.OrgID, d.EndpointID = orgID, id
			if _, err := insertDelivery(ctx, t, d); err != nil {
				return err
			}
		}
		var sets []string
		args := []any{orgID, id}
		set := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		}
		if o.Cursor > e.Cursor {
			e.Cursor, e.Attempts, e.NextAttemptAt, e.FailingSince = o.Cursor, 0, time.Time{}, time.Time{}
		}
		// A failure is retried when the outcome says when; one without a
		// retry time (a SET the receiver rejected for good, RFC 8935
		// §2.4) is only logged, and the cursor moves past it.
		if n := len(o.Deliveries); n > 0 && !o.Retry.IsZero() {
			last := o.Deliveries[n-1]
			e.Attempts++
			e.NextAttemptAt = o.Retry.UTC().Truncate(time.Microsecond)
			if e.FailingSince.IsZero() {
				e.FailingSince = last.At.UTC().Truncate(time.Microsecond)
			}
		}
		set("cursor_seq", e.Cursor)
		set("attempts", e.Attempts)
		set("next_attempt_at", s.t(e.NextAttemptAt))
		set("failing_since", s.t(e.FailingSince))
		if o.LeaseUntil.IsZero() {
			set("lease_owner", "")
			set("lease_until", nil)
		} else {
			set("lease_until", s.t(o.LeaseUntil))
		}
		// The owner is checked again by the update itself: on PostgreSQL
		// another instance may have taken the lease over since the read.
		args = append(args, owner)
		res, err := t.ExecContext(ctx, `UPDATE webhook_endpoints SET `+strings.Join(sets, ", ")+
			fmt.Sprintf(` WHERE org_id = $1 AND id = $2 AND lease_owner = $%d`, len(args)), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("lease of %s was taken over: %w", id, store.ErrVersionMismatch)
		}
		if o.Disable != "" && e.Enabled {
			if err := setEnabledTx(ctx, t, &e, false, o.Disable); err != nil {
				return err
			}
		}
		out = e
		return nil
	})
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("record attempt for webhook %s of %s: %w", id, orgID, err)
	}
	return out, nil
}
