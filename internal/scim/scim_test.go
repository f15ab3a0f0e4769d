package scim_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

const (
	userURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	entURN   = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

func TestAuthentication(t *testing.T) {
	e := sqliteEnv(t)
	tests := []struct {
		name, auth string
	}{
		{"no header", ""},
		{"basic scheme", "Basic dXNlcjpwYXNz"},
		{"garbage", "Bearer nonsense"},
		{"well-formed but unknown", "Bearer roster_scim_aaaaaaaaaaaaaaaa_" + strings.Repeat("a", 59)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/scim/v2/Users", nil, hdr{"Authorization": tc.auth})
			r.isError(t, 401, "")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// Okta's SPEC test sends "Authorization: non-token".
	e.do("GET", "/scim/v2/Users?filter=userName%20eq%20%22x%22", nil, hdr{"Authorization": "non-token"}).isError(t, 401, "")

	t.Run("revoked token", func(t *testing.T) {
		ctx := context.Background()
		list, _ := e.tokens.List(ctx, e.org, store.TokenSCIM)
		e.do("GET", "/scim/v2/Users", nil).must(t, 200)
		e.tokens.Revoke(ctx, store.Actor{Kind: "cli"}, e.org, list[0].ID)
		e.do("GET", "/scim/v2/Users", nil).isError(t, 401, "")
	})
}

func TestPlanAndTenancy(t *testing.T) {
	e := sqliteEnv(t)
	free, freeTok := e.newOrg(store.PlanFree)
	r := e.do("GET", "/scim/v2/Users", nil, hdr{"Authorization": "Bearer " + freeTok})
	r.isError(t, 403, "")
	if !strings.Contains(r.str("detail"), "enterprise plan") {
		t.Errorf("403 detail %q does not say why", r.str("detail"))
	}
	_ = free

	_, otherTok := e.newOrg(store.PlanEnterprise)
	uid := e.createUser("ann@example.com", nil)
	gid := e.createGroup("Sales", uid)
	other := hdr{"Authorization": "Bearer " + otherTok}
	for _, c := range []struct{ method, path string }{
		{"GET", "/scim/v2/Users/" + uid},
		{"PUT", "/scim/v2/Users/" + uid},
		{"PATCH", "/scim/v2/Users/" + uid},
		{"DELETE", "/scim/v2/Users/" + uid},
		{"GET", "/scim/v2/Groups/" + gid},
		{"PATCH", "/scim/v2/Groups/" + gid},
		{"DELETE", "/scim/v2/Groups/" + gid},
	} {
		var body any
		switch c.method {
		case "PUT":
			body = map[string]any{"schemas": []string{userURN}, "userName": "stolen"}
		case "PATCH":
			body = map[string]any{"schemas": []string{patchURN}, "Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "x"}}}
		}
		e.do(c.method, c.path, body, other).isError(t, 404, "")
	}
	if r := e.do("GET", "/scim/v2/Users", nil, other); r.body["totalResults"].(interface{ String() string }).String() != "0" {
		t.Errorf("other org lists %v users", r.body["totalResults"])
	}
	e.do("GET", "/scim/v2/Users/"+uid, nil).must(t, 200)
}

func TestUserLifecycle(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		// RFC 7644 §3.3's creation request.
		r := e.do("POST", "/scim/v2/Users", `{
			"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"bjensen",
			"externalId":"bjensen",
			"name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara"}
		}`).must(t, 201)
		id := r.str("id")
		if r.header.Get("Location") != e.srv.URL+"/scim/v2/Users/"+id || r.str("meta.location") != r.header.Get("Location") {
			t.Errorf("Location %q, meta.location %q", r.header.Get("Location"), r.str("meta.location"))
		}
		if r.header.Get("ETag") == "" || r.header.Get("ETag") != r.str("meta.version") {
			t.Errorf("ETag %q, meta.version %q", r.header.Get("ETag"), r.str("meta.version"))
		}
		if r.str("meta.resourceType") != "User" || r.str("meta.created") == "" || r.str("meta.lastModified") == "" {
			t.Errorf("meta = %v", r.body["meta"])
		}
		if r.body["active"] != true || r.str("name.givenName") != "Barbara" || r.str("externalId") != "bjensen" {
			t.Errorf("created = %s", r.raw)
		}
		// userName is unique per organization, ignoring case.
		e.do("POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": "BJensen"}).isError(t, 409, "uniqueness")

		got := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
		if got.str("userName") != "bjensen" || got.str("name.formatted") != "Ms. Barbara J Jensen III" {
			t.Errorf("GET = %s", got.raw)
		}
		// RFC 7644 §3.5.1's replacement.
		put := e.do("PUT", "/scim/v2/Users/"+id, `{
			"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id":"`+id+`",
			"userName":"bjensen",
			"externalId":"bjensen",
			"name":{"formatted":"Ms. Barbara J Jensen III","familyName":"Jensen","givenName":"Barbara","middleName":"Jane"},
			"roles":[],
			"emails":[{"value":"bjensen@example.com"},{"value":"babs@jensen.org"}],
			"password":"t1meMa$heen"
		}`).must(t, 200)
		if put.str("name.middleName") != "Jane" || len(dig(put.body, "emails").([]any)) != 2 || put.body["password"] != nil {
			t.Errorf("PUT = %s", put.raw)
		}
		if put.str("meta.version") == got.str("meta.version") {
			t.Error("version did not change on PUT")
		}
		if put.str("meta.created") != got.str("meta.created") {
			t.Error("PUT changed meta.created")
		}
		// PUT never creates.
		e.do("PUT", "/scim/v2/Users/nope", map[string]any{"schemas": []string{userURN}, "userName": "x"}).isError(t, 404, "")
		e.do("DELETE", "/scim/v2/Users/"+id, nil).must(t, 204)
		for _, m := range []string{"GET", "DELETE"} {
			e.do(m, "/scim/v2/Users/"+id, nil).isError(t, 404, "")
		}
	})
}

func TestRFC7643Examples(t *testing.T) {
	for _, f := range []string{"rfc7643-8.1-minimal-user.json", "rfc7643-8.2-full-user.json", "rfc7643-8.3-enterprise-user.json"} {
		t.Run(f, func(t *testing.T) {
			e := sqliteEnv(t)
			body, err := os.ReadFile("schema/testdata/" + f)
			if err != nil {
				t.Fatal(err)
			}
			// The example's manager must be a user of the organization
			// (manager is a reference): provision one and name it instead.
			const exampleManager = "26118915-6090-4610-87e4-49d8ca9f808d"
			var managerID string
			if bytes.Contains(body, []byte(exampleManager)) {
				managerID = e.do("POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": "jsmith", "displayName": "John Smith"}).must(t, 201).str("id")
				body = bytes.ReplaceAll(body, []byte(exampleManager), []byte(managerID))
			}
			r := e.do("POST", "/scim/v2/Users", body).must(t, 201)
			got := e.do("GET", "/scim/v2/Users/"+r.str("id"), nil).must(t, 200)
			var sent map[string]any
			jsonUnmarshal(t, body, &sent)
			// manager.displayName is readOnly (RFC 7643 §4.3): input ignores it.
			// $ref is the server's: the location of the manager it names.
			if ext, ok := sent[entURN].(map[string]any); ok {
				delete(ext["manager"].(map[string]any), "displayName")
				delete(ext["manager"].(map[string]any), "$ref")
				m, _ := got.body[entURN].(map[string]any)["manager"].(map[string]any)
				if m["displayName"] != "John Smith" || !strings.HasSuffix(fmt.Sprint(m["$ref"]), "/Users/"+managerID) {
					t.Errorf("manager = %v, want the $ref and displayName of user %s", m, managerID)
				}
				delete(m, "displayName")
				delete(m, "$ref")
			}
			for _, k := range []string{"userName", "name", "emails", "addresses", "phoneNumbers", "ims", "photos", "x509Certificates", entURN} {
				if sent[k] == nil {
					continue
				}
				if fmt.Sprint(normalize(sent[k])) != fmt.Sprint(normalize(got.body[k])) {
					t.Errorf("%s: sent %v, got %v", k, sent[k], got.body[k])
				}
			}
			if got.body["password"] != nil {
				t.Error("password returned")
			}
		})
	}
	t.Run("rfc7643-8.4-group", func(t *testing.T) {
		e := sqliteEnv(t)
		a := e.createUser("babs", nil)
		b := e.createUser("mandy", nil)
		r := e.do("POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Tour Guides",
			"members":[{"value":"`+a+`","$ref":"https://example.com/v2/Users/`+a+`","display":"Babs Jensen"},
			{"value":"`+b+`","$ref":"https://example.com/v2/Users/`+b+`","display":"Mandy Pepperidge"}]}`).must(t, 201)
		if n := len(dig(r.body, "members").([]any)); n != 2 {
			t.Errorf("%d members", n)
		}
		if ref := r.str("members.0.$ref"); !strings.HasPrefix(ref, e.srv.URL+"/scim/v2/Users/") {
			t.Errorf("member $ref %q does not point at this server", ref)
		}
	})
}

func TestGroups(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		var users []string
		for i := 0; i < 5; i++ {
			users = append(users, e.createUser(fmt.Sprintf("u%d@example.com", i), map[string]any{"displayName": fmt.Sprintf("User %d", i)}))
		}
		id := e.createGroup("Sales", users[0], users[1])
		g := e.do("GET", "/scim/v2/Groups/"+id, nil).must(t, 200)
		if ms := dig(g.body, "members").([]any); len(ms) != 2 || g.str("members.0.display") == "" || g.str("members.0.type") != "User" {
			t.Errorf("members = %v", g.body["members"])
		}
		// Entra's lookup: no members in the answer.
		l := e.do("GET", `/scim/v2/Groups?excludedAttributes=members&filter=displayName+eq+%22sales%22`, nil).must(t, 200)
		if l.str("Resources.0.id") != id || dig(l.body, "Resources.0.members") != nil {
			t.Errorf("filtered list = %s", l.raw)
		}
		if one := e.do("GET", "/scim/v2/Groups/"+id+"?excludedAttributes=members", nil).must(t, 200); one.body["members"] != nil {
			t.Errorf("excludedAttributes=members still lists members")
		}
		if one := e.do("GET", "/scim/v2/Groups/"+id+"?attributes=members.value", nil).must(t, 200); one.str("members.0.value") == "" || dig(one.body, "members.0.display") != nil || one.body["displayName"] != nil {
			t.Errorf("attributes=members.value = %s", one.raw)
		}
		// PUT is a full replacement applied as a difference.
		e.do("PUT", "/scim/v2/Groups/"+id, map[string]any{"schemas": []string{groupURN}, "displayName": "Sales EMEA",
			"members": []map[string]string{{"value": users[1]}, {"value": users[2]}}}).must(t, 200)
		g = e.do("GET", "/scim/v2/Groups/"+id, nil).must(t, 200)
		if g.str("displayName") != "Sales EMEA" || fmt.Sprint(memberValues(g)) != fmt.Sprint(sorted(users[1], users[2])) {
			t.Errorf("after PUT: %s", g.raw)
		}
		// A member that is not a user of this organization.
		e.do("PUT", "/scim/v2/Groups/"+id, map[string]any{"schemas": []string{groupURN}, "displayName": "x",
			"members": []map[string]string{{"value": "ghost"}}}).isError(t, 400, "invalidValue")
		e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "Nested",
			"members": []map[string]string{{"value": id, "type": "Group"}}}).isError(t, 400, "invalidValue")
		// The user's computed groups.
		u := e.do("GET", "/scim/v2/Users/"+users[1], nil).must(t, 200)
		if u.str("groups.0.value") != id || u.str("groups.0.display") != "Sales EMEA" {
			t.Errorf("user groups = %v", u.body["groups"])
		}
		// Deleting a user removes it from every group.
		e.do("DELETE", "/scim/v2/Users/"+users[1], nil).must(t, 204)
		g = e.do("GET", "/scim/v2/Groups/"+id, nil).must(t, 200)
		if fmt.Sprint(memberValues(g)) != fmt.Sprint([]string{users[2]}) {
			t.Errorf("after deleting a member: %v", memberValues(g))
		}
		e.do("DELETE", "/scim/v2/Groups/"+id, nil).must(t, 204)
		e.do("GET", "/scim/v2/Groups/"+id, nil).isError(t, 404, "")
		if u := e.do("GET", "/scim/v2/Users/"+users[2], nil).must(t, 200); u.body["groups"] != nil {
			t.Errorf("deleted group still on its member: %v", u.body["groups"])
		}
	})
}

func memberValues(r resp) []string {
	var out []string
	ms, _ := r.body["members"].([]any)
	for _, m := range ms {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func TestLargeGroupStreams(t *testing.T) {
	e := sqliteEnv(t)
	ids := make([]string, 2500)
	for i := range ids {
		ids[i] = e.createUser(fmt.Sprintf("m%04d", i), nil)
	}
	gid := e.createGroup("All", ids...)
	g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)
	if got := memberValues(g); fmt.Sprint(got) != fmt.Sprint(sorted(ids...)) {
		t.Errorf("streamed %d members across pages, want all %d", len(got), len(ids))
	}
}

func TestETags(t *testing.T) {
	e := sqliteEnv(t)
	id := e.createUser("etag@example.com", nil)
	r := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200)
	v := r.header.Get("ETag")
	// RFC 7644 §3.14.
	if nm := e.do("GET", "/scim/v2/Users/"+id, nil, hdr{"If-None-Match": v}); nm.code != 304 || len(nm.raw) != 0 {
		t.Errorf("If-None-Match current = %d %s, want 304 without body", nm.code, nm.raw)
	}
	e.do("GET", "/scim/v2/Users/"+id, nil, hdr{"If-None-Match": `W/"999"`}).must(t, 200)
	body := map[string]any{"schemas": []string{userURN}, "userName": "etag@example.com", "displayName": "E"}
	e.do("PUT", "/scim/v2/Users/"+id, body, hdr{"If-Match": v}).must(t, 200)
	e.do("PUT", "/scim/v2/Users/"+id, body, hdr{"If-Match": v}).isError(t, 412, "")
	e.do("DELETE", "/scim/v2/Users/"+id, nil, hdr{"If-Match": v}).isError(t, 412, "")
	e.do("DELETE", "/scim/v2/Users/"+id, nil, hdr{"If-Match": "*"}).must(t, 204)
}

func TestDiscovery(t *testing.T) {
	e := sqliteEnv(t)
	spc := e.do("GET", "/scim/v2/ServiceProviderConfig", nil).must(t, 200)
	for path, want := range map[string]any{
		"patch.supported": true, "bulk.supported": true, "filter.supported": true, "sort.supported": true,
		"etag.supported": true, "changePassword.supported": false, "pagination.cursor": true, "pagination.index": true,
	} {
		if got := dig(spc.body, path); got != want {
			t.Errorf("ServiceProviderConfig %s = %v, want %v", path, got, want)
		}
	}
	if dig(spc.body, "filter.maxResults") == nil || dig(spc.body, "bulk.maxOperations") == nil || spc.str("authenticationSchemes.0.type") != "oauthbearertoken" {
		t.Errorf("ServiceProviderConfig = %s", spc.raw)
	}
	rts := e.do("GET", "/scim/v2/ResourceTypes", nil).must(t, 200)
	if rts.str("schemas.0") != "urn:ietf:params:scim:api:messages:2.0:ListResponse" || fmt.Sprint(rts.body["totalResults"]) != "2" {
		t.Errorf("ResourceTypes = %s", rts.raw)
	}
	if u := e.do("GET", "/scim/v2/ResourceTypes/User", nil).must(t, 200); u.str("endpoint") != "/Users" || u.str("schemaExtensions.0.schema") != entURN {
		t.Errorf("ResourceTypes/User = %s", u.raw)
	}
	sch := e.do("GET", "/scim/v2/Schemas", nil).must(t, 200)
	if fmt.Sprint(sch.body["totalResults"]) != "6" {
		t.Errorf("Schemas total = %v", sch.body["totalResults"])
	}
	us := e.do("GET", "/scim/v2/Schemas/"+userURN, nil).must(t, 200)
	if us.str("id") != userURN || us.str("meta.location") != e.srv.URL+"/scim/v2/Schemas/"+userURN {
		t.Errorf("Schemas/User = %s", us.raw[:200])
	}
	e.do("GET", "/scim/v2/Schemas/urn:nope", nil).isError(t, 404, "")
	// RFC 7644 §4: discovery endpoints are read-only.
	e.do("POST", "/scim/v2/ServiceProviderConfig", "{}").isError(t, 405, "")
	e.do("GET", "/scim/v2/Me", nil).isError(t, 501, "")
	e.do("GET", "/scim/v2/Nope", nil).isError(t, 404, "")
	e.do("POST", "/scim/v2/Users/abc", "{}").isError(t, 405, "")
}

func TestListParameters(t *testing.T) {
	e := sqliteEnv(t)
	var ids []string
	for i := 0; i < 12; i++ {
		ids = append(ids, e.createUser(fmt.Sprintf("user%02d@example.com", 11-i), map[string]any{"title": fmt.Sprintf("T%d", i%3)}))
	}
	// Okta import: startIndex/count paging, integers, stable order.
	var seen []string
	for start := 1; start <= 12; start += 5 {
		r := e.do("GET", fmt.Sprintf("/scim/v2/Users?startIndex=%d&count=5", start), nil).must(t, 200)
		if fmt.Sprint(r.body["startIndex"]) != fmt.Sprint(start) || fmt.Sprint(r.body["totalResults"]) != "12" {
			t.Errorf("page at %d: %s", start, r.raw)
		}
		for _, res := range r.body["Resources"].([]any) {
			seen = append(seen, res.(map[string]any)["id"].(string))
		}
		if want := min(5, 13-start); fmt.Sprint(r.body["itemsPerPage"]) != fmt.Sprint(want) {
			t.Errorf("itemsPerPage %v, want %d", r.body["itemsPerPage"], want)
		}
	}
	if fmt.Sprint(seen) != fmt.Sprint(ids) {
		t.Errorf("paging saw %d users, want all 12 in creation order", len(seen))
	}
	if r := e.do("GET", "/scim/v2/Users?count=0", nil).must(t, 200); fmt.Sprint(r.body["totalResults"]) != "12" || len(r.body["Resources"].([]any)) != 0 {
		t.Errorf("count=0 = %s", r.raw)
	}
	if r := e.do("GET", "/scim/v2/Users?startIndex=0&count=-3", nil).must(t, 200); fmt.Sprint(r.body["startIndex"]) != "1" || fmt.Sprint(r.body["itemsPerPage"]) != "0" {
		t.Errorf("startIndex=0&count=-3 = %s", r.raw)
	}
	if r := e.do("GET", "/scim/v2/Users?startIndex=50", nil).must(t, 200); len(r.body["Resources"].([]any)) != 0 || fmt.Sprint(r.body["totalResults"]) != "12" {
		t.Errorf("past the end = %s", r.raw)
	}
	if r := e.do("GET", "/scim/v2/Users?count=100000", nil).must(t, 200); fmt.Sprint(r.body["itemsPerPage"]) != "12" {
		t.Errorf("huge count = %v", r.body["itemsPerPage"])
	}
	r := e.do("GET", "/scim/v2/Users?sortBy=userName&sortOrder=descending&count=2", nil).must(t, 200)
	if r.str("Resources.0.userName") != "user11@example.com" || r.str("Resources.1.userName") != "user10@example.com" {
		t.Errorf("sorted = %s", r.raw)
	}
	r = e.do("GET", "/scim/v2/Users?attributes=userName&count=1", nil).must(t, 200)
	res := dig(r.body, "Resources.0").(map[string]any)
	if res["userName"] == nil || res["id"] == nil || res["title"] != nil || res["meta"] != nil {
		t.Errorf("attributes=userName = %v", res)
	}
	r = e.do("GET", "/scim/v2/Users?excludedAttributes=title,meta&count=1", nil).must(t, 200)
	res = dig(r.body, "Resources.0").(map[string]any)
	if res["title"] != nil || res["meta"] != nil || res["userName"] == nil {
		t.Errorf("excludedAttributes = %v", res)
	}
	// RFC 7644 §3.4.3.
	s := e.do("POST", "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
		"attributes":["displayName","userName"],"filter":"title eq \"T1\"","startIndex":1,"count":10}`).must(t, 200)
	if fmt.Sprint(s.body["totalResults"]) != "4" {
		t.Errorf(".search = %s", s.raw)
	}
	e.createGroup("T1 group")
	root := e.do("POST", "/scim/v2/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"count":100}`).must(t, 200)
	if fmt.Sprint(root.body["totalResults"]) != "13" {
		t.Errorf("root .search total = %v", root.body["totalResults"])
	}
	e.do("POST", "/scim/v2/Users/.search", `{"filter":"title eq \"T1\""}`).isError(t, 400, "invalidSyntax")
	e.do("GET", "/scim/v2/Users?sortOrder=sideways", nil).isError(t, 400, "invalidValue")
	e.do("GET", "/scim/v2/Users?count=ten", nil).isError(t, 400, "invalidValue")
}

func TestCursorPagingUnderChurn(t *testing.T) {
	e := sqliteEnv(t)
	var initial []string
	for i := 0; i < 30; i++ {
		initial = append(initial, e.createUser(fmt.Sprintf("c%02d", i), nil))
	}
	var seen []string
	deleted := map[string]bool{}
	cursor := ""
	var prev string
	for round := 0; ; round++ {
		r := e.do("GET", "/scim/v2/Users?count=7&cursor="+cursor, nil).must(t, 200)
		if r.body["startIndex"] != nil {
			t.Errorf("cursor page carries startIndex")
		}
		for _, res := range r.body["Resources"].([]any) {
			seen = append(seen, res.(map[string]any)["id"].(string))
		}
		if round == 1 {
			prev = r.str("previousCursor")
		}
		next := r.str("nextCursor")
		if next == "" {
			break
		}
		cursor = next
		// Meanwhile the IdP deletes a user not yet read and creates one.
		for _, id := range initial {
			if !deleted[id] && !slices.Contains(seen, id) {
				e.do("DELETE", "/scim/v2/Users/"+id, nil).must(t, 204)
				deleted[id] = true
				break
			}
		}
		e.createUser(fmt.Sprintf("late%d", round), nil)
	}
	if len(slices.Compact(slices.Clone(seen))) != len(seen) {
		t.Error("a user was returned twice")
	}
	final := e.do("GET", "/scim/v2/Users?count=1000", nil).must(t, 200)
	var want []string
	for _, res := range final.body["Resources"].([]any) {
		want = append(want, res.(map[string]any)["id"].(string))
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("cursor walk saw %d users, want exactly the %d there at the end (skipped none, repeated none)", len(seen), len(want))
	}
	if prev == "" {
		t.Fatal("second page has no previousCursor")
	}
	back := e.do("GET", "/scim/v2/Users?count=7&cursor="+prev, nil).must(t, 200)
	if back.str("Resources.0.id") != seen[0] {
		t.Errorf("previousCursor of page 2 does not lead back to page 1")
	}
	e.do("GET", "/scim/v2/Users?cursor=bogus!", nil).isError(t, 400, "invalidCursor")
	e.do("GET", "/scim/v2/Users?cursor=&startIndex=2", nil).isError(t, 400, "invalidValue")
}

func TestErrors(t *testing.T) {
	e := sqliteEnv(t)
	uid := e.createUser("err@example.com", nil)
	tests := []struct {
		name, method, path, body string
		status                   int
		scimType                 string
	}{
		{"malformed JSON", "POST", "/scim/v2/Users", `{"schemas":[`, 400, "invalidSyntax"},
		{"not an object", "POST", "/scim/v2/Users", `[1]`, 400, "invalidSyntax"},
		{"empty body", "POST", "/scim/v2/Users", ``, 400, "invalidSyntax"},
		{"missing userName", "POST", "/scim/v2/Users", `{"schemas":["` + userURN + `"]}`, 400, "invalidValue"},
		{"wrong type", "POST", "/scim/v2/Users", `{"schemas":["` + userURN + `"],"userName":"x","active":"maybe"}`, 400, "invalidValue"},
		{"unknown attribute", "POST", "/scim/v2/Users", `{"schemas":["` + userURN + `"],"userName":"x","shoeSize":44}`, 400, "invalidSyntax"},
		{"bad filter", "GET", "/scim/v2/Users?filter=userName%20eq", ``, 400, "invalidFilter"},
		{"unknown filter attribute", "GET", "/scim/v2/Users?filter=shoeSize%20eq%2044", ``, 400, "invalidFilter"},
		{"filter without operator (Okta 2016)", "GET", "/scim/v2/Users?filter=bjensen", ``, 400, "invalidFilter"},
		{"patch bad path", "PATCH", "/scim/v2/Users/" + uid, `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"shoeSize","value":1}]}`, 400, "invalidPath"},
		{"patch remove without path", "PATCH", "/scim/v2/Users/" + uid, `{"schemas":["` + patchURN + `"],"Operations":[{"op":"remove"}]}`, 400, "noTarget"},
		{"patch read-only", "PATCH", "/scim/v2/Users/" + uid, `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"id","value":"x"}]}`, 400, "mutability"},
		{"patch no match", "PATCH", "/scim/v2/Users/" + uid, `{"schemas":["` + patchURN + `"],"Operations":[{"op":"replace","path":"emails[value eq \"none\"].display","value":"x"}]}`, 400, "noTarget"},
		{"unsupported media type", "POST", "/scim/v2/Users", `userName=x`, 415, ""},
		{"unknown user", "GET", "/scim/v2/Users/nope", ``, 404, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h []hdr
			if tc.status == 415 {
				h = append(h, hdr{"Content-Type": "application/x-www-form-urlencoded"})
			}
			e.do(tc.method, tc.path, tc.body, h...).isError(t, tc.status, tc.scimType)
		})
	}
	t.Run("too large", func(t *testing.T) {
		big := `{"schemas":["` + userURN + `"],"userName":"` + strings.Repeat("x", 33<<20) + `"}`
		e.do("POST", "/scim/v2/Users", big).isError(t, 413, "")
	})
	t.Run("failed request changes nothing", func(t *testing.T) {
		before := e.do("GET", "/scim/v2/Users/"+uid, nil).must(t, 200)
		e.do("PATCH", "/scim/v2/Users/"+uid, `{"schemas":["`+patchURN+`"],"Operations":[
			{"op":"replace","path":"displayName","value":"Changed"},
			{"op":"replace","path":"active","value":"perhaps"}]}`).isError(t, 400, "invalidValue")
		after := e.do("GET", "/scim/v2/Users/"+uid, nil).must(t, 200)
		if string(before.raw) != string(after.raw) {
			t.Errorf("a failed PATCH changed the user:\n%s\n%s", before.raw, after.raw)
		}
	})
	t.Run("no internals in 500s or 4xx", func(t *testing.T) {
		r := e.do("GET", "/scim/v2/Users?filter=userName%20eq%20%22x%22%20and", nil)
		for _, bad := range []string{"sql", "SELECT", ".go:", "panic"} {
			if strings.Contains(string(r.raw), bad) {
				t.Errorf("error body leaks %q: %s", bad, r.raw)
			}
		}
	})
}

func TestConcurrentMemberPatches(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		gid := e.createGroup("Crowd")
		const n = 32
		ids := make([]string, n)
		for i := range ids {
			ids[i] = e.createUser(fmt.Sprintf("c%02d@example.com", i), nil)
		}
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := e.do("PATCH", "/scim/v2/Groups/"+gid, map[string]any{"schemas": []string{patchURN},
					"Operations": []any{map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": ids[i]}}}}})
				if r.code != http.StatusNoContent {
					t.Errorf("PATCH %d: %d %s", i, r.code, r.raw)
				}
			}(i)
		}
		wg.Wait()
		g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200)
		if got := memberValues(g); fmt.Sprint(got) != fmt.Sprint(sorted(ids...)) {
			t.Errorf("%d of %d members after 32 concurrent PATCHes", len(got), n)
		}
	})
}

