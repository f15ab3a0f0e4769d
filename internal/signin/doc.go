// Package signin is roster's browser-facing single sign-on edge: the SAML
// service provider's HTTP routes, the session and browser-binding cookies,
// the pages a person sees when sign-in is refused, and /scim/v2/Me. It
// translates HTTP to calls of the sso domain (sso.Service) and back, and
// holds no rule and no store of its own: what a sign-in checks, records and
// refuses is decided in package sso.
//
// # Routes
//
//	GET  /auth/saml/{org}/metadata  SP metadata; its URL is also the SP entity id
//	GET  /auth/saml/{org}/login     SP-initiated sign-in (?state=… for the host app, ?return_to=/local/path)
//	POST /auth/saml/{org}/acs       Assertion Consumer Service, HTTP-POST binding
//	GET  /auth/saml/discover        the organization of ?email= or ?domain=; a form without
//	GET  /auth/member               the member page: what the member reaches, Join buttons
//	POST /auth/member/join          joins one (http.CrossOriginProtection and a form token)
//	GET  /auth/whoami               200 {userName, organization} or 401
//	POST /auth/logout               ends the session (http.CrossOriginProtection)
//
// plus MeHandler for the SCIM surface's /scim/v2/Me.
//
// # Cookies
//
// The IdP's response arrives as a cross-site POST, which carries the
// RelayState but not SameSite=Lax cookies, so the browser-binding cookie is
// SameSite=None; Secure over HTTPS. The session cookie is HttpOnly,
// SameSite=Lax, and Secure and __Host- prefixed over HTTPS. Return paths
// are accepted only when they are local paths (SafeReturnPath), and an
// organization with a sign-in redirect URL is handed off there and
// nowhere else, so sign-in is never an open redirect.
//
// # Pages
//
// A refused sign-in shows why (the reason's sentence, never values from the
// request), its stable reason code for administrators (docs/saml.md) and
// the organization's admins to ask. Pages are served with a strict Content
// Security Policy and are never cached or framed.
package signin
