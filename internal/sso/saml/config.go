package saml

import (
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"
)

// DefaultClockSkew is used when SPConfig.ClockSkew is zero: the tolerance
// applied to every NotBefore/NotOnOrAfter comparison, so that an IdP whose
// clock runs slightly ahead or behind ours still works.
const DefaultClockSkew = 90 * time.Second

// maxClockSkew caps SPConfig.ClockSkew; more would make expiry meaningless.
const maxClockSkew = 10 * time.Minute

// SPConfig is one organization's service-provider configuration. Each
// organization is its own SAML SP with its own entity ID and ACS URL.
type SPConfig struct {
	// EntityID is our SP entity ID; assertions must name it as Audience.
	EntityID string
	// ACSURL is our Assertion Consumer Service URL (HTTP-POST binding).
	// Response Destination and SubjectConfirmationData Recipient must equal
	// it byte for byte.
	ACSURL string
	// MetadataURL is where the caller serves SPMetadata. It is not used in
	// validation; it is carried here so the console can show it next to
	// EntityID and ACSURL.
	MetadataURL string
	// IdP is the parsed metadata of the organization's identity provider.
	IdP IdPMetadata
	// AllowSHA1 accepts RSA-SHA1 signatures and SHA-1 digests. Off by
	// default: SHA-1 is collision-broken, and Okta and Entra both default to
	// SHA-256. Turn on only for a legacy IdP that cannot be reconfigured.
	AllowSHA1 bool
	// WantAssertionsSigned is advertised in SPMetadata and enforced exactly:
	// true means the Assertion itself must carry a valid signature; false
	// means a valid signature over the Response or over the Assertion
	// suffices. Either way every signature present must verify.
	WantAssertionsSigned bool
	// AllowIdPInitiated accepts unsolicited responses (sign-in started from
	// the IdP's dashboard). Off by default: unsolicited responses cannot be
	// bound to a browser, which makes login CSRF possible.
	AllowIdPInitiated bool
	// ClockSkew is the tolerance for time comparisons; zero means
	// DefaultClockSkew. It must be between 0 and 10 minutes.
	ClockSkew time.Duration
	// NameIDFormat is requested in AuthnRequests and listed in SPMetadata.
	// When set to anything but the unspecified format, Validate refuses
	// assertions whose NameID has a different Format, so that an IdP
	// misconfiguration cannot switch users from e-mail to opaque IDs.
	NameIDFormat string
	// Now is the clock; nil means time.Now. Tests inject a fixed clock.
	Now func() time.Time
}

func (c *SPConfig) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *SPConfig) skew() time.Duration {
	if c.ClockSkew == 0 {
		return DefaultClockSkew
	}
	return c.ClockSkew
}

// Check reports whether the configuration can be used to validate
// responses. The console should call it when an administrator saves SSO
// settings; Validate calls it on every response and fails closed with
// ReasonConfig. Errors wrap ErrInvalidConfig.
func (c *SPConfig) Check() error {
	if err := c.checkSP(); err != nil {
		return err
	}
	if strings.TrimSpace(c.IdP.EntityID) == "" {
		return fmt.Errorf("%w: IdP entity ID is empty", ErrInvalidConfig)
	}
	if c.IdP.EntityID == c.EntityID {
		return fmt.Errorf("%w: IdP and SP entity IDs are equal", ErrInvalidConfig)
	}
	if len(c.IdP.SigningCertificates) == 0 {
		return fmt.Errorf("%w: IdP has no signing certificate", ErrInvalidConfig)
	}
	if len(c.IdP.SigningCertificates) > maxSigningCerts {
		return fmt.Errorf("%w: IdP has more than %d signing certificates", ErrInvalidConfig, maxSigningCerts)
	}
	for _, cert := range c.IdP.SigningCertificates {
		if cert == nil {
			return fmt.Errorf("%w: nil IdP signing certificate", ErrInvalidConfig)
		}
		if err := checkSigningKey(cert); err != nil {
			return fmt.Errorf("%w: IdP signing certificate: %v", ErrInvalidConfig, err)
		}
	}
	if c.ClockSkew < 0 || c.ClockSkew > maxClockSkew {
		return fmt.Errorf("%w: ClockSkew %s outside [0, %s]", ErrInvalidConfig, c.ClockSkew, maxClockSkew)
	}
	return nil
}

// checkSP validates only our own side (enough for SPMetadata).
func (c *SPConfig) checkSP() error {
	if strings.TrimSpace(c.EntityID) == "" || c.EntityID != strings.TrimSpace(c.EntityID) {
		return fmt.Errorf("%w: EntityID is empty or has surrounding spaces", ErrInvalidConfig)
	}
	u, err := url.Parse(c.ACSURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("%w: ACSURL %s is not an absolute http(s) URL", ErrInvalidConfig, quote(c.ACSURL))
	}
	return nil
}

