package scim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/store"
)

// TestWrongCredential: a host-app API key sent to SCIM is refused with a
// message that says what it is and which credential SCIM takes, so an
// admin who pasted the wrong one into Okta or Entra can fix it.
func TestWrongCredential(t *testing.T) {
	e := sqliteEnv(t)
	key, _, err := e.tokens.Create(context.Background(), store.Actor{Kind: "cli"}, e.org, store.TokenAPI, "host")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, auth, want string }{
		{"API key", "Bearer " + key, "this is an organization API key; SCIM takes a SCIM token: roster token create --org ID"},
		{"no credential", "", "send a SCIM token as \"Authorization: Bearer <token>\""},
		{"unknown token", "Bearer roster_scim_aaaaaaaaaaaaaaaa_" + strings.Repeat("a", 59), "the SCIM token is invalid or revoked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", "/scim/v2/Users", nil, hdr{"Authorization": tc.auth})
			r.isError(t, 401, "")
			if !strings.Contains(r.str("detail"), tc.want) {
				t.Errorf("detail %q does not say %q", r.str("detail"), tc.want)
			}
		})
	}
}
