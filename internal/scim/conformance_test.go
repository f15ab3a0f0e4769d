package scim_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestRemovingActiveNeverActivates: RFC 7644 §3.5.2.2 says a removed
// attribute is unassigned, and unassigned "active" reads as false. A
// third-party checker found that PATCH remove of active on a deactivated
// user answered active: true.
func TestRemovingActiveNeverActivates(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		tests := []struct {
			name   string
			active bool // before the PATCH
			op     string
		}{
			{"remove on a deactivated user", false, `{"op":"remove","path":"active"}`},
			{"remove on an active user", true, `{"op":"remove","path":"active"}`},
			{"Remove with the core URN", false, `{"op":"Remove","path":"urn:ietf:params:scim:schemas:core:2.0:User:active"}`},
			{"replace with null", false, `{"op":"replace","path":"active","value":null}`},
			{"pathless replace with null", false, `{"op":"replace","value":{"active":null}}`},
			{"add of an empty string", false, `{"op":"add","path":"active","value":""}`},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := e.createUser(fmt.Sprintf("active%d@example.com", i), map[string]any{"active": tt.active})
				r := e.do("PATCH", "/scim/v2/Users/"+id, patchBody(tt.op)).must(t, 200)
				if r.body["active"] != false {
					t.Errorf("PATCH answered active = %v, want false", r.body["active"])
				}
				if g := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200); g.body["active"] != false {
					t.Errorf("GET after the PATCH: active = %v, want false", g.body["active"])
				}
			})
		}
	})
}

// TestMemberTypeIgnoresCase: members.type is caseExact false, so "user"
// is "User" on POST, PUT and PATCH alike, and "group" is refused as a
// nested group everywhere.
func TestMemberTypeIgnoresCase(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		u1 := e.createUser("m1@example.com", nil)
		u2 := e.createUser("m2@example.com", nil)
		group := func(name string, members ...string) map[string]any {
			ms := []map[string]string{}
			for i := 0; i+1 < len(members); i += 2 {
				ms = append(ms, map[string]string{"value": members[i], "type": members[i+1]})
			}
			return map[string]any{"schemas": []string{groupURN}, "displayName": name, "members": ms}
		}
		r := e.do("POST", "/scim/v2/Groups", group("lower", u1, "user")).must(t, 201)
		gid := r.str("id")
		if r.str("members.0.value") != u1 || r.str("members.0.type") != "User" {
			t.Errorf("POST answered members %v", r.body["members"])
		}
		r = e.do("PUT", "/scim/v2/Groups/"+gid, group("lower", u1, "USER", u2, "uSeR")).must(t, 200)
		if n := len(r.body["members"].([]any)); n != 2 {
			t.Errorf("PUT answered %d members, want 2: %s", n, r.raw)
		}
		e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(`{"op":"remove","path":"members","value":[{"value":"`+u2+`","type":"user"}]}`)).must(t, 204)
		if g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200); len(g.body["members"].([]any)) != 1 {
			t.Errorf("after the PATCH: members %v", g.body["members"])
		}
		for _, typ := range []string{"group", "Group", "GROUP", "Person"} {
			e.do("POST", "/scim/v2/Groups", group("nested "+typ, u1, typ)).isError(t, 400, "invalidValue")
			e.do("PUT", "/scim/v2/Groups/"+gid, group("lower", u1, typ)).isError(t, 400, "invalidValue")
			e.do("PATCH", "/scim/v2/Groups/"+gid, patchBody(`{"op":"add","path":"members","value":[{"value":"`+u2+`","type":"`+typ+`"}]}`)).isError(t, 400, "invalidValue")
		}
	})
}

