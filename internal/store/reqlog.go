package store

import (
	"context"
	"time"
)

// Request is one SCIM request an organization's token made, as the
// provisioning log keeps it. Bodies are already redacted and cut short by
// the time they reach the store.
type Request struct {
	ID        int64
	OrgID     string
	At        time.Time
	TokenID   string
	TokenName string
	Method    string
	// Path is the request's path and query, under /scim/v2.
	Path string
	// Resource is "Users", "Groups", "Bulk" or "" for the rest
	// (discovery endpoints, searches across both).
	Resource string
	Status   int
	// SCIMType and Detail are the SCIM error's, for a failed request.
	SCIMType string
	Detail   string
	Latency  time.Duration
	Request  string
	Response string
	// Client is the client's address.
	Client string
}

// RequestFilter narrows a provisioning log listing. Zero fields match
// everything.
type RequestFilter struct {
	// Failed: only requests answered with a status of 400 or more.
	Failed bool
	// Resource matches Request.Resource exactly.
	Resource string
	// Since and Until bound At: Since <= At < Until.
	Since, Until time.Time
}

// RequestLogStore keeps the provisioning log.
type RequestLogStore interface {
	// AppendRequests stores a batch of requests, of any organizations, in
	// one transaction. Requests of an organization that no longer exists
	// are dropped, not an error: a log write must not fail for a deletion
	// that raced it.
	AppendRequests(ctx context.Context, rs []Request) error
	// ListRequests returns up to limit of an organization's requests that
	// match f, newest first, with ids below before (0: from the newest).
	ListRequests(ctx context.Context, orgID string, f RequestFilter, before int64, limit int) ([]Request, error)
	// GetRequest returns one request of the organization; ErrNotFound for
	// an id of another.
	GetRequest(ctx context.Context, orgID string, id int64) (Request, error)
	// PurgeRequests deletes up to limit requests made before `before`,
	// oldest first, and returns how many it deleted.
	PurgeRequests(ctx context.Context, before time.Time, limit int) (int64, error)
}
