package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
)

// runAuthZEN sends AuthZEN evaluations for the organization seed-access
// wrote: with -batch 1, POST /access/v1/evaluation for a random user and
// a random workspace or folder, the same question the access scenario asks
// POST /api/v1/check; with -batch N, POST /access/v1/evaluations holding N
// such evaluations for one user (the subject given once, as a default).
func runAuthZEN(ctx context.Context, o *options, args []string) error {
	fs := o.flags("authzen")
	seed := fs.String("seed", "access-seed.json", "file written by rosterload seed-access")
	batch := fs.Int("batch", 1, "evaluations per request: 1 uses /access/v1/evaluation, more /access/v1/evaluations (at most 1000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch < 1 || *batch > 1000 {
		return fmt.Errorf("-batch must be from 1 to 1000, not %d", *batch)
	}
	sf, err := readSeed(*seed, o)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(o.URL, "/")
	resource := func(r *rand.Rand) string {
		if r.IntN(2) == 0 {
			return `{"type":"workspace","id":"` + sf.Workspaces[r.IntN(len(sf.Workspaces))] + `"}`
		}
		return `{"type":"folder","id":"` + sf.Folders[r.IntN(len(sf.Folders))] + `"}`
	}
	name, endpoint := "authzen evaluation", base+"/access/v1/evaluation"
	if *batch > 1 {
		name, endpoint = fmt.Sprintf("authzen evaluations (batches of %d)", *batch), base+"/access/v1/evaluations"
	}
	bodies := prebuild(func(r *rand.Rand) []byte {
		subject := `{"type":"user","id":"` + sf.Users[r.IntN(len(sf.Users))] + `"}`
		var body strings.Builder
		if *batch == 1 {
			body.WriteString(`{"subject":` + subject + `,"action":{"name":"view"},"resource":` + resource(r) + `}`)
		} else {
			body.WriteString(`{"subject":` + subject + `,"action":{"name":"view"},"evaluations":[`)
			for j := 0; j < *batch; j++ {
				if j > 0 {
					body.WriteByte(',')
				}
				body.WriteString(`{"resource":` + resource(r) + `}`)
			}
			body.WriteString(`]}`)
		}
		return []byte(body.String())
	})
	return load(ctx, o, name, func(ctx context.Context, client *http.Client, i int) (int, error) {
		return postJSON(ctx, client, endpoint, o.Token, bodies[i%len(bodies)])
	})
}
