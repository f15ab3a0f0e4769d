package authzen_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/authzen"
	"github.com/rosterhq/roster/internal/server"
)

// A want is what a test expects of one decision: the decision, the role,
// a fragment of the reason, and for an evaluation that could not be made,
// the error's status and a fragment of its message.
type want struct {
	decision bool
	role     string
	reason   string
	status   int
	message  string
}

func (w want) check(t *testing.T, d decisionOut) {
	t.Helper()
	if d.Decision == nil {
		t.Fatalf("no decision key")
	}
	if *d.Decision != w.decision {
		t.Errorf("decision = %v, want %v (context %+v)", *d.Decision, w.decision, d.Context)
	}
	if d.Context == nil {
		t.Fatalf("no context")
	}
	c := d.Context
	if w.status != 0 {
		if c.Error == nil || c.Error.Status != w.status || !strings.Contains(c.Error.Message, w.message) {
			t.Errorf("context error = %+v, want status %d and a message with %q", c.Error, w.status, w.message)
		}
		return
	}
	if c.Error != nil {
		t.Errorf("unexpected error %+v", c.Error)
	}
	if c.Role != w.role || !strings.Contains(c.Reason, w.reason) {
		t.Errorf("role %q reason %q, want role %q and a reason with %q", c.Role, c.Reason, w.role, w.reason)
	}
}

