package patch

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
)

// target is a resolved PATCH path, or a resolved key of a pathless value.
type target struct {
	urn    string            // canonical URN of the schema the attribute belongs to
	ext    bool              // the attribute lives under res[urn] (an extension)
	whole  bool              // the path names a whole extension schema
	core   bool              // the path names the whole core schema
	attr   *schema.Attribute // top-level attribute; nil when whole or core
	sub    *schema.Attribute // addressed sub-attribute, or nil
	filter filter.Expr       // value filter, or nil
}

// name returns the attribute path in canonical spelling for messages,
// such as "name.givenName" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".
func (t target) name() string {
	if t.attr == nil {
		return t.urn
	}
	n := t.attr.Name
	if t.ext {
		n = t.urn + ":" + n
	}
	if t.filter != nil {
		n += "[" + t.filter.String() + "]"
	}
	if t.sub != nil {
		n += "." + t.sub.Name
	}
	return n
}

// quoted returns name() quoted for messages.
func (t target) quoted() string { return strconv.Quote(clip(t.name())) }

// key identifies what a target addresses, to detect a pathless value that
// names the same attribute twice.
func (t target) key() string {
	k := strings.ToLower(t.urn)
	if t.attr != nil {
		k += ":" + t.attr.Name
	}
	if t.sub != nil {
		k += "." + t.sub.Name
	}
	return k
}

// rank orders the members of a pathless value: whole schemas, then whole
// attributes, then sub-attributes, so that {"name": {...},
// "name.givenName": "x"} applies the more specific member last.
func (t target) rank() int {
	switch {
	case t.attr == nil:
		return 0
	case t.sub == nil:
		return 1
	}
	return 2
}

// isManager reports whether t addresses the Enterprise User "manager"
// attribute (RFC 7643 §4.3), which Entra ID sends in several non-RFC
// shapes; see the package documentation.
func (t target) isManager() bool {
	return t.ext && t.attr != nil && strings.EqualFold(t.urn, schema.EnterpriseUserURN) &&
		strings.EqualFold(t.attr.Name, "manager")
}

// resolvePath parses and resolves an operation path. Syntax errors and
// unknown attributes are invalidPath.
func resolvePath(rt *schema.ResourceType, path string) (target, error) {
	fp, err := filter.ParsePath(path)
	if err != nil {
		return target{}, pathError(err)
	}
	t, err := resolveAttr(rt, fp.Attr.URN, fp.Attr.Name, fp.Attr.Sub, schema.ScimTypeInvalidPath)
	if err != nil {
		return target{}, err
	}
	if fp.Filter == nil {
		return t, nil
	}
	switch {
	case t.attr == nil:
		return target{}, errorf(schema.ScimTypeInvalidPath, "path %q: a [filter] cannot follow a schema URN", clip(path))
	case t.sub != nil:
		return target{}, errorf(schema.ScimTypeInvalidPath, "path %q: a [filter] must follow the attribute, as in %s[...].%s", clip(path), t.attr.Name, t.sub.Name)
	case t.attr.Type != schema.TypeComplex || (!t.attr.MultiValued && !t.isManager()):
		return target{}, errorf(schema.ScimTypeInvalidPath, "path %q: %q is not a multi-valued complex attribute; a [filter] selects values of attributes such as emails or addresses", clip(path), t.attr.Name)
	}
	t.filter = fp.Filter
	if fp.Sub != "" {
		t.sub = t.attr.SubAttribute(fp.Sub)
		if t.sub == nil {
			_, _, err := rt.Lookup(t.urn, t.attr.Name, fp.Sub)
			if err == nil {
				err = errorf(schema.ScimTypeInvalidPath, "attribute %q has no sub-attribute %q", t.attr.Name, fp.Sub)
			}
			return target{}, relabel(err, schema.ScimTypeInvalidPath)
		}
	}
	if err := checkFilter(t); err != nil {
		return target{}, err
	}
	return t, nil
}

// resolveKey resolves a member name of a pathless value, such as
// "nickName", "name.givenName" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber".
// When scope is an extension URN, names are relative to that extension (the
// value of a whole-extension path). Problems are invalidSyntax, as for an
// unknown attribute in a POST body.
func resolveKey(rt *schema.ResourceType, key, scope string) (target, error) {
	fp, err := filter.ParsePath(key)
	switch {
	case err != nil:
		return target{}, errorf(schema.ScimTypeInvalidSyntax, "%q is not an attribute name", clip(key))
	case fp.Filter != nil:
		return target{}, errorf(schema.ScimTypeInvalidSyntax, "member %q of the value: a [filter] is only allowed in \"path\"", clip(key))
	}
	urn := fp.Attr.URN
	if scope != "" {
		if urn != "" {
			return target{}, errorf(schema.ScimTypeInvalidSyntax, "member %q of the %q object must be a bare attribute name", clip(key), scope)
		}
		urn = scope
	}
	t, err := resolveAttr(rt, urn, fp.Attr.Name, fp.Attr.Sub, schema.ScimTypeInvalidSyntax)
	if err != nil {
		return target{}, err
	}
	if scope != "" && t.attr == nil {
		return target{}, errorf(schema.ScimTypeInvalidSyntax, "member %q of the %q object is not an attribute", clip(key), scope)
	}
	return t, nil
}

