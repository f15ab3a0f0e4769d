package scim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
	"github.com/rosterhq/roster/internal/store"
)

// listParams are the query parameters of a list or .search request
// (RFC 7644 §3.4.2, RFC 9865).
type listParams struct {
	filter     string
	sortBy     string
	descending bool
	startIndex int
	count      int
	cursor     *string // non-nil: cursor paging ("" asks for the first page)
	attributes []string
	excluded   []string
	// lookup, when set, keeps the answer in the lookup cache.
	lookup *lookupSlot
}

// searchRequest is the body of POST .search (RFC 7644 §3.4.3).
type searchRequest struct {
	Schemas            []string `json:"schemas"`
	Attributes         []string `json:"attributes"`
	ExcludedAttributes []string `json:"excludedAttributes"`
	Filter             string   `json:"filter"`
	SortBy             string   `json:"sortBy"`
	SortOrder          string   `json:"sortOrder"`
	StartIndex         *int     `json:"startIndex"`
	Count              *int     `json:"count"`
	Cursor             *string  `json:"cursor"`
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// queryParams reads list parameters from the URL. Parameter names are
// case-insensitive, as RFC 7644 §3.4.2 makes them.
func (h *Handler) queryParams(r *http.Request) (listParams, error) {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		q[strings.ToLower(k)] = append(q[strings.ToLower(k)], v...)
	}
	p := listParams{filter: q.Get("filter"), sortBy: q.Get("sortby"),
		attributes: splitList(q["attributes"]), excluded: splitList(q["excludedattributes"])}
	switch strings.ToLower(q.Get("sortorder")) {
	case "", "ascending":
	case "descending":
		p.descending = true
	default:
		return p, badRequest("invalidValue", "sortOrder must be \"ascending\" or \"descending\", not %q", q.Get("sortorder"))
	}
	var err error
	if p.startIndex, err = intParam(q, "startindex", 1); err != nil {
		return p, err
	}
	if p.count, err = intParam(q, "count", h.Limits.DefaultCount); err != nil {
		return p, err
	}
	if c, ok := q["cursor"]; ok {
		p.cursor = &c[0]
		if _, ok := q["startindex"]; ok {
			return p, badRequest("invalidValue", "use either cursor or startIndex paging, not both")
		}
	}
	return h.normalize(p), nil
}

func intParam(q url.Values, name string, def int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badRequest("invalidValue", "%s must be an integer, not %q", name, v)
	}
	return n, nil
}

// bodyParams reads list parameters from a SearchRequest body.
func (h *Handler) bodyParams(body []byte) (listParams, error) {
	if _, err := decodeObject(body); err != nil {
		return listParams{}, err
	}
	var sr searchRequest
	// encoding/json matches keys case-insensitively, as SCIM wants.
	if err := json.Unmarshal(body, &sr); err != nil {
		return listParams{}, badRequest("invalidSyntax", "invalid SearchRequest: %s", jsonProblem(err))
	}
	if !containsFold(sr.Schemas, schema.SearchRequestURN) {
		return listParams{}, badRequest("invalidSyntax", "a SearchRequest must list %q in schemas", schema.SearchRequestURN)
	}
	p := listParams{filter: sr.Filter, sortBy: sr.SortBy, attributes: splitList(sr.Attributes), excluded: splitList(sr.ExcludedAttributes),
		startIndex: 1, count: h.Limits.DefaultCount, cursor: sr.Cursor}
	switch strings.ToLower(sr.SortOrder) {
	case "", "ascending":
	case "descending":
		p.descending = true
	default:
		return p, badRequest("invalidValue", "sortOrder must be \"ascending\" or \"descending\", not %q", sr.SortOrder)
	}
	if sr.StartIndex != nil {
		if sr.Cursor != nil {
			return p, badRequest("invalidValue", "use either cursor or startIndex paging, not both")
		}
		p.startIndex = *sr.StartIndex
	}
	if sr.Count != nil {
		p.count = *sr.Count
	}
	return h.normalize(p), nil
}

// normalize applies RFC 7644 §3.4.2.4: a startIndex below 1 is 1, a
// negative count is 0, and count never exceeds the advertised maximum.
func (h *Handler) normalize(p listParams) listParams {
	if p.startIndex < 1 {
		p.startIndex = 1
	}
	if p.count < 0 {
		p.count = 0
	}
	if p.count > h.Limits.MaxResults {
		p.count = h.Limits.MaxResults
	}
	return p
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Cursors are opaque to clients: "a:<id>" pages after an id, "b:<id>"
// before it.
func encodeCursor(dir byte, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(dir) + ":" + id))
}

func decodeCursor(c string) (dir byte, id string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 3 || (b[0] != 'a' && b[0] != 'b') || b[1] != ':' {
		return 0, "", &Error{Status: http.StatusBadRequest, ScimType: scimTypeInvalidCursor,
			Detail: "the cursor is not one this server issued; start again without a cursor value (cursor=)"}
	}
	return b[0], string(b[2:]), nil
}

// storeQuery turns list parameters into a store query for a resource type.
func (h *Handler) storeQuery(rt *schema.ResourceType, p listParams) (store.Query, error) {
	q := store.Query{Limit: p.count, Offset: p.startIndex - 1, Descending: p.descending}
	if p.filter != "" {
		cond, err := compileFilter(rt, p.filter)
		if err != nil {
			return q, err
		}
		q.Filter = cond
	}
	if p.sortBy != "" {
		path, err := filter.ParsePath(p.sortBy)
		if err != nil || path.Filter != nil {
			return q, badRequest("invalidValue", "sortBy %q is not an attribute path", p.sortBy)
		}
		q.SortBy, _, err = fieldOf(rt, path.Attr)
		if err != nil {
			return q, badRequest("invalidValue", "cannot sort by %q: %s", p.sortBy, errDetail(err))
		}
	}
	if p.cursor != nil {
		if p.sortBy != "" || p.descending {
			return q, badRequest("invalidValue", "cursor paging returns resources in a fixed order; leave out sortBy and sortOrder")
		}
		q.Offset = 0
		if *p.cursor != "" {
			dir, id, err := decodeCursor(*p.cursor)
			if err != nil {
				return q, err
			}
			if dir == 'a' {
				q.After = id
			} else {
				q.Before = id
			}
		}
	}
	return q, nil
}

