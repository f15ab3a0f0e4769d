// Package token issues and verifies roster's bearer credentials: SCIM tokens
// (one organization's identity provider), API keys (the host app) and
// instance admin keys (which create organizations; see admin.go).
//
// A token reads "roster_scim_<id>_<secret><check>" (or "roster_api_…",
// "roster_admin_…"):
//
//   - the prefix lets secret scanners recognise a leaked roster token;
//   - <id> is a public, random token id: the database looks tokens up by it;
//   - <secret> is 256 random bits; only its SHA-256 hash is stored, so a copy
//     of the database holds no usable token. A slow hash would add nothing
//     for a secret of that entropy and would cost milliseconds per request;
//   - <check> is a CRC-32 of the rest, so a mistyped or truncated token is
//     refused without a database lookup.
//
// Verification compares hashes in constant time and answers every failure —
// unknown id, wrong secret, revoked token, malformed text — with the same
// ErrUnauthorized, so a caller learns nothing about which tokens exist.
package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/ttlcache"
)

// ErrUnauthorized is the one error for every token that does not
// authenticate.
var ErrUnauthorized = errors.New("invalid or revoked token")

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

const (
	idBytes     = 10 // 16 characters
	secretBytes = 32 // 256 bits, 52 characters
	checkLen    = 7  // CRC-32 in base32
)

func prefix(kind store.TokenKind) string { return "roster_" + string(kind) + "_" }

// Parts is a parsed token.
type Parts struct {
	Kind   store.TokenKind
	ID     string
	Secret string
}

// New returns a fresh token of the kind.
func New(kind store.TokenKind) (text string, p Parts, err error) {
	buf := make([]byte, idBytes+secretBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", Parts{}, fmt.Errorf("generate token: %w", err)
	}
	p = Parts{Kind: kind, ID: enc.EncodeToString(buf[:idBytes]), Secret: enc.EncodeToString(buf[idBytes:])}
	body := prefix(kind) + p.ID + "_" + p.Secret
	return body + checksum(body), p, nil
}

func checksum(body string) string {
	var b [4]byte
	c := crc32.ChecksumIEEE([]byte(body))
	b[0], b[1], b[2], b[3] = byte(c>>24), byte(c>>16), byte(c>>8), byte(c)
	return enc.EncodeToString(b[:])
}

