package sso_test

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso"
	"github.com/rosterhq/roster/internal/store"
)

func TestNameIDFormat(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "", ""},
		{"email", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", ""},
		{"persistent", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", ""},
		{"urn:oasis:names:tc:SAML:2.0:nameid-format:transient", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient", ""},
		{"bogus", "", "use email, persistent, unspecified or transient, or one of their URIs (urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress, "},
		{"Email", "", "use email"},
	} {
		got, err := sso.NameIDFormat(tc.in)
		if tc.err == "" && (err != nil || got != tc.want) {
			t.Errorf("NameIDFormat(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.err != "" && (!fault.Is(err, fault.Invalid) || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("NameIDFormat(%q) = %q, %v; want an Invalid fault saying %q", tc.in, got, err, tc.err)
		}
	}
	if got := sso.EffectiveNameIDFormat(store.SAMLConfig{}); got != "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified" {
		t.Errorf("no format amounts to %q, want unspecified", got)
	}
}

func TestCheckBaseURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://roster.example.com/", "https://roster.example.com"},
		{"  https://roster.example.com/sub/  ", "https://roster.example.com/sub"},
		{"http://localhost:8080", "http://localhost:8080"},
		{"roster.example.com", ""},
		{"ftp://roster.example.com", ""},
		{"https://roster.example.com/?x=1", ""},
		{"https://roster.example.com/#top", ""},
		{"https://user:pw@roster.example.com", ""},
	} {
		got, err := sso.CheckBaseURL(tc.in)
		if tc.want != "" && (err != nil || got != tc.want) {
			t.Errorf("CheckBaseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if tc.want == "" && !fault.Is(err, fault.Invalid) {
			t.Errorf("CheckBaseURL(%q) = %q, %v; want an Invalid fault", tc.in, got, err)
		}
	}
}

func TestURLs(t *testing.T) {
	s := &sso.Service{BaseURL: "https://serve.example/"}
	if got := s.URLs(store.SAMLConfig{OrgID: "o 1"}).ACSURL; got != "https://serve.example/auth/saml/o%201/acs" {
		t.Errorf("ACS URL without a stored base = %q", got)
	}
	if got := s.URLs(store.SAMLConfig{OrgID: "o1", BaseURL: "https://sso.acme.example"}).EntityID; got != "https://sso.acme.example/auth/saml/o1/metadata" {
		t.Errorf("entity id with a stored base = %q", got)
	}
}