func errDetail(err error) string {
	var se *schema.Error
	if errors.As(err, &se) {
		return se.Detail
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Detail
	}
	return err.Error()
}

// resolver adapts a resource type to the filter package.
type resolver struct{ rt *schema.ResourceType }

func (r resolver) Resolve(p filter.AttrPath) (filter.AttrInfo, error) {
	a, _, err := r.rt.Lookup(p.URN, p.Name, p.Sub)
	if err != nil {
		return filter.AttrInfo{}, err
	}
	return filter.AttrInfo{Type: string(a.Type), MultiValued: a.MultiValued, CaseExact: a.CaseExact}, nil
}

// compileFilter parses, checks and translates a filter.
func compileFilter(rt *schema.ResourceType, text string) (store.Cond, error) {
	expr, err := filter.Parse(text)
	if err != nil {
		return nil, err
	}
	if err := filter.Check(expr, resolver{rt}); err != nil {
		return nil, err
	}
	return translate(rt, expr, nil)
}

// fieldOf maps an attribute path to the store field and its attribute.
func fieldOf(rt *schema.ResourceType, p filter.AttrPath) (store.Field, *schema.Attribute, error) {
	a, urn, err := rt.Lookup(p.URN, p.Name, p.Sub)
	if err != nil {
		return store.Field{}, nil, err
	}
	parent, _, err := rt.Lookup(p.URN, p.Name, "")
	if err != nil {
		return store.Field{}, nil, err
	}
	name := strings.ToLower(parent.Name)
	if urn != rt.Schema && urn != "" && !strings.EqualFold(urn, rt.Schema) && !isCommon(parent.Name) {
		name = strings.ToLower(urn + ":" + parent.Name)
	}
	sub := ""
	if p.Sub != "" {
		sub = strings.ToLower(a.Name)
	}
	return store.Field{Attr: name, Sub: sub}, a, nil
}

func isCommon(name string) bool {
	switch strings.ToLower(name) {
	case "id", "externalid", "meta":
		return true
	}
	return false
}

// translate turns a checked filter into a store condition. elem is the
// enclosing value path, if any.
func translate(rt *schema.ResourceType, e filter.Expr, elem *filter.AttrPath) (store.Cond, error) {
	switch e := e.(type) {
	case *filter.And:
		l, err := translate(rt, e.Left, elem)
		if err != nil {
			return nil, err
		}
		r, err := translate(rt, e.Right, elem)
		return store.And{L: l, R: r}, err
	case *filter.Or:
		l, err := translate(rt, e.Left, elem)
		if err != nil {
			return nil, err
		}
		r, err := translate(rt, e.Right, elem)
		return store.Or{L: l, R: r}, err
	case *filter.Not:
		c, err := translate(rt, e.Expr, elem)
		return store.Not{C: c}, err
	case *filter.Present:
		f, _, err := pathField(rt, e.Path, elem)
		return store.Present{Field: f}, err
	case *filter.Compare:
		f, a, err := pathField(rt, e.Path, elem)
		if err != nil {
			return nil, err
		}
		switch e.Value.Kind {
		case filter.KindNull:
			if e.Op == filter.OpEq {
				return store.Not{C: store.Present{Field: f}}, nil
			}
			return store.Present{Field: f}, nil
		case filter.KindBool:
			return store.Cmp{Field: f, Op: store.Op(e.Op), Value: e.Value.Bool}, nil
		case filter.KindNumber:
			return nil, badRequest("invalidFilter", "%s holds no numbers; compare it with a string", e.Path)
		}
		return store.Cmp{Field: f, Op: store.Op(e.Op), Value: e.Value.Str, CaseExact: a.CaseExact}, nil
	case *filter.ValuePath:
		f, _, err := pathField(rt, e.Path, nil)
		if err != nil {
			return nil, err
		}
		inner, err := translate(rt, e.Filter, &e.Path)
		if err != nil {
			return nil, err
		}
		return store.Elem{Attr: f.Attr, C: inner}, nil
	}
	return nil, badRequest("invalidFilter", "unsupported filter expression")
}

// pathField resolves a path, inside a value path when elem is set, and
// applies RFC 7644's shorthand: a multi-valued complex attribute compared
// without a sub-attribute means its "value".
func pathField(rt *schema.ResourceType, p filter.AttrPath, elem *filter.AttrPath) (store.Field, *schema.Attribute, error) {
	if elem != nil {
		p = filter.AttrPath{URN: elem.URN, Name: elem.Name, Sub: p.Name}
	}
	f, a, err := fieldOf(rt, p)
	if err != nil {
		return f, a, err
	}
	if p.Sub == "" && a.Type == schema.TypeComplex && a.MultiValued && a.SubAttribute("value") != nil {
		return store.Field{Attr: f.Attr, Sub: "value"}, a.SubAttribute("value"), nil
	}
	if f.Attr == "meta" && a.Type == schema.TypeComplex {
		return f, a, badRequest("invalidFilter", "compare a sub-attribute of meta, e.g. meta.lastModified")
	}
	return f, a, nil
}
