package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// soakMetrics are the server's gauges a soak watches, by Prometheus name.
var soakMetrics = []struct{ name, label string }{
	{"process_resident_memory_bytes", "rss"},
	{"go_memstats_heap_inuse_bytes", "heap"},
	{"go_goroutines", "goroutines"},
	{"process_open_fds", "open_files"},
}

// runSoak drives a steady mix of Okta and Entra traffic for a long time
// and prints, every minute, the minute's latency and the server's memory,
// goroutines and open files, so a leak shows as a line that climbs.
func runSoak(ctx context.Context, o *options, args []string) error {
	var users, groups int
	var every time.Duration
	fs := o.flags("soak")
	fs.IntVar(&users, "users", 10_000, "users to create first (soak<n>@example.com), and to pick from")
	fs.IntVar(&groups, "groups", 20, "groups to create first, whose members the traffic changes")
	fs.DurationVar(&every, "every", time.Minute, "how often to print a line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Token == "" {
		return fmt.Errorf("-token is required: a SCIM token from \"roster token create\"")
	}
	if o.Rate <= 0 {
		o.Rate = 200
	}
	soakLimit := o.Duration
	o.Duration = 10 * time.Minute // bounds() caps ordinary runs; a soak runs longer
	if err := o.bounds(); err != nil {
		return err
	}
	if soakLimit <= 0 || soakLimit > 2*time.Hour {
		return fmt.Errorf("-duration must be between 0 and 2h for a soak, not %s", soakLimit)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, MaxConnsPerHost: o.Concurrency}}

	// Seed: users and groups the traffic then reads and changes.
	fmt.Fprintf(o.out, "seeding %d users and %d groups\n", users, groups)
	ids := make([]string, users)
	var seedErr atomic.Value
	var wg sync.WaitGroup
	var nextSeed atomic.Int64
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(nextSeed.Add(1)) - 1
				if i >= users || ctx.Err() != nil {
					return
				}
				id, err := soakEnsureUser(ctx, client, o, i)
				if err != nil {
					seedErr.Store(err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	if err, _ := seedErr.Load().(error); err != nil {
		return err
	}
	gids := make([]string, groups)
	for g := range gids {
		id, err := soakEnsureGroup(ctx, client, o, g)
		if err != nil {
			return err
		}
		gids[g] = id
	}

	ctx, cancel := context.WithTimeout(ctx, soakLimit)
	defer cancel()
	var mu sync.Mutex
	var window []time.Duration
	statuses := map[string]int{}
	var next atomic.Int64
	start := time.Now()
	created := atomic.Int64{}
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				due := start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))
				if d := time.Until(due); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
				t0 := time.Now()
				code, err := soakStep(ctx, client, o, i, ids, gids, users, &created)
				if ctx.Err() != nil {
					return
				}
				took := time.Since(t0)
				mu.Lock()
				window = append(window, took)
				switch {
				case err != nil:
					statuses["error"]++
				case code >= 400:
					statuses[strconv.Itoa(code)]++
				}
				mu.Unlock()
			}
		}()
	}

	fmt.Fprintf(o.out, "soak: %.0f req/s for %s, %d in flight at most; one line every %s\n", o.Rate, soakLimit, o.Concurrency, every)
	fmt.Fprintf(o.out, "%-7s %8s %9s %9s %10s %10s %10s %10s  %s\n", "line", "requests", "p50", "p99", "rss_MB", "heap_MB", "goroutines", "open_files", "errors")
	tick := time.NewTicker(every)
	defer tick.Stop()
	var rows [][]float64
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			soakSummary(o, rows)
			return nil
		case <-tick.C:
		}
		mu.Lock()
		lat := window
		window = nil
		errs := statuses
		statuses = map[string]int{}
		mu.Unlock()
		slices.Sort(lat)
		p := func(q float64) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[min(len(lat)-1, int(float64(len(lat))*q))]
		}
		// The last tick comes as the soak's deadline passes: read the
		// server's gauges on a clock of their own, or the final minute is
		// lost to "context deadline exceeded".
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		m, err := scrape(sctx, client, o)
		scancel()
		if err != nil {
			fmt.Fprintf(o.out, "minute %d: reading /metrics failed: %v\n", n, err)
			continue
		}
		row := []float64{m["rss"] / 1e6, m["heap"] / 1e6, m["goroutines"], m["open_files"], float64(p(0.99).Microseconds()) / 1000}
		rows = append(rows, row)
		fmt.Fprintf(o.out, "%-7d %8d %9s %9s %10.1f %10.1f %10.0f %10.0f  %v\n", n, len(lat),
			p(0.5).Round(10*time.Microsecond), p(0.99).Round(10*time.Microsecond), row[0], row[1], row[2], row[3], errs)
	}
}

// soakSummary compares the last line with the one after warm-up (the
// third, or the first of a short run).
func soakSummary(o *options, rows [][]float64) {
	if len(rows) < 2 {
		return
	}
	base := rows[min(2, len(rows)-2)]
	last := rows[len(rows)-1]
	names := []string{"rss", "heap", "goroutines", "open_files", "p99"}
	var parts []string
	for i, name := range names {
		change := 0.0
		if base[i] != 0 {
			change = (last[i] - base[i]) / base[i] * 100
		}
		parts = append(parts, fmt.Sprintf("%s %+.1f%%", name, change))
	}
	fmt.Fprintf(o.out, "last line against line %d (after warm-up): %s\n", min(3, len(rows)-1), strings.Join(parts, ", "))
}

