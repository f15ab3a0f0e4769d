package saml

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Reason is a stable, machine-readable code saying why Validate refused a
// SAML response. HTTP handlers branch on it to pick an explanation page and a
// metrics label; the values never change meaning once released.
type Reason string

// Reasons returned in ValidationError.Reason. Each names one policy rule from
// doc.go so that an administrator can be told what to fix on the IdP side
// without the page echoing library internals.
const (
	// ReasonConfig: the SPConfig or the ReplayCache handed to Validate is
	// unusable (a programming or setup error on our side, not the IdP's).
	ReasonConfig Reason = "config"
	// ReasonTooLarge: the encoded response or its XML exceeds our bounds.
	ReasonTooLarge Reason = "too_large"
	// ReasonEncoding: SAMLResponse is not strict standard base64.
	ReasonEncoding Reason = "bad_encoding"
	// ReasonDTD: the XML contains a DOCTYPE/ENTITY declaration.
	ReasonDTD Reason = "dtd_forbidden"
	// ReasonMalformed: not well-formed XML, unstable under an encoding/xml
	// round trip, not a SAML 2.0 Response, or a required element/attribute is
	// missing or unparsable.
	ReasonMalformed Reason = "malformed"
	// ReasonWrapping: the document has a shape that only signature-wrapping
	// attacks produce (nested Response, Assertion outside its place,
	// duplicate IDs, Signature in an unexpected place or with extra content).
	ReasonWrapping Reason = "unexpected_structure"
	// ReasonNoAssertion: the Response carries no Assertion.
	ReasonNoAssertion Reason = "no_assertion"
	// ReasonMultipleAssertions: the Response carries more than one Assertion.
	ReasonMultipleAssertions Reason = "multiple_assertions"
	// ReasonEncryptedAssertion: an EncryptedAssertion (or EncryptedAttribute)
	// is present; roster's SPs have no decryption key, so these are refused.
	ReasonEncryptedAssertion Reason = "encrypted_assertion"
	// ReasonUnsigned: neither the Response nor the Assertion is signed.
	ReasonUnsigned Reason = "unsigned"
	// ReasonAssertionNotSigned: WantAssertionsSigned is true but only the
	// Response envelope is signed.
	ReasonAssertionNotSigned Reason = "assertion_not_signed"
	// ReasonUnsupportedAlgorithm: a signature, digest, canonicalization or
	// transform algorithm outside the allow-list.
	ReasonUnsupportedAlgorithm Reason = "unsupported_algorithm"
	// ReasonSHA1: an RSA-SHA1 signature or SHA-1 digest while AllowSHA1 is off.
	ReasonSHA1 Reason = "sha1_forbidden"
	// ReasonUntrustedKey: the certificate in the signature's KeyInfo is not one
	// of the signing certificates in the IdP metadata.
	ReasonUntrustedKey Reason = "untrusted_key"
	// ReasonCertificateExpired: the only metadata certificate(s) that could
	// have made the signature are outside their validity period.
	ReasonCertificateExpired Reason = "certificate_expired"
	// ReasonSignature: the signature does not verify (tampered content or a
	// key that is not in the metadata).
	ReasonSignature Reason = "bad_signature"
	// ReasonStatus: the IdP answered with a non-Success status.
	ReasonStatus Reason = "status_not_success"
	// ReasonDestination: Response Destination is not our ACS URL, or is
	// missing on a signed Response.
	ReasonDestination Reason = "wrong_destination"
	// ReasonIssuer: Response or Assertion Issuer is not the IdP entity ID.
	ReasonIssuer Reason = "wrong_issuer"
	// ReasonSubjectConfirmation: no single bearer SubjectConfirmation.
	ReasonSubjectConfirmation Reason = "bad_subject_confirmation"
	// ReasonRecipient: SubjectConfirmationData Recipient is not our ACS URL.
	ReasonRecipient Reason = "wrong_recipient"
	// ReasonInResponseTo: InResponseTo does not match the request we sent
	// (or is present on an unsolicited response).
	ReasonInResponseTo Reason = "in_response_to_mismatch"
	// ReasonIdPInitiatedDisabled: an unsolicited response arrived but the
	// organization has not enabled IdP-initiated sign-in.
	ReasonIdPInitiatedDisabled Reason = "idp_initiated_disabled"
	// ReasonNotYetValid: a NotBefore/IssueInstant lies beyond the clock skew
	// in the future.
	ReasonNotYetValid Reason = "not_yet_valid"
	// ReasonExpired: a NotOnOrAfter lies beyond the clock skew in the past.
	ReasonExpired Reason = "expired"
	// ReasonAudience: no AudienceRestriction, or one that does not name our
	// SP entity ID.
	ReasonAudience Reason = "wrong_audience"
	// ReasonConditions: Conditions missing, or containing a condition we do
	// not understand (SAML core §2.5.1.1 says such an assertion is invalid).
	ReasonConditions Reason = "unsupported_condition"
	// ReasonNoAuthnStatement: the Assertion has no (or several)
	// AuthnStatement.
	ReasonNoAuthnStatement Reason = "no_authn_statement"
	// ReasonNameID: NameID missing, empty, encrypted, or of a format other
	// than the one configured.
	ReasonNameID Reason = "bad_name_id"
	// ReasonReplay: this assertion ID has already been consumed.
	ReasonReplay Reason = "replayed"
	// ReasonReplayCheckFailed: the ReplayCache returned an error; the login
	// is refused because freshness could not be established (retryable).
	ReasonReplayCheckFailed Reason = "replay_check_failed"
)

