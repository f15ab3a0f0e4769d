package saml_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

func TestValidateAccepts(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name   string
		cfg    func(*saml.SPConfig)
		opts   func(*samltest.ResponseOptions)
		expect saml.Expectation
		// wantResp/wantAsrt: which signatures Validate must report.
		wantResp, wantAsrt bool
	}{
		{
			name:     "SP-initiated, assertion signed (Entra default)",
			opts:     func(o *samltest.ResponseOptions) { *o = f.spInitiated(samltest.SignAssertion) },
			expect:   saml.Expectation{InResponseTo: requestID},
			wantAsrt: true,
		},
		{
			name:     "SP-initiated, response signed (Okta default)",
			opts:     func(o *samltest.ResponseOptions) { *o = f.spInitiated(samltest.SignResponse) },
			expect:   saml.Expectation{InResponseTo: requestID},
			wantResp: true,
		},
		{
			name:     "SP-initiated, response and assertion signed",
			opts:     func(o *samltest.ResponseOptions) { *o = f.spInitiated(samltest.SignBoth) },
			expect:   saml.Expectation{InResponseTo: requestID},
			wantResp: true, wantAsrt: true,
		},
		{
			name:     "WantAssertionsSigned with assertion signed",
			cfg:      func(c *saml.SPConfig) { c.WantAssertionsSigned = true },
			opts:     func(o *samltest.ResponseOptions) { *o = f.spInitiated(samltest.SignAssertion) },
			expect:   saml.Expectation{InResponseTo: requestID},
			wantAsrt: true,
		},
		{
			name:     "WantAssertionsSigned with both signed",
			cfg:      func(c *saml.SPConfig) { c.WantAssertionsSigned = true },
			opts:     func(o *samltest.ResponseOptions) { *o = f.spInitiated(samltest.SignBoth) },
			expect:   saml.Expectation{InResponseTo: requestID},
			wantResp: true, wantAsrt: true,
		},
		{
			name: "Entra shape: default namespaces, assertion signed",
			opts: func(o *samltest.ResponseOptions) {
				*o = f.spInitiated(samltest.SignAssertion)
				o.DefaultNamespaces = true
				o.NameIDFormat = samltest.FormatEmail
			},
			expect:   saml.Expectation{InResponseTo: requestID},
			wantAsrt: true,
		},
		{
			name: "default namespaces, both signed",
			opts: func(o *samltest.ResponseOptions) {
				*o = f.spInitiated(samltest.SignBoth)
				o.DefaultNamespaces = true
			},
			expect:   saml.Expectation{InResponseTo: requestID},
			wantResp: true, wantAsrt: true,
		},
		{
			name:     "IdP-initiated when allowed",
			opts:     func(o *samltest.ResponseOptions) {},
			wantAsrt: true,
		},
		{
			name:     "IdP-initiated, response signed",
			opts:     func(o *samltest.ResponseOptions) { o.Sign = samltest.SignResponse },
			wantResp: true,
		},
		{
			name:     "rollover: signed by the second metadata certificate",
			opts:     func(o *samltest.ResponseOptions) { o.SignWith = f.idp.Keys[1] },
			wantAsrt: true,
		},
		{
			name:     "rollover: second certificate, no KeyInfo (each metadata certificate is tried)",
			opts:     func(o *samltest.ResponseOptions) { o.SignWith = f.idp.Keys[1]; o.OmitKeyInfo = true },
			wantAsrt: true,
		},
		{
			name:     "no KeyInfo, response signed by the first certificate",
			opts:     func(o *samltest.ResponseOptions) { o.Sign = samltest.SignResponse; o.OmitKeyInfo = true },
			wantResp: true,
		},
		{
			name:     "SHA-1 accepted when AllowSHA1",
			cfg:      func(c *saml.SPConfig) { c.AllowSHA1 = true },
			opts:     func(o *samltest.ResponseOptions) { o.SHA1 = true; o.Sign = samltest.SignBoth },
			wantResp: true, wantAsrt: true,
		},
		{
			name:     "NotBefore 60s ahead is within the default 90s skew",
			opts:     func(o *samltest.ResponseOptions) { o.IssueInstant = testNow.Add(60 * time.Second) },
			wantAsrt: true,
		},
		{
			name: "expired 60s ago is within the default 90s skew",
			opts: func(o *samltest.ResponseOptions) {
				o.IssueInstant = testNow.Add(-5 * time.Minute)
				o.NotOnOrAfter = testNow.Add(-60 * time.Second)
				o.SubjectNotOnOrAfter = testNow.Add(-60 * time.Second)
			},
			wantAsrt: true,
		},
		{
			name:     "custom 5 minute skew accepts a NotBefore 4 minutes ahead",
			cfg:      func(c *saml.SPConfig) { c.ClockSkew = 5 * time.Minute },
			opts:     func(o *samltest.ResponseOptions) { o.IssueInstant = testNow.Add(4 * time.Minute) },
			wantAsrt: true,
		},
		{
			name:     "audience list containing ours among others",
			opts:     func(o *samltest.ResponseOptions) { o.Audiences = []string{"https://other.example", spEntityID} },
			wantAsrt: true,
		},
		{
			name:     "Destination may be omitted when only the assertion is signed",
			opts:     func(o *samltest.ResponseOptions) { o.Destination = samltest.Omit },
			wantAsrt: true,
		},
		{
			name:     "configured NameID format matches",
			cfg:      func(c *saml.SPConfig) { c.NameIDFormat = saml.NameIDFormatEmailAddress },
			opts:     func(o *samltest.ResponseOptions) {},
			wantAsrt: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			o := samltest.ResponseOptions{SP: f.sp}
			tc.opts(&o)
			o.Attributes = map[string][]string{"groups": {"eng", "ops"}, "email": {"alice@example.com"}}
			replay := newReplay()
			got, err := saml.Validate(context.Background(), cfg, f.idp.Response(t, o), tc.expect, replay)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.NameID != "alice@example.com" || got.NameIDFormat != samltest.FormatEmail {
				t.Errorf("NameID = %q (%q)", got.NameID, got.NameIDFormat)
			}
			if got.Issuer != f.idp.EntityID {
				t.Errorf("Issuer = %q", got.Issuer)
			}
			if got.InResponseTo != tc.expect.InResponseTo {
				t.Errorf("InResponseTo = %q, want %q", got.InResponseTo, tc.expect.InResponseTo)
			}
			if got.ResponseSigned != tc.wantResp || got.AssertionSigned != tc.wantAsrt {
				t.Errorf("signed response/assertion = %v/%v, want %v/%v", got.ResponseSigned, got.AssertionSigned, tc.wantResp, tc.wantAsrt)
			}
			if g := strings.Join(got.Attributes["groups"], ","); g != "eng,ops" {
				t.Errorf("groups = %q", g)
			}
			if got.SessionIndex == "" || got.AuthnInstant.IsZero() || got.NotOnOrAfter.IsZero() {
				t.Errorf("missing SessionIndex/AuthnInstant/NotOnOrAfter: %+v", got)
			}
			if until, ok := replay.seen[got.ID]; !ok || until.Before(got.NotOnOrAfter) {
				t.Errorf("replay cache: remembered=%v until=%v, want until >= %v", ok, until, got.NotOnOrAfter)
			}
		})
	}
}

