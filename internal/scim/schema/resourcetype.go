package schema

import (
	"fmt"
	"strings"
)

// Schema is a schema definition (RFC 7643 §7): a URN and its attributes.
// Schemas reached through a ResourceType are shared by its methods and must
// be treated as read-only.
type Schema struct {
	// ID is the schema URN, e.g. UserURN.
	ID string
	// Name is the human-readable name, e.g. "User".
	Name string
	// Description is the human-readable description.
	Description string
	// Attributes are the top-level attributes, in RFC order.
	Attributes []*Attribute
}

// Attribute returns the top-level attribute called name (case-insensitive)
// or nil.
func (s *Schema) Attribute(name string) *Attribute {
	for _, a := range s.Attributes {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return nil
}

// Extension is a schema extension of a resource type (RFC 7643 §6,
// "schemaExtensions").
type Extension struct {
	// Schema is the extension's schema URN.
	Schema string
	// Required says whether every resource of the type must carry the
	// extension.
	Required bool
}

// ResourceType is a resource type (RFC 7643 §6) together with the schemas it
// uses, and it is what decodes, validates and shapes resources of that type.
//
// The exported fields describe the type for discovery. The schemas are held
// privately and fixed at construction, so a ResourceType is safe for
// concurrent use; changing the exported fields only changes what
// Representation reports, never how resources are decoded.
type ResourceType struct {
	// ID is the resource type's id, e.g. "User".
	ID string
	// Name is the resource type's name, e.g. "User".
	Name string
	// Endpoint is the path relative to the base URL, e.g. "/Users".
	Endpoint string
	// Description is the human-readable description.
	Description string
	// Schema is the core schema URN.
	Schema string
	// Extensions are the schema extensions.
	Extensions []Extension

	core   *Schema
	exts   []*Schema // parallel to Extensions at construction
	common []*Attribute
}

type extensionDef struct {
	schema   *Schema
	required bool
}

func newResourceType(id, name, endpoint, description string, core *Schema, exts ...extensionDef) *ResourceType {
	rt := &ResourceType{
		ID:          id,
		Name:        name,
		Endpoint:    endpoint,
		Description: description,
		Schema:      core.ID,
		core:        core,
		common:      commonAttributes(),
	}
	for _, e := range exts {
		rt.Extensions = append(rt.Extensions, Extension{Schema: e.schema.ID, Required: e.required})
		rt.exts = append(rt.exts, e.schema)
	}
	return rt
}

// SchemaFor returns the schema with the given URN (case-insensitive) if it
// is the core schema or one of the extensions of rt, or nil. The result
// belongs to rt and must not be modified.
func (rt *ResourceType) SchemaFor(urn string) *Schema {
	if strings.EqualFold(urn, rt.core.ID) {
		return rt.core
	}
	return rt.extension(urn)
}

func (rt *ResourceType) extension(urn string) *Schema {
	for _, s := range rt.exts {
		if strings.EqualFold(urn, s.ID) {
			return s
		}
	}
	return nil
}

func (rt *ResourceType) extensionRequired(urn string) bool {
	for i, s := range rt.exts {
		if s.ID == urn {
			return i < len(rt.Extensions) && rt.Extensions[i].Required
		}
	}
	return false
}

// coreAttribute finds a common (RFC 7643 §3.1) or core-schema attribute.
func (rt *ResourceType) coreAttribute(name string) *Attribute {
	for _, a := range rt.common {
		if strings.EqualFold(a.Name, name) {
			return a
		}
	}
	return rt.core.Attribute(name)
}

// Lookup resolves an attribute path, already split into its schema URN (may
// be empty), attribute name and sub-attribute name (may be empty), e.g.
// ("", "name", "givenName") or
// ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "manager", "value").
// It returns the attribute (the sub-attribute when sub is set) and the URN
// of the schema it belongs to, in canonical spelling. Attributes returned
// belong to rt and must not be modified.
//
// Matching is case-insensitive for URNs and names (RFC 7643 §2.1). Without
// a URN, a name refers to a common attribute (id, externalId, meta; RFC 7643
// §3.1) or a core-schema attribute, reported under the core URN. The core
// URN may qualify either kind. Extension attributes must be qualified with
// their extension URN: RFC 7644 §3.10 lets clients omit only the core
// schema's URN, and resolving bare extension names would make a path's
// meaning depend on which extensions a resource type happens to have. The
// error for such a name says which URN to use.
//
// A path that names a whole schema is recognised in both of the forms a
// path parser may produce: URN "urn:...:enterprise:2.0" with name "User"
// (the split at the last colon), or the full schema URN as urn or name with
// nothing else. Lookup then returns a nil attribute, the schema URN and
// ErrWholeSchema, so PATCH can target the whole extension object.
//
// Other failures are *Error with ScimType invalidPath wrapping
// ErrUnknownAttribute; use (*Error).WithScimType to re-label them (for
// example invalidFilter).
func (rt *ResourceType) Lookup(urn, name, sub string) (*Attribute, string, error) {
	if sub == "" {
		if s := rt.wholeSchema(urn, name); s != nil {
			return nil, s.ID, ErrWholeSchema
		}
	}
	var (
		a     *Attribute
		owner string
	)
	switch {
	case urn == "" || strings.EqualFold(urn, rt.core.ID):
		a, owner = rt.coreAttribute(name), rt.core.ID
		if a == nil {
			detail := fmt.Sprintf("resource type %q has no attribute %q", rt.Name, name)
			if urn == "" {
				for _, ext := range rt.exts {
					if e := ext.Attribute(name); e != nil {
						detail += fmt.Sprintf("; the extension attribute must be qualified with its schema URN, as in %q",
							ext.ID+":"+e.Name)
						break
					}
				}
			}
			return nil, "", unknownError(ScimTypeInvalidPath, detail)
		}
	default:
		ext := rt.extension(urn)
		if ext == nil {
			return nil, "", unknownError(ScimTypeInvalidPath, fmt.Sprintf(
				"resource type %q has no schema %q; its schemas are %s",
				rt.Name, urn, rt.schemaList()))
		}
		a, owner = ext.Attribute(name), ext.ID
		if a == nil {
			return nil, "", unknownError(ScimTypeInvalidPath, fmt.Sprintf(
				"schema %q has no attribute %q", ext.ID, name))
		}
	}
	if sub == "" {
		return a, owner, nil
	}
	if a.Type != TypeComplex {
		return nil, "", unknownError(ScimTypeInvalidPath, fmt.Sprintf(
			"attribute %q is of type %s and has no sub-attributes, so %q does not exist",
			a.Name, a.Type, a.Name+"."+sub))
	}
	s := a.SubAttribute(sub)
	if s == nil {
		return nil, "", unknownError(ScimTypeInvalidPath, fmt.Sprintf(
			"attribute %q has no sub-attribute %q; its sub-attributes are %s",
			a.Name, sub, nameList(a.SubAttributes)))
	}
	return s, owner, nil
}

// LookupPath splits path with SplitPath and resolves it with Lookup.
func (rt *ResourceType) LookupPath(path string) (*Attribute, string, error) {
	urn, name, sub := SplitPath(path)
	return rt.Lookup(urn, name, sub)
}

// wholeSchema recognises the forms of a path naming a whole schema of rt.
func (rt *ResourceType) wholeSchema(urn, name string) *Schema {
	switch {
	case urn != "" && name != "":
		return rt.SchemaFor(urn + ":" + name)
	case urn != "":
		return rt.SchemaFor(urn)
	case hasURNPrefix(name):
		return rt.SchemaFor(name)
	}
	return nil
}

func (rt *ResourceType) schemaList() string {
	ids := []string{rt.core.ID}
	for _, e := range rt.exts {
		ids = append(ids, e.ID)
	}
	return strings.Join(ids, ", ")
}

// schemasOf returns the core schema then the extensions.
func (rt *ResourceType) schemasOf() []*Schema {
	return append([]*Schema{rt.core}, rt.exts...)
}

// SplitPath splits an attribute path in RFC 7644 §3.10 notation into its
// schema URN, attribute name and sub-attribute name, without validating
// them. A path starting with "urn:" (any case) carries a URN: everything up
// to the last ':' (so the dots in "2.0" stay in the URN). The remainder is
// split at the first '.'. For example
//
//	"name.givenName" → ("", "name", "givenName")
//	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
//	  → ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "manager", "value")
//	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
//	  → ("urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", "")
//
// The last form names a whole schema; Lookup recognises it.
func SplitPath(path string) (urn, name, sub string) {
	rest := path
	if hasURNPrefix(path) {
		i := strings.LastIndexByte(path, ':')
		urn, rest = path[:i], path[i+1:]
	}
	name, sub, _ = strings.Cut(rest, ".")
	return urn, name, sub
}

func hasURNPrefix(s string) bool {
	return len(s) >= 4 && strings.EqualFold(s[:4], "urn:")
}

// Resource is a resource as JSON-shaped data, as produced by Decode and
// consumed by Project:
//
//   - keys are canonical attribute names ("userName", not "username");
//   - extension attributes sit in a nested map under the extension URN key,
//     as on the wire (RFC 7643 §3.3);
//   - "schemas" is a []any of URN strings;
//   - string, reference, binary and dateTime values are strings exactly as
//     sent; booleans are bool; integers int64; decimals float64;
//   - complex values are map[string]any and multi-valued values []any;
//   - unassigned attributes are absent (never nil or empty arrays).
type Resource map[string]any
