package api

import (
	"net/http"

	"github.com/rosterhq/roster/internal/store"
)

// route is one endpoint; the OpenAPI test walks them.
type route struct {
	method, path string
	auth         authKind
	fn           func(w http.ResponseWriter, r *http.Request) error
}

// authKind is the credential a route takes.
type authKind int

const (
	authNone  authKind = iota
	authOrg            // an organization's API key
	authAdmin          // an instance admin key
)

// routes is the API's routes table.
func (h *Handler) routes() []route {
	rs := []route{
		{"GET", "/api/v1/openapi.json", authNone, func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Content-Type", "application/json")
			_, err := w.Write(openAPI)
			return err
		}},
		{"GET", "/api/v1/org", authOrg, h.getOrg},
		{"PATCH", "/api/v1/org/settings", authOrg, h.patchSettings},
		{"GET", "/api/v1/org/roles", authOrg, h.listOrgRoles},
		{"PUT", "/api/v1/org/roles/{user_id}", authOrg, h.putOrgRole},
		{"DELETE", "/api/v1/org/roles/{user_id}", authOrg, h.deleteOrgRole},
		{"GET", "/api/v1/workspaces", authOrg, h.listWorkspaces},
		{"POST", "/api/v1/workspaces", authOrg, h.createWorkspace},
		{"GET", "/api/v1/workspaces/{id}", authOrg, h.getWorkspace},
		{"PATCH", "/api/v1/workspaces/{id}", authOrg, h.patchWorkspace},
		{"DELETE", "/api/v1/workspaces/{id}", authOrg, h.deleteWorkspace},
		{"GET", "/api/v1/workspaces/{id}/folders", authOrg, h.listFolders},
		{"POST", "/api/v1/workspaces/{id}/folders", authOrg, h.createFolder},
		{"GET", "/api/v1/folders/{id}", authOrg, h.getFolder},
		{"PATCH", "/api/v1/folders/{id}", authOrg, h.patchFolder},
		{"DELETE", "/api/v1/folders/{id}", authOrg, h.deleteFolder},
		{"GET", "/api/v1/groups", authOrg, h.listGroups},
		{"GET", "/api/v1/groups/{id}", authOrg, h.getGroup},
		{"GET", "/api/v1/groups/{id}/members", authOrg, h.listGroupMembers},
		{"GET", "/api/v1/groups/{id}/grants", authOrg, h.listGroupGrants},
		{"GET", "/api/v1/users", authOrg, h.listUsers},
		{"GET", "/api/v1/users/{id}", authOrg, h.getUser},
		{"GET", "/api/v1/users/{id}/access", authOrg, h.userAccess},
		{"POST", "/api/v1/check", authOrg, h.check},
		{"POST", "/api/v1/join", authOrg, h.join},
		{"POST", "/api/v1/sso/redeem", authOrg, h.redeem},
		{"GET", "/api/v1/sso/sign-ins", authOrg, h.signIns},
		{"GET", "/api/v1/org/domains", authOrg, h.listDomains},
		{"POST", "/api/v1/org/domains", authOrg, h.addDomain},
		{"DELETE", "/api/v1/org/domains/{domain}", authOrg, h.removeDomain},
		{"GET", "/api/v1/events", authOrg, h.events},
		{"GET", "/api/v1/scim-tokens", authOrg, h.listSCIMTokens},
		{"POST", "/api/v1/scim-tokens", authOrg, h.createSCIMToken},
		{"DELETE", "/api/v1/scim-tokens/{id}", authOrg, h.revokeSCIMToken},
		{"POST", "/api/v1/console-links", authOrg, h.createConsoleLink},
		{"GET", "/api/v1/webhooks", authOrg, h.listWebhooks},
		{"POST", "/api/v1/webhooks", authOrg, h.createWebhook},
		{"GET", "/api/v1/webhooks/{id}", authOrg, h.getWebhook},
		{"PATCH", "/api/v1/webhooks/{id}", authOrg, h.patchWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", authOrg, h.deleteWebhook},
		{"POST", "/api/v1/webhooks/{id}/rotate-secret", authOrg, h.rotateWebhookSecret},
		{"POST", "/api/v1/webhooks/{id}/enable", authOrg, h.enableWebhook},
		{"POST", "/api/v1/webhooks/{id}/disable", authOrg, h.disableWebhook},
		{"GET", "/api/v1/webhooks/{id}/deliveries", authOrg, h.listWebhookDeliveries},
		{"POST", "/api/v1/webhooks/{id}/redeliver", authOrg, h.redeliverWebhook},
		{"POST", "/api/v1/orgs/{id}/console-links", authAdmin, h.adminCreateConsoleLink},
		{"GET", "/api/v1/orgs", authAdmin, h.listOrgs},
		{"POST", "/api/v1/orgs", authAdmin, h.createOrg},
		{"GET", "/api/v1/orgs/{id}", authAdmin, h.adminGetOrg},
		{"PUT", "/api/v1/orgs/{id}/plan", authAdmin, h.putPlan},
		{"POST", "/api/v1/orgs/{id}/api-keys", authAdmin, h.createAPIKey},
		{"GET", "/api/v1/admin-keys", authAdmin, h.listAdminKeys},
		{"DELETE", "/api/v1/admin-keys/{id}", authAdmin, h.revokeAdminKey},
	}
	for _, k := range []struct {
		plural string
		rt     store.ResourceType
	}{{"workspaces", store.ResourceWorkspace}, {"folders", store.ResourceFolder}} {
		rt := k.rt
		base := "/api/v1/" + k.plural + "/{id}"
		rs = append(rs,
			route{"GET", base + "/grants", authOrg, func(w http.ResponseWriter, r *http.Request) error { return h.listGrants(w, r, rt) }},
			route{"PUT", base + "/grants/{group_id}", authOrg, func(w http.ResponseWriter, r *http.Request) error { return h.putGrant(w, r, rt) }},
			route{"DELETE", base + "/grants/{group_id}", authOrg, func(w http.ResponseWriter, r *http.Request) error { return h.deleteGrant(w, r, rt) }},
			route{"GET", base + "/members", authOrg, func(w http.ResponseWriter, r *http.Request) error { return h.listMembers(w, r, rt) }},
			route{"PUT", base + "/members/{user_id}", authOrg, func(w http.ResponseWriter, r *http.Request) error { return h.putMember(w, r, rt) }},
			route{"DELETE", base + "/members/{user_id}", authOrg, func(w http.ResponseWriter, r *http.Request) error { return h.deleteMember(w, r, rt) }},
			route{"GET", base + "/access", authOrg, func(w http.ResponseWriter, r *http.Request) error { return h.resourceAccess(w, r, rt) }},
		)
	}
	return rs
}
