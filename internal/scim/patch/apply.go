package patch

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/scim/schema"
)

// Apply applies ops in order to a copy of res and returns the patched
// resource (RFC 7644 §3.5.2). It is atomic: when an operation fails, Apply
// returns that error (naming the operation) and no result; res is never
// modified either way.
//
// res is a resource of type rt as produced by rt.Decode or rt.DecodeMap,
// optionally with the readOnly attributes the server keeps (id, meta,
// groups, manager.displayName). The result is validated by decoding it
// through rt.DecodeMap, so it is always a valid resource in canonical form
// ("schemas" lists the extensions that have data); readOnly attributes of
// res are carried over unchanged, readOnly sub-attributes of complex
// values only while the value they belong to is unchanged. The id of res,
// when present, is what an "id" inside a pathless value is compared with.
//
// The operation semantics, the choices made where RFC 7644 is silent and
// the Okta and Entra ID tolerances are described in the package
// documentation. Errors caused by the operations are *schema.Error. An
// error of another type means res itself does not decode (a server-side
// problem, not the client's).
func Apply(rt *schema.ResourceType, res schema.Resource, ops []Operation) (schema.Resource, error) {
	if rt == nil {
		return nil, errors.New("patch: Apply called with a nil ResourceType")
	}
	base, err := normalize(rt, res)
	if err != nil {
		return nil, fmt.Errorf("patch: the stored %s resource does not decode: %v", rt.Name, err)
	}
	e := &engine{rt: rt, res: copyMap(base), id: getFold(res, "id")}
	for i, op := range ops {
		if err := e.apply(op); err != nil {
			return nil, inOperation(err, i, op)
		}
	}
	out, err := rt.DecodeMap(e.withSchemas())
	if err != nil {
		return nil, err
	}
	restore(rt, res, base, out)
	return out, nil
}

// normalize decodes a copy of res through rt, which yields canonical names
// and values without the readOnly attributes.
func normalize(rt *schema.ResourceType, res schema.Resource) (schema.Resource, error) {
	m := make(map[string]any, len(res)+1)
	for k, v := range res {
		m[k] = v
	}
	if getFold(m, "schemas") == nil {
		for k := range m {
			if strings.EqualFold(k, "schemas") {
				delete(m, k)
			}
		}
		m["schemas"] = []any{rt.Schema}
	}
	return rt.DecodeStored(m)
}

// restore copies into out what DecodeMap drops but the server keeps: the
// readOnly attributes of orig, and the original value (with its readOnly
// sub-attributes, such as manager.displayName) of every complex attribute
// whose value the operations left unchanged.
func restore(rt *schema.ResourceType, orig, base, out schema.Resource) {
	for _, k := range slices.Sorted(maps.Keys(orig)) {
		v := orig[k]
		if v == nil || strings.EqualFold(k, "schemas") {
			continue
		}
		if s := rt.SchemaFor(k); s != nil && !strings.EqualFold(s.ID, rt.Schema) {
			src, ok := asObject(v)
			dst, ok2 := out[s.ID].(map[string]any)
			if !ok || !ok2 {
				continue
			}
			baseExt, _ := base[s.ID].(map[string]any)
			for _, ek := range slices.Sorted(maps.Keys(src)) {
				if a := s.Attribute(ek); a != nil {
					restoreOne(a, src[ek], baseExt[a.Name], dst)
				}
			}
			continue
		}
		if a, _, err := rt.Lookup("", k, ""); err == nil && a != nil {
			restoreOne(a, v, base[a.Name], out)
		}
	}
}

func restoreOne(a *schema.Attribute, orig, base any, dst map[string]any) {
	if orig == nil {
		return
	}
	if a.Mutability == schema.MutabilityReadOnly {
		dst[a.Name] = deepCopy(orig)
		return
	}
	if !hasReadOnlySub(a) {
		return
	}
	if cur, ok := dst[a.Name]; ok && reflect.DeepEqual(cur, base) {
		dst[a.Name] = deepCopy(orig)
	}
}

