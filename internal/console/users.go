package console

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Reach lists the workspaces and folders a user reaches, with the
// resolver's reasons; *access.Resolver is it.
type Reach interface {
	UserAccess(ctx context.Context, orgID, userID, after string, limit int) ([]access.Reach, bool, error)
}

// searchBy are the ways the users page searches, as the directory's
// queries support them: a prefix of userName or displayName (the name
// index), or a prefix of an email address (the attribute index).
var searchBy = []struct{ Value, Label string }{{"name", "userName or name"}, {"email", "email"}}

// userRow is one user of the list, with the address that matched an
// email search.
type userRow struct {
	store.UserSummary
	Email string
}

type usersPage struct {
	Rows        []userRow
	Query, By   string
	QueryError  string
	Choices     any
	Next, First string
	Paging      bool
}

// users lists the organization's users a page at a time, found by the
// start of their userName, name or email.
func (h *Handler) users(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	p := usersPage{Query: strings.TrimSpace(q.Get("q")), By: q.Get("by"), Choices: searchBy}
	if p.By != "email" {
		p.By = "name"
	}
	after := q.Get("after")
	status := http.StatusOK
	var (
		more   bool
		cursor string
		err    error
	)
	switch {
	case len(p.Query) > 200:
		status, p.QueryError = http.StatusBadRequest, "Search with at most 200 characters."
	case p.By == "email" && p.Query != "":
		p.Rows, cursor, more, err = h.usersByEmail(r.Context(), s.org.ID, p.Query, after)
	default:
		var list []store.UserSummary
		list, err = h.Directory.ListUsers(r.Context(), s.org.ID, store.UserListing{Prefix: p.Query}, after, sharePage+1)
		list, more = trim(list, sharePage)
		for _, u := range list {
			p.Rows = append(p.Rows, userRow{UserSummary: u})
		}
		if len(list) > 0 {
			cursor = list[len(list)-1].ID
		}
	}
	if fault.Is(err, fault.Invalid) {
		// A cursor of one search kind pasted into the other.
		status, p.QueryError, p.Rows, err = http.StatusBadRequest, "This page's address is not one the list made; search again.", nil, nil
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	keep := url.Values{}
	if p.Query != "" && p.QueryError == "" {
		keep.Set("q", p.Query)
		keep.Set("by", p.By)
	}
	p.Next = nextLink(Prefix+"/users", keep, "after", cursor, more)
	if after != "" {
		p.Paging, p.First = true, Prefix+"/users"
		if len(keep) > 0 {
			p.First += "?" + keep.Encode()
		}
	}
	h.render(w, r, status, "users", view{Title: "Users", Nav: "users", Org: s.org, CSRF: s.csrf, Data: p})
}

// usersByEmail pages the users with an email address starting with
// prefix, ignoring case, in address order: the index serves that order,
// so a prefix that every user matches costs one page, not a count.
func (h *Handler) usersByEmail(ctx context.Context, orgID, prefix, after string) ([]userRow, string, bool, error) {
	list, err := h.Directory.ListUsersByEmail(ctx, orgID, prefix, after, sharePage+1)
	if err != nil {
		return nil, "", false, err
	}
	list, more := trim(list, sharePage)
	out := make([]userRow, len(list))
	for i, m := range list {
		out[i] = userRow{UserSummary: m.UserSummary, Email: m.Email}
	}
	next := ""
	if len(list) > 0 {
		next = store.EmailCursor(list[len(list)-1])
	}
	return out, next, more, nil
}

// email is one address of a user as SCIM carries it.
type email struct {
	Value   string `json:"value"`
	Type    string `json:"type"`
	Primary bool   `json:"primary"`
}

// profile is what the user page shows of a user's SCIM representation.
type profile struct {
	Name struct {
		Formatted  string `json:"formatted"`
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	Emails []email `json:"emails"`
}

// reachRow is one workspace or folder a user reaches.
type reachRow struct {
	resourceRow
	Reasons []string
	ws      string // the workspace's name, which orders the rows
}

type userPage struct {
	User       store.User
	Name       string
	Emails     []email
	Groups     []store.GroupRef
	Access     []reachRow
	AccessNext string
	// SignIns links to the user's sign-ins in the sign-in log.
	SignIns string
}

// user is a user's page: active or not, their emails and groups, and
// everything they reach with the resolver's reasons.
func (h *Handler) user(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, q := r.Context(), r.URL.Query()
	id := r.PathValue("id")
	u, groups, err := h.Directory.UserWithGroups(ctx, s.org.ID, id)
	if err != nil {
		h.fail(w, r, s, notFoundAs(err, "user", id))
		return
	}
	p := userPage{User: u, Groups: groups, Name: u.DisplayName}
	var pr profile
	if len(u.Attributes) > 0 && json.Unmarshal(u.Attributes, &pr) == nil {
		// An unreadable representation only loses the extras shown here.
		p.Emails = pr.Emails
		if p.Name == "" {
			p.Name = pr.Name.Formatted
		}
		if p.Name == "" {
			p.Name = strings.TrimSpace(pr.Name.GivenName + " " + pr.Name.FamilyName)
		}
	}
	if u.Active {
		list, more, err := h.Reach.UserAccess(ctx, s.org.ID, u.ID, q.Get("access_after"), sharePage)
		if err != nil {
			h.fail(w, r, s, notFoundAs(err, "user", id))
			return
		}
		var groupIDs []string
		for _, re := range list {
			for _, why := range re.Reasons {
				if g, ok := strings.CutPrefix(why.Origin, store.OriginGroupPrefix); ok && why.GroupName == "" {
					groupIDs = append(groupIDs, g)
				}
			}
		}
		names, err := h.Names.GroupNames(ctx, s.org.ID, groupIDs)
		if err != nil {
			h.fail(w, r, s, err)
			return
		}
		rs := h.resources(s.org.ID)
		for _, re := range list {
			row := reachRow{resourceRow: resourceRow{Name: re.Name, Role: roleName(re.Role)}}
			if re.ResourceType == store.ResourceWorkspace {
				row.Kind, row.Link, row.ws = "Workspace", Prefix+"/workspaces/"+re.ResourceID, re.Name+"\x00"+re.ResourceID
			} else {
				ws, err := rs.workspace(ctx, re.WorkspaceID)
				if err != nil {
					h.fail(w, r, s, err)
					return
				}
				row.Kind, row.Name, row.ws = "Folder", re.Name+" · "+ws.Name, ws.Name+"\x00"+ws.ID
				row.Link = Prefix + "/workspaces/" + re.WorkspaceID + "/folders/" + re.ResourceID
			}
			for _, why := range re.Reasons {
				row.Reasons = append(row.Reasons, reasonText(why, re.ResourceType, re.ResourceID, names))
			}
			p.Access = append(p.Access, row)
		}
		// The resolver pages folders before workspaces (type, then id);
		// within the page each workspace comes first, then its folders.
		slices.SortStableFunc(p.Access, func(a, b reachRow) int {
			return cmp.Or(cmp.Compare(a.ws, b.ws), cmp.Compare(b.Kind, a.Kind))
		})
		if len(list) > 0 {
			p.AccessNext = nextLink(Prefix+"/users/"+u.ID, nil, "access_after", list[len(list)-1].Cursor(), more)
		}
	}
	title := u.UserName
	if h.SignIns != nil {
		p.SignIns = Prefix + "/sign-ins?" + url.Values{"user": {u.ID}}.Encode()
	}
	h.render(w, r, http.StatusOK, "user", view{Title: title, Nav: "users", Org: s.org, CSRF: s.csrf, Data: p})
}
