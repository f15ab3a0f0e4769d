package patch

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/scim/schema"
)

// Sources cited by the tests below (see /work/shared/research/idp-clients.md):
//
//   - known-issues: Microsoft, "Known issues and resolutions with SCIM 2.0
//     protocol compliance of the Microsoft Entra user provisioning
//     service" (requests with and without the aadOptscim062020 flag).
//   - tutorial: Microsoft, "Tutorial: Develop and plan provisioning for a
//     SCIM endpoint in Microsoft Entra ID".
//   - okta-ref: Okta SCIM 2.0 protocol reference.
//   - Issue numbers name GitHub threads that captured real Entra traffic.

// TestTolerances applies the request bodies Okta and Entra ID send, each
// with the source that documents it.
func TestTolerances(t *testing.T) {
	noEmails := func(res schema.Resource) { delete(res, "emails") }
	tests := []struct {
		name     string
		base     func(t testing.TB) schema.Resource
		prep     func(res schema.Resource)
		body     string
		want     map[string]string
		scimType string // when the request must fail
	}{
		{
			name: "Entra: known-issues, disable user without flag (op Replace, value \"False\")",
			base: fullUser,
			body: `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "active",
            "value": "False"
        }
    ]
  }`,
			want: map[string]string{"active": `false`},
		},
		{
			name: "Entra: known-issues, disable user with aadOptscim062020",
			base: fullUser,
			body: `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "active",
            "value": false
        }
    ]
  }`,
			want: map[string]string{"active": `false`},
		},
		{
			name: "Entra: known-issues, add a single-value string attribute without flag (op Add)",
			base: fullUser,
			prep: func(res schema.Resource) { delete(res, "nickName") },
			body: `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
      {
        "op": "Add",
        "path": "nickName",
        "value": "Babs"
      }
    ]
  }`,
			want: map[string]string{"nickName": `"Babs"`},
		},
		{
			name: "Entra: known-issues, replace multiple attributes without flag",
			base: fullUser,
			body: `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "Replace",
            "path": "displayName",
            "value": "Pvlo"
        },
        {
            "op": "Replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestBcwqnm@test.microsoft.com"
        },
        {
            "op": "Replace",
            "path": "name.givenName",
            "value": "Gtfd"
        },
        {
            "op": "Replace",
            "path": "name.familyName",
            "value": "Pkqf"
        },
        {
            "op": "Replace",
            "path": "externalId",
            "value": "Eqpj"
        },
        {
            "op": "Replace",
            "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "Eqpj"
        }
    ]
  }`,
			want: map[string]string{
				"displayName": `"Pvlo"`, "emails/0": `{"value":"TestBcwqnm@test.microsoft.com","type":"work","primary":true}`,
				"name/givenName": `"Gtfd"`, "name/familyName": `"Pkqf"`, "externalId": `"Eqpj"`,
				entURN + "/employeeNumber": `"Eqpj"`, "schemas": `["` + userURN + `","` + entURN + `"]`,
			},
		},
		{
			name: "Entra: known-issues, replace multiple attributes with aadOptscim062020 (pathless, dotted and URN keys)",
			base: enterpriseUser,
			body: `{
    "schemas": [
        "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    ],
    "Operations": [
        {
            "op": "replace",
            "path": "emails[type eq \"work\"].value",
            "value": "TestMhvaes@test.microsoft.com"
        },
        {
            "op": "replace",
            "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }
        }
    ]
  }`,
			want: map[string]string{
				"displayName": `"Bjfe"`, "emails/0/value": `"TestMhvaes@test.microsoft.com"`,
				"name/givenName": `"Kkom"`, "name/familyName": `"Unua"`, "name/middleName": `"Jane"`,
				entURN + "/employeeNumber": `"Aklq"`, entURN + "/department": `"Tour Operations"`,
			},
		},
		{
			name: "Entra: SimpleIdServer #494, pathless add with dotted keys",
			base: fullUser,
			prep: func(res schema.Resource) { delete(res, "name") },
			body: body(`[{"op":"add","value":{"name.givenName":"Barbara","name.familyName":"Jensen"}}]`),
			want: map[string]string{"name": `{"givenName":"Barbara","familyName":"Jensen"}`},
		},
		{
			name: "Okta: okta-ref, deactivate with a pathless replace",
			base: fullUser,
			body: body(`[{"op":"replace","value":{"active":false}}]`),
			want: map[string]string{"active": `false`, "userName": `"bjensen@example.com"`},
		},
		{
			name: "Entra: tutorial, unmapped attributes sent as null are unassigned",
			base: fullUser,
			body: body(`[{"op":"Replace","value":{"title":null,"preferredLanguage":null,"addresses":null,"displayName":"B"}}]`),
			want: map[string]string{"title": `null`, "preferredLanguage": `null`, "addresses": `null`, "displayName": `"B"`},
		},
		{
			name: "Entra: SimpleIdServer #376, Add emails[type eq \"work\"].primary with the string \"true\"",
			base: fullUser,
			prep: func(res schema.Resource) {
				res["emails"] = []any{
					map[string]any{"value": "w@example.com", "type": "work"},
					map[string]any{"value": "h@example.com", "type": "home", "primary": true},
				}
			},
			body: body(`[{"op":"Add","path":"emails[type eq \"work\"].primary","value":"true"}]`),
			want: map[string]string{"emails": `[{"value":"w@example.com","type":"work","primary":true},{"value":"h@example.com","type":"home","primary":false}]`},
		},
		{
			name: "Entra: wire-server PR #5419 and SCIM Validator \"Patch User - Add Attributes\", Add emails[type eq \"work\"].value creates the work email",
			base: fullUser,
			prep: noEmails,
			body: body(`[{"op":"Add","path":"emails[type eq \"work\"].value","value":"w@example.com"}]`),
			want: map[string]string{"emails": `[{"type":"work","value":"w@example.com"}]`},
		},
		{
			name: "Entra: default job sends Replace emails[type eq \"work\"].value for a user without a work email",
			base: fullUser,
			prep: func(res schema.Resource) {
				res["emails"] = []any{map[string]any{"value": "h@example.com", "type": "home"}}
			},
			body: body(`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"w@example.com"}]`),
			want: map[string]string{"emails": `[{"value":"h@example.com","type":"home"},{"type":"work","value":"w@example.com"}]`},
		},
		{
			name: "Entra: SimpleIdServer #376, Add emails[type eq \"work\"].primary \"true\" without a work email creates a primary one",
			base: fullUser,
			prep: func(res schema.Resource) {
				res["emails"] = []any{map[string]any{"value": "h@example.com", "type": "home", "primary": true}}
			},
			body: body(`[{"op":"Add","path":"emails[type eq \"work\"].primary","value":"true"}]`),
			want: map[string]string{"emails": `[{"value":"h@example.com","type":"home","primary":false},{"type":"work","primary":true}]`},
		},
		{
			name: "Entra: Add phoneNumbers[type eq \"mobile\"].value creates the mobile number (tutorial attribute mapping)",
			base: fullUser,
			prep: func(res schema.Resource) { delete(res, "phoneNumbers") },
			body: body(`[{"op":"Add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0100"}]`),
			want: map[string]string{"phoneNumbers": `[{"type":"mobile","value":"+1 555 0100"}]`},
		},
		{
			name: "Entra: Add addresses[type eq \"work\"].streetAddress creates the work address (tutorial attribute mapping)",
			base: fullUser,
			prep: func(res schema.Resource) { delete(res, "addresses") },
			body: body(`[{"op":"Add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"},{"op":"Add","path":"addresses[type eq \"work\"].locality","value":"Springfield"}]`),
			want: map[string]string{"addresses": `[{"type":"work","streetAddress":"1 Main St","locality":"Springfield"}]`},
		},
		{
			name: "Entra: an empty value for a missing typed element creates nothing",
			base: fullUser,
			prep: noEmails,
			body: body(`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":""}]`),
			want: map[string]string{"emails": `null`},
		},
		{
			name:     "Scope: a filter other than a single type eq still gets noTarget (RFC 7644 §3.5.2.3)",
			base:     fullUser,
			prep:     noEmails,
			body:     body(`[{"op":"replace","path":"emails[type eq \"work\" and primary eq true].value","value":"w@example.com"}]`),
			scimType: schema.ScimTypeNoTarget,
		},
		{
			name:     "Scope: a typed element is created only for a sub-attribute path",
			base:     fullUser,
			prep:     noEmails,
			body:     body(`[{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"w@example.com"}}]`),
			scimType: schema.ScimTypeNoTarget,
		},
		{
			name:     "Scope: type ne is not a creating filter",
			base:     fullUser,
			prep:     noEmails,
			body:     body(`[{"op":"add","path":"emails[type ne \"work\"].value","value":"w@example.com"}]`),
			scimType: schema.ScimTypeNoTarget,
		},
		// manager (RFC 7643 §4.3 makes it a complex attribute)
		{
			name: "Entra: SCIM-SDK #541 and #686, Add manager as a bare id",
			base: fullUser,
			body: body(`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"` + managerID + `"}]`),
			want: map[string]string{entURN + "/manager": `{"value":"` + managerID + `"}`, "schemas": `["` + userURN + `","` + entURN + `"]`},
		},
		{
			name: "Entra: tutorial, Add path \"manager\" with a one-element array",
			base: fullUser,
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "Add", "path": "manager", "value": [{"$ref": "http://.../scim/Users/2819c223-7f76-453a-919d-413861904646", "value": "2819c223-7f76-453a-919d-413861904646"}]}]}`,
			want: map[string]string{entURN + "/manager": `{"$ref":"http://.../scim/Users/2819c223-7f76-453a-919d-413861904646","value":"2819c223-7f76-453a-919d-413861904646"}`},
		},
		{
			name: "Entra: gallery SCIM_Update_Manager_Test, Replace manager with {\"value\": id} drops the old $ref and displayName",
			base: enterpriseUser,
			body: body(`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m2"}}]`),
			want: map[string]string{entURN + "/manager": `{"value":"m2"}`},
		},
		{
			name: "Entra: Replace manager.value with a new id drops the old $ref",
			base: enterpriseUser,
			body: body(`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value","value":"m2"}]`),
			want: map[string]string{entURN + "/manager": `{"value":"m2"}`},
		},
		{
			name: "Entra: pathless value with the URN-qualified manager key and a bare id",
			base: fullUser,
			body: body(`[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m9"}}]`),
			want: map[string]string{entURN + "/manager": `{"value":"m9"}`},
		},
		{
			name: "Entra: Logic App \"null/empty updates via PATCH\", manager cleared with \"\"",
			base: enterpriseUser,
			body: body(`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]`),
			want: map[string]string{entURN + "/manager": `null`, entURN + "/department": `"Tour Operations"`},
		},
		{
			name: "Entra: manager cleared with null",
			base: enterpriseUser,
			body: body(`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":null}]`),
			want: map[string]string{entURN + "/manager": `null`},
		},
		{
			name: "Entra: manager cleared with {}",
			base: enterpriseUser,
			body: body(`[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{}}]`),
			want: map[string]string{entURN + "/manager": `null`},
		},
		{
			name: "Entra: manager cleared with {\"value\": \"\"}",
			base: enterpriseUser,
			body: body(`[{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":""}}]`),
			want: map[string]string{entURN + "/manager": `null`},
		},
		{
			name: "Entra: manager cleared in a pathless value",
			base: enterpriseUser,
			body: body(`[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":null}}]`),
			want: map[string]string{entURN + "/manager": `null`},
		},
		{
			name: "Entra: gallery SCIM_Update_Manager_Test, remove manager",
			base: enterpriseUser,
			body: body(`[{"op":"Remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]`),
			want: map[string]string{entURN + "/manager": `null`},
		},
		{
			name: "Entra: tutorial, remove with the bare path \"manager\"",
			base: enterpriseUser,
			body: body(`[{"op":"remove","path":"manager"}]`),
			want: map[string]string{entURN + "/manager": `null`},
		},
		{
			name: "Entra: scim-patch #453, remove manager[value eq \"<id>\"]",
			base: enterpriseUser,
			body: body(`[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq \"` + managerID + `\"]"}]`),
			want: map[string]string{entURN + "/manager": `null`},
		},
		{
			name: "Entra: scim-patch #453, remove manager[value eq \"<id>\"] of another manager changes nothing",
			base: enterpriseUser,
			body: body(`[{"op":"remove","path":"manager[value eq \"someone-else\"]"}]`),
			want: map[string]string{entURN + "/manager/value": `"` + managerID + `"`},
		},
		{
			name: "Entra: remove manager with the id as value removes it only when it matches",
			base: enterpriseUser,
			body: body(`[{"op":"Remove","path":"manager","value":"someone-else"}]`),
			want: map[string]string{entURN + "/manager/value": `"` + managerID + `"`},
		},
	}
	rt := schema.User()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.base(t)
			if tt.prep != nil {
				tt.prep(res)
			}
			before := snapshot(t, res)
			got, err := Apply(rt, res, decodeOps(t, tt.body))
			if snapshot(t, res) != before {
				t.Error("Apply modified its input")
			}
			checkOutcome(t, rt, got, err, tt.scimType, tt.want)
		})
	}
}

// TestBareExtensionNameMustBeUnambiguous checks the scope of the bare
// extension name fallback: it never shadows a core attribute.
func TestBareExtensionNameMustBeUnambiguous(t *testing.T) {
	rt := schema.User()
	// "displayName" is a core attribute; "manager" only an extension one.
	tg, err := resolvePath(rt, "displayName")
	if err != nil || tg.ext {
		t.Errorf("displayName resolved to %+v, %v; want the core attribute", tg, err)
	}
	tg, err = resolvePath(rt, "Manager.Value")
	if err != nil || !tg.ext || tg.sub == nil || tg.sub.Name != "value" {
		t.Errorf("Manager.Value resolved to %+v, %v; want the enterprise manager.value", tg, err)
	}
	if _, err := resolvePath(schema.Group(), "manager"); err == nil || !strings.Contains(err.Error(), "manager") {
		t.Errorf("manager on a Group: %v; want invalidPath", err)
	}
}
