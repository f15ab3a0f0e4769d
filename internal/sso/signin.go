package sso

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// PathPrefix starts every per-organization SAML route:
// PathPrefix + "{org}/metadata", "/login" and "/acs".
const PathPrefix = "/auth/saml/"

// RequestTTL is how long an SP-initiated sign-in may take at the IdP.
const RequestTTL = 10 * time.Minute

// MaxPendingRequests bounds the sign-ins an organization may have in
// flight: each anonymous GET of the login URL stores one for RequestTTL,
// so the cap bounds what a client looping on it can make roster store.
const MaxPendingRequests = 5000

// ErrBusy: the organization has MaxPendingRequests sign-ins in flight.
var ErrBusy = errors.New("too many sign-ins are in progress for this organization; try again in a few minutes")

func (s *Service) maxPending() int {
	if s.MaxPending <= 0 {
		return MaxPendingRequests
	}
	return s.MaxPending
}

// Refusal aggregation: refused sign-ins are counted per organization,
// reason and RefusalWindow; the first of a window is an event and the
// first RefusalDetailPerWindow are rows of the sign-in log, so that a
// client posting garbage to the ACS cannot flood either.
const (
	RefusalWindow          = time.Minute
	RefusalDetailPerWindow = 20
)

// Sign-in log retention: entries older than SignInLogRetention go, and each
// organization keeps its newest SignInLogKeep.
const (
	SignInLogRetention = 30 * 24 * time.Hour
	SignInLogKeep      = 10000
)

// Refusal reasons decided by this package, next to saml.Reason's codes.
// They are stable: docs/saml.md lists them for administrators.
const (
	ReasonOtherBrowser = "other_browser"
	ReasonUnknownUser  = "unknown_user"
	ReasonDeactivated  = "user_deactivated"
	ReasonAmbiguous    = "ambiguous_user"
	ReasonNoSubject    = "no_subject_value"
)

// Refusal is a sign-in refused for a reason the person signing in is told
// (by its code) and the event log records (with the detail).
type Refusal struct {
	// Reason is one of the Reason codes above.
	Reason string
	// Detail explains the refusal for administrators.
	Detail string
	// UserID is the user refused, when known.
	UserID string
}

func (e *Refusal) Error() string { return e.Reason + ": " + e.Detail }

// ErrNoRequest: a RelayState names no pending sign-in of the organization
// (an IdP-initiated RelayState, or a request already used or expired).
var ErrNoRequest = fault.NotFoundf("no pending sign-in has that RelayState")

// Begin starts an SP-initiated sign-in: it builds the AuthnRequest and
// records it so that its response can be bound to it — the request id, the
// browser (by the hash of its binding secret) and the local path to return
// to and the host app's state, under the hash of the RelayState, for
// RequestTTL. It returns the URL to send the browser to. A state
// CheckState refuses is a fault.Invalid and nothing is stored. When the
// IdP's configuration rules out SP-initiated sign-in (it demands signed
// requests or has no redirect endpoint) the error is a fault.Conflict;
// when the organization has MaxPending (MaxPendingRequests) in flight,
// ErrBusy.
func (s *Service) Begin(ctx context.Context, orgID string, cfg saml.SPConfig, browserSecret, returnTo, state string) (string, error) {
	if err := CheckState(state); err != nil {
		return "", err
	}
	u, _, err := s.begin(ctx, store.SAMLRequest{OrgID: orgID, BrowserHash: digest(browserSecret), ReturnTo: returnTo, State: state}, cfg)
	return u, err
}

// begin builds an AuthnRequest and records r (filled in with it) as
// pending; it returns the URL to send the browser to and the request id.
func (s *Service) begin(ctx context.Context, r store.SAMLRequest, cfg saml.SPConfig) (string, string, error) {
	now := s.now().UTC()
	req, err := saml.NewAuthnRequest(cfg, now)
	if err != nil {
		return "", "", fault.Conflictf("sign-in cannot start at roster: %v; sign in from the identity provider instead", err)
	}
	r.RelayHash, r.RequestID, r.CreatedAt, r.ExpiresAt = digest(req.RelayState), req.ID, now, now.Add(RequestTTL)
	err = s.Store.CreateSAMLRequest(ctx, r, s.maxPending())
	if errors.Is(err, store.ErrLimit) {
		s.logger().WarnContext(ctx, "sign-in refused: too many in flight", "org", r.OrgID, "max", s.maxPending())
		return "", "", ErrBusy
	}
	if err != nil {
		return "", "", fmt.Errorf("record the sign-in request: %w", err)
	}
	return req.RedirectURL, req.ID, nil
}

// Resume takes (deletes) the pending sign-in the RelayState names, so that
// each request is answered at most once, and requires the browser
// presenting the response to hold the binding secret it was started with.
// ErrNoRequest when there is none; a *Refusal for another browser.
func (s *Service) Resume(ctx context.Context, orgID, relay, browserSecret string) (store.SAMLRequest, error) {
	req, err := s.Store.TakeSAMLRequest(ctx, orgID, digest(relay), s.now().UTC())
	if fault.Is(err, fault.NotFound) {
		return store.SAMLRequest{}, ErrNoRequest
	}
	if err != nil {
		return store.SAMLRequest{}, fmt.Errorf("take the sign-in request: %w", err)
	}
	if browserSecret == "" || subtle.ConstantTimeCompare(digest(browserSecret), req.BrowserHash) != 1 {
		return req, &Refusal{Reason: ReasonOtherBrowser, Detail: "the RelayState belongs to a sign-in started in another browser"}
	}
	return req, nil
}

