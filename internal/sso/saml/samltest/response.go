package samltest

import (
	"crypto/x509"
	"encoding/base64"
	"sort"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// SP identifies the service provider a response is addressed to.
type SP struct {
	EntityID string
	ACSURL   string
}

// SignMode selects which elements the IdP signs.
type SignMode int

// Signing modes.
const (
	// SignAssertion signs only the Assertion (Entra's default).
	SignAssertion SignMode = iota
	// SignResponse signs only the Response envelope (Okta's default).
	SignResponse
	// SignBoth signs the Assertion, then the Response around it.
	SignBoth
	// SignNone produces an unsigned response.
	SignNone
)

// Omit is a sentinel for string options meaning "leave the attribute or
// element out" (as opposed to "" meaning "use the default").
const Omit = "\x00omit"

// ResponseOptions are the knobs of the response builder. The zero value
// (plus SP) produces a valid, assertion-signed, IdP-initiated response.
type ResponseOptions struct {
	// SP is the recipient; required.
	SP SP
	// Sign selects what is signed (default SignAssertion).
	Sign SignMode
	// SHA1 signs with RSA-SHA1 and a SHA-1 digest instead of SHA-256.
	SHA1 bool
	// SignWith is the signing key (default the IdP's Keys[0]). Use another
	// IdP key for rollover or a foreign NewKey for attacks.
	SignWith *Key
	// KeyInfoCert is the certificate embedded in KeyInfo (default
	// SignWith.Cert). Set a foreign certificate to test that KeyInfo is not
	// trusted.
	KeyInfoCert *x509.Certificate
	// OmitKeyInfo leaves KeyInfo out of the signatures.
	OmitKeyInfo bool

	// IssueInstant defaults to the IdP's Now.
	IssueInstant time.Time
	// NotBefore / NotOnOrAfter of Conditions; default IssueInstant and
	// IssueInstant+5m.
	NotBefore, NotOnOrAfter time.Time
	// SubjectNotOnOrAfter of SubjectConfirmationData; default
	// IssueInstant+5m.
	SubjectNotOnOrAfter time.Time

	// Audiences in the AudienceRestriction (default [SP.EntityID]).
	Audiences []string
	// OmitAudienceRestriction leaves the AudienceRestriction out.
	OmitAudienceRestriction bool
	// Recipient of SubjectConfirmationData (default SP.ACSURL; Omit).
	Recipient string
	// Destination of the Response (default SP.ACSURL; Omit).
	Destination string
	// Issuer of Response and Assertion (default the IdP entity ID).
	Issuer string
	// AssertionIssuer overrides the Assertion's Issuer only.
	AssertionIssuer string
	// InResponseTo on the Response and SubjectConfirmationData ("" = none).
	InResponseTo string
	// NameID (default "alice@example.com") and its Format (default
	// emailAddress; Omit).
	NameID, NameIDFormat string
	// Attributes are emitted sorted by name.
	Attributes map[string][]string
	// StatusCode of the Response (default Success). With a non-success
	// status no assertion is emitted.
	StatusCode string
	// OmitAuthnStatement leaves the AuthnStatement out.
	OmitAuthnStatement bool
	// ConfirmationMethod (default bearer).
	ConfirmationMethod string
	// ResponseID and AssertionID default to random IDs.
	ResponseID, AssertionID string
	// SessionIndex of the AuthnStatement (default a random ID).
	SessionIndex string
	// Assertions is the number of (identically built, separately signed)
	// assertions; default 1.
	Assertions int
	// ExtraUnsignedAssertion appends an unsigned assertion for
	// ExtraNameID (default "admin@example.com") after the real one(s).
	ExtraUnsignedAssertion bool
	ExtraNameID            string
	// DefaultNamespaces renders the Assertion, the Response's Issuer and the
	// signatures with default namespace declarations instead of prefixes,
	// the way Microsoft Entra ID serializes its responses.
	DefaultNamespaces bool
}

// Response returns the base64-encoded SAMLResponse form value.
func (idp *IdP) Response(t testing.TB, o ResponseOptions) string {
	t.Helper()
	return Encode(idp.ResponseXML(t, o))
}

// Encode base64-encodes an XML document as the HTTP-POST binding does.
func Encode(doc []byte) string { return base64.StdEncoding.EncodeToString(doc) }

// ResponseXML builds, signs and serializes a samlp:Response.
func (idp *IdP) ResponseXML(t testing.TB, o ResponseOptions) []byte {
	t.Helper()
	if o.SP.EntityID == "" || o.SP.ACSURL == "" {
		t.Fatal("samltest: ResponseOptions.SP is required")
	}
	if o.IssueInstant.IsZero() {
		o.IssueInstant = idp.now()
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = o.IssueInstant
	}
	if o.NotOnOrAfter.IsZero() {
		o.NotOnOrAfter = o.IssueInstant.Add(5 * time.Minute)
	}
	if o.SubjectNotOnOrAfter.IsZero() {
		o.SubjectNotOnOrAfter = o.IssueInstant.Add(5 * time.Minute)
	}
	if o.Audiences == nil {
		o.Audiences = []string{o.SP.EntityID}
	}
	if o.Recipient == "" {
		o.Recipient = o.SP.ACSURL
	}
	if o.Destination == "" {
		o.Destination = o.SP.ACSURL
	}
	if o.Issuer == "" {
		o.Issuer = idp.EntityID
	}
	if o.AssertionIssuer == "" {
		o.AssertionIssuer = o.Issuer
	}
	if o.NameID == "" {
		o.NameID = "alice@example.com"
	}
	if o.NameIDFormat == "" {
		o.NameIDFormat = FormatEmail
	}
	if o.StatusCode == "" {
		o.StatusCode = StatusSuccess
	}
	if o.ConfirmationMethod == "" {
		o.ConfirmationMethod = MethodBearer
	}
	if o.ResponseID == "" {
		o.ResponseID = newID()
	}
	if o.SessionIndex == "" {
		o.SessionIndex = newID()
	}
	if o.SignWith == nil {
		o.SignWith = idp.Keys[0]
	}
	if o.KeyInfoCert == nil {
		o.KeyInfoCert = o.SignWith.Cert
	}
	if o.Assertions <= 0 {
		o.Assertions = 1
	}
	if o.ExtraNameID == "" {
		o.ExtraNameID = "admin@example.com"
	}

	resp := etree.NewElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", NSProtocol)
	resp.CreateAttr("xmlns:saml", NSAssertion)
	resp.CreateAttr("ID", o.ResponseID)
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", samlTime(o.IssueInstant))
	if o.Destination != Omit {
		resp.CreateAttr("Destination", o.Destination)
	}
	if o.InResponseTo != "" {
		resp.CreateAttr("InResponseTo", o.InResponseTo)
	}
	if o.DefaultNamespaces {
		iss := resp.CreateElement("Issuer")
		iss.CreateAttr("xmlns", NSAssertion)
		iss.SetText(o.Issuer)
	} else {
		resp.CreateElement("saml:Issuer").SetText(o.Issuer)
	}
	status := resp.CreateElement("samlp:Status")
	status.CreateElement("samlp:StatusCode").CreateAttr("Value", o.StatusCode)

	if o.StatusCode == StatusSuccess {
		for i := range o.Assertions {
			id := o.AssertionID
			if id == "" || i > 0 {
				id = newID()
			}
			a := idp.assertion(o, id, o.NameID)
			if o.Sign == SignAssertion || o.Sign == SignBoth {
				signInto(t, a, o)
			}
			resp.AddChild(a)
		}
		if o.ExtraUnsignedAssertion {
			resp.AddChild(idp.assertion(o, newID(), o.ExtraNameID))
		}
	}
	if o.Sign == SignResponse || o.Sign == SignBoth {
		signInto(t, resp, o)
	}

	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(resp)
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("samltest: serialize response: %v", err)
	}
	return out
}

