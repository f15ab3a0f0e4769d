package sso

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

// AccessJoiner is the Joiner over package access: it lists what the user's
// group grants reach and joins each granted resource through
// access.Service.Join, which records one "member.joined" event per new
// membership and skips memberships already there (so it is idempotent).
type AccessJoiner struct {
	Access *access.Service
}

// JoinGranted joins every workspace (and invite-only folder) a grant to one
// of the user's groups covers, and returns how many memberships it added.
func (j AccessJoiner) JoinGranted(ctx context.Context, actor store.Actor, orgID, userID string) (int, error) {
	res := j.Access.Resolver
	// The user may have been provisioned (or created just in time) a moment
	// ago; catch the index up rather than wait for its poll.
	if err := res.Refresh(ctx, orgID); err != nil {
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
		page, more, err := res.UserAccess(ctx, orgID, userID, after, 200)
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
		_, joined, err := j.Access.Join(ctx, actor, orgID, userID, k.t, k.id)
		if err != nil {
			return n, fmt.Errorf("join %s %s: %w", k.t, k.id, err)
		}
		n += len(joined)
	}
	return n, nil
}
