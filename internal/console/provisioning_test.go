package console_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/store"
)

// scimSend makes one SCIM request with the token and returns its status.
func scimSend(t testing.TB, e *env, tok, method, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// oktaTraffic sends what Okta sends to create a user with a password, the
// duplicate it sends on a retry, a group push and a lookup, and waits for
// the provisioning log to hold all four.
func oktaTraffic(t testing.TB, e *env, tok string) {
	t.Helper()
	user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"isabella@acme.example",
		"name":{"givenName":"Isabella","familyName":"Diaz"},"emails":[{"primary":true,"value":"isabella@acme.example","type":"work"}],
		"displayName":"Isabella Diaz","active":true,"password":"S3cret-Pa55!"}`
	before := e.log.Written()
	for _, r := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/scim/v2/Users", user, 201},
		{"POST", "/scim/v2/Users", user, 409},
		{"POST", "/scim/v2/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[]}`, 201},
		{"GET", `/scim/v2/Users?filter=userName%20eq%20%22isabella%40acme.example%22&startIndex=1&count=100`, "", 200},
	} {
		if got := scimSend(t, e, tok, r.method, r.path, r.body); got != r.want {
			t.Fatalf("%s %s = %d, want %d", r.method, r.path, got, r.want)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); e.log.Written() < before+4 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// TestProvisioningLogPage reads the log as the IT admin would after Okta
// reports an error: the failed request is there with roster's answer and
// what to change, the filter finds it alone, the password sent is not on
// any page, and another organization's session cannot open it.
func TestProvisioningLogPage(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			e := newEnv(t, eng.open(t))
			acme, globex := e.org("Acme"), e.org("Globex")
			tok, _, err := e.tokens.Create(context.Background(), store.Actor{Kind: "cli"}, acme.ID, store.TokenSCIM, "Okta")
			if err != nil {
				t.Fatal(err)
			}
			oktaTraffic(t, e, tok)
			b := newBrowser(t)
			b.enter(e.link(acme.ID))
			base := e.srv.URL + console.Prefix
			all := b.get(base + "/provisioning")
			if all.code != 200 {
				t.Fatalf("provisioning log: %d %s", all.code, all.body)
			}
			for _, want := range []string{"POST /scim/v2/Users", "POST /scim/v2/Groups", "GET /scim/v2/Users?filter=", "409", "uniqueness", "isabella@acme.example", "Okta", "kept for 30 days"} {
				if !strings.Contains(all.body, want) {
					t.Errorf("the log page lacks %q", want)
				}
			}
			failed := b.get(base + "/provisioning?outcome=failed")
			if strings.Count(failed.body, `<tr class="failed">`) != 1 || strings.Contains(failed.body, "/scim/v2/Groups") {
				t.Errorf("failed only shows:\n%s", failed.body)
			}
			groups := b.get(base + "/provisioning?resource=Groups")
			if !strings.Contains(groups.body, "/scim/v2/Groups") || strings.Contains(groups.body, "409") {
				t.Errorf("resource=Groups shows:\n%s", groups.body)
			}
			rows, err := e.store.ListRequests(context.Background(), acme.ID, store.RequestFilter{Failed: true}, 0, 10)
			if err != nil || len(rows) != 1 {
				t.Fatalf("failed rows = %v, %v", rows, err)
			}
			detail := b.get(base + "/provisioning/" + itoa(rows[0].ID))
			for _, want := range []string{"roster answered 409", "What to change", "Matching precedence", `&#34;password&#34;:&#34;[redacted]&#34;`} {
				if !strings.Contains(detail.body, want) {
					t.Errorf("the failed request's page lacks %q:\n%s", want, detail.body)
				}
			}
			for _, p := range []page{all, failed, detail} {
				if strings.Contains(p.body, "S3cret") {
					t.Error("the password reached a console page")
				}
			}
			other := newBrowser(t)
			other.enter(e.link(globex.ID))
			if p := other.get(base + "/provisioning/" + itoa(rows[0].ID)); p.code != 404 {
				t.Errorf("Globex opening Acme's request: %d", p.code)
			}
			if p := other.get(base + "/provisioning"); strings.Contains(p.body, "isabella") {
				t.Error("Globex's log shows Acme's requests")
			}
			if p := b.get(base + "/provisioning/abc"); p.code != 404 {
				t.Errorf("a malformed id: %d", p.code)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
