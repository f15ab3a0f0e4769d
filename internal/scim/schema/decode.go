package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Decode parses and validates a POST or PUT request body (RFC 7644 §3.3 and
// §3.5.1) as a resource of type rt, and returns it normalised (see
// Resource). Numbers are decoded with UseNumber, so integers keep full
// precision. See DecodeMap for the rules; in addition the body must be
// exactly one JSON object, or Decode returns an invalidSyntax *Error.
// Decode reads all of body; bound its size before calling (for example
// with http.MaxBytesReader).
func (rt *ResourceType) Decode(body []byte) (Resource, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, newError(ScimTypeInvalidSyntax, "the request body is empty; send a JSON object")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, newError(ScimTypeInvalidSyntax, fmt.Sprintf("the request body is not valid JSON: %v (at byte %d)", se, se.Offset))
		}
		return nil, newError(ScimTypeInvalidSyntax, "the request body is not valid JSON: "+err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, newError(ScimTypeInvalidSyntax, "the request body has data after the JSON object; send exactly one object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, newError(ScimTypeInvalidSyntax, fmt.Sprintf("the request body must be a JSON object, got %s", describe(&Attribute{}, v)))
	}
	return rt.DecodeMap(m)
}

// DecodeMap validates a request body that has already been decoded into a
// map (preferably with json.Decoder.UseNumber) and returns it normalised as
// a Resource. m is not modified. The rules:
//
//   - Attribute names, sub-attribute names and schema URNs match
//     case-insensitively and come out in canonical spelling. The same
//     attribute given twice under different spellings is invalidSyntax.
//   - "schemas" is required and must contain the core schema URN
//     (invalidValue otherwise). Known extension URNs are accepted. Unknown
//     URNs are tolerated and dropped, together with any object sent under
//     such a URN: Microsoft Entra ID sends Groups with
//     "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
//     in "schemas". In the result, "schemas" lists the core URN and each
//     extension that has at least one assigned attribute.
//   - Extension attributes are read from the object under the extension URN
//     (RFC 7643 §3.3) and also from URN-qualified keys such as
//     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department";
//     both end up in the nested object. Core attributes may be qualified
//     with the core URN.
//   - An attribute the resource type does not define is invalidSyntax,
//     naming it and wrapping ErrUnknownAttribute.
//   - readOnly attributes (id, meta, groups, manager.displayName, ...) are
//     ignored, whatever their value, as RFC 7644 §3.3 requires.
//   - null and [] mean unassigned (RFC 7643 §2.5) and are left out; so are
//     complex values with no assigned sub-attributes. Microsoft Entra ID
//     sends null for attributes it has no mapping for.
//   - writeOnly attributes (password) are kept, so the caller can hash or
//     reject them; Project never returns them.
//   - Values must match the attribute type (invalidValue naming the
//     attribute, the expected type and what was sent): a multi-valued
//     attribute must be an array; at most one element may have
//     "primary": true (RFC 7643 §2.4); dateTime must be an xsd:dateTime and
//     binary must be base64.
//   - Required attributes (userName, Group displayName, members.value) must
//     be present and non-empty (invalidValue).
//   - Text is valid UTF-8 without NUL and within the attribute's MaxLength
//     in bytes; a multi-valued attribute has at most MaxValues values
//     (invalidValue naming the attribute and the limit).
//   - A value of a non-caseExact attribute that equals one of its
//     canonical values ignoring case is written canonically ("user" as
//     the member type "User").
//
// Booleans sent as the strings "true" or "false" in any case are accepted;
// see the package documentation.
func (rt *ResourceType) DecodeMap(m map[string]any) (Resource, error) {
	return rt.decodeMap(m, false)
}

// DecodeStored is DecodeMap for a resource the service stored earlier, such
// as the current state a PATCH starts from: the size limits
// (Attribute.MaxLength, MaxValues) and the NUL rule are not applied, since
// the value may predate them, so such a resource can still be read and
// patched. Every other rule holds. What is written back must pass DecodeMap.
func (rt *ResourceType) DecodeStored(m map[string]any) (Resource, error) {
	return rt.decodeMap(m, true)
}

func (rt *ResourceType) decodeMap(m map[string]any, stored bool) (Resource, error) {
	schemasKey, err := uniqueKey(m, "schemas")
	if err != nil {
		return nil, err
	}
	if schemasKey == "" {
		return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
			"required attribute \"schemas\" is missing; it must list %q", rt.core.ID))
	}
	tolerated, err := rt.checkSchemas(m[schemasKey])
	if err != nil {
		return nil, err
	}

	// Route every key to (schema, attribute), detecting duplicates.
	type entry struct {
		key   string
		value any
	}
	routed := make(map[*Attribute]entry)
	put := func(a *Attribute, key string, v any) error {
		if prev, dup := routed[a]; dup {
			return newError(ScimTypeInvalidSyntax, fmt.Sprintf(
				"attribute %q is given twice (as %q and %q); attribute names are case-insensitive",
				a.Name, prev.key, key))
		}
		routed[a] = entry{key, v}
		return nil
	}
	extObjects := make(map[*Schema]string)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k == schemasKey {
			continue
		}
		v := m[k]
		if ext := rt.extension(k); ext != nil {
			if prev, dup := extObjects[ext]; dup {
				return nil, newError(ScimTypeInvalidSyntax, fmt.Sprintf(
					"the extension %q is given twice (as %q and %q)", ext.ID, prev, k))
			}
			extObjects[ext] = k
			if v == nil {
				continue
			}
			obj, ok := asObject(v)
			if !ok {
				return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
					"attribute %q: expected an object holding the extension's attributes, got %s",
					ext.ID, describe(&Attribute{}, v)))
			}
			for _, ek := range slices.Sorted(maps.Keys(obj)) {
				a := ext.Attribute(ek)
				if a == nil {
					return nil, unknownError(ScimTypeInvalidSyntax, fmt.Sprintf(
						"schema %q has no attribute %q; its attributes are %s",
						ext.ID, clipName(ek), nameList(ext.Attributes)))
				}
				if err := put(a, ext.ID+":"+ek, obj[ek]); err != nil {
					return nil, err
				}
			}
			continue
		}
		if tolerated[strings.ToLower(k)] {
			continue
		}
		if hasURNPrefix(k) {
			urn, name, sub := SplitPath(k)
			if tolerated[strings.ToLower(urn)] {
				continue
			}
			s := rt.SchemaFor(urn)
			var a *Attribute
			switch {
			case s == nil || sub != "":
			case s == rt.core:
				a = rt.coreAttribute(name)
			default:
				a = s.Attribute(name)
			}
			if a == nil {
				return nil, unknownError(ScimTypeInvalidSyntax, fmt.Sprintf(
					"unknown attribute %q: resource type %q has no such attribute (its schemas are %s)",
					clipName(k), rt.Name, rt.schemaList()))
			}
			if err := put(a, k, v); err != nil {
				return nil, err
			}
			continue
		}
		a := rt.coreAttribute(k)
		if a == nil && v == nil {
			// null is "unassigned" (RFC 7643 §2.5): nothing is lost by
			// skipping it. Microsoft Entra ID's older provisioning sends
			// unmapped enterprise attributes this way, at the top level
			// ("department": null, "manager": null).
			continue
		}
		if a == nil {
			detail := fmt.Sprintf("unknown attribute %q: resource type %q has no such attribute", clipName(k), rt.Name)
			for _, ext := range rt.exts {
				if e := ext.Attribute(k); e != nil {
					detail += fmt.Sprintf("; %q is an attribute of the extension %q and must be sent inside the %q object",
						e.Name, ext.ID, ext.ID)
					break
				}
			}
			return nil, unknownError(ScimTypeInvalidSyntax, detail)
		}
		if err := put(a, k, v); err != nil {
			return nil, err
		}
	}

	// Coerce in schema order so that errors are deterministic.
	out := Resource{}
	schemas := []any{rt.core.ID}
	for _, s := range rt.schemasOf() {
		dst, attrs, prefix := map[string]any(out), s.Attributes, ""
		if s == rt.core {
			attrs = append(append([]*Attribute(nil), rt.common...), s.Attributes...)
		} else {
			dst, prefix = map[string]any{}, s.ID+":"
		}
		for _, a := range attrs {
			e, ok := routed[a]
			if !ok || a.Mutability == MutabilityReadOnly {
				continue
			}
			at := quoteName(prefix + a.Name)
			at.stored = stored
			c, err := coerce(a, e.value, at)
			if err != nil {
				return nil, err
			}
			if c != nil {
				dst[a.Name] = c
			}
		}
		if s != rt.core && len(dst) == 0 {
			if rt.extensionRequired(s.ID) {
				return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
					"resource type %q requires the extension %q; send its attributes in a %q object and list it in \"schemas\"",
					rt.Name, s.ID, s.ID))
			}
			continue
		}
		for _, a := range attrs {
			if a.Required && a.Mutability != MutabilityReadOnly && missing(dst[a.Name]) {
				return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
					"required attribute %s is missing or empty", strconv.Quote(prefix+a.Name)))
			}
		}
		if s != rt.core {
			out[s.ID] = dst
			schemas = append(schemas, s.ID)
		}
	}
	out["schemas"] = schemas
	return out, nil
}

