package filter

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Parse parses a SCIM filter (RFC 7644 §3.4.2.2) into an expression tree.
// See the package documentation for the accepted grammar, including the
// Microsoft Entra `attr[filter].sub op value` extension. Every error is an
// *Error whose Pos points at the offending input.
//
// Parse checks syntax only; use Check to validate the filter against a
// schema before evaluating or compiling it.
func Parse(s string) (Expr, error) {
	p := &parser{in: s, kind: kindFilter}
	if err := p.checkInput(); err != nil {
		return nil, err
	}
	p.skipWS()
	if p.eof() {
		return nil, p.errf(p.pos, `the filter is empty; write an expression such as userName eq "bjensen"`)
	}
	e, err := p.parseOr(false)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if !p.eof() {
		if p.in[p.pos] == ')' {
			return nil, p.errf(p.pos, `")" has no matching "("`)
		}
		return nil, p.errf(p.pos, `expected "and", "or" or the end of the filter, found %s`, p.found())
	}
	return e, nil
}

// ParsePath parses a PATCH operation path (RFC 7644 §3.5.2):
//
//	PATH = attrPath / valuePath [subAttr]
//
// such as "members", "name.givenName", `members[value eq "2819c223"]`,
// `emails[type eq "work"].value` or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value".
// The bracketed filter uses the value-filter grammar (paths relative to the
// element, no nested brackets). Leading and trailing whitespace is ignored.
// Every error is an *Error whose message says "invalid path".
func ParsePath(s string) (Path, error) {
	p := &parser{in: s, kind: kindPath}
	if err := p.checkInput(); err != nil {
		return Path{}, err
	}
	p.skipWS()
	if p.eof() {
		return Path{}, p.errf(p.pos, `the path is empty; name an attribute such as members or emails[type eq "work"].value`)
	}
	attr, err := p.parseAttrPath()
	if err != nil {
		return Path{}, err
	}
	path := Path{Attr: attr}
	p.skipWS()
	if p.peek('[') {
		inner, _, err := p.parseBrackets(attr)
		if err != nil {
			return Path{}, err
		}
		path.Filter = inner
		if p.peek('.') {
			p.pos++
			sub, err := p.parseSubAfterBracket()
			if err != nil {
				return Path{}, err
			}
			path.Sub = sub
		}
		p.skipWS()
	}
	if !p.eof() {
		return Path{}, p.errf(p.pos, `unexpected %s; a path is an attribute such as name.givenName, optionally followed by [filter] and .subAttribute`, p.found())
	}
	return path, nil
}

// parser is a recursive-descent parser working directly on the input
// string. Recursion happens only at "(" and "[", so its depth is bounded
// by MaxDepth.
type parser struct {
	in       string
	kind     string // kindFilter or kindPath, for error messages
	pos      int
	depth    int // current nesting of "(" and "["
	maxDepth int // deepest nesting reached since it was last reset
	nodes    int // expression nodes built so far
}

func (p *parser) errf(pos int, format string, args ...any) error {
	return &Error{Input: p.in, Pos: pos, Msg: fmt.Sprintf(format, clipArgs(args)...), kind: p.kind}
}

// checkInput enforces MaxLen and rejects invalid UTF-8 up front, so the
// rest of the parser can copy bytes without re-validating them.
func (p *parser) checkInput() error {
	if len(p.in) > MaxLen {
		return p.errf(MaxLen, "the input is %d bytes long; the limit is %d", len(p.in), MaxLen)
	}
	for i := 0; i < len(p.in); {
		r, size := utf8.DecodeRuneInString(p.in[i:])
		if r == utf8.RuneError && size == 1 {
			return p.errf(i, "invalid UTF-8 byte 0x%02x", p.in[i])
		}
		i += size
	}
	return nil
}

func (p *parser) eof() bool { return p.pos >= len(p.in) }

func (p *parser) peek(c byte) bool { return p.pos < len(p.in) && p.in[p.pos] == c }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipWS() {
	for p.pos < len(p.in) && isSpace(p.in[p.pos]) {
		p.pos++
	}
}

func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isNameChar reports whether c may continue an ATTRNAME.
func isNameChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '$' }

// isURNChar reports whether c may appear in the URN-prefixed form of an
// attribute path. It is deliberately narrower than RFC 8141 so that
// characters with a meaning in the filter grammar end the path.
func isURNChar(c byte) bool { return isNameChar(c) || c == '.' || c == ':' }

