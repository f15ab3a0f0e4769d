package saml

import (
	"crypto/x509"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// signatureAlgorithm classifies a SignatureMethod URI: whether it is on the
// allow-list and whether it is SHA-1 based (accepted only with
// SPConfig.AllowSHA1).
func signatureAlgorithm(alg string) (allowed, sha1 bool) {
	switch alg {
	case dsig.RSASHA256SignatureMethod, dsig.RSASHA384SignatureMethod, dsig.RSASHA512SignatureMethod:
		return true, false
	case dsig.RSASHA1SignatureMethod:
		return true, true
	}
	return false, false
}

// digestAlgorithm classifies a DigestMethod URI like signatureAlgorithm.
func digestAlgorithm(alg string) (allowed, sha1 bool) {
	switch alg {
	case "http://www.w3.org/2001/04/xmlenc#sha256",
		"http://www.w3.org/2001/04/xmldsig-more#sha384",
		"http://www.w3.org/2001/04/xmlenc#sha512":
		return true, false
	case "http://www.w3.org/2000/09/xmldsig#sha1":
		return true, true
	}
	return false, false
}

const (
	algExcC14N    = string(dsig.CanonicalXML10ExclusiveAlgorithmId)
	algEnveloped  = string(dsig.EnvelopedSignatureAltorithmId)
	ecdsaAlgStart = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-"
)

// checkSignatureShape applies roster's signature policy to one ds:Signature
// before any cryptography runs. It pins the exact shape SAML profiles use
// (SAML core §5.4): SignedInfo with exclusive c14n, one allow-listed
// SignatureMethod, exactly one Reference whose URI is "#"+parentID, the
// enveloped-signature and exclusive-c14n transforms, one allow-listed
// DigestMethod; optional KeyInfo holding only X509Data/X509Certificate;
// nothing else (no ds:Object, where XSW6/XSW8 hide content). goxmldsig would
// accept more (other c14n variants, URI="" references, SHA-1), so this is
// where those are refused. It returns the certificate embedded in KeyInfo,
// if any, so the caller can match it against the metadata.
func checkSignatureShape(sig *etree.Element, parentID string, allowSHA1 bool) (*x509.Certificate, *ValidationError) {
	var signedInfo, keyInfo *etree.Element
	sigValues := 0
	for _, c := range sig.ChildElements() {
		switch {
		case is(c, nsDSig, "SignedInfo") && signedInfo == nil:
			signedInfo = c
		case is(c, nsDSig, "SignatureValue"):
			sigValues++
		case is(c, nsDSig, "KeyInfo") && keyInfo == nil:
			keyInfo = c
		default:
			return nil, fail(ReasonWrapping, nil, "unexpected <%s> inside Signature", c.Tag)
		}
	}
	if signedInfo == nil || sigValues != 1 {
		return nil, fail(ReasonSignature, nil, "Signature needs exactly one SignedInfo and one SignatureValue")
	}

	var c14n, method, ref *etree.Element
	for _, c := range signedInfo.ChildElements() {
		switch {
		case is(c, nsDSig, "CanonicalizationMethod") && c14n == nil:
			c14n = c
		case is(c, nsDSig, "SignatureMethod") && method == nil:
			method = c
		case is(c, nsDSig, "Reference") && ref == nil:
			ref = c
		default:
			return nil, fail(ReasonWrapping, nil, "unexpected <%s> inside SignedInfo (exactly one Reference is allowed)", c.Tag)
		}
	}
	if c14n == nil || method == nil || ref == nil {
		return nil, fail(ReasonSignature, nil, "SignedInfo lacks CanonicalizationMethod, SignatureMethod or Reference")
	}
	if alg, _ := attr(c14n, "Algorithm"); alg != algExcC14N {
		return nil, fail(ReasonUnsupportedAlgorithm, nil, "canonicalization %s; only exclusive c14n without comments is accepted", quote(alg))
	}
	if err := onlyInclusiveNamespaces(c14n); err != nil {
		return nil, err
	}
	if len(method.ChildElements()) != 0 {
		return nil, fail(ReasonUnsupportedAlgorithm, nil, "SignatureMethod parameters are not supported")
	}
	alg, _ := attr(method, "Algorithm")
	if err := checkAlgorithm("signature", alg, signatureAlgorithm, allowSHA1); err != nil {
		return nil, err
	}

	if parentID == "" {
		return nil, fail(ReasonMalformed, nil, "signed element has no ID")
	}
	if uri, _ := attr(ref, "URI"); uri != "#"+parentID {
		return nil, fail(ReasonWrapping, nil, "signature Reference URI %s does not point at its parent element", quote(uri))
	}
	var transforms, digestMethod, digestValue *etree.Element
	for _, c := range ref.ChildElements() {
		switch {
		case is(c, nsDSig, "Transforms") && transforms == nil:
			transforms = c
		case is(c, nsDSig, "DigestMethod") && digestMethod == nil:
			digestMethod = c
		case is(c, nsDSig, "DigestValue") && digestValue == nil:
			digestValue = c
		default:
			return nil, fail(ReasonWrapping, nil, "unexpected <%s> inside Reference", c.Tag)
		}
	}
	if transforms == nil || digestMethod == nil || digestValue == nil {
		return nil, fail(ReasonSignature, nil, "Reference lacks Transforms, DigestMethod or DigestValue")
	}
	seen := map[string]int{}
	for _, t := range transforms.ChildElements() {
		if !is(t, nsDSig, "Transform") {
			return nil, fail(ReasonWrapping, nil, "unexpected <%s> inside Transforms", t.Tag)
		}
		a, _ := attr(t, "Algorithm")
		switch a {
		case algEnveloped:
			if len(t.ChildElements()) != 0 {
				return nil, fail(ReasonUnsupportedAlgorithm, nil, "enveloped-signature transform takes no parameters")
			}
		case algExcC14N:
			if err := onlyInclusiveNamespaces(t); err != nil {
				return nil, err
			}
		default:
			return nil, fail(ReasonUnsupportedAlgorithm, nil, "transform %s is not accepted", quote(a))
		}
		seen[a]++
	}
	if len(seen) != 2 || seen[algEnveloped] != 1 || seen[algExcC14N] != 1 {
		return nil, fail(ReasonUnsupportedAlgorithm, nil, "transforms must be exactly enveloped-signature and exclusive c14n")
	}
	dalg, _ := attr(digestMethod, "Algorithm")
	if err := checkAlgorithm("digest", dalg, digestAlgorithm, allowSHA1); err != nil {
		return nil, err
	}

	if keyInfo == nil {
		return nil, nil
	}
	x509Data, n := oneChild(keyInfo, nsDSig, "X509Data")
	if n != 1 || len(keyInfo.ChildElements()) != 1 {
		return nil, fail(ReasonSignature, nil, "KeyInfo must hold exactly one X509Data")
	}
	certs := x509Data.ChildElements()
	if len(certs) == 0 {
		return nil, fail(ReasonSignature, nil, "X509Data holds no X509Certificate")
	}
	for _, c := range certs {
		if !is(c, nsDSig, "X509Certificate") {
			return nil, fail(ReasonSignature, nil, "X509Data may only hold X509Certificate elements")
		}
	}
	txt, err := textOf(certs[0])
	if err != nil {
		return nil, fail(ReasonSignature, err, "KeyInfo certificate")
	}
	cert, err := parseBase64Cert(txt)
	if err != nil {
		return nil, fail(ReasonSignature, err, "KeyInfo certificate does not parse")
	}
	return cert, nil
}

// onlyInclusiveNamespaces allows an exc-c14n InclusiveNamespaces parameter
// (Okta uses PrefixList="xs") and nothing else.
func onlyInclusiveNamespaces(el *etree.Element) *ValidationError {
	for _, c := range el.ChildElements() {
		if !is(c, nsExcC14N, "InclusiveNamespaces") {
			return fail(ReasonUnsupportedAlgorithm, nil, "unexpected <%s> parameter", c.Tag)
		}
	}
	return nil
}

func checkAlgorithm(kind, alg string, classify func(string) (allowed, sha1 bool), allowSHA1 bool) *ValidationError {
	ok, isSHA1 := classify(alg)
	switch {
	case strings.HasPrefix(alg, ecdsaAlgStart):
		return fail(ReasonUnsupportedAlgorithm, nil, "%s algorithm %s: ECDSA is not supported (goxmldsig uses ASN.1 instead of XML-DSig's r||s encoding)", kind, quote(alg))
	case !ok:
		return fail(ReasonUnsupportedAlgorithm, nil, "%s algorithm %s is not accepted", kind, quote(alg))
	case isSHA1 && !allowSHA1:
		return fail(ReasonSHA1, nil, "%s algorithm %s is SHA-1 and SHA-1 is not allowed for this organization", kind, quote(alg))
	}
	return nil
}

// detach returns a standalone copy of el carrying every namespace
// declaration in scope at its position, as goxmldsig needs for a subtree.
func detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(ctx, el)
}

