package patch

import (
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

// at returns the value at a "/"-separated path of keys (URNs contain dots,
// so "/" separates), or nil.
func at(res schema.Resource, path string) any {
	return field(res, strings.Split(path, "/")...)
}

const (
	workEmail = `{"value":"bjensen@example.com","type":"work","primary":true}`
	homeEmail = `{"value":"babs@jensen.org","type":"home"}`
)

// TestApply checks the operation semantics of RFC 7644 §3.5.2 on the RFC
// 7643 §8.3 user. want maps "/"-separated paths to the JSON expected
// there; "null" means absent.
func TestApply(t *testing.T) {
	tests := []struct {
		name string
		ops  string
		want map[string]string
	}{
		// add (§3.5.2.1)
		{
			name: "add sets an unassigned single-valued attribute",
			ops:  `[{"op":"add","path":"profileUrl","value":"https://x.example/b"}]`,
			want: map[string]string{"profileUrl": `"https://x.example/b"`},
		},
		{
			name: "add replaces a single-valued attribute",
			ops:  `[{"op":"add","path":"title","value":"Manager"}]`,
			want: map[string]string{"title": `"Manager"`},
		},
		{
			name: "add appends to a multi-valued attribute",
			ops:  `[{"op":"add","path":"emails","value":[{"value":"b@other.example","type":"other"}]}]`,
			want: map[string]string{"emails": `[` + workEmail + `,` + homeEmail + `,{"value":"b@other.example","type":"other"}]`},
		},
		{
			name: "add of a value already present (ignoring case where not caseExact) changes nothing",
			ops:  `[{"op":"add","path":"emails","value":[{"type":"Home","value":"BABS@jensen.org"}]}]`,
			want: map[string]string{"emails": `[` + workEmail + `,` + homeEmail + `]`},
		},
		{
			name: "add to an unassigned multi-valued attribute",
			ops:  `[{"op":"add","path":"roles","value":[{"value":"admin"}]}]`,
			want: map[string]string{"roles": `[{"value":"admin"}]`},
		},
		{
			name: "add merges sub-attributes of a complex attribute",
			ops:  `[{"op":"add","path":"name","value":{"givenName":"Babs","middleName":null}}]`,
			want: map[string]string{"name/givenName": `"Babs"`, "name/familyName": `"Jensen"`, "name/middleName": `null`},
		},
		{
			name: "add with an empty multi-valued value changes nothing",
			ops:  `[{"op":"add","path":"emails","value":[]}]`,
			want: map[string]string{"emails": `[` + workEmail + `,` + homeEmail + `]`},
		},
		{
			name: "add to a sub-attribute of a complex attribute",
			ops:  `[{"op":"add","path":"name.middleName","value":"J."}]`,
			want: map[string]string{"name/middleName": `"J."`, "name/givenName": `"Barbara"`},
		},
		{
			name: "add to a sub-attribute of an unassigned complex attribute",
			ops:  `[{"op":"remove","path":"name"},{"op":"add","path":"name.givenName","value":"B"}]`,
			want: map[string]string{"name": `{"givenName":"B"}`},
		},
		{
			name: "add merges into the elements a filter selects",
			ops:  `[{"op":"add","path":"emails[type eq \"home\"]","value":{"display":"Home"}}]`,
			want: map[string]string{"emails": `[` + workEmail + `,{"value":"babs@jensen.org","type":"home","display":"Home"}]`},
		},
		{
			name: "add without path adds each attribute",
			ops:  `[{"op":"add","value":{"nickName":"B","roles":[{"value":"r"}],"name":{"givenName":"G"}}}]`,
			want: map[string]string{"nickName": `"B"`, "roles": `[{"value":"r"}]`, "name/givenName": `"G"`, "name/familyName": `"Jensen"`},
		},
		// replace (§3.5.2.3)
		{
			name: "replace a single-valued attribute",
			ops:  `[{"op":"replace","path":"userName","value":"babs"}]`,
			want: map[string]string{"userName": `"babs"`},
		},
		{
			name: "replace of an unassigned attribute adds it",
			ops:  `[{"op":"replace","path":"roles","value":[{"value":"r"}]}]`,
			want: map[string]string{"roles": `[{"value":"r"}]`},
		},
		{
			name: "replace a complex attribute leaves other sub-attributes unchanged",
			ops:  `[{"op":"replace","path":"name","value":{"givenName":"Babs"}}]`,
			want: map[string]string{"name/givenName": `"Babs"`, "name/formatted": `"Ms. Barbara J Jensen, III"`},
		},
		{
			name: "replace a complex attribute with null sub-attributes unassigns them",
			ops:  `[{"op":"replace","path":"name","value":{"middleName":null,"honorificPrefix":""}}]`,
			want: map[string]string{"name/middleName": `null`, "name/honorificPrefix": `null`, "name/givenName": `"Barbara"`},
		},
		{
			name: "replace a multi-valued attribute replaces all values",
			ops:  `[{"op":"replace","path":"emails","value":[{"value":"n@example.com"}]}]`,
			want: map[string]string{"emails": `[{"value":"n@example.com"}]`},
		},
		{
			name: "replace the elements a filter selects",
			ops:  `[{"op":"replace","path":"phoneNumbers[type eq \"mobile\"]","value":{"value":"555-1","type":"mobile"}}]`,
			want: map[string]string{"phoneNumbers": `[{"value":"555-555-5555","type":"work"},{"value":"555-1","type":"mobile"}]`},
		},
		{
			name: "replace a sub-attribute of the elements a filter selects",
			ops:  `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@new.example"}]`,
			want: map[string]string{"emails": `[{"value":"b@new.example","type":"work","primary":true},` + homeEmail + `]`},
		},
		{
			name: "replace a sub-attribute of every element",
			ops:  `[{"op":"replace","path":"phoneNumbers.display","value":"x"}]`,
			want: map[string]string{"phoneNumbers": `[{"value":"555-555-5555","type":"work","display":"x"},{"value":"555-555-4444","type":"mobile","display":"x"}]`},
		},
		{
			name: "replace with null unassigns",
			ops:  `[{"op":"replace","path":"nickName","value":null},{"op":"replace","path":"emails","value":null},{"op":"replace","path":"name","value":{}}]`,
			want: map[string]string{"nickName": `null`, "emails": `null`, "name": `null`},
		},
		{
			name: "replace with an empty string unassigns",
			ops:  `[{"op":"replace","path":"title","value":""},{"op":"replace","path":"emails[type eq \"work\"].value","value":""}]`,
			want: map[string]string{"title": `null`, "emails": `[{"type":"work","primary":true},` + homeEmail + `]`},
		},
		{
			name: "replace filtered elements with an empty string removes them",
			ops:  `[{"op":"replace","path":"emails[type eq \"home\"]","value":""}]`,
			want: map[string]string{"emails": `[` + workEmail + `]`},
		},
		{
			name: "replace filtered elements with null removes them",
			ops:  `[{"op":"replace","path":"emails[type eq \"home\"]","value":null}]`,
			want: map[string]string{"emails": `[` + workEmail + `]`},
		},
		// remove (§3.5.2.2)
		{
			name: "remove a single-valued attribute",
			ops:  `[{"op":"remove","path":"nickName"}]`,
			want: map[string]string{"nickName": `null`},
		},
		{
			name: "remove a complex attribute",
			ops:  `[{"op":"remove","path":"name"}]`,
			want: map[string]string{"name": `null`},
		},
		{
			name: "remove a sub-attribute",
			ops:  `[{"op":"remove","path":"name.middleName"}]`,
			want: map[string]string{"name/middleName": `null`, "name/givenName": `"Barbara"`},
		},
		{
			name: "remove all values of a multi-valued attribute",
			ops:  `[{"op":"remove","path":"addresses"}]`,
			want: map[string]string{"addresses": `null`},
		},
		{
			name: "remove the values a filter selects",
			ops:  `[{"op":"remove","path":"phoneNumbers[type eq \"work\" or type eq \"mobile\"]"}]`,
			want: map[string]string{"phoneNumbers": `null`},
		},
		{
			name: "remove with a filter that matches nothing changes nothing",
			ops:  `[{"op":"remove","path":"emails[type eq \"other\"]"}]`,
			want: map[string]string{"emails": `[` + workEmail + `,` + homeEmail + `]`},
		},
		{
			name: "remove a sub-attribute of the values a filter selects",
			ops:  `[{"op":"remove","path":"emails[type eq \"work\"].primary"}]`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work"},` + homeEmail + `]`},
		},
		{
			name: "remove of an unassigned attribute changes nothing",
			ops:  `[{"op":"remove","path":"roles"},{"op":"remove","path":"name.middleName"},{"op":"remove","path":"name.middleName"}]`,
			want: map[string]string{"roles": `null`, "name/middleName": `null`, "name/givenName": `"Barbara"`},
		},
		{
			name: "remove with a value removes only the listed values",
			ops:  `[{"op":"remove","path":"emails","value":[{"value":"BABS@jensen.org"}]}]`,
			want: map[string]string{"emails": `[` + workEmail + `]`},
		},
		// names, URNs and schemas
		{
			name: "attribute names are case-insensitive",
			ops:  `[{"op":"replace","path":"NAME.GIVENNAME","value":"G"},{"op":"replace","path":"Emails[TYPE eq \"WORK\"].Value","value":"w@x.example"}]`,
			want: map[string]string{"name/givenName": `"G"`, "emails": `[{"value":"w@x.example","type":"work","primary":true},` + homeEmail + `]`},
		},
		{
			name: "core URN-qualified path",
			ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName","value":"G"}]`,
			want: map[string]string{"name/givenName": `"G"`},
		},
		{
			name: "extension attribute path",
			ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"42"}]`,
			want: map[string]string{entURN + "/employeeNumber": `"42"`, entURN + "/department": `"Tour Operations"`},
		},
		{
			name: "extension sub-attribute path",
			ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m2"}]`,
			want: map[string]string{entURN + "/manager": `{"value":"m2"}`},
		},
		{
			name: "whole extension add merges attributes",
			ops:  `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"costCenter":"1","division":null}}]`,
			want: map[string]string{entURN + "/costCenter": `"1"`, entURN + "/division": `null`, entURN + "/employeeNumber": `"701984"`},
		},
		{
			name: "whole extension replace replaces the attributes given",
			ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":{"department":"Sales","manager":{"value":"m3"}}}]`,
			want: map[string]string{entURN + "/department": `"Sales"`, entURN + "/manager": `{"value":"m3"}`, entURN + "/costCenter": `"4130"`},
		},
		{
			name: "whole extension remove unassigns it and maintains schemas",
			ops:  `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
			want: map[string]string{entURN: `null`, "schemas": `["` + userURN + `"]`},
		},
		{
			name: "pathless value keyed by an extension URN",
			ops:  `[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"D"}}}]`,
			want: map[string]string{entURN + "/department": `"D"`, entURN + "/division": `"Theme Park"`},
		},
		{
			name: "path naming the core schema is a pathless operation",
			ops:  `[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User","value":{"nickName":"N"}}]`,
			want: map[string]string{"nickName": `"N"`},
		},
		{
			name: "removing the last extension attribute drops the extension from schemas",
			ops: `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
			       {"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"},
			       {"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization"},
			       {"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division"},
			       {"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"},
			       {"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`,
			want: map[string]string{entURN: `null`, "schemas": `["` + userURN + `"]`},
		},
		{
			name: "pathless value ignores schemas, meta and the resource's own id",
			ops:  `[{"op":"replace","value":{"schemas":["urn:x"],"id":"2819c223-7f76-453a-919d-413861904646","meta":{"resourceType":"Other"},"groups":[],"nickName":"N"}}]`,
			want: map[string]string{"nickName": `"N"`, "meta/resourceType": `"User"`, "groups/0/display": `"Tour Guides"`},
		},
		{
			name: "operations on schemas are accepted and ignored; schemas follows the data",
			ops:  `[{"op":"add","path":"schemas","value":["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]},{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]`,
			want: map[string]string{"schemas": `["` + userURN + `"]`},
		},
		{
			name: "remove with a value removes a simple value only when equal (ignoring case when not caseExact)",
			ops:  `[{"op":"remove","path":"nickName","value":"BABS"},{"op":"remove","path":"title","value":"Driver"}]`,
			want: map[string]string{"nickName": `null`, "title": `"Tour Guide"`},
		},
		{
			name: "remove a sub-attribute with a value only when equal",
			ops:  `[{"op":"remove","path":"name.givenName","value":"barbara"},{"op":"remove","path":"name.familyName","value":"Smith"}]`,
			want: map[string]string{"name/givenName": `null`, "name/familyName": `"Jensen"`},
		},
		{
			name: "remove with a value on a complex attribute compares the given sub-attributes",
			ops:  `[{"op":"remove","path":"name","value":{"givenName":"Someone"}}]`,
			want: map[string]string{"name/givenName": `"Barbara"`},
		},
		// primary (§3.5.2)
		{
			name: "adding a primary value makes the others non-primary",
			ops:  `[{"op":"add","path":"emails","value":[{"value":"n@example.com","primary":true}]}]`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":false},` + homeEmail + `,{"value":"n@example.com","primary":true}]`},
		},
		{
			name: "setting primary through a filter makes the others non-primary",
			ops:  `[{"op":"replace","path":"emails[type eq \"home\"].primary","value":true}]`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":false},{"value":"babs@jensen.org","type":"home","primary":true}]`},
		},
		{
			name: "replacing a filtered element with a primary one",
			ops:  `[{"op":"replace","path":"addresses[type eq \"home\"]","value":{"type":"home","locality":"LA","primary":true}}]`,
			want: map[string]string{"addresses/0/primary": `false`, "addresses/1": `{"type":"home","locality":"LA","primary":true}`},
		},
		{
			name: "adding primary to a filtered element makes the others non-primary",
			ops:  `[{"op":"add","path":"emails[type eq \"home\"]","value":{"primary":"true"}}]`,
			want: map[string]string{"emails": `[{"value":"bjensen@example.com","type":"work","primary":false},{"value":"babs@jensen.org","type":"home","primary":true}]`},
		},
		{
			name: "boolean strings are coerced in every position",
			ops:  `[{"op":"replace","path":"active","value":"FALSE"},{"op":"add","path":"emails[type eq \"home\"].primary","value":"True"}]`,
			want: map[string]string{"active": `false`, "emails/1/primary": `true`, "emails/0/primary": `false`},
		},
	}
	rt := schema.User()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := enterpriseUser(t)
			before := snapshot(t, res)
			got, err := Apply(rt, res, decodeOps(t, body(tt.ops)))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if snapshot(t, res) != before {
				t.Error("Apply modified its input")
			}
			for path, want := range tt.want {
				mustEqualJSON(t, path, at(got, path), want)
			}
			checkValid(t, rt, got)
		})
	}
}

