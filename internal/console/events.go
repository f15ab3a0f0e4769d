package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// eventPage is how many events the feed page shows.
const eventPage = 50

// namesPerEvent bounds how many users one summary names: a group's first
// members_added can list every user of the organization.
const namesPerEvent = 3

// eventRow is one event as people read it.
type eventRow struct {
	Seq                 int64
	When, Actor, Type   string
	Summary, Link, Tail string
}

type eventsPage struct {
	Rows         []eventRow
	Older, Newer string
	// Horizon: events before these are no longer kept (retention).
	Horizon bool
	Error   string
}

// events is the organization's event feed, newest first, a page at a
// time. It reads with the call GET /api/v1/events makes, which pages
// forwards from a seq; as an organization's events are numbered without
// gaps, the page before seq B is the one after B-1-eventPage.
func (h *Handler) events(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	last, err := h.Directory.Seq(ctx, s.org.ID)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	before := last + 1
	var p eventsPage
	if b := r.URL.Query().Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			h.render(w, r, http.StatusBadRequest, "events", view{Title: "Events", Nav: "events", Org: s.org, CSRF: s.csrf,
				Data: eventsPage{Error: "This page's address is not one the feed made (“before” must be an event number). Start again from the newest events.", Newer: Prefix + "/events"}})
			return
		}
		before = min(n, last+1)
	}
	after := max(before-1-eventPage, 0)
	evs, err := h.Admin.Events(ctx, s.org.ID, after, int(before-1-after))
	if fault.Is(err, fault.Gone) {
		p.Horizon = true
		evs, err = h.keptEvents(ctx, s.org.ID, after, before)
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	slices.Reverse(evs)
	n := h.namer(s.org.ID)
	for _, e := range evs {
		row, err := n.describe(ctx, e)
		if err != nil {
			h.fail(w, r, s, err)
			return
		}
		p.Rows = append(p.Rows, row)
	}
	if len(evs) > 0 && !p.Horizon && evs[len(evs)-1].Seq > 1 {
		p.Older = Prefix + "/events?before=" + strconv.FormatInt(evs[len(evs)-1].Seq, 10)
	}
	if before <= last {
		p.Newer = Prefix + "/events"
	}
	h.render(w, r, http.StatusOK, "events", view{Title: "Events", Nav: "events", Org: s.org, CSRF: s.csrf, Data: p})
}

// keptEvents reads the events between after and before that retention
// kept, when the page reaches past the oldest kept one: the feed answers
// Gone for a start before its horizon, and whether it does only flips
// once as the start moves up, so a bisection finds the first start it
// accepts in a handful of reads.
func (h *Handler) keptEvents(ctx context.Context, orgID string, after, before int64) ([]store.Event, error) {
	lo, hi := after+1, before-1 // the answer is in [lo, hi]; hi itself may be Gone too
	for lo < hi {
		mid := lo + (hi-lo)/2
		_, err := h.Admin.Events(ctx, orgID, mid, 1)
		switch {
		case fault.Is(err, fault.Gone):
			lo = mid + 1
		case err != nil:
			return nil, fmt.Errorf("events of %s after %d: %w", orgID, mid, err)
		default:
			hi = mid
		}
	}
	if lo >= before-1 {
		return nil, nil
	}
	evs, err := h.Admin.Events(ctx, orgID, lo, int(before-1-lo))
	if fault.Is(err, fault.Gone) {
		return nil, nil
	}
	return evs, err
}

// namer names the users, groups, workspaces and folders of a page of
// events, each read once.
type namer struct {
	h      *Handler
	orgID  string
	res    *resources
	users  map[string]string
	groups map[string]string
}

func (h *Handler) namer(orgID string) *namer {
	return &namer{h: h, orgID: orgID, res: h.resources(orgID), users: map[string]string{}, groups: map[string]string{}}
}

func (n *namer) user(ctx context.Context, id string) (string, error) {
	if v, ok := n.users[id]; ok {
		return v, nil
	}
	name := "a deleted user"
	u, err := n.h.Names.GetUser(ctx, n.orgID, id)
	switch {
	case err == nil:
		name = u.UserName
	case !isNotFound(err):
		return "", fmt.Errorf("name user %s: %w", id, err)
	}
	n.users[id] = name
	return name, nil
}

