package scim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/auth"
	"github.com/rosterhq/roster/internal/reqlog"
	"github.com/rosterhq/roster/internal/store"
)

// RequestLog receives each answered request of an authenticated token for
// the organization's provisioning log; *reqlog.Recorder is one. Record
// must not block.
type RequestLog interface {
	Record(store.Request)
}

// logged wraps next so that the request, once answered, goes to the
// provisioning log. Only the first reqlog.MaxBody+1 bytes of each body
// are copied, and only where they are kept (writes and failures), so a
// list response or a 6 MiB group PUT costs no more than a small one; the
// recorder redacts them off the request's path.
func (h *Handler) logged(next http.Handler) http.Handler {
	if h.Log == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		cw := &captureWriter{ResponseWriter: w, write: write}
		var body *captureBody
		if write && r.Body != nil {
			body = &captureBody{ReadCloser: r.Body}
			r.Body = body
		}
		next.ServeHTTP(cw, r)
		p, ok := auth.FromContext(r.Context())
		if !ok || p.OrgID == "" {
			// Refused before a token named an organization: there is no
			// organization whose log it belongs in.
			return
		}
		status := cw.status
		if status == 0 {
			status = http.StatusOK
		}
		rec := store.Request{
			OrgID: p.OrgID, At: start.UTC(), TokenID: p.KeyID, TokenName: p.Name,
			Method: r.Method, Path: r.URL.RequestURI(), Resource: resourceOf(r.URL.Path), Status: status,
			Latency: time.Since(start), Client: h.clientAddr(r),
		}
		if len(rec.Path) > 2048 {
			rec.Path = rec.Path[:2048]
		}
		if body != nil {
			rec.Request = string(body.buf)
		}
		if status >= 400 {
			var e struct {
				ScimType string `json:"scimType"`
				Detail   string `json:"detail"`
			}
			if json.Unmarshal(cw.buf, &e) == nil {
				rec.SCIMType, rec.Detail = e.ScimType, e.Detail
			}
		}
		if write || status >= 400 {
			rec.Response = string(cw.buf)
		}
		h.Log.Record(rec)
	})
}

// resourceOf returns the resource type a path is under: "/scim/v2/Users/1" is
// "Users".
func resourceOf(path string) string {
	rest := strings.TrimPrefix(path, Prefix+"/")
	seg, _, _ := strings.Cut(rest, "/")
	switch seg {
	case "Users", "Groups", "Bulk":
		return seg
	}
	return ""
}

func (h *Handler) clientAddr(r *http.Request) string {
	if h.ClientAddr != nil {
		return h.ClientAddr(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// captureWriter records the status and, when it is kept, the start of the
// response body.
type captureWriter struct {
	http.ResponseWriter
	status int
	write  bool // the request changes something: its response is kept
	buf    []byte
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if (c.write || c.status >= 400) && len(c.buf) < reqlog.MaxBody+1 {
		n := min(len(p), reqlog.MaxBody+1-len(c.buf))
		c.buf = append(c.buf, p[:n]...)
	}
	return c.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Flush keeps streamed list responses streaming.
func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// captureBody copies the start of a request body as the handler reads it.
type captureBody struct {
	io.ReadCloser
	buf []byte
}

func (c *captureBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if room := reqlog.MaxBody + 1 - len(c.buf); room > 0 && n > 0 {
		c.buf = append(c.buf, p[:min(n, room)]...)
	}
	return n, err
}
