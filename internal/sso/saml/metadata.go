package saml

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Binding and format URIs from SAML 2.0 bindings/core.
const (
	BindingHTTPRedirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
	BindingHTTPPOST     = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

	NameIDFormatUnspecified  = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	NameIDFormatEmailAddress = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDFormatPersistent   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDFormatTransient    = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
	nameIDFormatEntity       = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

	protocolSAML2 = "urn:oasis:names:tc:SAML:2.0:protocol"
)

// MaxMetadataSize bounds IdP metadata documents. Entra's federation metadata
// is roughly 20 KiB; Okta's is under 4 KiB. Aggregated federation feeds
// (InCommon, eduGAIN) are far larger and are deliberately not supported.
const MaxMetadataSize = 1 << 20

// minRSABits is the smallest IdP signing key accepted.
const minRSABits = 2048

// IdPMetadata is what roster needs from an identity provider's SAML
// metadata. Store the raw metadata document and re-parse it on load rather
// than persisting this struct, so that parsing rules stay in one place.
type IdPMetadata struct {
	// EntityID is the IdP's entityID; responses must carry it as Issuer.
	EntityID string
	// SSORedirectURL is the SingleSignOnService for the HTTP-Redirect
	// binding ("" if the IdP publishes none). NewAuthnRequest uses it.
	SSORedirectURL string
	// SSOPostURL is the SingleSignOnService for the HTTP-POST binding ("" if
	// none). Informational; roster sends requests by redirect.
	SSOPostURL string
	// SigningCertificates are all certificates from KeyDescriptors whose use
	// is "signing" or unspecified, in document order, deduplicated. Several
	// are normal during key rollover; a response signed by any of them is
	// accepted (if the certificate is within its validity period).
	SigningCertificates []*x509.Certificate
	// WantAuthnRequestsSigned mirrors the IDPSSODescriptor attribute. roster
	// does not sign requests, so NewAuthnRequest refuses when it is true.
	WantAuthnRequestsSigned bool
	// NameIDFormats lists the NameIDFormat values the IdP advertises.
	NameIDFormats []string
}

// ParseIdPMetadata parses an IdP's SAML 2.0 metadata document (as exported
// by Okta, Microsoft Entra ID and other IdPs).
//
// The root may be an EntityDescriptor or an EntitiesDescriptor holding
// exactly one EntityDescriptor with an IDPSSODescriptor. Only the
// IDPSSODescriptor supporting the SAML 2.0 protocol is read; Entra's
// WS-Federation RoleDescriptors are ignored even though they repeat the
// certificates. The metadata's own enveloped Signature is not verified: the
// administrator uploads the document (or roster fetches it over HTTPS), and
// that channel is the trust anchor — as with every mainstream SP.
//
// For safety the document must be at most MaxMetadataSize bytes and must not
// contain a DTD. Signing certificates must be RSA with at least 2048-bit
// keys (goxmldsig's ECDSA support is not interoperable, see doc.go).
// Certificate expiry is not checked here — Validate refuses signatures made
// by expired certificates — so expired metadata still parses and the
// console can show the dates. Errors are *MetadataError.
func ParseIdPMetadata(data []byte) (IdPMetadata, error) {
	if len(data) > MaxMetadataSize {
		return IdPMetadata{}, metaFail(MetadataTooLarge, nil, "%d bytes exceeds the %d-byte limit", len(data), MaxMetadataSize)
	}
	doc, err := parseUntrustedXML(data, xmlLimits{maxElements: 20000, maxDepth: 32})
	if err != nil {
		if errors.Is(err, errDTD) {
			return IdPMetadata{}, metaFail(MetadataDTD, err, "")
		}
		return IdPMetadata{}, metaFail(MetadataMalformed, err, "")
	}
	root := doc.Root()
	if err := checkNamespaces(root); err != nil {
		return IdPMetadata{}, metaFail(MetadataMalformed, err, "")
	}

	ed, err := findIdPEntity(root)
	if err != nil {
		return IdPMetadata{}, err
	}
	var md IdPMetadata
	md.EntityID, _ = attr(ed, "entityID")
	md.EntityID = strings.TrimSpace(md.EntityID)
	if md.EntityID == "" || len(md.EntityID) > 1024 {
		return IdPMetadata{}, metaFail(MetadataMalformed, nil, "EntityDescriptor has no usable entityID")
	}

	var idps []*etree.Element
	for _, d := range childrenNS(ed, nsMetadata, "IDPSSODescriptor") {
		if supportsSAML2(d) {
			idps = append(idps, d)
		}
	}
	if len(idps) != 1 {
		return IdPMetadata{}, metaFail(MetadataNotIdP, nil, "found %d SAML 2.0 IDPSSODescriptor elements, want 1", len(idps))
	}
	idp := idps[0]

	if v, ok := attr(idp, "WantAuthnRequestsSigned"); ok {
		b, err := parseXSBoolean(v)
		if err != nil {
			return IdPMetadata{}, metaFail(MetadataMalformed, err, "WantAuthnRequestsSigned")
		}
		md.WantAuthnRequestsSigned = b
	}

	for _, sso := range childrenNS(idp, nsMetadata, "SingleSignOnService") {
		binding, _ := attr(sso, "Binding")
		loc, _ := attr(sso, "Location")
		loc = strings.TrimSpace(loc)
		switch binding {
		case BindingHTTPRedirect:
			if md.SSORedirectURL != "" {
				continue
			}
			if err := checkEndpointURL(loc); err != nil {
				return IdPMetadata{}, metaFail(MetadataNoSSO, err, "HTTP-Redirect SingleSignOnService")
			}
			md.SSORedirectURL = loc
		case BindingHTTPPOST:
			if md.SSOPostURL != "" {
				continue
			}
			if err := checkEndpointURL(loc); err != nil {
				return IdPMetadata{}, metaFail(MetadataNoSSO, err, "HTTP-POST SingleSignOnService")
			}
			md.SSOPostURL = loc
		}
	}
	if md.SSORedirectURL == "" && md.SSOPostURL == "" {
		return IdPMetadata{}, metaFail(MetadataNoSSO, nil, "no HTTP-Redirect or HTTP-POST SingleSignOnService")
	}

	for _, f := range childrenNS(idp, nsMetadata, "NameIDFormat") {
		v, err := textOf(f)
		if err == nil && strings.TrimSpace(v) != "" {
			md.NameIDFormats = append(md.NameIDFormats, strings.TrimSpace(v))
		}
	}

	certs, err := signingCertificates(idp)
	if err != nil {
		return IdPMetadata{}, err
	}
	md.SigningCertificates = certs
	return md, nil
}

