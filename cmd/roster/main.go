// Command roster is the identity-provisioning and access service: a SCIM 2.0
// server for Okta and Microsoft Entra ID, a SAML service provider, and the
// access API of the host app. Run "roster help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *environment, args []string) error
}

// environment is what commands write to; tests replace it.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"serve", "run the server (SCIM, API, SSO, console)", runServe},
		{"migrate", "apply database migrations, or show their status", runMigrate},
		{"org", "create, list and configure organizations", runOrg},
		{"token", "create, list and revoke SCIM tokens", runToken},
		{"apikey", "create, list and revoke host-app API keys", runAPIKey},
		{"saml", "set up SAML single sign-on for an organization", runSAML},
		{"webhook", "create and manage webhook endpoints; list their deliveries", runWebhook},
		{"version", "print the version", func(_ context.Context, env *environment, _ []string) error {
			fmt.Fprintln(env.stdout, "roster", version)
			return nil
		}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if err := run(ctx, env, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "roster:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stdout)
		if len(args) == 0 {
			return flag.ErrHelp
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
	}
	usage(env.stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "roster: identity provisioning (SCIM 2.0) and access for your workspaces.")
	fmt.Fprintln(w, "\nUsage: roster <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set through the environment: --database is ROSTER_DATABASE,")
	fmt.Fprintln(w, "--data-dir is ROSTER_DATA_DIR, and so on. Run \"roster <command> --help\" for a command's flags.")
}

// flags is a flag set with the environment overlay: a flag not given on the
// command line takes ROSTER_<NAME> from the environment.
type flags struct {
	*flag.FlagSet
	env *environment
}

func newFlags(env *environment, name, usageLine, about string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: roster %s\n\n%s\n\nFlags (each also settable as ROSTER_<FLAG_NAME>):\n", usageLine, about)
		fs.PrintDefaults()
	}
	return &flags{FlagSet: fs, env: env}
}

func envName(flagName string) string {
	return "ROSTER_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse parses args, then fills unset flags from the environment.
func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		return err
	}
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var errs []error
	f.VisitAll(func(fl *flag.Flag) {
		if set[fl.Name] {
			return
		}
		if v := f.env.getenv(envName(fl.Name)); v != "" {
			if err := fl.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", envName(fl.Name), v, err))
			}
		}
	})
	return errors.Join(errs...)
}

// subcommand dispatches "roster <group> <verb>".
func subcommand(ctx context.Context, env *environment, group string, args []string, verbs map[string]func(context.Context, *environment, []string) error, about string) error {
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(env.stderr, "Usage: roster %s <%s> [flags]\n\n%s\n", group, strings.Join(names, "|"), about)
		if len(args) == 0 {
			return fmt.Errorf("roster %s needs one of: %s", group, strings.Join(names, ", "))
		}
		return nil
	}
	fn, ok := verbs[args[0]]
	if !ok {
		return fmt.Errorf("roster %s: unknown command %q; use one of: %s", group, args[0], strings.Join(names, ", "))
	}
	return fn(ctx, env, args[1:])
}
