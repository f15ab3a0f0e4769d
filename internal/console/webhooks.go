package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Webhooks is what the Webhooks pages need of the webhook service;
// *events.Service is it. It validates (the SSRF policy included), so the
// pages show its messages next to the fields they are about.
type Webhooks interface {
	Create(ctx context.Context, actor store.Actor, orgID string, sp events.Spec) (store.WebhookEndpoint, error)
	Get(ctx context.Context, orgID, id string) (store.WebhookEndpoint, error)
	List(ctx context.Context, orgID string) ([]store.WebhookEndpoint, error)
	Update(ctx context.Context, actor store.Actor, orgID, id string, version int64, p store.WebhookPatch) (store.WebhookEndpoint, error)
	RotateSecret(ctx context.Context, actor store.Actor, orgID, id string, grace time.Duration) (store.WebhookEndpoint, error)
	Enable(ctx context.Context, actor store.Actor, orgID, id string) (store.WebhookEndpoint, error)
	Disable(ctx context.Context, actor store.Actor, orgID, id, reason string) (store.WebhookEndpoint, error)
	Delete(ctx context.Context, actor store.Actor, orgID, id string) error
	Deliveries(ctx context.Context, orgID, id string, before int64, limit int) ([]store.WebhookDelivery, error)
	Redeliver(ctx context.Context, orgID, id string, seq int64) (store.WebhookDelivery, error)
}

// deliveryPage is how many attempts the endpoint page lists at once.
const deliveryPage = 25

// webhookRow is an endpoint as the pages show it.
type webhookRow struct {
	ID, URL, Description, Events, State, Created string
	// Format names what the endpoint receives, for people.
	Format                                   string
	Enabled, Failing                         bool
	Version                                  int64
	Cursor                                   int64
	PreviousUntil, NextAttempt, FailingSince string
}

func webhookRowOf(ep store.WebhookEndpoint, now time.Time) webhookRow {
	row := webhookRow{ID: ep.ID, URL: ep.URL, Description: ep.Description, Events: "All events",
		Enabled: ep.Enabled, Version: ep.Version, Cursor: ep.Cursor, Created: when(ep.CreatedAt), State: "Enabled",
		Format: "Standard Webhooks"}
	if ep.Format == store.FormatSCIMEvents {
		row.Format = "SCIM events (RFC 9967 SETs)"
	}
	if len(ep.EventTypes) > 0 {
		row.Events = strings.Join(ep.EventTypes, ", ")
	}
	switch {
	case !ep.Enabled:
		row.State = "Disabled"
		if ep.DisabledReason != "" {
			row.State += ": " + ep.DisabledReason
		}
	case !ep.FailingSince.IsZero():
		row.Failing = true
		row.State = fmt.Sprintf("Failing (%d attempts)", ep.Attempts)
		row.FailingSince, row.NextAttempt = when(ep.FailingSince), when(ep.NextAttemptAt)
	}
	if ep.PreviousSecret != "" && ep.PreviousSecretUntil.After(now) {
		row.PreviousUntil = when(ep.PreviousSecretUntil)
	}
	return row
}

// webhookForm is the create and edit form: what was typed, and the
// message next to each field that was refused.
type webhookForm struct {
	URL, Description, Events         string
	URLError, DescError, EventsError string
	// Format is a store format; Audience the SETs' "aud" ("": the URL).
	Format, Audience           string
	FormatError, AudienceError string
	Version                    int64
	Error                      string
}

// SCIMEvents reports whether the form is set to the scim-events format.
func (f webhookForm) SCIMEvents() bool { return f.Format == store.FormatSCIMEvents }

// setError puts the service's message next to the field it is about;
// one the form has no field for goes above the form.
func (f *webhookForm) setError(msg string) {
	msg = sentence(msg)
	switch low := strings.ToLower(msg); {
	case strings.HasPrefix(low, "url"):
		f.URLError = msg
	case strings.HasPrefix(low, "description"):
		f.DescError = msg
	case strings.HasPrefix(low, "format"):
		f.FormatError = msg
	case strings.HasPrefix(low, "audience"):
		f.AudienceError = msg
	case strings.HasPrefix(low, "event type"), strings.Contains(low, "event types per endpoint"):
		f.EventsError = msg
	default:
		f.Error = msg
	}
}

