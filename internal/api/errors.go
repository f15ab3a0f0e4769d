package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/requestid"
)

// StatusClientClosedRequest is the status logged, and counted, for a
// request whose client hung up before the answer: nobody reads it, and it
// is no failure of the server. The number is nginx's.
const StatusClientClosedRequest = 499

// apiError is an answer of the API's error JSON.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

// invalid returns a 400 invalid_request error; an edge's own refusals
// (paging, bodies) use it, domain refusals are faults.
func invalid(format string, args ...any) error {
	return &apiError{http.StatusBadRequest, "invalid_request", fmt.Sprintf(format, args...)}
}

// byKind is the answer to each kind of fault.
var byKind = map[fault.Kind]struct {
	status int
	code   string
}{
	fault.Invalid:         {http.StatusBadRequest, "invalid_request"},
	fault.NotFound:        {http.StatusNotFound, "not_found"},
	fault.Conflict:        {http.StatusConflict, "conflict"},
	fault.VersionMismatch: {http.StatusConflict, "version_mismatch"},
	fault.Forbidden:       {http.StatusForbidden, "forbidden"},
	fault.PlanRequired:    {http.StatusForbidden, "plan_required"},
	fault.Unauthorized:    {http.StatusUnauthorized, "unauthorized"},
	// Code "forbidden", as before the seam: host apps branch on it; the
	// message says which kind of credential the endpoint takes.
	fault.WrongCredential: {http.StatusForbidden, "forbidden"},
	fault.Gone:            {http.StatusGone, "gone"},
	fault.RateLimited:     {http.StatusTooManyRequests, "rate_limited"},
}

// answer maps any error to the API's answer; it is the one place that
// does. internal reports an error whose detail belongs in the log only.
func answer(r *http.Request, err error) (e *apiError, internal bool) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e, false
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}, false
	case r.Context().Err() != nil || errors.Is(err, context.Canceled):
		return &apiError{StatusClientClosedRequest, "client_closed_request", "the client went away before the answer"}, false
	}
	if kind, msg, ok := fault.As(err); ok {
		if a, known := byKind[kind]; known {
			return &apiError{a.status, a.code, msg}, false
		}
	}
	return &apiError{http.StatusInternalServerError, "internal",
		"internal error; the request id " + requestid.From(r.Context()) + " identifies it in the server log"}, true
}

// writeError writes err as the API's error JSON. Internal errors are
// logged with the request id the answer shows; a client that went away is
// logged at debug level, as nobody will read the answer.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, internal := answer(r, err)
	switch {
	case internal:
		h.logger().ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case e.status == StatusClientClosedRequest:
		h.logger().DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
}
