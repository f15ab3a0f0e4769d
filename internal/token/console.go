package token

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// TokenConsoleLink is the kind of setup links: "roster_link_…". A link is
// not a bearer credential — it is spent once, in a browser, for a console
// session — so edges never accept it in an Authorization header.
const TokenConsoleLink store.TokenKind = "link"

// Setup link lifetimes.
const (
	DefaultLinkTTL = 24 * time.Hour
	MaxLinkTTL     = 7 * 24 * time.Hour
	minLinkTTL     = time.Minute
)

// Console session lifetimes: a session ends after ConsoleIdle without use,
// and ConsoleMaxAge after it began, whichever comes first.
const (
	ConsoleIdle   = 30 * time.Minute
	ConsoleMaxAge = 12 * time.Hour
)

// consoleStore is what console links and sessions need of the store.
type consoleStore interface {
	CreateConsoleLink(ctx context.Context, actor store.Actor, l store.ConsoleLink) (store.ConsoleLink, error)
	GetConsoleLink(ctx context.Context, id string) (store.ConsoleLink, error)
	ListConsoleLinks(ctx context.Context, orgID string, limit int) ([]store.ConsoleLink, error)
	UseConsoleLink(ctx context.Context, id string, sess store.ConsoleSession) error
	StartConsoleSession(ctx context.Context, sess store.ConsoleSession, method string) error
	RevokeConsoleLink(ctx context.Context, actor store.Actor, orgID, id string) (store.ConsoleLink, error)
	GetConsoleSession(ctx context.Context, idHash []byte) (store.ConsoleSession, error)
	TouchConsoleSession(ctx context.Context, idHash []byte, at, idleUntil time.Time) error
	DeleteConsoleSession(ctx context.Context, actor store.Actor, orgID string, idHash []byte, reason string) error
}

func (s *Service) console() (consoleStore, error) {
	c, ok := s.Store.(consoleStore)
	if !ok {
		return nil, errors.New("the token store keeps no console links")
	}
	return c, nil
}

// CreateLink issues a setup link for an organization, valid for ttl
// (DefaultLinkTTL when 0, at most MaxLinkTTL). The returned text is the
// only copy of the link's secret.
func (s *Service) CreateLink(ctx context.Context, actor store.Actor, orgID string, ttl time.Duration) (string, store.ConsoleLink, error) {
	if ttl == 0 {
		ttl = DefaultLinkTTL
	}
	if ttl < minLinkTTL || ttl > MaxLinkTTL {
		return "", store.ConsoleLink{}, fault.Invalidf("a setup link lives from %v to %v, not %v", minLinkTTL, MaxLinkTTL, ttl)
	}
	cs, err := s.console()
	if err != nil {
		return "", store.ConsoleLink{}, err
	}
	text, p, err := New(TokenConsoleLink)
	if err != nil {
		return "", store.ConsoleLink{}, err
	}
	l, err := cs.CreateConsoleLink(ctx, actor, store.ConsoleLink{
		ID: p.ID, OrgID: orgID, SecretHash: Hash(p.Secret), Hint: Hint(text), ExpiresAt: s.now().Add(ttl),
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", store.ConsoleLink{}, fault.NotFoundf("organization %s does not exist", orgID)
	}
	if err != nil {
		return "", store.ConsoleLink{}, err
	}
	return text, l, nil
}

// ListLinks returns an organization's setup links, newest first.
func (s *Service) ListLinks(ctx context.Context, orgID string, limit int) ([]store.ConsoleLink, error) {
	cs, err := s.console()
	if err != nil {
		return nil, err
	}
	return cs.ListConsoleLinks(ctx, orgID, limit)
}

// RevokeLink revokes an unused setup link of the organization.
func (s *Service) RevokeLink(ctx context.Context, actor store.Actor, orgID, id string) (store.ConsoleLink, error) {
	cs, err := s.console()
	if err != nil {
		return store.ConsoleLink{}, err
	}
	l, err := cs.RevokeConsoleLink(ctx, actor, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return l, fault.NotFoundf("setup link %s does not exist in this organization", id)
	}
	return l, err
}

// LinkActor is how the event log names a setup link and the session
// entered with it.
func LinkActor(l store.ConsoleLink) store.Actor {
	return store.Actor{Kind: "console_link", ID: l.ID, Name: "setup link …" + l.Hint}
}

// howToGetLink is the sentence every refused link ends with.
const howToGetLink = "ask your roster operator for a new one (roster console link --org ID) or have the host app request one (POST /api/v1/console-links)"

// EnterLink spends a setup link on a new console session and returns the
// session's secret text (for a cookie) and the session. A malformed,
// unknown, tampered, used, revoked or expired link is a fault whose
// message says which, and how to get a new link.
func (s *Service) EnterLink(ctx context.Context, text string) (string, store.ConsoleSession, error) {
	cs, err := s.console()
	if err != nil {
		return "", store.ConsoleSession{}, err
	}
	l, err := s.PeekLink(ctx, text)
	if err != nil {
		return "", store.ConsoleSession{}, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", store.ConsoleSession{}, fmt.Errorf("new console session: %w", err)
	}
	sessText := "roster_console_" + enc.EncodeToString(secret)
	now := s.now()
	sess := store.ConsoleSession{IDHash: Hash(sessText), OrgID: l.OrgID, Actor: LinkActor(l),
		IdleExpiresAt: now.Add(ConsoleIdle), ExpiresAt: now.Add(ConsoleMaxAge)}
	if err := cs.UseConsoleLink(ctx, l.ID, sess); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Spent or revoked since it was read: say which.
			if again, gerr := cs.GetConsoleLink(ctx, l.ID); gerr == nil {
				if uerr := linkUsable(again, s.now()); uerr != nil {
					return "", store.ConsoleSession{}, uerr
				}
			}
			return "", store.ConsoleSession{}, fault.Conflictf("this setup link was just used; %s", howToGetLink)
		}
		return "", store.ConsoleSession{}, fmt.Errorf("enter setup link: %w", err)
	}
	sess.CreatedAt, sess.LastSeenAt = now, now
	return sessText, sess, nil
}