func (f webhookForm) invalid() bool {
	return f.URLError != "" || f.DescError != "" || f.EventsError != "" || f.FormatError != "" || f.AudienceError != "" || f.Error != ""
}

// splitEventTypes reads the event types field: types and prefixes
// separated by commas, spaces or lines; blank means every event.
func splitEventTypes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

type webhooksPage struct {
	Rows   []webhookRow
	Form   webhookForm
	Notice string
}

func (h *Handler) webhooksView(w http.ResponseWriter, r *http.Request, s *session, status int, p webhooksPage) {
	eps, err := h.Webhooks.List(r.Context(), s.org.ID)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	now := time.Now()
	for _, ep := range eps {
		p.Rows = append(p.Rows, webhookRowOf(ep, now))
	}
	h.render(w, r, status, "webhooks", view{Title: "Webhooks", Nav: "webhooks", Org: s.org, CSRF: s.csrf, Data: p})
}

func (h *Handler) webhooks(w http.ResponseWriter, r *http.Request, s *session) {
	h.webhooksView(w, r, s, http.StatusOK, webhooksPage{})
}

// createWebhook makes an endpoint and shows its page with the signing
// secret, the one time it is shown.
func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	f := webhookForm{URL: strings.TrimSpace(r.PostForm.Get("url")), Description: strings.TrimSpace(r.PostForm.Get("description")),
		Events: strings.TrimSpace(r.PostForm.Get("events")),
		Format: r.PostForm.Get("format"), Audience: strings.TrimSpace(r.PostForm.Get("audience"))}
	if f.URL == "" {
		f.URLError = "Give the URL that receives the events, such as https://app.example.com/webhooks/roster."
		h.webhooksView(w, r, s, http.StatusBadRequest, webhooksPage{Form: f})
		return
	}
	ep, err := h.Webhooks.Create(r.Context(), s.actor, s.org.ID, events.Spec{URL: f.URL, Description: f.Description, EventTypes: splitEventTypes(f.Events),
		Format: f.Format, Audience: f.Audience})
	if kind, msg, ok := fault.As(err); ok && kind == fault.Invalid {
		f.setError(msg)
		h.webhooksView(w, r, s, http.StatusBadRequest, webhooksPage{Form: f})
		return
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.webhookView(w, r, s, http.StatusCreated, ep, webhookPage{Secret: ep.Secret,
		SecretNotice: "Endpoint created. Copy its signing secret now: it is shown this once. The receiver verifies the webhook-signature header with it."})
}

// deliveryRow is one attempt of the delivery log.
type deliveryRow struct {
	ID, Seq                                  int64
	At, Type, Attempt, Status, Latency, Text string
	OK                                       bool
}

type webhookPage struct {
	EP                   webhookRow
	Form                 webhookForm
	Deliveries           []deliveryRow
	Next, First          string
	Secret, SecretNotice string
	Notice               string
	Bad                  bool
	Base                 string
	CSRF                 string
}

var webhookNotices = map[string]string{
	"saved":    "Endpoint saved.",
	"enabled":  "Endpoint enabled: delivery resumes at once, from the first event it has not acknowledged.",
	"disabled": "Endpoint disabled: its events wait until it is enabled again.",
}

func (h *Handler) loadWebhook(w http.ResponseWriter, r *http.Request, s *session) (store.WebhookEndpoint, bool) {
	ep, err := h.Webhooks.Get(r.Context(), s.org.ID, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "webhook endpoint", r.PathValue("id")))
		return store.WebhookEndpoint{}, false
	}
	return ep, true
}

