package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/fault"
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
		"Manage API keys: the bearer keys the host app uses for the access API of one organization,\n"+
			"and (with --admin) instance admin keys, which create organizations through the API.")
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

// adminFlag registers --admin on the apikey commands; the SCIM token
// commands have no admin kind, and read it as false.
func adminFlag(f *flags, kind store.TokenKind, usage string) *bool {
	if kind != store.TokenAPI {
		return new(bool)
	}
	return f.Bool("admin", false, usage)
}

// adminOrOrg checks that a command names exactly one owner of the tokens
// it works on: --admin (the instance) or --org.
func adminOrOrg(admin bool, org string) error {
	if admin && org != "" {
		return fmt.Errorf("--admin and --org exclude each other: an admin key belongs to no organization")
	}
	if !admin && org == "" {
		return errNoOrg
	}
	return nil
}

func tokenCreate(ctx context.Context, env *environment, args []string, group string, kind store.TokenKind) error {
	f := newFlags(env, group+" create", group+" create --org ID [--name NAME]"+adminUsage(env, kind, "create --admin [--name NAME]"),
		"Creates a token and prints it alone on the last line of stdout. It is shown this once:\nroster keeps only a hash of it.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required unless --admin)")
	name := f.String("name", "", `a name to recognise the token by, e.g. "okta"`)
	admin := adminFlag(f, kind, "create an instance admin key instead: it creates organizations and issues their API keys, and belongs to no organization")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := adminOrOrg(*admin, *org); err != nil {
		return err
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	if *admin {
		text, t, err := svc.tokens.CreateAdmin(ctx, cliActor, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "Created admin key %q (id %s). Copy it now: it will not be shown again.\n", t.Name, t.ID)
		fmt.Fprintln(env.stdout, text)
		return nil
	}
	if _, err := svc.org(ctx, &db, *org); err != nil {
		return err
	}
	text, t, err := svc.tokens.Create(ctx, cliActor, *org, kind, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Created %s %q (id %s). Copy it now: it will not be shown again.\n", kindLabel(kind), t.Name, t.ID)
	fmt.Fprintln(env.stdout, text)
	return nil
}

func kindLabel(k store.TokenKind) string { return token.Label(k) }

// groupOf is the command group that manages tokens of the kind.
func groupOf(k store.TokenKind) string {
	if k == store.TokenSCIM {
		return "token"
	}
	return "apikey"
}

func tokenList(ctx context.Context, env *environment, args []string, group string, kind store.TokenKind) error {
	f := newFlags(env, group+" list", group+" list --org ID"+adminUsage(env, kind, "list --admin"),
		"Lists an organization's tokens (with --admin: the instance admin keys), newest first. Secrets are never shown.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required unless --admin)")
	admin := adminFlag(f, kind, "list the instance admin keys instead")
	if err := f.parse(args); err != nil {
		return err
	}
	if err := adminOrOrg(*admin, *org); err != nil {
		return err
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	var list []store.Token
	if *admin {
		list, err = svc.tokens.ListAdmin(ctx)
	} else if _, err = svc.org(ctx, &db, *org); err == nil {
		list, err = svc.tokens.List(ctx, *org, kind)
	}
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

// revokeDelay says how soon a running roster serve refuses a credential
// revoked here: it keeps token records in memory for a second, and on
// PostgreSQL every instance is told of a revocation when it commits.
const revokeDelay = "within one second (on PostgreSQL, at once)"

func tokenRevoke(ctx context.Context, env *environment, args []string, group string, kind store.TokenKind) error {
	f := newFlags(env, group+" revoke", group+" revoke --org ID --id TOKEN_ID"+adminUsage(env, kind, "revoke --admin ID"),
		"Revokes a token; the id may also follow the flags. A running roster serve refuses it "+revokeDelay+",\n"+
			"and it is never accepted again.")
	var db dbFlags
	db.register(f)
	org := f.String("org", "", "organization id (required unless --admin)")
	id := f.String("id", "", `token id, as shown by "`+env.command()+" "+group+` list" (required)`)
	admin := adminFlag(f, kind, "revoke an instance admin key")
	ids, err := f.parseWithArgs(args)
	if err != nil {
		return err
	}
	if err := adminOrOrg(*admin, *org); err != nil {
		return err
	}
	if *id != "" {
		ids = append([]string{*id}, ids...)
	}
	switch {
	case len(ids) > 1:
		return fmt.Errorf("give one token id, not %d (%s)", len(ids), strings.Join(ids, ", "))
	case len(ids) == 1:
		*id = ids[0]
	default:
		return fmt.Errorf("--id is required: the token's id, as %q shows it", env.command()+" "+group+" list")
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	if *admin {
		t, err := svc.tokens.RevokeAdmin(ctx, cliActor, *id)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "revoked admin key %q (%s)\n", t.Name, t.ID)
		return nil
	}
	if _, err := svc.org(ctx, &db, *org); err != nil {
		return err
	}
	t, err := svc.tokens.RevokeKind(ctx, cliActor, *org, kind, *id)
	var ke *token.KindError
	if errors.As(err, &ke) {
		return fault.Invalidf("%v: revoke it with %s %s revoke --org %s --id %s", ke, env.command(), groupOf(ke.Kind), *org, *id)
	}
	if fault.Is(err, fault.NotFound) {
		return fault.NotFoundf("organization %s has no %s with id %q; %q lists them", *org, kindLabel(kind), *id,
			env.command()+" "+group+" list --org "+*org)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "revoked %s %q (%s)\n", kindLabel(kind), t.Name, t.ID)
	return nil
}

// adminUsage is the usage line of the --admin form of a command, for the
// apikey group only.
func adminUsage(env *environment, kind store.TokenKind, form string) string {
	if kind == store.TokenAPI {
		return "\n       " + env.command() + " apikey " + form
	}
	return ""
}