// TestApplyErrors checks the error cases: every error is a *schema.Error
// with the scimType RFC 7644 §3.12 assigns, and names the operation.
func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name      string
		ops       string
		scimType  string
		detailHas string
	}{
		// readOnly and required attributes (RFC 7644 §3.5.2, §3.5.2.2)
		{"replace id", `[{"op":"replace","path":"id","value":"x"}]`, schema.ScimTypeMutability, `"id" is readOnly`},
		{"add meta", `[{"op":"add","path":"meta","value":{"resourceType":"User"}}]`, schema.ScimTypeMutability, "readOnly"},
		{"remove meta sub-attribute", `[{"op":"remove","path":"meta.created"}]`, schema.ScimTypeMutability, "readOnly"},
		{"add groups", `[{"op":"add","path":"groups","value":[{"value":"g"}]}]`, schema.ScimTypeMutability, "readOnly"},
		{"remove groups by filter", `[{"op":"remove","path":"groups[value eq \"g\"]"}]`, schema.ScimTypeMutability, "readOnly"},
		{"replace manager displayName", `[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName","value":"x"}]`, schema.ScimTypeMutability, "readOnly"},
		{"pathless id of another resource", `[{"op":"replace","value":{"id":"other","nickName":"x"}}]`, schema.ScimTypeMutability, "id"},
		{"remove userName", `[{"op":"remove","path":"userName"}]`, schema.ScimTypeMutability, "required"},
		{"empty userName", `[{"op":"replace","path":"userName","value":""}]`, schema.ScimTypeMutability, "required"},
		{"null userName in a pathless value", `[{"op":"replace","value":{"userName":null}}]`, schema.ScimTypeMutability, "required"},
		// unknown paths (invalidPath) and bad filters
		{"unknown attribute", `[{"op":"add","path":"shoeSize","value":"9"}]`, schema.ScimTypeInvalidPath, "shoeSize"},
		{"unknown sub-attribute", `[{"op":"add","path":"name.nick","value":"x"}]`, schema.ScimTypeInvalidPath, "nick"},
		{"unknown sub-attribute after a filter", `[{"op":"replace","path":"emails[type eq \"work\"].label","value":"x"}]`, schema.ScimTypeInvalidPath, "label"},
		{"sub-attribute of a simple attribute", `[{"op":"remove","path":"name.foo.bar"}]`, schema.ScimTypeInvalidPath, "invalid path"},
		{"unknown schema URN", `[{"op":"add","path":"urn:example:ext:1.0:User:x","value":"x"}]`, schema.ScimTypeInvalidPath, "urn:example:ext:1.0:User"},
		{"unknown extension attribute", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:shoeSize","value":"x"}]`, schema.ScimTypeInvalidPath, "shoeSize"},
		{"filter syntax is a path error", `[{"op":"remove","path":"emails[type eq \"work\" and]"}]`, schema.ScimTypeInvalidPath, "invalid path"},
		{"filter on an unknown sub-attribute", `[{"op":"remove","path":"emails[label eq \"work\"]"}]`, schema.ScimTypeInvalidFilter, "label"},
		{"filter comparing a boolean with a string", `[{"op":"remove","path":"emails[primary eq \"yes\"]"}]`, schema.ScimTypeInvalidFilter, "boolean"},
		{"filter on a single-valued attribute", `[{"op":"remove","path":"userName[value eq \"x\"]"}]`, schema.ScimTypeInvalidPath, "multi-valued"},
		{"filter on a single-valued complex attribute", `[{"op":"remove","path":"name[givenName eq \"x\"]"}]`, schema.ScimTypeInvalidPath, "multi-valued"},
		{"filter after a sub-attribute", `[{"op":"remove","path":"emails.value[value eq \"x\"]"}]`, schema.ScimTypeInvalidPath, "invalid path"},
		{"filter after the extension URN", `[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User[value eq \"x\"]"}]`, schema.ScimTypeInvalidPath, ""},
		{"bare extension name in a pathless value is not a path", `[{"op":"replace","value":{"name.nick":"x"}}]`, schema.ScimTypeInvalidSyntax, "nick"},
		{"unknown pathless key", `[{"op":"add","value":{"shoeSize":9}}]`, schema.ScimTypeInvalidSyntax, "shoeSize"},
		{"pathless key twice", `[{"op":"add","value":{"nickName":"a","NICKNAME":"b"}}]`, schema.ScimTypeInvalidSyntax, "twice"},
		{"filter in a pathless key", `[{"op":"add","value":{"emails[type eq \"work\"].value":"a"}}]`, schema.ScimTypeInvalidSyntax, "filter"},
		// noTarget (RFC 7644 §3.5.2.3)
		{"replace with a filter that matches nothing", `[{"op":"replace","path":"emails[value eq \"nobody@example.com\"].value","value":"x"}]`, schema.ScimTypeNoTarget, "matches"},
		{"replace a typed element that does not exist", `[{"op":"replace","path":"emails[type eq \"other\"]","value":{"value":"x","type":"other"}}]`, schema.ScimTypeNoTarget, "matches"},
		{"add with a filter that matches nothing", `[{"op":"add","path":"emails[value eq \"n@x\"]","value":{"display":"x"}}]`, schema.ScimTypeNoTarget, "matches"},
		{"sub-attribute of every element when there are none", `[{"op":"replace","path":"roles.value","value":"x"}]`, schema.ScimTypeNoTarget, "roles"},
		{"remove without path", `[{"op":"remove"}]`, schema.ScimTypeNoTarget, "path"},
		// values
		{"wrong type", `[{"op":"replace","path":"active","value":3}]`, schema.ScimTypeInvalidValue, "boolean"},
		{"multi-valued value not an array", `[{"op":"add","path":"emails","value":{"value":"x"}}]`, schema.ScimTypeInvalidValue, "array"},
		{"complex value not an object", `[{"op":"replace","path":"name","value":"Babs"}]`, schema.ScimTypeInvalidValue, "object"},
		{"unknown sub-attribute in a value", `[{"op":"add","path":"name","value":{"nick":"x"}}]`, schema.ScimTypeInvalidSyntax, "nick"},
		{"two primaries in one value", `[{"op":"add","path":"emails","value":[{"value":"a","primary":true},{"value":"b","primary":true}]}]`, schema.ScimTypeInvalidValue, "primary"},
		{"filter sets primary on two values", `[{"op":"replace","path":"emails[value pr].primary","value":true}]`, schema.ScimTypeInvalidValue, "primary"},
		{"pathless value not an object", `[{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User","value":"x"}]`, schema.ScimTypeInvalidValue, "object"},
		{"whole extension value not an object", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User","value":"x"}]`, schema.ScimTypeInvalidValue, "object"},
		{"invalid dateTime-free binary", `[{"op":"add","path":"x509Certificates","value":[{"value":"not base64!"}]}]`, schema.ScimTypeInvalidValue, "base64"},
		{"several managers", `[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":[{"value":"a"},{"value":"b"}]}]`, schema.ScimTypeInvalidValue, "single-valued"},
		{"schemas value not an array of strings", `[{"op":"replace","path":"schemas","value":[1]}]`, schema.ScimTypeInvalidValue, "schemas"},
		{"unknown op built by code", `[{"op":"move","path":"nickName"}]`, schema.ScimTypeInvalidSyntax, "move"},
		{"error names the failing operation", `[{"op":"add","path":"nickName","value":"x"},{"op":"add","path":"shoeSize","value":"9"}]`, schema.ScimTypeInvalidPath, `operation 2 ("add" "shoeSize")`},
	}
	rt := schema.User()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := enterpriseUser(t)
			before := snapshot(t, res)
			ops := make([]Operation, 0)
			for _, raw := range jsonValue(t, tt.ops).([]any) {
				m := raw.(map[string]any)
				op := Operation{Op: m["op"].(string), Value: m["value"]}
				op.Path, _ = m["path"].(string)
				ops = append(ops, op)
			}
			got, err := Apply(rt, res, ops)
			if err == nil {
				t.Fatalf("Apply succeeded: %s", canonical(t, got))
			}
			if got != nil {
				t.Error("Apply returned a resource with its error")
			}
			if st := scimType(t, err); st != tt.scimType {
				t.Errorf("scimType = %q, want %q (%v)", st, tt.scimType, err)
			}
			if !strings.Contains(err.Error(), tt.detailHas) {
				t.Errorf("error %q does not mention %q", err, tt.detailHas)
			}
			if snapshot(t, res) != before {
				t.Error("a failed Apply modified its input")
			}
		})
	}
}

