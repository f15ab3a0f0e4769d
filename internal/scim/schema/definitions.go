package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Schema URNs registered by RFC 7643 §10 and RFC 7644 §8 (IANA "SCIM Schema
// URIs for Data Resources" and "SCIM Server-Related Schema URIs").
const (
	// UserURN is the core User schema (RFC 7643 §4.1).
	UserURN = "urn:ietf:params:scim:schemas:core:2.0:User"
	// EnterpriseUserURN is the Enterprise User extension (RFC 7643 §4.3).
	EnterpriseUserURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	// GroupURN is the core Group schema (RFC 7643 §4.2).
	GroupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	// ListResponseURN is the list/query response message (RFC 7644 §3.4.2).
	ListResponseURN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	// SearchRequestURN is the POST query request message (RFC 7644 §3.4.3).
	SearchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	// PatchOpURN is the PATCH request message (RFC 7644 §3.5.2).
	PatchOpURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	// BulkRequestURN is the bulk request message (RFC 7644 §3.7).
	BulkRequestURN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	// BulkResponseURN is the bulk response message (RFC 7644 §3.7).
	BulkResponseURN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	// ErrorURN is the error response message (RFC 7644 §3.12).
	ErrorURN = "urn:ietf:params:scim:api:messages:2.0:Error"
	// ServiceProviderConfigURN is the service provider configuration schema
	// (RFC 7643 §5).
	ServiceProviderConfigURN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	// ResourceTypeURN is the resource type schema (RFC 7643 §6).
	ResourceTypeURN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	// SchemaURN is the schema of schema representations (RFC 7643 §7).
	SchemaURN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// option adjusts an attribute built by attr; the defaults are those of RFC
// 7643 §2.2 (not required, not caseExact, readWrite, returned default,
// uniqueness none).
type option func(*Attribute)

func attr(name string, t Type, description string, opts ...option) *Attribute {
	a := &Attribute{
		Name:        name,
		Type:        t,
		Description: description,
		Mutability:  MutabilityReadWrite,
		Returned:    ReturnedDefault,
		Uniqueness:  UniquenessNone,
	}
	switch t {
	case TypeString, TypeReference, TypeBinary, TypeDateTime:
		a.MaxLength = MaxTextBytes
	}
	for _, o := range opts {
		o(a)
	}
	if a.Mutability != MutabilityReadOnly {
		a.Description += limitText(a)
	}
	return a
}

// limitText is the sentence that advertises a's limits in its description,
// since RFC 7643 §7 has no characteristic for them.
func limitText(a *Attribute) string {
	var parts []string
	if a.MaxLength > 0 {
		parts = append(parts, fmt.Sprintf("at most %s bytes of UTF-8", thousands(a.MaxLength)))
	}
	if a.MaxValues > 0 {
		parts = append(parts, fmt.Sprintf("at most %s values", thousands(a.MaxValues)))
	}
	if len(parts) == 0 {
		return ""
	}
	return " Limit: " + strings.Join(parts, ", ") + "; longer values are refused with invalidValue."
}

// thousands writes n with comma separators, as the docs do: 65,536.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func multi(a *Attribute)     { a.MultiValued = true; a.MaxValues = MaxMultiValues }
func required(a *Attribute)  { a.Required = true }
func caseExact(a *Attribute) { a.CaseExact = true }
func readOnly(a *Attribute)  { a.Mutability = MutabilityReadOnly }
func immutable(a *Attribute) { a.Mutability = MutabilityImmutable }
func writeOnly(a *Attribute) { a.Mutability = MutabilityWriteOnly }

func returned(r Returned) option     { return func(a *Attribute) { a.Returned = r } }
func uniqueness(u Uniqueness) option { return func(a *Attribute) { a.Uniqueness = u } }
func canonical(v ...string) option   { return func(a *Attribute) { a.CanonicalValues = v } }
func refTypes(v ...string) option    { return func(a *Attribute) { a.ReferenceTypes = v } }
func subs(s ...*Attribute) option    { return func(a *Attribute) { a.SubAttributes = s } }
func maxLength(n int) option         { return func(a *Attribute) { a.MaxLength = n } }
func unassigned(v any) option        { return func(a *Attribute) { a.Unassigned = v } }

// anyNumber lifts the MaxValues of multi (it must follow it), for Group
// members, which the request body limit bounds.
func anyNumber(a *Attribute) { a.MaxValues = 0 }

// Descriptions shared by many multi-valued sub-attributes (RFC 7643 §8.7.1).
const (
	descDisplay     = "A human-readable name, primarily used for display purposes.  READ-ONLY."
	descTypeLabel   = "A label indicating the attribute's function."
	descPrimaryOnce = "A Boolean value indicating the 'primary' or preferred attribute value for this attribute.  The primary attribute value 'true' MUST appear no more than once."
	descWorkHome    = "A label indicating the attribute's function, e.g., 'work' or 'home'."
)

// commonAttributes returns the attributes every resource has (RFC 7643
// §3.1). They belong to no schema and so are not listed in schema
// representations, but Lookup, Decode and Project treat them as core
// attributes.
func commonAttributes() []*Attribute {
	return []*Attribute{
		attr("id", TypeString,
			"A unique identifier for a SCIM resource as defined by the service provider.",
			caseExact, readOnly, returned(ReturnedAlways), uniqueness(UniquenessServer)),
		attr("externalId", TypeString,
			"A String that is an identifier for the resource as defined by the provisioning client.",
			caseExact),
		attr("meta", TypeComplex, "A complex attribute containing resource metadata.",
			readOnly, subs(
				attr("resourceType", TypeString, "The name of the resource type of the resource.",
					caseExact, readOnly),
				attr("created", TypeDateTime, "The \"DateTime\" that the resource was added to the service provider.",
					readOnly),
				attr("lastModified", TypeDateTime, "The most recent DateTime that the details of this resource were updated at the service provider.",
					readOnly),
				attr("location", TypeReference, "The URI of the resource being returned.",
					caseExact, readOnly, refTypes("uri")),
				attr("version", TypeString, "The version of the resource being returned.",
					caseExact, readOnly),
			)),
	}
}

// userSchema returns the core User schema of RFC 7643 §8.7.1, with one
// addition: "addresses" has a "primary" sub-attribute. §8.7.1 omits it, but
// §2.4 makes "primary" a default sub-attribute of multi-valued attributes
// and the §8.2 and §8.3 examples send "primary": true in "addresses".
func userSchema() *Schema {
	return &Schema{
		ID:          UserURN,
		Name:        "User",
		Description: "User Account",
		Attributes: []*Attribute{
			attr("userName", TypeString,
				"Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value.  This identifier MUST be unique across the service provider's entire set of Users. REQUIRED.",
				required, uniqueness(UniquenessServer)),
			attr("name", TypeComplex,
				"The components of the user's real name. Providers MAY return just the full name as a single string in the formatted sub-attribute, or they MAY return just the individual component attributes using the other sub-attributes, or they MAY return both.  If both variants are returned, they SHOULD be describing the same name, with the formatted name indicating how the component attributes should be combined.",
				subs(
					attr("formatted", TypeString, "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III')."),
					attr("familyName", TypeString, "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III')."),
					attr("givenName", TypeString, "The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III')."),
					attr("middleName", TypeString, "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III')."),
					attr("honorificPrefix", TypeString, "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III')."),
					attr("honorificSuffix", TypeString, "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III')."),
				)),
			attr("displayName", TypeString, "The name of the User, suitable for display to end-users.  The name SHOULD be the full name of the User being described, if known."),
			attr("nickName", TypeString, "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'.  This attribute SHOULD NOT be used to represent a User's username (e.g., 'bjensen' or 'mpepperidge')."),
			attr("profileUrl", TypeReference, "A fully qualified URL pointing to a page representing the User's online profile.",
				refTypes("external")),
			attr("title", TypeString, "The user's title, such as \"Vice President.\""),
			attr("userType", TypeString, "Used to identify the relationship between the organization and the user.  Typical values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but any value may be used."),
			attr("preferredLanguage", TypeString, "Indicates the User's preferred written or spoken language.  Generally used for selecting a localized user interface; e.g., 'en_US' specifies the language English and country US."),
			attr("locale", TypeString, "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations."),
			attr("timezone", TypeString, "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
			attr("active", TypeBoolean, "A Boolean value indicating the User's administrative status. Unassigned reads as false: removing it deactivates the User.",
				unassigned(false)),
			attr("password", TypeString, "The User's cleartext password.  This attribute is intended to be used as a means to specify an initial password when creating a new User or to reset an existing User's password.",
				writeOnly, returned(ReturnedNever)),
			attr("emails", TypeComplex, "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical type values of 'work', 'home', and 'other'.",
				multi, subs(
					attr("value", TypeString, "Email addresses for the user.  The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical type values of 'work', 'home', and 'other'."),
					attr("display", TypeString, descDisplay),
					attr("type", TypeString, descWorkHome, canonical("work", "home", "other")),
					attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred mailing address or primary email address.  The primary attribute value 'true' MUST appear no more than once."),
				)),
			attr("phoneNumbers", TypeComplex, "Phone numbers for the User.  The value SHOULD be canonicalized by the service provider according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'. Canonical type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.",
				multi, subs(
					attr("value", TypeString, "Phone number of the User."),
					attr("display", TypeString, descDisplay),
					attr("type", TypeString, "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
						canonical("work", "home", "mobile", "fax", "pager", "other")),
					attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred phone number or primary phone number.  The primary attribute value 'true' MUST appear no more than once."),
				)),
			attr("ims", TypeComplex, "Instant messaging addresses for the User.",
				multi, subs(
					attr("value", TypeString, "Instant messaging address for the User."),
					attr("display", TypeString, descDisplay),
					attr("type", TypeString, "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
						canonical("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
					attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred messenger or primary messenger.  The primary attribute value 'true' MUST appear no more than once."),
				)),
			attr("photos", TypeComplex, "URLs of photos of the User.",
				multi, subs(
					attr("value", TypeReference, "URL of a photo of the User.", refTypes("external"), maxLength(MaxDataBytes)),
					attr("display", TypeString, descDisplay),
					attr("type", TypeString, "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
						canonical("photo", "thumbnail")),
					attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred photo or thumbnail.  The primary attribute value 'true' MUST appear no more than once."),
				)),
			attr("addresses", TypeComplex, "A physical mailing address for this User. Canonical type values of 'work', 'home', and 'other'.  This attribute is a complex type with the following sub-attributes.",
				multi, subs(
					attr("formatted", TypeString, "The full mailing address, formatted for display or use with a mailing label.  This attribute MAY contain newlines."),
					attr("streetAddress", TypeString, "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information.  This attribute MAY contain newlines."),
					attr("locality", TypeString, "The city or locality component."),
					attr("region", TypeString, "The state or region component."),
					attr("postalCode", TypeString, "The zip code or postal code component."),
					attr("country", TypeString, "The country name component."),
					attr("type", TypeString, descWorkHome, canonical("work", "home", "other")),
					attr("primary", TypeBoolean, "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred mailing address or primary email address.  The primary attribute value 'true' MUST appear no more than once."),
				)),
			attr("groups", TypeComplex, "A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.",
				multi, readOnly, subs(
					attr("value", TypeString, "The identifier of the User's group.", readOnly),
					attr("$ref", TypeReference, "The URI of the corresponding 'Group' resource to which the user belongs.",
						readOnly, refTypes("User", "Group")),
					attr("display", TypeString, descDisplay, readOnly),
					attr("type", TypeString, "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
						readOnly, canonical("direct", "indirect")),
				)),
			attr("entitlements", TypeComplex, "A list of entitlements for the User that represent a thing the User has.",
				multi, subs(
					attr("value", TypeString, "The value of an entitlement."),
					attr("display", TypeString, descDisplay),
					attr("type", TypeString, descTypeLabel),
					attr("primary", TypeBoolean, descPrimaryOnce),
				)),
			attr("roles", TypeComplex, "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.",
				multi, subs(
					attr("value", TypeString, "The value of a role."),
					attr("display", TypeString, descDisplay),
					attr("type", TypeString, descTypeLabel),
					attr("primary", TypeBoolean, descPrimaryOnce),
				)),
			attr("x509Certificates", TypeComplex, "A list of certificates issued to the User.",
				multi, subs(
					attr("value", TypeBinary, "The value of an X.509 certificate.", maxLength(MaxDataBytes)),
					attr("display", TypeString, descDisplay),
					attr("type", TypeString, descTypeLabel),
					attr("primary", TypeBoolean, descPrimaryOnce),
				)),
		},
	}
}

// enterpriseUserSchema returns the Enterprise User extension of RFC 7643
// §4.3 as represented in §8.7.1.
func enterpriseUserSchema() *Schema {
	return &Schema{
		ID:          EnterpriseUserURN,
		Name:        "EnterpriseUser",
		Description: "Enterprise User",
		Attributes: []*Attribute{
			attr("employeeNumber", TypeString, "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization."),
			attr("costCenter", TypeString, "Identifies the name of a cost center."),
			attr("organization", TypeString, "Identifies the name of an organization."),
			attr("division", TypeString, "Identifies the name of a division."),
			attr("department", TypeString, "Identifies the name of a department."),
			attr("manager", TypeComplex, "The User's manager.  A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User.",
				subs(
					attr("value", TypeString, "The id of the SCIM resource representing the User's manager.  REQUIRED."),
					attr("$ref", TypeReference, "The URI of the SCIM resource representing the User's manager.  REQUIRED.",
						refTypes("User")),
					attr("displayName", TypeString, "The displayName of the User's manager. OPTIONAL and READ-ONLY.",
						readOnly),
				)),
		},
	}
}

// groupSchema returns the core Group schema of RFC 7643 §8.7.1 with three
// documented changes:
//
//   - displayName is required. The §8.7.1 representation says
//     "required": false, but its own description and the §4.2 text say
//     "REQUIRED"; a Group without a name cannot be shown or matched by
//     Entra ID or Okta.
//   - members.value is required. §4.2 explicitly lets a service provider
//     require a non-empty value by setting "required" on a members
//     sub-attribute, and a member without an id identifies nothing.
//   - members has a "display" sub-attribute. §8.7.1 lists only value,
//     $ref and type, but §2.4 makes display a default sub-attribute of
//     multi-valued attributes, the §8.4 example sends it, and Entra ID and
//     Okta send it in member values; rejecting it as unknown would break
//     them. It is readOnly, not the "immutable" of §2.4: roster shows the
//     member's own name and ignores what a client sends.
func groupSchema() *Schema {
	return &Schema{
		ID:          GroupURN,
		Name:        "Group",
		Description: "Group",
		Attributes: []*Attribute{
			attr("displayName", TypeString, "A human-readable name for the Group. REQUIRED.",
				required),
			attr("members", TypeComplex, "A list of members of the Group.",
				multi, anyNumber, subs(
					attr("value", TypeString, "Identifier of the member of this Group.",
						immutable, required),
					attr("$ref", TypeReference, "The URI corresponding to a SCIM resource that is a member of this Group.",
						immutable, refTypes("User", "Group")),
					attr("type", TypeString, "A label indicating the type of resource, e.g., 'User' or 'Group'.",
						immutable, canonical("User", "Group")),
					attr("display", TypeString, "A human-readable name, primarily used for display purposes.  READ-ONLY: the User's displayName (or userName).",
						readOnly),
				)),
		},
	}
}

// User returns the User resource type (RFC 7643 §4.1 and §8.6): core schema
// UserURN at endpoint "/Users" with the Enterprise User extension, which is
// optional (the §8.6 example marks it required, but Okta and many other
// clients never send it).
//
// Every call builds a fresh, independent value; build it once at start-up
// and share it, as a ResourceType is safe for concurrent use.
func User() *ResourceType {
	return newResourceType("User", "User", "/Users", "User Account", userSchema(),
		extensionDef{enterpriseUserSchema(), false})
}

// Group returns the Group resource type (RFC 7643 §4.2 and §8.6): core
// schema GroupURN at endpoint "/Groups", without extensions. Every call
// builds a fresh value, as for User.
func Group() *ResourceType {
	return newResourceType("Group", "Group", "/Groups", "Group", groupSchema())
}

// ResourceTypes returns the resource types this service offers, User then
// Group, freshly built.
func ResourceTypes() []*ResourceType {
	return []*ResourceType{User(), Group()}
}

// Schemas returns the resource schemas this service offers, freshly built:
// core User, Enterprise User, core Group. These are what /Schemas lists.
func Schemas() []*Schema {
	return []*Schema{userSchema(), enterpriseUserSchema(), groupSchema()}
}
