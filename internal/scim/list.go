package scim

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"

	"github.com/rosterhq/roster/internal/scim/schema"
	"github.com/rosterhq/roster/internal/store"
)

// listHeader is a ListResponse without its Resources, which are streamed.
type listHeader struct {
	Schemas        []string `json:"schemas"`
	TotalResults   int      `json:"totalResults"`
	ItemsPerPage   int      `json:"itemsPerPage"`
	StartIndex     int      `json:"startIndex,omitempty"`
	NextCursor     string   `json:"nextCursor,omitempty"`
	PreviousCursor string   `json:"previousCursor,omitempty"`
}

// page is one resource type's contribution to a list.
type page struct {
	rt     *schema.ResourceType
	users  []store.User
	groups []store.Group
	total  int
	more   bool
}

func (p page) len() int { return len(p.users) + len(p.groups) }

// respondList answers a query over one resource type, or over several for
// a search at the root, streaming the resources.
func (h *Handler) respondList(w http.ResponseWriter, r *http.Request, c *caller, p listParams, rts []*schema.ResourceType) error {
	ctx := r.Context()
	var pages []page
	hdr := listHeader{Schemas: []string{schema.ListResponseURN}}
	if len(rts) > 1 {
		if p.cursor != nil {
			return badRequest("invalidValue", "cursor paging is available per resource type: POST to /Users/.search or /Groups/.search")
		}
		if p.sortBy != "" {
			return badRequest("invalidValue", "sortBy is available per resource type: POST to /Users/.search or /Groups/.search")
		}
		// The union is ordered Users then Groups; startIndex and count apply
		// to it as a whole.
		offset, remaining := p.startIndex-1, p.count
		for _, rt := range rts {
			q, err := h.storeQuery(rt, p)
			if err != nil {
				if isUnknownAttribute(err) {
					continue // the filter names attributes this type lacks
				}
				return err
			}
			q.Offset, q.Limit = offset, remaining
			pg, err := h.runQuery(ctx, c, rt, q)
			if err != nil {
				return err
			}
			offset = max(0, offset-pg.total)
			remaining -= pg.len()
			hdr.TotalResults += pg.total
			pages = append(pages, pg)
		}
		hdr.StartIndex = p.startIndex
	} else {
		q, err := h.storeQuery(rts[0], p)
		if err != nil {
			return err
		}
		if err := h.checkSortable(ctx, c, rts[0], q); err != nil {
			return err
		}
		pg, err := h.runQuery(ctx, c, rts[0], q)
		if err != nil {
			return err
		}
		hdr.TotalResults = pg.total
		pages = append(pages, pg)
		if p.cursor == nil {
			hdr.StartIndex = p.startIndex
		} else if n := pg.len(); n > 0 {
			first, last := pageIDs(pg)
			forward := q.Before == ""
			if (forward && pg.more) || !forward {
				hdr.NextCursor = encodeCursor('a', last)
			}
			if (!forward && pg.more) || (forward && q.After != "") {
				hdr.PreviousCursor = encodeCursor('b', first)
			}
		}
	}
	for _, pg := range pages {
		hdr.ItemsPerPage += pg.len()
	}
	return h.streamList(ctx, w, c, hdr, pages, p)
}

// checkSortable refuses a sorted query that matches more than
// Limits.MaxSorted resources (RFC 7644 §3.12 tooMany): every match is
// ordered before the page is cut, so its cost grows with the matches, not
// the page. Unsorted queries page through indexes at any size.
func (h *Handler) checkSortable(ctx context.Context, c *caller, rt *schema.ResourceType, q store.Query) error {
	if q.SortBy.Attr == "" {
		return nil
	}
	count := q
	count.Limit, count.Offset = 0, 0
	pg, err := h.runQuery(ctx, c, rt, count)
	if err != nil {
		return err
	}
	if pg.total > h.Limits.MaxSorted {
		return badRequest(schema.ScimTypeTooMany,
			"sortBy orders every match before a page is cut, and roster sorts at most %d; this query matches %d. Narrow the filter, or leave out sortBy and page with cursor (or startIndex) in roster's fixed order",
			h.Limits.MaxSorted, pg.total)
	}
	return nil
}

func pageIDs(pg page) (first, last string) {
	if len(pg.users) > 0 {
		return pg.users[0].ID, pg.users[len(pg.users)-1].ID
	}
	return pg.groups[0].ID, pg.groups[len(pg.groups)-1].ID
}

func isUnknownAttribute(err error) bool {
	e := asError(err)
	return e.Status == http.StatusBadRequest && (e.ScimType == "invalidFilter" || e.ScimType == "invalidPath")
}

func (h *Handler) runQuery(ctx context.Context, c *caller, rt *schema.ResourceType, q store.Query) (page, error) {
	pg := page{rt: rt}
	if rt == h.user {
		res, err := h.Directory.QueryUsers(ctx, c.org.ID, q)
		if err != nil {
			return pg, err
		}
		pg.users, pg.total, pg.more = res.Items, res.Total, res.More
		return pg, nil
	}
	res, err := h.Directory.QueryGroups(ctx, c.org.ID, q)
	if err != nil {
		return pg, err
	}
	pg.groups, pg.total, pg.more = res.Items, res.Total, res.More
	return pg, nil
}