// isWordChar reports whether c continues a word for keyword matching: a
// keyword must not be followed by anything that could extend it into a
// longer name or path.
func isWordChar(c byte) bool { return isURNChar(c) }

// keyword reports whether the keyword kw (lower case) starts at p.pos,
// case-insensitively and on a word boundary. It does not consume it.
func (p *parser) keyword(kw string) bool {
	end := p.pos + len(kw)
	if end > len(p.in) || !strings.EqualFold(p.in[p.pos:end], kw) {
		return false
	}
	return end == len(p.in) || !isWordChar(p.in[end])
}

// nextNonSpace returns the first byte at or after i that is not
// whitespace, or 0 at the end of input.
func (p *parser) nextNonSpace(i int) byte {
	for i < len(p.in) && isSpace(p.in[i]) {
		i++
	}
	if i < len(p.in) {
		return p.in[i]
	}
	return 0
}

// found describes the token at p.pos for error messages.
func (p *parser) found() string {
	if p.eof() {
		return "the end of the " + p.what()
	}
	end := p.pos
	for end < len(p.in) && isWordChar(p.in[end]) && end-p.pos < 40 {
		end++
	}
	if end == p.pos {
		_, size := utf8.DecodeRuneInString(p.in[p.pos:])
		end = p.pos + size
	}
	return fmt.Sprintf("%q", p.in[p.pos:end])
}

func (p *parser) what() string {
	if p.kind == kindPath {
		return "path"
	}
	return "filter"
}

// enter records one more level of nesting at the "(" or "[" at pos.
func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errf(pos, "parentheses and brackets nest more than %d deep; simplify the %s", MaxDepth, p.what())
	}
	p.maxDepth = max(p.maxDepth, p.depth)
	return nil
}

// node counts a new expression node against MaxNodes.
func (p *parser) node(pos int, e Expr) (Expr, error) {
	p.nodes++
	if p.nodes > MaxNodes {
		return nil, p.errf(pos, "the %s has more than %d expressions; split it or simplify it", p.what(), MaxNodes)
	}
	return e, nil
}

// parseOr parses or-separated terms: FILTER *("or" FILTER), left-associative.
// inVal is true inside brackets, where paths are relative and brackets
// cannot nest.
func (p *parser) parseOr(inVal bool) (Expr, error) {
	left, err := p.parseAnd(inVal)
	if err != nil {
		return nil, err
	}
	for {
		p.skipWS()
		if !p.keyword("or") {
			return left, nil
		}
		start := p.pos
		p.pos += len("or")
		right, err := p.parseAnd(inVal)
		if err != nil {
			return nil, err
		}
		if left, err = p.node(start, &Or{Left: left, Right: right}); err != nil {
			return nil, err
		}
	}
}

// parseAnd parses and-separated factors, left-associative.
func (p *parser) parseAnd(inVal bool) (Expr, error) {
	left, err := p.parseUnary(inVal)
	if err != nil {
		return nil, err
	}
	for {
		p.skipWS()
		if !p.keyword("and") {
			return left, nil
		}
		start := p.pos
		p.pos += len("and")
		right, err := p.parseUnary(inVal)
		if err != nil {
			return nil, err
		}
		if left, err = p.node(start, &And{Left: left, Right: right}); err != nil {
			return nil, err
		}
	}
}

// parseUnary parses "(" FILTER ")", "not" "(" FILTER ")" or an attribute
// expression.
func (p *parser) parseUnary(inVal bool) (Expr, error) {
	p.skipWS()
	if p.eof() {
		return nil, p.errf(p.pos, `unexpected end of the filter; expected an attribute name, "not (" or "("`)
	}
	switch {
	case p.peek('('):
		return p.parseGroup(inVal)
	case p.keyword("not") && p.nextNonSpace(p.pos+len("not")) == '(':
		start := p.pos
		p.pos += len("not")
		p.skipWS()
		e, err := p.parseGroup(inVal)
		if err != nil {
			return nil, err
		}
		return p.node(start, &Not{Expr: e})
	}
	return p.parseAttrExp(inVal)
}

// parseGroup parses "(" FILTER ")" with p.pos at "(".
func (p *parser) parseGroup(inVal bool) (Expr, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	p.pos++
	e, err := p.parseOr(inVal)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if !p.peek(')') {
		if p.eof() {
			return nil, p.errf(p.pos, `missing ")" to close the "(" at position %d`, open+1)
		}
		return nil, p.errf(p.pos, `expected "and", "or" or ")", found %s`, p.found())
	}
	p.pos++
	p.depth--
	return e, nil
}

