// Package sso is roster's SAML single sign-on surface: every organization is
// its own SAML service provider, and its members sign in through Okta or
// Microsoft Entra ID and get what their groups grant. The protocol itself —
// metadata, AuthnRequests, and the fail-closed validation of responses —
// lives in package sso/saml; this package wires it to HTTP, the store and
// the directory.
//
// # Routes
//
//	GET  /auth/saml/{org}/metadata  SP metadata; its URL is also the SP entity id
//	GET  /auth/saml/{org}/login     SP-initiated sign-in (?return_to=/local/path)
//	POST /auth/saml/{org}/acs       Assertion Consumer Service, HTTP-POST binding
//	GET  /auth/whoami               200 {userName, organization} or 401
//	POST /auth/logout               ends the session (http.CrossOriginProtection)
//
// plus MeHandler for the SCIM surface's /scim/v2/Me.
//
// # Binding a response to the browser that asked for it
//
// An SP-initiated sign-in stores {RequestID, browser hash, return path,
// expiry} in the store under the SHA-256 of the random RelayState, and sets
// a browser-binding cookie (256 random bits; only its hash is stored). The
// IdP's response arrives as a cross-site POST, which carries the RelayState
// but not SameSite=Lax cookies, so the binding cookie is SameSite=None;
// Secure over HTTPS. The ACS takes (deletes) the state by RelayState — each
// request is answered at most once — requires the binding cookie to match,
// and passes the request ID to saml.Validate as the expected InResponseTo.
// A response whose RelayState matches no state is validated as
// IdP-initiated, which the organization must have enabled and which must
// answer no request. Return paths are accepted only when they are local
// paths (SafeReturnPath), so sign-in is never an open redirect.
//
// # Replay
//
// saml.Validate records each assertion id through a ReplayCache backed by
// the store's saml_assertions table, keyed by (organization, assertion id)
// and kept until the assertion expires; the insert is atomic, so a response
// is accepted once across every instance sharing the database. Expired rows
// are purged by Handler.Run.
//
// # Linking
//
// The subject value is the NameID, or the attribute the organization names
// (Entra's objectidentifier claim, an Okta user id). It is matched against
// the user's userName ignoring case (the store's folded key) or against
// externalId exactly. Unknown users are refused — or created, when the
// organization turned on just-in-time provisioning — and deactivated users
// are refused, with a page that names the organization's admins. A
// successful sign-in then joins the workspaces the user's groups grant
// (Joiner).
//
// # Sessions
//
// A session is 256 random bits in a cookie (HttpOnly, SameSite=Lax, Secure
// and __Host- prefixed over HTTPS); the store keeps only its SHA-256. It has
// an idle and an absolute timeout (the IdP's SessionNotOnOrAfter caps the
// latter). Every use reads the session together with its user's active
// flag, and the store deletes a user's sessions in the transaction that
// deactivates or deletes them, so a session never outlives deactivation.
//
// # Audit
//
// Configuration changes ("sso.idp_metadata_set", "sso.settings_changed"),
// sign-ins ("sso.signed_in"), refusals with their reason
// ("sso.sign_in_refused") and logouts ("sso.signed_out") are events written
// by the store in the transaction of the change. Assertions are never
// logged.
package sso
