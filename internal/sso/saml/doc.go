// Package saml is roster's SAML 2.0 service-provider core: every customer
// organization is its own SP, and its members sign in through Okta or
// Microsoft Entra ID. The package is protocol logic only; HTTP handlers,
// sessions and storage live elsewhere and reach storage through the small
// ReplayCache interface defined here.
//
// XML signature verification is never done by hand: it is delegated to
// github.com/russellhaering/goxmldsig (v1.6.1), and gosaml2 (v0.12.0)
// supplies the AuthnRequest builder, the response data types and a final
// validation gate. roster wraps them in a stricter, fail-closed policy.
//
// # API
//
//	ParseIdPMetadata(data []byte) (IdPMetadata, error)
//	SPMetadata(cfg SPConfig) ([]byte, error)
//	(*SPConfig).Check() error
//	NewAuthnRequest(cfg SPConfig, now time.Time) (AuthnRequest, error)
//	Validate(ctx, cfg SPConfig, samlResponse string, expect Expectation, replay ReplayCache) (*Assertion, error)
//	ReasonOf(err error) (Reason, bool);  Reason.Message() string
//
// Errors: Validate returns only *ValidationError{Reason, Detail, Err};
// ParseIdPMetadata returns *MetadataError{Problem, Detail, Err}; SPConfig
// problems wrap ErrInvalidConfig; NewAuthnRequest may return
// ErrSignedRequestsRequired or ErrNoRedirectBinding. Show users
// Reason.Message(); log Error().
//
// # Typical flow
//
// Setup: the administrator uploads IdP metadata (store the raw bytes, parse
// with ParseIdPMetadata on load) and gives the IdP our SPMetadata.
//
// SP-initiated: NewAuthnRequest returns an ID, an opaque RelayState and the
// redirect URL. Store {RelayState → ID, browser binding, expiry}
// server-side, redirect the browser. At the ACS, look the state up by the
// posted RelayState, delete it (single use), and call Validate with
// Expectation{InResponseTo: ID}.
//
// IdP-initiated: when no state matches, call Validate with an empty
// Expectation; it succeeds only if SPConfig.AllowIdPInitiated is set.
//
// # Validation policy (Validate), in order; every failure is fatal
//
//  1. Configuration: SPConfig.Check must pass and a ReplayCache must be
//     given (ReasonConfig). An empty Expectation with AllowIdPInitiated off
//     is refused before any parsing (ReasonIdPInitiatedDisabled).
//  2. Input: at most MaxResponseSize (256 KiB) of base64 (ReasonTooLarge);
//     strict standard base64, CR/LF allowed (ReasonEncoding); no DEFLATE
//     (the POST binding does not use it). The XML must contain no DOCTYPE
//     or ENTITY declaration (ReasonDTD: billion laughs, XXE), no processing
//     instructions, only UTF-8, at most 800 elements and depth 32
//     (ReasonTooLarge), must survive mattermost/xml-roundtrip-validator, and
//     must have no duplicate attributes or undeclared prefixes
//     (ReasonMalformed).
//  3. Structure (before any cryptography): root samlp:Response; no nested
//     Response; exactly one saml:Assertion in the whole document, as a
//     direct child of the Response (ReasonNoAssertion,
//     ReasonMultipleAssertions, ReasonWrapping); EncryptedAssertion,
//     EncryptedAttribute and EncryptedID are refused — roster holds no SP
//     decryption key (ReasonEncryptedAssertion); no two elements share an
//     ID; ds:Signature only as a direct child of the Response or the
//     Assertion, at most one each (ReasonWrapping). A Response without an
//     assertion but with a failure status reports ReasonStatus.
//  4. Signature presence: at least one signature (ReasonUnsigned).
//     WantAssertionsSigned=true requires the Assertion's own signature
//     (ReasonAssertionNotSigned); false accepts a signature over the
//     Response or over the Assertion. Every signature present must verify.
//  5. Signature shape and algorithms: SignedInfo with exclusive c14n
//     (without comments), exactly one Reference whose URI is "#" + the ID of
//     the signature's parent, transforms exactly enveloped-signature +
//     exclusive c14n, no ds:Object or other extra children. Signature
//     methods RSA-SHA256/384/512; digests SHA-256/384/512. RSA-SHA1 and
//     SHA-1 digests only with AllowSHA1 (ReasonSHA1). ECDSA is refused:
//     goxmldsig v1.6.1 signs and verifies ECDSA as ASN.1 DER, whereas
//     XML-DSig (RFC 4050/6931) uses raw r||s, so it would not interoperate;
//     metadata with EC keys is refused too. Anything else:
//     ReasonUnsupportedAlgorithm.
//  6. Keys: only certificates from the IdP metadata are trusted. A
//     certificate in KeyInfo merely selects among them and must equal one
//     of them byte for byte (ReasonUntrustedKey); goxmldsig then verifies
//     with the metadata copy. Without KeyInfo every metadata certificate is
//     tried (rollover). The certificate must be within its validity period
//     (goxmldsig's rule; ReasonCertificateExpired). Bad digest or signature:
//     ReasonSignature.
//  7. Verified content only: goxmldsig returns a new element parsed from the
//     exact canonical bytes the digest covered. When the Response is signed,
//     its verified copy is used and the assertion is taken from inside it
//     (and verified again if it carries its own signature); otherwise the
//     assertion's verified copy is used. Every value returned, and every
//     assertion-level check, reads that copy — never the raw document —
//     which, with step 3, defeats XSW1–XSW8. Text is the concatenation of
//     all text nodes (comments are gone after c14n), so NameID comment
//     injection yields the full, genuine NameID.
//  8. Response envelope (verified copy when signed): Version 2.0,
//     IssueInstant present; exactly one Issuer equal to the IdP entity ID
//     (ReasonIssuer); Destination equal to ACSURL when present and required
//     when the Response is signed (SAML bindings §3.5.5.2;
//     ReasonDestination); StatusCode Success (ReasonStatus); InResponseTo,
//     if present, equal to the expected request ID, and absent for
//     IdP-initiated logins (ReasonInResponseTo).
//  9. Assertion: Version 2.0; IssueInstant not beyond now+skew
//     (ReasonNotYetValid); Issuer equal to the IdP entity ID (Format absent
//     or entity); exactly one Subject with exactly one non-empty NameID
//     (trimmed), whose Format must equal SPConfig.NameIDFormat when that is
//     set to something other than unspecified (ReasonNameID); exactly one
//     SubjectConfirmation, Method bearer (ReasonSubjectConfirmation), with
//     SubjectConfirmationData Recipient equal to ACSURL (ReasonRecipient),
//     NotOnOrAfter required and not passed (ReasonExpired), NotBefore (which
//     the profile forbids) honoured if present, and InResponseTo equal to the
//     expected request ID — required for SP-initiated, forbidden for
//     IdP-initiated (ReasonInResponseTo); exactly one Conditions with
//     NotBefore and NotOnOrAfter (both required) honoured with skew
//     (ReasonNotYetValid, ReasonExpired), at least one AudienceRestriction,
//     each naming our EntityID (ReasonAudience — gosaml2 alone accepts an
//     assertion without any), OneTimeUse and ProxyRestriction tolerated,
//     any other condition refused (ReasonConditions, SAML core §2.5.1);
//     exactly one AuthnStatement with AuthnInstant (ReasonNoAuthnStatement),
//     SessionNotOnOrAfter honoured if present. Clock skew defaults to 90s
//     (DefaultClockSkew), at most 10 minutes; a time T is "not passed" when
//     now-skew < T and "reached" when T <= now+skew.
//  10. gosaml2 gate: the verified content is decoded into gosaml2's types and
//     run through SAMLServiceProvider.Validate and VerifyAssertionConditions
//     (NotInAudience is an error). roster is therefore never looser than
//     gosaml2. RetrieveAssertionInfo is not used because it reports
//     audience/time problems only as warnings and has no clock skew; its
//     InvalidTime warning is replaced by step 9.
//  11. Replay: the assertion ID is recorded with ReplayCache.Remember until
//     the later of the two NotOnOrAfter instants plus skew (after which the
//     assertion is refused as expired anyway). A second use is ReasonReplay;
//     a cache error is ReasonReplayCheckFailed (fail closed). Nothing is
//     recorded for refused responses.
//
// # Metadata
//
// ParseIdPMetadata accepts an EntityDescriptor (or an EntitiesDescriptor
// with exactly one IdP) of at most MaxMetadataSize, without DTD, reads the
// single SAML 2.0 IDPSSODescriptor (ignoring Entra's WS-Federation
// RoleDescriptors), its HTTP-Redirect and HTTP-POST SSO endpoints (https, or
// http on loopback), WantAuthnRequestsSigned, NameIDFormats, and every
// X509Certificate of KeyDescriptors whose use is "signing" or absent (up to
// 8, RSA ≥ 2048 bits). The metadata's own signature is not verified: the
// upload or HTTPS fetch is the trust anchor.
//
// SPMetadata publishes AuthnRequestsSigned="false", WantAssertionsSigned as
// configured, the NameIDFormat and one HTTP-POST AssertionConsumerService;
// no KeyDescriptor, because roster neither signs requests nor decrypts.
//
// # Not supported (deliberately)
//
// Encrypted assertions/attributes/NameIDs, signed AuthnRequests (an IdP
// demanding them makes NewAuthnRequest fail), ECDSA keys, Single Logout,
// the Artifact binding, and aggregated federation metadata.
package saml
