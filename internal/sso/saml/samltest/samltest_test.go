package samltest_test

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

// TestSignaturesVerifyWithGoxmldsig checks the test IdP independently of
// package saml: its signatures must verify with plain goxmldsig.
func TestSignaturesVerifyWithGoxmldsig(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	idp := samltest.NewIdP(t, samltest.Options{Now: func() time.Time { return now }})
	sp := samltest.SP{EntityID: "https://sp.example", ACSURL: "https://sp.example/acs"}
	vctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idp.Keys[0].Cert}})
	vctx.Clock = dsig.NewFakeClockAt(now)

	tests := []struct {
		name               string
		opts               samltest.ResponseOptions
		wantResp, wantAsrt bool
	}{
		{"assertion", samltest.ResponseOptions{SP: sp, Sign: samltest.SignAssertion}, false, true},
		{"response", samltest.ResponseOptions{SP: sp, Sign: samltest.SignResponse}, true, false},
		{"both", samltest.ResponseOptions{SP: sp, Sign: samltest.SignBoth}, true, true},
		{"both, SHA-1", samltest.ResponseOptions{SP: sp, Sign: samltest.SignBoth, SHA1: true}, true, true},
		{"both, default namespaces", samltest.ResponseOptions{SP: sp, Sign: samltest.SignBoth, DefaultNamespaces: true}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := idp.ResponseXML(t, tc.opts)
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(raw); err != nil {
				t.Fatal(err)
			}
			_, err := vctx.Validate(doc.Root())
			if (err == nil) != tc.wantResp {
				t.Errorf("response signature: err=%v, want signed=%v", err, tc.wantResp)
			}
			a, err := etreeutils.NSSelectOne(doc.Root(), samltest.NSAssertion, "Assertion")
			if err != nil || a == nil {
				t.Fatalf("no assertion: %v", err)
			}
			_, err = vctx.Validate(a)
			if (err == nil) != tc.wantAsrt {
				t.Errorf("assertion signature: err=%v, want signed=%v", err, tc.wantAsrt)
			}
		})
	}
}

func TestAttackHelpers(t *testing.T) {
	idp := samltest.NewIdP(t, samltest.Options{})
	sp := samltest.SP{EntityID: "https://sp.example", ACSURL: "https://sp.example/acs"}
	for _, v := range samltest.XSWVariants() {
		sign := samltest.SignAssertion
		if v <= 2 {
			sign = samltest.SignResponse
		}
		forged := samltest.XSW(t, idp.ResponseXML(t, samltest.ResponseOptions{SP: sp, Sign: sign}), v, "admin@example.com")
		if !bytes.Contains(forged, []byte(">admin@example.com<")) || !bytes.Contains(forged, []byte(">alice@example.com<")) {
			t.Errorf("XSW%d: forged document lacks the forged or the genuine NameID", v)
		}
		if err := etree.NewDocument().ReadFromBytes(forged); err != nil {
			t.Errorf("XSW%d: not well-formed: %v", v, err)
		}
	}
	c := samltest.CommentInNameID(t, idp.ResponseXML(t, samltest.ResponseOptions{SP: sp, NameID: "admin@example.com.evil.com"}), "admin@example.com")
	if !bytes.Contains(c, []byte("admin@example.com<!---->.evil.com")) {
		t.Errorf("comment not injected: %s", c)
	}
	if !bytes.Contains(samltest.BillionLaughs(), []byte("<!ENTITY lol9")) {
		t.Error("billion laughs payload lacks its entities")
	}
}
