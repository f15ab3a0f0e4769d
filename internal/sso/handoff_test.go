package sso_test

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso"
)

func TestNormalizeDomain(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"example.com", "example.com"},
		{" Example.COM. ", "example.com"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"a-b.c9.io", "a-b.c9.io"},
	} {
		if got, err := sso.NormalizeDomain(tc.in); err != nil || got != tc.want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "localhost", "10.0.0.1", "[::1]", "exa mple.com", "-x.com", "x-.com", "a..com",
		"bücher.example", "example.123", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "com", "user@example.com"} {
		if got, err := sso.NormalizeDomain(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want an Invalid fault", bad, got, err)
		}
	}
}

func TestDomainOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ada@Example.com", "example.com"},
		{"\"odd@name\"@example.com", "example.com"},
		{"example.com", "example.com"},
	} {
		if got, err := sso.DomainOf(tc.in); err != nil || got != tc.want {
			t.Errorf("DomainOf(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"@example.com", "ada@", "ada@localhost"} {
		if _, err := sso.DomainOf(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("DomainOf(%q) = %v, want an Invalid fault", bad, err)
		}
	}
}

func TestCheckState(t *testing.T) {
	for _, ok := range []string{"", "abc", "A-Z_a.z~0", strings.Repeat("s", sso.MaxStateLen)} {
		if err := sso.CheckState(ok); err != nil {
			t.Errorf("CheckState(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"a b", "a&b=c", "<x>", "ü", "a/b", "%41", strings.Repeat("s", sso.MaxStateLen+1)} {
		if err := sso.CheckState(bad); !fault.Is(err, fault.Invalid) {
			t.Errorf("CheckState(%q) = %v, want an Invalid fault", bad, err)
		}
	}
}

func TestFormToken(t *testing.T) {
	a, b := sso.NewToken(), sso.NewToken()
	if !sso.CheckFormToken(a, sso.FormToken(a)) {
		t.Error("a session's own form token is refused")
	}
	if sso.CheckFormToken(b, sso.FormToken(a)) || sso.CheckFormToken(a, "") || sso.CheckFormToken("", sso.FormToken("")) {
		t.Error("a form token of another session, or none, is accepted")
	}
	if sso.FormToken(a) == a || strings.Contains(sso.FormToken(a), a) {
		t.Error("the form token reveals the session token")
	}
}