// TestApplyAtomic checks RFC 7644 §3.5.2: "If a single operation
// encounters an error condition, the original SCIM resource MUST be
// restored". A failing later operation leaves the input as it was,
// including the nested values earlier operations changed in the copy.
func TestApplyAtomic(t *testing.T) {
	rt := schema.User()
	res := enterpriseUser(t)
	before := snapshot(t, res)
	ops := decodeOps(t, body(`[
		{"op":"replace","path":"name.givenName","value":"Changed"},
		{"op":"add","path":"emails","value":[{"value":"new@example.com","primary":true}]},
		{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},
		{"op":"replace","path":"emails[type eq \"home\"].value","value":"h@example.com"},
		{"op":"replace","path":"id","value":"stolen"}]`))
	got, err := Apply(rt, res, ops)
	if err == nil {
		t.Fatalf("Apply succeeded: %s", canonical(t, got))
	}
	if st := scimType(t, err); st != schema.ScimTypeMutability || !strings.Contains(err.Error(), "operation 5") {
		t.Errorf("error = %v, want mutability in operation 5", err)
	}
	if snapshot(t, res) != before {
		t.Errorf("input modified:\n%s\n%s", before, snapshot(t, res))
	}
	// The same operations without the last one succeed, also leaving the
	// input alone.
	if _, err := Apply(rt, res, ops[:4]); err != nil {
		t.Fatal(err)
	}
	if snapshot(t, res) != before {
		t.Error("input modified by a successful Apply")
	}
}

