package patch

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Operation
	}{
		{
			name: "add with path",
			body: body(`[{"op":"add","path":"nickName","value":"Babs"}]`),
			want: []Operation{{Op: "add", Path: "nickName", Value: "Babs"}},
		},
		{
			name: "pathless replace keeps the object and json.Number",
			body: body(`[{"op":"replace","value":{"active":false,"n":1}}]`),
			want: []Operation{{Op: "replace", Value: map[string]any{"active": false, "n": json.Number("1")}}},
		},
		{
			name: "remove without value",
			body: body(`[{"op":"remove","path":"members[value eq \"2819c223\"]"}]`),
			want: []Operation{{Op: "remove", Path: `members[value eq "2819c223"]`}},
		},
		{
			// Entra ID: Microsoft known-issues page (aadOptscim062020),
			// requests sent without the flag use "Replace", "Add", "Remove".
			name: "Entra: op names in any case",
			body: body(`[{"op":"Replace","path":"active","value":"False"},{"op":"ADD","path":"nickName","value":"x"},{"op":"Remove","path":"title"}]`),
			want: []Operation{
				{Op: "replace", Path: "active", Value: "False"},
				{Op: "add", Path: "nickName", Value: "x"},
				{Op: "remove", Path: "title"},
			},
		},
		{
			name: "member names matched case-insensitively",
			body: `{"SCHEMAS":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"operations":[{"OP":"add","Path":"title","VALUE":"x"}]}`,
			want: []Operation{{Op: "add", Path: "title", Value: "x"}},
		},
		{
			name: "PatchOp URN in any case, other schemas and members ignored",
			body: `{"schemas":["urn:x","URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"id":"1","Operations":[{"op":"add","path":"title","value":"x","extra":1}]}`,
			want: []Operation{{Op: "add", Path: "title", Value: "x"}},
		},
		{
			name: "path whitespace trimmed, null path is absent",
			body: body(`[{"op":"add","path":"  title ","value":"x"},{"op":"add","path":null,"value":{"title":"y"}}]`),
			want: []Operation{{Op: "add", Path: "title", Value: "x"}, {Op: "add", Value: map[string]any{"title": "y"}}},
		},
		{
			name: "null value is a value",
			body: body(`[{"op":"replace","path":"title","value":null}]`),
			want: []Operation{{Op: "replace", Path: "title"}},
		},
		{
			// Entra ID sends a value with remove for group members
			// (known-issues page; azure-docs #30826).
			name: "Entra: remove with a value",
			body: body(`[{"op":"Remove","path":"members","value":[{"value":"u1091"}]}]`),
			want: []Operation{{Op: "remove", Path: "members", Value: []any{map[string]any{"value": "u1091"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decode:\n got  %#v\n want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	many := make([]string, MaxOperations+1)
	for i := range many {
		many[i] = `{"op":"add","path":"title","value":"x"}`
	}
	tests := []struct {
		name      string
		body      string
		scimType  string
		detailHas string
	}{
		{"empty body", ``, schema.ScimTypeInvalidSyntax, "empty"},
		{"not JSON", `{"schemas":`, schema.ScimTypeInvalidSyntax, "not valid JSON"},
		{"trailing data", body(`[{"op":"add","path":"title","value":"x"}]`) + `{}`, schema.ScimTypeInvalidSyntax, "after the JSON object"},
		{"array body", `[]`, schema.ScimTypeInvalidSyntax, "JSON object"},
		{"no schemas", `{"Operations":[{"op":"add","path":"title","value":"x"}]}`, schema.ScimTypeInvalidSyntax, schema.PatchOpURN},
		{"wrong schemas", `{"schemas":["` + schema.UserURN + `"],"Operations":[{"op":"add","path":"title","value":"x"}]}`, schema.ScimTypeInvalidSyntax, schema.PatchOpURN},
		{"schemas not an array", `{"schemas":"` + schema.PatchOpURN + `","Operations":[{"op":"add","path":"title","value":"x"}]}`, schema.ScimTypeInvalidSyntax, "array"},
		{"schemas twice", `{"schemas":["` + schema.PatchOpURN + `"],"Schemas":[],"Operations":[]}`, schema.ScimTypeInvalidSyntax, "twice"},
		{"no Operations", `{"schemas":["` + schema.PatchOpURN + `"]}`, schema.ScimTypeInvalidSyntax, "Operations"},
		{"Operations not an array", body(`{"op":"add"}`), schema.ScimTypeInvalidSyntax, "array"},
		{"Operations empty", body(`[]`), schema.ScimTypeInvalidSyntax, "empty"},
		{"too many operations", body(`[` + strings.Join(many, ",") + `]`), schema.ScimTypeInvalidValue, "at most 1000"},
		{"operation not an object", body(`["add"]`), schema.ScimTypeInvalidSyntax, "operation 1"},
		{"missing op", body(`[{"path":"title","value":"x"}]`), schema.ScimTypeInvalidSyntax, `"op"`},
		{"op not a string", body(`[{"op":1,"path":"title","value":"x"}]`), schema.ScimTypeInvalidSyntax, `"op"`},
		{"unknown op", body(`[{"op":"add","path":"title","value":"x"},{"op":"copy","path":"title"}]`), schema.ScimTypeInvalidSyntax, `operation 2: unknown "op" "copy"`},
		{"JSON Patch test op", body(`[{"op":"test","path":"title","value":"x"}]`), schema.ScimTypeInvalidSyntax, "unknown"},
		{"op twice", body(`[{"op":"add","OP":"remove","path":"title","value":"x"}]`), schema.ScimTypeInvalidSyntax, "twice"},
		{"path not a string", body(`[{"op":"add","path":["title"],"value":"x"}]`), schema.ScimTypeInvalidPath, "string"},
		{"path syntax", body(`[{"op":"add","path":"emails[type eq]","value":"x"}]`), schema.ScimTypeInvalidPath, "invalid path"},
		{"path unbalanced bracket", body(`[{"op":"remove","path":"members[value eq \"x\""}]`), schema.ScimTypeInvalidPath, "invalid path"},
		{"add without value", body(`[{"op":"add","path":"title"}]`), schema.ScimTypeInvalidValue, "needs a \"value\""},
		{"replace without value", body(`[{"op":"replace","path":"title"}]`), schema.ScimTypeInvalidValue, "needs a \"value\""},
		{"pathless add with a string", body(`[{"op":"add","value":"x"}]`), schema.ScimTypeInvalidValue, "object"},
		{"pathless replace with null", body(`[{"op":"replace","value":null}]`), schema.ScimTypeInvalidValue, "object"},
		// RFC 7644 §3.5.2.2: "If "path" is unspecified, the operation
		// fails with HTTP status code 400 and a "scimType" error code of
		// "noTarget"."
		{"remove without path", body(`[{"op":"remove"}]`), schema.ScimTypeNoTarget, "path"},
		{"remove with empty path", body(`[{"op":"remove","path":" "}]`), schema.ScimTypeNoTarget, "path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := Decode([]byte(tt.body))
			if err == nil {
				t.Fatalf("Decode succeeded: %#v", ops)
			}
			if got := scimType(t, err); got != tt.scimType {
				t.Errorf("scimType = %q, want %q (%v)", got, tt.scimType, err)
			}
			if !strings.Contains(err.Error(), tt.detailHas) {
				t.Errorf("error %q does not mention %q", err, tt.detailHas)
			}
		})
	}
}
