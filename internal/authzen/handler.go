package authzen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"sync"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/jsontext"
	"github.com/rosterhq/roster/internal/requestid"
	"github.com/rosterhq/roster/internal/store"
)

// DefaultMaxBody bounds request bodies: a batch of DefaultMaxEvaluations
// evaluations of a few hundred bytes each fits with room to spare.
const DefaultMaxBody = 1 << 20

// DefaultMaxEvaluations bounds the evaluations of one Access Evaluations
// request, so one request cannot hold a core for long: 1,000 explained
// checks take about 3 ms of one core.
const DefaultMaxEvaluations = 1000

// The paths of the specification's HTTPS binding (its default paths).
const (
	PathEvaluation     = "/access/v1/evaluation"
	PathEvaluations    = "/access/v1/evaluations"
	PathSearchSubject  = "/access/v1/search/subject"
	PathSearchResource = "/access/v1/search/resource"
	PathSearchAction   = "/access/v1/search/action"
	PathMetadata       = "/.well-known/authzen-configuration"
)

// Resolver answers access questions; *access.Resolver is one. Every error
// meant for people is a fault (package fault): not found for ids the
// organization does not have, invalid for arguments that cannot be.
type Resolver interface {
	Check(ctx context.Context, orgID, userID string, rt store.ResourceType, resourceID string, want store.Role) (access.Decision, error)
	UserAccess(ctx context.Context, orgID, userID, after string, limit int) ([]access.Reach, bool, error)
	ResourceAccess(ctx context.Context, orgID string, rt store.ResourceType, resourceID, after string, limit int) ([]access.Reacher, bool, error)
	Org(ctx context.Context, orgID string) (store.Org, error)
}

// Directory finds users by attribute, for subjects named by userName or
// e-mail; *directory.Service is one.
type Directory interface {
	QueryUsers(ctx context.Context, orgID string, q store.Query) (store.Page[store.User], error)
}

// Handler serves the AuthZEN Authorization API. Its exported fields are its
// dependencies and limits; set them before Mount. It is safe for
// concurrent use.
type Handler struct {
	Access    Resolver
	Directory Directory
	// Tokens verifies the organization API keys requests carry.
	Tokens auth.Authenticator
	// BaseURL is roster's public URL, the PDP identifier the metadata
	// names; when "", the request's scheme and host.
	BaseURL string
	Logger  *slog.Logger
	// MaxBody bounds request bodies; DefaultMaxBody when 0.
	MaxBody int64
	// MaxEvaluations bounds the evaluations of one request;
	// DefaultMaxEvaluations when 0.
	MaxEvaluations int
	// RateLimits, when set, limits each API key's requests.
	RateLimits *auth.Limits

	scratch scratchPool
}

// Mount registers the API's routes: the five POST endpoints behind the
// credential seam, which takes organization API keys, and the metadata,
// which is public as the specification intends.
func (h *Handler) Mount(mux *http.ServeMux) {
	surface := &auth.Surface{Name: "the AuthZEN API", Accept: []auth.Kind{auth.APIKey}, Tokens: h.Tokens, Limits: h.RateLimits}
	for path, fn := range map[string]func(w http.ResponseWriter, r *http.Request, orgID string) error{
		PathEvaluation:     h.evaluation,
		PathEvaluations:    h.evaluations,
		PathSearchSubject:  h.searchSubject,
		PathSearchResource: h.searchResource,
		PathSearchAction:   h.searchAction,
	} {
		mux.Handle("POST "+path, surface.Require(h.wrap(fn), h.writeError))
	}
	mux.HandleFunc("GET "+PathMetadata, h.metadata)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *Handler) maxEvaluations() int {
	if h.MaxEvaluations > 0 {
		return h.MaxEvaluations
	}
	return DefaultMaxEvaluations
}

// wrap runs fn for an authenticated request with a bounded JSON body,
// writing any error it returns in the API's error format.
func (h *Handler) wrap(fn func(w http.ResponseWriter, r *http.Request, orgID string) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		max := h.MaxBody
		if max <= 0 {
			max = DefaultMaxBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		orgID, err := h.org(r)
		if err == nil {
			err = checkContentType(r)
		}
		if err == nil {
			err = fn(w, r, orgID)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})
}