// StartConsoleSession signs actor, a person who proved who they are
// another way (single sign-on as an owner or admin), into the
// organization's console, with the same idle and absolute timeouts as a
// setup link's session. The caller has checked that they may.
func (s *Service) StartConsoleSession(ctx context.Context, orgID string, actor store.Actor, method string) (string, store.ConsoleSession, error) {
	cs, err := s.console()
	if err != nil {
		return "", store.ConsoleSession{}, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", store.ConsoleSession{}, fmt.Errorf("new console session: %w", err)
	}
	text := "roster_console_" + enc.EncodeToString(secret)
	now := s.now()
	sess := store.ConsoleSession{IDHash: Hash(text), OrgID: orgID, Actor: actor,
		IdleExpiresAt: now.Add(ConsoleIdle), ExpiresAt: now.Add(ConsoleMaxAge), CreatedAt: now, LastSeenAt: now}
	if err := cs.StartConsoleSession(ctx, sess, method); err != nil {
		return "", store.ConsoleSession{}, err
	}
	return text, sess, nil
}

// PeekLink returns the setup link text is, if it could be spent now,
// without spending it; it fails as EnterLink would.
func (s *Service) PeekLink(ctx context.Context, text string) (store.ConsoleLink, error) {
	cs, err := s.console()
	if err != nil {
		return store.ConsoleLink{}, err
	}
	p, err := Parse(TokenConsoleLink, text)
	if err != nil {
		return store.ConsoleLink{}, fault.Invalidf("this setup link is incomplete or mistyped (was it cut when copied?); %s", howToGetLink)
	}
	l, err := cs.GetConsoleLink(ctx, p.ID)
	stored := l.SecretHash
	switch {
	case errors.Is(err, store.ErrNotFound):
		stored = dummyHash
	case err != nil:
		return store.ConsoleLink{}, fmt.Errorf("read setup link: %w", err)
	}
	if subtle.ConstantTimeCompare(Hash(p.Secret), stored) != 1 || err != nil {
		return store.ConsoleLink{}, fault.Invalidf("this setup link is not valid; %s", howToGetLink)
	}
	if err := linkUsable(l, s.now()); err != nil {
		return store.ConsoleLink{}, err
	}
	return l, nil
}

func linkUsable(l store.ConsoleLink, now time.Time) error {
	const at = "2 Jan 2006 15:04 MST"
	switch {
	case !l.UsedAt.IsZero():
		return fault.Conflictf("this setup link was already used, on %s: a link signs in once; %s", l.UsedAt.Format(at), howToGetLink)
	case !l.RevokedAt.IsZero():
		return fault.Conflictf("this setup link was revoked on %s; %s", l.RevokedAt.Format(at), howToGetLink)
	case !now.Before(l.ExpiresAt):
		return fault.Conflictf("this setup link expired on %s; %s", l.ExpiresAt.Format(at), howToGetLink)
	}
	return nil
}

// ConsoleSession returns the live console session whose secret text is
// given, recording the use (at most once a minute), or ErrUnauthorized.
func (s *Service) ConsoleSession(ctx context.Context, text string) (store.ConsoleSession, error) {
	cs, err := s.console()
	if err != nil {
		return store.ConsoleSession{}, err
	}
	if len(text) > 200 {
		return store.ConsoleSession{}, ErrUnauthorized
	}
	h := Hash(text)
	sess, err := cs.GetConsoleSession(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return store.ConsoleSession{}, ErrUnauthorized
	}
	if err != nil {
		return store.ConsoleSession{}, fmt.Errorf("console session: %w", err)
	}
	now := s.now()
	if !now.Before(sess.IdleExpiresAt) || !now.Before(sess.ExpiresAt) {
		return store.ConsoleSession{}, ErrUnauthorized
	}
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		// Bookkeeping only: a failure must not fail the request.
		_ = cs.TouchConsoleSession(context.WithoutCancel(ctx), h, now, now.Add(ConsoleIdle))
	}
	return sess, nil
}

// EndConsoleSession signs a console session out.
func (s *Service) EndConsoleSession(ctx context.Context, text string) error {
	cs, err := s.console()
	if err != nil {
		return err
	}
	sess, err := cs.GetConsoleSession(ctx, Hash(text))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("end console session: %w", err)
	}
	err = cs.DeleteConsoleSession(ctx, sess.Actor, sess.OrgID, sess.IDHash, "logout")
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
