package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/store"
)

// allowPrivateFlag is shared by serve and webhook: the environment
// variable ROSTER_WEBHOOK_ALLOW_PRIVATE_TARGETS sets both.
const allowPrivateFlag = "webhook-allow-private-targets"

const allowPrivateUsage = "let webhooks reach loopback, private, link-local and metadata addresses over http or https (tests, receivers on your own network); off, only public https targets are accepted"

func runWebhook(ctx context.Context, env *environment, args []string) error {
	return subcommand(ctx, env, "webhook", args, map[string]func(context.Context, *environment, []string) error{
		"create":        webhookCreate,
		"list":          webhookList,
		"update":        webhookUpdate,
		"rotate-secret": webhookRotate,
		"disable":       webhookSetEnabled(false),
		"enable":        webhookSetEnabled(true),
		"delete":        webhookDelete,
		"deliveries":    webhookDeliveries,
		"redeliver":     webhookRedeliver,

		"rotate-signing-key": webhookRotateSigningKey,
	}, "Manage webhook endpoints: URLs of the host app that receive an organization's events, signed\n"+
		"(Standard Webhooks, or RFC 9967 SCIM events with --format scim-events) and in order. A running\n"+
		"\"roster serve\" picks changes up within a second. docs/events.md lists the events and shows how\n"+
		"to verify a signature.")
}

// webhookFlags are the flags of every webhook command.
type webhookFlags struct {
	*flags
	db           dbFlags
	org          *string
	allowPrivate *bool
}

func newWebhookFlags(env *environment, verb, usage, about string) *webhookFlags {
	f := &webhookFlags{flags: newFlags(env, "webhook "+verb, "webhook "+verb+" "+usage, about)}
	f.db.register(f.flags)
	f.org = f.String("org", "", "organization id (required)")
	f.allowPrivate = f.Bool(allowPrivateFlag, false, allowPrivateUsage)
	return f
}

// open parses args and opens the service; id is the --id flag if asked for.
func (f *webhookFlags) open(ctx context.Context, args []string, id *string) (*events.Service, func(), error) {
	if err := f.parse(args); err != nil {
		return nil, nil, err
	}
	if f.NArg() > 0 {
		return nil, nil, fmt.Errorf("unexpected argument %q; every value is a flag", f.Arg(0))
	}
	if *f.org == "" {
		return nil, nil, errNoOrg
	}
	if id != nil && *id == "" {
		return nil, nil, fmt.Errorf(`--id is required: the endpoint's id, as "roster webhook list" shows it`)
	}
	s, err := f.db.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc := &events.Service{Store: s, Targets: events.Targets{AllowPrivate: *f.allowPrivate}}
	return svc, func() { s.Close() }, nil
}

// splitTypes reads --events: comma- or space-separated types and prefixes.
func splitTypes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

func printEndpoint(w io.Writer, ep store.WebhookEndpoint) {
	types := "all"
	if len(ep.EventTypes) > 0 {
		types = strings.Join(ep.EventTypes, ",")
	}
	state := "enabled"
	if !ep.Enabled {
		state = "disabled"
		if ep.DisabledReason != "" {
			state += ": " + ep.DisabledReason
		}
	}
	fmt.Fprintf(w, "id:          %s\nurl:         %s\ndescription: %s\nformat:      %s\nevents:      %s\nstate:       %s\ncursor:      %d\n",
		ep.ID, ep.URL, ep.Description, ep.Format, types, state, ep.Cursor)
	if ep.Format == store.FormatSCIMEvents {
		aud := ep.Audience
		if aud == "" {
			aud = ep.URL + " (the URL)"
		}
		fmt.Fprintf(w, "audience:    %s\n", aud)
	}
	if !ep.FailingSince.IsZero() {
		fmt.Fprintf(w, "failing:     since %s, %d attempts, next at %s\n",
			ep.FailingSince.Format(time.RFC3339), ep.Attempts, ep.NextAttemptAt.Format(time.RFC3339))
	}
}

func webhookCreate(ctx context.Context, env *environment, args []string) error {
	f := newWebhookFlags(env, "create", "--org ID --url URL [--events TYPES] [--description TEXT]",
		"Creates an endpoint, prints it, then its signing secret alone on the last line of stdout. The\n"+
			"secret is shown this once. The endpoint receives what happens from now on.")
	url := f.String("url", "", "https URL that receives the events (required)")
	types := f.String("events", "", `event types and prefixes, comma-separated, e.g. "user.*,group.members_added" (default: all)`)
	desc := f.String("description", "", "what the endpoint is for")
	disabled := f.Bool("disabled", false, "create it disabled")
	format := f.String("format", store.FormatStandardWebhooks, formatUsage)
	audience := f.String("audience", "", audienceUsage)
	svc, done, err := f.open(ctx, args, nil)
	if err != nil {
		return err
	}
	defer done()
	if *url == "" {
		return fmt.Errorf("--url is required: where the events are POSTed, e.g. https://app.example.com/webhooks/roster")
	}
	ep, err := svc.Create(ctx, cliActor, *f.org, events.Spec{URL: *url, Description: *desc, EventTypes: splitTypes(*types), Disabled: *disabled,
		Format: *format, Audience: *audience})
	if err != nil {
		return err
	}
	printEndpoint(env.stdout, ep)
	fmt.Fprintln(env.stderr, "Copy the signing secret now: it will not be shown again (rotate-secret makes a new one).")
	fmt.Fprintln(env.stdout, ep.Secret)
	return nil
}