func TestValidateRefuses(t *testing.T) {
	f := newFixture(t)
	// expiredIdP publishes a certificate that expired an hour ago.
	expiredIdP := samltest.NewIdP(t, samltest.Options{
		Now:           func() time.Time { return testNow },
		CertNotBefore: testNow.Add(-48 * time.Hour), CertNotAfter: testNow.Add(-time.Hour),
	})
	expiredMD, err := saml.ParseIdPMetadata(expiredIdP.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	sp := func(sign samltest.SignMode) samltest.ResponseOptions { return f.spInitiated(sign) }
	resp := func(o samltest.ResponseOptions) func(*testing.T) string {
		return func(t *testing.T) string { return f.idp.Response(t, o) }
	}
	xml := func(o samltest.ResponseOptions, mutate func(*testing.T, []byte) []byte) func(*testing.T) string {
		return func(t *testing.T) string { return samltest.Encode(mutate(t, f.idp.ResponseXML(t, o))) }
	}
	with := func(o samltest.ResponseOptions, edit func(*samltest.ResponseOptions)) samltest.ResponseOptions {
		edit(&o)
		return o
	}
	spExpect := saml.Expectation{InResponseTo: requestID}

	tests := []struct {
		name   string
		cfg    func(*saml.SPConfig)
		input  func(*testing.T) string
		expect saml.Expectation
		want   saml.Reason
	}{
		// Signatures and keys.
		{
			// No signature at all: anyone could have written it.
			name: "unsigned", input: resp(sp(samltest.SignNone)), expect: spExpect, want: saml.ReasonUnsigned,
		},
		{
			// Attacker signs with their own key but puts the IdP's real certificate in KeyInfo.
			name:   "foreign key, KeyInfo claims the IdP certificate",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.SignWith = f.foreign; o.KeyInfoCert = f.idp.Keys[0].Cert })),
			expect: spExpect, want: saml.ReasonSignature,
		},
		{
			// Attacker signs with their own key and embeds their own certificate, hoping KeyInfo is trusted.
			name:   "foreign key with its own certificate in KeyInfo",
			input:  resp(with(sp(samltest.SignBoth), func(o *samltest.ResponseOptions) { o.SignWith = f.foreign })),
			expect: spExpect, want: saml.ReasonUntrustedKey,
		},
		{
			// A foreign certificate is embedded even though the IdP key signed: KeyInfo must match the metadata.
			name:   "IdP key but foreign certificate in KeyInfo",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.KeyInfoCert = f.foreign.Cert })),
			expect: spExpect, want: saml.ReasonUntrustedKey,
		},
		{
			// Foreign key and no KeyInfo: every metadata certificate is tried and none verifies.
			name:   "foreign key without KeyInfo",
			input:  resp(with(sp(samltest.SignResponse), func(o *samltest.ResponseOptions) { o.SignWith = f.foreign; o.OmitKeyInfo = true })),
			expect: spExpect, want: saml.ReasonSignature,
		},
		{
			// The IdP's only certificate has expired.
			name:   "metadata certificate expired",
			cfg:    func(c *saml.SPConfig) { c.IdP = expiredMD },
			input:  func(t *testing.T) string { return expiredIdP.Response(t, sp(samltest.SignAssertion)) },
			expect: spExpect, want: saml.ReasonCertificateExpired,
		},
		{
			// Only the envelope is signed but the SP declared WantAssertionsSigned.
			name:   "WantAssertionsSigned refuses a response-only signature",
			cfg:    func(c *saml.SPConfig) { c.WantAssertionsSigned = true },
			input:  resp(sp(samltest.SignResponse)),
			expect: spExpect, want: saml.ReasonAssertionNotSigned,
		},
		{
			// NameID changed after the assertion was signed.
			name:   "tampered signed value (assertion signature)",
			input:  xml(sp(samltest.SignAssertion), func(t *testing.T, b []byte) []byte { return samltest.TamperNameID(t, b, "admin@example.com") }),
			expect: spExpect, want: saml.ReasonSignature,
		},
		{
			// NameID changed after the response was signed.
			name:   "tampered signed value (response signature)",
			input:  xml(sp(samltest.SignResponse), func(t *testing.T, b []byte) []byte { return samltest.TamperNameID(t, b, "admin@example.com") }),
			expect: spExpect, want: saml.ReasonSignature,
		},
		{
			// RSA-SHA1 signature and SHA-1 digest while SHA-1 is not allowed.
			name:   "SHA-1 when not allowed",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.SHA1 = true })),
			expect: spExpect, want: saml.ReasonSHA1,
		},
		{
			// ECDSA is not supported by roster's policy (goxmldsig's encoding is not interoperable).
			name: "ECDSA signature method",
			input: xml(sp(samltest.SignAssertion), func(t *testing.T, b []byte) []byte {
				return samltest.SetAttr(t, b, "SignatureMethod", "Algorithm", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256")
			}),
			expect: spExpect, want: saml.ReasonUnsupportedAlgorithm,
		},
		{
			// Canonicalization WithComments would let comments into the signed text.
			name: "c14n with comments",
			input: xml(sp(samltest.SignAssertion), func(t *testing.T, b []byte) []byte {
				return samltest.SetAttr(t, b, "CanonicalizationMethod", "Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments")
			}),
			expect: spExpect, want: saml.ReasonUnsupportedAlgorithm,
		},
		{
			// Extra content (ds:Object) inside a Signature, where XSW variants hide copies.
			name: "ds:Object inside the signature",
			input: xml(sp(samltest.SignAssertion), func(t *testing.T, b []byte) []byte {
				return bytes.Replace(b, []byte(`</ds:Signature>`), []byte(`<ds:Object/></ds:Signature>`), 1)
			}),
			expect: spExpect, want: saml.ReasonWrapping,
		},
		{
			// A whole-document reference (URI="") instead of the parent's ID.
			name: "reference URI does not name the signed element",
			input: xml(sp(samltest.SignAssertion), func(t *testing.T, b []byte) []byte {
				return samltest.SetAttr(t, b, "Reference", "URI", "")
			}),
			expect: spExpect, want: saml.ReasonWrapping,
		},

		// Addressing.
		{
			// Assertion issued for another SP.
			name:   "wrong audience",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.Audiences = []string{"https://evil.example/sp"} })),
			expect: spExpect, want: saml.ReasonAudience,
		},
		{
			// No AudienceRestriction: gosaml2 alone would accept this.
			name:   "missing AudienceRestriction",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.OmitAudienceRestriction = true })),
			expect: spExpect, want: saml.ReasonAudience,
		},
		{
			// Bearer assertion meant for another ACS.
			name:   "wrong recipient",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.Recipient = "https://evil.example/acs" })),
			expect: spExpect, want: saml.ReasonRecipient,
		},
		{
			// Bearer confirmation without Recipient.
			name:   "missing recipient",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.Recipient = samltest.Omit })),
			expect: spExpect, want: saml.ReasonRecipient,
		},
		{
			// Response addressed to another endpoint.
			name:   "wrong destination",
			input:  resp(with(sp(samltest.SignResponse), func(o *samltest.ResponseOptions) { o.Destination = "https://evil.example/acs" })),
			expect: spExpect, want: saml.ReasonDestination,
		},
		{
			// Wrong destination on an unsigned envelope is still refused.
			name:   "wrong destination, assertion-only signature",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.Destination = "https://evil.example/acs" })),
			expect: spExpect, want: saml.ReasonDestination,
		},
		{
			// SAML bindings §3.5.5.2: a signed POST response must carry Destination.
			name:   "missing destination on a signed response",
			input:  resp(with(sp(samltest.SignResponse), func(o *samltest.ResponseOptions) { o.Destination = samltest.Omit })),
			expect: spExpect, want: saml.ReasonDestination,
		},
		{
			// Response and assertion claim another IdP.
			name:   "wrong issuer",
			input:  resp(with(sp(samltest.SignBoth), func(o *samltest.ResponseOptions) { o.Issuer = "https://evil.example/idp" })),
			expect: spExpect, want: saml.ReasonIssuer,
		},
		{
			// Only the assertion's issuer differs.
			name:   "wrong assertion issuer",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.AssertionIssuer = "https://evil.example/idp" })),
			expect: spExpect, want: saml.ReasonIssuer,
		},

		// Time.
		{
			// Conditions expired beyond the skew.
			name: "expired conditions",
			input: resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) {
				o.IssueInstant = testNow.Add(-10 * time.Minute)
				o.SubjectNotOnOrAfter = testNow.Add(time.Minute)
			})),
			expect: spExpect, want: saml.ReasonExpired,
		},
		{
			// Bearer confirmation window passed beyond the skew.
			name:   "expired subject confirmation",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.SubjectNotOnOrAfter = testNow.Add(-2 * time.Minute) })),
			expect: spExpect, want: saml.ReasonExpired,
		},
		{
			// NotBefore 5 minutes in the future, beyond the 90s skew.
			name:   "not yet valid",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.NotBefore = testNow.Add(5 * time.Minute) })),
			expect: spExpect, want: saml.ReasonNotYetValid,
		},
		{
			// The whole assertion is dated 10 minutes in the future.
			name:   "issued in the future",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.IssueInstant = testNow.Add(10 * time.Minute) })),
			expect: spExpect, want: saml.ReasonNotYetValid,
		},
		{
			// Zero skew configured: a NotBefore 60s ahead is now too early (ClockSkew 0 means default, so use 1ns).
			name:   "tight skew refuses NotBefore 60s ahead",
			cfg:    func(c *saml.SPConfig) { c.ClockSkew = time.Nanosecond },
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.IssueInstant = testNow.Add(60 * time.Second) })),
			expect: spExpect, want: saml.ReasonNotYetValid,
		},

		// Request binding.
		{
			// Response to some other request (e.g. stolen from another browser).
			name:   "wrong InResponseTo",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.InResponseTo = "_some_other_request" })),
			expect: spExpect, want: saml.ReasonInResponseTo,
		},
		{
			// Unsigned envelope edited to carry the expected InResponseTo; the signed
			// SubjectConfirmationData still names another request and is what counts.
			name: "InResponseTo forged on the unsigned envelope only",
			input: xml(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.InResponseTo = "_other_request" }), func(t *testing.T, b []byte) []byte {
				return bytes.Replace(b, []byte(`InResponseTo="_other_request"`), []byte(`InResponseTo="`+requestID+`"`), 1)
			}),
			expect: spExpect, want: saml.ReasonInResponseTo,
		},
		{
			// Unsolicited response injected into a browser that has a pending request.
			name:   "missing InResponseTo for an SP-initiated login",
			input:  resp(samltest.ResponseOptions{SP: f.sp}),
			expect: spExpect, want: saml.ReasonInResponseTo,
		},
		{
			// A solicited response replayed as if it were IdP-initiated.
			name:   "InResponseTo present on an IdP-initiated login",
			input:  resp(sp(samltest.SignAssertion)),
			expect: saml.Expectation{}, want: saml.ReasonInResponseTo,
		},
		{
			// Organization has not enabled IdP-initiated sign-in.
			name:   "IdP-initiated when disabled",
			cfg:    func(c *saml.SPConfig) { c.AllowIdPInitiated = false },
			input:  resp(samltest.ResponseOptions{SP: f.sp}),
			expect: saml.Expectation{}, want: saml.ReasonIdPInitiatedDisabled,
		},

		// Assertion content.
		{
			// Two separately signed assertions: which identity? Refuse.
			name:   "multiple assertions",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.Assertions = 2 })),
			expect: spExpect, want: saml.ReasonMultipleAssertions,
		},
		{
			// A signed assertion plus an unsigned forged one (CVE-2022-41912 shape).
			name:   "extra unsigned assertion",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.ExtraUnsignedAssertion = true })),
			expect: spExpect, want: saml.ReasonMultipleAssertions,
		},
		{
			// Extra unsigned assertion inside a signed response envelope.
			name:   "extra unsigned assertion under a signed response",
			input:  resp(with(sp(samltest.SignResponse), func(o *samltest.ResponseOptions) { o.ExtraUnsignedAssertion = true })),
			expect: spExpect, want: saml.ReasonMultipleAssertions,
		},
		{
			// Encrypted assertions are not supported (no SP key).
			name:   "encrypted assertion",
			input:  xml(sp(samltest.SignResponse), func(t *testing.T, b []byte) []byte { return samltest.ReplaceAssertionWithEncrypted(t, b) }),
			expect: spExpect, want: saml.ReasonEncryptedAssertion,
		},
		{
			// IdP reports failure (e.g. user not assigned to the app).
			name:   "non-success status",
			input:  resp(with(sp(samltest.SignResponse), func(o *samltest.ResponseOptions) { o.StatusCode = samltest.StatusRequester })),
			expect: spExpect, want: saml.ReasonStatus,
		},
		{
			// Holder-of-key or sender-vouches instead of bearer.
			name: "non-bearer subject confirmation",
			input: resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) {
				o.ConfirmationMethod = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"
			})),
			expect: spExpect, want: saml.ReasonSubjectConfirmation,
		},
		{
			// Web SSO profile requires an AuthnStatement.
			name:   "no AuthnStatement",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.OmitAuthnStatement = true })),
			expect: spExpect, want: saml.ReasonNoAuthnStatement,
		},
		{
			// Whitespace-only NameID.
			name:   "empty NameID",
			input:  resp(with(sp(samltest.SignAssertion), func(o *samltest.ResponseOptions) { o.NameID = "  " })),
			expect: spExpect, want: saml.ReasonNameID,
		},
		{
			// IdP switched NameID format; mapping users by it would mix identities.
			name:   "NameID format differs from configuration",
			cfg:    func(c *saml.SPConfig) { c.NameIDFormat = saml.NameIDFormatPersistent },
			input:  resp(sp(samltest.SignAssertion)),
			expect: spExpect, want: saml.ReasonNameID,
		},

		// Hostile XML and encodings.
		{
			// Billion laughs: nested entity expansion.
			name:   "DTD with entity expansion",
			input:  func(*testing.T) string { return samltest.Encode(samltest.BillionLaughs()) },
			expect: spExpect, want: saml.ReasonDTD,
		},
		{
			// XXE: external entity reading a local file.
			name:   "DTD with external entity",
			input:  func(*testing.T) string { return samltest.Encode(samltest.ExternalEntity()) },
			expect: spExpect, want: saml.ReasonDTD,
		},
		{
			// Larger than 256 KiB before decoding.
			name:   "oversized input",
			input:  func(*testing.T) string { return strings.Repeat("A", saml.MaxResponseSize+4) },
			expect: spExpect, want: saml.ReasonTooLarge,
		},
		{
			// Not base64.
			name:   "garbage base64",
			input:  func(*testing.T) string { return "%%%not*base64!!" },
			expect: spExpect, want: saml.ReasonEncoding,
		},
		{
			// Base64 with non-canonical padding bits (Strict decoding).
			name:   "non-strict base64",
			input:  func(*testing.T) string { return "QR==" },
			expect: spExpect, want: saml.ReasonEncoding,
		},
		{
			// Valid base64 of something that is not XML.
			name:   "base64 of non-XML",
			input:  func(*testing.T) string { return base64.StdEncoding.EncodeToString([]byte("hello, world")) },
			expect: spExpect, want: saml.ReasonMalformed,
		},
		{
			// Empty form value.
			name:   "empty input",
			input:  func(*testing.T) string { return "" },
			expect: spExpect, want: saml.ReasonMalformed,
		},
		{
			// HTTP-Redirect style DEFLATE encoding is not valid for the POST binding.
			name: "deflated response",
			input: func(t *testing.T) string {
				var buf bytes.Buffer
				w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
				_, _ = w.Write(f.idp.ResponseXML(t, sp(samltest.SignAssertion)))
				_ = w.Close()
				return base64.StdEncoding.EncodeToString(buf.Bytes())
			},
			expect: spExpect, want: saml.ReasonMalformed,
		},
		{
			// A different protocol message at the ACS.
			name: "root is not a Response",
			input: func(*testing.T) string {
				return samltest.Encode([]byte(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x" Version="2.0"/>`))
			},
			expect: spExpect, want: saml.ReasonMalformed,
		},
		{
			// Duplicate attributes: parsers disagree on which one wins.
			name: "duplicate ID attribute",
			input: xml(sp(samltest.SignResponse), func(t *testing.T, b []byte) []byte {
				return bytes.Replace(b, []byte(`<samlp:Response `), []byte(`<samlp:Response ID="_dup" `), 1)
			}),
			expect: spExpect, want: saml.ReasonMalformed,
		},
		{
			// Undeclared namespace prefix on an injected element.
			name: "undeclared namespace prefix",
			input: xml(sp(samltest.SignAssertion), func(t *testing.T, b []byte) []byte {
				return bytes.Replace(b, []byte(`<samlp:Status>`), []byte(`<evil:Thing/><samlp:Status>`), 1)
			}),
			expect: spExpect, want: saml.ReasonMalformed,
		},

		// Configuration.
		{
			// An SP without IdP certificates cannot validate anything.
			name:   "config without IdP certificates",
			cfg:    func(c *saml.SPConfig) { c.IdP.SigningCertificates = nil },
			input:  resp(sp(samltest.SignAssertion)),
			expect: spExpect, want: saml.ReasonConfig,
		},
		{
			// Negative skew is a configuration error.
			name:   "config with negative skew",
			cfg:    func(c *saml.SPConfig) { c.ClockSkew = -time.Second },
			input:  resp(sp(samltest.SignAssertion)),
			expect: spExpect, want: saml.ReasonConfig,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			replay := newReplay()
			got, err := saml.Validate(context.Background(), cfg, tc.input(t), tc.expect, replay)
			if got != nil {
				t.Errorf("Validate returned an assertion with an error: %+v", got)
			}
			wantReason(t, err, tc.want)
			t.Logf("refused: %v", err)
			if replay.calls != 0 {
				t.Errorf("a refused response reached the replay cache")
			}
		})
	}
}