func hasReadOnlySub(a *schema.Attribute) bool {
	return slices.ContainsFunc(a.SubAttributes, func(s *schema.Attribute) bool {
		return s.Mutability == schema.MutabilityReadOnly
	})
}

// engine applies operations to a working copy of a normalized resource.
// Values stored in it are always normalized by Attribute.Coerce, so they
// can be compared with reflect.DeepEqual.
type engine struct {
	rt  *schema.ResourceType
	res map[string]any
	id  any // the resource's id, or nil when the caller did not include it
}

// withSchemas returns the working copy with "schemas" listing the core
// schema and every extension, ready for DecodeMap (which keeps only the
// extensions that have data).
func (e *engine) withSchemas() map[string]any {
	schemas := []any{e.rt.Schema}
	for _, x := range e.rt.Extensions {
		schemas = append(schemas, x.Schema)
	}
	e.res["schemas"] = schemas
	return e.res
}

// prologue does what every operation needs first, on users and groups
// alike: the op name in canonical case, the path trimmed, operations on
// "schemas" checked and done (the schemas follow the data), and a remove
// without a path refused. done reports that nothing is left to apply.
func prologue(op Operation) (Operation, string, bool, error) {
	name, err := opName(op.Op)
	if err != nil {
		return op, "", true, err
	}
	op.Op = name
	path := strings.TrimSpace(op.Path)
	if isSchemasPath(path) {
		return op, path, true, checkSchemasValue(op)
	}
	if path == "" && op.Op == OpRemove {
		return op, path, true, errorf(schema.ScimTypeNoTarget, "\"remove\" needs a \"path\" naming what to remove (RFC 7644 §3.5.2.2)")
	}
	return op, path, false, nil
}

func (e *engine) apply(op Operation) error {
	op, path, done, err := prologue(op)
	if done || err != nil {
		return err
	}
	if path == "" {
		return e.pathless(op.Op, op.Value, "")
	}
	t, err := resolvePath(e.rt, path)
	if err != nil {
		return err
	}
	if t.core {
		if op.Op == OpRemove {
			return errorf(schema.ScimTypeInvalidPath, "the core schema %q cannot be removed; name the attributes to remove", t.urn)
		}
		return e.pathless(op.Op, op.Value, "")
	}
	return e.do(op.Op, t, op.Value)
}

// opName returns the canonical spelling of an operation name. Decode
// already lower-cases it; Apply and PlanGroup accept any case too, for
// operations built by other code.
func opName(op string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(op))
	switch name {
	case OpAdd, OpReplace, OpRemove:
		return name, nil
	}
	return "", errorf(schema.ScimTypeInvalidSyntax, "unknown op %q; use \"add\", \"replace\" or \"remove\"", clip(op))
}

// isSchemasPath reports whether path is "schemas", which is not an
// attribute of any schema but the list of the resource's schemas.
func isSchemasPath(path string) bool { return strings.EqualFold(path, "schemas") }

// checkSchemasValue accepts an operation on "schemas" without applying it:
// this package maintains "schemas" from the data (an extension URN is
// listed exactly when the extension has attributes), so a client adding
// the Enterprise User URN changes nothing. The value of an add or replace
// must still be an array of strings.
func checkSchemasValue(op Operation) error {
	if op.Op == OpRemove {
		return nil
	}
	l, ok := op.Value.([]any)
	if ok {
		for _, el := range l {
			if _, isStr := el.(string); !isStr {
				ok = false
			}
		}
	}
	if !ok {
		return errorf(schema.ScimTypeInvalidValue, "\"schemas\" must be an array of schema URNs, got %s", jsonKind(op.Value))
	}
	return nil
}

