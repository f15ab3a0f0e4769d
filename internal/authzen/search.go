package authzen

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Search pages: DefaultPageSize results when the request gives no limit,
// and never more than MaxPageSize, however many it asks for (the
// specification lets a PDP return fewer than the limit).
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// searchRequest is a Subject, Resource or Action Search request.
type searchRequest struct {
	evaluation
	Page *pageRequest `json:"page"`
}

type pageRequest struct {
	Token      string          `json:"token"`
	Limit      *int64          `json:"limit"`
	Properties json.RawMessage `json:"properties"`
}

// searchResponse is a Search API response; page comes first, as the
// specification recommends.
type searchResponse struct {
	Page    pageResponse     `json:"page"`
	Context *decisionContext `json:"context,omitempty"`
	Results any              `json:"results"`
}

type pageResponse struct {
	NextToken string `json:"next_token"`
	Count     int    `json:"count"`
}

// subjectResult is a user a subject search found, with the role they have.
type subjectResult struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Properties roleProperties `json:"properties"`
}

type roleProperties struct {
	Role string `json:"role"`
}

// resourceResult is a workspace or folder a resource search found.
type resourceResult struct {
	Type       string             `json:"type"`
	ID         string             `json:"id"`
	Properties resourceProperties `json:"properties"`
}

type resourceProperties struct {
	Name        string `json:"name"`
	WorkspaceID string `json:"workspace_id,omitempty"`
	Role        string `json:"role"`
}

type actionResult struct {
	Name string `json:"name"`
}

// The searches, which tokens are bound to.
const (
	searchSubjects  = "subject"
	searchResources = "resource"
	searchActions   = "action"
)

// paging is a search's page: where it starts and how many it holds.
type paging struct {
	after string
	limit int
	// print identifies the request the token was issued for.
	print string
}

// token is the opaque page token: the position after which the next page
// starts and a fingerprint of the request, so a token replayed with other
// entities or another limit is refused instead of paging something else.
type token struct {
	After string `json:"a"`
	Print string `json:"p"`
}

