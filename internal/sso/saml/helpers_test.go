package saml_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

// testNow is the fixed instant all validation tests run at.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const (
	spEntityID = "https://roster.example.test/sso/saml/org_42"
	spACSURL   = "https://roster.example.test/sso/saml/org_42/acs"
	requestID  = "_req_6c1f0e3d9a"
)

// fixture bundles a test IdP with two published signing keys (rollover),
// a foreign key the SP does not know, and a matching SPConfig.
type fixture struct {
	idp     *samltest.IdP
	foreign *samltest.Key
	cfg     saml.SPConfig
	sp      samltest.SP
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clock := func() time.Time { return testNow }
	idp := samltest.NewIdP(t, samltest.Options{Now: clock, Keys: 2})
	md, err := saml.ParseIdPMetadata(idp.Metadata())
	if err != nil {
		t.Fatalf("ParseIdPMetadata(test IdP): %v", err)
	}
	return &fixture{
		idp:     idp,
		foreign: samltest.NewKey(t, "attacker", testNow.Add(-time.Hour), testNow.Add(time.Hour*24)),
		cfg: saml.SPConfig{
			EntityID:          spEntityID,
			ACSURL:            spACSURL,
			MetadataURL:       spEntityID + "/metadata",
			IdP:               md,
			AllowIdPInitiated: true,
			Now:               clock,
		},
		sp: samltest.SP{EntityID: spEntityID, ACSURL: spACSURL},
	}
}

// spInitiated returns response options answering requestID.
func (f *fixture) spInitiated(sign samltest.SignMode) samltest.ResponseOptions {
	return samltest.ResponseOptions{SP: f.sp, Sign: sign, InResponseTo: requestID}
}

// memReplay is an in-memory ReplayCache recording what it was told.
type memReplay struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	err   error
	calls int
}

func newReplay() *memReplay { return &memReplay{seen: map[string]time.Time{}} }

func (m *memReplay) Remember(_ context.Context, id string, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.err != nil {
		return false, m.err
	}
	if _, ok := m.seen[id]; ok {
		return false, nil
	}
	m.seen[id] = until
	return true, nil
}

// wantReason asserts that err is a *ValidationError with the given reason.
func wantReason(t *testing.T, err error, want saml.Reason) {
	t.Helper()
	if err == nil {
		t.Fatalf("Validate accepted the response, want refusal with %q", want)
	}
	var ve *saml.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValidationError", err, err)
	}
	if ve.Reason != want {
		t.Fatalf("reason = %q, want %q (error: %v)", ve.Reason, want, err)
	}
}
