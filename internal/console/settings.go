package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Admin is what the settings and events pages need of the access domain:
// the organization's settings, its owners and admins, and its event feed;
// *access.Service is it.
type Admin interface {
	UpdateSettings(ctx context.Context, actor store.Actor, orgID string, p access.SettingsPatch) (store.Org, error)
	ListOrgRoles(ctx context.Context, orgID, after string, limit int) ([]store.OrgMember, error)
	SetOrgRole(ctx context.Context, actor store.Actor, orgID, userID string, role store.OrgRole) (store.OrgMember, error)
	RemoveOrgRole(ctx context.Context, actor store.Actor, orgID, userID string) error
	Events(ctx context.Context, orgID string, after int64, limit int) ([]store.Event, error)
}

// Domains keeps the organization's verified e-mail domains, which send
// people of those domains to its sign-in; *sso.Service is it.
type Domains interface {
	Domains(ctx context.Context, orgID string) ([]store.OrgDomain, error)
	AddDomain(ctx context.Context, actor store.Actor, orgID, domain string) (store.OrgDomain, error)
	RemoveDomain(ctx context.Context, actor store.Actor, orgID, domain string) error
}

// domainRow is one verified domain.
type domainRow struct {
	Domain, Since string
}

// orgRoleRow is one owner or admin.
type orgRoleRow struct {
	UserID, User, Role, Since string
}

type settingsPage struct {
	Allow         bool
	Removal       string
	RemovalError  string
	Roles         []orgRoleRow
	RolesNext     string
	RoleUser      string
	RoleChoice    string
	RoleUserError string
	RoleError     string
	Notice        string

	// Domains are the verified domains (nil Handler.Domains: not shown);
	// Domain and DomainError are a refused add.
	ShowDomains bool
	Domains     []domainRow
	Domain      string
	DomainError string
	// RedirectURL is the sign-in redirect URL; redirectSent keeps a refused
	// one on the form instead of the stored one.
	RedirectURL   string
	RedirectError string
	redirectSent  bool
}

var settingsNotices = map[string]string{
	"saved":          "Settings saved.",
	"role-added":     "Organization role given.",
	"role-removed":   "Organization role removed: they keep what their groups and memberships give them.",
	"redirect":       "Sign-in redirect URL saved: the next sign-in goes there.",
	"redirect-off":   "Sign-in redirect URL removed: members now see roster's page of their workspaces after signing in.",
	"domain-added":   "Domain added: people with an address in it are sent to this organization's sign-in.",
	"domain-removed": "Domain removed: addresses in it no longer find this organization.",
}

