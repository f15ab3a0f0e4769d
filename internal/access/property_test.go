package access_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/store"
	"github.com/rosterhq/roster/internal/store/storetest"
)

// model is a random organization kept as plain lists, with a brute-force
// reading of DESIGN.md's membership rules over them.
type model struct {
	policy   store.GroupRemoval
	users    map[string]bool          // id → active
	inGroup  map[[2]string]bool       // {group, user}
	folders  map[string][2]string     // id → {workspace, team access}
	grants   map[[3]string]store.Role // {type, resource, group}
	members  map[[4]string]store.Role // {type, resource, user, origin}
	orgRoles map[string]store.OrgRole
}

var rank = map[store.Role]access.Level{store.RoleViewer: access.LevelViewer, store.RoleChecker: access.LevelChecker, store.RoleEditor: access.LevelEditor}

func (m *model) level(u string, rt store.ResourceType, id string) access.Level {
	active, ok := m.users[u]
	if !ok || !active {
		return access.LevelNone
	}
	switch m.orgRoles[u] {
	case store.OrgOwner:
		return access.LevelOwner
	case store.OrgAdmin:
		return access.LevelAdmin
	}
	type res struct {
		t  store.ResourceType
		id string
	}
	on := []res{{rt, id}}
	if rt == store.ResourceFolder && m.folders[id][1] == string(store.TeamAccessWorkspace) {
		on = append(on, res{store.ResourceWorkspace, m.folders[id][0]})
	}
	eligible := func(g string, r res) bool {
		if !m.inGroup[[2]string{g, u}] {
			return false
		}
		if _, ok := m.grants[[3]string{string(r.t), r.id, g}]; ok {
			return true
		}
		if r.t == store.ResourceFolder && m.folders[r.id][1] == string(store.TeamAccessWorkspace) {
			_, ok := m.grants[[3]string{string(store.ResourceWorkspace), m.folders[r.id][0], g}]
			return ok
		}
		return false
	}
	best := access.LevelNone
	for _, r := range on {
		for k, role := range m.grants {
			if k[0] == string(r.t) && k[1] == r.id && m.inGroup[[2]string{k[2], u}] && rank[role] > best {
				best = rank[role]
			}
		}
		for k, role := range m.members {
			if k[0] != string(r.t) || k[1] != r.id || k[2] != u {
				continue
			}
			if g, ok := strings.CutPrefix(k[3], "group:"); ok && m.policy == store.GroupRemovalRevoke && !eligible(g, r) {
				continue
			}
			if rank[role] > best {
				best = rank[role]
			}
		}
	}
	return best
}

// TestResolverMatchesBruteForce builds random organizations through the
// store, changes them at random (group membership, deactivation, grants,
// memberships, roles, policy), and compares the resolver — kept current by
// events, and built fresh — with the brute-force model on every user and
// resource.
func TestResolverMatchesBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			propertyRun(t, seed)
		})
	}
}