// TestPatchExtensionValueWithSchemas: patch/doc.go says "schemas" inside a
// value is ignored; that holds for the value of an extension path too.
func TestPatchExtensionValueWithSchemas(t *testing.T) {
	e := sqliteEnv(t)
	id := e.createUser("ext@example.com", nil)
	r := e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"add","path":"`+entURN+`","value":{"schemas":["`+entURN+`"],"department":"Tours"}}`)).must(t, 200)
	if got := dig(r.body[entURN], "department"); got != "Tours" {
		t.Errorf("department = %v: %s", got, r.raw)
	}
	r = e.do("PATCH", "/scim/v2/Users/"+id, patchBody(`{"op":"replace","path":"`+entURN+`","value":{"Schemas":["urn:x"],"costCenter":"4130"}}`)).must(t, 200)
	if got := dig(r.body[entURN], "costCenter"); got != "4130" {
		t.Errorf("costCenter = %v: %s", got, r.raw)
	}
}

// TestDiscoverySchemas: /Schemas lists the resource schemas and those of
// RFC 7643 §5–7, /Schemas/{urn} serves each, and members.display is
// advertised readOnly.
func TestDiscoverySchemas(t *testing.T) {
	e := sqliteEnv(t)
	list := e.do("GET", "/scim/v2/Schemas", nil).must(t, 200)
	var ids []string
	for _, res := range list.body["Resources"].([]any) {
		ids = append(ids, res.(map[string]any)["id"].(string))
	}
	want := []string{userURN, entURN, groupURN,
		"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
		"urn:ietf:params:scim:schemas:core:2.0:ResourceType",
		"urn:ietf:params:scim:schemas:core:2.0:Schema"}
	if fmt.Sprint(ids) != fmt.Sprint(want) || fmt.Sprint(list.body["totalResults"]) != "6" {
		t.Errorf("/Schemas lists %v (totalResults %v), want %v", ids, list.body["totalResults"], want)
	}
	for _, urn := range want[3:] {
		s := e.do("GET", "/scim/v2/Schemas/"+urn, nil).must(t, 200)
		if s.str("id") != urn || s.str("meta.location") != e.srv.URL+"/scim/v2/Schemas/"+urn || len(s.body["attributes"].([]any)) == 0 {
			t.Errorf("/Schemas/%s = %s", urn, s.raw)
		}
	}
	g := e.do("GET", "/scim/v2/Schemas/"+groupURN, nil).must(t, 200)
	for _, sub := range dig(g.body, "attributes.1.subAttributes").([]any) {
		if m := sub.(map[string]any); m["name"] == "display" && m["mutability"] != "readOnly" {
			t.Errorf("members.display is advertised %v, want readOnly", m["mutability"])
		}
	}
}

// TestSizeLimits: every text attribute is bounded and the values of
// multi-valued attributes are counted; past a limit the answer is 400
// invalidValue naming the attribute, on POST, PUT, PATCH and Bulk, and
// nothing is stored.
func TestSizeLimits(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		huge := func(n int) string { return strings.Repeat("x", n) }
		users := func() string {
			return fmt.Sprint(e.do("GET", "/scim/v2/Users?count=0", nil).must(t, 200).body["totalResults"])
		}
		id := e.createUser("limits@example.com", map[string]any{"displayName": "Lim"})
		before := users()

		refused := []struct {
			name, method, path string
			body               any
			attr               string
		}{
			{"2 MiB displayName", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": "big@example.com", "displayName": huge(2 << 20)}, `"displayName"`},
			{"30 MiB userName", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": huge(30 << 20)}, `"userName"`},
			{"userName one byte over", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": huge(1025)}, `"userName"`},
			{"sub-attribute", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": "n@example.com", "name": map[string]any{"givenName": huge(1025)}}, `"name.givenName"`},
			{"extension attribute", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN, entURN}, "userName": "d@example.com", entURN: map[string]any{"department": huge(1025)}}, `department"`},
			{"photo over 64 KiB", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": "p@example.com", "photos": []any{map[string]any{"value": "data:image/png;base64," + huge(64<<10)}}}, `"photos.value"`},
			{"101 emails", "POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": "e@example.com", "emails": emails(101)}, `"emails"`},
			{"PUT displayName", "PUT", "/scim/v2/Users/" + id, map[string]any{"schemas": []string{userURN}, "userName": "limits@example.com", "displayName": huge(2 << 20)}, `"displayName"`},
			{"PATCH displayName", "PATCH", "/scim/v2/Users/" + id, patchBody(`{"op":"replace","path":"displayName","value":"` + huge(2<<20) + `"}`), `"displayName"`},
			{"PATCH pathless userName", "PATCH", "/scim/v2/Users/" + id, patchBody(`{"op":"replace","value":{"userName":"` + huge(30<<20) + `"}}`), `"userName"`},
			{"PATCH emails one at a time", "PATCH", "/scim/v2/Users/" + id, patchBody(manyAdds(101)...), `"emails"`},
			{"group displayName", "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": huge(2 << 20)}, `"displayName"`},
			{"member value", "POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "g", "members": []any{map[string]any{"value": huge(1025)}}}, `"members.value"`},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do(tt.method, tt.path, tt.body)
				r.isError(t, 400, "invalidValue")
				if d := r.str("detail"); !strings.Contains(d, tt.attr) || !strings.Contains(d, "at most") || len(d) > 1000 {
					t.Errorf("detail %.300q does not name %s and its limit", d, tt.attr)
				}
			})
		}
		if got := users(); got != before {
			t.Errorf("users after the refusals: %s, want %s", got, before)
		}
		if g := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200); g.str("displayName") != "Lim" || g.str("userName") != "limits@example.com" || g.body["emails"] != nil {
			t.Errorf("the user changed: %s", g.raw)
		}
		if r := e.do("GET", "/scim/v2/Groups?count=0", nil).must(t, 200); fmt.Sprint(r.body["totalResults"]) != "0" {
			t.Errorf("groups stored: %s", r.raw)
		}

		// At the limits, values are accepted.
		r := e.do("POST", "/scim/v2/Users", map[string]any{"schemas": []string{userURN}, "userName": huge(1024), "displayName": strings.Repeat("é", 512),
			"emails": emails(100), "photos": []any{map[string]any{"value": "data:image/png;base64," + huge(64<<10-22)}}}).must(t, 201)
		if len(r.str("userName")) != 1024 || len(r.body["emails"].([]any)) != 100 {
			t.Errorf("at the limits: userName %d bytes, %d emails", len(r.str("userName")), len(r.body["emails"].([]any)))
		}

		// Bulk applies the same rules to each operation.
		b := e.do("POST", "/scim/v2/Bulk", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[
			{"method":"POST","bulkId":"a","path":"/Users","data":{"schemas":[%q],"userName":"bulk@example.com","displayName":%q}},
			{"method":"PATCH","path":"/Users/%s","data":{"schemas":[%q],"Operations":[{"op":"replace","path":"title","value":%q}]}}]}`,
			userURN, huge(2048), id, patchURN, huge(2048))).must(t, 200)
		for i := 0; i < 2; i++ {
			if st, typ := b.str(fmt.Sprintf("Operations.%d.status", i)), b.str(fmt.Sprintf("Operations.%d.response.scimType", i)); st != "400" || typ != "invalidValue" {
				t.Errorf("bulk operation %d: status %q scimType %q: %s", i, st, typ, b.raw)
			}
		}
		if r := e.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "bulk@example.com"`), nil).must(t, 200); fmt.Sprint(r.body["totalResults"]) != "0" {
			t.Error("the bulk user was stored")
		}
	})
}

