package schema

import (
	"fmt"
	"strings"
)

// The discovery documents below are plain structs meant to be written with
// encoding/json. Optional members carry omitempty and nothing is a pointer
// that could encode as null: Microsoft Entra ID expects discovery lists as
// ListResponse, camelCase keyword values and no nulls.

// ListResponse is a list response (RFC 7644 §3.4.2) as used by the
// discovery endpoints /Schemas and /ResourceTypes, which return every
// resource in one page.
type ListResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// Meta is the "meta" of a discovery document: its resource type and its
// absolute location.
type Meta struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location"`
}

// SchemaDocument is the representation of a schema served at
// /Schemas/{urn} (RFC 7643 §7 and §8.7.1).
type SchemaDocument struct {
	Schemas     []string            `json:"schemas"`
	ID          string              `json:"id"`
	Name        string              `json:"name,omitempty"`
	Description string              `json:"description,omitempty"`
	Attributes  []AttributeDocument `json:"attributes"`
	Meta        Meta                `json:"meta"`
}

// AttributeDocument is the representation of one attribute definition
// (RFC 7643 §7, "attributes"). Every characteristic is written, defaults
// included, so clients need not know the RFC 7643 §2.2 defaults;
// canonicalValues, referenceTypes and subAttributes are left out when
// empty.
type AttributeDocument struct {
	Name            string              `json:"name"`
	Type            Type                `json:"type"`
	SubAttributes   []AttributeDocument `json:"subAttributes,omitempty"`
	MultiValued     bool                `json:"multiValued"`
	Description     string              `json:"description,omitempty"`
	Required        bool                `json:"required"`
	CanonicalValues []string            `json:"canonicalValues,omitempty"`
	CaseExact       bool                `json:"caseExact"`
	Mutability      Mutability          `json:"mutability"`
	Returned        Returned            `json:"returned"`
	Uniqueness      Uniqueness          `json:"uniqueness"`
	ReferenceTypes  []string            `json:"referenceTypes,omitempty"`
}

// ResourceTypeDocument is the representation of a resource type served at
// /ResourceTypes/{id} (RFC 7643 §6 and §8.6).
type ResourceTypeDocument struct {
	Schemas          []string             `json:"schemas"`
	ID               string               `json:"id"`
	Name             string               `json:"name"`
	Endpoint         string               `json:"endpoint"`
	Description      string               `json:"description,omitempty"`
	Schema           string               `json:"schema"`
	SchemaExtensions []SchemaExtensionDoc `json:"schemaExtensions,omitempty"`
	Meta             Meta                 `json:"meta"`
}

// SchemaExtensionDoc is one element of "schemaExtensions" (RFC 7643 §6).
type SchemaExtensionDoc struct {
	Schema   string `json:"schema"`
	Required bool   `json:"required"`
}

// Representation returns the schema's discovery document, located at
// baseURL + "/Schemas/" + s.ID. baseURL is the absolute SCIM base URL, such
// as "https://example.com/scim/v2"; a trailing slash is ignored.
func (s *Schema) Representation(baseURL string) SchemaDocument {
	return SchemaDocument{
		Schemas:     []string{SchemaURN},
		ID:          s.ID,
		Name:        s.Name,
		Description: s.Description,
		Attributes:  attributeDocs(s.Attributes),
		Meta:        Meta{ResourceType: "Schema", Location: location(baseURL, "Schemas", s.ID)},
	}
}

func attributeDocs(attrs []*Attribute) []AttributeDocument {
	out := make([]AttributeDocument, len(attrs))
	for i, a := range attrs {
		out[i] = AttributeDocument{
			Name:            a.Name,
			Type:            a.Type,
			MultiValued:     a.MultiValued,
			Description:     a.Description,
			Required:        a.Required,
			CanonicalValues: cloneStrings(a.CanonicalValues),
			CaseExact:       a.CaseExact,
			Mutability:      a.Mutability,
			Returned:        a.Returned,
			Uniqueness:      a.Uniqueness,
			ReferenceTypes:  cloneStrings(a.ReferenceTypes),
		}
		if len(a.SubAttributes) > 0 {
			out[i].SubAttributes = attributeDocs(a.SubAttributes)
		}
	}
	return out
}

