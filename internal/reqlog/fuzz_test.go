package reqlog

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact feeds Redact arbitrary bodies: it never panics, never keeps
// more than MaxBody bytes and a note, keeps valid UTF-8 valid, and a
// password member of a JSON object never survives it.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		`{"userName":"a","password":"hunter2"}`,
		`{"Operations":[{"op":"replace","path":"password","value":"p"}]}`,
		`{"password":"unterminated`,
		`[{"PASSWORD":"x"},{"nested":{"client_secret":"y"}}]`,
		`not json at all "password": "z"`,
		strings.Repeat(`{"a":"é"},`, 2000),
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := Redact(body)
		if len(got) > MaxBody+64 {
			t.Fatalf("Redact kept %d bytes", len(got))
		}
		if utf8.Valid(body) && !utf8.ValidString(got) {
			t.Fatalf("Redact(%q) = %q is not valid UTF-8", body, got)
		}
		// A password member of a JSON object is gone, unless its value
		// also appears elsewhere in the body (as another member's value).
		var obj map[string]any
		if json.Unmarshal(body, &obj) == nil && len(body) < MaxBody {
			if pw, ok := obj["password"].(string); ok && len(pw) >= 4 && strings.Count(string(body), pw) == 1 && strings.Contains(got, pw) {
				t.Fatalf("Redact(%s) = %s keeps the password %q", body, got, pw)
			}
		}
	})
}