func TestValidateXSW(t *testing.T) {
	f := newFixture(t)
	const evil = "admin@example.com"
	// Each variant keeps the IdP's genuine signature and signed content for
	// the attacker's own account (alice) and adds a forged assertion naming
	// admin where a naive SP would read it.
	tests := []struct {
		variant int
		sign    samltest.SignMode
		want    saml.Reason
	}{
		// XSW1: forged Response at the root, original signed Response hidden inside its Signature.
		{1, samltest.SignResponse, saml.ReasonWrapping},
		// XSW2: forged Response at the root, original signed Response as a sibling before the Signature.
		{2, samltest.SignResponse, saml.ReasonWrapping},
		// XSW3: forged unsigned Assertion inserted before the signed one.
		{3, samltest.SignAssertion, saml.ReasonMultipleAssertions},
		// XSW4: forged Assertion wraps the signed one.
		{4, samltest.SignAssertion, saml.ReasonWrapping},
		// XSW5: signed Assertion's content forged; unsigned original copy appended.
		{5, samltest.SignAssertion, saml.ReasonMultipleAssertions},
		// XSW6: signed Assertion's content forged; original copy hidden in its Signature.
		{6, samltest.SignAssertion, saml.ReasonWrapping},
		// XSW7: forged Assertion hidden in an Extensions element before the signed one.
		{7, samltest.SignAssertion, saml.ReasonWrapping},
		// XSW8: signed Assertion's content forged; original copy in an Object inside its Signature.
		{8, samltest.SignAssertion, saml.ReasonWrapping},
		// The same attacks against responses where both elements are signed.
		{1, samltest.SignBoth, saml.ReasonWrapping},
		{2, samltest.SignBoth, saml.ReasonWrapping},
		{3, samltest.SignBoth, saml.ReasonMultipleAssertions},
		{4, samltest.SignBoth, saml.ReasonWrapping},
		{5, samltest.SignBoth, saml.ReasonMultipleAssertions},
		{6, samltest.SignBoth, saml.ReasonWrapping},
		{7, samltest.SignBoth, saml.ReasonWrapping},
		{8, samltest.SignBoth, saml.ReasonWrapping},
	}
	for _, tc := range tests {
		for _, defaultNS := range []bool{false, true} {
			name := "XSW" + string(rune('0'+tc.variant))
			if tc.sign == samltest.SignBoth {
				name += "/both-signed"
			}
			if defaultNS {
				name += "/default-namespaces"
			}
			t.Run(name, func(t *testing.T) {
				o := f.spInitiated(tc.sign)
				o.DefaultNamespaces = defaultNS
				signed := f.idp.ResponseXML(t, o)
				// Sanity: the genuine document is accepted.
				if _, err := saml.Validate(context.Background(), f.cfg, samltest.Encode(signed), saml.Expectation{InResponseTo: requestID}, newReplay()); err != nil {
					t.Fatalf("genuine document refused: %v", err)
				}
				forged := samltest.XSW(t, signed, tc.variant, evil)
				got, err := saml.Validate(context.Background(), f.cfg, samltest.Encode(forged), saml.Expectation{InResponseTo: requestID}, newReplay())
				t.Logf("refused: %v", err)
				if got != nil {
					t.Fatalf("forged document accepted as %q", got.NameID)
				}
				wantReason(t, err, tc.want)
			})
		}
	}
}