// Message returns a short English sentence describing the reason for an
// organization administrator. It never contains values from the request, so
// it is safe to show to anyone.
func (r Reason) Message() string {
	switch r {
	case ReasonConfig:
		return "Single sign-on is not configured correctly for this organization."
	case ReasonTooLarge:
		return "The SAML response is too large."
	case ReasonEncoding:
		return "The SAML response is not valid base64."
	case ReasonDTD:
		return "The SAML response contains a DTD, which is not allowed."
	case ReasonMalformed:
		return "The SAML response is malformed or incomplete."
	case ReasonWrapping:
		return "The SAML response has an unexpected structure and was rejected as a possible forgery."
	case ReasonNoAssertion:
		return "The SAML response contains no assertion."
	case ReasonMultipleAssertions:
		return "The SAML response contains more than one assertion."
	case ReasonEncryptedAssertion:
		return "The identity provider encrypted the assertion; disable assertion encryption for this application."
	case ReasonUnsigned:
		return "The SAML response is not signed."
	case ReasonAssertionNotSigned:
		return "The assertion must be signed; configure the identity provider to sign the assertion."
	case ReasonUnsupportedAlgorithm:
		return "The SAML response uses an unsupported signature algorithm; use RSA-SHA256."
	case ReasonSHA1:
		return "The SAML response is signed with SHA-1; configure the identity provider to use SHA-256."
	case ReasonUntrustedKey:
		return "The SAML response was signed with a certificate that is not in the identity provider metadata."
	case ReasonCertificateExpired:
		return "The identity provider's signing certificate has expired; upload fresh metadata."
	case ReasonSignature:
		return "The SAML response signature is invalid."
	case ReasonStatus:
		return "The identity provider reported that sign-in failed."
	case ReasonDestination:
		return "The SAML response was addressed to a different service provider URL."
	case ReasonIssuer:
		return "The SAML response was issued by an unexpected identity provider."
	case ReasonSubjectConfirmation:
		return "The SAML assertion lacks a bearer subject confirmation."
	case ReasonRecipient:
		return "The SAML assertion was issued for a different service provider URL."
	case ReasonInResponseTo:
		return "The SAML response does not answer the sign-in request of this browser."
	case ReasonIdPInitiatedDisabled:
		return "Sign-in started at the identity provider is disabled for this organization."
	case ReasonNotYetValid:
		return "The SAML assertion is not valid yet; check the clocks."
	case ReasonExpired:
		return "The SAML assertion has expired; try signing in again."
	case ReasonAudience:
		return "The SAML assertion is not addressed to this service provider (audience)."
	case ReasonConditions:
		return "The SAML assertion carries conditions that cannot be honoured."
	case ReasonNoAuthnStatement:
		return "The SAML assertion does not state how the user authenticated."
	case ReasonNameID:
		return "The SAML assertion lacks a usable NameID."
	case ReasonReplay:
		return "This SAML response has already been used; try signing in again."
	case ReasonReplayCheckFailed:
		return "Sign-in could not be completed right now; try again."
	default:
		return "The SAML response was rejected."
	}
}

