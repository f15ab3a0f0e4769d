package scim_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Sources, cited by the tests below and by docs/compatibility.md.
const (
	msTutorial  = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"
	msCompat    = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility"
	msValidator = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/scim-validator-tutorial"
	msLogicApp  = "https://github.com/AzureAD/SCIMReferenceCode/blob/master/Microsoft.SCIM.LogicAppValidationTemplate/StandardLogicApp/SCIM-Validation-Test-Overview.md"
	sdk686      = "https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/686"
	sis376      = "https://github.com/simpleidserver/SimpleIdServer/issues/376"
)

// entraHeaders are the headers of Entra's requests with a body.
var entraHeaders = hdr{"Content-Type": "application/scim+json"}

// TestEntraFlows replays Microsoft Entra ID's documented request sequences
// (testdata/entra; the source of each step is in its file).
func TestEntraFlows(t *testing.T) { replayAll(t, "entra") }

func patchBody(ops ...string) string {
	return fmt.Sprintf(`{"schemas":[%q],"Operations":[%s]}`, patchURN, strings.Join(ops, ","))
}

// TestEntraUserPatchTolerances: each PATCH shape Entra ID sends that a
// literal reading of RFC 7644 would refuse or misapply, and what roster
// makes of it. The "strict" cases pin that RFC clients see no change.
func TestEntraUserPatchTolerances(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		mgr := e.createUser("boss@contoso.com", nil)
		tests := []struct {
			name, source string
			ops          []string // %[1]s is the manager's id
			status       int
			scimType     string
			check        map[string]any // dotted path → value; nil means absent
		}{
			{"op values in any case", msTutorial + "#general",
				[]string{`{"op":"Add","path":"nickName","value":"Babs"}`, `{"op":"REPLACE","path":"title","value":"CEO"}`, `{"op":"Remove","path":"nickName"}`},
				200, "", map[string]any{"title": "CEO", "nickName": nil}},
			{`active as the string "False"`, msCompat,
				[]string{`{"op":"Replace","path":"active","value":"False"}`}, 200, "", map[string]any{"active": false}},
			{`active as the string "True"`, msCompat,
				[]string{`{"op":"Replace","path":"active","value":"True"}`}, 200, "", map[string]any{"active": true}},
			{`sub-attribute boolean as the string "true"`, sis376,
				[]string{`{"op":"Add","path":"emails[type eq \"work\"].primary","value":"true"}`}, 200, "", map[string]any{"emails.0.primary": true}},
			{"pathless value with dotted keys", msCompat,
				[]string{`{"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua"}}`},
				200, "", map[string]any{"displayName": "Bjfe", "name.givenName": "Kkom", "name.familyName": "Unua"}},
			{"pathless value with URN-prefixed keys", msCompat,
				[]string{`{"op":"replace","value":{"` + entURN + `:employeeNumber":"Aklq","` + entURN + `:department":"Sales"}}`},
				200, "", map[string]any{"ent.employeeNumber": "Aklq", "ent.department": "Sales"}},
			{"Add on a value path creates the element", "https://github.com/wireapp/wire-server/pull/5419",
				[]string{`{"op":"Add","path":"emails[type eq \"home\"].value","value":"h@example.com"}`},
				200, "", map[string]any{"emails.1.type": "home", "emails.1.value": "h@example.com"}},
			{"manager as a bare id", sdk686,
				[]string{`{"op":"Add","path":"` + entURN + `:manager","value":"%[1]s"}`}, 200, "", map[string]any{"ent.manager.value": "%[1]s"}},
			{`manager as {"value": id}`, "https://datatracker.ietf.org/doc/html/rfc7643#section-4.3",
				[]string{`{"op":"replace","path":"` + entURN + `:manager","value":{"value":"%[1]s"}}`}, 200, "", map[string]any{"ent.manager.value": "%[1]s"}},
			{"manager as the tutorial's list of one reference", msTutorial + "#handling-provisioning-and-deprovisioning-of-users",
				[]string{`{"op":"Add","path":"manager","value":[{"$ref":"x","value":"%[1]s"}]}`}, 200, "", map[string]any{"ent.manager.value": "%[1]s"}},
			{"manager cleared with an empty string", msLogicApp,
				[]string{`{"op":"Add","path":"` + entURN + `:manager","value":"%[1]s"}`, `{"op":"Replace","path":"` + entURN + `:manager","value":""}`},
				200, "", map[string]any{"ent.manager": nil}},
			{`manager cleared with {"value": ""}`, msLogicApp,
				[]string{`{"op":"Add","path":"` + entURN + `:manager","value":"%[1]s"}`, `{"op":"Replace","path":"` + entURN + `:manager","value":{"value":""}}`},
				200, "", map[string]any{"ent.manager": nil}},

			// Strict RFC behaviour, unchanged by the tolerances.
			{"strict: an unknown op is invalidSyntax", "https://datatracker.ietf.org/doc/html/rfc7644#section-3.5.2",
				[]string{`{"op":"delete","path":"nickName"}`}, 400, "invalidSyntax", nil},
			{"strict: a boolean string other than true/false is invalidValue", "https://datatracker.ietf.org/doc/html/rfc7643#section-2.3.2",
				[]string{`{"op":"replace","path":"active","value":"yes"}`}, 400, "invalidValue", nil},
			{"strict: remove without a path is noTarget", "https://datatracker.ietf.org/doc/html/rfc7644#section-3.5.2.2",
				[]string{`{"op":"remove","value":{"active":false}}`}, 400, "noTarget", nil},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				id := e.createUser(fmt.Sprintf("u%d@contoso.com", i), map[string]any{
					"emails": []any{map[string]any{"type": "work", "value": fmt.Sprintf("u%d@contoso.com", i)}},
				})
				ops := make([]string, len(tc.ops))
				for j, op := range tc.ops {
					ops[j] = strings.ReplaceAll(op, "%[1]s", mgr)
				}
				r := e.do("PATCH", "/scim/v2/Users/"+id, patchBody(ops...), entraHeaders)
				if tc.status != 200 {
					r.isError(t, tc.status, tc.scimType)
					return
				}
				r.must(t, 200)
				got := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
				for path, want := range tc.check {
					if s, ok := want.(string); ok {
						want = strings.ReplaceAll(s, "%[1]s", mgr)
					}
					// "ent." names the enterprise extension object.
					v := dig(got.body, path)
					if rest, ok := strings.CutPrefix(path, "ent."); ok {
						ext, _ := got.body[entURN].(map[string]any)
						v = dig(ext, rest)
					}
					if v != want {
						t.Errorf("%s = %#v, want %#v (source %s)\n%s", path, v, want, tc.source, got.raw)
					}
				}
			})
		}
	})
}