func TestValidateCommentInjection(t *testing.T) {
	// The attacker owns admin@example.com.evil.com at the IdP and inserts a
	// comment so that naive SPs read only "admin@example.com". Exclusive
	// c14n drops comments, so the signature still verifies; roster must
	// return the FULL NameID.
	f := newFixture(t)
	for _, sign := range []samltest.SignMode{samltest.SignAssertion, samltest.SignResponse, samltest.SignBoth} {
		o := f.spInitiated(sign)
		o.NameID = "admin@example.com.evil.com"
		doc := samltest.CommentInNameID(t, f.idp.ResponseXML(t, o), "admin@example.com")
		if !bytes.Contains(doc, []byte("admin@example.com<!---->.evil.com")) {
			t.Fatalf("comment not injected: %s", doc)
		}
		got, err := saml.Validate(context.Background(), f.cfg, samltest.Encode(doc), saml.Expectation{InResponseTo: requestID}, newReplay())
		if err != nil {
			t.Fatalf("sign mode %d: Validate: %v", sign, err)
		}
		if got.NameID != "admin@example.com.evil.com" {
			t.Fatalf("sign mode %d: NameID = %q, want the full admin@example.com.evil.com", sign, got.NameID)
		}
	}
}

func TestValidateReplay(t *testing.T) {
	f := newFixture(t)
	replay := newReplay()
	in := f.idp.Response(t, f.spInitiated(samltest.SignAssertion))
	expect := saml.Expectation{InResponseTo: requestID}
	first, err := saml.Validate(context.Background(), f.cfg, in, expect, replay)
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	// Remembered until the latest NotOnOrAfter plus skew, after which the
	// assertion would be refused as expired anyway.
	if want := testNow.Add(5*time.Minute + saml.DefaultClockSkew); !replay.seen[first.ID].Equal(want) {
		t.Errorf("remembered until %v, want %v", replay.seen[first.ID], want)
	}
	// The same response posted again (e.g. from browser history).
	_, err = saml.Validate(context.Background(), f.cfg, in, expect, replay)
	wantReason(t, err, saml.ReasonReplay)
}

