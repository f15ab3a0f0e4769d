package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// Defaults of the session timeouts.
const (
	DefaultIdleTimeout = 2 * time.Hour
	DefaultMaxAge      = 12 * time.Hour
)

// touchEvery is how stale a session's last-use time may get before a use
// writes it again: the idle timeout is exact to within this much, and a
// busy session costs one write per interval rather than one per request.
const touchEvery = time.Minute

// Token lengths accepted from a cookie: NewToken's are 43 characters.
const minToken, maxToken = 43, 64

// NewToken returns 256 random bits, base64url-encoded without padding: a
// session id or a browser-binding secret.
func NewToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// PlausibleToken reports whether a cookie value can be a NewToken.
func PlausibleToken(v string) bool { return len(v) >= minToken && len(v) <= maxToken }

func (s *Service) idle() time.Duration {
	if s.IdleTimeout <= 0 {
		return DefaultIdleTimeout
	}
	return s.IdleTimeout
}

func (s *Service) maxAge() time.Duration {
	if s.MaxAge <= 0 {
		return DefaultMaxAge
	}
	return s.MaxAge
}

// NewSession is a session just started: Token goes into the browser's
// cookie and nowhere else.
type NewSession struct {
	Token     string
	ExpiresAt time.Time
	// MaxAge is how long the cookie may live, at least a second.
	MaxAge time.Duration
	// Joined is what this sign-in joined under the grants of the user's
	// groups.
	Joined []Joined
}

// StartSession signs the user in: it creates a session (recording the
// sign-in, event "sso.signed_in", in the same transaction) that ends after
// MaxAge or at the IdP's SessionNotOnOrAfter, whichever is sooner, or when
// unused for IdleTimeout; then, when a Joiner is set, joins the resources
// the user's groups grant. A user deactivated or deleted since linking is
// refused with a *Refusal.
func (s *Service) StartSession(ctx context.Context, o store.Org, u store.User, a *saml.Assertion, in store.SignIn) (NewSession, error) {
	now := s.now().UTC()
	expires := now.Add(s.maxAge())
	if !a.SessionNotOnOrAfter.IsZero() && a.SessionNotOnOrAfter.Before(expires) {
		expires = a.SessionNotOnOrAfter.UTC()
	}
	idle := now.Add(s.idle())
	if idle.After(expires) {
		idle = expires
	}
	token := NewToken()
	actor := store.Actor{Kind: "user", ID: u.ID, Name: u.UserName}
	if _, err := s.Store.CreateSession(ctx, actor, store.Session{
		IDHash: digest(token), OrgID: o.ID, UserID: u.ID, IdleExpiresAt: idle, ExpiresAt: expires,
	}, in); err != nil {
		if fault.Is(err, fault.Invalid) || fault.Is(err, fault.NotFound) {
			return NewSession{}, &Refusal{Reason: ReasonDeactivated, Detail: "the user was deactivated during sign-in", UserID: u.ID}
		}
		return NewSession{}, fmt.Errorf("start a session: %w", err)
	}
	s.Metrics.signIn("success", "")
	joined := []Joined{}
	if s.Joiner != nil {
		// Joining is bookkeeping on top of the sign-in: its failure is
		// logged, and the next sign-in or check joins again.
		added, err := s.Joiner.JoinGranted(ctx, actor, o.ID, u.ID)
		if err != nil {
			s.logger().WarnContext(ctx, "joining granted workspaces after sign-in failed", "org", o.ID, "user", u.ID, "err", err)
		}
		if len(added) > 0 {
			s.logger().InfoContext(ctx, "user joined granted workspaces at sign-in", "org", o.ID, "user", u.ID, "memberships", len(added))
			reach, err := s.Joiner.UserReach(ctx, o.ID, u.ID)
			if err != nil {
				s.logger().WarnContext(ctx, "naming the joined workspaces failed", "org", o.ID, "user", u.ID, "err", err)
			}
			joined = joinedOf(added, reach)
		}
	}
	return NewSession{Token: token, ExpiresAt: expires, MaxAge: max(time.Second, expires.Sub(now)), Joined: joined}, nil
}