// checkSchemas validates the "schemas" value and returns the lower-cased
// URNs it lists that rt does not know (tolerated and dropped).
func (rt *ResourceType) checkSchemas(v any) (map[string]bool, error) {
	arr, ok := asArray(v)
	if !ok || len(arr) == 0 {
		got := "an empty array"
		if !ok {
			got = describe(&Attribute{}, v)
		}
		return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
			"attribute \"schemas\": expected an array of schema URNs including %q, got %s", rt.core.ID, got))
	}
	tolerated := make(map[string]bool)
	hasCore := false
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
				"attribute \"schemas\" (element %d): expected a schema URN string, got %s", i+1, describe(&Attribute{}, e)))
		}
		switch {
		case strings.EqualFold(s, rt.core.ID):
			hasCore = true
		case rt.extension(s) != nil:
		default:
			tolerated[strings.ToLower(s)] = true
		}
	}
	if !hasCore {
		return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
			"attribute \"schemas\" must include %q for resource type %q", rt.core.ID, rt.Name))
	}
	return tolerated, nil
}

// uniqueKey finds the key of m equal to name ignoring case; two such keys
// are invalidSyntax. It returns "" when there is none.
func uniqueKey(m map[string]any, name string) (string, error) {
	found := ""
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !strings.EqualFold(k, name) {
			continue
		}
		if found != "" {
			return "", newError(ScimTypeInvalidSyntax, fmt.Sprintf(
				"attribute %q is given twice (as %q and %q); attribute names are case-insensitive", name, found, k))
		}
		found = k
	}
	return found, nil
}