// assertion builds a standalone saml:Assertion (declaring its own
// namespace, as Okta and Entra do, so it can be signed before insertion).
func (idp *IdP) assertion(o ResponseOptions, id, nameID string) *etree.Element {
	p := "saml:"
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", NSAssertion)
	if o.DefaultNamespaces {
		p = ""
		a = etree.NewElement("Assertion")
		a.CreateAttr("xmlns", NSAssertion)
	}
	a.CreateAttr("ID", id)
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", samlTime(o.IssueInstant))
	a.CreateElement(p + "Issuer").SetText(o.AssertionIssuer)

	subj := a.CreateElement(p + "Subject")
	nid := subj.CreateElement(p + "NameID")
	if o.NameIDFormat != Omit {
		nid.CreateAttr("Format", o.NameIDFormat)
	}
	nid.SetText(nameID)
	sc := subj.CreateElement(p + "SubjectConfirmation")
	sc.CreateAttr("Method", o.ConfirmationMethod)
	scd := sc.CreateElement(p + "SubjectConfirmationData")
	if o.InResponseTo != "" {
		scd.CreateAttr("InResponseTo", o.InResponseTo)
	}
	scd.CreateAttr("NotOnOrAfter", samlTime(o.SubjectNotOnOrAfter))
	if o.Recipient != Omit {
		scd.CreateAttr("Recipient", o.Recipient)
	}

	cond := a.CreateElement(p + "Conditions")
	cond.CreateAttr("NotBefore", samlTime(o.NotBefore))
	cond.CreateAttr("NotOnOrAfter", samlTime(o.NotOnOrAfter))
	if !o.OmitAudienceRestriction {
		ar := cond.CreateElement(p + "AudienceRestriction")
		for _, aud := range o.Audiences {
			ar.CreateElement(p + "Audience").SetText(aud)
		}
	}

	if !o.OmitAuthnStatement {
		as := a.CreateElement(p + "AuthnStatement")
		as.CreateAttr("AuthnInstant", samlTime(o.IssueInstant.Add(-time.Second)))
		as.CreateAttr("SessionIndex", o.SessionIndex)
		as.CreateElement(p + "AuthnContext").CreateElement(p + "AuthnContextClassRef").
			SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	}

	if len(o.Attributes) > 0 {
		st := a.CreateElement(p + "AttributeStatement")
		names := make([]string, 0, len(o.Attributes))
		for n := range o.Attributes {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			at := st.CreateElement(p + "Attribute")
			at.CreateAttr("Name", n)
			at.CreateAttr("NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic")
			for _, v := range o.Attributes[n] {
				at.CreateElement(p + "AttributeValue").SetText(v)
			}
		}
	}
	return a
}

