// Package events delivers an organization's event log to the host app as
// Standard Webhooks (https://www.standardwebhooks.com): signed POSTs, in
// order per endpoint, at least once.
//
// Service manages endpoints: it validates them, refuses targets that could
// reach roster's own network (SSRF), and makes their signing secrets. The
// store keeps them with a cursor each, the seq of the last event the
// endpoint acknowledged with a 2xx.
//
// Dispatcher delivers. Every instance runs one; they share the work through
// leases in the store (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL), so
// each endpoint is served by one dispatcher at a time and each event is
// delivered once per endpoint between them, twice only when a dispatcher
// dies after a receiver answered and before the cursor moved. A leased
// endpoint gets a goroutine of its own that sends its events one at a
// time, in seq order, and moves the cursor only after a 2xx: an event is
// never delivered before the earlier events of its organization, a slow or
// dead endpoint delays no other, and kill -9 loses nothing, since the next
// holder of the lease resumes at the cursor. A failed attempt is retried on
// the Standard Webhooks schedule with jitter, or after the receiver's
// Retry-After; 410 Gone, and five days of failures, disable the endpoint.
//
// The body is {"type", "timestamp", "data"}, where data is the event as
// GET /api/v1/events returns it, seq included, and webhook-id is the
// event's stable id (EventID), the same on every attempt and instance.
//
// An endpoint of format scim-events gets RFC 9967 provisioning events
// instead: each user or group event is an RFC 8417 Security Event Token
// (SETClaims, SCIMEvent), signed ES256 by Keys with a key every instance
// shares through the store, and pushed as RFC 8935 says (202 is success; a
// 400 with its error JSON refuses that SET for good). JWKSHandler serves
// the public keys at JWKSPath. Events with no SCIM meaning are skipped.
package events
