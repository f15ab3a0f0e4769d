// Package store defines roster's persistence contract: the records it keeps,
// the operations on them and the errors every implementation must return.
//
// Two implementations exist, SQLite (embedded, the default) and PostgreSQL
// (several instances behind a load balancer). Both are held to one
// conformance suite in package storetest, so the domain packages can rely on
// the behaviour documented here rather than on either engine.
//
// Three rules hold for every method:
//
//   - Tenancy. Every record belongs to one organization and every read or
//     write names it. A record of organization A is never visible through
//     organization B: asking B for A's id returns ErrNotFound.
//   - Atomicity. Each write method is one transaction. It either applies all
//     of its change or none of it.
//   - Audit. Each write method appends the events that describe its change to
//     the organization's event log in the same transaction, so the log (the
//     audit trail, the event feed and the webhook outbox) can never disagree
//     with the data. Events of one organization are numbered 1, 2, 3, … in
//     commit order, without gaps.
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/fault"
)

// Errors every implementation returns, wrapped with context; callers test
// them with errors.Is. They are the kinds of package fault, so a domain
// service or an edge tests one value whichever layer the error came from.
var (
	// ErrNotFound means the record does not exist in the organization named.
	ErrNotFound error = fault.NotFound
	// ErrConflict means the write would break a uniqueness rule.
	ErrConflict error = fault.Conflict
	// ErrVersionMismatch means a conditional write found the record at
	// another version than the one the caller read.
	ErrVersionMismatch error = fault.VersionMismatch
	// ErrInvalid means the request names something the store cannot accept,
	// such as a membership for a user that does not exist.
	ErrInvalid error = fault.Invalid
)

// Invalidf returns an Invalid fault whose message is meant for the person
// who made the request: it says what cannot be stored and why, and holds
// nothing internal, so an edge may show it as it is.
func Invalidf(format string, args ...any) error { return fault.Invalidf(format, args...) }

// InvalidError is the fault an Invalidf returns (its Kind is fault.Invalid);
// the name stays for callers that take the message with errors.As.
type InvalidError = fault.Error

// ConflictError reports which uniqueness rule a write broke.
type ConflictError struct {
	// Field names the attribute that must be unique, e.g. "userName".
	Field string
	// Value is the value that is already taken.
	Value string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %q is already taken", e.Field, e.Value)
}

// Is makes errors.Is(err, ErrConflict) true for a *ConflictError.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Fault makes a *ConflictError a fault.Faulter: its text is meant for people.
func (e *ConflictError) Fault() fault.Kind { return fault.Conflict }

// Actor says who made a change; it is recorded with every event.
type Actor struct {
	// Kind is "scim_token", "api_key", "user", "cli" or "system".
	Kind string `json:"kind"`
	// ID identifies the actor within its kind (a token id, a user id, …).
	ID string `json:"id,omitempty"`
	// Name is a human label such as the token's name, kept so the audit
	// trail stays readable after the actor is gone.
	Name string `json:"name,omitempty"`
}

// Plan is an organization's subscription plan.
type Plan string

// Plans. SCIM and SAML are available on the enterprise plan only.
const (
	PlanFree       Plan = "free"
	PlanEnterprise Plan = "enterprise"
)

// Valid reports whether p is a known plan.
func (p Plan) Valid() bool { return p == PlanFree || p == PlanEnterprise }

// GroupRemoval decides what happens to memberships a user joined through a
// group once the group no longer makes them eligible.
type GroupRemoval string

// Group removal policies; see DESIGN.md, "Membership rules".
const (
	// GroupRemovalRevoke ends joined-through-group access with eligibility.
	GroupRemovalRevoke GroupRemoval = "revoke"
	// GroupRemovalKeep keeps joined members until removed by hand.
	GroupRemovalKeep GroupRemoval = "keep"
)

// Valid reports whether g is a known policy.
func (g GroupRemoval) Valid() bool { return g == GroupRemovalRevoke || g == GroupRemovalKeep }

// Settings are an organization's options.
type Settings struct {
	// AllowMembersCreateWorkspaces lets members, not only owners, create
	// workspaces. Default true.
	AllowMembersCreateWorkspaces bool `json:"allow_members_create_workspaces"`
	// GroupRemoval is the policy for joined members who lose eligibility.
	// Default revoke.
	GroupRemoval GroupRemoval `json:"group_removal"`
	// SignInRedirectURL is where a successful SAML sign-in hands the
	// browser to the host app, with ?code=…&state=…. Empty: the
	// instance's default, and without one roster's own member page.
	SignInRedirectURL string `json:"sign_in_redirect_url"`
	// SCIMRateLimit is the requests per second each of the organization's
	// SCIM tokens may make. 0: the instance's default.
	SCIMRateLimit int `json:"scim_rate_limit"`
}

// DefaultSettings returns the settings of a new organization.
func DefaultSettings() Settings {
	return Settings{AllowMembersCreateWorkspaces: true, GroupRemoval: GroupRemovalRevoke}
}