// ValidationError is the only error type Validate returns. Reason is the
// stable code to branch on; Detail is an English explanation for logs and
// administrator pages (it may quote public identifiers such as entity IDs or
// URLs from the response, truncated, but never keys or library internals);
// Err, when set, is the underlying cause for server logs only.
type ValidationError struct {
	Reason Reason
	Detail string
	Err    error
}

// Error implements error. It includes the wrapped cause, so log it, but show
// users Reason.Message() (or Detail) instead.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("saml: ")
	b.WriteString(string(e.Reason))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying cause so errors.Is/As see through.
func (e *ValidationError) Unwrap() error { return e.Err }

// ReasonOf extracts the Reason from an error returned by Validate. The second
// result is false when err is nil or not a *ValidationError.
func ReasonOf(err error) (Reason, bool) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Reason, true
	}
	return "", false
}

// fail builds a *ValidationError; detail is formatted with args.
func fail(r Reason, cause error, format string, args ...any) *ValidationError {
	return &ValidationError{Reason: r, Detail: fmt.Sprintf(format, args...), Err: cause}
}

// quote renders an attacker-influenced value for inclusion in Detail: at
// most 120 runes, control characters replaced, Go-quoted.
func quote(s string) string {
	const max = 120
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) {
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return fmt.Sprintf("%q", b.String())
}

// MetadataProblem classifies why ParseIdPMetadata refused a document, so the
// console can tell an administrator what to fix.
type MetadataProblem string

// Problems reported in MetadataError.Problem.
const (
	// MetadataTooLarge: the document exceeds MaxMetadataSize.
	MetadataTooLarge MetadataProblem = "too_large"
	// MetadataDTD: the document contains a DOCTYPE/ENTITY declaration.
	MetadataDTD MetadataProblem = "dtd_forbidden"
	// MetadataMalformed: not well-formed XML or not SAML metadata.
	MetadataMalformed MetadataProblem = "malformed"
	// MetadataNotIdP: no (or more than one) SAML 2.0 IDPSSODescriptor.
	MetadataNotIdP MetadataProblem = "not_an_idp"
	// MetadataNoSSO: no usable SingleSignOnService endpoint.
	MetadataNoSSO MetadataProblem = "no_sso_endpoint"
	// MetadataNoSigningCert: no signing certificate is published.
	MetadataNoSigningCert MetadataProblem = "no_signing_certificate"
	// MetadataBadCertificate: a signing certificate does not parse, is not
	// RSA, or its key is shorter than 2048 bits.
	MetadataBadCertificate MetadataProblem = "bad_certificate"
)

// MetadataError is the error type ParseIdPMetadata returns.
type MetadataError struct {
	Problem MetadataProblem
	Detail  string
	Err     error
}

// Error implements error.
func (e *MetadataError) Error() string {
	s := "saml: idp metadata: " + string(e.Problem)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *MetadataError) Unwrap() error { return e.Err }

func metaFail(p MetadataProblem, cause error, format string, args ...any) *MetadataError {
	return &MetadataError{Problem: p, Detail: fmt.Sprintf(format, args...), Err: cause}
}

// Sentinel errors for SPConfig and NewAuthnRequest; test with errors.Is.
var (
	// ErrInvalidConfig wraps every SPConfig.Check failure.
	ErrInvalidConfig = errors.New("saml: invalid SP configuration")
	// ErrNoRedirectBinding: the IdP metadata has no HTTP-Redirect
	// SingleSignOnService, so NewAuthnRequest cannot build a redirect.
	ErrNoRedirectBinding = errors.New("saml: IdP has no HTTP-Redirect SingleSignOnService")
	// ErrSignedRequestsRequired: the IdP demands signed AuthnRequests
	// (WantAuthnRequestsSigned) and roster does not sign them.
	ErrSignedRequestsRequired = errors.New("saml: IdP requires signed AuthnRequests, which roster does not send")
)