// TestEntraGroupMemberRemoval: Entra's default job removes members with
// path "members" and a value list (msCompat); by RFC 7644 §3.5.2.2 that
// path alone removes every member, so only the listed members go. Without
// a value the RFC meaning holds.
func TestEntraGroupMemberRemoval(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a := e.createUser("a@contoso.com", nil)
		b := e.createUser("b@contoso.com", nil)
		c := e.createUser("c@contoso.com", nil)
		tests := []struct {
			name string
			op   string
			want []string
		}{
			{"value list of one (default job)", `{"op":"Remove","path":"members","value":[{"$ref":null,"value":"` + a + `"}]}`, []string{b, c}},
			{"value list of two", `{"op":"Remove","path":"members","value":[{"value":"` + a + `"},{"value":"` + c + `"}]}`, []string{b}},
			{"value filter (aadOptscim062020)", `{"op":"remove","path":"members[value eq \"` + b + `\"]"}`, []string{a, c}},
			{"strict: no value removes all members", `{"op":"remove","path":"members"}`, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				gid := e.createGroup("G "+tc.name, a, b, c)
				e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(tc.op), entraHeaders).must(t, 204)
				if got := memberValues(e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)); !slices.Equal(got, sorted(tc.want...)) {
					t.Errorf("members = %v, want %v", got, sorted(tc.want...))
				}
			})
		}
	})
}