// pathless applies an add or replace whose value is an object of
// attributes: the operation has no path (RFC 7644 §3.5.2.1, §3.5.2.3), or
// its path names a whole schema (scope is then the extension URN, or ""
// for the core schema). Each member is applied as if it were the path,
// so dotted ("name.givenName") and URN-qualified names work as Entra ID
// sends them. "schemas" is ignored (this package maintains it), also in the
// value of an extension path, and so are
// readOnly attributes, as in a PUT (RFC 7644 §3.5.1), except that an "id"
// different from the resource's own is a mutability error.
func (e *engine) pathless(op string, v any, scope string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		what := "without a \"path\""
		if scope != "" {
			what = fmt.Sprintf("on %q", scope)
		}
		return errorf(schema.ScimTypeInvalidValue, "%q %s needs a \"value\" object holding the attributes to change, got %s", op, what, jsonKind(v))
	}
	type member struct {
		key string
		t   target
	}
	var members []member
	seen := make(map[string]string)
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		if strings.EqualFold(k, "schemas") {
			// Maintained from the data, at the top level and inside an
			// extension's value alike (clients copy the resource's own).
			continue
		}
		t, err := resolveKey(e.rt, k, scope)
		if err != nil {
			return err
		}
		if t.attr != nil && (t.attr.Mutability == schema.MutabilityReadOnly ||
			(t.sub != nil && t.sub.Mutability == schema.MutabilityReadOnly)) {
			if t.sub == nil && !t.ext && strings.EqualFold(t.attr.Name, "id") && e.id != nil && obj[k] != nil && !reflect.DeepEqual(obj[k], e.id) {
				return errorf(schema.ScimTypeMutability, "\"id\" is readOnly; the value names a different resource than the one being patched")
			}
			continue
		}
		if prev, dup := seen[t.key()]; dup {
			return errorf(schema.ScimTypeInvalidSyntax, "the value names %s twice (as %q and %q); attribute names are case-insensitive", t.quoted(), prev, k)
		}
		seen[t.key()] = k
		members = append(members, member{k, t})
	}
	slices.SortStableFunc(members, func(a, b member) int { return a.t.rank() - b.t.rank() })
	for _, m := range members {
		var err error
		if m.t.core {
			err = e.pathless(op, obj[m.key], "")
		} else {
			err = e.do(op, m.t, obj[m.key])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// do applies one operation to a resolved target.
func (e *engine) do(op string, t target, v any) error {
	if t.whole {
		return e.wholeExtension(op, t, v)
	}
	if t.attr.Mutability == schema.MutabilityReadOnly || (t.sub != nil && t.sub.Mutability == schema.MutabilityReadOnly) {
		return errorf(schema.ScimTypeMutability, "%s is readOnly: the service provider sets it and clients cannot %s it", t.quoted(), op)
	}
	switch {
	case t.filter != nil:
		return e.filtered(op, t, v)
	case t.sub != nil:
		return e.subAttribute(op, t, v)
	case t.attr.MultiValued:
		return e.multi(op, t, v)
	case t.attr.Type == schema.TypeComplex:
		return e.complex(op, t, v)
	}
	return e.simple(op, t, v)
}

// wholeExtension handles a path that is an extension URN: add and replace
// apply each member of the value to the extension's attributes; remove
// unassigns the whole extension.
func (e *engine) wholeExtension(op string, t target, v any) error {
	if op == OpRemove || (op == OpReplace && isEmpty(v)) {
		if op == OpRemove && v != nil {
			return errorf(schema.ScimTypeInvalidValue, "\"remove\" of the extension %q takes no value; name an attribute in the path to remove only some values", t.urn)
		}
		ext, _ := e.res[t.urn].(map[string]any)
		if s := e.rt.SchemaFor(t.urn); s != nil {
			for _, a := range s.Attributes {
				if ext[a.Name] != nil && (a.Required || a.Mutability == schema.MutabilityImmutable) {
					return errorf(schema.ScimTypeMutability, "the extension %q cannot be removed: its attribute %q is %s", t.urn, a.Name, requiredOrImmutable(a))
				}
			}
		}
		delete(e.res, t.urn)
		return nil
	}
	if v == nil {
		return nil // add of nothing
	}
	return e.pathless(op, v, t.urn)
}

func requiredOrImmutable(a *schema.Attribute) string {
	if a.Required {
		return "required"
	}
	return "immutable"
}

// container returns the map that holds t.attr: the resource itself or the
// extension object, created when create is set.
func (e *engine) container(t target, create bool) map[string]any {
	if !t.ext {
		return e.res
	}
	m, ok := e.res[t.urn].(map[string]any)
	if !ok && create {
		m = map[string]any{}
		e.res[t.urn] = m
	}
	return m
}

func (e *engine) get(t target) any {
	if c := e.container(t, false); c != nil {
		return c[t.attr.Name]
	}
	return nil
}

// set stores the normalized value v of t.attr; nil or an empty list
// unassigns it (with the checks of clear).
func (e *engine) set(t target, v any) error {
	if l, ok := v.([]any); ok && len(l) == 0 {
		v = nil
	}
	if v == nil {
		return e.clear(t)
	}
	cur := e.get(t)
	if t.attr.Mutability == schema.MutabilityImmutable && cur != nil && !reflect.DeepEqual(cur, v) {
		return errorf(schema.ScimTypeMutability, "%s is immutable: it may be set while unassigned but not changed", t.quoted())
	}
	e.container(t, true)[t.attr.Name] = v
	return nil
}

// clear unassigns t.attr. A required or immutable attribute that has a
// value cannot be unassigned (RFC 7644 §3.5.2.2: mutability). An attribute
// with an Unassigned reading gets that value written instead of being
// deleted, so that whoever reads the result (the store's "active" column
// defaults to true for a new user) sees what unassigned means: a removal
// never grants anything.
func (e *engine) clear(t target) error {
	c := e.container(t, false)
	if c == nil || c[t.attr.Name] == nil {
		return nil
	}
	switch {
	case t.attr.Required:
		return errorf(schema.ScimTypeMutability, "%s is required; it cannot be removed or set to an empty value", t.quoted())
	case t.attr.Mutability == schema.MutabilityImmutable:
		return errorf(schema.ScimTypeMutability, "%s is immutable; it cannot be removed once set", t.quoted())
	}
	if t.attr.Unassigned != nil {
		c[t.attr.Name] = t.attr.Unassigned
		return nil
	}
	delete(c, t.attr.Name)
	if t.ext && len(c) == 0 {
		delete(e.res, t.urn)
	}
	return nil
}

// simple handles a single-valued attribute that is not complex.
func (e *engine) simple(op string, t target, v any) error {
	if op == OpRemove {
		if v != nil {
			nv, err := t.attr.Coerce(v)
			if err != nil {
				return err
			}
			if !sameValue(t.attr, e.get(t), nv) {
				return nil
			}
		}
		return e.clear(t)
	}
	if isEmpty(v) {
		return e.clear(t)
	}
	nv, err := t.attr.Coerce(v)
	if err != nil {
		return err
	}
	return e.set(t, nv)
}

// complex handles a single-valued complex attribute (name, manager).
// RFC 7644 §3.5.2.1 and §3.5.2.3: the value is a set of sub-attributes that
// replace existing ones or are added; sub-attributes not in the value are
// left unchanged.
func (e *engine) complex(op string, t target, v any) error {
	cur, _ := e.get(t).(map[string]any)
	if t.isManager() {
		var err error
		if v, err = managerValue(v); err != nil {
			return err
		}
	}
	if op == OpRemove {
		if v != nil && cur != nil {
			ok, err := contains(t.attr, cur, v)
			if err != nil || !ok {
				return err
			}
		}
		return e.clear(t)
	}
	if v == nil {
		return e.clear(t)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		_, err := t.attr.CoerceElement(v) // reports the type mismatch
		if err == nil {
			err = errorf(schema.ScimTypeInvalidValue, "%s: expected an object", t.quoted())
		}
		return err
	}
	if len(obj) == 0 {
		if op == OpReplace {
			return e.clear(t)
		}
		return nil
	}
	if t.isManager() && !isEmpty(getFold(obj, "value")) {
		// A new manager is a new reference: its $ref and displayName
		// must not survive from the previous manager.
		cur = nil
	}
	nv, err := merge(t.attr, cur, obj)
	if err != nil {
		return err
	}
	return e.set(t, nilIfEmpty(nv))
}

// managerValue turns the shapes Entra ID sends for manager into the RFC
// 7643 §4.3 object: a bare id string, a one-element array (Microsoft's
// SCIM tutorial), and empty values ("", [], {}, {"value": ""}), which
// mean "no manager" and become nil.
func managerValue(v any) (any, error) {
	if l, ok := v.([]any); ok {
		switch len(l) {
		case 0:
			return nil, nil
		case 1:
			v = l[0]
		default:
			return nil, errorf(schema.ScimTypeInvalidValue, "attribute %q is single-valued; send one manager, not %d", "manager", len(l))
		}
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil, nil
		}
		return map[string]any{"value": x}, nil
	case map[string]any:
		if len(x) == 0 {
			return nil, nil
		}
		for k, val := range x {
			if strings.EqualFold(k, "value") && isEmpty(val) {
				return nil, nil
			}
		}
	}
	return v, nil
}

// multi handles a multi-valued attribute without filter or sub-attribute.
func (e *engine) multi(op string, t target, v any) error {
	cur, _ := e.get(t).([]any)
	switch op {
	case OpRemove:
		if v == nil {
			return e.clear(t) // RFC 7644 §3.5.2.2: all values are removed
		}
		// Remove only the listed values (Entra ID's member removal shape,
		// generalised; see the package documentation).
		drop := make([]bool, len(cur))
		for _, want := range listOf(v) {
			for i, el := range cur {
				ok, err := contains(t.attr, el, want)
				if err != nil {
					return err
				}
				drop[i] = drop[i] || ok
			}
		}
		return e.set(t, without(cur, drop))
	case OpReplace:
		if isEmpty(v) {
			return e.clear(t)
		}
		nv, err := t.attr.Coerce(v)
		if err != nil {
			return err
		}
		return e.set(t, nv)
	}
	if isEmpty(v) {
		return nil // nothing to add
	}
	nv, err := t.attr.Coerce(v)
	if err != nil {
		return err
	}
	add, _ := nv.([]any)
	out := slices.Clone(cur)
	var touched []int
	for _, el := range add {
		// RFC 7644 §3.5.2.1: a value already present is not added again.
		if slices.ContainsFunc(out, func(x any) bool { return equalValue(t.attr, x, el) }) {
			continue
		}
		out = append(out, el)
		if isPrimary(el) {
			touched = append(touched, len(out)-1)
		}
	}
	if err := settlePrimary(t, out, touched); err != nil {
		return err
	}
	return e.set(t, out)
}

// subAttribute handles attr.sub without a filter: name.givenName,
// manager.value, or emails.display (every element of a multi-valued
// attribute).
func (e *engine) subAttribute(op string, t target, v any) error {
	if !t.attr.MultiValued {
		cur, _ := e.get(t).(map[string]any)
		nv, changed, err := setSub(t, cur, op, v)
		if err != nil || !changed {
			return err
		}
		return e.set(t, nilIfEmpty(nv))
	}
	cur, _ := e.get(t).([]any)
	if len(cur) == 0 {
		if op == OpRemove {
			return nil
		}
		return errorf(schema.ScimTypeNoTarget, "%q has no values whose %q could be set; add whole values with the path %q",
			t.attr.Name, t.sub.Name, t.attr.Name)
	}
	all := make([]int, len(cur))
	for i := range all {
		all[i] = i
	}
	return e.updateElements(op, t, cur, all, v)
}

// filtered handles a path with a value filter.
func (e *engine) filtered(op string, t target, v any) error {
	if !t.attr.MultiValued {
		// manager[value eq "id"] (Entra ID): the filter selects the
		// single value or nothing.
		cur, _ := e.get(t).(map[string]any)
		if cur == nil || len(t.matches([]any{cur})) == 0 {
			if op == OpRemove {
				return nil
			}
			return errorf(schema.ScimTypeNoTarget, "the value of %q does not match the filter %s", t.attr.Name, t.filter.String())
		}
		t.filter = nil
		return e.do(op, t, v)
	}
	cur, _ := e.get(t).([]any)
	idx := t.matches(cur)
	if len(idx) == 0 {
		if op == OpRemove {
			return nil // nothing matched: nothing to remove
		}
		if lit, ok := t.typeEqLiteral(); ok && t.sub != nil {
			return e.createTyped(t, cur, lit, v)
		}
		return errorf(schema.ScimTypeNoTarget, "no value of %q matches the filter %s (RFC 7644 §3.5.2.3)", t.attr.Name, t.filter.String())
	}
	if t.sub != nil {
		return e.updateElements(op, t, cur, idx, v)
	}
	out := slices.Clone(cur)
	var touched []int
	switch op {
	case OpRemove:
		drop := make([]bool, len(out))
		for _, i := range idx {
			drop[i] = true
		}
		return e.set(t, without(out, drop))
	case OpReplace:
		// RFC 7644 §3.5.2.3: "all matching record values SHALL be
		// replaced" — each matching value is replaced as a whole.
		var nv any
		if !isEmpty(v) {
			var err error
			if nv, err = t.attr.CoerceElement(v); err != nil {
				return err
			}
		}
		drop := make([]bool, len(out))
		for _, i := range idx {
			if nv == nil {
				drop[i] = true
				continue
			}
			if err := checkImmutableSubs(t, out[i], nv); err != nil {
				return err
			}
			out[i] = deepCopy(nv)
			if isPrimary(nv) {
				touched = append(touched, i)
			}
		}
		out = without(out, drop)
	default: // add: merge the sub-attributes into each matching value
		obj, ok := v.(map[string]any)
		if !ok {
			if isEmpty(v) {
				return nil
			}
			_, err := t.attr.CoerceElement(v)
			if err == nil {
				err = errorf(schema.ScimTypeInvalidValue, "%s: expected an object", t.quoted())
			}
			return err
		}
		for _, i := range idx {
			el, _ := out[i].(map[string]any)
			nv, err := merge(t.attr, el, obj)
			if err != nil {
				return err
			}
			out[i] = nv
			if isPrimary(nv) && truthy(getFold(obj, "primary")) {
				touched = append(touched, i)
			}
		}
		out = without(out, nilElements(out))
	}
	if err := settlePrimary(t, out, touched); err != nil {
		return err
	}
	return e.set(t, out)
}

// createTyped implements Entra ID's add (and replace) of
// `emails[type eq "work"].value` when the user has no work email: the
// element {"type": "work", "value": v} is created instead of failing
// with noTarget. An empty value creates nothing.
func (e *engine) createTyped(t target, cur []any, typ string, v any) error {
	if isEmpty(v) {
		return nil
	}
	typeAttr := t.attr.SubAttribute("type")
	el := map[string]any{typeAttr.Name: typ}
	el[t.sub.Name] = v
	nv, err := t.attr.CoerceElement(el)
	if err != nil {
		return err
	}
	if nv == nil {
		return nil
	}
	out := append(slices.Clone(cur), nv)
	var touched []int
	if isPrimary(nv) {
		touched = []int{len(out) - 1}
	}
	if err := settlePrimary(t, out, touched); err != nil {
		return err
	}
	return e.set(t, out)
}

// updateElements sets (add, replace) or unassigns (remove) t.sub in the
// elements idx of cur, then stores the attribute. Elements left with no
// sub-attributes are dropped.
func (e *engine) updateElements(op string, t target, cur []any, idx []int, v any) error {
	out := slices.Clone(cur)
	var touched []int
	for _, i := range idx {
		el, _ := out[i].(map[string]any)
		nv, changed, err := setSub(t, el, op, v)
		if err != nil {
			return err
		}
		if !changed {
			continue
		}
		out[i] = nv
		if op != OpRemove && strings.EqualFold(t.sub.Name, "primary") && isPrimary(nv) {
			touched = append(touched, i)
		}
	}
	out = without(out, nilElements(out))
	if err := settlePrimary(t, out, touched); err != nil {
		return err
	}
	return e.set(t, out)
}

// setSub returns el with t.sub set to v (add, replace; an empty v
// unassigns it) or unassigned (remove; when v is given, only if the
// current value equals it). changed is false when nothing was to be done.
// The result is normalized, or nil when no sub-attribute is left.
func setSub(t target, el map[string]any, op string, v any) (any, bool, error) {
	if op == OpRemove {
		old := el[t.sub.Name]
		if old == nil {
			return el, false, nil
		}
		if v != nil {
			nv, err := t.sub.Coerce(v)
			if err != nil {
				return nil, false, err
			}
			if !sameValue(t.sub, old, nv) {
				return el, false, nil
			}
		}
		v = nil
	}
	if el == nil && isEmpty(v) {
		return nil, false, nil
	}
	if t.isManager() && strings.EqualFold(t.sub.Name, "value") && !isEmpty(v) {
		if nv, err := t.sub.Coerce(v); err == nil && !reflect.DeepEqual(nv, el[t.sub.Name]) {
			el = nil // a different manager: drop the old $ref
		}
	}
	nv, err := merge(t.attr, el, map[string]any{t.sub.Name: v})
	if err != nil {
		return nil, false, err
	}
	return nv, true, nil
}

// merge returns cur with the sub-attributes of obj applied: an empty
// value (null, "", [], {}) unassigns the sub-attribute, readOnly
// sub-attributes are ignored (RFC 7644 §3.5.1 treats them so in PUT), and
// everything is validated and normalized by CoerceElement. It returns nil
// when no sub-attribute is left. A required sub-attribute cannot be
// unassigned and an immutable one cannot be changed (mutability).
func merge(a *schema.Attribute, cur, obj map[string]any) (any, error) {
	merged := copyMap(cur)
	if merged == nil {
		merged = make(map[string]any, len(obj))
	}
	seen := make(map[*schema.Attribute]string, len(obj))
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		s := a.SubAttribute(k)
		if s == nil {
			_, err := a.CoerceElement(map[string]any{k: obj[k]})
			if err == nil {
				err = errorf(schema.ScimTypeInvalidSyntax, "attribute %q has no sub-attribute %q", a.Name, clip(k))
			}
			return nil, err
		}
		if prev, dup := seen[s]; dup {
			return nil, errorf(schema.ScimTypeInvalidSyntax, "sub-attribute %q of %q is given twice (as %q and %q); names are case-insensitive", s.Name, a.Name, prev, k)
		}
		seen[s] = k
		if s.Mutability == schema.MutabilityReadOnly {
			continue
		}
		if isEmpty(obj[k]) {
			if s.Required && merged[s.Name] != nil {
				return nil, errorf(schema.ScimTypeMutability, "sub-attribute %q of %q is required; it cannot be removed or set to an empty value", s.Name, a.Name)
			}
			delete(merged, s.Name)
			continue
		}
		merged[s.Name] = obj[k]
	}
	if len(merged) == 0 {
		return nil, nil
	}
	nv, err := a.CoerceElement(merged)
	if err != nil {
		return nil, err
	}
	if err := checkImmutableSubs(target{attr: a}, cur, nv); err != nil {
		return nil, err
	}
	return nv, nil
}

