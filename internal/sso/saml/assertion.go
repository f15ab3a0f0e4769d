package saml

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// checkEnvelope applies the Response-level rules. env is goxmldsig's verified
// Response when the Response was signed, otherwise the raw Response (whose
// fields are then checked for consistency but are not what grants access).
func checkEnvelope(cfg *SPConfig, env *etree.Element, signed bool, expect Expectation) *ValidationError {
	if v, _ := attr(env, "Version"); v != "2.0" {
		return fail(ReasonMalformed, nil, "Response Version %s, want 2.0", quote(v))
	}
	if v, ok := attr(env, "IssueInstant"); !ok {
		return fail(ReasonMalformed, nil, "Response has no IssueInstant")
	} else if _, err := parseSAMLTime(v); err != nil {
		return fail(ReasonMalformed, err, "Response IssueInstant")
	}

	// Issuer: required (gosaml2 requires it too; SAML profiles §4.1.4.2
	// require it whenever the Response is signed) and must be the IdP.
	if verr := checkIssuer(cfg, env, "Response"); verr != nil {
		return verr
	}

	// Destination: SAML bindings §3.5.5.2 requires it on signed POST
	// messages; when present it must be our ACS URL.
	dest, hasDest := attr(env, "Destination")
	switch {
	case hasDest && dest != cfg.ACSURL:
		return fail(ReasonDestination, nil, "Response Destination %s, want %s", quote(dest), quote(cfg.ACSURL))
	case !hasDest && signed:
		return fail(ReasonDestination, nil, "signed Response has no Destination")
	}

	if code, ok := statusCode(env); !ok || code != statusSuccess {
		return fail(ReasonStatus, nil, "IdP status %s", statusDetail(env))
	}

	irt, hasIRT := attr(env, "InResponseTo")
	switch {
	case expect.InResponseTo == "" && hasIRT:
		return fail(ReasonInResponseTo, nil, "an unsolicited sign-in carries Response InResponseTo %s", quote(irt))
	case expect.InResponseTo != "" && hasIRT && irt != expect.InResponseTo:
		return fail(ReasonInResponseTo, nil, "Response InResponseTo %s does not match the pending request", quote(irt))
	}
	return nil
}

// checkIssuer requires exactly one saml:Issuer child equal to the IdP
// entity ID, with an absent or entity Format (SAML core §2.2.5).
func checkIssuer(cfg *SPConfig, el *etree.Element, where string) *ValidationError {
	iss, n := oneChild(el, nsAssertion, "Issuer")
	if n != 1 {
		return fail(ReasonIssuer, nil, "%s has %d Issuer elements, want 1", where, n)
	}
	v, err := textOf(iss)
	if err != nil {
		return fail(ReasonIssuer, err, "%s Issuer", where)
	}
	v = strings.TrimSpace(v)
	if v != cfg.IdP.EntityID {
		return fail(ReasonIssuer, nil, "%s Issuer %s, want %s", where, quote(v), quote(cfg.IdP.EntityID))
	}
	if f, ok := attr(iss, "Format"); ok && f != nameIDFormatEntity {
		return fail(ReasonIssuer, nil, "%s Issuer Format %s, want entity", where, quote(f))
	}
	return nil
}

