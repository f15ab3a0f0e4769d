package filter

import (
	"errors"
	"fmt"
	"strings"
)

// AttrInfo describes one attribute's characteristics (RFC 7643 §2.2/§7).
type AttrInfo struct {
	Type        string // "string","boolean","decimal","integer","dateTime","binary","reference","complex"
	MultiValued bool
	CaseExact   bool
}

// Resolver resolves a path to its characteristics; it returns an error for
// unknown attributes.
//
// Paths are passed as written: the URN may be empty or name the core schema
// or an extension, and names may be in any case, so Resolve should match
// them case-insensitively. For a sub-attribute inside a ValuePath, the
// evaluator calls Resolve(AttrPath{URN: outer.URN, Name: outer.Name, Sub:
// inner.Name}). For the `emails co "x"` shorthand (see the package doc) it
// also calls Resolve with Sub "value" to learn whether that sub-attribute
// exists.
type Resolver interface {
	Resolve(p AttrPath) (AttrInfo, error)
}

// Attribute types of RFC 7643 §2.3, lower-cased.
const (
	typeString    = "string"
	typeBoolean   = "boolean"
	typeDecimal   = "decimal"
	typeInteger   = "integer"
	typeDateTime  = "datetime"
	typeBinary    = "binary"
	typeReference = "reference"
	typeComplex   = "complex"
)

// Check validates expr against the schema: unknown attributes, gt/ge/lt/le
// on boolean or binary, co/sw/ew on non-string types (string, reference and
// binary are string types), comparing a complex attribute without a
// sub-attribute (except pr, eq null and ne null, and the `emails co "x"`
// shorthand for multi-valued complex attributes with a "value"
// sub-attribute, described in the package doc), values that cannot match
// the attribute type (a string for a boolean, a number for a string, a
// string that is not a dateTime for a dateTime, a number out of float64
// range), null with operators other than eq/ne, a ValuePath on an attribute
// that is not multi-valued and complex, and paths inside a ValuePath that
// are not bare sub-attribute names.
//
// Every problem with e is reported as *Error with Pos -1 and Input set to
// e's canonical form, so the SCIM layer can answer 400 invalidFilter; when
// the Resolver rejected an attribute, errors.Unwrap returns its error.
// Trees built by hand are held to the same MaxNodes limit as parsed ones.
// Check returns a plain error, not *Error, only when r is nil.
func Check(e Expr, r Resolver) error {
	if r == nil {
		// A missing schema is a bug in the caller, not in the filter.
		return errors.New("filter: Check called with a nil Resolver")
	}
	c := &checker{root: e, r: r}
	return c.check(e, nil)
}

// checker walks an expression, resolving attributes through r.
type checker struct {
	root  Expr
	r     Resolver
	nodes int
}

func (c *checker) errf(cause error, format string, args ...any) error {
	return &Error{Input: exprString(c.root), Pos: -1, Msg: fmt.Sprintf(format, clipArgs(args)...), err: cause}
}

// check validates e. scope is the enclosing ValuePath's attribute, or nil
// at the top level.
func (c *checker) check(e Expr, scope *AttrPath) error {
	c.nodes++
	if c.nodes > MaxNodes {
		return c.errf(nil, "the filter has more than %d expressions", MaxNodes)
	}
	switch x := e.(type) {
	case *And:
		if x != nil && x.Left != nil && x.Right != nil {
			if err := c.check(x.Left, scope); err != nil {
				return err
			}
			return c.check(x.Right, scope)
		}
	case *Or:
		if x != nil && x.Left != nil && x.Right != nil {
			if err := c.check(x.Left, scope); err != nil {
				return err
			}
			return c.check(x.Right, scope)
		}
	case *Not:
		if x != nil && x.Expr != nil {
			return c.check(x.Expr, scope)
		}
	case *Present:
		if x != nil {
			_, _, err := c.resolve(x.Path, scope)
			return err
		}
	case *Compare:
		if x != nil {
			_, _, err := c.compareTarget(x, scope)
			return err
		}
	case *ValuePath:
		if x != nil && x.Filter != nil {
			if _, err := c.valuePathTarget(x, scope); err != nil {
				return err
			}
			outer := x.Path
			return c.check(x.Filter, &outer)
		}
	default:
		if e != nil {
			return c.errf(nil, "unsupported expression type %T", e)
		}
	}
	return c.errf(nil, "incomplete expression: a node or operand is nil")
}