// checkImmutableSubs reports a mutability error when replacing the
// complex value old by nv would change an immutable sub-attribute that
// has a value (RFC 7643 §2.2: immutable values may be set once).
func checkImmutableSubs(t target, old, nv any) error {
	o, _ := old.(map[string]any)
	n, _ := nv.(map[string]any)
	for _, s := range t.attr.SubAttributes {
		if s.Mutability != schema.MutabilityImmutable || o[s.Name] == nil {
			continue
		}
		if !reflect.DeepEqual(o[s.Name], n[s.Name]) {
			return errorf(schema.ScimTypeMutability, "sub-attribute %q of %q is immutable; remove the value and add a new one instead", s.Name, t.attr.Name)
		}
	}
	return nil
}

// settlePrimary implements RFC 7644 §3.5.2: when an operation sets
// "primary" to true on one value, "primary" becomes false on the others.
// An operation that would make several values primary is invalidValue
// (RFC 7643 §2.4: the primary value "MUST appear no more than once").
func settlePrimary(t target, elems []any, touched []int) error {
	switch len(touched) {
	case 0:
		return nil
	case 1:
	default:
		return errorf(schema.ScimTypeInvalidValue, "the operation would make %d values of %q primary; at most one value may be primary (RFC 7643 §2.4)", len(touched), t.attr.Name)
	}
	for i, el := range elems {
		if m, ok := el.(map[string]any); ok && i != touched[0] && m["primary"] == true {
			c := copyMap(m)
			c["primary"] = false
			elems[i] = c
		}
	}
	return nil
}

