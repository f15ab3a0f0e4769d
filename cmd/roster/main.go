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

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *environment, args []string) error
}

// environment is what commands write to; tests replace it.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// prog is how the user started roster, e.g. "./roster" or
	// "go run ./cmd/roster" (see invocation); "roster" when "".
	prog string
}

// command returns how the user started roster, for the commands roster
// tells them to run next.
func (e *environment) command() string {
	if e.prog == "" {
		return "roster"
	}
	return e.prog
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
		{"console", "create setup links that sign owners into the web console", runConsole},
		{"backup", "write a consistent copy of the SQLite database while it serves", runBackup},
		{"restore", "make a new SQLite database from a backup", runRestore},
		{"migrate-store", "move a SQLite database into PostgreSQL, verified", runMigrateStore},
		{"version", "print the version, commit and build date", runVersion},
		{"healthcheck", "ask a running roster serve whether it is healthy (for containers)", runHealthcheck},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, prog: invocation(os.Args[0])}
	if err := run(ctx, env, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "roster:", errorText(err))
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, env *environment, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stdout, env.command())
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
	usage(env.stderr, env.command())
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer, prog string) {
	fmt.Fprintln(w, "roster: identity provisioning (SCIM 2.0) and access for your workspaces.")
	fmt.Fprintf(w, "\nUsage: %s <command> [flags]\n\nCommands:\n", prog)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set through the environment: --database is ROSTER_DATABASE,")
	fmt.Fprintf(w, "--data-dir is ROSTER_DATA_DIR, and so on. Run \"%s <command> --help\" for a command's flags.\n", prog)
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
		fmt.Fprintf(env.stderr, "Usage: %s %s\n\n%s\n\nFlags (each also settable as ROSTER_<FLAG_NAME>):\n", env.command(), usageLine, about)
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
	return f.overlay()
}

// parseWithArgs is parse for commands that take arguments besides flags,
// as "roster apikey revoke --admin ID": flags may come before and after
// the arguments, which it returns.
func (f *flags) parseWithArgs(args []string) ([]string, error) {
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, err
		}
		if f.NArg() == 0 {
			break
		}
		positional = append(positional, f.Arg(0))
		args = f.Args()[1:]
	}
	return positional, f.overlay()
}

// overlay fills the flags not given on the command line from the
// environment.
func (f *flags) overlay() error {
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
		fmt.Fprintf(env.stderr, "Usage: %s %s <%s> [flags]\n\n%s\n", env.command(), group, strings.Join(names, "|"), about)
		if len(args) == 0 {
			return fmt.Errorf("%s %s needs one of: %s", env.command(), group, strings.Join(names, ", "))
		}
		return nil
	}
	fn, ok := verbs[args[0]]
	if !ok {
		return fmt.Errorf("%s %s: unknown command %q; use one of: %s", env.command(), group, args[0], strings.Join(names, ", "))
	}
	return fn(ctx, env, args[1:])
}
