package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

// surfaces returns the API's two uses of the auth seam: organization
// endpoints take an API key, instance administration an admin key.
func (h *Handler) surfaces() (org, admin *auth.Surface) {
	creds := credentials{keys: h.Keys, admin: h.Admin, now: h.now}
	return &auth.Surface{Name: "the host API", Accept: []auth.Kind{auth.APIKey}, Tokens: creds},
		&auth.Surface{Name: "instance administration", Accept: []auth.Kind{auth.AdminKey}, Tokens: creds}
}

// principal returns who made the request, as the auth seam put it in the
// context; routes without a credential have the zero Principal.
func principal(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

// adminKeys is what the credentials adapter needs to verify admin keys.
type adminKeys interface {
	GetAdminToken(ctx context.Context, id string) (store.Token, error)
	TouchAdminToken(ctx context.Context, id string, at time.Time) error
}

// credentials is an auth.Authenticator: organization credentials through
// the token service, admin keys through the admin key store, until the
// token service verifies admin keys itself. Nothing is cached here: the
// token service's record cache is invalidated by its own Revoke, so a key
// revoked through this instance fails on its very next request.
type credentials struct {
	keys  *token.Service
	admin adminKeys
	now   func() time.Time
}

// Authenticate verifies a credential of the kind given.
func (c credentials) Authenticate(ctx context.Context, kind store.TokenKind, text string) (store.Token, error) {
	if kind != store.TokenAdmin {
		return c.keys.Authenticate(ctx, kind, text)
	}
	p, err := token.Parse(store.TokenAdmin, text)
	if err != nil {
		return store.Token{}, token.ErrUnauthorized
	}
	t, err := c.admin.GetAdminToken(ctx, p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, token.ErrUnauthorized
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("authenticate admin key: %w", err)
	}
	if subtle.ConstantTimeCompare(token.Hash(p.Secret), t.SecretHash) != 1 || t.Revoked() {
		return store.Token{}, token.ErrUnauthorized
	}
	_ = c.admin.TouchAdminToken(context.WithoutCancel(ctx), t.ID, c.now()) // bookkeeping only
	return t, nil
}
