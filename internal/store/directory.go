package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Fold returns the form in which case-insensitive values are compared and
// kept unique. It is done in Go, not by the database, so SQLite and
// PostgreSQL fold alike, non-ASCII letters included.
func Fold(s string) string { return strings.ToLower(s) }

// ManagerAttr is the Values attribute (sub "value") under which a user's
// ManagerID is indexed for filters; the store removes those values with
// the reference when the manager is deleted.
const ManagerAttr = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:manager"

// User is a provisioned user of an organization.
//
// The attributes that identify a user or that lists are sorted by have
// columns of their own; the complete representation is kept verbatim in
// Attributes, and every other value filters may test is indexed in Values.
type User struct {
	OrgID       string
	ID          string
	UserName    string
	ExternalID  string // "" when unset
	DisplayName string // "" when unset
	Active      bool
	// Attributes is the user's SCIM representation as JSON, without id,
	// meta, groups and password. The store keeps it as given.
	Attributes json.RawMessage
	// Values indexes attribute values for filtering; see Value.
	Values []Value
	// ManagerID is the id of the user's manager, another user of the same
	// organization, or "" for none. Writes naming anyone else fail with
	// an Invalid fault, and deleting the manager clears it.
	ManagerID string
	// ManagerDisplay is the current manager's displayName, or userName
	// when it has none; set by the store on reads, ignored on writes.
	ManagerDisplay string
	Version        int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Value is one indexed attribute value: the value of sub-attribute Sub of
// element Elem of attribute Attr. Attr and Sub are lower case. Single-valued
// attributes use Elem 0; simple attributes use Sub "". Booleans are "true"
// or "false"; other values are their string form.
type Value struct {
	Attr string
	Elem int
	Sub  string
	Str  string
}

// Group is a group of users in an organization. Its DisplayName is unique
// in the organization, compared folded (see Fold).
type Group struct {
	OrgID       string
	ID          string
	DisplayName string
	ExternalID  string // "" when unset
	// MemberCount is the number of members; kept by the store.
	MemberCount int64
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Member is one member of a group as listed with the group.
type Member struct {
	UserID string
	// Display is the user's displayName, or userName when it has none.
	Display string
}

// GroupRef is one group as listed on a user.
type GroupRef struct {
	GroupID     string
	DisplayName string
}

// GroupUpdate describes a change to a group, applied atomically by
// UpdateGroup. Nil or empty fields are left as they are.
type GroupUpdate struct {
	OrgID string
	ID    string
	// IfVersion, when not zero, makes the update conditional on the group's
	// current version (ErrVersionMismatch otherwise).
	IfVersion   int64
	DisplayName *string
	ExternalID  *string // pointer to "" clears it
	// SetMembers, when true, makes Members the complete member list: the
	// difference is applied, so members in both lists are not touched.
	SetMembers bool
	Members    []string
	// Add and Remove are applied after SetMembers, in that order. Adding a
	// member already there or removing one that is not changes nothing.
	Add    []string
	Remove []string
}

// Page is one page of a query's results.
type Page[T any] struct {
	// Total is the number of records matching the filter, all pages.
	Total int
	Items []T
	// More reports that records exist past this page in its direction.
	More bool
}

// Query selects, orders and pages users or groups.
type Query struct {
	Filter Cond // nil matches everything
	// SortBy orders by a field; the zero Field orders by id, which is also
	// creation order because ids are time-ordered.
	SortBy     Field
	Descending bool
	// Offset skips that many records (index paging).
	Offset int
	// Limit caps the page; 0 returns the total only.
	Limit int
	// After and Before page by id (cursor paging): only records whose id is
	// greater than After, or less than Before, are returned. They require
	// the default order.
	After, Before string
}

// Op is a comparison operator of a Cond.
type Op string

// Comparison operators, as in SCIM filters.
const (
	OpEq Op = "eq"
	OpNe Op = "ne"
	OpCo Op = "co"
	OpSw Op = "sw"
	OpEw Op = "ew"
	OpGt Op = "gt"
	OpGe Op = "ge"
	OpLt Op = "lt"
	OpLe Op = "le"
)

// Field names a value a condition tests. Attr is a lower-case attribute
// name (extension attributes carry their schema URN, "urn:…:user:manager");
// Sub a lower-case sub-attribute or "".
//
// Users have columns for "id", "username", "externalid", "displayname",
// "active", "meta.created"/"meta.lastmodified", and the relation "groups"
// (subs "value", "display"); every other user attribute is looked up in the
// indexed Values. Groups have "id", "displayname", "externalid", "meta.*"
// and the relation "members" (subs "value", "display", "type").
type Field struct {
	Attr string
	Sub  string
}

// Cond is a filter condition: one of And, Or, Not, Cmp, Present, Elem.
type Cond interface{ isCond() }

// And is true when both sides are.
type And struct{ L, R Cond }

// Or is true when either side is.
type Or struct{ L, R Cond }

// Not negates a condition.
type Not struct{ C Cond }

// Cmp compares a field with a value. Value is a string, bool or time.Time.
// A multi-valued field matches when any of its values does; a comparison
// with an absent value is false, except Ne, which is true.
type Cmp struct {
	Field Field
	Op    Op
	Value any
	// CaseExact compares strings as they are; otherwise both sides are folded.
	CaseExact bool
}

// Present is true when the field has a non-empty value.
type Present struct{ Field Field }

// Elem is true when one element of multi-valued attribute Attr satisfies C;
// the fields inside C are sub-attributes of that same element.
type Elem struct {
	Attr string
	C    Cond
}

func (And) isCond()     {}
func (Or) isCond()      {}
func (Not) isCond()     {}
func (Cmp) isCond()     {}
func (Present) isCond() {}
func (Elem) isCond()    {}

// UserStore keeps users.
type UserStore interface {
	// CreateUser stores a new user. ErrConflict (a *ConflictError on
	// "userName") when the folded userName is taken in the organization;
	// an Invalid fault when ManagerID is not a user of the organization.
	// Event "user.created".
	CreateUser(ctx context.Context, actor Actor, u User) (User, error)
	// GetUser returns a user or ErrNotFound.
	GetUser(ctx context.Context, orgID, id string) (User, error)
	// ReplaceUser stores a new state of an existing user. When ifVersion is
	// not zero and differs from the stored version: ErrVersionMismatch.
	// ManagerID is checked as in CreateUser.
	// Events "user.updated", plus "user.deactivated" or "user.reactivated"
	// when Active changes.
	ReplaceUser(ctx context.Context, actor Actor, u User, ifVersion int64) (User, error)
	// DeleteUser removes a user and all their memberships, and clears the
	// manager of the users they managed. Events "user.deleted" and, for each
	// user who loses their manager, "user.updated" (with "manager": null).
	DeleteUser(ctx context.Context, actor Actor, orgID, id string) error
	// QueryUsers returns a page of the organization's users.
	QueryUsers(ctx context.Context, orgID string, q Query) (Page[User], error)
	// UserGroups returns, for each of the users given, the groups they are
	// a direct member of, ordered by group id.
	UserGroups(ctx context.Context, orgID string, userIDs []string) (map[string][]GroupRef, error)
}

// GroupStore keeps groups and their memberships. Memberships are rows:
// adding or removing one member costs the same whatever the group's size.
type GroupStore interface {
	// CreateGroup stores a new group with its initial members. ErrInvalid
	// when a member is not a user of the organization; ErrConflict (a
	// *ConflictError on "displayName") when the folded name is taken in
	// the organization, enforced by the database so that racing creates
	// cannot both succeed. Events
	// "group.created" and, with members, "group.members_added".
	CreateGroup(ctx context.Context, actor Actor, g Group, members []string) (Group, error)
	// GetGroup returns a group (without its members) or ErrNotFound.
	GetGroup(ctx context.Context, orgID, id string) (Group, error)
	// UpdateGroup applies a change atomically. The version moves only when
	// something changed. A rename to a name another group of the
	// organization has (folded) is a *ConflictError on "displayName".
	// Events "group.updated" (name, externalId), "group.members_added",
	// "group.members_removed", each only when something changed.
	UpdateGroup(ctx context.Context, actor Actor, u GroupUpdate) (Group, error)
	// DeleteGroup removes a group with its memberships, its grants and the
	// workspace and folder memberships joined through it, in one
	// transaction. Events, in order: "group.deleted"; "grant.deleted" for
	// each grant (as DeleteGrant writes it); then for each membership
	// joined through the group (origin "group:<id>"), under the
	// organization's group_removal policy "revoke" "member.removed"
	// (origins ["group:<id>"]) when it was the user's last membership of
	// that resource, "member.origin_removed" (same data) when others
	// remain, and under "keep" "member.origin_changed" (origin OriginKept,
	// from_origin "group:<id>", role).
	DeleteGroup(ctx context.Context, actor Actor, orgID, id string) error
	// QueryGroups returns a page of the organization's groups.
	QueryGroups(ctx context.Context, orgID string, q Query) (Page[Group], error)
	// ListMembers returns members of a group ordered by user id, those with
	// ids after the one given, at most limit: a large group is read page by
	// page, never held whole.
	ListMembers(ctx context.Context, orgID, groupID, after string, limit int) ([]Member, error)
}