// TestEntraQueries: the queries Entra sends to match users and groups
// (msTutorial, "Retrieving Resources"; msValidator). Matching is on
// userName (caseExact false) and externalId (caseExact true).
func TestEntraQueries(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		uid := e.createUser("Dale.Mohr@romaguera.uk", map[string]any{"externalId": "dmohr"})
		gid := e.createGroup("Sales", uid)
		q := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "%20", "+") }
		tests := []struct {
			name, path string
			want       []string
			noMembers  bool
		}{
			{"userName, + for spaces", "/scim/v2/Users?filter=" + q(`userName eq "Dale.Mohr@romaguera.uk"`), []string{uid}, false},
			{"userName in another case", "/scim/v2/Users?filter=" + q(`userName eq "dale.mohr@ROMAGUERA.uk"`), []string{uid}, false},
			{"externalId", "/scim/v2/Users?filter=" + q(`externalId eq "dmohr"`), []string{uid}, false},
			{"strict: externalId is caseExact", "/scim/v2/Users?filter=" + q(`externalId eq "DMOHR"`), nil, false},
			{"random GUID (Test Connection)", "/scim/v2/Users?filter=" + q(`userName eq "5d3f2b1c-8a7e-4c3d-9b1a-0e2f4d6c8a9b"`), nil, false},
			{"and of two comparisons", "/scim/v2/Users?filter=" + q(`userName eq "dale.mohr@romaguera.uk" and externalId eq "dmohr"`), []string{uid}, false},
			{"group by displayName, members excluded", "/scim/v2/Groups?excludedAttributes=members&filter=" + q(`displayName eq "Sales"`), []string{gid}, true},
			{"group in another case", "/scim/v2/Groups?excludedAttributes=members&filter=" + q(`displayName eq "sales"`), []string{gid}, true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do("GET", tc.path, nil).must(t, 200)
				if got := pageIDs(t, r); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
					t.Errorf("ids = %v, want %v", got, tc.want)
				}
				if tc.noMembers && dig(r.body, "Resources.0.members") != nil {
					t.Errorf("members returned despite excludedAttributes=members: %s", r.raw)
				}
			})
		}
		// A malformed filter is a 400 invalidFilter, not an empty list
		// (RFC 7644 §3.4.2.2); the unquoted value of the tutorial's
		// "externalId eq jyoung" example is such a filter.
		e.do("GET", "/scim/v2/Users?filter="+q(`externalId eq jyoung`), nil).isError(t, 400, "invalidFilter")
	})
}

// TestEntraDeleteRemovesMemberships: a hard delete in Entra ends in
// DELETE /Users/{id} (msTutorial, "Delete User"): the user and every
// membership go, and the event log says so.
func TestEntraDeleteRemovesMemberships(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		a := e.createUser("a@contoso.com", nil)
		b := e.createUser("b@contoso.com", nil)
		g1, g2 := e.createGroup("One", a, b), e.createGroup("Two", a)
		before := e.lastEventSeq()
		e.do("DELETE", "/scim/v2/Users/"+a, nil).must(t, 204)
		e.do("GET", "/scim/v2/Users/"+a, nil).isError(t, 404, "")
		if got := memberValues(e.do("GET", "/scim/v2/Groups/"+g1, nil).must(t, 200)); !slices.Equal(got, []string{b}) {
			t.Errorf("group One members = %v, want [%s]", got, b)
		}
		if got := memberValues(e.do("GET", "/scim/v2/Groups/"+g2, nil).must(t, 200)); len(got) != 0 {
			t.Errorf("group Two members = %v, want none", got)
		}
		if !hasEvent(e.eventsAfter(before), "user.deleted", a) {
			t.Error("no user.deleted event")
		}
		e.do("DELETE", "/scim/v2/Users/"+a, nil).isError(t, 404, "")
	})
}