func (n *namer) group(ctx context.Context, id string) (string, error) {
	if v, ok := n.groups[id]; ok {
		return v, nil
	}
	m, err := n.h.Names.GroupNames(ctx, n.orgID, []string{id})
	if err != nil {
		return "", fmt.Errorf("name group %s: %w", id, err)
	}
	name := m[id]
	if name == "" {
		name = "a deleted group"
	} else {
		name = "“" + name + "”"
	}
	n.groups[id] = name
	return name, nil
}

// idSample is a JSON array of ids as a summary reads it: the first
// namesPerEvent kept, the rest only counted, so an event naming 100,000
// users costs no 100,000 strings.
type idSample struct {
	First []string
	N     int
}

// UnmarshalJSON reads an array of strings.
func (s *idSample) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '[' {
		return errors.New("ids: not an array")
	}
	for i := 1; ; {
		for i < len(b) && strings.IndexByte(" \t\r\n,", b[i]) >= 0 {
			i++
		}
		switch {
		case i >= len(b):
			return errors.New("ids: unterminated array")
		case b[i] == ']':
			return nil
		case b[i] != '"':
			return errors.New("ids: not an array of strings")
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		if j >= len(b) {
			return errors.New("ids: unterminated string")
		}
		if len(s.First) < namesPerEvent {
			var v string
			if err := json.Unmarshal(b[i:j+1], &v); err != nil {
				return err
			}
			s.First = append(s.First, v)
		}
		s.N++
		i = j + 1
	}
}

// usersText names up to namesPerEvent users and counts the rest.
func (n *namer) usersText(ctx context.Context, ids idSample) (string, error) {
	var names []string
	for _, id := range ids.First {
		v, err := n.user(ctx, id)
		if err != nil {
			return "", err
		}
		names = append(names, v)
	}
	switch rest := ids.N - len(names); {
	case ids.N == 0:
		return "nobody", nil
	case rest > 0:
		return strings.Join(names, ", ") + fmt.Sprintf(" and %d more", rest), nil
	case len(names) > 1:
		return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1], nil
	}
	return names[0], nil
}

// where names a workspace or folder, or what the event said of it when it
// is gone.
func (n *namer) where(ctx context.Context, rt store.ResourceType, id string) (string, string, error) {
	row, err := n.res.row(ctx, rt, id, "")
	if err != nil {
		return "", "", err
	}
	return strings.ToLower(row.Kind) + " “" + row.Name + "”", row.Link, nil
}

// eventData holds the fields of every event type's data (docs/events.md)
// the summaries use.
type eventData struct {
	Name         string             `json:"name"`
	FromName     string             `json:"from_name"`
	From         json.RawMessage    `json:"from"`
	To           json.RawMessage    `json:"to"`
	UserID       string             `json:"user_id"`
	Role         string             `json:"role"`
	FromRole     string             `json:"from_role"`
	Kind         string             `json:"kind"`
	Hint         string             `json:"hint"`
	UserName     string             `json:"userName"`
	DisplayName  string             `json:"displayName"`
	Users        idSample           `json:"users"`
	Groups       idSample           `json:"groups"`
	ResourceType store.ResourceType `json:"resource_type"`
	ResourceID   string             `json:"resource_id"`
	GroupID      string             `json:"group_id"`
	WorkspaceID  string             `json:"workspace_id"`
	TeamAccess   store.TeamAccess   `json:"team_access"`
	IsHome       bool               `json:"is_home"`
	Origin       string             `json:"origin"`
	FromOrigin   string             `json:"from_origin"`
	NameID       string             `json:"name_id"`
	Reason       string             `json:"reason"`
	URL          string             `json:"url"`
	IdPEntityID  string             `json:"idp_entity_id"`
}

// actorText says who made a change.
func actorText(a store.Actor) string {
	kinds := map[string]string{"scim_token": "SCIM token", "api_key": "API key", "admin_key": "admin key", "cli": "roster CLI", "system": "roster", "user": "user"}
	k, ok := kinds[a.Kind]
	if !ok {
		k = strings.ReplaceAll(a.Kind, "_", " ")
	}
	switch {
	case a.Name != "" && a.Kind == "console_link":
		return a.Name
	case a.Name != "":
		return k + " " + a.Name
	}
	return k
}