// Validate checks a SAML response against the organization's
// configuration (see saml.Validate), recording its assertion id in the
// replay cache shared by every instance.
func (s *Service) Validate(ctx context.Context, orgID string, cfg saml.SPConfig, response string, expect saml.Expectation) (*saml.Assertion, error) {
	return saml.Validate(ctx, cfg, response, expect, replayCache{s.Store, orgID})
}

// replayCache is the organization's replay cache in the store, shared by
// every instance.
type replayCache struct {
	s     Store
	orgID string
}

func (c replayCache) Remember(ctx context.Context, id string, until time.Time) (bool, error) {
	return c.s.RememberAssertion(ctx, c.orgID, id, until)
}

// signInRefused is the actor of refused sign-ins in the event log.
var signInRefused = store.Actor{Kind: "system", Name: "saml sign-in"}

// RecordRefused counts a refused sign-in (the Prometheus counter) and
// records it: the first refusal of a reason in a RefusalWindow is an event
// ("sso.sign_in_refused"), the window's later ones are counted and summed
// up in one "sso.sign_in_refused_summary" when it ends, and the first
// RefusalDetailPerWindow keep their detail in the sign-in log.
func (s *Service) RecordRefused(ctx context.Context, orgID string, in store.SignIn) error {
	s.Metrics.signIn("refused", in.Reason)
	w := store.RefusalWindow{Start: s.now().UTC().Truncate(RefusalWindow), KeepDetail: RefusalDetailPerWindow}
	if _, err := s.Store.RecordSignInRefused(ctx, signInRefused, orgID, in, w); err != nil {
		return fmt.Errorf("record a refused sign-in: %w", err)
	}
	return nil
}

// FlushRefusals sums up the refusal windows that have ended; Run calls it
// every minute.
func (s *Service) FlushRefusals(ctx context.Context) {
	before := s.now().UTC().Truncate(RefusalWindow)
	if _, err := s.Store.FlushRefusalWindows(ctx, signInRefused, before); err != nil {
		s.logger().WarnContext(ctx, "summing up refused sign-ins failed", "err", err)
	}
}

// PurgeSignInLog deletes sign-in log entries past SignInLogRetention and
// beyond each organization's newest SignInLogKeep.
func (s *Service) PurgeSignInLog(ctx context.Context) {
	if n, err := s.Store.PurgeSignIns(ctx, s.now().UTC().Add(-SignInLogRetention), SignInLogKeep); err != nil {
		s.logger().WarnContext(ctx, "purging the sign-in log failed", "err", err)
	} else if n > 0 {
		s.logger().DebugContext(ctx, "purged sign-in log entries", "rows", n)
	}
}

// MaxSignInPage bounds a page of the sign-in log: a thousand entries and
// the one more a caller asks for to learn whether more exist.
const MaxSignInPage = 1001

// SignIns returns a page of the organization's sign-in log, newest first:
// entries with an id below before (0 for the newest), matching f, at most
// limit (1 to MaxSignInPage).
func (s *Service) SignIns(ctx context.Context, orgID string, f store.SignInFilter, before int64, limit int) ([]store.SignInEntry, error) {
	if limit < 1 || limit > MaxSignInPage {
		return nil, fault.Invalidf("limit must be from 1 to %d", MaxSignInPage)
	}
	if f.Outcome != "" && f.Outcome != store.SignInSuccess && f.Outcome != store.SignInRefused {
		return nil, fault.Invalidf("outcome must be %q or %q, not %q", store.SignInSuccess, store.SignInRefused, f.Outcome)
	}
	if before < 0 {
		return nil, fault.Invalidf("before must be a sign-in log id")
	}
	return s.Store.ListSignIns(ctx, orgID, f, before, limit)
}

// Contact is an administrator a refused person may ask for help.
type Contact struct{ Name, Email string }

// Contacts lists at most max active owners and admins of the organization
// with their names and e-mail addresses (the userName when it is one).
func (s *Service) Contacts(ctx context.Context, orgID string, max int) ([]Contact, error) {
	roles, err := s.Orgs.ListOrgRoles(ctx, orgID, "", 50)
	if err != nil {
		return nil, fmt.Errorf("list the administrators of %s: %w", orgID, err)
	}
	var out []Contact
	for _, m := range roles {
		if len(out) == max {
			break
		}
		u, err := s.Users.GetUser(ctx, orgID, m.UserID)
		if err != nil || !u.Active {
			continue
		}
		c := Contact{Name: u.DisplayName}
		if strings.Contains(u.UserName, "@") {
			c.Email = u.UserName
		}
		if c.Name == "" {
			c.Name = u.UserName
		}
		out = append(out, c)
	}
	return out, nil
}

// digest is the SHA-256 under which secrets (RelayStates, binding and
// session tokens) are stored: a copy of the database holds none of them.
func digest(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
