package access_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/postgres/pgtest"
	"github.com/rosterhq/roster/internal/store/sqlite"
)

// engines are the stores every access test runs on. PostgreSQL is skipped
// without ROSTER_TEST_POSTGRES.
var engines = []struct {
	name string
	open func(t *testing.T, now func() time.Time) store.Store
}{
	{"sqlite", func(t *testing.T, now func() time.Time) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roster.db"), sqlite.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T, now func() time.Time) store.Store {
		s := pgtest.Open(t, now)
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

var (
	scimActor  = store.Actor{Kind: "scim_token", ID: "tk-okta", Name: "okta"}
	ownerActor = store.Actor{Kind: "api_key", ID: "key-app", Name: "host app"}
)

// world is one organization under test.
type world struct {
	t   *testing.T
	s   store.Store
	svc *access.Service
	res *access.Resolver
	org store.Org
}

func newWorld(t *testing.T, s store.Store, plan store.Plan, removal store.GroupRemoval) *world {
	t.Helper()
	ctx := context.Background()
	set := store.DefaultSettings()
	set.GroupRemoval = removal
	id, _ := access.NewID()
	o, err := s.CreateOrg(ctx, ownerActor, store.Org{ID: id, Name: "Acme", Plan: plan, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	res := &access.Resolver{Store: s, PollInterval: -1}
	return &world{t: t, s: s, svc: &access.Service{Store: s, Resolver: res}, res: res, org: o}
}

// scim wraps a store write made the way the SCIM layer makes it: straight
// to the store, then Invalidate.
func (w *world) scim(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
	w.res.Invalidate(w.org.ID)
}

func (w *world) user(name string) store.User {
	w.t.Helper()
	id, _ := access.NewID()
	u, err := w.s.CreateUser(context.Background(), scimActor, store.User{OrgID: w.org.ID, ID: id, UserName: name, Active: true,
		Attributes: json.RawMessage(`{}`)})
	w.scim(err)
	return u
}

func (w *world) group(name string, members ...string) store.Group {
	w.t.Helper()
	id, _ := access.NewID()
	g, err := w.s.CreateGroup(context.Background(), scimActor, store.Group{OrgID: w.org.ID, ID: id, DisplayName: name}, members)
	w.scim(err)
	return g
}

func (w *world) setActive(u store.User, active bool) {
	w.t.Helper()
	cur, err := w.s.GetUser(context.Background(), w.org.ID, u.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	cur.Active = active
	_, err = w.s.ReplaceUser(context.Background(), scimActor, cur, 0)
	w.scim(err)
}

func (w *world) removeFromGroup(g store.Group, users ...string) {
	w.t.Helper()
	_, err := w.s.UpdateGroup(context.Background(), scimActor, store.GroupUpdate{OrgID: w.org.ID, ID: g.ID, Remove: users})
	w.scim(err)
}

func (w *world) addToGroup(g store.Group, users ...string) {
	w.t.Helper()
	_, err := w.s.UpdateGroup(context.Background(), scimActor, store.GroupUpdate{OrgID: w.org.ID, ID: g.ID, Add: users})
	w.scim(err)
}

// role returns a user's effective role on a resource ("" for none).
func (w *world) role(u store.User, rt store.ResourceType, id string) string {
	w.t.Helper()
	d, err := w.res.Check(context.Background(), w.org.ID, u.ID, rt, id, store.RoleViewer)
	if err != nil {
		w.t.Fatalf("Check(%s, %s %s): %v", u.UserName, rt, id, err)
	}
	return d.Role
}
