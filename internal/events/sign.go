package events

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// secretPrefix marks a Standard Webhooks symmetric secret.
const secretPrefix = "whsec_"

// NewSecret returns a new signing secret: "whsec_" and the base64 of 32
// random bytes (the specification asks for 24 to 64).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make webhook secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// secretKey returns the HMAC key of a secret: the bytes its base64 holds.
func secretKey(secret string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || !strings.HasPrefix(secret, secretPrefix) {
		return nil, fmt.Errorf("webhook secret is not %s + base64", secretPrefix)
	}
	return b, nil
}

// Sign returns the value of webhook-signature for a message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under each secret, space
// separated (the current secret first, then one still in its rotation
// grace period).
func Sign(id string, timestamp int64, body []byte, secrets ...string) (string, error) {
	var sigs []string
	for _, s := range secrets {
		key, err := secretKey(s)
		if err != nil {
			return "", err
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id))
		m.Write([]byte{'.'})
		m.Write([]byte(strconv.FormatInt(timestamp, 10)))
		m.Write([]byte{'.'})
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// signingSecrets returns the secrets that sign at now.
func signingSecrets(ep store.WebhookEndpoint, now time.Time) []string {
	out := []string{ep.Secret}
	if ep.PreviousSecret != "" && now.Before(ep.PreviousSecretUntil) {
		out = append(out, ep.PreviousSecret)
	}
	return out
}

// EventID returns the stable id of an event, sent as webhook-id: the same
// on every attempt, from every instance, and derived from what the event
// feed shows (org_id and seq), so receivers can match the two. It holds no
// '.', which the signed content uses as its separator.
func EventID(e store.Event) string {
	return "evt_" + strings.ReplaceAll(e.OrgID, ".", "_") + "_" + strconv.FormatInt(e.Seq, 10)
}

// Payload returns the body delivered for an event: its type, when it
// happened, and the event as GET /api/v1/events returns it.
func Payload(e store.Event) ([]byte, error) {
	body, err := json.Marshal(struct {
		Type      string      `json:"type"`
		Timestamp string      `json:"timestamp"`
		Data      store.Event `json:"data"`
	}{e.Type, e.At.UTC().Format(time.RFC3339Nano), e})
	if err != nil {
		return nil, fmt.Errorf("encode event %d: %w", e.Seq, err)
	}
	return body, nil
}

// Matches reports whether an endpoint with these filters receives events of
// type typ: every type when there are none, else an exact type or a
// prefix such as "user.*" (which matches "user.created", not "username").
func Matches(filters []string, typ string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f == "*" || f == typ {
			return true
		}
		if p, ok := strings.CutSuffix(f, "*"); ok && strings.HasSuffix(p, ".") && strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}
