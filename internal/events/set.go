package events

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// The RFC 9967 §2.4 provisioning event URIs roster sends. Only the
// "notice" forms: they list the attributes that changed and carry no
// personal data, which receivers fetch with a SCIM GET if they need it
// (RFC 9967 §2.4.1).
const (
	EventCreateNotice = "urn:ietf:params:scim:event:prov:create:notice"
	EventPatchNotice  = "urn:ietf:params:scim:event:prov:patch:notice"
	EventPutNotice    = "urn:ietf:params:scim:event:prov:put:notice"
	EventDelete       = "urn:ietf:params:scim:event:prov:delete"
	EventActivate     = "urn:ietf:params:scim:event:prov:activate"
	EventDeactivate   = "urn:ietf:params:scim:event:prov:deactivate"
)

// SCIMEventURIs lists the event URIs roster can send, for the
// "securityEvents" of ServiceProviderConfig (RFC 9967 §4).
var SCIMEventURIs = []string{EventCreateNotice, EventPatchNotice, EventPutNotice, EventDelete, EventActivate, EventDeactivate}

// SETContentType is the media type of a SET (RFC 8417 §7.2), the body of
// an RFC 8935 push.
const SETContentType = "application/secevent+jwt"

// enterpriseManager is the path (RFC 7644 §3.5.2 "path") of the manager
// attribute, which lives in the enterprise extension.
const enterpriseManager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"

// SubID is the RFC 9967 §2.1 "scim" subject identifier (an RFC 9493
// format).
type SubID struct {
	Format     string `json:"format"`
	URI        string `json:"uri"`
	ExternalID string `json:"externalId,omitempty"`
}

// SCIMEvent maps a roster event to an RFC 9967 event: its URI, its payload
// and its subject. ok is false for events with no SCIM meaning (anything
// but users and groups), which are not sent to scim-events endpoints.
//
//	user.created                                  prov:create:notice  /Users/{id}
//	user.updated                                  prov:put:notice     /Users/{id}
//	user.deactivated, user.reactivated            prov:deactivate, prov:activate
//	user.deleted                                  prov:delete
//	group.created                                 prov:create:notice  /Groups/{id}
//	group.updated                                 prov:put:notice
//	group.members_added, group.members_removed    prov:patch:notice ["members"]
//	group.deleted                                 prov:delete
//
// Updates are "put" because roster stores every change to a user or group
// as a new whole resource (a SCIM PATCH of a user is applied and stored as
// a replacement), and the event data carries that resource's state, not
// what the request named; membership changes are "patch", since they are
// applied as changes to "members" alone.
func SCIMEvent(e store.Event) (uri string, payload map[string]any, sub SubID, ok bool) {
	var data map[string]any
	if len(e.Data) > 0 {
		if err := json.Unmarshal(e.Data, &data); err != nil {
			return "", nil, SubID{}, false
		}
	}
	sub = SubID{Format: "scim"}
	if x, _ := data["externalId"].(string); x != "" {
		sub.ExternalID = x
	}
	switch e.SubjectType {
	case "user":
		sub.URI = "/Users/" + e.SubjectID
	case "group":
		sub.URI = "/Groups/" + e.SubjectID
	default:
		return "", nil, SubID{}, false
	}
	switch e.Type {
	case "user.created", "group.created":
		return EventCreateNotice, map[string]any{"attributes": attributes(data, "id")}, sub, true
	case "user.updated", "group.updated":
		return EventPutNotice, map[string]any{"attributes": attributes(data)}, sub, true
	case "group.members_added", "group.members_removed":
		return EventPatchNotice, map[string]any{"attributes": []string{"members"}}, sub, true
	case "user.deactivated":
		return EventDeactivate, map[string]any{}, sub, true
	case "user.reactivated":
		return EventActivate, map[string]any{}, sub, true
	case "user.deleted", "group.deleted":
		return EventDelete, map[string]any{}, sub, true
	}
	return "", nil, SubID{}, false
}

// attributes names the SCIM attributes an event's data holds, sorted, with
// extra ones first.
func attributes(data map[string]any, extra ...string) []string {
	out := append([]string{}, extra...)
	var names []string
	for k := range data {
		if k == "manager" {
			k = enterpriseManager
		}
		names = append(names, k)
	}
	sort.Strings(names)
	return append(out, names...)
}

// setClaims are the claims of a SET (RFC 8417 §2.2) as RFC 9967 profiles
// them: sub_id instead of sub (§2.1), no exp.
type setClaims struct {
	Iss    string                    `json:"iss"`
	Iat    int64                     `json:"iat"`
	Jti    string                    `json:"jti"`
	Aud    string                    `json:"aud"`
	Toe    int64                     `json:"toe"`
	SubID  SubID                     `json:"sub_id"`
	Events map[string]map[string]any `json:"events"`
}

// SETClaims returns the claims of the SET for event e, issued at iat by
// issuer for audience; ok is false when e has no SCIM meaning. jti is the
// event's stable id (EventID), the same on every retry and from every
// instance, so a receiver drops duplicates by it; toe is when the change
// was committed.
func SETClaims(e store.Event, issuer, audience string, iat time.Time) (claims []byte, ok bool, err error) {
	uri, payload, sub, ok := SCIMEvent(e)
	if !ok {
		return nil, false, nil
	}
	b, err := json.Marshal(setClaims{
		Iss: issuer, Iat: iat.Unix(), Jti: EventID(e), Aud: audience, Toe: e.At.Unix(),
		SubID: sub, Events: map[string]map[string]any{uri: payload},
	})
	if err != nil {
		return nil, false, fmt.Errorf("encode SET for event %d: %w", e.Seq, err)
	}
	return b, true, nil
}

// audienceOf is the "aud" of the SETs sent to ep.
func audienceOf(ep store.WebhookEndpoint) string {
	if ep.Audience != "" {
		return ep.Audience
	}
	return ep.URL
}

// wantsEvent reports whether ep receives e: its filter matches, and, for a
// scim-events endpoint, e has a SCIM meaning.
func wantsEvent(ep store.WebhookEndpoint, e store.Event) bool {
	if !Matches(ep.EventTypes, e.Type) {
		return false
	}
	if ep.Format == store.FormatSCIMEvents {
		_, _, _, ok := SCIMEvent(e)
		return ok
	}
	return true
}
