package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/store"
)

// Timeout bounds one attempt: a receiver must answer with a 2xx within it.
const Timeout = 15 * time.Second

// excerptBytes is how much of a response the delivery log keeps.
const excerptBytes = 1024

// sender makes attempts.
type sender struct {
	client *http.Client
	now    func() time.Time
	// keys and issuer sign and name the SETs of scim-events endpoints.
	keys   *Keys
	issuer string
}

func newSender(t Targets, now func() time.Time) *sender {
	tr := &http.Transport{
		DialContext:           t.dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: Timeout,
		// Proxies would connect on our behalf, out of the dial checks.
		Proxy: nil,
	}
	return &sender{now: now, client: &http.Client{
		Transport: tr,
		Timeout:   Timeout,
		// The specification counts a 3xx as a failure: the receiver
		// should update its URL, and following would reach wherever it
		// points, past the checks made on the endpoint's URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// attempt is the outcome of one POST.
type attempt struct {
	delivery   store.WebhookDelivery
	retryAfter time.Duration // from Retry-After on 429 and 503; 0 if none
	// acked is a success: a 2xx, or for a SET the 202 RFC 8935 §2.3 asks
	// for.
	acked bool
	// rejected is a SET the receiver refused with the RFC 8935 §2.4 error
	// response: sending it again would be refused again, so it is logged
	// and passed over (§2.3: retransmit only after a recoverable error).
	rejected bool
}

// setError is the RFC 8935 §2.4 error response body.
type setError struct {
	Err         string `json:"err"`
	Description string `json:"description"`
}

// send POSTs event e to ep once, signed, and reports what happened.
func (s *sender) send(ctx context.Context, ep store.WebhookEndpoint, e store.Event) attempt {
	start := s.now()
	a := attempt{delivery: store.WebhookDelivery{
		OrgID: ep.OrgID, EndpointID: ep.ID, Seq: e.Seq, EventType: e.Type, At: start.UTC(),
	}}
	fail := func(err error) attempt {
		a.delivery.Error = err.Error()
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	scimEvents := ep.Format == store.FormatSCIMEvents
	var req *http.Request
	if scimEvents {
		claims, ok, err := SETClaims(e, s.issuer, audienceOf(ep), start)
		if err == nil && !ok {
			err = fmt.Errorf("event %s has no SCIM meaning", e.Type)
		}
		if err != nil {
			return fail(err)
		}
		token, err := s.keys.sign(ctx, claims)
		if err != nil {
			return fail(err)
		}
		if req, err = http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, strings.NewReader(token)); err != nil {
			return fail(fmt.Errorf("build request: %w", err))
		}
		req.Header.Set("Content-Type", SETContentType)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", "roster-scim-events/1")
	} else {
		body, err := Payload(e)
		if err != nil {
			return fail(err)
		}
		id, ts := EventID(e), start.Unix()
		sig, err := Sign(id, ts, body, signingSecrets(ep, start)...)
		if err != nil {
			return fail(err)
		}
		if req, err = http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body)); err != nil {
			return fail(fmt.Errorf("build request: %w", err))
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "roster-webhooks/1")
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", sig)
	}
	t0 := time.Now() // latency is measured on the real clock
	resp, err := s.client.Do(req)
	if err != nil {
		a.delivery.Latency = time.Since(t0)
		if errors.Is(err, errRefusedTarget) {
			return fail(fmt.Errorf("refused: %w", unwrapURL(err)))
		}
		return fail(unwrapURL(err))
	}
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, excerptBytes))
	// Drain a little more so the connection can be reused; a receiver
	// sending more than that gets its connection closed.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // best effort
	resp.Body.Close()
	a.delivery.Latency = time.Since(t0)
	a.delivery.Status = resp.StatusCode
	a.delivery.Response = validText(excerpt)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		a.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), start)
	}
	if !scimEvents {
		a.acked = a.delivery.Succeeded()
		return a
	}
	switch resp.StatusCode {
	case http.StatusAccepted:
		a.acked = true
	case http.StatusBadRequest:
		// Only the error JSON of §2.4 says the SET itself was refused; a
		// bare 400 is a general HTTP error, retried like any other.
		var se setError
		if json.Unmarshal(excerpt, &se) == nil && se.Err != "" {
			a.rejected = true
			a.delivery.Error = "SET rejected: " + se.Err
			if se.Description != "" {
				a.delivery.Error += ": " + se.Description
			}
		}
	default:
		if a.delivery.Succeeded() {
			a.delivery.Error = "RFC 8935 push asks for 202 Accepted"
		}
	}
	return a
}

// unwrapURL drops the *url.Error wrapping, which repeats method and URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// validText keeps the excerpt printable in logs and JSON.
func validText(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// parseRetryAfter reads Retry-After: seconds or an HTTP date; 0 when absent
// or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
