package store

import (
	"context"
	"errors"
	"time"
)

// ErrLimit means a bounded table is full for the organization: the write
// was refused and nothing was stored.
var ErrLimit = errors.New("limit reached")

// SAMLLinkBy says how a SAML subject is matched to a provisioned user.
type SAMLLinkBy string

// Link modes.
const (
	// LinkByUserName compares the subject value with the user's userName,
	// ignoring case (the store's folded userName key). The default: Okta
	// and Entra both provision userName as the e-mail address they also
	// send as NameID.
	LinkByUserName SAMLLinkBy = "user_name"
	// LinkByExternalID compares the subject value with the user's
	// externalId exactly. Use it with an immutable identifier, such as
	// Entra's objectId claim or Okta's user id, provisioned as externalId,
	// so that renaming an e-mail address cannot move an account.
	LinkByExternalID SAMLLinkBy = "external_id"
)

// Valid reports whether l is a known link mode.
func (l SAMLLinkBy) Valid() bool { return l == LinkByUserName || l == LinkByExternalID }

// SAMLConfig is an organization's SAML single sign-on configuration.
//
// The IdP metadata is kept verbatim, as uploaded or fetched, and parsed
// where it is used, so that parsing rules live in one place (package
// sso/saml) and tightening them applies to stored configurations too.
type SAMLConfig struct {
	OrgID string
	// IdPMetadata is the identity provider's metadata XML; empty until an
	// administrator configures SSO.
	IdPMetadata []byte
	// IdPEntityID is the entity id read from IdPMetadata by the caller,
	// kept for listings and the audit trail.
	IdPEntityID string
	// MetadataURL is where the metadata was fetched from and is refreshed
	// from; "" when it was uploaded.
	MetadataURL string
	// MetadataUpdatedAt is when IdPMetadata last changed; kept by the store.
	MetadataUpdatedAt time.Time

	// SPInitiated allows sign-in started at roster (default true).
	SPInitiated bool
	// IdPInitiated allows sign-in started at the IdP: the Okta tile, Entra
	// My Apps (default false: an unsolicited response cannot be bound to
	// the browser that receives it).
	IdPInitiated bool
	// AllowSHA1 accepts RSA-SHA1 signatures (default false).
	AllowSHA1 bool
	// WantAssertionsSigned requires the assertion itself to be signed, not
	// only the response around it (default true).
	WantAssertionsSigned bool
	// NameIDFormat is requested from the IdP and, unless it is the
	// unspecified format or "", enforced.
	NameIDFormat string
	// LinkBy and LinkAttribute say how the subject finds its user: the
	// value of attribute LinkAttribute ("" means the NameID), compared as
	// LinkBy says.
	LinkBy        SAMLLinkBy
	LinkAttribute string
	// JITProvisioning creates an unknown subject as a new active user at
	// sign-in (default false: users come from SCIM).
	JITProvisioning bool
	// BaseURL is the public URL of roster the organization's SP URLs
	// (entity id, ACS URL) are derived from, as given to its IdP; "" means
	// the server's own base URL. Kept with the configuration so that what
	// the IdP was given cannot drift from what roster validates against.
	BaseURL string

	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DefaultSAMLConfig returns the configuration of an organization that has
// not configured SSO yet: SP-initiated sign-in only, signed assertions,
// SHA-256, linked by userName, no just-in-time creation.
func DefaultSAMLConfig(orgID string) SAMLConfig {
	return SAMLConfig{OrgID: orgID, SPInitiated: true, WantAssertionsSigned: true, LinkBy: LinkByUserName}
}

// SAMLRequest is the server-side state of one SP-initiated sign-in: which
// AuthnRequest a browser started, so the response can be bound to it.
type SAMLRequest struct {
	OrgID string
	// RelayHash is SHA-256 of the RelayState sent with the request; the
	// IdP echoes the RelayState back, and its hash is the lookup key.
	RelayHash []byte
	// RequestID is the AuthnRequest ID the response must answer.
	RequestID string
	// BrowserHash is SHA-256 of the browser-binding cookie's value: the
	// response is accepted only from the browser holding that cookie.
	BrowserHash []byte
	// ReturnTo is the local path to send the browser to after sign-in.
	ReturnTo string
	// State is what the host app passed to the login URL, returned
	// unchanged in the hand-off.
	State string
	// Test marks a Test sign-in started on the console's SAML page: its
	// response starts no session and is handed to no host app; what it
	// said is kept as a SAMLTestResult instead.
	Test      bool
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SAMLTestResult is the outcome of a Test sign-in, for the console: what the
// identity provider sent and which user it matched, or why it was refused.
type SAMLTestResult struct {
	OrgID string
	// RequestID is the AuthnRequest id of the test: the result's key.
	RequestID string
	// Outcome is SignInSuccess or SignInRefused; Reason and Detail say why
	// a refused one was.
	Outcome, Reason, Detail string
	// NameID and NameIDFormat are the assertion's subject, and Attributes
	// its attribute statement, when the response was valid.
	NameID, NameIDFormat string
	Attributes           map[string][]string
	// UserID is the user the subject matched (or, refused, the user it
	// names when known); WouldCreate says that just-in-time provisioning
	// would have created one (the test creates none).
	UserID      string
	WouldCreate bool
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Session is a signed-in browser. Only a hash of the session id is kept:
// the id itself lives in the browser's cookie alone, so a copy of the
// database signs nobody in.
type Session struct {
	// IDHash is SHA-256 of the session id.
	IDHash []byte
	OrgID  string
	UserID string
	// UserName and UserActive are the user's as read with the session (by
	// GetSession); they are ignored by CreateSession.
	UserName   string
	UserActive bool
	CreatedAt  time.Time
	LastSeenAt time.Time
	// IdleExpiresAt moves forward on use (TouchSession); ExpiresAt never
	// does. The session ends at the earlier of the two.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// SignIn describes one SAML sign-in attempt for the event log.
type SignIn struct {
	// UserID is the user signed in, or the user refused when known.
	UserID string `json:"user_id,omitempty"`
	// Method is "sp_initiated" or "idp_initiated".
	Method string `json:"method,omitempty"`
	// NameID is the subject the IdP asserted, when the response was valid.
	NameID string `json:"name_id,omitempty"`
	// Reason is the stable refusal code; "" for a success.
	Reason string `json:"reason,omitempty"`
	// Detail explains a refusal for administrators.
	Detail string `json:"detail,omitempty"`
	// JIT is set when the user was created just in time by this sign-in.
	JIT bool `json:"jit,omitempty"`
}

// SSOStore keeps SAML configurations, pending sign-in requests, consumed
// assertion ids and sessions.
//
// A user's sessions end with the user: deleting the user deletes them, and
// deactivating the user (ReplaceUser with Active false) deletes them in the
// same transaction, so no request after the change is served to them.
//
// Request states, assertion ids and sessions are bookkeeping with an
// expiry, shared by every instance through the database; PurgeSSO deletes
// the expired ones. Configuration changes and sign-ins are events.
type SSOStore interface {
	// GetSAMLConfig returns the organization's configuration, or
	// ErrNotFound when it has none.
	GetSAMLConfig(ctx context.Context, orgID string) (SAMLConfig, error)
	// PutSAMLConfig creates or replaces the configuration. When ifVersion
	// is not zero and differs from the stored version: ErrVersionMismatch.
	// Events, each only when something changed: "sso.idp_metadata_set"
	// (entity id, URL, SHA-256 of the document) and
	// "sso.settings_changed" (each changed setting, old and new).
	PutSAMLConfig(ctx context.Context, actor Actor, c SAMLConfig, ifVersion int64) (SAMLConfig, error)
	// ListSAMLMetadataURLs returns the configurations that have a metadata
	// URL, across organizations, ordered by organization id after the one
	// given, at most limit.
	ListSAMLMetadataURLs(ctx context.Context, after string, limit int) ([]SAMLConfig, error)

	// CreateSAMLRequest stores a pending request unless the organization
	// already has maxPending requests that have not expired (at r.CreatedAt):
	// then ErrLimit and nothing is stored. maxPending <= 0 means no cap.
	// No event.
	CreateSAMLRequest(ctx context.Context, r SAMLRequest, maxPending int) error
	// TakeSAMLRequest deletes and returns the organization's pending
	// request with that RelayState hash: each request is used at most once,
	// whatever the outcome. ErrNotFound when there is none or it expired
	// at or before now.
	TakeSAMLRequest(ctx context.Context, orgID string, relayHash []byte, now time.Time) (SAMLRequest, error)

	// PutSAMLTestResult stores the result of a Test sign-in (replacing one
	// with the same organization and request id). No event: a test changes
	// nothing.
	PutSAMLTestResult(ctx context.Context, r SAMLTestResult) error
	// GetSAMLTestResult returns the organization's test result with that
	// request id; ErrNotFound when there is none, it belongs to another
	// organization, or it expired at or before now.
	GetSAMLTestResult(ctx context.Context, orgID, requestID string, now time.Time) (SAMLTestResult, error)

	// RememberAssertion records an assertion id of the organization until
	// the given time. fresh is true exactly once per (organization, id)
	// while the record lasts, whichever instance asks: the replay check.
	RememberAssertion(ctx context.Context, orgID, assertionID string, until time.Time) (fresh bool, err error)

	// CreateSession stores a session for an existing user and records the
	// sign-in. Event "sso.signed_in" in the same transaction.
	CreateSession(ctx context.Context, actor Actor, s Session, in SignIn) (Session, error)
	// RecordSignInRefused counts a refused sign-in in its window (the
	// organization, in.Reason and w.Start) and returns the window's count
	// so far. Only the window's first refusal is an event
	// ("sso.sign_in_refused", in with the window's start); only its first
	// w.KeepDetail refusals are rows of the sign-in log. So a flood of
	// refusals grows the event log by one row per window.
	RecordSignInRefused(ctx context.Context, actor Actor, orgID string, in SignIn, w RefusalWindow) (int64, error)
	// FlushRefusalWindows ends the windows that started before the time
	// given: each that counted more than one refusal becomes one event
	// "sso.sign_in_refused_summary" {reason, window_start, count}. It
	// returns how many windows ended.
	FlushRefusalWindows(ctx context.Context, actor Actor, before time.Time) (int64, error)
	// ListSignIns returns the organization's sign-in log, newest first,
	// the entries with an id below before (0: from the newest) that match
	// the filter, at most limit.
	ListSignIns(ctx context.Context, orgID string, f SignInFilter, before int64, limit int) ([]SignInEntry, error)
	// PurgeSignIns deletes sign-in log entries older than before, and each
	// organization's entries beyond its newest keep; it returns how many
	// went.
	PurgeSignIns(ctx context.Context, before time.Time, keep int) (int64, error)

	// CreateHandoff stores a one-time hand-off code (its hash). No event:
	// the sign-in it follows is one.
	CreateHandoff(ctx context.Context, h Handoff) error
	// TakeHandoff deletes and returns the organization's hand-off with
	// that code hash: a code is redeemed at most once. ErrNotFound when
	// there is none, it belongs to another organization, or it expired at
	// or before now.
	TakeHandoff(ctx context.Context, orgID string, codeHash []byte, now time.Time) (Handoff, error)

	// AddOrgDomain records a verified e-mail domain of the organization.
	// A domain belongs to one organization at most: a *ConflictError
	// (ErrConflict) when another or the same organization has it. Event
	// "org.domain_added".
	AddOrgDomain(ctx context.Context, actor Actor, orgID, domain string) (OrgDomain, error)
	// RemoveOrgDomain removes one; ErrNotFound when the organization does
	// not have it. Event "org.domain_removed".
	RemoveOrgDomain(ctx context.Context, actor Actor, orgID, domain string) error
	// ListOrgDomains returns the organization's domains in order.
	ListOrgDomains(ctx context.Context, orgID string) ([]OrgDomain, error)
	// OrgDomain returns the record of a domain, whichever organization has
	// it, or ErrNotFound.
	OrgDomain(ctx context.Context, domain string) (OrgDomain, error)
	// GetSession returns the session with that id hash, with its user's
	// userName and active flag read in the same statement, or ErrNotFound.
	// Expiry is the caller's to judge.
	GetSession(ctx context.Context, idHash []byte) (Session, error)
	// TouchSession records a use: LastSeenAt and IdleExpiresAt move (never
	// past ExpiresAt). Bookkeeping: no event.
	TouchSession(ctx context.Context, idHash []byte, at, idleUntil time.Time) error
	// DeleteSession ends a session of the organization. Event
	// "sso.signed_out" when reason is "logout"; an expired or revoked
	// session ends without an event. ErrNotFound when there is none.
	DeleteSession(ctx context.Context, actor Actor, orgID string, idHash []byte, reason string) error

	// PurgeSSO deletes request states, assertion ids, sessions, hand-off
	// codes and test results that expired at or before now, and returns how many rows went.
	PurgeSSO(ctx context.Context, now time.Time) (int64, error)
}

// RefusalWindow is the aggregation window of a refused sign-in.
type RefusalWindow struct {
	// Start is the start of the window the refusal falls in.
	Start time.Time
	// KeepDetail is how many refusals of one window are kept as rows of
	// the sign-in log.
	KeepDetail int64
}

// Sign-in log outcomes.
const (
	SignInSuccess = "success"
	SignInRefused = "refused"
)

// SignInEntry is one row of the sign-in log.
type SignInEntry struct {
	ID    int64
	OrgID string
	At    time.Time
	// Outcome is SignInSuccess or SignInRefused.
	Outcome string
	SignIn
}

// SignInFilter selects sign-in log entries; empty fields match all.
type SignInFilter struct {
	Outcome string
	Reason  string
	UserID  string
}

// Handoff is a one-time code handed to the host app after a sign-in, which
// it redeems for the person who signed in.
type Handoff struct {
	// CodeHash is SHA-256 of the code; the code itself is the browser's
	// and the host app's only.
	CodeHash []byte
	OrgID    string
	UserID   string
	// State is the host app's value from the login URL, returned as is.
	State string
	// Method is "sp_initiated" or "idp_initiated".
	Method string
	// Joined is what the sign-in joined, as JSON (the domain's shape).
	Joined    []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OrgDomain is an e-mail domain an organization has verified: people with
// an address in it sign in through that organization.
type OrgDomain struct {
	Domain    string
	OrgID     string
	CreatedAt time.Time
}