// describe makes one event readable: a one-line summary with names, and
// a link to what it is about when that still exists.
func (n *namer) describe(ctx context.Context, e store.Event) (eventRow, error) {
	row := eventRow{Seq: e.Seq, When: when(e.At), Actor: actorText(e.Actor), Type: e.Type}
	var d eventData
	if len(e.Data) > 0 {
		if err := json.Unmarshal(e.Data, &d); err != nil {
			// A summary is a courtesy; the type and subject still say it.
			row.Summary = e.Type + " on " + e.SubjectType + " " + e.SubjectID
			return row, nil
		}
	}
	var err error
	text := func(s string) { row.Summary = s }
	switch e.Type {
	case "org.created":
		text("Organization “" + d.Name + "” created")
	case "org.plan_changed":
		text("Plan changed from " + unquote(d.From) + " to " + unquote(d.To))
	case "org.settings_changed":
		text(settingsChange(d.From, d.To))
		row.Link = Prefix + "/settings"
	case "org.role_set", "org.role_removed":
		var u string
		if u, err = n.user(ctx, d.UserID); err == nil {
			row.Link = Prefix + "/users/" + d.UserID
			if e.Type == "org.role_set" {
				text(u + " made " + roleName(d.Role) + " of the organization")
			} else {
				text(u + " is no longer " + roleName(d.Role) + " of the organization")
			}
		}
	case "token.created", "token.revoked":
		what := "SCIM token"
		if d.Kind == string(store.TokenAPI) {
			what = "API key"
		}
		verb := map[string]string{"token.created": "created", "token.revoked": "revoked"}[e.Type]
		text(what + " “" + d.Name + "” (…" + strings.TrimLeft(d.Hint, "…") + ") " + verb)
		if d.Kind == string(store.TokenSCIM) {
			row.Link = Prefix + "/tokens"
		}
	case "user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted":
		verb := strings.TrimPrefix(e.Type, "user.")
		text("User " + d.UserName + " " + verb)
		if e.Type == "user.deleted" && d.Groups.N > 0 {
			row.Summary += fmt.Sprintf(", leaving %d groups", d.Groups.N)
		} else if e.Type != "user.deleted" {
			row.Link = Prefix + "/users/" + e.SubjectID
		}
	case "group.created", "group.updated", "group.deleted":
		text("Group “" + d.DisplayName + "” " + strings.TrimPrefix(e.Type, "group."))
		if e.Type != "group.deleted" {
			row.Link = Prefix + "/groups/" + e.SubjectID
		}
	case "group.members_added", "group.members_removed":
		var who, g string
		if who, err = n.usersText(ctx, d.Users); err == nil {
			if g, err = n.group(ctx, e.SubjectID); err == nil {
				if e.Type == "group.members_added" {
					text("Added " + who + " to group " + g)
				} else {
					text("Removed " + who + " from group " + g)
				}
				row.Link = Prefix + "/groups/" + e.SubjectID
			}
		}
	case "workspace.created":
		text("Workspace “" + d.Name + "” created")
		row.Link = Prefix + "/workspaces/" + e.SubjectID
	case "workspace.updated":
		text("Workspace “" + d.FromName + "” renamed to “" + d.Name + "”")
		row.Link = Prefix + "/workspaces/" + e.SubjectID
	case "workspace.deleted":
		text("Workspace “" + d.Name + "” deleted")
	case "folder.created", "folder.updated", "folder.deleted":
		var ws string
		if ws, _, err = n.where(ctx, store.ResourceWorkspace, d.WorkspaceID); err == nil {
			switch {
			case e.Type == "folder.created" && d.IsHome:
				text("Home folder created in " + ws)
			case e.Type == "folder.created" && d.TeamAccess == store.TeamAccessInviteOnly:
				text("Folder “" + d.Name + "” created in " + ws + ", Invite only")
			case e.Type == "folder.created":
				text("Folder “" + d.Name + "” created in " + ws)
			case e.Type == "folder.deleted":
				text("Folder “" + d.Name + "” of " + ws + " deleted")
			case d.FromName != "" && d.Name != "":
				text("Folder “" + d.FromName + "” of " + ws + " renamed to “" + d.Name + "”")
			case d.TeamAccess != "":
				var f string
				f, _, err = n.where(ctx, store.ResourceFolder, e.SubjectID)
				text(upper(f) + " set to team access " + teamAccessName(d.TeamAccess))
			default:
				text("Folder of " + ws + " changed")
			}
			if e.Type != "folder.deleted" {
				row.Link = Prefix + "/workspaces/" + d.WorkspaceID + "/folders/" + e.SubjectID
			}
		}
	case "grant.created", "grant.updated", "grant.deleted":
		var g, at string
		if g, err = n.group(ctx, d.GroupID); err == nil {
			if at, row.Link, err = n.where(ctx, d.ResourceType, d.ResourceID); err == nil {
				switch e.Type {
				case "grant.created":
					text("Group " + g + " given " + roleName(d.Role) + " on " + at)
				case "grant.updated":
					text("Group " + g + " changed from " + roleName(d.FromRole) + " to " + roleName(d.Role) + " on " + at)
				default:
					text("Group " + g + " no longer has access to " + at)
				}
			}
		}
	case "member.added", "member.joined", "member.role_changed", "member.origin_changed", "member.removed":
		row.Summary, row.Link, err = n.member(ctx, e.Type, d)
	case "sso.signed_in":
		text(orDefault(d.NameID, "Someone") + " signed in with single sign-on")
	case "sso.sign_in_refused":
		text("Sign-in of " + orDefault(d.NameID, "an unknown user") + " refused: " + orDefault(d.Reason, "see the sign-in log"))
	case "sso.signed_out":
		text("Signed out of single sign-on")
	case "sso.idp_metadata_set":
		text("SAML identity provider set to " + orDefault(d.IdPEntityID, "new metadata"))
	case "sso.settings_changed":
		text("SAML settings changed")
	case "console_link.created":
		text("Console setup link (…" + strings.TrimLeft(d.Hint, "…") + ") created")
	case "console_link.used":
		text("An owner signed in to the console with a setup link")
	case "console_link.revoked":
		text("Console setup link (…" + strings.TrimLeft(d.Hint, "…") + ") revoked")
	case "console.signed_out":
		text("Signed out of the console")
	case "webhook.created", "webhook.deleted":
		text("Webhook " + d.URL + " " + strings.TrimPrefix(e.Type, "webhook."))
	case "webhook.disabled":
		text("Webhook disabled: " + orDefault(d.Reason, "by hand"))
	default:
		text(upper(strings.ReplaceAll(strings.ReplaceAll(e.Type, ".", " "), "_", " ")))
	}
	if err != nil {
		return row, err
	}
	return row, nil
}

