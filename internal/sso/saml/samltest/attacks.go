package samltest

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// This file crafts hostile documents from genuine signed responses. The XSW
// variants follow SAML Raider's implementation (CompassSecurity/SAMLRaider,
// helpers/XSWHelpers.java) of the eight wrapping attacks catalogued in
// Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be" (USENIX
// Security 2012). In each, the attacker keeps the IdP's valid signature and
// its signed content somewhere in the document while adding forged content
// (here: a NameID of their choosing) where a naive SP reads identity.

// XSWVariants returns the wrapping attack variants XSW implements, 1–8.
func XSWVariants() []int { return []int{1, 2, 3, 4, 5, 6, 7, 8} }

// XSW applies wrapping attack variant (1–8) to a signed response and
// returns the forged document, whose forged assertion names evilNameID.
// Variants 1–2 need a signed Response; 3–8 need a signed Assertion.
//
//   - XSW1: the forged Response (new ID) becomes the root; an unsigned copy
//     of the original signed Response is appended inside the Signature, so
//     the Reference still resolves to genuine content.
//   - XSW2: like XSW1, but the original Response copy is inserted before the
//     Signature, as a sibling inside the forged Response.
//   - XSW3: a forged, unsigned Assertion (new ID) is inserted before the
//     signed one.
//   - XSW4: a forged Assertion (new ID) is appended to the Response and the
//     signed Assertion is moved inside it.
//   - XSW5: the signed Assertion's content is forged and its ID changed
//     (keeping the now-dangling Signature); an unsigned copy of the original
//     with the original ID is appended to the Response.
//   - XSW6: like XSW5, but the copy of the original is placed inside the
//     forged Assertion's Signature element.
//   - XSW7: an Extensions element holding a forged, unsigned Assertion (same
//     ID as the original) is inserted before the signed Assertion.
//   - XSW8: the signed Assertion's content is forged (ID kept) and a copy of
//     the original is hidden in a ds:Object-like element inside its
//     Signature.
func XSW(t testing.TB, signed []byte, variant int, evilNameID string) []byte {
	t.Helper()
	doc := parse(t, signed)
	root := doc.Root()
	switch variant {
	case 1, 2:
		sig := firstDescendant(root, "Signature")
		if sig == nil || sig.Parent() != root {
			t.Fatalf("samltest: XSW%d needs a signed Response", variant)
		}
		clone := root.Copy()
		if s := firstDescendant(clone, "Signature"); s != nil {
			s.Parent().RemoveChild(s)
		}
		forgeNameID(t, root, evilNameID)
		if variant == 1 {
			sig.AddChild(clone)
		} else {
			root.InsertChildAt(sig.Index(), clone)
		}
		setID(root, "_evil_response_ID")
	case 3, 4, 5, 6, 7, 8:
		assertion := firstDescendant(root, "Assertion")
		if assertion == nil || firstChild(assertion, "Signature") == nil {
			t.Fatalf("samltest: XSW%d needs a signed Assertion", variant)
		}
		switch variant {
		case 3:
			evil := unsignedCopy(assertion)
			forgeNameID(t, evil, evilNameID)
			setID(evil, "_evil_assertion_ID")
			root.InsertChildAt(assertion.Index(), evil)
		case 4:
			evil := unsignedCopy(assertion)
			forgeNameID(t, evil, evilNameID)
			setID(evil, "_evil_assertion_ID")
			root.AddChild(evil)
			evil.AddChild(assertion)
		case 5:
			original := unsignedCopy(assertion)
			forgeNameID(t, assertion, evilNameID)
			root.AddChild(original)
			setID(assertion, "_evil_assertion_ID")
		case 6:
			sig := firstChild(assertion, "Signature")
			original := unsignedCopy(assertion)
			forgeNameID(t, assertion, evilNameID)
			sig.AddChild(original)
			setID(assertion, "_evil_assertion_ID")
		case 7:
			ext := etree.NewElement("Extensions")
			root.InsertChildAt(assertion.Index(), ext)
			evil := unsignedCopy(assertion)
			forgeNameID(t, evil, evilNameID)
			ext.AddChild(evil)
		case 8:
			sig := firstChild(assertion, "Signature")
			original := unsignedCopy(assertion)
			forgeNameID(t, assertion, evilNameID)
			obj := etree.NewElement("Object")
			sig.AddChild(obj)
			obj.AddChild(original)
		}
	default:
		t.Fatalf("samltest: unknown XSW variant %d", variant)
	}
	return write(t, doc)
}

