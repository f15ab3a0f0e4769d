// Package authzen is roster's edge for the OpenID AuthZEN Authorization API
// 1.0: it makes roster a Policy Decision Point that any enforcement point
// speaking the standard (an API gateway, an agent gateway, a host app) can
// ask "may this subject do this action on this resource" without custom
// code.
//
// It owns the HTTPS JSON binding of the specification and nothing below it:
//
//   - POST /access/v1/evaluation and POST /access/v1/evaluations (with
//     request-level defaults and the evaluations_semantic options
//     execute_all, deny_on_first_deny and permit_on_first_permit);
//   - POST /access/v1/search/subject, /search/resource and /search/action,
//     paged with opaque tokens bound to the request they were issued for;
//   - GET /.well-known/authzen-configuration, the PDP metadata naming those
//     endpoints.
//
// The answers come from the access resolver (package access), the same
// in-memory index POST /api/v1/check reads, and, for subjects named by
// userName or e-mail, from the directory (package directory); this package
// never touches the store. Requests authenticate with an organization API
// key through the credential seam (package auth), and every id is looked up
// in that key's organization only.
//
// The mapping of roster's model onto AuthZEN's — subject type "user",
// resource types "workspace" and "folder", actions "view", "check" and
// "edit", what a decision's context says, how errors are reported and the
// limits — is documented in docs/authzen.md.
package authzen
