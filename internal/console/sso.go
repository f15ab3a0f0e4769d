package console

import (
	"context"
	"net/http"
	"net/url"

	"github.com/rosterhq/roster/internal/store"
)

// Members tells who is signed in to roster through single sign-on in this
// browser; *signin.Handler is it.
type Members interface {
	Current(r *http.Request) (store.Session, bool)
}

// Roles says whether a user is an active owner or admin of the
// organization; *access.Resolver is it.
type Roles interface {
	OrgRole(ctx context.Context, orgID, userID string) (store.OrgRole, error)
}

// ssoPath is where an organization's owners and admins sign in to the
// console through their identity provider.
func ssoPath(orgID string) string { return Prefix + "/sso/" + url.PathEscape(orgID) }

// ssoEnter signs an owner or admin in through the organization's SAML
// identity provider: without a sign-in of this organization in the
// browser it starts one that comes back here; with one, it checks the
// person's organization role and starts a console session that names them,
// so the console's events carry the person, not a link.
func (h *Handler) ssoEnter(w http.ResponseWriter, r *http.Request) {
	orgID := r.PathValue("org")
	if h.Members == nil || h.Roles == nil {
		h.message(w, r, http.StatusNotFound, nil, message{Heading: "Single sign-on is not available here", Bad: true,
			Text: "This server does not offer single sign-on to the console. Open a setup link instead."})
		return
	}
	m, ok := h.Members.Current(r)
	if !ok || m.OrgID != orgID {
		http.Redirect(w, r, "/auth/saml/"+url.PathEscape(orgID)+"/login?return_to="+url.QueryEscape(ssoPath(orgID)), http.StatusSeeOther)
		return
	}
	role, err := h.Roles.OrgRole(r.Context(), orgID, m.UserID)
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	if !role.Valid() {
		h.message(w, r, http.StatusForbidden, nil, message{Heading: "Only owners and admins use the console", Bad: true,
			Text: "You are signed in as " + m.UserName + ", who is not an owner or admin of this organization. " +
				"An owner can make you one on the console's Settings page."})
		return
	}
	actor := store.Actor{Kind: "user", ID: m.UserID, Name: m.UserName}
	text, _, err := h.Tokens.StartConsoleSession(r.Context(), orgID, actor, "saml")
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	h.setCookie(w, text)
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}