// contains reports whether the value have includes want: for complex
// values, every sub-attribute given in want has the same value in have;
// for simple values, the two are equal (ignoring case when the attribute
// is not caseExact). It serves remove operations that carry a value.
func contains(a *schema.Attribute, have, want any) (bool, error) {
	nv, err := a.CoerceElement(want)
	if err != nil || nv == nil {
		return false, err
	}
	if a.Type != schema.TypeComplex {
		return sameValue(a, have, nv), nil
	}
	h, _ := have.(map[string]any)
	w, _ := nv.(map[string]any)
	if h == nil {
		return false, nil
	}
	for k, wv := range w {
		s := a.SubAttribute(k)
		if s == nil || !sameValue(s, h[k], wv) {
			return false, nil
		}
	}
	return true, nil
}

// equalValue reports whether two normalized values of a (one element when
// a is multi-valued) are the same value: complex values have the same
// sub-attributes with the same values, compared as sameValue does.
func equalValue(a *schema.Attribute, x, y any) bool {
	if a.Type != schema.TypeComplex {
		return sameValue(a, x, y)
	}
	xm, ok1 := x.(map[string]any)
	ym, ok2 := y.(map[string]any)
	if !ok1 || !ok2 || len(xm) != len(ym) {
		return false
	}
	for k, xv := range xm {
		yv, ok := ym[k]
		s := a.SubAttribute(k)
		if !ok || s == nil || !sameValue(s, xv, yv) {
			return false
		}
	}
	return true
}

