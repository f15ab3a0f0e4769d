package samltest

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"io"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// SAML and XML-DSig URIs used by the test IdP.
const (
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"

	StatusSuccess   = "urn:oasis:names:tc:SAML:2.0:status:Success"
	StatusRequester = "urn:oasis:names:tc:SAML:2.0:status:Requester"
	MethodBearer    = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	FormatEmail     = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	FormatPersist   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"

	bindingRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	bindingPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
)

// Key is an RSA signing key with its self-signed certificate.
type Key struct {
	Private *rsa.PrivateKey
	Cert    *x509.Certificate
}

// NewKey generates a 2048-bit RSA key and a self-signed certificate valid
// from notBefore to notAfter. It costs tens of milliseconds, so create keys
// once per test function, not per subtest.
func NewKey(t testing.TB, commonName string, notBefore, notAfter time.Time) *Key {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("samltest: generate RSA key: %v", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		t.Fatalf("samltest: serial: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"roster samltest"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatalf("samltest: create certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("samltest: parse certificate: %v", err)
	}
	return &Key{Private: priv, Cert: cert}
}

// Options configures NewIdP. Zero values give a working IdP.
type Options struct {
	// EntityID defaults to "https://idp.example.test/saml/metadata".
	EntityID string
	// SSOURL defaults to "https://idp.example.test/saml/sso"; it is published
	// for both the HTTP-Redirect and HTTP-POST bindings.
	SSOURL string
	// Now is the IdP's clock (response timestamps, certificate validity);
	// nil means time.Now.
	Now func() time.Time
	// Keys is the number of signing keys published in the metadata (default
	// 1). Keys[0] signs by default; set ResponseOptions.SignWith to another
	// to simulate rollover.
	Keys int
	// WantAuthnRequestsSigned is published in the metadata.
	WantAuthnRequestsSigned bool
	// CertNotBefore and CertNotAfter override the certificate validity
	// (default Now-1h to Now+1y), e.g. to test expired certificates.
	CertNotBefore, CertNotAfter time.Time
}

// IdP is an in-process SAML identity provider that signs real assertions
// with goxmldsig. It exists only for tests.
type IdP struct {
	EntityID                string
	SSOURL                  string
	Keys                    []*Key
	WantAuthnRequestsSigned bool
	now                     func() time.Time
}

// NewIdP creates a test IdP with freshly generated keys.
func NewIdP(t testing.TB, opts Options) *IdP {
	t.Helper()
	idp := &IdP{
		EntityID:                opts.EntityID,
		SSOURL:                  opts.SSOURL,
		WantAuthnRequestsSigned: opts.WantAuthnRequestsSigned,
		now:                     opts.Now,
	}
	if idp.EntityID == "" {
		idp.EntityID = "https://idp.example.test/saml/metadata"
	}
	if idp.SSOURL == "" {
		idp.SSOURL = "https://idp.example.test/saml/sso"
	}
	if idp.now == nil {
		idp.now = time.Now
	}
	n := opts.Keys
	if n <= 0 {
		n = 1
	}
	nb, na := opts.CertNotBefore, opts.CertNotAfter
	if nb.IsZero() {
		nb = idp.now().Add(-time.Hour)
	}
	if na.IsZero() {
		na = idp.now().Add(365 * 24 * time.Hour)
	}
	for i := range n {
		idp.Keys = append(idp.Keys, NewKey(t, "samltest IdP signing key "+string(rune('A'+i)), nb, na))
	}
	return idp
}

// Now returns the IdP's current time.
func (idp *IdP) Now() time.Time { return idp.now() }

// Metadata returns Okta-shaped IdP metadata: an md:EntityDescriptor with one
// IDPSSODescriptor listing every key as a signing KeyDescriptor, two
// NameIDFormats, and HTTP-Redirect and HTTP-POST SingleSignOnServices.
func (idp *IdP) Metadata() []byte {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	ed := doc.CreateElement("md:EntityDescriptor")
	ed.CreateAttr("xmlns:md", NSMetadata)
	ed.CreateAttr("entityID", idp.EntityID)
	d := ed.CreateElement("md:IDPSSODescriptor")
	d.CreateAttr("WantAuthnRequestsSigned", boolString(idp.WantAuthnRequestsSigned))
	d.CreateAttr("protocolSupportEnumeration", NSProtocol)
	for _, k := range idp.Keys {
		kd := d.CreateElement("md:KeyDescriptor")
		kd.CreateAttr("use", "signing")
		ki := kd.CreateElement("ds:KeyInfo")
		ki.CreateAttr("xmlns:ds", NSDSig)
		ki.CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(k.Cert.Raw))
	}
	d.CreateElement("md:NameIDFormat").SetText("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
	d.CreateElement("md:NameIDFormat").SetText(FormatEmail)
	for _, b := range []string{bindingPOST, bindingRedirect} {
		s := d.CreateElement("md:SingleSignOnService")
		s.CreateAttr("Binding", b)
		s.CreateAttr("Location", idp.SSOURL)
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		// etree only fails on writer errors; a bytes buffer has none.
		return nil
	}
	return out
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// newID returns a random xs:ID value.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "_" + hex.EncodeToString(b[:])
}

// Request is what a browser carries to the IdP's sign-in URL by the
// HTTP-Redirect binding: the AuthnRequest, decoded, and the RelayState.
type Request struct {
	// ID is the AuthnRequest's ID, which the response's InResponseTo
	// must name.
	ID string
	// ACSURL is the AssertionConsumerServiceURL it asks the answer be
	// posted to.
	ACSURL     string
	RelayState string
}

// ReadRedirect decodes the AuthnRequest of a redirect to the IdP
// (location is the Location header roster answered with), failing t when
// location is not the IdP's SSO URL or carries no readable request.
func (idp *IdP) ReadRedirect(t testing.TB, location string) Request {
	t.Helper()
	loc, err := url.Parse(location)
	if err != nil || !strings.HasPrefix(loc.String(), idp.SSOURL+"?") {
		t.Fatalf("redirected to %q, want the IdP's SSO URL %s", location, idp.SSOURL)
	}
	raw, err := base64.StdEncoding.DecodeString(loc.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatalf("SAMLRequest is not base64: %v", err)
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("SAMLRequest is not DEFLATE: %v", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatalf("SAMLRequest is not XML: %v", err)
	}
	root := doc.Root()
	return Request{ID: root.SelectAttrValue("ID", ""), ACSURL: root.SelectAttrValue("AssertionConsumerServiceURL", ""),
		RelayState: loc.Query().Get("RelayState")}
}