func propertyRun(t *testing.T, seed uint64) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(seed, 7))
	s := engines[0].open(t, storetest.NewClock().Now)
	policy := store.GroupRemovalRevoke
	if seed%2 == 0 {
		policy = store.GroupRemovalKeep
	}
	w := newWorld(t, s, store.PlanEnterprise, policy)
	m := &model{policy: policy, users: map[string]bool{}, inGroup: map[[2]string]bool{}, folders: map[string][2]string{},
		grants: map[[3]string]store.Role{}, members: map[[4]string]store.Role{}, orgRoles: map[string]store.OrgRole{}}
	roles := []store.Role{store.RoleViewer, store.RoleChecker, store.RoleEditor}
	pick := func(xs []string) string { return xs[rnd.IntN(len(xs))] }

	var users, groups, wss, folders []string
	var goneUsers, goneFolders []string
	homes := map[string]bool{}
	for i := 0; i < 10; i++ {
		u := w.user(fmt.Sprintf("user%d", i))
		users = append(users, u.ID)
		m.users[u.ID] = true
	}
	for i := 0; i < 4; i++ {
		var mem []string
		for _, u := range users {
			if rnd.IntN(3) == 0 {
				mem = append(mem, u)
			}
		}
		g := w.group(fmt.Sprintf("g%d", i), mem...)
		groups = append(groups, g.ID)
		for _, u := range mem {
			m.inGroup[[2]string{g.ID, u}] = true
		}
	}
	for i := 0; i < 3; i++ {
		ws, home, err := w.svc.CreateWorkspace(ctx, ownerActor, w.org.ID, fmt.Sprint("ws", i), "")
		if err != nil {
			t.Fatal(err)
		}
		wss = append(wss, ws.ID)
		folders = append(folders, home.ID)
		homes[home.ID] = true
		m.folders[home.ID] = [2]string{ws.ID, string(store.TeamAccessWorkspace)}
		for j := 0; j < 3; j++ {
			ta := store.TeamAccessWorkspace
			if rnd.IntN(2) == 0 {
				ta = store.TeamAccessInviteOnly
			}
			f, err := w.svc.CreateFolder(ctx, ownerActor, w.org.ID, ws.ID, fmt.Sprint("f", j), ta)
			if err != nil {
				t.Fatal(err)
			}
			folders = append(folders, f.ID)
			m.folders[f.ID] = [2]string{ws.ID, string(ta)}
		}
	}
	resource := func() (store.ResourceType, string) {
		if rnd.IntN(3) == 0 {
			return store.ResourceWorkspace, pick(wss)
		}
		return store.ResourceFolder, pick(folders)
	}
	step := func() {
		switch rnd.IntN(11) {
		case 0: // grant
			rt, id := resource()
			if rt == store.ResourceFolder && m.folders[id][1] != string(store.TeamAccessInviteOnly) {
				return
			}
			g, r := pick(groups), roles[rnd.IntN(3)]
			if _, _, err := w.svc.PutGrant(ctx, ownerActor, w.org.ID, rt, id, g, r); err != nil {
				t.Fatal(err)
			}
			m.grants[[3]string{string(rt), id, g}] = r
		case 1: // remove a grant
			for k := range m.grants {
				if err := w.svc.DeleteGrant(ctx, ownerActor, w.org.ID, store.ResourceType(k[0]), k[1], k[2]); err != nil {
					t.Fatal(err)
				}
				delete(m.grants, k)
				return
			}
		case 2, 3: // group membership change
			g, u := pick(groups), pick(users)
			if m.inGroup[[2]string{g, u}] {
				w.removeFromGroup(store.Group{ID: g}, u)
				delete(m.inGroup, [2]string{g, u})
			} else {
				w.addToGroup(store.Group{ID: g}, u)
				m.inGroup[[2]string{g, u}] = true
			}
		case 4: // deactivate or reactivate
			u := pick(users)
			w.setActive(store.User{ID: u}, !m.users[u])
			m.users[u] = !m.users[u]
		case 5: // join something the user can reach
			u := pick(users)
			rt, id := resource()
			_, joined, err := w.svc.Check(ctx, ownerActor, w.org.ID, u, rt, id, store.RoleViewer, true)
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range joined {
				m.members[[4]string{string(j.ResourceType), j.ResourceID, j.UserID, j.Origin}] = j.Role
			}
		case 6: // invite
			u := pick(users)
			rt, id := resource()
			r := roles[rnd.IntN(3)]
			if _, err := w.svc.PutMember(ctx, ownerActor, store.ResourceMember{OrgID: w.org.ID, ResourceType: rt, ResourceID: id, UserID: u, Role: r}); err != nil {
				t.Fatal(err)
			}
			m.members[[4]string{string(rt), id, u, "invited"}] = r
		case 7: // owner or admin, or not
			u := pick(users)
			if _, ok := m.orgRoles[u]; ok {
				if err := w.svc.RemoveOrgRole(ctx, ownerActor, w.org.ID, u); err != nil {
					t.Fatal(err)
				}
				delete(m.orgRoles, u)
			} else if rnd.IntN(3) == 0 {
				r := []store.OrgRole{store.OrgOwner, store.OrgAdmin}[rnd.IntN(2)]
				if _, err := w.svc.SetOrgRole(ctx, ownerActor, w.org.ID, u, r); err != nil {
					t.Fatal(err)
				}
				m.orgRoles[u] = r
			}
		case 8: // remove a direct membership
			u := pick(users)
			rt, id := resource()
			err := w.svc.RemoveMember(ctx, ownerActor, w.org.ID, rt, id, u)
			if err == nil {
				for k := range m.members {
					if k[0] == string(rt) && k[1] == id && k[2] == u {
						delete(m.members, k)
					}
				}
			}
		case 9: // delete a user (now and then: the others need users)
			if len(users) <= 6 || rnd.IntN(2) == 0 {
				return
			}
			i := rnd.IntN(len(users))
			u := users[i]
			w.scim(s.DeleteUser(ctx, scimActor, w.org.ID, u))
			users = append(users[:i], users[i+1:]...)
			goneUsers = append(goneUsers, u)
			delete(m.users, u)
			delete(m.orgRoles, u)
			for k := range m.inGroup {
				if k[1] == u {
					delete(m.inGroup, k)
				}
			}
			for k := range m.members {
				if k[2] == u {
					delete(m.members, k)
				}
			}
		case 10: // delete a folder other than a home folder
			if len(folders) <= len(homes)+4 {
				return
			}
			i := rnd.IntN(len(folders))
			id := folders[i]
			if homes[id] {
				return
			}
			if err := w.svc.DeleteFolder(ctx, ownerActor, w.org.ID, id); err != nil {
				t.Fatal(err)
			}
			folders = append(folders[:i], folders[i+1:]...)
			goneFolders = append(goneFolders, id)
			delete(m.folders, id)
			for k := range m.grants {
				if k[0] == string(store.ResourceFolder) && k[1] == id {
					delete(m.grants, k)
				}
			}
			for k := range m.members {
				if k[0] == string(store.ResourceFolder) && k[1] == id {
					delete(m.members, k)
				}
			}
		}
	}
	compare := func(res *access.Resolver, label string) {
		t.Helper()
		for _, u := range users {
			check := func(rt store.ResourceType, id string) {
				got, err := res.Level(ctx, w.org.ID, u, rt, id)
				if err != nil {
					t.Fatal(err)
				}
				if want := m.level(u, rt, id); got != want {
					t.Errorf("%s: user %s on %s %s: resolver %v, brute force %v", label, u, rt, id, got, want)
				}
			}
			for _, ws := range wss {
				check(store.ResourceWorkspace, ws)
			}
			for _, f := range folders {
				check(store.ResourceFolder, f)
			}
			for _, f := range goneFolders {
				if _, err := res.Level(ctx, w.org.ID, u, store.ResourceFolder, f); err == nil {
					t.Errorf("%s: deleted folder %s is still found", label, f)
				}
			}
		}
		for _, u := range goneUsers {
			if _, err := res.Check(ctx, w.org.ID, u, store.ResourceWorkspace, wss[0], store.RoleViewer); err == nil {
				t.Errorf("%s: deleted user %s is still found", label, u)
			}
		}
	}
	for round := 0; round < 6; round++ {
		for i := 0; i < 25; i++ {
			step()
		}
		compare(w.res, fmt.Sprintf("round %d, incremental", round))
		fresh := &access.Resolver{Store: s, PollInterval: -1}
		compare(fresh, fmt.Sprintf("round %d, fresh", round))
		// The listings read what checks do not (members of deleted users
		// and resources would show here first): incremental and fresh
		// must list the same.
		for _, ws := range wss {
			sameReach(t, w.res, fresh, w.org.ID, store.ResourceWorkspace, ws, round)
		}
		for _, f := range folders {
			sameReach(t, w.res, fresh, w.org.ID, store.ResourceFolder, f, round)
		}
		for _, u := range users {
			a, _, errA := w.res.UserAccess(ctx, w.org.ID, u, "", 1000)
			b, _, errB := fresh.UserAccess(ctx, w.org.ID, u, "", 1000)
			if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
				t.Errorf("round %d: access of user %s: incremental %+v (%v), fresh %+v (%v)", round, u, a, errA, b, errB)
			}
		}
		if t.Failed() {
			return
		}
	}
}

func sameReach(t *testing.T, a, b *access.Resolver, org string, rt store.ResourceType, id string, round int) {
	t.Helper()
	ctx := context.Background()
	ra, _, errA := a.ResourceAccess(ctx, org, rt, id, "", 1000)
	rb, _, errB := b.ResourceAccess(ctx, org, rt, id, "", 1000)
	if errA != nil || errB != nil || !reflect.DeepEqual(ra, rb) {
		t.Errorf("round %d: who reaches %s %s: incremental %+v (%v), fresh %+v (%v)", round, rt, id, ra, errA, rb, errB)
	}
}