// sameValue compares two normalized values of a.
func sameValue(a *schema.Attribute, x, y any) bool {
	xs, ok1 := x.(string)
	ys, ok2 := y.(string)
	if ok1 && ok2 && !a.CaseExact && (a.Type == schema.TypeString || a.Type == schema.TypeReference) {
		return strings.EqualFold(xs, ys)
	}
	return reflect.DeepEqual(x, y)
}

// isEmpty reports whether v means "unassigned" in a PATCH value: null, the
// empty string, an empty array or an empty object. Entra ID sends null
// and "" to clear attributes.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func isPrimary(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["primary"] == true
}

// truthy reports whether a raw PATCH value is true, as a boolean or as the
// strings Entra ID sends.
func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// listOf returns v as a list of values: an array, or v alone.
func listOf(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// without returns the elements of l whose drop flag is not set.
func without(l []any, drop []bool) []any {
	out := make([]any, 0, len(l))
	for i, el := range l {
		if i < len(drop) && drop[i] {
			continue
		}
		out = append(out, el)
	}
	return out
}

// nilElements flags the nil elements of l.
func nilElements(l []any) []bool {
	drop := make([]bool, len(l))
	for i, el := range l {
		drop[i] = el == nil
	}
	return drop
}

// nilIfEmpty turns an empty map into nil.
func nilIfEmpty(v any) any {
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return nil
	}
	return v
}

// getFold returns m's value for key, preferring the exact key and
// otherwise the smallest key equal to it ignoring case.
func getFold[M ~map[string]any](m M, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	best, found := "", false
	for k := range m {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return nil
	}
	return m[best]
}

func asObject(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case schema.Resource:
		return x, true
	}
	return nil, false
}

// copyMap returns a deep copy of m (nil for nil).
func copyMap[M ~map[string]any](m M) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// deepCopy copies JSON-shaped data so that the copy shares no maps or
// slices with v.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyMap(x)
	case schema.Resource:
		return copyMap(x)
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = deepCopy(el)
		}
		return out
	}
	return v
}
