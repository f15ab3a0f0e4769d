package schema

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// loc is where a value sits, for error messages: a quoted attribute path such
// as `"name.givenName"` or `"urn:...:User:manager.value"`, and the 1-based
// element of a multi-valued attribute it belongs to (0 when none).
type loc struct {
	path string // already quoted
	elem int
	// stored is set when the value is one the service stored earlier
	// (DecodeStored): the limits and the NUL rule, which came later, are
	// not applied to it, so old data stays readable and patchable.
	stored bool
}

func quoteName(name string) loc { return loc{path: strconv.Quote(name)} }

func (l loc) String() string {
	if l.elem > 0 {
		return fmt.Sprintf("attribute %s (element %d)", l.path, l.elem)
	}
	return "attribute " + l.path
}

// sub returns the location of sub-attribute name inside l, keeping the
// element index so that `"emails.primary" (element 2)` points at the value.
func (l loc) sub(name string) loc {
	unq, err := strconv.Unquote(l.path)
	if err != nil {
		unq = l.path
	}
	return loc{path: strconv.Quote(unq + "." + name), elem: l.elem, stored: l.stored}
}

func (l loc) element(i int) loc { return loc{path: l.path, elem: i + 1, stored: l.stored} }

// coerce validates the whole value of a (an array when a is multi-valued).
func coerce(a *Attribute, v any, at loc) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.MultiValued {
		return coerceSingle(a, v, at)
	}
	arr, ok := asArray(v)
	if !ok {
		return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
			"%s: expected an array of %s, got %s; a multi-valued attribute must be sent as a JSON array even when it has one value",
			at, pluralKind(a.Type), describe(a, v)))
	}
	if a.MaxValues > 0 && len(arr) > a.MaxValues && !at.stored {
		return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
			"%s has %d values; at most %d are allowed", at, len(arr), a.MaxValues))
	}
	out := make([]any, 0, len(arr))
	firstPrimary := 0
	for i, e := range arr {
		if e == nil {
			continue
		}
		c, err := coerceSingle(a, e, at.element(i))
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		if m, ok := c.(map[string]any); ok && m["primary"] == true {
			if firstPrimary > 0 {
				return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
					"%s: elements %d and %d both have \"primary\": true; at most one value may be primary (RFC 7643 §2.4)",
					at, firstPrimary, i+1))
			}
			firstPrimary = i + 1
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// coerceSingle validates one value of a: a whole single-valued attribute or
// one element of a multi-valued one.
func coerceSingle(a *Attribute, v any, at loc) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() (any, error) {
		return nil, newError(ScimTypeInvalidValue, fmt.Sprintf("%s: expected %s, got %s", at, kind(a.Type), describe(a, v)))
	}
	if s, ok := v.(string); ok {
		if err := checkText(a, s, at); err != nil {
			return nil, err
		}
	}
	switch a.Type {
	case TypeString:
		if s, ok := v.(string); ok {
			return canonicalSpelling(a, s), nil
		}
		return bad()
	case TypeBoolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			// Microsoft Entra ID sends booleans as the strings "True" and
			// "False" in some requests; see the package documentation.
			switch {
			case strings.EqualFold(b, "true"):
				return true, nil
			case strings.EqualFold(b, "false"):
				return false, nil
			}
		}
		return bad()
	case TypeInteger:
		if n, ok := toInt64(v); ok {
			return n, nil
		}
		return bad()
	case TypeDecimal:
		if f, ok := toFloat64(v); ok {
			return f, nil
		}
		return bad()
	case TypeDateTime:
		if s, ok := v.(string); ok && isDateTime(s) {
			return s, nil
		}
		return bad()
	case TypeBinary:
		if s, ok := v.(string); ok {
			if _, err := base64.StdEncoding.DecodeString(s); err == nil {
				return s, nil
			}
		}
		return bad()
	case TypeReference:
		if s, ok := v.(string); ok {
			if _, err := url.Parse(s); err == nil {
				return s, nil
			}
		}
		return bad()
	case TypeComplex:
		m, ok := asObject(v)
		if !ok {
			return bad()
		}
		return coerceComplex(a, m, at)
	}
	return nil, newError(ScimTypeInvalidValue, fmt.Sprintf("%s: the schema gives it the unsupported type %q", at, a.Type))
}

