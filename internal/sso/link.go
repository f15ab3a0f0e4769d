package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// Refusal reasons of the HTTP layer, next to saml.Reason's codes.
const (
	reasonOtherBrowser = "other_browser"
	reasonUnknownUser  = "unknown_user"
	reasonDeactivated  = "user_deactivated"
	reasonAmbiguous    = "ambiguous_user"
	reasonNoSubject    = "no_subject_value"
)

// reasonMessage is the sentence shown to the person signing in. It never
// contains values from the request.
func reasonMessage(reason string) string {
	switch reason {
	case reasonOtherBrowser:
		return "This sign-in was started in a different browser. Start again from this browser."
	case reasonUnknownUser:
		return "Your identity provider signed you in, but your account has not been provisioned to roster for this organization."
	case reasonDeactivated:
		return "Your account in this organization is deactivated."
	case reasonAmbiguous:
		return "Your identity matches more than one account in this organization, so roster cannot tell which one is yours."
	case reasonNoSubject:
		return "The identity provider did not send the attribute this organization uses to identify users."
	}
	return saml.Reason(reason).Message()
}

// linkError is a refusal decided while linking the subject to a user.
type linkError struct {
	reason, detail, userID string
}

func (e *linkError) Error() string { return e.reason + ": " + e.detail }

// Well-known attribute names: Entra's claims and the names docs/saml.md
// asks Okta administrators to use.
var (
	attrDisplayName = []string{"http://schemas.microsoft.com/identity/claims/displayname", "displayName", "name"}
	attrGivenName   = []string{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "firstName", "givenName"}
	attrFamilyName  = []string{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "lastName", "familyName"}
	attrEmail       = []string{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "email", "mail"}
)

func firstAttr(a *saml.Assertion, names []string) string {
	for _, n := range names {
		if v := a.Attributes[n]; len(v) > 0 && strings.TrimSpace(v[0]) != "" {
			return strings.TrimSpace(v[0])
		}
	}
	return ""
}

// link finds the provisioned user the assertion names: the subject value
// (the NameID, or the configured attribute) compared with userName
// ignoring case, or with externalId exactly. Unknown subjects are created
// when just-in-time provisioning is on; deactivated users are refused.
func (h *Handler) link(ctx context.Context, o store.Org, c store.SAMLConfig, a *saml.Assertion) (store.User, bool, error) {
	value := a.NameID
	if c.LinkAttribute != "" {
		vals := a.Attributes[c.LinkAttribute]
		if len(vals) != 1 || strings.TrimSpace(vals[0]) == "" {
			return store.User{}, false, &linkError{reason: reasonNoSubject,
				detail: fmt.Sprintf("attribute %q has %d values, want exactly one", c.LinkAttribute, len(vals))}
		}
		value = strings.TrimSpace(vals[0])
	}
	field, exact := store.Field{Attr: "username"}, false
	if c.LinkBy == store.LinkByExternalID {
		field, exact = store.Field{Attr: "externalid"}, true
	}
	page, err := h.Users.QueryUsers(ctx, o.ID, store.Query{
		Filter: store.Cmp{Field: field, Op: store.OpEq, Value: value, CaseExact: exact}, Limit: 2,
	})
	if err != nil {
		return store.User{}, false, fmt.Errorf("link SAML subject: %w", err)
	}
	switch {
	case len(page.Items) > 1:
		return store.User{}, false, &linkError{reason: reasonAmbiguous, detail: fmt.Sprintf("%s %q matches several users", c.LinkBy, value)}
	case len(page.Items) == 1:
		u := page.Items[0]
		if !u.Active {
			return u, false, &linkError{reason: reasonDeactivated, detail: "the user is deactivated", userID: u.ID}
		}
		return u, false, nil
	}
	if !c.JITProvisioning {
		return store.User{}, false, &linkError{reason: reasonUnknownUser, detail: fmt.Sprintf("no user with %s %q", c.LinkBy, value)}
	}
	u, err := h.createJIT(ctx, o, c, a, value)
	if err != nil {
		return store.User{}, false, err
	}
	return u, true, nil
}

// createJIT creates an active user from the assertion: userName is the
// subject value (or the e-mail attribute when linking by externalId, which
// then holds the subject value).
func (h *Handler) createJIT(ctx context.Context, o store.Org, c store.SAMLConfig, a *saml.Assertion, value string) (store.User, error) {
	u := store.User{OrgID: o.ID, Active: true, UserName: value}
	email := firstAttr(a, attrEmail)
	if c.LinkBy == store.LinkByExternalID {
		u.ExternalID = value
		u.UserName = email
		if u.UserName == "" {
			u.UserName = a.NameID
		}
	}
	if email == "" && strings.Contains(u.UserName, "@") {
		email = u.UserName
	}
	u.DisplayName = firstAttr(a, attrDisplayName)
	doc := map[string]any{"userName": u.UserName, "active": true}
	if u.ExternalID != "" {
		doc["externalId"] = u.ExternalID
	}
	if u.DisplayName != "" {
		doc["displayName"] = u.DisplayName
	}
	if email != "" {
		doc["emails"] = []any{map[string]any{"value": email, "type": "work", "primary": true}}
		u.Values = append(u.Values,
			store.Value{Attr: "emails", Sub: "value", Str: email},
			store.Value{Attr: "emails", Sub: "type", Str: "work"},
			store.Value{Attr: "emails", Sub: "primary", Str: "true"})
	}
	name := map[string]any{}
	if v := firstAttr(a, attrGivenName); v != "" {
		name["givenName"] = v
		u.Values = append(u.Values, store.Value{Attr: "name", Sub: "givenname", Str: v})
	}
	if v := firstAttr(a, attrFamilyName); v != "" {
		name["familyName"] = v
		u.Values = append(u.Values, store.Value{Attr: "name", Sub: "familyname", Str: v})
	}
	if len(name) > 0 {
		doc["name"] = name
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return store.User{}, fmt.Errorf("just-in-time user: %w", err)
	}
	u.Attributes = b
	actor := store.Actor{Kind: "system", Name: "saml just-in-time provisioning"}
	created, err := h.Users.CreateUser(ctx, actor, u)
	if errors.Is(err, store.ErrConflict) {
		return store.User{}, &linkError{reason: reasonAmbiguous, detail: fmt.Sprintf("just-in-time creation: userName %q is taken by a user linked differently", u.UserName)}
	}
	if err != nil {
		return store.User{}, fmt.Errorf("just-in-time user %q: %w", u.UserName, err)
	}
	return created, nil
}
