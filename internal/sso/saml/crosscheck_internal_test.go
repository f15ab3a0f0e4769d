package saml

import (
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

// TestCrossCheckRefuses shows that the gosaml2 gate is live: it is fed
// genuine verified content but an SP configuration that disagrees with it,
// and must refuse with the mapped reason. (In Validate our own checks
// refuse these first; this guards the gate itself.)
func TestCrossCheckRefuses(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	idp := samltest.NewIdP(t, samltest.Options{Now: func() time.Time { return now }})
	md, err := ParseIdPMetadata(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	base := SPConfig{EntityID: "https://sp.example/org", ACSURL: "https://sp.example/org/acs", IdP: md}
	doc, err := parseUntrustedXML(idp.ResponseXML(t, samltest.ResponseOptions{
		SP: samltest.SP{EntityID: base.EntityID, ACSURL: base.ACSURL}, Sign: samltest.SignResponse,
	}), responseLimits())
	if err != nil {
		t.Fatal(err)
	}
	st, verr := inspectStructure(doc.Root())
	if verr != nil {
		t.Fatal(verr)
	}
	verified, verr := verifyEnveloped(st.response, md.SigningCertificates, nil, now)
	if verr != nil {
		t.Fatal(verr)
	}
	assertion, _ := oneChild(verified, nsAssertion, "Assertion")

	if verr := crossCheck(&base, verified, assertion, now, time.Minute); verr != nil {
		t.Fatalf("genuine content refused: %v", verr)
	}
	tests := []struct {
		name string
		edit func(*SPConfig)
		now  time.Time
		want Reason
	}{
		{"other ACS URL", func(c *SPConfig) { c.ACSURL = "https://sp.example/other/acs" }, now, ReasonDestination},
		{"other IdP", func(c *SPConfig) { c.IdP.EntityID = "https://other-idp.example" }, now, ReasonIssuer},
		{"other audience", func(c *SPConfig) { c.EntityID = "https://sp.example/other" }, now, ReasonAudience},
		{"long after expiry", func(*SPConfig) {}, now.Add(time.Hour), ReasonExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			tc.edit(&cfg)
			verr := crossCheck(&cfg, verified, assertion, tc.now, time.Minute)
			if verr == nil || verr.Reason != tc.want {
				t.Fatalf("crossCheck = %v, want reason %q", verr, tc.want)
			}
		})
	}
}