// TestEvaluation walks the specification's examples of subjects,
// resources, actions, contexts and requests, mapped onto roster's model,
// and every way an evaluation is denied or cannot be made. Each case is
// sent to /access/v1/evaluation and, without an evaluations array, to
// /access/v1/evaluations, which must answer the same.
func TestEvaluation(t *testing.T) {
	cases := []struct {
		name string
		body string
		want want
	}{
		// Information model examples (§5) and the request example (§6.1).
		{"request example: action properties and a context", `{
			"subject": {"type": "user", "id": "{alice}"},
			"resource": {"type": "workspace", "id": "{sales}"},
			"action": {"name": "view", "properties": {"method": "GET"}},
			"context": {"time": "1985-10-26T01:22-07:00"}}`,
			want{decision: true, role: "editor", reason: "allowed: the user's role here is editor, which may view"}},
		{"minimal subject named by e-mail", `{
			"subject": {"type": "user", "id": "alice@example.com", "properties": {"id_type": "email"}},
			"resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{decision: true, role: "editor", reason: "allowed"}},
		{"e-mail compared ignoring case", `{
			"subject": {"type": "user", "id": "Alice@Example.COM", "properties": {"id_type": "email"}},
			"resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{decision: true, role: "editor", reason: "allowed"}},
		{"subject with a department property", `{
			"subject": {"type": "user", "id": "alice@example.com", "properties": {"department": "Sales", "id_type": "email"}},
			"resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "edit"}}`,
			want{decision: true, role: "editor", reason: "which may edit"}},
		{"subject by userName with IP address and device id", `{
			"subject": {"type": "user", "id": "ALICE", "properties": {"id_type": "userName", "ip_address": "172.217.22.14", "device_id": "8:65:ee:17:7e:0b"}},
			"resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "check"}}`,
			want{decision: true, role: "editor", reason: "which may check"}},
		{"resource with a structured property", `{
			"subject": {"type": "user", "id": "{alice}"},
			"resource": {"type": "folder", "id": "{plans}", "properties": {"library_record": {"title": "AuthZEN in Action", "isbn": "978-0593383322"}}},
			"action": {"name": "edit"}}`,
			want{decision: true, role: "editor", reason: "allowed"}},
		{"action with properties", `{
			"subject": {"type": "user", "id": "{bob}"}, "resource": {"type": "workspace", "id": "{secret}"},
			"action": {"name": "edit", "properties": {"period": "2W"}}}`,
			want{decision: true, role: "editor", reason: "allowed"}},
		{"context with a JSON schema reference", `{
			"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{ops}"}, "action": {"name": "view"},
			"context": {"time": "1985-10-26T01:22-07:00", "schema": "https://schema.example.com/access-request.schema.json"}}`,
			want{decision: true, role: "checker", reason: "allowed"}},
		{"unknown keys are ignored", `{"subject": {"type": "user", "id": "{alice}", "x": 1}, "resource": {"type": "workspace", "id": "{ops}"},
			"action": {"name": "view"}, "future": {"a": [1, 2]}}`,
			want{decision: true, role: "checker", reason: "allowed"}},

		// Roles' abilities.
		{"a checker may check", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{ops}"}, "action": {"name": "check"}}`,
			want{decision: true, role: "checker", reason: "which may check"}},
		{"a checker may not edit", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{ops}"}, "action": {"name": "edit"}}`,
			want{decision: false, role: "checker", reason: "denied: the user's role here is checker; edit needs editor or above"}},
		{"a viewer may not check", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{notes}"}, "action": {"name": "check"}}`,
			want{decision: false, role: "viewer", reason: "check needs checker or above"}},
		{"no role at all", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{secret}"}, "action": {"name": "view"}}`,
			want{decision: false, role: "", reason: "denied: no grant to a group of the user and no membership gives access"}},
		{"invite-only folder", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "folder", "id": "{deals}"}, "action": {"name": "view"}}`,
			want{decision: false, role: "", reason: "the folder is invite only"}},
		{"organization owner", `{"subject": {"type": "user", "id": "{olga}"}, "resource": {"type": "workspace", "id": "{secret}"}, "action": {"name": "edit"}}`,
			want{decision: true, role: "owner", reason: "allowed: the user's role here is owner"}},

		// Users who may do nothing.
		{"deactivated user", `{"subject": {"type": "user", "id": "{carol}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{decision: false, role: "", reason: "denied: the user is deactivated"}},
		{"deactivated user by e-mail", `{"subject": {"type": "user", "id": "carol@example.com", "properties": {"id_type": "email"}}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{decision: false, role: "", reason: "denied: the user is deactivated"}},
		{"deleted user", `{"subject": {"type": "user", "id": "{dave}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 404, message: "user {dave} does not exist in this organization"}},
		{"deleted user by e-mail", `{"subject": {"type": "user", "id": "dave@example.com", "properties": {"id_type": "email"}}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 404, message: `no user of this organization has e-mail "dave@example.com"`}},

		// Another organization's ids are not found.
		{"another organization's user", `{"subject": {"type": "user", "id": "{zed}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 404, message: "user {zed} does not exist in this organization"}},
		{"another organization's user by e-mail", `{"subject": {"type": "user", "id": "zed@example.com", "properties": {"id_type": "email"}}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 404, message: "no user of this organization"}},
		{"another organization's workspace", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{globex}"}, "action": {"name": "view"}}`,
			want{status: 404, message: "workspace {globex} does not exist in this organization"}},
		{"a workspace id as a folder", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "folder", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 404, message: "folder {sales} does not exist"}},

		// Evaluations that cannot be made.
		{"the specification's can_read", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "can_read"}}`,
			want{status: 400, message: `action "can_read" is not one roster knows: its actions are "view", "check" and "edit"`}},
		{"join has a side effect", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "join"}}`,
			want{status: 400, message: "POST /api/v1/join"}},
		{"the specification's account resource", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "account", "id": "123"}, "action": {"name": "view"}}`,
			want{status: 400, message: `resource type "account" is not one roster knows`}},
		{"a subject that is no user", `{"subject": {"type": "group", "id": "{Sales}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 400, message: `subject type "group" is not one roster decides for`}},
		{"two users share the e-mail", `{"subject": {"type": "user", "id": "shared@example.com", "properties": {"id_type": "email"}}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 400, message: "roster never guesses between users"}},
		{"an id_type roster does not know", `{"subject": {"type": "user", "id": "alice", "properties": {"id_type": "login"}}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 400, message: `subject.properties.id_type must be "roster_id" (the default), "userName" or "email", not "login"`}},
		{"an id_type that is no string", `{"subject": {"type": "user", "id": "alice", "properties": {"id_type": 3}}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 400, message: "subject.properties.id_type must be a string"}},
		{"no such userName", `{"subject": {"type": "user", "id": "nobody", "properties": {"id_type": "userName"}}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "view"}}`,
			want{status: 404, message: `no user of this organization has userName "nobody"`}},
	}
	eachEngine(t, func(t *testing.T, f *fixture) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.want.message = f.body(c.want.message)
				var single decisionOut
				r := f.post(authzen.PathEvaluation, f.keyA, c.body)
				f.ok(r, &single)
				c.want.check(t, single)
				// The batch endpoint without evaluations answers the same.
				r2 := f.post(authzen.PathEvaluations, f.keyA, c.body)
				if r2.status != 200 || !bytes.Equal(r.body, r2.body) {
					t.Errorf("evaluations without an array = %d %s, want %s", r2.status, r2.body, r.body)
				}
			})
		}
	})
}

// TestDecisionReasons checks that a decision's context names the grant,
// membership or organization role behind the role, in words.
func TestDecisionReasons(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		type reason struct{ kind, role, text string }
		cases := []struct {
			name string
			body string
			want []reason
		}{
			{"group grant", `{"subject": {"type": "user", "id": "{bob}"}, "resource": {"type": "workspace", "id": "{sales}"}, "action": {"name": "edit"}}`,
				[]reason{{"grant", "editor", "group {Sales} of the user is granted editor on workspace {sales}"}}},
			{"grant inherited by a folder that follows its workspace", `{"subject": {"type": "user", "id": "{bob}"}, "resource": {"type": "folder", "id": "{plans}"}, "action": {"name": "view"}}`,
				[]reason{{"grant", "editor", "group {Sales} of the user is granted editor on workspace {sales}, and the folder follows its workspace"}}},
			{"invited membership", `{"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "workspace", "id": "{ops}"}, "action": {"name": "edit"}}`,
				[]reason{{"membership", "checker", "the user is a member of workspace {ops} as checker, invited"}}},
			{"organization role", `{"subject": {"type": "user", "id": "{olga}"}, "resource": {"type": "folder", "id": "{deals}"}, "action": {"name": "edit"}}`,
				[]reason{{"org_role", "owner", "the user is an organization owner, above every workspace and folder role"}}},
			{"denial has no reasons", `{"subject": {"type": "user", "id": "{bob}"}, "resource": {"type": "workspace", "id": "{notes}"}, "action": {"name": "view"}}`,
				nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var d decisionOut
				f.ok(f.post(authzen.PathEvaluation, f.keyA, c.body), &d)
				var got []reason
				for _, r := range d.Context.Reasons {
					got = append(got, reason{r.Kind, r.Role, r.Text})
				}
				var exp []reason
				for _, r := range c.want {
					exp = append(exp, reason{r.kind, r.role, f.body(r.text)})
				}
				if len(got) != len(exp) {
					t.Fatalf("reasons = %+v, want %+v", got, exp)
				}
				for i := range got {
					if got[i] != exp[i] {
						t.Errorf("reason %d = %+v, want %+v", i, got[i], exp[i])
					}
				}
			})
		}
	})
}

// TestEvaluations walks the specification's Access Evaluations examples:
// no defaults, defaults, a default overridden, the options object, the
// three semantics over a batch with a denial in the middle, and errors of
// single evaluations.
func TestEvaluations(t *testing.T) {
	allow := want{decision: true, reason: "allowed"}
	deny := want{decision: false, reason: "denied"}
	withRole := func(w want, role string) want { w.role = role; return w }
	cases := []struct {
		name    string
		body    string
		want    []want
		stopped string
	}{
		{"three requests, no defaults", `{"evaluations": [
			{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{sales}"}, "context": {"time": "2024-05-31T15:22-07:00"}},
			{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{notes}"}, "context": {"time": "2024-05-31T15:22-07:00"}},
			{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{ops}"}, "context": {"time": "2024-05-31T15:22-07:00"}}]}`,
			[]want{withRole(allow, "editor"), withRole(allow, "viewer"), withRole(allow, "checker")}, ""},
		{"default subject and context", `{
			"subject": {"type": "user", "id": "{alice}"}, "context": {"time": "2024-05-31T15:22-07:00"},
			"evaluations": [
				{"action": {"name": "view"}, "resource": {"type": "workspace", "id": "{sales}"}},
				{"action": {"name": "view"}, "resource": {"type": "workspace", "id": "{notes}"}},
				{"action": {"name": "view"}, "resource": {"type": "workspace", "id": "{ops}"}}]}`,
			[]want{withRole(allow, "editor"), withRole(allow, "viewer"), withRole(allow, "checker")}, ""},
		{"default action overridden by the third", `{
			"subject": {"type": "user", "id": "{alice}"}, "context": {"time": "2024-05-31T15:22-07:00"}, "action": {"name": "view"},
			"evaluations": [
				{"resource": {"type": "workspace", "id": "{sales}"}},
				{"resource": {"type": "workspace", "id": "{notes}"}},
				{"action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{notes}"}}]}`,
			[]want{withRole(allow, "editor"), withRole(allow, "viewer"), withRole(deny, "viewer")}, ""},
		{"options with another option", `{
			"action": {"name": "view"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{secret}"}, "subject": {"type": "user", "id": "{bob}"}}],
			"options": {"evaluations_semantic": "execute_all", "another_option": "value"}}`,
			[]want{withRole(allow, "editor")}, ""},
		{"default subject of another evaluation overridden", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "edit"},
			"evaluations": [
				{"resource": {"type": "workspace", "id": "{secret}"}},
				{"subject": {"type": "user", "id": "{bob}"}, "resource": {"type": "workspace", "id": "{secret}"}}]}`,
			[]want{withRole(deny, ""), withRole(allow, "editor")}, ""},

		// The three semantics over one batch: allowed, denied, allowed.
		{"execute_all", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"},
			"options": {"evaluations_semantic": "execute_all"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{secret}"}}, {"resource": {"type": "workspace", "id": "{notes}"}}]}`,
			[]want{withRole(allow, "editor"), withRole(deny, ""), withRole(allow, "viewer")}, ""},
		{"execute_all is the default", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{secret}"}}, {"resource": {"type": "workspace", "id": "{notes}"}}]}`,
			[]want{withRole(allow, "editor"), withRole(deny, ""), withRole(allow, "viewer")}, ""},
		{"deny_on_first_deny stops at the denial in the middle", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"},
			"options": {"evaluations_semantic": "deny_on_first_deny"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{secret}"}}, {"resource": {"type": "workspace", "id": "{notes}"}}]}`,
			[]want{withRole(allow, "editor"), withRole(deny, "")}, "deny_on_first_deny: the 1 evaluations after this one were not made"},
		{"deny_on_first_deny counts an error as a denial", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"},
			"options": {"evaluations_semantic": "deny_on_first_deny"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{globex}"}}, {"resource": {"type": "workspace", "id": "{notes}"}}]}`,
			[]want{withRole(allow, "editor"), {status: 404, message: "workspace {globex} does not exist"}}, "deny_on_first_deny"},
		{"deny_on_first_deny with no denial runs all", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"},
			"options": {"evaluations_semantic": "deny_on_first_deny"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{notes}"}}]}`,
			[]want{withRole(allow, "editor"), withRole(allow, "viewer")}, ""},
		{"permit_on_first_permit stops at the first permit", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"},
			"options": {"evaluations_semantic": "permit_on_first_permit"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{secret}"}}, {"resource": {"type": "workspace", "id": "{notes}"}}]}`,
			[]want{withRole(allow, "editor")}, "permit_on_first_permit: the 2 evaluations after this one were not made"},
		{"permit_on_first_permit past a denial in the middle", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "edit"},
			"options": {"evaluations_semantic": "permit_on_first_permit"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{notes}"}}, {"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{ops}"}}]}`,
			[]want{withRole(deny, "viewer"), withRole(allow, "editor")}, "permit_on_first_permit"},
		{"permit_on_first_permit with no permit runs all", `{
			"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "edit"},
			"options": {"evaluations_semantic": "permit_on_first_permit"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{notes}"}}, {"resource": {"type": "workspace", "id": "{secret}"}}]}`,
			[]want{withRole(deny, "viewer"), withRole(deny, "")}, ""},

		// The response example with errors in single evaluations.
		{"errors in single evaluations", `{
			"subject": {"type": "user", "id": "{alice}"},
			"evaluations": [
				{"action": {"name": "view"}, "resource": {"type": "workspace", "id": "{sales}"}},
				{"action": {"name": "view"}, "resource": {"type": "workspace", "id": "no-such-workspace"}},
				{"action": {"name": "edit"}, "resource": {"type": "workspace", "id": "{notes}"}},
				{"action": {"name": "can_read"}, "resource": {"type": "workspace", "id": "{notes}"}},
				{"subject": {"type": "user", "id": "{carol}"}, "action": {"name": "view"}, "resource": {"type": "workspace", "id": "{sales}"}}]}`,
			[]want{withRole(allow, "editor"), {status: 404, message: "workspace no-such-workspace does not exist in this organization"},
				{decision: false, role: "viewer", reason: "denied: the user's role here is viewer; edit needs editor or above"},
				{status: 400, message: `action "can_read"`}, {decision: false, reason: "deactivated"}}, ""},
		{"one subject by e-mail for a batch", `{
			"subject": {"type": "user", "id": "alice@example.com", "properties": {"id_type": "email"}}, "action": {"name": "view"},
			"evaluations": [{"resource": {"type": "workspace", "id": "{sales}"}}, {"resource": {"type": "workspace", "id": "{secret}"}},
				{"subject": {"type": "user", "id": "bob@example.com", "properties": {"id_type": "email"}}, "resource": {"type": "workspace", "id": "{secret}"}}]}`,
			[]want{withRole(allow, "editor"), withRole(deny, ""), withRole(allow, "editor")}, ""},
	}
	eachEngine(t, func(t *testing.T, f *fixture) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var out struct {
					Decision    *bool         `json:"decision"`
					Evaluations []decisionOut `json:"evaluations"`
				}
				f.ok(f.post(authzen.PathEvaluations, f.keyA, c.body), &out)
				if out.Decision != nil {
					t.Errorf("a top-level decision beside the evaluations array")
				}
				if len(out.Evaluations) != len(c.want) {
					t.Fatalf("%d decisions, want %d: %+v", len(out.Evaluations), len(c.want), out.Evaluations)
				}
				for i, w := range c.want {
					w.message = f.body(w.message)
					w.check(t, out.Evaluations[i])
					stopped := ""
					if ctx := out.Evaluations[i].Context; ctx != nil {
						stopped = ctx.Stopped
					}
					if last := i == len(c.want)-1; last && !strings.Contains(stopped, c.stopped) || c.stopped == "" && stopped != "" || !last && stopped != "" {
						t.Errorf("decision %d stopped = %q, want %q on the last only", i, stopped, c.stopped)
					}
				}
			})
		}
	})
}

// TestBindingExample sends the HTTPS binding's example request, on a
// folder that follows its workspace.
func TestBindingExample(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		r := f.post(authzen.PathEvaluation, f.keyA, `{
			"subject": {"type": "user", "id": "{alice}"}, "resource": {"type": "folder", "id": "{plans}"},
			"action": {"name": "view"}, "context": {"time": "1985-10-26T01:22-07:00"}}`)
		var d map[string]any
		f.ok(r, &d)
		if d["decision"] != true {
			t.Errorf("decision = %v", d)
		}
		b, _ := json.Marshal(d["context"])
		if !strings.Contains(string(b), `"inherited":true`) {
			t.Errorf("context %s does not say the folder inherits", b)
		}
	})
}

