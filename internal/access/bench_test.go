package access

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// snapStore serves a fixed snapshot: the benchmarks measure the check, not
// the database.
type snapStore struct{ snap store.AccessSnapshot }

func (s snapStore) EventSeq(context.Context, string) (int64, error) { return s.snap.Seq, nil }
func (s snapStore) AccessSnapshot(context.Context, string) (store.AccessSnapshot, error) {
	return s.snap, nil
}
func (s snapStore) ListEvents(context.Context, string, int64, int) ([]store.Event, error) {
	return nil, nil
}

// benchOrg builds the benchmark's organization in memory, shaped like
// rosterload seed-access: users in perUser random groups, workspaces with
// folders (a third invite-only, each granted to one group), two group
// grants per workspace, ten invited members per workspace. 2% of users are
// deactivated.
func benchOrg(users, groups, workspaces, folders, perUser int) (store.AccessSnapshot, []string, []store.Folder) {
	r := rand.New(rand.NewPCG(1, 2))
	s := store.AccessSnapshot{Org: store.Org{ID: "org", Plan: store.PlanEnterprise, Settings: store.DefaultSettings()}, Seq: 1}
	uids := make([]string, users)
	for i := range uids {
		uids[i] = fmt.Sprintf("01a20ac3-0000-7000-8000-%012d", i)
		s.Users = append(s.Users, store.UserState{ID: uids[i], Active: i%50 != 0})
	}
	gids := make([]string, groups)
	for i := range gids {
		gids[i] = fmt.Sprintf("01a20ac3-1111-7000-8000-%012d", i)
		s.Groups = append(s.Groups, gids[i])
	}
	for _, u := range uids {
		for _, g := range r.Perm(groups)[:perUser] {
			s.Membership = append(s.Membership, store.GroupMembership{GroupID: gids[g], UserID: u})
		}
	}
	per := folders / workspaces
	for i := 0; i < workspaces; i++ {
		ws := fmt.Sprintf("01a20ac3-2222-7000-8000-%012d", i)
		s.Workspaces = append(s.Workspaces, store.Workspace{ID: ws, Name: "w"})
		var fids []string
		for j := 0; j < per; j++ {
			f := store.Folder{ID: fmt.Sprintf("01a20ac3-3333-7000-%04d-%012d", j, i), WorkspaceID: ws, Name: "f",
				IsHome: j == 0, TeamAccess: store.TeamAccessWorkspace}
			if j > 0 && j%3 == 0 {
				f.TeamAccess = store.TeamAccessInviteOnly
				s.Grants = append(s.Grants, store.Grant{ResourceType: store.ResourceFolder, ResourceID: f.ID, GroupID: gids[r.IntN(groups)], Role: store.RoleViewer})
			}
			s.Folders = append(s.Folders, f)
			fids = append(fids, f.ID)
		}
		for k := 0; k < 2; k++ {
			s.Grants = append(s.Grants, store.Grant{ResourceType: store.ResourceWorkspace, ResourceID: ws, GroupID: gids[r.IntN(groups)], Role: store.RoleEditor})
		}
		for k := 0; k < 10; k++ {
			s.Members = append(s.Members, store.ResourceMember{ResourceType: store.ResourceFolder, ResourceID: fids[r.IntN(len(fids))],
				UserID: uids[r.IntN(users)], Origin: store.OriginInvited, Role: store.RoleChecker})
		}
	}
	return s, uids, s.Folders
}

// BenchmarkCheck measures one explained access check (what POST
// /api/v1/check computes) on the 100,000-user organization.
func BenchmarkCheck(b *testing.B) {
	snap, uids, folders := benchOrg(100_000, 1_000, 1_000, 10_000, 5)
	res := &Resolver{Store: snapStore{snap}, PollInterval: -1}
	ctx := context.Background()
	if err := res.Refresh(ctx, "org"); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	type q struct {
		u  string
		rt store.ResourceType
		id string
	}
	qs := make([]q, 4096)
	for i := range qs {
		f := folders[r.IntN(len(folders))]
		qs[i] = q{uids[r.IntN(len(uids))], store.ResourceFolder, f.ID}
		if i%2 == 0 {
			qs[i] = q{qs[i].u, store.ResourceWorkspace, f.WorkspaceID}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := qs[i&4095]
		if _, err := res.Check(ctx, "org", c.u, c.rt, c.id, store.RoleViewer); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}

// BenchmarkCheckGroups shows how a check's cost grows with the number of
// groups the user is in: the resolver walks the shorter of the user's
// groups and the resource's grants, so past a few groups the cost stays
// flat. The resource has two group grants, as in the seeded data.
func BenchmarkCheckGroups(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			snap, uids, folders := benchOrg(2_000, 1_000, 100, 1_000, 1)
			for _, g := range snap.Groups[:n] {
				snap.Membership = append(snap.Membership, store.GroupMembership{GroupID: g, UserID: uids[1]})
			}
			res := &Resolver{Store: snapStore{snap}, PollInterval: -1}
			ctx := context.Background()
			if err := res.Refresh(ctx, "org"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f := folders[i%len(folders)]
				if _, err := res.Check(ctx, "org", uids[1], store.ResourceWorkspace, f.WorkspaceID, store.RoleViewer); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
		})
	}
}

// BenchmarkApplyUserDeleted measures applying one user.deleted to an
// index of 1,000 or 10,000 resources: what a mass deprovisioning in the
// IdP costs each check waiting on the index's lock.
func BenchmarkApplyUserDeleted(b *testing.B) {
	for _, size := range []struct{ workspaces, folders int }{{100, 1_000}, {1_000, 10_000}} {
		b.Run(fmt.Sprintf("resources=%d", size.workspaces+size.folders), func(b *testing.B) {
			snap, uids, _ := benchOrg(20_000, 100, size.workspaces, size.folders, 5)
			x := buildIndex(snap)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i == len(uids) {
					b.StopTimer()
					x = buildIndex(snap)
					b.StartTimer()
				}
				e := store.Event{Seq: x.seq + 1, Type: "user.deleted", SubjectID: uids[i%len(uids)]}
				if err := x.apply(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
