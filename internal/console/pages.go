package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// step is one item of the overview's setup checklist.
type step struct {
	Title, Detail string
	// Command, when set, is what an operator runs for the step.
	Command         string
	Done            bool
	Link, LinkLabel string
}

// overview shows the organization and the setup checklist in the help
// pages' order.
func (h *Handler) overview(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	orgID := s.org.ID
	cfg, err := h.SAML.Config(ctx, orgID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, s, err)
		return
	}
	tokens, err := h.Tokens.List(ctx, orgID, store.TokenSCIM)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	active, used := false, false
	for _, t := range tokens {
		active = active || !t.Revoked()
		used = used || !t.LastUsedAt.IsZero()
	}
	groups, err := h.Groups.QueryGroups(ctx, orgID, store.Query{Limit: 1})
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	grants, err := h.Orgs.ListGrants(ctx, orgID, store.GrantFilter{}, "", 1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	steps := []step{
		{Title: "Configure SAML single sign-on", Done: len(cfg.IdPMetadata) > 0,
			Link: Prefix + "/saml", LinkLabel: "Set up SAML",
			Detail: "Create a SAML app in Okta (Applications → Create App Integration → SAML 2.0) or Entra ID (Enterprise applications → New application → Single sign-on → SAML), paste roster's values and give roster its metadata."},
		{Title: "Create a SCIM token", Done: active, Link: Prefix + "/tokens", LinkLabel: "Create a SCIM token",
			Detail: "Okta: Provisioning → Integration → API Token. Entra ID: Provisioning → Admin credentials → Secret Token."},
		{Title: "See the first SCIM request", Done: used,
			Detail: "Okta: Test API Credentials, then Push New Users and Push Groups. Entra ID: Test Connection, then Provision on demand or Start provisioning."},
		{Title: "Groups provisioned", Done: len(groups.Items) > 0, Link: Prefix + "/groups", LinkLabel: "See the groups",
			Detail: "Push the groups whose members should use the app (Okta: Push Groups; Entra ID: assign the groups to the application)."},
		{Title: "Grant a group access", Done: len(grants) > 0, Link: Prefix + "/groups", LinkLabel: "Open Groups, then Manage",
			Detail: "Give a group Editor, Checker or Viewer access to a workspace (Groups → Manage) or to an invite-only folder (folder Edit / Share)."},
	}
	h.render(w, r, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Org: s.org, CSRF: s.csrf,
		Data: map[string]any{"SCIMURL": strings.TrimSuffix(h.BaseURL, "/") + "/scim/v2", "Steps": steps}})
}

// tokenRow is one SCIM token as the list shows it.
type tokenRow struct {
	ID, Name, Hint, Created, LastUsed, Revoked string
}

// tokensPage is the SCIM tokens page's data.
type tokensPage struct {
	Tokens    []tokenRow
	Created   *struct{ Name, Text string }
	Notice    string
	Name      string
	NameError string
}

func (h *Handler) tokensView(w http.ResponseWriter, r *http.Request, s *session, status int, p tokensPage) {
	list, err := h.Tokens.List(r.Context(), s.org.ID, store.TokenSCIM)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	for _, t := range list {
		last := when(t.LastUsedAt)
		if last == "" {
			last = "never"
		}
		p.Tokens = append(p.Tokens, tokenRow{ID: t.ID, Name: t.Name, Hint: t.Hint, Created: when(t.CreatedAt),
			LastUsed: last, Revoked: when(t.RevokedAt)})
	}
	h.render(w, r, status, "tokens", view{Title: "SCIM tokens", Nav: "tokens", Org: s.org, CSRF: s.csrf, Data: p})
}

func (h *Handler) tokens(w http.ResponseWriter, r *http.Request, s *session) {
	h.tokensView(w, r, s, http.StatusOK, tokensPage{})
}

// createToken issues a SCIM token and shows it, once, on the answer page.
func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	switch {
	case name == "":
		h.tokensView(w, r, s, http.StatusBadRequest, tokensPage{NameError: "Give the token a name, so you can tell it apart later."})
		return
	case len(name) > 200:
		h.tokensView(w, r, s, http.StatusBadRequest, tokensPage{Name: name, NameError: "A name may be at most 200 characters."})
		return
	}
	text, t, err := h.Tokens.Create(r.Context(), s.actor, s.org.ID, store.TokenSCIM, name)
	if err != nil {
		if _, msg, ok := fault.As(err); ok {
			h.tokensView(w, r, s, http.StatusBadRequest, tokensPage{Name: name, NameError: sentence(msg)})
			return
		}
		h.fail(w, r, s, err)
		return
	}
	h.tokensView(w, r, s, http.StatusCreated, tokensPage{Created: &struct{ Name, Text string }{t.Name, text}})
}

// revokeToken revokes a SCIM token of the session's organization; another
// organization's token id is not found.
func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	t, err := h.Tokens.RevokeKind(r.Context(), s.actor, s.org.ID, store.TokenSCIM, id)
	if fault.Is(err, fault.Invalid) || fault.Is(err, fault.NotFound) {
		// This page revokes SCIM tokens only: an API key's id is not one.
		h.fail(w, r, s, fault.NotFoundf("there is no SCIM token %s in this organization", id))
		return
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.tokensView(w, r, s, http.StatusOK, tokensPage{Notice: "Token “" + t.Name + "” is revoked: the next request made with it is refused."})
}
