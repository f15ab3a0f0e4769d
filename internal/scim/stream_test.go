package scim_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/server"
	"github.com/rosterhq/roster/internal/store"
)

// gatedStore holds back every page of members after the first until the
// client has received part of the response.
type gatedStore struct {
	store.Store
	received chan struct{}
	once     sync.Once
	waited   bool
	timedOut bool
}

func (g *gatedStore) ListMembers(ctx context.Context, orgID, groupID, after string, limit int) ([]store.Member, error) {
	if after != "" {
		g.once.Do(func() {
			g.waited = true
			select {
			case <-g.received:
			case <-time.After(5 * time.Second):
				g.timedOut = true
			}
		})
	}
	return g.Store.ListMembers(ctx, orgID, groupID, after, limit)
}

// TestGroupMembersStream shows that GET /Groups/{id} writes members as it
// reads them: the client receives the start of the response while the
// store still holds back the second page of members, which a handler that
// built the whole response first could never do.
func TestGroupMembersStream(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	ids := make([]string, 2500)
	for i := range ids {
		u, err := e.store.CreateUser(ctx, store.Actor{Kind: "cli"}, store.User{OrgID: e.org, ID: fmt.Sprintf("s%05d", i),
			UserName: fmt.Sprintf("s%d@example.com", i), Active: true, Attributes: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = u.ID
	}
	g, err := e.store.CreateGroup(ctx, store.Actor{Kind: "cli"}, store.Group{OrgID: e.org, ID: "big", DisplayName: "Big"}, ids)
	if err != nil {
		t.Fatal(err)
	}
	gated := &gatedStore{Store: e.store, received: make(chan struct{})}
	h := &scim.Handler{Directory: &directory.Service{Store: gated}, Orgs: &access.Service{Store: gated}, Tokens: e.tokens, Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(server.New(&server.Server{Logger: slog.New(slog.DiscardHandler)}, h))
	defer srv.Close()
	h.BaseURL = srv.URL

	req, _ := http.NewRequest("GET", srv.URL+"/scim/v2/Groups/"+g.ID, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	first := make([]byte, 1024)
	if _, err := io.ReadFull(res.Body, first); err != nil {
		t.Fatalf("reading the start of the response: %v", err)
	}
	close(gated.received)
	rest, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !gated.waited || gated.timedOut {
		t.Errorf("the response was not streamed: waited %v, timed out %v", gated.waited, gated.timedOut)
	}
	if n := len(first) + len(rest); n < 2500*100 {
		t.Errorf("response of %d bytes for 2,500 members", n)
	}
}
