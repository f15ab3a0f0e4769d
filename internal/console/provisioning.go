package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/reqlog"
	"github.com/rosterhq/roster/internal/store"
)

// Requests reads the provisioning log; *reqlog.Service is it.
type Requests interface {
	List(ctx context.Context, orgID string, f store.RequestFilter, before int64, limit int) ([]store.Request, error)
	Get(ctx context.Context, orgID string, id int64) (store.Request, error)
}

// logPage is how many requests one page of the provisioning log shows.
const logPage = 50

// requestRow is one request of the log as the page shows it.
type requestRow struct {
	ID                        int64
	At, Token, Method, Path   string
	Status                    int
	Failed                    bool
	SCIMType, Detail, Latency string
	Resource                  string
	Request, Response, Advice string
	Client                    string
}

func rowOf(r store.Request) requestRow {
	path := r.Path
	// Shown decoded: filter=userName eq "a@example.com" reads better than
	// its percent-encoding, and html/template escapes what it must.
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	return requestRow{
		ID: r.ID, At: r.At.UTC().Format("2 Jan 15:04:05"), Token: r.TokenName, Method: r.Method, Path: path,
		Status: r.Status, Failed: r.Status >= 400, SCIMType: r.SCIMType, Detail: r.Detail,
		Latency: latency(r.Latency), Resource: r.Resource, Request: r.Request, Response: r.Response,
		Advice: reqlog.Advice(r), Client: r.Client,
	}
}

func latency(d time.Duration) string {
	if d < 10*time.Millisecond {
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + " ms"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

// choice is one option of a filter.
type choice struct {
	Value, Label string
	Selected     bool
}

type provisioningPage struct {
	Rows                      []requestRow
	Outcome, Resource, Period []choice
	Filtered                  bool
	Next, First               string
	Days                      int
}

// periods are the time filter's choices: how far back to look.
var periods = []struct {
	value, label string
	d            time.Duration
}{
	{"", "Any time", 0}, {"1h", "Last hour", time.Hour}, {"24h", "Last 24 hours", 24 * time.Hour},
	{"7d", "Last 7 days", 7 * 24 * time.Hour},
}

func choices(opts [][2]string, selected string) []choice {
	out := make([]choice, len(opts))
	for i, o := range opts {
		out[i] = choice{o[0], o[1], o[0] == selected}
	}
	return out
}

// provisioning lists the organization's SCIM requests, newest first,
// filtered by outcome, resource and time.
func (h *Handler) provisioning(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	outcome, resource, period := q.Get("outcome"), q.Get("resource"), q.Get("period")
	var f store.RequestFilter
	switch outcome {
	case "failed":
		f.Failed = true
	case "":
	default:
		outcome = ""
	}
	switch resource {
	case "Users", "Groups", "Bulk", "":
		f.Resource = resource
	default:
		resource = ""
	}
	pc := [][2]string{}
	for _, p := range periods {
		pc = append(pc, [2]string{p.value, p.label})
		if p.value == period && p.d > 0 {
			f.Since = time.Now().Add(-p.d)
		}
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	list, err := h.Requests.List(r.Context(), s.org.ID, f, before, logPage+1)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	more := len(list) > logPage
	if more {
		list = list[:logPage]
	}
	p := provisioningPage{
		Outcome:  choices([][2]string{{"", "All requests"}, {"failed", "Failed only"}}, outcome),
		Resource: choices([][2]string{{"", "Users and groups"}, {"Users", "Users"}, {"Groups", "Groups"}, {"Bulk", "Bulk"}}, resource),
		Period:   choices(pc, period),
		Filtered: outcome != "" || resource != "" || f.Since != (time.Time{}),
		Days:     h.RequestLogDays,
	}
	for _, req := range list {
		p.Rows = append(p.Rows, rowOf(req))
	}
	keep := url.Values{}
	for k, v := range map[string]string{"outcome": outcome, "resource": resource, "period": period} {
		if v != "" {
			keep.Set(k, v)
		}
	}
	if len(list) > 0 {
		p.Next = nextLink(Prefix+"/provisioning", keep, "before", strconv.FormatInt(list[len(list)-1].ID, 10), more)
	}
	if before > 0 {
		p.First = Prefix + "/provisioning"
		if len(keep) > 0 {
			p.First += "?" + keep.Encode()
		}
	}
	h.render(w, r, http.StatusOK, "provisioning", view{Title: "Provisioning log", Nav: "provisioning", Org: s.org, CSRF: s.csrf, Data: p})
}

// provisioningRequest shows one request: what was sent and answered, and
// for a failure what to change.
func (h *Handler) provisioningRequest(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, s, fault.NotFoundf("no request %q in this organization's provisioning log", r.PathValue("id")))
		return
	}
	req, err := h.Requests.Get(r.Context(), s.org.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		err = fault.NotFoundf("no request %d in this organization's provisioning log", id)
	}
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	row := rowOf(req)
	row.At = when(req.At)
	h.render(w, r, http.StatusOK, "provisioning_request", view{Title: req.Method + " " + req.Path, Nav: "provisioning", Org: s.org, CSRF: s.csrf, Data: row})
}
