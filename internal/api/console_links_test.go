package api_test

import (
	"context"
	"strings"
	"testing"
)

// TestConsoleLinks: the host app, and an operator with an admin key, get
// a setup link to hand an organization's IT admin.
func TestConsoleLinks(t *testing.T) {
	f := setup(t)
	f.h.BaseURL = f.srv.URL
	type link struct {
		ID, OrgID, Hint, URL string
	}
	var got link
	f.do("POST", "/api/v1/console-links", f.keyA, `{}`, 201, &got)
	text, ok := strings.CutPrefix(got.URL, f.srv.URL+"/console/enter/")
	if !ok || !strings.HasPrefix(text, "roster_link_") {
		t.Fatalf("url = %q, want %s/console/enter/roster_link_…", got.URL, f.srv.URL)
	}
	l, err := f.tokens.PeekLink(context.Background(), text)
	if err != nil || l.OrgID != f.orgA {
		t.Fatalf("the link the API gave = %+v, %v; want a usable link into organization A", l, err)
	}
	var admin link
	f.do("POST", "/api/v1/orgs/"+f.orgB+"/console-links", f.admin, `{"ttl_seconds":3600}`, 201, &admin)
	if l, err := f.tokens.PeekLink(context.Background(), strings.TrimPrefix(admin.URL, f.srv.URL+"/console/enter/")); err != nil || l.OrgID != f.orgB {
		t.Errorf("the admin's link = %+v, %v; want a link into organization B", l, err)
	}
	for _, tc := range []struct {
		name, path, key, body string
		code                  int
		msg                   string
	}{
		{"too long", "/api/v1/console-links", f.keyA, `{"ttl_seconds":700000}`, 400, "a setup link lives from"},
		{"negative", "/api/v1/console-links", f.keyA, `{"ttl_seconds":-1}`, 400, "ttl_seconds must be"},
		{"admin, no such organization", "/api/v1/orgs/nope/console-links", f.admin, `{}`, 404, "nope"},
		{"org key on the admin route", "/api/v1/orgs/" + f.orgB + "/console-links", f.keyA, `{}`, 403, "admin key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := f.do("POST", tc.path, tc.key, tc.body, tc.code, nil)
			if !strings.Contains(raw, tc.msg) {
				t.Errorf("answer %s does not say %q", raw, tc.msg)
			}
		})
	}
	evs, _ := f.s.ListEvents(context.Background(), f.orgA, 0, 1000)
	found := false
	for _, ev := range evs {
		found = found || ev.Type == "console_link.created" && ev.Actor.Kind == "api_key"
	}
	if !found {
		t.Error("no console_link.created event by the API key")
	}
}

// TestBodiesMustBeCleanText: invalid UTF-8, lone surrogates and NUL are
// refused before decoding, instead of being stored rewritten (or failing
// on PostgreSQL).
func TestBodiesMustBeCleanText(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct{ name, body, msg string }{
		{"lone surrogate", `{"name":"bad\ud800"}`, "unpaired UTF-16 surrogate"},
		{"invalid UTF-8", "{\"name\":\"bad\xff\"}", "not valid UTF-8"},
		{"NUL escape", `{"name":"a\u0000b"}`, "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := f.do("POST", "/api/v1/workspaces", f.keyA, tc.body, 400, nil)
			if !strings.Contains(raw, tc.msg) {
				t.Errorf("answer %s does not say %q", raw, tc.msg)
			}
		})
	}
	if raw := f.do("GET", "/api/v1/workspaces", f.keyA, "", 200, nil); strings.Contains(raw, "bad") {
		t.Errorf("a refused workspace was stored: %s", raw)
	}
}