func TestBulk(t *testing.T) {
	e := sqliteEnv(t)
	// RFC 7644 §3.7.2: a group created with a member that a later operation
	// creates, referenced by bulkId.
	r := e.do("POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
	  "Operations":[
	    {"method":"POST","path":"/Groups","bulkId":"ytrewq","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
	      "displayName":"Group B","members":[{"type":"User","value":"bulkId:qwerty"}]}},
	    {"method":"POST","path":"/Users","bulkId":"qwerty","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Alice"}},
	    {"method":"PATCH","path":"/Users/bulkId:qwerty","data":{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
	      "Operations":[{"op":"replace","path":"displayName","value":"Alice A."}]}}
	  ]}`).must(t, 200)
	if r.str("schemas.0") != "urn:ietf:params:scim:api:messages:2.0:BulkResponse" {
		t.Errorf("bulk response schemas = %v", r.body["schemas"])
	}
	ops := r.body["Operations"].([]any)
	if len(ops) != 3 {
		t.Fatalf("%d results: %s", len(ops), r.raw)
	}
	for i, want := range []string{"201", "201", "200"} {
		if got := dig(r.body, fmt.Sprintf("Operations.%d.status", i)); got != want {
			t.Errorf("operation %d status %v, want %s: %s", i, got, want, r.raw)
		}
	}
	groupLoc := r.str("Operations.0.location")
	g := e.do("GET", strings.TrimPrefix(groupLoc, e.srv.URL), nil).must(t, 200)
	alice := e.do("GET", "/scim/v2/Users?filter=userName%20eq%20%22alice%22", nil).must(t, 200)
	if g.str("members.0.value") != alice.str("Resources.0.id") || alice.str("Resources.0.displayName") != "Alice A." {
		t.Errorf("bulk references not resolved: group %s, alice %s", g.raw, alice.raw)
	}
	// failOnErrors stops after the first failure.
	r = e.do("POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":[
		{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["`+userURN+`"],"userName":"alice"}},
		{"method":"POST","path":"/Users","bulkId":"b","data":{"schemas":["`+userURN+`"],"userName":"bob"}}]}`).must(t, 200)
	if ops := r.body["Operations"].([]any); len(ops) != 1 || r.str("Operations.0.status") != "409" || r.str("Operations.0.response.scimType") != "uniqueness" {
		t.Errorf("failOnErrors=1: %s", r.raw)
	}
	// Circular references fail with a message.
	r = e.do("POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
		{"method":"POST","path":"/Groups","bulkId":"g1","data":{"schemas":["`+groupURN+`"],"displayName":"G1","members":[{"value":"bulkId:g2"}]}},
		{"method":"POST","path":"/Groups","bulkId":"g2","data":{"schemas":["`+groupURN+`"],"displayName":"G2","members":[{"value":"bulkId:g1"}]}}]}`).must(t, 200)
	if r.str("Operations.0.status") != "409" || !strings.Contains(r.str("Operations.0.response.detail"), "circular") {
		t.Errorf("circular: %s", r.raw)
	}
	var many []string
	for i := 0; i < 1001; i++ {
		many = append(many, `{"method":"DELETE","path":"/Users/x"}`)
	}
	e.do("POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[`+strings.Join(many, ",")+`]}`).isError(t, 413, "")
	e.do("POST", "/scim/v2/Bulk", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"x","data":{"schemas":["`+userURN+`"],"userName":"`+strings.Repeat("x", 2<<20)+`"}}]}`).isError(t, 413, "")
}
