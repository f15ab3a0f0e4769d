// Package fault is roster's one error vocabulary. A domain error has a Kind,
// which edges branch on to choose a status (SCIM error JSON, API error JSON,
// a console page, a CLI exit), and a message written for the person who made
// the request: it says what is wrong and, where it can, what to do, and it
// holds nothing internal, so every edge may show it as it is.
//
// Errors that are not faults (a failed query, a closed connection) are
// internal: edges log them and show a request id instead.
//
// The store's sentinels are these kinds (store.ErrNotFound is NotFound), so
// errors.Is works the same on both sides of the domain layer.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies a fault. It is an error itself, so that
// errors.Is(err, fault.NotFound) tests the kind of any fault in err's chain.
type Kind string

// The kinds. Each edge maps every kind to one answer of its protocol.
const (
	// Invalid: the request asks for something that cannot be: a missing
	// name, an unknown plan, a membership of a user that does not exist.
	Invalid Kind = "invalid"
	// NotFound: the record does not exist in the organization named, or
	// belongs to another (tenants never learn of each other's ids).
	NotFound Kind = "not_found"
	// Conflict: the change would break a uniqueness rule.
	Conflict Kind = "conflict"
	// VersionMismatch: a conditional change found the record at another
	// version than the one the caller read.
	VersionMismatch Kind = "version_mismatch"
	// Forbidden: the request is well formed but the rules refuse it to this
	// caller.
	Forbidden Kind = "forbidden"
	// PlanRequired: the organization's plan does not include the feature.
	PlanRequired Kind = "plan_required"
	// Unauthorized: the credential is missing, malformed, unknown or revoked.
	Unauthorized Kind = "unauthorized"
	// WrongCredential: a valid credential of another kind than the surface
	// takes (a SCIM token on the host API).
	WrongCredential Kind = "wrong_credential"
	// Gone: what was asked for existed and is no longer kept (events older
	// than the retention period).
	Gone Kind = "gone"
	// RateLimited: the caller made more requests than its rate limit
	// allows; it may retry after the time the answer's Retry-After says.
	RateLimited Kind = "rate_limited"
)

// Error returns the kind's name in words ("not found"); it is what a bare
// kind prints when it is wrapped with context.
func (k Kind) Error() string { return strings.ReplaceAll(string(k), "_", " ") }

// Error is a fault: a kind and a message meant for people.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is makes errors.Is(err, e.Kind) true.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Fault reports the kind; see Faulter.
func (e *Error) Fault() Kind { return e.Kind }

// Faulter is implemented by errors whose Error text is meant for people and
// that carry a kind, such as *Error and store.ConflictError, which adds the
// field that must be unique.
type Faulter interface {
	error
	Fault() Kind
}

// New returns a fault with a formatted message.
func New(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Invalidf returns an Invalid fault.
func Invalidf(format string, args ...any) error { return New(Invalid, format, args...) }

// NotFoundf returns a NotFound fault.
func NotFoundf(format string, args ...any) error { return New(NotFound, format, args...) }

// Gonef returns a Gone fault.
func Gonef(format string, args ...any) error { return New(Gone, format, args...) }

// Forbiddenf returns a Forbidden fault.
func Forbiddenf(format string, args ...any) error { return New(Forbidden, format, args...) }

// Conflictf returns a Conflict fault.
func Conflictf(format string, args ...any) error { return New(Conflict, format, args...) }

// As returns the first fault in err's chain. A chain that holds only a
// bare kind (fmt.Errorf("load user: %w", fault.NotFound)) has a kind but no
// message for people: As reports it with a generic message, so nothing
// internal (the wrapping context) is shown.
func As(err error) (kind Kind, msg string, ok bool) {
	var f Faulter
	if errors.As(err, &f) {
		return f.Fault(), f.Error(), true
	}
	var k Kind
	if errors.As(err, &k) {
		return k, generic[k], true
	}
	return "", "", false
}

var generic = map[Kind]string{
	Invalid:         "the request cannot be carried out as it is",
	NotFound:        "no such record in this organization",
	Conflict:        "the change conflicts with an existing record",
	VersionMismatch: "the record changed since it was read; read it again and retry",
	Forbidden:       "this request is not allowed",
	PlanRequired:    "the organization's plan does not include this feature",
	Unauthorized:    "the credential is invalid or revoked",
	WrongCredential: "this credential is not accepted here",
	RateLimited:     "too many requests; retry after the time Retry-After says",
}

// Is reports whether err is a fault of the kind: a Faulter in its chain
// says so, or the bare kind is wrapped in it.
func Is(err error, kind Kind) bool { return KindOf(err) == kind || errors.Is(err, kind) }

// KindOf returns the kind of err, or "" when err is internal.
func KindOf(err error) Kind {
	k, _, _ := As(err)
	return k
}
