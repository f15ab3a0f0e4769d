package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/jsontext"
	"github.com/rosterhq/roster/internal/store"
)

// Webhooks is what the API needs of the webhook service: the endpoint
// management of events.Service. Validation (the SSRF policy, event types,
// limits) happens there, so the API, the CLI and the console refuse the
// same things with the same words.
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

// webhookJSON is an endpoint as the API shows it: never its secret, which
// only the answers of create and rotate-secret carry.
type webhookJSON struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Description string `json:"description"`
	// EventTypes is empty when every event is delivered.
	EventTypes []string `json:"event_types"`
	// Format is "standard-webhooks" or "scim-events" (RFC 9967 SETs);
	// Audience is the SETs' "aud", "" meaning the URL.
	Format              string     `json:"format"`
	Audience            string     `json:"audience"`
	Enabled             bool       `json:"enabled"`
	DisabledReason      string     `json:"disabled_reason,omitempty"`
	Cursor              int64      `json:"cursor"`
	Attempts            int        `json:"failed_attempts"`
	FailingSince        *time.Time `json:"failing_since"`
	NextAttemptAt       *time.Time `json:"next_attempt_at"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	Version             int64      `json:"version"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// optTime is t, or nil when it is zero, so JSON says null for "never".
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func webhookOut(ep store.WebhookEndpoint) webhookJSON {
	types := ep.EventTypes
	if types == nil {
		types = []string{}
	}
	out := webhookJSON{
		ID: ep.ID, URL: ep.URL, Description: ep.Description, EventTypes: types,
		Format: ep.Format, Audience: ep.Audience,
		Enabled: ep.Enabled, Cursor: ep.Cursor,
		Attempts: ep.Attempts, FailingSince: optTime(ep.FailingSince),
		Version: ep.Version, CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt,
	}
	if !ep.Enabled {
		// The store keeps the last reason after re-enabling; it no
		// longer describes the endpoint.
		out.DisabledReason = ep.DisabledReason
	}
	if !ep.FailingSince.IsZero() {
		out.NextAttemptAt = optTime(ep.NextAttemptAt)
	}
	if ep.PreviousSecret != "" {
		out.PreviousSecretUntil = optTime(ep.PreviousSecretUntil)
	}
	return out
}

// withSecret is the answer of create and rotate-secret: the endpoint and
// its signing secret, this once.
type withSecret struct {
	webhookJSON
	Secret string `json:"secret"`
	Note   string `json:"note"`
}

type deliveryJSON struct {
	ID         int64     `json:"id"`
	Seq        int64     `json:"seq"`
	EventType  string    `json:"event_type"`
	Attempt    int       `json:"attempt"`
	Redelivery bool      `json:"redelivery"`
	At         time.Time `json:"at"`
	Succeeded  bool      `json:"succeeded"`
	// Status is 0 when no response came; Error then says why.
	Status    int     `json:"status"`
	Error     string  `json:"error,omitempty"`
	LatencyMS float64 `json:"latency_ms"`
	Response  string  `json:"response"`
}

func deliveryOut(d store.WebhookDelivery) deliveryJSON {
	return deliveryJSON{
		ID: d.ID, Seq: d.Seq, EventType: d.EventType, Attempt: d.Attempt, Redelivery: d.Redelivery,
		// A 2xx with an error is a scim-events answer other than the 202
		// RFC 8935 asks for: it is retried, so it did not succeed.
		At: d.At, Succeeded: d.Succeeded() && d.Error == "", Status: d.Status, Error: d.Error,
		LatencyMS: float64(d.Latency.Microseconds()) / 1000, Response: d.Response,
	}
}

// etag is an endpoint's entity tag: its version, which every change made
// by people increases and delivery bookkeeping does not.
func etag(ep store.WebhookEndpoint) string { return `"` + strconv.FormatInt(ep.Version, 10) + `"` }

