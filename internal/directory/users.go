package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// PatchRetries bounds how often a change computed from a user's current
// state (a SCIM PATCH, a console edit) is computed again when the user
// changed between read and write.
const PatchRetries = 5

// Precondition checks, before a change is made, the version of the record
// the caller read (SCIM's If-Match); nil means the caller asked for none.
// It returns the error to answer with, typically a fault.VersionMismatch.
type Precondition func(version int64) error

// ReplaceUser stores u as the new state of its user, conditional on
// ifVersion unless it is 0; see store.UserStore.
func (s *Service) ReplaceUser(ctx context.Context, actor store.Actor, u store.User, ifVersion int64) (store.User, error) {
	return s.savedUser(s.Store.ReplaceUser(ctx, actor, u, ifVersion))
}

// PutUser stores build's user as the new state of user id. build gets
// the current state (for the id, the version, anything it must keep).
//
// Without a precondition, the caller did not ask to depend on what it read,
// so the last writer wins: a change made between read and write is
// overwritten, not refused. With one, the write is conditional on the
// version the precondition accepted, so a concurrent change is refused
// with store.ErrVersionMismatch, never silently overwritten.
func (s *Service) PutUser(ctx context.Context, actor store.Actor, orgID, id string, pre Precondition, build func(current store.User) (store.User, error)) (store.User, error) {
	cur, err := s.checkedUser(ctx, orgID, id, pre)
	if err != nil {
		return store.User{}, err
	}
	next, err := build(cur)
	if err != nil {
		return store.User{}, err
	}
	next.OrgID, next.ID = cur.OrgID, cur.ID
	saved, err := s.Store.ReplaceUser(ctx, actor, next, cur.Version)
	if errors.Is(err, store.ErrVersionMismatch) && pre == nil {
		saved, err = s.Store.ReplaceUser(ctx, actor, next, 0)
	}
	return s.savedUser(saved, err)
}

// PatchUser applies change to the user's current state and stores the
// result. Without a precondition a change that lost a race is computed
// again from the newer state, up to PatchRetries times, so concurrent
// patches of different attributes all take effect; with one, the first
// conflict is the caller's answer.
func (s *Service) PatchUser(ctx context.Context, actor store.Actor, orgID, id string, pre Precondition, change func(current store.User) (store.User, error)) (store.User, error) {
	for attempt := 0; ; attempt++ {
		cur, err := s.checkedUser(ctx, orgID, id, pre)
		if err != nil {
			return store.User{}, err
		}
		next, err := change(cur)
		if err != nil {
			return store.User{}, err
		}
		next.OrgID, next.ID = cur.OrgID, cur.ID
		saved, err := s.Store.ReplaceUser(ctx, actor, next, cur.Version)
		if errors.Is(err, store.ErrVersionMismatch) && pre == nil && attempt < PatchRetries {
			continue
		}
		return s.savedUser(saved, err)
	}
}

// DeleteUser removes a user and their memberships. Deleting, like
// deactivating, ends every access the user had and their sign-in sessions
// in the same transaction.
func (s *Service) DeleteUser(ctx context.Context, actor store.Actor, orgID, id string) error {
	return s.DeleteUserIf(ctx, actor, orgID, id, nil)
}

// DeleteUserIf is DeleteUser behind a precondition.
func (s *Service) DeleteUserIf(ctx context.Context, actor store.Actor, orgID, id string, pre Precondition) error {
	if _, err := s.checkedUser(ctx, orgID, id, pre); err != nil {
		return err
	}
	err := s.Store.DeleteUser(ctx, actor, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return userNotFound(id)
	}
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	s.changed(orgID)
	return nil
}

// checkedUser reads a user and checks the precondition against it.
func (s *Service) checkedUser(ctx context.Context, orgID, id string, pre Precondition) (store.User, error) {
	u, err := s.GetUser(ctx, orgID, id)
	if err != nil {
		return store.User{}, err
	}
	if pre != nil {
		if err := pre(u.Version); err != nil {
			return store.User{}, err
		}
	}
	return u, nil
}

func (s *Service) savedUser(u store.User, err error) (store.User, error) {
	if err != nil {
		return store.User{}, err
	}
	s.changed(u.OrgID)
	return u, nil
}

func userNotFound(id string) error {
	return fault.NotFoundf("user %q not found", id)
}
