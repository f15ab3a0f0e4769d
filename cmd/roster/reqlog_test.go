package main

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestProvisioningLogClientBehindProxy: with --trust-forwarded-for the
// provisioning log records the client the load balancer forwarded, the
// address the anonymous limit counts too, not the balancer's own.
func TestProvisioningLogClientBehindProxy(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"direct", nil, "127.0.0.1"},
		{"behind a proxy", []string{"--trust-forwarded-for"}, "203.0.113.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "roster.db")
			env := map[string]string{"ROSTER_DATABASE": "sqlite:" + path}
			mustRoster(t, env, "migrate")
			org := mustRoster(t, env, "org", "create", "--name", "Acme", "--plan", "enterprise").lastLine()
			tok := mustRoster(t, env, "token", "create", "--org", org, "--name", "okta").lastLine()
			base, stop := servingWith(t, env, tc.flags...)
			req, _ := http.NewRequest("GET", base+"/scim/v2/Users", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			stop() // the recorder writes what is queued on the way out
			db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var client string
			deadline := time.Now().Add(5 * time.Second)
			for {
				err = db.QueryRow(`SELECT client FROM request_log WHERE org_id = ?`, org).Scan(&client)
				if err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil || client != tc.want {
				t.Errorf("logged client = %q, %v; want %q", client, err, tc.want)
			}
		})
	}
}
