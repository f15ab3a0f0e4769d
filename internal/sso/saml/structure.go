package saml

import (
	"strings"

	"github.com/beevik/etree"
)

// structure is the result of inspecting the untrusted document. The
// elements point into the raw tree and are used only to decide what to
// verify; values are read later from goxmldsig's verified output.
type structure struct {
	response     *etree.Element
	responseID   string
	assertion    *etree.Element
	assertionID  string
	responseSig  *etree.Element // ds:Signature child of the Response, or nil
	assertionSig *etree.Element // ds:Signature child of the Assertion, or nil
}

// inspectStructure refuses every document shape that signature-wrapping
// attacks rely on before any signature is checked:
//   - the root must be samlp:Response and no other Response may appear
//     anywhere (XSW1, XSW2 hide a copy of the signed Response);
//   - EncryptedAssertion/EncryptedAttribute/EncryptedID are refused (we hold
//     no decryption key);
//   - there must be exactly one saml:Assertion in the whole document, and it
//     must be a direct child of the Response (XSW3–XSW8 add a second,
//     forged or displaced one; CVE-2022-41912 in crewjam/saml read the
//     unsigned one of two);
//   - no two elements may share an ID value (XML-DSig resolves a Reference
//     by ID, so duplicates let the verifier and the reader pick different
//     elements);
//   - ds:Signature may appear only as a direct child of the Response or of
//     the Assertion, at most once each.
func inspectStructure(root *etree.Element) (*structure, *ValidationError) {
	if err := checkNamespaces(root); err != nil {
		return nil, fail(ReasonMalformed, err, "")
	}
	if !is(root, nsProtocol, "Response") {
		return nil, fail(ReasonMalformed, nil, "root element is <%s>, want samlp:Response", root.Tag)
	}
	st := &structure{response: root, responseID: idOf(root)}

	var (
		assertions []*etree.Element
		signatures []*etree.Element
		nested     *etree.Element
		encrypted  *etree.Element
		ids        = map[string]int{}
	)
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		if id, ok := attr(el, "ID"); ok {
			ids[id]++
		}
		for _, c := range el.ChildElements() {
			switch {
			case is(c, nsProtocol, "Response") && nested == nil:
				nested = c
			case is(c, nsAssertion, "Assertion"):
				assertions = append(assertions, c)
			case (is(c, nsAssertion, "EncryptedAssertion") || is(c, nsAssertion, "EncryptedAttribute") || is(c, nsAssertion, "EncryptedID")) && encrypted == nil:
				encrypted = c
			case is(c, nsDSig, "Signature"):
				signatures = append(signatures, c)
			}
			walk(c)
		}
	}
	walk(root)

	if nested != nil {
		return nil, fail(ReasonWrapping, nil, "a second Response is nested inside <%s>", nested.Parent().Tag)
	}
	for _, a := range assertions {
		if a.Parent() != root {
			return nil, fail(ReasonWrapping, nil, "an Assertion is nested inside <%s>", a.Parent().Tag)
		}
	}
	if encrypted != nil {
		return nil, fail(ReasonEncryptedAssertion, nil, "<%s> is not supported; turn off assertion encryption at the IdP", encrypted.Tag)
	}
	switch len(assertions) {
	case 0:
		if code, ok := statusCode(root); ok && code != statusSuccess {
			return nil, fail(ReasonStatus, nil, "IdP status %s", statusDetail(root))
		}
		return nil, fail(ReasonNoAssertion, nil, "the Response contains no Assertion")
	case 1:
	default:
		return nil, fail(ReasonMultipleAssertions, nil, "the Response contains %d Assertions", len(assertions))
	}
	st.assertion = assertions[0]
	st.assertionID = idOf(st.assertion)
	if st.responseID == "" || st.assertionID == "" {
		return nil, fail(ReasonMalformed, nil, "Response and Assertion must both have an ID")
	}
	for id, n := range ids {
		if n > 1 {
			return nil, fail(ReasonWrapping, nil, "ID %s appears %d times", quote(id), n)
		}
	}
	for _, s := range signatures {
		switch s.Parent() {
		case root:
			if st.responseSig != nil {
				return nil, fail(ReasonWrapping, nil, "the Response has more than one Signature")
			}
			st.responseSig = s
		case st.assertion:
			if st.assertionSig != nil {
				return nil, fail(ReasonWrapping, nil, "the Assertion has more than one Signature")
			}
			st.assertionSig = s
		default:
			return nil, fail(ReasonWrapping, nil, "a Signature is nested inside <%s>", s.Parent().Tag)
		}
	}
	return st, nil
}

// idOf returns the unqualified ID attribute.
func idOf(el *etree.Element) string {
	if el == nil {
		return ""
	}
	v, _ := attr(el, "ID")
	return v
}

// statusCode returns the top-level StatusCode Value of a Response.
func statusCode(resp *etree.Element) (string, bool) {
	status, n := oneChild(resp, nsProtocol, "Status")
	if n != 1 {
		return "", false
	}
	code, n := oneChild(status, nsProtocol, "StatusCode")
	if n != 1 {
		return "", false
	}
	v, ok := attr(code, "Value")
	return v, ok
}

// statusDetail renders top-level and second-level status codes and the
// StatusMessage (quoted and truncated) for an administrator.
func statusDetail(resp *etree.Element) string {
	var parts []string
	if status, n := oneChild(resp, nsProtocol, "Status"); n == 1 {
		if code, n := oneChild(status, nsProtocol, "StatusCode"); n == 1 {
			v, _ := attr(code, "Value")
			parts = append(parts, quote(v))
			if sub, n := oneChild(code, nsProtocol, "StatusCode"); n == 1 {
				v, _ := attr(sub, "Value")
				parts = append(parts, quote(v))
			}
		}
		if msg, n := oneChild(status, nsProtocol, "StatusMessage"); n == 1 {
			if t, err := textOf(msg); err == nil && strings.TrimSpace(t) != "" {
				parts = append(parts, "message "+quote(strings.TrimSpace(t)))
			}
		}
	}
	if len(parts) == 0 {
		return "missing"
	}
	return strings.Join(parts, " / ")
}