// SPMetadata renders our SP metadata for the organization: an
// EntityDescriptor with one SPSSODescriptor declaring
// AuthnRequestsSigned="false" (roster does not sign requests),
// WantAssertionsSigned as configured, the NameIDFormat (unspecified when
// none is configured) and a single HTTP-POST AssertionConsumerService. No
// KeyDescriptor is published: roster neither signs nor decrypts.
// Administrators upload this document to Okta or Entra.
func SPMetadata(cfg SPConfig) ([]byte, error) {
	if err := cfg.checkSP(); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	ed := doc.CreateElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", nsMetadata)
	ed.CreateAttr("entityID", cfg.EntityID)
	sp := ed.CreateElement("md:SPSSODescriptor")
	sp.CreateAttr("AuthnRequestsSigned", "false")
	sp.CreateAttr("WantAssertionsSigned", fmt.Sprint(cfg.WantAssertionsSigned))
	sp.CreateAttr("protocolSupportEnumeration", protocolSAML2)
	format := cfg.NameIDFormat
	if format == "" {
		format = NameIDFormatUnspecified
	}
	sp.CreateElement("md:NameIDFormat").SetText(format)
	acs := sp.CreateElement("md:AssertionConsumerService")
	acs.CreateAttr("Binding", BindingHTTPPOST)
	acs.CreateAttr("Location", cfg.ACSURL)
	acs.CreateAttr("index", "0")
	acs.CreateAttr("isDefault", "true")
	doc.Indent(2)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("saml: render SP metadata: %w", err)
	}
	return out, nil
}

// AuthnRequest is an SP-initiated sign-in request ready to send.
type AuthnRequest struct {
	// ID is the request ID. Store it server-side, bound to the browser (for
	// example in a row keyed by RelayState plus a cookie), and pass it as
	// Expectation.InResponseTo when the response arrives. Use it once.
	ID string
	// RelayState is an opaque 128-bit random token sent along with the
	// request; the IdP echoes it back with the response. Key the stored
	// request state by it: a SameSite=Lax cookie does not accompany the
	// IdP's cross-site POST, the RelayState does.
	RelayState string
	// RedirectURL is the IdP's HTTP-Redirect SSO URL carrying SAMLRequest
	// (DEFLATE + base64 per SAML bindings §3.4.4.1) and RelayState; answer
	// the browser with a 302 to it.
	RedirectURL string
	// IssueInstant is when the request was issued (the now argument).
	IssueInstant time.Time
}

// NewAuthnRequest builds an unsigned AuthnRequest for the HTTP-Redirect
// binding using gosaml2's request builder: Issuer = cfg.EntityID,
// AssertionConsumerServiceURL = cfg.ACSURL, ProtocolBinding HTTP-POST,
// Destination = the IdP's redirect SSO URL, NameIDPolicy AllowCreate with
// cfg.NameIDFormat when set. It fails with ErrSignedRequestsRequired when
// the IdP metadata demands signed requests and ErrNoRedirectBinding when the
// IdP has no HTTP-Redirect endpoint.
func NewAuthnRequest(cfg SPConfig, now time.Time) (AuthnRequest, error) {
	if err := cfg.checkSP(); err != nil {
		return AuthnRequest{}, err
	}
	if cfg.IdP.WantAuthnRequestsSigned {
		return AuthnRequest{}, ErrSignedRequestsRequired
	}
	if cfg.IdP.SSORedirectURL == "" {
		return AuthnRequest{}, ErrNoRedirectBinding
	}
	sp := &saml2.SAMLServiceProvider{
		IdentityProviderSSOURL:      cfg.IdP.SSORedirectURL,
		IdentityProviderSSOBinding:  BindingHTTPRedirect,
		IdentityProviderIssuer:      cfg.IdP.EntityID,
		AssertionConsumerServiceURL: cfg.ACSURL,
		ServiceProviderIssuer:       cfg.EntityID,
		NameIdFormat:                cfg.NameIDFormat,
		Clock:                       dsig.NewFakeClockAt(now),
	}
	doc, err := sp.BuildAuthRequestDocumentNoSig()
	if err != nil {
		return AuthnRequest{}, fmt.Errorf("saml: build AuthnRequest: %w", err)
	}
	id := doc.Root().SelectAttrValue("ID", "")
	if id == "" {
		return AuthnRequest{}, fmt.Errorf("saml: build AuthnRequest: no ID generated")
	}
	relay := rand.Text()
	u, err := sp.BuildAuthURLRedirect(relay, doc)
	if err != nil {
		return AuthnRequest{}, fmt.Errorf("saml: encode AuthnRequest redirect: %w", err)
	}
	return AuthnRequest{ID: id, RelayState: relay, RedirectURL: u, IssueInstant: now.UTC()}, nil
}
