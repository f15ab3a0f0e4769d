package access

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/store"
)

// Level is an effective access level: a resource role, or an organization
// role above all of them. The zero Level is no access.
type Level int

// Levels in increasing order.
const (
	LevelNone Level = iota
	LevelViewer
	LevelChecker
	LevelEditor
	LevelAdmin
	LevelOwner
)

// String returns the level's name as the API spells it ("" for none).
func (l Level) String() string {
	switch l {
	case LevelViewer:
		return string(store.RoleViewer)
	case LevelChecker:
		return string(store.RoleChecker)
	case LevelEditor:
		return string(store.RoleEditor)
	case LevelAdmin:
		return string(store.OrgAdmin)
	case LevelOwner:
		return string(store.OrgOwner)
	}
	return ""
}

// LevelOf returns the level of a resource role (LevelNone if unknown).
func LevelOf(r store.Role) Level {
	switch r {
	case store.RoleViewer:
		return LevelViewer
	case store.RoleChecker:
		return LevelChecker
	case store.RoleEditor:
		return LevelEditor
	}
	return LevelNone
}

func orgLevel(r store.OrgRole) Level {
	switch r {
	case store.OrgOwner:
		return LevelOwner
	case store.OrgAdmin:
		return LevelAdmin
	}
	return LevelNone
}

// resKey names a workspace or folder in the index.
type resKey struct {
	t  store.ResourceType
	id string
}

type userEntry struct {
	active  bool
	groups  []string // groups the user is in, unordered
	orgRole store.OrgRole
	// memberOf are the workspaces and folders the user is a member of,
	// unordered, so that deleting the user touches those and not every
	// resource of the organization.
	memberOf []resKey
}

// grantsAndMembers is what a workspace or folder gives: its grants to
// groups and its members. It lives in the resource's entry, so a check finds
// it with the lookup that finds the resource.
type grantsAndMembers struct {
	grants  map[string]store.Role  // group → role
	members map[string][]memberRow // user → rows
}

type folderEntry struct {
	ws     string
	name   string
	home   bool
	access store.TeamAccess
	grantsAndMembers
}

type workspaceEntry struct {
	name    string
	home    string
	folders map[string]struct{}
	grantsAndMembers
}

type memberRow struct {
	origin string
	role   store.Role
}

// index is one organization's access state in memory. It is guarded by its
// orgCache's lock: readers share it, event application excludes them.
type index struct {
	seq        int64
	org        store.Org
	users      map[string]*userEntry
	groups     map[string]map[string]struct{} // group → members
	workspaces map[string]*workspaceEntry
	folders    map[string]*folderEntry
	orgRoles   map[string]store.OrgRole // user → role
	sorted     []resKey                 // every resource in order; nil when stale
	// userNames and groupNames are what explanations call users and
	// groups (userName, displayName); an id missing from them is shown as
	// the id.
	userNames  map[string]string
	groupNames map[string]string
}

func newIndex() *index {
	return &index{
		users:      map[string]*userEntry{},
		groups:     map[string]map[string]struct{}{},
		workspaces: map[string]*workspaceEntry{},
		folders:    map[string]*folderEntry{},
		orgRoles:   map[string]store.OrgRole{},
		userNames:  map[string]string{},
		groupNames: map[string]string{},
	}
}

// buildIndex builds an index from a snapshot.
func buildIndex(s store.AccessSnapshot) *index {
	x := newIndex()
	x.seq, x.org = s.Seq, s.Org
	x.users = make(map[string]*userEntry, len(s.Users))
	for _, u := range s.Users {
		x.users[u.ID] = &userEntry{active: u.Active}
	}
	for _, g := range s.Groups {
		x.groups[g] = map[string]struct{}{}
	}
	for _, m := range s.Membership {
		x.addGroupMember(m.GroupID, m.UserID)
	}
	for _, w := range s.Workspaces {
		x.workspaces[w.ID] = &workspaceEntry{name: w.Name, home: w.HomeFolderID, folders: map[string]struct{}{}}
	}
	for _, f := range s.Folders {
		x.addFolder(f.ID, f.WorkspaceID, f.Name, f.IsHome, f.TeamAccess)
	}
	for _, g := range s.Grants {
		x.setGrant(resKey{g.ResourceType, g.ResourceID}, g.GroupID, g.Role)
	}
	for _, m := range s.Members {
		x.setMember(resKey{m.ResourceType, m.ResourceID}, m.UserID, m.Origin, m.Role)
	}
	for _, r := range s.OrgRoles {
		x.setOrgRole(r.UserID, r.Role)
	}
	return x
}

