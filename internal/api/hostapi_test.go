package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

// apiErr is the API's error JSON.
type apiErr struct {
	Error struct{ Code, Message string }
}

// walkFeed follows the event feed from the start, limit events a page,
// and returns the seqs it read.
func (f *fixture) walkFeed(key string, limit int) []int64 {
	f.t.Helper()
	var seqs []int64
	after := "0"
	for pages := 0; ; pages++ {
		if pages > 1000 {
			f.t.Fatal("the feed does not end")
		}
		var page struct {
			Items []store.Event
			Next  string
		}
		f.do("GET", "/api/v1/events?limit="+strconv.Itoa(limit)+"&after="+after, key, "", 200, &page)
		if len(page.Items) == 0 {
			if page.Next != after {
				f.t.Fatalf("an empty page's next = %q, want the after given, %q", page.Next, after)
			}
			return seqs
		}
		for _, e := range page.Items {
			seqs = append(seqs, e.Seq)
		}
		after = page.Next
	}
}

// TestEventFeedWalksEveryPage follows the feed across every number of
// digits the old code refused (1, 5, 9, …: after=0, after=5, after=12345
// base64-decoded badly) at two page sizes, and expects every event once,
// in order.
func TestEventFeedWalksEveryPage(t *testing.T) {
	f := setup(t)
	for i := 0; i < 25; i++ {
		f.do("POST", "/api/v1/workspaces", f.keyA, fmt.Sprintf(`{"name":"ws %d"}`, i), 201, nil)
	}
	var all struct{ Items []store.Event }
	f.do("GET", "/api/v1/events?limit=1000", f.keyA, "", 200, &all)
	if len(all.Items) < 25 {
		t.Fatalf("%d events, want at least 25", len(all.Items))
	}
	for _, limit := range []int{3, 4} {
		seqs := f.walkFeed(f.keyA, limit)
		if len(seqs) != len(all.Items) {
			t.Fatalf("limit %d: walked %d events, want %d", limit, len(seqs), len(all.Items))
		}
		for i, s := range seqs {
			if s != int64(i+1) {
				t.Fatalf("limit %d: event %d has seq %d, want %d", limit, i, s, i+1)
			}
		}
	}
	for _, after := range []string{"12345", "-1", "x", "1.5"} {
		var e apiErr
		want := 400
		if after == "12345" {
			want = 200 // past the end: an empty page, resuming there
		}
		f.do("GET", "/api/v1/events?after="+after, f.keyA, "", want, &e)
		if want == 400 && (e.Error.Code != "invalid_request" || !strings.Contains(e.Error.Message, "seq of the last event")) {
			t.Errorf("after=%s: %+v", after, e)
		}
	}
}

// TestRefusals pins the host API's answers to requests it cannot serve:
// cursors it did not hand out, bodies that are not objects, unknown routes
// and methods.
func TestRefusals(t *testing.T) {
	f := setup(t)
	var ws struct{ ID string }
	f.do("POST", "/api/v1/workspaces", f.keyA, `{"name":"Sales"}`, 201, &ws)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, message, allow     string
	}{
		{"garbage cursor", "GET", "/api/v1/workspaces?after=garbage", "", 400, "invalid_request", "not a cursor this API returned", ""},
		{"garbage cursor on groups", "GET", "/api/v1/groups?after=garbage", "", 400, "invalid_request", "not a cursor", ""},
		{"garbage cursor on users", "GET", "/api/v1/users?after=Z2FyYmFnZQ", "", 400, "invalid_request", "not a cursor", ""},
		{"garbage cursor on access", "GET", "/api/v1/users/ANN/access?after=garbage", "", 400, "invalid_request", "not a cursor", ""},
		{"array body", "POST", "/api/v1/workspaces", `[]`, 400, "invalid_request", "the request body must be a JSON object", ""},
		{"string body", "POST", "/api/v1/check", `"x"`, 400, "invalid_request", "the request body must be a JSON object", ""},
		{"number body", "PUT", "/api/v1/workspaces/WS/grants/SALES", `3`, 400, "invalid_request", "the request body must be a JSON object", ""},
		{"unknown route", "GET", "/api/v1/nope", "", 404, "not_found", "no such endpoint: GET /api/v1/nope", ""},
		{"unknown route, no key", "POST", "/api/v2/workspaces", "", 404, "not_found", "openapi.json", ""},
		{"wrong method", "DELETE", "/api/v1/org", "", 405, "method_not_allowed", "takes GET", "GET, HEAD"},
		{"wrong method with an id", "POST", "/api/v1/workspaces/WS", "", 405, "method_not_allowed", "DELETE", "GET, HEAD, PATCH, DELETE"},
		{"bad active", "GET", "/api/v1/users?active=yes", "", 400, "invalid_request", "active must be true or false", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			r := strings.NewReplacer("WS", ws.ID, "SALES", f.sales, "ANN", f.ann)
			req, _ := http.NewRequest(tc.method, f.srv.URL+r.Replace(tc.path), strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+f.keyA)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e apiErr
			if err := decodeJSON(resp, &e); err != nil {
				t.Fatalf("%s %s: the answer is not the API's error JSON: %v", tc.method, tc.path, err)
			}
			if resp.StatusCode != tc.status || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, tc.message) {
				t.Errorf("%s %s = %d %+v, want %d %s with a message containing %q", tc.method, tc.path, resp.StatusCode, e, tc.status, tc.code, tc.message)
			}
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
	// SCIM paths keep SCIM's own errors.
	var scimErr struct {
		Schemas []string
		Status  string
	}
	f.t = t
	f.do("GET", "/scim/v2/Nope", "", "", 404, &scimErr)
	if len(scimErr.Schemas) != 1 || scimErr.Status != "404" {
		t.Errorf("an unknown SCIM path = %+v, want SCIM's error JSON", scimErr)
	}
}