// TestApplyKeepsReadOnly checks that the readOnly attributes the server
// stores survive a PATCH, and that manager.displayName stays only while the
// manager is unchanged.
func TestApplyKeepsReadOnly(t *testing.T) {
	rt := schema.User()
	res := enterpriseUser(t)
	got, err := Apply(rt, res, decodeOps(t, body(`[{"op":"replace","path":"nickName","value":"B"}]`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "meta", "groups"} {
		mustEqualJSON(t, k, got[k], canonical(t, res[k]))
	}
	mustEqualJSON(t, "manager", at(got, entURN+"/manager"),
		`{"value":"`+managerID+`","$ref":"../Users/`+managerID+`","displayName":"John Smith"}`)
	mustEqualJSON(t, "password", got["password"], `"t1meMa$heen"`)

	got, err = Apply(rt, res, decodeOps(t, body(`[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m2"}}]`)))
	if err != nil {
		t.Fatal(err)
	}
	mustEqualJSON(t, "changed manager", at(got, entURN+"/manager"), `{"value":"m2"}`)
}

// TestApplyNormalizesInput checks that Apply accepts a resource without
// "schemas" and with non-canonical names and an op name in any case, and
// that a nil resource type is
// a plain (server) error.
func TestApplyNormalizesInput(t *testing.T) {
	rt := schema.User()
	res := schema.Resource{"USERNAME": "bjensen", "Name": map[string]any{"GivenName": "B"}}
	got, err := Apply(rt, res, []Operation{{Op: "Replace", Path: "name.familyName", Value: "J"}})
	if err != nil {
		t.Fatal(err)
	}
	mustEqualJSON(t, "result", got, `{"schemas":["`+userURN+`"],"userName":"bjensen","name":{"givenName":"B","familyName":"J"}}`)

	_, err = Apply(rt, schema.Resource{"schemas": []any{userURN}}, nil)
	var se *schema.Error
	if err == nil || errors.As(err, &se) {
		t.Errorf("Apply of an invalid stored resource: %v; want a plain error", err)
	}
	if _, err := Apply(nil, res, nil); err == nil {
		t.Error("Apply with a nil resource type succeeded")
	}
	if _, err := PlanGroup(nil, "g", nil); err == nil {
		t.Error("PlanGroup with a nil resource type succeeded")
	}
}

// TestApplyGroup applies operations to the RFC 7643 §8.4 group with Apply,
// where the immutable sub-attributes of members (RFC 7643 §8.7.1) matter:
// members may be added and removed but not changed in place.
func TestApplyGroup(t *testing.T) {
	tests := []struct {
		name     string
		ops      string
		scimType string
		want     map[string]string
	}{
		{
			name: "adding a member",
			ops:  `[{"op":"add","path":"members","value":[{"value":"u3","display":"C"}]}]`,
			want: map[string]string{"members/2": `{"value":"u3"}`}, // display is readOnly
		},
		{
			name: "setting an unassigned immutable sub-attribute",
			ops:  `[{"op":"add","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"].type","value":"User"}]`,
			want: map[string]string{"members/1/type": `"User"`},
		},
		{
			name:     "changing an immutable sub-attribute",
			ops:      `[{"op":"replace","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"].display","value":"M. P."}]`,
			scimType: schema.ScimTypeMutability,
		},
		{
			name:     "merging a changed immutable sub-attribute",
			ops:      `[{"op":"add","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]","value":{"$ref":"https://example.com/v2/Users/other"}}]`,
			scimType: schema.ScimTypeMutability,
		},
		{
			name:     "replacing a member in place",
			ops:      `[{"op":"replace","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"]","value":{"value":"u9"}}]`,
			scimType: schema.ScimTypeMutability,
		},
		{
			name:     "removing a required sub-attribute",
			ops:      `[{"op":"remove","path":"members[value eq \"902c246b-6245-4190-8e05-00816be7344a\"].value"}]`,
			scimType: schema.ScimTypeMutability,
		},
		{
			name:     "removing the required displayName",
			ops:      `[{"op":"remove","path":"displayName"}]`,
			scimType: schema.ScimTypeMutability,
		},
	}
	rt := schema.Group()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := loadResource(t, "rfc7643-8.4-group.json")
			got, err := Apply(rt, res, decodeOps(t, body(tt.ops)))
			checkOutcome(t, rt, got, err, tt.scimType, tt.want)
		})
	}
}
