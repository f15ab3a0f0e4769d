package token

import (
	"context"
	"errors"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Instance admin keys ("roster_admin_…") create organizations and issue
// their API keys through the host API. They belong to no organization, so
// the store keeps them apart from the per-organization tokens (see
// store.AdminTokenStore), and they have no place in any organization's
// event log: who created or revoked one is recorded in the Service's
// Logger, when it has one.

// adminStore is what the Service needs of the store for admin keys.
type adminStore interface {
	CreateAdminToken(ctx context.Context, t store.Token) (store.Token, error)
	GetAdminToken(ctx context.Context, id string) (store.Token, error)
	ListAdminTokens(ctx context.Context) ([]store.Token, error)
	RevokeAdminToken(ctx context.Context, id string) (store.Token, error)
	TouchAdminToken(ctx context.Context, id string, at time.Time) error
}

// adminCacheKey is the cache key of an admin key's record. Admin keys and
// organization tokens live in two tables, so their ids are kept apart
// here too; ids never hold a slash.
func adminCacheKey(id string) string { return "admin/" + id }

// CreateAdmin issues an instance admin key. The returned text is the only
// copy of the key: only the hash of its secret is stored.
func (s *Service) CreateAdmin(ctx context.Context, actor store.Actor, name string) (string, store.Token, error) {
	text, p, err := New(store.TokenAdmin)
	if err != nil {
		return "", store.Token{}, err
	}
	if name == "" {
		name = "admin key"
	}
	t, err := s.Store.CreateAdminToken(ctx, store.Token{
		ID: p.ID, Kind: store.TokenAdmin, Name: name, SecretHash: Hash(p.Secret), Hint: Hint(text),
	})
	if err != nil {
		return "", store.Token{}, err
	}
	s.audit(ctx, "admin_key.created", actor, t)
	return text, t, nil
}

// ListAdmin returns every admin key, revoked ones included, newest first.
func (s *Service) ListAdmin(ctx context.Context) ([]store.Token, error) {
	return s.Store.ListAdminTokens(ctx)
}

// RevokeAdmin revokes an admin key: this Service refuses it at once, and
// so do other instances that Watch a shared store; any other process within
// its CacheTTL. Revoking a revoked key changes nothing.
func (s *Service) RevokeAdmin(ctx context.Context, actor store.Actor, id string) (store.Token, error) {
	t, err := s.Store.RevokeAdminToken(ctx, id)
	s.revocations.Add(1)
	s.cache.Delete(adminCacheKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return store.Token{}, fault.NotFoundf("there is no admin key with id %q", id)
	}
	if err != nil {
		return store.Token{}, err
	}
	s.audit(ctx, "admin_key.revoked", actor, t)
	return t, nil
}

// audit records an admin key's creation or revocation in the log: admin
// keys have no event log of their own.
func (s *Service) audit(ctx context.Context, event string, actor store.Actor, t store.Token) {
	if s.Logger == nil {
		return
	}
	s.Logger.InfoContext(ctx, event, "key_id", t.ID, "key_name", t.Name,
		"actor_kind", actor.Kind, "actor_id", actor.ID, "actor_name", actor.Name)
}
