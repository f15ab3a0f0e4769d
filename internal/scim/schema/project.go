package schema

import (
	"errors"
	"fmt"
	"strings"
)

// selection is a parsed attributes or excludedAttributes parameter.
type selection struct {
	given   bool                               // at least one name was given
	whole   map[*Attribute]bool                // attributes named as a whole
	subs    map[*Attribute]map[*Attribute]bool // parent → named sub-attributes
	schemas map[*Schema]bool                   // whole schemas named by URN
}

// Project shapes a resource for a response according to the attributes and
// excludedAttributes parameters (RFC 7644 §3.4.2.5 and §3.9) and each
// attribute's "returned" characteristic (RFC 7643 §2.2 and §7):
//
//   - returned "never" (password) is never included, even when named;
//   - returned "always" (id; "schemas") is always included and cannot be
//     excluded;
//   - returned "default" is included unless excluded, and, when attributes
//     is given, only if named there;
//   - returned "request" is included only when named in attributes.
//
// Names follow RFC 7644 §3.10: case-insensitive, optionally qualified with
// the core URN, extension attributes qualified with their extension URN.
// Each element may also be a comma-separated list, as in the query string.
// Naming a sub-attribute ("name.givenName", "emails.value") keeps only the
// named sub-attributes of the parent (in every element of a multi-valued
// attribute); excluding one removes just it. Naming a whole extension URN
// selects or removes all of that extension's attributes. meta is treated
// like any other attribute (returned "default"). When both parameters are
// given, attributes selects and excludedAttributes then removes.
//
// Unknown names are ignored: RFC 7644 does not make them an error, a query
// at the server root (RFC 7644 §3.4.3) may name attributes of several
// resource types, and an attribute that does not exist cannot be returned
// anyway. Names that are not attribute paths at all (such as
// `emails[type eq "work"]`) are an invalidValue *Error.
//
// The result is a new Resource sharing nothing with res: attributes not
// defined by the schema are dropped, null values and empty arrays or objects
// are left out (Microsoft Entra ID rejects nulls), and "schemas" is set to
// the core URN plus each extension URN present in the result.
func (rt *ResourceType) Project(res Resource, attributes, excludedAttributes []string) (Resource, error) {
	inc, err := rt.parseSelection("attributes", attributes)
	if err != nil {
		return nil, err
	}
	exc, err := rt.parseSelection("excludedAttributes", excludedAttributes)
	if err != nil {
		return nil, err
	}
	out := Resource{}
	schemas := []any{rt.core.ID}
	core := append(append([]*Attribute(nil), rt.common...), rt.core.Attributes...)
	projectAttrs(out, map[string]any(res), rt.core, core, inc, exc)
	for _, ext := range rt.exts {
		src, ok := asObject(lookupKey(res, ext.ID))
		if !ok {
			continue
		}
		dst := map[string]any{}
		projectAttrs(dst, src, ext, ext.Attributes, inc, exc)
		if len(dst) > 0 {
			out[ext.ID] = dst
			schemas = append(schemas, ext.ID)
		}
	}
	out["schemas"] = schemas
	return out, nil
}

func projectAttrs(dst, src map[string]any, s *Schema, attrs []*Attribute, inc, exc selection) {
	for _, a := range attrs {
		v := lookupKey(src, a.Name)
		if v == nil {
			continue
		}
		requested := inc.subs[a]
		restrict := false // keep only the requested sub-attributes
		switch a.Returned {
		case ReturnedNever:
			continue
		case ReturnedAlways:
		default:
			excluded := exc.whole[a] || exc.schemas[s]
			if inc.given {
				named := inc.whole[a] || (inc.schemas[s] && a.Returned == ReturnedDefault)
				if (!named && len(requested) == 0) || excluded {
					continue
				}
				restrict = !named
			} else if a.Returned == ReturnedRequest || excluded {
				continue
			}
		}
		if c := shape(a, v, requested, restrict, exc.subs[a]); c != nil {
			dst[a.Name] = c
		}
	}
}

