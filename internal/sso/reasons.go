package sso

import (
	"sort"

	"github.com/rosterhq/roster/internal/sso/saml"
)

// ReasonMessage is the sentence a refused person is shown for a reason
// code: this package's reasons in its own words, saml's in theirs. It
// never contains values from the request.
func ReasonMessage(reason string) string {
	switch reason {
	case ReasonOtherBrowser:
		return "This sign-in was started in a different browser. Start again from this browser."
	case ReasonUnknownUser:
		return "Your identity provider signed you in, but your account has not been provisioned to roster for this organization."
	case ReasonDeactivated:
		return "Your account in this organization is deactivated."
	case ReasonAmbiguous:
		return "Your identity matches more than one account in this organization, so roster cannot tell which one is yours."
	case ReasonNoSubject:
		return "The identity provider did not send the attribute this organization uses to identify users."
	}
	return saml.Reason(reason).Message()
}

// reasonFixes say, for an administrator, what to change so that a refused
// sign-in succeeds: docs/saml.md's Troubleshooting table, in the words of
// the console (where the settings named are on the SAML page).
var reasonFixes = map[string]string{
	ReasonUnknownUser: "Assign the person (or their group) to the SCIM app in Okta or Entra and push, and check that the NameID the identity provider sends equals the userName SCIM provisioned (or the link attribute equals externalId). " +
		"Or turn on just-in-time creation in the SAML page's sign-in settings.",
	ReasonDeactivated:                       "Reactivate the person in the identity provider: SCIM then pushes active=true.",
	ReasonAmbiguous:                         "Two users share the value the sign-in is matched by (an externalId), or a just-in-time user would clash with an existing userName: fix the duplicate in the identity provider.",
	ReasonNoSubject:                         "Add the attribute statement (Okta) or claim (Entra) named as the attribute that carries the identity in the SAML page's sign-in settings, with exactly one value — or clear that setting to match by NameID.",
	ReasonOtherBrowser:                      "Start and finish the sign-in in one browser. Over plain http browsers may drop roster's binding cookie: serve roster over https.",
	string(saml.ReasonIdPInitiatedDisabled): "Allow sign-ins started at the identity provider in the SAML page's sign-in settings, or start from roster's sign-on URL. Also seen when a sign-in started at roster took longer than 10 minutes or its answer was posted twice: sign in again.",
	"sp_initiated_disabled":                 "Allow sign-ins started from the app in the SAML page's sign-in settings.",
	string(saml.ReasonInResponseTo):         "Sign in again; an identity-provider-initiated response must carry no InResponseTo.",
	string(saml.ReasonUnsigned):             "Have the identity provider sign its responses. Okta: Assertion Signature = Signed. Entra: Signing option “Sign SAML response and assertion”.",
	string(saml.ReasonAssertionNotSigned):   "Okta: Assertion Signature = Signed. Entra: Signing option “Sign SAML assertion”. Or turn off “The assertion itself must be signed” in the SAML page's settings.",
	string(saml.ReasonSHA1):                 "Set the signing algorithm to SHA-256 in the identity provider (only for a legacy one, accept RSA-SHA1 in the SAML page's settings).",
	string(saml.ReasonUnsupportedAlgorithm): "Sign with RSA and SHA-256; ECDSA keys are not supported.",
	string(saml.ReasonUntrustedKey):         "The identity provider signs with a certificate roster does not have (it rotated its certificate, or the metadata is another app's): upload fresh metadata on the SAML page, or give its metadata URL.",
	string(saml.ReasonSignature):            "The response was changed after it was signed, or signed with a key roster does not know: upload fresh metadata on the SAML page. If it persists, someone may be forging responses.",
	string(saml.ReasonCertificateExpired):   "Activate the new signing certificate in the identity provider and upload fresh metadata on the SAML page.",
	string(saml.ReasonAudience):             "The Audience URI (Okta) or Identifier (Entra) must be roster's Entity ID exactly, as the SAML page shows it.",
	string(saml.ReasonRecipient):            "The Single sign-on URL (Okta) or Reply URL (Entra) must be roster's Assertion Consumer Service URL exactly (scheme, host, path, no trailing slash).",
	string(saml.ReasonDestination):          "The Single sign-on URL (Okta) or Reply URL (Entra) must be roster's Assertion Consumer Service URL exactly (scheme, host, path, no trailing slash).",
	string(saml.ReasonIssuer):               "The metadata roster has is from another app or tenant: upload this app's metadata on the SAML page.",
	string(saml.ReasonExpired):              "The clocks of roster and the identity provider differ by more than 90 seconds (fix NTP on roster's host), or an old browser tab posted again: sign in again.",
	string(saml.ReasonNotYetValid):          "The clocks of roster and the identity provider differ by more than 90 seconds: fix NTP on roster's host.",
	string(saml.ReasonReplay):               "The browser posted the same answer twice (the back button): sign in again.",
	string(saml.ReasonEncryptedAssertion):   "Turn assertion encryption off. Okta: Assertion Encryption = Unencrypted. Entra: no token encryption certificate.",
	string(saml.ReasonStatus):               "The identity provider refused the sign-in itself: its sign-in log says why (the person is not assigned to the app, or MFA failed).",
	string(saml.ReasonNameID):               "Send a NameID of the format the SAML page's settings request (Okta: Name ID format; Entra: Unique User Identifier's name identifier format).",
	string(saml.ReasonMultipleAssertions):   "Not produced by a correctly configured Okta or Entra: the detail says what was wrong. Repeated ones may be forgery attempts.",
	string(saml.ReasonWrapping):             "Not produced by a correctly configured Okta or Entra: the detail says what was wrong. Repeated ones may be forgery attempts.",
	string(saml.ReasonDTD):                  "Not produced by a correctly configured Okta or Entra: the detail says what was wrong. Repeated ones may be forgery attempts.",
	string(saml.ReasonMalformed):            "Not produced by a correctly configured Okta or Entra: the detail says what was wrong. Repeated ones may be forgery attempts.",
	string(saml.ReasonEncoding):             "Not produced by a correctly configured Okta or Entra: the detail says what was wrong. Repeated ones may be forgery attempts.",
	string(saml.ReasonTooLarge):             "Not produced by a correctly configured Okta or Entra: the detail says what was wrong. Repeated ones may be forgery attempts.",
	string(saml.ReasonNoAssertion):          "The identity provider answered without an assertion: check its sign-in log for the person.",
	string(saml.ReasonSubjectConfirmation):  "Not produced by a correctly configured Okta or Entra: check the app's SAML settings against the values on the SAML page.",
	string(saml.ReasonConditions):           "Remove the unusual conditions (such as a proxy restriction) from the app's SAML settings in the identity provider.",
	string(saml.ReasonNoAuthnStatement):     "Not produced by a correctly configured Okta or Entra: check the app's SAML settings against the values on the SAML page.",
	string(saml.ReasonConfig):               "Upload the identity provider's metadata on the SAML page.",
	"not_configured":                        "Upload the identity provider's metadata on the SAML page.",
	string(saml.ReasonReplayCheckFailed):    "roster's database was unavailable for a moment: sign in again.",
	"bad_state":                             "The host app passed a state longer than 512 characters or with characters other than letters, digits and - . _ ~: use base64url or hex.",
	"busy":                                  "5,000 sign-ins of the organization are in flight (a client is looping on the sign-in URL); they expire after 10 minutes.",
}

// ReasonFix says what an administrator changes so that sign-ins refused
// for the reason succeed; "" for a code it does not know.
func ReasonFix(reason string) string { return reasonFixes[reason] }

// Reasons lists the refusal codes ReasonFix knows, sorted: the choices of
// a filter.
func Reasons() []string {
	out := make([]string, 0, len(reasonFixes))
	for r := range reasonFixes {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}
