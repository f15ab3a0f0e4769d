package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// testAccessStore pins the AccessStore contract: records, refusals with
// messages, events, paging and tenant isolation.
func testAccessStore(t *testing.T, s store.Store) {
	ctx := context.Background()
	o, other := mustOrg(t, s), mustOrg(t, s)
	ann := mustUser(t, s, o.ID, "ann")
	g := mustGroup(t, s, o.ID, "Sales", ann.ID)
	ws, home, err := s.CreateWorkspace(ctx, cli, store.Workspace{OrgID: o.ID, ID: id("w"), Name: "Sales"}, store.Folder{ID: id("f"), Name: "Home"}, ann.ID)
	if err != nil || ws.HomeFolderID != home.ID || !home.IsHome || home.TeamAccess != store.TeamAccessWorkspace {
		t.Fatalf("CreateWorkspace = %+v, %+v, %v", ws, home, err)
	}
	priv, err := s.CreateFolder(ctx, cli, store.Folder{OrgID: o.ID, ID: id("f"), WorkspaceID: ws.ID, Name: "Deals", TeamAccess: store.TeamAccessInviteOnly})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetWorkspace(ctx, o.ID, ws.ID); err != nil || got != ws {
		t.Errorf("GetWorkspace = %+v, %v; want %+v", got, err, ws)
	}
	// Grants: refused on a workspace-access folder, with a message.
	var ie *store.InvalidError
	if _, _, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: home.ID, GroupID: g.ID, Role: store.RoleViewer}); !errors.As(err, &ie) {
		t.Errorf("grant on a workspace-access folder err = %v, want *InvalidError", err)
	}
	if _, created, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: priv.ID, GroupID: g.ID, Role: store.RoleViewer}); err != nil || !created {
		t.Fatalf("PutGrant = %v, %v", created, err)
	}
	if _, created, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: priv.ID, GroupID: g.ID, Role: store.RoleEditor}); err != nil || created {
		t.Fatalf("PutGrant change = %v, %v", created, err)
	}
	ta := store.TeamAccessWorkspace
	if _, err := s.UpdateFolder(ctx, cli, store.FolderUpdate{OrgID: o.ID, ID: priv.ID, TeamAccess: &ta}); !errors.As(err, &ie) {
		t.Errorf("opening a granted folder err = %v, want *InvalidError", err)
	}
	if _, _, err := s.PutGrant(ctx, cli, store.Grant{OrgID: o.ID, ResourceType: store.ResourceWorkspace, ResourceID: ws.ID, GroupID: "ghost", Role: store.RoleViewer}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("grant to a missing group err = %v, want ErrNotFound", err)
	}
	// Joins are idempotent.
	m := store.ResourceMember{OrgID: o.ID, ResourceType: store.ResourceFolder, ResourceID: priv.ID, UserID: ann.ID, Origin: "group:" + g.ID, Role: store.RoleEditor}
	if added, err := s.JoinMembers(ctx, cli, []store.ResourceMember{m}); err != nil || len(added) != 1 {
		t.Fatalf("JoinMembers = %+v, %v", added, err)
	}
	if added, err := s.JoinMembers(ctx, cli, []store.ResourceMember{m}); err != nil || len(added) != 0 {
		t.Errorf("second JoinMembers = %+v, %v; want nothing added", added, err)
	}
	list, err := s.ListResourceMembers(ctx, o.ID, store.ResourceWorkspace, ws.ID, "", 10)
	if err != nil || len(list) != 1 || list[0].Origin != store.OriginOwner {
		t.Errorf("workspace members = %+v, %v; want the creator with origin owner", list, err)
	}
	if _, err := s.SetOrgRole(ctx, cli, o.ID, ann.ID, store.OrgOwner); err != nil {
		t.Fatal(err)
	}
	snap, err := s.AccessSnapshot(ctx, o.ID)
	if err != nil || len(snap.Users) != 1 || len(snap.Membership) != 1 || len(snap.Folders) != 2 || len(snap.Grants) != 1 ||
		len(snap.Members) != 2 || len(snap.OrgRoles) != 1 {
		t.Errorf("AccessSnapshot = %+v, %v", snap, err)
	}
	if seq, _ := s.EventSeq(ctx, o.ID); seq != snap.Seq || seq != int64(len(events(t, s, o.ID))) {
		t.Errorf("EventSeq = %d, snapshot seq %d", seq, snap.Seq)
	}
	if err := s.DeleteWorkspace(ctx, cli, o.ID, ws.ID); err != nil {
		t.Fatal(err)
	}
	if snap, _ := s.AccessSnapshot(ctx, o.ID); len(snap.Folders)+len(snap.Grants)+len(snap.Members) != 0 {
		t.Errorf("after DeleteWorkspace the snapshot still holds %+v", snap)
	}
	want := []string{"org.created", "user.created", "group.created", "group.members_added", "workspace.created", "folder.created",
		"member.added", "folder.created", "grant.created", "grant.updated", "member.joined", "org.role_set", "workspace.deleted"}
	if got := eventTypes(events(t, s, o.ID)); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	// Tenant isolation.
	if _, err := s.GetWorkspace(ctx, other.ID, ws.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWorkspace across organizations err = %v", err)
	}
	if _, err := s.GetFolder(ctx, other.ID, priv.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetFolder across organizations err = %v", err)
	}
	if _, err := s.CreateFolder(ctx, cli, store.Folder{OrgID: other.ID, ID: id("f"), WorkspaceID: ws.ID, Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateFolder in another org's workspace err = %v", err)
	}
	if _, err := s.SetOrgRole(ctx, cli, other.ID, ann.ID, store.OrgAdmin); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetOrgRole for another org's user err = %v", err)
	}
	// Admin keys.
	tk, err := s.CreateAdminToken(ctx, store.Token{ID: id("ak"), Kind: store.TokenAdmin, Name: "ops", SecretHash: []byte("h"), Hint: "abcd"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetAdminToken(ctx, tk.ID); err != nil || got.Name != "ops" || got.Revoked() {
		t.Errorf("GetAdminToken = %+v, %v", got, err)
	}
	if got, err := s.RevokeAdminToken(ctx, tk.ID); err != nil || !got.Revoked() {
		t.Errorf("RevokeAdminToken = %+v, %v", got, err)
	}
	if _, err := s.GetToken(ctx, tk.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an admin key is visible as an organization token: %v", err)
	}
}