func TestValidateReplayCacheError(t *testing.T) {
	f := newFixture(t)
	replay := newReplay()
	replay.err = errors.New("database is down")
	_, err := saml.Validate(context.Background(), f.cfg, f.idp.Response(t, f.spInitiated(samltest.SignAssertion)), saml.Expectation{InResponseTo: requestID}, replay)
	wantReason(t, err, saml.ReasonReplayCheckFailed)
	if !errors.Is(err, replay.err) {
		t.Errorf("cause not wrapped: %v", err)
	}
}

func TestValidateNilReplayCache(t *testing.T) {
	f := newFixture(t)
	_, err := saml.Validate(context.Background(), f.cfg, f.idp.Response(t, f.spInitiated(samltest.SignAssertion)), saml.Expectation{InResponseTo: requestID}, nil)
	wantReason(t, err, saml.ReasonConfig)
}

func TestReasonHelpers(t *testing.T) {
	if _, ok := saml.ReasonOf(nil); ok {
		t.Error("ReasonOf(nil) reported a reason")
	}
	if _, ok := saml.ReasonOf(errors.New("x")); ok {
		t.Error("ReasonOf(plain error) reported a reason")
	}
	err := error(&saml.ValidationError{Reason: saml.ReasonReplay, Detail: "d"})
	if r, ok := saml.ReasonOf(err); !ok || r != saml.ReasonReplay {
		t.Errorf("ReasonOf = %q, %v", r, ok)
	}
	if saml.Reason("unknown").Message() == "" || saml.ReasonReplay.Message() == saml.Reason("unknown").Message() {
		t.Error("Message does not distinguish reasons")
	}
}