// checkText applies the rules every text value follows, whatever its type:
// the length limit first (so an oversized value costs no further work),
// then valid UTF-8 and no NUL, because such text would not survive storage
// unchanged (JSON encoding replaces bad bytes; PostgreSQL refuses both).
func checkText(a *Attribute, s string, at loc) error {
	if at.stored {
		if !utf8.ValidString(s) {
			return newError(ScimTypeInvalidValue, fmt.Sprintf("%s: the text is not valid UTF-8", at))
		}
		return nil
	}
	if a.MaxLength > 0 && len(s) > a.MaxLength {
		return newError(ScimTypeInvalidValue, fmt.Sprintf(
			"%s is %d bytes long; at most %d bytes are allowed", at, len(s), a.MaxLength))
	}
	if !utf8.ValidString(s) {
		return newError(ScimTypeInvalidValue, fmt.Sprintf("%s: the text is not valid UTF-8", at))
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return newError(ScimTypeInvalidValue, fmt.Sprintf(
			"%s: the text has a NUL character (at byte %d); NUL is not allowed in any text", at, i))
	}
	return nil
}

// canonicalSpelling returns the canonical value s equals ignoring case,
// when a is not caseExact, and s otherwise. Comparisons of such values
// ignore case (RFC 7643 §2.2), so "user" is the member type "User":
// writing it one way means every later comparison, in Go or in the store,
// agrees on it.
func canonicalSpelling(a *Attribute, s string) string {
	if a.CaseExact {
		return s
	}
	for _, c := range a.CanonicalValues {
		if strings.EqualFold(c, s) {
			return c
		}
	}
	return s
}