// findIdPEntity returns the EntityDescriptor to read: the root itself, or
// the single IdP EntityDescriptor inside an EntitiesDescriptor.
func findIdPEntity(root *etree.Element) (*etree.Element, error) {
	switch {
	case is(root, nsMetadata, "EntityDescriptor"):
		return root, nil
	case is(root, nsMetadata, "EntitiesDescriptor"):
		var found []*etree.Element
		var walk func(el *etree.Element)
		walk = func(el *etree.Element) {
			for _, c := range el.ChildElements() {
				switch {
				case is(c, nsMetadata, "EntitiesDescriptor"):
					walk(c)
				case is(c, nsMetadata, "EntityDescriptor") && len(childrenNS(c, nsMetadata, "IDPSSODescriptor")) > 0:
					found = append(found, c)
				}
			}
		}
		walk(root)
		if len(found) != 1 {
			return nil, metaFail(MetadataNotIdP, nil, "EntitiesDescriptor holds %d identity providers; upload the metadata of exactly one", len(found))
		}
		return found[0], nil
	default:
		return nil, metaFail(MetadataMalformed, nil, "root element is <%s>, want md:EntityDescriptor", root.Tag)
	}
}

func supportsSAML2(d *etree.Element) bool {
	v, _ := attr(d, "protocolSupportEnumeration")
	for _, p := range strings.Fields(v) {
		if p == protocolSAML2 {
			return true
		}
	}
	return false
}

// signingCertificates collects every X509Certificate under KeyDescriptors
// of the IDPSSODescriptor whose use is "signing" or absent.
func signingCertificates(idp *etree.Element) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, kd := range childrenNS(idp, nsMetadata, "KeyDescriptor") {
		if use, ok := attr(kd, "use"); ok && use != "signing" {
			continue
		}
		for _, ki := range childrenNS(kd, nsDSig, "KeyInfo") {
			for _, xd := range childrenNS(ki, nsDSig, "X509Data") {
				for _, xc := range childrenNS(xd, nsDSig, "X509Certificate") {
					txt, err := textOf(xc)
					if err != nil {
						return nil, metaFail(MetadataBadCertificate, err, "")
					}
					cert, err := parseBase64Cert(txt)
					if err != nil {
						return nil, metaFail(MetadataBadCertificate, err, "")
					}
					if err := checkSigningKey(cert); err != nil {
						return nil, metaFail(MetadataBadCertificate, err, "certificate %q", cert.Subject.String())
					}
					dup := false
					for _, c := range out {
						if c.Equal(cert) {
							dup = true
							break
						}
					}
					if !dup {
						out = append(out, cert)
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, metaFail(MetadataNoSigningCert, nil, "no KeyDescriptor with use=\"signing\" (or no use) carries an X509Certificate")
	}
	if len(out) > maxSigningCerts {
		return nil, metaFail(MetadataBadCertificate, nil, "%d signing certificates; at most %d are supported", len(out), maxSigningCerts)
	}
	return out, nil
}

// maxSigningCerts bounds the per-response verification work: a KeyInfo-less
// signature is tried against each certificate in turn.
const maxSigningCerts = 8

// parseBase64Cert decodes a base64 DER certificate, ignoring whitespace as
// XML-DSig allows.
func parseBase64Cert(s string) (*x509.Certificate, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	der, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode certificate base64: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// checkSigningKey enforces RSA with at least minRSABits.
func checkSigningKey(c *x509.Certificate) error {
	pub, ok := c.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("public key is %s, only RSA is supported", c.PublicKeyAlgorithm)
	}
	if pub.N.BitLen() < minRSABits {
		return fmt.Errorf("RSA key has %d bits, want at least %d", pub.N.BitLen(), minRSABits)
	}
	return nil
}

func parseXSBoolean(v string) (bool, error) {
	switch strings.TrimSpace(v) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid xs:boolean %q", v)
}

// checkEndpointURL requires an absolute https URL (http only for loopback
// hosts, for local development IdPs).
func checkEndpointURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("parse URL: %w", err)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("URL %s is not an absolute URL without credentials or fragment", quote(s))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("URL %s must use https", quote(s))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validAt reports whether now lies within the certificate's validity.
func validAt(c *x509.Certificate, now time.Time) bool {
	return !now.Before(c.NotBefore) && !now.After(c.NotAfter)
}