func (x *index) addGroupMember(g, u string) {
	set := x.groups[g]
	if set == nil {
		set = map[string]struct{}{}
		x.groups[g] = set
	}
	if _, ok := set[u]; ok {
		return
	}
	set[u] = struct{}{}
	if ue := x.users[u]; ue != nil {
		ue.groups = append(ue.groups, g)
	}
}

func (x *index) removeGroupMember(g, u string) {
	delete(x.groups[g], u)
	if ue := x.users[u]; ue != nil {
		if i := slices.Index(ue.groups, g); i >= 0 {
			ue.groups = slices.Delete(ue.groups, i, i+1)
		}
	}
}

func (x *index) addFolder(id, ws, name string, home bool, access store.TeamAccess) {
	x.folders[id] = &folderEntry{ws: ws, name: name, home: home, access: access}
	if w := x.workspaces[ws]; w != nil {
		w.folders[id] = struct{}{}
		if home {
			w.home = id
		}
	}
	x.sorted = nil
}

// on returns the grants and members of a workspace or folder, nil when the
// index does not hold it.
func (x *index) on(k resKey) *grantsAndMembers {
	if k.t == store.ResourceWorkspace {
		if w := x.workspaces[k.id]; w != nil {
			return &w.grantsAndMembers
		}
	} else if f := x.folders[k.id]; f != nil {
		return &f.grantsAndMembers
	}
	return nil
}

// setGrant records a grant; false when the resource is not in the index.
func (x *index) setGrant(k resKey, g string, r store.Role) bool {
	e := x.on(k)
	if e == nil {
		return false
	}
	if e.grants == nil {
		e.grants = map[string]store.Role{}
	}
	e.grants[g] = r
	return true
}

// setMember records a membership; false when the resource is not in the
// index.
func (x *index) setMember(k resKey, u, origin string, r store.Role) bool {
	e := x.on(k)
	if e == nil {
		return false
	}
	if e.members == nil {
		e.members = map[string][]memberRow{}
	}
	m := e.members
	rows := m[u]
	for i := range rows {
		if rows[i].origin == origin {
			rows[i].role = r
			return true
		}
	}
	if len(rows) == 0 {
		if ue := x.users[u]; ue != nil {
			ue.memberOf = append(ue.memberOf, k)
		}
	}
	m[u] = append(rows, memberRow{origin, r})
	return true
}

// removeMemberships removes the user's memberships on k that drop
// reports, and the user from k's members when none is left.
func (x *index) removeMemberships(k resKey, u string, drop func(memberRow) bool) {
	e := x.on(k)
	if e == nil {
		return
	}
	rows, ok := e.members[u]
	if !ok {
		return
	}
	if rows = slices.DeleteFunc(rows, drop); len(rows) > 0 {
		e.members[u] = rows
		return
	}
	delete(e.members, u)
	x.forgetMemberOf(u, k)
}

// allRows and ofOrigins say which memberships removeMemberships drops.
func allRows(memberRow) bool { return true }

func ofOrigins(origins ...string) func(memberRow) bool {
	return func(m memberRow) bool { return slices.Contains(origins, m.origin) }
}

func (x *index) forgetMemberOf(u string, k resKey) {
	if ue := x.users[u]; ue != nil {
		if i := slices.Index(ue.memberOf, k); i >= 0 {
			ue.memberOf = slices.Delete(ue.memberOf, i, i+1)
		}
	}
}

// dropResource forgets a deleted workspace or folder in its members'
// entries; the caller deletes the resource itself.
func (x *index) dropResource(k resKey) {
	if e := x.on(k); e != nil {
		for u := range e.members {
			x.forgetMemberOf(u, k)
		}
	}
}

func (x *index) setOrgRole(u string, r store.OrgRole) {
	x.orgRoles[u] = r
	if ue := x.users[u]; ue != nil {
		ue.orgRole = r
	}
}

func (x *index) removeOrgRole(u string) {
	delete(x.orgRoles, u)
	if ue := x.users[u]; ue != nil {
		ue.orgRole = ""
	}
}

