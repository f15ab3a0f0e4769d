package access_test

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
)

// countingSnapshots is a real store that counts the resolver's full reads
// of an organization.
type countingSnapshots struct {
	store.Store
	reads atomic.Int32
}

func (s *countingSnapshots) AccessSnapshot(ctx context.Context, orgID string) (store.AccessSnapshot, error) {
	s.reads.Add(1)
	return s.Store.AccessSnapshot(ctx, orgID)
}

// Every event roster writes in normal use is applied to the index in
// place: a full read costs seconds at 100,000 users, and it used to follow
// an owner's console sign-in, any webhook change and the deletion of a
// group whose members had joined through it. The members' answers after
// the change are those of an index built fresh.
func TestEveryEventAppliesWithoutARebuild(t *testing.T) {
	for _, e := range engines {
		for _, removal := range []store.GroupRemoval{store.GroupRemovalRevoke, store.GroupRemovalKeep} {
			t.Run(e.name+"/"+string(removal), func(t *testing.T) {
				ctx := context.Background()
				w := newWorld(t, e.open(t, time.Now), store.PlanEnterprise, removal)
				counting := &countingSnapshots{Store: w.s}
				res := &access.Resolver{Store: counting, PollInterval: -1}
				svc := &access.Service{Store: w.s, Resolver: res}
				ws, _, err := svc.CreateWorkspace(ctx, ownerActor, w.org.ID, "Design", "")
				if err != nil {
					t.Fatal(err)
				}
				ana, ben := w.user("ana"), w.user("ben")
				sales := w.group("Sales", ana.ID, ben.ID)
				if _, _, err := svc.PutGrant(ctx, ownerActor, w.org.ID, store.ResourceWorkspace, ws.ID, sales.ID, store.RoleEditor); err != nil {
					t.Fatal(err)
				}
				for _, u := range []store.User{ana, ben} {
					if _, _, err := svc.Join(ctx, ownerActor, w.org.ID, u.ID, store.ResourceWorkspace, ws.ID); err != nil {
						t.Fatal(err)
					}
				}
				// ben is also invited, so the group's deletion removes one
				// of his two memberships (member.origin_removed under revoke).
				if _, err := svc.PutMember(ctx, ownerActor, store.ResourceMember{OrgID: w.org.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, UserID: ben.ID, Role: store.RoleViewer}); err != nil {
					t.Fatal(err)
				}
				check := func(r *access.Resolver, u store.User) access.Decision {
					t.Helper()
					d, err := r.Check(ctx, w.org.ID, u.ID, store.ResourceWorkspace, ws.ID, store.RoleViewer)
					if err != nil {
						t.Fatal(err)
					}
					return d
				}
				check(res, ana)
				before := counting.reads.Load()

				now := time.Now()
				link := store.ConsoleLink{ID: "link-1", OrgID: w.org.ID, SecretHash: make([]byte, 32), Hint: "abcd", ExpiresAt: now.Add(time.Hour)}
				link2 := link
				link2.ID = "link-2"
				sess := func(b byte) store.ConsoleSession {
					return store.ConsoleSession{IDHash: []byte{b, 31: 0}, OrgID: w.org.ID, Actor: ownerActor, CreatedAt: now, LastSeenAt: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(time.Hour)}
				}
				steps := []struct {
					name string
					do   func() error
				}{
					{"console link created", func() error { _, err := w.s.CreateConsoleLink(ctx, ownerActor, link); return err }},
					{"console link used", func() error { return w.s.UseConsoleLink(ctx, link.ID, sess(1)) }},
					{"console link revoked", func() error {
						if _, err := w.s.CreateConsoleLink(ctx, ownerActor, link2); err != nil {
							return err
						}
						_, err := w.s.RevokeConsoleLink(ctx, ownerActor, w.org.ID, link2.ID)
						return err
					}},
					{"console signed in and out", func() error {
						if err := w.s.StartConsoleSession(ctx, sess(2), "sso"); err != nil {
							return err
						}
						return w.s.DeleteConsoleSession(ctx, ownerActor, w.org.ID, sess(2).IDHash, "logout")
					}},
					{"webhook changes", func() error {
						ep, err := w.s.CreateWebhook(ctx, ownerActor, store.WebhookEndpoint{ID: "wh-1", OrgID: w.org.ID, URL: "https://hooks.example.com/roster", Enabled: true, Secret: "whsec_one"})
						if err != nil {
							return err
						}
						desc := "host app"
						if ep, err = w.s.UpdateWebhook(ctx, ownerActor, w.org.ID, ep.ID, 0, store.WebhookPatch{Description: &desc}); err != nil {
							return err
						}
						if _, err = w.s.RotateWebhookSecret(ctx, ownerActor, w.org.ID, ep.ID, "whsec_two", now.Add(time.Hour)); err != nil {
							return err
						}
						if _, err = w.s.SetWebhookEnabled(ctx, ownerActor, w.org.ID, ep.ID, false, "paused"); err != nil {
							return err
						}
						if _, err = w.s.SetWebhookEnabled(ctx, ownerActor, w.org.ID, ep.ID, true, ""); err != nil {
							return err
						}
						return w.s.DeleteWebhook(ctx, ownerActor, w.org.ID, ep.ID)
					}},
					{"access.changed derived", func() error {
						// As the deriver records it (package events): the users
						// a change named, after the change.
						ds, err := w.s.ClaimAccessDerivations(ctx, "test", now, now.Add(time.Minute), 10)
						if err != nil {
							return err
						}
						for _, d := range ds {
							if d.Cursor.OrgID != w.org.ID {
								continue
							}
							to := store.AccessCursor{OrgID: w.org.ID, Seq: d.Last}
							changes := []store.AccessChange{{UserID: ana.ID, CauseSeq: d.Last, CauseType: "grant.created"}}
							return w.s.RecordAccessDerivation(ctx, d.Cursor, to, changes, "")
						}
						t.Fatal("the organization has nothing to derive")
						return nil
					}},
					{"group with joined members deleted", func() error { return w.s.DeleteGroup(ctx, scimActor, w.org.ID, sales.ID) }},
				}
				for _, st := range steps {
					if err := st.do(); err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
					res.Invalidate(w.org.ID)
					check(res, ana)
					if n := counting.reads.Load() - before; n != 0 {
						t.Fatalf("after %s the index was rebuilt (%d full reads); it should apply the events", st.name, n)
					}
				}
				fresh := &access.Resolver{Store: w.s, PollInterval: -1}
				for _, u := range []store.User{ana, ben} {
					if got, want := check(res, u), check(fresh, u); !reflect.DeepEqual(got, want) {
						t.Errorf("%s after the group's deletion:\n got %+v\nwant %+v (fresh index)", u.UserName, got, want)
					}
				}
				reach := func(r *access.Resolver) []access.Reacher {
					out, _, err := r.ResourceAccess(ctx, w.org.ID, store.ResourceWorkspace, ws.ID, "", 100)
					if err != nil {
						t.Fatal(err)
					}
					return out
				}
				if got, want := reach(res), reach(fresh); !reflect.DeepEqual(got, want) {
					t.Errorf("who reaches Design after the group's deletion:\n got %+v\nwant %+v (fresh index)", got, want)
				}
			})
		}
	}
}
