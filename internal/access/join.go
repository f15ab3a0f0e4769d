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
// sign-in is idempotent. It returns how many memberships it added.
func (s *Service) JoinGranted(ctx context.Context, actor store.Actor, orgID, userID string) (int, error) {
	// The user may have been provisioned (or created just in time) a moment
	// ago; catch the index up rather than wait for its poll.
	if err := s.Resolver.Refresh(ctx, orgID); err != nil {
		return 0, fmt.Errorf("join granted resources: %w", err)
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
			return 0, fmt.Errorf("join granted resources: %w", err)
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
	n := 0
	for _, k := range order {
		_, joined, err := s.Join(ctx, actor, orgID, userID, k.t, k.id)
		if err != nil {
			return n, fmt.Errorf("join %s %s: %w", k.t, k.id, err)
		}
		n += len(joined)
	}
	return n, nil
}