func webhookList(ctx context.Context, env *environment, args []string) error {
	f := newWebhookFlags(env, "list", "--org ID", "Lists an organization's endpoints. Secrets are never shown.")
	svc, done, err := f.open(ctx, args, nil)
	if err != nil {
		return err
	}
	defer done()
	eps, err := svc.List(ctx, *f.org)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tURL\tEVENTS\tSTATE\tCURSOR\tDESCRIPTION")
	for _, ep := range eps {
		types, state := "all", "enabled"
		if len(ep.EventTypes) > 0 {
			types = strings.Join(ep.EventTypes, ",")
		}
		if !ep.Enabled {
			state = "disabled"
		} else if !ep.FailingSince.IsZero() {
			state = fmt.Sprintf("failing (%d attempts)", ep.Attempts)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", ep.ID, ep.URL, types, state, ep.Cursor, ep.Description)
	}
	return tw.Flush()
}

func webhookUpdate(ctx context.Context, env *environment, args []string) error {
	f := newWebhookFlags(env, "update", "--org ID --id ID [--url URL] [--events TYPES] [--description TEXT]",
		"Changes an endpoint; flags not given are kept. --events \"\" delivers every event again.")
	id := f.String("id", "", "endpoint id (required)")
	url := f.String("url", "", "new URL")
	types := f.String("events", "", "new event types and prefixes, comma-separated; empty for all")
	desc := f.String("description", "", "new description")
	format := f.String("format", "", formatUsage)
	audience := f.String("audience", "", audienceUsage)
	svc, done, err := f.open(ctx, args, id)
	if err != nil {
		return err
	}
	defer done()
	var p store.WebhookPatch
	set := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["url"] {
		p.URL = url
	}
	if set["description"] {
		p.Description = desc
	}
	if set["events"] {
		t := splitTypes(*types)
		p.EventTypes = &t
	}
	if set["format"] {
		p.Format = format
	}
	if set["audience"] {
		p.Audience = audience
	}
	if p.URL == nil && p.Description == nil && p.EventTypes == nil && p.Format == nil && p.Audience == nil {
		return fmt.Errorf("nothing to change: give --url, --events, --description, --format or --audience")
	}
	ep, err := svc.Update(ctx, cliActor, *f.org, *id, 0, p)
	if err != nil {
		return err
	}
	printEndpoint(env.stdout, ep)
	return nil
}

const (
	formatUsage   = `what is POSTed: "standard-webhooks", or "scim-events" for RFC 9967 Security Event Tokens (RFC 8935 push)`
	audienceUsage = `the "aud" of the SETs of a scim-events endpoint (default: its URL)`
)

// webhookRotateSigningKey makes a new key for the SETs of scim-events
// endpoints. It takes no --org: one key signs for every organization, as
// the JWKS at events.JWKSPath is the server's.
func webhookRotateSigningKey(ctx context.Context, env *environment, args []string) error {
	f := newFlags(env, "webhook rotate-signing-key", "webhook rotate-signing-key [--grace DURATION]",
		"Makes a new key to sign the SETs sent to scim-events endpoints, on every instance within a\n"+
			"second. The old key stays in "+events.JWKSPath+" for the grace period, so receivers\n"+
			"that cached the JWKS, and SETs signed just before, still verify.")
	var db dbFlags
	db.register(f)
	grace := f.Duration("grace", events.DefaultKeyGrace, "how long the old key stays published (at most 2160h)")
	if err := f.parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; every value is a flag", f.Arg(0))
	}
	s, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	g := *grace
	if g == 0 {
		g = time.Nanosecond // Keys reads 0 as the default; 0s means at once
	}
	kid, err := (&events.Keys{Store: s}).Rotate(ctx, g)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "New signing key; the old one stays published until %s.\n", time.Now().Add(g).UTC().Format(time.RFC3339))
	fmt.Fprintln(env.stdout, kid)
	return nil
}

