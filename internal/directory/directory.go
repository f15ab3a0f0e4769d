// Package directory owns the users, groups and memberships of each
// organization: it assigns ids, enforces the directory's rules through the
// store (userName unique per organization ignoring case; memberships as
// rows), and tells the rest of roster that an organization's directory
// changed, so caches of who may do what are refreshed at once.
//
// The protocol that carries the changes (SCIM) lives in package scim; this
// package knows nothing of it.
package directory

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/internal/store"
)

// directoryStore is what the Service needs of the store.
type directoryStore interface {
	store.UserStore
	store.GroupStore
	EventSeq(ctx context.Context, orgID string) (int64, error)
	ListEvents(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error)
}

// Service manages users and groups.
type Service struct {
	Store directoryStore
	// Changed, when set, is called after every successful change with the
	// organization whose directory changed; access caches and sign-in
	// sessions subscribe through it. It must not block.
	Changed func(orgID string)
}

func (s *Service) changed(orgID string) {
	if s.Changed != nil {
		s.Changed(orgID)
	}
}

// NewID returns a new resource id. Ids are UUIDv7: unique, never reused,
// case-sensitive as Okta requires, and time-ordered, so that id order is
// creation order and cursor paging sees users created during an import.
func NewID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// CreateUser stores a new user with a fresh id.
func (s *Service) CreateUser(ctx context.Context, actor store.Actor, u store.User) (store.User, error) {
	id, err := NewID()
	if err != nil {
		return store.User{}, err
	}
	u.ID = id
	u, err = s.Store.CreateUser(ctx, actor, u)
	if err == nil {
		s.changed(u.OrgID)
	}
	return u, err
}

// GetUser returns a user; a user of another organization is not found.
func (s *Service) GetUser(ctx context.Context, orgID, id string) (store.User, error) {
	u, err := s.Store.GetUser(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return u, userNotFound(id)
	}
	return u, err
}

// QueryUsers returns a page of users.
func (s *Service) QueryUsers(ctx context.Context, orgID string, q store.Query) (store.Page[store.User], error) {
	return s.Store.QueryUsers(ctx, orgID, q)
}

// Seq returns the number of the organization's last event. Every change to
// its directory appends an event, so a read that follows one with the same
// Seq sees the same directory: caches of what it returned stay valid.
func (s *Service) Seq(ctx context.Context, orgID string) (int64, error) {
	return s.Store.EventSeq(ctx, orgID)
}

// Changes returns the organization's events after seq after, oldest
// first, at most limit of them: what changed since a cache was filled.
func (s *Service) Changes(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error) {
	return s.Store.ListEvents(ctx, orgID, after, limit)
}

// UserGroups returns the groups of each user given.
func (s *Service) UserGroups(ctx context.Context, orgID string, ids []string) (map[string][]store.GroupRef, error) {
	return s.Store.UserGroups(ctx, orgID, ids)
}

// CreateGroup stores a new group with a fresh id and its members.
func (s *Service) CreateGroup(ctx context.Context, actor store.Actor, g store.Group, members []string) (store.Group, error) {
	id, err := NewID()
	if err != nil {
		return store.Group{}, err
	}
	g.ID = id
	g, err = s.Store.CreateGroup(ctx, actor, g, members)
	if err == nil {
		s.changed(g.OrgID)
	}
	return g, err
}

// GetGroup returns a group without its members.
func (s *Service) GetGroup(ctx context.Context, orgID, id string) (store.Group, error) {
	return s.Store.GetGroup(ctx, orgID, id)
}

// UpdateGroup applies a change to a group atomically.
func (s *Service) UpdateGroup(ctx context.Context, actor store.Actor, u store.GroupUpdate) (store.Group, error) {
	g, err := s.Store.UpdateGroup(ctx, actor, u)
	if err == nil {
		s.changed(u.OrgID)
	}
	return g, err
}

// DeleteGroup removes a group and its memberships.
func (s *Service) DeleteGroup(ctx context.Context, actor store.Actor, orgID, id string) error {
	err := s.Store.DeleteGroup(ctx, actor, orgID, id)
	if err == nil {
		s.changed(orgID)
	}
	return err
}

// QueryGroups returns a page of groups.
func (s *Service) QueryGroups(ctx context.Context, orgID string, q store.Query) (store.Page[store.Group], error) {
	return s.Store.QueryGroups(ctx, orgID, q)
}

// ListMembers returns a page of a group's members.
func (s *Service) ListMembers(ctx context.Context, orgID, groupID, after string, limit int) ([]store.Member, error) {
	return s.Store.ListMembers(ctx, orgID, groupID, after, limit)
}