// Representation returns the resource type's discovery document, located at
// baseURL + "/ResourceTypes/" + rt.ID.
func (rt *ResourceType) Representation(baseURL string) ResourceTypeDocument {
	doc := ResourceTypeDocument{
		Schemas:     []string{ResourceTypeURN},
		ID:          rt.ID,
		Name:        rt.Name,
		Endpoint:    rt.Endpoint,
		Description: rt.Description,
		Schema:      rt.Schema,
		Meta:        Meta{ResourceType: "ResourceType", Location: location(baseURL, "ResourceTypes", rt.ID)},
	}
	for _, e := range rt.Extensions {
		doc.SchemaExtensions = append(doc.SchemaExtensions, SchemaExtensionDoc(e))
	}
	return doc
}

// SchemasList returns the body of GET /Schemas: a ListResponse of every
// schema of Schemas() then ServerSchemas().
func SchemasList(baseURL string) ListResponse {
	var docs []any
	for _, s := range allSchemas() {
		docs = append(docs, s.Representation(baseURL))
	}
	return list(docs)
}

// SchemaByID returns the body of GET /Schemas/{id}. The id is matched
// case-insensitively; false means 404.
func SchemaByID(baseURL, id string) (SchemaDocument, bool) {
	for _, s := range allSchemas() {
		if strings.EqualFold(s.ID, id) {
			return s.Representation(baseURL), true
		}
	}
	return SchemaDocument{}, false
}

// ResourceTypesList returns the body of GET /ResourceTypes: a ListResponse
// of every resource type of ResourceTypes().
func ResourceTypesList(baseURL string) ListResponse {
	var docs []any
	for _, rt := range ResourceTypes() {
		docs = append(docs, rt.Representation(baseURL))
	}
	return list(docs)
}

// ResourceTypeByID returns the body of GET /ResourceTypes/{id}, where id is
// "User" or "Group" (matched case-insensitively); false means 404.
func ResourceTypeByID(baseURL, id string) (ResourceTypeDocument, bool) {
	for _, rt := range ResourceTypes() {
		if strings.EqualFold(rt.ID, id) {
			return rt.Representation(baseURL), true
		}
	}
	return ResourceTypeDocument{}, false
}

func allSchemas() []*Schema { return append(Schemas(), ServerSchemas()...) }

func list(docs []any) ListResponse {
	if docs == nil {
		docs = []any{}
	}
	return ListResponse{
		Schemas:      []string{ListResponseURN},
		TotalResults: len(docs),
		StartIndex:   1,
		ItemsPerPage: len(docs),
		Resources:    docs,
	}
}

// location joins the base URL and path segments. Segments are used as they
// are: schema URNs contain only characters allowed in a URI path.
func location(baseURL string, segments ...string) string {
	return strings.TrimRight(baseURL, "/") + "/" + strings.Join(segments, "/")
}

// ServiceProviderConfig describes the service's capabilities; Document
// turns it into the body of GET /ServiceProviderConfig (RFC 7643 §5).
type ServiceProviderConfig struct {
	// DocumentationURI is an HTTP URL of human-readable help; optional.
	DocumentationURI string
	// PatchSupported says whether PATCH is supported.
	PatchSupported bool
	// BulkSupported says whether /Bulk is supported; BulkMaxOperations and
	// BulkMaxPayloadSize (bytes) are its limits.
	BulkSupported      bool
	BulkMaxOperations  int
	BulkMaxPayloadSize int
	// FilterSupported says whether filtering is supported;
	// FilterMaxResults is the most resources a query returns.
	FilterSupported  bool
	FilterMaxResults int
	// ChangePasswordSupported says whether password changes are supported.
	ChangePasswordSupported bool
	// SortSupported says whether sorting is supported.
	SortSupported bool
	// ETagSupported says whether ETags are supported.
	ETagSupported bool
	// Pagination, when set, is advertised as the "pagination" attribute
	// RFC 9865 §4 adds for cursor-based pagination; a service implementing
	// cursor pagination should set it.
	Pagination *PaginationConfig
	// AuthenticationSchemes lists the supported authentication schemes;
	// RFC 7643 §5 requires the attribute, so it is written as [] when
	// empty.
	AuthenticationSchemes []AuthenticationScheme
	// SecurityEvents, when set, is advertised as the "securityEvents"
	// attribute RFC 9967 §4 adds to the core schema (not an extension):
	// the SET event URIs the service provider can send.
	SecurityEvents *SecurityEventsConfig
}

