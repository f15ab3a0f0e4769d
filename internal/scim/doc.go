// Package scim is roster's SCIM 2.0 service provider (RFC 7643, RFC 7644)
// under /scim/v2: the edge through which Okta and Microsoft Entra ID
// provision the users and groups of one organization each.
//
// It owns the protocol and nothing else: authentication goes through the
// auth seam (a SCIM token names the organization; another organization's
// ids answer 404), resources are translated to and from the directory's
// records, and every rule about those records — ids, userName uniqueness,
// what a racing PUT or PATCH does, what deactivation ends — is the
// directory service's. Filters compile to the store's query vocabulary
// (subpackage filter), PATCH is applied in memory against the resource's
// schema (subpackages patch and schema), and Okta's and Entra's known
// quirks are tolerated here, each tested with the requests they really
// send (testdata, docs/compatibility.md).
//
// Errors are RFC 7644 §3.12 error JSON with the right status and scimType;
// an internal failure answers 500 with nothing internal in it.
package scim