// parseAttrExp parses attrPath followed by "pr", an operator and value, or
// a bracketed value filter.
func (p *parser) parseAttrExp(inVal bool) (Expr, error) {
	start := p.pos
	path, err := p.parseAttrPath()
	if err != nil {
		return nil, err
	}
	if inVal && (path.URN != "" || path.Sub != "") {
		return nil, p.errf(start, "inside [ ], name a sub-attribute of the element by itself (such as type or value), not %q", path.String())
	}
	p.skipWS()
	if !p.peek('[') {
		return p.parseOpValue(path, start)
	}
	if inVal {
		return nil, p.errf(p.pos, `value filters cannot be nested; "[" is not allowed inside [ ]`)
	}
	inner, innerMax, err := p.parseBrackets(path)
	if err != nil {
		return nil, err
	}
	if !p.peek('.') {
		return p.node(start, &ValuePath{Path: path, Filter: inner})
	}
	// Microsoft Entra extension: attr[filter].sub op value, rewritten to
	// attr[filter and sub op value] so both apply to the same element.
	p.pos++
	subStart := p.pos
	sub, err := p.parseSubAfterBracket()
	if err != nil {
		return nil, err
	}
	if _, ok := inner.(*Or); ok && innerMax+1 > MaxDepth {
		// The canonical form parenthesises the or, one level deeper.
		return nil, p.errf(subStart, "parentheses and brackets nest more than %d deep; simplify the filter", MaxDepth)
	}
	cmp, err := p.parseOpValue(AttrPath{Name: sub}, subStart)
	if err != nil {
		return nil, err
	}
	and, err := p.node(subStart, &And{Left: inner, Right: cmp})
	if err != nil {
		return nil, err
	}
	return p.node(start, &ValuePath{Path: path, Filter: and})
}

// parseBrackets parses "[" valFilter "]" after the attribute attr, with
// p.pos at "[". It also returns the deepest nesting reached inside.
func (p *parser) parseBrackets(attr AttrPath) (Expr, int, error) {
	open := p.pos
	if attr.Sub != "" {
		return nil, 0, p.errf(open, `"[" must follow a multi-valued attribute such as emails, not the sub-attribute %q`, attr.String())
	}
	if err := p.enter(open); err != nil {
		return nil, 0, err
	}
	outerMax := p.maxDepth
	p.maxDepth = p.depth
	p.pos++
	p.skipWS()
	if p.peek(']') {
		return nil, 0, p.errf(p.pos, `empty value filter; write a condition inside [ ], such as type eq "work"`)
	}
	inner, err := p.parseOr(true)
	if err != nil {
		return nil, 0, err
	}
	p.skipWS()
	if !p.peek(']') {
		if p.eof() {
			return nil, 0, p.errf(p.pos, `missing "]" to close the "[" at position %d`, open+1)
		}
		return nil, 0, p.errf(p.pos, `expected "and", "or" or "]", found %s`, p.found())
	}
	p.pos++
	p.depth--
	innerMax := p.maxDepth
	p.maxDepth = max(outerMax, innerMax)
	return inner, innerMax, nil
}

// parseSubAfterBracket parses the sub-attribute name after "].".
func (p *parser) parseSubAfterBracket() (string, error) {
	start := p.pos
	sub := p.scanName()
	if sub == "" {
		return "", p.errf(start, `expected a sub-attribute name after "].", found %s`, p.found())
	}
	if p.peek('.') || p.peek(':') {
		return "", p.errf(p.pos, "unexpected %q after the sub-attribute %q", p.in[p.pos], sub)
	}
	return sub, nil
}

// parseOpValue parses the operator and, unless it is "pr", the value that
// follow path, which started at start.
func (p *parser) parseOpValue(path AttrPath, start int) (Expr, error) {
	p.skipWS()
	opStart := p.pos
	word := p.scanWord()
	if word == "" {
		if isNotKeyword(path) {
			return nil, p.errf(start, `"not" must be followed by a parenthesised expression, as in not (userName eq "bjensen")`)
		}
		if p.eof() {
			return nil, p.errf(p.pos, `%q needs an operator such as eq or pr`, path.String())
		}
		return nil, p.errf(p.pos, "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after %q, found %s", path.String(), p.found())
	}
	lw := strings.ToLower(word)
	if lw == "pr" {
		return p.node(start, &Present{Path: path})
	}
	op, ok := opTable[lw]
	if !ok {
		if isNotKeyword(path) {
			return nil, p.errf(start, `"not" must be followed by a parenthesised expression, as in not (userName eq "bjensen")`)
		}
		return nil, p.errf(opStart, "unknown operator %q; use one of eq, ne, co, sw, ew, gt, ge, lt, le or pr", word)
	}
	p.skipWS()
	v, err := p.parseValue(op)
	if err != nil {
		return nil, err
	}
	return p.node(start, &Compare{Path: path, Op: op, Value: v})
}

