package saml_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

func TestParseIdPMetadataRealShapes(t *testing.T) {
	tests := []struct {
		file          string
		entityID      string
		redirect      string
		post          string
		certs         int
		certCN        string
		nameIDFormats int
	}{
		{
			file:          "testdata/okta-metadata.xml",
			entityID:      "http://www.okta.com/exk9q2w7hbXyZ3Lm5d7",
			redirect:      "https://dev-48213967.okta.com/app/dev-48213967_roster_1/exk9q2w7hbXyZ3Lm5d7/sso/saml",
			post:          "https://dev-48213967.okta.com/app/dev-48213967_roster_1/exk9q2w7hbXyZ3Lm5d7/sso/saml",
			certs:         1,
			certCN:        "dev-48213967",
			nameIDFormats: 2,
		},
		{
			// Entra: default namespace, metadata Signature, WS-Fed RoleDescriptors
			// (ignored), and two signing certificates during rollover.
			file:     "testdata/entra-federationmetadata.xml",
			entityID: "https://sts.windows.net/8c2f5e1a-3b4d-4f6e-9a7b-1c2d3e4f5a6b/",
			redirect: "https://login.microsoftonline.com/8c2f5e1a-3b4d-4f6e-9a7b-1c2d3e4f5a6b/saml2",
			post:     "https://login.microsoftonline.com/8c2f5e1a-3b4d-4f6e-9a7b-1c2d3e4f5a6b/saml2",
			certs:    2,
			certCN:   "Microsoft Azure Federated SSO Certificate",
		},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			md, err := saml.ParseIdPMetadata(data)
			if err != nil {
				t.Fatalf("ParseIdPMetadata: %v", err)
			}
			if md.EntityID != tc.entityID || md.SSORedirectURL != tc.redirect || md.SSOPostURL != tc.post {
				t.Errorf("got %q %q %q", md.EntityID, md.SSORedirectURL, md.SSOPostURL)
			}
			if len(md.SigningCertificates) != tc.certs {
				t.Fatalf("%d certificates, want %d", len(md.SigningCertificates), tc.certs)
			}
			for _, c := range md.SigningCertificates {
				if c.Subject.CommonName != tc.certCN {
					t.Errorf("certificate CN %q", c.Subject.CommonName)
				}
			}
			if md.WantAuthnRequestsSigned {
				t.Error("WantAuthnRequestsSigned = true")
			}
			if len(md.NameIDFormats) != tc.nameIDFormats {
				t.Errorf("NameIDFormats = %v", md.NameIDFormats)
			}
		})
	}
}

func TestParseIdPMetadataSamltest(t *testing.T) {
	idp := samltest.NewIdP(t, samltest.Options{Keys: 3, WantAuthnRequestsSigned: true})
	md, err := saml.ParseIdPMetadata(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != idp.EntityID || md.SSORedirectURL != idp.SSOURL || !md.WantAuthnRequestsSigned {
		t.Errorf("got %+v", md)
	}
	if len(md.SigningCertificates) != 3 {
		t.Fatalf("%d certificates, want 3", len(md.SigningCertificates))
	}
	for i, c := range md.SigningCertificates {
		if !c.Equal(idp.Keys[i].Cert) {
			t.Errorf("certificate %d differs", i)
		}
	}
}

func TestParseIdPMetadataRefuses(t *testing.T) {
	okta, err := os.ReadFile("testdata/okta-metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	cert := func(t *testing.T, pub, priv any) string {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "k"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(der)
	}
	withCert := func(c string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			return []byte(`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>` + c + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`)
		}
	}
	replace := func(old, new string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			if !bytes.Contains(okta, []byte(old)) {
				t.Fatalf("fixture lacks %q", old)
			}
			return bytes.Replace(okta, []byte(old), []byte(new), 1)
		}
	}
	tests := []struct {
		name  string
		input func(t *testing.T) []byte
		want  saml.MetadataProblem
	}{
		{"DTD", func(*testing.T) []byte { return append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), okta...) }, saml.MetadataDTD},
		{"too large", func(*testing.T) []byte { return bytes.Repeat([]byte(" "), saml.MaxMetadataSize+1) }, saml.MetadataTooLarge},
		{"not XML", func(*testing.T) []byte { return []byte("{}") }, saml.MetadataMalformed},
		{"wrong root", func(*testing.T) []byte { return []byte(`<x/>`) }, saml.MetadataMalformed},
		{"SP metadata instead of IdP", func(t *testing.T) []byte {
			b, err := saml.SPMetadata(saml.SPConfig{EntityID: "https://sp", ACSURL: "https://sp/acs"})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, saml.MetadataNotIdP},
		{"SAML 1.1 only IDPSSODescriptor", replace(`protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"`, `protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"`), saml.MetadataNotIdP},
		{"encryption-only key", replace(`use="signing"`, `use="encryption"`), saml.MetadataNoSigningCert},
		{"no SSO endpoint", func(*testing.T) []byte {
			b := bytes.ReplaceAll(okta, []byte(`bindings:HTTP-POST"`), []byte(`bindings:SOAP"`))
			return bytes.ReplaceAll(b, []byte(`bindings:HTTP-Redirect"`), []byte(`bindings:PAOS"`))
		}, saml.MetadataNoSSO},
		{"http SSO URL", replace(`Location="https://dev-48213967`, `Location="http://dev-48213967`), saml.MetadataNoSSO},
		{"bad WantAuthnRequestsSigned", replace(`WantAuthnRequestsSigned="false"`, `WantAuthnRequestsSigned="yes"`), saml.MetadataMalformed},
		{"garbage certificate", withCert("bm90IGEgY2VydA=="), saml.MetadataBadCertificate},
		{"ECDSA certificate", func(t *testing.T) []byte {
			k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			return withCert(cert(t, &k.PublicKey, k))(t)
		}, saml.MetadataBadCertificate},
		{"1024-bit RSA certificate", func(t *testing.T) []byte {
			k, _ := rsa.GenerateKey(rand.Reader, 1024)
			return withCert(cert(t, &k.PublicKey, k))(t)
		}, saml.MetadataBadCertificate},
		{"EntitiesDescriptor with two IdPs", func(*testing.T) []byte {
			inner := strings.TrimPrefix(string(okta), `<?xml version="1.0" encoding="UTF-8"?>`)
			return []byte(`<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">` + inner + inner + `</md:EntitiesDescriptor>`)
		}, saml.MetadataNotIdP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := saml.ParseIdPMetadata(tc.input(t))
			var me *saml.MetadataError
			if !errors.As(err, &me) {
				t.Fatalf("err = %v, want *MetadataError", err)
			}
			if me.Problem != tc.want {
				t.Fatalf("problem = %q, want %q (%v)", me.Problem, tc.want, err)
			}
		})
	}
}

func TestParseIdPMetadataEntitiesDescriptorWithOneIdP(t *testing.T) {
	okta, err := os.ReadFile("testdata/okta-metadata.xml")
	if err != nil {
		t.Fatal(err)
	}
	inner := strings.TrimPrefix(string(okta), `<?xml version="1.0" encoding="UTF-8"?>`)
	doc := `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:EntityDescriptor entityID="https://sp.example"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>` + inner + `</md:EntitiesDescriptor>`
	md, err := saml.ParseIdPMetadata([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != "http://www.okta.com/exk9q2w7hbXyZ3Lm5d7" {
		t.Errorf("EntityID = %q", md.EntityID)
	}
}
