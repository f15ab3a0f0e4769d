package scim_test

// The replay harness: testdata/okta and testdata/entra hold, one JSON file
// per step, the requests Okta and Microsoft Entra ID send in their
// documented flows, with what each client expects back. A flow is a
// directory; its steps run in file-name order against a real roster on
// SQLite and, with ROSTER_TEST_POSTGRES set, PostgreSQL (see engines).
//
// A step file:
//
//	{
//	  "step":    what the client is doing,
//	  "source":  where the request and the expectation are documented,
//	  "setup":   true when the request is a fixture, not the client's,
//	  "method":  "PATCH",
//	  "path":    "/scim/v2/Users/{userId}" (the wire form, query encoded as the client encodes it),
//	  "headers": {"User-Agent": "Okta SCIM Client 1.0.0", ...},
//	  "body":    the request body, byte for byte,
//	  "expect": {
//	    "status":   200,
//	    "headers":  {"Location": "{base}/Users/{userId}"}   (prefix match),
//	    "body":     a subset the response must contain (arrays match
//	                element-wise in any order, with equal length),
//	    "present":  JSON Pointers (RFC 6901) that must hold a non-empty value,
//	    "absent":   JSON Pointers that must hold nothing,
//	    "events":   event types the step must add to the event log,
//	    "noEvents": event types it must not add
//	  },
//	  "save": {"userId": "/id"}   (response values this step's expectations
//	                                and later steps refer to)
//	}
//
// Placeholders {name} in path, headers, body and expectations are replaced
// by saved values; {base} is the SCIM base URL (…/scim/v2).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// replayStep is one request of a documented client flow.
type replayStep struct {
	Step    string            `json:"step"`
	Source  string            `json:"source"`
	Setup   bool              `json:"setup"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
	Expect  replayExpect      `json:"expect"`
	Save    map[string]string `json:"save"`

	file string
}

type replayExpect struct {
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers"`
	Body     json.RawMessage   `json:"body"`
	Present  []string          `json:"present"`
	Absent   []string          `json:"absent"`
	Events   []string          `json:"events"`
	NoEvents []string          `json:"noEvents"`
}

// replayFlow is one directory of steps.
type replayFlow struct {
	client, name string
	steps        []replayStep
}

