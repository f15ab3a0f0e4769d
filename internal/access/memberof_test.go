package access

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// TestMemberOfFollowsMemberships pins the reverse index a user's deletion
// walks instead of every resource: after any sequence of membership and
// resource events, each user's memberOf is exactly the resources whose
// members hold the user, and a deleted user is in no resource's members.
func TestMemberOfFollowsMemberships(t *testing.T) {
	ws, f1, f2 := resKey{store.ResourceWorkspace, "w"}, resKey{store.ResourceFolder, "f1"}, resKey{store.ResourceFolder, "f2"}
	member := func(typ string, k resKey, u, origin string) store.Event {
		d, _ := json.Marshal(map[string]any{"resource_type": k.t, "resource_id": k.id, "user_id": u, "origin": origin, "role": "viewer"})
		return store.Event{Type: typ, SubjectID: k.id, Data: d}
	}
	originRemoved := func(k resKey, u, origin string) store.Event {
		d, _ := json.Marshal(map[string]any{"resource_type": k.t, "resource_id": k.id, "user_id": u, "origins": []string{origin}})
		return store.Event{Type: "member.origin_removed", SubjectID: k.id, Data: d}
	}
	originChanged := func(k resKey, u, from string) store.Event {
		d, _ := json.Marshal(map[string]any{"resource_type": k.t, "resource_id": k.id, "user_id": u, "origin": store.OriginKept, "from_origin": from, "role": "editor"})
		return store.Event{Type: "member.origin_changed", SubjectID: k.id, Data: d}
	}
	deleted := func(typ, id string, data any) store.Event {
		d, _ := json.Marshal(data)
		return store.Event{Type: typ, SubjectID: id, Data: d}
	}
	for _, tc := range []struct {
		name   string
		events []store.Event
	}{
		{"added twice, one entry", []store.Event{member("member.added", ws, "ann", "invited"), member("member.joined", ws, "ann", "group:g"), member("member.role_changed", ws, "ann", "invited")}},
		{"removed", []store.Event{member("member.added", ws, "ann", "invited"), member("member.added", f1, "ann", "invited"), member("member.removed", ws, "ann", "")}},
		{"removed and added again", []store.Event{member("member.added", f1, "ann", "invited"), member("member.removed", f1, "ann", ""), member("member.added", f1, "ann", "owner")}},
		{"one origin of two goes", []store.Event{member("member.added", ws, "ann", "invited"), member("member.joined", ws, "ann", "group:g"), originRemoved(ws, "ann", "group:g")}},
		{"the last origin goes", []store.Event{member("member.joined", f1, "ann", "group:g"), originRemoved(f1, "ann", "group:g")}},
		{"kept", []store.Event{member("member.joined", ws, "ann", "group:g"), originChanged(ws, "ann", "group:g")}},
		{"folder deleted", []store.Event{member("member.added", f1, "ann", "invited"), member("member.added", f2, "ann", "invited"), member("member.added", f1, "bob", "invited"), deleted("folder.deleted", "f1", nil)}},
		{"workspace deleted", []store.Event{member("member.added", ws, "ann", "invited"), member("member.added", f2, "ann", "invited"), deleted("workspace.deleted", "w", map[string]any{"folders": []string{"f1", "f2"}})}},
		{"user deleted", []store.Event{member("member.added", ws, "ann", "invited"), member("member.added", f1, "ann", "invited"), member("member.added", f1, "bob", "invited"), deleted("user.deleted", "ann", nil)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := buildIndex(store.AccessSnapshot{
				Org:        store.Org{ID: "org", Settings: store.DefaultSettings()},
				Users:      []store.UserState{{ID: "ann", Active: true}, {ID: "bob", Active: true}},
				Workspaces: []store.Workspace{{ID: "w"}},
				Folders:    []store.Folder{{ID: "f1", WorkspaceID: "w"}, {ID: "f2", WorkspaceID: "w"}},
			})
			for _, e := range tc.events {
				e.Seq = x.seq + 1
				if err := x.apply(e); err != nil {
					t.Fatalf("%s: %v", e.Type, err)
				}
			}
			for uid, u := range x.users {
				var want []resKey
				for _, k := range []resKey{ws, f1, f2} {
					if e := x.on(k); e != nil && len(e.members[uid]) > 0 {
						want = append(want, k)
					}
				}
				got := slices.Clone(u.memberOf)
				slices.SortFunc(got, compareKeys)
				slices.SortFunc(want, compareKeys)
				if !slices.Equal(got, want) {
					t.Errorf("%s is a member of %v, memberOf says %v", uid, want, got)
				}
			}
			for _, k := range []resKey{ws, f1, f2} {
				if e := x.on(k); e != nil {
					for uid := range e.members {
						if x.users[uid] == nil {
							t.Errorf("deleted user %s is still a member of %v", uid, k)
						}
					}
				}
			}
		})
	}
}
