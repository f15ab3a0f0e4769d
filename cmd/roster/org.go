package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
)

var cliActor = store.Actor{Kind: "cli", Name: "roster cli"}

// errNoOrg answers a command that names no organization.
var errNoOrg = errors.New(`--org is required: the organization's id, as "roster org list" shows it`)

// org returns the organization a command names. Not finding it most often
// means the command opened another database than the one roster serve
// uses, so the answer names the database and how to list what it holds.
func (s *services) org(ctx context.Context, db *dbFlags, id string) (store.Org, error) {
	o, err := s.orgs.Org(ctx, id)
	if errors.Is(err, fault.NotFound) {
		return o, fault.NotFoundf("organization %q not found in %s; %q lists the organizations there",
			id, db.describe(), db.env.command()+" org list")
	}
	return o, err
}

func runOrg(ctx context.Context, env *environment, args []string) error {
	return subcommand(ctx, env, "org", args, map[string]func(context.Context, *environment, []string) error{
		"create":   orgCreate,
		"list":     orgList,
		"set-plan": orgSetPlan,
		"settings": orgSettings,
		"domain":   orgDomain,
	}, "Manage organizations: each is one customer, with its own users, groups, tokens and settings.")
}

func orgCreate(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "org create", "org create --name NAME [--plan free|enterprise]",
		"Creates an organization and prints its id alone on the last line of stdout.\nSCIM and SAML need the enterprise plan.")
	var db dbFlags
	db.register(f)
	name := f.String("name", "", "the organization's name (required)")
	plan := f.String("plan", "free", `plan: "free" or "enterprise"`)
	if err := f.parse(args); err != nil {
		return err
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	o, err := svc.orgs.CreateOrg(ctx, cliActor, *name, store.Plan(*plan))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Created organization %q on the %s plan.\nNext, a SCIM token for its identity provider: %s token create --org %s%s\n",
		o.Name, o.Plan, env.command(), o.ID, db.args())
	fmt.Fprintln(env.stdout, o.ID)
	return nil
}

func orgList(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "org list", "org list", "Lists every organization with its plan and settings.")
	var db dbFlags
	db.register(f)
	if err := f.parse(args); err != nil {
		return err
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tPLAN\tMEMBERS CREATE WORKSPACES\tGROUP REMOVAL\tCREATED")
	after := ""
	for {
		page, err := svc.orgs.ListOrgs(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, o := range page {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\n", o.ID, o.Name, o.Plan, o.Settings.AllowMembersCreateWorkspaces,
				o.Settings.GroupRemoval, o.CreatedAt.Format("2006-01-02 15:04"))
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	return tw.Flush()
}

func orgSetPlan(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "org set-plan", "org set-plan --org ID --plan free|enterprise", "Changes an organization's plan.")
	var db dbFlags
	db.register(f)
	id := f.String("org", "", "organization id (required)")
	plan := f.String("plan", "", `"free" or "enterprise" (required)`)
	if err := f.parse(args); err != nil {
		return err
	}
	if *id == "" {
		return errNoOrg
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	if _, err := svc.org(ctx, &db, *id); err != nil {
		return err
	}
	o, err := svc.orgs.SetPlan(ctx, cliActor, *id, store.Plan(*plan))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s is on the %s plan\n", o.Name, o.Plan)
	return nil
}

func orgSettings(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "org settings", "org settings --org ID [--allow-members-create-workspaces=true|false] [--group-removal revoke|keep]\n"+
		"    [--sign-in-redirect-url URL] [--scim-rate-limit N]",
		"Shows an organization's settings, changing those given.\n"+
			"group-removal decides what happens to workspace and folder members who joined through a group\n"+
			"once the group no longer gives them access: \"revoke\" ends their access, \"keep\" keeps them\nuntil removed by hand.\n"+
			"sign-in-redirect-url is where a successful sign-in hands the browser to the host app (\"\" clears it);\n"+
			"scim-rate-limit is the requests per second each SCIM token may make (0: the instance's default).")
	var db dbFlags
	db.register(f)
	id := f.String("org", "", "organization id (required)")
	allow := f.String("allow-members-create-workspaces", "", "true: members may create workspaces; false: only owners")
	removal := f.String("group-removal", "", `"revoke" or "keep"`)
	redirect := f.String("sign-in-redirect-url", "", `host app URL a sign-in hands off to, with ?code=&state= ("" clears it)`)
	rate := f.Int("scim-rate-limit", 0, "requests per second per SCIM token (0: the instance's default)")
	if err := f.parse(args); err != nil {
		return err
	}
	if *id == "" {
		return errNoOrg
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	o, err := svc.org(ctx, &db, *id)
	if err != nil {
		return err
	}
	var patch access.SettingsPatch
	if *allow != "" {
		v, err := strconv.ParseBool(*allow)
		if err != nil {
			return fmt.Errorf("--allow-members-create-workspaces must be true or false, not %q", *allow)
		}
		patch.AllowMembersCreateWorkspaces = &v
	}
	if *removal != "" {
		patch.GroupRemoval = (*store.GroupRemoval)(removal)
	}
	f.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "sign-in-redirect-url":
			patch.SignInRedirectURL = redirect
		case "scim-rate-limit":
			patch.SCIMRateLimit = rate
		}
	})
	if patch != (access.SettingsPatch{}) {
		if o, err = svc.orgs.UpdateSettings(ctx, cliActor, *id, patch); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "allow_members_create_workspaces=%t\ngroup_removal=%s\nsign_in_redirect_url=%s\nscim_rate_limit=%d\n",
		o.Settings.AllowMembersCreateWorkspaces, o.Settings.GroupRemoval, o.Settings.SignInRedirectURL, o.Settings.SCIMRateLimit)
	return nil
}

