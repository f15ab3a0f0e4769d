package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// HandoffTTL is how long a hand-off code may wait to be redeemed: the
// browser brings it to the host app at once, and the host app redeems it
// in the same request.
const HandoffTTL = 60 * time.Second

// MaxStateLen bounds the state a host app passes to the login URL.
const MaxStateLen = 512

// ErrBadCode answers every code that cannot be redeemed — unknown, used,
// expired or another organization's — alike, so that an answer tells a
// caller nothing about codes it does not hold.
var ErrBadCode = fault.NotFoundf("the sign-in code is unknown, already redeemed, expired (codes live %d seconds) or belongs to another organization", int(HandoffTTL.Seconds()))

// CheckState accepts the host app's opaque state: at most MaxStateLen
// characters of the URL-safe alphabet (letters, digits, "-", ".", "_",
// "~"), so that it survives the round trip through the IdP and the
// redirect unchanged and cannot smuggle anything into a URL or a page.
func CheckState(state string) error {
	if len(state) > MaxStateLen {
		return fault.Invalidf("state is %d characters long; at most %d are allowed", len(state), MaxStateLen)
	}
	for _, c := range state {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return fault.Invalidf("state may hold only letters, digits and - . _ ~ (base64url or hex of a random value works)")
		}
	}
	return nil
}

// Joined is a membership a sign-in (or a Join click) recorded.
type Joined struct {
	ResourceType store.ResourceType `json:"resource_type"`
	ResourceID   string             `json:"resource_id"`
	// Name is the workspace's or folder's name.
	Name string `json:"name"`
	Role string `json:"role"`
	// Origin is the membership's origin, "group:<id>".
	Origin string `json:"origin"`
}

// joinedOf describes memberships with the names of their resources, read
// from what the user reaches.
func joinedOf(ms []store.ResourceMember, reach []access.Reach) []Joined {
	names := map[string]string{}
	for _, r := range reach {
		names[string(r.ResourceType)+"/"+r.ResourceID] = r.Name
	}
	out := make([]Joined, 0, len(ms))
	for _, m := range ms {
		out = append(out, Joined{ResourceType: m.ResourceType, ResourceID: m.ResourceID,
			Name: names[string(m.ResourceType)+"/"+m.ResourceID], Role: string(m.Role), Origin: m.Origin})
	}
	return out
}

// RedirectURL is where the organization's sign-ins are handed to the host
// app: its own setting, else the instance's DefaultRedirectURL; "" when
// neither is set (roster then shows the member page).
func (s *Service) RedirectURL(o store.Org) string {
	if o.Settings.SignInRedirectURL != "" {
		return o.Settings.SignInRedirectURL
	}
	return s.DefaultRedirectURL
}