// ifMatch reads If-Match as an endpoint version; 0 when the header is
// absent or "*" (change whatever is there).
func ifMatch(r *http.Request) (int64, error) {
	s := strings.TrimSpace(r.Header.Get("If-Match"))
	if s == "" || s == "*" {
		return 0, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(s, "W/"), `"`), 10, 64)
	if err != nil || v < 1 {
		return 0, invalid("If-Match %s is not an ETag this API returned: send the ETag header of GET /api/v1/webhooks/{id}, such as \"3\"", s)
	}
	return v, nil
}

// notFound words the store's bare ErrNotFound for an endpoint id; a
// domain fault with its own message (an unknown event) is kept.
func notFound(err error, id string) error {
	var domain *fault.Error
	if errors.As(err, &domain) || !errors.Is(err, fault.NotFound) {
		return err
	}
	return fault.NotFoundf("webhook endpoint %s does not exist in this organization; GET /api/v1/webhooks lists its endpoints", id)
}

// decodeOptional is decode for actions whose body may be left out: an
// empty body keeps v's zero value.
func decodeOptional(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	expects := "the fields " + fieldNames(v)
	if fieldNames(v) == "" {
		expects = "no fields (or send no body)"
	}
	return jsontext.Decode(body, v, expects, true)
}

func (h *Handler) writeWebhook(w http.ResponseWriter, status int, ep store.WebhookEndpoint, secret, note string) {
	w.Header().Set("ETag", etag(ep))
	if secret == "" {
		writeJSON(w, status, webhookOut(ep))
		return
	}
	writeJSON(w, status, withSecret{webhookOut(ep), secret, note})
}

// listWebhooks lists the organization's endpoints in creation order. An
// organization has a handful, so the list is not paged.
func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	eps, err := h.Webhooks.List(r.Context(), principal(r).OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": mapSlice(eps, webhookOut)})
	return nil
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	var body struct {
		URL         string   `json:"url"`
		Description string   `json:"description"`
		EventTypes  []string `json:"event_types"`
		Enabled     *bool    `json:"enabled"`
		Format      string   `json:"format"`
		Audience    string   `json:"audience"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if err := required("url", body.URL); err != nil {
		return invalid("field \"url\" is required: where the events are POSTed, such as https://app.example.com/webhooks/roster")
	}
	ep, err := h.Webhooks.Create(r.Context(), who.Actor(), who.OrgID, events.Spec{
		URL: body.URL, Description: body.Description, EventTypes: body.EventTypes,
		Disabled: body.Enabled != nil && !*body.Enabled, Format: body.Format, Audience: body.Audience,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+ep.ID)
	h.writeWebhook(w, http.StatusCreated, ep, ep.Secret,
		"the secret is shown this once; verify the webhook-signature header with it (docs/events.md)")
	return nil
}

func (h *Handler) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	ep, err := h.Webhooks.Get(r.Context(), principal(r).OrgID, id)
	if err != nil {
		return notFound(err, id)
	}
	h.writeWebhook(w, http.StatusOK, ep, "", "")
	return nil
}

// patchWebhook changes the fields given; with If-Match, only if the
// endpoint is still at that version (412 otherwise), so two people editing
// at once do not silently undo each other.
func (h *Handler) patchWebhook(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	var body struct {
		URL         *string   `json:"url"`
		Description *string   `json:"description"`
		EventTypes  *[]string `json:"event_types"`
		Format      *string   `json:"format"`
		Audience    *string   `json:"audience"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.URL == nil && body.Description == nil && body.EventTypes == nil && body.Format == nil && body.Audience == nil {
		return invalid("nothing to change: send url, description, event_types ([] delivers every event), format or audience")
	}
	ep, err := h.Webhooks.Update(r.Context(), who.Actor(), who.OrgID, id, version, store.WebhookPatch{
		URL: body.URL, Description: body.Description, EventTypes: body.EventTypes, Format: body.Format, Audience: body.Audience,
	})
	if fault.Is(err, fault.VersionMismatch) {
		return &apiError{http.StatusPreconditionFailed, "version_mismatch",
			fmt.Sprintf("webhook endpoint %s changed since version %d: GET it again, reapply your change and send its new ETag", id, version)}
	}
	if err != nil {
		return notFound(err, id)
	}
	h.writeWebhook(w, http.StatusOK, ep, "", "")
	return nil
}

func (h *Handler) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	var body struct {
		// GraceSeconds is how long the old secret keeps signing; absent:
		// a day; 0: it stops at once.
		GraceSeconds *int64 `json:"grace_seconds"`
	}
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	var grace time.Duration
	if g := body.GraceSeconds; g != nil {
		if *g < 0 || *g > 7*24*3600 {
			return invalid("grace_seconds %d: use 0 (the old secret stops now) to 604800 (7 days)", *g)
		}
		grace = time.Duration(*g) * time.Second
		if grace == 0 {
			grace = -1 // the service reads 0 as its default
		}
	}
	ep, err := h.Webhooks.RotateSecret(r.Context(), who.Actor(), who.OrgID, id, grace)
	if err != nil {
		return notFound(err, id)
	}
	h.writeWebhook(w, http.StatusOK, ep, ep.Secret,
		"the new secret is shown this once; the old one also signs until previous_secret_until")
	return nil
}