// member summarizes a membership event.
func (n *namer) member(ctx context.Context, typ string, d eventData) (string, string, error) {
	u, err := n.user(ctx, d.UserID)
	if err != nil {
		return "", "", err
	}
	at, link, err := n.where(ctx, d.ResourceType, d.ResourceID)
	if err != nil {
		return "", "", err
	}
	how := func(origin string) (string, error) {
		if g, ok := strings.CutPrefix(origin, store.OriginGroupPrefix); ok {
			name, err := n.group(ctx, g)
			return "through group " + name, err
		}
		return originText(origin, nil), nil
	}
	var o string
	switch typ {
	case "member.added":
		o, err = how(d.Origin)
		return u + " added to " + at + " as " + roleName(d.Role) + " (" + o + ")", link, err
	case "member.joined":
		o, err = how(d.Origin)
		return u + " joined " + at + " as " + roleName(d.Role) + " " + o, link, err
	case "member.role_changed":
		return u + " changed from " + roleName(d.FromRole) + " to " + roleName(d.Role) + " on " + at, link, nil
	case "member.origin_changed":
		o, err = how(d.FromOrigin)
		return u + " kept on " + at + " as " + roleName(d.Role) + " after the group lost access (joined " + o + ")", link, err
	}
	return u + " removed from " + at, link, nil
}

// settingsChange says which settings an org.settings_changed changed.
func settingsChange(from, to json.RawMessage) string {
	var a, b map[string]any
	_ = json.Unmarshal(from, &a) // an unreadable side reads as "changed"
	if json.Unmarshal(to, &b) != nil {
		return "Settings changed"
	}
	var parts []string
	keys := make([]string, 0, len(b))
	for k := range b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if fmt.Sprint(a[k]) == fmt.Sprint(b[k]) {
			continue
		}
		switch v := b[k]; k {
		case "allow_members_create_workspaces":
			if v == true {
				parts = append(parts, "members may create workspaces")
			} else {
				parts = append(parts, "only owners and admins may create workspaces")
			}
		case "group_removal":
			if v == string(store.GroupRemovalKeep) {
				parts = append(parts, "people who leave a group stay where they joined")
			} else {
				parts = append(parts, "people who leave a group lose the access it gave")
			}
		default:
			parts = append(parts, strings.ReplaceAll(k, "_", " ")+" changed")
		}
	}
	if len(parts) == 0 {
		return "Settings saved unchanged"
	}
	return "Settings: " + strings.Join(parts, "; ")
}

func unquote(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw)
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