// Org is an organization: the tenant every other record belongs to.
type Org struct {
	ID        string
	Name      string
	Plan      Plan
	Settings  Settings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TokenKind says which surface a token authenticates.
type TokenKind string

// Token kinds.
const (
	TokenSCIM TokenKind = "scim"
	TokenAPI  TokenKind = "api"
)

// Token is a stored credential. The secret itself is never stored: only its
// SHA-256 hash, so a copy of the database holds no usable token.
type Token struct {
	// ID is the public token id, part of the token text; it is the lookup key.
	ID    string
	OrgID string
	Kind  TokenKind
	Name  string
	// SecretHash is SHA-256 of the token's secret part.
	SecretHash []byte
	// Hint is the last characters of the token, for people to recognise it.
	Hint       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero when active
}

// Revoked reports whether the token has been revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// Event is one entry of an organization's event log.
type Event struct {
	OrgID string `json:"org_id"`
	// Seq numbers the organization's events 1, 2, 3, … in commit order.
	Seq int64 `json:"seq"`
	// Type is hierarchical, e.g. "user.created", "group.members_added".
	Type  string `json:"type"`
	Actor Actor  `json:"actor"`
	// SubjectType and SubjectID name the record the event is about.
	SubjectType string `json:"subject_type"`
	SubjectID   string `json:"subject_id"`
	// Data holds what changed, as JSON; thin: ids and changed values.
	Data json.RawMessage `json:"data,omitempty"`
	At   time.Time       `json:"at"`
}

// Store is the persistence contract. Implementations are safe for concurrent
// use by many goroutines and, for PostgreSQL, by many processes.
type Store interface {
	OrgStore
	TokenStore
	EventStore
	RetentionStore
	UserStore
	GroupStore
	AccessStore
	AdminTokenStore
	SSOStore
	ListingStore
	ConsoleStore
	WebhookStore
	SigningKeyStore
	RequestLogStore
	AccessDeriveStore

	// Ping checks that the database answers; /readyz uses it.
	Ping(ctx context.Context) error
	// Close releases the database. The store must not be used afterwards.
	Close() error
}

// OrgStore keeps organizations.
type OrgStore interface {
	// CreateOrg stores a new organization. The caller sets ID, Name, Plan and
	// Settings; the store sets the times. Event "org.created".
	CreateOrg(ctx context.Context, actor Actor, org Org) (Org, error)
	// GetOrg returns the organization or ErrNotFound.
	GetOrg(ctx context.Context, id string) (Org, error)
	// ListOrgs returns organizations ordered by id, after the id given
	// ("" for the first page), at most limit of them.
	ListOrgs(ctx context.Context, after string, limit int) ([]Org, error)
	// SetOrgPlan changes the plan. Event "org.plan_changed".
	SetOrgPlan(ctx context.Context, actor Actor, id string, plan Plan) (Org, error)
	// SetOrgSettings replaces the settings. Event "org.settings_changed".
	SetOrgSettings(ctx context.Context, actor Actor, id string, s Settings) (Org, error)
}

// TokenStore keeps SCIM tokens and API keys.
type TokenStore interface {
	// CreateToken stores a token for an existing organization. Event
	// "token.created" (never containing the secret or its hash).
	CreateToken(ctx context.Context, actor Actor, t Token) (Token, error)
	// GetToken returns a token by its public id, whatever its organization,
	// revoked or not: authentication needs it before it knows the
	// organization. ErrNotFound when there is none.
	GetToken(ctx context.Context, id string) (Token, error)
	// ListTokens returns the organization's tokens of one kind, newest first.
	ListTokens(ctx context.Context, orgID string, kind TokenKind) ([]Token, error)
	// RevokeToken marks a token of the organization revoked. Revoking a
	// revoked token is not an error and changes nothing. Event
	// "token.revoked".
	RevokeToken(ctx context.Context, actor Actor, orgID, id string) (Token, error)
	// TouchToken records that the token was used at the given time. It is
	// bookkeeping, not a change: no event.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// RevocationWatcher is implemented by stores that several roster instances
// share, so that a credential revoked through one instance stops working on
// the others at once rather than when their caches expire.
type RevocationWatcher interface {
	// WatchRevocations calls fn with the id of every token or key revoked
	// through any instance, until ctx ends, and with "" when revocations
	// may have been missed (the watch reconnected): forget every cached
	// credential then. watching is false, and fn never called, for a store
	// only one process serves (SQLite), where revocations made through the
	// server are already seen by it.
	WatchRevocations(ctx context.Context, fn func(tokenID string)) (watching bool, err error)
}

// EventStore reads the event log. Events are written by the other methods.
type EventStore interface {
	// ListEvents returns the organization's events with Seq > after, in Seq
	// order, at most limit of them.
	ListEvents(ctx context.Context, orgID string, after int64, limit int) ([]Event, error)
}
