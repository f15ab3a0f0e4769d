package authzen_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/authzen"
)

// results returns a search's results as "type:id" (or action names), with
// ids replaced by the fixture's names.
func (f *fixture) results(s searchOut) []string {
	names := map[string]string{}
	for k, v := range f.ids {
		names[v] = k
	}
	var out []string
	for _, r := range s.Results {
		switch {
		case r.Name != "":
			out = append(out, r.Name)
		case names[r.ID] != "":
			out = append(out, r.Type+":"+names[r.ID])
		default:
			out = append(out, r.Type+":"+r.ID)
		}
	}
	return out
}

// sortedByID returns names sorted by the ids they stand for, the order
// searches return.
func (f *fixture) sortedByID(prefix string, names ...string) []string {
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(f.ids[a], f.ids[b]) })
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

// TestSearch walks the specification's search examples mapped onto
// roster: who may take an action on a resource (transitively, through
// groups and organization roles), what a user may take an action on, and
// what a user may do on a resource.
func TestSearch(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		cases := []struct {
			name   string
			path   string
			body   string
			want   []string
			reason string
		}{
			{"subject search: who may edit the sales workspace", authzen.PathSearchSubject,
				`{"subject": {"type": "user"}, "action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{sales}"}, "context": {"time": "2024-10-26T01:22-07:00"}}`,
				f.sortedByID("user:", "alice", "bob", "olga"), ""},
			{"subject search ignores the subject id", authzen.PathSearchSubject,
				`{"subject": {"type": "user", "id": "{bob}"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{notes}"}}`,
				f.sortedByID("user:", "alice", "olga"), ""},
			{"subject search: a viewer cannot check", authzen.PathSearchSubject,
				`{"subject": {"type": "user"}, "action": {"name": "check"}, "resource": {"type": "workspace", "id": "{notes}"}}`,
				[]string{"user:olga"}, ""},
			{"subject search: the invite-only folder", authzen.PathSearchSubject,
				`{"subject": {"type": "user"}, "action": {"name": "view"}, "resource": {"type": "folder", "id": "{deals}"}}`,
				[]string{"user:olga"}, ""},
			{"subject search: a folder that follows its workspace", authzen.PathSearchSubject,
				`{"subject": {"type": "user"}, "action": {"name": "view"}, "resource": {"type": "folder", "id": "{plans}"}}`,
				f.sortedByID("user:", "alice", "bob", "olga"), ""},
			{"resource search: the workspaces alice may view", authzen.PathSearchResource,
				`{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}}`,
				f.sortedByID("workspace:", "sales", "notes", "ops"), ""},
			{"resource search: the workspaces alice may edit", authzen.PathSearchResource,
				`{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "edit"}, "resource": {"type": "workspace"}}`,
				[]string{"workspace:sales"}, ""},
			{"resource search: the folders alice may view, by e-mail", authzen.PathSearchResource,
				`{"subject": {"type": "user", "id": "alice@example.com", "properties": {"id_type": "email"}}, "action": {"name": "view"}, "resource": {"type": "folder", "id": "ignored"}}`,
				f.sortedByID("folder:", "sales-home", "plans", "notes-home", "ops-home"), ""},
			{"resource search: a deactivated user reaches nothing", authzen.PathSearchResource,
				`{"subject": {"type": "user", "id": "{carol}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}}`,
				nil, ""},
			{"resource search: an owner reaches everything", authzen.PathSearchResource,
				`{"subject": {"type": "user", "id": "{olga}"}, "action": {"name": "edit"}, "resource": {"type": "workspace"}}`,
				f.sortedByID("workspace:", "sales", "notes", "ops", "secret"), ""},
			{"action search: an editor", authzen.PathSearchAction,
				`{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "context": {"time": "2024-10-26T01:22-07:00"}}`,
				[]string{"view", "check", "edit"}, "the user's role here is editor"},
			{"action search: a checker", authzen.PathSearchAction,
				`{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{ops}"}}`,
				[]string{"view", "check"}, "the user's role here is checker"},
			{"action search ignores an action", authzen.PathSearchAction,
				`{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{notes}"}}`,
				[]string{"view"}, "viewer"},
			{"action search: no role", authzen.PathSearchAction,
				`{"subject": {"type": "user", "id": "{bob}"}, "resource": {"type": "workspace", "id": "{notes}"}}`,
				nil, "no action is allowed: no grant to a group of the user"},
			{"action search: a deactivated user", authzen.PathSearchAction,
				`{"subject": {"type": "user", "id": "{carol}"}, "resource": {"type": "workspace", "id": "{sales}"}}`,
				nil, "no action is allowed: the user is deactivated"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var s searchOut
				f.ok(f.post(c.path, f.keyA, c.body), &s)
				if got := f.results(s); !slices.Equal(got, c.want) {
					t.Errorf("results = %v, want %v", got, c.want)
				}
				if s.Page == nil || s.Page.NextToken == nil || *s.Page.NextToken != "" || s.Page.Count != len(c.want) {
					t.Errorf("page = %+v, want an empty next_token and count %d", s.Page, len(c.want))
				}
				if c.reason != "" && (s.Context == nil || !strings.Contains(s.Context.Reason, c.reason)) {
					t.Errorf("context = %+v, want a reason with %q", s.Context, c.reason)
				}
				// Every result, evaluated, is allowed (§8.1).
				for _, r := range s.Results {
					var req map[string]map[string]any
					if err := json.Unmarshal([]byte(f.body(c.body)), &req); err != nil {
						t.Fatal(err)
					}
					switch c.path {
					case authzen.PathSearchSubject:
						req["subject"]["id"] = r.ID
					case authzen.PathSearchResource:
						req["resource"]["id"] = r.ID
					default:
						req["action"] = map[string]any{"name": r.Name}
					}
					b, _ := json.Marshal(req)
					body := string(b)
					var d decisionOut
					f.ok(f.post(authzen.PathEvaluation, f.keyA, body), &d)
					if d.Decision == nil || !*d.Decision {
						t.Errorf("result %+v evaluates to %+v", r, d.Context)
					}
				}
			})
		}
	})
}

