package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

// EventSeq returns the organization's last event number.
func (s *DB) EventSeq(ctx context.Context, orgID string) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT event_seq FROM orgs WHERE id = $1`, orgID).Scan(&seq); err != nil {
		return 0, fmt.Errorf("event sequence of %s: %w", orgID, notFound(err))
	}
	return seq, nil
}

// AccessSnapshot reads an organization's access state in one read
// transaction: REPEATABLE READ on PostgreSQL, and on SQLite the WAL
// snapshot a read transaction holds from its first statement.
func (s *DB) AccessSnapshot(ctx context.Context, orgID string) (store.AccessSnapshot, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d.Name == "postgres" {
		opts.Isolation = sql.LevelRepeatableRead
	}
	var snap store.AccessSnapshot
	err := func() error {
		rtx, err := s.r.BeginTx(ctx, opts)
		if err != nil {
			return err
		}
		defer rtx.Rollback() //nolint:errcheck // read only
		var seq int64
		snap.Org, err = scanOrgSeq(rtx.QueryRowContext(ctx, `SELECT `+orgColumns+`, event_seq FROM orgs WHERE id = $1`, orgID), &seq)
		if err != nil {
			return notFound(err)
		}
		snap.Seq = seq
		if snap.Users, err = queryAll(ctx, rtx, func(r scanner) (store.UserState, error) {
			var u store.UserState
			return u, r.Scan(&u.ID, &u.Active)
		}, `SELECT id, active FROM users WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if snap.Groups, err = queryStrings(ctx, rtx, `SELECT id FROM groups WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("groups: %w", err)
		}
		if snap.Membership, err = queryAll(ctx, rtx, func(r scanner) (store.GroupMembership, error) {
			var m store.GroupMembership
			return m, r.Scan(&m.GroupID, &m.UserID)
		}, `SELECT group_id, user_id FROM group_members WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("group members: %w", err)
		}
		if snap.Workspaces, err = queryAll(ctx, rtx, func(r scanner) (store.Workspace, error) { return scanWorkspace(orgID, r) },
			`SELECT `+workspaceColumns+workspaceFrom+` WHERE w.org_id = $1`, orgID); err != nil {
			return fmt.Errorf("workspaces: %w", err)
		}
		if snap.Folders, err = queryAll(ctx, rtx, func(r scanner) (store.Folder, error) { return scanFolder(orgID, r) },
			`SELECT `+folderColumns+` FROM folders WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("folders: %w", err)
		}
		if snap.Grants, err = queryAll(ctx, rtx, func(r scanner) (store.Grant, error) { return scanGrant(orgID, r) },
			`SELECT `+grantColumns+` FROM grants WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("grants: %w", err)
		}
		if snap.Members, err = queryAll(ctx, rtx, func(r scanner) (store.ResourceMember, error) { return scanMember(orgID, r) },
			`SELECT `+memberColumns+` FROM resource_members WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("memberships: %w", err)
		}
		if snap.OrgRoles, err = queryAll(ctx, rtx, func(r scanner) (store.OrgMember, error) {
			m := store.OrgMember{OrgID: orgID}
			return m, r.Scan(&m.UserID, &m.Role)
		}, `SELECT user_id, role FROM org_roles WHERE org_id = $1`, orgID); err != nil {
			return fmt.Errorf("organization roles: %w", err)
		}
		return nil
	}()
	if err != nil {
		return store.AccessSnapshot{}, fmt.Errorf("read access state of %s: %w", orgID, err)
	}
	return snap, nil
}

func scanOrgSeq(row scanner, seq *int64) (store.Org, error) {
	var o store.Org
	err := row.Scan(&o.ID, &o.Name, &o.Plan, &o.Settings.AllowMembersCreateWorkspaces,
		&o.Settings.GroupRemoval, &o.Settings.SignInRedirectURL, &o.Settings.SCIMRateLimit, &o.CreatedAt, &o.UpdatedAt, seq)
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, err
}
