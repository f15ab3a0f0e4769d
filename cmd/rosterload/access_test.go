package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The access and authzen scenarios send what they say: requests shaped
// as the endpoint expects, about the seed's users and resources, with the
// seed's API key, spread over many distinct bodies; and every answer is
// counted by status.
func TestAccessScenariosSendWellFormedRequests(t *testing.T) {
	sf := seedFile{OrgID: "org", APIKey: "roster_api_test"}
	for i := range 50 {
		sf.Users = append(sf.Users, fmt.Sprintf("u%d", i))
		sf.Workspaces = append(sf.Workspaces, fmt.Sprintf("w%d", i))
		sf.Folders = append(sf.Folders, fmt.Sprintf("f%d", i))
	}
	b, _ := json.Marshal(sf)
	seed := filepath.Join(t.TempDir(), "seed.json")
	if err := os.WriteFile(seed, b, 0o600); err != nil {
		t.Fatal(err)
	}
	type resource struct{ Type, ID string }
	for _, tc := range []struct {
		name, scenario, path string
		args                 []string
		// check validates a body, returning the evaluations it asks for.
		check func(body []byte) (int, error)
	}{
		{"check", "access", "/api/v1/check", nil, func(body []byte) (int, error) {
			var req struct {
				UserID       string `json:"user_id"`
				ResourceType string `json:"resource_type"`
				ResourceID   string `json:"resource_id"`
				Role         string `json:"role"`
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil || !slices.Contains(sf.Users, req.UserID) || req.Role != "viewer" ||
				!(req.ResourceType == "workspace" && slices.Contains(sf.Workspaces, req.ResourceID) ||
					req.ResourceType == "folder" && slices.Contains(sf.Folders, req.ResourceID)) {
				return 0, errBody
			}
			return 1, nil
		}},
		{"authzen batch", "authzen", "/access/v1/evaluations", []string{"-batch", "100"}, func(body []byte) (int, error) {
			var req struct {
				Subject     resource
				Action      struct{ Name string }
				Evaluations []struct{ Resource resource }
			}
			if err := json.Unmarshal(body, &req); err != nil || req.Subject.Type != "user" ||
				!slices.Contains(sf.Users, req.Subject.ID) || req.Action.Name != "view" {
				return 0, errBody
			}
			for _, e := range req.Evaluations {
				r := e.Resource
				if !(r.Type == "workspace" && slices.Contains(sf.Workspaces, r.ID) || r.Type == "folder" && slices.Contains(sf.Folders, r.ID)) {
					return 0, errBody
				}
			}
			return len(req.Evaluations), nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			bodies := map[string]bool{}
			var problems []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body bytes.Buffer
				body.ReadFrom(r.Body)
				n, err := tc.check(body.Bytes())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case r.Method != "POST" || r.URL.Path != tc.path:
					problems = append(problems, r.Method+" "+r.URL.Path)
				case r.Header.Get("Authorization") != "Bearer "+sf.APIKey || r.Header.Get("Content-Type") != "application/json":
					problems = append(problems, "headers "+r.Header.Get("Authorization")+" "+r.Header.Get("Content-Type"))
				case err != nil || tc.scenario == "authzen" && n != 100:
					problems = append(problems, body.String())
				}
				bodies[body.String()] = true
				if len(bodies)%7 == 0 {
					w.WriteHeader(http.StatusTooManyRequests)
				}
			}))
			defer srv.Close()
			var out strings.Builder
			o := &options{out: &out}
			run := runAccess
			if tc.scenario == "authzen" {
				run = runAuthZEN
			}
			args := append([]string{"-url", srv.URL, "-seed", seed, "-requests", "500", "-concurrency", "4"}, tc.args...)
			if err := run(context.Background(), o, args); err != nil {
				t.Fatal(err)
			}
			if len(problems) > 0 {
				t.Fatalf("%d malformed requests, the first: %s", len(problems), problems[0])
			}
			if len(bodies) < 400 {
				t.Errorf("%d distinct bodies in 500 requests; the run should spread over the seed's 5,000 questions", len(bodies))
			}
			if !strings.Contains(out.String(), "requests      500 in") || !strings.Contains(out.String(), "status        200:") ||
				!strings.Contains(out.String(), "status        429:") {
				t.Errorf("report does not count the 500 requests by status:\n%s", out.String())
			}
		})
	}
}

var errBody = errors.New("not a request of the scenario")