// TestCheckSaysWhyARoleFallsShort: a checker asking for editor learns what
// they are, through what, and what was needed, with names.
func TestCheckSaysWhyARoleFallsShort(t *testing.T) {
	f := setup(t)
	var ws struct{ ID string }
	f.do("POST", "/api/v1/workspaces", f.keyA, `{"name":"Pipeline"}`, 201, &ws)
	f.do("PUT", "/api/v1/workspaces/"+ws.ID+"/grants/"+f.sales, f.keyA, `{"role":"checker"}`, 201, nil)
	var d access.Decision
	f.do("POST", "/api/v1/check", f.keyA, `{"user_id":"`+f.ann+`","resource_type":"workspace","resource_id":"`+ws.ID+`","role":"editor"}`, 200, &d)
	want := `user "ann@acme.test" is a checker of workspace "Pipeline" through group "Sales"; editor is needed`
	if d.Allowed || d.Role != "checker" || d.Denial != want {
		t.Errorf("check = %+v; want not allowed, checker, denial %q", d, want)
	}
	if d.UserName != "ann@acme.test" || len(d.Reasons) != 1 || d.Reasons[0].GroupName != "Sales" {
		t.Errorf("check names = %q, %+v; want ann and group Sales", d.UserName, d.Reasons)
	}
	d = access.Decision{}
	f.do("POST", "/api/v1/check", f.keyA, `{"user_id":"`+f.ann+`","resource_type":"workspace","resource_id":"`+ws.ID+`","role":"checker"}`, 200, &d)
	if !d.Allowed || d.Denial != "" {
		t.Errorf("check for the role the user has = %+v; want allowed, no denial", d)
	}
}

// TestRevokedKeyFailsOnTheNextRequest: revoking through the token service
// this instance uses takes effect at once, though it caches records.
func TestRevokedKeyFailsOnTheNextRequest(t *testing.T) {
	f := setup(t)
	f.tokens.CacheTTL = time.Minute
	f.do("GET", "/api/v1/org", f.keyA, "", 200, nil)
	p, _ := token.Parse(store.TokenAPI, f.keyA)
	if _, err := f.tokens.Revoke(context.Background(), scim, f.orgA, p.ID); err != nil {
		t.Fatal(err)
	}
	var e apiErr
	f.do("GET", "/api/v1/org", f.keyA, "", 401, &e)
	if e.Error.Code != "unauthorized" {
		t.Errorf("revoked key: %+v", e)
	}
}

func decodeJSON(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

// TestClientGoneIsNotAnInternalError: a request whose client hung up
// answers 499 and logs no error, though its query failed.
func TestClientGoneIsNotAnInternalError(t *testing.T) {
	f := setup(t)
	var logs bytes.Buffer
	f.h.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	f.h.Mount(mux)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequestWithContext(ctx, "GET", "/api/v1/workspaces", nil)
	req.Header.Set("Authorization", "Bearer "+f.keyA)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != api.StatusClientClosedRequest || strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), "client went away") {
		t.Errorf("a hung-up request = %d %s; log:\n%s", rec.Code, rec.Body, logs.String())
	}
}