func webhookRotate(ctx context.Context, env *environment, args []string) error {
	f := newWebhookFlags(env, "rotate-secret", "--org ID --id ID [--grace DURATION]",
		"Makes a new signing secret and prints it alone on the last line of stdout. The old secret also\n"+
			"signs for the grace period, so receivers can switch without losing a delivery.")
	id := f.String("id", "", "endpoint id (required)")
	grace := f.Duration("grace", events.DefaultRotationGrace, "how long the old secret keeps signing (0s ends it now; at most 168h)")
	svc, done, err := f.open(ctx, args, id)
	if err != nil {
		return err
	}
	defer done()
	g := *grace
	if g == 0 {
		g = -1 // Service reads 0 as the default
	}
	ep, err := svc.RotateSecret(ctx, cliActor, *f.org, *id, g)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Rotated the secret of %s; the old one signs until %s. Copy the new one now.\n", ep.ID, ep.PreviousSecretUntil.Format(time.RFC3339))
	fmt.Fprintln(env.stdout, ep.Secret)
	return nil
}

func webhookSetEnabled(enabled bool) func(context.Context, *environment, []string) error {
	verb, about := "disable", "Stops delivery to an endpoint; its events wait behind its cursor until it is enabled."
	if enabled {
		verb, about = "enable", "Resumes delivery at once, from the first event the endpoint has not acknowledged."
	}
	return func(ctx context.Context, env *environment, args []string) error {
		f := newWebhookFlags(env, verb, "--org ID --id ID", about)
		id := f.String("id", "", "endpoint id (required)")
		reason := new(string)
		if !enabled {
			reason = f.String("reason", "", "why, shown by list and in the webhook.disabled event")
		}
		svc, done, err := f.open(ctx, args, id)
		if err != nil {
			return err
		}
		defer done()
		var ep store.WebhookEndpoint
		if enabled {
			ep, err = svc.Enable(ctx, cliActor, *f.org, *id)
		} else {
			ep, err = svc.Disable(ctx, cliActor, *f.org, *id, *reason)
		}
		if err != nil {
			return err
		}
		printEndpoint(env.stdout, ep)
		return nil
	}
}

func webhookDelete(ctx context.Context, env *environment, args []string) error {
	f := newWebhookFlags(env, "delete", "--org ID --id ID", "Deletes an endpoint and its delivery log.")
	id := f.String("id", "", "endpoint id (required)")
	svc, done, err := f.open(ctx, args, id)
	if err != nil {
		return err
	}
	defer done()
	if err := svc.Delete(ctx, cliActor, *f.org, *id); err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "Deleted webhook endpoint %s.\n", *id)
	return nil
}

func webhookDeliveries(ctx context.Context, env *environment, args []string) error {
	f := newWebhookFlags(env, "deliveries", "--org ID --id ID [--limit N] [--before DELIVERY]",
		"Lists an endpoint's delivery attempts, newest first: time, event, status, latency, response.")
	id := f.String("id", "", "endpoint id (required)")
	limit := f.Int("limit", 50, "how many attempts (1 to 1000)")
	before := f.Int64("before", 0, "list attempts older than this delivery id")
	svc, done, err := f.open(ctx, args, id)
	if err != nil {
		return err
	}
	defer done()
	ds, err := svc.Deliveries(ctx, *f.org, *id, *before, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DELIVERY\tAT\tSEQ\tTYPE\tATTEMPT\tSTATUS\tLATENCY\tRESPONSE")
	for _, d := range ds {
		attempt := strconv.Itoa(d.Attempt)
		if d.Redelivery {
			attempt = "redelivery"
		}
		status, resp := strconv.Itoa(d.Status), d.Response
		if d.Status == 0 {
			status, resp = "-", d.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.At.Format(time.RFC3339), d.Seq, d.EventType,
			attempt, status, d.Latency.Round(time.Millisecond/10), oneLine(resp, 80))
	}
	return tw.Flush()
}

// oneLine shortens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func webhookRedeliver(ctx context.Context, env *environment, args []string) error {
	f := newWebhookFlags(env, "redeliver", "--org ID --id ID --seq N",
		"Sends one event to the endpoint again now, whatever its filter and cursor, and logs the attempt.\n"+
			"In-order delivery goes on as before. Fails unless the receiver answers with a 2xx.")
	id := f.String("id", "", "endpoint id (required)")
	seq := f.Int64("seq", 0, "the event's seq, as GET /api/v1/events or deliveries shows it (required)")
	svc, done, err := f.open(ctx, args, id)
	if err != nil {
		return err
	}
	defer done()
	d, err := svc.Redeliver(ctx, *f.org, *id, *seq)
	if err != nil {
		return err
	}
	if !d.Succeeded() || d.Error != "" {
		if d.Status == 0 {
			return fmt.Errorf("redelivery of event %d failed: %s", d.Seq, d.Error)
		}
		return fmt.Errorf("redelivery of event %d failed: the endpoint answered %d: %s", d.Seq, d.Status, oneLine(d.Response, 200))
	}
	fmt.Fprintf(env.stdout, "delivered event %d (%s): %d in %s\n", d.Seq, d.EventType, d.Status, d.Latency.Round(time.Millisecond/10))
	return nil
}
