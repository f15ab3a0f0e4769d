// Package auth is the one seam where the bearer credentials roster accepts
// are authenticated: SCIM tokens, organization API keys, instance admin keys
// and console sessions. A surface (SCIM, the host API, the console) says
// which kinds it takes; the seam verifies the credential through the token
// service, refuses the wrong kind with a message that says which kind the
// surface takes and how to get one, and puts the Principal in the request
// context, where handlers read it. Per-credential rate limits and the
// provisioning log hook in here: Require applies the Surface's Limits.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

// Kind is the kind of credential a principal authenticated with.
type Kind string

// The kinds of principal. Their values are the actor kinds recorded in the
// event log.
const (
	SCIMToken      Kind = "scim_token"
	APIKey         Kind = "api_key"
	AdminKey       Kind = "admin_key"
	ConsoleSession Kind = "console_session"
)

// kindOfToken maps the token service's kinds to principals' kinds.
var kindOfToken = map[store.TokenKind]Kind{
	store.TokenSCIM:  SCIMToken,
	store.TokenAPI:   APIKey,
	store.TokenAdmin: AdminKey,
}

// about says, for each kind, what people call it and how they get one.
var about = map[Kind]struct{ article, name, howTo string }{
	SCIMToken:      {"a", "SCIM token", "roster token create --org ID, or POST /api/v1/scim-tokens"},
	APIKey:         {"an", "organization API key", "roster apikey create --org ID"},
	AdminKey:       {"an", "admin key", "roster apikey create --admin"},
	ConsoleSession: {"a", "console session", "roster console link --org ID"},
}

func (k Kind) with() string { return about[k].article + " " + about[k].name }

// Principal is who made a request.
type Principal struct {
	Kind Kind
	// OrgID is the organization the credential belongs to; "" for an admin
	// key, which belongs to none.
	OrgID string
	// KeyID identifies the credential within its kind (a token id).
	KeyID string
	// Name is the credential's human label, e.g. the token's name.
	Name string
}

// Actor is the principal as the event log records it.
func (p Principal) Actor() store.Actor {
	return store.Actor{Kind: string(p.Kind), ID: p.KeyID, Name: p.Name}
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal the seam put in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Authenticator verifies a credential of a known kind; *token.Service is
// one. Every failure is token.ErrUnauthorized.
type Authenticator interface {
	Authenticate(ctx context.Context, kind store.TokenKind, text string) (store.Token, error)
}

// Surface is one HTTP surface's use of the seam.
type Surface struct {
	// Name is how messages name the surface, e.g. "the host API".
	Name string
	// Accept lists the kinds the surface takes, preferred first: the first
	// is the one a refusal tells the caller to get.
	Accept []Kind
	// Tokens verifies bearer credentials.
	Tokens Authenticator
	// Limits, when set, rate-limits each authenticated credential.
	Limits *Limits
}

// Authenticate verifies the request's bearer credential. A missing,
// malformed, unknown or revoked credential is a fault.Unauthorized; a valid
// one of a kind the surface does not take is a fault.WrongCredential whose
// message says which kind it takes and how to get one.
func (s *Surface) Authenticate(r *http.Request) (Principal, error) {
	scheme, text, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	text = strings.TrimSpace(text)
	if !ok || !strings.EqualFold(scheme, "Bearer") || text == "" {
		return Principal{}, fault.New(fault.Unauthorized, "send %s as \"Authorization: Bearer <token>\"; get one with: %s", s.want().with(), about[s.want()].howTo)
	}
	tk, known := token.KindOf(text)
	if !known {
		return Principal{}, s.unauthorized()
	}
	t, err := s.Tokens.Authenticate(r.Context(), tk, text)
	if errors.Is(err, token.ErrUnauthorized) {
		return Principal{}, s.unauthorized()
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate %s: %w", tk, err)
	}
	p := Principal{Kind: kindOfToken[tk], OrgID: t.OrgID, KeyID: t.ID, Name: t.Name}
	if !s.accepts(p.Kind) {
		return Principal{}, fault.New(fault.WrongCredential, "this is %s; %s takes %s: %s",
			p.Kind.with(), s.Name, s.want().with(), about[s.want()].howTo)
	}
	return p, nil
}

func (s *Surface) unauthorized() error {
	return fault.New(fault.Unauthorized, "the %s is invalid or revoked; get a new one with: %s", about[s.want()].name, about[s.want()].howTo)
}

// want is the kind a refusal tells the caller to get.
func (s *Surface) want() Kind {
	if len(s.Accept) == 0 {
		return APIKey
	}
	return s.Accept[0]
}

func (s *Surface) accepts(k Kind) bool {
	for _, a := range s.Accept {
		if a == k {
			return true
		}
	}
	return false
}

// Require wraps next so that it runs only for an authenticated principal,
// which it finds with FromContext; fail writes a refusal in the surface's
// own error format.
func (s *Surface) Require(next http.Handler, fail func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.Authenticate(r)
		if err != nil {
			fail(w, r, err)
			return
		}
		if err := s.Limits.Limit(w, r, p); err != nil {
			fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}
