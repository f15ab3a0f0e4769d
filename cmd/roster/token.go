package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

func runToken(ctx context.Context, env *environment, args []string) error {
	return tokenCommands(ctx, env, args, "token", store.TokenSCIM,
		"Manage SCIM tokens: the bearer tokens Okta and Microsoft Entra ID use to provision an organization.\n"+
			"Several may be active at once, so a token can be rotated without downtime.")
}

func runAPIKey(ctx context.Context, env *environment, args []string) error {
	return tokenCommands(ctx, env, args, "apikey", store.TokenAPI,
		"Manage API keys: the bearer keys the host app uses for the access API of one organization.")
}

func tokenCommands(ctx context.Context, env *environment, args []string, group string, kind store.TokenKind, about string) error {
	return subcommand(ctx, env, group, args, map[string]func(context.Context, *environment, []string) error{
		"create": func(ctx context.Context, env *environment, args []string) error {
			return tokenCreate(ctx, env, args, group, kind)
		},
		"list": func(ctx context.Context, env *environment, args []string) error {
			return tokenList(ctx, env, args, group, kind)
		},
		"revoke": func(ctx context.Context, env *environment, args []string) error {
			return tokenRevoke(ctx, env, args, group, kind)
		},
	}, about)
}

func tokenCreate(ctx context.Context, env *environment, args []string, group string, kind store.TokenKind) error {
	f := newFlags(env, group+" create", group+" create --org ID [--name NAME]"+adminUsage(kind),
		"Creates a token and prints it alone on the last line of stdout. It is shown this once:\nroster keeps only a hash of it.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required unless --admin)")
	name := f.String("name", "", `a name to recognise the token by, e.g. "okta"`)
	admin := new(bool)
	if kind == store.TokenAPI {
		admin = f.Bool("admin", false, "create an instance admin key instead: it creates organizations and issues their API keys, and belongs to no organization")
	}
	if err := f.parse(args); err != nil {
		return err
	}
	if *admin && *org != "" {
		return fmt.Errorf("--admin and --org exclude each other: an admin key belongs to no organization")
	}
	if *org == "" && !*admin {
		return errNoOrg
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	if *admin {
		text, t, err := api.CreateAdminKey(ctx, s, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "Created admin key %q (id %s). Copy it now: it will not be shown again.\n", t.Name, t.ID)
		fmt.Fprintln(env.stdout, text)
		return nil
	}
	text, t, err := (&token.Service{Store: s}).Create(ctx, cliActor, *org, kind, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Created %s %q (id %s). Copy it now: it will not be shown again.\n", kindLabel(kind), t.Name, t.ID)
	fmt.Fprintln(env.stdout, text)
	return nil
}

func kindLabel(k store.TokenKind) string {
	if k == store.TokenAPI {
		return "API key"
	}
	return "SCIM token"
}

func tokenList(ctx context.Context, env *environment, args []string, group string, kind store.TokenKind) error {
	f := newFlags(env, group+" list", group+" list --org ID", "Lists an organization's tokens, newest first. Secrets are never shown.")
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
	list, err := (&token.Service{Store: s}).List(ctx, *org, kind)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tENDS WITH\tCREATED\tLAST USED\tSTATUS")
	for _, t := range list {
		status := "active"
		if t.Revoked() {
			status = "revoked " + t.RevokedAt.Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t…%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Hint, t.CreatedAt.Format(time.DateTime), never(t.LastUsedAt), status)
	}
	return tw.Flush()
}

func never(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Format(time.DateTime)
}

func tokenRevoke(ctx context.Context, env *environment, args []string, group string, kind store.TokenKind) error {
	f := newFlags(env, group+" revoke", group+" revoke --org ID --id TOKEN_ID", "Revokes a token: it stops working at once.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required)")
	id := f.String("id", "", `token id, as shown by "roster `+group+` list" (required)`)
	if err := f.parse(args); err != nil {
		return err
	}
	if *org == "" || *id == "" {
		return fmt.Errorf("--org and --id are required")
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := (&token.Service{Store: s}).Revoke(ctx, cliActor, *org, *id)
	if err != nil {
		return err
	}
	if t.Kind != kind {
		return fmt.Errorf("%s is a %s, not a %s", t.ID, kindLabel(t.Kind), kindLabel(kind))
	}
	fmt.Fprintf(env.stdout, "revoked %s %q (%s)\n", kindLabel(kind), t.Name, t.ID)
	return nil
}

func adminUsage(kind store.TokenKind) string {
	if kind == store.TokenAPI {
		return "\n       roster apikey create --admin [--name NAME]"
	}
	return ""
}
