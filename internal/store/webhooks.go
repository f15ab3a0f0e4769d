package store

import (
	"context"
	"time"
)

// WebhookEndpoint is a URL of the host app that receives an organization's
// events, signed and in order (see package events).
type WebhookEndpoint struct {
	ID    string
	OrgID string
	// URL is where events are POSTed.
	URL         string
	Description string
	// Format is what is POSTed: FormatStandardWebhooks ("" is read as it)
	// or FormatSCIMEvents, RFC 8417 Security Event Tokens carrying RFC
	// 9967 provisioning events.
	Format string
	// Audience is the "aud" of the SETs sent to a scim-events endpoint;
	// empty means the URL.
	Audience string
	// EventTypes filters what is delivered: exact types ("user.created")
	// and prefixes ("user.*"); empty means every event.
	EventTypes []string
	// Enabled endpoints receive events; DisabledReason says why one does
	// not ("" when disabled by hand without a reason, or when enabled).
	Enabled        bool
	DisabledReason string
	// Secret signs deliveries: "whsec_" and the base64 of its key bytes. It
	// is stored as it is, because signing needs it, and shown once.
	Secret string
	// PreviousSecret, while PreviousSecretUntil has not passed, also signs
	// deliveries, so receivers can switch secrets without losing any.
	PreviousSecret      string
	PreviousSecretUntil time.Time
	// Cursor is the seq of the last event of the organization delivered to
	// (or skipped by the filter of) the endpoint; it only advances.
	Cursor int64
	// Attempts counts failed attempts at the event after Cursor; it is 0
	// when the last attempt succeeded.
	Attempts int
	// NextAttemptAt is when the dispatcher may try again; zero when now.
	NextAttemptAt time.Time
	// FailingSince is the first failed attempt since the last success;
	// zero when the endpoint is healthy.
	FailingSince time.Time
	// Version increases with every change made by people (not with
	// delivery bookkeeping); updates are conditional on it.
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// The formats an endpoint can receive.
const (
	FormatStandardWebhooks = "standard-webhooks"
	FormatSCIMEvents       = "scim-events"
)

// WebhookPatch changes an endpoint's settings; nil fields are kept.
type WebhookPatch struct {
	URL         *string
	Description *string
	EventTypes  *[]string
	Format      *string
	Audience    *string
}

// SigningKey is a private key that signs Security Event Tokens. One is
// current (RetiredAt zero); the ones rotated out stay published in the
// JWKS until PublishedUntil, so receivers holding a token signed just
// before a rotation can still verify it.
type SigningKey struct {
	// ID is the JWS "kid": the RFC 7638 thumbprint of the public key.
	ID string
	// Algorithm is the JWS "alg", "ES256".
	Algorithm string
	// PrivateKey is the key in PKCS #8 DER.
	PrivateKey     []byte
	CreatedAt      time.Time
	RetiredAt      time.Time
	PublishedUntil time.Time
}

// SigningKeyStore keeps the keys that sign Security Event Tokens, shared by
// every instance on one database.
type SigningKeyStore interface {
	// EnsureSigningKey makes k the current key if there is none and
	// returns the current key: k, or the one another instance stored
	// first.
	EnsureSigningKey(ctx context.Context, k SigningKey) (SigningKey, error)
	// RotateSigningKey retires the current key, published until
	// publishedUntil, and makes k current, in one transaction.
	RotateSigningKey(ctx context.Context, k SigningKey, publishedUntil time.Time) error
	// ListSigningKeys returns the current key first, then the retired ones
	// still published at now, newest first.
	ListSigningKeys(ctx context.Context, now time.Time) ([]SigningKey, error)
}

// WebhookDelivery is one attempt at delivering an event to an endpoint.
type WebhookDelivery struct {
	// ID numbers attempts across the store, in the order they were logged.
	ID         int64
	OrgID      string
	EndpointID string
	// Seq and EventType name the event delivered.
	Seq       int64
	EventType string
	// Attempt is 1 for the first attempt at this event, 2 for the first
	// retry, …; a redelivery made by hand has Redelivery set.
	Attempt    int
	Redelivery bool
	At         time.Time
	// Status is the HTTP status of the response, 0 when there was none
	// (refused target, connection error, time-out); Error then says why.
	Status  int
	Error   string
	Latency time.Duration
	// Response is the start of the response body, for people to debug with.
	Response string
}

// Succeeded reports whether the attempt was answered with a 2xx.
func (d WebhookDelivery) Succeeded() bool { return d.Status >= 200 && d.Status < 300 }

// WebhookLease is an endpoint claimed by one dispatcher until Until, so
// that several instances deliver each event once between them.
type WebhookLease struct {
	Endpoint WebhookEndpoint
	// Owner names the dispatcher holding the lease.
	Owner string
	Until time.Time
}

// WebhookOutcome is what a dispatcher reports after an attempt under its
// lease; see WebhookStore.RecordWebhookAttempt.
type WebhookOutcome struct {
	// Deliveries are logged, in order; none when events were only skipped
	// by the filter. A dispatcher may report several successes at once,
	// and the failure that ended them last.
	Deliveries []WebhookDelivery
	// Cursor, when above the endpoint's, is the new cursor: the events up
	// to it were acknowledged (or did not match the filter). It resets the
	// failure count.
	Cursor int64
	// Retry, set when the last delivery failed and is to be retried, is
	// when to try again; Attempts and FailingSince of the endpoint are
	// updated with it. A failed delivery logged without Retry (a SET the
	// receiver rejected for good) counts as handled.
	Retry time.Time
	// Disable, when set, disables the endpoint with this reason, in the
	// same transaction, with the event "webhook.disabled".
	Disable string
	// LeaseUntil extends the lease; zero releases it.
	LeaseUntil time.Time
}

// WebhookStore keeps webhook endpoints, their cursors and delivery log.
// Changes made by people append "webhook.*" events, never containing a
// secret; delivery bookkeeping appends none (it would feed itself).
type WebhookStore interface {
	// CreateWebhook stores a new endpoint of an existing organization. The
	// caller sets ID, URL, Description, EventTypes, Format, Audience,
	// Enabled and Secret; the
	// store starts its cursor at the organization's last event, so the
	// endpoint receives what happens from its creation on, beginning with
	// its own "webhook.created".
	CreateWebhook(ctx context.Context, actor Actor, ep WebhookEndpoint) (WebhookEndpoint, error)
	// GetWebhook returns an endpoint of the organization or ErrNotFound.
	GetWebhook(ctx context.Context, orgID, id string) (WebhookEndpoint, error)
	// ListWebhooks returns the organization's endpoints in creation order.
	ListWebhooks(ctx context.Context, orgID string) ([]WebhookEndpoint, error)
	// UpdateWebhook applies p if the endpoint is at version (0: any).
	// Event "webhook.updated". ErrVersionMismatch when it moved on.
	UpdateWebhook(ctx context.Context, actor Actor, orgID, id string, version int64, p WebhookPatch) (WebhookEndpoint, error)
	// RotateWebhookSecret makes secret the signing secret and keeps the
	// current one signing until previousUntil. Event
	// "webhook.secret_rotated".
	RotateWebhookSecret(ctx context.Context, actor Actor, orgID, id, secret string, previousUntil time.Time) (WebhookEndpoint, error)
	// SetWebhookEnabled enables or disables an endpoint. Enabling clears
	// the failure count, so the next attempt is immediate. Events
	// "webhook.enabled" and "webhook.disabled" (with reason), none when
	// nothing changes.
	SetWebhookEnabled(ctx context.Context, actor Actor, orgID, id string, enabled bool, reason string) (WebhookEndpoint, error)
	// DeleteWebhook removes an endpoint and its delivery log. Event
	// "webhook.deleted".
	DeleteWebhook(ctx context.Context, actor Actor, orgID, id string) error
	// ListWebhookDeliveries returns an endpoint's attempts, newest first,
	// with ID < before (0: from the newest), at most limit.
	ListWebhookDeliveries(ctx context.Context, orgID, id string, before int64, limit int) ([]WebhookDelivery, error)
	// LogWebhookDelivery logs an attempt made outside a lease (a
	// redelivery by hand); it moves no cursor.
	LogWebhookDelivery(ctx context.Context, d WebhookDelivery) (WebhookDelivery, error)

	// ClaimWebhooks leases to owner, until until, at most limit enabled
	// endpoints of any organization that have events after their cursor,
	// are due (NextAttemptAt not after now) and are not leased to another
	// owner (no lease, one that ended by now, or owner's own, which is
	// renewed: a restarted dispatcher under the same name resumes at once).
	// Several dispatchers, in one process or many, never hold one endpoint
	// at once. The times are the dispatcher's clock, as are the ones it
	// records.
	ClaimWebhooks(ctx context.Context, owner string, now, until time.Time, limit int) ([]WebhookLease, error)
	// RecordWebhookAttempt logs the attempts and moves the endpoint on as
	// the outcome says, in one transaction, if owner still holds its
	// lease; otherwise it records nothing and returns ErrVersionMismatch
	// (the lease expired and another dispatcher took over). It returns the
	// endpoint as it now is, so the dispatcher sees changes people made.
	RecordWebhookAttempt(ctx context.Context, owner, orgID, id string, o WebhookOutcome) (WebhookEndpoint, error)
}
