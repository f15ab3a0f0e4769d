package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type parseCase struct {
	name string
	in   string
	want Expr
	// canon is the expected String() of the result; empty means in.
	canon string
}

// parseCases covers every rule of the filter grammar. It also seeds
// FuzzParse.
func parseCases() []parseCase {
	return []parseCase{
		// attrExp with every operator.
		{name: "eq", in: `userName eq "bjensen"`, want: cmpx(attr("userName"), OpEq, str("bjensen"))},
		{name: "ne", in: `userName ne "bjensen"`, want: cmpx(attr("userName"), OpNe, str("bjensen"))},
		{name: "co", in: `userName co "jens"`, want: cmpx(attr("userName"), OpCo, str("jens"))},
		{name: "sw", in: `userName sw "J"`, want: cmpx(attr("userName"), OpSw, str("J"))},
		{name: "ew", in: `userName ew "sen"`, want: cmpx(attr("userName"), OpEw, str("sen"))},
		{name: "gt", in: `loginCount gt 10`, want: cmpx(attr("loginCount"), OpGt, number("10"))},
		{name: "ge", in: `loginCount ge 10`, want: cmpx(attr("loginCount"), OpGe, number("10"))},
		{name: "lt", in: `loginCount lt 10`, want: cmpx(attr("loginCount"), OpLt, number("10"))},
		{name: "le", in: `loginCount le 10`, want: cmpx(attr("loginCount"), OpLe, number("10"))},
		{name: "pr", in: `title pr`, want: pr(attr("title"))},

		// Case-insensitive operators, keywords and literals.
		{name: "upper operator", in: `userName EQ "x"`, want: cmpx(attr("userName"), OpEq, str("x")), canon: `userName eq "x"`},
		{name: "mixed pr", in: `title Pr`, want: pr(attr("title")), canon: `title pr`},
		{name: "upper AND OR", in: `a pr AND b pr Or c pr`, want: or(and(pr(attr("a")), pr(attr("b"))), pr(attr("c"))), canon: `a pr and b pr or c pr`},
		{name: "upper NOT", in: `NOT (a pr)`, want: not(pr(attr("a"))), canon: `not (a pr)`},
		{name: "True literal", in: `active eq True`, want: cmpx(attr("active"), OpEq, boolean(true)), canon: `active eq true`},
		{name: "FALSE literal", in: `active eq FALSE`, want: cmpx(attr("active"), OpEq, boolean(false)), canon: `active eq false`},
		{name: "Null literal", in: `title eq Null`, want: cmpx(attr("title"), OpEq, null()), canon: `title eq null`},

		// Values.
		{name: "empty string", in: `title eq ""`, want: cmpx(attr("title"), OpEq, str(""))},
		{name: "escaped quote and backslash", in: `title eq "a\"b\\c"`, want: cmpx(attr("title"), OpEq, str(`a"b\c`))},
		{name: "escaped solidus", in: `title eq "a\/b"`, want: cmpx(attr("title"), OpEq, str("a/b")), canon: `title eq "a/b"`},
		{name: "control escapes", in: `title eq "\b\f\n\r\t"`, want: cmpx(attr("title"), OpEq, str("\b\f\n\r\t"))},
		{name: "unicode escape", in: `title eq "caf\u00e9"`, want: cmpx(attr("title"), OpEq, str("café")), canon: `title eq "café"`},
		{name: "unicode escape of control", in: `title eq "\u0001"`, want: cmpx(attr("title"), OpEq, str("\x01"))},
		{name: "surrogate pair", in: `title eq "\uD83D\uDE00"`, want: cmpx(attr("title"), OpEq, str("😀")), canon: `title eq "😀"`},
		{name: "raw unicode", in: `name.familyName eq "Müller 😀"`, want: cmpx(subAttr("name", "familyName"), OpEq, str("Müller 😀"))},
		{name: "html characters", in: `title eq "<a&b>"`, want: cmpx(attr("title"), OpEq, str("<a&b>"))},
		{name: "zero", in: `score eq 0`, want: cmpx(attr("score"), OpEq, number("0"))},
		{name: "negative zero", in: `score eq -0`, want: cmpx(attr("score"), OpEq, number("-0"))},
		{name: "negative exponent", in: `score eq -1.5e3`, want: cmpx(attr("score"), OpEq, number("-1.5e3"))},
		{name: "exponent with sign", in: `score eq 1E+2`, want: cmpx(attr("score"), OpEq, number("1E+2"))},
		{name: "fraction", in: `score lt 0.25`, want: cmpx(attr("score"), OpLt, number("0.25"))},
		{name: "true", in: `active eq true`, want: cmpx(attr("active"), OpEq, boolean(true))},
		{name: "false", in: `active ne false`, want: cmpx(attr("active"), OpNe, boolean(false))},
		{name: "null", in: `title ne null`, want: cmpx(attr("title"), OpNe, null())},

		// Attribute paths.
		{name: "sub-attribute", in: `name.familyName pr`, want: pr(subAttr("name", "familyName"))},
		{name: "name chars", in: `x-a_b9$ pr`, want: pr(attr("x-a_b9$"))},
		{name: "dollar ref", in: `members.$ref pr`, want: pr(subAttr("members", "$ref"))},
		{name: "core urn", in: `urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`, want: cmpx(urnAttr(coreUserURN, "userName", ""), OpSw, str("J"))},
		{name: "extension urn", in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"`, want: cmpx(urnAttr(enterpriseURN, "employeeNumber", ""), OpEq, str("701984"))},
		{name: "extension urn sub", in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, want: cmpx(urnAttr(enterpriseURN, "manager", "value"), OpEq, str("26118915-6090-4610-87e4-49d8ca9f808d"))},
		{name: "upper-case URN prefix", in: `URN:a:b:c pr`, want: pr(urnAttr("URN:a:b", "c", ""))},
		{name: "attribute named urn", in: `urn pr`, want: pr(attr("urn"))},
		{name: "attribute named not", in: `not pr`, want: pr(attr("not"))},
		{name: "attribute named and", in: `and eq 1 and or eq 2`, want: and(cmpx(attr("and"), OpEq, number("1")), cmpx(attr("or"), OpEq, number("2")))},
		{name: "attribute named not with brackets", in: `not[a pr]`, want: vp(attr("not"), pr(attr("a")))},

		// Logical operators, grouping and precedence.
		{name: "and", in: `title pr and userType eq "Employee"`, want: and(pr(attr("title")), cmpx(attr("userType"), OpEq, str("Employee")))},
		{name: "or", in: `title pr or userType eq "Intern"`, want: or(pr(attr("title")), cmpx(attr("userType"), OpEq, str("Intern")))},
		{name: "and binds tighter than or", in: `a eq 1 or b eq 2 and c eq 3`, want: or(cmpx(attr("a"), OpEq, number("1")), and(cmpx(attr("b"), OpEq, number("2")), cmpx(attr("c"), OpEq, number("3"))))},
		{name: "and binds tighter than or on the left", in: `a eq 1 and b eq 2 or c eq 3`, want: or(and(cmpx(attr("a"), OpEq, number("1")), cmpx(attr("b"), OpEq, number("2"))), cmpx(attr("c"), OpEq, number("3")))},
		{name: "and is left-associative", in: `a pr and b pr and c pr`, want: and(and(pr(attr("a")), pr(attr("b"))), pr(attr("c")))},
		{name: "or is left-associative", in: `a pr or b pr or c pr`, want: or(or(pr(attr("a")), pr(attr("b"))), pr(attr("c")))},
		{name: "parentheses override precedence", in: `(a pr or b pr) and c pr`, want: and(or(pr(attr("a")), pr(attr("b"))), pr(attr("c")))},
		{name: "right-nested and keeps parentheses", in: `a pr and (b pr and c pr)`, want: and(pr(attr("a")), and(pr(attr("b")), pr(attr("c"))))},
		{name: "redundant parentheses dropped", in: `((a pr)) and (b pr)`, want: and(pr(attr("a")), pr(attr("b"))), canon: `a pr and b pr`},
		{name: "not binds tighter than and", in: `not (a pr) and b pr`, want: and(not(pr(attr("a"))), pr(attr("b")))},
		{name: "not not", in: `not (not (a pr))`, want: not(not(pr(attr("a"))))},
		{name: "not without space", in: `not(a pr)`, want: not(pr(attr("a"))), canon: `not (a pr)`},

		// Value paths.
		{name: "value path", in: `emails[type eq "work"]`, want: vp(attr("emails"), cmpx(attr("type"), OpEq, str("work")))},
		{name: "value path and", in: `emails[type eq "work" and value co "@example.com"]`, want: vp(attr("emails"), and(cmpx(attr("type"), OpEq, str("work")), cmpx(attr("value"), OpCo, str("@example.com"))))},
		{name: "value path with grouping", in: `emails[type eq "work" or (type eq "home" and value ew "@example.com")]`, want: vp(attr("emails"), or(cmpx(attr("type"), OpEq, str("work")), and(cmpx(attr("type"), OpEq, str("home")), cmpx(attr("value"), OpEw, str("@example.com"))))), canon: `emails[type eq "work" or type eq "home" and value ew "@example.com"]`},
		{name: "value path with not", in: `emails[not (type eq "work")]`, want: vp(attr("emails"), not(cmpx(attr("type"), OpEq, str("work"))))},
		{name: "value path with urn", in: `urn:ietf:params:scim:schemas:core:2.0:User:emails[primary eq true]`, want: vp(urnAttr(coreUserURN, "emails", ""), cmpx(attr("primary"), OpEq, boolean(true)))},
		{name: "value path in logic", in: `userType eq "Employee" and emails[type eq "work"] or title pr`, want: or(and(cmpx(attr("userType"), OpEq, str("Employee")), vp(attr("emails"), cmpx(attr("type"), OpEq, str("work")))), pr(attr("title")))},
		{name: "not of value path", in: `not (emails[type eq "work"])`, want: not(vp(attr("emails"), cmpx(attr("type"), OpEq, str("work"))))},

		// Microsoft Entra extension.
		{name: "entra sub-attribute compare", in: `emails[type eq "work"].value eq "user@example.com"`, want: vp(attr("emails"), and(cmpx(attr("type"), OpEq, str("work")), cmpx(attr("value"), OpEq, str("user@example.com")))), canon: `emails[type eq "work" and value eq "user@example.com"]`},
		{name: "entra sub-attribute pr", in: `emails[type eq "work"].value pr`, want: vp(attr("emails"), and(cmpx(attr("type"), OpEq, str("work")), pr(attr("value")))), canon: `emails[type eq "work" and value pr]`},
		{name: "entra with or filter", in: `emails[type eq "work" or type eq "home"].value co "x"`, want: vp(attr("emails"), and(or(cmpx(attr("type"), OpEq, str("work")), cmpx(attr("type"), OpEq, str("home"))), cmpx(attr("value"), OpCo, str("x")))), canon: `emails[(type eq "work" or type eq "home") and value co "x"]`},
		{name: "entra in logic", in: `emails[type eq "work"].value eq "a" and active eq true`, want: and(vp(attr("emails"), and(cmpx(attr("type"), OpEq, str("work")), cmpx(attr("value"), OpEq, str("a")))), cmpx(attr("active"), OpEq, boolean(true))), canon: `emails[type eq "work" and value eq "a"] and active eq true`},

		// Whitespace tolerance.
		{name: "extra spaces and tabs", in: " \tuserName  eq\t\t\"x\"   and\n title pr \r\n", want: and(cmpx(attr("userName"), OpEq, str("x")), pr(attr("title"))), canon: `userName eq "x" and title pr`},
		{name: "no space before value", in: `userName eq"x"`, want: cmpx(attr("userName"), OpEq, str("x")), canon: `userName eq "x"`},
		{name: "no space around parentheses", in: `(a pr)and(b pr)`, want: and(pr(attr("a")), pr(attr("b"))), canon: `a pr and b pr`},
		{name: "spaces inside brackets", in: `emails[ type eq "work" ]`, want: vp(attr("emails"), cmpx(attr("type"), OpEq, str("work"))), canon: `emails[type eq "work"]`},
		{name: "space before bracket", in: `emails [type eq "work"]`, want: vp(attr("emails"), cmpx(attr("type"), OpEq, str("work"))), canon: `emails[type eq "work"]`},
	}
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse(%q)\n got  %#v\n want %#v", tc.in, got, tc.want)
			}
			canon := tc.canon
			if canon == "" {
				canon = tc.in
			}
			if s := got.String(); s != canon {
				t.Errorf("String() = %q, want %q", s, canon)
			}
			again, err := Parse(got.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", got.String(), err)
			}
			if !reflect.DeepEqual(again, got) {
				t.Errorf("reparse of %q gives %#v, want %#v", got.String(), again, got)
			}
		})
	}
}

