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
	return load(ctx, o, "access check", func(ctx context.Context, client *http.Client, i int) (int, error) {
		r := rand.New(rand.NewPCG(uint64(i), 1))
		user := sf.Users[r.IntN(len(sf.Users))]
		rt, id := "folder", sf.Folders[r.IntN(len(sf.Folders))]
		if r.IntN(2) == 0 {
			rt, id = "workspace", sf.Workspaces[r.IntN(len(sf.Workspaces))]
		}
		body := `{"user_id":"` + user + `","resource_type":"` + rt + `","resource_id":"` + id + `","role":"viewer"}`
		req, err := http.NewRequestWithContext(ctx, "POST", endpoint, bytes.NewBufferString(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+o.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // draining for reuse
		resp.Body.Close()
		return resp.StatusCode, nil
	})
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
