package patch

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

// TestRemovedActiveReadsFalse: a removed attribute is unassigned (RFC 7644
// §3.5.2.2) and unassigned "active" reads as false, so every way of
// unassigning it leaves active: false, never nothing for a default to fill.
func TestRemovedActiveReadsFalse(t *testing.T) {
	rt := schema.User()
	tests := []struct {
		name   string
		active any
		ops    string
	}{
		{"remove a false active", false, `[{"op":"remove","path":"active"}]`},
		{"remove a true active", true, `[{"op":"remove","path":"active"}]`},
		{"remove with the core URN", false, `[{"op":"remove","path":"` + userURN + `:active"}]`},
		{"remove with a matching value", true, `[{"op":"remove","path":"active","value":true}]`},
		{"replace with null", false, `[{"op":"replace","path":"active","value":null}]`},
		{"pathless replace with null", true, `[{"op":"replace","value":{"active":null}}]`},
		{"add of an empty string", false, `[{"op":"add","path":"active","value":""}]`},
		{"remove then other changes", false, `[{"op":"remove","path":"active"},{"op":"replace","path":"title","value":"x"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := schema.Resource{"schemas": []any{userURN}, "id": "u1", "userName": "a", "active": tt.active}
			got, err := Apply(rt, res, decodeOps(t, body(tt.ops)))
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := got["active"]; !ok || v != false {
				t.Errorf("active = %v (present %t), want false", v, ok)
			}
		})
	}
	// A remove whose value does not match changes nothing.
	res := schema.Resource{"schemas": []any{userURN}, "userName": "a", "active": true}
	got, err := Apply(rt, res, decodeOps(t, body(`[{"op":"remove","path":"active","value":false}]`)))
	if err != nil || got["active"] != true {
		t.Errorf("remove of a different value: active = %v, %v", got["active"], err)
	}
	// A resource without active gains none from an unrelated change.
	got, err = Apply(rt, schema.Resource{"schemas": []any{userURN}, "userName": "a"}, decodeOps(t, body(`[{"op":"remove","path":"active"}]`)))
	if _, ok := got["active"]; err != nil || ok {
		t.Errorf("remove of an unassigned active: %v, %v", got, err)
	}
}

// TestExtensionValueSchemasIgnored: "schemas" inside the value of an
// extension path is ignored, as it is in a pathless value (doc.go).
func TestExtensionValueSchemasIgnored(t *testing.T) {
	rt := schema.User()
	for _, op := range []string{"add", "replace"} {
		t.Run(op, func(t *testing.T) {
			res := schema.Resource{"schemas": []any{userURN}, "userName": "a"}
			got, err := Apply(rt, res, decodeOps(t, body(`[{"op":"`+op+`","path":"`+entURN+`","value":{"schemas":["`+entURN+`"],"SCHEMAS":null,"department":"Tours"}}]`)))
			if err != nil {
				t.Fatal(err)
			}
			if field(got, entURN, "department") != "Tours" {
				t.Errorf("got %v", got)
			}
		})
	}
}

// TestPatchValueLimits: PATCH values meet the limits POST and PUT do, in
// every shape an operation can take, and a stored resource that predates
// them can still be patched.
func TestPatchValueLimits(t *testing.T) {
	rt := schema.User()
	long := strings.Repeat("x", schema.MaxTextBytes+1)
	var emails []string
	for i := 0; i <= schema.MaxMultiValues; i++ {
		emails = append(emails, `{"op":"add","path":"emails","value":[{"value":"e`+strings.Repeat("e", i)+`@x"}]}`)
	}
	for _, tt := range []struct{ name, ops, attr string }{
		{"path", `[{"op":"replace","path":"displayName","value":"` + long + `"}]`, `"displayName"`},
		{"pathless", `[{"op":"add","value":{"nickName":"` + long + `"}}]`, `"nickName"`},
		{"dotted pathless key", `[{"op":"add","value":{"name.givenName":"` + long + `"}}]`, `"name.givenName"`},
		{"filtered sub-attribute", `[{"op":"add","path":"emails[type eq \"work\"].value","value":"` + long + `"}]`, `"emails.value"`},
		{"extension", `[{"op":"add","path":"` + entURN + `","value":{"department":"` + long + `"}}]`, `department"`},
		{"NUL", `[{"op":"add","path":"title","value":"a\u0000"}]`, `"title"`},
		{"values added one at a time", "[" + strings.Join(emails, ",") + "]", `"emails" has 101 values`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := schema.Resource{"schemas": []any{userURN}, "userName": "a"}
			_, err := Apply(rt, res, decodeOps(t, body(tt.ops)))
			if scimType(t, err) != schema.ScimTypeInvalidValue || !strings.Contains(err.Error(), tt.attr) {
				t.Errorf("error %v, want invalidValue naming %s", err, tt.attr)
			}
		})
	}
	stored := schema.Resource{"schemas": []any{userURN}, "userName": "a", "displayName": long}
	if got, err := Apply(rt, stored, decodeOps(t, body(`[{"op":"replace","path":"displayName","value":"short"}]`))); err != nil || got["displayName"] != "short" {
		t.Errorf("patching an oversized stored value: %v, %v", got, err)
	}
	if _, err := Apply(rt, stored, decodeOps(t, body(`[{"op":"replace","path":"title","value":"t"}]`))); scimType(t, err) != schema.ScimTypeInvalidValue {
		t.Errorf("keeping an oversized stored value: %v, want invalidValue", err)
	}
}

// TestPlanGroupMemberTypeCase: a member "type" is compared ignoring case,
// as members.type is caseExact false.
func TestPlanGroupMemberTypeCase(t *testing.T) {
	rt := schema.Group()
	for _, typ := range []string{"user", "USER", "User"} {
		if _, err := PlanGroup(rt, "g0", decodeOps(t, body(`[{"op":"add","path":"members","value":[{"value":"u1","type":"`+typ+`"}]}]`))); err != nil {
			t.Errorf("type %q: %v", typ, err)
		}
	}
	for _, typ := range []string{"group", "GROUP", "Group", "Person"} {
		if _, err := PlanGroup(rt, "g0", decodeOps(t, body(`[{"op":"add","path":"members","value":[{"value":"g1","type":"`+typ+`"}]}]`))); scimType(t, err) != schema.ScimTypeInvalidValue {
			t.Errorf("type %q: %v, want invalidValue", typ, err)
		}
	}
}