// signInto computes an enveloped XML-DSig signature over the standalone
// element el with goxmldsig (exclusive c14n, RSA-SHA256 or RSA-SHA1) and
// inserts it right after el's Issuer child, where the SAML schema puts it.
func signInto(t testing.TB, el *etree.Element, o ResponseOptions) {
	t.Helper()
	var certs [][]byte
	if o.KeyInfoCert != nil {
		certs = [][]byte{o.KeyInfoCert.Raw}
	}
	ctx, err := dsig.NewSigningContext(o.SignWith.Private, certs)
	if err != nil {
		t.Fatalf("samltest: signing context: %v", err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if o.DefaultNamespaces {
		ctx.Prefix = ""
	}
	if o.SHA1 {
		if err := ctx.SetSignatureMethod(dsig.RSASHA1SignatureMethod); err != nil {
			t.Fatalf("samltest: %v", err)
		}
	}
	// goxmldsig canonicalizes its argument in place; sign a copy so the
	// serialized document keeps its original form.
	sig, err := ctx.ConstructSignature(el.Copy(), true)
	if err != nil {
		t.Fatalf("samltest: sign: %v", err)
	}
	if o.OmitKeyInfo {
		if ki := sig.SelectElement("KeyInfo"); ki != nil {
			sig.RemoveChild(ki)
		}
	}
	at := 0
	for i, tok := range el.Child {
		if c, ok := tok.(*etree.Element); ok && c.Tag == "Issuer" {
			at = i + 1
			break
		}
	}
	el.InsertChildAt(at, sig)
}

// samlTime formats an instant as SAML's xs:dateTime in UTC with
// milliseconds, as Okta does.
func samlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