// paging reads the request's page object. The fingerprint covers the
// organization, the search, the entities (without the id the search
// ignores), the context and the limit: everything the specification says
// must stay the same from page to page.
func (req *searchRequest) paging(orgID, search string) (paging, error) {
	p := paging{limit: DefaultPageSize}
	if req.Page != nil {
		if err := object(req.Page.Properties, at("page.properties")); err != nil {
			return p, err
		}
		if l := req.Page.Limit; l != nil {
			switch {
			case *l < 0:
				return p, fault.Invalidf("page.limit must be a whole number of 0 or more, not %d", *l)
			case *l > 0: // 0 asks for no particular size: the default
				p.limit = int(min(*l, MaxPageSize))
			}
		}
	}
	p.print = req.fingerprint(orgID, search)
	if req.Page == nil || req.Page.Token == "" {
		return p, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(req.Page.Token)
	var t token
	if err == nil {
		err = json.Unmarshal(raw, &t)
	}
	if err != nil || t.Print == "" {
		return p, fault.Invalidf("page.token is not a token this PDP returned: pass the next_token of the previous page as it is")
	}
	if t.Print != p.print {
		return p, fault.Invalidf("page.token belongs to another search: the subject, action, resource, context and page.limit must stay as they were in the request that returned it")
	}
	p.after = t.After
	return p, nil
}

func (req *searchRequest) fingerprint(orgID, search string) string {
	h := sha256.New()
	write := func(parts ...string) {
		for _, s := range parts {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
	}
	raw := func(m json.RawMessage) string {
		var b bytes.Buffer
		if json.Compact(&b, m) != nil {
			return string(m)
		}
		return b.String()
	}
	write(orgID, search)
	if s := req.Subject; s != nil {
		id := s.ID
		if search == searchSubjects {
			id = ""
		}
		write(s.Type, id, raw(s.Properties))
	}
	if a := req.Action; a != nil && search != searchActions {
		write(a.Name, raw(a.Properties))
	}
	if r := req.Resource; r != nil {
		id := r.ID
		if search == searchResources {
			id = ""
		}
		write(r.Type, id, raw(r.Properties))
	}
	write(raw(req.Context))
	if req.Page != nil && req.Page.Limit != nil {
		write(strconv.FormatInt(*req.Page.Limit, 10))
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// next returns the token of the page after one ending at after.
func (p paging) next(after string) string {
	b, _ := json.Marshal(token{After: after, Print: p.print})
	return base64.RawURLEncoding.EncodeToString(b)
}

// read decodes and validates a search request.
func readSearch(r *http.Request, n need, expects string) (*searchRequest, error) {
	var req searchRequest
	if err := decode(r, &req, expects, nil); err != nil {
		return nil, err
	}
	if err := req.validate(at("the request"), n, false); err != nil {
		return nil, err
	}
	return &req, nil
}

// searchSubject serves the Subject Search API: the users who may take the
// action on the resource, through any grant, membership or organization
// role (transitively, as the specification recommends), by id.
func (h *Handler) searchSubject(w http.ResponseWriter, r *http.Request, orgID string) error {
	req, err := readSearch(r, needAction|needResourceID, `"subject" (its "type"), "action" and "resource"`)
	if err != nil {
		return err
	}
	if err := subjectType(req.Subject.Type); err != nil {
		return err
	}
	rt, err := resourceType(req.Resource.Type)
	if err != nil {
		return err
	}
	want, err := actionRole(req.Action.Name)
	if err != nil {
		return err
	}
	p, err := req.paging(orgID, searchSubjects)
	if err != nil {
		return err
	}
	out := make([]subjectResult, 0, min(p.limit, 64))
	after, more := p.after, false
	// The resolver pages everyone who has any role; those whose role is
	// below the one wanted are skipped, so it is asked again until the page
	// is full or the list ends.
	for {
		items, rest, err := h.Access.ResourceAccess(r.Context(), orgID, rt, req.Resource.ID, after, chunk(p.limit-len(out)))
		if err != nil {
			return err
		}
		for _, it := range items {
			if len(out) == p.limit {
				more = true
				break
			}
			after = it.UserID
			if reaches(it.Role, want) {
				out = append(out, subjectResult{Type: "user", ID: it.UserID, Properties: roleProperties{it.Role}})
			}
		}
		if more || !rest {
			break
		}
	}
	writeSearch(w, p, more, after, nil, out)
	return nil
}

// searchResource serves the Resource Search API: the workspaces or folders
// of the type asked on which the user may take the action.
func (h *Handler) searchResource(w http.ResponseWriter, r *http.Request, orgID string) error {
	req, err := readSearch(r, needSubjectID|needAction, `"subject", "action" and "resource" (its "type")`)
	if err != nil {
		return err
	}
	if err := subjectType(req.Subject.Type); err != nil {
		return err
	}
	rt, err := resourceType(req.Resource.Type)
	if err != nil {
		return err
	}
	want, err := actionRole(req.Action.Name)
	if err != nil {
		return err
	}
	p, err := req.paging(orgID, searchResources)
	if err != nil {
		return err
	}
	uid, err := h.evaluator(r.Context(), orgID).userID(req.Subject)
	if err != nil {
		return err
	}
	// The resolver lists folders, then workspaces, each by id; a search
	// for workspaces starts at the first one.
	after := p.after
	if after == "" && rt == store.ResourceWorkspace {
		after = access.Reach{ResourceType: store.ResourceWorkspace}.Cursor()
	}
	out := make([]resourceResult, 0, min(p.limit, 64))
	more, done := false, false
	for !done {
		items, rest, err := h.Access.UserAccess(r.Context(), orgID, uid, after, chunk(p.limit-len(out)))
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.ResourceType != rt {
				done = true // past the last resource of the type
				break
			}
			if len(out) == p.limit {
				more, done = true, true
				break
			}
			after = it.Cursor()
			if reaches(it.Role, want) {
				out = append(out, resourceResult{Type: string(it.ResourceType), ID: it.ResourceID,
					Properties: resourceProperties{Name: it.Name, WorkspaceID: it.WorkspaceID, Role: it.Role}})
			}
		}
		if !rest {
			done = true
		}
	}
	writeSearch(w, p, more, after, nil, out)
	return nil
}

// searchAction serves the Action Search API: what the user may do on the
// resource, with the decision's explanation in the context.
func (h *Handler) searchAction(w http.ResponseWriter, r *http.Request, orgID string) error {
	req, err := readSearch(r, needSubjectID|needResourceID, `"subject" and "resource"`)
	if err != nil {
		return err
	}
	if err := subjectType(req.Subject.Type); err != nil {
		return err
	}
	rt, err := resourceType(req.Resource.Type)
	if err != nil {
		return err
	}
	p, err := req.paging(orgID, searchActions)
	if err != nil {
		return err
	}
	uid, err := h.evaluator(r.Context(), orgID).userID(req.Subject)
	if err != nil {
		return err
	}
	d, err := h.Access.Check(r.Context(), orgID, uid, rt, req.Resource.ID, store.RoleViewer)
	if err != nil {
		return err
	}
	// The actions form a short fixed list; a page token holds the name of
	// the last action returned.
	out := []actionResult{}
	more, after, started := false, p.after, p.after == ""
	for _, a := range actions {
		if !started {
			started = a.name == p.after
			continue
		}
		if !reaches(d.Role, a.role) {
			continue
		}
		if len(out) == p.limit {
			more = true
			break
		}
		out = append(out, actionResult{a.name})
		after = a.name
	}
	c := &decisionContext{Role: d.Role, Reasons: reasons(d.Reasons), Reason: "the user's role here is " + d.Role}
	if !d.Allowed {
		c.Reason = "no action is allowed: " + d.Denial
	}
	writeSearch(w, p, more, after, c, out)
	return nil
}

// chunk is how many entries to ask the resolver for when n more results
// are wanted: one more than n, so a full page knows whether another
// follows, and at least a few hundred, as entries below the role wanted
// are skipped.
func chunk(n int) int { return max(n+1, 256) }

// reaches reports whether an effective role ("viewer" … "owner") includes
// the abilities of role want.
func reaches(role string, want store.Role) bool {
	return levelOf(role) >= access.LevelOf(want)
}

func levelOf(role string) access.Level {
	for lv := access.LevelViewer; lv <= access.LevelOwner; lv++ {
		if lv.String() == role {
			return lv
		}
	}
	return access.LevelNone
}

func writeSearch[T any](w http.ResponseWriter, p paging, more bool, after string, c *decisionContext, results []T) {
	resp := searchResponse{Page: pageResponse{Count: len(results)}, Context: c, Results: results}
	if more {
		resp.Page.NextToken = p.next(after)
	}
	writeJSON(w, http.StatusOK, resp)
}
