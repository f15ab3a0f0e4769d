package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// The reads in this file list the directory for people (the host API, the
// console): pages in id order, records with the names and counts a person
// reading them needs. They need the store's listing methods, which every
// store.Store has; a Service built on a narrower store answers them with
// an internal error.

// listing returns the store's listing methods.
func (s *Service) listing() (store.ListingStore, error) {
	l, ok := s.Store.(store.ListingStore)
	if !ok {
		return nil, fmt.Errorf("directory: store %T cannot list users and groups", s.Store)
	}
	return l, nil
}

// ListGroups returns a page of the organization's groups with their member
// counts, ordered by id after the id given.
func (s *Service) ListGroups(ctx context.Context, orgID string, f store.GroupListing, after string, limit int) ([]store.Group, error) {
	l, err := s.listing()
	if err != nil {
		return nil, err
	}
	return l.ListGroups(ctx, orgID, f, after, limit)
}

// Group returns a group with its member count; another organization's id
// is a NotFound fault that names the group.
func (s *Service) Group(ctx context.Context, orgID, id string) (store.Group, error) {
	g, err := s.Store.GetGroup(ctx, orgID, id)
	if fault.Is(err, fault.NotFound) {
		return store.Group{}, fault.NotFoundf("group %s does not exist in this organization", id)
	}
	return g, err
}

// GroupUsers returns a page of a group's members as users, ordered by id.
func (s *Service) GroupUsers(ctx context.Context, orgID, groupID, after string, limit int) ([]store.UserSummary, error) {
	l, err := s.listing()
	if err != nil {
		return nil, err
	}
	us, err := l.ListGroupUsers(ctx, orgID, groupID, after, limit)
	if fault.Is(err, fault.NotFound) {
		return nil, fault.NotFoundf("group %s does not exist in this organization", groupID)
	}
	return us, err
}

// ListUsers returns a page of the organization's users, ordered by id.
func (s *Service) ListUsers(ctx context.Context, orgID string, f store.UserListing, after string, limit int) ([]store.UserSummary, error) {
	l, err := s.listing()
	if err != nil {
		return nil, err
	}
	return l.ListUsers(ctx, orgID, f, after, limit)
}

// UserWithGroups returns a user and the groups they are a direct member
// of, ordered by group id.
func (s *Service) UserWithGroups(ctx context.Context, orgID, id string) (store.User, []store.GroupRef, error) {
	u, err := s.Store.GetUser(ctx, orgID, id)
	if fault.Is(err, fault.NotFound) {
		return store.User{}, nil, fault.NotFoundf("user %s does not exist in this organization", id)
	}
	if err != nil {
		return store.User{}, nil, err
	}
	gs, err := s.Store.UserGroups(ctx, orgID, []string{id})
	if err != nil {
		return store.User{}, nil, err
	}
	return u, gs[id], nil
}

// GroupNames returns the displayNames of the groups given, by id; ids of
// no group of the organization are left out.
func (s *Service) GroupNames(ctx context.Context, orgID string, ids []string) (map[string]string, error) {
	l, err := s.listing()
	if err != nil {
		return nil, err
	}
	return l.GroupNames(ctx, orgID, ids)
}

// ListUsersByEmail returns a page of the users with an email address
// starting with prefix, ignoring case, in address order.
func (s *Service) ListUsersByEmail(ctx context.Context, orgID, prefix, after string, limit int) ([]store.EmailMatch, error) {
	l, err := s.listing()
	if err != nil {
		return nil, err
	}
	return l.ListUsersByEmail(ctx, orgID, prefix, after, limit)
}
