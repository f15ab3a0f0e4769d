// Package access owns organizations, their plans and settings, and who may
// do what where: workspaces, folders, group grants, direct memberships,
// joining, and the effective-role resolver.
package access

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/internal/store"
)

// ErrInvalid wraps errors in what a caller asked for; the message says what
// to change.
var ErrInvalid = errors.New("invalid request")

// orgStore is what Orgs needs of the store.
type orgStore interface {
	CreateOrg(ctx context.Context, actor store.Actor, org store.Org) (store.Org, error)
	GetOrg(ctx context.Context, id string) (store.Org, error)
	ListOrgs(ctx context.Context, after string, limit int) ([]store.Org, error)
	SetOrgPlan(ctx context.Context, actor store.Actor, id string, plan store.Plan) (store.Org, error)
	SetOrgSettings(ctx context.Context, actor store.Actor, id string, s store.Settings) (store.Org, error)
}

// Orgs manages organizations.
type Orgs struct {
	Store orgStore
}

// NewID returns a new record id: a UUIDv7, so ids sort in creation order.
func NewID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return id.String(), nil
}

// Create creates an organization with default settings.
func (o *Orgs) Create(ctx context.Context, actor store.Actor, name string, plan store.Plan) (store.Org, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return store.Org{}, fmt.Errorf("an organization needs a name: %w", ErrInvalid)
	}
	if plan == "" {
		plan = store.PlanFree
	}
	if !plan.Valid() {
		return store.Org{}, fmt.Errorf("unknown plan %q: use %q or %q: %w", plan, store.PlanFree, store.PlanEnterprise, ErrInvalid)
	}
	id, err := NewID()
	if err != nil {
		return store.Org{}, err
	}
	return o.Store.CreateOrg(ctx, actor, store.Org{ID: id, Name: name, Plan: plan, Settings: store.DefaultSettings()})
}

// Get returns an organization.
func (o *Orgs) Get(ctx context.Context, id string) (store.Org, error) {
	return o.Store.GetOrg(ctx, id)
}

// List returns a page of organizations ordered by id.
func (o *Orgs) List(ctx context.Context, after string, limit int) ([]store.Org, error) {
	return o.Store.ListOrgs(ctx, after, limit)
}

// SetPlan changes an organization's plan.
func (o *Orgs) SetPlan(ctx context.Context, actor store.Actor, id string, plan store.Plan) (store.Org, error) {
	if !plan.Valid() {
		return store.Org{}, fmt.Errorf("unknown plan %q: use %q or %q: %w", plan, store.PlanFree, store.PlanEnterprise, ErrInvalid)
	}
	return o.Store.SetOrgPlan(ctx, actor, id, plan)
}

// SetSettings replaces an organization's settings.
func (o *Orgs) SetSettings(ctx context.Context, actor store.Actor, id string, s store.Settings) (store.Org, error) {
	if !s.GroupRemoval.Valid() {
		return store.Org{}, fmt.Errorf("group removal must be %q or %q, not %q: %w", store.GroupRemovalRevoke, store.GroupRemovalKeep, s.GroupRemoval, ErrInvalid)
	}
	return o.Store.SetOrgSettings(ctx, actor, id, s)
}

// RequireEnterprise returns nil when the organization is on the enterprise
// plan, and otherwise a *PlanError (errors.Is(err, ErrPlanRequired)) whose
// message says that SCIM and SAML need the enterprise plan and how to
// upgrade. The SCIM and SSO surfaces call it before serving an
// organization and answer 403 with the message.
func (o *Orgs) RequireEnterprise(ctx context.Context, orgID string) error {
	org, err := o.Store.GetOrg(ctx, orgID)
	if err != nil {
		return mapNotFound(err, "organization", orgID)
	}
	if org.Plan != store.PlanEnterprise {
		return &PlanError{OrgID: orgID, Plan: org.Plan, Feature: "SCIM provisioning and SAML single sign-on"}
	}
	return nil
}
