package filter

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// coreURNPrefix starts the URNs of the IETF core schemas (User, Group,
// ...), whose attributes live at the top level of a resource.
const coreURNPrefix = "urn:ietf:params:scim:schemas:core:"

// Match evaluates e against a resource given as decoded JSON
// (map[string]any, numbers as json.Number or float64; Go integer types and
// time.Time values are accepted too). It first runs Check and returns its
// error, so an invalid filter never silently matches nothing.
//
// Attribute names in the resource are matched case-insensitively (an exact
// match wins; among keys differing only in case the smallest is used).
// Extension attributes live under their schema URN key (e.g.
// res["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"]);
// core attributes may be addressed with or without the core URN: a path
// whose URN has no object under its key in the resource is looked up at the
// top level when the URN starts with "urn:ietf:params:scim:schemas:core:",
// and is absent otherwise.
//
// The semantics of ne, null, pr, case folding and multi-valued attributes
// are described in the package documentation.
func Match(e Expr, res map[string]any, r Resolver) (bool, error) {
	if err := Check(e, r); err != nil {
		return false, err
	}
	m := &matcher{checker: checker{root: e, r: r}, res: res}
	return m.eval(e, nil, nil)
}

// matcher evaluates a checked expression against one resource.
type matcher struct {
	checker
	res map[string]any
}

// eval evaluates e. Inside a ValuePath, scope is the outer attribute and
// elem the element being tested.
func (m *matcher) eval(e Expr, scope *AttrPath, elem map[string]any) (bool, error) {
	switch x := e.(type) {
	case *And:
		ok, err := m.eval(x.Left, scope, elem)
		if err != nil || !ok {
			return false, err
		}
		return m.eval(x.Right, scope, elem)
	case *Or:
		ok, err := m.eval(x.Left, scope, elem)
		if err != nil || ok {
			return ok, err
		}
		return m.eval(x.Right, scope, elem)
	case *Not:
		ok, err := m.eval(x.Expr, scope, elem)
		return !ok && err == nil, err
	case *Present:
		q, _, err := m.resolve(x.Path, scope)
		if err != nil {
			return false, err
		}
		return anyPresent(m.values(q, elem)), nil
	case *Compare:
		q, info, err := m.compareTarget(x, scope)
		if err != nil {
			return false, err
		}
		vals := m.values(q, elem)
		switch {
		case x.Value.Kind == KindNull:
			return anyPresent(vals) == (x.Op == OpNe), nil
		case x.Op == OpNe:
			return !anyMatch(vals, OpEq, x.Value, info), nil
		}
		return anyMatch(vals, x.Op, x.Value, info), nil
	case *ValuePath:
		outer := x.Path
		for _, el := range elements(m.raw(outer)) {
			obj, ok := el.(map[string]any)
			if !ok {
				continue
			}
			ok, err := m.eval(x.Filter, &outer, obj)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
	// Unreachable after Check.
	return false, m.errf(nil, "unsupported expression type %T", e)
}

// raw returns the value of the attribute q.Name (ignoring q.Sub) in the
// resource, or nil.
func (m *matcher) raw(q AttrPath) any {
	container := m.res
	if q.URN != "" {
		if ext, ok := getFold(m.res, q.URN).(map[string]any); ok {
			container = ext
		} else if len(q.URN) < len(coreURNPrefix) || !strings.EqualFold(q.URN[:len(coreURNPrefix)], coreURNPrefix) {
			return nil
		}
	}
	return getFold(container, q.Name)
}

// values returns the non-null values at q: the elements of a multi-valued
// attribute, and the sub-attribute of every element for q.Sub. Inside a
// ValuePath (elem != nil) q.Sub is looked up in elem.
func (m *matcher) values(q AttrPath, elem map[string]any) []any {
	if elem != nil {
		return elements(getFold(elem, q.Sub))
	}
	v := m.raw(q)
	if q.Sub == "" {
		return elements(v)
	}
	var out []any
	for _, el := range elements(v) {
		if obj, ok := el.(map[string]any); ok {
			out = append(out, elements(getFold(obj, q.Sub))...)
		}
	}
	return out
}

// elements returns the non-null members of an array, or v itself.
func elements(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]any, 0, len(t))
		for _, el := range t {
			if el != nil {
				out = append(out, el)
			}
		}
		return out
	case []map[string]any:
		out := make([]any, 0, len(t))
		for _, el := range t {
			if el != nil {
				out = append(out, el)
			}
		}
		return out
	case []string:
		out := make([]any, len(t))
		for i, el := range t {
			out[i] = el
		}
		return out
	}
	return []any{v}
}

// getFold returns obj[key], matching key case-insensitively. An exact match
// wins; otherwise the smallest of the keys equal under case folding, so the
// result does not depend on map iteration order.
func getFold(obj map[string]any, key string) any {
	if v, ok := obj[key]; ok {
		return v
	}
	best, found := "", false
	for k := range obj {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}
	if !found {
		return nil
	}
	return obj[best]
}

