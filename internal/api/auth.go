package api

import (
	"net/http"

	"github.com/rosterhq/roster/internal/auth"
)

// surfaces returns the API's two uses of the auth seam: organization
// endpoints take an API key, instance administration an admin key. Both
// verify through the token service, and nothing is cached here: the token
// service's record cache is invalidated by its own Revoke, so a key
// revoked through this instance fails on its very next request.
func (h *Handler) surfaces() (org, admin *auth.Surface) {
	return &auth.Surface{Name: "the host API", Accept: []auth.Kind{auth.APIKey}, Tokens: h.Keys, Limits: h.RateLimits},
		&auth.Surface{Name: "instance administration", Accept: []auth.Kind{auth.AdminKey}, Tokens: h.Keys, Limits: h.RateLimits}
}

// principal returns who made the request, as the auth seam put it in the
// context; routes without a credential have the zero Principal.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}