// exists reports whether the resource is in the index.
func (x *index) exists(k resKey) bool {
	if k.t == store.ResourceWorkspace {
		return x.workspaces[k.id] != nil
	}
	return x.folders[k.id] != nil
}

// sortedResources returns every workspace and folder ordered by type and
// id; it is cached until the set of resources changes.
func (x *index) sortedResources() []resKey {
	if x.sorted != nil {
		return x.sorted
	}
	out := make([]resKey, 0, len(x.workspaces)+len(x.folders))
	for id := range x.folders {
		out = append(out, resKey{store.ResourceFolder, id})
	}
	for id := range x.workspaces {
		out = append(out, resKey{store.ResourceWorkspace, id})
	}
	slices.SortFunc(out, compareKeys)
	x.sorted = out
	return out
}

func compareKeys(a, b resKey) int {
	if c := strings.Compare(string(a.t), string(b.t)); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// errReload tells the caller to rebuild the index from a snapshot: an event
// it cannot apply incrementally.
type errReload struct{ reason string }

func (e errReload) Error() string { return "reload needed: " + e.reason }

// eventData is the union of the event payloads the index reads.
type eventData struct {
	Active       *bool              `json:"active"`
	Users        []string           `json:"users"`
	Groups       []string           `json:"groups"`
	To           json.RawMessage    `json:"to"`
	Name         string             `json:"name"`
	HomeFolderID string             `json:"home_folder_id"`
	WorkspaceID  string             `json:"workspace_id"`
	IsHome       bool               `json:"is_home"`
	TeamAccess   store.TeamAccess   `json:"team_access"`
	Folders      []string           `json:"folders"`
	ResourceType store.ResourceType `json:"resource_type"`
	ResourceID   string             `json:"resource_id"`
	GroupID      string             `json:"group_id"`
	UserID       string             `json:"user_id"`
	Origin       string             `json:"origin"`
	Origins      []string           `json:"origins"`
	FromOrigin   string             `json:"from_origin"`
	Role         string             `json:"role"`
	UserName     string             `json:"userName"`
	DisplayName  string             `json:"displayName"`
}

// unread reports the event types that change nothing the index holds. They
// are listed, not defaulted, so that an unknown type still rebuilds the
// index; and they must be, or each would rebuild it (seconds at 100,000
// users): the access.changed events the deriver appends after every
// access change above all, and sign-ins (a refused one anyone can cause),
// an owner entering the console, webhook changes. apply skips them without
// decoding their data.
func unread(eventType string) bool {
	switch eventType {
	case "access.changed",
		"org.created", "token.created", "token.revoked", "workspace.updated",
		"sso.idp_metadata_set", "sso.settings_changed", "sso.signed_in", "sso.signed_out",
		"sso.sign_in_refused", "sso.sign_in_refused_summary", "org.domain_added", "org.domain_removed",
		"console.signed_in", "console.signed_out", "console_link.created", "console_link.used", "console_link.revoked",
		"webhook.created", "webhook.updated", "webhook.secret_rotated", "webhook.enabled", "webhook.disabled", "webhook.deleted":
		return true
	}
	return false
}

// apply applies one event to the index. It returns errReload for events it
// cannot apply (unknown types, references to records it does not hold) so
// that the caller rebuilds from a snapshot instead of guessing.
func (x *index) apply(e store.Event) error {
	if e.Seq != x.seq+1 {
		return errReload{fmt.Sprintf("event %d follows %d", e.Seq, x.seq)}
	}
	if unread(e.Type) {
		x.seq = e.Seq
		return nil
	}
	var d eventData
	if len(e.Data) > 0 {
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return errReload{fmt.Sprintf("event %d (%s): %v", e.Seq, e.Type, err)}
		}
	}
	id := e.SubjectID
	switch e.Type {
	case "org.plan_changed":
		if err := json.Unmarshal(d.To, &x.org.Plan); err != nil {
			return errReload{"plan: " + err.Error()}
		}
	case "org.settings_changed":
		if err := json.Unmarshal(d.To, &x.org.Settings); err != nil {
			return errReload{"settings: " + err.Error()}
		}
	case "user.created":
		active := d.Active != nil && *d.Active
		x.users[id] = &userEntry{active: active, orgRole: x.orgRoles[id]}
		x.nameUser(id, d.UserName)
	case "user.updated", "user.deactivated", "user.reactivated":
		u := x.users[id]
		if u == nil || d.Active == nil {
			return errReload{"update of an unknown user " + id}
		}
		u.active = *d.Active
		x.nameUser(id, d.UserName)
	case "user.deleted":
		u := x.users[id]
		if u == nil {
			return errReload{"deletion of an unknown user " + id}
		}
		for _, g := range u.groups {
			delete(x.groups[g], id)
		}
		for _, k := range u.memberOf {
			if e := x.on(k); e != nil {
				delete(e.members, id)
			}
		}
		delete(x.orgRoles, id)
		delete(x.users, id)
		delete(x.userNames, id)
	case "group.created":
		x.groups[id] = map[string]struct{}{}
		x.nameGroup(id, d.DisplayName)
	case "group.updated":
		x.nameGroup(id, d.DisplayName)
	case "group.members_added":
		for _, u := range d.Users {
			x.addGroupMember(id, u)
		}
	case "group.members_removed":
		for _, u := range d.Users {
			x.removeGroupMember(id, u)
		}
	case "group.deleted":
		for u := range x.groups[id] {
			x.removeGroupMember(id, u)
		}
		delete(x.groups, id)
		delete(x.groupNames, id)
		// The group's grants go with the grant.deleted events that follow
		// (store.GroupStore.DeleteGroup), each touching its resource,
		// rather than by a walk of every resource here. Until then they
		// give no one anything: the group has no members left.
	case "workspace.created":
		x.workspaces[id] = &workspaceEntry{name: d.Name, home: d.HomeFolderID, folders: map[string]struct{}{}}
		x.sorted = nil
	case "workspace.deleted":
		for _, f := range d.Folders {
			x.dropResource(resKey{store.ResourceFolder, f})
			delete(x.folders, f)
		}
		x.dropResource(resKey{store.ResourceWorkspace, id})
		delete(x.workspaces, id)
		x.sorted = nil
	case "folder.created":
		x.addFolder(id, d.WorkspaceID, d.Name, d.IsHome, d.TeamAccess)
	case "folder.updated":
		f := x.folders[id]
		if f == nil {
			return errReload{"update of an unknown folder " + id}
		}
		if d.TeamAccess != "" {
			f.access = d.TeamAccess
		}
		if d.Name != "" {
			f.name = d.Name
		}
	case "folder.deleted":
		f := x.folders[id]
		if f != nil {
			if w := x.workspaces[f.ws]; w != nil {
				delete(w.folders, id)
			}
		}
		x.dropResource(resKey{store.ResourceFolder, id})
		delete(x.folders, id)
		x.sorted = nil
	case "grant.created", "grant.updated":
		if !x.setGrant(resKey{d.ResourceType, d.ResourceID}, d.GroupID, store.Role(d.Role)) {
			return errReload{"grant on an unknown " + string(d.ResourceType) + " " + d.ResourceID}
		}
	case "grant.deleted":
		if e := x.on(resKey{d.ResourceType, d.ResourceID}); e != nil {
			delete(e.grants, d.GroupID)
		}
	case "member.added", "member.joined", "member.role_changed":
		if !x.setMember(resKey{d.ResourceType, d.ResourceID}, d.UserID, d.Origin, store.Role(d.Role)) {
			return errReload{"member of an unknown " + string(d.ResourceType) + " " + d.ResourceID}
		}
	case "member.removed":
		x.removeMemberships(resKey{d.ResourceType, d.ResourceID}, d.UserID, allRows)
	case "member.origin_removed":
		// One way the user was a member went (a group's deletion); the
		// others remain.
		x.removeMemberships(resKey{d.ResourceType, d.ResourceID}, d.UserID, ofOrigins(d.Origins...))
	case "member.origin_changed":
		// Under "keep" a deleted group's joined membership becomes "kept",
		// merged with a kept one already there at the higher role, which
		// the event carries.
		k := resKey{d.ResourceType, d.ResourceID}
		if !x.exists(k) {
			return errReload{"member of an unknown " + string(d.ResourceType) + " " + d.ResourceID}
		}
		x.removeMemberships(k, d.UserID, ofOrigins(d.FromOrigin))
		x.setMember(k, d.UserID, d.Origin, store.Role(d.Role))
	case "org.role_set":
		x.setOrgRole(d.UserID, store.OrgRole(d.Role))
	case "org.role_removed":
		x.removeOrgRole(d.UserID)
	default:
		return errReload{"event type " + e.Type}
	}
	x.seq = e.Seq
	return nil
}

