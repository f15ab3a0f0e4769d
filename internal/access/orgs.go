// Package access owns organizations, their plans and settings, and who may
// do what where: workspaces, folders, group grants, direct memberships,
// joining, and the effective-role resolver.
package access

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// NewID returns a new record id: a UUIDv7, so ids sort in creation order.
func NewID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("generate id: %w", err)
	}
	return id.String(), nil
}

func checkPlan(plan store.Plan) error {
	if !plan.Valid() {
		return errorf(fault.Invalid, "unknown plan %q: use %q or %q", plan, store.PlanFree, store.PlanEnterprise)
	}
	return nil
}

// CreateOrg creates an organization with default settings; plan "" is
// the free plan.
func (s *Service) CreateOrg(ctx context.Context, actor store.Actor, name string, plan store.Plan) (store.Org, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return store.Org{}, errorf(fault.Invalid, "an organization needs a name")
	}
	if len(name) > 200 {
		return store.Org{}, errorf(fault.Invalid, "an organization name may be at most 200 bytes, not %d", len(name))
	}
	if plan == "" {
		plan = store.PlanFree
	}
	if err := checkPlan(plan); err != nil {
		return store.Org{}, err
	}
	id, err := NewID()
	if err != nil {
		return store.Org{}, err
	}
	return s.Store.CreateOrg(ctx, actor, store.Org{ID: id, Name: name, Plan: plan, Settings: store.DefaultSettings()})
}

// Org returns the organization.
func (s *Service) Org(ctx context.Context, orgID string) (store.Org, error) {
	o, err := s.Store.GetOrg(ctx, orgID)
	return o, mapNotFound(err, "organization", orgID)
}

// ListOrgs returns a page of organizations ordered by id, after the id
// given ("" for the first page).
func (s *Service) ListOrgs(ctx context.Context, after string, limit int) ([]store.Org, error) {
	return s.Store.ListOrgs(ctx, after, limit)
}

// SetPlan changes an organization's plan.
func (s *Service) SetPlan(ctx context.Context, actor store.Actor, orgID string, plan store.Plan) (store.Org, error) {
	if err := checkPlan(plan); err != nil {
		return store.Org{}, err
	}
	o, err := s.Store.SetOrgPlan(ctx, actor, orgID, plan)
	return o, s.changed(orgID, mapNotFound(err, "organization", orgID))
}

// SettingsPatch changes some settings; nil fields stay as they are.
type SettingsPatch struct {
	AllowMembersCreateWorkspaces *bool               `json:"allow_members_create_workspaces"`
	GroupRemoval                 *store.GroupRemoval `json:"group_removal"`
	// SignInRedirectURL: "" clears it (the instance's default applies).
	SignInRedirectURL *string `json:"sign_in_redirect_url"`
	// SCIMRateLimit: 0 means the instance's default.
	SCIMRateLimit *int `json:"scim_rate_limit"`
}

// MaxSCIMRateLimit bounds the per-organization SCIM rate limit: more than
// this per token is no limit at all, and a typo should not make it so.
const MaxSCIMRateLimit = 10000

// CheckRedirectURL reports whether u may be a sign-in hand-off target: an
// absolute https URL (http only to a loopback host, for development)
// without credentials or fragment, since roster appends ?code=&state= to it
// and sends a browser there with a one-time code.
func CheckRedirectURL(u string) error {
	if len(u) > 2048 {
		return errorf(fault.Invalid, "sign_in_redirect_url is longer than 2048 characters")
	}
	p, err := url.Parse(u)
	if err != nil || !p.IsAbs() || p.Host == "" {
		return errorf(fault.Invalid, "sign_in_redirect_url must be an absolute URL such as https://app.example.com/sso/callback, not %q", u)
	}
	host := p.Hostname()
	loopback := host == "localhost" || host == "127.0.0.1" || host == "::1"
	switch {
	case p.Scheme == "https":
	case p.Scheme == "http" && loopback:
	default:
		return errorf(fault.Invalid, "sign_in_redirect_url must use https (http is allowed only to localhost), not %q", p.Scheme)
	}
	if p.User != nil {
		return errorf(fault.Invalid, "sign_in_redirect_url must not carry a user name or password")
	}
	if p.Fragment != "" || strings.Contains(u, "#") {
		return errorf(fault.Invalid, "sign_in_redirect_url must not have a #fragment: roster adds ?code=…&state= to it")
	}
	q := p.Query()
	if q.Has("code") || q.Has("state") {
		return errorf(fault.Invalid, "sign_in_redirect_url must not already have a code or state parameter: roster adds them")
	}
	return nil
}

// UpdateSettings changes an organization's settings. Switching
// group_removal to revoke ends, at once, the access of members who joined
// through a group that no longer makes them eligible; switching to keep
// restores it.
func (s *Service) UpdateSettings(ctx context.Context, actor store.Actor, orgID string, p SettingsPatch) (store.Org, error) {
	o, err := s.Org(ctx, orgID)
	if err != nil {
		return o, err
	}
	set := o.Settings
	if p.AllowMembersCreateWorkspaces != nil {
		set.AllowMembersCreateWorkspaces = *p.AllowMembersCreateWorkspaces
	}
	if p.GroupRemoval != nil {
		if !p.GroupRemoval.Valid() {
			return o, errorf(fault.Invalid, "group_removal must be %q or %q, not %q", store.GroupRemovalRevoke, store.GroupRemovalKeep, *p.GroupRemoval)
		}
		set.GroupRemoval = *p.GroupRemoval
	}
	if p.SignInRedirectURL != nil {
		if *p.SignInRedirectURL != "" {
			if err := CheckRedirectURL(*p.SignInRedirectURL); err != nil {
				return o, err
			}
		}
		set.SignInRedirectURL = *p.SignInRedirectURL
	}
	if p.SCIMRateLimit != nil {
		if *p.SCIMRateLimit < 0 || *p.SCIMRateLimit > MaxSCIMRateLimit {
			return o, errorf(fault.Invalid, "scim_rate_limit must be between 0 (the instance's default) and %d requests per second, not %d", MaxSCIMRateLimit, *p.SCIMRateLimit)
		}
		set.SCIMRateLimit = *p.SCIMRateLimit
	}
	if set == o.Settings {
		return o, nil
	}
	o, err = s.Store.SetOrgSettings(ctx, actor, orgID, set)
	return o, s.changed(orgID, err)
}

// RequireEnterprise returns nil when the organization is on the enterprise
// plan, and otherwise a *PlanError whose message says that SCIM and SAML
// need the enterprise plan and how to upgrade. The SCIM and SSO surfaces
// call it (or RequirePlan on an organization they hold) before serving an
// organization.
func (s *Service) RequireEnterprise(ctx context.Context, orgID string) error {
	o, err := s.Org(ctx, orgID)
	if err != nil {
		return err
	}
	return RequirePlan(o, "SCIM provisioning and SAML single sign-on")
}
