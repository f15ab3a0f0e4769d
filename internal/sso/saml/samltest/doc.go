// Package samltest is an in-process SAML 2.0 identity provider for tests of
// package saml and of the HTTP handlers built on it.
//
// NewIdP generates RSA-2048 signing keys with self-signed certificates and
// serves Okta-shaped metadata (IdP.Metadata). IdP.Response / ResponseXML
// build a samlp:Response for a given SP and sign it with goxmldsig
// (exclusive c14n, enveloped signature inserted after Issuer), with knobs
// for every field the SP checks: what is signed (assertion, response, both,
// none), SHA-1 vs SHA-256, time window, audience, recipient, destination,
// issuer, InResponseTo, NameID, attributes, status, multiple or extra
// unsigned assertions, a foreign signing key or a foreign certificate in
// KeyInfo.
//
// attacks.go turns genuine signed documents into hostile ones: the eight
// XML Signature Wrapping variants XSW1–XSW8 (as SAML Raider implements the
// catalogue of Somorovsky et al., "On Breaking SAML"), NameID comment
// injection, post-signature tampering, EncryptedAssertion substitution, and
// DTD payloads (billion laughs, external entity).
//
// The package depends on testing and must only be imported from tests.
package samltest
