package scim

import (
	"net/http"

	"github.com/rosterhq/roster/internal/scim/schema"
)

func (h *Handler) serviceProviderConfig() ([]byte, error) {
	doc, err := schema.ServiceProviderConfig{
		DocumentationURI:   "https://github.com/rosterhq/roster/blob/main/docs/okta.md",
		PatchSupported:     true,
		BulkSupported:      true,
		BulkMaxOperations:  h.Limits.BulkMaxOperations,
		BulkMaxPayloadSize: h.Limits.BulkMaxPayload,
		FilterSupported:    true,
		FilterMaxResults:   h.Limits.MaxResults,
		SortSupported:      true,
		ETagSupported:      true,
		Pagination: &schema.PaginationConfig{
			Cursor: true, Index: true, DefaultPaginationMethod: "index",
			DefaultPageSize: h.Limits.DefaultCount, MaxPageSize: h.Limits.MaxResults,
		},
		AuthenticationSchemes: []schema.AuthenticationScheme{{
			Type: "oauthbearertoken", Name: "Bearer token",
			Description: "A per-organization SCIM token, created with \"roster token create\", sent as \"Authorization: Bearer <token>\".",
			SpecURI:     "https://www.rfc-editor.org/info/rfc6750",
			Primary:     true,
		}},
		SecurityEvents: h.securityEvents(),
	}.Document(h.base())
	if err != nil {
		return nil, err
	}
	return marshal(doc)
}

// securityEvents advertises the SCIM events roster pushes to endpoints of
// format scim-events (RFC 9967 §4); nil, and no attribute, without any.
// Asynchronous requests (§2.5.1.1) are not offered.
func (h *Handler) securityEvents() *schema.SecurityEventsConfig {
	if len(h.SecurityEventURIs) == 0 {
		return nil
	}
	return &schema.SecurityEventsConfig{AsyncRequest: "none", EventURIs: h.SecurityEventURIs}
}

func (h *Handler) getServiceProviderConfig(w http.ResponseWriter, r *http.Request, c *caller) error {
	w.Header().Set("Content-Type", contentType)
	w.Write(h.spc)
	return nil
}

func (h *Handler) getResourceTypes(w http.ResponseWriter, r *http.Request, c *caller) error {
	writeJSON(w, http.StatusOK, schema.ResourceTypesList(h.base()))
	return nil
}

func (h *Handler) getResourceType(w http.ResponseWriter, r *http.Request, c *caller) error {
	doc, ok := schema.ResourceTypeByID(h.base(), r.PathValue("name"))
	if !ok {
		return notFound("ResourceType", r.PathValue("name"))
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (h *Handler) getSchemas(w http.ResponseWriter, r *http.Request, c *caller) error {
	writeJSON(w, http.StatusOK, schema.SchemasList(h.base()))
	return nil
}

func (h *Handler) getSchema(w http.ResponseWriter, r *http.Request, c *caller) error {
	doc, ok := schema.SchemaByID(h.base(), r.PathValue("urn"))
	if !ok {
		return notFound("Schema", r.PathValue("urn"))
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}
