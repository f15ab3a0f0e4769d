package api

import (
	"context"

	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/token"
)

// adminKeyCreator stores admin keys.
type adminKeyCreator interface {
	CreateAdminToken(ctx context.Context, t store.Token) (store.Token, error)
}

// CreateAdminKey issues an instance admin key ("roster_admin_…") in the
// token package's format. The returned text is the only copy: the store
// keeps the SHA-256 hash of its secret.
func CreateAdminKey(ctx context.Context, s adminKeyCreator, name string) (string, store.Token, error) {
	text, p, err := token.New(store.TokenAdmin)
	if err != nil {
		return "", store.Token{}, err
	}
	if name == "" {
		name = "admin key"
	}
	t, err := s.CreateAdminToken(ctx, store.Token{ID: p.ID, Kind: store.TokenAdmin, Name: name,
		SecretHash: token.Hash(p.Secret), Hint: token.Hint(text)})
	if err != nil {
		return "", store.Token{}, err
	}
	return text, t, nil
}