// TestRequestID checks the HTTPS binding's request identification behind
// roster's server: the X-Request-ID a PEP sends comes back on the answer.
func TestRequestID(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		srv := httptest.NewServer(server.New(&server.Server{}, f.h))
		t.Cleanup(srv.Close)
		req, _ := http.NewRequest("POST", srv.URL+authzen.PathEvaluation, strings.NewReader(f.body(okBody)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+f.keyA)
		req.Header.Set("X-Request-ID", "bfe9eb29-ab87-4ca3-be83-a1d5d8305716")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("X-Request-ID") != "bfe9eb29-ab87-4ca3-be83-a1d5d8305716" {
			t.Errorf("status %d, X-Request-ID %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
		}
	})
}

// TestLargestBatch sends the largest batch roster takes, alternating an
// allowed and a denied evaluation, and checks every decision and that the
// answer goes out whole with a Content-Length rather than chunked.
func TestLargestBatch(t *testing.T) {
	eachEngine(t, func(t *testing.T, f *fixture) {
		var b strings.Builder
		b.WriteString(`{"subject": {"type": "user", "id": "{alice}"}, "action": {"name": "view"}, "evaluations": [`)
		for i := 0; i < authzen.DefaultMaxEvaluations; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			ws := []string{"{sales}", "{secret}"}[i%2]
			b.WriteString(`{"resource": {"type": "workspace", "id": "` + ws + `"}}`)
		}
		b.WriteString("]}")
		var out struct{ Evaluations []decisionOut }
		f.ok(f.post(authzen.PathEvaluations, f.keyA, b.String()), &out)
		if len(out.Evaluations) != authzen.DefaultMaxEvaluations {
			t.Fatalf("%d decisions", len(out.Evaluations))
		}
		for i, d := range out.Evaluations {
			if d.Decision == nil || *d.Decision != (i%2 == 0) {
				t.Fatalf("decision %d = %+v", i, d)
			}
		}
	})
}
