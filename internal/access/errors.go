package access

import (
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/store"
)

// Sentinels callers branch on with errors.Is. Not-found and conflict errors
// use store.ErrNotFound and store.ErrConflict, so one test covers both
// layers.
var (
	// ErrForbidden means the request is well formed but the rules refuse
	// it, e.g. a member creating a workspace when the organization allows
	// only owners to.
	ErrForbidden = errors.New("forbidden")
	// ErrPlanRequired means the organization's plan does not include the
	// feature; the *PlanError says which.
	ErrPlanRequired = errors.New("enterprise plan required")
)

// Error is a domain error whose message is written for the person who made
// the request: it names what is wrong and, where it can, what to do. Kind
// is the sentinel errors.Is matches (ErrInvalid, ErrForbidden,
// store.ErrNotFound, store.ErrConflict).
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Is makes errors.Is(err, e.Kind) true.
func (e *Error) Is(target error) bool { return target == e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// notFound reports that a record does not exist in the organization.
func notFound(what, id string) error {
	return errorf(store.ErrNotFound, "%s %s does not exist in this organization", what, id)
}

// PlanError reports a feature the organization's plan does not include.
// errors.Is(err, ErrPlanRequired) is true for it.
type PlanError struct {
	OrgID   string
	Plan    store.Plan
	Feature string
}

func (e *PlanError) Error() string {
	return fmt.Sprintf("%s is available only on the enterprise plan, and organization %s is on the %s plan; "+
		"an operator can upgrade it with: roster org set-plan --org %s --plan enterprise", e.Feature, e.OrgID, e.Plan, e.OrgID)
}

// Is makes errors.Is(err, ErrPlanRequired) true.
func (e *PlanError) Is(target error) bool { return target == ErrPlanRequired }

// Message returns the part of err meant for people and whether err is a
// domain error at all (false means an internal failure whose detail
// belongs in the log, not in a response).
func Message(err error) (string, bool) {
	var de *Error
	var pe *PlanError
	var ie *store.InvalidError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &de):
		return de.Msg, true
	case errors.As(err, &pe):
		return pe.Error(), true
	case errors.As(err, &ie):
		return ie.Msg, true
	case errors.As(err, &ce):
		return ce.Error(), true
	case errors.Is(err, ErrInvalid), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrVersionMismatch):
		return err.Error(), true
	}
	return "", false
}
