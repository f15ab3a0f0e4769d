package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

// TestWebhookCLI drives the webhook commands as a script would: the secret
// alone on the last line of create, never in list; private targets only
// when the operator allows them; redeliver reaches the receiver and the
// delivery log shows it.
func TestWebhookCLI(t *testing.T) {
	dbs := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "r.db") },
		"postgres": func(t *testing.T) string { return pgtest.URL(t) },
	}
	for name, mk := range dbs {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				got = append(got, r.Header.Get("webhook-id")+" "+string(b))
				mu.Unlock()
			}))
			defer rc.Close()
			env := map[string]string{"ROSTER_DATABASE": mk(t)}
			org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
			if _, err := roster(t, env, "webhook", "create", "--org", org, "--url", rc.URL); err == nil || !strings.Contains(err.Error(), "https only") {
				t.Fatalf("create to http://127.0.0.1 without the flag: %v, want refused", err)
			}
			env["ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
			r := mustRoster(t, env, "webhook", "create", "--org", org, "--url", rc.URL, "--events", "user.*, org.*", "--description", "app")
			secret := r.lastLine()
			if !strings.HasPrefix(secret, "whsec_") || strings.Count(r.stdout, "whsec_") != 1 {
				t.Fatalf("create printed %q, want the secret alone on the last line", r.stdout)
			}
			var id string
			for _, l := range strings.Split(r.stdout, "\n") {
				if v, ok := strings.CutPrefix(l, "id:"); ok {
					id = strings.TrimSpace(v)
				}
			}
			list := mustRoster(t, env, "webhook", "list", "--org", org).stdout
			if !strings.Contains(list, id) || !strings.Contains(list, "user.*,org.*") || strings.Contains(list, "whsec_") {
				t.Fatalf("list = %q, want the endpoint and no secret", list)
			}
			if out := mustRoster(t, env, "webhook", "disable", "--org", org, "--id", id, "--reason", "maintenance").stdout; !strings.Contains(out, "disabled: maintenance") {
				t.Fatalf("disable printed %q", out)
			}
			mustRoster(t, env, "webhook", "enable", "--org", org, "--id", id)
			mustRoster(t, env, "webhook", "update", "--org", org, "--id", id, "--events", "")
			rot := mustRoster(t, env, "webhook", "rotate-secret", "--org", org, "--id", id, "--grace", "1h").lastLine()
			if !strings.HasPrefix(rot, "whsec_") || rot == secret {
				t.Fatalf("rotate-secret printed %q", rot)
			}
			out := mustRoster(t, env, "webhook", "redeliver", "--org", org, "--id", id, "--seq", "1").stdout
			if !strings.Contains(out, "delivered event 1 (org.created): 200") {
				t.Fatalf("redeliver printed %q", out)
			}
			mu.Lock()
			if len(got) != 1 || !strings.HasPrefix(got[0], "evt_"+org+"_1 ") {
				t.Fatalf("receiver got %q", got)
			}
			mu.Unlock()
			if out := mustRoster(t, env, "webhook", "deliveries", "--org", org, "--id", id).stdout; !strings.Contains(out, "redelivery") || !strings.Contains(out, "org.created") {
				t.Fatalf("deliveries = %q", out)
			}
			if _, err := roster(t, env, "webhook", "redeliver", "--org", org, "--id", id, "--seq", "999"); err == nil {
				t.Fatal("redeliver of a missing event succeeded")
			}
			mustRoster(t, env, "webhook", "delete", "--org", org, "--id", id)
			if out := mustRoster(t, env, "webhook", "list", "--org", org).stdout; strings.Contains(out, id) {
				t.Fatalf("deleted endpoint still listed: %q", out)
			}
		})
	}
}

// TestServeDeliversWebhooks: "roster serve" runs the dispatcher: a user
// provisioned over SCIM reaches an endpoint made with the CLI, after the
// endpoint's own webhook.created.
func TestServeDeliversWebhooks(t *testing.T) {
	got := make(chan string, 16)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Type string `json:"type"`
		}
		json.NewDecoder(r.Body).Decode(&p)
		got <- p.Type + " " + r.Header.Get("webhook-id")
	}))
	defer rc.Close()
	env := map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	tok := mustRoster(t, env, "token", "create", "--org", org, "--name", "okta").lastLine()
	mustRoster(t, env, "webhook", "create", "--org", org, "--url", rc.URL)

	var out, errb syncBuffer
	e := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	re := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	var addr string
	for i := 0; i < 200 && addr == ""; i++ {
		time.Sleep(20 * time.Millisecond)
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve did not start: %s", errb.String())
	}
	want := []string{"webhook.created evt_" + org + "_3"}
	if first := <-got; first != want[0] {
		t.Fatalf("first delivery %q, want %q", first, want[0])
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/scim/v2/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("SCIM create = %v, %v", resp, err)
	}
	select {
	case d := <-got:
		if d != "user.created evt_"+org+"_4" {
			t.Fatalf("delivery %q, want user.created with seq 4", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the SCIM change was not delivered")
	}
	if !strings.Contains(errb.String(), "webhooks may reach private") {
		t.Errorf("serve did not warn about private targets:\n%s", errb.String())
	}
}
