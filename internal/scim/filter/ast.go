package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// AttrPath is an attribute reference as written in a filter or path: an
// optional schema URN, the attribute name and an optional sub-attribute.
// Names keep the case they were written in; comparisons against a schema or
// a resource are expected to ignore case (RFC 7643 §2.1).
type AttrPath struct {
	URN  string // schema URN prefix without the trailing ':', "" when absent
	Name string
	Sub  string // "" when absent
}

// String returns the path in filter syntax, such as "name.givenName" or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
// which Parse and ParsePath read back to the same AttrPath.
func (p AttrPath) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

func (p AttrPath) write(b *strings.Builder) {
	if p.URN != "" {
		b.WriteString(p.URN)
		b.WriteByte(':')
	}
	b.WriteString(p.Name)
	if p.Sub != "" {
		b.WriteByte('.')
		b.WriteString(p.Sub)
	}
}

// Op is a comparison operator in its canonical lower-case spelling. Parse
// accepts operators in any case and always stores the canonical form, so
// callers can switch on the constants below. The presence test "pr" is not
// an Op: it is represented by the Present node.
type Op string

// The comparison operators of RFC 7644 §3.4.2.2.
const (
	OpEq Op = "eq" // equal
	OpNe Op = "ne" // not equal: the exact negation of OpEq, see the package doc
	OpCo Op = "co" // contains (substring)
	OpSw Op = "sw" // starts with
	OpEw Op = "ew" // ends with
	OpGt Op = "gt" // greater than
	OpGe Op = "ge" // greater than or equal to
	OpLt Op = "lt" // less than
	OpLe Op = "le" // less than or equal to
)

// opTable maps the lower-case spelling of every comparison operator to its Op.
var opTable = map[string]Op{
	"eq": OpEq, "ne": OpNe, "co": OpCo, "sw": OpSw, "ew": OpEw,
	"gt": OpGt, "ge": OpGe, "lt": OpLt, "le": OpLe,
}

func (o Op) valid() bool {
	_, ok := opTable[string(o)]
	return ok && string(o) == strings.ToLower(string(o))
}

func (o Op) ordering() bool {
	return o == OpGt || o == OpGe || o == OpLt || o == OpLe
}

func (o Op) substring() bool {
	return o == OpCo || o == OpSw || o == OpEw
}

// ValueKind says which JSON literal a Value holds.
type ValueKind int

// The kinds of comparison value (RFC 7644 compValue).
const (
	KindString ValueKind = iota // a JSON string; Value.Str holds the decoded text
	KindNumber                  // a JSON number; Value.Str holds the literal text
	KindBool                    // true or false; Value.Bool holds it
	KindNull                    // null
)

// String returns the kind's name ("string", "number", "boolean", "null"),
// for use in error messages.
func (k ValueKind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "boolean"
	case KindNull:
		return "null"
	}
	return "ValueKind(" + strconv.Itoa(int(k)) + ")"
}

// Value is the literal on the right-hand side of a comparison.
//
// Numbers are kept as the literal text rather than converted, so that no
// precision is lost before the evaluator (or a SQL compiler) decides how to
// compare them, and so that String reproduces them exactly.
type Value struct {
	Kind ValueKind
	Str  string // KindString: the decoded string (JSON escapes honoured); KindNumber: the literal text as written (e.g. "10", "-1.5e3")
	Bool bool   // KindBool: the value
}

// String returns the value as a JSON literal: strings are quoted and
// escaped, numbers are printed as written and the keywords in lower case.
func (v Value) String() string {
	switch v.Kind {
	case KindString:
		var b strings.Builder
		writeJSONString(&b, v.Str)
		return b.String()
	case KindNumber:
		return v.Str
	case KindBool:
		if v.Bool {
			return "true"
		}
		return "false"
	case KindNull:
		return "null"
	}
	return "<invalid " + v.Kind.String() + ">"
}

// writeJSONString writes s as a JSON string. Unlike encoding/json it does
// not escape HTML characters, which keeps canonical filters readable; only
// '"', '\\' and control characters are escaped, as JSON requires.
func writeJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if c < 0x20 {
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	b.WriteByte('"')
}

// Expr is a node of a parsed filter. The concrete types are *And, *Or,
// *Not, *Compare, *Present and *ValuePath; the set is closed so that
// evaluators can switch on it exhaustively.
//
// String returns the canonical form of the expression: operators and
// keywords in lower case, single spaces, parentheses only where precedence
// requires them and strings as JSON strings. Parse reads the canonical form
// back to an equal tree. The canonical form can be longer than the input it
// was parsed from, so it may exceed MaxLen for inputs close to the limit.
type Expr interface {
	String() string
	expr()
}

// And is true when both Left and Right are true.
type And struct{ Left, Right Expr }

// Or is true when Left or Right is true.
type Or struct{ Left, Right Expr }

// Not is the boolean negation of Expr; it is written "not (expr)".
type Not struct{ Expr Expr }