// soakStep sends one request of the mix: mostly the lookups every sync
// cycle is made of, then profile updates, membership changes, group
// reads and the occasional new user, in Okta's and Entra's shapes.
func soakStep(ctx context.Context, c *http.Client, o *options, i int, ids, gids []string, users int, created *atomic.Int64) (int, error) {
	r := rand.IntN(100)
	u := rand.IntN(users)
	switch {
	case r < 45: // Okta's match step
		f := url.QueryEscape(fmt.Sprintf(`userName eq "soak%d@example.com"`, u))
		code, _, err := send(ctx, c, o, "GET", "/Users?filter="+f+"&startIndex=1&count=100", "")
		return code, err
	case r < 65: // Entra's match step, by the attribute it matches on
		f := url.QueryEscape(fmt.Sprintf(`externalId eq "soak-%d"`, u))
		code, _, err := send(ctx, c, o, "GET", "/Users?filter="+f, "")
		return code, err
	case r < 75: // Entra's profile update
		body := fmt.Sprintf(`{"schemas":["%s"],"Operations":[{"op":"Replace","path":"displayName","value":"Soak User %d (%d)"},`+
			`{"op":"Replace","path":"name.familyName","value":"User %d"}]}`, scimPatchURN, u, i, i)
		code, _, err := send(ctx, c, o, "PATCH", "/Users/"+ids[u], body)
		return code, err
	case r < 80: // Okta's profile update: a PUT of the whole user
		code, _, err := send(ctx, c, o, "PUT", "/Users/"+ids[u], soakUserBody(u, fmt.Sprintf("Soak User %d [%d]", u, i)))
		return code, err
	case r < 90: // membership changes: add, then remove
		op := fmt.Sprintf(`{"op":"add","path":"members","value":[{"value":%q}]}`, ids[u])
		if i%2 == 1 {
			op = fmt.Sprintf(`{"op":"remove","path":"members[value eq \"%s\"]"}`, ids[u])
		}
		code, _, err := send(ctx, c, o, "PATCH", "/Groups/"+gids[rand.IntN(len(gids))], fmt.Sprintf(`{"schemas":["%s"],"Operations":[%s]}`, scimPatchURN, op))
		return code, err
	case r < 97: // Entra reads groups without their members
		code, _, err := send(ctx, c, o, "GET", "/Groups?excludedAttributes=members&count=100", "")
		return code, err
	default: // a new hire
		n := created.Add(1)
		code, _, err := send(ctx, c, o, "POST", "/Users", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"soak-new-%d-%d@example.com","active":true,"displayName":"New %d"}`, time.Now().UnixNano(), n, n))
		return code, err
	}
}

func soakUserBody(i int, display string) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"soak-%d","userName":"soak%d@example.com","active":true,`+
		`"displayName":%q,"name":{"givenName":"Soak","familyName":"User %d"},"emails":[{"primary":true,"type":"work","value":"soak%d@example.com"}]}`,
		i, i, display, i, i)
}

// soakEnsureUser creates user i, or finds it when an earlier soak did.
func soakEnsureUser(ctx context.Context, c *http.Client, o *options, i int) (string, error) {
	code, _, body, err := exchange(ctx, c, o, "POST", "/Users", soakUserBody(i, fmt.Sprintf("Soak User %d", i)), true)
	if err != nil {
		return "", err
	}
	if code == http.StatusConflict {
		f := url.QueryEscape(fmt.Sprintf(`userName eq "soak%d@example.com"`, i))
		if code, _, body, err = exchange(ctx, c, o, "GET", "/Users?filter="+f, "", true); err != nil {
			return "", err
		}
		var list struct{ Resources []struct{ ID string } }
		if json.Unmarshal(body, &list); code != 200 || len(list.Resources) != 1 {
			return "", fmt.Errorf("find soak%d: %d %s", i, code, body)
		}
		return list.Resources[0].ID, nil
	}
	var u struct{ ID string }
	if json.Unmarshal(body, &u); code != http.StatusCreated || u.ID == "" {
		return "", fmt.Errorf("create soak%d: %d %s", i, code, body)
	}
	return u.ID, nil
}

// soakEnsureGroup creates group g, or finds it.
func soakEnsureGroup(ctx context.Context, c *http.Client, o *options, g int) (string, error) {
	name := fmt.Sprintf("Soak Group %d", g)
	code, _, body, err := exchange(ctx, c, o, "POST", "/Groups", fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":%q,"members":[]}`, name), true)
	if err != nil {
		return "", err
	}
	if code == http.StatusConflict {
		f := url.QueryEscape(fmt.Sprintf(`displayName eq %q`, name))
		if code, _, body, err = exchange(ctx, c, o, "GET", "/Groups?excludedAttributes=members&filter="+f, "", true); err != nil {
			return "", err
		}
		var list struct{ Resources []struct{ ID string } }
		if json.Unmarshal(body, &list); code != 200 || len(list.Resources) != 1 {
			return "", fmt.Errorf("find %s: %d %s", name, code, body)
		}
		return list.Resources[0].ID, nil
	}
	var gr struct{ ID string }
	if json.Unmarshal(body, &gr); code != http.StatusCreated || gr.ID == "" {
		return "", fmt.Errorf("create %s: %d %s", name, code, body)
	}
	return gr.ID, nil
}

// scrape reads the server's /metrics and returns the soak's gauges.
func scrape(ctx context.Context, c *http.Client, o *options) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(o.URL, "/")+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("/metrics answered %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, m := range soakMetrics {
			if rest, ok := strings.CutPrefix(line, m.name+" "); ok {
				if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
					out[m.label] = v
				}
			}
		}
	}
	return out, sc.Err()
}
