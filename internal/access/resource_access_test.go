package access

import (
	"context"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// TestResourceAccessPages pages through who reaches each resource with
// small pages and compares with every user checked one by one: the
// bounded candidate rounds must neither skip nor repeat anyone, also when
// deactivated users (2% here, and all of a group below) thin them out.
func TestResourceAccessPages(t *testing.T) {
	snap, uids, folders := benchOrg(600, 20, 6, 30, 3)
	// A group of only deactivated users granted on a workspace: rounds
	// that resolve nobody must still move on.
	snap.Groups = append(snap.Groups, "g-gone")
	for i, u := range uids {
		if i%50 == 0 {
			snap.Membership = append(snap.Membership, store.GroupMembership{GroupID: "g-gone", UserID: u})
		}
	}
	snap.Grants = append(snap.Grants, store.Grant{ResourceType: store.ResourceWorkspace, ResourceID: folders[0].WorkspaceID, GroupID: "g-gone", Role: store.RoleViewer})
	// An invite-only folder shared only with a group whose first members
	// in id order are all deactivated: the first rounds find nobody.
	mixed := store.Folder{ID: "f-mixed", WorkspaceID: folders[0].WorkspaceID, Name: "mixed", TeamAccess: store.TeamAccessInviteOnly}
	snap.Folders = append(snap.Folders, mixed)
	folders = append(folders, mixed)
	snap.Groups = append(snap.Groups, "g-mixed")
	for i := 0; i <= 500; i += 50 {
		snap.Membership = append(snap.Membership, store.GroupMembership{GroupID: "g-mixed", UserID: uids[i]})
	}
	for i := 551; i <= 560; i++ {
		snap.Membership = append(snap.Membership, store.GroupMembership{GroupID: "g-mixed", UserID: uids[i]})
	}
	snap.Grants = append(snap.Grants, store.Grant{ResourceType: store.ResourceFolder, ResourceID: mixed.ID, GroupID: "g-mixed", Role: store.RoleChecker})
	snap.OrgRoles = append(snap.OrgRoles, store.OrgMember{UserID: uids[7], Role: store.OrgAdmin})
	res := &Resolver{Store: snapStore{snap}, PollInterval: -1}
	ctx := context.Background()
	for _, f := range folders {
		for _, k := range []resKey{{store.ResourceFolder, f.ID}, {store.ResourceWorkspace, f.WorkspaceID}} {
			var want []string
			for _, u := range uids {
				lv, err := res.Level(ctx, "org", u, k.t, k.id)
				if err != nil {
					t.Fatal(err)
				}
				if lv != LevelNone {
					want = append(want, u)
				}
			}
			slices.Sort(want)
			for _, limit := range []int{1, 3, 50} {
				var got []string
				after := ""
				for pages := 0; ; pages++ {
					page, more, err := res.ResourceAccess(ctx, "org", k.t, k.id, after, limit)
					if err != nil {
						t.Fatal(err)
					}
					if len(page) > limit || more && len(page) < limit {
						t.Fatalf("%v limit %d: a page of %d, more=%v", k, limit, len(page), more)
					}
					for _, p := range page {
						got = append(got, p.UserID)
					}
					if !more {
						break
					}
					after = page[len(page)-1].UserID
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%v limit %d: paged %d users, checked one by one %d", k, limit, len(got), len(want))
				}
			}
		}
	}
}