// Parse splits a token of the expected kind into its parts, checking its
// shape and checksum. It never touches the database.
func Parse(kind store.TokenKind, text string) (Parts, error) {
	rest, ok := strings.CutPrefix(text, prefix(kind))
	if !ok || len(text) > 200 {
		return Parts{}, ErrUnauthorized
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != enc.EncodedLen(idBytes) || len(secret) != enc.EncodedLen(secretBytes)+checkLen {
		return Parts{}, ErrUnauthorized
	}
	secret, check := secret[:len(secret)-checkLen], secret[len(secret)-checkLen:]
	if subtle.ConstantTimeCompare([]byte(checksum(text[:len(text)-checkLen])), []byte(check)) != 1 {
		return Parts{}, ErrUnauthorized
	}
	if _, err := enc.DecodeString(id); err != nil {
		return Parts{}, ErrUnauthorized
	}
	return Parts{Kind: kind, ID: id, Secret: secret}, nil
}

// Hash is what is stored for a secret.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Hint is the part of a token shown to people to tell tokens apart.
func Hint(text string) string {
	if len(text) < 4 {
		return ""
	}
	return text[len(text)-4:]
}

// tokenStore is what the Service needs of the store.
type tokenStore interface {
	CreateToken(ctx context.Context, actor store.Actor, t store.Token) (store.Token, error)
	GetToken(ctx context.Context, id string) (store.Token, error)
	ListTokens(ctx context.Context, orgID string, kind store.TokenKind) ([]store.Token, error)
	RevokeToken(ctx context.Context, actor store.Actor, orgID, id string) (store.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
	adminStore
}

// Service creates, lists, revokes and authenticates tokens.
type Service struct {
	Store tokenStore
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TouchEvery spaces out last-used updates of one token, so that
	// authentication does not write on every request; one minute when 0.
	TouchEvery time.Duration
	// CacheTTL, when positive, keeps token records in memory that long, so
	// a busy identity provider does not cost a database read per request.
	// The secret is still checked on every request; a revocation through
	// this Service takes effect at once, one made by another process (the
	// CLI, another instance) within CacheTTL.
	CacheTTL time.Duration
	// Logger, when set, records who creates and revokes admin keys, which
	// belong to no organization's event log.
	Logger *slog.Logger

	mu      sync.Mutex
	touched map[string]time.Time
	// cache holds token records; unknown ids are never cached.
	cache ttlcache.Cache[string, store.Token]
	// revocations counts revocations heard from other instances, so a
	// record read before one is not cached after it (see lookup).
	revocations atomic.Uint64
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Create issues a token for an organization. The returned text is the only
// copy of the token: it is not stored and cannot be shown again.
func (s *Service) Create(ctx context.Context, actor store.Actor, orgID string, kind store.TokenKind, name string) (string, store.Token, error) {
	text, p, err := New(kind)
	if err != nil {
		return "", store.Token{}, err
	}
	if name == "" {
		name = string(kind) + " token"
	}
	t, err := s.Store.CreateToken(ctx, actor, store.Token{
		ID: p.ID, OrgID: orgID, Kind: kind, Name: name, SecretHash: Hash(p.Secret), Hint: Hint(text),
	})
	if err != nil {
		return "", store.Token{}, err
	}
	return text, t, nil
}

// List returns an organization's tokens of a kind, newest first.
func (s *Service) List(ctx context.Context, orgID string, kind store.TokenKind) ([]store.Token, error) {
	return s.Store.ListTokens(ctx, orgID, kind)
}

// Revoke revokes a token; it stops authenticating at once.
func (s *Service) Revoke(ctx context.Context, actor store.Actor, orgID, id string) (store.Token, error) {
	t, err := s.Store.RevokeToken(ctx, actor, orgID, id)
	s.revocations.Add(1)
	s.cache.Delete(id)
	return t, err
}

// KindError refuses to revoke a token through the wrong kind's command or
// page: an API key's id on the SCIM tokens page, or the reverse. It is a
// fault of kind Invalid.
type KindError struct {
	ID string
	// Kind is the token's kind; Asked the kind the caller revokes.
	Kind, Asked store.TokenKind
}

func (e *KindError) Error() string {
	return fmt.Sprintf("%s is %s, not %s", e.ID, withArticle(e.Kind), withArticle(e.Asked))
}

// Fault makes a *KindError a fault.Faulter.
func (e *KindError) Fault() fault.Kind { return fault.Invalid }

// Is makes errors.Is(err, fault.Invalid) true for a *KindError.
func (e *KindError) Is(target error) bool { return target == fault.Invalid }

// Label names a token kind for people: "SCIM token", "API key", "admin key".
func Label(k store.TokenKind) string {
	switch k {
	case store.TokenAPI:
		return "API key"
	case store.TokenAdmin:
		return "admin key"
	}
	return "SCIM token"
}

func withArticle(k store.TokenKind) string {
	if k == store.TokenSCIM {
		return "a " + Label(k)
	}
	return "an " + Label(k)
}

// RevokeKind revokes token id of the organization only if it is of the
// kind asked for, so that revoking "an API key" can never cut off the SCIM
// token an identity provider depends on. Another organization's id, or
// none, is a fault.NotFound; a token of the other kind is a *KindError.
func (s *Service) RevokeKind(ctx context.Context, actor store.Actor, orgID string, kind store.TokenKind, id string) (store.Token, error) {
	t, err := s.Store.GetToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && t.OrgID != orgID {
		return store.Token{}, fault.NotFoundf("there is no %s %s in this organization", Label(kind), id)
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("revoke %s %s: %w", Label(kind), id, err)
	}
	if t.Kind != kind {
		return store.Token{}, &KindError{ID: id, Kind: t.Kind, Asked: kind}
	}
	return s.Revoke(ctx, actor, orgID, id)
}

// lookup reads a token record of the kind, from the cache when it is
// fresh. Admin keys are read from their own table.
func (s *Service) lookup(ctx context.Context, kind store.TokenKind, id string) (store.Token, error) {
	key, get := id, s.Store.GetToken
	if kind == store.TokenAdmin {
		key, get = adminCacheKey(id), s.Store.GetAdminToken
	}
	if s.CacheTTL > 0 {
		if t, ok := s.cache.Get(key, s.now()); ok {
			return t, nil
		}
	}
	heard := s.revocations.Load()
	t, err := get(ctx, id)
	// A revocation heard while the record was read may be newer than it:
	// caching it then could let a revoked token work for CacheTTL.
	if err == nil && s.CacheTTL > 0 && s.revocations.Load() == heard {
		s.cache.Put(key, t, s.now().Add(s.CacheTTL))
	}
	return t, err
}

// Watch makes revocations made through other instances (and the CLI) take
// effect here at once, when the store is shared by several (PostgreSQL):
// each one drops the token's cached record. It returns once watching, and
// watches until ctx ends. With a store only this process serves it does
// nothing: revocations through this Service already drop the record, and
// one made by the CLI takes effect within CacheTTL.
func (s *Service) Watch(ctx context.Context) error {
	w, ok := s.Store.(store.RevocationWatcher)
	if !ok {
		return nil
	}
	_, err := w.WatchRevocations(ctx, func(id string) {
		s.revocations.Add(1)
		if id == "" {
			s.cache.Clear()
			return
		}
		s.cache.Delete(id)
		s.cache.Delete(adminCacheKey(id))
	})
	return err
}

// dummyHash is compared against when the token id is unknown, so that an
// unknown id costs the same time as a wrong secret.
var dummyHash = Hash("roster-no-such-token")

// Authenticate returns the active token that text is, or ErrUnauthorized.
// Every kind, admin keys included, takes the same path: an unknown id is
// compared against a dummy hash, so it costs what a wrong secret costs.
func (s *Service) Authenticate(ctx context.Context, kind store.TokenKind, text string) (store.Token, error) {
	p, err := Parse(kind, text)
	if err != nil {
		return store.Token{}, ErrUnauthorized
	}
	t, err := s.lookup(ctx, kind, p.ID)
	stored := t.SecretHash
	switch {
	case errors.Is(err, store.ErrNotFound):
		stored = dummyHash
	case err != nil:
		return store.Token{}, fmt.Errorf("authenticate: %w", err)
	}
	ok := subtle.ConstantTimeCompare(Hash(p.Secret), stored) == 1
	if !ok || err != nil || t.Kind != kind || t.Revoked() {
		return store.Token{}, ErrUnauthorized
	}
	s.touch(ctx, t)
	return t, nil
}

// touch records a use, at most once per TouchEvery for each token.
func (s *Service) touch(ctx context.Context, t store.Token) {
	id, touch := t.ID, s.Store.TouchToken
	if t.Kind == store.TokenAdmin {
		id, touch = adminCacheKey(t.ID), s.Store.TouchAdminToken
	}
	every := s.TouchEvery
	if every == 0 {
		every = time.Minute
	}
	now := s.now()
	s.mu.Lock()
	if s.touched == nil {
		s.touched = map[string]time.Time{}
	}
	last, ok := s.touched[id]
	due := !ok || now.Sub(last) >= every
	if due {
		s.touched[id] = now
	}
	s.mu.Unlock()
	if due {
		// Bookkeeping only: a failure must not fail the request.
		_ = touch(context.WithoutCancel(ctx), t.ID, now)
	}
}
