package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
)

// TestTwoInstancesOnePostgreSQL runs two roster serve instances in this
// process on one PostgreSQL database, as a load balancer would spread an
// IdP's requests over them, and checks what several instances must not get
// wrong: migrations run once, a unique name is taken once, concurrent
// membership changes all land, neither instance answers from a stale
// cache, and a revoked token stops working on both.
func TestTwoInstancesOnePostgreSQL(t *testing.T) {
	url := pgtest.URL(t) // a fresh, empty schema
	env := map[string]string{"ROSTER_DATABASE": url}

	// Both start on the empty database at once: the migrations lock makes
	// them take turns, so each migration is applied once.
	var a, b string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a, _ = serving(t, env) }()
	go func() { defer wg.Done(); b, _ = serving(t, env) }()
	wg.Wait()
	if a == "" || b == "" {
		t.Fatal("an instance did not start")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var applied, distinct int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != distinct || applied == 0 {
		t.Fatalf("schema_migrations holds %d rows for %d versions after two concurrent start-ups", applied, distinct)
	}

	org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
	tok := mustRoster(t, env, "token", "create", "--org", org, "--name", "okta").lastLine()
	instances := []string{a, b}

	t.Run("duplicate creates", func(t *testing.T) {
		codes := make(chan int, 8)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, _ := scimCall(t, "POST", instances[i%2]+"/scim/v2/Users", tok, oktaUser("dup@example.com"))
				codes <- code
			}()
		}
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		if count[201] != 1 || count[409] != 7 {
			t.Errorf("eight simultaneous creates of one userName over two instances = %v, want one 201 and seven 409", count)
		}
	})

	t.Run("membership patches", func(t *testing.T) {
		code, body := scimCall(t, "POST", a+"/scim/v2/Groups", tok, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Sales","members":[]}`)
		if code != 201 {
			t.Fatalf("create group = %d %s", code, body)
		}
		var g struct{ ID string }
		json.Unmarshal(body, &g)
		const n = 60
		ids := make([]string, n)
		for i := range ids {
			code, body := scimCall(t, "POST", instances[i%2]+"/scim/v2/Users", tok, oktaUser(fmt.Sprintf("m%d@example.com", i)))
			if code != 201 {
				t.Fatalf("create user = %d %s", code, body)
			}
			var u struct{ ID string }
			json.Unmarshal(body, &u)
			ids[i] = u.ID
		}
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := scimCall(t, "PATCH", instances[i%2]+"/scim/v2/Groups/"+g.ID, tok,
					`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"`+id+`"}]}]}`)
				if code != 200 && code != 204 {
					t.Errorf("PATCH add member = %d %s", code, body)
				}
			}()
		}
		wg.Wait()
		for _, inst := range instances {
			code, body := scimCall(t, "GET", inst+"/scim/v2/Groups/"+g.ID, tok, "")
			var got struct {
				Members []struct{ Value string } `json:"members"`
			}
			json.Unmarshal(body, &got)
			if code != 200 || len(got.Members) != n {
				t.Errorf("after %d concurrent member adds over two instances, %s shows %d members (status %d)", n, inst, len(got.Members), code)
			}
		}
	})

	t.Run("lookup cache", func(t *testing.T) {
		lookup := func(inst, name string) int {
			code, body := scimCall(t, "GET", inst+`/scim/v2/Users?filter=userName%20eq%20%22`+strings.ReplaceAll(name, "@", "%40")+`%22`, tok, "")
			var l struct {
				Total int `json:"totalResults"`
			}
			if json.Unmarshal(body, &l); code != 200 {
				t.Fatalf("lookup = %d %s", code, body)
			}
			return l.Total
		}
		for i := 0; i < 5; i++ {
			old, renamed := fmt.Sprintf("c%d@example.com", i), fmt.Sprintf("c%d.renamed@example.com", i)
			// B caches the miss and then the hit; A makes the changes.
			if got := lookup(b, old); got != 0 {
				t.Fatalf("%s found before it exists", old)
			}
			code, body := scimCall(t, "POST", a+"/scim/v2/Users", tok, oktaUser(old))
			if code != 201 {
				t.Fatalf("create = %d %s", code, body)
			}
			if got := lookup(b, old); got != 1 {
				t.Errorf("instance B finds %d users named %s after A created it", got, old)
			}
			var u struct{ ID string }
			json.Unmarshal(body, &u)
			code, body = scimCall(t, "PATCH", a+"/scim/v2/Users/"+u.ID, tok,
				`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"userName","value":"`+renamed+`"}]}`)
			if code != 200 {
				t.Fatalf("rename = %d %s", code, body)
			}
			if got := lookup(b, old); got != 0 {
				t.Errorf("instance B still finds %s after A renamed it", old)
			}
			if got := lookup(b, renamed); got != 1 {
				t.Errorf("instance B finds %d users named %s after A renamed to it", got, renamed)
			}
		}
	})

	t.Run("revocation", func(t *testing.T) {
		doomed := mustRoster(t, env, "token", "create", "--org", org, "--name", "old").lastLine()
		for _, inst := range instances {
			if code, body := scimCall(t, "GET", inst+"/scim/v2/Users?count=1", doomed, ""); code != 200 {
				t.Fatalf("a fresh token on %s = %d %s", inst, code, body)
			}
		}
		list := mustRoster(t, env, "token", "list", "--org", org).stdout
		var id string
		for _, line := range strings.Split(list, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[1] == "old" {
				id = f[0]
			}
		}
		if id == "" {
			t.Fatalf("token old not in the list:\n%s", list)
		}
		mustRoster(t, env, "token", "revoke", "--org", org, "--id", id)
		deadline := time.Now().Add(2 * time.Second)
		for _, inst := range instances {
			for {
				code, _ := scimCall(t, "GET", inst+"/scim/v2/Users?count=1", doomed, "")
				if code == 401 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s still accepts a token revoked by another process (%d)", inst, code)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		if code, _ := scimCall(t, "GET", a+"/scim/v2/Users?count=1", tok, ""); code != 200 {
			t.Errorf("revoking one token stopped another (%d)", code)
		}
	})
}
