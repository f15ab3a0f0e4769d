package saml_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/rosterhq/roster/internal/sso/saml"
)

func TestSPMetadata(t *testing.T) {
	tests := []struct {
		name       string
		cfg        saml.SPConfig
		wantSigned string
		wantFormat string
	}{
		{"assertions signed, email format", saml.SPConfig{EntityID: spEntityID, ACSURL: spACSURL, WantAssertionsSigned: true, NameIDFormat: saml.NameIDFormatEmailAddress}, "true", saml.NameIDFormatEmailAddress},
		{"assertions not required signed, default format", saml.SPConfig{EntityID: spEntityID, ACSURL: spACSURL}, "false", saml.NameIDFormatUnspecified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := saml.SPMetadata(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(out); err != nil {
				t.Fatal(err)
			}
			ed := doc.Root()
			if ed.Tag != "EntityDescriptor" || ed.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:metadata" || ed.SelectAttrValue("entityID", "") != spEntityID {
				t.Fatalf("root: %s", out)
			}
			sp := ed.SelectElement("SPSSODescriptor")
			if sp == nil {
				t.Fatalf("no SPSSODescriptor: %s", out)
			}
			for k, want := range map[string]string{
				"AuthnRequestsSigned":        "false",
				"WantAssertionsSigned":       tc.wantSigned,
				"protocolSupportEnumeration": "urn:oasis:names:tc:SAML:2.0:protocol",
			} {
				if got := sp.SelectAttrValue(k, ""); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if f := sp.SelectElement("NameIDFormat"); f == nil || f.Text() != tc.wantFormat {
				t.Errorf("NameIDFormat: %s", out)
			}
			acs := sp.SelectElement("AssertionConsumerService")
			if acs == nil || acs.SelectAttrValue("Binding", "") != saml.BindingHTTPPOST || acs.SelectAttrValue("Location", "") != spACSURL {
				t.Errorf("AssertionConsumerService: %s", out)
			}
			if sp.SelectElement("KeyDescriptor") != nil {
				t.Error("KeyDescriptor published although roster neither signs nor decrypts")
			}
		})
	}
}

func TestSPConfigCheck(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		edit func(*saml.SPConfig)
		ok   bool
	}{
		{"valid", func(*saml.SPConfig) {}, true},
		{"empty entity ID", func(c *saml.SPConfig) { c.EntityID = "" }, false},
		{"entity ID with spaces", func(c *saml.SPConfig) { c.EntityID = " x " }, false},
		{"relative ACS URL", func(c *saml.SPConfig) { c.ACSURL = "/acs" }, false},
		{"ACS URL with fragment", func(c *saml.SPConfig) { c.ACSURL = spACSURL + "#x" }, false},
		{"no IdP entity ID", func(c *saml.SPConfig) { c.IdP.EntityID = "" }, false},
		{"IdP entity equals SP entity", func(c *saml.SPConfig) { c.IdP.EntityID = c.EntityID }, false},
		{"no certificates", func(c *saml.SPConfig) { c.IdP.SigningCertificates = nil }, false},
		{"skew too large", func(c *saml.SPConfig) { c.ClockSkew = time.Hour }, false},
		{"skew 10m", func(c *saml.SPConfig) { c.ClockSkew = 10 * time.Minute }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			tc.edit(&cfg)
			err := cfg.Check()
			if (err == nil) != tc.ok {
				t.Fatalf("Check() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, saml.ErrInvalidConfig) {
				t.Errorf("error does not wrap ErrInvalidConfig: %v", err)
			}
		})
	}
}

func TestNewAuthnRequest(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg
	cfg.NameIDFormat = saml.NameIDFormatEmailAddress
	cfg.IdP.SSORedirectURL = "https://idp.example.test/saml/sso?tenant=acme"

	req, err := saml.NewAuthnRequest(cfg, testNow)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(req.RedirectURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "https" || u.Host != "idp.example.test" || u.Path != "/saml/sso" || q.Get("tenant") != "acme" {
		t.Errorf("redirect URL %s does not keep the IdP SSO URL and its query", req.RedirectURL)
	}
	if q.Get("RelayState") != req.RelayState || len(req.RelayState) < 22 {
		t.Errorf("RelayState %q / %q", q.Get("RelayState"), req.RelayState)
	}
	if q.Has("Signature") || q.Has("SigAlg") {
		t.Error("request is signed although AuthnRequestsSigned=false")
	}
	// HTTP-Redirect binding: raw DEFLATE, then base64.
	deflated, err := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(deflated)))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	ar := doc.Root()
	if ar.Tag != "AuthnRequest" || ar.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:protocol" {
		t.Fatalf("not an AuthnRequest: %s", raw)
	}
	for k, want := range map[string]string{
		"ID":                          req.ID,
		"Version":                     "2.0",
		"IssueInstant":                "2026-11-22T12:00:00Z",
		"Destination":                 cfg.IdP.SSORedirectURL,
		"AssertionConsumerServiceURL": spACSURL,
		"ProtocolBinding":             saml.BindingHTTPPOST,
	} {
		if got := ar.SelectAttrValue(k, ""); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if iss := ar.SelectElement("Issuer"); iss == nil || iss.Text() != spEntityID {
		t.Errorf("Issuer: %s", raw)
	}
	if p := ar.SelectElement("NameIDPolicy"); p == nil || p.SelectAttrValue("Format", "") != saml.NameIDFormatEmailAddress {
		t.Errorf("NameIDPolicy: %s", raw)
	}

	again, err := saml.NewAuthnRequest(cfg, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID == req.ID || again.RelayState == req.RelayState {
		t.Error("two requests share an ID or RelayState")
	}
}

func TestNewAuthnRequestErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		edit func(*saml.SPConfig)
		want error
	}{
		{"IdP wants signed requests", func(c *saml.SPConfig) { c.IdP.WantAuthnRequestsSigned = true }, saml.ErrSignedRequestsRequired},
		{"no redirect binding", func(c *saml.SPConfig) { c.IdP.SSORedirectURL = "" }, saml.ErrNoRedirectBinding},
		{"bad SP config", func(c *saml.SPConfig) { c.ACSURL = "" }, saml.ErrInvalidConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.cfg
			tc.edit(&cfg)
			if _, err := saml.NewAuthnRequest(cfg, testNow); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSPInitiatedRoundTrip runs the whole SP-initiated flow: request, IdP
// answer carrying the request ID, validation bound to that ID.
func TestSPInitiatedRoundTrip(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg
	cfg.AllowIdPInitiated = false
	req, err := saml.NewAuthnRequest(cfg, testNow)
	if err != nil {
		t.Fatal(err)
	}
	o := f.spInitiated(0)
	o.InResponseTo = req.ID
	got, err := saml.Validate(t.Context(), cfg, f.idp.Response(t, o), saml.Expectation{InResponseTo: req.ID}, newReplay())
	if err != nil {
		t.Fatal(err)
	}
	if got.InResponseTo != req.ID {
		t.Errorf("InResponseTo = %q, want %q", got.InResponseTo, req.ID)
	}
}
