package store

import "context"

// GroupListing selects the groups ListGroups returns.
type GroupListing struct {
	// NamePrefix keeps groups whose displayName starts with it, ignoring
	// case (compared folded, see Fold); "" keeps every group.
	NamePrefix string
}

// UserListing selects the users ListUsers returns.
type UserListing struct {
	// Prefix keeps users whose userName or displayName starts with it,
	// ignoring case; "" keeps every user.
	Prefix string
	// Active, when not nil, keeps only active (true) or deactivated
	// (false) users.
	Active *bool
}

// UserSummary is a user as lists show it: who they are, not their whole
// SCIM representation.
type UserSummary struct {
	ID          string
	UserName    string
	DisplayName string // "" when unset
	Active      bool
}

// EmailMatch is a user found by the start of an email address, with the
// address that matched.
type EmailMatch struct {
	UserSummary
	Email string
}

// EmailCursor returns the cursor that pages past m in ListUsersByEmail.
func EmailCursor(m EmailMatch) string { return Fold(m.Email) + cursorSep + m.ID }

// AccessNames are the names people know an organization's users and
// groups by, keyed by id: what the access resolver puts next to the ids
// in its explanations.
type AccessNames struct {
	// Users maps user ids to userNames.
	Users map[string]string
	// Groups maps group ids to displayNames.
	Groups map[string]string
}

// ListingStore reads the directory the way the host API lists it: small
// pages in id order, each record with the counts and names a person
// reading the page needs, and no total (a page costs the same however many
// records there are).
type ListingStore interface {
	// ListGroups returns groups ordered by id with ids after the one given
	// ("" for the first page), at most limit, each with its MemberCount.
	ListGroups(ctx context.Context, orgID string, f GroupListing, after string, limit int) ([]Group, error)
	// ListGroupUsers returns the users who are members of a group, ordered
	// by user id after the one given, at most limit. ErrNotFound when the
	// group does not exist in the organization.
	ListGroupUsers(ctx context.Context, orgID, groupID, after string, limit int) ([]UserSummary, error)
	// ListUsers returns users ordered by id after the one given, at most
	// limit.
	ListUsers(ctx context.Context, orgID string, f UserListing, after string, limit int) ([]UserSummary, error)
	// ListUsersByEmail returns the users with an email address
	// (emails.value) starting with prefix, ignoring case, ordered by that
	// address and then user id, after the cursor given ("" for the first
	// page; see EmailCursor), at most limit. Read in address order from the
	// attribute index, a page costs the same however many users match; a
	// user with two matching addresses is listed once for each.
	ListUsersByEmail(ctx context.Context, orgID, prefix, after string, limit int) ([]EmailMatch, error)
	// GroupNames returns the displayNames of the groups given that exist
	// in the organization, by id; unknown ids are left out.
	GroupNames(ctx context.Context, orgID string, ids []string) (map[string]string, error)
	// AccessNames returns the names of every user and group of the
	// organization. ErrNotFound when the organization does not exist.
	AccessNames(ctx context.Context, orgID string) (AccessNames, error)
}