// orgDomain manages an organization's verified e-mail domains: discovery
// (/auth/saml/discover) sends people of a domain to its organization's
// sign-in.
func orgDomain(ctx context.Context, env *environment, args []string) error {
	verb := func(name string) func(context.Context, *environment, []string) error {
		return func(ctx context.Context, env *environment, args []string) error {
			return orgDomainRun(ctx, env, name, args)
		}
	}
	return subcommand(ctx, env, "org domain", args, map[string]func(context.Context, *environment, []string) error{
		"add": verb("add"), "remove": verb("remove"), "list": verb("list"),
	}, "Manage an organization's verified e-mail domains. A domain belongs to one organization at most;\n"+
		"people whose address is in it find their sign-in at /auth/saml/discover. Add only domains you have verified.")
}

func orgDomainRun(ctx context.Context, env *environment, verb string, args []string) error {
	usage := "org domain " + verb + " --org ID"
	if verb != "list" {
		usage += " --domain example.com"
	}
	f := newFlags(env, "org domain "+verb, usage, "Adds, removes or lists the organization's verified e-mail domains.")
	var db dbFlags
	db.register(f)
	id := f.String("org", "", "organization id (required)")
	domain := f.String("domain", "", "the e-mail domain, such as example.com")
	if err := f.parse(args); err != nil {
		return err
	}
	if *id == "" {
		return errNoOrg
	}
	if verb != "list" && *domain == "" {
		return errors.New("--domain is required: the e-mail domain, such as example.com")
	}
	svc, err := db.services(ctx)
	if err != nil {
		return err
	}
	defer svc.Close()
	if _, err := svc.org(ctx, &db, *id); err != nil {
		return err
	}
	saml := &sso.Service{Store: svc.db, Orgs: svc.orgs}
	switch verb {
	case "add":
		d, err := saml.AddDomain(ctx, cliActor, *id, *domain)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "Domain %s added: people with an address there are sent to this organization's sign-in.\n", d.Domain)
	case "remove":
		if err := saml.RemoveDomain(ctx, cliActor, *id, *domain); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "Domain %s removed.\n", *domain)
	}
	ds, err := saml.Domains(ctx, *id)
	if err != nil {
		return err
	}
	for _, d := range ds {
		fmt.Fprintln(env.stdout, d.Domain)
	}
	return nil
}
