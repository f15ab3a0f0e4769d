package authzen_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/authzen"
)

const okBody = `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`

// TestErrors walks every error that pertains to a whole request: the
// credential, the body's media type, size and syntax, the information
// model's required attributes, the batch's limits and options, and the
// searches' arguments and page tokens. Each answers its status with
// {"error": {"status", "message"}} and a message that says what to fix.
func TestErrors(t *testing.T) {
	type header = []string
	eachEngine(t, func(t *testing.T, f *fixture) {
		many := `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "evaluations": [` +
			strings.Repeat(`{"resource": {"type": "workspace", "id": "{sales}"}},`, authzen.DefaultMaxEvaluations) +
			`{"resource": {"type": "workspace", "id": "{sales}"}}]}`
		huge := `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{sales}"}, "context": {"pad": "` +
			strings.Repeat("x", authzen.DefaultMaxBody) + `"}}`
		cases := []struct {
			name    string
			path    string
			key     string // "A" for organization A's key
			header  header
			body    string
			status  int
			message string
		}{
			{"no credential", authzen.PathEvaluation, "", nil, okBody, 401, `send an organization API key as "Authorization: Bearer <token>"`},
			{"unknown key", authzen.PathEvaluation, "roster_api_nope", nil, okBody, 401, "API key is invalid or revoked"},
			{"a SCIM token", authzen.PathEvaluations, "scim", nil, okBody, 401, "this is a SCIM token; the AuthZEN API takes an organization API key"},
			{"no credential on a search", authzen.PathSearchAction, "", nil, okBody, 401, "API key"},
			{"form-encoded body", authzen.PathEvaluation, "A", header{"Content-Type", "application/x-www-form-urlencoded"}, okBody, 415, `"Content-Type: application/json"`},
			{"JSON with a charset", authzen.PathEvaluation, "A", header{"Content-Type", "application/json; charset=utf-8"}, okBody, 200, ""},
			{"empty body", authzen.PathEvaluation, "A", nil, ``, 400, `the request body is empty; send a JSON object with "subject", "action" and "resource"`},
			{"not JSON", authzen.PathEvaluation, "A", nil, `{"subject": `, 400, "the request body is not valid JSON"},
			{"bad JSON syntax", authzen.PathEvaluation, "A", nil, `{"subject" {}}`, 400, "the request body is not valid JSON"},
			{"an array body", authzen.PathEvaluations, "A", nil, `[` + okBody + `]`, 400, "the request body must be a JSON object"},
			{"two JSON values", authzen.PathEvaluation, "A", nil, okBody + okBody, 400, "more than one JSON value"},
			{"body too large", authzen.PathEvaluation, "A", nil, huge, 413, "the request body is larger than 1048576 bytes"},
			{"no subject", authzen.PathEvaluation, "A", nil, `{"resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`, 400, `the request has no "subject"`},
			{"no action", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}}`, 400, `the request has no "action"`},
			{"no resource", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}}`, 400, `the request has no "resource"`},
			{"null subject", authzen.PathEvaluation, "A", nil, `{"subject": null, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`, 400, `the request has no "subject"`},
			{"subject without type", authzen.PathEvaluation, "A", nil, `{"subject": {"id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`, 400, `the request.subject has no "type"`},
			{"subject without id", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`, 400, `the request.subject has no "id"`},
			{"resource without id", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace"}, "action": {"name": "view"}}`, 400, `the request.resource has no "id"`},
			{"action without name", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {}}`, 400, `the request.action has no "name"`},
			{"subject as a string", authzen.PathEvaluation, "A", nil, `{"subject": "alice", "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`, 400, `"subject" must be a JSON object, not string`},
			{"id as a number", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user", "id": 7}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`, 400, `"subject.id" must be a JSON string, not number`},
			{"properties as an array", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user", "id": "{alice}", "properties": [1]}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`, 400, "the request.subject.properties must be a JSON object"},
			{"context as a string", authzen.PathEvaluation, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}, "context": "now"}`, 400, "the request.context must be a JSON object"},
			{"an evaluation without subject or default", authzen.PathEvaluations, "A", nil, `{"action": {"name": "view"}, "evaluations": [
				{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}},
				{"resource": {"type": "workspace", "id": "{sales}"}}]}`, 400, `evaluations[1] has no "subject" and the request gives no default "subject"`},
			{"an evaluation's resource without id", authzen.PathEvaluations, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "evaluations": [
				{"resource": {"type": "workspace"}}]}`, 400, `evaluations[0].resource has no "id"`},
			{"evaluations not an array", authzen.PathEvaluations, "A", nil, `{"evaluations": {}}`, 400, `"evaluations" must be a JSON array, not object`},
			{"too many evaluations", authzen.PathEvaluations, "A", nil, many, 400, "the request holds 1001 evaluations; at most 1000 are evaluated in one request: split the batch"},
			{"unknown semantic", authzen.PathEvaluations, "A", nil, `{"options": {"evaluations_semantic": "first_applicable"}, "evaluations": []}`, 400, `options.evaluations_semantic must be "execute_all", "deny_on_first_deny" or "permit_on_first_permit", not "first_applicable"`},
			{"semantic not a string", authzen.PathEvaluations, "A", nil, `{"options": {"evaluations_semantic": true}}`, 400, "options.evaluations_semantic must be a string"},
			{"options not an object", authzen.PathEvaluations, "A", nil, `{"options": "all"}`, 400, "options must be a JSON object"},
			{"empty evaluations without defaults", authzen.PathEvaluations, "A", nil, `{"evaluations": []}`, 400, `the request has no "subject"`},

			// Searches.
			{"subject search without subject", authzen.PathSearchSubject, "A", nil, `{"action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{sales}"}}`, 400, `the request has no "subject"`},
			{"subject search for groups", authzen.PathSearchSubject, "A", nil, `{"subject": {"type": "group"}, "action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{sales}"}}`, 400, `subject type "group" is not one roster decides for`},
			{"subject search without resource id", authzen.PathSearchSubject, "A", nil, `{"subject": {"type": "user"}, "action": {"name": "edit"}, "resource": {"type": "workspace"}}`, 400, `the request.resource has no "id"`},
			{"subject search for join", authzen.PathSearchSubject, "A", nil, `{"subject": {"type": "user"}, "action": {"name": "join"}, "resource": {"type": "workspace", "id": "{sales}"}}`, 400, "POST /api/v1/join"},
			{"subject search on another organization's workspace", authzen.PathSearchSubject, "A", nil, `{"subject": {"type": "user"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{globex}"}}`, 404, "workspace {globex} does not exist in this organization"},
			{"resource search without action", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace"}}`, 400, `the request has no "action"`},
			{"resource search for accounts", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "account"}}`, 400, `resource type "account" is not one roster knows`},
			{"resource search for another organization's user", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{zed}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}}`, 404, "user {zed} does not exist in this organization"},
			{"resource search for a deleted user", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{dave}"}, "action": {"name": "view"}, "resource": {"type": "folder"}}`, 404, "user {dave} does not exist in this organization"},
			{"resource search for an ambiguous e-mail", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "shared@example.com", "properties": {"id_type": "email"}}, "action": {"name": "view"}, "resource": {"type": "folder"}}`, 400, "roster never guesses between users"},
			{"action search without resource id", authzen.PathSearchAction, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace"}}`, 400, `the request.resource has no "id"`},
			{"action search without subject", authzen.PathSearchAction, "A", nil, `{"resource": {"type": "workspace", "id": "{sales}"}}`, 400, `the request has no "subject": an action search needs a subject and a resource`},
			{"action search on another organization's workspace", authzen.PathSearchAction, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{globex}"}}`, 404, "workspace {globex} does not exist"},
			{"negative limit", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "folder"}, "page": {"limit": -1}}`, 400, "page.limit must be a whole number of 0 or more, not -1"},
			{"fractional limit", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "folder"}, "page": {"limit": 1.5}}`, 400, `"page.limit" must be a whole number, not number 1.5`},
			{"a token this PDP never issued", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "folder"}, "page": {"token": "a3M9NDU2O3N6PTI="}}`, 400, "page.token is not a token this PDP returned"},
			{"page properties not an object", authzen.PathSearchResource, "A", nil, `{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "folder"}, "page": {"properties": 1}}`, 400, "page.properties must be a JSON object"},
		}
		keys := map[string]string{"A": f.keyA, "scim": f.scimA}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				key := c.key
				if k, ok := keys[key]; ok {
					key = k
				}
				r := f.post(c.path, key, c.body, c.header...)
				if r.status != c.status {
					t.Fatalf("status %d, want %d: %.300s", r.status, c.status, r.body)
				}
				if c.status == 200 {
					return
				}
				var e errorOut
				if err := json.Unmarshal(r.body, &e); err != nil {
					t.Fatalf("error body %s: %v", r.body, err)
				}
				if e.Error.Status != c.status || !strings.Contains(e.Error.Message, f.body(c.message)) {
					t.Errorf("error = %+v, want status %d and a message with %q", e.Error, c.status, f.body(c.message))
				}
				if c.status == 401 && r.header.Get("WWW-Authenticate") != `Bearer realm="roster AuthZEN"` {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
			})
		}
	})
}

// TestMethods checks that the evaluation and search endpoints take POST
// only, and the metadata GET only.
func TestMethods(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		for _, c := range []struct{ method, path string }{
			{"GET", authzen.PathEvaluation}, {"PUT", authzen.PathEvaluations}, {"GET", authzen.PathSearchSubject}, {"POST", authzen.PathMetadata},
		} {
			req, _ := http.NewRequest(c.method, f.srv.URL+c.path, nil)
			req.Header.Set("Authorization", "Bearer "+f.keyA)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("%s %s = %d, want 405", c.method, c.path, resp.StatusCode)
			}
		}
	})
}

// TestOrganizations checks that each key sees its own organization only:
// the same question with another organization's key is about ids that do
// not exist there.
func TestOrganizations(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		var d decisionOut
		f.ok(f.post(authzen.PathEvaluation, f.keyB, okBody), &d)
		want{status: 404, message: f.body("workspace {sales} does not exist in this organization")}.check(t, d)
		var s searchOut
		f.ok(f.post(authzen.PathSearchResource, f.keyB, `{"subject": {"type": "user", "id": "{zed}"}, "action": {"name": "view"}, "resource": {"type": "workspace"}}`), &s)
		if len(s.Results) != 0 {
			t.Errorf("zed reaches %+v, want nothing", s.Results)
		}
		r := f.post(authzen.PathSearchSubject, f.keyB, `{"subject": {"type": "user"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{sales}"}}`)
		if r.status != 404 {
			t.Errorf("subject search on the other organization's workspace = %d %s, want 404", r.status, r.body)
		}
	})
}
