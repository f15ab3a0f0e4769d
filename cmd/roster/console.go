package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/console"
	"github.com/rosterhq/roster/internal/token"
)

func runConsole(ctx context.Context, env *environment, args []string) error {
	return subcommand(ctx, env, "console", args, map[string]func(context.Context, *environment, []string) error{
		"link":   consoleLink,
		"links":  consoleLinks,
		"revoke": consoleRevoke,
	}, "Setup links for the owners' web console: a link signs its holder into one organization's console\n"+
		"as an owner, once, and expires (24 hours by default, at most 7 days).")
}

func consoleLink(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "console link", "console link --org ID [--ttl 24h] [--base-url URL]",
		"Creates a setup link and prints it alone on the last line of stdout. Hand it to the organization's\n"+
			"IT admin; it signs in once.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required)")
	ttl := f.Duration("ttl", token.DefaultLinkTTL, "how long the link stays valid, at most 168h (7 days)")
	base := f.String("base-url", "http://127.0.0.1:8080", "public URL roster serves at, as roster serve's --base-url")
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errNoOrg
	}
	u, err := publicBase(*base, "")
	if err != nil {
		return err
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	text, l, err := (&token.Service{Store: s}).CreateLink(ctx, cliActor, *org, *ttl)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Setup link …%s for organization %s, valid until %s. It signs in once.\n", l.Hint, l.OrgID,
		l.ExpiresAt.UTC().Format(time.RFC3339))
	fmt.Fprintln(env.stdout, strings.TrimSuffix(u.String(), "/")+console.Prefix+"/enter/"+text)
	return nil
}

func consoleLinks(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "console links", "console links --org ID", "Lists an organization's setup links, newest first.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errNoOrg
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	links, err := (&token.Service{Store: s}).ListLinks(ctx, *org, 100)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tENDS IN\tCREATED\tEXPIRES\tSTATE")
	for _, l := range links {
		state := "unused"
		switch {
		case !l.UsedAt.IsZero():
			state = "used " + l.UsedAt.UTC().Format(time.RFC3339)
		case !l.RevokedAt.IsZero():
			state = "revoked " + l.RevokedAt.UTC().Format(time.RFC3339)
		case time.Now().After(l.ExpiresAt):
			state = "expired"
		}
		fmt.Fprintf(tw, "%s\t…%s\t%s\t%s\t%s\n", l.ID, l.Hint, l.CreatedAt.UTC().Format(time.RFC3339), l.ExpiresAt.UTC().Format(time.RFC3339), state)
	}
	return tw.Flush()
}

func consoleRevoke(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "console revoke", "console revoke --org ID LINK_ID", "Revokes an unused setup link.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" {
		return errNoOrg
	}
	if f.NArg() != 1 {
		return fmt.Errorf("name the link to revoke: roster console revoke --org %s LINK_ID (roster console links lists them)", *org)
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	l, err := (&token.Service{Store: s}).RevokeLink(ctx, cliActor, *org, f.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Setup link …%s is revoked.\n", l.Hint)
	return nil
}
