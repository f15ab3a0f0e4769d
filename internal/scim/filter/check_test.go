package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "string ops", in: `userName eq "a" or userName ne "a" or userName co "a" or userName sw "a" or userName ew "a"`},
		{name: "string ordering", in: `userName gt "a" and userName ge "a" and userName lt "z" and userName le "z"`},
		{name: "reference", in: `profileUrl sw "https://"`},
		{name: "binary eq", in: `photo eq "aGVsbG8="`},
		{name: "binary co", in: `x509certificates.value co "MII"`},
		{name: "boolean", in: `active eq true and active ne false`},
		{name: "integer", in: `loginCount gt 3 and loginCount le 1e3`},
		{name: "decimal", in: `score ge -1.5`},
		{name: "dateTime", in: `meta.lastModified gt "2011-05-13T04:42:34Z" and meta.created le "2011-05-13T04:42:34.123+02:00"`},
		{name: "dateTime without zone", in: `meta.created eq "2011-05-13T04:42:34"`},
		{name: "pr on complex", in: `name pr and emails pr and meta pr`},
		{name: "null on any type", in: `active eq null and name ne null and emails eq null and loginCount ne null`},
		{name: "shorthand on multi-valued complex", in: `emails co "example.com" and ims eq "x" and members eq "123"`},
		{name: "multi-valued simple", in: `nicknames eq "Babs"`},
		{name: "value path", in: `emails[type eq "work" and value co "@example.com" and primary eq true]`},
		{name: "value path with not and pr", in: `emails[not (type eq "work") or display pr]`},
		{name: "value path urn", in: `urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]`},
		{name: "extension", in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value pr`},
		{name: "case-insensitive names", in: `USERNAME eq "x" and Name.FamilyName co "y" and EMAILS[TYPE eq "work"]`},
		{name: "entra extension", in: `emails[type eq "work"].value eq "x"`},
		{name: "schemas", in: `schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`},
	}
	schema := newTestSchema()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if err := Check(e, schema); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

type checkErrCase struct {
	name string
	in   string
	msg  string
}

func checkErrorCases() []checkErrCase {
	return []checkErrCase{
		{name: "unknown attribute", in: `nickName eq "x"`, msg: `cannot filter on "nickName"`},
		{name: "unknown sub-attribute", in: `name.middle eq "x"`, msg: `"name.middle"`},
		{name: "unknown schema", in: `urn:example:foo:bar eq "x"`, msg: "unknown schema"},
		{name: "unknown inside value path", in: `emails[kind eq "work"]`, msg: `"emails.kind"`},
		{name: "unknown in pr", in: `nope pr`, msg: `"nope"`},
		{name: "unknown on the right of and", in: `title pr and nope pr`, msg: `"nope"`},
		{name: "gt on boolean", in: `active gt true`, msg: `"gt" cannot be used on the boolean attribute`},
		{name: "co on boolean", in: `active co true`, msg: `"co" cannot be used on the boolean attribute`},
		{name: "lt on binary", in: `photo lt "AAAA"`, msg: `"lt" cannot be used on the binary attribute`},
		{name: "co on integer", in: `loginCount co 1`, msg: "co, sw and ew apply to strings"},
		{name: "sw on dateTime", in: `meta.created sw "2011"`, msg: `"sw" cannot be used on the dateTime attribute`},
		{name: "complex without sub-attribute", in: `name eq "x"`, msg: `"name" is a complex attribute`},
		{name: "complex multi-valued without value", in: `addresses eq "x"`, msg: `"addresses" is a complex attribute`},
		{name: "complex single-valued manager", in: `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "x"`, msg: "is a complex attribute"},
		{name: "string for boolean", in: `active eq "true"`, msg: "compare it with true or false, not a string"},
		{name: "number for string", in: `userName eq 1`, msg: "compare it with a quoted string, not a number"},
		{name: "boolean for string", in: `userName eq true`, msg: "not a boolean"},
		{name: "string for integer", in: `loginCount eq "1"`, msg: "unquoted number"},
		{name: "number out of range", in: `score gt 1e400`, msg: "not a usable number"},
		{name: "number for dateTime", in: `meta.created gt 2011`, msg: "quoted timestamp"},
		{name: "bad dateTime", in: `meta.created gt "yesterday"`, msg: "not a valid dateTime"},
		{name: "null with co", in: `title co null`, msg: "null can only be used with eq"},
		{name: "null with gt", in: `loginCount gt null`, msg: "null can only be used with eq"},
		{name: "value path on simple", in: `userName[value eq "x"]`, msg: "not a multi-valued complex attribute"},
		{name: "value path on single complex", in: `name[givenName eq "x"]`, msg: "not a multi-valued complex attribute"},
		{name: "value path on multi-valued simple", in: `nicknames[value eq "x"]`, msg: "not a multi-valued complex attribute"},
		{name: "value path compare complex inside", in: `emails[value eq 1]`, msg: "not a number"},
		{name: "entra on unknown sub", in: `emails[type eq "work"].nope eq "x"`, msg: `"emails.nope"`},
	}
}

func TestCheckErrors(t *testing.T) {
	schema := newTestSchema()
	for _, tc := range checkErrorCases() {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = Check(e, schema)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Check = %v (%T), want *Error", err, err)
			}
			if fe.Pos != -1 || fe.Input != e.String() {
				t.Errorf("Pos, Input = %d, %q; want -1, %q", fe.Pos, fe.Input, e.String())
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", fe.Msg, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "invalid filter (") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestCheckUnwrapsResolverError(t *testing.T) {
	e, err := Parse(`nickName pr`)
	if err != nil {
		t.Fatal(err)
	}
	err = Check(e, newTestSchema())
	if !errors.Is(err, errUnknown) {
		t.Errorf("Check = %v, want it to wrap the resolver's error", err)
	}
}

func TestCheckHandBuiltTrees(t *testing.T) {
	schema := newTestSchema()
	deep := Expr(pr(attr("title")))
	for range MaxNodes {
		deep = not(deep)
	}
	cyc := &Or{}
	cyc.Left, cyc.Right = cyc, cyc
	tests := []struct {
		name string
		e    Expr
		msg  string
	}{
		{name: "nil", e: nil, msg: "nil"},
		{name: "typed nil", e: (*And)(nil), msg: "nil"},
		{name: "nil operand", e: and(pr(attr("title")), nil), msg: "nil"},
		{name: "nil not", e: not(nil), msg: "nil"},
		{name: "nil value filter", e: vp(attr("emails"), nil), msg: "nil"},
		{name: "empty name", e: pr(AttrPath{}), msg: "missing attribute name"},
		{name: "upper-case op", e: cmpx(attr("title"), "EQ", str("x")), msg: `unknown operator "EQ"`},
		{name: "bogus op", e: cmpx(attr("title"), "xx", str("x")), msg: `unknown operator "xx"`},
		{name: "bogus kind", e: cmpx(attr("title"), OpEq, Value{Kind: 9}), msg: "not a ValueKind(9)"},
		{name: "nested value path", e: vp(attr("emails"), vp(attr("ims"), pr(attr("value")))), msg: "cannot be nested"},
		{name: "value path on sub-attribute", e: vp(subAttr("emails", "value"), pr(attr("value"))), msg: "not the sub-attribute"},
		{name: "relative path with sub", e: vp(attr("emails"), pr(subAttr("value", "x"))), msg: "by itself"},
		{name: "too many nodes", e: deep, msg: "more than 256"},
		{name: "cycle", e: cyc, msg: "more than 256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.e, schema)
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Check = %v (%T), want *Error", err, err)
			}
			if !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("Msg = %q, want it to contain %q", fe.Msg, tc.msg)
			}
		})
	}
}

func TestCheckNilResolver(t *testing.T) {
	err := Check(pr(attr("title")), nil)
	var fe *Error
	if err == nil || errors.As(err, &fe) {
		t.Errorf("Check(nil resolver) = %v, want a plain error", err)
	}
}
