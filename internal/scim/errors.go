package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/scim/filter"
	"github.com/rosterhq/roster/internal/scim/schema"
	"github.com/rosterhq/roster/internal/store"
)

// Error is a SCIM error response (RFC 7644 §3.12). Its Detail is written to
// the client, so it must hold nothing internal.
type Error struct {
	Status   int
	ScimType string
	Detail   string
	// Err is the underlying error, logged, never sent.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %s: %v", e.Status, e.ScimType, e.Detail, e.Err)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.ScimType, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

// errorBody is the JSON of an error; status is a string, as RFC 7644 §3.12
// requires.
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

func (e *Error) body() errorBody {
	return errorBody{Schemas: []string{schema.ErrorURN}, Status: strconv.Itoa(e.Status), ScimType: e.ScimType, Detail: e.Detail}
}

func badRequest(scimType, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func notFound(kind, id string) *Error {
	return &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("%s %q not found", kind, id)}
}

// scimTypes introduced by RFC 9865 for cursor paging.
const (
	scimTypeInvalidCursor = "invalidCursor"
)

// asError maps any error to the SCIM error to send.
func asError(err error) *Error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	// A filter error may wrap the schema's unknown-attribute error; in a
	// filter that is invalidFilter, so it is tested first.
	var fe *filter.Error
	if errors.As(err, &fe) {
		return &Error{Status: http.StatusBadRequest, ScimType: "invalidFilter", Detail: fe.Error(), Err: err}
	}
	var schErr *schema.Error
	if errors.As(err, &schErr) {
		return &Error{Status: http.StatusBadRequest, ScimType: schErr.ScimType, Detail: schErr.Detail, Err: err}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the request body is larger than the %d bytes allowed", mbe.Limit), Err: err}
	}
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return &Error{Status: http.StatusConflict, ScimType: "uniqueness", Detail: ce.Error(), Err: err}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Detail: "resource not found", Err: err}
	case errors.Is(err, store.ErrVersionMismatch):
		return &Error{Status: http.StatusPreconditionFailed, Detail: "the resource changed since the version given in If-Match; read it again", Err: err}
	}
	if kind, msg, ok := fault.As(err); ok {
		switch kind {
		case fault.Invalid:
			return &Error{Status: http.StatusBadRequest, ScimType: "invalidValue", Detail: msg, Err: err}
		case fault.PlanRequired, fault.Forbidden:
			return &Error{Status: http.StatusForbidden, Detail: msg, Err: err}
		case fault.Unauthorized, fault.WrongCredential:
			return &Error{Status: http.StatusUnauthorized, Detail: msg, Err: err}
		case fault.Conflict:
			return &Error{Status: http.StatusConflict, ScimType: "uniqueness", Detail: msg, Err: err}
		case fault.RateLimited:
			// RFC 7644 §3.12 lists 429 among SCIM's errors; the seam set
			// Retry-After.
			return &Error{Status: http.StatusTooManyRequests, Detail: msg, Err: err}
		}
	}
	return &Error{Status: http.StatusInternalServerError, Detail: "internal error; the X-Request-Id response header identifies it in the server log", Err: err}
}

// statusClientClosedRequest is the status of an answer to a client that
// hung up (nginx's number); the server's access log counts it apart.
const statusClientClosedRequest = 499

// writeError writes err as a SCIM error response.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	if r.Context().Err() != nil {
		// The client hung up (a query failed with context.Canceled): no
		// server failure, and nobody reads the answer.
		e = &Error{Status: statusClientClosedRequest, Detail: "the client went away before the answer", Err: err}
		h.Logger.DebugContext(r.Context(), "client went away", "err", err, "method", r.Method, "path", r.URL.Path)
	} else if e.Status >= 500 {
		h.Logger.ErrorContext(r.Context(), "scim request failed", "err", err, "method", r.Method, "path", r.URL.Path)
	} else {
		h.Logger.DebugContext(r.Context(), "scim request refused", "status", e.Status, "scimType", e.ScimType, "detail", e.Detail)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="roster SCIM"`)
	}
	writeJSON(w, e.Status, e.body())
}

const contentType = "application/scim+json"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