func isNotKeyword(path AttrPath) bool {
	return path.URN == "" && path.Sub == "" && strings.EqualFold(path.Name, "not")
}

// scanWord consumes a maximal run of word characters.
func (p *parser) scanWord() string {
	start := p.pos
	for p.pos < len(p.in) && isWordChar(p.in[p.pos]) {
		p.pos++
	}
	return p.in[start:p.pos]
}

// scanName consumes an ATTRNAME, or nothing if none starts at p.pos.
func (p *parser) scanName() string {
	if p.eof() || !(isAlpha(p.in[p.pos]) || p.in[p.pos] == '$') {
		return ""
	}
	start := p.pos
	for p.pos < len(p.in) && isNameChar(p.in[p.pos]) {
		p.pos++
	}
	return p.in[start:p.pos]
}

// parseAttrPath parses [URN ":"] ATTRNAME ["." ATTRNAME].
func (p *parser) parseAttrPath() (AttrPath, error) {
	start := p.pos
	var path AttrPath
	end := len(p.in) // end of the URN-form run, if any
	if len(p.in)-p.pos >= 4 && strings.EqualFold(p.in[p.pos:p.pos+4], "urn:") {
		end = p.pos
		for end < len(p.in) && isURNChar(p.in[end]) {
			end++
		}
		run := p.in[p.pos:end]
		colon := strings.LastIndexByte(run, ':')
		path.URN = run[:colon]
		if !validURN(path.URN) {
			return AttrPath{}, p.errf(start, "%q is not a valid schema URN; write urn:<namespace>:<name>:<attribute>, as in urn:ietf:params:scim:schemas:core:2.0:User:userName", path.URN)
		}
		p.pos += colon + 1
		if p.pos == end || !(isAlpha(p.in[p.pos]) || p.in[p.pos] == '$') {
			return AttrPath{}, p.errf(p.pos, "expected an attribute name after the schema URN %q", path.URN)
		}
	}
	path.Name = p.scanName()
	if path.Name == "" {
		return AttrPath{}, p.errf(p.pos, `expected an attribute name, "not (" or "(", found %s`, p.found())
	}
	if p.peek('.') && p.pos+1 < end {
		p.pos++
		if path.Sub = p.scanName(); path.Sub == "" {
			return AttrPath{}, p.errf(p.pos, `expected a sub-attribute name after ".", found %s`, p.found())
		}
	} else if p.peek('.') {
		return AttrPath{}, p.errf(p.pos+1, `expected a sub-attribute name after ".", found the end of the %s`, p.what())
	}
	switch {
	case p.peek('.'):
		return AttrPath{}, p.errf(p.pos, "%q has more than one sub-attribute; SCIM paths have at most one, as in name.givenName", p.in[start:p.pos]+".")
	case p.peek(':'):
		return AttrPath{}, p.errf(p.pos, `unexpected ":" after %q; schema URNs must start with "urn:"`, p.in[start:p.pos])
	case p.pos < len(p.in) && isURNChar(p.in[p.pos]):
		// Only reachable in URN form, e.g. "urn:a:b:-x".
		return AttrPath{}, p.errf(p.pos, "unexpected %q in attribute name", p.in[p.pos])
	}
	return path, nil
}

// validURN reports whether u looks like "urn:<nid>:<nss>" with no empty
// segments. The schema layer decides whether it names a known schema.
func validURN(u string) bool {
	segs := strings.Split(u, ":")
	if len(segs) < 3 {
		return false
	}
	for _, s := range segs {
		if s == "" {
			return false
		}
	}
	return true
}

