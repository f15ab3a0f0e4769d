package saml_test

import (
	"context"
	"testing"

	"github.com/rosterhq/roster/internal/sso/saml"
	"github.com/rosterhq/roster/internal/sso/saml/samltest"
)

// FuzzValidate feeds arbitrary documents to Validate. Properties: it never
// panics; it returns exactly one of (assertion, error); errors are always
// *ValidationError; and anything it accepts names the only identity the
// seeds' genuine signatures cover (alice), never the attacker's forged
// admin identity. With raw=true the bytes are passed without base64
// encoding, exercising the decoding layer.
func FuzzValidate(f *testing.F) {
	fx := newFixture(f)
	expect := saml.Expectation{InResponseTo: requestID}
	for _, sign := range []samltest.SignMode{samltest.SignAssertion, samltest.SignResponse, samltest.SignBoth} {
		o := fx.spInitiated(sign)
		o.Attributes = map[string][]string{"groups": {"eng"}}
		doc := fx.idp.ResponseXML(f, o)
		f.Add(doc, false)
		for _, v := range samltest.XSWVariants() {
			if (v <= 2) == (sign != samltest.SignAssertion) || sign == samltest.SignBoth {
				f.Add(samltest.XSW(f, doc, v, "admin@example.com"), false)
			}
		}
		f.Add(samltest.TamperNameID(f, doc, "admin@example.com"), false)
	}
	o := fx.spInitiated(samltest.SignAssertion)
	o.NameID = "alice@example.com.evil.com"
	f.Add(samltest.CommentInNameID(f, fx.idp.ResponseXML(f, o), "alice@example.com"), false)
	f.Add(samltest.BillionLaughs(), false)
	f.Add(samltest.ExternalEntity(), false)
	f.Add([]byte("not base64 at all"), true)
	f.Add([]byte(samltest.Encode([]byte("<x/>"))), true)

	f.Fuzz(func(t *testing.T, doc []byte, raw bool) {
		in := samltest.Encode(doc)
		if raw {
			in = string(doc)
		}
		got, err := saml.Validate(context.Background(), fx.cfg, in, expect, newReplay())
		if (got == nil) == (err == nil) {
			t.Fatalf("Validate returned assertion=%v and err=%v", got, err)
		}
		if err != nil {
			if _, ok := saml.ReasonOf(err); !ok {
				t.Fatalf("error is not a *ValidationError: %v", err)
			}
			return
		}
		if got.NameID != "alice@example.com" && got.NameID != "alice@example.com.evil.com" {
			t.Fatalf("accepted a document naming %q", got.NameID)
		}
	})
}
