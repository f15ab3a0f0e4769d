package store

import (
	"context"
	"time"
)

// AccessCursor is how far the derivation of access.changed events has
// read an organization's event log.
type AccessCursor struct {
	OrgID string
	// Seq is the last event derived; when After is set, Seq itself is
	// being derived, and its users up to After (in id order) are done.
	Seq   int64
	After string
}

// ResourceRef names a workspace or a folder.
type ResourceRef struct {
	Type ResourceType
	ID   string
}

// AccessAudience describes the users a change may have changed the access
// of, as sets whose union is meant.
type AccessAudience struct {
	// Users are named directly.
	Users []string
	// Groups are the members of each group, including those of a group
	// deleted since whose group.deleted is not yet derived.
	Groups []string
	// DeletedGroup is the members a group had when it was deleted, if it
	// had grants then (its deletion took their access through it).
	DeletedGroup string
	// Resources are the direct members of each workspace or folder and the
	// members of the groups granted on it.
	Resources []ResourceRef
	// Joined is every user with a membership joined through a group: the
	// ones the group-removal setting decides about.
	Joined bool
}

// AccessChange is one access.changed event to append: the user whose
// access the event numbered CauseSeq (of type CauseType) may have changed.
type AccessChange struct {
	UserID    string
	CauseSeq  int64
	CauseType string
}

// AccessDerivation is an organization's derivation claimed by one deriver
// until Until.
type AccessDerivation struct {
	Cursor AccessCursor
	// Last is the organization's last event seq when claimed.
	Last int64
}

// AccessDeriveStore keeps the cursors of the access.changed derivation
// and answers the queries it makes.
type AccessDeriveStore interface {
	// ClaimAccessDerivations leases to owner, until until, at most limit
	// organizations whose log has events the deriver has not read and whose
	// derivation is not leased to another owner (none, ended by now, or
	// owner's own, renewed).
	ClaimAccessDerivations(ctx context.Context, owner string, now, until time.Time, limit int) ([]AccessDerivation, error)
	// AccessAudienceUsers returns, in id order, at most limit distinct ids
	// above after of the users a describes.
	AccessAudienceUsers(ctx context.Context, orgID string, a AccessAudience, after string, limit int) ([]string, error)
	// RecordAccessDerivation appends an access.changed event for each
	// change and moves the organization's cursor from from to to, in one
	// transaction, if the cursor is still at from; otherwise it records
	// nothing and returns ErrVersionMismatch (another deriver moved it).
	// purgeGroup, when set, forgets the members kept for that deleted
	// group (see AccessAudience.Groups): its group.deleted is derived.
	RecordAccessDerivation(ctx context.Context, from, to AccessCursor, changes []AccessChange, purgeGroup string) error
}
