package filter

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is an *Error
// pointing inside the input, and that the canonical form of anything that
// parses reparses to an equal tree with the same canonical form. It also
// runs Check and Match on the result, which must not panic either.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases() {
		f.Add(tc.in)
	}
	for _, tc := range parseErrorCases() {
		if len(tc.in) <= MaxLen { // keep the seed corpus small
			f.Add(tc.in)
		}
	}
	for _, ex := range rfcExamples() {
		f.Add(strings.TrimPrefix(ex, "filter="))
	}
	for _, tc := range checkErrorCases() {
		f.Add(tc.in)
	}
	schema := newTestSchema()
	res := decode(f, bjensenJSON, true)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q) error %v is %T, not *Error", s, err, err)
			}
			if fe.Pos < 0 || fe.Pos > len(s) || fe.Input != s {
				t.Fatalf("Parse(%q): bad error position %d", s, fe.Pos)
			}
			_ = err.Error()
			return
		}
		out := e.String()
		if len(out) > MaxLen {
			return // the canonical form may add spaces; see Expr
		}
		e2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String() %q does not reparse: %v", s, out, err)
		}
		if out2 := e2.String(); out2 != out {
			t.Fatalf("String() not stable: %q -> %q -> %q", s, out, out2)
		}
		if !reflect.DeepEqual(e, e2) {
			t.Fatalf("reparse of %q gives a different tree", out)
		}
		if err := Check(e, schema); err == nil {
			if _, err := Match(e, res, schema); err != nil {
				t.Fatalf("Match(%q) failed after Check passed: %v", out, err)
			}
		} else {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("Check(%q) error %v is %T, not *Error", out, err, err)
			}
		}
	})
}

// FuzzParsePath checks ParsePath as FuzzParse checks Parse.
func FuzzParsePath(f *testing.F) {
	for _, tc := range pathCases() {
		f.Add(tc.in)
	}
	for _, tc := range pathErrorCases() {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) {
				t.Fatalf("ParsePath(%q) error %v is %T, not *Error", s, err, err)
			}
			if fe.Pos < 0 || fe.Pos > len(s) || fe.Input != s {
				t.Fatalf("ParsePath(%q): bad error position %d", s, fe.Pos)
			}
			if !strings.HasPrefix(err.Error(), "invalid path") {
				t.Fatalf("ParsePath(%q) error %q does not say path", s, err)
			}
			return
		}
		out := p.String()
		if len(out) > MaxLen {
			return
		}
		p2, err := ParsePath(out)
		if err != nil {
			t.Fatalf("ParsePath(%q) ok, but its String() %q does not reparse: %v", s, out, err)
		}
		if out2 := p2.String(); out2 != out {
			t.Fatalf("String() not stable: %q -> %q -> %q", s, out, out2)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("reparse of %q gives a different Path", out)
		}
	})
}
