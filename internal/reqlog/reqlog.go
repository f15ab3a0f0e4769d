// Package reqlog owns the provisioning log: every SCIM request an
// organization's tokens make, kept for a number of days so that an IT
// admin whose Okta or Entra reports an error can see what was sent, what
// roster answered, and what to change.
//
// The SCIM edge hands each finished request to a Recorder, which never
// blocks it: requests queue in memory and a writer goroutine stores them
// in batches, each one transaction. When the queue is full (the database
// cannot keep up) requests are dropped and counted rather than slowing
// provisioning down; the log is a diagnostic, the directory is the record.
//
// Bodies are redacted (passwords and other secrets never reach the
// database) and cut to MaxBody bytes. A successful read's response is the
// directory's own data and is not kept: only writes' and failures'.
package reqlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/store"
)

// Store keeps the log; *sqlstore.DB is one.
type Store interface {
	AppendRequests(ctx context.Context, rs []store.Request) error
	ListRequests(ctx context.Context, orgID string, f store.RequestFilter, before int64, limit int) ([]store.Request, error)
	GetRequest(ctx context.Context, orgID string, id int64) (store.Request, error)
}

// MaxBody is how much of a request or response body is kept, in bytes.
const MaxBody = 8 << 10

// Defaults of a Recorder.
const (
	DefaultQueue = 8192
	DefaultBatch = 500
	// DefaultFlush bounds how long a request waits in memory before it is
	// written, so the log is current within a second.
	DefaultFlush = 250 * time.Millisecond
)

// Recorder queues requests and writes them in batches. Start Run before
// Record; Record is safe for concurrent use.
type Recorder struct {
	Store  Store
	Logger *slog.Logger
	// Queue, Batch and Flush default to DefaultQueue, DefaultBatch and
	// DefaultFlush.
	Queue int
	Batch int
	Flush time.Duration

	once    sync.Once
	ch      chan store.Request
	dropped atomic.Int64
	written atomic.Int64
}

func (r *Recorder) init() {
	r.once.Do(func() {
		if r.Queue <= 0 {
			r.Queue = DefaultQueue
		}
		if r.Batch <= 0 {
			r.Batch = DefaultBatch
		}
		if r.Flush <= 0 {
			r.Flush = DefaultFlush
		}
		if r.Logger == nil {
			r.Logger = slog.Default()
		}
		r.ch = make(chan store.Request, r.Queue)
	})
}

// Record queues a request for the log without waiting; when the queue is
// full the request is dropped and counted (Dropped). Its Request and
// Response hold the bodies as sent, at most MaxBody+1 bytes each: the
// writer redacts and cuts them, so the cost of it is not the request's.
func (r *Recorder) Record(req store.Request) {
	r.init()
	select {
	case r.ch <- req:
	default:
		r.dropped.Add(1)
	}
}

// Dropped is how many requests were not logged because the queue was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Written is how many requests were stored.
func (r *Recorder) Written() int64 { return r.written.Load() }

// Run writes queued requests until ctx ends, then writes what is still
// queued (with a short deadline of its own) and returns.
func (r *Recorder) Run(ctx context.Context) {
	r.init()
	tick := time.NewTicker(r.Flush)
	defer tick.Stop()
	batch := make([]store.Request, 0, r.Batch)
	flush := func(ctx context.Context) {
		if len(batch) == 0 {
			return
		}
		for i := range batch {
			batch[i].Request = Redact([]byte(batch[i].Request))
			batch[i].Response = Redact([]byte(batch[i].Response))
		}
		if err := r.Store.AppendRequests(ctx, batch); err != nil {
			r.Logger.Warn("provisioning log: requests not stored", "count", len(batch), "err", err)
			r.dropped.Add(int64(len(batch)))
		} else {
			r.written.Add(int64(len(batch)))
		}
		batch = batch[:0]
	}
	for {
		select {
		case req := <-r.ch:
			batch = append(batch, req)
			if len(batch) >= r.Batch {
				flush(ctx)
			}
		case <-tick.C:
			flush(ctx)
		case <-ctx.Done():
			drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			for {
				select {
				case req := <-r.ch:
					batch = append(batch, req)
					if len(batch) >= r.Batch {
						flush(drain)
					}
				default:
					flush(drain)
					return
				}
			}
		}
	}
}

// secretKeys are JSON member names whose values are never kept, compared
// case-insensitively: SCIM's password, and what IdP extensions and
// OAuth-style bodies carry.
var secretKeys = map[string]bool{
	"password": true, "secret": true, "token": true, "access_token": true,
	"refresh_token": true, "client_secret": true, "bearer": true,
}

// Redacted stands in for a removed secret.
const Redacted = "[redacted]"

// secretPattern finds "password": "…" and kin in text that is not valid
// JSON, so a malformed body with a password in it loses the password too.
var secretPattern = regexp.MustCompile(`(?i)("(?:password|secret|token|access_token|refresh_token|client_secret)"\s*:\s*)"(?:[^"\\]|\\.)*"?`)

// Redact returns body as kept in the log: secrets replaced by Redacted,
// compacted when it is JSON, and cut to MaxBody bytes on a rune boundary
// with a note of how much was left out.
func Redact(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var text string
	var v any
	if err := json.Unmarshal(body, &v); err == nil {
		redact(v, false)
		if b, err := json.Marshal(v); err == nil {
			text = string(b)
		}
	}
	if text == "" {
		text = secretPattern.ReplaceAllString(string(body), `${1}"`+Redacted+`"`)
	}
	return cut(text, MaxBody)
}

// redact blanks secrets in v in place. inPasswordOp is set inside a PATCH
// operation whose path names a secret ({"op":"replace","path":"password",
// "value":"…"}), where the secret is the operation's value.
func redact(v any, inPasswordOp bool) {
	switch x := v.(type) {
	case map[string]any:
		op := false
		if p, ok := x["path"].(string); ok && secretKeys[strings.ToLower(lastSegment(p))] {
			op = true
		}
		for k, val := range x {
			switch {
			case secretKeys[strings.ToLower(k)]:
				x[k] = Redacted
			case (op || inPasswordOp) && strings.EqualFold(k, "value"):
				x[k] = Redacted
			default:
				redact(val, false)
			}
		}
	case []any:
		for _, val := range x {
			redact(val, inPasswordOp)
		}
	}
}

// lastSegment returns the attribute a SCIM path ends with:
// "urn:…:User:password" and "password" both give "password".
func lastSegment(p string) string {
	if i := strings.LastIndexAny(p, ":."); i >= 0 {
		return p[i+1:]
	}
	return p
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + fmt.Sprintf("… (cut: only the first %d KB are kept)", n>>10)
}

// Service reads the log for the console.
type Service struct {
	Store Store
}

// MaxPage is the most requests one List returns.
const MaxPage = 200

// List returns up to limit of an organization's requests matching f,
// newest first, with ids below before (0: the newest).
func (s *Service) List(ctx context.Context, orgID string, f store.RequestFilter, before int64, limit int) ([]store.Request, error) {
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	return s.Store.ListRequests(ctx, orgID, f, before, limit)
}

// Get returns one request of the organization.
func (s *Service) Get(ctx context.Context, orgID string, id int64) (store.Request, error) {
	r, err := s.Store.GetRequest(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, fault.NotFoundf("no request %d in this organization's provisioning log", id)
	}
	return r, err
}