// parseValue parses a compValue, the operand of op.
func (p *parser) parseValue(op Op) (Value, error) {
	if p.eof() {
		return Value{}, p.errf(p.pos, "%q needs a value", string(op))
	}
	c := p.in[p.pos]
	switch {
	case c == '"':
		s, err := p.parseString()
		return Value{Kind: KindString, Str: s}, err
	case c == '-' || isDigit(c):
		n, err := p.parseNumber()
		return Value{Kind: KindNumber, Str: n}, err
	case isAlpha(c):
		start := p.pos
		word := p.scanWord()
		switch strings.ToLower(word) {
		case "true":
			return Value{Kind: KindBool, Bool: true}, nil
		case "false":
			return Value{Kind: KindBool}, nil
		case "null":
			return Value{Kind: KindNull}, nil
		}
		return Value{}, p.errf(start, `expected a value after %q, found %q; strings need double quotes, as in "%s"`, string(op), word, word)
	}
	return Value{}, p.errf(p.pos, `expected a value after %q (a "quoted string", a number, true, false or null), found %s`, string(op), p.found())
}

// parseString parses a JSON string starting at the opening quote and
// returns its decoded contents.
func (p *parser) parseString() (string, error) {
	open := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.errf(open, `unterminated string; add the closing '"'`)
		}
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\':
			if err := p.parseEscape(&b, open); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", p.errf(p.pos, `control character U+%04X must be escaped in a string, as \u%04x`, c, c)
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// parseEscape decodes one escape sequence at p.pos (at the backslash).
func (p *parser) parseEscape(b *strings.Builder, open int) error {
	start := p.pos
	if p.pos+1 >= len(p.in) {
		return p.errf(open, `unterminated string; add the closing '"'`)
	}
	c := p.in[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, ok := p.hex4()
		if !ok {
			return p.errf(start, `invalid escape: \u must be followed by 4 hex digits`)
		}
		if utf16.IsSurrogate(r) {
			if r >= 0xDC00 {
				return p.errf(start, `invalid escape: \u%04X is a low surrogate without a preceding high surrogate`, r)
			}
			hi, lo := r, rune(-1)
			if p.pos+1 < len(p.in) && p.in[p.pos] == '\\' && p.in[p.pos+1] == 'u' {
				p.pos += 2
				lo, ok = p.hex4()
				if !ok {
					return p.errf(p.pos-2, `invalid escape: \u must be followed by 4 hex digits`)
				}
			}
			r = utf16.DecodeRune(hi, lo)
			if r == utf8.RuneError {
				return p.errf(start, `invalid escape: high surrogate \u%04X must be followed by a low surrogate \uDC00-\uDFFF`, hi)
			}
		}
		b.WriteRune(r)
	default:
		r, _ := utf8.DecodeRuneInString(p.in[start+1:])
		return p.errf(start, `invalid escape "\%c"; valid escapes are \" \\ \/ \b \f \n \r \t and \uXXXX`, r)
	}
	return nil
}

// hex4 consumes four hex digits.
func (p *parser) hex4() (rune, bool) {
	if p.pos+4 > len(p.in) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.in[p.pos : p.pos+4]) {
		var d byte
		switch {
		case isDigit(c):
			d = c - '0'
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			d = (c | 0x20) - 'a' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.pos += 4
	return r, true
}

// parseNumber parses a JSON number and returns its text.
func (p *parser) parseNumber() (string, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.in) && isDigit(p.in[p.pos]) {
			p.pos++
			n++
		}
		return n
	}
	if p.peek('-') {
		p.pos++
	}
	intStart := p.pos
	if n := digits(); n == 0 {
		return "", p.errf(p.pos, `invalid number: expected a digit, found %s`, p.found())
	} else if n > 1 && p.in[intStart] == '0' {
		return "", p.errf(intStart, "invalid number %q: numbers cannot have leading zeros", p.in[start:p.pos])
	}
	if p.peek('.') {
		p.pos++
		if digits() == 0 {
			return "", p.errf(p.pos, `invalid number: expected a digit after ".", found %s`, p.found())
		}
	}
	if p.peek('e') || p.peek('E') {
		p.pos++
		if p.peek('+') || p.peek('-') {
			p.pos++
		}
		if digits() == 0 {
			return "", p.errf(p.pos, `invalid number: expected a digit in the exponent, found %s`, p.found())
		}
	}
	if p.pos < len(p.in) && isWordChar(p.in[p.pos]) {
		end := p.pos
		for end < len(p.in) && isWordChar(p.in[end]) {
			end++
		}
		return "", p.errf(start, `invalid number %q; quote strings, as in "%s"`, p.in[start:end], p.in[start:end])
	}
	return p.in[start:p.pos], nil
}