// SecurityEventsConfig is the "securityEvents" complex attribute of RFC
// 9967 §4.
type SecurityEventsConfig struct {
	// AsyncRequest is "none", "long" or "request" (§2.5.1.1 asynchronous
	// SCIM requests); "none" when empty.
	AsyncRequest string `json:"asyncRequest"`
	// EventURIs lists the event URIs that can be delivered, informational
	// only: streams are configured out of band.
	EventURIs []string `json:"eventUris"`
}

// PaginationConfig is the "pagination" complex attribute of RFC 9865 §4.
// Cursor and Index are required there; the other members are optional and
// left out when zero. Not publishing a value does not tell clients there is
// no limit (RFC 9865 §4).
type PaginationConfig struct {
	// Cursor says whether cursor-based pagination is supported.
	Cursor bool
	// Index says whether index-based pagination (startIndex) is supported.
	Index bool
	// DefaultPaginationMethod is "cursor" or "index": the method used when a
	// request names neither. Optional.
	DefaultPaginationMethod string
	// DefaultPageSize is the page size when no count is given. Optional.
	DefaultPageSize int
	// MaxPageSize is the most results in one page whatever count says.
	// Optional.
	MaxPageSize int
	// CursorTimeout is the minimum number of seconds a cursor stays valid
	// between page requests. Optional.
	CursorTimeout int
}

// AuthenticationScheme is one element of "authenticationSchemes" (RFC 7643
// §5), e.g. Type "oauthbearertoken", Name "OAuth Bearer Token".
type AuthenticationScheme struct {
	Type             string `json:"type"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	SpecURI          string `json:"specUri,omitempty"`
	DocumentationURI string `json:"documentationUri,omitempty"`
	Primary          bool   `json:"primary,omitempty"`
}

// ServiceProviderConfigDocument is the body of GET /ServiceProviderConfig.
type ServiceProviderConfigDocument struct {
	Schemas               []string               `json:"schemas"`
	DocumentationURI      string                 `json:"documentationUri,omitempty"`
	Patch                 Supported              `json:"patch"`
	Bulk                  BulkDocument           `json:"bulk"`
	Filter                FilterDocument         `json:"filter"`
	ChangePassword        Supported              `json:"changePassword"`
	Sort                  Supported              `json:"sort"`
	ETag                  Supported              `json:"etag"`
	Pagination            *PaginationDocument    `json:"pagination,omitempty"`
	AuthenticationSchemes []AuthenticationScheme `json:"authenticationSchemes"`
	SecurityEvents        *SecurityEventsConfig  `json:"securityEvents,omitempty"`
	Meta                  Meta                   `json:"meta"`
}

// Supported is a feature object with only "supported" (RFC 7643 §5).
type Supported struct {
	Supported bool `json:"supported"`
}

// BulkDocument is the "bulk" member (RFC 7643 §5).
type BulkDocument struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"maxOperations"`
	MaxPayloadSize int  `json:"maxPayloadSize"`
}

