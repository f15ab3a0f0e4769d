// Package jsontext checks JSON request text before it is decoded: valid
// UTF-8, no lone surrogate escapes, no NUL.
//
// encoding/json does not refuse these: it replaces invalid UTF-8 and
// unpaired surrogate escapes such as "\ud800" with U+FFFD, so the value
// stored is not the value sent, and it decodes "\u0000" to a NUL character,
// which SQLite stores and PostgreSQL refuses (SQLSTATE 22021), so data
// written to one engine could not move to the other. Check finds them in
// the raw text, where the byte offset can still be reported, and the
// request is refused before anything is decoded or stored.
//
// Check does not validate JSON syntax otherwise; the decoder that runs
// after it does, with its own messages.
package jsontext

import (
	"fmt"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/fault"
)

// Problem says what Check found.
type Problem int

// The problems Check reports.
const (
	// InvalidUTF8 is a byte sequence that is not UTF-8.
	InvalidUTF8 Problem = iota + 1
	// LoneSurrogate is a \u escape of a UTF-16 surrogate that is not half
	// of a high-low pair, such as "\ud800" alone; it names no character.
	LoneSurrogate
	// NUL is a NUL character, raw or escaped as \u0000.
	NUL
)

// Error is a problem at a byte offset of the text. It is a fault.Invalid:
// the request is wrong, and the message is meant for the person who sent
// it.
type Error struct {
	// Offset is the 0-based byte offset where the problem starts.
	Offset int
	// Problem is what was found there.
	Problem Problem
}

// Error says what was found and where, for example
// `the JSON text has an unpaired UTF-16 surrogate escape ("\ud800") at byte 14`.
func (e *Error) Error() string {
	switch e.Problem {
	case InvalidUTF8:
		return fmt.Sprintf("the JSON text is not valid UTF-8 at byte %d; send UTF-8 text", e.Offset)
	case LoneSurrogate:
		return fmt.Sprintf("the JSON text has an unpaired UTF-16 surrogate escape at byte %d; a \\ud800-\\udbff escape must be followed by a \\udc00-\\udfff one, and together they name one character", e.Offset)
	case NUL:
		return fmt.Sprintf("the JSON text has a NUL character at byte %d; NUL is not allowed in any text", e.Offset)
	}
	return fmt.Sprintf("the JSON text is not acceptable at byte %d", e.Offset)
}

// Fault makes the error a fault.Invalid (see fault.Faulter).
func (e *Error) Fault() fault.Kind { return fault.Invalid }

// Is reports whether target is fault.Invalid, so errors.Is(err,
// fault.Invalid) holds.
func (e *Error) Is(target error) bool { return target == fault.Invalid }

// Check returns nil when b is valid UTF-8, has no NUL character (raw or as
// \u0000) and no \u escape of a lone surrogate; otherwise an *Error (a
// fault.Invalid) naming the first problem and its byte offset. It reads b
// once and allocates nothing unless it fails.
func Check(b []byte) error {
	inString := false
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == 0:
			return &Error{Offset: i, Problem: NUL}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return &Error{Offset: i, Problem: InvalidUTF8}
			}
			i += size
			continue
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			n, err := escape(b, i)
			if err != nil {
				return err
			}
			i += n
			continue
		}
		i++
	}
	return nil
}

// escape checks the escape sequence starting with the backslash at b[i]
// and returns its length. A sequence that is not well-formed (too short,
// not hex) is left to the JSON decoder to report: its length is 2, which
// steps over the escaped byte.
func escape(b []byte, i int) (int, error) {
	if i+1 >= len(b) || b[i+1] != 'u' {
		if i+1 < len(b) && b[i+1] == 0 {
			return 0, &Error{Offset: i + 1, Problem: NUL}
		}
		if i+1 < len(b) && b[i+1] >= utf8.RuneSelf {
			return 1, nil // the next round checks the multi-byte rune
		}
		return 2, nil
	}
	u, ok := hex4(b, i+2)
	if !ok {
		return 2, nil
	}
	switch {
	case u == 0:
		return 0, &Error{Offset: i, Problem: NUL}
	case 0xDC00 <= u && u <= 0xDFFF:
		return 0, &Error{Offset: i, Problem: LoneSurrogate}
	case 0xD800 <= u && u <= 0xDBFF:
		if i+7 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
			if lo, ok := hex4(b, i+8); ok && 0xDC00 <= lo && lo <= 0xDFFF {
				return 12, nil
			}
		}
		return 0, &Error{Offset: i, Problem: LoneSurrogate}
	}
	return 6, nil
}

// hex4 reads four hex digits at b[i:], as a \u escape holds.
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
