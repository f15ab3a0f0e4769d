package scim_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// provisioningLog waits for the recorder to have written n requests and
// returns the organization's log, newest first.
func (e *env) provisioningLog(t *testing.T, n int64) []store.Request {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.log.Written() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	rs, err := e.store.ListRequests(context.Background(), e.org, store.RequestFilter{}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestProvisioningLog sends what Okta sends when it creates a user with a
// password, the duplicate Entra then sends, a lookup, and a request with a
// bad token, and reads the log as an admin would: the password is not in
// it, the refusal says why, a lookup keeps no response body, and a token
// that names no organization logs nothing.
func TestProvisioningLog(t *testing.T) {
	engines(t, func(t *testing.T, e *env) {
		okta := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isabella@example.com",
			"name":{"givenName":"Isabella","familyName":"Diaz"},"emails":[{"primary":true,"value":"isabella@example.com","type":"work"}],
			"displayName":"Isabella Diaz","active":true,"password":"S3cret-Pa55!"}`
		e.do("POST", "/scim/v2/Users", okta).must(t, http.StatusCreated)
		e.do("POST", "/scim/v2/Users", okta).isError(t, http.StatusConflict, "uniqueness")
		e.do("GET", `/scim/v2/Users?filter=userName+eq+"isabella@example.com"`, nil).must(t, http.StatusOK)
		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"N3w-Secret"}]}`
		e.do("PATCH", "/scim/v2/Users/nope", patch).isError(t, http.StatusNotFound, "")
		e.do("GET", "/scim/v2/Users", nil, hdr{"Authorization": "Bearer roster_scim_bogus"})

		rs := e.provisioningLog(t, 4)
		if len(rs) != 4 {
			t.Fatalf("the log has %d requests, want 4: %+v", len(rs), rs)
		}
		patched, lookup, dup, created := rs[0], rs[1], rs[2], rs[3]
		for _, r := range rs {
			if strings.Contains(r.Request, "S3cret") || strings.Contains(r.Request, "N3w-Secret") || strings.Contains(r.Response, "S3cret") {
				t.Errorf("a secret reached the log: %+v", r)
			}
			if r.TokenName != "okta" || r.Resource != "Users" || r.Latency <= 0 || r.Client == "" {
				t.Errorf("request %s %s logged as %+v", r.Method, r.Path, r)
			}
		}
		if created.Method != "POST" || created.Status != 201 || !strings.Contains(created.Request, `"userName":"isabella@example.com"`) ||
			!strings.Contains(created.Request, `"password":"[redacted]"`) || !strings.Contains(created.Response, `"id"`) {
			t.Errorf("the create = %+v", created)
		}
		if dup.Status != 409 || dup.SCIMType != "uniqueness" || !strings.Contains(dup.Detail, "isabella@example.com") {
			t.Errorf("the duplicate = %+v", dup)
		}
		if lookup.Method != "GET" || lookup.Status != 200 || lookup.Response != "" || !strings.Contains(lookup.Path, "filter=") {
			t.Errorf("the lookup = %+v (a read's response is not kept)", lookup)
		}
		if patched.Status != 404 || !strings.Contains(patched.Request, `"value":"[redacted]"`) || patched.Detail == "" {
			t.Errorf("the PATCH of a password = %+v", patched)
		}
	})
}
