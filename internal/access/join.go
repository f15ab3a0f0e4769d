package access

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

// JoinGranted is what joining on sign-in means: the user joins every
// workspace (and invite-only folder) that a grant to one of their groups
// covers, through Join, which records one "member.joined" event per new
// membership and skips memberships already there, so calling it at every
// sign-in is idempotent. It returns the memberships it added (none when
// the user had joined everything already).
func (s *Service) JoinGranted(ctx context.Context, actor store.Actor, orgID, userID string) ([]store.ResourceMember, error) {
	// The user may have been provisioned (or created just in time) a moment
	// ago; catch the index up rather than wait for its poll.
	if err := s.Resolver.Refresh(ctx, orgID); err != nil {
		return nil, fmt.Errorf("join granted resources: %w", err)
	}
	type key struct {
		t  store.ResourceType
		id string
	}
	granted := map[key]bool{}
	var order []key
	after := ""
	for {
		page, more, err := s.Resolver.UserAccess(ctx, orgID, userID, after, 200)
		if err != nil {
			return nil, fmt.Errorf("join granted resources: %w", err)
		}
		for _, r := range page {
			for _, why := range r.Reasons {
				k := key{why.ResourceType, why.ResourceID}
				if why.Kind == "grant" && k.id != "" && !granted[k] {
					granted[k] = true
					order = append(order, k)
				}
			}
			after = r.Cursor()
		}
		if !more {
			break
		}
	}
	var added []store.ResourceMember
	for _, k := range order {
		_, joined, err := s.Join(ctx, actor, orgID, userID, k.t, k.id)
		if err != nil {
			return added, fmt.Errorf("join %s %s: %w", k.t, k.id, err)
		}
		added = append(added, joined...)
	}
	return added, nil
}

// MaxReach bounds what UserReach returns: a page a person reads, not an
// export (the host API's /users/{id}/access pages through everything).
const MaxReach = 500

// UserReach lists the workspaces and folders the user can reach, with
// roles and reasons (see Resolver.UserAccess), at most MaxReach, after
// catching the index up so that a grant made a moment ago is listed.
func (s *Service) UserReach(ctx context.Context, orgID, userID string) ([]Reach, error) {
	if err := s.Resolver.Refresh(ctx, orgID); err != nil {
		return nil, fmt.Errorf("what %s can reach: %w", userID, err)
	}
	var out []Reach
	after := ""
	for len(out) < MaxReach {
		page, more, err := s.Resolver.UserAccess(ctx, orgID, userID, after, min(200, MaxReach-len(out)))
		if err != nil {
			return nil, fmt.Errorf("what %s can reach: %w", userID, err)
		}
		out = append(out, page...)
		if !more || len(page) == 0 {
			break
		}
		after = page[len(page)-1].Cursor()
	}
	return out, nil
}