// org returns the organization of the request's API key. A key that
// outlived its organization is as good as revoked.
func (h *Handler) org(r *http.Request) (string, error) {
	p, ok := auth.FromContext(r.Context())
	if !ok {
		return "", fault.New(fault.Unauthorized, "an API key is required")
	}
	if _, err := h.Access.Org(r.Context(), p.OrgID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", fault.New(fault.Unauthorized, "the API key is invalid or revoked")
		}
		return "", err
	}
	return p.OrgID, nil
}

// httpError is a refusal with a status no fault kind names.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// checkContentType refuses bodies declared as something other than JSON;
// the specification requires application/json, and a form-encoded body
// (curl -d without -H) would otherwise fail with a puzzling syntax error.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("the request body must be JSON, sent with \"Content-Type: application/json\", not %q", ct)}
	}
	return nil
}

// errorBody is the body of every error response: the status again and a
// message a person can act on, the shape the specification gives errors
// inside a decision's context.
type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Status  int    `json:"status"`
	Message string `json:"message"`
}

// statusOf maps an error to its HTTP status and the message shown; ok is
// false for internal errors, whose detail is logged and never shown.
func statusOf(err error) (status int, msg string, ok bool) {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg, true
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes: send fewer evaluations per request", mbe.Limit), true
	}
	kind, msg, ok := fault.As(err)
	if !ok {
		return http.StatusInternalServerError, "", false
	}
	switch kind {
	case fault.Unauthorized, fault.WrongCredential:
		return http.StatusUnauthorized, msg, true
	case fault.Forbidden, fault.PlanRequired:
		return http.StatusForbidden, msg, true
	case fault.NotFound:
		return http.StatusNotFound, msg, true
	case fault.Conflict, fault.VersionMismatch:
		return http.StatusConflict, msg, true
	case fault.RateLimited:
		return http.StatusTooManyRequests, msg, true
	}
	return http.StatusBadRequest, msg, true
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, ok := statusOf(err)
	if !ok {
		h.logger().ErrorContext(r.Context(), "authzen request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; the request id " + requestid.From(r.Context()) + " identifies it in the server log"
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster AuthZEN"`)
	}
	writeJSON(w, status, errorBody{errorJSON{status, msg}})
}

// buffers are reused response buffers.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeJSON writes v as the response. It encodes into a buffer first so
// the answer goes out with a Content-Length in one write: a batch's answer
// is larger than net/http's own buffer, which would otherwise send it
// chunked in several writes.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := buffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			buffers.Put(buf)
		}
	}()
	switch v := v.(type) {
	case decision: // the hot paths, without reflection
		buf.Write(append(appendDecision(buf.AvailableBuffer(), v), '\n'))
	case evaluationsResponse:
		buf.Write(append(appendEvaluations(buf.AvailableBuffer(), v), '\n'))
	default:
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			// Every value written here is made of strings, numbers and
			// booleans; a failure is a bug, not the client's doing.
			panic(fmt.Sprintf("authzen: encode the response: %v", err))
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// readBody reads the request body into one buffer of the size the request
// declares (io.ReadAll would grow one from 512 bytes, copying a 10 KB batch
// five times). A body longer than declared is still read whole; one past
// the server's limit fails with its error.
func readBody(r *http.Request) ([]byte, error) {
	n := r.ContentLength
	if n <= 0 || n > maxPresized {
		return io.ReadAll(r.Body)
	}
	buf := make([]byte, 0, n+1) // +1: the end is seen without growing
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // longer than declared
		}
		m, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// maxPresized bounds the buffer readBody allocates on the client's word.
const maxPresized = 1 << 20

// decode reads the JSON object of the request body into v. Unknown fields
// are ignored, as the specification requires for forward compatibility.
// sc, when not nil, lends memory to a batch (see fastDecode).
func decode(r *http.Request, v any, expects string, sc *scratch) error {
	body, err := readBody(r)
	if err != nil {
		return err // the body limit's *http.MaxBytesError, answered 413
	}
	if jsontext.Check(body) == nil && fastDecode(body, v, sc) {
		return nil
	}
	return jsontext.Decode(body, v, expects, false)
}
