package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/scim/schema"
)

// bulkRequest is the body of POST /Bulk (RFC 7644 §3.7).
type bulkRequest struct {
	Schemas      []string        `json:"schemas"`
	FailOnErrors *int            `json:"failOnErrors"`
	Operations   []bulkOperation `json:"Operations"`
}

type bulkOperation struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId,omitempty"`
	Version string          `json:"version,omitempty"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data,omitempty"`
}

type bulkResult struct {
	Method   string     `json:"method"`
	BulkID   string     `json:"bulkId,omitempty"`
	Version  string     `json:"version,omitempty"`
	Location string     `json:"location,omitempty"`
	Status   string     `json:"status"`
	Response *errorBody `json:"response,omitempty"`
}

// bulk runs the operations of a /Bulk request in order. An operation whose
// data or path refers to a bulkId not yet created waits until it is (RFC
// 7644 §3.7.2), so operations may come in any order; references that can
// never resolve fail with a clear error. Each operation is applied by the
// same code as its single-resource request, with the same caller.
func (h *Handler) bulk(w http.ResponseWriter, r *http.Request, c *caller) error {
	body, err := h.readBody(w, r, int64(h.Limits.BulkMaxPayload))
	if err != nil {
		if e := asError(err); e.Status == http.StatusRequestEntityTooLarge {
			e.Detail = fmt.Sprintf("a bulk request may carry at most %d bytes (maxPayloadSize in /ServiceProviderConfig); split it", h.Limits.BulkMaxPayload)
		}
		return err
	}
	if _, err := decodeObject(body); err != nil {
		return err
	}
	var req bulkRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return badRequest("invalidSyntax", "invalid BulkRequest: %s", jsonProblem(err))
	}
	if !containsFold(req.Schemas, schema.BulkRequestURN) {
		return badRequest("invalidSyntax", "a BulkRequest must list %q in schemas", schema.BulkRequestURN)
	}
	if len(req.Operations) > h.Limits.BulkMaxOperations {
		return &Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf(
			"a bulk request may carry at most %d operations (maxOperations in /ServiceProviderConfig), not %d; split it",
			h.Limits.BulkMaxOperations, len(req.Operations))}
	}
	seen := map[string]bool{}
	for i, op := range req.Operations {
		if op.BulkID == "" {
			continue
		}
		if seen[op.BulkID] {
			return badRequest("invalidValue", "Operations[%d]: bulkId %q is used twice", i+1, op.BulkID)
		}
		seen[op.BulkID] = true
	}

	ids := map[string]string{} // bulkId → created id
	results := make([]*bulkResult, len(req.Operations))
	pending := make([]int, len(req.Operations))
	for i := range pending {
		pending[i] = i
	}
	errorsSeen := 0
	stop := false
	for len(pending) > 0 && !stop {
		var waiting []int
		for _, i := range pending {
			if req.FailOnErrors != nil && *req.FailOnErrors > 0 && errorsSeen >= *req.FailOnErrors {
				stop = true
				break
			}
			op := req.Operations[i]
			refs := bulkRefs(op)
			if unresolved(refs, ids) {
				waiting = append(waiting, i)
				continue
			}
			res := h.bulkOne(r, c, op, ids)
			results[i] = res
			if n, _ := strconv.Atoi(res.Status); n >= 400 {
				errorsSeen++
			}
		}
		if len(waiting) == len(pending) {
			// No progress: the rest refer to bulkIds that failed, are never
			// defined, or refer to each other in a circle.
			for _, i := range waiting {
				op := req.Operations[i]
				results[i] = &bulkResult{Method: op.Method, BulkID: op.BulkID, Status: "409", Response: &errorBody{
					Schemas: []string{schema.ErrorURN}, Status: "409", ScimType: "invalidValue",
					Detail: fmt.Sprintf("refers to bulkId %s, which no successful POST in this request created (undefined, failed, or circular)",
						strings.Join(missingRefs(bulkRefs(op), ids), ", "))}}
				errorsSeen++
			}
			break
		}
		pending = waiting
	}
	out := struct {
		Schemas    []string      `json:"schemas"`
		Operations []*bulkResult `json:"Operations"`
	}{Schemas: []string{schema.BulkResponseURN}}
	for _, res := range results {
		if res != nil {
			out.Operations = append(out.Operations, res)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// bulkRefs lists the bulkIds an operation refers to.
func bulkRefs(op bulkOperation) []string {
	var refs []string
	add := func(s string) {
		for {
			i := strings.Index(s, "bulkId:")
			if i < 0 {
				return
			}
			s = s[i+len("bulkId:"):]
			end := strings.IndexAny(s, "\"/?&, ")
			if end < 0 {
				end = len(s)
			}
			refs = append(refs, s[:end])
			s = s[end:]
		}
	}
	add(op.Path)
	add(string(op.Data))
	return refs
}

func unresolved(refs []string, ids map[string]string) bool { return len(missingRefs(refs, ids)) > 0 }

func missingRefs(refs []string, ids map[string]string) []string {
	var out []string
	for _, r := range refs {
		if _, ok := ids[r]; !ok {
			out = append(out, strconv.Quote(r))
		}
	}
	return out
}

// substitute replaces "bulkId:x" with the id created for x.
func substitute(s string, ids map[string]string) string {
	for b, id := range ids {
		s = strings.ReplaceAll(s, "bulkId:"+b, id)
	}
	return s
}

// recorder captures a sub-request's response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func (h *Handler) bulkOne(parent *http.Request, c *caller, op bulkOperation, ids map[string]string) *bulkResult {
	res := &bulkResult{Method: strings.ToUpper(op.Method), BulkID: op.BulkID}
	fail := func(e *Error) *bulkResult {
		b := e.body()
		res.Status, res.Response = strconv.Itoa(e.Status), &b
		return res
	}
	path := substitute(op.Path, ids)
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var kind, id string
	switch {
	case len(segs) == 1 && (segs[0] == "Users" || segs[0] == "Groups"):
		kind = segs[0]
	case len(segs) == 2 && (segs[0] == "Users" || segs[0] == "Groups"):
		kind, id = segs[0], segs[1]
	default:
		return fail(badRequest("invalidPath", "bulk path %q: use /Users, /Groups, /Users/{id} or /Groups/{id}", op.Path))
	}
	var fn func(http.ResponseWriter, *http.Request, *caller) error
	switch res.Method {
	case http.MethodPost:
		if id != "" {
			return fail(badRequest("invalidPath", "POST goes to /%s, without an id", kind))
		}
		if op.BulkID == "" {
			return fail(badRequest("invalidValue", "a bulk POST needs a bulkId"))
		}
		fn = map[string]func(http.ResponseWriter, *http.Request, *caller) error{"Users": h.createUser, "Groups": h.createGroup}[kind]
	case http.MethodPut, http.MethodPatch, http.MethodDelete:
		if id == "" {
			return fail(badRequest("invalidPath", "%s needs a resource path such as /%s/{id}", res.Method, kind))
		}
		fn = map[string]map[string]func(http.ResponseWriter, *http.Request, *caller) error{
			"Users":  {"PUT": h.replaceUser, "PATCH": h.patchUser, "DELETE": h.deleteUser},
			"Groups": {"PUT": h.replaceGroup, "PATCH": h.patchGroup, "DELETE": h.deleteGroup},
		}[kind][res.Method]
	default:
		return fail(badRequest("invalidSyntax", "bulk method %q: use POST, PUT, PATCH or DELETE", op.Method))
	}
	var body io.Reader = http.NoBody
	if len(op.Data) > 0 {
		body = strings.NewReader(substitute(string(op.Data), ids))
	}
	sub, err := http.NewRequestWithContext(parent.Context(), res.Method, Prefix+"/"+kind+"/"+id, body)
	if err != nil {
		return fail(badRequest("invalidPath", "bulk path %q is not a valid path", op.Path))
	}
	sub.Header.Set("Content-Type", contentType)
	if op.Version != "" {
		sub.Header.Set("If-Match", op.Version)
	}
	if id != "" {
		sub.SetPathValue("id", id)
	}
	rec := &recorder{header: http.Header{}}
	if err := fn(rec, sub, c); err != nil {
		return fail(asError(err))
	}
	res.Status = strconv.Itoa(rec.code)
	res.Location = rec.header.Get("Location")
	res.Version = rec.header.Get("ETag")
	if res.Method == http.MethodPost && op.BulkID != "" {
		var created struct{ ID string }
		if json.Unmarshal(rec.body.Bytes(), &created) == nil && created.ID != "" {
			ids[op.BulkID] = created.ID
		}
	}
	if res.Location == "" && id != "" && res.Method != http.MethodDelete {
		res.Location = h.base() + "/" + kind + "/" + id
	}
	return res
}
