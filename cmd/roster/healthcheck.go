package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck asks a running roster serve for /healthz, so a container
// image without a shell or curl (distroless) can still have a
// HEALTHCHECK. It reads --addr (ROSTER_ADDR) as roster serve does, so the
// same environment points both at one address.
func runHealthcheck(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "healthcheck", "healthcheck [flags]",
		"Exits 0 when the roster serve listening on --addr answers GET /healthz with 200, and fails\n"+
			"otherwise: a container HEALTHCHECK that needs no shell.")
	addr := f.String("addr", "127.0.0.1:8080", "the address roster serve listens on, host:port; a wildcard host (0.0.0.0, ::) is asked on loopback")
	path := f.String("path", "/healthz", `the path asked: "/healthz" (alive) or "/readyz" (alive and its database answers)`)
	timeout := f.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := f.parse(args); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want host:port: %w", *addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + *path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("--path %q: %w", *path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check of %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check of %s: %s", url, resp.Status)
	}
	fmt.Fprintln(env.stdout, "ok")
	return nil
}
