package schema

import (
	"strings"
)

// Type is an attribute data type (RFC 7643 §2.3). The string values are the
// ones used in schema representations (§7), so they can be written as-is.
type Type string

// Attribute data types, RFC 7643 §2.3.1 to §2.3.8.
const (
	TypeString    Type = "string"
	TypeBoolean   Type = "boolean"
	TypeDecimal   Type = "decimal"
	TypeInteger   Type = "integer"
	TypeDateTime  Type = "dateTime"
	TypeBinary    Type = "binary"
	TypeReference Type = "reference"
	TypeComplex   Type = "complex"
)

// Mutability says whether and when a client may set an attribute (RFC 7643
// §2.2, "mutability").
type Mutability string

// Mutability values, RFC 7643 §2.2.
const (
	// MutabilityReadOnly attributes are set by the service provider only;
	// values sent by clients in POST and PUT bodies are ignored.
	MutabilityReadOnly Mutability = "readOnly"
	// MutabilityReadWrite attributes may be updated and read at any time.
	MutabilityReadWrite Mutability = "readWrite"
	// MutabilityImmutable attributes may be set once (or with the
	// containing value) and not changed afterwards.
	MutabilityImmutable Mutability = "immutable"
	// MutabilityWriteOnly attributes may be set but are never returned.
	MutabilityWriteOnly Mutability = "writeOnly"
)

// Returned says when an attribute appears in a response (RFC 7643 §2.2,
// "returned"); Project applies it.
type Returned string

// Returned values, RFC 7643 §2.2.
const (
	// ReturnedAlways attributes are returned whatever the attributes and
	// excludedAttributes parameters say.
	ReturnedAlways Returned = "always"
	// ReturnedNever attributes are never returned.
	ReturnedNever Returned = "never"
	// ReturnedDefault attributes are returned unless excluded, or unless an
	// attributes parameter is given that does not name them.
	ReturnedDefault Returned = "default"
	// ReturnedRequest attributes are returned only when named in the
	// attributes parameter.
	ReturnedRequest Returned = "request"
)

// Uniqueness says how the service provider enforces unique values (RFC 7643
// §2.2, "uniqueness"). This package only describes it; enforcing it is the
// store's job.
type Uniqueness string

// Uniqueness values, RFC 7643 §2.2.
const (
	UniquenessNone   Uniqueness = "none"
	UniquenessServer Uniqueness = "server"
	UniquenessGlobal Uniqueness = "global"
)

// Attribute is one attribute definition (RFC 7643 §7), including its
// sub-attributes when Type is TypeComplex.
//
// Attributes reached through a ResourceType (Lookup, Schemas) belong to that
// ResourceType and must be treated as read-only: the resource type's
// decoding and projection read them concurrently. Functions in this package
// that hand out definitions (User, Group, Schemas, ResourceTypes) build fresh
// copies on every call, so no caller can change another caller's view.
type Attribute struct {
	// Name is the canonical spelling; lookups are case-insensitive.
	Name string
	// Type is the data type.
	Type Type
	// MultiValued attributes hold a JSON array of values.
	MultiValued bool
	// Description is the human-readable text from the RFC.
	Description string
	// Required attributes must be present in POST and PUT bodies.
	Required bool
	// CanonicalValues are suggested values (e.g. "work", "home"); they are
	// advertised but not enforced, as RFC 7643 §7 allows other values.
	CanonicalValues []string
	// CaseExact says whether string comparisons are case-sensitive.
	CaseExact bool
	// Mutability says whether clients may set the attribute.
	Mutability Mutability
	// Returned says when the attribute appears in responses.
	Returned Returned
	// Uniqueness says how uniqueness is enforced.
	Uniqueness Uniqueness
	// ReferenceTypes lists what a reference may point to: resource type
	// names, "external" or "uri" (RFC 7643 §7).
	ReferenceTypes []string
	// SubAttributes of a complex attribute.
	SubAttributes []*Attribute
	// MaxLength, when positive, is the most bytes (of UTF-8) a string,
	// reference, binary or dateTime value may have; longer values are
	// invalidValue. RFC 7643 has no characteristic for it, so it is
	// advertised in Description.
	MaxLength int
	// MaxValues, when positive, is the most values a multi-valued
	// attribute may have; more is invalidValue. It is advertised in
	// Description. Group members have none: a group may hold 100,000
	// members and more, bounded only by the request body limit.
	MaxValues int
	// Unassigned, when not nil, is the value the attribute reads as while
	// it has none (RFC 7643 §2.5: removed means unassigned). It is set
	// where a default would grant something: "active" reads as false, so
	// a PATCH that removes it (or sets it to null) deactivates the user
	// instead of letting a creation default re-activate them. The PATCH
	// engine writes it in place of a removed value; a new resource
	// without the attribute still gets the service's creation default.
	Unassigned any
}

// Limits on attribute values (see Attribute.MaxLength and MaxValues).
const (
	// MaxTextBytes bounds names, identifiers and every other text.
	MaxTextBytes = 1 << 10
	// MaxDataBytes bounds the values that carry data rather than names:
	// photos (a data: URL is allowed) and X.509 certificates.
	MaxDataBytes = 64 << 10
	// MaxMultiValues bounds the values of a multi-valued attribute other
	// than Group members.
	MaxMultiValues = 100
)

// SubAttribute returns the sub-attribute called name (case-insensitive), or
// nil when a has none by that name.
func (a *Attribute) SubAttribute(name string) *Attribute {
	for _, s := range a.SubAttributes {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// Coerce validates v as the value of the whole attribute a and returns it in
// the normalised form used by Resource (see Resource). It is the building
// block of Decode and is exported for the PATCH engine, which must validate
// operation values against the same rules.
//
// v is a value produced by encoding/json, preferably decoded with UseNumber
// (float64, int and int64 numbers are accepted too). For a multi-valued
// attribute v must be an array; use CoerceElement for one element. A nil
// result with a nil error means "unassigned": v was null, an empty array, or
// a complex value whose sub-attributes were all null or readOnly (RFC 7643
// §2.5). Inside complex values, readOnly sub-attributes are dropped (RFC
// 7644 §3.3 says such values are ignored); whether a itself may be written
// is the caller's decision.
//
// Errors are *Error with ScimType invalidValue, or invalidSyntax for an
// unknown sub-attribute (also wrapping ErrUnknownAttribute).
func (a *Attribute) Coerce(v any) (any, error) {
	out, err := coerce(a, v, quoteName(a.Name))
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CoerceElement validates v as one value of a (one element of a
// multi-valued attribute, or the value of a single-valued one) and returns
// it normalised. It serves PATCH operations that target a single element,
// such as `emails[type eq "work"]`. A nil result with a nil error means v
// was null (or an all-null complex value).
func (a *Attribute) CoerceElement(v any) (any, error) {
	out, err := coerceSingle(a, v, quoteName(a.Name))
	if err != nil {
		return nil, err
	}
	return out, nil
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

// isValidName reports whether s is an attribute name per RFC 7643 §2.1
// (ALPHA *(ALPHA / DIGIT / "-" / "_")), or the special "$ref".
func isValidName(s string) bool {
	if s == "" {
		return false
	}
	if strings.EqualFold(s, "$ref") {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}
