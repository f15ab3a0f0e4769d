package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// This file implements store.SSOStore: SAML configurations, pending
// sign-in requests, the assertion replay cache and sessions.

const samlConfigColumns = `org_id, idp_metadata, idp_entity_id, metadata_url, metadata_updated_at,
	sp_initiated, idp_initiated, allow_sha1, want_assertions_signed, name_id_format,
	link_by, link_attribute, jit_provisioning, base_url, version, created_at, updated_at`

func scanSAMLConfig(row scanner) (store.SAMLConfig, error) {
	var c store.SAMLConfig
	var updated sql.NullTime
	err := row.Scan(&c.OrgID, &c.IdPMetadata, &c.IdPEntityID, &c.MetadataURL, &updated,
		&c.SPInitiated, &c.IdPInitiated, &c.AllowSHA1, &c.WantAssertionsSigned, &c.NameIDFormat,
		&c.LinkBy, &c.LinkAttribute, &c.JITProvisioning, &c.BaseURL, &c.Version, &c.CreatedAt, &c.UpdatedAt)
	if updated.Valid {
		c.MetadataUpdatedAt = updated.Time.UTC()
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// GetSAMLConfig returns an organization's SSO configuration.
func (s *DB) GetSAMLConfig(ctx context.Context, orgID string) (store.SAMLConfig, error) {
	c, err := scanSAMLConfig(s.r.QueryRowContext(ctx, `SELECT `+samlConfigColumns+` FROM saml_configs WHERE org_id = $1`, orgID))
	if err != nil {
		return store.SAMLConfig{}, fmt.Errorf("get SAML configuration of %s: %w", orgID, notFound(err))
	}
	return c, nil
}

// PutSAMLConfig creates or replaces an organization's SSO configuration.
func (s *DB) PutSAMLConfig(ctx context.Context, actor store.Actor, c store.SAMLConfig, ifVersion int64) (store.SAMLConfig, error) {
	if c.OrgID == "" || !c.LinkBy.Valid() {
		return store.SAMLConfig{}, fmt.Errorf("put SAML configuration: organization and link mode are required: %w", store.ErrInvalid)
	}
	if c.IdPMetadata == nil {
		c.IdPMetadata = []byte{}
	}
	err := s.write(ctx, actor, c.OrgID, func(t *tx) error {
		old, err := scanSAMLConfig(t.QueryRowContext(ctx, `SELECT `+samlConfigColumns+` FROM saml_configs WHERE org_id = $1`, c.OrgID))
		exists := err == nil
		switch {
		case errors.Is(err, sql.ErrNoRows):
			old = store.DefaultSAMLConfig(c.OrgID)
		case err != nil:
			return err
		}
		if ifVersion != 0 && old.Version != ifVersion {
			return store.ErrVersionMismatch
		}
		metadataChanged := string(old.IdPMetadata) != string(c.IdPMetadata) || old.MetadataURL != c.MetadataURL
		changes := samlSettingChanges(old, c)
		if exists && !metadataChanged && len(changes) == 0 {
			c = old
			return nil
		}
		c.CreatedAt, c.UpdatedAt = old.CreatedAt, t.now
		c.MetadataUpdatedAt = old.MetadataUpdatedAt
		if metadataChanged {
			c.MetadataUpdatedAt = t.now
		}
		c.Version = old.Version + 1
		if !exists {
			c.CreatedAt = t.now
			_, err = t.ExecContext(ctx, `INSERT INTO saml_configs (`+samlConfigColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
				c.OrgID, c.IdPMetadata, c.IdPEntityID, c.MetadataURL, s.t(c.MetadataUpdatedAt),
				c.SPInitiated, c.IdPInitiated, c.AllowSHA1, c.WantAssertionsSigned, c.NameIDFormat,
				c.LinkBy, c.LinkAttribute, c.JITProvisioning, c.BaseURL, c.Version, s.t(c.CreatedAt), s.t(c.UpdatedAt))
			if s.d.IsForeignKey(err) {
				return fmt.Errorf("organization %s: %w", c.OrgID, store.ErrNotFound)
			}
		} else {
			_, err = t.ExecContext(ctx, `UPDATE saml_configs SET idp_metadata = $2, idp_entity_id = $3,
				metadata_url = $4, metadata_updated_at = $5, sp_initiated = $6, idp_initiated = $7,
				allow_sha1 = $8, want_assertions_signed = $9, name_id_format = $10, link_by = $11,
				link_attribute = $12, jit_provisioning = $13, base_url = $14, version = $15, updated_at = $16
				WHERE org_id = $1`,
				c.OrgID, c.IdPMetadata, c.IdPEntityID, c.MetadataURL, s.t(c.MetadataUpdatedAt),
				c.SPInitiated, c.IdPInitiated, c.AllowSHA1, c.WantAssertionsSigned, c.NameIDFormat,
				c.LinkBy, c.LinkAttribute, c.JITProvisioning, c.BaseURL, c.Version, s.t(c.UpdatedAt))
		}
		if err != nil {
			return err
		}
		if metadataChanged {
			sum := sha256.Sum256(c.IdPMetadata)
			t.emit("sso.idp_metadata_set", "saml_config", c.OrgID, map[string]any{
				"idp_entity_id":   c.IdPEntityID,
				"metadata_url":    c.MetadataURL,
				"metadata_sha256": hex.EncodeToString(sum[:]),
			})
		}
		if len(changes) > 0 {
			t.emit("sso.settings_changed", "saml_config", c.OrgID, changes)
		}
		return nil
	})
	if err != nil {
		return store.SAMLConfig{}, fmt.Errorf("put SAML configuration of %s: %w", c.OrgID, err)
	}
	return c, nil
}

// samlSettingChanges lists the settings that differ, as {"old", "new"}
// pairs keyed by setting name.
func samlSettingChanges(old, c store.SAMLConfig) map[string]any {
	out := map[string]any{}
	add := func(name string, a, b any) {
		if a != b {
			out[name] = map[string]any{"old": a, "new": b}
		}
	}
	add("sp_initiated", old.SPInitiated, c.SPInitiated)
	add("idp_initiated", old.IdPInitiated, c.IdPInitiated)
	add("allow_sha1", old.AllowSHA1, c.AllowSHA1)
	add("want_assertions_signed", old.WantAssertionsSigned, c.WantAssertionsSigned)
	add("name_id_format", old.NameIDFormat, c.NameIDFormat)
	add("link_by", string(old.LinkBy), string(c.LinkBy))
	add("link_attribute", old.LinkAttribute, c.LinkAttribute)
	add("jit_provisioning", old.JITProvisioning, c.JITProvisioning)
	add("base_url", old.BaseURL, c.BaseURL)
	return out
}

// ListSAMLMetadataURLs lists configurations refreshed from a URL.
func (s *DB) ListSAMLMetadataURLs(ctx context.Context, after string, limit int) ([]store.SAMLConfig, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+samlConfigColumns+` FROM saml_configs
		WHERE metadata_url <> '' AND org_id > $1 ORDER BY org_id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list SAML metadata URLs: %w", err)
	}
	defer rows.Close()
	var out []store.SAMLConfig
	for rows.Next() {
		c, err := scanSAMLConfig(rows)
		if err != nil {
			return nil, fmt.Errorf("list SAML metadata URLs: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list SAML metadata URLs: %w", err)
	}
	return out, nil
}

// CreateSAMLRequest stores a pending SP-initiated sign-in, unless the
// organization has maxPending requests in flight already. The count and the
// insert are two statements, so instances racing at the cap may pass it by
// a few rows: the cap bounds the table, it is not an exact quota.
func (s *DB) CreateSAMLRequest(ctx context.Context, r store.SAMLRequest, maxPending int) error {
	if len(r.RelayHash) == 0 || len(r.BrowserHash) == 0 || r.RequestID == "" {
		return fmt.Errorf("create SAML request: relay hash, browser hash and request id are required: %w", store.ErrInvalid)
	}
	if maxPending > 0 {
		var n int
		if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM saml_requests WHERE org_id = $1 AND expires_at > $2`,
			r.OrgID, s.t(r.CreatedAt)).Scan(&n); err != nil {
			return fmt.Errorf("create SAML request: count pending requests of %s: %w", r.OrgID, err)
		}
		if n >= maxPending {
			return fmt.Errorf("create SAML request: %s has %d sign-ins in flight: %w", r.OrgID, n, store.ErrLimit)
		}
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO saml_requests
		(relay_hash, org_id, request_id, browser_hash, return_to, state, test, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.RelayHash, r.OrgID, r.RequestID, r.BrowserHash, r.ReturnTo, r.State, r.Test, s.t(r.CreatedAt), s.t(r.ExpiresAt))
	switch {
	case s.d.IsForeignKey(err):
		return fmt.Errorf("create SAML request: organization %s: %w", r.OrgID, store.ErrNotFound)
	case s.d.IsUnique(err):
		return fmt.Errorf("create SAML request: %w", &store.ConflictError{Field: "relay state", Value: "(hashed)"})
	case err != nil:
		return fmt.Errorf("create SAML request: %w", err)
	}
	return nil
}

// TakeSAMLRequest deletes and returns a pending request.
func (s *DB) TakeSAMLRequest(ctx context.Context, orgID string, relayHash []byte, now time.Time) (store.SAMLRequest, error) {
	r := store.SAMLRequest{OrgID: orgID, RelayHash: relayHash}
	err := s.w.QueryRowContext(ctx, `DELETE FROM saml_requests WHERE relay_hash = $1 AND org_id = $2
		RETURNING request_id, browser_hash, return_to, state, test, created_at, expires_at`, relayHash, orgID).
		Scan(&r.RequestID, &r.BrowserHash, &r.ReturnTo, &r.State, &r.Test, &r.CreatedAt, &r.ExpiresAt)
	if err != nil {
		return store.SAMLRequest{}, fmt.Errorf("take SAML request of %s: %w", orgID, notFound(err))
	}
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	if !now.Before(r.ExpiresAt) {
		return store.SAMLRequest{}, fmt.Errorf("take SAML request of %s: expired: %w", orgID, store.ErrNotFound)
	}
	return r, nil
}

// PutSAMLTestResult stores a Test sign-in's result.
func (s *DB) PutSAMLTestResult(ctx context.Context, r store.SAMLTestResult) error {
	if r.OrgID == "" || r.RequestID == "" || r.ExpiresAt.IsZero() || (r.Outcome != store.SignInSuccess && r.Outcome != store.SignInRefused) {
		return fmt.Errorf("put SAML test result: organization, request id, outcome and expiry are required: %w", store.ErrInvalid)
	}
	attrs := r.Attributes
	if attrs == nil {
		attrs = map[string][]string{}
	}
	js, err := json.Marshal(attrs)
	if err != nil {
		return fmt.Errorf("put SAML test result: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO saml_test_results (org_id, request_id, outcome, reason, detail, name_id,
		name_id_format, attributes, user_id, would_create, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (org_id, request_id) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason,
		detail = excluded.detail, name_id = excluded.name_id, name_id_format = excluded.name_id_format,
		attributes = excluded.attributes, user_id = excluded.user_id, would_create = excluded.would_create,
		created_at = excluded.created_at, expires_at = excluded.expires_at`,
		r.OrgID, r.RequestID, r.Outcome, r.Reason, r.Detail, r.NameID, r.NameIDFormat, string(js), r.UserID, r.WouldCreate,
		s.t(r.CreatedAt), s.t(r.ExpiresAt))
	if s.d.IsForeignKey(err) {
		return fmt.Errorf("put SAML test result: organization %s: %w", r.OrgID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("put SAML test result of %s: %w", r.OrgID, err)
	}
	return nil
}

// GetSAMLTestResult returns a Test sign-in's result.
func (s *DB) GetSAMLTestResult(ctx context.Context, orgID, requestID string, now time.Time) (store.SAMLTestResult, error) {
	r := store.SAMLTestResult{OrgID: orgID, RequestID: requestID}
	var attrs string
	err := s.r.QueryRowContext(ctx, `SELECT outcome, reason, detail, name_id, name_id_format, attributes, user_id,
		would_create, created_at, expires_at FROM saml_test_results WHERE org_id = $1 AND request_id = $2`, orgID, requestID).
		Scan(&r.Outcome, &r.Reason, &r.Detail, &r.NameID, &r.NameIDFormat, &attrs, &r.UserID, &r.WouldCreate, &r.CreatedAt, &r.ExpiresAt)
	if err != nil {
		return store.SAMLTestResult{}, fmt.Errorf("get SAML test result of %s: %w", orgID, notFound(err))
	}
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	if !now.Before(r.ExpiresAt) {
		return store.SAMLTestResult{}, fmt.Errorf("get SAML test result of %s: expired: %w", orgID, store.ErrNotFound)
	}
	if err := json.Unmarshal([]byte(attrs), &r.Attributes); err != nil {
		return store.SAMLTestResult{}, fmt.Errorf("get SAML test result of %s: attributes: %w", orgID, err)
	}
	return r, nil
}

// RememberAssertion is the replay check. A row left over from an
// assertion that has expired (not purged yet) is taken over, so only a
// live record refuses.
func (s *DB) RememberAssertion(ctx context.Context, orgID, assertionID string, until time.Time) (bool, error) {
	if assertionID == "" {
		return false, fmt.Errorf("remember assertion: empty id: %w", store.ErrInvalid)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO saml_assertions (org_id, assertion_id, expires_at)
		VALUES ($1, $2, $3)
		ON CONFLICT (org_id, assertion_id) DO UPDATE SET expires_at = excluded.expires_at
		WHERE saml_assertions.expires_at <= $4`,
		orgID, assertionID, s.t(until), s.t(s.clock()))
	if s.d.IsForeignKey(err) {
		return false, fmt.Errorf("remember assertion: organization %s: %w", orgID, store.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("remember assertion of %s: %w", orgID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remember assertion of %s: %w", orgID, err)
	}
	return n == 1, nil
}

// CreateSession stores a session and records the sign-in.
func (s *DB) CreateSession(ctx context.Context, actor store.Actor, ss store.Session, in store.SignIn) (store.Session, error) {
	if len(ss.IDHash) == 0 || ss.UserID == "" || ss.ExpiresAt.IsZero() || ss.IdleExpiresAt.IsZero() {
		return store.Session{}, fmt.Errorf("create session: id hash, user and expiry are required: %w", store.ErrInvalid)
	}
	err := s.write(ctx, actor, ss.OrgID, func(t *tx) error {
		ss.CreatedAt, ss.LastSeenAt = t.now, t.now
		err := t.QueryRowContext(ctx, `SELECT user_name, active FROM users WHERE org_id = $1 AND id = $2`, ss.OrgID, ss.UserID).
			Scan(&ss.UserName, &ss.UserActive)
		if err != nil {
			return fmt.Errorf("user %s: %w", ss.UserID, notFound(err))
		}
		if !ss.UserActive {
			return fmt.Errorf("user %s is deactivated: %w", ss.UserID, store.ErrInvalid)
		}
		_, err = t.ExecContext(ctx, `INSERT INTO sso_sessions
			(id_hash, org_id, user_id, created_at, last_seen_at, idle_expires_at, expires_at)
			VALUES ($1, $2, $3, $4, $4, $5, $6)`,
			ss.IDHash, ss.OrgID, ss.UserID, s.t(t.now), s.t(ss.IdleExpiresAt), s.t(ss.ExpiresAt))
		if s.d.IsUnique(err) {
			return &store.ConflictError{Field: "session id", Value: "(hashed)"}
		}
		if err != nil {
			return err
		}
		in.UserID = ss.UserID
		if err := insertSignIn(ctx, t, ss.OrgID, store.SignInSuccess, in); err != nil {
			return err
		}
		t.emit("sso.signed_in", "user", ss.UserID, signInData(in, ss))
		return nil
	})
	if err != nil {
		return store.Session{}, fmt.Errorf("create session for %s: %w", ss.UserID, err)
	}
	return ss, nil
}

func signInData(in store.SignIn, ss store.Session) map[string]any {
	d := map[string]any{"method": in.Method, "name_id": in.NameID}
	if !ss.ExpiresAt.IsZero() {
		d["session_expires_at"] = ss.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if in.JIT {
		d["jit"] = true
	}
	return d
}

// RecordSignInRefused counts a refused sign-in in its window; the first of
// a window is an event, the first few are sign-in log rows.
func (s *DB) RecordSignInRefused(ctx context.Context, actor store.Actor, orgID string, in store.SignIn, w store.RefusalWindow) (int64, error) {
	if in.Reason == "" || w.Start.IsZero() {
		return 0, fmt.Errorf("record refused sign-in: a reason and a window are required: %w", store.ErrInvalid)
	}
	var count int64
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		err := t.QueryRowContext(ctx, `INSERT INTO sso_refusal_windows (org_id, reason, window_start, count)
			VALUES ($1, $2, $3, 1)
			ON CONFLICT (org_id, reason, window_start) DO UPDATE SET count = sso_refusal_windows.count + 1
			RETURNING count`, orgID, in.Reason, s.t(w.Start)).Scan(&count)
		if s.d.IsForeignKey(err) {
			return fmt.Errorf("organization %s: %w", orgID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if count <= w.KeepDetail {
			if err := insertSignIn(ctx, t, orgID, store.SignInRefused, in); err != nil {
				return err
			}
		}
		if count == 1 {
			subjectType, subjectID := "saml_config", orgID
			if in.UserID != "" {
				subjectType, subjectID = "user", in.UserID
			}
			t.emit("sso.sign_in_refused", subjectType, subjectID, refusedData{SignIn: in, WindowStart: w.Start.UTC()})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("record refused sign-in for %s: %w", orgID, err)
	}
	return count, nil
}

// refusedData is the data of "sso.sign_in_refused": the refusal and the
// window whose later refusals its summary event counts.
type refusedData struct {
	store.SignIn
	WindowStart time.Time `json:"window_start"`
}

// insertSignIn adds a row to the sign-in log.
func insertSignIn(ctx context.Context, t *tx, orgID, outcome string, in store.SignIn) error {
	_, err := t.ExecContext(ctx, `INSERT INTO sso_sign_ins (org_id, at, outcome, method, reason, detail, user_id, name_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		orgID, t.s.t(t.now), outcome, in.Method, in.Reason, in.Detail, in.UserID, in.NameID)
	if err != nil {
		return fmt.Errorf("sign-in log: %w", err)
	}
	return nil
}

// FlushRefusalWindows ends the windows that started before the time given.
// Each window is deleted with DELETE … RETURNING, so when several
// instances flush at once exactly one of them writes its summary.
func (s *DB) FlushRefusalWindows(ctx context.Context, actor store.Actor, before time.Time) (int64, error) {
	type window struct {
		org, reason string
		start       time.Time
	}
	rows, err := s.r.QueryContext(ctx, `SELECT org_id, reason, window_start FROM sso_refusal_windows
		WHERE window_start < $1 ORDER BY window_start LIMIT 1000`, s.t(before))
	if err != nil {
		return 0, fmt.Errorf("flush refusal windows: %w", err)
	}
	var ws []window
	for rows.Next() {
		var w window
		if err := rows.Scan(&w.org, &w.reason, &w.start); err != nil {
			rows.Close()
			return 0, fmt.Errorf("flush refusal windows: %w", err)
		}
		ws = append(ws, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("flush refusal windows: %w", err)
	}
	var n int64
	for _, w := range ws {
		err := s.write(ctx, actor, w.org, func(t *tx) error {
			var count int64
			err := t.QueryRowContext(ctx, `DELETE FROM sso_refusal_windows WHERE org_id = $1 AND reason = $2 AND window_start = $3
				RETURNING count`, w.org, w.reason, s.t(w.start)).Scan(&count)
			if errors.Is(err, sql.ErrNoRows) {
				return nil // another instance flushed it
			}
			if err != nil {
				return err
			}
			n++
			if count > 1 {
				t.emit("sso.sign_in_refused_summary", "saml_config", w.org, map[string]any{
					"reason": w.reason, "window_start": w.start.UTC(), "count": count,
				})
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("flush refusal window of %s: %w", w.org, err)
		}
	}
	return n, nil
}

// ListSignIns reads the sign-in log, newest first.
func (s *DB) ListSignIns(ctx context.Context, orgID string, f store.SignInFilter, before int64, limit int) ([]store.SignInEntry, error) {
	q := `SELECT id, at, outcome, method, reason, detail, user_id, name_id FROM sso_sign_ins WHERE org_id = $1`
	args := []any{orgID}
	add := func(col string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(" AND %s $%d", col, len(args))
	}
	if before > 0 {
		add("id <", before)
	}
	if f.Outcome != "" {
		add("outcome =", f.Outcome)
	}
	if f.Reason != "" {
		add("reason =", f.Reason)
	}
	if f.UserID != "" {
		add("user_id =", f.UserID)
	}
	args = append(args, limit)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list sign-ins of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []store.SignInEntry
	for rows.Next() {
		e := store.SignInEntry{OrgID: orgID}
		if err := rows.Scan(&e.ID, &e.At, &e.Outcome, &e.Method, &e.Reason, &e.Detail, &e.UserID, &e.NameID); err != nil {
			return nil, fmt.Errorf("list sign-ins of %s: %w", orgID, err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sign-ins of %s: %w", orgID, err)
	}
	return out, nil
}

// PurgeSignIns expires old sign-in log rows and trims each organization
// to its newest keep.
func (s *DB) PurgeSignIns(ctx context.Context, before time.Time, keep int) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sso_sign_ins WHERE at < $1`, s.t(before))
	if err != nil {
		return 0, fmt.Errorf("purge sign-in log: %w", err)
	}
	total, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge sign-in log: %w", err)
	}
	if keep <= 0 {
		return total, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT org_id FROM sso_sign_ins GROUP BY org_id HAVING COUNT(*) > $1`, keep)
	if err != nil {
		return total, fmt.Errorf("purge sign-in log: %w", err)
	}
	var orgs []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return total, fmt.Errorf("purge sign-in log: %w", err)
		}
		orgs = append(orgs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return total, fmt.Errorf("purge sign-in log: %w", err)
	}
	for _, o := range orgs {
		res, err := s.w.ExecContext(ctx, `DELETE FROM sso_sign_ins WHERE org_id = $1 AND id <=
			(SELECT id FROM sso_sign_ins WHERE org_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`, o, keep)
		if err != nil {
			return total, fmt.Errorf("trim the sign-in log of %s: %w", o, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("trim the sign-in log of %s: %w", o, err)
		}
		total += n
	}
	return total, nil
}

// CreateHandoff stores a one-time hand-off code's hash.
func (s *DB) CreateHandoff(ctx context.Context, h store.Handoff) error {
	if len(h.CodeHash) == 0 || h.OrgID == "" || h.UserID == "" || h.ExpiresAt.IsZero() {
		return fmt.Errorf("create hand-off: code hash, organization, user and expiry are required: %w", store.ErrInvalid)
	}
	if h.Joined == nil {
		h.Joined = []byte("[]")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO sso_handoffs (code_hash, org_id, user_id, state, method, joined, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		h.CodeHash, h.OrgID, h.UserID, h.State, h.Method, string(h.Joined), s.t(h.CreatedAt), s.t(h.ExpiresAt))
	switch {
	case s.d.IsForeignKey(err):
		return fmt.Errorf("create hand-off: user %s of %s: %w", h.UserID, h.OrgID, store.ErrNotFound)
	case s.d.IsUnique(err):
		return fmt.Errorf("create hand-off: %w", &store.ConflictError{Field: "code", Value: "(hashed)"})
	case err != nil:
		return fmt.Errorf("create hand-off: %w", err)
	}
	return nil
}

// TakeHandoff deletes and returns a hand-off: used once, whatever happens
// next.
func (s *DB) TakeHandoff(ctx context.Context, orgID string, codeHash []byte, now time.Time) (store.Handoff, error) {
	h := store.Handoff{OrgID: orgID}
	var joined string
	err := s.w.QueryRowContext(ctx, `DELETE FROM sso_handoffs WHERE code_hash = $1 AND org_id = $2
		RETURNING code_hash, user_id, state, method, joined, created_at, expires_at`, codeHash, orgID).
		Scan(&h.CodeHash, &h.UserID, &h.State, &h.Method, &joined, &h.CreatedAt, &h.ExpiresAt)
	if err != nil {
		return store.Handoff{}, fmt.Errorf("take hand-off of %s: %w", orgID, notFound(err))
	}
	h.Joined = []byte(joined)
	h.CreatedAt, h.ExpiresAt = h.CreatedAt.UTC(), h.ExpiresAt.UTC()
	if !now.Before(h.ExpiresAt) {
		return store.Handoff{}, fmt.Errorf("take hand-off of %s: expired: %w", orgID, store.ErrNotFound)
	}
	return h, nil
}

// AddOrgDomain records a verified domain of an organization.
func (s *DB) AddOrgDomain(ctx context.Context, actor store.Actor, orgID, domain string) (store.OrgDomain, error) {
	if orgID == "" || domain == "" {
		return store.OrgDomain{}, fmt.Errorf("add domain: organization and domain are required: %w", store.ErrInvalid)
	}
	d := store.OrgDomain{Domain: domain, OrgID: orgID}
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		d.CreatedAt = t.now
		_, err := t.ExecContext(ctx, `INSERT INTO org_domains (domain, org_id, created_at) VALUES ($1, $2, $3)`,
			domain, orgID, s.t(t.now))
		switch {
		case s.d.IsForeignKey(err):
			return fmt.Errorf("organization %s: %w", orgID, store.ErrNotFound)
		case s.d.IsUnique(err):
			return &store.ConflictError{Field: "domain", Value: domain}
		case err != nil:
			return err
		}
		t.emit("org.domain_added", "domain", domain, map[string]any{"domain": domain})
		return nil
	})
	if err != nil {
		return store.OrgDomain{}, fmt.Errorf("add domain to %s: %w", orgID, err)
	}
	return d, nil
}

// RemoveOrgDomain removes a domain of an organization.
func (s *DB) RemoveOrgDomain(ctx context.Context, actor store.Actor, orgID, domain string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		res, err := t.ExecContext(ctx, `DELETE FROM org_domains WHERE domain = $1 AND org_id = $2`, domain, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = store.ErrNotFound
			}
			return err
		}
		t.emit("org.domain_removed", "domain", domain, map[string]any{"domain": domain})
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove domain %q of %s: %w", domain, orgID, err)
	}
	return nil
}

// ListOrgDomains lists an organization's domains.
func (s *DB) ListOrgDomains(ctx context.Context, orgID string) ([]store.OrgDomain, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT domain, created_at FROM org_domains WHERE org_id = $1 ORDER BY domain`, orgID)
	if err != nil {
		return nil, fmt.Errorf("list domains of %s: %w", orgID, err)
	}
	defer rows.Close()
	var out []store.OrgDomain
	for rows.Next() {
		d := store.OrgDomain{OrgID: orgID}
		if err := rows.Scan(&d.Domain, &d.CreatedAt); err != nil {
			return nil, fmt.Errorf("list domains of %s: %w", orgID, err)
		}
		d.CreatedAt = d.CreatedAt.UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list domains of %s: %w", orgID, err)
	}
	return out, nil
}

// OrgDomain returns the record of a domain.
func (s *DB) OrgDomain(ctx context.Context, domain string) (store.OrgDomain, error) {
	d := store.OrgDomain{Domain: domain}
	err := s.r.QueryRowContext(ctx, `SELECT org_id, created_at FROM org_domains WHERE domain = $1`, domain).Scan(&d.OrgID, &d.CreatedAt)
	if err != nil {
		return store.OrgDomain{}, fmt.Errorf("domain %q: %w", domain, notFound(err))
	}
	d.CreatedAt = d.CreatedAt.UTC()
	return d, nil
}

// GetSession returns a session with its user's name and active flag.
func (s *DB) GetSession(ctx context.Context, idHash []byte) (store.Session, error) {
	ss := store.Session{IDHash: idHash}
	err := s.r.QueryRowContext(ctx, `SELECT ss.org_id, ss.user_id, u.user_name, u.active, ss.created_at,
		ss.last_seen_at, ss.idle_expires_at, ss.expires_at
		FROM sso_sessions ss JOIN users u ON u.org_id = ss.org_id AND u.id = ss.user_id
		WHERE ss.id_hash = $1`, idHash).
		Scan(&ss.OrgID, &ss.UserID, &ss.UserName, &ss.UserActive, &ss.CreatedAt, &ss.LastSeenAt, &ss.IdleExpiresAt, &ss.ExpiresAt)
	if err != nil {
		return store.Session{}, fmt.Errorf("get session: %w", notFound(err))
	}
	ss.CreatedAt, ss.LastSeenAt = ss.CreatedAt.UTC(), ss.LastSeenAt.UTC()
	ss.IdleExpiresAt, ss.ExpiresAt = ss.IdleExpiresAt.UTC(), ss.ExpiresAt.UTC()
	return ss, nil
}

// TouchSession records a use of a session.
func (s *DB) TouchSession(ctx context.Context, idHash []byte, at, idleUntil time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE sso_sessions SET last_seen_at = $2,
		idle_expires_at = CASE WHEN $3 < expires_at THEN $3 ELSE expires_at END
		WHERE id_hash = $1`, idHash, s.t(at), s.t(idleUntil))
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session.
func (s *DB) DeleteSession(ctx context.Context, actor store.Actor, orgID string, idHash []byte, reason string) error {
	err := s.write(ctx, actor, orgID, func(t *tx) error {
		var userID string
		err := t.QueryRowContext(ctx, `DELETE FROM sso_sessions WHERE id_hash = $1 AND org_id = $2 RETURNING user_id`,
			idHash, orgID).Scan(&userID)
		if err != nil {
			return notFound(err)
		}
		if reason == "logout" {
			t.emit("sso.signed_out", "user", userID, nil)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete session of %s: %w", orgID, err)
	}
	return nil
}

// PurgeSSO deletes expired request states, assertion ids and sessions.
func (s *DB) PurgeSSO(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []string{
		`DELETE FROM saml_requests WHERE expires_at <= $1`,
		`DELETE FROM saml_assertions WHERE expires_at <= $1`,
		`DELETE FROM sso_sessions WHERE expires_at <= $1 OR idle_expires_at <= $1`,
		`DELETE FROM sso_handoffs WHERE expires_at <= $1`,
		`DELETE FROM saml_test_results WHERE expires_at <= $1`,
	} {
		res, err := s.w.ExecContext(ctx, q, s.t(now))
		if err != nil {
			return total, fmt.Errorf("purge expired sign-in records: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge expired sign-in records: %w", err)
		}
		total += n
	}
	return total, nil
}