// streamList writes the list header, then each resource as it is rendered:
// a page of large groups is never held in memory whole.
func (h *Handler) streamList(ctx context.Context, w http.ResponseWriter, c *caller, hdr listHeader, pages []page, p listParams) error {
	// Everything that can fail with a status is done before the first
	// byte: the groups of the users on the page.
	var userGroups map[string][]store.GroupRef
	for _, pg := range pages {
		if len(pg.users) > 0 && wantsGroups(p.attributes, p.excluded) {
			ids := make([]string, len(pg.users))
			for i, u := range pg.users {
				ids[i] = u.ID
			}
			m, err := h.Directory.UserGroups(ctx, c.org.ID, ids)
			if err != nil {
				return err
			}
			userGroups = m
		}
	}
	// Validate the projection once, so a bad attributes parameter is a 400.
	for _, pg := range pages {
		if _, err := pg.rt.Project(schema.Resource{"id": "x"}, p.attributes, p.excluded); err != nil {
			return err
		}
	}
	var keys []string
	for _, pg := range pages {
		if len(pg.groups) > 0 {
			var err error
			if keys, err = h.memberKeys(p.attributes, p.excluded); err != nil {
				return err
			}
		}
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	bw, _ := h.writers.Get().(*bufio.Writer)
	if bw == nil {
		bw = bufio.NewWriterSize(w, 32<<10)
	}
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		h.writers.Put(bw)
	}()
	head, _ := marshal(hdr)
	bw.Write(head[:len(head)-1])
	bw.WriteString(`,"Resources":[`)
	n := 0
	for _, pg := range pages {
		for _, u := range pg.users {
			if n > 0 {
				bw.WriteByte(',')
			}
			n++
			res, err := h.renderUser(nil, c, u, userGroups[u.ID], p.attributes, p.excluded)
			if err != nil {
				return h.abort(ctx, err)
			}
			b, err := marshal(res)
			if err != nil {
				return h.abort(ctx, err)
			}
			bw.Write(b)
			if p.lookup != nil && hdr.TotalResults == 1 && len(pg.users) == 1 {
				h.lookups.put(c.org.ID, p.lookup.seq, p.lookup.key, u.ID, b)
			}
		}
		for _, g := range pg.groups {
			if n > 0 {
				bw.WriteByte(',')
			}
			n++
			if err := h.streamGroup(ctx, bw, c, g, p.attributes, p.excluded, keys); err != nil {
				return h.abort(ctx, err)
			}
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// abort logs a failure in mid-response and makes the server cut the
// connection, so the client sees an incomplete body, not a valid one.
func (h *Handler) abort(ctx context.Context, err error) error {
	h.Logger.ErrorContext(ctx, "scim response aborted mid-stream", "err", err)
	panic(http.ErrAbortHandler)
}

// memberKeys returns which member sub-attributes a projection keeps, or nil
// when it drops members altogether.
func (h *Handler) memberKeys(attrs, excl []string) ([]string, error) {
	probe := schema.Resource{"id": "x", "displayName": "x", "members": []any{
		map[string]any{"value": "x", "display": "x", "$ref": "x", "type": "User"}}}
	out, err := h.group.Project(probe, attrs, excl)
	if err != nil {
		return nil, err
	}
	ms, _ := out["members"].([]any)
	if len(ms) == 0 {
		return nil, nil
	}
	m, _ := ms[0].(map[string]any)
	keys := make([]string, 0, len(m))
	for _, k := range []string{"value", "display", "$ref", "type"} {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// memberPage is how many members are read from the store at a time.
const memberPage = 1000

// streamGroup writes one group, its members read page by page.
// keys are the member sub-attributes to write (see memberKeys), computed
// once per request.
func (h *Handler) streamGroup(ctx context.Context, bw *bufio.Writer, c *caller, g store.Group, attrs, excl, keys []string) error {
	res, err := h.group.Project(h.groupResource(g), attrs, excl)
	if err != nil {
		return err
	}
	b, err := marshal(res)
	if err != nil {
		return err
	}
	if keys == nil || g.MemberCount == 0 {
		bw.Write(b)
		return nil
	}
	bw.Write(b[:len(b)-1])
	bw.WriteString(`,"members":[`)
	after := ""
	first := true
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for {
		ms, err := h.Directory.ListMembers(ctx, c.org.ID, g.ID, after, memberPage)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			full := h.memberObject(m)
			obj := make(map[string]any, len(keys))
			for _, k := range keys {
				obj[k] = full[k]
			}
			mb, err := marshal(obj)
			if err != nil {
				return err
			}
			bw.Write(mb)
		}
		if len(ms) < memberPage {
			break
		}
		after = ms[len(ms)-1].UserID
	}
	bw.WriteString("]}")
	return nil
}