// TestSearchPaging walks the specification's paging example — three
// results, two to a page — and pages every search one result at a time,
// checking that the pages add up to the unpaged answer and that a token
// is refused for another request.
func TestSearchPaging(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		// The example: the workspaces alice may view, limit 2.
		first := `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}, "page": {"limit": 2}}`
		var p1 searchOut
		f.ok(f.post(authzen.PathSearchResource, f.keyA, first), &p1)
		all := f.sortedByID("workspace:", "sales", "notes", "ops")
		if got := f.results(p1); !slices.Equal(got, all[:2]) || p1.Page.Count != 2 || *p1.Page.NextToken == "" {
			t.Fatalf("first page = %v %+v, want %v and a next_token", got, p1.Page, all[:2])
		}
		// The second request repeats the first with the token, limit
		// included (the specification's example drops it, which roster
		// refuses below: the limit must stay the same).
		second := strings.Replace(first, `"limit": 2`, `"limit": 2, "token": "`+*p1.Page.NextToken+`"`, 1)
		var p2 searchOut
		f.ok(f.post(authzen.PathSearchResource, f.keyA, second), &p2)
		if got := f.results(p2); !slices.Equal(got, all[2:]) || p2.Page.Count != 1 || *p2.Page.NextToken != "" {
			t.Errorf("second page = %v %+v, want %v and an empty next_token", got, p2.Page, all[2:])
		}

		// A token with anything else changed is refused.
		for _, changed := range []string{
			`{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}, "page": {"token": "TOKEN"}}`,
			`{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "edit"}, "resource": {"type": "workspace"}, "page": {"limit": 2, "token": "TOKEN"}}`,
			`{"subject": {"type": "user", "id": "{bob}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}, "page": {"limit": 2, "token": "TOKEN"}}`,
			`{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}, "context": {"a": 1}, "page": {"limit": 2, "token": "TOKEN"}}`,
		} {
			r := f.post(authzen.PathSearchResource, f.keyA, strings.Replace(changed, "TOKEN", *p1.Page.NextToken, 1))
			var e errorOut
			json.Unmarshal(r.body, &e) //nolint:errcheck // checked through the fields
			if r.status != http.StatusBadRequest || !strings.Contains(e.Error.Message, "page.token belongs to another search") {
				t.Errorf("changed request %s = %d %s, want 400", changed, r.status, r.body)
			}
		}
		// Whitespace is no change.
		spaced := strings.ReplaceAll(second, ": ", ":   ")
		if r := f.post(authzen.PathSearchResource, f.keyA, spaced); r.status != 200 {
			t.Errorf("the second request respaced = %d %s", r.status, r.body)
		}
		// Another organization's key cannot use the token.
		if r := f.post(authzen.PathSearchResource, f.keyB, second); r.status != 400 {
			t.Errorf("the token with another organization's key = %d %s, want 400", r.status, r.body)
		}

		// Every search, paged one at a time, adds up to its whole answer.
		for _, c := range []struct{ path, body string }{
			{authzen.PathSearchSubject, `{"subject": {"type": "user"}, "action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{sales}"}, "page": {"limit": 1}}`},
			{authzen.PathSearchSubject, `{"subject": {"type": "user"}, "action": {"name": "view"}, "resource": {"type": "folder", "id": "{plans}"}, "page": {"limit": 1}}`},
			{authzen.PathSearchResource, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "folder"}, "page": {"limit": 1}}`},
			{authzen.PathSearchResource, `{"subject": {"type": "user", "id": "{olga}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}, "page": {"limit": 3}}`},
			{authzen.PathSearchAction, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "page": {"limit": 1}}`},
			{authzen.PathSearchAction, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{ops}"}, "page": {"limit": 2}}`},
		} {
			var whole searchOut
			f.ok(f.post(c.path, f.keyA, strings.Replace(c.body, `"page"`, `"unpaged"`, 1)), &whole)
			var paged []string
			tokenBody := c.body
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatalf("%s: more than 10 pages", c.body)
				}
				var s searchOut
				f.ok(f.post(c.path, f.keyA, tokenBody), &s)
				if s.Page.Count != len(s.Results) {
					t.Errorf("count %d for %d results", s.Page.Count, len(s.Results))
				}
				paged = append(paged, f.results(s)...)
				if *s.Page.NextToken == "" {
					break
				}
				tokenBody = strings.Replace(c.body, `"page": {`, `"page": {"token": "`+*s.Page.NextToken+`", `, 1)
			}
			if want := f.results(whole); !slices.Equal(paged, want) || len(want) < 2 {
				t.Errorf("%s: pages add up to %v, want %v", c.body, paged, want)
			}
		}

		// A limit of 0 asks for the default page size.
		var z searchOut
		f.ok(f.post(authzen.PathSearchResource, f.keyA, strings.Replace(first, `"limit": 2`, `"limit": 0`, 1)), &z)
		if len(z.Results) != 3 {
			t.Errorf("limit 0 = %v, want every result", f.results(z))
		}
	})
}

// TestMetadata checks the PDP metadata against the specification's
// example: every endpoint roster serves, absolute, under the PDP
// identifier, served without a credential.
func TestMetadata(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		resp, err := http.Get(f.srv.URL + authzen.PathMetadata)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"policy_decision_point":       "https://pdp.example.com",
			"access_evaluation_endpoint":  "https://pdp.example.com/access/v1/evaluation",
			"access_evaluations_endpoint": "https://pdp.example.com/access/v1/evaluations",
			"search_subject_endpoint":     "https://pdp.example.com/access/v1/search/subject",
			"search_resource_endpoint":    "https://pdp.example.com/access/v1/search/resource",
			"search_action_endpoint":      "https://pdp.example.com/access/v1/search/action",
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || len(got) != len(want) {
			t.Fatalf("metadata = %d %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		if resp.Header.Get("Cache-Control") == "" {
			t.Errorf("no Cache-Control: PEPs should be told how long to cache the metadata")
		}
	})
}
