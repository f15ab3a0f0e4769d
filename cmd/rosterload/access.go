package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
)

// seedFile is what seed-access writes and access reads.
type seedFile struct {
	OrgID      string   `json:"org_id"`
	APIKey     string   `json:"api_key"`
	Users      []string `json:"users"`
	Workspaces []string `json:"workspaces"`
	Folders    []string `json:"folders"`
	// Groups[i] is the number of groups Users[i] is in.
	Groups []int `json:"groups"`
}

// runAccess sends access checks: POST /api/v1/check for a random user of
// the seed file and a random workspace or folder, wanting "viewer".
func runAccess(ctx context.Context, o *options, args []string) error {
	fs := o.flags("access")
	seed := fs.String("seed", "access-seed.json", "file written by rosterload seed-access")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sf, err := readSeed(*seed, o)
	if err != nil {
		return err
	}
	endpoint := strings.TrimSuffix(o.URL, "/") + "/api/v1/check"
	bodies := prebuild(func(r *rand.Rand) []byte {
		user := sf.Users[r.IntN(len(sf.Users))]
		rt, id := "folder", sf.Folders[r.IntN(len(sf.Folders))]
		if r.IntN(2) == 0 {
			rt, id = "workspace", sf.Workspaces[r.IntN(len(sf.Workspaces))]
		}
		return []byte(`{"user_id":"` + user + `","resource_type":"` + rt + `","resource_id":"` + id + `","role":"viewer"}`)
	})
	return load(ctx, o, "access check", func(ctx context.Context, client *http.Client, i int) (int, error) {
		return postJSON(ctx, client, endpoint, o.Token, bodies[i%len(bodies)])
	})
}

// prebuild makes the request bodies a run cycles through, before the clock
// starts: building a batch's JSON takes tens of microseconds and garbage
// that the generator's collector would otherwise clean up during the run,
// on the cores the server uses, and charge to its latency. Body i comes
// from a generator seeded with i, so runs are repeatable; their number is
// chosen from the first body's size so that they take about 64 MB.
func prebuild(build func(r *rand.Rand) []byte) [][]byte {
	body := func(i int) []byte { return build(rand.New(rand.NewPCG(uint64(i), 1))) }
	first := body(0)
	out := make([][]byte, min(maxBodies, max(64, 64<<20/max(len(first), 1))))
	out[0] = first
	for i := 1; i < len(out); i++ {
		out[i] = body(i)
	}
	return out
}

// maxBodies is the most distinct bodies a run cycles through: enough that
// the server sees every user and resource of a 100,000-user seed many
// times over a run without the bodies' own memory mattering.
const maxBodies = 1 << 16

// postJSON sends body to endpoint with the API key and drains the answer,
// so the connection is reused.
func postJSON(ctx context.Context, client *http.Client, endpoint, token string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // draining for reuse
	resp.Body.Close()
	return resp.StatusCode, nil
}

// readSeed reads the file seed-access wrote, and takes its API key for
// the run unless -token names one.
func readSeed(path string, o *options) (seedFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return seedFile{}, fmt.Errorf("read the seed file (run rosterload seed-access first): %w", err)
	}
	var sf seedFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return seedFile{}, fmt.Errorf("%s: %w", path, err)
	}
	if len(sf.Users) == 0 || len(sf.Workspaces) == 0 || len(sf.Folders) == 0 {
		return seedFile{}, fmt.Errorf("%s lists no users, workspaces or folders", path)
	}
	if o.Token == "" {
		o.Token = sf.APIKey
	}
	return sf, nil
}