func (h *Handler) enableWebhook(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	if err := decodeOptional(r, &struct{}{}); err != nil {
		return err
	}
	ep, err := h.Webhooks.Enable(r.Context(), who.Actor(), who.OrgID, id)
	if err != nil {
		return notFound(err, id)
	}
	h.writeWebhook(w, http.StatusOK, ep, "", "")
	return nil
}

func (h *Handler) disableWebhook(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	ep, err := h.Webhooks.Disable(r.Context(), who.Actor(), who.OrgID, id, body.Reason)
	if err != nil {
		return notFound(err, id)
	}
	h.writeWebhook(w, http.StatusOK, ep, "", "")
	return nil
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	if err := h.Webhooks.Delete(r.Context(), who.Actor(), who.OrgID, id); err != nil {
		return notFound(err, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listWebhookDeliveries pages an endpoint's delivery log, newest first;
// the cursor is the last delivery's id.
func (h *Handler) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	after, limit, err := page(r)
	if err != nil {
		return err
	}
	var before int64
	if after != "" {
		if before, err = strconv.ParseInt(after, 10, 64); err != nil || before < 1 {
			return invalid("after is not a cursor of this endpoint's deliveries: pass the \"next\" value of the previous page")
		}
	}
	// The service allows 1000 a page; one more tells whether more exist.
	ask := limit + 1
	if ask > 1000 {
		ask = 1000
	}
	items, err := h.Webhooks.Deliveries(r.Context(), who.OrgID, id, before, ask)
	if err != nil {
		return notFound(err, id)
	}
	more := len(items) > limit
	if more {
		items = items[:limit]
	} else if len(items) == 1000 && limit == 1000 {
		more = true // a full page of the maximum: the next may be empty
	}
	return list(w, mapSlice(items, deliveryOut), more, func(d deliveryJSON) string { return strconv.FormatInt(d.ID, 10) })
}

// redeliverWebhook sends one event again and answers with the attempt,
// 200 whether or not the receiver accepted it: the attempt is what was
// asked for, and succeeded says how it went.
func (h *Handler) redeliverWebhook(w http.ResponseWriter, r *http.Request) error {
	who := principal(r)
	id := r.PathValue("id")
	var body struct {
		Seq int64 `json:"seq"`
	}
	if err := decode(r, &body); err != nil {
		return err
	}
	if body.Seq < 1 {
		return invalid("field \"seq\" is required: the event's seq, as GET /api/v1/events or the delivery log shows it")
	}
	d, err := h.Webhooks.Redeliver(r.Context(), who.OrgID, id, body.Seq)
	if err != nil {
		return notFound(err, id)
	}
	writeJSON(w, http.StatusOK, deliveryOut(d))
	return nil
}
