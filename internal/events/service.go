package events

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Store is what the package needs of the store.
type Store interface {
	store.WebhookStore
	store.EventStore
}

// DefaultRotationGrace is how long a rotated-out secret keeps signing.
const DefaultRotationGrace = 24 * time.Hour

// Limits on what an endpoint may hold.
const (
	maxURL         = 2048
	maxDescription = 500
	maxEventTypes  = 64
)

// eventType is a type ("user.created") or a prefix of one ("user.*"), or
// "*": full-stop separated identifiers of [a-z0-9_], as the specification
// recommends.
var eventType = regexp.MustCompile(`^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$`)

// Service manages an organization's webhook endpoints.
type Service struct {
	Store Store
	// Targets is the SSRF policy URLs are checked against.
	Targets Targets
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Keys and Issuer sign and name the SETs redelivered to scim-events
	// endpoints, as in Dispatcher.
	Keys   *Keys
	Issuer string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Spec is what a person chooses about an endpoint.
type Spec struct {
	URL         string
	Description string
	// EventTypes are types and prefixes ("user.*"); none means all.
	EventTypes []string
	// Disabled creates the endpoint disabled.
	Disabled bool
	// Format is store.FormatStandardWebhooks (also when empty) or
	// store.FormatSCIMEvents.
	Format string
	// Audience is the "aud" of a scim-events endpoint's SETs; empty means
	// the URL.
	Audience string
}

// checkFormat validates a format, "" standing for the default.
func checkFormat(f string) (string, error) {
	switch f {
	case "", store.FormatStandardWebhooks:
		return store.FormatStandardWebhooks, nil
	case store.FormatSCIMEvents:
		return f, nil
	}
	return "", fault.Invalidf("format %q: use %s or %s", f, store.FormatStandardWebhooks, store.FormatSCIMEvents)
}

func checkAudience(a string) error {
	if len(a) > maxURL {
		return fault.Invalidf("audience: at most %d characters", maxURL)
	}
	if strings.TrimSpace(a) != a || strings.ContainsAny(a, "\x00\r\n") {
		return fault.Invalidf("audience %q: no surrounding spaces or control characters", a)
	}
	return nil
}

func checkTypes(types []string) ([]string, error) {
	if len(types) > maxEventTypes {
		return nil, fault.Invalidf("at most %d event types per endpoint, not %d", maxEventTypes, len(types))
	}
	out := make([]string, 0, len(types))
	seen := map[string]bool{}
	for _, t := range types {
		t = strings.TrimSpace(t)
		if !eventType.MatchString(t) {
			return nil, fault.Invalidf("event type %q: use a type such as user.created, a prefix such as user.*, or * for all", t)
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func (s *Service) checkURL(ctx context.Context, u string) error {
	if len(u) > maxURL {
		return fault.Invalidf("url: at most %d characters", maxURL)
	}
	return s.Targets.CheckURL(ctx, u)
}

func checkDescription(d string) error {
	if len(d) > maxDescription {
		return fault.Invalidf("description: at most %d characters", maxDescription)
	}
	return nil
}

// Create stores a new endpoint and returns it with its secret, which is
// shown to the person once: the endpoint as listed later still holds it (it
// must, to sign), but nothing roster prints or logs shows it again.
func (s *Service) Create(ctx context.Context, actor store.Actor, orgID string, sp Spec) (store.WebhookEndpoint, error) {
	if err := s.checkURL(ctx, sp.URL); err != nil {
		return store.WebhookEndpoint{}, err
	}
	if err := checkDescription(sp.Description); err != nil {
		return store.WebhookEndpoint{}, err
	}
	types, err := checkTypes(sp.EventTypes)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	format, err := checkFormat(sp.Format)
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	if err := checkAudience(sp.Audience); err != nil {
		return store.WebhookEndpoint{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return store.WebhookEndpoint{}, fmt.Errorf("create webhook: %w", err)
	}
	secret, err := NewSecret()
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	return s.Store.CreateWebhook(ctx, actor, store.WebhookEndpoint{
		ID: id.String(), OrgID: orgID, URL: sp.URL, Description: sp.Description,
		EventTypes: types, Enabled: !sp.Disabled, Secret: secret, Format: format, Audience: sp.Audience,
	})
}

// Get returns an endpoint.
func (s *Service) Get(ctx context.Context, orgID, id string) (store.WebhookEndpoint, error) {
	return s.Store.GetWebhook(ctx, orgID, id)
}

// List returns the organization's endpoints.
func (s *Service) List(ctx context.Context, orgID string) ([]store.WebhookEndpoint, error) {
	return s.Store.ListWebhooks(ctx, orgID)
}

// Update changes what p sets, validated as in Create; version 0 means
// whatever the current version is.
func (s *Service) Update(ctx context.Context, actor store.Actor, orgID, id string, version int64, p store.WebhookPatch) (store.WebhookEndpoint, error) {
	if p.URL != nil {
		if err := s.checkURL(ctx, *p.URL); err != nil {
			return store.WebhookEndpoint{}, err
		}
	}
	if p.Description != nil {
		if err := checkDescription(*p.Description); err != nil {
			return store.WebhookEndpoint{}, err
		}
	}
	if p.EventTypes != nil {
		types, err := checkTypes(*p.EventTypes)
		if err != nil {
			return store.WebhookEndpoint{}, err
		}
		p.EventTypes = &types
	}
	if p.Format != nil {
		f, err := checkFormat(*p.Format)
		if err != nil {
			return store.WebhookEndpoint{}, err
		}
		p.Format = &f
	}
	if p.Audience != nil {
		if err := checkAudience(*p.Audience); err != nil {
			return store.WebhookEndpoint{}, err
		}
	}
	return s.Store.UpdateWebhook(ctx, actor, orgID, id, version, p)
}

// RotateSecret gives the endpoint a new secret and returns it; the old one
// keeps signing, beside the new, for grace (DefaultRotationGrace when 0;
// negative ends it at once), so the receiver can switch without missing
// a delivery.
func (s *Service) RotateSecret(ctx context.Context, actor store.Actor, orgID, id string, grace time.Duration) (store.WebhookEndpoint, error) {
	if grace == 0 {
		grace = DefaultRotationGrace
	}
	if grace < 0 {
		grace = 0
	}
	if grace > 7*24*time.Hour {
		return store.WebhookEndpoint{}, fault.Invalidf("grace period %s: at most 7 days (168h)", grace)
	}
	secret, err := NewSecret()
	if err != nil {
		return store.WebhookEndpoint{}, err
	}
	return s.Store.RotateWebhookSecret(ctx, actor, orgID, id, secret, s.now().Add(grace))
}

// Enable resumes delivery from the endpoint's cursor, at once: nothing
// that happened while it was disabled is skipped.
func (s *Service) Enable(ctx context.Context, actor store.Actor, orgID, id string) (store.WebhookEndpoint, error) {
	return s.Store.SetWebhookEnabled(ctx, actor, orgID, id, true, "")
}

// Disable stops delivery; events keep accumulating behind the cursor.
func (s *Service) Disable(ctx context.Context, actor store.Actor, orgID, id, reason string) (store.WebhookEndpoint, error) {
	if err := checkDescription(reason); err != nil {
		return store.WebhookEndpoint{}, err
	}
	if reason == "" {
		reason = "disabled by " + actorLabel(actor)
	}
	return s.Store.SetWebhookEnabled(ctx, actor, orgID, id, false, reason)
}

func actorLabel(a store.Actor) string {
	if a.Name != "" {
		return a.Kind + " " + a.Name
	}
	return a.Kind
}

// Delete removes an endpoint and its delivery log.
func (s *Service) Delete(ctx context.Context, actor store.Actor, orgID, id string) error {
	return s.Store.DeleteWebhook(ctx, actor, orgID, id)
}

// Deliveries returns an endpoint's attempts, newest first, before the
// delivery id given (0: the newest), at most limit (1 to 1000).
func (s *Service) Deliveries(ctx context.Context, orgID, id string, before int64, limit int) ([]store.WebhookDelivery, error) {
	if limit < 1 || limit > 1000 {
		return nil, fault.Invalidf("limit %d: use 1 to 1000", limit)
	}
	return s.Store.ListWebhookDeliveries(ctx, orgID, id, before, limit)
}

// Redeliver sends the event numbered seq to the endpoint once more, now,
// whatever its filter and cursor, and logs the attempt as a redelivery. It
// moves no cursor: in-order delivery goes on as before. The attempt is
// returned whether or not the receiver accepted it.
func (s *Service) Redeliver(ctx context.Context, orgID, id string, seq int64) (store.WebhookDelivery, error) {
	ep, err := s.Store.GetWebhook(ctx, orgID, id)
	if err != nil {
		return store.WebhookDelivery{}, err
	}
	if seq < 1 {
		return store.WebhookDelivery{}, fault.Invalidf("seq %d: events are numbered from 1", seq)
	}
	evs, err := s.Store.ListEvents(ctx, orgID, seq-1, 1)
	if err != nil {
		return store.WebhookDelivery{}, err
	}
	if len(evs) == 0 || evs[0].Seq != seq {
		return store.WebhookDelivery{}, fault.NotFoundf("event %d of organization %s does not exist", seq, orgID)
	}
	if ep.Format == store.FormatSCIMEvents {
		if _, _, _, ok := SCIMEvent(evs[0]); !ok {
			return store.WebhookDelivery{}, fault.Invalidf("event %d (%s) has no SCIM meaning; scim-events endpoints do not receive it", seq, evs[0].Type)
		}
	}
	snd := newSender(s.Targets, s.now)
	snd.keys, snd.issuer = s.Keys, s.Issuer
	a := snd.send(ctx, ep, evs[0])
	a.delivery.Attempt, a.delivery.Redelivery = 1, true
	return s.Store.LogWebhookDelivery(ctx, a.delivery)
}