// readAssertion checks the verified Assertion against the SAML Web Browser
// SSO profile and our policy, and extracts the identity. It returns the
// instant until which the replay cache must remember the ID.
func readAssertion(cfg *SPConfig, a *etree.Element, expect Expectation, now time.Time, skew time.Duration) (*Assertion, time.Time, *ValidationError) {
	out := &Assertion{ID: idOf(a), Issuer: cfg.IdP.EntityID, Attributes: map[string][]string{}}
	if v, _ := attr(a, "Version"); v != "2.0" {
		return nil, time.Time{}, fail(ReasonMalformed, nil, "Assertion Version %s, want 2.0", quote(v))
	}
	issueInstant, verr := requiredTime(a, "IssueInstant", "Assertion")
	if verr != nil {
		return nil, time.Time{}, verr
	}
	if issueInstant.After(now.Add(skew)) {
		return nil, time.Time{}, fail(ReasonNotYetValid, nil, "Assertion IssueInstant %s is in the future", issueInstant.Format(time.RFC3339))
	}
	if verr := checkIssuer(cfg, a, "Assertion"); verr != nil {
		return nil, time.Time{}, verr
	}

	// Subject: one NameID and one bearer SubjectConfirmation.
	subject, n := oneChild(a, nsAssertion, "Subject")
	if n != 1 {
		return nil, time.Time{}, fail(ReasonNameID, nil, "Assertion has %d Subject elements, want 1", n)
	}
	nameID, n := oneChild(subject, nsAssertion, "NameID")
	if n != 1 {
		return nil, time.Time{}, fail(ReasonNameID, nil, "Subject has %d NameID elements, want 1 (EncryptedID and BaseID are not supported)", n)
	}
	nid, err := textOf(nameID)
	if err != nil {
		return nil, time.Time{}, fail(ReasonNameID, err, "NameID")
	}
	out.NameID = strings.TrimSpace(nid)
	if out.NameID == "" {
		return nil, time.Time{}, fail(ReasonNameID, nil, "NameID is empty")
	}
	out.NameIDFormat, _ = attr(nameID, "Format")
	if want := cfg.NameIDFormat; want != "" && want != NameIDFormatUnspecified && out.NameIDFormat != want {
		return nil, time.Time{}, fail(ReasonNameID, nil, "NameID Format %s, want %s", quote(out.NameIDFormat), quote(want))
	}

	scs := childrenNS(subject, nsAssertion, "SubjectConfirmation")
	if len(scs) != 1 {
		return nil, time.Time{}, fail(ReasonSubjectConfirmation, nil, "Subject has %d SubjectConfirmation elements, want exactly one bearer confirmation", len(scs))
	}
	if m, _ := attr(scs[0], "Method"); m != methodBearer {
		return nil, time.Time{}, fail(ReasonSubjectConfirmation, nil, "SubjectConfirmation Method %s, want bearer", quote(m))
	}
	scd, n := oneChild(scs[0], nsAssertion, "SubjectConfirmationData")
	if n != 1 {
		return nil, time.Time{}, fail(ReasonSubjectConfirmation, nil, "bearer SubjectConfirmation has %d SubjectConfirmationData elements, want 1", n)
	}
	if r, _ := attr(scd, "Recipient"); r != cfg.ACSURL {
		return nil, time.Time{}, fail(ReasonRecipient, nil, "Recipient %s, want %s", quote(r), quote(cfg.ACSURL))
	}
	scdNotOnOrAfter, verr := requiredTime(scd, "NotOnOrAfter", "SubjectConfirmationData")
	if verr != nil {
		return nil, time.Time{}, verr
	}
	if verr := notExpired("SubjectConfirmationData", scdNotOnOrAfter, now, skew); verr != nil {
		return nil, time.Time{}, verr
	}
	// The profile forbids NotBefore on bearer confirmations; a present one
	// is harmless if honoured, so honour it rather than break an IdP.
	if v, ok := attr(scd, "NotBefore"); ok {
		nb, err := parseSAMLTime(v)
		if err != nil {
			return nil, time.Time{}, fail(ReasonMalformed, err, "SubjectConfirmationData NotBefore")
		}
		if verr := notBefore("SubjectConfirmationData", nb, now, skew); verr != nil {
			return nil, time.Time{}, verr
		}
	}
	irt, hasIRT := attr(scd, "InResponseTo")
	switch {
	case expect.InResponseTo == "" && hasIRT:
		return nil, time.Time{}, fail(ReasonInResponseTo, nil, "an unsolicited sign-in carries InResponseTo %s (a response to some other request)", quote(irt))
	case expect.InResponseTo != "" && !hasIRT:
		return nil, time.Time{}, fail(ReasonInResponseTo, nil, "the assertion does not say which request it answers (no InResponseTo)")
	case expect.InResponseTo != "" && irt != expect.InResponseTo:
		return nil, time.Time{}, fail(ReasonInResponseTo, nil, "InResponseTo %s does not match the pending request", quote(irt))
	}
	out.InResponseTo = irt

	// Conditions: time window and audience, both required.
	cond, n := oneChild(a, nsAssertion, "Conditions")
	if n != 1 {
		if n == 0 {
			return nil, time.Time{}, fail(ReasonAudience, nil, "Assertion has no Conditions, so no AudienceRestriction")
		}
		return nil, time.Time{}, fail(ReasonConditions, nil, "Assertion has %d Conditions elements", n)
	}
	condNotBefore, verr := requiredTime(cond, "NotBefore", "Conditions")
	if verr != nil {
		return nil, time.Time{}, verr
	}
	condNotOnOrAfter, verr := requiredTime(cond, "NotOnOrAfter", "Conditions")
	if verr != nil {
		return nil, time.Time{}, verr
	}
	if verr := notBefore("Conditions", condNotBefore, now, skew); verr != nil {
		return nil, time.Time{}, verr
	}
	if verr := notExpired("Conditions", condNotOnOrAfter, now, skew); verr != nil {
		return nil, time.Time{}, verr
	}
	restrictions := 0
	for _, c := range cond.ChildElements() {
		switch {
		case is(c, nsAssertion, "AudienceRestriction"):
			restrictions++
			if !audienceMatches(c, cfg.EntityID) {
				return nil, time.Time{}, fail(ReasonAudience, nil, "AudienceRestriction %s does not include %s", audiences(c), quote(cfg.EntityID))
			}
		case is(c, nsAssertion, "OneTimeUse"):
			// Enforced for every assertion by the replay cache.
		case is(c, nsAssertion, "ProxyRestriction"):
			// Restricts re-issuing assertions to others; roster never does.
		default:
			return nil, time.Time{}, fail(ReasonConditions, nil, "condition <%s> is not understood", c.Tag)
		}
	}
	if restrictions == 0 {
		return nil, time.Time{}, fail(ReasonAudience, nil, "Conditions has no AudienceRestriction")
	}

	// AuthnStatement: exactly one.
	authn, n := oneChild(a, nsAssertion, "AuthnStatement")
	if n != 1 {
		return nil, time.Time{}, fail(ReasonNoAuthnStatement, nil, "Assertion has %d AuthnStatement elements, want 1", n)
	}
	out.AuthnInstant, verr = requiredTime(authn, "AuthnInstant", "AuthnStatement")
	if verr != nil {
		return nil, time.Time{}, verr
	}
	out.SessionIndex, _ = attr(authn, "SessionIndex")
	if v, ok := attr(authn, "SessionNotOnOrAfter"); ok {
		t, err := parseSAMLTime(v)
		if err != nil {
			return nil, time.Time{}, fail(ReasonMalformed, err, "AuthnStatement SessionNotOnOrAfter")
		}
		if verr := notExpired("AuthnStatement session", t, now, skew); verr != nil {
			return nil, time.Time{}, verr
		}
		out.SessionNotOnOrAfter = t
	}

	// Attributes.
	for _, stmt := range childrenNS(a, nsAssertion, "AttributeStatement") {
		for _, c := range stmt.ChildElements() {
			if !is(c, nsAssertion, "Attribute") {
				if is(c, nsAssertion, "EncryptedAttribute") {
					return nil, time.Time{}, fail(ReasonEncryptedAssertion, nil, "EncryptedAttribute is not supported")
				}
				continue
			}
			name, _ := attr(c, "Name")
			if name == "" {
				return nil, time.Time{}, fail(ReasonMalformed, nil, "Attribute without Name")
			}
			vals := out.Attributes[name]
			for _, v := range childrenNS(c, nsAssertion, "AttributeValue") {
				if t, err := textOf(v); err == nil {
					vals = append(vals, t)
				}
			}
			out.Attributes[name] = vals
		}
	}

	out.NotOnOrAfter = scdNotOnOrAfter
	if condNotOnOrAfter.Before(out.NotOnOrAfter) {
		out.NotOnOrAfter = condNotOnOrAfter
	}
	until := scdNotOnOrAfter
	if condNotOnOrAfter.After(until) {
		until = condNotOnOrAfter
	}
	return out, until.Add(skew), nil
}

