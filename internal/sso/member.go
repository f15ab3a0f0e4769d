package sso

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Place is one workspace or folder on the member page: what the signed-in
// member can reach, with their role, and whether they have joined it.
type Place struct {
	ResourceType store.ResourceType
	ResourceID   string
	Name         string
	// WorkspaceID is a folder's workspace.
	WorkspaceID string
	Role        string
	// Joined: the member has a membership of their own here.
	Joined bool
	// Joinable: a grant to one of their groups covers the resource itself
	// and they have not joined it, so Join records a membership. Folders
	// reached through their workspace need no joining of their own.
	Joinable bool
	// Via names the groups or memberships the role comes through.
	Via []string
}

// Places lists what the member can reach for the member page.
func (s *Service) Places(ctx context.Context, orgID, userID string) ([]Place, error) {
	if s.Joiner == nil {
		return nil, errNoJoiner
	}
	reach, err := s.Joiner.UserReach(ctx, orgID, userID)
	if err != nil {
		return nil, fmt.Errorf("places of %s: %w", userID, err)
	}
	out := make([]Place, 0, len(reach))
	for _, r := range reach {
		p := Place{ResourceType: r.ResourceType, ResourceID: r.ResourceID, Name: r.Name, WorkspaceID: r.WorkspaceID, Role: r.Role}
		granted := false
		for _, why := range r.Reasons {
			own := why.ResourceType == r.ResourceType && why.ResourceID == r.ResourceID && !why.Inherited
			switch why.Kind {
			case "membership":
				if own {
					p.Joined = true
				}
			case "grant":
				if own {
					granted = true
				}
				if why.GroupName != "" {
					p.Via = append(p.Via, "group "+why.GroupName)
				}
			case "org_role":
				p.Via = append(p.Via, "organization "+why.Role)
			}
		}
		p.Joinable = granted && !p.Joined
		out = append(out, p)
	}
	return out, nil
}

// Join records the member's membership of a workspace or folder their
// groups' grants cover — the member page's Join button — with its origin
// (the group, "group:<id>"); a resource they cannot reach is a
// fault.Forbidden, one they joined already joins nothing.
func (s *Service) Join(ctx context.Context, ss store.Session, rt store.ResourceType, resourceID string) ([]Joined, error) {
	if s.Joiner == nil {
		return nil, errNoJoiner
	}
	if !rt.Valid() || resourceID == "" {
		return nil, fault.Invalidf("join: name a workspace or folder")
	}
	actor := store.Actor{Kind: "user", ID: ss.UserID, Name: ss.UserName}
	_, added, err := s.Joiner.Join(ctx, actor, ss.OrgID, ss.UserID, rt, resourceID)
	if err != nil {
		return nil, err
	}
	reach, err := s.Joiner.UserReach(ctx, ss.OrgID, ss.UserID)
	if err != nil {
		return nil, err
	}
	return joinedOf(added, reach), nil
}

// compile-time check that access provides what sign-in needs.
var _ Joiner = (*access.Service)(nil)
