// Package sso is roster's single sign-on domain: every organization is its
// own SAML service provider, and its members sign in through Okta or
// Microsoft Entra ID and get what their groups grant. The protocol itself —
// metadata, AuthnRequests, and the fail-closed validation of responses —
// lives in package sso/saml; the browser-facing HTTP edge (routes,
// cookies, pages) lives in package signin, which calls Service only. This
// package owns the rules and is the only one that calls the store for
// them, through the Store interface it declares.
//
// # Configuration
//
// An organization's configuration holds the IdP metadata (uploaded, or
// fetched from a URL and refreshed by Run), the sign-in settings and the
// base URL its SP URLs (entity id, ACS URL) were derived from when its IdP
// was set up, so that what the IdP was given cannot drift from what
// responses are validated against (Service.URLs). SSO needs the enterprise
// plan; the check is access's (PlanGuard).
//
// # Binding a response to the browser that asked for it
//
// Begin stores {RequestID, browser hash, return path, expiry} under the
// SHA-256 of the random RelayState; the browser-binding secret (256 random
// bits) lives in a cookie and only its hash is stored. Resume takes
// (deletes) the state by RelayState — each request is answered at most
// once — and requires the binding secret to match; its request ID is the
// expected InResponseTo. A response whose RelayState matches no state is
// validated as IdP-initiated, which the organization must have enabled and
// which must answer no request.
//
// # Replay
//
// Validate records each assertion id through a saml.ReplayCache backed by
// the store's saml_assertions table, keyed by (organization, assertion id)
// and kept until the assertion expires; the insert is atomic, so a response
// is accepted once across every instance sharing the database. Expired rows
// are purged by Run.
//
// # Linking
//
// The subject value is the NameID, or the attribute the organization names
// (Entra's objectidentifier claim, an Okta user id). Link matches it
// against the user's userName ignoring case (the store's folded key) or
// against externalId exactly. Unknown users are refused — or created, when
// the organization turned on just-in-time provisioning — and deactivated
// users are refused. Refusals are *Refusal values with a stable reason
// code. A successful sign-in then joins the workspaces the user's groups
// grant (Joiner: access.Service.JoinGranted).
//
// # Hand-off to the host app
//
// When the organization (or the instance, DefaultRedirectURL) has a
// sign-in redirect URL, a completed sign-in ends there with a one-time
// code and the state the host app passed to the login URL (CheckState
// bounds it). HandOff stores only the code's SHA-256, for HandoffTTL;
// Redeem takes the code (at most once) for the organization whose API key
// asks, and answers the person as the directory has them now, with their
// groups and what the sign-in joined. Without a redirect URL the member
// page lists what the member reaches (Places) and joins at a click (Join).
//
// # Test sign-in
//
// An owner checks the IdP setup from the console with a Test sign-in:
// BeginTest records an SP-initiated request marked as a test; its
// response is validated as any other and matched to its user without
// creating anyone (FinishTest), and the result — what the IdP sent, the
// user matched, or the refusal's reason — is kept for TestResultTTL for
// the organization's console (TestResult). A test starts no session,
// hands nothing to the host app and writes no sign-in log entry.
//
// # Discovery
//
// Organizations verify e-mail domains (AddDomain; one organization per
// domain, the store's primary key), and Discover maps an address to the
// organization whose sign-in it should use.
//
// # Sessions
//
// A session is 256 random bits (NewToken) held by the browser; the store
// keeps only its SHA-256. It has an idle and an absolute timeout (the IdP's
// SessionNotOnOrAfter caps the latter). Every use reads the session
// together with its user's active flag, and the store deletes a user's
// sessions in the transaction that deactivates or deletes them, so a
// session never outlives deactivation.
//
// # Audit
//
// Configuration changes ("sso.idp_metadata_set", "sso.settings_changed"),
// sign-ins ("sso.signed_in") and logouts ("sso.signed_out") are events
// written by the store in the transaction of the change. Refusals are
// anonymous and can be made at will, so they are aggregated: the first of
// a reason per organization and RefusalWindow is an event
// ("sso.sign_in_refused"), the rest are counted and summed up by one
// "sso.sign_in_refused_summary" when the window ends (FlushRefusals), and
// the sign-in log keeps the detail of successes and of the first
// RefusalDetailPerWindow refusals of a window, expiring old entries
// (PurgeSignInLog). Metrics counts every attempt for Prometheus. Pending
// login requests are capped per organization (MaxPendingRequests).
// Assertions are never logged.
package sso