func anyPresent(vals []any) bool {
	for _, v := range vals {
		if present(v) {
			return true
		}
	}
	return false
}

// present reports whether v has a value in the sense of "pr".
func present(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case string:
		return t != ""
	case []any:
		return anyPresent(t)
	case map[string]any:
		for _, el := range t {
			if present(el) {
				return true
			}
		}
		return false
	}
	return true
}

func anyMatch(vals []any, op Op, lit Value, info AttrInfo) bool {
	for _, v := range vals {
		if matchOne(v, op, lit, info) {
			return true
		}
	}
	return false
}

// matchOne compares one resource value with lit. op is never OpNe.
func matchOne(have any, op Op, lit Value, info AttrInfo) bool {
	switch info.Type {
	case typeString, typeReference, typeBinary:
		s, ok := have.(string)
		if !ok {
			return false
		}
		want := lit.Str
		if !info.CaseExact && info.Type != typeBinary {
			s, want = strings.ToLower(s), strings.ToLower(want)
		}
		switch op {
		case OpCo:
			return strings.Contains(s, want)
		case OpSw:
			return strings.HasPrefix(s, want)
		case OpEw:
			return strings.HasSuffix(s, want)
		}
		return ordered(op, strings.Compare(s, want))
	case typeBoolean:
		b, ok := have.(bool)
		return ok && op == OpEq && b == lit.Bool
	case typeInteger, typeDecimal:
		n, ok := numberOf(have)
		if !ok {
			return false
		}
		l, ok := parseNum(lit.Str)
		return ok && ordered(op, n.compare(l))
	case typeDateTime:
		var t time.Time
		switch h := have.(type) {
		case string:
			var ok bool
			if t, ok = parseDateTime(h); !ok {
				return false
			}
		case time.Time:
			t = h
		default:
			return false
		}
		l, ok := parseDateTime(lit.Str)
		return ok && ordered(op, t.Compare(l))
	}
	return false
}

// ordered applies op to the result c of comparing the resource value with
// the literal.
func ordered(op Op, c int) bool {
	switch op {
	case OpEq:
		return c == 0
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	}
	return false
}

// num is a number compared exactly as an int64 when possible and as a
// float64 otherwise.
type num struct {
	i     int64
	f     float64
	isInt bool
}

func (a num) compare(b num) int {
	switch {
	case a.isInt && b.isInt:
		return cmp.Compare(a.i, b.i)
	case a.isInt:
		return compareIntFloat(a.i, b.f)
	case b.isInt:
		return -compareIntFloat(b.i, a.f)
	}
	return cmp.Compare(a.f, b.f)
}

// compareIntFloat compares i with f exactly, without rounding i to
// float64 (which would make 2^53+1 equal to 2^53).
func compareIntFloat(i int64, f float64) int {
	switch {
	case f >= 0x1p63:
		return -1
	case f < -0x1p63:
		return 1
	}
	t := math.Trunc(f)
	if c := cmp.Compare(i, int64(t)); c != 0 {
		return c
	}
	return cmp.Compare(0, f-t)
}

// parseNum parses a JSON number literal. It fails for malformed text and
// for values beyond the float64 range, which could never compare
// meaningfully.
func parseNum(s string) (num, bool) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return num{i: i, isInt: true}, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return num{}, false
	}
	return num{f: f}, true
}

// numberOf converts a decoded JSON number to num.
func numberOf(v any) (num, bool) {
	switch t := v.(type) {
	case json.Number:
		return parseNum(string(t))
	case float64:
		return num{f: t}, !math.IsNaN(t)
	case float32:
		return num{f: float64(t)}, !math.IsNaN(float64(t))
	case int:
		return num{i: int64(t), isInt: true}, true
	case int8:
		return num{i: int64(t), isInt: true}, true
	case int16:
		return num{i: int64(t), isInt: true}, true
	case int32:
		return num{i: int64(t), isInt: true}, true
	case int64:
		return num{i: t, isInt: true}, true
	case uint:
		return uintNum(uint64(t)), true
	case uint8:
		return num{i: int64(t), isInt: true}, true
	case uint16:
		return num{i: int64(t), isInt: true}, true
	case uint32:
		return num{i: int64(t), isInt: true}, true
	case uint64:
		return uintNum(t), true
	}
	return num{}, false
}

func uintNum(u uint64) num {
	if u > math.MaxInt64 {
		return num{f: float64(u)}
	}
	return num{i: int64(u), isInt: true}
}

// parseDateTime parses an xsd:dateTime / RFC 3339 timestamp. A timestamp
// without a zone offset is taken as UTC.
func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range [...]string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