func (x *index) nameUser(id, name string) {
	if name != "" {
		x.userNames[id] = name
	}
}

func (x *index) nameGroup(id, name string) {
	if name != "" {
		x.groupNames[id] = name
	}
}

// setNames takes the names of a store read made after the snapshot the
// index was built from: a name it holds that is newer than the snapshot is
// also set again by the event that changed it, when applied.
func (x *index) setNames(n store.AccessNames) {
	for id, name := range n.Users {
		x.userNames[id] = name
	}
	for id, name := range n.Groups {
		x.groupNames[id] = name
	}
}

// Reason is one fact that gives a user access: an organization role, a
// group grant, or a direct membership. Inherited marks facts about the
// workspace that a folder following its workspace inherits.
type Reason struct {
	// Kind is "org_role", "grant" or "membership".
	Kind         string             `json:"kind"`
	Role         string             `json:"role"`
	ResourceType store.ResourceType `json:"resource_type,omitempty"`
	ResourceID   string             `json:"resource_id,omitempty"`
	GroupID      string             `json:"group_id,omitempty"`
	// GroupName is the displayName of the group of a grant, or of the
	// group a membership was joined through (origin "group:<id>").
	GroupName string `json:"group_name,omitempty"`
	Origin    string `json:"origin,omitempty"`
	Inherited bool   `json:"inherited,omitempty"`
}