// verifyEnveloped verifies the enveloped signature of the standalone
// element el with goxmldsig and returns goxmldsig's result: a fresh element
// parsed from the canonical bytes that the digest covered, with the
// signature removed. Callers read values only from that result, which is
// what defeats signature wrapping.
//
// Trust comes only from the metadata: when the signature embeds a
// certificate, it merely selects which metadata certificate to use, and it
// must equal one of them (else ReasonUntrustedKey); goxmldsig then verifies
// with the metadata copy. Without KeyInfo every metadata certificate is
// tried in turn, each in its own single-certificate store, because
// goxmldsig refuses KeyInfo-less signatures when its store holds more than
// one certificate — which would break rollover.
func verifyEnveloped(el *etree.Element, metadataCerts []*x509.Certificate, keyInfoCert *x509.Certificate, now time.Time) (*etree.Element, *ValidationError) {
	candidates := metadataCerts
	if keyInfoCert != nil {
		candidates = nil
		for _, c := range metadataCerts {
			if c.Equal(keyInfoCert) {
				candidates = []*x509.Certificate{c}
				break
			}
		}
		if candidates == nil {
			return nil, fail(ReasonUntrustedKey, nil, "KeyInfo certificate %s (serial %s) is not a signing certificate in the IdP metadata",
				quote(keyInfoCert.Subject.String()), keyInfoCert.SerialNumber.String())
		}
	}
	var lastErr error
	tried := 0
	for _, cert := range candidates {
		if !validAt(cert, now) {
			continue
		}
		tried++
		vctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
		vctx.Clock = dsig.NewFakeClockAt(now)
		verified, err := vctx.Validate(el)
		if err == nil && verified != nil {
			return verified, nil
		}
		lastErr = err
	}
	if tried == 0 {
		return nil, fail(ReasonCertificateExpired, nil, "no metadata signing certificate that could have signed this is valid at %s", now.Format(time.RFC3339))
	}
	return nil, fail(ReasonSignature, lastErr, "signature verification failed")
}