// HandOff records a one-time code for a completed sign-in and returns the
// URL to send the browser to: the organization's redirect URL with code
// and state added. Only the code's SHA-256 is stored. It fails when no
// redirect URL is configured.
func (s *Service) HandOff(ctx context.Context, o store.Org, userID, method, state string, joined []Joined) (string, error) {
	target := s.RedirectURL(o)
	if target == "" {
		return "", fmt.Errorf("hand off the sign-in of %s: no redirect URL is configured", o.ID)
	}
	u, err := url.Parse(target)
	if err != nil {
		return "", fmt.Errorf("hand off the sign-in of %s: redirect URL: %w", o.ID, err)
	}
	if joined == nil {
		joined = []Joined{}
	}
	js, err := json.Marshal(joined)
	if err != nil {
		return "", fmt.Errorf("hand off the sign-in of %s: %w", o.ID, err)
	}
	code := NewToken()
	now := s.now().UTC()
	if err := s.Store.CreateHandoff(ctx, store.Handoff{CodeHash: digest(code), OrgID: o.ID, UserID: userID, State: state,
		Method: method, Joined: js, CreatedAt: now, ExpiresAt: now.Add(HandoffTTL)}); err != nil {
		return "", fmt.Errorf("hand off the sign-in of %s: %w", o.ID, err)
	}
	q := u.Query()
	q.Set("code", code)
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Email is one of a person's e-mail addresses, as SCIM provisioned it.
type Email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// Group is a group a person belongs to.
type Group struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// OrgRef names an organization.
type OrgRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Identity is what a redeemed code says about the person who signed in.
type Identity struct {
	UserID       string  `json:"user_id"`
	UserName     string  `json:"userName"`
	DisplayName  string  `json:"displayName"`
	Emails       []Email `json:"emails"`
	Active       bool    `json:"active"`
	Organization OrgRef  `json:"organization"`
	Groups       []Group `json:"groups"`
	// Joined is what the sign-in joined under the grants of the user's
	// groups (empty after the first sign-in).
	Joined []Joined `json:"joined"`
	// State is the host app's state from the login URL, as the redirect
	// carried it; the host app compares the two.
	State string `json:"state"`
	// Method is "sp_initiated" or "idp_initiated".
	Method     string    `json:"method"`
	SignedInAt time.Time `json:"signed_in_at"`
}

// Redeem exchanges a hand-off code for the person who signed in. The code
// is taken (deleted) on the first attempt, whatever follows, so it is
// redeemed at most once; a code of another organization, expired or
// unknown is ErrBadCode. The person is read now, so a user deactivated
// since signing in comes back with active false.
func (s *Service) Redeem(ctx context.Context, orgID, code string) (Identity, error) {
	if !PlausibleToken(code) {
		s.Metrics.redeem("invalid")
		return Identity{}, ErrBadCode
	}
	hash := digest(code)
	h, err := s.Store.TakeHandoff(ctx, orgID, hash, s.now().UTC())
	if fault.Is(err, fault.NotFound) {
		s.Metrics.redeem("invalid")
		return Identity{}, ErrBadCode
	}
	if err != nil {
		return Identity{}, fmt.Errorf("redeem a sign-in code: %w", err)
	}
	// The store found the row by its hash; comparing again in constant
	// time keeps the check independent of how the store compares.
	if subtle.ConstantTimeCompare(h.CodeHash, hash) != 1 {
		s.Metrics.redeem("invalid")
		return Identity{}, ErrBadCode
	}
	o, err := s.Org(ctx, orgID)
	if err != nil {
		return Identity{}, err
	}
	u, err := s.Users.GetUser(ctx, orgID, h.UserID)
	if fault.Is(err, fault.NotFound) {
		s.Metrics.redeem("invalid")
		return Identity{}, ErrBadCode // deleted since signing in
	}
	if err != nil {
		return Identity{}, fmt.Errorf("redeem a sign-in code: %w", err)
	}
	groups, err := s.Users.UserGroups(ctx, orgID, []string{u.ID})
	if err != nil {
		return Identity{}, fmt.Errorf("redeem a sign-in code: groups of %s: %w", u.ID, err)
	}
	id := Identity{UserID: u.ID, UserName: u.UserName, DisplayName: u.DisplayName, Emails: emailsOf(u), Active: u.Active,
		Organization: OrgRef{ID: o.ID, Name: o.Name}, Groups: []Group{}, State: h.State, Method: h.Method, SignedInAt: h.CreatedAt}
	for _, g := range groups[u.ID] {
		id.Groups = append(id.Groups, Group{ID: g.GroupID, Name: g.DisplayName})
	}
	if err := json.Unmarshal(h.Joined, &id.Joined); err != nil {
		return Identity{}, fmt.Errorf("redeem a sign-in code: stored joins: %w", err)
	}
	if id.Joined == nil {
		id.Joined = []Joined{}
	}
	s.Metrics.redeem("ok")
	return id, nil
}

// emailsOf reads the e-mail addresses of the user's SCIM document; a user
// whose userName is an address and who has none gets that one.
func emailsOf(u store.User) []Email {
	// primary is any: IdPs send true, and some "true" or "True".
	var doc struct {
		Emails []struct {
			Value   string `json:"value"`
			Type    string `json:"type"`
			Primary any    `json:"primary"`
		} `json:"emails"`
	}
	out := []Email{}
	if len(u.Attributes) > 0 && json.Unmarshal(u.Attributes, &doc) == nil {
		for _, e := range doc.Emails {
			if strings.TrimSpace(e.Value) != "" {
				primary := e.Primary == true || strings.EqualFold(fmt.Sprint(e.Primary), "true")
				out = append(out, Email{Value: e.Value, Type: e.Type, Primary: primary})
			}
		}
	}
	if len(out) == 0 && strings.Contains(u.UserName, "@") {
		out = append(out, Email{Value: u.UserName, Primary: true})
	}
	return out
}

// errNoJoiner: the member page and Join need the access service.
var errNoJoiner = errors.New("sso: no Joiner is configured")
