package schema

// The schemas of the discovery resources themselves (RFC 7643 §5 to §7,
// represented in §8.7.2), which clients use to validate discovery answers.
// Every attribute is readOnly: the service provider publishes them.
//
// They follow §8.7.2 with the additions roster's documents carry: the
// "type" and "primary" members of authenticationSchemes (listed in §5 but
// missing from §8.7.2), the "pagination" attribute of RFC 9865 §4 and the
// "securityEvents" attribute of RFC 9967 §4.

func ro(opts ...option) []option { return append([]option{readOnly}, opts...) }

func supportedAttr(name, description string, extra ...*Attribute) *Attribute {
	return attr(name, TypeComplex, description, ro(required, subs(append([]*Attribute{
		attr("supported", TypeBoolean, "A Boolean value specifying whether or not the operation is supported.", ro(required)...),
	}, extra...)...))...)
}

// serviceProviderConfigSchema is RFC 7643 §5.
func serviceProviderConfigSchema() *Schema {
	return &Schema{
		ID:          ServiceProviderConfigURN,
		Name:        "Service Provider Configuration",
		Description: "Schema for representing the service provider's configuration",
		Attributes: []*Attribute{
			attr("documentationUri", TypeReference, "An HTTP-addressable URL pointing to the service provider's human-consumable help documentation.",
				ro(refTypes("external"))...),
			supportedAttr("patch", "A complex type that specifies PATCH configuration options."),
			supportedAttr("bulk", "A complex type that specifies bulk configuration options.",
				attr("maxOperations", TypeInteger, "An integer value specifying the maximum number of operations.", ro(required)...),
				attr("maxPayloadSize", TypeInteger, "An integer value specifying the maximum payload size in bytes.", ro(required)...),
			),
			supportedAttr("filter", "A complex type that specifies FILTER options.",
				attr("maxResults", TypeInteger, "An integer value specifying the maximum number of resources returned in a response.", ro(required)...),
			),
			supportedAttr("changePassword", "A complex type that specifies configuration options related to changing a password."),
			supportedAttr("sort", "A complex type that specifies sort result options."),
			supportedAttr("etag", "A complex type that specifies ETag configuration options."),
			attr("pagination", TypeComplex, "Pagination configuration options (RFC 9865 §4).", ro(subs(
				attr("cursor", TypeBoolean, "A Boolean value specifying support of cursor-based pagination.", ro(required)...),
				attr("index", TypeBoolean, "A Boolean value specifying support of index-based pagination.", ro(required)...),
				attr("defaultPaginationMethod", TypeString, "The pagination method used when a request names neither.", ro(canonical("cursor", "index"))...),
				attr("defaultPageSize", TypeInteger, "The number of results in a page when the request gives no count.", ro()...),
				attr("maxPageSize", TypeInteger, "The most results in one page, whatever the request asks for.", ro()...),
				attr("cursorTimeout", TypeInteger, "The minimum number of seconds a cursor stays valid between requests.", ro()...),
			))...),
			attr("authenticationSchemes", TypeComplex, "A complex type that specifies supported authentication scheme properties.",
				ro(multi, required, subs(
					attr("type", TypeString, "The authentication scheme.", ro(required, canonical("oauth", "oauth2", "oauthbearertoken", "httpbasic", "httpdigest"))...),
					attr("name", TypeString, "The common authentication scheme name, e.g., HTTP Basic.", ro(required)...),
					attr("description", TypeString, "A description of the authentication scheme.", ro(required)...),
					attr("specUri", TypeReference, "An HTTP-addressable URL pointing to the authentication scheme's specification.", ro(refTypes("external"))...),
					attr("documentationUri", TypeReference, "An HTTP-addressable URL pointing to the authentication scheme's usage documentation.", ro(refTypes("external"))...),
					attr("primary", TypeBoolean, "A Boolean value indicating the preferred authentication scheme.", ro()...),
				))...),
			attr("securityEvents", TypeComplex, "The capabilities related to Security Events (RFC 9967 Section 4); absent when not supported.", ro(subs(
				attr("asyncRequest", TypeString, "Whether asynchronous SCIM requests are supported: none, long or request.", ro(canonical("none", "long", "request"))...),
				attr("eventUris", TypeString, "The SET event URIs the server can generate and deliver via a SET stream (RFC 8935, RFC 8936); informational only.", ro(multi, caseExact)...),
			))...),
		},
	}
}

