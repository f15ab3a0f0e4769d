package saml

import (
	"encoding/xml"
	"errors"
	"time"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	"github.com/russellhaering/gosaml2/types"
	dsig "github.com/russellhaering/goxmldsig"
)

// crossCheck runs gosaml2's own response validator (SAMLServiceProvider.
// Validate) and its condition checker (VerifyAssertionConditions) over the
// verified content, decoded into gosaml2's types. roster's checks are a
// strict superset, so this never refuses a response our checks accepted
// unless one of them has a bug; it exists so that roster can never be looser
// than the library it wraps.
//
// Two adjustments: gosaml2 has no clock-skew setting, so its clock is set
// to now-skew (its only time check here is "SubjectConfirmationData
// NotOnOrAfter not passed", which then matches ours); and the InvalidTime
// warning of VerifyAssertionConditions is not used, because with a single
// clock it cannot express a skew on both NotBefore and NotOnOrAfter — our
// readAssertion enforces both bounds with skew as hard errors. The
// NotInAudience warning is an error here, as is every gosaml2 error.
func crossCheck(cfg *SPConfig, env, verifiedAssertion *etree.Element, now time.Time, skew time.Duration) *ValidationError {
	resp := env.Copy()
	for _, a := range childrenNS(resp, nsAssertion, "Assertion") {
		resp.RemoveChild(a)
	}
	resp.AddChild(verifiedAssertion.Copy())
	doc := etree.NewDocument()
	doc.SetRoot(resp)
	b, err := doc.WriteToBytes()
	if err != nil {
		return fail(ReasonMalformed, err, "re-serialize verified content")
	}
	var decoded types.Response
	if err := xml.Unmarshal(b, &decoded); err != nil {
		return fail(ReasonMalformed, err, "decode verified content with gosaml2 types")
	}
	if len(decoded.Assertions) != 1 {
		return fail(ReasonMultipleAssertions, nil, "gosaml2 decoded %d assertions", len(decoded.Assertions))
	}
	sp := &saml2.SAMLServiceProvider{
		IdentityProviderIssuer:      cfg.IdP.EntityID,
		AssertionConsumerServiceURL: cfg.ACSURL,
		ServiceProviderIssuer:       cfg.EntityID,
		AudienceURI:                 cfg.EntityID,
		Clock:                       dsig.NewFakeClockAt(now.Add(-skew)),
	}
	if err := sp.Validate(&decoded); err != nil {
		return fromGosaml2(err)
	}
	warn, err := sp.VerifyAssertionConditions(&decoded.Assertions[0])
	if err != nil {
		return fromGosaml2(err)
	}
	if warn.NotInAudience {
		return fail(ReasonAudience, nil, "gosaml2: assertion is not addressed to %s", quote(cfg.EntityID))
	}
	return nil
}

// fromGosaml2 maps gosaml2's typed errors onto our reasons.
func fromGosaml2(err error) *ValidationError {
	var iv saml2.ErrInvalidValue
	if errors.As(err, &iv) {
		switch iv.Key {
		case saml2.DestinationAttr:
			return fail(ReasonDestination, err, "gosaml2")
		case saml2.IssuerTag:
			return fail(ReasonIssuer, err, "gosaml2")
		case saml2.StatusCodeTag:
			return fail(ReasonStatus, err, "gosaml2")
		case saml2.RecipientAttr:
			return fail(ReasonRecipient, err, "gosaml2")
		case saml2.NotOnOrAfterAttr:
			return fail(ReasonExpired, err, "gosaml2")
		case saml2.SubjectConfirmationTag:
			return fail(ReasonSubjectConfirmation, err, "gosaml2")
		}
	}
	return fail(ReasonMalformed, err, "gosaml2")
}