// audienceMatches reports whether one Audience of the restriction equals
// entityID exactly (audiences within one restriction are alternatives;
// separate restrictions must all match, SAML core §2.5.1.4).
func audienceMatches(ar *etree.Element, entityID string) bool {
	for _, au := range childrenNS(ar, nsAssertion, "Audience") {
		if t, err := textOf(au); err == nil && strings.TrimSpace(t) == entityID {
			return true
		}
	}
	return false
}

func audiences(ar *etree.Element) string {
	var out []string
	for _, au := range childrenNS(ar, nsAssertion, "Audience") {
		t, _ := textOf(au)
		out = append(out, quote(strings.TrimSpace(t)))
	}
	if len(out) == 0 {
		return "(empty)"
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// parseSAMLTime parses an xs:dateTime as SAML uses it (UTC, RFC 3339,
// optional fractional seconds).
func parseSAMLTime(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid dateTime %s", quote(v))
	}
	return t.UTC(), nil
}

func requiredTime(el *etree.Element, name, where string) (time.Time, *ValidationError) {
	v, ok := attr(el, name)
	if !ok {
		return time.Time{}, fail(ReasonMalformed, nil, "%s has no %s", where, name)
	}
	t, err := parseSAMLTime(v)
	if err != nil {
		return time.Time{}, fail(ReasonMalformed, err, "%s %s", where, name)
	}
	return t, nil
}

// notExpired enforces now - skew < notOnOrAfter.
func notExpired(where string, notOnOrAfter, now time.Time, skew time.Duration) *ValidationError {
	if !now.Add(-skew).Before(notOnOrAfter) {
		return fail(ReasonExpired, nil, "%s NotOnOrAfter %s has passed (now %s, skew %s)", where, notOnOrAfter.Format(time.RFC3339), now.Format(time.RFC3339), skew)
	}
	return nil
}

// notBefore enforces notBefore <= now + skew.
func notBefore(where string, nb, now time.Time, skew time.Duration) *ValidationError {
	if nb.After(now.Add(skew)) {
		return fail(ReasonNotYetValid, nil, "%s NotBefore %s is in the future (now %s, skew %s)", where, nb.Format(time.RFC3339), now.Format(time.RFC3339), skew)
	}
	return nil
}