// Denial says why a user has no access at all.
const (
	DenyNoUser     = "the user does not exist in this organization (never provisioned, or deleted)"
	DenyInactive   = "the user is deactivated: a deactivated user has no access until reactivated"
	DenyNoGrant    = "no grant to a group of the user and no membership gives access"
	denyInviteOnly = "; the folder is invite only: only its own members and the groups granted on it reach it"
)

// result is a resolution: the level and, when asked, the reasons.
type result struct {
	level   Level
	reasons []Reason
	denial  string
}

// resolve computes a user's effective level on a resource. explain
// collects the reasons; without it resolve does not allocate.
func (x *index) resolve(uid string, k resKey, explain bool) result {
	u := x.users[uid]
	if u == nil {
		return result{denial: DenyNoUser}
	}
	if !u.active {
		return result{denial: DenyInactive}
	}
	var r result
	if u.orgRole != "" {
		r.level = orgLevel(u.orgRole)
		if explain {
			r.reasons = append(r.reasons, Reason{Kind: "org_role", Role: string(u.orgRole)})
		}
		return r
	}
	if k.t == store.ResourceWorkspace {
		if w := x.workspaces[k.id]; w != nil {
			x.consider(&r, uid, u, k, &w.grantsAndMembers, false, explain)
		}
	} else if f := x.folders[k.id]; f != nil {
		x.consider(&r, uid, u, k, &f.grantsAndMembers, false, explain)
		if f.access == store.TeamAccessWorkspace {
			if w := x.workspaces[f.ws]; w != nil {
				x.consider(&r, uid, u, resKey{store.ResourceWorkspace, f.ws}, &w.grantsAndMembers, true, explain)
			}
		} else if r.level == LevelNone {
			r.denial = DenyNoGrant + denyInviteOnly
		}
	}
	if r.level == LevelNone && r.denial == "" {
		r.denial = DenyNoGrant
	}
	if len(r.reasons) > 1 {
		// The walk follows the user's groups in the order they were
		// added (or a map's), which differs between an index kept current
		// and one built fresh: the same state is explained the same way.
		slices.SortFunc(r.reasons, compareReasons)
	}
	return r
}

