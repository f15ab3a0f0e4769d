package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// TestMain lets a test run this test binary as the roster command
// (ROSTER_TEST_RUN_MAIN=1), so a real process can be killed.
func TestMain(m *testing.M) {
	if os.Getenv("ROSTER_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestKill9LosesNothing kills "roster serve" with SIGKILL while a delivery
// is in flight, starts it again, and expects every event to arrive: in
// order, at worst the unrecorded ones twice.
func TestKill9LosesNothing(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "r.db")
	env := map[string]string{"ROSTER_DATABASE": "sqlite:" + dbPath, "ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
	var mu sync.Mutex
	var seqs []int64
	hung := make(chan struct{})
	hold := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(hold) }) })
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Data struct {
				Seq int64 `json:"seq"`
			} `json:"data"`
		}
		json.NewDecoder(r.Body).Decode(&p)
		mu.Lock()
		seqs = append(seqs, p.Data.Seq)
		n := len(seqs)
		mu.Unlock()
		if n == 4 {
			close(hung)
			<-hold // never answered: the process dies first
		}
	}))
	defer rc.Close()
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	mustRoster(t, env, "webhook", "create", "--org", org, "--url", rc.URL)
	for i := 0; i < 8; i++ {
		mustRoster(t, env, "token", "create", "--org", org, "--name", "t"+strconv.Itoa(i))
	}
	const last = 10 // org.created, webhook.created, 8 × token.created
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "ROSTER_TEST_RUN_MAIN=1")
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	first := start()
	select {
	case <-hung:
	case <-time.After(10 * time.Second):
		first.Process.Kill()
		t.Fatal("no delivery reached the receiver")
	}
	if err := first.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	first.Wait()
	once.Do(func() { close(hold) }) // the dead process's connection is gone
	second := start()
	defer func() {
		second.Process.Signal(syscall.SIGTERM)
		second.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		done := len(seqs) > 0 && seqs[len(seqs)-1] == last
		got := append([]int64(nil), seqs...)
		mu.Unlock()
		if done {
			// Before the kill: 2, 3, 4, 5 (5 unanswered). After: from
			// the recorded cursor, in order, to the end.
			if !slices.Equal(got[:4], []int64{2, 3, 4, 5}) {
				t.Fatalf("before the kill got %v", got[:4])
			}
			t.Logf("receiver got %v", got)
			rest := got[4:]
			if rest[0] > 5 || !slices.Equal(rest, seqRange(rest[0], last)) {
				t.Fatalf("after the restart got %v, want every event from one not after 5, in order", rest)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart got %v, want through %d", got, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func seqRange(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// TestServeDerivesAccessChanged: "roster serve" runs the access.changed
// deriver: a user put in a group over SCIM reaches an endpoint that asked
// for access.changed only, naming the user and the group change.
func TestServeDerivesAccessChanged(t *testing.T) {
	type delivery struct {
		Type string `json:"type"`
		Data struct {
			Data struct {
				UserID    string `json:"user_id"`
				CauseType string `json:"cause_type"`
			} `json:"data"`
		} `json:"data"`
	}
	got := make(chan delivery, 16)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var d delivery
		json.NewDecoder(r.Body).Decode(&d)
		got <- d
	}))
	defer rc.Close()
	env := map[string]string{"ROSTER_DATABASE": "sqlite:" + filepath.Join(t.TempDir(), "r.db"), "ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	tok := mustRoster(t, env, "token", "create", "--org", org, "--name", "okta").lastLine()
	mustRoster(t, env, "webhook", "create", "--org", org, "--url", rc.URL, "--events", "access.changed")

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
	scimPost := func(path, body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/scim/v2/"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/scim+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("SCIM POST %s = %v, %v", path, resp, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	user := scimPost("Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}`)
	uid, _ := user["id"].(string)
	scimPost("Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[{"value":"`+uid+`"}]}`)
	select {
	case d := <-got:
		if d.Type != "access.changed" || d.Data.Data.UserID != uid || d.Data.Data.CauseType != "group.members_added" {
			t.Fatalf("delivery %+v, want access.changed of %s caused by group.members_added", d, uid)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no access.changed was delivered")
	}
}

// TestWebhookCLISCIMEvents: --format and --audience are kept and shown,
// an unknown format is refused, and rotate-signing-key prints a new key id
// each time.
func TestWebhookCLISCIMEvents(t *testing.T) {
	dbs := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "r.db") },
		"postgres": func(t *testing.T) string { return pgtest.URL(t) },
	}
	for name, mk := range dbs {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"ROSTER_DATABASE": mk(t), "ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
			org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
			if _, err := roster(t, env, "webhook", "create", "--org", org, "--url", "http://127.0.0.1:9/", "--format", "cloudevents"); err == nil || !strings.Contains(err.Error(), "use standard-webhooks or scim-events") {
				t.Fatalf("unknown format: %v", err)
			}
			r := mustRoster(t, env, "webhook", "create", "--org", org, "--url", "http://127.0.0.1:9/", "--format", "scim-events", "--audience", "https://app.example/aud")
			if !strings.Contains(r.stdout, "format:      scim-events\n") || !strings.Contains(r.stdout, "audience:    https://app.example/aud\n") {
				t.Fatalf("create printed:\n%s", r.stdout)
			}
			id := strings.TrimSpace(strings.TrimPrefix(strings.Split(r.stdout, "\n")[0], "id:"))
			r = mustRoster(t, env, "webhook", "update", "--org", org, "--id", id, "--format", "standard-webhooks")
			if !strings.Contains(r.stdout, "format:      standard-webhooks\n") || strings.Contains(r.stdout, "audience:") {
				t.Fatalf("update printed:\n%s", r.stdout)
			}
			kid := regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
			first := mustRoster(t, env, "webhook", "rotate-signing-key").lastLine()
			second := mustRoster(t, env, "webhook", "rotate-signing-key", "--grace", "1h").lastLine()
			if !kid.MatchString(first) || !kid.MatchString(second) || first == second {
				t.Fatalf("rotate-signing-key printed %q then %q, want two different key ids", first, second)
			}
		})
	}
}
