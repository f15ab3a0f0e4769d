package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
	rtvalidator "github.com/mattermost/xml-roundtrip-validator"
)

// XML namespaces used by SAML 2.0 and XML-DSig.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig      = "http://www.w3.org/2000/09/xmldsig#"
	nsExcC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
)

// xmlLimits bounds the work spent on one untrusted document.
type xmlLimits struct {
	maxElements int
	maxDepth    int
}

// errDTD marks a document carrying a DOCTYPE or other markup declaration.
var errDTD = errors.New("document contains a DTD or entity declaration")

// errTooComplex marks a document exceeding xmlLimits.
var errTooComplex = errors.New("document exceeds element count or depth limit")

// parseUntrustedXML checks raw bytes and parses them into an etree document.
// The checks run in this order, each before anything more expensive:
//  1. a byte scan refusing "<!DOCTYPE"/"<!ENTITY" (billion laughs, XXE);
//  2. a strict encoding/xml token pass refusing any directive, processing
//     instructions other than the XML declaration, non-UTF-8 encodings, and
//     documents over the element/depth limits;
//  3. mattermost/xml-roundtrip-validator, refusing documents that change
//     under an encoding/xml round trip (CVE-2020-29509 family);
//  4. an etree parse that keeps duplicate attributes so that the structural
//     checks can refuse them instead of silently keeping one.
func parseUntrustedXML(raw []byte, lim xmlLimits) (*etree.Document, error) {
	if bytes.Contains(raw, []byte("<!DOCTYPE")) || bytes.Contains(raw, []byte("<!ENTITY")) {
		return nil, errDTD
	}
	if err := tokenScan(raw, lim); err != nil {
		return nil, err
	}
	if err := rtvalidator.Validate(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("xml round-trip validation: %w", err)
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{
		CharsetReader:          utf8Only,
		PreserveDuplicateAttrs: true,
	}
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, fmt.Errorf("parse xml: %w", err)
	}
	roots := 0
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			roots++
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if roots != 1 {
		return nil, fmt.Errorf("document has %d root elements, want 1", roots)
	}
	return doc, nil
}

// utf8Only is an encoding/xml CharsetReader that accepts only UTF-8 (and
// its ASCII subset): SAML messages are UTF-8 and a pass-through reader for
// other labels would let parsers disagree about the text.
func utf8Only(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q", charset)
}

// tokenScan walks the document with a strict encoding/xml decoder.
func tokenScan(raw []byte, lim xmlLimits) error {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.Strict = true
	dec.CharsetReader = utf8Only
	depth, elements := 0, 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			if depth != 0 {
				return errors.New("unexpected end of document")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("parse xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return errDTD
		case xml.ProcInst:
			if t.Target != "xml" {
				return fmt.Errorf("processing instruction %q not allowed", t.Target)
			}
		case xml.StartElement:
			depth++
			elements++
			if depth > lim.maxDepth || elements > lim.maxElements {
				return errTooComplex
			}
		case xml.EndElement:
			depth--
		}
	}
}

// is reports whether el is the element {ns}tag.
func is(el *etree.Element, ns, tag string) bool {
	return el != nil && el.Tag == tag && el.NamespaceURI() == ns
}

// childrenNS returns the direct children of el named {ns}tag.
func childrenNS(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, tag) {
			out = append(out, c)
		}
	}
	return out
}

// oneChild returns the single direct child {ns}tag of el. It returns nil and
// the count when there is not exactly one.
func oneChild(el *etree.Element, ns, tag string) (*etree.Element, int) {
	cs := childrenNS(el, ns, tag)
	if len(cs) != 1 {
		return nil, len(cs)
	}
	return cs[0], 1
}

// attr returns the value of the unqualified attribute key of el, and whether
// it is present.
func attr(el *etree.Element, key string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// textOf returns the complete character content of el: every text node
// concatenated, comments skipped. Reading only the first text node is what
// made the 2018 NameID comment-injection attacks work, so we never do that.
// Elements with child elements have no simple text value and are refused.
func textOf(el *etree.Element) (string, error) {
	var b strings.Builder
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			return "", fmt.Errorf("<%s> has child element <%s>, want text", el.Tag, t.Tag)
		}
	}
	return b.String(), nil
}

// checkNamespaces walks the tree and refuses undeclared prefixes on elements
// and attributes, and elements carrying the same attribute twice. encoding/xml
// tolerates both, and both make different XML stacks see different documents.
func checkNamespaces(root *etree.Element) error {
	var walk func(el *etree.Element) error
	walk = func(el *etree.Element) error {
		if el.Space != "" && el.Space != "xml" && el.NamespaceURI() == "" {
			return fmt.Errorf("undeclared namespace prefix %q on <%s>", el.Space, el.Tag)
		}
		seen := make(map[string]bool, len(el.Attr))
		for i := range el.Attr {
			a := &el.Attr[i]
			full := a.Space + ":" + a.Key
			if seen[full] {
				return fmt.Errorf("duplicate attribute %q on <%s>", a.FullKey(), el.Tag)
			}
			seen[full] = true
			if a.Space != "" && a.Space != "xml" && a.Space != "xmlns" && a.NamespaceURI() == "" {
				return fmt.Errorf("undeclared namespace prefix %q on attribute %q", a.Space, a.Key)
			}
		}
		for _, c := range el.ChildElements() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}