// rfcExamples are the example filters of RFC 7644 §3.4.2.2 and §3.4.3,
// verbatim including the query-parameter prefix.
func rfcExamples() []string {
	return []string{
		`filter=userName Eq "john"`,
		`filter=Username eq "john"`,
		`filter=userName eq "bjensen"`,
		`filter=name.familyName co "O'Malley"`,
		`filter=userName sw "J"`,
		`filter=urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"`,
		`filter=title pr`,
		`filter=meta.lastModified gt "2011-05-13T04:42:34Z"`,
		`filter=meta.lastModified ge "2011-05-13T04:42:34Z"`,
		`filter=meta.lastModified lt "2011-05-13T04:42:34Z"`,
		`filter=meta.lastModified le "2011-05-13T04:42:34Z"`,
		`filter=title pr and userType eq "Employee"`,
		`filter=title pr or userType eq "Intern"`,
		`filter=schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`,
		`filter=userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`filter=userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`filter=userType eq "Employee" and (emails.type eq "work")`,
		`filter=userType eq "Employee" and emails[type eq "work" and value co "@example.com"]`,
		`filter=emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]`,
		`filter=displayName sw "smith"`,
	}
}

func TestParseRFCExamples(t *testing.T) {
	schema := newTestSchema()
	for _, ex := range rfcExamples() {
		in := strings.TrimPrefix(ex, "filter=")
		t.Run(in, func(t *testing.T) {
			e, err := Parse(in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := Check(e, schema); err != nil {
				t.Errorf("Check: %v", err)
			}
			again, err := Parse(e.String())
			if err != nil || !reflect.DeepEqual(again, e) {
				t.Errorf("round trip of %q failed: %v", e.String(), err)
			}
		})
	}
	// The canonical forms of the examples whose tree shape matters.
	for in, want := range map[string]string{
		`userName Eq "john"`: `userName eq "john"`,
		`userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`:     `userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")`,
		`userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`: `userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")`,
		`userType eq "Employee" and (emails.type eq "work")`:                                        `userType eq "Employee" and emails.type eq "work"`,
	} {
		e, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := e.String(); got != want {
			t.Errorf("Parse(%q).String() = %q, want %q", in, got, want)
		}
	}
}

type errCase struct {
	name string
	in   string
	pos  int    // expected Error.Pos
	msg  string // substring of Error.Msg
}

// parseErrorCases seeds FuzzParse as well.
func parseErrorCases() []errCase {
	long := "userName eq \"" + strings.Repeat("x", MaxLen) + "\""
	return []errCase{
		{name: "empty", in: ``, pos: 0, msg: "empty"},
		{name: "only spaces", in: "  \t ", pos: 4, msg: "empty"},
		{name: "missing value", in: `userName eq`, pos: 11, msg: `"eq" needs a value`},
		{name: "missing value with space", in: `userName eq  `, pos: 13, msg: `"eq" needs a value`},
		{name: "missing operator", in: `userName`, pos: 8, msg: "needs an operator"},
		{name: "unknown operator", in: `userName equals "x"`, pos: 9, msg: `unknown operator "equals"`},
		{name: "symbolic operator", in: `userName = "x"`, pos: 9, msg: "expected an operator"},
		{name: "unquoted string", in: `userName eq bjensen`, pos: 12, msg: "strings need double quotes"},
		{name: "single quotes", in: `userName eq 'x'`, pos: 12, msg: "expected a value"},
		{name: "unterminated string", in: `userName eq "bjensen`, pos: 12, msg: "unterminated string"},
		{name: "unterminated after backslash", in: `userName eq "a\`, pos: 12, msg: "unterminated string"},
		{name: "invalid escape", in: `userName eq "a\qb"`, pos: 14, msg: `invalid escape "\q"`},
		{name: "short unicode escape", in: `userName eq "\u12"`, pos: 13, msg: "4 hex digits"},
		{name: "non-hex unicode escape", in: `userName eq "\u12g4"`, pos: 13, msg: "4 hex digits"},
		{name: "lone low surrogate", in: `userName eq "\udc00"`, pos: 13, msg: "low surrogate"},
		{name: "lone high surrogate", in: `userName eq "\ud800"`, pos: 13, msg: "high surrogate"},
		{name: "high surrogate then bmp", in: `userName eq "\ud800\u0041"`, pos: 13, msg: "high surrogate"},
		{name: "high surrogate then bad hex", in: `userName eq "\ud800\uzzzz"`, pos: 19, msg: "4 hex digits"},
		{name: "raw control character", in: "userName eq \"a\nb\"", pos: 14, msg: "control character U+000A"},
		{name: "invalid utf-8", in: "userName eq \"\xff\"", pos: 13, msg: "invalid UTF-8"},
		{name: "leading zero", in: `score eq 01`, pos: 9, msg: "leading zeros"},
		{name: "bare minus", in: `score eq -`, pos: 10, msg: "expected a digit"},
		{name: "missing fraction", in: `score eq 1.`, pos: 11, msg: `after "."`},
		{name: "missing exponent", in: `score eq 1e`, pos: 11, msg: "exponent"},
		{name: "two dots", in: `score eq 1.2.3`, pos: 9, msg: `invalid number "1.2.3"`},
		{name: "number then letters", in: `score eq 10abc`, pos: 9, msg: `invalid number "10abc"`},
		{name: "keyword prefix value", in: `active eq truex`, pos: 10, msg: `found "truex"`},
		{name: "not without parentheses", in: `not userName eq "x"`, pos: 0, msg: `"not" must be followed by a parenthesised expression`},
		{name: "bare not", in: `not`, pos: 0, msg: `"not" must be followed`},
		{name: "missing close paren", in: `(userName pr`, pos: 12, msg: `missing ")" to close the "(" at position 1`},
		{name: "missing close paren before junk", in: `(userName pr x`, pos: 13, msg: `expected "and", "or" or ")"`},
		{name: "unmatched close paren", in: `userName pr)`, pos: 11, msg: `")" has no matching "("`},
		{name: "empty parentheses", in: `()`, pos: 1, msg: "expected an attribute name"},
		{name: "missing logical operator", in: `userName pr userType pr`, pos: 12, msg: `expected "and", "or" or the end of the filter, found "userType"`},
		{name: "dangling and", in: `userName pr and`, pos: 15, msg: "unexpected end"},
		{name: "dangling or", in: `userName pr or `, pos: 15, msg: "unexpected end"},
		{name: "leading and", in: `and`, pos: 3, msg: "needs an operator"},
		{name: "value after pr", in: `title pr "x"`, pos: 9, msg: `found "\""`},
		{name: "stray close bracket", in: `userName eq "x" ]`, pos: 16, msg: `found "]"`},
		{name: "missing close bracket", in: `emails[type eq "work"`, pos: 21, msg: `missing "]" to close the "[" at position 7`},
		{name: "junk before close bracket", in: `emails[type eq "work" x]`, pos: 22, msg: `expected "and", "or" or "]"`},
		{name: "empty brackets", in: `emails[]`, pos: 7, msg: "empty value filter"},
		{name: "nested brackets", in: `emails[type eq "work" and members[value pr]]`, pos: 33, msg: "cannot be nested"},
		{name: "nested brackets in parentheses", in: `emails[(members[value pr])]`, pos: 15, msg: "cannot be nested"},
		{name: "sub-attribute path inside brackets", in: `emails[emails.type eq "work"]`, pos: 7, msg: "by itself"},
		{name: "urn path inside brackets", in: `emails[urn:ietf:params:scim:schemas:core:2.0:User:type eq "work"]`, pos: 7, msg: "by itself"},
		{name: "bracket after sub-attribute", in: `name.givenName[x pr]`, pos: 14, msg: `not the sub-attribute "name.givenName"`},
		{name: "two sub-attributes", in: `a.b.c pr`, pos: 3, msg: "more than one sub-attribute"},
		{name: "trailing dot", in: `name. pr`, pos: 5, msg: "expected a sub-attribute name"},
		{name: "dot at end", in: `name.`, pos: 5, msg: "expected a sub-attribute name"},
		{name: "digit name", in: `1abc pr`, pos: 0, msg: "expected an attribute name"},
		{name: "colon without urn", in: `foo:bar pr`, pos: 3, msg: `schema URNs must start with "urn:"`},
		{name: "urn too short", in: `urn:foo:bar pr`, pos: 0, msg: "not a valid schema URN"},
		{name: "urn empty segment", in: `urn:a::b:c pr`, pos: 0, msg: "not a valid schema URN"},
		{name: "urn without attribute", in: `urn:ietf:params:scim:schemas:core:2.0:User: pr`, pos: 43, msg: "expected an attribute name after the schema URN"},
		{name: "urn ending in version", in: `urn:ietf:params:scim:schemas:core:2.0 pr`, pos: 34, msg: "expected an attribute name after the schema URN"},
		{name: "urn bad attribute char", in: `urn:a:b:c-d.-e pr`, pos: 12, msg: "expected a sub-attribute name"},
		{name: "entra missing sub", in: `emails[type eq "work"]. eq "x"`, pos: 23, msg: `after "]."`},
		{name: "entra missing operator", in: `emails[type eq "work"].value`, pos: 28, msg: "needs an operator"},
		{name: "entra two subs", in: `emails[type eq "work"].value.x eq "x"`, pos: 28, msg: "unexpected"},
		{name: "operator after value path", in: `emails[type eq "work"] eq "x"`, pos: 23, msg: `found "eq"`},
		{name: "too long", in: long, pos: MaxLen, msg: "the limit is 4096"},
		{name: "too deep", in: strings.Repeat("(", MaxDepth+1) + "a pr" + strings.Repeat(")", MaxDepth+1), pos: MaxDepth, msg: "nest more than 32"},
		{name: "too deep with not", in: strings.Repeat("not (", MaxDepth+1) + "a pr" + strings.Repeat(")", MaxDepth+1), pos: 5*MaxDepth + 4, msg: "nest more than 32"},
		{name: "too deep with brackets", in: strings.Repeat("(", MaxDepth) + "emails[a pr]" + strings.Repeat(")", MaxDepth), pos: MaxDepth + 6, msg: "nest more than 32"},
		{name: "too many nodes", in: strings.TrimSuffix(strings.Repeat("a pr or ", MaxNodes/2+1), " or "), pos: 5 + 8*127, msg: "more than 256 expressions"},
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tc.in, e)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if fe.Input != tc.in {
				t.Errorf("Input = %q, want the input", fe.Input)
			}
			if fe.Pos != tc.pos {
				t.Errorf("Pos = %d, want %d (%v)", fe.Pos, tc.pos, err)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", fe.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "invalid filter at position ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "parse error",
			err:  func() error { _, err := Parse(`userName eq`); return err }(),
			want: `invalid filter at position 12 ("eq" needs a value): userName eq`,
		},
		{
			name: "path error",
			err:  func() error { _, err := ParsePath(`emails[type eq "work"`); return err }(),
			want: `invalid path at position 22 (missing "]" to close the "[" at position 7): emails[type eq "work"`,
		},
		{
			name: "check error without position",
			err:  Check(cmpx(attr("active"), OpGt, boolean(true)), newTestSchema()),
			want: `invalid filter ("gt" cannot be used on the boolean attribute "active"; use eq, ne or pr): active gt true`,
		},
		{
			name: "zero value built elsewhere",
			err:  &Error{Input: "x", Pos: 0, Msg: "m"},
			want: `invalid filter at position 1 (m): x`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() =\n %s\nwant\n %s", got, tc.want)
			}
		})
	}
}

func TestErrorMessageShortensLongInput(t *testing.T) {
	in := `userName eq "` + strings.Repeat("é", 1000) + `" and`
	_, err := Parse(in)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if len(msg) > 400 || !strings.HasSuffix(msg, `é" and`) || !strings.Contains(msg, ": ...") {
		t.Errorf("Error() = %q, want a short excerpt ending at the error", msg)
	}
}

func TestParseLimits(t *testing.T) {
	orChain := func(n int) string { // n Present nodes joined by or: 2n-1 nodes
		return strings.TrimSuffix(strings.Repeat("a pr or ", n), " or ")
	}
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{name: "max length", in: `title eq "` + strings.Repeat("x", MaxLen-len(`title eq ""`)) + `"`, ok: true},
		{name: "max length plus one", in: `title eq "` + strings.Repeat("x", MaxLen-len(`title eq ""`)+1) + `"`, ok: false},
		{name: "max depth", in: strings.Repeat("(", MaxDepth) + "a pr" + strings.Repeat(")", MaxDepth), ok: true},
		{name: "max depth plus one", in: strings.Repeat("(", MaxDepth+1) + "a pr" + strings.Repeat(")", MaxDepth+1), ok: false},
		{name: "max depth with brackets", in: strings.Repeat("(", MaxDepth-1) + "emails[(a pr)]" + strings.Repeat(")", MaxDepth-1), ok: false},
		{name: "max depth with bracket", in: strings.Repeat("(", MaxDepth-1) + "emails[a pr]" + strings.Repeat(")", MaxDepth-1), ok: true},
		{name: "max nodes", in: orChain(128) + " or a pr and not (b pr)", ok: false},
		{name: "max nodes exactly", in: orChain(127) + " or not (b pr)", ok: true},
		{name: "max nodes plus one", in: orChain(129), ok: false},
		{name: "entra or at max depth", in: strings.Repeat("(", MaxDepth-1) + `emails[a pr or b pr].value pr` + strings.Repeat(")", MaxDepth-1), ok: false},
		{name: "entra and at max depth", in: strings.Repeat("(", MaxDepth-1) + `emails[a pr and b pr].value pr` + strings.Repeat(")", MaxDepth-1), ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if tc.ok && err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatal("Parse succeeded, want a limit error")
				}
				return
			}
			if _, err := Parse(e.String()); err != nil {
				t.Errorf("canonical form does not reparse: %v", err)
			}
		})
	}
}

type pathCase struct {
	name  string
	in    string
	want  Path
	canon string
}

// pathCases seeds FuzzParsePath as well.
func pathCases() []pathCase {
	return []pathCase{
		{name: "attribute", in: `members`, want: Path{Attr: attr("members")}},
		{name: "sub-attribute", in: `name.givenName`, want: Path{Attr: subAttr("name", "givenName")}},
		{name: "value filter", in: `members[value eq "2819c223"]`, want: Path{Attr: attr("members"), Filter: cmpx(attr("value"), OpEq, str("2819c223"))}},
		{name: "value filter with sub-attribute", in: `emails[type eq "work"].value`, want: Path{Attr: attr("emails"), Filter: cmpx(attr("type"), OpEq, str("work")), Sub: "value"}},
		{name: "rfc members displayName", in: `members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName`, want: Path{Attr: attr("members"), Filter: cmpx(attr("value"), OpEq, str("2819c223-7f76-453a-919d-413861904646")), Sub: "displayName"}},
		{name: "rfc logical value filter", in: `emails[type eq "work" and value ew "example.com"]`, want: Path{Attr: attr("emails"), Filter: and(cmpx(attr("type"), OpEq, str("work")), cmpx(attr("value"), OpEw, str("example.com")))}},
		{name: "rfc addresses streetAddress", in: `addresses[type eq "work"].streetAddress`, want: Path{Attr: attr("addresses"), Filter: cmpx(attr("type"), OpEq, str("work")), Sub: "streetAddress"}},
		{name: "extension attribute", in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`, want: Path{Attr: urnAttr(enterpriseURN, "employeeNumber", "")}},
		{name: "extension sub-attribute", in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`, want: Path{Attr: urnAttr(enterpriseURN, "manager", "value")}},
		{name: "core urn sub-attribute", in: `urn:ietf:params:scim:schemas:core:2.0:User:name.familyName`, want: Path{Attr: urnAttr(coreUserURN, "name", "familyName")}},
		{name: "schema urn only", in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, want: Path{Attr: urnAttr("urn:ietf:params:scim:schemas:extension:enterprise:2.0", "User", "")}},
		{name: "urn value filter", in: `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"].value`, want: Path{Attr: urnAttr(coreUserURN, "emails", ""), Filter: cmpx(attr("type"), OpEq, str("work")), Sub: "value"}},
		{name: "surrounding whitespace", in: " members ", want: Path{Attr: attr("members")}, canon: "members"},
		{name: "case-insensitive operator in filter", in: `emails[TYPE EQ "work" AND primary Eq TRUE]`, want: Path{Attr: attr("emails"), Filter: and(cmpx(attr("TYPE"), OpEq, str("work")), cmpx(attr("primary"), OpEq, boolean(true)))}, canon: `emails[TYPE eq "work" and primary eq true]`},
		{name: "dollar ref", in: `members.$ref`, want: Path{Attr: subAttr("members", "$ref")}},
	}
}

func TestParsePath(t *testing.T) {
	for _, tc := range pathCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePath(tc.in)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ParsePath(%q)\n got  %#v\n want %#v", tc.in, got, tc.want)
			}
			canon := tc.canon
			if canon == "" {
				canon = tc.in
			}
			if s := got.String(); s != canon {
				t.Errorf("String() = %q, want %q", s, canon)
			}
			again, err := ParsePath(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("reparse of %q = %#v, %v", got.String(), again, err)
			}
		})
	}
}

