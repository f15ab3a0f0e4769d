package access_test

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/store"
)

// TestJoinGranted: joining on sign-in joins what the user's group grants
// cover — a workspace, and an invite-only folder granted on its own — once,
// and nothing for a user whose groups are granted nothing.
func TestJoinGranted(t *testing.T) {
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, eng.open(t, time.Now), store.PlanEnterprise, store.GroupRemovalRevoke)
			alice, bob := w.user("alice@example.com"), w.user("bob@example.com")
			engineering := w.group("Engineering", alice.ID)
			w.group("Sales", bob.ID)
			ws, _, err := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "Docs", "")
			if err != nil {
				t.Fatal(err)
			}
			secret, err := w.svc.CreateFolder(ctx, ownerActor, w.org.ID, ws.ID, "Secret", store.TeamAccessInviteOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range []struct {
				rt store.ResourceType
				id string
			}{{store.ResourceWorkspace, ws.ID}, {store.ResourceFolder, secret.ID}} {
				if _, _, err := w.svc.PutGrant(ctx, ownerActor, w.org.ID, g.rt, g.id, engineering.ID, store.RoleViewer); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				name string
				user store.User
				want int
			}{
				{"first sign-in joins both", alice, 2},
				{"second sign-in joins nothing new", alice, 0},
				{"no grant, nothing to join", bob, 0},
			} {
				added, err := w.svc.JoinGranted(ctx, store.Actor{Kind: "user", ID: tc.user.ID}, w.org.ID, tc.user.ID)
				if n := len(added); err != nil || n != tc.want {
					t.Errorf("%s: JoinGranted = %d, %v; want %d", tc.name, n, err, tc.want)
				}
			}
			for _, r := range []struct {
				rt store.ResourceType
				id string
			}{{store.ResourceWorkspace, ws.ID}, {store.ResourceFolder, secret.ID}} {
				ms, err := w.svc.ListMembers(ctx, w.org.ID, r.rt, r.id, "", 10)
				if err != nil || len(ms) != 1 || ms[0].UserID != alice.ID || ms[0].Origin != store.OriginGroupPrefix+engineering.ID {
					t.Errorf("members of %s %s = %+v, %v; want alice through Engineering", r.rt, r.id, ms, err)
				}
			}
		})
	}
}
