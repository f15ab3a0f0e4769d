package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
	"github.com/rosterhq/roster/internal/store/sqlstore"
)

// serving runs roster serve with env until stop is called, and returns
// its URL.
func serving(t *testing.T, env map[string]string) (base string, stop func()) {
	t.Helper()
	// The tests write as fast as they can, far past the default limit of
	// one SCIM token; TestServeLimits tests the limits.
	return servingWith(t, env, "--scim-rate-limit", "0", "--api-rate-limit", "0")
}

// servingWith is serving with more flags for roster serve.
func servingWith(t *testing.T, env map[string]string, flags ...string) (base string, stop func()) {
	t.Helper()
	var out, errb syncBuffer
	e := &environment{stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, e, append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...)) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	re := regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)
	for i := 0; i < 500; i++ {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			return "http://" + m[1], stop
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve did not start: %s", errb.String())
	return "", stop
}

// scimCall sends one SCIM request with a bearer token.
func scimCall(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func oktaUser(name string) string {
	return `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"` + name + `","name":{"givenName":"Test","familyName":"User"},` +
		`"emails":[{"primary":true,"value":"` + name + `","type":"work"}],"displayName":"Test User","locale":"en-US","externalId":"00u` +
		strconv.Itoa(len(name)) + `","groups":[],"password":"1mz050nq","active":true}`
}

// TestBackupWhileWritingRestores backs up the database while SCIM creates
// users, restores the copy, and expects a consistent database: every user
// with its event, the event numbers without a gap. A backup taken once the
// writes stop restores to exactly the same data.
func TestBackupWhileWritingRestores(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	env := map[string]string{"ROSTER_DATABASE": "sqlite:" + src}
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	tok := mustRoster(t, env, "token", "create", "--org", org, "--name", "okta").lastLine()
	base, stop := serving(t, env)

	var created atomic.Int64
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-quit:
					return
				default:
				}
				code, body := scimCall(t, "POST", base+"/scim/v2/Users", tok, oktaUser(fmt.Sprintf("w%d-%d@example.com", w, i)))
				if code != http.StatusCreated {
					t.Errorf("create = %d %s", code, body)
					return
				}
				created.Add(1)
			}
		}()
	}
	for created.Load() < 100 {
		time.Sleep(5 * time.Millisecond)
	}
	during := filepath.Join(dir, "during.bak")
	out := mustRoster(t, env, "backup", "--out", during)
	if !strings.Contains(out.stdout, "backed up") {
		t.Errorf("backup said %q", out.stdout)
	}
	for n := created.Load(); created.Load() < n+50; {
		time.Sleep(5 * time.Millisecond)
	}
	close(quit)
	wg.Wait()

	restored := filepath.Join(dir, "restored", "roster.db")
	mustRoster(t, nil, "restore", "--from", during, "--database", "sqlite:"+restored)
	db, err := sql.Open("sqlite", "file:"+restored+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var users, userEvents, events, maxSeq, orgSeq int64
	for q, dst := range map[string]*int64{
		`SELECT COUNT(*) FROM users`:                              &users,
		`SELECT COUNT(*) FROM events WHERE type = 'user.created'`: &userEvents,
		`SELECT COUNT(*) FROM events`:                             &events,
		`SELECT COALESCE(MAX(seq), 0) FROM events`:                &maxSeq,
		`SELECT event_seq FROM orgs`:                              &orgSeq,
	} {
		if err := db.QueryRow(q).Scan(dst); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if users < 100 || users >= created.Load() {
		t.Errorf("the backup holds %d users; %d were created before it began and %d in all", users, 100, created.Load())
	}
	if users != userEvents || events != maxSeq || maxSeq != orgSeq {
		t.Errorf("inconsistent backup: %d users, %d user.created events, %d events up to seq %d, org seq %d", users, userEvents, events, maxSeq, orgSeq)
	}
	// The restored database serves: the same token finds a user it holds.
	renv := map[string]string{"ROSTER_DATABASE": "sqlite:" + restored}
	rbase, rstop := serving(t, renv)
	code, body := scimCall(t, "GET", rbase+`/scim/v2/Users?filter=userName%20eq%20%22w0-0%40example.com%22`, tok, "")
	if code != http.StatusOK || !strings.Contains(string(body), `"totalResults":1`) {
		t.Errorf("restored server: lookup = %d %s", code, body)
	}
	rstop()

	// The provisioning log is written a moment after each request: let it
	// settle, or the quiet backup would race its last batch.
	settleRequestLog(t, src)
	after := filepath.Join(dir, "after.bak")
	mustRoster(t, env, "backup", "--out", after)
	stop()
	again := filepath.Join(dir, "again.db")
	mustRoster(t, nil, "restore", "--from", after, "--database", "sqlite:"+again)
	if a, b := sums(t, "sqlite:"+src), sums(t, "sqlite:"+again); !slices.Equal(a, b) {
		t.Errorf("a backup of the quiet database restores to other data:\nlive     %v\nrestored %v", a, b)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"existing target", []string{"restore", "--from", after, "--database", "sqlite:" + again}, "exists"},
		{"existing backup file", []string{"backup", "--database", "sqlite:" + src, "--out", after}, "exists"},
		{"not a backup", []string{"restore", "--from", writeFile(t, dir, "junk.bak", "not a database"), "--database", "sqlite:" + filepath.Join(dir, "x.db")}, "not a usable roster backup"},
		{"postgres target", []string{"restore", "--from", after, "--database", "postgres://h/db"}, "SQLite"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := rosterRaw(t, nil, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("roster %v = %v (%s), want an error saying %q", c.args, err, r.stdout, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Error("a refused restore left a database behind")
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sums opens a database and returns its tables' checksums.
func sums(t *testing.T, database string) []sqlstore.TableSum {
	t.Helper()
	ctx := context.Background()
	var db *sqlstore.DB
	var err error
	if p, ok := strings.CutPrefix(database, "sqlite:"); ok {
		db, err = sqlite.Open(ctx, p, sqlite.Options{})
	} else {
		db, err = postgres.Open(ctx, database, postgres.Options{})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlstore.Checksums(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// replayStep is one request of the SCIM client flows in
// internal/scim/testdata (see the replay harness there); this test checks
// statuses only.
type replayStep struct {
	Setup   bool              `json:"setup"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	Expect  struct {
		Status int `json:"status"`
	} `json:"expect"`
	Save map[string]string `json:"save"`
}

// replay runs a recorded Okta or Entra flow against a server.
func replay(t *testing.T, base, token, flow string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "scim", "testdata", flow, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("flow %s: %v", flow, err)
	}
	slices.Sort(files)
	saved := map[string]string{}
	subst := func(s string) string {
		s = strings.ReplaceAll(s, "{base}", base+"/scim/v2")
		for k, v := range saved {
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
		return s
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var st replayStep
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		body := ""
		if len(st.Body) > 0 {
			body = subst(string(st.Body))
		}
		req, _ := http.NewRequest(st.Method, base+subst(st.Path), strings.NewReader(body))
		for k, v := range st.Headers {
			req.Header.Set(k, subst(v))
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != st.Expect.Status {
			t.Fatalf("%s: %s %s = %d, want %d\n%s", filepath.Base(f), st.Method, st.Path, resp.StatusCode, st.Expect.Status, rb)
		}
		if len(st.Save) > 0 {
			var doc any
			json.Unmarshal(rb, &doc)
			for name, ptr := range st.Save {
				if v, ok := pointer(doc, ptr); ok {
					saved[name] = v
				}
			}
		}
	}
}

// pointer evaluates a JSON Pointer to a string or number.
func pointer(doc any, ptr string) (string, bool) {
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		switch d := doc.(type) {
		case map[string]any:
			doc = d[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i >= len(d) {
				return "", false
			}
			doc = d[i]
		default:
			return "", false
		}
	}
	switch v := doc.(type) {
	case string:
		return v, true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	}
	return "", false
}

// TestMigrateStoreThenServe moves a SQLite database that Okta and Entra
// provisioned into PostgreSQL and serves from it: the same SCIM tokens and
// API key work, the users are there, and the event log goes on from the
// same seq.
func TestMigrateStoreThenServe(t *testing.T) {
	pgURL := pgtest.URL(t)
	dir := t.TempDir()
	lite := "sqlite:" + filepath.Join(dir, "roster.db")
	env := map[string]string{"ROSTER_DATABASE": lite, "ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
	// A webhook endpoint, so the delivery log (an identity column on
	// PostgreSQL) moves too and goes on numbering after the move.
	var delivered sync.Map
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		delivered.Store(r.Header.Get("webhook-id"), true)
	}))
	defer rc.Close()
	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	mustRoster(t, env, "webhook", "create", "--org", org, "--url", rc.URL)
	okta := mustRoster(t, env, "token", "create", "--org", org, "--name", "okta").lastLine()
	entra := mustRoster(t, env, "token", "create", "--org", org, "--name", "entra").lastLine()
	key := mustRoster(t, env, "apikey", "create", "--org", org, "--name", "app").lastLine()
	base, stop := serving(t, env)
	replay(t, base, okta, "okta/group-push")
	replay(t, base, entra, "entra/user-lifecycle")
	lastSeq := settledFeedSeqs(t, base, key)
	waitDelivered(t, &delivered, org, lastSeq[len(lastSeq)-1])
	stop()
	before := sums(t, lite)

	out := mustRoster(t, nil, "migrate-store", "--from", lite, "--to", pgURL)
	if !strings.Contains(out.stdout, "counts and checksums agree") {
		t.Fatalf("migrate-store said:\n%s", out.stdout)
	}
	if after := sums(t, pgURL); !slices.Equal(before, after) {
		t.Errorf("PostgreSQL holds other data than SQLite held:\nSQLite     %v\nPostgreSQL %v", before, after)
	}

	penv := map[string]string{"ROSTER_DATABASE": pgURL, "ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}
	pbase, pstop := serving(t, penv)
	defer pstop()
	if got := feedSeqs(t, pbase, key); got[len(got)-1] != lastSeq[len(lastSeq)-1] {
		t.Errorf("the feed on PostgreSQL ends at seq %d, on SQLite it ended at %d", got[len(got)-1], lastSeq[len(lastSeq)-1])
	}
	replay(t, pbase, entra, "entra/groups")
	replay(t, pbase, entra, "entra/manager")
	replay(t, pbase, okta, "okta/test-connector")
	// Okta finds the user it pushed to SQLite, and deactivates it.
	code, body := scimCall(t, "GET", pbase+`/scim/v2/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100`, okta, "")
	var list struct {
		Total     int `json:"totalResults"`
		Resources []struct {
			ID string `json:"id"`
		} `json:"Resources"`
	}
	if json.Unmarshal(body, &list); code != 200 || list.Total != 1 {
		t.Fatalf("Okta's lookup on PostgreSQL = %d %s", code, body)
	}
	code, body = scimCall(t, "PATCH", pbase+"/scim/v2/Users/"+list.Resources[0].ID, okta,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`)
	if code != 200 || !strings.Contains(string(body), `"active":false`) {
		t.Errorf("Okta's deactivation on PostgreSQL = %d %s", code, body)
	}
	got := feedSeqs(t, pbase, key)
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("event seqs after the move are not 1..n without gaps: %v", got)
		}
	}
	if len(got) <= len(lastSeq) {
		t.Errorf("traffic on PostgreSQL added no events (%d before, %d after)", len(lastSeq), len(got))
	}
	waitDelivered(t, &delivered, org, got[len(got)-1])

	r, err := rosterRaw(t, nil, "migrate-store", "--from", lite, "--to", pgURL)
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a second migrate-store into the same database = %v (%s), want a refusal saying it is not empty", err, r.stdout)
	}
}

// waitDelivered waits until the receiver has had the event of seq.
func waitDelivered(t *testing.T, delivered *sync.Map, org string, seq int64) {
	t.Helper()
	id := fmt.Sprintf("evt_%s_%d", org, seq)
	for i := 0; i < 500; i++ {
		if _, ok := delivered.Load(id); ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("event %s was not delivered", id)
}

// settledFeedSeqs is feedSeqs once the feed stops growing: the
// access.changed events are appended a moment after the changes that
// cause them, by the deriver that serve runs.
func settledFeedSeqs(t *testing.T, base, key string) []int64 {
	t.Helper()
	seqs := feedSeqs(t, base, key)
	for i := 0; i < 50; i++ {
		time.Sleep(500 * time.Millisecond)
		again := feedSeqs(t, base, key)
		if len(again) == len(seqs) {
			return again
		}
		seqs = again
	}
	t.Fatalf("the feed kept growing for 25 s: %d events", len(seqs))
	return nil
}

// feedSeqs reads the organization's whole event feed and returns its seqs.
func feedSeqs(t *testing.T, base, key string) []int64 {
	t.Helper()
	var seqs []int64
	after := int64(0)
	for {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/events?after=%d&limit=1000", base, after), nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("events = %d %s", resp.StatusCode, b)
		}
		var page struct {
			Events []struct {
				Seq int64 `json:"seq"`
			} `json:"items"`
		}
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&page); err != nil {
			t.Fatalf("events: %v %s", err, b)
		}
		if len(page.Events) == 0 {
			return seqs
		}
		for _, e := range page.Events {
			seqs = append(seqs, e.Seq)
		}
		after = page.Events[len(page.Events)-1].Seq
	}
}

// settleRequestLog waits until the provisioning log of the SQLite database
// at path has stopped growing: its writer flushes every 250 ms.
func settleRequestLog(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	last := int64(-1)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(400 * time.Millisecond) {
		var n int64
		if err := db.QueryRow(`SELECT COUNT(*) FROM request_log`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == last {
			return
		}
		last = n
	}
	t.Fatal("the provisioning log kept growing for 10 s with no traffic")
}