// CommentInNameID inserts an empty XML comment into the NameID text right
// after its first len(prefix) bytes, which must be a prefix of the value.
// Exclusive c14n drops comments, so the signature stays valid; an SP that
// reads only the first text node sees the truncated prefix (the 2018
// Duo Labs NameID comment-injection class, e.g. CVE-2017-11427).
func CommentInNameID(t testing.TB, signed []byte, prefix string) []byte {
	t.Helper()
	doc := parse(t, signed)
	nid := firstDescendant(doc.Root(), "NameID")
	if nid == nil {
		t.Fatal("samltest: no NameID")
	}
	full := nid.Text()
	if !strings.HasPrefix(full, prefix) || prefix == full {
		t.Fatalf("samltest: %q is not a proper prefix of NameID %q", prefix, full)
	}
	for len(nid.Child) > 0 {
		nid.RemoveChildAt(0)
	}
	nid.AddChild(etree.NewText(prefix))
	nid.AddChild(etree.NewComment(""))
	nid.AddChild(etree.NewText(full[len(prefix):]))
	return write(t, doc)
}

// TamperNameID replaces the NameID text of a signed response after signing,
// invalidating the digest.
func TamperNameID(t testing.TB, signed []byte, value string) []byte {
	t.Helper()
	doc := parse(t, signed)
	nid := firstDescendant(doc.Root(), "NameID")
	if nid == nil {
		t.Fatal("samltest: no NameID")
	}
	nid.SetText(value)
	return write(t, doc)
}

// ReplaceAssertionWithEncrypted swaps the Assertion for an
// EncryptedAssertion stub (the content is irrelevant: it must be refused
// before any decryption is attempted).
func ReplaceAssertionWithEncrypted(t testing.TB, signed []byte) []byte {
	t.Helper()
	doc := parse(t, signed)
	a := firstDescendant(doc.Root(), "Assertion")
	if a == nil {
		t.Fatal("samltest: no Assertion")
	}
	enc := etree.NewElement("saml:EncryptedAssertion")
	ed := enc.CreateElement("xenc:EncryptedData")
	ed.CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
	ed.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText("AAAA")
	doc.Root().InsertChildAt(a.Index(), enc)
	doc.Root().RemoveChild(a)
	return write(t, doc)
}

// SetAttr sets attribute key on the first element with the given local
// name (after signing, so it usually breaks the signature; useful to craft
// algorithm-policy cases).
func SetAttr(t testing.TB, signed []byte, tag, key, value string) []byte {
	t.Helper()
	doc := parse(t, signed)
	el := firstDescendant(doc.Root(), tag)
	if el == nil {
		t.Fatalf("samltest: no <%s>", tag)
	}
	el.CreateAttr(key, value)
	return write(t, doc)
}

// BillionLaughs returns a Response whose DTD defines exponentially nested
// entities (10^9 "lol"s when expanded), referenced from the NameID.
func BillionLaughs() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<!DOCTYPE samlp:Response [` + "\n")
	b.WriteString(`  <!ENTITY lol "lol">` + "\n")
	prev := "lol"
	for i := 1; i <= 9; i++ {
		name := "lol" + string(rune('0'+i))
		b.WriteString(`  <!ENTITY ` + name + ` "`)
		for range 10 {
			b.WriteString("&" + prev + ";")
		}
		b.WriteString(`">` + "\n")
		prev = name
	}
	b.WriteString(`]>` + "\n")
	b.WriteString(`<samlp:Response xmlns:samlp="` + NSProtocol + `" xmlns:saml="` + NSAssertion + `" ID="_r" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">`)
	b.WriteString(`<saml:Assertion ID="_a" Version="2.0" IssueInstant="2026-01-01T00:00:00Z"><saml:Subject><saml:NameID>&lol9;</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>`)
	return []byte(b.String())
}

// ExternalEntity returns a Response whose DTD declares an external entity
// (XXE) pointing at a local file.
func ExternalEntity() []byte {
	return []byte(`<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<samlp:Response xmlns:samlp="` + NSProtocol + `" xmlns:saml="` + NSAssertion + `" ID="_r" Version="2.0"><saml:Issuer>&xxe;</saml:Issuer></samlp:Response>`)
}

func parse(t testing.TB, b []byte) *etree.Document {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatalf("samltest: parse: %v", err)
	}
	return doc
}

func write(t testing.TB, doc *etree.Document) []byte {
	t.Helper()
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("samltest: write: %v", err)
	}
	return b
}

// firstDescendant returns the first element (document order, root
// included) with local name tag, like DOM getElementsByTagNameNS("*", tag).
func firstDescendant(el *etree.Element, tag string) *etree.Element {
	if el.Tag == tag {
		return el
	}
	for _, c := range el.ChildElements() {
		if f := firstDescendant(c, tag); f != nil {
			return f
		}
	}
	return nil
}

func firstChild(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// unsignedCopy copies an element and drops its first descendant Signature.
func unsignedCopy(el *etree.Element) *etree.Element {
	c := el.Copy()
	if s := firstDescendant(c, "Signature"); s != nil {
		s.Parent().RemoveChild(s)
	}
	return c
}

func forgeNameID(t testing.TB, el *etree.Element, v string) {
	t.Helper()
	nid := firstDescendant(el, "NameID")
	if nid == nil {
		t.Fatal("samltest: no NameID to forge")
	}
	nid.SetText(v)
}

func setID(el *etree.Element, id string) { el.CreateAttr("ID", id) }
