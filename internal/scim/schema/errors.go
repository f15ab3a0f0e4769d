package schema

import "errors"

// SCIM detail error keywords (the "scimType" member of an error response,
// RFC 7644 §3.12). Functions in this package set the keyword that fits the
// request they validate; callers in another context (a filter, a PATCH
// path) may re-label an error with (*Error).WithScimType.
const (
	// ScimTypeInvalidFilter means the filter syntax was invalid or named an
	// attribute that does not exist.
	ScimTypeInvalidFilter = "invalidFilter"
	// ScimTypeTooMany means the query would return more results than allowed.
	ScimTypeTooMany = "tooMany"
	// ScimTypeUniqueness means a value is already in use (uniqueness "server"
	// or "global").
	ScimTypeUniqueness = "uniqueness"
	// ScimTypeMutability means the request tried to change a readOnly or
	// immutable attribute.
	ScimTypeMutability = "mutability"
	// ScimTypeInvalidSyntax means the body is not well-formed or does not
	// follow the request schema; Decode uses it for malformed JSON and for
	// attributes the resource type does not define.
	ScimTypeInvalidSyntax = "invalidSyntax"
	// ScimTypeInvalidPath means a PATCH path was invalid; Lookup uses it by
	// default.
	ScimTypeInvalidPath = "invalidPath"
	// ScimTypeNoTarget means a PATCH path matched no value.
	ScimTypeNoTarget = "noTarget"
	// ScimTypeInvalidValue means a required value is missing or a value does
	// not fit its attribute's type; Decode and Coerce use it for those.
	ScimTypeInvalidValue = "invalidValue"
	// ScimTypeInvalidVers means the client asked for an unsupported SCIM
	// protocol version.
	ScimTypeInvalidVers = "invalidVers"
	// ScimTypeSensitive means the request put sensitive data (such as a
	// password) in the URI.
	ScimTypeSensitive = "sensitive"
)

// Sentinel errors, matched with errors.Is. Every *Error that reports an
// attribute name the schema does not define wraps ErrUnknownAttribute, so a
// caller can tell "no such attribute" from "bad value" without parsing text.
var (
	// ErrUnknownAttribute is wrapped by every *Error that names an
	// attribute, sub-attribute or schema URN the resource type does not
	// define.
	ErrUnknownAttribute = errors.New("unknown attribute")

	// ErrWholeSchema is returned (unwrapped, not as *Error) by
	// ResourceType.Lookup when the path names a whole schema rather than an
	// attribute, e.g. the PATCH path
	// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", which a
	// path parser splits into URN "urn:ietf:params:scim:schemas:extension:enterprise:2.0"
	// and name "User". It is not a client error: the caller decides what a
	// whole-schema path means (PATCH: the extension object; attributes
	// parameter: every attribute of that schema).
	ErrWholeSchema = errors.New("path names a whole schema, not an attribute")
)

// Error is a SCIM client error: the request is wrong and the response should
// be HTTP 400 with ScimType as "scimType" and Detail as "detail" (RFC 7644
// §3.12). Detail is written for the person who configured the client, e.g.
//
//	attribute "emails": expected an array of objects, got a string "bjensen@example.com"
//
// and never echoes the value of a writeOnly attribute such as password.
type Error struct {
	// ScimType is one of the ScimType* keywords.
	ScimType string
	// Detail says what is wrong and where, naming the attribute.
	Detail string

	err error // sentinel for errors.Is, e.g. ErrUnknownAttribute; may be nil
}

// Error returns "scimType: detail", e.g.
// `invalidValue: required attribute "userName" is missing`.
func (e *Error) Error() string {
	if e.ScimType == "" {
		return e.Detail
	}
	return e.ScimType + ": " + e.Detail
}

// Unwrap returns the sentinel the error belongs to (ErrUnknownAttribute) or
// nil, so errors.Is works through *Error.
func (e *Error) Unwrap() error { return e.err }

// WithScimType returns a copy of e labelled with scimType, keeping Detail and
// the sentinel. Lookup errors default to invalidPath; a filter evaluator
// re-labels them invalidFilter this way without mutating a shared value.
func (e *Error) WithScimType(scimType string) *Error {
	c := *e
	c.ScimType = scimType
	return &c
}

func newError(scimType, detail string) *Error {
	return &Error{ScimType: scimType, Detail: detail}
}

func unknownError(scimType, detail string) *Error {
	return &Error{ScimType: scimType, Detail: detail, err: ErrUnknownAttribute}
}