// TestLargeGroupsAreNotCounted: Group members have no value limit; a group
// may hold more members than any other attribute may hold values.
func TestLargeGroupsAreNotCounted(t *testing.T) {
	e := sqliteEnv(t)
	var ms []any
	for i := 0; i < 150; i++ {
		ms = append(ms, map[string]any{"value": e.createUser(fmt.Sprintf("big%d@example.com", i), nil)})
	}
	r := e.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": "big", "members": ms}).must(t, 201)
	if n := len(r.body["members"].([]any)); n != 150 {
		t.Errorf("group of %d members, want 150", n)
	}
}

func emails(n int) []any {
	var out []any
	for i := 0; i < n; i++ {
		out = append(out, map[string]any{"value": fmt.Sprintf("e%d@example.com", i)})
	}
	return out
}

func manyAdds(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf(`{"op":"add","path":"emails","value":[{"value":"p%d@example.com"}]}`, i))
	}
	return out
}

// TestTextEncoding: NUL, invalid UTF-8 and lone surrogate escapes are
// refused with 400 before anything is decoded or stored; SQLite used to
// store NUL and PostgreSQL answered 500, and encoding/json rewrote the
// others to U+FFFD.
func TestTextEncoding(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		id := e.createUser("text@example.com", map[string]any{"displayName": "Text"})
		gid := e.createGroup("texts")
		tests := []struct {
			name, method, path, body string
			scimType                 string
		}{
			{"NUL in a user displayName", "POST", "/scim/v2/Users", `{"schemas":["` + userURN + `"],"userName":"nul@example.com","displayName":"a\u0000b"}`, "invalidValue"},
			{"NUL in a userName", "POST", "/scim/v2/Users", `{"schemas":["` + userURN + `"],"userName":"nul\u0000@example.com"}`, "invalidValue"},
			{"NUL in a group displayName", "POST", "/scim/v2/Groups", `{"schemas":["` + groupURN + `"],"displayName":"a\u0000b"}`, "invalidValue"},
			{"NUL in a PATCH", "PATCH", "/scim/v2/Users/" + id, patchBody(`{"op":"replace","path":"displayName","value":"a\u0000b"}`), "invalidValue"},
			{"NUL in a group PATCH", "PATCH", "/scim/v2/Groups/" + gid, patchBody(`{"op":"replace","path":"displayName","value":"a\u0000b"}`), "invalidValue"},
			{"NUL in a PUT", "PUT", "/scim/v2/Users/" + id, `{"schemas":["` + userURN + `"],"userName":"text@example.com","title":"\u0000"}`, "invalidValue"},
			{"NUL in a filter body", "POST", "/scim/v2/Users/.search", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName eq \"\u0000\""}`, "invalidValue"},
			{"invalid UTF-8", "POST", "/scim/v2/Users", "{\"schemas\":[\"" + userURN + "\"],\"userName\":\"bad\xff\xfe(@x\"}", "invalidSyntax"},
			{"lone surrogate", "POST", "/scim/v2/Users", `{"schemas":["` + userURN + `"],"userName":"bad\ud800\udbff(@x"}`, "invalidSyntax"},
			{"lone low surrogate in a PATCH", "PATCH", "/scim/v2/Users/" + id, patchBody(`{"op":"replace","path":"displayName","value":"\udc00"}`), "invalidSyntax"},
			{"invalid UTF-8 in a group PUT", "PUT", "/scim/v2/Groups/" + gid, "{\"schemas\":[\"" + groupURN + "\"],\"displayName\":\"\xc0\xaf\"}", "invalidSyntax"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.do(tt.method, tt.path, tt.body)
				r.isError(t, 400, tt.scimType)
				if !strings.Contains(r.str("detail"), "byte") {
					t.Errorf("detail %q does not say where", r.str("detail"))
				}
			})
		}
		if r := e.do("GET", "/scim/v2/Users?count=0", nil).must(t, 200); fmt.Sprint(r.body["totalResults"]) != "1" {
			t.Errorf("users stored: %s", r.raw)
		}
		if g := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200); g.str("displayName") != "Text" || g.body["title"] != nil {
			t.Errorf("the user changed: %s", g.raw)
		}
		if g := e.do("GET", "/scim/v2/Groups/"+gid, nil).must(t, 200); g.str("displayName") != "texts" {
			t.Errorf("the group changed: %s", g.raw)
		}
		// A surrogate pair is one character, and accepted.
		r := e.do("POST", "/scim/v2/Users", `{"schemas":["`+userURN+`"],"userName":"smile\ud83d\ude42@example.com"}`).must(t, 201)
		if r.str("userName") != "smile🙂@example.com" {
			t.Errorf("userName = %q", r.str("userName"))
		}
	})
}

// TestPutWithoutActiveKeepsIt: a PUT that does not assert active leaves
// it as it was; it never re-activates a deactivated user.
func TestPutWithoutActiveKeepsIt(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		for i, active := range []bool{false, true} {
			name := fmt.Sprintf("put%d@example.com", i)
			id := e.createUser(name, map[string]any{"active": active})
			put := map[string]any{"schemas": []string{userURN}, "userName": name, "displayName": "Renamed"}
			r := e.do("PUT", "/scim/v2/Users/"+id, put).must(t, 200)
			if r.body["active"] != active || r.body["displayName"] != "Renamed" {
				t.Errorf("PUT without active on a user with active=%v answered active=%v, displayName=%v", active, r.body["active"], r.body["displayName"])
			}
			if g := e.do("GET", "/scim/v2/Users/"+id, nil).must(t, 200); g.body["active"] != active {
				t.Errorf("GET after the PUT: active = %v, want %v", g.body["active"], active)
			}
		}
	})
}
