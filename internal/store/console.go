package store

import (
	"context"
	"time"
)

// ConsoleLink is a setup link: a single-use credential that signs its
// holder into one organization's console as an owner. Only the SHA-256 of
// its secret is stored.
type ConsoleLink struct {
	// ID is the public link id, part of the link text; the lookup key.
	ID    string
	OrgID string
	// SecretHash is SHA-256 of the link's secret part.
	SecretHash []byte
	// Hint is the link text's last characters, for people to tell links apart.
	Hint string
	// CreatedBy is who issued the link (the CLI, an API key, an admin key).
	CreatedBy Actor
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
	RevokedAt time.Time // zero unless revoked
}

// ConsoleSession is a browser signed into an organization's console. Only
// a hash of the session id is kept, so a copy of the database signs no one
// in.
type ConsoleSession struct {
	// IDHash is SHA-256 of the session id.
	IDHash []byte
	OrgID  string
	// Actor is who the session acts as in the event log: the setup link it
	// was entered with, or the person who signed in.
	Actor      Actor
	CreatedAt  time.Time
	LastSeenAt time.Time
	// IdleExpiresAt moves forward on use; ExpiresAt never does. The
	// session ends at the earlier of the two.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}

// ConsoleStore keeps setup links and console sessions.
type ConsoleStore interface {
	// CreateConsoleLink stores a new link for an existing organization.
	// Event "console_link.created" (never holding the secret or its hash).
	CreateConsoleLink(ctx context.Context, actor Actor, l ConsoleLink) (ConsoleLink, error)
	// GetConsoleLink returns a link by id, whatever its organization or
	// state: entering needs it before it knows the organization.
	GetConsoleLink(ctx context.Context, id string) (ConsoleLink, error)
	// ListConsoleLinks returns the organization's links, newest first, at
	// most limit.
	ListConsoleLinks(ctx context.Context, orgID string, limit int) ([]ConsoleLink, error)
	// UseConsoleLink marks the link used at sess.CreatedAt and stores the
	// session, in one transaction, only if the link is unused, unrevoked
	// and unexpired then; otherwise it returns ErrConflict and changes
	// nothing, so two browsers racing with one link get one session.
	// Event "console_link.used", by the link.
	UseConsoleLink(ctx context.Context, id string, sess ConsoleSession) error
	// RevokeConsoleLink revokes an unused link of the organization;
	// revoking it again changes nothing. Event "console_link.revoked".
	RevokeConsoleLink(ctx context.Context, actor Actor, orgID, id string) (ConsoleLink, error)
	// StartConsoleSession stores a session of a person who signed in
	// another way than a setup link (single sign-on as an owner or admin).
	// Event "console.signed_in", by the person, with data {"method"}.
	StartConsoleSession(ctx context.Context, sess ConsoleSession, method string) error
	// GetConsoleSession returns the session with that id hash, or
	// ErrNotFound; expiry is the caller's to check.
	GetConsoleSession(ctx context.Context, idHash []byte) (ConsoleSession, error)
	// TouchConsoleSession records a use: LastSeenAt and IdleExpiresAt move
	// (never past ExpiresAt). Bookkeeping: no event.
	TouchConsoleSession(ctx context.Context, idHash []byte, at, idleUntil time.Time) error
	// DeleteConsoleSession ends a session; reason "logout" records event
	// "console.signed_out".
	DeleteConsoleSession(ctx context.Context, actor Actor, orgID string, idHash []byte, reason string) error
	// PurgeConsole deletes expired sessions and links expired for a day.
	PurgeConsole(ctx context.Context, now time.Time) (int64, error)
}