// resolve returns the absolute path that p denotes in scope, with its
// characteristics.
func (c *checker) resolve(p AttrPath, scope *AttrPath) (AttrPath, AttrInfo, error) {
	if p.Name == "" {
		return AttrPath{}, AttrInfo{}, c.errf(nil, "missing attribute name")
	}
	q := p
	if scope != nil {
		if p.URN != "" || p.Sub != "" {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "inside %s[ ], name a sub-attribute by itself (such as type or value), not %q", scope.Name, p.String())
		}
		q = AttrPath{URN: scope.URN, Name: scope.Name, Sub: p.Name}
	}
	info, err := c.r.Resolve(q)
	if err != nil {
		return AttrPath{}, AttrInfo{}, c.errf(err, "cannot filter on %q: %v", q.String(), err)
	}
	info.Type = strings.ToLower(info.Type)
	return q, info, nil
}

// valuePathTarget checks that x may carry a value filter and returns the
// attribute's characteristics.
func (c *checker) valuePathTarget(x *ValuePath, scope *AttrPath) (AttrInfo, error) {
	if scope != nil {
		return AttrInfo{}, c.errf(nil, "value filters cannot be nested: %s[ ] inside %s[ ]", x.Path.String(), scope.Name)
	}
	if x.Path.Sub != "" {
		return AttrInfo{}, c.errf(nil, "[ ] must follow a multi-valued attribute, not the sub-attribute %q", x.Path.String())
	}
	_, info, err := c.resolve(x.Path, nil)
	if err != nil {
		return AttrInfo{}, err
	}
	if info.Type != typeComplex || !info.MultiValued {
		return AttrInfo{}, c.errf(nil, "%q is not a multi-valued complex attribute; [ ] filters apply to attributes such as emails or members", x.Path.String())
	}
	return info, nil
}

// compareTarget validates x and returns the absolute path to read and its
// characteristics. For the shorthand `emails co "x"` the path returned is
// emails.value.
func (c *checker) compareTarget(x *Compare, scope *AttrPath) (AttrPath, AttrInfo, error) {
	q, info, err := c.resolve(x.Path, scope)
	if err != nil {
		return AttrPath{}, AttrInfo{}, err
	}
	if !x.Op.valid() {
		return AttrPath{}, AttrInfo{}, c.errf(nil, "unknown operator %q", string(x.Op))
	}
	name := q.String()
	if x.Value.Kind == KindNull {
		if x.Op != OpEq && x.Op != OpNe {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "null can only be used with eq (not present) or ne (present), not %q", string(x.Op))
		}
		return q, info, nil
	}
	if info.Type == typeComplex {
		if scope == nil && q.Sub == "" && info.MultiValued {
			vq := q
			vq.Sub = "value"
			if vinfo, err := c.r.Resolve(vq); err == nil && !strings.EqualFold(vinfo.Type, typeComplex) {
				q, info = vq, vinfo
				info.Type = strings.ToLower(info.Type)
			}
		}
		if info.Type == typeComplex {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q is a complex attribute; compare one of its sub-attributes (such as %s.value) or test it with pr", name, name)
		}
	}
	kind := x.Value.Kind
	switch info.Type {
	case typeString, typeReference, typeBinary:
		if kind != KindString {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q is a %s attribute; compare it with a quoted string, not a %s", name, info.Type, kind)
		}
		if info.Type == typeBinary && x.Op.ordering() {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q cannot be used on the binary attribute %q; use eq, ne, co, sw, ew or pr", string(x.Op), name)
		}
	case typeBoolean:
		if x.Op != OpEq && x.Op != OpNe {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q cannot be used on the boolean attribute %q; use eq, ne or pr", string(x.Op), name)
		}
		if kind != KindBool {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q is a boolean attribute; compare it with true or false, not a %s", name, kind)
		}
	case typeInteger, typeDecimal:
		if x.Op.substring() {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q cannot be used on the %s attribute %q; co, sw and ew apply to strings", string(x.Op), info.Type, name)
		}
		if kind != KindNumber {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q has type %s; compare it with an unquoted number such as 42, not a %s", name, info.Type, kind)
		}
		if _, ok := parseNum(x.Value.Str); !ok {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%s is not a usable number (out of range or malformed)", x.Value.Str)
		}
	case typeDateTime:
		if x.Op.substring() {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q cannot be used on the dateTime attribute %q; use eq, ne, gt, ge, lt, le or pr", string(x.Op), name)
		}
		if kind != KindString {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%q is a dateTime attribute; compare it with a quoted timestamp such as \"2011-05-13T04:42:34Z\", not a %s", name, kind)
		}
		if _, ok := parseDateTime(x.Value.Str); !ok {
			return AttrPath{}, AttrInfo{}, c.errf(nil, "%s is not a valid dateTime; use RFC 3339 form such as \"2011-05-13T04:42:34Z\"", x.Value.String())
		}
	default:
		return AttrPath{}, AttrInfo{}, c.errf(nil, "attribute %q has unsupported type %q", name, info.Type)
	}
	return q, info, nil
}