// FilterDocument is the "filter" member (RFC 7643 §5).
type FilterDocument struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"maxResults"`
}

// PaginationDocument is the "pagination" member (RFC 9865 §4).
type PaginationDocument struct {
	Cursor                  bool   `json:"cursor"`
	Index                   bool   `json:"index"`
	DefaultPaginationMethod string `json:"defaultPaginationMethod,omitempty"`
	DefaultPageSize         int    `json:"defaultPageSize,omitempty"`
	MaxPageSize             int    `json:"maxPageSize,omitempty"`
	CursorTimeout           int    `json:"cursorTimeout,omitempty"`
}

// Document returns the body of GET /ServiceProviderConfig, located at
// baseURL + "/ServiceProviderConfig". It returns an error (a configuration
// mistake, not a client error) when a limit is negative, when
// DefaultPaginationMethod is not "cursor" or "index" or names a method that
// is not supported, or when DefaultPageSize exceeds MaxPageSize.
func (c ServiceProviderConfig) Document(baseURL string) (ServiceProviderConfigDocument, error) {
	for _, n := range []struct {
		name string
		v    int
	}{
		{"BulkMaxOperations", c.BulkMaxOperations},
		{"BulkMaxPayloadSize", c.BulkMaxPayloadSize},
		{"FilterMaxResults", c.FilterMaxResults},
	} {
		if n.v < 0 {
			return ServiceProviderConfigDocument{}, fmt.Errorf("schema: ServiceProviderConfig.%s is negative (%d)", n.name, n.v)
		}
	}
	doc := ServiceProviderConfigDocument{
		Schemas:               []string{ServiceProviderConfigURN},
		DocumentationURI:      c.DocumentationURI,
		Patch:                 Supported{c.PatchSupported},
		Bulk:                  BulkDocument{c.BulkSupported, c.BulkMaxOperations, c.BulkMaxPayloadSize},
		Filter:                FilterDocument{c.FilterSupported, c.FilterMaxResults},
		ChangePassword:        Supported{c.ChangePasswordSupported},
		Sort:                  Supported{c.SortSupported},
		ETag:                  Supported{c.ETagSupported},
		AuthenticationSchemes: append([]AuthenticationScheme{}, c.AuthenticationSchemes...),
		Meta:                  Meta{ResourceType: "ServiceProviderConfig", Location: location(baseURL, "ServiceProviderConfig")},
	}
	if se := c.SecurityEvents; se != nil {
		out := SecurityEventsConfig{AsyncRequest: se.AsyncRequest, EventURIs: append([]string{}, se.EventURIs...)}
		switch out.AsyncRequest {
		case "":
			out.AsyncRequest = "none"
		case "none", "long", "request":
		default:
			return ServiceProviderConfigDocument{}, fmt.Errorf("schema: SecurityEvents.AsyncRequest %q is not none, long or request (RFC 9967 §4)", se.AsyncRequest)
		}
		doc.SecurityEvents = &out
	}
	if p := c.Pagination; p != nil {
		if err := p.validate(); err != nil {
			return ServiceProviderConfigDocument{}, err
		}
		pd := PaginationDocument(*p)
		doc.Pagination = &pd
	}
	return doc, nil
}

func (p *PaginationConfig) validate() error {
	for _, n := range []struct {
		name string
		v    int
	}{
		{"DefaultPageSize", p.DefaultPageSize},
		{"MaxPageSize", p.MaxPageSize},
		{"CursorTimeout", p.CursorTimeout},
	} {
		if n.v < 0 {
			return fmt.Errorf("schema: PaginationConfig.%s is negative (%d); RFC 9865 requires a positive integer or no value", n.name, n.v)
		}
	}
	switch p.DefaultPaginationMethod {
	case "":
	case "cursor":
		if !p.Cursor {
			return fmt.Errorf("schema: PaginationConfig.DefaultPaginationMethod is %q but Cursor is false", p.DefaultPaginationMethod)
		}
	case "index":
		if !p.Index {
			return fmt.Errorf("schema: PaginationConfig.DefaultPaginationMethod is %q but Index is false", p.DefaultPaginationMethod)
		}
	default:
		return fmt.Errorf("schema: PaginationConfig.DefaultPaginationMethod is %q; RFC 9865 allows \"cursor\" or \"index\"", p.DefaultPaginationMethod)
	}
	if p.MaxPageSize > 0 && p.DefaultPageSize > p.MaxPageSize {
		return fmt.Errorf("schema: PaginationConfig.DefaultPageSize (%d) exceeds MaxPageSize (%d)", p.DefaultPageSize, p.MaxPageSize)
	}
	return nil
}