// loadFlows reads every flow of a client from testdata/<client>.
func loadFlows(t *testing.T, client string) []replayFlow {
	t.Helper()
	dirs, err := os.ReadDir(filepath.Join("testdata", client))
	if err != nil {
		t.Fatal(err)
	}
	var flows []replayFlow
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		f := replayFlow{client: client, name: d.Name()}
		files, err := filepath.Glob(filepath.Join("testdata", client, d.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(files)
		for _, name := range files {
			raw, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			var s replayStep
			if err := dec.Decode(&s); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			s.file = name
			f.steps = append(f.steps, s)
		}
		if len(f.steps) == 0 {
			t.Fatalf("flow %s/%s has no steps", client, d.Name())
		}
		flows = append(flows, f)
	}
	if len(flows) == 0 {
		t.Fatalf("no flows under testdata/%s", client)
	}
	return flows
}

// replayAll runs every flow of a client on every engine.
func replayAll(t *testing.T, client string) {
	for _, f := range loadFlows(t, client) {
		t.Run(f.name, func(t *testing.T) {
			engines(t, func(t *testing.T, e *env) { e.replay(t, f) })
		})
	}
}

var placeholder = regexp.MustCompile(`\{[A-Za-z][A-Za-z0-9]*\}`)

// replay runs the steps of f in order and checks every expectation.
func (e *env) replay(t *testing.T, f replayFlow) {
	t.Helper()
	vars := map[string]string{"base": e.srv.URL + "/scim/v2"}
	subst := func(s string) string {
		return placeholder.ReplaceAllStringFunc(s, func(m string) string {
			if v, ok := vars[m[1:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	lastSeq := e.lastEventSeq()
	for _, s := range f.steps {
		where := fmt.Sprintf("%s (%s %s: %s)", filepath.Base(s.file), s.Method, s.Path, s.Step)
		path := subst(s.Path)
		if m := placeholder.FindString(path); m != "" {
			t.Fatalf("%s: %s is not defined by an earlier step", where, m)
		}
		h := hdr{}
		for k, v := range s.Headers {
			h[k] = subst(v)
		}
		var body any
		if len(s.Body) > 0 {
			body = subst(string(s.Body))
		}
		r := e.do(s.Method, path, body, h)

		if r.code != s.Expect.Status {
			t.Fatalf("%s: status %d, want %d\n%s", where, r.code, s.Expect.Status, r.raw)
		}
		// Saved first: a step's expectations may name what it created.
		for name, p := range s.Save {
			v, ok := pointer(r.body, p)
			str, _ := v.(string)
			if !ok || str == "" {
				t.Fatalf("%s: cannot save %s: %s holds no string\n%s", where, name, p, r.raw)
			}
			vars[name] = str
		}
		for k, v := range s.Expect.Headers {
			if got, want := r.header.Get(k), subst(v); !strings.HasPrefix(got, want) {
				t.Errorf("%s: header %s = %q, want %q", where, k, got, want)
			}
		}
		if len(s.Expect.Body) > 0 {
			want, err := decodeJSON([]byte(subst(string(s.Expect.Body))))
			if err != nil {
				t.Fatalf("%s: expect.body: %v", where, err)
			}
			var got any
			if r.body != nil {
				got = r.body
			}
			for _, p := range subset("", want, got) {
				t.Errorf("%s: %s\nresponse: %s", where, p, r.raw)
			}
		}
		for _, p := range s.Expect.Present {
			if v, ok := pointer(r.body, p); !ok || isEmptyJSON(v) {
				t.Errorf("%s: %s is empty, want a value\nresponse: %s", where, p, r.raw)
			}
		}
		for _, p := range s.Expect.Absent {
			if v, ok := pointer(r.body, p); ok && !isEmptyJSON(v) {
				t.Errorf("%s: %s = %v, want it absent\nresponse: %s", where, p, v, r.raw)
			}
		}
		events := e.eventsAfter(lastSeq)
		if len(events) > 0 {
			lastSeq = events[len(events)-1].Seq
		}
		types := make([]string, len(events))
		for i, ev := range events {
			types[i] = ev.Type
		}
		for _, want := range s.Expect.Events {
			if !slices.Contains(types, want) {
				t.Errorf("%s: event %q not recorded; recorded %v", where, want, types)
			}
		}
		for _, unwanted := range s.Expect.NoEvents {
			if slices.Contains(types, unwanted) {
				t.Errorf("%s: event %q recorded, want none; recorded %v", where, unwanted, types)
			}
		}
		if t.Failed() {
			t.FailNow() // later steps depend on this one
		}
	}
}

func (e *env) lastEventSeq() int64 {
	ev := e.eventsAfter(0)
	if len(ev) == 0 {
		return 0
	}
	return ev[len(ev)-1].Seq
}

// eventsAfter returns the organization's events after seq.
func (e *env) eventsAfter(seq int64) []store.Event {
	e.t.Helper()
	var out []store.Event
	for {
		page, err := e.store.ListEvents(context.Background(), e.org, seq, 500)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 500 {
			return out
		}
		seq = page[len(page)-1].Seq
	}
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// subset reports how got fails to contain want: objects must hold every
// member of want (recursively); arrays must have the same length and each
// element of want must match a distinct element of got, in any order.
func subset(at string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an object", orRoot(at), short(got))}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s/%s is missing, want %s", at, k, short(w[k])))
				continue
			}
			out = append(out, subset(at+"/"+k, w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an array of %d", orRoot(at), short(got), len(w))}
		}
		if len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %d elements %s, want %d matching %s", orRoot(at), len(g), short(got), len(w), short(want))}
		}
		used := make([]bool, len(g))
	next:
		for i, we := range w {
			for j, ge := range g {
				if !used[j] && len(subset("", we, ge)) == 0 {
					used[j] = true
					continue next
				}
			}
			return []string{fmt.Sprintf("%s: no element matches %s (want[%d]); got %s", orRoot(at), short(we), i, short(got))}
		}
		return nil
	case json.Number:
		if g, ok := got.(json.Number); !ok || g.String() != w.String() {
			return []string{fmt.Sprintf("%s = %s, want the number %s", orRoot(at), short(got), w)}
		}
		return nil
	default:
		if want != got {
			return []string{fmt.Sprintf("%s = %s, want %s", orRoot(at), short(got), short(want))}
		}
		return nil
	}
}

func orRoot(at string) string {
	if at == "" {
		return "the body"
	}
	return at
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// pointer resolves a JSON Pointer (RFC 6901) in v.
func pointer(v any, p string) (any, bool) {
	if p == "" {
		return v, true
	}
	if !strings.HasPrefix(p, "/") {
		return nil, false
	}
	for _, tok := range strings.Split(p[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// isEmptyJSON is Runscope's "not_empty" negated: null, "", [] or {}.
func isEmptyJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// TestReplayTestdata checks the step files themselves: each names its
// source, carries the headers its client really sends, and uses only
// placeholders an earlier step defines.
func TestReplayTestdata(t *testing.T) {
	for _, client := range []string{"okta", "entra"} {
		for _, f := range loadFlows(t, client) {
			defined := map[string]bool{"base": true}
			for i, s := range f.steps {
				where := s.file
				if want := fmt.Sprintf("%02d-", i+1); !strings.HasPrefix(filepath.Base(s.file), want) {
					t.Errorf("%s: step files are numbered 01-, 02-, …; want prefix %s", where, want)
				}
				if s.Step == "" || !strings.HasPrefix(s.Source, "https://") {
					t.Errorf("%s: needs a step description and an https source", where)
				}
				if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, s.Method) || !strings.HasPrefix(s.Path, "/scim/v2/") {
					t.Errorf("%s: method %q path %q", where, s.Method, s.Path)
				}
				if s.Expect.Status == 0 {
					t.Errorf("%s: no expected status", where)
				}
				ct := s.Headers["Content-Type"]
				switch {
				case client == "okta" && f.name != "spec-test":
					if s.Headers["User-Agent"] != "Okta SCIM Client 1.0.0" {
						t.Errorf("%s: Okta sends User-Agent \"Okta SCIM Client 1.0.0\", got %q", where, s.Headers["User-Agent"])
					}
					if len(s.Body) > 0 && ct != "application/json" {
						t.Errorf("%s: Okta sends Content-Type application/json, got %q", where, ct)
					}
				case client == "entra":
					if len(s.Body) > 0 && ct != "application/scim+json" {
						t.Errorf("%s: Entra sends Content-Type application/scim+json, got %q", where, ct)
					}
				}
				if len(s.Body) > 0 && !json.Valid(s.Body) {
					t.Errorf("%s: body is not JSON", where)
				}
				check := func(text string) {
					for _, m := range placeholder.FindAllString(text, -1) {
						if !defined[m[1:len(m)-1]] {
							t.Errorf("%s: placeholder %s is not saved by an earlier step", where, m)
						}
					}
				}
				check(s.Path + string(s.Body) + fmt.Sprint(s.Headers))
				for name := range s.Save {
					defined[name] = true
				}
				check(string(s.Expect.Body) + fmt.Sprint(s.Expect.Headers))
			}
		}
	}
}

// TestReplaySubset pins the matching the flows rely on.
func TestReplaySubset(t *testing.T) {
	tests := []struct {
		want, got string
		ok        bool
	}{
		{`{"a":1}`, `{"a":1,"b":2}`, true},
		{`{"a":1}`, `{"a":2}`, false},
		{`{"a":{"b":"x"}}`, `{"a":{"b":"x","c":1}}`, true},
		{`{"a":[{"v":"1"},{"v":"2"}]}`, `{"a":[{"v":"2"},{"v":"1","d":"x"}]}`, true},
		{`{"a":[{"v":"1"}]}`, `{"a":[{"v":"1"},{"v":"2"}]}`, false},
		{`{"a":[{"v":"1"},{"v":"1"}]}`, `{"a":[{"v":"1"},{"v":"2"}]}`, false},
		{`{"a":false}`, `{"a":"false"}`, false},
		{`{"a":null}`, `{"a":null}`, true},
		{`{"a":1}`, `{}`, false},
	}
	for _, tc := range tests {
		w, _ := decodeJSON([]byte(tc.want))
		g, _ := decodeJSON([]byte(tc.got))
		if errs := subset("", w, g); (len(errs) == 0) != tc.ok {
			t.Errorf("subset(%s, %s) = %v, want ok=%v", tc.want, tc.got, errs, tc.ok)
		}
	}
}
