package filter

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits applied by Parse, ParsePath and Check to bound the work done on
// untrusted input. Inputs beyond them are rejected with *Error.
const (
	MaxLen   = 4096 // bytes in a filter or path
	MaxDepth = 32   // nested parentheses and brackets
	MaxNodes = 256  // expression nodes (And, Or, Not, Compare, Present, ValuePath)
)

// kind of input an Error refers to.
const (
	kindFilter = "" // the zero value, so Errors built by other packages read "filter"
	kindPath   = "path"
)

// Error is returned for every invalid filter/path; the SCIM layer maps it
// to 400 invalidFilter / invalidPath. Errors from Parse and Check describe
// filters; errors from ParsePath describe paths (and say so in Error).
//
// Pos is the 0-based byte offset in Input at which the problem was found,
// or -1 when the problem is not tied to a position (errors from Check,
// whose Input is the canonical form of the checked expression). Error
// reports the position 1-based, as people count columns.
type Error struct {
	Input string
	Pos   int
	Msg   string

	kind string // kindFilter or kindPath
	err  error  // underlying cause, such as a Resolver error
}

// Error gives a message a person can act on, pointing at the offending
// position, e.g.
//
//	invalid filter at position 12 ("eq" needs a value): userName eq
//
// Inputs longer than 200 bytes are shortened around the position.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid ")
	if e.kind == kindPath {
		b.WriteString("path")
	} else {
		b.WriteString("filter")
	}
	if e.Pos >= 0 {
		b.WriteString(" at position ")
		b.WriteString(strconv.Itoa(e.Pos + 1))
	}
	b.WriteString(" (")
	b.WriteString(e.Msg)
	b.WriteString("): ")
	b.WriteString(excerpt(e.Input, e.Pos))
	return b.String()
}

// Unwrap returns the error that caused e, such as the error a Resolver
// returned for an unknown attribute, or nil.
func (e *Error) Unwrap() error { return e.err }

// clipArgs shortens long string arguments of an error message, so that a
// 4 KB attribute name is not repeated in full in Msg.
func clipArgs(args []any) []any {
	const limit = 64
	for i, a := range args {
		if s, ok := a.(string); ok && len(s) > limit {
			end := limit
			for end > 0 && !utf8.RuneStart(s[end]) {
				end--
			}
			args[i] = s[:end] + "..."
		}
	}
	return args
}

// excerpt shortens long inputs to a window around pos, on rune boundaries.
func excerpt(s string, pos int) string {
	const window = 200
	if len(s) <= window {
		return s
	}
	start := max(0, min(pos, len(s))-window/2)
	end := min(len(s), start+window)
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end++
	}
	out := s[start:end]
	if start > 0 {
		out = "..." + out
	}
	if end < len(s) {
		out += "..."
	}
	return out
}