// coerceComplex validates the sub-attributes of one complex value. Names are
// matched case-insensitively and written in canonical spelling; readOnly
// sub-attributes and nulls are dropped; a value left with nothing is
// unassigned (nil).
func coerceComplex(a *Attribute, m map[string]any, at loc) (any, error) {
	out := make(map[string]any, len(m))
	seen := make(map[*Attribute]string, len(m))
	// sentReadOnly: the client sent values that are all ignored, such as
	// a Group member with only "display"; that value still needs its
	// required sub-attributes, or what was meant would vanish silently.
	sentReadOnly := false
	for _, k := range slices.Sorted(maps.Keys(m)) {
		sub := a.SubAttribute(k)
		if sub == nil {
			return nil, unknownError(ScimTypeInvalidSyntax, fmt.Sprintf(
				"%s has no sub-attribute %q; its sub-attributes are %s",
				at, clipName(k), nameList(a.SubAttributes)))
		}
		if prev, dup := seen[sub]; dup {
			return nil, newError(ScimTypeInvalidSyntax, fmt.Sprintf(
				"%s: sub-attribute %q is given twice (as %q and %q); attribute names are case-insensitive",
				at, sub.Name, prev, k))
		}
		seen[sub] = k
		if sub.Mutability == MutabilityReadOnly {
			sentReadOnly = sentReadOnly || m[k] != nil
			continue
		}
		c, err := coerce(sub, m[k], at.sub(sub.Name))
		if err != nil {
			return nil, err
		}
		if c != nil {
			out[sub.Name] = c
		}
	}
	if len(out) == 0 && !sentReadOnly {
		return nil, nil
	}
	for _, sub := range a.SubAttributes {
		if !sub.Required || sub.Mutability == MutabilityReadOnly {
			continue
		}
		if missing(out[sub.Name]) {
			return nil, newError(ScimTypeInvalidValue, fmt.Sprintf(
				"%s: required sub-attribute %q is missing or empty", at, sub.Name))
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// missing reports whether a coerced value counts as absent for a required
// attribute: unassigned, or the empty string (RFC 7643 §4.1.1 asks for a
// non-empty userName; an empty member value identifies nothing either).
func missing(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

func asArray(v any) ([]any, bool) {
	switch t := v.(type) {
	case []any:
		return t, true
	case []string:
		out := make([]any, len(t))
		for i, s := range t {
			out[i] = s
		}
		return out, true
	case []map[string]any:
		out := make([]any, len(t))
		for i, m := range t {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

func asObject(v any) (map[string]any, bool) {
	switch t := v.(type) {
	case map[string]any:
		return t, true
	case Resource:
		return t, true
	}
	return nil, false
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(n.String(), 10, 64)
		return i, err == nil
	case int64:
		return n, true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case float64:
		// Only from maps decoded without UseNumber. 2^63 is exactly
		// representable, so the bounds are exact.
		if n == math.Trunc(n) && n >= -(1<<63) && n < 1<<63 {
			return int64(n), true
		}
	}
	return 0, false
}

func toFloat64(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		var err error
		f, err = strconv.ParseFloat(n.String(), 64)
		if err != nil {
			return 0, false
		}
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int64:
		f = float64(n)
	case int:
		f = float64(n)
	case int32:
		f = float64(n)
	default:
		return 0, false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// isDateTime reports whether s is an xsd:dateTime (XML Schema Part 2
// §3.3.7), as RFC 7643 §2.3.5 requires: -?YYYY-MM-DDThh:mm:ss(.s+)?(zone)?,
// with a year of four or more digits, a real calendar day, hour 24 only as
// 24:00:00, and an optional zone "Z" or ±hh:mm up to 14:00.
func isDateTime(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	year := s[start:i]
	if len(year) < 4 || (len(year) > 4 && year[0] == '0') {
		return false
	}
	num := func(n int) (int, bool) {
		if i+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if !isDigit(c) {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		i += n
		return v, true
	}
	lit := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	month, ok := 0, lit('-')
	if ok {
		month, ok = num(2)
	}
	day := 0
	if ok && lit('-') {
		day, ok = num(2)
	} else {
		ok = false
	}
	if !ok || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) {
		return false
	}
	if !lit('T') {
		return false
	}
	hour, ok := num(2)
	minute, second := 0, 0
	if ok && lit(':') {
		minute, ok = num(2)
	} else {
		ok = false
	}
	if ok && lit(':') {
		second, ok = num(2)
	} else {
		ok = false
	}
	if !ok || hour > 24 || minute > 59 || second > 59 {
		return false
	}
	fracZero := true
	if lit('.') {
		startFrac := i
		for i < len(s) && isDigit(s[i]) {
			if s[i] != '0' {
				fracZero = false
			}
			i++
		}
		if i == startFrac {
			return false
		}
	}
	if hour == 24 && (minute != 0 || second != 0 || !fracZero) {
		return false
	}
	if i == len(s) {
		return true
	}
	if lit('Z') {
		return i == len(s)
	}
	if !lit('+') && !lit('-') {
		return false
	}
	zh, ok := num(2)
	zm := 0
	if ok && lit(':') {
		zm, ok = num(2)
	} else {
		ok = false
	}
	return ok && i == len(s) && zm <= 59 && (zh < 14 || zh == 14 && zm == 0)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// daysIn returns the number of days in month of the year given as decimal
// digits (any length), using the proleptic Gregorian leap-year rule.
func daysIn(month int, year string) int {
	switch month {
	case 2:
		mod := 0
		for _, c := range []byte(year) {
			mod = (mod*10 + int(c-'0')) % 400
		}
		if mod%4 == 0 && (mod%100 != 0 || mod == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// kind names what a value of type t looks like in JSON, for "expected ...".
func kind(t Type) string {
	switch t {
	case TypeString:
		return "a string"
	case TypeBoolean:
		return "a boolean (true or false)"
	case TypeDecimal:
		return "a number"
	case TypeInteger:
		return "an integer without fraction or exponent"
	case TypeDateTime:
		return `an xsd:dateTime string such as "2008-01-23T04:56:22Z"`
	case TypeBinary:
		return "a base64-encoded string (RFC 4648 §4, with padding)"
	case TypeReference:
		return "a URI reference string"
	case TypeComplex:
		return "an object"
	}
	return "a value of type " + string(t)
}

func pluralKind(t Type) string {
	switch t {
	case TypeString:
		return "strings"
	case TypeBoolean:
		return "booleans"
	case TypeDecimal:
		return "numbers"
	case TypeInteger:
		return "integers"
	case TypeDateTime:
		return "xsd:dateTime strings"
	case TypeBinary:
		return "base64-encoded strings"
	case TypeReference:
		return "URI reference strings"
	case TypeComplex:
		return "objects"
	}
	return "values of type " + string(t)
}

// describe names what the client sent, with the value when it is short and
// the attribute is not writeOnly (a password must never be echoed).
func describe(a *Attribute, v any) string {
	secret := a.Mutability == MutabilityWriteOnly
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		if secret {
			return "a boolean"
		}
		return fmt.Sprintf("a boolean (%t)", t)
	case string:
		if secret {
			return "a string"
		}
		return "a string " + strconv.Quote(shorten(t))
	case json.Number, float64, float32, int, int32, int64:
		if secret {
			return "a number"
		}
		return fmt.Sprintf("a number (%s)", shorten(fmt.Sprint(t)))
	case map[string]any, Resource:
		return "an object"
	}
	if _, ok := asArray(v); ok {
		return "an array"
	}
	return fmt.Sprintf("a value of Go type %T", v)
}

// shorten cuts s to at most 40 runes so that error details stay readable.
func shorten(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit]) + "…"
}

// clipName cuts a name the client sent to at most 256 runes for an error
// detail: long enough for any real attribute path, short enough that a
// megabyte-long key is not echoed back.
func clipName(s string) string {
	const limit = 256
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}

func nameList(attrs []*Attribute) string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}