// resourceTypeSchema is RFC 7643 §6.
func resourceTypeSchema() *Schema {
	return &Schema{
		ID:          ResourceTypeURN,
		Name:        "ResourceType",
		Description: "Specifies the schema that describes a SCIM resource type",
		Attributes: []*Attribute{
			attr("id", TypeString, "The resource type's server unique id. May be the same as the 'name' attribute.", ro()...),
			attr("name", TypeString, "The resource type name.  When applicable, service providers MUST specify the name, e.g., 'User'.", ro(required)...),
			attr("description", TypeString, "The resource type's human-readable description.  When applicable, service providers MUST specify the description.", ro()...),
			attr("endpoint", TypeReference, "The resource type's HTTP-addressable endpoint relative to the Base URL, e.g., '/Users'.", ro(required, refTypes("uri"))...),
			attr("schema", TypeReference, "The resource type's primary/base schema URI.", ro(required, caseExact, refTypes("uri"))...),
			attr("schemaExtensions", TypeComplex, "A list of URIs of the resource type's schema extensions.", ro(multi, subs(
				attr("schema", TypeReference, "The URI of a schema extension.", ro(required, caseExact, refTypes("uri"))...),
				attr("required", TypeBoolean, "A Boolean value that specifies whether or not the schema extension is required for the resource type.  If true, a resource of this type MUST include this schema extension and also include any attributes declared as required in this schema extension. If false, a resource of this type MAY omit this schema extension.", ro(required)...),
			))...),
		},
	}
}

// attributeDefinitionAttrs are the characteristics of an attribute
// definition (RFC 7643 §7), shared by "attributes" and "subAttributes".
func attributeDefinitionAttrs() []*Attribute {
	return []*Attribute{
		attr("name", TypeString, "The attribute's name.", ro(required, caseExact)...),
		attr("type", TypeString, "The attribute's data type. Valid values include 'string', 'complex', 'boolean', 'decimal', 'integer', 'dateTime', 'reference'.", ro(required,
			canonical("string", "complex", "boolean", "decimal", "integer", "dateTime", "reference", "binary"))...),
		attr("multiValued", TypeBoolean, "A Boolean value indicating an attribute's plurality.", ro(required)...),
		attr("description", TypeString, "A human-readable description of the attribute.", ro(caseExact)...),
		attr("required", TypeBoolean, "A boolean value indicating whether or not the attribute is required.", ro(required)...),
		attr("canonicalValues", TypeString, "A collection of canonical values.  When applicable, service providers MUST specify the canonical types, e.g., 'work', 'home'.", ro(multi, caseExact)...),
		attr("caseExact", TypeBoolean, "A Boolean value indicating whether or not a string attribute is case sensitive.", ro()...),
		attr("mutability", TypeString, "Indicates whether or not an attribute is modifiable.", ro(caseExact,
			canonical("readOnly", "readWrite", "immutable", "writeOnly"))...),
		attr("returned", TypeString, "Indicates when an attribute is returned in a response (e.g., to a query).", ro(caseExact,
			canonical("always", "never", "default", "request"))...),
		attr("uniqueness", TypeString, "Indicates how unique a value must be.", ro(caseExact,
			canonical("none", "server", "global"))...),
		attr("referenceTypes", TypeString, "Used only with an attribute of type 'reference'.  Specifies a SCIM resourceType that a reference attribute MAY refer to, e.g., 'User'.", ro(multi, caseExact)...),
	}
}

// schemaSchema is RFC 7643 §7.
func schemaSchema() *Schema {
	attrs := attributeDefinitionAttrs()
	attrs = append(attrs, attr("subAttributes", TypeComplex, "Used to define the sub-attributes of a complex attribute.",
		ro(multi, subs(attributeDefinitionAttrs()...))...))
	return &Schema{
		ID:          SchemaURN,
		Name:        "Schema",
		Description: "Specifies the schema attribute",
		Attributes: []*Attribute{
			attr("id", TypeReference, "The unique URI of the schema. When applicable, service providers MUST specify the URI.", ro(required, caseExact, refTypes("uri"))...),
			attr("name", TypeString, "The schema's human-readable name.  When applicable, service providers MUST specify the name, e.g., 'User'.", ro()...),
			attr("description", TypeString, "The schema's human-readable description.  When applicable, service providers MUST specify the description.", ro()...),
			attr("attributes", TypeComplex, "A complex attribute that includes the attributes of a schema.", ro(multi, required, subs(attrs...))...),
		},
	}
}

// ServerSchemas returns the schemas of the discovery resources, freshly
// built: ServiceProviderConfig, ResourceType and Schema (RFC 7643 §5 to
// §7). /Schemas lists them after Schemas().
func ServerSchemas() []*Schema {
	return []*Schema{serviceProviderConfigSchema(), resourceTypeSchema(), schemaSchema()}
}
