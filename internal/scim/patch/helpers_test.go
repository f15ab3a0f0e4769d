package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

const (
	userURN = schema.UserURN
	entURN  = schema.EnterpriseUserURN
	// managerID is the manager of the RFC 7643 §8.3 user.
	managerID = "26118915-6090-4610-87e4-49d8ca9f808d"
	// groupID is the id of the RFC 7643 §8.4 group.
	groupID = "e9e30dba-f08f-4109-8486-d5c6a331660a"
)

// loadResource reads a testdata JSON file as a stored resource: decoded
// with UseNumber, readOnly attributes included.
func loadResource(t testing.TB, name string) schema.Resource {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := jsonValue(t, string(b)).(map[string]any)
	if !ok {
		t.Fatalf("%s is not a JSON object", name)
	}
	return m
}

// enterpriseUser is the RFC 7643 §8.3 user, as stored.
func enterpriseUser(t testing.TB) schema.Resource {
	return loadResource(t, "rfc7643-8.3-enterprise-user.json")
}

// fullUser is the RFC 7643 §8.2 user (no enterprise extension), as stored.
func fullUser(t testing.TB) schema.Resource {
	return loadResource(t, "rfc7643-8.2-full-user.json")
}

// jsonValue decodes s as this package's input is decoded (UseNumber).
func jsonValue(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return v
}

// canonical re-encodes v as JSON with sorted keys, so that values built in
// different ways compare as text.
func canonical(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding %#v: %v", v, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// canonicalJSON normalizes a JSON text written in a test.
func canonicalJSON(t testing.TB, s string) string {
	t.Helper()
	return canonical(t, jsonValue(t, s))
}

// body wraps operations (a JSON array) in a PatchOp message.
func body(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
}

// decodeOps decodes a PatchOp body, failing the test on error.
func decodeOps(t testing.TB, b string) []Operation {
	t.Helper()
	ops, err := Decode([]byte(b))
	if err != nil {
		t.Fatalf("Decode(%s): %v", b, err)
	}
	return ops
}

// scimType returns the scimType of err, failing the test when err is not a
// *schema.Error with a detail.
func scimType(t testing.TB, err error) string {
	t.Helper()
	var se *schema.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *schema.Error", err, err)
	}
	if se.Detail == "" {
		t.Fatalf("error %#v has no detail", se)
	}
	return se.ScimType
}

// field returns the value at a path of keys in res ("name", "givenName";
// a number indexes an array), or nil.
func field(res map[string]any, keys ...string) any {
	var v any = res
	for _, k := range keys {
		if l, ok := v.([]any); ok {
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(l) {
				return nil
			}
			v = l[i]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			if r, ok2 := v.(schema.Resource); ok2 {
				m = r
			} else {
				return nil
			}
		}
		v = m[k]
	}
	return v
}

// snapshot deep-copies res through JSON, for checking that Apply leaves
// its input alone.
func snapshot(t testing.TB, res schema.Resource) string {
	t.Helper()
	return canonical(t, res)
}

// mustEqualJSON fails unless got encodes like the JSON text want.
func mustEqualJSON(t testing.TB, what string, got any, want string) {
	t.Helper()
	g, w := canonical(t, got), canonicalJSON(t, want)
	if g != w {
		t.Errorf("%s:\n got  %s\n want %s", what, g, w)
	}
}

// checkValid asserts that a patched resource re-decodes to itself (minus
// the readOnly attributes the server keeps) and never has two primaries.
func checkValid(t testing.TB, rt *schema.ResourceType, res schema.Resource) {
	t.Helper()
	again, err := rt.DecodeMap(jsonValue(t, canonical(t, res)).(map[string]any))
	if err != nil {
		t.Fatalf("patched resource does not re-decode: %v\n%s", err, canonical(t, res))
	}
	stripped, err := rt.DecodeMap(res)
	if err != nil {
		t.Fatalf("patched resource does not re-decode: %v", err)
	}
	if !reflect.DeepEqual(again, stripped) {
		t.Fatalf("patched resource changes in a JSON round trip:\n%s\n%s", canonical(t, stripped), canonical(t, again))
	}
}

// checkOutcome asserts what Apply gave: an error of type wantType when
// one is expected, otherwise a valid resource with the values in want
// (path → JSON).
func checkOutcome(t testing.TB, rt *schema.ResourceType, got schema.Resource, err error, wantType string, want map[string]string) {
	t.Helper()
	if wantType != "" {
		if err == nil {
			t.Fatalf("Apply succeeded: %s", canonical(t, got))
		}
		if st := scimType(t, err); st != wantType {
			t.Errorf("scimType = %q, want %q (%v)", st, wantType, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for path, w := range want {
		mustEqualJSON(t, path, at(got, path), w)
	}
	checkValid(t, rt, got)
}