func pathErrorCases() []errCase {
	return []errCase{
		{name: "empty", in: ``, pos: 0, msg: "empty"},
		{name: "filter instead of path", in: `members eq "x"`, pos: 8, msg: `unexpected "eq"`},
		{name: "missing close bracket", in: `emails[type eq "work"`, pos: 21, msg: `missing "]"`},
		{name: "nested brackets", in: `emails[members[value pr]]`, pos: 14, msg: "cannot be nested"},
		{name: "bracket after sub-attribute", in: `name.givenName[x pr]`, pos: 14, msg: "not the sub-attribute"},
		{name: "two sub-attributes", in: `name.givenName.x`, pos: 14, msg: "more than one sub-attribute"},
		{name: "two subs after bracket", in: `emails[type eq "work"].value.x`, pos: 28, msg: "unexpected"},
		{name: "missing sub after bracket", in: `emails[type eq "work"].`, pos: 23, msg: `after "]."`},
		{name: "junk after bracket", in: `emails[type eq "work"]x`, pos: 22, msg: `unexpected "x"`},
		{name: "bad urn", in: `urn:x:y`, pos: 0, msg: "not a valid schema URN"},
		{name: "urn with trailing colon", in: `urn:ietf:params:scim:schemas:core:2.0:User:`, pos: 43, msg: "after the schema URN"},
		{name: "relative path with urn inside", in: `emails[urn:a:b:c:type eq "x"]`, pos: 7, msg: "by itself"},
		{name: "filter syntax error", in: `emails[type eq]`, pos: 14, msg: `expected a value after "eq"`},
		{name: "leading bracket", in: `[type eq "work"]`, pos: 0, msg: "expected an attribute name"},
		{name: "too long", in: strings.Repeat("a", MaxLen+1), pos: MaxLen, msg: "limit"},
		{name: "invalid utf-8", in: "name\xc3", pos: 4, msg: "UTF-8"},
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, tc := range pathErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePath(tc.in)
			if err == nil {
				t.Fatalf("ParsePath(%q) = %v, want error", tc.in, p)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			if fe.Pos != tc.pos {
				t.Errorf("Pos = %d, want %d (%v)", fe.Pos, tc.pos, err)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", fe.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "invalid path at position ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestStringOfHandBuiltTrees(t *testing.T) {
	self := &And{}
	self.Left, self.Right = self, self
	tests := []struct {
		name string
		e    Expr
		want string
	}{
		{name: "or inside and", e: and(or(pr(attr("a")), pr(attr("b"))), pr(attr("c"))), want: `(a pr or b pr) and c pr`},
		{name: "or on the right of or", e: or(pr(attr("a")), or(pr(attr("b")), pr(attr("c")))), want: `a pr or (b pr or c pr)`},
		{name: "and inside or", e: or(and(pr(attr("a")), pr(attr("b"))), and(pr(attr("c")), pr(attr("d")))), want: `a pr and b pr or c pr and d pr`},
		{name: "nil operand", e: and(nil, pr(attr("a"))), want: `<nil> and a pr`},
		{name: "typed nil", e: (*Compare)(nil), want: `<nil>`},
		{name: "control characters escaped", e: cmpx(attr("a"), OpEq, str("\x00\x1f\"\\\u2028")), want: `a eq "\u0000\u001f\"\\` + "\u2028" + `"`},
		{name: "invalid utf-8 replaced", e: cmpx(attr("a"), OpEq, str("\xff")), want: `a eq "\ufffd"`},
		{name: "invalid kind", e: cmpx(attr("a"), OpEq, Value{Kind: 7}), want: `a eq <invalid ValueKind(7)>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("cycle terminates", func(t *testing.T) {
		if s := self.String(); !strings.Contains(s, "...") {
			t.Errorf("String() = %.80q, want truncation", s)
		}
	})
}

func TestAttrPathString(t *testing.T) {
	tests := []struct {
		name string
		p    AttrPath
		want string
	}{
		{name: "name", p: attr("userName"), want: "userName"},
		{name: "sub", p: subAttr("name", "givenName"), want: "name.givenName"},
		{name: "urn", p: urnAttr(enterpriseURN, "manager", "value"), want: enterpriseURN + ":manager.value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
