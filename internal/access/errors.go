package access

import (
	"errors"
	"fmt"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// The fault kinds access returns, named here for its callers: every error
// of this package meant for people is a fault (package fault) of one of
// these kinds or of store's (not found, conflict).
var (
	// ErrInvalid: what was asked for cannot be; the message says what to
	// change.
	ErrInvalid = fault.Invalid
	// ErrForbidden: the request is well formed but the rules refuse it,
	// e.g. a member creating a workspace when the organization allows only
	// owners to.
	ErrForbidden = fault.Forbidden
	// ErrPlanRequired: the organization's plan does not include the
	// feature; the *PlanError says which.
	ErrPlanRequired = fault.PlanRequired
)

func errorf(kind fault.Kind, format string, args ...any) error {
	return fault.New(kind, format, args...)
}

// notFound reports that a record does not exist in the organization.
func notFound(what, id string) error {
	return errorf(fault.NotFound, "%s %s does not exist in this organization", what, id)
}

// mapNotFound turns the store's bare not-found into a message naming the
// record; a not-found that already says which record is kept.
func mapNotFound(err error, what, id string) error {
	var f fault.Faulter
	if errors.Is(err, store.ErrNotFound) && !errors.As(err, &f) {
		return notFound(what, id)
	}
	return err
}

// PlanError reports a feature the organization's plan does not include.
// It is a fault of kind fault.PlanRequired.
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
func (e *PlanError) Is(target error) bool { return target == fault.PlanRequired }

// Fault makes a *PlanError a fault.Faulter.
func (e *PlanError) Fault() fault.Kind { return fault.PlanRequired }

// RequirePlan is the one plan guard: it returns nil when the organization's
// plan includes feature (SCIM, SAML and group grants need enterprise), and
// otherwise a *PlanError that says what the feature needs and how to
// upgrade.
func RequirePlan(o store.Org, feature string) error {
	if o.Plan != store.PlanEnterprise {
		return &PlanError{OrgID: o.ID, Plan: o.Plan, Feature: feature}
	}
	return nil
}