// Compare compares the attribute at Path with Value using Op.
// Inside a ValuePath's Filter, Path names a sub-attribute of the element
// (Path.Name is the sub-attribute name; URN and Sub are empty).
type Compare struct {
	Path  AttrPath
	Op    Op
	Value Value
}

// Present is the "pr" test: true when the attribute at Path has a non-empty
// value. Inside a ValuePath's Filter, Path is relative to the element as for
// Compare.
type Present struct{ Path AttrPath }

// ValuePath is attr[filter]: true when ONE element of the multi-valued
// attribute satisfies Filter.
// Paths inside Filter are relative to the element (their Name is the
// sub-attribute name). Path never has a Sub, and Filter never contains
// another ValuePath.
type ValuePath struct {
	Path   AttrPath
	Filter Expr
}

func (*And) expr()       {}
func (*Or) expr()        {}
func (*Not) expr()       {}
func (*Compare) expr()   {}
func (*Present) expr()   {}
func (*ValuePath) expr() {}

// String returns the canonical form; see Expr.
func (x *And) String() string { return exprString(x) }

// String returns the canonical form; see Expr.
func (x *Or) String() string { return exprString(x) }

// String returns the canonical form; see Expr.
func (x *Not) String() string { return exprString(x) }

// String returns the canonical form; see Expr.
func (x *Compare) String() string { return exprString(x) }

// String returns the canonical form; see Expr.
func (x *Present) String() string { return exprString(x) }

// String returns the canonical form; see Expr.
func (x *ValuePath) String() string { return exprString(x) }

// Operator precedence levels used when printing.
const (
	precOr = iota + 1
	precAnd
	precUnary
)

func precedence(e Expr) int {
	switch e.(type) {
	case *Or:
		return precOr
	case *And:
		return precAnd
	}
	return precUnary
}

// printer writes expressions. budget bounds the number of nodes printed so
// that String terminates even on a caller-built tree that contains a cycle.
type printer struct {
	b      strings.Builder
	budget int
}

func exprString(e Expr) string {
	p := printer{budget: 4 * MaxNodes}
	p.write(e)
	return p.b.String()
}

func (p *printer) write(e Expr) {
	if p.budget <= 0 {
		p.b.WriteString("...")
		return
	}
	p.budget--
	switch x := e.(type) {
	case *And:
		if x == nil {
			break
		}
		p.binary(x.Left, x.Right, " and ", precAnd)
		return
	case *Or:
		if x == nil {
			break
		}
		p.binary(x.Left, x.Right, " or ", precOr)
		return
	case *Not:
		if x == nil {
			break
		}
		p.b.WriteString("not (")
		p.write(x.Expr)
		p.b.WriteByte(')')
		return
	case *Compare:
		if x == nil {
			break
		}
		x.Path.write(&p.b)
		p.b.WriteByte(' ')
		p.b.WriteString(string(x.Op))
		p.b.WriteByte(' ')
		p.b.WriteString(x.Value.String())
		return
	case *Present:
		if x == nil {
			break
		}
		x.Path.write(&p.b)
		p.b.WriteString(" pr")
		return
	case *ValuePath:
		if x == nil {
			break
		}
		x.Path.write(&p.b)
		p.b.WriteByte('[')
		p.write(x.Filter)
		p.b.WriteByte(']')
		return
	}
	p.b.WriteString("<nil>")
}

// binary prints "left op right", parenthesising an operand that binds more
// loosely than the operator, and a right operand of the same precedence so
// that the left-associative parse rebuilds the same tree.
func (p *printer) binary(left, right Expr, op string, prec int) {
	p.operand(left, precedence(left) < prec)
	p.b.WriteString(op)
	p.operand(right, precedence(right) <= prec)
}

func (p *printer) operand(e Expr, paren bool) {
	if paren {
		p.b.WriteByte('(')
	}
	p.write(e)
	if paren {
		p.b.WriteByte(')')
	}
}

// Path is a PATCH operation target (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// For "name.givenName" Attr.Sub is "givenName"; for
// `emails[type eq "work"].value` Attr is "emails", Filter is the bracketed
// filter and Sub is "value". Paths inside Filter are relative to the
// element, as for ValuePath.
type Path struct {
	Attr   AttrPath // Attr.Sub set for "name.givenName"
	Filter Expr     // non-nil for members[value eq "x"]
	Sub    string   // for emails[type eq "work"].value (sub after the bracket)
}

// String returns the path in canonical form, which ParsePath reads back to
// an equal Path.
func (p Path) String() string {
	pr := printer{budget: 4 * MaxNodes}
	p.Attr.write(&pr.b)
	if p.Filter != nil {
		pr.b.WriteByte('[')
		pr.write(p.Filter)
		pr.b.WriteByte(']')
	}
	if p.Sub != "" {
		pr.b.WriteByte('.')
		pr.b.WriteString(p.Sub)
	}
	return pr.b.String()
}