// resolveAttr resolves urn:name.sub against rt. Lookup errors are relabelled
// with scimType.
//
// A bare name that is not a core attribute but is the attribute of exactly
// one extension resolves to that extension's attribute. RFC 7644 §3.10 asks
// for the URN, but Microsoft's SCIM tutorial sends "path":"manager" for the
// Enterprise User manager; the fallback only applies where the bare name
// is unambiguous.
func resolveAttr(rt *schema.ResourceType, urn, name, sub, scimType string) (target, error) {
	a, owner, err := rt.Lookup(urn, name, "")
	if errors.Is(err, schema.ErrWholeSchema) {
		if sub != "" {
			return target{}, errorf(scimType, "%q names the schema %q, which has no sub-attribute %q", clip(name), owner, clip(sub))
		}
		if strings.EqualFold(owner, rt.Schema) {
			return target{urn: owner, core: true}, nil
		}
		return target{urn: owner, ext: true, whole: true}, nil
	}
	if err != nil && urn == "" && errors.Is(err, schema.ErrUnknownAttribute) {
		if ea, eo, ok := bareExtensionAttr(rt, name); ok {
			a, owner, err = ea, eo, nil
		}
	}
	if err != nil {
		return target{}, relabel(err, scimType)
	}
	t := target{urn: owner, ext: !strings.EqualFold(owner, rt.Schema), attr: a}
	if sub != "" {
		s, _, err := rt.Lookup(owner, a.Name, sub)
		if err != nil {
			return target{}, relabel(err, scimType)
		}
		t.sub = s
	}
	return t, nil
}

// bareExtensionAttr finds the single extension of rt that defines name.
func bareExtensionAttr(rt *schema.ResourceType, name string) (*schema.Attribute, string, bool) {
	var (
		found *schema.Attribute
		owner string
	)
	for _, ext := range rt.Extensions {
		a, o, err := rt.Lookup(ext.Schema, name, "")
		if err != nil || a == nil {
			continue
		}
		if found != nil {
			return nil, "", false
		}
		found, owner = a, o
	}
	return found, owner, found != nil
}

// elemResolver resolves the paths of a value filter against one complex
// attribute. It reports the attribute as multi-valued even for manager, so
// that filter.Check accepts Entra's manager[value eq "id"].
type elemResolver struct{ a *schema.Attribute }

// Resolve implements filter.Resolver.
func (r elemResolver) Resolve(p filter.AttrPath) (filter.AttrInfo, error) {
	if p.URN != "" || !strings.EqualFold(p.Name, r.a.Name) {
		return filter.AttrInfo{}, fmt.Errorf("unknown attribute %q", p.String())
	}
	if p.Sub == "" {
		return filter.AttrInfo{Type: string(r.a.Type), MultiValued: true, CaseExact: r.a.CaseExact}, nil
	}
	s := r.a.SubAttribute(p.Sub)
	if s == nil {
		names := make([]string, len(r.a.SubAttributes))
		for i, x := range r.a.SubAttributes {
			names[i] = x.Name
		}
		return filter.AttrInfo{}, fmt.Errorf("%q has no sub-attribute %q; its sub-attributes are %s",
			r.a.Name, p.Sub, strings.Join(names, ", "))
	}
	return filter.AttrInfo{Type: string(s.Type), MultiValued: s.MultiValued, CaseExact: s.CaseExact}, nil
}

// valuePath returns t's filter as an expression over a one-attribute
// resource {attr.Name: [elements]}.
func (t target) valuePath() *filter.ValuePath {
	return &filter.ValuePath{Path: filter.AttrPath{Name: t.attr.Name}, Filter: t.filter}
}

// checkFilter validates t's value filter against the attribute's
// sub-attributes. A filter that parses but does not fit the schema (an
// unknown sub-attribute, a string compared with a boolean) is
// invalidFilter, RFC 7644 §3.12's keyword for "the specified filter syntax
// was invalid ... or the specified attribute and filter comparison
// combination is not supported".
func checkFilter(t target) error {
	if err := filter.Check(t.valuePath(), elemResolver{t.attr}); err != nil {
		return errorf(schema.ScimTypeInvalidFilter, "%s", err.Error())
	}
	return nil
}

// matches returns the indexes of the elements of elems that satisfy t's
// filter. The filter has been checked by resolvePath.
func (t target) matches(elems []any) []int {
	var idx []int
	vp, r := t.valuePath(), elemResolver{t.attr}
	for i, el := range elems {
		if ok, err := filter.Match(vp, map[string]any{t.attr.Name: []any{el}}, r); err == nil && ok {
			idx = append(idx, i)
		}
	}
	return idx
}

// typeEqLiteral returns "work" when t's filter is exactly `type eq "work"`
// on a multi-valued attribute with a "type" sub-attribute: the only filter
// for which an add or replace that matches nothing creates the element
// (Entra ID; see the package documentation).
func (t target) typeEqLiteral() (string, bool) {
	c, ok := t.filter.(*filter.Compare)
	if !ok || c == nil || !t.attr.MultiValued || t.attr.SubAttribute("type") == nil {
		return "", false
	}
	if c.Path.URN != "" || c.Path.Sub != "" || !strings.EqualFold(c.Path.Name, "type") ||
		c.Op != filter.OpEq || c.Value.Kind != filter.KindString || c.Value.Str == "" {
		return "", false
	}
	return c.Value.Str, true
}
