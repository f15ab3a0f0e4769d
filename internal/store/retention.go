package store

import (
	"context"
	"time"
)

// RetentionStore deletes what roster keeps only for a while: old events
// and the webhook delivery log. Deletion runs in small batches, each its
// own short transaction, so it never holds the writer long.
type RetentionStore interface {
	// PurgeEvents deletes, in each organization, up to limit of its oldest
	// events made before `before`, in seq order and stopping at the first
	// event that is newer, and never an event that a webhook endpoint of
	// the organization (enabled or not) has not been sent yet. It records
	// the last seq deleted as the organization's event horizon and returns
	// how many events it deleted.
	PurgeEvents(ctx context.Context, before time.Time, limit int) (int64, error)
	// EventHorizon returns the seq of the last event deleted by
	// PurgeEvents in the organization: the feed no longer holds it or any
	// before it. 0 when none was deleted.
	EventHorizon(ctx context.Context, orgID string) (int64, error)
	// PurgeDeliveries deletes up to limit webhook delivery attempts made
	// before `before`, oldest first, and returns how many it deleted.
	PurgeDeliveries(ctx context.Context, before time.Time, limit int) (int64, error)
}
