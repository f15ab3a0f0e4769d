package sso

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/store"
)

// TestResultTTL is how long the result of a Test sign-in can be read.
const TestResultTTL = time.Hour

// BeginTest starts a Test sign-in for an owner on the console's SAML page:
// an SP-initiated sign-in like Begin's, bound to the browser, whose pending
// request is marked as a test. Its response is validated and matched as
// any other, but FinishTest records what it amounted to instead of a
// session starting or the host app getting a code. It returns the URL to
// send the browser to and the request id the result is kept under. Errors
// as Begin's.
func (s *Service) BeginTest(ctx context.Context, orgID string, cfg saml.SPConfig, browserSecret string) (string, string, error) {
	return s.begin(ctx, store.SAMLRequest{OrgID: orgID, BrowserHash: digest(browserSecret), Test: true}, cfg)
}

// FinishTest records the result of the Test sign-in req: a is the
// response's assertion when it validated; refused, when not nil, is why
// the sign-in was refused before matching (a *Refusal or saml's
// validation error). A valid assertion is matched to its user as Link
// matches, but nobody is created: a subject just-in-time provisioning
// would create is a success with WouldCreate. Nothing else changes: no
// session, no hand-off, no sign-in log entry.
func (s *Service) FinishTest(ctx context.Context, o store.Org, c store.SAMLConfig, req store.SAMLRequest, a *saml.Assertion, refused error) (store.SAMLTestResult, error) {
	now := s.now().UTC()
	r := store.SAMLTestResult{OrgID: o.ID, RequestID: req.RequestID, Outcome: store.SignInSuccess, CreatedAt: now, ExpiresAt: now.Add(TestResultTTL)}
	if a != nil {
		r.NameID, r.NameIDFormat, r.Attributes = a.NameID, a.NameIDFormat, a.Attributes
		if refused == nil {
			u, value, err := s.find(ctx, o, c, a)
			switch {
			case err != nil:
				refused = err
			case u.ID != "":
				r.UserID = u.ID
			case c.JITProvisioning:
				r.WouldCreate = true
			default:
				refused = &Refusal{Reason: ReasonUnknownUser, Detail: fmt.Sprintf("no user with %s %q", c.LinkBy, value)}
			}
		}
	}
	if refused != nil {
		r.Outcome = store.SignInRefused
		var rf *Refusal
		var ve *saml.ValidationError
		switch {
		case errors.As(refused, &rf):
			r.Reason, r.Detail, r.UserID = rf.Reason, rf.Detail, rf.UserID
		case errors.As(refused, &ve):
			r.Reason, r.Detail = string(ve.Reason), ve.Detail
		default:
			return r, fmt.Errorf("test sign-in of %s: %w", o.ID, refused)
		}
	}
	if err := s.Store.PutSAMLTestResult(ctx, r); err != nil {
		return r, fmt.Errorf("test sign-in of %s: %w", o.ID, err)
	}
	s.logger().InfoContext(ctx, "test sign-in finished", "org", o.ID, "outcome", r.Outcome, "reason", r.Reason)
	return r, nil
}

// TestResult returns the result of one of the organization's Test
// sign-ins; another organization's, an expired one or none is a
// fault.NotFound.
func (s *Service) TestResult(ctx context.Context, orgID, requestID string) (store.SAMLTestResult, error) {
	r, err := s.Store.GetSAMLTestResult(ctx, orgID, requestID, s.now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return r, fault.NotFoundf("no test sign-in %q in this organization (results are kept for an hour)", requestID)
	}
	return r, err
}
