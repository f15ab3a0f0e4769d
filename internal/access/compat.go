package access

import (
	"context"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Orgs is the organization part of Service under its former name, kept
// while the edges move to Service; it holds no rule of its own.
type Orgs struct {
	Store serviceStore
}

func (o *Orgs) svc() *Service { return &Service{Store: o.Store} }

// Create is Service.CreateOrg.
func (o *Orgs) Create(ctx context.Context, actor store.Actor, name string, plan store.Plan) (store.Org, error) {
	return o.svc().CreateOrg(ctx, actor, name, plan)
}

// Get is Service.Org.
func (o *Orgs) Get(ctx context.Context, id string) (store.Org, error) { return o.svc().Org(ctx, id) }

// List is Service.ListOrgs.
func (o *Orgs) List(ctx context.Context, after string, limit int) ([]store.Org, error) {
	return o.svc().ListOrgs(ctx, after, limit)
}

// SetPlan is Service.SetPlan.
func (o *Orgs) SetPlan(ctx context.Context, actor store.Actor, id string, plan store.Plan) (store.Org, error) {
	return o.svc().SetPlan(ctx, actor, id, plan)
}

// SetSettings is Service.UpdateSettings with every setting given.
func (o *Orgs) SetSettings(ctx context.Context, actor store.Actor, id string, s store.Settings) (store.Org, error) {
	return o.svc().UpdateSettings(ctx, actor, id, SettingsPatch{AllowMembersCreateWorkspaces: &s.AllowMembersCreateWorkspaces, GroupRemoval: &s.GroupRemoval})
}

// RequireEnterprise is Service.RequireEnterprise.
func (o *Orgs) RequireEnterprise(ctx context.Context, orgID string) error {
	return o.svc().RequireEnterprise(ctx, orgID)
}

// Message is fault.As's message, under its former name.
func Message(err error) (string, bool) {
	_, msg, ok := fault.As(err)
	return msg, ok
}
