package saml

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"time"

	"github.com/beevik/etree"
)

// MaxResponseSize bounds the base64 SAMLResponse value Validate accepts
// (256 KiB, checked before decoding). Real Okta/Entra responses are 5–30 KiB
// even with many group claims. Handlers should additionally cap the whole
// request body with http.MaxBytesReader.
const MaxResponseSize = 256 << 10

// responseLimits bounds the parsed document. goxmldsig's namespace traversal
// stops at 1000 elements, so we refuse earlier with a clear reason.
func responseLimits() xmlLimits { return xmlLimits{maxElements: 800, maxDepth: 32} }

const (
	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	methodBearer  = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// Expectation is what the caller knows about the login this response
// should complete.
type Expectation struct {
	// InResponseTo is the ID of the AuthnRequest this browser started
	// (AuthnRequest.ID, looked up via RelayState). Empty means the caller
	// expects an unsolicited, IdP-initiated response, which is accepted
	// only if SPConfig.AllowIdPInitiated is set and the response carries no
	// InResponseTo at all.
	InResponseTo string
}

// ReplayCache remembers consumed assertion IDs. Implementations persist the
// ID with its expiry in the database so that every instance sees it, scope
// it to the organization (for example a primary key of (org_id,
// assertion_id)), and may delete it after until. Remember must be atomic:
// it reports fresh=true exactly once per ID (e.g. INSERT … ON CONFLICT DO
// NOTHING and check the affected row count).
type ReplayCache interface {
	Remember(ctx context.Context, assertionID string, until time.Time) (fresh bool, err error)
}

// Assertion is the identity Validate extracted from a response. Every field
// is read from the signature-verified element returned by goxmldsig, never
// from the raw document.
type Assertion struct {
	// ID is the assertion ID (already recorded in the ReplayCache).
	ID string
	// Issuer is the IdP entity ID (equal to SPConfig.IdP.EntityID).
	Issuer string
	// NameID is the subject's full NameID value, whitespace-trimmed. Bind
	// accounts to (organization, NameID), never to an e-mail across tenants.
	NameID string
	// NameIDFormat is the NameID Format attribute ("" if absent).
	NameIDFormat string
	// SessionIndex from the AuthnStatement ("" if absent); needed for
	// single logout.
	SessionIndex string
	// Attributes maps Attribute Name to its text values, in document order.
	// Values that are elements rather than text are skipped.
	Attributes map[string][]string
	// NotOnOrAfter is the earliest of the assertion's expiry times
	// (SubjectConfirmationData and Conditions).
	NotOnOrAfter time.Time
	// AuthnInstant is when the user authenticated at the IdP.
	AuthnInstant time.Time
	// SessionNotOnOrAfter caps the session the IdP allows (zero if absent).
	SessionNotOnOrAfter time.Time
	// InResponseTo is the request ID the assertion answers ("" when
	// IdP-initiated).
	InResponseTo string
	// ResponseSigned and AssertionSigned record which signatures verified,
	// for audit logs.
	ResponseSigned, AssertionSigned bool
}

// Validate decodes, verifies and checks a SAMLResponse form value received
// at our ACS with the HTTP-POST binding, and returns the authenticated
// identity. It fails closed: any deviation from the policy in doc.go
// returns a *ValidationError whose Reason says which rule failed, and no
// Assertion. On success the assertion ID has been recorded in replay, so a
// second presentation of the same response fails with ReasonReplay.
func Validate(ctx context.Context, cfg SPConfig, samlResponse string, expect Expectation, replay ReplayCache) (*Assertion, error) {
	v, err := validate(ctx, &cfg, samlResponse, expect, replay)
	if err != nil {
		return nil, err // always a non-nil *ValidationError
	}
	return v, nil
}

// validate returns *ValidationError, not error, so that a nil result can
// never become a non-nil error interface.
func validate(ctx context.Context, cfg *SPConfig, samlResponse string, expect Expectation, replay ReplayCache) (*Assertion, *ValidationError) {
	if err := cfg.Check(); err != nil {
		return nil, fail(ReasonConfig, err, "SP configuration is invalid")
	}
	if replay == nil {
		return nil, fail(ReasonConfig, nil, "no ReplayCache configured")
	}
	now := cfg.now().UTC()
	skew := cfg.skew()
	if expect.InResponseTo == "" && !cfg.AllowIdPInitiated {
		return nil, fail(ReasonIdPInitiatedDisabled, nil, "no sign-in request is pending for this browser and IdP-initiated sign-in is disabled")
	}

	// 1. Bounded, strict decoding; DTD refusal; round-trip validation.
	if len(samlResponse) > MaxResponseSize {
		return nil, fail(ReasonTooLarge, nil, "SAMLResponse is %d bytes, limit %d", len(samlResponse), MaxResponseSize)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(samlResponse)
	if err != nil {
		return nil, fail(ReasonEncoding, err, "SAMLResponse is not strict base64")
	}
	if len(raw) == 0 {
		return nil, fail(ReasonMalformed, nil, "SAMLResponse is empty")
	}
	doc, err := parseUntrustedXML(raw, responseLimits())
	switch {
	case errors.Is(err, errDTD):
		return nil, fail(ReasonDTD, err, "")
	case errors.Is(err, errTooComplex):
		return nil, fail(ReasonTooLarge, err, "")
	case err != nil:
		return nil, fail(ReasonMalformed, err, "")
	}

	// 2. Structure: one Response, exactly one Assertion directly inside it,
	// signatures only where SAML puts them, no duplicate IDs.
	st, verr := inspectStructure(doc.Root())
	if verr != nil {
		return nil, verr
	}

	// 3. Which signatures exist, and does that satisfy the policy?
	if st.responseSig == nil && st.assertionSig == nil {
		return nil, fail(ReasonUnsigned, nil, "neither the Response nor the Assertion is signed")
	}
	if cfg.WantAssertionsSigned && st.assertionSig == nil {
		return nil, fail(ReasonAssertionNotSigned, nil, "the Assertion is not signed (only the Response is) but WantAssertionsSigned is set")
	}
	var respKeyCert, asrtKeyCert *certRef
	if st.responseSig != nil {
		c, verr := checkSignatureShape(st.responseSig, st.responseID, cfg.AllowSHA1)
		if verr != nil {
			verr.Detail = "Response signature: " + verr.Detail
			return nil, verr
		}
		respKeyCert = &certRef{c}
	}
	if st.assertionSig != nil {
		c, verr := checkSignatureShape(st.assertionSig, st.assertionID, cfg.AllowSHA1)
		if verr != nil {
			verr.Detail = "Assertion signature: " + verr.Detail
			return nil, verr
		}
		asrtKeyCert = &certRef{c}
	}

	// 4. Cryptographic verification with goxmldsig against metadata
	// certificates only; keep the verified elements it returns.
	certs := cfg.IdP.SigningCertificates
	envelope := st.response // trusted only if the Response signature verifies
	var verifiedAssertion *etree.Element
	if respKeyCert != nil {
		vr, verr := verifyEnveloped(st.response, certs, respKeyCert.cert, now)
		if verr != nil {
			verr.Detail = "Response signature: " + verr.Detail
			return nil, verr
		}
		if !is(vr, nsProtocol, "Response") || idOf(vr) != st.responseID {
			return nil, fail(ReasonWrapping, nil, "verified element is not the Response that was inspected")
		}
		inner, n := oneChild(vr, nsAssertion, "Assertion")
		if n != 1 || idOf(inner) != st.assertionID {
			return nil, fail(ReasonWrapping, nil, "verified Response does not hold exactly the inspected Assertion")
		}
		envelope = vr
		verifiedAssertion, err = detach(inner)
		if err != nil {
			return nil, fail(ReasonMalformed, err, "detach verified Assertion")
		}
	} else {
		verifiedAssertion, err = detach(st.assertion)
		if err != nil {
			return nil, fail(ReasonMalformed, err, "detach Assertion")
		}
	}
	if asrtKeyCert != nil {
		va, verr := verifyEnveloped(verifiedAssertion, certs, asrtKeyCert.cert, now)
		if verr != nil {
			verr.Detail = "Assertion signature: " + verr.Detail
			return nil, verr
		}
		verifiedAssertion = va
	}
	if !is(verifiedAssertion, nsAssertion, "Assertion") || idOf(verifiedAssertion) != st.assertionID {
		return nil, fail(ReasonWrapping, nil, "verified element is not the Assertion that was inspected")
	}

	// 5. Protocol checks on the Response envelope.
	if verr := checkEnvelope(cfg, envelope, respKeyCert != nil, expect); verr != nil {
		return nil, verr
	}

	// 6. Assertion checks, reading only the verified element.
	out, until, verr := readAssertion(cfg, verifiedAssertion, expect, now, skew)
	if verr != nil {
		return nil, verr
	}
	out.ResponseSigned = respKeyCert != nil
	out.AssertionSigned = asrtKeyCert != nil

	// 7. Never accept what gosaml2's own validator would refuse.
	if verr := crossCheck(cfg, envelope, verifiedAssertion, now, skew); verr != nil {
		return nil, verr
	}

	// 8. One-time use.
	fresh, err := replay.Remember(ctx, out.ID, until)
	if err != nil {
		return nil, fail(ReasonReplayCheckFailed, err, "could not record the assertion ID")
	}
	if !fresh {
		return nil, fail(ReasonReplay, nil, "assertion %s was already used", quote(out.ID))
	}
	return out, nil
}

// certRef distinguishes "signature present without KeyInfo" (cert nil)
// from "no signature" (nil *certRef).
type certRef struct{ cert *x509.Certificate }