// settingsView renders the settings page; p carries what a refused form
// sent, which replaces the stored values.
func (h *Handler) settingsView(w http.ResponseWriter, r *http.Request, s *session, status int, p settingsPage, keepForm bool) {
	ctx, q := r.Context(), r.URL.Query()
	if !keepForm {
		p.Allow, p.Removal = s.org.Settings.AllowMembersCreateWorkspaces, string(s.org.Settings.GroupRemoval)
	}
	if p.Notice == "" {
		p.Notice = settingsNotices[q.Get("done")]
	}
	if p.RoleChoice == "" {
		p.RoleChoice = string(store.OrgAdmin)
	}
	if !p.redirectSent {
		p.RedirectURL = s.org.Settings.SignInRedirectURL
	}
	if h.Domains != nil {
		ds, err := h.Domains.Domains(ctx, s.org.ID)
		if err != nil {
			h.fail(w, r, s, err)
			return
		}
		p.ShowDomains = true
		for _, d := range ds {
			p.Domains = append(p.Domains, domainRow{Domain: d.Domain, Since: when(d.CreatedAt)})
		}
	}
	roles, err := h.Admin.ListOrgRoles(ctx, s.org.ID, q.Get("roles_after"), sharePage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	roles, more := trim(roles, sharePage)
	for _, m := range roles {
		name := m.UserID
		if u, err := h.Names.GetUser(ctx, s.org.ID, m.UserID); err == nil {
			name = u.UserName
		} else if !isNotFound(err) {
			h.fail(w, r, s, err)
			return
		}
		p.Roles = append(p.Roles, orgRoleRow{UserID: m.UserID, User: name, Role: roleName(string(m.Role)), Since: when(m.CreatedAt)})
	}
	if len(roles) > 0 {
		p.RolesNext = nextLink(Prefix+"/settings", nil, "roles_after", roles[len(roles)-1].UserID, more)
	}
	h.render(w, r, status, "settings", view{Title: "Settings", Nav: "settings", Org: s.org, CSRF: s.csrf, Data: p})
}

func (h *Handler) settings(w http.ResponseWriter, r *http.Request, s *session) {
	h.settingsView(w, r, s, http.StatusOK, settingsPage{}, false)
}

// saveSettings changes the two settings the page shows. It goes through
// UpdateSettings with a patch of those two only, so settings this page
// does not show are read and kept by the service, never rebuilt here.
func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request, s *session) {
	allow := r.PostForm.Get("allow_members_create_workspaces") == "on"
	removal := store.GroupRemoval(r.PostForm.Get("group_removal"))
	if !removal.Valid() {
		h.settingsView(w, r, s, http.StatusBadRequest, settingsPage{Allow: allow, Removal: string(removal),
			RemovalError: "Choose what happens when someone leaves a group: their access ends, or they stay."}, true)
		return
	}
	_, err := h.Admin.UpdateSettings(r.Context(), s.actor, s.org.ID, access.SettingsPatch{AllowMembersCreateWorkspaces: &allow, GroupRemoval: &removal})
	if err != nil {
		if _, msg, ok := fault.As(err); ok && fault.Is(err, fault.Invalid) {
			h.settingsView(w, r, s, http.StatusBadRequest, settingsPage{Allow: allow, Removal: string(removal), RemovalError: sentence(msg)}, true)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/settings?done=saved", http.StatusSeeOther)
}

// addOrgRole makes the user with the userName given an owner or admin.
func (h *Handler) addOrgRole(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	name := strings.TrimSpace(r.PostForm.Get("user_name"))
	role := store.OrgRole(r.PostForm.Get("role"))
	p := settingsPage{RoleUser: name, RoleChoice: string(role)}
	if !role.Valid() {
		p.RoleChoice, p.RoleError = "", "Choose Owner or Admin."
	}
	if name == "" {
		p.RoleUserError = "Give the userName of the person, as your identity provider sends it."
	}
	if p.RoleError != "" || p.RoleUserError != "" {
		h.settingsView(w, r, s, http.StatusBadRequest, p, false)
		return
	}
	found, err := h.Directory.QueryUsers(ctx, s.org.ID, store.Query{
		Filter: store.Cmp{Field: store.Field{Attr: "username"}, Op: store.OpEq, Value: name}, Limit: 1})
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	if len(found.Items) == 0 {
		p.RoleUserError = "No user of this organization has the userName “" + name + "”. Users arrive from your identity provider first."
		h.settingsView(w, r, s, http.StatusBadRequest, p, false)
		return
	}
	if _, err := h.Admin.SetOrgRole(ctx, s.actor, s.org.ID, found.Items[0].ID, role); err != nil {
		if _, msg, ok := fault.As(err); ok && fault.Is(err, fault.Invalid) {
			p.RoleError = sentence(msg)
			h.settingsView(w, r, s, http.StatusBadRequest, p, false)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/settings?done=role-added", http.StatusSeeOther)
}

// removeOrgRole makes an owner or admin a plain member again.
func (h *Handler) removeOrgRole(w http.ResponseWriter, r *http.Request, s *session) {
	uid := r.PathValue("uid")
	if err := h.Admin.RemoveOrgRole(r.Context(), s.actor, s.org.ID, uid); err != nil {
		h.fail(w, r, s, notFoundAs(err, "owner or admin", uid))
		return
	}
	http.Redirect(w, r, Prefix+"/settings?done=role-removed", http.StatusSeeOther)
}

// saveRedirect sets or clears the sign-in redirect URL. The patch names
// that one setting, so the service keeps every other as stored; a URL
// access.UpdateSettings refuses comes back next to the field.
func (h *Handler) saveRedirect(w http.ResponseWriter, r *http.Request, s *session) {
	raw := strings.TrimSpace(r.PostForm.Get("sign_in_redirect_url"))
	if _, err := h.Admin.UpdateSettings(r.Context(), s.actor, s.org.ID, access.SettingsPatch{SignInRedirectURL: &raw}); err != nil {
		if fault.Is(err, fault.Invalid) {
			h.settingsView(w, r, s, http.StatusBadRequest, settingsPage{RedirectURL: raw, redirectSent: true, RedirectError: errSentence(err)}, false)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	done := "redirect"
	if raw == "" {
		done = "redirect-off"
	}
	http.Redirect(w, r, Prefix+"/settings?done="+done+"#sign-in", http.StatusSeeOther)
}

// addDomain verifies an e-mail domain for the organization. A domain that
// is not one, or that another organization has, comes back next to the
// field with nothing changed.
func (h *Handler) addDomain(w http.ResponseWriter, r *http.Request, s *session) {
	if h.Domains == nil {
		h.fail(w, r, s, fault.NotFoundf("this server does not keep verified domains"))
		return
	}
	raw := strings.TrimSpace(r.PostForm.Get("domain"))
	status := http.StatusBadRequest
	msg := ""
	_, err := h.Domains.AddDomain(r.Context(), s.actor, s.org.ID, raw)
	switch {
	case err == nil:
		http.Redirect(w, r, Prefix+"/settings?done=domain-added#domains", http.StatusSeeOther)
		return
	case raw == "":
		msg = "Give the domain of your members' e-mail addresses, such as example.com."
	case fault.Is(err, fault.Conflict):
		status, msg = http.StatusConflict, errSentence(err)
	case fault.Is(err, fault.Invalid) || fault.Is(err, fault.PlanRequired):
		msg = errSentence(err)
	default:
		h.fail(w, r, s, err)
		return
	}
	h.settingsView(w, r, s, status, settingsPage{Domain: raw, DomainError: msg}, false)
}

// removeDomain removes one of the organization's domains; another
// organization's domain is not found.
func (h *Handler) removeDomain(w http.ResponseWriter, r *http.Request, s *session) {
	if h.Domains == nil {
		h.fail(w, r, s, fault.NotFoundf("this server does not keep verified domains"))
		return
	}
	if err := h.Domains.RemoveDomain(r.Context(), s.actor, s.org.ID, r.PathValue("domain")); err != nil {
		if fault.Is(err, fault.Invalid) {
			err = fault.NotFoundf("%q is not one of this organization's domains", r.PathValue("domain"))
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, Prefix+"/settings?done=domain-removed#domains", http.StatusSeeOther)
}
