// Command rosterload generates load against a roster server on this
// machine and reports throughput, latency percentiles and errors by
// status. It is bounded in time and in requests, and refuses any target
// that is not a loopback address: it is a benchmark tool, not a way to
// flood someone else's server.
//
// Usage: rosterload <scenario> [flags]. Each scenario lives in its own
// file and adds one line to the table below.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// scenario is one subcommand.
type scenario struct {
	name, summary string
	run           func(ctx context.Context, o *options, args []string) error
}

// scenarios is the subcommand table; add a line for a new scenario.
func scenarios() []scenario {
	return append([]scenario{
		{"access", "POST /api/v1/check for random users and resources of a seeded organization", runAccess},
		{"authzen", "AuthZEN evaluations (single, or batches with -batch N) for random users and resources of a seeded organization", runAuthZEN},
		{"seed-access", "write the access benchmark dataset (100k users, 1k groups, 1k workspaces, 10k folders) to a database", runSeedAccess},
		{"seed-scim", "write users as scim-users stores them (1M by default) straight through the store, and print a SCIM token", runSeedSCIM},
		{"soak", "a steady mix of Okta and Entra traffic for up to 2h, printing latency, RSS, heap, goroutines and open files every minute", runSoak},
	}, scimScenarios()...)
}

// options are the flags every load scenario shares.
type options struct {
	URL         string
	Duration    time.Duration
	Requests    int
	Concurrency int
	// Rate, when positive, is the total requests per second offered.
	Rate  float64
	Token string
	out   io.Writer
}

// flags returns a flag set with the shared flags registered.
func (o *options) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "roster base URL (loopback only)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "stop after this long (at most 10m)")
	fs.IntVar(&o.Requests, "requests", 1_000_000, "stop after this many requests (at most 10,000,000)")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "requests in flight (at most 256)")
	fs.Float64Var(&o.Rate, "rate", 0, "offer this many requests per second in total instead of sending as fast as answers come (open loop; latency then counts from when each request was due, so a server falling behind shows in it)")
	fs.StringVar(&o.Token, "token", "", "bearer token to send")
	return fs
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "rosterload:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) > 0 {
		for _, s := range scenarios() {
			if s.name == args[0] {
				return s.run(ctx, &options{out: out}, args[1:])
			}
		}
	}
	fmt.Fprintln(os.Stderr, "Usage: rosterload <scenario> [flags]\n\nScenarios:")
	for _, s := range scenarios() {
		fmt.Fprintf(os.Stderr, "  %-17s %s\n", s.name, s.summary)
	}
	if len(args) == 0 {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown scenario %q", args[0])
}