// shape copies the value v of a, applying the sub-attribute selection to
// complex values. It returns nil when nothing is left.
func shape(a *Attribute, v any, requested map[*Attribute]bool, restrict bool, excluded map[*Attribute]bool) any {
	one := func(e any) any {
		if a.Type != TypeComplex {
			return deepCopy(e)
		}
		m, ok := asObject(e)
		if !ok {
			return nil
		}
		return shapeComplex(a, m, requested, restrict, excluded)
	}
	if !a.MultiValued {
		return one(v)
	}
	arr, ok := asArray(v)
	if !ok {
		return nil
	}
	out := make([]any, 0, len(arr))
	for _, e := range arr {
		if c := one(e); c != nil {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func shapeComplex(a *Attribute, m map[string]any, requested map[*Attribute]bool, restrict bool, excluded map[*Attribute]bool) any {
	out := map[string]any{}
	for _, sub := range a.SubAttributes {
		v := lookupKey(m, sub.Name)
		if v == nil {
			continue
		}
		switch sub.Returned {
		case ReturnedNever:
			continue
		case ReturnedAlways:
		case ReturnedRequest:
			if !requested[sub] || excluded[sub] {
				continue
			}
		default:
			if (restrict && !requested[sub]) || excluded[sub] {
				continue
			}
		}
		if c := shape(sub, v, nil, false, nil); c != nil {
			out[sub.Name] = c
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseSelection resolves the names of an attributes or excludedAttributes
// parameter against rt.
func (rt *ResourceType) parseSelection(param string, names []string) (selection, error) {
	sel := selection{
		whole:   map[*Attribute]bool{},
		subs:    map[*Attribute]map[*Attribute]bool{},
		schemas: map[*Schema]bool{},
	}
	for _, list := range names {
		for _, raw := range strings.Split(list, ",") {
			name := strings.TrimSpace(raw)
			if name == "" {
				continue
			}
			sel.given = true
			urn, attrName, subName := SplitPath(name)
			if !isValidName(attrName) || (subName != "" && !isValidName(subName)) || strings.ContainsAny(urn, " []\"") {
				return selection{}, newError(ScimTypeInvalidValue, fmt.Sprintf(
					"the %s parameter contains %q, which is not an attribute name; use names such as \"userName\", \"name.givenName\" or %q",
					param, name, EnterpriseUserURN+":department"))
			}
			a, owner, err := rt.Lookup(urn, attrName, subName)
			switch {
			case errors.Is(err, ErrWholeSchema):
				sel.schemas[rt.SchemaFor(owner)] = true
				continue
			case err != nil:
				continue // unknown names are ignored, see Project
			}
			if subName == "" {
				sel.whole[a] = true
				continue
			}
			parent, _, _ := rt.Lookup(urn, attrName, "")
			if sel.subs[parent] == nil {
				sel.subs[parent] = map[*Attribute]bool{}
			}
			sel.subs[parent][a] = true
		}
	}
	return sel, nil
}

// lookupKey returns m's value for name, preferring the exact key and
// otherwise matching case-insensitively (smallest key first, for
// determinism).
func lookupKey(m map[string]any, name string) any {
	if v, ok := m[name]; ok {
		return v
	}
	var (
		found string
		v     any
	)
	for k, x := range m {
		if strings.EqualFold(k, name) && (found == "" || k < found) {
			found, v = k, x
		}
	}
	return v
}

// deepCopy copies JSON-shaped data so that the result shares no maps or
// slices with v; nulls inside arrays and objects are dropped.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case Resource:
		return copyMap(t)
	case []any, []string, []map[string]any:
		arr, _ := asArray(t)
		out := make([]any, 0, len(arr))
		for _, e := range arr {
			if e != nil {
				out = append(out, deepCopy(e))
			}
		}
		return out
	}
	return v
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if v != nil {
			out[k] = deepCopy(v)
		}
	}
	return out
}