// compareReasons orders a resource's own reasons before inherited ones,
// grants before memberships, and then by group and origin.
func compareReasons(a, b Reason) int {
	if a.Inherited != b.Inherited {
		if b.Inherited {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := strings.Compare(a.GroupID, b.GroupID); c != 0 {
		return c
	}
	return strings.Compare(a.Origin, b.Origin)
}

// consider adds what grants and memberships on resource on give user u;
// inherited marks a workspace considered for a folder that follows it.
func (x *index) consider(r *result, uid string, u *userEntry, on resKey, e *grantsAndMembers, inherited, explain bool) {
	note := func(lv Level, reason Reason) {
		if lv > r.level {
			r.level = lv
		}
		if explain {
			reason.ResourceType, reason.ResourceID, reason.Inherited = on.t, on.id, inherited
			r.reasons = append(r.reasons, reason)
		}
	}
	if gs := e.grants; len(gs) > 0 {
		// Walk the user's groups, looking each up in the resource's small
		// grant map, unless the user is in far more groups than the
		// resource has grants: a lookup in a group's member map (thousands
		// of entries, cold in cache at 100,000 users) costs several times
		// one in a grant map that the batch keeps warm.
		if len(u.groups) > 8*len(gs) {
			for g, role := range gs {
				if _, in := x.groups[g][uid]; in {
					note(LevelOf(role), Reason{Kind: "grant", Role: string(role), GroupID: g, GroupName: x.groupNames[g]})
				}
			}
		} else {
			for _, g := range u.groups {
				if role, ok := gs[g]; ok {
					note(LevelOf(role), Reason{Kind: "grant", Role: string(role), GroupID: g, GroupName: x.groupNames[g]})
				}
			}
		}
	}
	for _, m := range e.members[uid] {
		g, viaGroup := strings.CutPrefix(m.origin, store.OriginGroupPrefix)
		if viaGroup && x.org.Settings.GroupRemoval != store.GroupRemovalKeep && !x.groupEligible(uid, g, on) {
			// Under revoke a joined-through-group membership lasts only as
			// long as the group makes the user eligible.
			continue
		}
		reason := Reason{Kind: "membership", Role: string(m.role), Origin: m.origin}
		if viaGroup {
			reason.GroupName = x.groupNames[g]
		}
		note(LevelOf(m.role), reason)
	}
}

// groupEligible reports whether group g, with uid in it, grants a role on
// k: directly, or for a folder following its workspace, on the workspace.
func (x *index) groupEligible(uid, g string, k resKey) bool {
	if _, in := x.groups[g][uid]; !in {
		return false
	}
	if e := x.on(k); e != nil {
		if _, ok := e.grants[g]; ok {
			return true
		}
	}
	if k.t == store.ResourceFolder {
		if f := x.folders[k.id]; f != nil && f.access == store.TeamAccessWorkspace {
			if w := x.workspaces[f.ws]; w != nil {
				_, ok := w.grants[g]
				return ok
			}
		}
	}
	return false
}

// label returns how explanations name a record: its name, quoted, when the
// index knows one, else its id.
func label(names map[string]string, id string) string {
	if n, ok := names[id]; ok {
		return fmt.Sprintf("%q", n)
	}
	return id
}

// resourceLabel names a workspace or folder for people.
func (x *index) resourceLabel(k resKey) string {
	if k.t == store.ResourceWorkspace {
		if w := x.workspaces[k.id]; w != nil {
			return fmt.Sprintf("workspace %q", w.name)
		}
	} else if f := x.folders[k.id]; f != nil {
		return fmt.Sprintf("folder %q", f.name)
	}
	return string(k.t) + " " + k.id
}

// shortfall explains a role below the one wanted: who the user is there,
// through what, and what the check needed. res has a level, so its reasons
// are not empty.
func (x *index) shortfall(uid string, k resKey, res result, want store.Role) string {
	var via []string
	for _, re := range res.reasons {
		if re.Role != res.level.String() {
			continue
		}
		var s string
		switch {
		case re.Kind == "grant":
			s = "group " + label(x.groupNames, re.GroupID)
		case strings.HasPrefix(re.Origin, store.OriginGroupPrefix):
			s = "a membership joined through group " + label(x.groupNames, strings.TrimPrefix(re.Origin, store.OriginGroupPrefix))
		default:
			s = fmt.Sprintf("a direct membership (origin %q)", re.Origin)
		}
		if re.Inherited {
			s += " on its " + x.resourceLabel(resKey{re.ResourceType, re.ResourceID})
		}
		via = append(via, s)
	}
	return fmt.Sprintf("user %s is a %s of %s through %s; %s is needed",
		label(x.userNames, uid), res.level, x.resourceLabel(k), strings.Join(via, " and "), want)
}