func (h *Handler) webhookView(w http.ResponseWriter, r *http.Request, s *session, status int, ep store.WebhookEndpoint, p webhookPage) {
	q := r.URL.Query()
	p.EP, p.Base, p.CSRF = webhookRowOf(ep, time.Now()), Prefix+"/webhooks/"+ep.ID, s.csrf
	if p.Notice == "" {
		p.Notice = webhookNotices[q.Get("done")]
	}
	if !p.Form.invalid() {
		p.Form = webhookForm{URL: ep.URL, Description: ep.Description, Events: strings.Join(ep.EventTypes, ", "),
			Format: ep.Format, Audience: ep.Audience}
	}
	p.Form.Version = ep.Version
	var before int64
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			h.fail(w, r, s, fault.Invalidf("the page of the delivery log %q does not exist; start from the endpoint's page", b))
			return
		}
		before = n
		p.First = p.Base
	}
	ds, err := h.Webhooks.Deliveries(r.Context(), s.org.ID, ep.ID, before, deliveryPage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	if len(ds) > deliveryPage {
		ds = ds[:deliveryPage]
		p.Next = p.Base + "?before=" + strconv.FormatInt(ds[len(ds)-1].ID, 10)
	}
	for _, d := range ds {
		p.Deliveries = append(p.Deliveries, deliveryRowOf(d))
	}
	h.render(w, r, status, "webhook", view{Title: "Webhook " + ep.URL, Nav: "webhooks", Org: s.org, CSRF: s.csrf, Data: p})
}

func deliveryRowOf(d store.WebhookDelivery) deliveryRow {
	row := deliveryRow{ID: d.ID, Seq: d.Seq, At: when(d.At), Type: d.EventType, Attempt: strconv.Itoa(d.Attempt),
		Status: strconv.Itoa(d.Status), Latency: d.Latency.Round(time.Millisecond / 10).String(), Text: d.Response, OK: d.Succeeded() && d.Error == ""}
	if d.Redelivery {
		row.Attempt = "redelivery"
	}
	if d.Status == 0 {
		row.Status, row.Text = "no answer", d.Error
	}
	if r := []rune(row.Text); len(r) > 200 {
		row.Text = string(r[:199]) + "…"
	}
	return row
}

func (h *Handler) webhook(w http.ResponseWriter, r *http.Request, s *session) {
	if ep, ok := h.loadWebhook(w, r, s); ok {
		h.webhookView(w, r, s, http.StatusOK, ep, webhookPage{})
	}
}

// editWebhook saves the form if the endpoint is still at the version the
// form was made from, so an owner does not undo a change made meanwhile
// (by the API, the CLI or another owner) without seeing it.
func (h *Handler) editWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	ep, ok := h.loadWebhook(w, r, s)
	if !ok {
		return
	}
	f := webhookForm{URL: strings.TrimSpace(r.PostForm.Get("url")), Description: strings.TrimSpace(r.PostForm.Get("description")),
		Events: strings.TrimSpace(r.PostForm.Get("events")),
		Format: r.PostForm.Get("format"), Audience: strings.TrimSpace(r.PostForm.Get("audience"))}
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if f.URL == "" {
		f.URLError = "Give the URL that receives the events."
		h.webhookView(w, r, s, http.StatusBadRequest, ep, webhookPage{Form: f})
		return
	}
	types := splitEventTypes(f.Events)
	_, err := h.Webhooks.Update(r.Context(), s.actor, s.org.ID, ep.ID, version, store.WebhookPatch{URL: &f.URL, Description: &f.Description, EventTypes: &types,
		Format: &f.Format, Audience: &f.Audience})
	if fault.Is(err, fault.VersionMismatch) {
		fresh, ok := h.loadWebhook(w, r, s)
		if !ok {
			return
		}
		f.Error = "Someone changed this endpoint after you opened the page. Its current settings are above; the form keeps what you typed: save again to apply it."
		h.webhookView(w, r, s, http.StatusConflict, fresh, webhookPage{Form: f})
		return
	}
	if kind, msg, ok := fault.As(err); ok && kind == fault.Invalid {
		f.setError(msg)
		h.webhookView(w, r, s, http.StatusBadRequest, ep, webhookPage{Form: f})
		return
	}
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "webhook endpoint", ep.ID))
		return
	}
	http.Redirect(w, r, Prefix+"/webhooks/"+ep.ID+"?done=saved", http.StatusSeeOther)
}

