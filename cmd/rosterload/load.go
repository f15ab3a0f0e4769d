package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// checkLoopback refuses targets that are not this machine.
func checkLoopback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-url %q: want http://127.0.0.1:PORT", raw)
	}
	host := u.Hostname()
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		addrs, err := net.LookupIP(host)
		if err != nil || len(addrs) == 0 {
			return nil, fmt.Errorf("-url %q: cannot resolve %s", raw, host)
		}
		ips = addrs
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("-url %q: %s is not a loopback address; rosterload only targets this machine", raw, ip)
		}
	}
	return u, nil
}

// bounds validates the shared limits.
func (o *options) bounds() error {
	switch {
	case o.Duration <= 0 || o.Duration > 10*time.Minute:
		return fmt.Errorf("-duration must be between 0 and 10m, not %s", o.Duration)
	case o.Requests <= 0 || o.Requests > 10_000_000:
		return fmt.Errorf("-requests must be between 1 and 10,000,000, not %d", o.Requests)
	case o.Concurrency <= 0 || o.Concurrency > 256:
		return fmt.Errorf("-concurrency must be between 1 and 256, not %d", o.Concurrency)
	case o.Rate < 0 || o.Rate > 1_000_000:
		return fmt.Errorf("-rate must be between 0 (as fast as answers come) and 1,000,000 per second, not %g", o.Rate)
	}
	_, err := checkLoopback(o.URL)
	return err
}

// request makes request number i; it returns the HTTP status or an error.
type request func(ctx context.Context, client *http.Client, i int) (status int, err error)

// load runs req with o.Concurrency workers until o.Duration passes or
// o.Requests were sent, and prints the results.
//
// With o.Rate set, request i is sent at start + i/o.Rate, or as soon as a
// worker is free after that; a server that falls behind shows as
// throughput under the offered rate and as requests sent late, counted
// separately. Latency is measured from the send, since measuring from the
// due time would charge the generator's own timer wake-ups (~0.5 ms on an
// idle machine) to the server.
func load(ctx context.Context, o *options, name string, req request) error {
	if err := o.bounds(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, MaxConnsPerHost: o.Concurrency},
	}
	var next atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	lateTotal := 0
	statuses := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<16)
			st := map[string]int{}
			late := 0
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= o.Requests {
					break
				}
				if o.Rate > 0 {
					due := start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
						}
					} else if d < -time.Millisecond {
						late++
					}
				}
				t0 := time.Now()
				code, err := req(ctx, client, i)
				if ctx.Err() != nil {
					break // cut off by the deadline: not a result
				}
				lat = append(lat, time.Since(t0))
				switch {
				case err != nil:
					st["error: "+err.Error()]++
				default:
					st[fmt.Sprint(code)]++
				}
			}
			mu.Lock()
			all = append(all, lat...)
			lateTotal += late
			for k, v := range st {
				statuses[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	fmt.Fprintf(o.out, "scenario      %s\ntarget        %s\nconcurrency   %d\n", name, o.URL, o.Concurrency)
	if o.Rate > 0 {
		fmt.Fprintf(o.out, "offered       %.0f req/s; %d requests sent over 1 ms late (no worker free)\n", o.Rate, lateTotal)
	}
	fmt.Fprintf(o.out, "requests      %d in %s\nthroughput    %.0f req/s\n",
		len(all), elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds())
	fmt.Fprintf(o.out, "latency       p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
		pct(0.50), pct(0.90), pct(0.99), pct(0.999), pct(1))
	keys := make([]string, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(o.out, "status        %s: %d\n", k, statuses[k])
	}
	return nil
}