// Session returns the session a token names, or false.
//
// It reads the session and its user in one statement and refuses — and
// deletes — a session that has passed its idle or absolute timeout or whose
// user is no longer active, so a deactivation takes effect on the very next
// request (the store also deletes the user's sessions in the deactivating
// transaction).
func (s *Service) Session(ctx context.Context, token string) (store.Session, bool) {
	if !PlausibleToken(token) {
		return store.Session{}, false
	}
	idHash := digest(token)
	ss, err := s.Store.GetSession(ctx, idHash)
	if err != nil {
		if !fault.Is(err, fault.NotFound) {
			s.logger().ErrorContext(ctx, "reading a session failed", "err", err)
		}
		return store.Session{}, false
	}
	now := s.now().UTC()
	if !ss.UserActive || !now.Before(ss.ExpiresAt) || !now.Before(ss.IdleExpiresAt) {
		if err := s.Store.DeleteSession(ctx, store.Actor{Kind: "system", Name: "session expiry"}, ss.OrgID, idHash, "expired"); err != nil && !fault.Is(err, fault.NotFound) {
			s.logger().WarnContext(ctx, "deleting an ended session failed", "err", err)
		}
		return store.Session{}, false
	}
	if now.Sub(ss.LastSeenAt) >= touchEvery {
		if err := s.Store.TouchSession(ctx, idHash, now, now.Add(s.idle())); err != nil {
			s.logger().WarnContext(ctx, "recording a session's use failed", "err", err)
		}
	}
	return ss, true
}

// EndSession signs the token's session out (event "sso.signed_out"). A
// token that names no session is not an error: the browser is signed out
// either way.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	idHash := digest(token)
	ss, err := s.Store.GetSession(ctx, idHash)
	if fault.Is(err, fault.NotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the session to end: %w", err)
	}
	actor := store.Actor{Kind: "user", ID: ss.UserID, Name: ss.UserName}
	if err := s.Store.DeleteSession(ctx, actor, ss.OrgID, idHash, "logout"); err != nil && !errors.Is(err, fault.NotFound) {
		return fmt.Errorf("end the session: %w", err)
	}
	return nil
}

// User returns a user of the organization, for the signed-in user's own
// resource (/Me).
func (s *Service) User(ctx context.Context, orgID, id string) (store.User, error) {
	return s.Users.GetUser(ctx, orgID, id)
}

// Run sums up ended refusal windows every minute, purges expired request
// states, assertion ids, sessions, hand-off codes and old sign-in log
// entries every five and, when refresh is positive, re-fetches IdP metadata URLs that
// often. It returns when ctx ends.
func (s *Service) Run(ctx context.Context, refresh time.Duration) {
	// Refusal windows are summed up every minute, so their summary events
	// come soon after the window; purging is every fifth tick.
	tick := time.NewTicker(RefusalWindow)
	defer tick.Stop()
	lastRefresh := time.Now()
	if refresh > 0 {
		s.refresh(ctx)
	}
	for ticks := 1; ; ticks++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.FlushRefusals(ctx)
		if ticks%5 != 0 {
			continue
		}
		s.PurgeSignInLog(ctx)
		if n, err := s.Store.PurgeSSO(ctx, s.now().UTC()); err != nil {
			s.logger().WarnContext(ctx, "purging expired sign-in records failed", "err", err)
		} else if n > 0 {
			s.logger().DebugContext(ctx, "purged expired sign-in records", "rows", n)
		}
		if refresh > 0 && time.Since(lastRefresh) >= refresh {
			lastRefresh = time.Now()
			s.refresh(ctx)
		}
	}
}

func (s *Service) refresh(ctx context.Context) {
	if err := s.RefreshMetadata(ctx); err != nil {
		s.logger().WarnContext(ctx, "refreshing IdP metadata failed; the last good metadata stays in use", "err", err)
	}
}

// FormToken is the anti-forgery token of the forms a session posts (the
// member page's Join): derived from the session's secret, so only a page
// served to that browser knows it, and nothing needs storing.
func FormToken(sessionToken string) string {
	h := sha256.Sum256([]byte("roster form token\x00" + sessionToken))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// CheckFormToken reports, in constant time, whether got is the session's
// FormToken.
func CheckFormToken(sessionToken, got string) bool {
	return sessionToken != "" && subtle.ConstantTimeCompare([]byte(FormToken(sessionToken)), []byte(got)) == 1
}