func (h *Handler) setWebhookEnabled(enabled bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		ep, ok := h.loadWebhook(w, r, s)
		if !ok {
			return
		}
		var err error
		done := "enabled"
		if enabled {
			_, err = h.Webhooks.Enable(r.Context(), s.actor, s.org.ID, ep.ID)
		} else {
			done = "disabled"
			_, err = h.Webhooks.Disable(r.Context(), s.actor, s.org.ID, ep.ID, "disabled in the console by "+actorName(s.actor))
		}
		if err != nil {
			h.fail(w, r, s, notFoundAs(err, "webhook endpoint", ep.ID))
			return
		}
		http.Redirect(w, r, Prefix+"/webhooks/"+ep.ID+"?done="+done, http.StatusSeeOther)
	}
}

// actorName names the owner acting, for the reasons people read later.
func actorName(a store.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return "an owner"
}

// rotateWebhook makes a new secret and shows it, once; the old one signs
// beside it for a day, so the receiver can switch without losing events.
func (h *Handler) rotateWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	ep, ok := h.loadWebhook(w, r, s)
	if !ok {
		return
	}
	ep, err := h.Webhooks.RotateSecret(r.Context(), s.actor, s.org.ID, ep.ID, 0)
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "webhook endpoint", ep.ID))
		return
	}
	h.webhookView(w, r, s, http.StatusOK, ep, webhookPage{Secret: ep.Secret,
		SecretNotice: "New signing secret made. Copy it now: it is shown this once. The old secret also signs deliveries until " + when(ep.PreviousSecretUntil) + ", so switch the receiver before then."})
}

func (h *Handler) confirmDeleteWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	ep, ok := h.loadWebhook(w, r, s)
	if !ok {
		return
	}
	ds, err := h.Webhooks.Deliveries(r.Context(), s.org.ID, ep.ID, 0, countCap)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	h.render(w, r, http.StatusOK, "workspace_delete", view{Title: "Delete webhook endpoint", Nav: "webhooks", Org: s.org, CSRF: s.csrf, Data: confirmPage{
		Heading: "Delete the webhook endpoint " + ep.URL + "?",
		Text:    "This cannot be undone. The receiver gets no more events from roster; events it has not acknowledged yet are not sent.",
		Losses:  []string{"its signing secret", count(len(ds)) + " delivery attempts in its log"},
		Action:  Prefix + "/webhooks/" + ep.ID + "/delete", Button: "Delete endpoint", Back: Prefix + "/webhooks/" + ep.ID}})
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	ep, ok := h.loadWebhook(w, r, s)
	if !ok {
		return
	}
	if err := h.Webhooks.Delete(r.Context(), s.actor, s.org.ID, ep.ID); err != nil {
		h.fail(w, r, s, notFoundAs(err, "webhook endpoint", ep.ID))
		return
	}
	h.webhooksView(w, r, s, http.StatusOK, webhooksPage{Notice: "Endpoint " + ep.URL + " deleted."})
}

// redeliverWebhook sends one event again and says how it went on the
// endpoint's page; the attempt is at the top of the log.
func (h *Handler) redeliverWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	ep, ok := h.loadWebhook(w, r, s)
	if !ok {
		return
	}
	seq, err := strconv.ParseInt(r.PostForm.Get("seq"), 10, 64)
	if err != nil {
		h.webhookView(w, r, s, http.StatusBadRequest, ep, webhookPage{Notice: "Choose an event of the delivery log to send again.", Bad: true})
		return
	}
	d, err := h.Webhooks.Redeliver(r.Context(), s.org.ID, ep.ID, seq)
	if kind, msg, ok := fault.As(err); ok && (kind == fault.Invalid || kind == fault.NotFound) {
		h.webhookView(w, r, s, http.StatusBadRequest, ep, webhookPage{Notice: sentence(msg), Bad: true})
		return
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	p := webhookPage{Notice: fmt.Sprintf("Event %d (%s) sent again: the receiver answered %d in %s.", d.Seq, d.EventType, d.Status, d.Latency.Round(time.Millisecond/10))}
	if !d.Succeeded() || d.Error != "" {
		p.Bad = true
		if d.Status == 0 {
			p.Notice = fmt.Sprintf("Event %d (%s) could not be sent again: %s.", d.Seq, d.EventType, d.Error)
		} else {
			p.Notice = fmt.Sprintf("Event %d (%s) was sent again, but the receiver answered %d.", d.Seq, d.EventType, d.Status)
		}
	}
	h.webhookView(w, r, s, http.StatusOK, ep, p)
}
