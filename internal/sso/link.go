package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

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

// Link finds the provisioned user the assertion names: the subject value
// (the NameID, or the configured attribute) compared with userName
// ignoring case, or with externalId exactly. Unknown subjects are created
// when just-in-time provisioning is on; deactivated users
// are refused. Every refusal is a *Refusal. The bool reports a user created
// just in time.
func (s *Service) Link(ctx context.Context, o store.Org, c store.SAMLConfig, a *saml.Assertion) (store.User, bool, error) {
	u, value, err := s.find(ctx, o, c, a)
	if err != nil || u.ID != "" {
		return u, false, err
	}
	if !c.JITProvisioning {
		return store.User{}, false, &Refusal{Reason: ReasonUnknownUser, Detail: fmt.Sprintf("no user with %s %q", c.LinkBy, value)}
	}
	u, err = s.createJIT(ctx, o, c, a, value)
	if err != nil {
		return store.User{}, false, err
	}
	return u, true, nil
}

// find returns the active user the assertion names, or no user (and no
// error) when none has its subject value, which it returns too. Every
// refusal is a *Refusal.
func (s *Service) find(ctx context.Context, o store.Org, c store.SAMLConfig, a *saml.Assertion) (store.User, string, error) {
	value := a.NameID
	if c.LinkAttribute != "" {
		vals := a.Attributes[c.LinkAttribute]
		if len(vals) != 1 || strings.TrimSpace(vals[0]) == "" {
			return store.User{}, "", &Refusal{Reason: ReasonNoSubject,
				Detail: fmt.Sprintf("attribute %q has %d values, want exactly one", c.LinkAttribute, len(vals))}
		}
		value = strings.TrimSpace(vals[0])
	}
	field, exact := store.Field{Attr: "username"}, false
	if c.LinkBy == store.LinkByExternalID {
		field, exact = store.Field{Attr: "externalid"}, true
	}
	page, err := s.Users.QueryUsers(ctx, o.ID, store.Query{
		Filter: store.Cmp{Field: field, Op: store.OpEq, Value: value, CaseExact: exact}, Limit: 2,
	})
	if err != nil {
		return store.User{}, value, fmt.Errorf("link SAML subject: %w", err)
	}
	switch {
	case len(page.Items) > 1:
		return store.User{}, value, &Refusal{Reason: ReasonAmbiguous, Detail: fmt.Sprintf("%s %q matches several users", c.LinkBy, value)}
	case len(page.Items) == 1:
		u := page.Items[0]
		if !u.Active {
			return u, value, &Refusal{Reason: ReasonDeactivated, Detail: "the user is deactivated", UserID: u.ID}
		}
		return u, value, nil
	}
	return store.User{}, value, nil
}

// createJIT creates an active user from the assertion: userName is the
// subject value (or the e-mail attribute when linking by externalId, which
// then holds the subject value).
func (s *Service) createJIT(ctx context.Context, o store.Org, c store.SAMLConfig, a *saml.Assertion, value string) (store.User, error) {
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
	created, err := s.Users.CreateUser(ctx, actor, u)
	if fault.Is(err, fault.Conflict) {
		return store.User{}, &Refusal{Reason: ReasonAmbiguous, Detail: fmt.Sprintf("just-in-time creation: userName %q is taken by a user linked differently", u.UserName)}
	}
	if err != nil {
		return store.User{}, fmt.Errorf("just-in-time user %q: %w", u.UserName, err)
	}
	return created, nil
}
